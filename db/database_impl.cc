#include "db/database_impl.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "document/stored_document.h"
#include "engine/collection_stats.h"
#include "engine/rocks_status.h"
#include "engine/write_transaction.h"

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
  return MongoError(ErrorCode::kDuplicateKey,
                    absl::StrCat("E11000 duplicate key error collection: ", ns,
                                 " index: _id_ dup key: ", IdJson(id)));
}

Document IdDocument(const bson_iter_t& id) {
  Document doc;
  bson_append_iter(doc.mutable_bson(), "_id", 3, &id);
  return doc;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DatabaseImpl>> DatabaseImpl::Open(const std::string& path,
                                                                 const DatabaseOptions& options) {
  std::unique_ptr<DatabaseImpl> db(new DatabaseImpl());
  ASSIGN_OR_RETURN(db->engine_, engine::StorageEngine::Open(path, options));
  ASSIGN_OR_RETURN(db->catalog_, engine::Catalog::Load(db->engine_.get()));
  db->records_ = std::make_unique<engine::RecordStore>(db->engine_.get());
  return db;
}

absl::Status DatabaseImpl::Close() {
  cursors_.KillAll();  // their iterators and snapshots must go before RocksDB closes
  return engine_->Close();
}

absl::StatusOr<InsertResult> DatabaseImpl::Insert(absl::string_view ns,
                                                  const std::vector<DocumentView>& docs,
                                                  bool ordered) {
  absl::ReaderMutexLock ddl(&ddl_mu_);
  ASSIGN_OR_RETURN(engine::CollectionHandle collection, catalog_->FindOrCreate(ns));
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
    ASSIGN_OR_RETURN(size_t next, InsertChunk(*collection, docs, begin, end, ordered, &result));
    if (next < end) break;  // an ordered insert stopped at an error
    begin = end;
  }
  return result;
}

absl::StatusOr<size_t> DatabaseImpl::InsertChunk(const engine::CollectionInfo& collection,
                                                 const std::vector<DocumentView>& docs,
                                                 size_t begin, size_t end, bool ordered,
                                                 InsertResult* result) {
  // Validation does not depend on the transaction: do it once, outside the retry loop.
  std::vector<absl::StatusOr<Document>> prepared;
  prepared.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) prepared.push_back(document::PrepareForStorage(docs[i]));

  std::vector<WriteError> errors;
  std::vector<Document> ids;
  size_t stopped_at = end;
  // Atomicity/durability: the chunk's accepted documents and their statistics deltas commit
  // as one RocksDB write, fsynced before returning in kDurable mode; rejected ones write nothing.
  absl::Status status =
      engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
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
              RETURN_IF_ERROR(records_->Put(txn, collection.id, id_key, bytes, std::nullopt));
              ids.push_back(IdDocument(id));
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
                                                                    DocumentView filter,
                                                                    int64_t skip, int64_t limit) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(IdFilter parsed, IdFilter::Parse(filter));
  return std::make_unique<QueryExecution>(*engine_, catalog_->Find(ns), std::move(parsed), skip,
                                          limit);
}

absl::StatusOr<int64_t> DatabaseImpl::Delete(absl::string_view ns, DocumentView filter,
                                             int64_t limit) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(IdFilter parsed, IdFilter::Parse(filter));
  absl::ReaderMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) return 0;
  // Candidates come from a snapshot; each is re-read under its row lock before it is removed,
  // so a document deleted or replaced meanwhile is handled on its current state.
  QueryExecution candidates(*engine_, collection, std::move(parsed), 0, limit);
  int64_t deleted = 0;
  bool done = false;
  while (!done) {
    std::vector<std::string> keys;
    while (static_cast<int64_t>(keys.size()) < kMaxDeletesPerTransaction) {
      ASSIGN_OR_RETURN(auto next, candidates.Next());
      if (!next.has_value()) {
        done = true;
        break;
      }
      bson_iter_t id;
      if (!document::FindId(
              DocumentView(reinterpret_cast<const uint8_t*>(next->data()), next->size()), &id)) {
        return absl::DataLossError(absl::StrCat("stored document without _id in ", ns));
      }
      keys.push_back(document::EncodeKeyString(id));
    }
    int64_t chunk_deleted = 0;
    // Atomicity/durability: each chunk of removals (records + statistics) is one RocksDB
    // write, fsynced before acknowledgement in kDurable mode.
    RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
      chunk_deleted = 0;
      for (const std::string& key : keys) {
        ASSIGN_OR_RETURN(auto current, records_->GetForUpdate(txn, collection->id, key));
        if (!current.has_value()) continue;  // deleted concurrently
        RETURN_IF_ERROR(records_->Remove(txn, collection->id, key, current->size()));
        ++chunk_deleted;
      }
      return absl::OkStatus();
    }));
    deleted += chunk_deleted;
  }
  return deleted;
}

