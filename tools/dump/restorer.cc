#include "tools/dump/restorer.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "db/command_dispatcher.h"
#include "tools/dump/archive.h"
#include "tools/dump/bson_stream.h"
#include "tools/dump/dumper.h"
#include "tools/dump/metadata.h"
#include "tools/dump/namespace_rules.h"

namespace strata::tools::dump {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxReportedErrors = 10;  // per collection; the rest are only counted

bool ReplyOk(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0;
}

std::string ReplyError(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "errmsg") && BSON_ITER_HOLDS_UTF8(&it)) {
    return bson_iter_utf8(&it, nullptr);
  }
  return reply.ToJson();
}

// The index spec as createIndexes takes it: the legacy "ns" field removed.
Document IndexRequest(DocumentView spec) {
  Document out;
  bson_t b;
  spec.AsBson(&b);
  bson_iter_t it;
  bson_iter_init(&it, &b);
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == "ns") continue;
    bson_append_iter(out.mutable_bson(), bson_iter_key(&it), -1, &it);
  }
  return out;
}

bool IsIdIndex(DocumentView spec) {
  bson_t b;
  bson_iter_t it;
  return spec.AsBson(&b) && bson_iter_init_find(&it, &b, "name") && BSON_ITER_HOLDS_UTF8(&it) &&
         absl::string_view(bson_iter_utf8(&it, nullptr)) == "_id_";
}

// Loads one collection: options, documents in batches, then indexes.
class CollectionLoader {
 public:
  CollectionLoader(db::DatabaseImpl& db, const RestoreOptions& options, Progress& progress,
                   CollectionRestoreResult* result)
      : db_(db), options_(options), progress_(progress), result_(result) {}

  // Drops (--drop) and creates the collection with the dump's options. An error here skips
  // the collection.
  absl::Status Prepare(const CollectionMetadata& metadata, int64_t expected_bytes) {
    if (options_.drop && db_.catalog().Find(result_->ns) != nullptr) {
      RETURN_IF_ERROR(db_.DropCollection(result_->ns));
    }
    size_t dot = result_->ns.find('.');
    std::string db_name = result_->ns.substr(0, dot);
    std::string collection = result_->ns.substr(dot + 1);
    if (db_.catalog().Find(result_->ns) == nullptr) {
      // Through the create command: the same checks and errors as a user's create.
      Document command;
      bson_t* c = command.mutable_bson();
      bson_append_utf8(c, "create", 6, collection.data(), static_cast<int>(collection.size()));
      if (!options_.no_options_restore) {
        bson_iter_t it;
        bson_iter_init(&it, metadata.options.bson());
        while (bson_iter_next(&it)) bson_append_iter(c, bson_iter_key(&it), -1, &it);
      }
      Document reply = db::Dispatch(db_, command.view(), db_name);
      if (!ReplyOk(reply)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot create ", result_->ns, " with the dump's options: ", ReplyError(reply)));
      }
    }
    for (const Document& spec : metadata.indexes) {
      if (!IsIdIndex(spec.view())) indexes_.push_back(IndexRequest(spec.view()));
    }
    progress_.Begin(result_->ns, 0, expected_bytes);
    return absl::OkStatus();
  }

  // Queues a document (copied); inserts the batch when it is full.
  absl::Status Add(DocumentView doc) {
    offsets_.push_back(arena_.size());
    arena_.append(reinterpret_cast<const char*>(doc.data()), doc.size());
    if (offsets_.size() >= options_.batch_documents || arena_.size() >= options_.batch_bytes) {
      return Flush();
    }
    return absl::OkStatus();
  }

  absl::Status Flush() {
    std::vector<DocumentView> docs;
    docs.reserve(offsets_.size());
    for (size_t i = 0; i < offsets_.size(); ++i) {
      size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : arena_.size();
      docs.emplace_back(reinterpret_cast<const uint8_t*>(arena_.data() + offsets_[i]),
                        end - offsets_[i]);
    }
    absl::Status status = InsertAll(docs);
    // Each batch is one atomic write per document group (db::BulkInsert); a kill here leaves
    // whole batches and no index half built (indexes are built after the documents).
    MaybeKill("restore.after_batch");
    arena_.clear();
    offsets_.clear();
    return status;
  }

