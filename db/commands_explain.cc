// explain: {explain: {find | count | distinct | update | delete: …}, verbosity}. The plan the
// planner chooses for the inner command, in MongoDB's reply shape (queryPlanner.winningPlan /
// rejectedPlans; with verbosity executionStats or allPlansExecution, the winning plan is run to the
// end and its counters reported), plus Strata's estimates on every plan (explain_plan.h). For
// update and delete: the plan of the first statement's query under an UPDATE/DELETE stage; explain
// never writes (executionStats runs the read only).
#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/aggregate.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/explain_plan.h"
#include "db/find_request.h"

namespace strata::db {
namespace {

// The inner command as a find request: find itself, or count/distinct's query.
absl::StatusOr<FindRequest> InnerAsFind(const CommandContext& context, const bson_t& inner,
                                        std::string* command_name) {
  bson_iter_t it;
  bson_iter_init(&it, &inner);
  if (!bson_iter_next(&it)) {
    return MongoError(ErrorCode::kFailedToParse, "explain command requires a nested object");
  }
  *command_name = bson_iter_key(&it);
  if (*command_name == "find") return ParseFindRequest(context, inner);
  if (*command_name == "count" || *command_name == "distinct") {
    if (!BSON_ITER_HOLDS_UTF8(&it)) {
      return MongoError(ErrorCode::kInvalidNamespace, "collection name must be a string");
    }
    FindRequest request;
    request.ns = context.Namespace(bson_iter_utf8(&it, nullptr));
    bson_iter_t query;
    if (bson_iter_init_find(&query, &inner, "query") && BSON_ITER_HOLDS_DOCUMENT(&query)) {
      request.spec.filter = Document::Copy(EmbeddedView(query));
    }
    bson_iter_t hint;
    if (bson_iter_init_find(&hint, &inner, "hint")) {
      ASSIGN_OR_RETURN(request.spec.hint, query::planner::Hint::Parse(hint));
    }
    request.spec.count_only = *command_name == "count";
    return request;
  }
  if (*command_name == "update" || *command_name == "delete") {
    // The plan of the first statement's query (explain never writes).
    if (!BSON_ITER_HOLDS_UTF8(&it)) {
      return MongoError(ErrorCode::kInvalidNamespace, "collection name must be a string");
    }
    FindRequest request;
    request.ns = context.Namespace(bson_iter_utf8(&it, nullptr));
    const bool update = *command_name == "update";
    bson_iter_t statements, statement;
    if (!bson_iter_init_find(&statements, &inner, update ? "updates" : "deletes") ||
        !BSON_ITER_HOLDS_ARRAY(&statements) || !bson_iter_recurse(&statements, &statement) ||
        !bson_iter_next(&statement) || !BSON_ITER_HOLDS_DOCUMENT(&statement)) {
      return MongoError(ErrorCode::kFailedToParse,
                        absl::StrCat("explain of ", *command_name, " needs one statement"));
    }
    bson_t first;
    DocumentView first_view = EmbeddedView(statement);
    first_view.AsBson(&first);
    bson_iter_t field;
    if (bson_iter_init_find(&field, &first, "q") && BSON_ITER_HOLDS_DOCUMENT(&field)) {
      request.spec.filter = Document::Copy(EmbeddedView(field));
    }
    if (bson_iter_init_find(&field, &first, "hint")) {
      ASSIGN_OR_RETURN(request.spec.hint, query::planner::Hint::Parse(field));
    }
    if (update) {
      bool multi = bson_iter_init_find(&field, &first, "multi") && bson_iter_as_bool(&field);
      if (!multi) request.spec.limit = 1;
      if (bson_iter_init_find(&field, &first, "sort") && BSON_ITER_HOLDS_DOCUMENT(&field)) {
        request.spec.sort = Document::Copy(EmbeddedView(field));
      }
    } else if (bson_iter_init_find(&field, &first, "limit") && bson_iter_as_int64(&field) == 1) {
      request.spec.limit = 1;
    }
    return request;
  }
  return MongoError(ErrorCode::kNotImplemented,
                    absl::StrCat("explain of ", *command_name, " is not supported yet"));
}

// Appends a plan's stages under `field`, below an UPDATE or DELETE stage for those commands.
template <typename AppendPlan>
void AppendUnderWriteStage(const std::string& command_name, const char* field, bson_t* out,
                           AppendPlan append_plan) {
  const char* write_stage = command_name == "update"   ? "UPDATE"
                            : command_name == "delete" ? "DELETE"
                                                       : nullptr;
  if (write_stage == nullptr) {
    append_plan(field, out);
    return;
  }
  bson_t stage;
  bson_append_document_begin(out, field, -1, &stage);
  bson_append_utf8(&stage, "stage", -1, write_stage, -1);
  append_plan("inputStage", &stage);
  bson_append_document_end(out, &stage);
}

// MongoDB's queryHash (the shape) and planCacheKey (the shape with the indexes it may use),
// as 8 hex digits.
void AppendQueryHashes(const QueryExecution& execution, bson_t* planner) {
  uint32_t key = execution.shape().hash;
  for (const query::planner::IndexInfo& index : execution.indexes()) {
    for (unsigned char c : index.name) key = (key ^ c) * 16777619u;
  }
  const std::string query_hash = absl::StrFormat("%08X", execution.shape().hash);
  const std::string plan_cache_key = absl::StrFormat("%08X", key);
  bson_append_utf8(planner, "queryHash", -1, query_hash.c_str(), -1);
  bson_append_utf8(planner, "planCacheKey", -1, plan_cache_key.c_str(), -1);
}

absl::Status Explain(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "explain");
  RETURN_IF_ERROR(args.CheckKnownFields({"verbosity"}));
  ASSIGN_OR_RETURN(std::optional<DocumentView> inner_view, args.Object("explain"));
  if (!inner_view.has_value()) {
    return MongoError(ErrorCode::kFailedToParse, "explain command requires a nested object");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> verbosity_arg, args.String("verbosity"));
  const std::string verbosity = verbosity_arg.value_or("allPlansExecution");
  if (verbosity != "queryPlanner" && verbosity != "executionStats" &&
      verbosity != "allPlansExecution") {
    return MongoError(ErrorCode::kBadValue,
                      absl::StrCat("Enumeration value '", verbosity,
                                   "' for field 'explain.verbosity' is not a valid value."));
  }
  bson_t inner;
  inner_view->AsBson(&inner);
  bson_iter_t inner_first;
  if (bson_iter_init(&inner_first, &inner) && bson_iter_next(&inner_first) &&
      std::string_view(bson_iter_key(&inner_first)) == "aggregate") {
    return ExplainAggregate(context, inner, verbosity, reply);
  }
  std::string command_name;
  ASSIGN_OR_RETURN(FindRequest request, InnerAsFind(context, inner, &command_name));
  QuerySpec spec_copy{
      request.spec.filter.Clone(), request.spec.sort.Clone(), request.spec.projection.Clone(),
      request.spec.skip,           request.spec.limit,        request.spec.hint};
  spec_copy.count_only = request.spec.count_only;
  spec_copy.sort_memory_bytes = request.spec.sort_memory_bytes > 0
                                    ? request.spec.sort_memory_bytes
                                    : context.db.engine().options().aggregation_memory_bytes;
  auto started = std::chrono::steady_clock::now();
  // Explain always costs every candidate (as MongoDB's explain runs every plan) and leaves
  // the plan cache as it was.
  request.spec.use_plan_cache = false;
  request.spec.collect_stage_timing = verbosity != "queryPlanner";
  ASSIGN_OR_RETURN(std::unique_ptr<QueryExecution> execution,
                   context.db.Query(request.ns, std::move(request.spec)));
  bson_append_utf8(reply, "explainVersion", -1, "1", -1);
  bson_t planner;
  bson_append_document_begin(reply, "queryPlanner", -1, &planner);
  bson_append_utf8(&planner, "namespace", -1, request.ns.c_str(), -1);
  bson_append_document(&planner, "parsedQuery", -1, spec_copy.filter.bson());
  bson_append_bool(&planner, "indexFilterSet", -1, false);
  const query::planner::PlanChoice* choice = execution->plan();
  AppendQueryHashes(*execution, &planner);
  if (choice != nullptr) {
    AppendUnderWriteStage(
        command_name, "winningPlan", &planner, [&](const char* field, bson_t* out) {
          AppendPlanStages(choice->winner, execution->indexes(), spec_copy, nullptr, field, out);
        });
    bson_t rejected;
    bson_append_array_begin(&planner, "rejectedPlans", -1, &rejected);
    for (size_t i = 0; i < choice->rejected.size(); ++i) {
      std::string key = std::to_string(i);
      AppendPlanStages(choice->rejected[i], execution->indexes(), spec_copy, nullptr, key.c_str(),
                       &rejected);
    }
    bson_append_array_end(&planner, &rejected);
  } else {
    // A missing collection: MongoDB shows an EOF plan.
    bson_t winning;
    bson_append_document_begin(&planner, "winningPlan", -1, &winning);
    bson_append_utf8(&winning, "stage", -1, "EOF", -1);
    bson_append_document_end(&planner, &winning);
    bson_t rejected;
    bson_append_array_begin(&planner, "rejectedPlans", -1, &rejected);
    bson_append_array_end(&planner, &rejected);
  }
  bson_append_document_end(reply, &planner);

