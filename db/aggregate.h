// The aggregate command's request and execution: parses {aggregate, pipeline, cursor,
// allowDiskUse, let, hint, …}, optimizes the pipeline (query/pipeline), pushes its leading
// $match/$sort/$skip/$limit into the cost-based planner (the same plan a find would get), and
// streams the results for cursors (CursorStream) or for the C++ API.
//
// The pipeline reaches collections through DatabasePipelineHost: planned reads on fresh
// snapshots (each read — the outer collection, each $lookup probe — has its own snapshot, as
// MongoDB's $lookup reads are not one snapshot either), join planning facts, and the writes of
// $out/$merge.
// Thread safety: one thread at a time per execution.
#ifndef STRATA_DB_AGGREGATE_H_
#define STRATA_DB_AGGREGATE_H_

#include <bson/bson.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "db/command_dispatcher.h"
#include "db/cursor_manager.h"
#include "query/pipeline/pipeline.h"
#include "strata/document.h"

namespace strata::db {

class DatabaseImpl;

struct AggregateRequest {
  std::string db_name;
  std::string collection;  // empty for {aggregate: 1}
  Document pipeline;       // the stages, as a BSON array document
  std::optional<int64_t> batch_size;
  bool explain = false;  // the command's `explain: true`
  query::pipeline::PipelineOptions options;
  Document let;   // {} when none
  Document hint;  // {hint: <value>} or {}
  std::string ns() const {
    return db_name + "." + (collection.empty() ? "$cmd.aggregate" : collection);
  }
};

// Parses an aggregate command with MongoDB's checks: 40414 missing pipeline, 9 missing cursor
// (unless explain), 14 wrong types, 40415 unknown fields. Test hooks:
// `$_internalJoinStrategy` ("hash", "indexedLoop", "nestedLoop", "perDocument") and
// `$_internalMemoryLimitBytes` (overrides DatabaseOptions::aggregation_memory_bytes).
absl::StatusOr<AggregateRequest> ParseAggregateRequest(const CommandContext& context,
                                                       const bson_t& command);

class AggregateExecution final : public CursorStream {
 public:
  static absl::StatusOr<std::unique_ptr<AggregateExecution>> Create(DatabaseImpl& db,
                                                                    AggregateRequest request);
  ~AggregateExecution() override;

  absl::StatusOr<bool> HasNext() override;
  absl::StatusOr<std::optional<absl::string_view>> Next() override;

  // Explain: the pushed-down read's plan under $cursor, then one entry per stage (with the
  // join strategy of each $lookup); `executed` adds counters (nReturned per stage).
  void AppendExplain(bson_t* out, bool executed) const;

 private:
  AggregateExecution() = default;
  struct State;
  std::unique_ptr<State> state_;
};

// The per-document function of an update with an aggregation pipeline (`u: [...]`): only
// $addFields/$set, $project, $unset, $replaceRoot and $replaceWith are allowed (MongoDB's
// list; others fail with InvalidOptions 72). $$NOW is fixed when the function is made.
absl::StatusOr<std::function<absl::StatusOr<Document>(DocumentView)>> MakePipelineUpdate(
    DocumentView pipeline_array);

// {explain: {aggregate: …}, verbosity} (commands_explain.cc) and {aggregate, explain: true}.
absl::Status ExplainAggregate(CommandContext& context, const bson_t& aggregate_command,
                              absl::string_view verbosity, bson_t* reply);

}  // namespace strata::db

#endif  // STRATA_DB_AGGREGATE_H_
