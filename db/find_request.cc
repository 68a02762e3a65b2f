#include "db/find_request.h"

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "document/type_names.h"

namespace strata::db {

absl::StatusOr<FindRequest> ParseFindRequest(const CommandContext& context, const bson_t& command) {
  CommandArgs args(command, "find");
  RETURN_IF_ERROR(args.CheckKnownFields(
      {"filter", "projection", "sort", "skip", "limit", "batchSize", "singleBatch", "hint", "min",
       "max", "returnKey", "showRecordId", "tailable", "noCursorTimeout", "awaitData",
       "allowPartialResults", "collation", "allowDiskUse", "readOnce"}));
  bson_iter_t first;
  bson_iter_init(&first, &command);
  bson_iter_next(&first);
  if (!BSON_ITER_HOLDS_UTF8(&first)) {
    return MongoError(ErrorCode::kInvalidNamespace,
                      absl::StrCat("collection name has invalid type ",
                                   document::BsonTypeName(bson_iter_type(&first))));
  }
  FindRequest request;
  request.ns = context.Namespace(bson_iter_utf8(&first, nullptr));
  ASSIGN_OR_RETURN(std::optional<DocumentView> filter, args.Object("filter"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> projection, args.Object("projection"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> sort, args.Object("sort"));
  ASSIGN_OR_RETURN(std::optional<int64_t> skip, args.Integer("skip"));
  ASSIGN_OR_RETURN(std::optional<int64_t> limit, args.Integer("limit"));
  ASSIGN_OR_RETURN(request.batch_size, args.Integer("batchSize"));
  ASSIGN_OR_RETURN(std::optional<bool> single_batch, args.Bool("singleBatch"));
  ASSIGN_OR_RETURN(std::optional<bool> allow_disk_use, args.Bool("allowDiskUse"));
  if (skip.value_or(0) < 0) {
    return MongoError(
        ErrorCode::kLocation51024,
        absl::StrCat("BSON field 'skip' value must be >= 0, actual value '", *skip, "'"));
  }
  if (request.batch_size.value_or(0) < 0) {
    return MongoError(ErrorCode::kLocation51024,
                      absl::StrCat("BSON field 'batchSize' value must be >= 0, actual value '",
                                   *request.batch_size, "'"));
  }
  // A negative limit (the legacy shell's form) means "that many, in one batch".
  int64_t limit_value = limit.value_or(0);
  request.single_batch = single_batch.value_or(false);
  if (limit_value < 0) {
    limit_value = -limit_value;
    request.single_batch = true;
  }
  request.spec.filter = Document::Copy(filter.value_or(DocumentView()));
  request.spec.sort = Document::Copy(sort.value_or(DocumentView()));
  request.spec.projection = Document::Copy(projection.value_or(DocumentView()));
  request.spec.skip = skip.value_or(0);
  request.spec.limit = limit_value;
  request.spec.allow_disk_use = allow_disk_use.value_or(false);
  bson_iter_t hint;
  if (bson_iter_init_find(&hint, &command, "hint")) {
    ASSIGN_OR_RETURN(request.spec.hint, query::planner::Hint::Parse(hint));
  }
  return request;
}

}  // namespace strata::db
