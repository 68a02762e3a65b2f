#include "db/analyze_collection.h"

#include <bson/bson.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "engine/rocks_status.h"
#include "index/key_string_skip.h"
#include "query/exec/index_cursor.h"

namespace strata::db {

using query::exec::IndexCursor;
namespace {

constexpr int32_t kAnalysisVersion = 1;

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("unreadable index analysis record: ", what));
}

// A bucket being built, with the entry that will give its readable upper value.
struct BucketBuilder {
  HistogramBucket bucket;
  std::string upper_key;     // the full index key of an entry with the upper value
  std::string upper_id_key;  // and its `_id` key string
};

// Halves the number of buckets by merging neighbours (a lone last bucket stays as it is).
void MergePairs(std::vector<BucketBuilder>* buckets) {
  std::vector<BucketBuilder> merged;
  merged.reserve(buckets->size() / 2 + 1);
  for (size_t i = 0; i < buckets->size(); i += 2) {
    if (i + 1 == buckets->size()) {
      merged.push_back(std::move((*buckets)[i]));
      break;
    }
    BucketBuilder& low = (*buckets)[i];
    BucketBuilder& high = (*buckets)[i + 1];
    high.bucket.count += low.bucket.count;
    high.bucket.distinct += low.bucket.distinct;
    merged.push_back(std::move(high));
  }
  *buckets = std::move(merged);
}

// {v: <first value of `key_values`>}, or nullopt when it has none.
std::optional<Document> FirstValue(DocumentView key_values) {
  bson_t bson;
  bson_iter_t it;
  if (!key_values.AsBson(&bson) || !bson_iter_init(&it, &bson) || !bson_iter_next(&it)) {
    return std::nullopt;
  }
  Document value;
  bson_append_iter(value.mutable_bson(), "v", 1, &it);
  return value;
}

// One index, on `snapshot`.
absl::StatusOr<IndexAnalysis> AnalyzeIndex(const engine::StorageEngine& engine,
                                           const std::shared_ptr<engine::Snapshot>& snapshot,
                                           const engine::CollectionInfo& collection,
                                           const CompiledIndex& index, int max_buckets,
                                           const std::atomic<bool>* cancel) {
  IndexAnalysis analysis;
  analysis.index_name = index.name();
  analysis.key_pattern = Document::Copy(index.spec().key_pattern());
  analysis.leading_field = index.spec().key_parts().front().path;
  analysis.leading_descending = index.spec().key_parts().front().descending;
  analysis.analyzed_at = absl::Now();

  // The counter is exact in a healthy database; it only sets the target depth.
  ASSIGN_OR_RETURN(engine::CollectionStats counters,
                   engine::ReadIndexStats(engine, index.id(), snapshot.get()));
  int64_t depth = std::max<int64_t>(1, (counters.count + max_buckets - 1) / max_buckets);

  ASSIGN_OR_RETURN(std::unique_ptr<IndexCursor> cursor,
                   IndexCursor::FullScan(engine, snapshot, index.format(), /*backward=*/false));
  std::vector<BucketBuilder> buckets;
  BucketBuilder open;
  // The group of entries sharing the current leading value.
  std::string group_leading;
  std::string group_key;
  std::string group_id_key;
  int64_t group_count = 0;

  auto close_group = [&] {
    ++analysis.distinct;
    open.bucket.count += group_count;
    open.bucket.distinct += 1;
    open.bucket.upper = group_leading;
    open.bucket.upper_count = group_count;
    open.upper_key = group_key;
    open.upper_id_key = group_id_key;
    if (open.bucket.count >= depth) {
      buckets.push_back(std::move(open));
      open = BucketBuilder();
      if (buckets.size() >= 2 * static_cast<size_t>(max_buckets)) {
        MergePairs(&buckets);
        depth *= 2;
      }
    }
  };

  while (true) {
    ASSIGN_OR_RETURN(std::optional<IndexCursor::Entry> entry, cursor->Next());
    if (!entry.has_value()) break;
    if (cancel != nullptr && (analysis.entries & 4095) == 0 && cancel->load()) {
      return absl::CancelledError("analyze: cancelled (the database is closing)");
    }
    ++analysis.entries;
    absl::StatusOr<size_t> leading_size =
        index::KeyStringValueSize(entry->key, analysis.leading_descending);
    if (!leading_size.ok()) {
      return absl::DataLossError(absl::StrCat(
          "index ", index.name(), " has a malformed entry: ", leading_size.status().message()));
    }
    const absl::string_view leading = entry->key.substr(0, *leading_size);
    if (group_count > 0 && leading == group_leading) {
      ++group_count;
      continue;
    }
    if (group_count > 0) close_group();
    if (analysis.entries == 1) analysis.first.assign(leading.data(), leading.size());
    group_leading.assign(leading.data(), leading.size());
    group_key.assign(entry->key.data(), entry->key.size());
    group_id_key.assign(entry->id_key_string.data(), entry->id_key_string.size());
    group_count = 1;
  }
  if (group_count > 0) close_group();
  if (open.bucket.count > 0) buckets.push_back(std::move(open));
  while (buckets.size() > static_cast<size_t>(max_buckets)) MergePairs(&buckets);

  // Readable upper values, from a document holding each.
  const engine::RecordStore records(&engine);
  for (BucketBuilder& built : buckets) {
    ASSIGN_OR_RETURN(std::optional<std::string> doc,
                     records.Get(*snapshot, collection.id, built.upper_id_key));
    if (doc.has_value()) {
      absl::StatusOr<Document> values =
          index.generator().KeyValues(ViewOf(*doc), built.upper_key, index.partial_filter());
      if (values.ok()) built.bucket.upper_value = FirstValue(values->view());
    }
    analysis.buckets.push_back(std::move(built.bucket));
  }
  return analysis;
}

