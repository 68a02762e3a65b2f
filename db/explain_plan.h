// The explain form of a plan: MongoDB's stage tree (COLLSCAN, IDHACK, IXSCAN with indexBounds,
// FETCH, SORT, SKIP, LIMIT, PROJECTION_DEFAULT) for queryPlanner.winningPlan / rejectedPlans
// and executionStats.executionStages, plus what MongoDB does not show: each plan's estimate
// ({rows, keysExamined, docsExamined, cost} in cost_model.h units) under `strataEstimate`.
#ifndef STRATA_DB_EXPLAIN_PLAN_H_
#define STRATA_DB_EXPLAIN_PLAN_H_

#include <bson/bson.h>

#include "db/query_execution.h"
#include "query/planner/query_planner.h"

namespace strata::db {

// Actual counters of an executed plan, attached to its stages.
struct ExecutionCounters {
  int64_t n_returned = 0;
  int64_t keys_examined = 0;
  int64_t docs_examined = 0;
};

// Appends the stage tree of `plan` for the read `spec` to `out` under `field`.
// With `counters`, scan and fetch stages carry keysExamined/docsExamined and the root nReturned.
void AppendPlanStages(const query::planner::CandidatePlan& plan,
                      const std::vector<query::planner::IndexInfo>& indexes, const QuerySpec& spec,
                      const ExecutionCounters* counters, const char* field, bson_t* out);

}  // namespace strata::db

#endif  // STRATA_DB_EXPLAIN_PLAN_H_
