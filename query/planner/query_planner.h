// QueryPlanner: chooses how a read finds its documents — an `_id` point read, a collection
// scan, or an index scan with fetch — by estimating the cost of every candidate
// (cost_model.h) and taking the cheapest, unless a hint forces one.
//
// Candidates: the `_id` point read when the filter pins `_id`; the collection scan (always);
// every ready, non-hidden index that either bounds the filter (index_bounds_builder.h) or
// provides the requested sort order; and for a top-level $or whose every branch some index
// bounds, the union of the cheapest index scan of each branch (MongoDB's OR stage); and, when
// the filter bounds `_id`, a scan of just those `_id` ranges of the documents (which are
// stored in `_id` order, like MongoDB's clustered collections). Sparse indexes
// are used only when their bounds exclude the documents they leave out (null/undefined keys on the
// leading part); partial indexes only when every top-level condition of their
// partialFilterExpression appears among the filter's top-level conditions. A hinted index is used
// even when the rules above would skip it (MongoDB's hint semantics: a sparse hint may return fewer
// documents).
//
// Correctness never depends on the plan: the executor re-applies the whole filter to every
// document a plan produces, and deduplicates documents of multikey index scans.
//
// Thread safety: stateless functions; the request and index list must outlive the call.
#ifndef STRATA_QUERY_PLANNER_QUERY_PLANNER_H_
#define STRATA_QUERY_PLANNER_QUERY_PLANNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/storage_engine.h"
#include "index/index_bounds.h"
#include "index/index_key_layout.h"
#include "query/match/match_expression.h"
#include "query/planner/covered_plan.h"
#include "query/planner/index_bounds_builder.h"
#include "query/planner/leading_histogram.h"
#include "query/planner/plan_cache.h"
#include "query/sort/sort_spec.h"
#include "strata/document.h"

namespace strata::query::planner {

// One secondary index as the planner sees it (db/ builds these from its compiled indexes).
struct IndexInfo {
  std::string name;
  Document key_pattern;
  IndexShape shape;
  index::IndexEntryFormat format;
  bool multikey = false;
  bool unique = false;
  bool sparse = false;
  bool hidden = false;
  bool ready = true;
  std::optional<Document> partial_filter;  // partialFilterExpression
  int64_t entries = 0;                     // entry counter (engine statistics)
  // The leading key part's histogram (leading_histogram.h) when a fresh analysis exists; null:
  // estimate by index dives only.
  std::shared_ptr<const LeadingHistogram> histogram;
  // Documents modified since that analysis (db/stats_refresher.h counts them): how far the
  // data may have moved from the histogram; it widens the histogram's uncertainty.
  int64_t modifications_since_analysis = 0;
};

// find's `hint`.
struct Hint {
  enum class Kind { kNone, kNatural, kIndexName, kKeyPattern };
  Kind kind = Kind::kNone;
  bool natural_backward = false;  // {$natural: -1}
  std::string index_name;
  Document key_pattern;

  Hint() = default;
  Hint(const Hint& other)
      : kind(other.kind),
        natural_backward(other.natural_backward),
        index_name(other.index_name),
        key_pattern(other.key_pattern.Clone()) {}
  Hint& operator=(const Hint& other) {
    if (this != &other) *this = Hint(other);
    return *this;
  }
  Hint(Hint&&) = default;
  Hint& operator=(Hint&&) = default;

  // Parses find's hint value: a name string, a key pattern document, or {$natural: ±1}.
  // BadValue on other shapes.
  static absl::StatusOr<Hint> Parse(const bson_iter_t& value);
};

struct PlanRequest {
  const match::MatchExpression* filter = nullptr;
  DocumentView filter_document;          // the filter as given (partial-index subset check)
  const sort::SortSpec* sort = nullptr;  // null or empty: no order requested
  int64_t skip = 0;
  int64_t limit = 0;  // 0: none
  Hint hint;
  bool id_point = false;             // the filter pins `_id` to one value
  int64_t collection_documents = 0;  // engine statistics
  uint32_t collection_id = 0;        // whose records an `_id` range scan reads
  // Only the number of matching documents is wanted (count): an index scan whose bounds are
  // exact needs no fetch (COUNT_SCAN).
  bool count_only = false;
  // What the find reads of each document (covered_plan.h); null: never covered.
  const CoverageRequest* coverage = nullptr;
  // The collection's plan cache and this request's shape (plan_cache.h); null: plan afresh.
  PlanCache* plan_cache = nullptr;
  std::string shape_key;
};

enum class AccessKind {
  kIdPoint,
  kCollectionScan,
  kIndexScan,
  kIndexUnion,  // a top-level $or: one index scan per branch, documents deduplicated
  kIdRange,     // the documents themselves (clustered by `_id`) over `_id` ranges
};

struct CandidatePlan {
  AccessKind kind = AccessKind::kCollectionScan;
  int index = -1;  // into the IndexInfo list (kIndexScan)
  IndexBoundsResult bounds;
  index::ScanRanges ranges;
  bool backward = false;       // index or collection scanned in descending order
  bool provides_sort = false;  // the access path yields documents in the requested order
  // kIndexScan for a count whose bounds are exact on a non-multikey index: every key in the
  // ranges is one matching document, so keys are counted and no document is read.
  bool count_scan = false;
  // kIndexScan whose index covers the query (covered_plan.h): results are rebuilt from the
  // keys, no document is fetched (PROJECTION_COVERED).
  bool covered = false;
  // Estimates (cost_model.h).
  double keys = 0;        // index keys examined
  double bound_keys = 0;  // kIndexScan: keys inside the bounds (before a limit stops early)
  double docs = 0;        // documents read (scanned or fetched)
  double rows = 0;        // documents matching the filter
  double cost = 0;
  // Where `bound_keys` came from (cost_model.h): the entry counter (no bounds), a dive, the
  // histogram, or the histogram refined by a dive.
  enum class KeysFrom { kNone, kCounter, kDive, kHistogram, kHistogramAndDive };
  KeysFrom keys_from = KeysFrom::kNone;
  bool hinted = false;
  // kIndexUnion: the index scan of each $or branch, in branch order.
  std::vector<CandidatePlan> branches;
};

// "counter", "dive", "histogram", "histogram+dive" (explain's strataEstimate.keysFrom); "" for
// kNone.
const char* KeysFromName(CandidatePlan::KeysFrom from);

struct PlanChoice {
  CandidatePlan winner;
  std::vector<CandidatePlan> rejected;  // the other candidates, cheapest first
  bool from_plan_cache = false;         // reused a cached plan: no other candidate was costed
};

// Chooses the plan for `request` over `indexes`, diving into indexes on `snapshot` to count
// keys. BadValue "hint provided does not correspond to an existing index" for a hint naming no
// usable index.
absl::StatusOr<PlanChoice> ChoosePlan(const PlanRequest& request,
                                      const std::vector<IndexInfo>& indexes,
                                      const engine::StorageEngine& engine,
                                      std::shared_ptr<engine::Snapshot> snapshot);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_QUERY_PLANNER_H_
