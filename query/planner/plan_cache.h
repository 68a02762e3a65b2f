// PlanCache: remembers, per query shape, the index scan the planner chose, so a repeated query
// of the same shape costs one index dive instead of a dive into every candidate index.
//
// A query's shape (QueryShapeOf) is its filter with every value replaced by its canonical type
// (field names, operators and nesting kept, as MongoDB's queryHash), plus the sort, the
// projection's field names and the size class of skip + limit. A cached plan is never trusted
// blindly: ChoosePlan rebuilds its bounds from the actual filter, re-checks the sparse, partial
// and sort rules for these values, and dives into that one index; when the dive counts more
// than kReplanFactor times the keys the plan was cached with (a value far less selective than
// the one it was chosen for), or the collection's size moved by more than kMaxSizeDrift
// either way, the entry is dropped and the query is planned from scratch (MongoDB's replanning).
//
// Invalidation: a cache belongs to one compiled index set (db/collection_indexes.h), so creating,
// dropping or hiding an index starts an empty cache; planCacheClear empties it by hand.
// Only unhinted index-scan winners are cached: collection scans and `_id` plans plan cheaply.
//
// Thread safety: all members are thread-safe.
#ifndef STRATA_QUERY_PLANNER_PLAN_CACHE_H_
#define STRATA_QUERY_PLANNER_PLAN_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "strata/document.h"

namespace strata::query::planner {

struct QueryShape {
  std::string key;    // the canonical shape text (also shown by explain as planCacheShape)
  uint32_t hash = 0;  // explain's queryHash
};

// The shape of a find-like read.
QueryShape QueryShapeOf(DocumentView filter, DocumentView sort, DocumentView projection,
                        int64_t skip, int64_t limit);

struct CachedPlan {
  std::string index_name;
  bool backward = false;
  bool provides_sort = false;
  double keys = 0;                   // keys the index scan was estimated to examine (no limit)
  int64_t collection_documents = 0;  // the collection's size when cached
};

class PlanCache {
 public:
  static constexpr double kReplanFactor = 10;
  static constexpr double kMaxSizeDrift = 2;  // a size outside [n / 2, 2 n] replans
  static constexpr size_t kMaxEntries = 1000;

  std::optional<CachedPlan> Lookup(const std::string& shape_key);
  void Insert(const std::string& shape_key, CachedPlan plan);
  // Drops the entry after a failed reuse (counted as a replan).
  void Evict(const std::string& shape_key);
  void Clear();
  // Drops one shape's entry, if any (planCacheClear with a query).
  void Forget(const std::string& shape_key);

  struct Counters {
    int64_t entries = 0;
    int64_t hits = 0;     // plans reused
    int64_t misses = 0;   // shapes planned from scratch
    int64_t replans = 0;  // cached plans found wanting
  };
  Counters counters() const;
  // Called by the planner when a looked-up plan was reused.
  void CountHit();

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, CachedPlan> entries_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_PLAN_CACHE_H_