absl::StatusOr<ReplaceResult> DatabaseImpl::Replace(absl::string_view ns, DocumentView filter,
                                                    DocumentView replacement, bool upsert) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(IdFilter parsed, IdFilter::Parse(filter));
  Document id_document = parsed.id_document.Clone();
  absl::ReaderMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection =
      upsert ? catalog_->FindOrCreate(ns).value_or(nullptr) : catalog_->Find(ns);
  if (collection == nullptr) {
    if (upsert) RETURN_IF_ERROR(catalog_->FindOrCreate(ns).status());
    return ReplaceResult{};
  }
  // The target: the first matching document on a snapshot, re-read under its row lock.
  std::optional<std::string> target_key;
  {
    QueryExecution candidates(*engine_, collection, std::move(parsed), 0, 1);
    ASSIGN_OR_RETURN(auto first, candidates.Next());
    if (first.has_value()) {
      bson_iter_t id;
      document::FindId(DocumentView(reinterpret_cast<const uint8_t*>(first->data()), first->size()),
                       &id);
      target_key = document::EncodeKeyString(id);
    }
  }
  ReplaceResult result;
  // Atomicity/durability: the new version and its statistics delta are one RocksDB write,
  // fsynced before acknowledgement in kDurable mode.
  RETURN_IF_ERROR(engine::RunWriteTransaction(engine_.get(), [&](engine::WriteTransaction& txn) {
    result = ReplaceResult{};
    std::optional<std::string> current;
    if (target_key.has_value()) {
      ASSIGN_OR_RETURN(current, records_->GetForUpdate(txn, collection->id, *target_key));
    }
    if (current.has_value()) {
      DocumentView old_doc(reinterpret_cast<const uint8_t*>(current->data()), current->size());
      bson_iter_t old_id;
      document::FindId(old_doc, &old_id);
      ASSIGN_OR_RETURN(Document new_doc, document::PrepareReplacement(replacement, old_id));
      bson_iter_t new_id;
      document::FindId(new_doc.view(), &new_id);
      if (document::EncodeKeyString(new_id) != *target_key) {
        return MongoError(ErrorCode::kImmutableField,
                          absl::StrCat("After applying the update, the (immutable) field '_id' "
                                       "was found to have been altered to ",
                                       IdJson(new_id)));
      }
      result.matched = 1;
      if (new_doc.view().BytesEqual(old_doc)) return absl::OkStatus();
      result.modified = 1;
      return records_->Put(
          txn, collection->id, *target_key,
          absl::string_view(reinterpret_cast<const char*>(new_doc.data()), new_doc.size()),
          current->size());
    }
    if (!upsert) return absl::OkStatus();
    // Upsert: the `_id` comes from the replacement, else from the filter's equality, else new.
    bson_iter_t filter_id;
    bool has_filter_id = bson_iter_init_find(&filter_id, id_document.bson(), "_id");
    absl::StatusOr<Document> new_doc = has_filter_id
                                           ? document::PrepareReplacement(replacement, filter_id)
                                           : document::PrepareForStorage(replacement);
    RETURN_IF_ERROR(new_doc.status());
    bson_iter_t new_id;
    document::FindId(new_doc->view(), &new_id);
    std::string key = document::EncodeKeyString(new_id);
    ASSIGN_OR_RETURN(auto existing, records_->GetForUpdate(txn, collection->id, key));
    if (existing.has_value()) return DuplicateIdError(ns, new_id);
    result.upserted_id = IdDocument(new_id);
    return records_->Put(
        txn, collection->id, key,
        absl::string_view(reinterpret_cast<const char*>(new_doc->data()), new_doc->size()),
        std::nullopt);
  }));
  return result;
}

absl::StatusOr<int64_t> DatabaseImpl::Count(absl::string_view ns, DocumentView filter, int64_t skip,
                                            int64_t limit) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(IdFilter parsed, IdFilter::Parse(filter));
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) return 0;
  if (!parsed.id_key.has_value()) {
    // Every document: the statistics counter, kept exact inside every write transaction.
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadCollectionStats(*engine_, collection->id));
    int64_t n = std::max<int64_t>(0, stats.count - skip);
    return limit > 0 ? std::min(n, limit) : n;
  }
  QueryExecution execution(*engine_, collection, std::move(parsed), skip, limit);
  int64_t n = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto next, execution.Next());
    if (!next.has_value()) break;
    ++n;
  }
  return n;
}

absl::Status DatabaseImpl::DropCollection(absl::string_view ns) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  absl::WriterMutexLock ddl(&ddl_mu_);
  return catalog_->Drop(ns);
}

absl::Status DatabaseImpl::RenameCollection(absl::string_view from, absl::string_view to,
                                            bool drop_target) {
  RETURN_IF_ERROR(engine::ValidateNamespace(from));
  absl::WriterMutexLock ddl(&ddl_mu_);
  return catalog_->Rename(from, to, drop_target);
}

absl::Status DatabaseImpl::DropDatabase(absl::string_view db_name) {
  absl::WriterMutexLock ddl(&ddl_mu_);
  for (const engine::CollectionHandle& collection : catalog_->List(db_name)) {
    RETURN_IF_ERROR(catalog_->Drop(collection->ns));
  }
  return absl::OkStatus();
}

}  // namespace strata::db