  // Inserts what is queued and builds the indexes.
  absl::Status Finish() {
    RETURN_IF_ERROR(Flush());
    if (!options_.no_index_restore && !indexes_.empty()) BuildIndexes();
    std::string summary = absl::StrFormat("restored %s: %d documents (%.1f MB)", result_->ns,
                                          result_->documents, result_->bytes / 1e6);
    if (result_->source_ns != result_->ns) absl::StrAppend(&summary, " from ", result_->source_ns);
    if (result_->failed > 0) absl::StrAppend(&summary, ", ", result_->failed, " failed");
    absl::StrAppend(&summary, ", ", result_->indexes, " indexes");
    progress_.End(summary);
    return absl::OkStatus();
  }

 private:
  // Ordered (--maintainInsertionOrder) or unordered inserts; failures are per document.
  absl::Status InsertAll(const std::vector<DocumentView>& docs) {
    size_t begin = 0;
    while (begin < docs.size()) {
      std::vector<DocumentView> rest(docs.begin() + static_cast<std::ptrdiff_t>(begin), docs.end());
      ASSIGN_OR_RETURN(db::InsertResult inserted,
                       db_.BulkInsert(result_->ns, rest, options_.maintain_insertion_order,
                                      options_.bypass_document_validation));
      size_t next = docs.size();
      int64_t bytes = 0;
      for (const DocumentView& doc : rest) bytes += static_cast<int64_t>(doc.size());
      for (const db::WriteError& error : inserted.errors) {
        bytes -= static_cast<int64_t>(rest[static_cast<size_t>(error.index)].size());
        ++result_->failed;
        if (result_->failed <= kMaxReportedErrors) {
          progress_.Line(absl::StrCat("error: ", result_->ns, ": document ",
                                      documents_seen_ + begin + static_cast<size_t>(error.index),
                                      ": ", error.status.message()));
        }
        if (options_.stop_on_error) {
          return absl::AbortedError(absl::StrCat("stopped on the first error (--stopOnError): ",
                                                 result_->ns, ": ", error.status.message()));
        }
        if (options_.maintain_insertion_order) next = begin + static_cast<size_t>(error.index) + 1;
      }
      if (options_.maintain_insertion_order && next < docs.size()) {
        // An ordered insert stopped at the failed document: what follows it was not attempted.
        for (size_t i = next; i < docs.size(); ++i) bytes -= static_cast<int64_t>(docs[i].size());
      }
      result_->documents += inserted.inserted;
      result_->bytes += bytes;
      progress_.Add(inserted.inserted, bytes);
      begin = next;
    }
    documents_seen_ += docs.size();
    return absl::OkStatus();
  }

  void BuildIndexes() {
    std::vector<DocumentView> specs;
    for (const Document& spec : indexes_) specs.push_back(spec.view());
    auto built = db_.CreateIndexes(result_->ns, specs, /*require_names=*/false);
    if (built.ok()) {
      result_->indexes += built->num_indexes_after - built->num_indexes_before;
      return;
    }
    // One by one, to build those that can be and name those that cannot.
    for (const Document& spec : indexes_) {
      auto one = db_.CreateIndexes(result_->ns, {spec.view()}, /*require_names=*/false);
      if (one.ok()) {
        result_->indexes += one->num_indexes_after - one->num_indexes_before;
      } else {
        std::string error = absl::StrCat("index ", spec.ToJson(), " of ", result_->ns,
                                         " not restored: ", one.status().message());
        progress_.Line("error: " + error);
        result_->errors.push_back(std::move(error));
      }
    }
  }

  db::DatabaseImpl& db_;
  const RestoreOptions& options_;
  Progress& progress_;
  CollectionRestoreResult* result_;
  std::vector<Document> indexes_;
  std::string arena_;            // queued documents, back to back
  std::vector<size_t> offsets_;  // where each starts in arena_
  size_t documents_seen_ = 0;
};

class Restorer {
 public:
  Restorer(db::DatabaseImpl& db, const RestoreOptions& options, Progress& progress,
           NamespaceRules rules)
      : db_(db), options_(options), progress_(progress), rules_(std::move(rules)) {}

  absl::Status RestoreDirectory(const std::string& root);
  absl::Status RestoreArchive(const std::string& path);
  RestoreResult TakeResult() {
    result_.collections.assign(collections_.begin(), collections_.end());
    return std::move(result_);
  }

