// Index statistics for the planner: the `analyze` command scans each ready secondary index of a
// collection in key order on one snapshot and records, per index, its entry count, the exact
// number of distinct values of its LEADING key part, and an equi-depth histogram of that part.
//
// How it is computed: entries come in index order, so equal leading values are adjacent; the
// leading part is the first key string of the index key (index/key_string_skip.h gives its
// length), compared byte-wise with the previous entry's. The histogram has at most
// `max_buckets` (≤ 64) buckets; a bucket closes only at a value boundary (a value never spans
// two buckets) once it holds at least entries/max_buckets entries, where `entries` is the
// index's stored entry counter (a pass that finds the counter low merges adjacent buckets
// pairwise, so the bound holds regardless). Memory: O(max_buckets) plus one key, whatever the
// index's size.
//
// Stored form: one BSON document per index in the catalog column family under
// engine::IndexAnalysisKey(index id), all of one `analyze` run written in ONE atomic write batch
// (engine::StorageEngine::WriteBatchUnlocked: analysis is advisory, so it takes no row locks; a
// concurrent writer may make it slightly stale, never inconsistent). Dropping the index or its
// collection deletes the key in the same write as the drop (engine/catalog.cc). The document:
//   {v: 1, index: <name>, keyPattern: {…}, leadingField: <path>, leadingDescending: <bool>,
//    analyzedAt: <date>, entries: <int64>, distinct: <int64>, documents: <int64>,
//    first: <BinData>,
//    buckets: [{upper: <BinData>, upperValue: <value>, count: <int64>, distinct: <int64>,
//               upperCount: <int64>}, …]}
// `upper` is the leading key-string bytes of the bucket's largest value exactly as they appear in
// the index (complemented when the leading part is descending), so buckets ascend in memcmp
// order of `upper`; `upperValue` is that value as BSON (taken from a document having it; absent
// when no document could be read); `count` is the bucket's entries, `distinct` its distinct
// leading values and `upperCount` the entries equal to `upper`. Sum of `count` == entries; sum
// of `distinct` == distinct. `documents` is the collection's document counter and `first` the
// leading key bytes of the index's first entry (index order), both on the analysis snapshot;
// they are optional (analyses stored before they existed lack them: documents then reads as
// `entries`, first as unknown).
//
// After storing, AnalyzeCollection bumps the collection's analysis generation
// (engine::ChangeCounters::NoteAnalysis), which makes every planner statistics cache of the
// collection reload (collection_indexes.h).
//
// Thread safety: the functions are thread-safe; IndexAnalysis is a plain value.
#ifndef STRATA_DB_ANALYZE_COLLECTION_H_
#define STRATA_DB_ANALYZE_COLLECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/collection_indexes.h"
#include "engine/catalog.h"
#include "engine/storage_engine.h"
#include "index/index_spec.h"
#include "query/planner/leading_histogram.h"
#include "strata/document.h"

namespace strata::db {

inline constexpr int kMaxHistogramBuckets = 64;

struct HistogramBucket {
  std::string upper;  // leading key-string bytes of the largest value (see above)
  // {v: <the largest value>}, when a document having it could be read.
  std::optional<Document> upper_value;
  int64_t count = 0;        // entries in the bucket, `upper` included
  int64_t distinct = 0;     // distinct leading values in the bucket, `upper` included
  int64_t upper_count = 0;  // entries whose leading value equals `upper`
};

// The statistics of one index.
struct IndexAnalysis {
  std::string index_name;
  Document key_pattern;
  std::string leading_field;
  bool leading_descending = false;
  absl::Time analyzed_at;
  int64_t entries = 0;
  int64_t distinct = 0;   // distinct leading values
  int64_t documents = 0;  // the collection's documents on the analysis snapshot
  std::string first;      // leading key bytes of the first entry in index order ("" unknown)
  std::vector<HistogramBucket> buckets;

  // The planner's form of these statistics (query/planner/leading_histogram.h).
  std::shared_ptr<const query::planner::LeadingHistogram> ToHistogram() const;

  // The stored document (see the file comment) and back. FromDocument: kDataLoss when `stored`
  // is not such a document.
  Document ToDocument() const;
  static absl::StatusOr<IndexAnalysis> FromDocument(DocumentView stored);

  // Estimated fraction (0..1) of the index's entries whose leading key string equals
  // `leading_key` (bytes as they appear in the index: complemented for a descending leading
  // part). Exact for bucket boundaries; inside a bucket, the bucket's non-boundary entries
  // spread evenly over its non-boundary distinct values. 0 for an empty index or a value
  // above the last bucket.
  double EstimateEqualityFraction(std::string_view leading_key) const;
};

struct AnalyzeOptions {
  // Only indexes whose leading key part is this path (all ready secondary indexes when unset).
  std::optional<std::string> key;
  // Histogram buckets per index, 1..kMaxHistogramBuckets. Default: 64.
  int max_buckets = kMaxHistogramBuckets;
  // When set and true, the analysis stops early with kCancelled (checked every few thousand
  // entries; the background refresher sets it on Close). Nothing is stored then.
  const std::atomic<bool>* cancel = nullptr;
};

// Analyzes the ready secondary indexes of `indexes.collection()` (those selected by
// `options.key`) on one snapshot and stores every result in one write (see above); returns them
// in the collection's index order. After the write, the analysis of an index that was dropped
// meanwhile is deleted again, so no analysis outlives its index. Errors: IndexNotFound (27) when
// `options.key` selects no index; kInvalidArgument for max_buckets outside 1..64; kDataLoss on
// a malformed index entry; kCancelled when `options.cancel` was set; I/O errors.
absl::StatusOr<std::vector<IndexAnalysis>> AnalyzeCollection(engine::StorageEngine& engine,
                                                             const engine::Catalog& catalog,
                                                             const CollectionIndexes& indexes,
                                                             const AnalyzeOptions& options = {});

// The stored analysis document of index `id`, or nullopt when it was never analyzed (or the
// index is gone). I/O errors only.
absl::StatusOr<std::optional<Document>> ReadIndexAnalysis(const engine::StorageEngine& engine,
                                                          index::IndexId id);

}  // namespace strata::db

#endif  // STRATA_DB_ANALYZE_COLLECTION_H_
