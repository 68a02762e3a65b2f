// BuildPlanStages: turns the planner's chosen plan (query/planner/query_planner.h) into the
// tree of executable stages (query/exec/) that QueryExecution pulls from:
//
//   kIdPoint         IDHACK
//   kCollectionScan  COLLSCAN (forward or backward)
//   kIdRange         CLUSTERED_IXSCAN
//   kIndexScan       FETCH ← IXSCAN (deduplicating on a multikey index), or COUNT_SCAN for a
//                    count over exact bounds (no fetch, no filter), or a covered IXSCAN that
//                    rebuilds each key's document and applies the filter to it (no FETCH;
//                    the projection on top is then PROJECTION_COVERED)
//   kIndexUnion      FETCH ← OR ← IXSCAN per $or branch
// then, in MongoDB's order: SORT (unless the access path yields the order; top-k over
// skip + limit when limited) → SKIP → LIMIT → PROJECTION_SIMPLE / PROJECTION_DEFAULT.
// Every scan or FETCH applies the whole filter to each document it reads (the residual filter),
// so the answer never depends on the plan. Each stage gets the descriptive explain fields
// winningPlan shows for it (explain_plan.h).
//
// Lifetime: the stages borrow everything the params point to (engine, filter tree, sort spec,
// projection, index list); the caller (QueryExecution) owns those and outlives the tree.
#ifndef STRATA_DB_PLAN_STAGE_BUILDER_H_
#define STRATA_DB_PLAN_STAGE_BUILDER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/storage_engine.h"
#include "query/exec/plan_stage.h"
#include "query/match/match_expression.h"
#include "query/planner/query_planner.h"
#include "query/projection/projection.h"
#include "query/sort/external_sorter.h"
#include "query/sort/sort_spec.h"
#include "strata/document.h"

namespace strata::db {

struct PlanStageParams {
  const engine::StorageEngine* engine = nullptr;
  std::shared_ptr<engine::Snapshot> snapshot;
  uint32_t collection_id = 0;
  const query::planner::CandidatePlan* plan = nullptr;
  const std::vector<query::planner::IndexInfo>* indexes = nullptr;
  const query::match::MatchExpression* filter = nullptr;  // never null
  DocumentView filter_document;                           // explain's "filter"
  bool filter_can_fail = false;                           // $expr errors fail the query
  std::optional<std::string> point_id_key;                // kIdPoint: the `_id` key string
  // A blocking sort is needed (null: no order asked, or the access path yields it).
  const query::sort::SortSpec* sort = nullptr;
  DocumentView sort_document;
  query::sort::ExternalSorterOptions sort_options;  // limit is set by the builder
  int64_t skip = 0;
  int64_t limit = 0;                                          // 0: none
  const query::projection::Projection* projection = nullptr;  // null: whole documents
  DocumentView projection_document;
  bool count_scan = false;  // kIndexScan: count keys (COUNT_SCAN)
  // kIndexScan with plan->covered: what the query reads, so the scan rebuilds those key parts
  // (PROJECTION_COVERED ← … ← IXSCAN, no FETCH). Null: fetch.
  const query::planner::CoverageRequest* coverage = nullptr;
};

absl::StatusOr<std::unique_ptr<query::exec::PlanStage>> BuildPlanStages(
    const PlanStageParams& params);

}  // namespace strata::db

#endif  // STRATA_DB_PLAN_STAGE_BUILDER_H_