 private:
  // Whether `ns` of the dump is restored (system collections and the oplog never are).
  bool Wanted(const std::string& db, const std::string& collection) {
    if (db.empty()) {
      progress_.Line(absl::StrCat("skipping ", collection, ": oplog replay is not supported"));
      return false;
    }
    if (absl::StartsWith(collection, "system.")) {
      progress_.Line(absl::StrCat("skipping system collection ", db, ".", collection));
      return false;
    }
    return rules_.Includes(absl::StrCat(db, ".", collection));
  }
  CollectionRestoreResult* NewResult(const std::string& source_ns) {
    collections_.push_back(CollectionRestoreResult{source_ns, rules_.Rename(source_ns)});
    return &collections_.back();  // stable: a deque never moves its elements
  }
  absl::Status RestoreFiles(const std::string& db, const std::string& collection,
                            const std::string& bson_path, const std::string& metadata_path);
  void NoteError(const std::string& error) {
    progress_.Line("error: " + error);
    if (result_.status.ok()) result_.status = absl::FailedPreconditionError(error);
  }

  db::DatabaseImpl& db_;
  const RestoreOptions& options_;
  Progress& progress_;
  NamespaceRules rules_;
  std::deque<CollectionRestoreResult> collections_;
  RestoreResult result_;
};

absl::StatusOr<CollectionMetadata> ReadMetadata(const std::string& path) {
  if (path.empty()) return CollectionMetadata{};
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  auto metadata = ParseMetadataJson(text);
  if (!metadata.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", metadata.status().message()));
  }
  return metadata;
}

absl::Status Restorer::RestoreFiles(const std::string& db, const std::string& collection,
                                    const std::string& bson_path,
                                    const std::string& metadata_path) {
  std::string source_ns = absl::StrCat(db, ".", collection);
  auto metadata = ReadMetadata(metadata_path);
  if (!metadata.ok()) {
    NoteError(std::string(metadata.status().message()));
    return absl::OkStatus();
  }
  CollectionRestoreResult* result = NewResult(source_ns);
  CollectionLoader loader(db_, options_, progress_, result);
  std::error_code ec;
  int64_t size = bson_path.empty() ? 0 : static_cast<int64_t>(fs::file_size(bson_path, ec));
  if (absl::Status prepared = loader.Prepare(*metadata, ec ? 0 : size); !prepared.ok()) {
    NoteError(std::string(prepared.message()));
    return absl::OkStatus();
  }
  if (!bson_path.empty()) {
    Compression compression = absl::EndsWith(bson_path, ".gz")    ? Compression::kGzip
                              : absl::EndsWith(bson_path, ".zst") ? Compression::kZstd
                                                                  : Compression::kNone;
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenSource(bson_path, compression));
    BsonStream stream(std::move(source), bson_path);
    while (true) {
      auto item = stream.Next();
      if (!item.ok()) {
        // Everything complete before the bad document goes in; then the restore stops.
        RETURN_IF_ERROR(loader.Flush());
        (void)loader.Finish();
        return item.status();
      }
      if (*item == BsonStream::Item::kEnd) break;
      RETURN_IF_ERROR(loader.Add(stream.document()));
    }
  }
  return loader.Finish();
}

absl::Status Restorer::RestoreDirectory(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat(root, ": not a directory"));
  }
  std::vector<fs::path> db_dirs;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) {
      db_dirs.push_back(entry.path());
    } else {
      progress_.Line(
          absl::StrCat("skipping ", entry.path().string(), ": not a database directory"));
    }
  }
  std::sort(db_dirs.begin(), db_dirs.end());
  for (const fs::path& dir : db_dirs) {
    const std::string db = dir.filename().string();
    struct Files {
      std::string bson, metadata;
    };
    std::map<std::string, Files> collections;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      bool matched = false;
      if (entry.is_regular_file()) {
        for (absl::string_view suffix : {"", ".gz", ".zst"}) {
          for (bool is_bson : {true, false}) {
            std::string full = absl::StrCat(is_bson ? ".bson" : ".metadata.json", suffix);
            if (!absl::EndsWith(name, full) || name.size() == full.size()) continue;
            auto collection = UnescapeCollectionName(name.substr(0, name.size() - full.size()));
            if (!collection.has_value()) continue;
            (is_bson ? collections[*collection].bson : collections[*collection].metadata) =
                entry.path().string();
            matched = true;
          }
        }
      }
      if (!matched) {
        progress_.Line(absl::StrCat("skipping ", entry.path().string(),
                                    ": not a .bson or .metadata.json file"));
      }
    }
    for (const auto& [collection, files] : collections) {
      if (!Wanted(db, collection)) continue;
      RETURN_IF_ERROR(RestoreFiles(db, collection, files.bson, files.metadata));
    }
  }
  return absl::OkStatus();
}

