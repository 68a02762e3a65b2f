#include "db/database_impl.h"

#include <rocksdb/write_batch.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/aggregate.h"
#include "db/index_writer.h"
#include "db/matcher_adapters.h"
#include "document/key_string.h"
#include "document/stored_document.h"
#include "engine/collection_stats.h"
#include "engine/rocks_status.h"
#include "engine/write_transaction.h"
#include "query/match/parser.h"
#include "query/sort/distinct.h"

namespace strata::db {
namespace {

// An insert command's documents commit in transactions of at most this many documents / bytes:
// big enough to share one fsync among many documents, small enough to bound memory.
constexpr size_t kMaxDocsPerTransaction = 1000;
constexpr size_t kMaxBytesPerTransaction = 16 << 20;
// Multi-document deletes commit in chunks of this many documents.
constexpr int64_t kMaxDeletesPerTransaction = 1000;

std::string IdJson(const bson_iter_t& id) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_iter(&doc, "_id", 3, &id);
  std::string json = DocumentView(&doc).ToJson();
  bson_destroy(&doc);
  return json;
}

absl::Status DuplicateIdError(absl::string_view ns, const bson_iter_t& id) {
  absl::Status error = MongoError(ErrorCode::kDuplicateKey,
                                  absl::StrCat("E11000 duplicate key error collection: ", ns,
                                               " index: _id_ dup key: ", IdJson(id)));
  bson_t fields = BSON_INITIALIZER;
  bson_t pattern, value;
  bson_append_document_begin(&fields, "keyPattern", -1, &pattern);
  bson_append_int32(&pattern, "_id", 3, 1);
  bson_append_document_end(&fields, &pattern);
  bson_append_document_begin(&fields, "keyValue", -1, &value);
  bson_append_iter(&value, "_id", 3, &id);
  bson_append_document_end(&fields, &value);
  SetErrorReplyFields(
      error, absl::string_view(reinterpret_cast<const char*>(bson_get_data(&fields)), fields.len));
  bson_destroy(&fields);
  return error;
}

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Document IdDocument(const bson_iter_t& id) {
  Document doc;
  bson_append_iter(doc.mutable_bson(), "_id", 3, &id);
  return doc;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DatabaseImpl>> DatabaseImpl::Open(
    const std::string& path, const DatabaseOptions& options, const engine::StorageHooks& hooks) {
  std::unique_ptr<DatabaseImpl> db(new DatabaseImpl());
  ASSIGN_OR_RETURN(db->engine_, engine::StorageEngine::Open(path, options, hooks));
  ASSIGN_OR_RETURN(db->catalog_, engine::Catalog::Load(db->engine_.get()));
  db->records_ = std::make_unique<engine::RecordStore>(db->engine_.get());
  db->index_cache_ = std::make_unique<IndexCache>(db->engine_.get());
  db->progress_ = options.progress;
  RETURN_IF_ERROR(db->DropUnfinishedIndexBuilds());
  if (options.ttl_monitor_interval_seconds > 0) {
    db->ttl_monitor_ =
        std::make_unique<TtlMonitor>(db.get(), absl::Seconds(options.ttl_monitor_interval_seconds));
  }
  if (options.auto_analyze) db->stats_refresher_ = std::make_unique<StatsRefresher>(db.get());
  return db;
}

absl::Status DatabaseImpl::Close() {
  ttl_monitor_.reset();      // its pass must finish before anything below goes away
  stats_refresher_.reset();  // cancels and joins a running analysis
  cursors_.KillAll();        // their iterators and snapshots must go before RocksDB closes
  return engine_->Close();
}

absl::StatusOr<InsertResult> DatabaseImpl::Insert(absl::string_view ns,
                                                  const std::vector<DocumentView>& docs,
                                                  bool ordered, bool bypass_validation) {
  absl::ReaderMutexLock ddl(&ddl_mu_);
  ASSIGN_OR_RETURN(engine::CollectionHandle collection, catalog_->FindOrCreate(ns));
  DocumentValidation validation;
  if (!bypass_validation) {
    ASSIGN_OR_RETURN(validation, ValidationOf(*collection));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes, index_cache_->Get(collection));
  InsertResult result;
  size_t begin = 0;
  while (begin < docs.size()) {
    size_t end = begin;
    size_t bytes = 0;
    while (end < docs.size() && end - begin < kMaxDocsPerTransaction &&
           bytes < kMaxBytesPerTransaction) {
      bytes += docs[end].size();
      ++end;
    }
    ASSIGN_OR_RETURN(size_t next,
                     InsertChunk(*indexes, validation, docs, begin, end, ordered, &result));
    if (next < end) break;  // an ordered insert stopped at an error
    begin = end;
  }
  return result;
}

absl::StatusOr<InsertResult> DatabaseImpl::BulkInsert(absl::string_view ns,
                                                      const std::vector<DocumentView>& docs,
                                                      bool ordered, bool bypass_validation) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  {
    absl::WriterMutexLock ddl(&ddl_mu_);
    ASSIGN_OR_RETURN(engine::CollectionHandle collection, catalog_->FindOrCreate(ns));
    if (collection->indexes.empty()) {
      DocumentValidation validation;
      if (!bypass_validation) {
        ASSIGN_OR_RETURN(validation, ValidationOf(*collection));
      }
      InsertResult result;
      rocksdb::WriteBatch batch;
      absl::flat_hash_set<std::string> batch_keys;
      int64_t bytes = 0;
      const rocksdb::ReadOptions read;
      for (size_t i = 0; i < docs.size(); ++i) {
        absl::StatusOr<Document> doc = document::PrepareForStorage(docs[i]);
        absl::Status doc_status = doc.status();
        if (doc_status.ok()) doc_status = validation.Check(doc->view(), std::nullopt);
        bson_iter_t id;
        std::string id_key;
        if (doc_status.ok()) {
          document::FindId(doc->view(), &id);
          id_key = document::EncodeKeyString(id);
          bool duplicate = batch_keys.contains(id_key);
          if (!duplicate) {
            ASSIGN_OR_RETURN(auto existing, records_->Get(engine::Snapshot(engine_->db(), nullptr),
                                                          collection->id, id_key));
            duplicate = existing.has_value();
          }
          if (duplicate) doc_status = DuplicateIdError(collection->ns, id);
        }
        if (!doc_status.ok()) {
          result.errors.push_back(WriteError{static_cast<int64_t>(i), doc_status});
          if (ordered) break;
          continue;
        }
        std::string key = engine::RecordKey(collection->id, id_key);
        RETURN_IF_ERROR(engine::FromRocks(
            batch.Put(engine_->documents(), key,
                      rocksdb::Slice(reinterpret_cast<const char*>(doc->data()), doc->size())),
            "bulk insert"));
        bytes += static_cast<int64_t>(doc->size());
        result.inserted_ids.push_back(IdDocument(id));
        batch_keys.insert(std::move(id_key));
      }
      result.inserted = static_cast<int64_t>(result.inserted_ids.size());
      if (result.inserted > 0) {
        RETURN_IF_ERROR(
            engine::FromRocks(batch.Merge(engine_->catalog(), engine::StatsKey(collection->id),
                                          engine::EncodeStatsDelta(result.inserted, bytes)),
                              "bulk insert"));
        // Atomicity/durability: one WriteBatch (see the header), written while the exclusive
        // DDL lock keeps every other writer out.
        RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "bulk insert"));
        engine_->change_counters().AddWrites(collection->id, result.inserted);
      }
      return result;
    }
  }
  return Insert(ns, docs, ordered, bypass_validation);
}