// True when some collection still has an index with this id.
bool IndexExists(const engine::Catalog& catalog, index::IndexId id) {
  for (const engine::CollectionHandle& collection : catalog.List()) {
    for (const engine::IndexEntry& entry : collection->indexes) {
      if (entry.id == id) return true;
    }
  }
  return false;
}

absl::StatusOr<int64_t> Int64Field(const bson_t& doc, const char* name) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, name) || !BSON_ITER_HOLDS_INT64(&it)) {
    return Corrupt(absl::StrCat("no int64 '", name, "'"));
  }
  return bson_iter_int64(&it);
}

}  // namespace

Document IndexAnalysis::ToDocument() const {
  Document doc;
  bson_t* out = doc.mutable_bson();
  bson_append_int32(out, "v", 1, kAnalysisVersion);
  bson_append_utf8(out, "index", 5, index_name.data(), static_cast<int>(index_name.size()));
  bson_append_document(out, "keyPattern", 10, key_pattern.bson());
  bson_append_utf8(out, "leadingField", 12, leading_field.data(),
                   static_cast<int>(leading_field.size()));
  bson_append_bool(out, "leadingDescending", 17, leading_descending);
  bson_append_date_time(out, "analyzedAt", 10, absl::ToUnixMillis(analyzed_at));
  bson_append_int64(out, "entries", 7, entries);
  bson_append_int64(out, "distinct", 8, distinct);
  bson_append_int64(out, "documents", 9, documents);
  bson_append_binary(out, "first", 5, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(first.data()),
                     static_cast<uint32_t>(first.size()));
  bson_t array;
  bson_append_array_begin(out, "buckets", 7, &array);
  for (size_t i = 0; i < buckets.size(); ++i) {
    const HistogramBucket& bucket = buckets[i];
    const std::string position = std::to_string(i);
    bson_t item;
    bson_append_document_begin(&array, position.c_str(), -1, &item);
    bson_append_binary(&item, "upper", 5, BSON_SUBTYPE_BINARY,
                       reinterpret_cast<const uint8_t*>(bucket.upper.data()),
                       static_cast<uint32_t>(bucket.upper.size()));
    if (bucket.upper_value.has_value()) {
      bson_iter_t value;
      if (bson_iter_init_find(&value, bucket.upper_value->bson(), "v")) {
        bson_append_iter(&item, "upperValue", 10, &value);
      }
    }
    bson_append_int64(&item, "count", 5, bucket.count);
    bson_append_int64(&item, "distinct", 8, bucket.distinct);
    bson_append_int64(&item, "upperCount", 10, bucket.upper_count);
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(out, &array);
  return doc;
}

absl::StatusOr<IndexAnalysis> IndexAnalysis::FromDocument(DocumentView stored) {
  bson_t doc;
  if (!stored.AsBson(&doc)) return Corrupt("not BSON");
  IndexAnalysis analysis;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, "v") || !BSON_ITER_HOLDS_INT32(&it) ||
      bson_iter_int32(&it) != kAnalysisVersion) {
    return Corrupt("unknown version");
  }
  if (!bson_iter_init_find(&it, &doc, "index") || !BSON_ITER_HOLDS_UTF8(&it)) {
    return Corrupt("no 'index'");
  }
  analysis.index_name = bson_iter_utf8(&it, nullptr);
  if (!bson_iter_init_find(&it, &doc, "keyPattern") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return Corrupt("no 'keyPattern'");
  }
  {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&it, &length, &data);
    analysis.key_pattern = Document::Copy(DocumentView(data, length));
  }
  if (!bson_iter_init_find(&it, &doc, "leadingField") || !BSON_ITER_HOLDS_UTF8(&it)) {
    return Corrupt("no 'leadingField'");
  }
  analysis.leading_field = bson_iter_utf8(&it, nullptr);
  if (!bson_iter_init_find(&it, &doc, "leadingDescending") || !BSON_ITER_HOLDS_BOOL(&it)) {
    return Corrupt("no 'leadingDescending'");
  }
  analysis.leading_descending = bson_iter_bool(&it);
  if (!bson_iter_init_find(&it, &doc, "analyzedAt") || !BSON_ITER_HOLDS_DATE_TIME(&it)) {
    return Corrupt("no 'analyzedAt'");
  }
  analysis.analyzed_at = absl::FromUnixMillis(bson_iter_date_time(&it));
  ASSIGN_OR_RETURN(analysis.entries, Int64Field(doc, "entries"));
  ASSIGN_OR_RETURN(analysis.distinct, Int64Field(doc, "distinct"));
  analysis.documents = analysis.entries;
  if (bson_iter_init_find(&it, &doc, "documents") && BSON_ITER_HOLDS_INT64(&it)) {
    analysis.documents = bson_iter_int64(&it);
  }
  if (bson_iter_init_find(&it, &doc, "first") && BSON_ITER_HOLDS_BINARY(&it)) {
    bson_subtype_t subtype;
    uint32_t first_length = 0;
    const uint8_t* first = nullptr;
    bson_iter_binary(&it, &subtype, &first_length, &first);
    analysis.first.assign(reinterpret_cast<const char*>(first), first_length);
  }
  if (!bson_iter_init_find(&it, &doc, "buckets") || !BSON_ITER_HOLDS_ARRAY(&it)) {
    return Corrupt("no 'buckets'");
  }
  bson_iter_t item;
  bson_iter_recurse(&it, &item);
  while (bson_iter_next(&item)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&item)) return Corrupt("a bucket is not a document");
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&item, &length, &data);
    bson_t bucket_doc;
    if (!bson_init_static(&bucket_doc, data, length)) return Corrupt("a bucket is not BSON");
    HistogramBucket bucket;
    bson_iter_t field;
    if (!bson_iter_init_find(&field, &bucket_doc, "upper") || !BSON_ITER_HOLDS_BINARY(&field)) {
      return Corrupt("a bucket has no 'upper'");
    }
    bson_subtype_t subtype;
    uint32_t upper_length = 0;
    const uint8_t* upper = nullptr;
    bson_iter_binary(&field, &subtype, &upper_length, &upper);
    bucket.upper.assign(reinterpret_cast<const char*>(upper), upper_length);
    if (bson_iter_init_find(&field, &bucket_doc, "upperValue")) {
      Document value;
      bson_append_iter(value.mutable_bson(), "v", 1, &field);
      bucket.upper_value = std::move(value);
    }
    ASSIGN_OR_RETURN(bucket.count, Int64Field(bucket_doc, "count"));
    ASSIGN_OR_RETURN(bucket.distinct, Int64Field(bucket_doc, "distinct"));
    ASSIGN_OR_RETURN(bucket.upper_count, Int64Field(bucket_doc, "upperCount"));
    analysis.buckets.push_back(std::move(bucket));
  }
  return analysis;
}

