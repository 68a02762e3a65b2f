#include "db/validate_collection.h"

#include <bson/bson.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "document/stored_document.h"
#include "document/validate.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "engine/rocks_status.h"
#include "index/index_key_layout.h"
#include "index/key_string_skip.h"

namespace strata::db {
namespace {

// Bookkeeping bytes counted per expected entry on top of its key and value (vector slot,
// string headers), so the budget bounds real memory, not just payload.
constexpr size_t kEntryOverhead = 80;

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

absl::string_view BytesOf(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

void AppendBinary(bson_t* out, const char* key, absl::string_view bytes) {
  bson_append_binary(out, key, -1, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(bytes.data()),
                     static_cast<uint32_t>(bytes.size()));
}

void AppendString(bson_t* out, const char* key, absl::string_view text) {
  bson_append_utf8(out, key, -1, text.data(), static_cast<int>(text.size()));
}

// One entry a valid document implies: the entry's key and value as index_key_layout.h builds
// them, and where the index key ends inside `entry` (to recover the key and the `_id`).
struct ExpectedEntry {
  std::string entry;
  std::string value;
  size_t key_end = 0;  // entry.substr(kIndexIdSize, key_end - kIndexIdSize) is the index key

  bool operator<(const ExpectedEntry& other) const {
    if (entry != other.entry) return entry < other.entry;
    return value < other.value;
  }
};

// (entry, value) order, as the merge needs it.
int CompareEntry(const ExpectedEntry& expected, absl::string_view entry, absl::string_view value) {
  const int by_key = absl::string_view(expected.entry).compare(entry);
  if (by_key != 0) return by_key;
  return absl::string_view(expected.value).compare(value);
}

// The per-index tallies of one validation.
struct IndexTally {
  int64_t entries = 0;  // entries found in the index
  int64_t entry_bytes = 0;
  int64_t missing = 0;
  int64_t extra = 0;
  bool reported_multikey = false;
};

// A list of reported entries capped by BSON size; the first entry always fits.
class EntryList {
 public:
  EntryList(std::vector<Document>* out, size_t cap) : out_(out), cap_(cap) {}
  bool full() const { return full_; }
  // False (and nothing added) once the cap is reached; the caller then reports truncation.
  bool Add(Document entry) {
    if (full_) return false;
    used_ += entry.size();
    if (!out_->empty() && used_ > cap_) {
      full_ = true;
      return false;
    }
    out_->push_back(std::move(entry));
    return true;
  }

 private:
  std::vector<Document>* out_;
  size_t cap_;
  size_t used_ = 0;
  bool full_ = false;
};

// True when every multikey component of `document` is among `index`'s.
bool Covers(const index::MultikeyPaths& index, const index::MultikeyPaths& document) {
  for (size_t part = 0; part < document.size(); ++part) {
    for (size_t component : document[part]) {
      if (part >= index.size() || index[part].count(component) == 0) return false;
    }
  }
  return true;
}

class Validator {
 public:
  Validator(const engine::StorageEngine& engine, const engine::Catalog& catalog,
            const CollectionIndexes& indexes, const ValidateOptions& options)
      : engine_(engine),
        catalog_(catalog),
        indexes_(indexes),
        collection_(indexes.collection()),
        options_(options),
        snapshot_(engine.GetSnapshot()),
        records_(&engine),
        missing_(&result_.missing_index_entries, options.max_reported_bytes),
        extra_(&result_.extra_index_entries, options.max_reported_bytes) {}

  absl::StatusOr<ValidateResult> Run() {
    result_.ns = collection_.ns;
    result_.uuid = collection_.uuid;
    // Read after the snapshot: an index still listed here was not dropped before it (a drop
    // changes the catalog's memory under the lock it commits under), and `indexes_`, compiled
    // before the snapshot, only calls an index ready once its entries were all written.
    const engine::CollectionHandle current = catalog_.Find(collection_.ns);
    RETURN_IF_ERROR(ScanDocuments());
    RETURN_IF_ERROR(CheckCollectionCounters());
    for (const auto& index : indexes_.all()) {
      if (!index->ready()) {
        result_.warnings.push_back(absl::StrCat("Skipping validation of index '", index->name(),
                                                "': its build is not finished."));
        continue;
      }
      if (!StillExists(current, index->id())) {
        result_.warnings.push_back(absl::StrCat("Skipping validation of index '", index->name(),
                                                "': it was dropped during validation."));
        continue;
      }
      RETURN_IF_ERROR(ValidateIndex(*index));
    }
    if (missing_.full()) {
      Error("Not all missing index entry inconsistencies are listed due to size limitations.");
    }
    if (extra_.full()) {
      Error("Not all extra index entry inconsistencies are listed due to size limitations.");
    }
    if (result_.missing_count > 0) {
      result_.warnings.push_back(
          absl::StrCat("Detected ", result_.missing_count, " missing index entries."));
      result_.valid = false;
    }
    if (result_.extra_count > 0) {
      result_.warnings.push_back(
          absl::StrCat("Detected ", result_.extra_count, " extra index entries."));
      result_.valid = false;
    }
    return std::move(result_);
  }

 private:
  bool StillExists(const engine::CollectionHandle& current, index::IndexId id) const {
    if (current == nullptr || current->id != collection_.id) return false;
    return std::any_of(current->indexes.begin(), current->indexes.end(),
                       [&](const engine::IndexEntry& entry) { return entry.id == id; });
  }

  void Error(std::string message) {
    result_.errors.push_back(std::move(message));
    result_.valid = false;
  }

  // Step 1: every record, checked on its own; fills `invalid_ids_`.
  absl::Status ScanDocuments() {
    IndexValidateResult id_index{"_id_", 0, true};
    engine::RecordIterator records(engine_, snapshot_, collection_.id);
    int warned = 0;
    for (records.SeekToFirst(); records.Valid(); records.Next()) {
      ++result_.records;
      data_bytes_ += static_cast<int64_t>(records.value().size());
      absl::Status status = CheckDocument(records.id_key(), records.value(), &id_index.valid);
      if (status.ok()) continue;
      ++result_.invalid_documents;
      invalid_ids_.insert(std::string(records.id_key()));
      result_.corrupt_records.emplace_back(records.id_key());
      if (result_.invalid_documents == 1) {
        Error("Detected one or more invalid documents.");
      }
      if (warned < options_.max_document_warnings) {
        ++warned;
        result_.warnings.push_back(absl::StrCat("Document with RecordId ",
                                                absl::BytesToHexString(records.id_key()),
                                                " is corrupted. Reason: ", status.message()));
      }
    }
    RETURN_IF_ERROR(records.status());
    id_index.keys = result_.records;
    result_.indexes.push_back(std::move(id_index));
    return absl::OkStatus();
  }

  // A stored document: strict BSON, `_id` first, `_id` key string == record key.
  static absl::Status CheckDocument(absl::string_view id_key, absl::string_view bson,
                                    bool* id_index_valid) {
    RETURN_IF_ERROR(document::ValidateBson(ViewOf(bson)));
    bson_iter_t id;
    if (!document::FindId(ViewOf(bson), &id)) {
      *id_index_valid = false;
      return absl::DataLossError("the document has no _id as its first field");
    }
    if (document::EncodeKeyString(id) != id_key) {
      *id_index_valid = false;
      return absl::DataLossError("the document's _id does not match its record id");
    }
    return absl::OkStatus();
  }

  // Step 2.
  absl::Status CheckCollectionCounters() {
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadCollectionStats(engine_, collection_.id, snapshot_.get()));
    if (stats.count != result_.records) {
      Error(absl::StrCat("fast count (", stats.count, ") does not match number of records (",
                         result_.records, ") for collection '", collection_.ns, "'"));
    }
    if (stats.data_bytes != data_bytes_) {
      Error(absl::StrCat("fast count data size (", stats.data_bytes,
                         ") does not match the size of the records (", data_bytes_,
                         ") for collection '", collection_.ns, "'"));
    }
    return absl::OkStatus();
  }

  // The multikey paths committed for `index` at the snapshot (none when no record exists).
  absl::StatusOr<index::MultikeyPaths> PersistedMultikeyPaths(const CompiledIndex& index) {
    std::string record;
    rocksdb::Status s = engine_.db()->Get(snapshot_->ReadOptions(), engine_.catalog(),
                                          engine::MultikeyPathsKey(index.id()), &record);
    if (s.IsNotFound()) return index::MultikeyPaths();
    RETURN_IF_ERROR(engine::FromRocks(s, "reading multikey paths"));
    return DecodeMultikeyPaths(ViewOf(record));
  }

  // Step 3 for one index: runs of documents (see the header), each merged with an index scan.
  absl::Status ValidateIndex(const CompiledIndex& index) {
    IndexTally tally;
    ASSIGN_OR_RETURN(index::MultikeyPaths multikey, PersistedMultikeyPaths(index));
    engine::RecordIterator records(engine_, snapshot_, collection_.id);
    records.SeekToFirst();
    std::string run_start;  // inclusive `_id` key string bound; "" is below every key string
    bool first_run = true;
    std::vector<ExpectedEntry> expected;
    while (true) {
      expected.clear();
      size_t bytes = 0;
      for (; records.Valid() && bytes < options_.memory_budget_bytes; records.Next()) {
        const absl::string_view id_key = records.id_key();
        if (invalid_ids_.contains(id_key)) continue;
        RETURN_IF_ERROR(
            CollectExpected(index, multikey, id_key, records.value(), &tally, &expected, &bytes));
      }
      RETURN_IF_ERROR(records.status());
      std::optional<std::string> run_end;
      if (records.Valid()) run_end = std::string(records.id_key());
      std::sort(expected.begin(), expected.end());
      RETURN_IF_ERROR(CompareRun(index, expected, run_start, run_end, first_run, &tally));
      if (!run_end.has_value()) break;
      run_start = std::move(*run_end);
      first_run = false;
    }
    RETURN_IF_ERROR(CheckIndexCounters(index, tally));
    IndexValidateResult out{index.name(), tally.entries, true};
    if (tally.missing > 0 || tally.extra > 0 || failed_indexes_.contains(index.name())) {
      out.valid = false;
    }
    if (tally.missing > 0 || tally.extra > 0) {
      Error(absl::StrCat("Index with name '", index.name(), "' has inconsistencies."));
    }
    result_.indexes.push_back(std::move(out));
    return absl::OkStatus();
  }

  // Appends the entries the document implies for `index`.
  absl::Status CollectExpected(const CompiledIndex& index, const index::MultikeyPaths& multikey,
                               absl::string_view id_key, absl::string_view bson, IndexTally* tally,
                               std::vector<ExpectedEntry>* expected, size_t* bytes) {
    absl::StatusOr<index::IndexKeys> keys = index.Generate(ViewOf(bson));
    if (!keys.ok()) {
      // The document cannot be indexed: it implies no entry (any it has is extra).
      IndexError(index, absl::StrCat("Document with RecordId ", absl::BytesToHexString(id_key),
                                     " cannot be indexed by '", index.name(),
                                     "': ", keys.status().message()));
      return absl::OkStatus();
    }
    if (!tally->reported_multikey && !Covers(multikey, keys->multikey_paths)) {
      tally->reported_multikey = true;
      IndexError(index, absl::StrCat("Index ", index.name(),
                                     " multikey paths do not cover a document with RecordId ",
                                     absl::BytesToHexString(id_key)));
    }
    for (size_t k = 0; k < keys->keys.size(); ++k) {
      const std::string& key = keys->keys[k];
      ExpectedEntry entry;
      entry.entry = index::IndexEntryKey(index.format(), key, id_key);
      entry.value = index::IndexEntryValue(
          index.format(), id_key,
          k < keys->key_types.size() ? absl::string_view(keys->key_types[k]) : "");
      entry.key_end = index::kIndexIdSize + key.size();
      *bytes += entry.entry.size() + entry.value.size() + kEntryOverhead;
      expected->push_back(std::move(entry));
    }
    return absl::OkStatus();
  }

  void IndexError(const CompiledIndex& index, std::string message) {
    failed_indexes_.insert(index.name());
    Error(std::move(message));
  }

  // Merges the sorted `expected` entries of the documents with `_id` in [run_start, run_end)
  // with the index's entries naming such an `_id`. The first run also counts every entry and
  // reports the malformed ones (each entry is seen by every run; counted once).
  absl::Status CompareRun(const CompiledIndex& index, const std::vector<ExpectedEntry>& expected,
                          absl::string_view run_start, const std::optional<std::string>& run_end,
                          bool first_run, IndexTally* tally) {
    const index::KeyRange range = index::IndexEntryRange(index.id());
    rocksdb::Slice upper(range.limit);
    rocksdb::ReadOptions read_options = snapshot_->ReadOptions();
    read_options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(
        engine_.db()->NewIterator(read_options, engine_.indexes()));
    size_t next = 0;
    for (it->Seek(range.start); it->Valid(); it->Next()) {
      const absl::string_view key = BytesOf(it->key());
      const absl::string_view value = BytesOf(it->value());
      if (first_run) {
        ++tally->entries;
        tally->entry_bytes += static_cast<int64_t>(key.size() + value.size());
      }
      absl::StatusOr<index::IndexEntry> decoded =
          index::DecodeIndexEntry(index.format(), key, value);
      if (!decoded.ok()) {
        if (first_run) RETURN_IF_ERROR(ReportMalformed(index, key, value, tally));
        continue;
      }
      const absl::string_view id_key = decoded->id_key_string;
      if (id_key < run_start || (run_end.has_value() && id_key >= *run_end)) continue;
      while (next < expected.size() && CompareEntry(expected[next], key, value) < 0) {
        RETURN_IF_ERROR(ReportMissing(index, expected[next], tally));
        ++next;
      }
      if (next < expected.size() && CompareEntry(expected[next], key, value) == 0) {
        ++next;
        continue;
      }
      RETURN_IF_ERROR(ReportExtra(index, decoded->key, id_key, tally));
    }
    RETURN_IF_ERROR(engine::FromRocks(it->status(), "validating an index"));
    for (; next < expected.size(); ++next) {
      RETURN_IF_ERROR(ReportMissing(index, expected[next], tally));
    }
    return absl::OkStatus();
  }

  // The stored document with this `_id` key string, or nullopt.
  absl::StatusOr<std::optional<std::string>> Fetch(absl::string_view id_key) {
    return records_.Get(*snapshot_, collection_.id, id_key);
  }

  absl::Status ReportMissing(const CompiledIndex& index, const ExpectedEntry& entry,
                             IndexTally* tally) {
    ++tally->missing;
    ++result_.missing_count;
    if (missing_.full()) return absl::OkStatus();
    const absl::string_view key =
        absl::string_view(entry.entry)
            .substr(index::kIndexIdSize, entry.key_end - index::kIndexIdSize);
    absl::string_view id_key = absl::string_view(entry.entry).substr(entry.key_end);
    if (index.format().unique) {
      ASSIGN_OR_RETURN(id_key, index::UniqueEntryIdKey(index.format(), entry.value));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> doc, Fetch(id_key));
    Document report;
    bson_t* out = report.mutable_bson();
    AppendString(out, "indexName", index.name());
    bson_iter_t id;
    if (doc.has_value() && document::FindId(ViewOf(*doc), &id)) {
      bson_append_iter(out, "recordId", -1, &id);
      bson_t id_doc;
      bson_append_document_begin(out, "idKey", -1, &id_doc);
      bson_append_iter(&id_doc, "_id", 3, &id);
      bson_append_document_end(out, &id_doc);
    } else {
      AppendBinary(out, "recordId", id_key);
    }
    absl::StatusOr<Document> values =
        doc.has_value() ? index.generator().KeyValues(ViewOf(*doc), key, index.partial_filter())
                        : absl::StatusOr<Document>(absl::NotFoundError("no document"));
    if (values.ok()) {
      bson_append_document(out, "indexKey", -1, values->bson());
    } else {
      AppendKeyParts(index, key, out);
    }
    missing_.Add(std::move(report));
    return absl::OkStatus();
  }

  absl::Status ReportExtra(const CompiledIndex& index, absl::string_view key,
                           absl::string_view id_key, IndexTally* tally) {
    ++tally->extra;
    ++result_.extra_count;
    if (extra_.full()) return absl::OkStatus();
    std::optional<std::string> doc;
    if (!invalid_ids_.contains(id_key)) {
      ASSIGN_OR_RETURN(doc, Fetch(id_key));
    }
    Document report;
    bson_t* out = report.mutable_bson();
    AppendString(out, "indexName", index.name());
    bson_iter_t id;
    if (doc.has_value() && document::FindId(ViewOf(*doc), &id)) {
      bson_append_iter(out, "recordId", -1, &id);
    } else {
      AppendBinary(out, "recordId", id_key);
    }
    AppendKeyParts(index, key, out);
    extra_.Add(std::move(report));
    return absl::OkStatus();
  }

  absl::Status ReportMalformed(const CompiledIndex& index, absl::string_view key,
                               absl::string_view value, IndexTally* tally) {
    ++tally->extra;
    ++result_.extra_count;
    if (extra_.full()) return absl::OkStatus();
    Document report;
    bson_t* out = report.mutable_bson();
    AppendString(out, "indexName", index.name());
    AppendBinary(out, "entryKey", key);
    AppendBinary(out, "entryValue", value);
    extra_.Add(std::move(report));
    return absl::OkStatus();
  }

  // indexKey: {<path>: BinData(key-string bytes of that part), …}; bytes that do not parse go
  // whole under the part where parsing stopped.
  static void AppendKeyParts(const CompiledIndex& index, absl::string_view key, bson_t* out) {
    bson_t parts;
    bson_append_document_begin(out, "indexKey", -1, &parts);
    const std::vector<index::KeyPart>& key_parts = index.spec().key_parts();
    for (size_t i = 0; i < key_parts.size() && !key.empty(); ++i) {
      absl::StatusOr<size_t> size = index::KeyStringValueSize(key, key_parts[i].descending);
      const size_t taken = (size.ok() && i + 1 < key_parts.size()) ? *size : key.size();
      AppendBinary(&parts, key_parts[i].path.c_str(), key.substr(0, taken));
      key.remove_prefix(taken);
    }
    bson_append_document_end(out, &parts);
  }

  absl::Status CheckIndexCounters(const CompiledIndex& index, const IndexTally& tally) {
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadIndexStats(engine_, index.id(), snapshot_.get()));
    if (stats.count != tally.entries) {
      IndexError(index, absl::StrCat("index '", index.name(), "' entry counter (", stats.count,
                                     ") does not match the number of entries found (",
                                     tally.entries, ")"));
    }
    if (stats.data_bytes != tally.entry_bytes) {
      IndexError(index, absl::StrCat("index '", index.name(), "' size counter (", stats.data_bytes,
                                     " bytes) does not match the size of the entries found (",
                                     tally.entry_bytes, " bytes)"));
    }
    return absl::OkStatus();
  }

  const engine::StorageEngine& engine_;
  const engine::Catalog& catalog_;
  const CollectionIndexes& indexes_;
  const engine::CollectionInfo& collection_;
  const ValidateOptions options_;
  const std::shared_ptr<engine::Snapshot> snapshot_;
  const engine::RecordStore records_;

  ValidateResult result_;
  EntryList missing_;
  EntryList extra_;
  int64_t data_bytes_ = 0;
  absl::flat_hash_set<std::string> invalid_ids_;     // `_id` key strings of invalid documents
  absl::flat_hash_set<std::string> failed_indexes_;  // names of indexes with other errors
};

}  // namespace

absl::StatusOr<ValidateResult> ValidateCollection(const engine::StorageEngine& engine,
                                                  const engine::Catalog& catalog,
                                                  const CollectionIndexes& indexes,
                                                  const ValidateOptions& options) {
  if (options.memory_budget_bytes == 0) {
    return absl::InvalidArgumentError("validate needs a memory budget above 0 bytes");
  }
  Validator validator(engine, catalog, indexes, options);
  return validator.Run();
}

}  // namespace strata::db