absl::StatusOr<size_t> DatabaseImpl::InsertChunk(const CollectionIndexes& indexes,
                                                 const DocumentValidation& validation,
                                                 const std::vector<DocumentView>& docs,
                                                 size_t begin, size_t end, bool ordered,
                                                 InsertResult* result) {
  // Validation does not depend on the transaction: do it once, outside the retry loop.
  std::vector<absl::StatusOr<Document>> prepared;
  prepared.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    prepared.push_back(document::PrepareForStorage(docs[i]));
    if (!prepared.back().ok()) continue;
    absl::Status valid = validation.Check(prepared.back()->view(), std::nullopt);
    if (!valid.ok()) prepared.back() = valid;
  }

  std::vector<WriteError> errors;
  std::vector<Document> ids;
  size_t stopped_at = end;
  const engine::CollectionInfo& collection = indexes.collection();
  // Atomicity/durability: the chunk's accepted documents, their index entries and statistics
  // deltas commit as one RocksDB write, fsynced before returning in kDurable mode; a rejected
  // document's writes are rolled back to its savepoint, so it writes nothing.
  absl::Status status =
      engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
        IndexWriter index_writer(&txn, &indexes);
        errors.clear();
        ids.clear();
        stopped_at = end;
        for (size_t i = begin; i < end; ++i) {
          absl::StatusOr<Document>& doc = prepared[i - begin];
          absl::Status doc_status = doc.status();
          bson_iter_t id;
          if (doc_status.ok()) {
            document::FindId(doc->view(), &id);
            std::string id_key = document::EncodeKeyString(id);
            ASSIGN_OR_RETURN(auto existing, records_->GetForUpdate(txn, collection.id, id_key));
            if (existing.has_value()) {
              doc_status = DuplicateIdError(collection.ns, id);
            } else {
              absl::string_view bytes(reinterpret_cast<const char*>(doc->data()), doc->size());
              if (!indexes.empty()) txn.SetSavePoint();
              doc_status = records_->Put(txn, collection.id, id_key, bytes, std::nullopt);
              if (doc_status.ok()) doc_status = index_writer.OnInsert(doc->view(), id_key);
              // System errors (I/O, write conflicts) concern the whole transaction; errors of
              // this document (duplicate key, unindexable) undo just its writes.
              if (!doc_status.ok() &&
                  (!HasMongoCode(doc_status) || engine::IsRetryableWriteError(doc_status))) {
                return doc_status;
              }
              if (!indexes.empty()) {
                RETURN_IF_ERROR(doc_status.ok() ? txn.PopSavePoint() : txn.RollbackToSavePoint());
              }
              if (doc_status.ok()) ids.push_back(IdDocument(id));
            }
          }
          if (!doc_status.ok()) {
            errors.push_back(WriteError{static_cast<int64_t>(i), doc_status});
            if (ordered) {
              stopped_at = i;
              break;
            }
          }
        }
        return absl::OkStatus();
      });
  RETURN_IF_ERROR(status);
  result->inserted += static_cast<int64_t>(ids.size());
  for (Document& id : ids) result->inserted_ids.push_back(std::move(id));
  for (WriteError& error : errors) result->errors.push_back(std::move(error));
  return stopped_at;
}

