// Collection::Aggregate: the C++ API's aggregate, built as the aggregate command document so
// both entry points share one parser and one execution path (db/aggregate.h).
#include <string>
#include <vector>

#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/aggregate.h"
#include "db/database_impl.h"
#include "strata/collection.h"

namespace strata {

absl::StatusOr<std::vector<Document>> Collection::Aggregate(DocumentView pipeline,
                                                            const AggregateOptions& options) {
  const size_t dot = ns_.find('.');
  const std::string db_name = ns_.substr(0, dot);
  const std::string collection = ns_.substr(dot + 1);
  Document command;
  bson_t* c = command.mutable_bson();
  bson_append_utf8(c, "aggregate", -1, collection.c_str(), -1);
  bson_t stages;
  if (!pipeline.AsBson(&stages)) {
    return MongoError(ErrorCode::kTypeMismatch, "pipeline must be a BSON array");
  }
  bson_append_array(c, "pipeline", -1, &stages);
  bson_t cursor;
  bson_append_document_begin(c, "cursor", -1, &cursor);
  bson_append_document_end(c, &cursor);
  if (options.allow_disk_use) bson_append_bool(c, "allowDiskUse", -1, true);
  if (!options.let.empty()) {
    bson_t let;
    options.let.AsBson(&let);
    bson_append_document(c, "let", -1, &let);
  }
  if (options.memory_limit_bytes > 0) {
    bson_append_int64(c, "$_internalMemoryLimitBytes", -1,
                      static_cast<int64_t>(options.memory_limit_bytes));
  }
  if (!options.join_strategy.empty()) {
    bson_append_utf8(c, "$_internalJoinStrategy", -1, options.join_strategy.data(),
                     static_cast<int>(options.join_strategy.size()));
  }
  db::CommandContext context{*db_, db_name, "aggregate"};
  ASSIGN_OR_RETURN(db::AggregateRequest request,
                   db::ParseAggregateRequest(context, *command.bson()));
  ASSIGN_OR_RETURN(std::unique_ptr<db::AggregateExecution> execution,
                   db::AggregateExecution::Create(*db_, std::move(request)));
  std::vector<Document> results;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<absl::string_view> next, execution->Next());
    if (!next.has_value()) break;
    results.push_back(
        Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(next->data()), next->size())));
  }
  return results;
}

}  // namespace strata