absl::Status Restorer::RestoreArchive(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   OpenSource(path, Compression::kNone, /*detect=*/true));
  ASSIGN_OR_RETURN(std::unique_ptr<ArchiveReader> reader,
                   ArchiveReader::Open(std::move(source), path == "-" ? "<stdin>" : path));
  // Namespaces of the prelude are created up front; their documents may interleave.
  std::map<std::string, std::unique_ptr<CollectionLoader>> loaders;  // by "db.collection"
  std::map<std::string, bool> skipped;
  for (const ArchivePreludeEntry& entry : reader->prelude()) {
    std::string ns = absl::StrCat(entry.db, ".", entry.collection);
    if (!Wanted(entry.db, entry.collection)) {
      skipped[ns] = true;
      continue;
    }
    auto metadata = ParseMetadataJson(entry.metadata);
    if (!metadata.ok()) {
      NoteError(absl::StrCat(path, ": metadata of ", ns, ": ", metadata.status().message()));
      skipped[ns] = true;
      continue;
    }
    auto loader = std::make_unique<CollectionLoader>(db_, options_, progress_, NewResult(ns));
    if (absl::Status prepared = loader->Prepare(*metadata, entry.size); !prepared.ok()) {
      NoteError(std::string(prepared.message()));
      skipped[ns] = true;
      continue;
    }
    loaders[ns] = std::move(loader);
  }
  while (true) {
    auto event = reader->Next();
    if (!event.ok()) {
      for (auto& [ns, loader] : loaders) RETURN_IF_ERROR(loader->Flush());
      return event.status();
    }
    if (event->kind == ArchiveReader::Event::kEnd) break;
    std::string ns = absl::StrCat(event->db, ".", event->collection);
    if (skipped.count(ns) > 0) continue;
    auto found = loaders.find(ns);
    if (found == loaders.end()) {
      if (event->kind == ArchiveReader::Event::kNamespaceEnd) continue;
      if (!Wanted(event->db, event->collection)) {
        skipped[ns] = true;
        continue;
      }
      // Data for a namespace the prelude did not announce: default options.
      auto loader = std::make_unique<CollectionLoader>(db_, options_, progress_, NewResult(ns));
      RETURN_IF_ERROR(loader->Prepare(CollectionMetadata{}, 0));
      found = loaders.emplace(ns, std::move(loader)).first;
    }
    if (event->kind == ArchiveReader::Event::kDocument) {
      RETURN_IF_ERROR(found->second->Add(event->document));
    } else {
      RETURN_IF_ERROR(found->second->Finish());
      loaders.erase(found);
      skipped[ns] = true;  // finished
    }
  }
  for (auto& [ns, loader] : loaders) RETURN_IF_ERROR(loader->Finish());
  return absl::OkStatus();
}

}  // namespace

RestoreResult Restore(db::DatabaseImpl& db, const RestoreOptions& options, Progress& progress) {
  RestoreResult empty;
  auto rules =
      NamespaceRules::Make(options.ns_include, options.ns_exclude, options.ns_from, options.ns_to);
  if (!rules.ok()) {
    empty.status = rules.status();
    return empty;
  }
  if (options.in_dir.has_value() == options.archive.has_value()) {
    empty.status = absl::InvalidArgumentError("give exactly one of --in DIR and --archive");
    return empty;
  }
  Restorer restorer(db, options, progress, std::move(*rules));
  absl::Status status = options.archive.has_value() ? restorer.RestoreArchive(*options.archive)
                                                    : restorer.RestoreDirectory(*options.in_dir);
  RestoreResult result = restorer.TakeResult();
  for (const CollectionRestoreResult& collection : result.collections) {
    result.documents += collection.documents;
    result.failed += collection.failed;
    if (!collection.errors.empty() && result.status.ok()) {
      result.status = absl::FailedPreconditionError(collection.errors.front());
    }
  }
  if (!status.ok()) result.status = status;
  return result;
}

}  // namespace strata::tools::dump