absl::StatusOr<std::unique_ptr<QueryExecution>> DatabaseImpl::Query(absl::string_view ns,
                                                                    QuerySpec spec) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  return PlanQuery(catalog_->Find(ns), std::move(spec));
}

absl::StatusOr<std::unique_ptr<QueryExecution>> DatabaseImpl::PlanQuery(
    engine::CollectionHandle collection, QuerySpec spec) {
  std::vector<query::planner::IndexInfo> indexes;
  std::shared_ptr<const CollectionIndexes> compiled;
  // An `_id` point read never looks at secondary indexes: skip reading their statistics
  // (measured by `strata bench`: that read was three quarters of a point read's instructions).
  if (collection != nullptr && !collection->indexes.empty() &&
      !QueryExecution::IsUnhintedIdPointRead(spec)) {
    ASSIGN_OR_RETURN(compiled, index_cache_->Get(collection));
    bool wants_analysis = false;
    ASSIGN_OR_RETURN(indexes, PlannerIndexes(*compiled, *engine_, &wants_analysis));
    if (wants_analysis && stats_refresher_ != nullptr) stats_refresher_->Request(collection->id);
  }
  // The execution's planner may use the plan cache only during Create, while `compiled`
  // keeps it alive.
  return QueryExecution::Create(*engine_, std::move(collection), std::move(spec),
                                std::move(indexes),
                                compiled != nullptr ? &compiled->plan_cache() : nullptr);
}

