// The planner's cost model: every constant in one place.
//
// Unit: the cost of reading one document in a collection scan (a RocksDB iterator step over
// the documents column family plus evaluating the filter) = 1.0. The other constants are
// relative to it, from this engine's measurements (bench/engine_bench: a point read by `_id`
// costs about 2–3 sequential steps once the document is in the block cache; an index entry is
// a short key without a value: a fraction of a document step).
//
//   collection scan            N × kScanPerDocument
//   index scan + fetch         ranges × kSeekPerRange + K × kKeyPerEntry + K × kFetchPerDocument
//   blocking sort of R rows    R × log2(R) × kSortPerComparison
//   a streaming plan with a limit stops early: its scan cost is scaled by
//   min(1, (skip + limit) / R), R = the estimated number of matching documents.
//
// K (keys in the bounds) comes from an index dive: the planner counts the keys in the scan
// ranges up to kDiveCap; past it, it extrapolates from RocksDB's approximate size of the ranges
// relative to the whole index. R is the smallest K among indexes whose bounds cover the
// filter's predicates, or N when no index bounds the filter.
#ifndef STRATA_QUERY_PLANNER_COST_MODEL_H_
#define STRATA_QUERY_PLANNER_COST_MODEL_H_

#include <cstdint>

namespace strata::query::planner {

struct CostModel {
  static constexpr double kScanPerDocument = 1.0;
  static constexpr double kKeyPerEntry = 0.3;
  static constexpr double kFetchPerDocument = 2.5;
  static constexpr double kSeekPerRange = 2.0;
  static constexpr double kSortPerComparison = 0.05;
  static constexpr double kPointRead = 2.5;  // the `_id` point read
  // Keys an index dive counts exactly before extrapolating.
  static constexpr int64_t kDiveCap = 2000;
};

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_COST_MODEL_H_
