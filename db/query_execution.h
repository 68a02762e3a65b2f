// QueryExecution: produces the documents a read returns, one at a time, on one snapshot.
//
// The steps, in MongoDB's order: source, chosen by the cost-based planner
// (query/planner/query_planner.h): an `_id` point read, a collection scan in `_id` order, or an
// index scan over the filter's bounds with a fetch of each document (deduplicated for
// multikey indexes), or without one when the index covers the query (the key fields rebuilt
// from typed index entries: query/exec/covered_projection.h) → filter (query/match, applied to
// every document the source yields, so the answer never depends on the source) → sort (skipped when
// the index scan yields the requested order; else query/sort keys, top-k when a limit is given,
// failing with QueryExceededMemoryLimitNoDiskUseAllowed past 100 MiB) → skip → limit → projection
// (query/projection).
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

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/catalog.h"
#include "engine/record_store.h"
#include "query/exec/covered_projection.h"
#include "query/exec/index_cursor.h"
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

  // Documents examined, index keys examined and results returned so far (explain, tests).
  int64_t docs_examined() const { return docs_examined_; }
  int64_t keys_examined() const {
    return keys_examined_ + (index_cursor_ != nullptr ? index_cursor_->keys_examined() : 0);
  }
  int64_t n_returned() const { return n_returned_; }

  // The plan the planner chose (and the ones it rejected); null for a missing collection.
  const query::planner::PlanChoice* plan() const { return plan_.has_value() ? &*plan_ : nullptr; }
  const std::vector<query::planner::IndexInfo>& indexes() const { return indexes_; }
  const QuerySpec& spec() const { return spec_; }
  // The query's shape (explain's queryHash; the plan cache's key).
  const query::planner::QueryShape& shape() const { return shape_; }

  // The parsed filter (never null after Create).
  const query::match::MatchExpression& filter() const { return *filter_; }

 private:
  QueryExecution(const engine::StorageEngine& engine, engine::CollectionHandle collection,
                 QuerySpec spec, std::vector<query::planner::IndexInfo> indexes)
      : engine_(engine),
        collection_(std::move(collection)),
        spec_(std::move(spec)),
        indexes_(std::move(indexes)) {}
  // Opens the index cursor of `scan` (an index scan plan, or one branch of a union).
  absl::Status OpenIndexScan(const query::planner::CandidatePlan& scan);
  // The next candidate document from the plan's access path (before the filter).
  absl::StatusOr<std::optional<absl::string_view>> NextFromSource();

  // The next document from the source that passes the filter (raw stored bytes).
  absl::StatusOr<std::optional<absl::string_view>> NextMatching();
  // Reads every matching document, sorts them, keeps [skip, skip+limit).
  absl::Status MaterializeSorted();
  // Next result before projection.
  absl::StatusOr<std::optional<absl::string_view>> NextUnprojected();
  absl::StatusOr<std::optional<absl::string_view>> Advance();

  const engine::StorageEngine& engine_;
  engine::CollectionHandle collection_;
  QuerySpec spec_;
  std::vector<query::planner::IndexInfo> indexes_;
  std::optional<query::planner::PlanChoice> plan_;
  query::planner::QueryShape shape_;
  query::match::MatchExpressionPtr filter_;
  std::optional<query::sort::SortSpec> sort_;                // set when sorting
  std::optional<query::projection::Projection> projection_;  // set when projecting
  std::optional<std::string> point_id_key_;                  // set when the filter pins `_id`
  bool filter_can_fail_ = false;  // $expr: evaluation errors fail the query

  std::shared_ptr<engine::Snapshot> snapshot_;
  std::unique_ptr<engine::RecordIterator> iterator_;
  std::unique_ptr<query::exec::IndexCursor> index_cursor_;
  size_t next_branch_ = 0;  // kIndexUnion: the branch whose cursor opens next
  // kIdRange: the `_id` ranges to read and the one being read (-1: none opened yet).
  const index::ScanRanges* id_ranges_ = nullptr;
  int current_id_range_ = -1;
  bool dedupe_ = false;                        // multikey index scan: skip seen documents
  absl::flat_hash_set<std::string> seen_ids_;  // `_id` key strings returned by the index scan
  int64_t keys_examined_ = 0;                  // by finished index cursors
  std::string point_value_;
  bool count_scan_ = false;  // each index key in the ranges is one result; nothing fetched
  // Covered index scan (query/planner/covered_plan.h): the source yields documents rebuilt
  // from the keys; an entry that cannot be rebuilt is fetched instead.
  query::planner::CoverageRequest coverage_;
  std::optional<query::exec::CoveredDocumentBuilder> covered_;
  bool from_key_ = false;       // the last source document was rebuilt from a key (not examined)
  bool scan_backward_ = false;  // collection scan in descending `_id` order ($natural: -1)
  bool source_started_ = false;
  bool source_done_ = false;

  // Sorted results (when sorting), already skipped and limited, consumed from sorted_next_.
  bool sorted_ready_ = false;
  std::vector<Document> sorted_;
  size_t sorted_next_ = 0;

  int64_t to_skip_ = 0;
  int64_t remaining_ = -1;  // < 0: unlimited
  std::optional<std::string> peeked_;
  std::string returned_;
  std::string projected_;  // bytes of the last projected document
  int64_t docs_examined_ = 0;
  int64_t n_returned_ = 0;
  bool exhausted_ = false;
};

// Applies a find-style projection (no positional `$`) to one document.
absl::StatusOr<Document> ApplyProjection(DocumentView projection, DocumentView doc);

}  // namespace strata::db

#endif  // STRATA_DB_QUERY_EXECUTION_H_
