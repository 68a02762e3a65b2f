// The planner's cost model: every constant in one place.
//
// Unit: the cost of reading one document in a collection scan (a RocksDB iterator step over
// the documents column family plus evaluating the filter) = 1.0. The other constants are
// relative to it, measured by bench/planner_bench on 1M documents (bench/README.md): a
// collection scan costs about 0.3 µs per document; an index scan with a fetch per document
// about 3–4 µs per document when the fetches come in `_id` order and about 6 µs in random
// order, so a fetch is worth 10–20 scan steps; an index entry alone (a short key, no value)
// is a fraction of a document step.
//
//   collection scan            N × kScanPerDocument
//   index scan + fetch         ranges × kSeekPerRange + K × kKeyPerEntry + K × kFetchPerDocument
//   covered index scan         ranges × kSeekPerRange + K × (kKeyPerEntry + kRebuildPerKey)
//                              (covered_plan.h: the result is rebuilt from the key, no fetch)
//   blocking sort of R rows    R × log2(R) × kSortPerComparison
//   a streaming plan with a limit stops early: its scan cost is scaled by
//   min(1, (skip + limit) / R), R = the estimated number of matching documents.
//
// K (keys in the bounds) comes from an index dive: the planner counts the keys in the scan
// ranges up to kDiveCap (256: enough to tell selective from not, cheap next to a small-limit
// query); past it, it extrapolates from RocksDB's approximate size of the ranges relative to the
// whole index. An index with no bounds (used for its order) is not dived: K is its entry counter. R
// is the smallest K among indexes whose bounds cover the filter's predicates, or N when no index
// bounds the filter.
#ifndef STRATA_QUERY_PLANNER_COST_MODEL_H_
#define STRATA_QUERY_PLANNER_COST_MODEL_H_

#include <cstdint>

namespace strata::query::planner {

struct CostModel {
  static constexpr double kScanPerDocument = 1.0;
  static constexpr double kKeyPerEntry = 0.5;
  static constexpr double kFetchPerDocument = 10.0;
  // Decoding a key into its typed values and building the small result document.
  static constexpr double kRebuildPerKey = 0.5;
  static constexpr double kSeekPerRange = 2.0;
  static constexpr double kSortPerComparison = 0.05;
  static constexpr double kPointRead = 10.0;  // the `_id` point read
  // Keys an index dive counts exactly before extrapolating.
  static constexpr int64_t kDiveCap = 256;
};

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_COST_MODEL_H_
