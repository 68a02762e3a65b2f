#include "db/plan_stage_builder.h"

#include <utility>

#include "base/status_macros.h"
#include "db/explain_plan.h"
#include "index/bounds_format.h"
#include "query/exec/covered_projection.h"
#include "query/exec/fetch_stages.h"
#include "query/exec/scan_stages.h"
#include "query/exec/transform_stages.h"

namespace strata::db {
namespace {

using query::exec::PlanStage;
using query::planner::AccessKind;
using query::planner::CandidatePlan;

void AppendDoc(bson_t* out, const char* key, DocumentView doc) {
  bson_t b;
  doc.AsBson(&b);
  bson_append_document(out, key, -1, &b);
}

// Gives `stage` the explain fields `fields` appends.
template <typename AppendFields>
std::unique_ptr<PlanStage> WithDetails(std::unique_ptr<PlanStage> stage, AppendFields fields) {
  Document details;
  fields(details.mutable_bson());
  stage->set_details(std::move(details));
  return stage;
}

absl::StatusOr<std::unique_ptr<PlanStage>> IndexScan(const PlanStageParams& p,
                                                     const CandidatePlan& scan, bool count) {
  const query::planner::IndexInfo& index = (*p.indexes)[scan.index];
  ASSIGN_OR_RETURN(
      std::unique_ptr<query::exec::IndexCursor> cursor,
      query::exec::IndexCursor::Create(*p.engine, p.snapshot, index.format, scan.ranges,
                                       scan.bounds.bounds, scan.backward));
  std::unique_ptr<PlanStage> stage;
  if (count) {
    stage = query::exec::MakeCountScanStage(std::move(cursor));
  } else {
    stage = std::make_unique<query::exec::IndexScanStage>(std::move(cursor), index.multikey);
  }
  return WithDetails(std::move(stage), [&](bson_t* b) { AppendIndexScanFields(scan, index, b); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<PlanStage>> BuildPlanStages(const PlanStageParams& p) {
  const CandidatePlan& plan = *p.plan;
  const query::exec::DocumentSource source{p.engine, p.snapshot, p.collection_id};
  const query::exec::StageFilter filter(p.filter, p.filter_can_fail);
  const bool has_filter = !p.filter_document.empty();
  auto filter_field = [&](bson_t* b) {
    if (has_filter) AppendDoc(b, "filter", p.filter_document);
  };
  std::unique_ptr<PlanStage> root;
  switch (plan.kind) {
    case AccessKind::kIdPoint:
      root =
          std::make_unique<query::exec::IdHackStage>(source, p.point_id_key.value_or(""), filter);
      break;
    case AccessKind::kCollectionScan:
      root = WithDetails(
          std::make_unique<query::exec::CollectionScanStage>(source, plan.backward, filter),
          [&](bson_t* b) {
            filter_field(b);
            bson_append_utf8(b, "direction", -1, plan.backward ? "backward" : "forward", -1);
          });
      break;
    case AccessKind::kIdRange:
      root = WithDetails(
          std::make_unique<query::exec::ClusteredScanStage>(source, plan.ranges.ranges, filter),
          [&](bson_t* b) {
            filter_field(b);
            bson_append_utf8(b, "direction", -1, "forward", -1);
            Document bounds = index::FormatIndexBounds(
                plan.bounds.bounds, {index::KeyPart{"_id", false}}, /*backward_scan=*/false);
            bson_append_document(b, "indexBounds", -1, bounds.bson());
          });
      break;
    case AccessKind::kIndexScan: {
      if (p.count_scan) {
        ASSIGN_OR_RETURN(root, IndexScan(p, plan, /*count=*/true));
        break;
      }
      if (p.coverage != nullptr) {
        const query::planner::IndexInfo& index = (*p.indexes)[plan.index];
        ASSIGN_OR_RETURN(
            std::unique_ptr<query::exec::IndexCursor> cursor,
            query::exec::IndexCursor::Create(*p.engine, p.snapshot, index.format, plan.ranges,
                                             plan.bounds.bounds, plan.backward));
        root = WithDetails(
            std::make_unique<query::exec::CoveredIndexScanStage>(
                std::move(cursor),
                query::exec::CoveredDocumentBuilder(
                    index.shape.key_parts, query::planner::CoveredKeyParts(index, *p.coverage)),
                source, filter),
            [&](bson_t* b) {
              filter_field(b);
              AppendIndexScanFields(plan, index, b);
            });
        break;
      }
      ASSIGN_OR_RETURN(std::unique_ptr<PlanStage> scan, IndexScan(p, plan, /*count=*/false));
      root = WithDetails(std::make_unique<query::exec::FetchStage>(std::move(scan), source, filter),
                         filter_field);
      break;
    }
    case AccessKind::kIndexUnion: {
      std::vector<std::unique_ptr<PlanStage>> branches;
      for (const CandidatePlan& branch : plan.branches) {
        ASSIGN_OR_RETURN(std::unique_ptr<PlanStage> scan, IndexScan(p, branch, /*count=*/false));
        branches.push_back(std::move(scan));
      }
      auto union_stage = std::make_unique<query::exec::OrStage>(std::move(branches));
      root = WithDetails(
          std::make_unique<query::exec::FetchStage>(std::move(union_stage), source, filter),
          filter_field);
      break;
    }
  }
  if (p.sort != nullptr) {
    query::sort::ExternalSorterOptions options = p.sort_options;
    if (p.limit > 0) options.limit = static_cast<size_t>(p.skip + p.limit);
    const size_t mem_limit = options.memory_limit_bytes;
    root = WithDetails(std::make_unique<query::exec::SortStage>(
                           std::move(root), p.sort, std::move(options),
                           "Executor error during find command :: caused by :: "),
                       [&](bson_t* b) {
                         AppendDoc(b, "sortPattern", p.sort_document);
                         bson_append_int64(b, "memLimit", -1, static_cast<int64_t>(mem_limit));
                         if (p.limit > 0) bson_append_int64(b, "limitAmount", -1, p.skip + p.limit);
                         bson_append_utf8(b, "type", -1, "simple", -1);
                       });
  }
  if (p.skip > 0) {
    root = WithDetails(std::make_unique<query::exec::SkipStage>(std::move(root), p.skip),
                       [&](bson_t* b) { bson_append_int64(b, "skipAmount", -1, p.skip); });
  }
  if (p.limit > 0) {
    root = WithDetails(std::make_unique<query::exec::LimitStage>(std::move(root), p.limit),
                       [&](bson_t* b) { bson_append_int64(b, "limitAmount", -1, p.limit); });
  }
  if (p.projection != nullptr) {
    root = WithDetails(std::make_unique<query::exec::ProjectionStage>(
                           std::move(root), p.projection, p.filter,
                           p.coverage != nullptr && plan.kind == AccessKind::kIndexScan
                               ? std::string("PROJECTION_COVERED")
                               : query::exec::ProjectionStageName(p.projection_document)),
                       [&](bson_t* b) { AppendDoc(b, "transformBy", p.projection_document); });
  }
  return root;
}

}  // namespace strata::db
