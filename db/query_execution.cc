#include "db/query_execution.h"

#include "base/status_macros.h"
#include "db/matcher_adapters.h"
#include "db/plan_stage_builder.h"
#include "document/key_string.h"
#include "engine/collection_stats.h"
#include "query/match/parser.h"

namespace strata::db {
namespace {

// The key string of `_id` when the filter's top level pins `_id` to one value
// ({_id: v} or {_id: {$eq: v}}, v not a regex, array or operator document).
std::optional<std::string> PinnedIdKey(DocumentView filter) {
  bson_t b;
  bson_iter_t it;
  if (!filter.AsBson(&b) || !bson_iter_init_find(&it, &b, "_id")) return std::nullopt;
  bson_iter_t value = it;
  if (BSON_ITER_HOLDS_DOCUMENT(&value)) {
    bson_iter_t inner;
    bson_iter_recurse(&value, &inner);
    if (bson_iter_next(&inner) && bson_iter_key(&inner)[0] == '$') {
      if (absl::string_view(bson_iter_key(&inner)) != "$eq") return std::nullopt;
      value = inner;
      if (bson_iter_next(&inner)) return std::nullopt;
    }
  }
  if (BSON_ITER_HOLDS_REGEX(&value) || BSON_ITER_HOLDS_ARRAY(&value)) return std::nullopt;
  return document::EncodeKeyString(value);
}

}  // namespace

bool QueryExecution::IsUnhintedIdPointRead(const QuerySpec& spec) {
  return spec.hint.kind == query::planner::Hint::Kind::kNone &&
         PinnedIdKey(spec.filter.view()).has_value();
}

absl::StatusOr<std::unique_ptr<QueryExecution>> QueryExecution::Create(
    const engine::StorageEngine& engine, engine::CollectionHandle collection, QuerySpec spec,
    std::vector<query::planner::IndexInfo> indexes, query::planner::PlanCache* plan_cache) {
  std::unique_ptr<QueryExecution> execution(
      new QueryExecution(std::move(collection), std::move(spec), std::move(indexes)));
  QuerySpec& s = execution->spec_;
  ASSIGN_OR_RETURN(execution->filter_, ParseQueryFilter(s.filter.view()));
  const bool filter_can_fail = ContainsExternalOperator(*execution->filter_);
  if (!s.sort.view().empty()) {
    ASSIGN_OR_RETURN(query::sort::SortSpec sort, query::sort::SortSpec::Parse(s.sort.view()));
    // {$natural: -1} asks for a reverse collection scan, like the hint.
    if (sort.natural_direction() < 0 && s.hint.kind == query::planner::Hint::Kind::kNone) {
      s.hint.kind = query::planner::Hint::Kind::kNatural;
      s.hint.natural_backward = true;
    }
    if (!sort.empty()) execution->sort_ = std::move(sort);
  }
  if (!s.projection.view().empty()) {
    ASSIGN_OR_RETURN(query::projection::Projection projection,
                     ParseProjection(s.projection.view(), s.filter.view()));
    if (!projection.is_identity()) execution->projection_ = std::move(projection);
  }
  const std::optional<std::string> point_id_key = PinnedIdKey(s.filter.view());
  if (execution->collection_ == nullptr) {
    execution->exhausted_ = true;
    return execution;
  }
  std::shared_ptr<engine::Snapshot> snapshot = engine.GetSnapshot();
  // The planner needs the collection's size, except for an unhinted `_id` point read.
  engine::CollectionStats stats;
  if (!point_id_key.has_value() || s.hint.kind != query::planner::Hint::Kind::kNone) {
    ASSIGN_OR_RETURN(
        stats, engine::ReadCollectionStats(engine, execution->collection_->id, snapshot.get()));
  }
  query::planner::PlanRequest request;
  request.filter = execution->filter_.get();
  request.filter_document = s.filter.view();
  request.sort = execution->sort_.has_value() ? &*execution->sort_ : nullptr;
  request.skip = s.skip;
  request.limit = s.limit;
  request.hint = s.hint;
  request.id_point = point_id_key.has_value();
  request.collection_documents = stats.count;
  request.collection_id = execution->collection_->id;
  request.count_only = s.count_only;
  if (!s.count_only && !filter_can_fail) {
    execution->coverage_ = query::planner::AnalyzeCoverage(
        *execution->filter_, s.projection.view(),
        execution->sort_.has_value() ? &*execution->sort_ : nullptr);
    if (execution->coverage_.possible) request.coverage = &execution->coverage_;
  }
  execution->shape_ = query::planner::QueryShapeOf(s.filter.view(), s.sort.view(),
                                                   s.projection.view(), s.skip, s.limit);
  if (s.use_plan_cache && plan_cache != nullptr) {
    request.plan_cache = plan_cache;
    request.shape_key = s.count_only ? "count:" + execution->shape_.key : execution->shape_.key;
  }
  ASSIGN_OR_RETURN(execution->plan_,
                   query::planner::ChoosePlan(request, execution->indexes_, engine, snapshot));
  const query::planner::CandidatePlan& plan = execution->plan_->winner;
  PlanStageParams params;
  params.engine = &engine;
  params.snapshot = std::move(snapshot);
  params.collection_id = execution->collection_->id;
  params.plan = &plan;
  params.indexes = &execution->indexes_;
  params.filter = execution->filter_.get();
  params.filter_document = s.filter.view();
  params.filter_can_fail = filter_can_fail;
  if (plan.kind == query::planner::AccessKind::kIdPoint) params.point_id_key = point_id_key;
  // A sort the access path yields (an index in order, `_id` order) needs no SORT stage.
  if (execution->sort_.has_value() && !plan.provides_sort) {
    params.sort = &*execution->sort_;
    params.sort_document = s.sort.view();
    params.sort_options.memory_limit_bytes =
        s.sort_memory_bytes > 0 ? s.sort_memory_bytes : engine.options().aggregation_memory_bytes;
    params.sort_options.allow_disk_use = s.allow_disk_use;
    params.sort_options.temp_dir = engine.path() + "/_tmp";
  }
  params.skip = s.skip;
  params.limit = s.limit;
  if (execution->projection_.has_value()) {
    params.projection = &*execution->projection_;
    params.projection_document = s.projection.view();
  }
  if (plan.kind == query::planner::AccessKind::kIndexScan && plan.covered) {
    params.coverage = &execution->coverage_;
  }
  params.count_scan =
      plan.kind == query::planner::AccessKind::kIndexScan && plan.count_scan && !filter_can_fail;
  ASSIGN_OR_RETURN(execution->root_, BuildPlanStages(params));
  if (s.collect_stage_timing) execution->root_->SetTiming(true);
  return execution;
}

void QueryExecution::Finish() {
  exhausted_ = true;
  if (root_ != nullptr) root_->Release();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::Advance() {
  if (exhausted_ || root_ == nullptr) return std::optional<absl::string_view>();
  absl::StatusOr<bool> advanced = root_->Next();
  if (!advanced.ok() || !*advanced) {
    Finish();
    if (!advanced.ok()) return advanced.status();
    return std::optional<absl::string_view>();
  }
  ++n_returned_;
  const query::exec::StageRow& row = root_->row();
  if (!row.has_doc()) {
    // A count straight from the index keys: each result is an empty document.
    static constexpr char kEmptyDocument[] = {5, 0, 0, 0, 0};
    return std::optional<absl::string_view>(absl::string_view(kEmptyDocument, 5));
  }
  return std::optional<absl::string_view>(row.doc);
}

absl::StatusOr<Document> ApplyProjection(DocumentView projection, DocumentView doc) {
  ASSIGN_OR_RETURN(query::projection::Projection parsed, ParseProjection(projection, std::nullopt));
  return parsed.Apply(doc);
}

absl::StatusOr<bool> QueryExecution::HasNext() {
  if (peeked_.has_value()) return true;
  ASSIGN_OR_RETURN(auto next, Advance());
  if (!next.has_value()) return false;
  peeked_ = std::string(*next);
  return true;
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::Next() {
  if (peeked_.has_value()) {
    returned_ = std::move(*peeked_);
    peeked_.reset();
    return std::optional<absl::string_view>(returned_);
  }
  return Advance();
}

}  // namespace strata::db