std::shared_ptr<const query::planner::LeadingHistogram> IndexAnalysis::ToHistogram() const {
  std::vector<query::planner::LeadingHistogram::Bucket> planner_buckets;
  planner_buckets.reserve(buckets.size());
  for (const HistogramBucket& bucket : buckets) {
    planner_buckets.push_back({bucket.upper, bucket.count, bucket.distinct, bucket.upper_count});
  }
  return std::make_shared<const query::planner::LeadingHistogram>(leading_descending, first,
                                                                  planner_buckets, entries);
}

double IndexAnalysis::EstimateEqualityFraction(std::string_view leading_key) const {
  if (entries <= 0) return 0.0;
  const absl::string_view key(leading_key.data(), leading_key.size());
  auto it = std::lower_bound(
      buckets.begin(), buckets.end(), key,
      [](const HistogramBucket& bucket, absl::string_view value) { return bucket.upper < value; });
  if (it == buckets.end()) return 0.0;
  const double total = static_cast<double>(entries);
  if (it->upper == key) return static_cast<double>(it->upper_count) / total;
  const int64_t inner_distinct = it->distinct - 1;
  if (inner_distinct <= 0) return 0.0;
  const double inner_entries = static_cast<double>(it->count - it->upper_count);
  return inner_entries / static_cast<double>(inner_distinct) / total;
}