namespace {

absl::StatusOr<query::update::UpdatePlan> ParseUpdate(const UpdateSpec& spec) {
  query::update::UpdateParseOptions options;
  for (const Document& filter : spec.array_filters) options.array_filters.push_back(filter.view());
  options.predicate_factory = &CompileUpdatePredicate;
  if (spec.pipeline) {
    ASSIGN_OR_RETURN(options.pipeline, MakePipelineUpdate(spec.update.view()));
  }
  return query::update::UpdatePlan::Parse(spec.update.view(), options);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DatabaseImpl::MatchingIdKeys(
    engine::CollectionHandle collection, DocumentView filter, int64_t limit, DocumentView sort) {
  QuerySpec spec;
  spec.filter = Document::Copy(filter);
  spec.sort = Document::Copy(sort);
  spec.limit = limit;
  ASSIGN_OR_RETURN(auto execution, PlanQuery(std::move(collection), std::move(spec)));
  std::vector<std::string> keys;
  while (true) {
    ASSIGN_OR_RETURN(auto next, execution->Next());
    if (!next.has_value()) break;
    bson_iter_t id;
    if (!document::FindId(ViewOf(*next), &id)) {
      return absl::DataLossError("a stored document has no _id");
    }
    keys.push_back(document::EncodeKeyString(id));
  }
  return keys;
}

absl::StatusOr<int64_t> DatabaseImpl::Delete(absl::string_view ns, DocumentView filter,
                                             int64_t limit) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(auto parsed_filter, ParseQueryFilter(filter));
  absl::ReaderMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) return 0;
  // Candidates come from a snapshot; each is re-read under its row lock and re-checked
  // against the filter before it is removed, so concurrent changes are judged on their
  // current state.
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes, index_cache_->Get(collection));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, MatchingIdKeys(collection, filter, limit));
  return RemoveRecords(*indexes, keys,
                       [&](DocumentView doc) { return parsed_filter->Matches(doc); });
}

absl::StatusOr<int64_t> DatabaseImpl::RemoveRecords(
    const CollectionIndexes& indexes, const std::vector<std::string>& keys,
    absl::FunctionRef<bool(DocumentView)> still_matches) {
  const engine::CollectionInfo& collection = indexes.collection();
  int64_t deleted = 0;
  for (size_t begin = 0; begin < keys.size(); begin += kMaxDeletesPerTransaction) {
    size_t end = std::min(keys.size(), begin + static_cast<size_t>(kMaxDeletesPerTransaction));
    int64_t chunk_deleted = 0;
    // Atomicity/durability: each chunk of removals (records, index entries, statistics) is
    // one RocksDB write, fsynced before acknowledgement in kDurable mode.
    RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
      IndexWriter index_writer(&txn, &indexes);
      chunk_deleted = 0;
      for (size_t i = begin; i < end; ++i) {
        ASSIGN_OR_RETURN(auto current, records_->GetForUpdate(txn, collection.id, keys[i]));
        if (!current.has_value() || !still_matches(ViewOf(*current))) continue;
        RETURN_IF_ERROR(index_writer.OnDelete(ViewOf(*current), keys[i]));
        RETURN_IF_ERROR(records_->Remove(txn, collection.id, keys[i], current->size()));
        ++chunk_deleted;
      }
      return absl::OkStatus();
    }));
    deleted += chunk_deleted;
  }
  return deleted;
}

