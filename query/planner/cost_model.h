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
// K (keys in the bounds) of an index with bounds comes from, in order of preference:
//   1. the leading-field histogram (leading_histogram.h), when `analyze` (by hand or the
//      automatic refresh of db/stats_refresher.h) left a FRESH analysis of the index — fewer
//      than 10 % of the analyzed documents + 1 000 modified since — and only the leading key
//      part is bounded:
//        K = share × E,   share = the histogram's estimate for the leading intervals,
//                         E = the index's entry counter now (the histogram scales with it);
//      equalities on a bucket boundary and ranges over whole buckets are exact (as of the
//      analysis); a cut bucket is interpolated, an equality inside a bucket is its
//      entries / distinct values. The histogram also gives the range [low, high] the truth
//      lies in, widened by M, the documents modified since the analysis (each may have moved
//      one key in or out); it is used alone only when it is PRECISE:
//        (high − low) × E + M  <=  kHistogramCoarseness × max(1, K)
//      (e.g. a range over many buckets, a frequent value that is its own bucket, on data that
//      has not moved much since).
//   2. otherwise an index dive: the planner counts the keys in the scan ranges up to kDiveCap
//      (256: enough to tell selective from not, cheap next to a small-limit query); past it, it
//      extrapolates from RocksDB's approximate size of the ranges relative to the whole index,
//      clamped to the histogram's [low × E − M, high × E + M] when there is one (only the
//      high end when later key parts are bounded too: the leading histogram knows nothing of
//      them). A coarse histogram is thus refined by the dive (a rare value inside a bucket, a
//      range inside one or two buckets, data that moved), and a missing or stale one replaced.
// An index with no bounds (used for its order) is neither: K is its entry counter. R is the
// smallest K among indexes whose bounds cover the filter's predicates, or N when no index
// bounds the filter. explain shows where each K came from (strataEstimate.keysFrom).
//
// The per-index numbers (E, the analyses) are cached with the compiled index set
// (db/collection_indexes.h: reloaded after index DDL, analyze, or writes past 1/16 of the
// documents + 8), so a query reads no statistics from the engine but the collection's N.
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
  // A histogram estimate is used without a dive when its uncertainty (high − low keys) is at
  // most this share of the estimate.
  static constexpr double kHistogramCoarseness = 0.5;
};

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_COST_MODEL_H_
