// Pipeline: an aggregation pipeline parsed, optimized and built into a chain of stages.
//
//   ASSIGN_OR_RETURN(std::vector<StageSpec> specs, ParsePipeline(pipeline_array));
//   OptimizePipeline(&specs);                       // $match moves forward, adjacent ones merge
//   ReadRequest read = ExtractPushdown(&specs);     // leading $match/$sort/$skip/$limit
//   ASSIGN_OR_RETURN(StagePtr source, host->Read(collection, std::move(read)));
//   ASSIGN_OR_RETURN(auto pipeline, Pipeline::Build(std::move(specs), std::move(source), ctx));
//   while (true) { ASSIGN_OR_RETURN(auto doc, pipeline->Next()); if (!doc) break; … }
//
// Parse errors carry MongoDB's codes: 40323 (a stage is not exactly one field), 40324
// "Unrecognized pipeline stage name: '$foo'", 14 (a stage is not an object), 40601 ($out /
// $merge not last), 40600 ($out/$merge inside $facet), and each stage's own codes (15955 $group
// without _id, 15958 $limit not positive, …) when the stages are built.
//
// Thread safety: one thread at a time.
#ifndef STRATA_QUERY_PIPELINE_PIPELINE_H_
#define STRATA_QUERY_PIPELINE_PIPELINE_H_

#include <bson/bson.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/pipeline/stage.h"
#include "strata/document.h"

namespace strata::query::pipeline {

// One stage document, owned: {$name: spec}.
struct StageSpec {
  std::string name;  // "$match", …
  Document stage;    // the whole stage document
  // Positions `it` on the stage's specification (the value of its one field).
  void Value(bson_iter_t* it) const;
};

// Parses the `pipeline` array (its bytes as a BSON array document): shape and names only.
// `in_facet`: a $facet sub-pipeline (no $out/$merge/$facet). `in_lookup`: no $out/$merge.
absl::StatusOr<std::vector<StageSpec>> ParsePipeline(DocumentView pipeline_array,
                                                     bool in_facet = false, bool in_lookup = false);

// Rewrites that never change results: a $match moves ahead of $sort and of $addFields/$set/
// $unset/$project stages that do not write the fields it reads (top-level field names; a $match
// with $expr/$where or other $-operators at the top level stays put); adjacent $match stages
// merge into one {$and: […]}.
void OptimizePipeline(std::vector<StageSpec>* specs);

// Removes the leading $match, $sort, $skip and $limit stages that a collection read performs
// itself (in find's order: filter, sort, skip, limit), and returns them as a read request.
// A $sort without a following $limit is taken only when `push_unbounded_sort` (the read's
// sort has find's fixed 100 MiB budget and cannot spill; callers with another budget or
// allowDiskUse keep the $sort stage, which can).
ReadRequest ExtractPushdown(std::vector<StageSpec>* specs, bool push_unbounded_sort = true);

class Pipeline {
 public:
  // Builds the stages (their parse errors surface here) on top of `source` (owned).
  static absl::StatusOr<std::unique_ptr<Pipeline>> Build(std::vector<StageSpec> specs,
                                                         StagePtr source,
                                                         const PipelineContext& context);

  absl::StatusOr<std::optional<Document>> Next() { return stages_.back()->Next(); }

  // Every stage, source first.
  const std::vector<StagePtr>& stages() const { return stages_; }

 private:
  std::vector<StagePtr> stages_;
};

// Builds the stages for `specs` over `source` and appends them to `*chain` (used by Build and
// by stages with sub-pipelines).
absl::Status BuildChain(const std::vector<StageSpec>& specs, const PipelineContext& context,
                        std::vector<StagePtr>* chain);

// A fresh PipelineContext's $$NOW and variables from the command's `let` document.
absl::Status SetLetVariables(DocumentView let, PipelineContext* context);

}  // namespace strata::query::pipeline

#endif  // STRATA_QUERY_PIPELINE_PIPELINE_H_