absl::StatusOr<bool> DatabaseImpl::UpdateOneRecord(const CollectionIndexes& indexes,
                                                   const std::string& key,
                                                   const query::match::MatchExpression& filter,
                                                   const query::update::UpdatePlan& plan,
                                                   const DocumentValidation& validation,
                                                   bool return_images, UpdateResult* result) {
  bool matched = false;
  bool modified = false;
  std::optional<Document> before, after;
  const engine::CollectionInfo& collection = indexes.collection();
  // Atomicity/durability: the new version, its index entry changes and its statistics delta
  // are one RocksDB write, fsynced before acknowledgement in kDurable mode. The row lock taken
  // by GetForUpdate makes the read-modify-write atomic: concurrent updates of one document
  // never lose a write.
  RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
    matched = modified = false;
    before.reset();
    after.reset();
    ASSIGN_OR_RETURN(auto current, records_->GetForUpdate(txn, collection.id, key));
    if (!current.has_value()) return absl::OkStatus();
    DocumentView old_doc = ViewOf(*current);
    query::match::MatchDetails details;
    if (plan.uses_positional()) details.RequestElemMatchKey();
    if (!filter.Matches(old_doc, &details)) return absl::OkStatus();
    matched = true;
    if (return_images) {
      before = Document::Copy(old_doc);
      after = Document::Copy(old_doc);
    }
    query::update::ApplyContext context;
    if (details.has_elem_match_key()) {
      size_t index = 0;
      if (absl::SimpleAtoi(details.elem_match_key(), &index)) context.positional_index = index;
    }
    ASSIGN_OR_RETURN(query::update::UpdateOutcome outcome, plan.Apply(old_doc, context));
    if (!outcome.modified) return absl::OkStatus();
    // The result must still be a storable document with the same `_id`.
    bson_iter_t old_id;
    document::FindId(old_doc, &old_id);
    ASSIGN_OR_RETURN(Document stored, document::PrepareReplacement(outcome.result.view(), old_id));
    bson_iter_t new_id;
    document::FindId(stored.view(), &new_id);
    if (document::EncodeKeyString(new_id) != key) {
      return MongoError(ErrorCode::kImmutableField,
                        absl::StrCat("After applying the update, the (immutable) field '_id' "
                                     "was found to have been altered to ",
                                     IdJson(new_id)));
    }
    if (stored.view().BytesEqual(old_doc)) return absl::OkStatus();
    RETURN_IF_ERROR(validation.Check(stored.view(), old_doc));
    modified = true;
    if (return_images) after = stored.Clone();
    IndexWriter index_writer(&txn, &indexes);
    RETURN_IF_ERROR(index_writer.OnUpdate(old_doc, stored.view(), key));
    return records_->Put(
        txn, collection.id, key,
        absl::string_view(reinterpret_cast<const char*>(stored.data()), stored.size()),
        current->size());
  }));
  if (matched) ++result->matched;
  if (modified) ++result->modified;
  if (matched && return_images) {
    result->before = std::move(before);
    result->after = std::move(after);
  }
  return matched;
}

absl::Status DatabaseImpl::Upsert(const CollectionIndexes& indexes, const UpdateSpec& spec,
                                  const query::update::UpdatePlan& plan,
                                  const DocumentValidation& validation, UpdateResult* result) {
  // The new document: the query's equality fields, then the update (or the replacement with
  // the query's `_id`), as MongoDB builds it.
  ASSIGN_OR_RETURN(Document seed, query::update::BuildUpsertSeed(spec.filter.view()));
  Document built;
  if (plan.is_replacement()) {
    bson_iter_t seed_id;
    if (bson_iter_init_find(&seed_id, seed.bson(), "_id")) {
      ASSIGN_OR_RETURN(built, document::PrepareReplacement(spec.update.view(), seed_id));
    } else {
      built = spec.update.Clone();
    }
  } else {
    query::update::ApplyContext context;
    context.is_upsert_insert = true;
    ASSIGN_OR_RETURN(query::update::UpdateOutcome outcome, plan.Apply(seed.view(), context));
    built = std::move(outcome.result);
  }
  ASSIGN_OR_RETURN(Document stored, document::PrepareForStorage(built.view()));
  RETURN_IF_ERROR(validation.Check(stored.view(), std::nullopt));
  bson_iter_t id;
  document::FindId(stored.view(), &id);
  std::string key = document::EncodeKeyString(id);
  const engine::CollectionInfo& collection = indexes.collection();
  // Atomicity/durability: the document, its index entries and statistics delta are one
  // RocksDB write, fsynced in kDurable mode.
  RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
    ASSIGN_OR_RETURN(auto existing, records_->GetForUpdate(txn, collection.id, key));
    if (existing.has_value()) return DuplicateIdError(collection.ns, id);
    IndexWriter index_writer(&txn, &indexes);
    RETURN_IF_ERROR(index_writer.OnInsert(stored.view(), key));
    return records_->Put(
        txn, collection.id, key,
        absl::string_view(reinterpret_cast<const char*>(stored.data()), stored.size()),
        std::nullopt);
  }));
  result->upserted_id = IdDocument(id);
  if (spec.return_images) result->after = std::move(stored);
  return absl::OkStatus();
}

