// The explain form of a plan: MongoDB's stage tree (COLLSCAN, IDHACK, IXSCAN with indexBounds,
// FETCH, OR, SORT, SKIP, LIMIT, PROJECTION_SIMPLE/DEFAULT) for queryPlanner.winningPlan /
// rejectedPlans (from the planner's candidate plans) and for executionStats.executionStages
// (from the executed stage tree, each stage with its own counters: nReturned, works, advanced,
// needTime, isEOF, executionTimeMillisEstimate, keysExamined/docsExamined where MongoDB shows
// them, SORT's usedDisk/spills), plus what MongoDB does not show: each plan's estimate
// ({rows, keysExamined, docsExamined, cost} in cost_model.h units) under `strataEstimate` at
// its root.
#ifndef STRATA_DB_EXPLAIN_PLAN_H_
#define STRATA_DB_EXPLAIN_PLAN_H_

#include <bson/bson.h>

#include "db/query_execution.h"
#include "query/exec/plan_stage.h"
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

// The explain fields of an index scan of `plan` over `index` (keyPattern, indexName,
// isMultiKey, multiKeyPaths, isUnique, isSparse, isPartial, indexVersion, direction,
// indexBounds), appended to the stage document `b`.
void AppendIndexScanFields(const query::planner::CandidatePlan& plan,
                           const query::planner::IndexInfo& index, bson_t* b);

// Appends the executed stage tree under `root` to `out` under `field` (executionStages), the
// estimate of `plan` at its root; for a count, under a COUNT stage (nCounted).
void AppendExecutionStages(const query::exec::PlanStage& root,
                           const query::planner::CandidatePlan& plan, bool count_only,
                           const char* field, bson_t* out);

}  // namespace strata::db

#endif  // STRATA_DB_EXPLAIN_PLAN_H_
