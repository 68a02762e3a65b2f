#include "query/planner/join_planner.h"

#include <algorithm>

#include "query/planner/cost_model.h"

namespace strata::query::planner {

const char* JoinMethodName(JoinMethod method) {
  switch (method) {
    case JoinMethod::kIndexedLoop:
      return "INDEXED_NESTED_LOOP_JOIN";
    case JoinMethod::kHashJoin:
      return "HASH_JOIN";
    case JoinMethod::kNestedLoopScan:
      return "NESTED_LOOP_JOIN";
    case JoinMethod::kPerDocumentQuery:
      return "PER_DOCUMENT_QUERY";
  }
  return "UNKNOWN";
}

JoinCandidate CostJoin(const JoinRequest& r, JoinMethod method) {
  const double outer = std::max(0.0, r.outer_rows);
  const double foreign = static_cast<double>(std::max<int64_t>(0, r.foreign_documents));
  const double matches =
      r.foreign_distinct_keys > 0 ? std::max(1.0, foreign / r.foreign_distinct_keys) : 1.0;
  const bool fits =
      static_cast<size_t>(std::max<int64_t>(0, r.foreign_bytes)) <= r.memory_limit_bytes;
  JoinCandidate c{method, true, "", 0, outer * std::min(matches, std::max(foreign, 1.0))};
  switch (method) {
    case JoinMethod::kIndexedLoop:
      c.cost = outer * (CostModel::kSeekPerRange +
                        matches * (CostModel::kKeyPerEntry + CostModel::kFetchPerDocument));
      if (!r.foreign_field_indexed) {
        c.feasible = false;
        c.rejected_reason = "no index leads with the foreign field";
      }
      break;
    case JoinMethod::kHashJoin:
      c.cost = foreign * (CostModel::kScanPerDocument + JoinCostModel::kHashBuildPerDocument) +
               outer * JoinCostModel::kHashProbe +
               outer * matches * JoinCostModel::kHashEmitPerMatch;
      if (!fits) {
        c.feasible = false;
        c.rejected_reason = "foreign side exceeds the memory budget";
      }
      break;
    case JoinMethod::kNestedLoopScan:
      c.cost =
          foreign * CostModel::kScanPerDocument + outer * foreign * JoinCostModel::kCompareKeys;
      if (!fits) {
        c.feasible = false;
        c.rejected_reason = "foreign side exceeds the memory budget";
      }
      break;
    case JoinMethod::kPerDocumentQuery:
      c.cost = outer * std::max(1.0, foreign) * CostModel::kScanPerDocument;
      break;
  }
  return c;
}

JoinChoice ChooseJoin(const JoinRequest& request) {
  std::vector<JoinCandidate> all;
  for (JoinMethod m : {JoinMethod::kIndexedLoop, JoinMethod::kHashJoin, JoinMethod::kNestedLoopScan,
                       JoinMethod::kPerDocumentQuery}) {
    all.push_back(CostJoin(request, m));
  }
  std::stable_sort(all.begin(), all.end(), [](const JoinCandidate& a, const JoinCandidate& b) {
    if (a.feasible != b.feasible) return a.feasible;
    return a.cost < b.cost;
  });
  JoinChoice choice;
  choice.winner = all.front();
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].feasible) all[i].rejected_reason = "higher estimated cost";
    choice.rejected.push_back(all[i]);
  }
  return choice;
}

}  // namespace strata::query::planner