absl::StatusOr<UpdateResult> DatabaseImpl::Update(absl::string_view ns, const UpdateSpec& spec) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(auto filter, ParseQueryFilter(spec.filter.view()));
  ASSIGN_OR_RETURN(query::update::UpdatePlan plan, ParseUpdate(spec));
  if (spec.multi && plan.is_replacement()) {
    return MongoError(ErrorCode::kFailedToParse,
                      "multi update is not supported for replacement-style update");
  }
  absl::ReaderMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection;
  if (spec.upsert) {
    ASSIGN_OR_RETURN(collection, catalog_->FindOrCreate(ns));
  } else {
    collection = catalog_->Find(ns);
  }
  UpdateResult result;
  if (collection == nullptr) return result;
  DocumentValidation validation;
  if (!spec.bypass_validation) {
    ASSIGN_OR_RETURN(validation, ValidationOf(*collection));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes, index_cache_->Get(collection));
  // Candidates from a snapshot, each updated at most once (so a multi update never sees its
  // own output), re-checked under its row lock. A single update that finds its candidate
  // changed so it no longer matches looks again, a few times, before reporting no match.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> keys,
        MatchingIdKeys(collection, spec.filter.view(), spec.multi ? 0 : 1, spec.sort.view()));
    if (keys.empty()) break;
    bool any = false;
    for (const std::string& key : keys) {
      ASSIGN_OR_RETURN(bool matched, UpdateOneRecord(*indexes, key, *filter, plan, validation,
                                                     spec.return_images, &result));
      any = any || matched;
    }
    if (any || spec.multi) break;
  }
  if (result.matched == 0 && spec.upsert)
    RETURN_IF_ERROR(Upsert(*indexes, spec, plan, validation, &result));
  return result;
}

absl::StatusOr<FindAndRemoveResult> DatabaseImpl::FindAndRemove(absl::string_view ns,
                                                                DocumentView filter,
                                                                DocumentView sort) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(auto parsed_filter, ParseQueryFilter(filter));
  absl::ReaderMutexLock ddl(&ddl_mu_);
  FindAndRemoveResult result;
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) return result;
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes, index_cache_->Get(collection));
  // The first match on a snapshot, removed under its row lock if it still matches; if a
  // concurrent writer changed it first, look again.
  for (int attempt = 0; attempt < 5 && !result.removed.has_value(); ++attempt) {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, MatchingIdKeys(collection, filter, 1, sort));
    if (keys.empty()) break;
    // Atomicity/durability: one RocksDB write (record, index entries, statistics), fsynced
    // in kDurable mode.
    RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
      result.removed.reset();
      ASSIGN_OR_RETURN(auto current, records_->GetForUpdate(txn, collection->id, keys[0]));
      if (!current.has_value() || !parsed_filter->Matches(ViewOf(*current))) {
        return absl::OkStatus();
      }
      IndexWriter index_writer(&txn, indexes.get());
      RETURN_IF_ERROR(index_writer.OnDelete(ViewOf(*current), keys[0]));
      RETURN_IF_ERROR(records_->Remove(txn, collection->id, keys[0], current->size()));
      result.removed = Document::Copy(ViewOf(*current));
      return absl::OkStatus();
    }));
  }
  return result;
}

absl::StatusOr<Document> DatabaseImpl::Distinct(absl::string_view ns, absl::string_view key,
                                                DocumentView filter) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  if (key.empty()) {
    return MongoError(static_cast<ErrorCode>(40352),
                      "FieldPath cannot be constructed with empty string");
  }
  if (key[0] == '$') {
    return MongoError(static_cast<ErrorCode>(16410),
                      absl::StrCat("FieldPath field names may not start with '$'. Consider using "
                                   "$getField or $setField."));
  }
  QuerySpec spec;
  spec.filter = Document::Copy(filter);
  ASSIGN_OR_RETURN(auto execution, PlanQuery(catalog_->Find(ns), std::move(spec)));
  query::sort::DistinctSet values;
  while (true) {
    ASSIGN_OR_RETURN(auto next, execution->Next());
    if (!next.has_value()) break;
    RETURN_IF_ERROR(query::sort::CollectDistinctValues(ViewOf(*next), key, &values));
  }
  return values.ToArrayDocument();
}

