// QueryExecution: produces the documents a read returns, one at a time, on one snapshot.
//
// Create parses the spec, asks the cost-based planner (query/planner/query_planner.h) for a
// plan, and builds its tree of pull-based stages (db/plan_stage_builder.h, query/exec/): an
// access path (IDHACK, COLLSCAN, CLUSTERED_IXSCAN, FETCH ← IXSCAN, FETCH ← OR ← IXSCAN…,
// COUNT_SCAN, or a covered IXSCAN that rebuilds the key fields instead of fetching:
// query/planner/covered_plan.h) applying the whole filter to every document it reads, then in
// MongoDB's order SORT (skipped when the access path yields the order; top-k when limited; past the
// memory budget it spills to files under <data dir>/_tmp with allow_disk_use, else fails with
// QueryExceededMemoryLimitNoDiskUseAllowed) → SKIP → LIMIT → PROJECTION. Next pulls the root.
// When the results end (or an error occurs) the tree releases its iterators, snapshot and
// spill files but keeps its per-stage counters for explain; destroying the execution (a
// killed cursor) releases them too.
// Ownership: the execution owns copies of the filter, sort and projection documents its trees
// point into, and a shared snapshot. Thread safety: one caller at a time.
#ifndef STRATA_DB_QUERY_EXECUTION_H_
#define STRATA_DB_QUERY_EXECUTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog.h"
#include "engine/record_store.h"
#include "query/exec/plan_stage.h"
#include "query/match/match_expression.h"
#include "query/planner/query_planner.h"
#include "query/projection/projection.h"
#include "query/sort/sort_spec.h"
#include "strata/document.h"

namespace strata::db {

struct QuerySpec {
  Document filter;             // {} matches everything
  Document sort;               // {} keeps `_id` order
  Document projection;         // {} returns whole documents
  int64_t skip = 0;            // >= 0
  int64_t limit = 0;           // > 0 caps the result; 0 means no limit
  query::planner::Hint hint;   // find's `hint` (none by default)
  bool use_plan_cache = true;  // false: plan afresh and cache nothing (explain)
  // Only the number of results is wanted (count): the execution may return empty documents
  // counted straight from an index (COUNT_SCAN) instead of the documents themselves.
  bool count_only = false;
  // find's allowDiskUse: a blocking sort past its memory budget spills to files instead of
  // failing with 292. Default: false.
  bool allow_disk_use = false;
  // Memory budget of a blocking sort, bytes; 0 (default): DatabaseOptions'
  // aggregation_memory_bytes (100 MiB unless configured).
  size_t sort_memory_bytes = 0;
  // Time every stage's work (explain executionStats' executionTimeMillisEstimate). Default: off.
  bool collect_stage_timing = false;
};

class QueryExecution {
 public:
  // Whether `spec` pins `_id` to one value without a hint: the planner then reads that one
  // document and needs no index list (nor the index statistics that building it reads).
  static bool IsUnhintedIdPointRead(const QuerySpec& spec);
  // Parses the spec (BadValue & co. for bad filters/sorts/projections) and opens a snapshot.
  // `collection` may be null: a missing collection reads as empty.
  // `indexes` are the collection's indexes for the planner (none: collection scans only).
  static absl::StatusOr<std::unique_ptr<QueryExecution>> Create(
      const engine::StorageEngine& engine, engine::CollectionHandle collection, QuerySpec spec,
      std::vector<query::planner::IndexInfo> indexes = {},
      query::planner::PlanCache* plan_cache = nullptr);

  // The next result's BSON bytes, or nullopt at the end. Valid until the next call.
  absl::StatusOr<std::optional<absl::string_view>> Next();
  // True when a following Next would return a document (reads one ahead and keeps it).
  absl::StatusOr<bool> HasNext();

  // Documents examined, index keys examined and results returned so far (explain, tests):
  // sums over the stage tree.
  int64_t docs_examined() const { return root_ != nullptr ? root_->TotalDocsExamined() : 0; }
  int64_t keys_examined() const { return root_ != nullptr ? root_->TotalKeysExamined() : 0; }
  int64_t n_returned() const { return n_returned_; }

  // The plan the planner chose (and the ones it rejected); null for a missing collection.
  const query::planner::PlanChoice* plan() const { return plan_.has_value() ? &*plan_ : nullptr; }
  const std::vector<query::planner::IndexInfo>& indexes() const { return indexes_; }
  const QuerySpec& spec() const { return spec_; }
  // The query's shape (explain's queryHash; the plan cache's key).
  const query::planner::QueryShape& shape() const { return shape_; }

  // The parsed filter (never null after Create).
  const query::match::MatchExpression& filter() const { return *filter_; }

  // The root of the executing stage tree with its per-stage counters (explain); null for a
  // missing collection. Valid as long as the execution.
  const query::exec::PlanStage* root_stage() const { return root_.get(); }

 private:
  QueryExecution(engine::CollectionHandle collection, QuerySpec spec,
                 std::vector<query::planner::IndexInfo> indexes)
      : collection_(std::move(collection)), spec_(std::move(spec)), indexes_(std::move(indexes)) {}
  absl::StatusOr<std::optional<absl::string_view>> Advance();
  // Ends the execution: the tree frees its resources, keeping its counters.
  void Finish();

  engine::CollectionHandle collection_;
  QuerySpec spec_;
  std::vector<query::planner::IndexInfo> indexes_;
  std::optional<query::planner::PlanChoice> plan_;
  query::planner::QueryShape shape_;
  query::match::MatchExpressionPtr filter_;
  std::optional<query::sort::SortSpec> sort_;                // set when sorting
  std::optional<query::projection::Projection> projection_;  // set when projecting
  std::unique_ptr<query::exec::PlanStage> root_;
  // What the query reads of each document (the planner's covering decision; the covered scan
  // rebuilds those key parts).
  query::planner::CoverageRequest coverage_;

  std::optional<std::string> peeked_;
  std::string returned_;
  int64_t n_returned_ = 0;
  bool exhausted_ = false;
};

// Applies a find-style projection (no positional `$`) to one document.
absl::StatusOr<Document> ApplyProjection(DocumentView projection, DocumentView doc);

}  // namespace strata::db

#endif  // STRATA_DB_QUERY_EXECUTION_H_
