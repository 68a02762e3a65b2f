// The aggregation pipeline's execution model: pull-based stages.
//
// A Stage produces documents one at a time from Next(); each stage pulls from the stage before
// it (its source). The first stage of a pipeline reads a collection through the PipelineHost
// (db/ supplies it: the cost-based planner, snapshots, writes), so this layer never depends on
// db/. Stages own the documents they return (Document is move-only); a returned document is the
// caller's.
//
// Memory: blocking stages ($sort, $group, $bucketAuto, $facet, hash joins) count the bytes they
// hold against PipelineOptions::memory_limit_bytes. Over it, $sort and $group spill sorted runs
// to files under PipelineOptions::temp_dir when allow_disk_use is set, and fail with
// QueryExceededMemoryLimitNoDiskUseAllowed (292) otherwise.
//
// Thread safety: a pipeline belongs to one thread at a time.
#ifndef STRATA_QUERY_PIPELINE_STAGE_H_
#define STRATA_QUERY_PIPELINE_STAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/expression/expression.h"
#include "strata/document.h"

namespace strata::query::pipeline {

class Stage {
 public:
  virtual ~Stage() = default;
  // The next document, or nullopt at the end. Errors end the pipeline.
  absl::StatusOr<std::optional<Document>> Next() {
    auto next = DoNext();
    if (next.ok() && next->has_value()) ++n_returned_;
    return next;
  }
  // "$match", "$group", … (for explain); the collection source is "$cursor".
  virtual std::string name() const = 0;
  // Explain details of this stage ({} by default): appended under the stage's name.
  virtual void AppendExplain(bson_t* out) const {}

  void set_source(Stage* source) { source_ = source; }
  Stage* source() const { return source_; }
  int64_t n_returned() const { return n_returned_; }

 protected:
  virtual absl::StatusOr<std::optional<Document>> DoNext() = 0;
  Stage* source_ = nullptr;  // borrowed; owned by the Pipeline

 private:
  int64_t n_returned_ = 0;
};
using StagePtr = std::unique_ptr<Stage>;

// What a collection read may take from the pipeline (the "pushdown" into the planner).
struct ReadRequest {
  Document filter;      // {} matches everything
  Document sort;        // {}: no order
  int64_t skip = 0;     // >= 0
  int64_t limit = 0;    // 0: none
  Document projection;  // {}: whole documents
  Document hint;        // {hint: <value>} when the command gave one, else {}
};

// How $lookup finds the foreign documents of one outer document (all give the same results).
enum class JoinStrategy {
  kAuto,              // chosen by cost (query/planner/join_planner.h)
  kIndexedLoop,       // one index probe of the foreign field per outer document
  kHashJoin,          // the foreign side read once into a hash table on the foreign field
  kNestedLoopScan,    // the foreign side read once into memory, scanned per outer document
  kPerDocumentQuery,  // a planned query of the foreign collection per outer document
};
absl::string_view JoinStrategyName(JoinStrategy strategy);

// What the planner needs to know about a foreign collection.
struct ForeignCollectionInfo {
  bool exists = false;
  int64_t documents = 0;       // engine statistics
  int64_t average_bytes = 0;   // per document
  bool field_indexed = false;  // a usable index leads with the foreign field
  bool index_multikey = false;
  std::string index_name;
  // Foreign documents per distinct value of the field, estimated from a sample (the first
  // keys in index order when indexed); 0 when unknown.
  double matches_per_key = 0;
};

// What db/ supplies to the pipeline: collection reads (planned), facts for join planning, and
// the writes of $out/$merge.
class PipelineHost {
 public:
  virtual ~PipelineHost() = default;
  // A stage streaming the documents of `collection` (same database) for `request`, planned by
  // the cost-based planner on a fresh snapshot. A missing collection reads as empty.
  virtual absl::StatusOr<StagePtr> Read(absl::string_view collection, ReadRequest request) = 0;
  virtual absl::StatusOr<ForeignCollectionInfo> DescribeForeign(absl::string_view collection,
                                                                absl::string_view field) = 0;
  // $out: replaces `collection`'s documents with `docs` (see the implementation's atomicity).
  virtual absl::Status ReplaceCollection(absl::string_view collection,
                                         std::vector<Document> docs) = 0;
  // $merge: one document's action, applied by db/ (insert, replace, merge, fail, keep).
  struct MergeSpec {
    std::vector<std::string> on;   // field paths identifying the target document
    std::string when_matched;      // replace | keepExisting | merge | fail | pipeline
    std::string when_not_matched;  // insert | discard | fail
  };
  virtual absl::Status MergeInto(absl::string_view collection, const MergeSpec& spec,
                                 DocumentView doc) = 0;
};

struct PipelineOptions {
  // Bytes a blocking stage may hold in memory. Default: 100 MiB (MongoDB's limit).
  size_t memory_limit_bytes = size_t{100} << 20;
  // allowDiskUse: spill $sort and $group over the limit instead of failing. Default: false.
  bool allow_disk_use = false;
  // Where spill files go (created when needed). Default: empty → spilling fails.
  std::string temp_dir;
  // $lookup strategy (tests and benchmarks force one). Default: chosen by cost.
  JoinStrategy join_strategy = JoinStrategy::kAuto;
  // $$NOW for the whole pipeline (milliseconds since the epoch). Default: unset → now.
  std::optional<int64_t> now_millis;
};

// Shared by every stage of one pipeline (and its sub-pipelines).
struct PipelineContext {
  PipelineHost* host = nullptr;  // borrowed; null: no collection access (tests)
  PipelineOptions options;
  // The command's `let` variables (name → owned value), visible in every expression.
  std::vector<std::pair<std::string, expression::Value>> variables;
  int64_t now_millis = 0;
  // The planner's estimate of the documents the collection read yields (join planning);
  // negative when unknown.
  double outer_rows_estimate = -1;
  // Counts spill files so names never collide.
  std::shared_ptr<int64_t> spill_counter = std::make_shared<int64_t>(0);
};

// An expression environment: a ParseContext with the pipeline's variables defined, and an
// EvalContext with their values set. One per stage (stages evaluate on one thread).
class ExpressionScope {
 public:
  explicit ExpressionScope(const PipelineContext& context);
  expression::ParseContext& parse() { return parse_; }
  expression::EvalContext& eval() { return eval_; }
  absl::StatusOr<expression::ExpressionPtr> Parse(const bson_iter_t& it) {
    return expression::ParseExpression(it, parse_);
  }
  absl::StatusOr<expression::Value> Evaluate(const expression::Expression& e, DocumentView doc) {
    return expression::Evaluate(e, doc, eval_);
  }

 private:
  expression::ParseContext parse_;
  expression::EvalContext eval_;
};

}  // namespace strata::query::pipeline

#endif  // STRATA_QUERY_PIPELINE_STAGE_H_