absl::StatusOr<int64_t> DatabaseImpl::Count(absl::string_view ns, DocumentView filter, int64_t skip,
                                            int64_t limit, query::planner::Hint hint) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (filter.empty() && hint.kind == query::planner::Hint::Kind::kNone) {
    if (collection == nullptr) return 0;
    // Every document: the statistics counter, kept exact inside every write transaction.
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadCollectionStats(*engine_, collection->id));
    int64_t n = std::max<int64_t>(0, stats.count - skip);
    return limit > 0 ? std::min(n, limit) : n;
  }
  QuerySpec spec;
  spec.filter = Document::Copy(filter);
  spec.skip = skip;
  spec.limit = limit;
  spec.hint = std::move(hint);
  spec.count_only = true;
  ASSIGN_OR_RETURN(auto execution, PlanQuery(collection, std::move(spec)));
  int64_t n = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto next, execution->Next());
    if (!next.has_value()) break;
    ++n;
  }
  return n;
}

absl::StatusOr<DocumentValidation> DatabaseImpl::ValidationOf(
    const engine::CollectionInfo& collection) {
  return DocumentValidation::FromOptions(collection.options.view());
}

absl::Status DatabaseImpl::CreateCollection(absl::string_view ns, DocumentView options) {
  RETURN_IF_ERROR(DocumentValidation::CheckOptions(options));
  return catalog_->Create(ns, options).status();
}

absl::Status DatabaseImpl::ModifyCollection(absl::string_view ns, DocumentView changes) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  // Exclusive: writes in flight finish under the old rules, later ones see the new ones.
  absl::WriterMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound, "ns does not exist");
  }
  // The new options: the old ones with the changed fields replaced.
  Document merged;
  bson_iter_t it;
  bson_iter_init(&it, collection->options.bson());
  bson_t changes_bson;
  changes.AsBson(&changes_bson);
  while (bson_iter_next(&it)) {
    bson_iter_t changed;
    if (bson_iter_init_find(&changed, &changes_bson, bson_iter_key(&it))) continue;
    bson_append_iter(merged.mutable_bson(), bson_iter_key(&it), -1, &it);
  }
  bson_iter_init(&it, &changes_bson);
  while (bson_iter_next(&it)) bson_append_iter(merged.mutable_bson(), bson_iter_key(&it), -1, &it);
  RETURN_IF_ERROR(DocumentValidation::CheckOptions(merged.view()));
  return catalog_->SetOptions(ns, merged.view()).status();
}

absl::Status DatabaseImpl::DropCollection(absl::string_view ns) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  absl::WriterMutexLock ddl(&ddl_mu_);
  RETURN_IF_ERROR(catalog_->Drop(ns));
  cursors_.KillNamespace(ns);
  return absl::OkStatus();
}

absl::Status DatabaseImpl::RenameCollection(absl::string_view from, absl::string_view to,
                                            bool drop_target) {
  RETURN_IF_ERROR(engine::ValidateNamespace(from));
  absl::WriterMutexLock ddl(&ddl_mu_);
  RETURN_IF_ERROR(catalog_->Rename(from, to, drop_target));
  cursors_.KillNamespace(from);
  cursors_.KillNamespace(to);
  return absl::OkStatus();
}

absl::Status DatabaseImpl::DropDatabase(absl::string_view db_name) {
  absl::WriterMutexLock ddl(&ddl_mu_);
  for (const engine::CollectionHandle& collection : catalog_->List(db_name)) {
    RETURN_IF_ERROR(catalog_->Drop(collection->ns));
  }
  cursors_.KillDatabase(db_name);
  return absl::OkStatus();
}

}  // namespace strata::db