absl::StatusOr<std::vector<IndexAnalysis>> AnalyzeCollection(engine::StorageEngine& engine,
                                                             const engine::Catalog& catalog,
                                                             const CollectionIndexes& indexes,
                                                             const AnalyzeOptions& options) {
  if (options.max_buckets < 1 || options.max_buckets > kMaxHistogramBuckets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "analyze: the number of buckets must be between 1 and ", kMaxHistogramBuckets));
  }
  std::vector<const CompiledIndex*> selected;
  for (const auto& index : indexes.all()) {
    if (!index->ready() || index->spec().key_parts().empty()) continue;
    if (options.key.has_value() && index->spec().key_parts().front().path != *options.key) {
      continue;
    }
    selected.push_back(index.get());
  }
  if (options.key.has_value() && selected.empty()) {
    return MongoError(ErrorCode::kIndexNotFound,
                      absl::StrCat("analyze: no index of ", indexes.collection().ns,
                                   " has the leading field '", *options.key, "'"));
  }

  const engine::CollectionId collection_id = indexes.collection().id;
  // Counted before the snapshot: writes that land in between count as changes since (more
  // than happened, never fewer).
  const int64_t writes = engine.change_counters().Get(collection_id).writes;
  std::shared_ptr<engine::Snapshot> snapshot = engine.GetSnapshot();
  ASSIGN_OR_RETURN(engine::CollectionStats documents,
                   engine::ReadCollectionStats(engine, collection_id, snapshot.get()));
  std::vector<IndexAnalysis> analyses;
  for (const CompiledIndex* index : selected) {
    ASSIGN_OR_RETURN(IndexAnalysis analysis,
                     AnalyzeIndex(engine, snapshot, indexes.collection(), *index,
                                  options.max_buckets, options.cancel));
    analysis.documents = documents.count;
    analyses.push_back(std::move(analysis));
  }
  if (selected.empty()) return analyses;

  // One atomic write for the whole run.
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < selected.size(); ++i) {
    const Document stored = analyses[i].ToDocument();
    RETURN_IF_ERROR(engine::FromRocks(
        batch.Put(engine.catalog(), engine::IndexAnalysisKey(selected[i]->id()),
                  rocksdb::Slice(reinterpret_cast<const char*>(stored.data()), stored.size())),
        "storing index statistics"));
  }
  RETURN_IF_ERROR(engine.WriteBatchUnlocked(&batch, "storing index statistics"));

  // A drop that committed before our write could not delete what we wrote: delete it now. (The
  // catalog's in-memory state changes under the same lock as its write, so a drop that
  // committed before our write is visible here.)
  rocksdb::WriteBatch orphans;
  bool any_orphan = false;
  for (const CompiledIndex* index : selected) {
    if (IndexExists(catalog, index->id())) continue;
    RETURN_IF_ERROR(
        engine::FromRocks(orphans.Delete(engine.catalog(), engine::IndexAnalysisKey(index->id())),
                          "removing statistics of a dropped index"));
    any_orphan = true;
  }
  if (any_orphan) {
    RETURN_IF_ERROR(engine.WriteBatchUnlocked(&orphans, "removing statistics of a dropped index"));
  }
  engine.change_counters().NoteAnalysis(collection_id, writes);
  return analyses;
}

absl::StatusOr<std::optional<Document>> ReadIndexAnalysis(const engine::StorageEngine& engine,
                                                          index::IndexId id) {
  std::string value;
  rocksdb::Status s = engine.db()->Get(rocksdb::ReadOptions(), engine.catalog(),
                                       engine::IndexAnalysisKey(id), &value);
  if (s.IsNotFound()) return std::optional<Document>();
  RETURN_IF_ERROR(engine::FromRocks(s, "reading index statistics"));
  return std::optional<Document>(Document::Copy(ViewOf(value)));
}

}  // namespace strata::db
