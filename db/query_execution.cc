#include "db/query_execution.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/matcher_adapters.h"
#include "document/key_string.h"
#include "engine/collection_stats.h"
#include "query/expression/expr_match.h"
#include "query/match/parser.h"
#include "query/sort/sort_buffer.h"

namespace strata::db {
namespace {

// MongoDB's in-memory sort limit (internalQueryMaxBlockingSortMemoryUsageBytes).
constexpr size_t kMaxSortBytes = 100 * 1024 * 1024;

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

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
      new QueryExecution(engine, std::move(collection), std::move(spec), std::move(indexes)));
  QuerySpec& s = execution->spec_;
  ASSIGN_OR_RETURN(execution->filter_, ParseQueryFilter(s.filter.view()));
  execution->filter_can_fail_ = ContainsExternalOperator(*execution->filter_);
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
  execution->point_id_key_ = PinnedIdKey(s.filter.view());
  execution->to_skip_ = s.skip;
  execution->remaining_ = s.limit > 0 ? s.limit : -1;
  if (execution->collection_ == nullptr) {
    execution->exhausted_ = true;
    return execution;
  }
  execution->snapshot_ = engine.GetSnapshot();
  // The planner needs the collection's size, except for an unhinted `_id` point read.
  engine::CollectionStats stats;
  if (!execution->point_id_key_.has_value() || s.hint.kind != query::planner::Hint::Kind::kNone) {
    ASSIGN_OR_RETURN(stats, engine::ReadCollectionStats(engine, execution->collection_->id,
                                                        execution->snapshot_.get()));
  }
  query::planner::PlanRequest request;
  request.filter = execution->filter_.get();
  request.filter_document = s.filter.view();
  request.sort = execution->sort_.has_value() ? &*execution->sort_ : nullptr;
  request.skip = s.skip;
  request.limit = s.limit;
  request.hint = s.hint;
  request.id_point = execution->point_id_key_.has_value();
  request.collection_documents = stats.count;
  request.collection_id = execution->collection_->id;
  request.count_only = s.count_only;
  if (!s.count_only && !execution->filter_can_fail_) {
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
  ASSIGN_OR_RETURN(execution->plan_, query::planner::ChoosePlan(request, execution->indexes_,
                                                                engine, execution->snapshot_));
  const query::planner::CandidatePlan& plan = execution->plan_->winner;
  if (plan.kind != query::planner::AccessKind::kIdPoint) execution->point_id_key_.reset();
  execution->scan_backward_ =
      plan.kind == query::planner::AccessKind::kCollectionScan && plan.backward;
  if (plan.kind == query::planner::AccessKind::kIndexScan) {
    RETURN_IF_ERROR(execution->OpenIndexScan(plan));
    execution->dedupe_ = execution->indexes_[plan.index].multikey;
    execution->count_scan_ = plan.count_scan && !execution->filter_can_fail_;
    if (plan.covered) {
      const query::planner::IndexInfo& index = execution->indexes_[plan.index];
      execution->covered_.emplace(index.shape.key_parts,
                                  query::planner::CoveredKeyParts(index, execution->coverage_));
    }
    // The index yields the requested order: no blocking sort.
    if (plan.provides_sort) execution->sort_.reset();
  } else if (plan.kind == query::planner::AccessKind::kIndexUnion) {
    // A document matching several branches must come out once.
    execution->dedupe_ = true;
    RETURN_IF_ERROR(execution->OpenIndexScan(plan.branches[0]));
    execution->next_branch_ = 1;
  } else if (plan.kind == query::planner::AccessKind::kIdRange) {
    execution->id_ranges_ = &plan.ranges;
  }
  // A forward `_id` range or collection scan yields {_id: 1} order itself.
  if (plan.provides_sort) execution->sort_.reset();
  return execution;
}

absl::Status QueryExecution::OpenIndexScan(const query::planner::CandidatePlan& scan) {
  if (index_cursor_ != nullptr) keys_examined_ += index_cursor_->keys_examined();
  const query::planner::IndexInfo& index = indexes_[scan.index];
  ASSIGN_OR_RETURN(index_cursor_,
                   query::exec::IndexCursor::Create(engine_, snapshot_, index.format, scan.ranges,
                                                    scan.bounds.bounds, scan.backward));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::NextFromSource() {
  from_key_ = false;
  if (point_id_key_.has_value()) {
    source_done_ = true;  // one point read at most
    engine::RecordStore store(&engine_);
    ASSIGN_OR_RETURN(auto found, store.Get(*snapshot_, collection_->id, *point_id_key_));
    if (!found.has_value()) return std::optional<absl::string_view>();
    point_value_ = std::move(*found);
    return std::optional<absl::string_view>(point_value_);
  }
  if (index_cursor_ != nullptr) {
    engine::RecordStore store(&engine_);
    while (true) {
      ASSIGN_OR_RETURN(std::optional<query::exec::IndexCursor::Entry> entry, index_cursor_->Next());
      if (!entry.has_value()) {
        const auto& branches = plan_->winner.branches;
        if (next_branch_ < branches.size()) {
          RETURN_IF_ERROR(OpenIndexScan(branches[next_branch_++]));
          continue;
        }
        source_done_ = true;
        return std::optional<absl::string_view>();
      }
      if (dedupe_ && !seen_ids_.insert(std::string(entry->id_key_string)).second) continue;
      if (count_scan_) {
        // The bounds are exact: the key alone says the document matches.
        static constexpr char kEmptyDocument[] = {5, 0, 0, 0, 0};
        return std::optional<absl::string_view>(absl::string_view(kEmptyDocument, 5));
      }
      if (covered_.has_value()) {
        ASSIGN_OR_RETURN(std::optional<Document> rebuilt,
                         covered_->Build(entry->key, entry->key_types));
        if (rebuilt.has_value()) {
          from_key_ = true;
          point_value_.assign(reinterpret_cast<const char*>(rebuilt->data()), rebuilt->size());
          return std::optional<absl::string_view>(point_value_);
        }
      }
      ASSIGN_OR_RETURN(auto found, store.Get(*snapshot_, collection_->id, entry->id_key_string));
      if (!found.has_value()) {
        return absl::DataLossError("an index entry names a document that does not exist");
      }
      point_value_ = std::move(*found);
      return std::optional<absl::string_view>(point_value_);
    }
  }
  if (id_ranges_ != nullptr) {
    // `_id` ranges in order: each read from its start until its limit.
    if (iterator_ == nullptr) {
      iterator_ = std::make_unique<engine::RecordIterator>(engine_, snapshot_, collection_->id);
    } else {
      iterator_->Next();
    }
    while (true) {
      const std::vector<index::KeyRange>& ranges = id_ranges_->ranges;
      if (current_id_range_ >= 0 && iterator_->Valid() &&
          iterator_->id_key() < ranges[current_id_range_].limit) {
        return std::optional<absl::string_view>(iterator_->value());
      }
      RETURN_IF_ERROR(iterator_->status());
      if (++current_id_range_ >= static_cast<int>(ranges.size())) {
        source_done_ = true;
        return std::optional<absl::string_view>();
      }
      iterator_->Seek(ranges[current_id_range_].start);
    }
  }
  if (!source_started_) {
    source_started_ = true;
    iterator_ = std::make_unique<engine::RecordIterator>(engine_, snapshot_, collection_->id);
    if (scan_backward_) {
      iterator_->SeekToLast();
    } else {
      iterator_->SeekToFirst();
    }
  } else if (scan_backward_) {
    iterator_->Prev();
  } else {
    iterator_->Next();
  }
  if (!iterator_->Valid()) {
    source_done_ = true;
    RETURN_IF_ERROR(iterator_->status());
    return std::optional<absl::string_view>();
  }
  return std::optional<absl::string_view>(iterator_->value());
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::NextMatching() {
  while (!source_done_) {
    ASSIGN_OR_RETURN(std::optional<absl::string_view> next, NextFromSource());
    if (!next.has_value()) break;
    absl::string_view candidate = *next;
    if (count_scan_) return std::optional<absl::string_view>(candidate);
    if (!from_key_) ++docs_examined_;
    if (filter_->Matches(ViewOf(candidate))) return std::optional<absl::string_view>(candidate);
    if (filter_can_fail_) {
      // MongoDB fails the whole query when an expression cannot be evaluated.
      RETURN_IF_ERROR(query::expression::FirstEvaluationError(*filter_, ViewOf(candidate)));
    }
  }
  return std::optional<absl::string_view>();
}

absl::Status QueryExecution::MaterializeSorted() {
  // Top-k when limited: only skip + limit entries are ever held.
  std::optional<size_t> keep;
  if (spec_.limit > 0) keep = static_cast<size_t>(spec_.skip + spec_.limit);
  query::sort::SortBuffer buffer(keep);
  while (true) {
    ASSIGN_OR_RETURN(auto next, NextMatching());
    if (!next.has_value()) break;
    ASSIGN_OR_RETURN(std::string key, sort_->SortKey(ViewOf(*next)));
    buffer.Add(std::move(key), Document::Copy(ViewOf(*next)));
    if (buffer.bytes() > kMaxSortBytes) {
      return MongoError(
          ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed,
          absl::StrCat("Executor error during find command :: caused by :: Sort "
                       "exceeded memory limit of ",
                       kMaxSortBytes, " bytes, but did not opt in to external sorting."));
    }
  }
  sorted_ = buffer.Finish();
  sorted_next_ = std::min(sorted_.size(), static_cast<size_t>(spec_.skip));
  to_skip_ = 0;
  iterator_.reset();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::NextUnprojected() {
  if (sort_.has_value() && !exhausted_) {
    if (!sorted_ready_) {
      sorted_ready_ = true;
      RETURN_IF_ERROR(MaterializeSorted());
    }
    if (remaining_ != 0 && sorted_next_ < sorted_.size()) {
      if (remaining_ > 0) --remaining_;
      ++n_returned_;
      const Document& doc = sorted_[sorted_next_++];
      return std::optional<absl::string_view>(
          absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size()));
    }
    exhausted_ = true;
    sorted_.clear();
    snapshot_.reset();
    return std::optional<absl::string_view>();
  }
  while (!exhausted_) {
    if (remaining_ == 0) break;
    ASSIGN_OR_RETURN(auto next, NextMatching());
    if (!next.has_value()) break;
    if (to_skip_ > 0) {
      --to_skip_;
      continue;
    }
    if (remaining_ > 0) --remaining_;
    ++n_returned_;
    return next;
  }
  exhausted_ = true;
  iterator_.reset();
  snapshot_.reset();
  return std::optional<absl::string_view>();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::Advance() {
  auto next = NextUnprojected();
  if (!next.ok()) exhausted_ = true;
  if (!next.ok() || !next->has_value() || !projection_.has_value()) return next;
  std::optional<size_t> positional;
  if (projection_->has_positional()) {
    // The array position the filter matched, for "a.$".
    query::match::MatchDetails details;
    details.RequestElemMatchKey();
    filter_->Matches(ViewOf(**next), &details);
    size_t index = 0;
    if (details.has_elem_match_key() && absl::SimpleAtoi(details.elem_match_key(), &index)) {
      positional = index;
    }
  }
  ASSIGN_OR_RETURN(Document projected, projection_->Apply(ViewOf(**next), positional));
  projected_.assign(reinterpret_cast<const char*>(projected.data()), projected.size());
  return std::optional<absl::string_view>(projected_);
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
