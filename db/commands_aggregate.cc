// aggregate: {aggregate: <collection> | 1, pipeline: [...], cursor: {batchSize}, allowDiskUse,
// let, hint, explain} → {cursor: {firstBatch, id, ns}, ok: 1}; later batches through getMore
// (the cursor's stream is the pipeline itself, so results are produced lazily).
// A pipeline ending in $out/$merge writes as it runs and returns an empty batch with id 0.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/aggregate.h"
#include "db/command_dispatcher.h"
#include "db/cursor_batch.h"
#include "db/database_impl.h"
#include "document/validate.h"

namespace strata::db {
namespace {

absl::Status Aggregate(CommandContext& context, const bson_t& command, bson_t* reply) {
  ASSIGN_OR_RETURN(AggregateRequest request, ParseAggregateRequest(context, command));
  if (request.explain) return ExplainAggregate(context, command, "queryPlanner", reply);
  const std::string ns = request.ns();
  const std::optional<int64_t> batch_size = request.batch_size;
  ASSIGN_OR_RETURN(std::unique_ptr<AggregateExecution> execution,
                   AggregateExecution::Create(context.db, std::move(request)));
  bson_t cursor;
  bson_append_document_begin(reply, "cursor", 6, &cursor);
  bool exhausted = false;
  if (batch_size.has_value() && *batch_size == 0) {
    bson_t empty;
    bson_append_array_begin(&cursor, "firstBatch", 10, &empty);
    bson_append_array_end(&cursor, &empty);
    ASSIGN_OR_RETURN(bool more, execution->HasNext());
    exhausted = !more;
  } else {
    ASSIGN_OR_RETURN(exhausted, FillBatch(*execution, batch_size.value_or(kDefaultFirstBatchSize),
                                          "firstBatch", &cursor));
  }
  int64_t id = 0;
  if (!exhausted) {
    auto server_cursor = std::make_unique<ServerCursor>();
    server_cursor->ns = ns;
    server_cursor->stream = std::move(execution);
    id = context.db.cursors().Register(std::move(server_cursor));
  }
  bson_append_int64(&cursor, "id", 2, id);
  bson_append_utf8(&cursor, "ns", 2, ns.data(), static_cast<int>(ns.size()));
  bson_append_document_end(reply, &cursor);
  return absl::OkStatus();
}

}  // namespace

void RegisterAggregateCommands(CommandRegistry& registry) { registry.Add("aggregate", &Aggregate); }

}  // namespace strata::db