  if (verbosity != "queryPlanner") {
    while (true) {
      ASSIGN_OR_RETURN(auto next, execution->Next());
      if (!next.has_value()) break;
    }
    const int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    ExecutionCounters counters{execution->n_returned(), execution->keys_examined(),
                               execution->docs_examined()};
    bson_t stats;
    bson_append_document_begin(reply, "executionStats", -1, &stats);
    bson_append_bool(&stats, "executionSuccess", -1, true);
    bson_append_int64(&stats, "nReturned", -1, counters.n_returned);
    bson_append_int64(&stats, "executionTimeMillis", -1, millis);
    bson_append_int64(&stats, "totalKeysExamined", -1, counters.keys_examined);
    bson_append_int64(&stats, "totalDocsExamined", -1, counters.docs_examined);
    if (choice != nullptr && execution->root_stage() != nullptr) {
      AppendUnderWriteStage(command_name, "executionStages", &stats,
                            [&](const char* field, bson_t* out) {
                              AppendExecutionStages(*execution->root_stage(), choice->winner,
                                                    spec_copy.count_only, field, out);
                            });
    }
    bson_append_document_end(reply, &stats);
  }
  bson_append_document(reply, "command", -1, &inner);
  return absl::OkStatus();
}

}  // namespace

void RegisterExplainCommands(CommandRegistry& registry) { registry.Add("explain", &Explain); }

}  // namespace strata::db
