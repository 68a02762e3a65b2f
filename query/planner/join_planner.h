// JoinPlanner: chooses how $lookup finds the foreign documents of each outer document, by
// cost, with the units of cost_model.h (one collection-scan document step = 1.0).
//
//   indexed nested loop  outer × (kSeekPerRange + m × (kKeyPerEntry + kFetchPerDocument))
//                        (m = foreign matches per probe, estimated as foreign / distinct keys,
//                        at least 1); needs an index leading with the foreign field.
//   hash join            foreign × (kScanPerDocument + kHashBuildPerDocument)
//                        + outer × kHashProbe + outer × m × kHashEmitPerMatch;
//                        needs the foreign side to fit the memory budget.
//   nested-loop scan     foreign × kScanPerDocument + outer × foreign × kCompareKeys;
//                        needs the foreign side to fit the memory budget.
//   per-document query   outer × foreign × kScanPerDocument (no index, does not fit): the
//                        always-possible fallback.
// Every candidate is costed; infeasible ones are listed with the reason they were rejected.
// Pure function; thread-safe.
#ifndef STRATA_QUERY_PLANNER_JOIN_PLANNER_H_
#define STRATA_QUERY_PLANNER_JOIN_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace strata::query::planner {

enum class JoinMethod { kIndexedLoop, kHashJoin, kNestedLoopScan, kPerDocumentQuery };

struct JoinCostModel {
  // Measured by bench/aggregate_bench (bench/README.md), in collection-scan steps.
  static constexpr double kHashBuildPerDocument = 4.0;  // copy + key extraction + table insert
  static constexpr double kHashProbe = 0.2;             // one lookup per outer key
  static constexpr double kHashEmitPerMatch = 1.0;      // copy of a matched document
  static constexpr double kCompareKeys = 0.1;           // one key-set test in a scan join
};

struct JoinRequest {
  double outer_rows = 0;          // estimated outer documents reaching the $lookup
  int64_t foreign_documents = 0;  // engine statistics
  int64_t foreign_bytes = 0;      // documents × average size
  bool foreign_field_indexed = false;
  double foreign_distinct_keys = 0;  // 0: unknown (matches per probe taken as 1)
  size_t memory_limit_bytes = 0;
};

struct JoinCandidate {
  JoinMethod method;
  bool feasible = true;
  std::string rejected_reason;  // when not feasible, or "higher cost"
  double cost = 0;
  double rows = 0;  // estimated joined rows (outer × matches per outer)
};

struct JoinChoice {
  JoinCandidate winner;
  std::vector<JoinCandidate> rejected;  // cheapest first; infeasible last
};

JoinChoice ChooseJoin(const JoinRequest& request);
// Costs one method (for a forced strategy); `feasible` says whether it can run as costed.
JoinCandidate CostJoin(const JoinRequest& request, JoinMethod method);

const char* JoinMethodName(JoinMethod method);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_JOIN_PLANNER_H_
