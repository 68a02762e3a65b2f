#include "db/command_dispatcher.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "document/validate.h"
#include "engine/catalog.h"

namespace strata::db {
namespace {

const CommandRegistry& Registry() {
  static const CommandRegistry* registry = [] {
    auto* r = new CommandRegistry();
    RegisterCrudCommands(*r);
    RegisterDdlCommands(*r);
    RegisterAdminCommands(*r);
    RegisterIndexCommands(*r);
    RegisterExplainCommands(*r);
    RegisterIndexAdminCommands(*r);
    RegisterAggregateCommands(*r);
    return r;
  }();
  return *registry;
}

}  // namespace

void AppendErrorInfo(const absl::Status& status, bson_t* out) {
  if (std::optional<std::string> fields = ErrorReplyFieldsOf(status)) {
    bson_t fields_doc;
    bson_iter_t it;
    if (bson_init_static(&fields_doc, reinterpret_cast<const uint8_t*>(fields->data()),
                         fields->size()) &&
        bson_iter_init(&it, &fields_doc)) {
      while (bson_iter_next(&it)) bson_append_iter(out, bson_iter_key(&it), -1, &it);
    }
  }
  std::optional<std::string> info = ErrorInfoOf(status);
  if (!info.has_value()) return;
  bson_t info_doc;
  if (bson_init_static(&info_doc, reinterpret_cast<const uint8_t*>(info->data()), info->size())) {
    bson_append_document(out, "errInfo", 7, &info_doc);
  }
}

Document ErrorReply(const absl::Status& status) {
  Document reply;
  bson_t* b = reply.mutable_bson();
  ErrorCode code = ErrorCodeOf(status);
  std::string name = ErrorCodeName(code);
  bson_append_double(b, "ok", 2, 0.0);
  absl::string_view message = status.message();
  bson_append_utf8(b, "errmsg", 6, message.data(), static_cast<int>(message.size()));
  bson_append_int32(b, "code", 4, static_cast<int32_t>(code));
  bson_append_utf8(b, "codeName", 8, name.data(), static_cast<int>(name.size()));
  AppendErrorInfo(status, b);
  return reply;
}

Document Dispatch(DatabaseImpl& db, DocumentView command, absl::string_view default_db) {
  if (absl::Status valid = document::ValidateInput(command, document::InputKind::kCommand);
      !valid.ok()) {
    return ErrorReply(valid);
  }
  bson_t cmd;
  command.AsBson(&cmd);
  bson_iter_t it;
  if (!bson_iter_init(&it, &cmd) || !bson_iter_next(&it)) {
    return ErrorReply(MongoError(ErrorCode::kFailedToParse, "empty command document"));
  }
  std::string name(bson_iter_key(&it), bson_iter_key_len(&it));
  CommandHandler handler = Registry().Find(name);
  if (handler == nullptr) {
    return ErrorReply(
        MongoError(ErrorCode::kCommandNotFound, absl::StrCat("no such command: '", name, "'")));
  }
  CommandContext context{db, std::string(default_db), name};
  bson_iter_t db_field;
  if (bson_iter_init_find(&db_field, &cmd, "$db")) {
    if (!BSON_ITER_HOLDS_UTF8(&db_field)) {
      return ErrorReply(MongoError(ErrorCode::kTypeMismatch,
                                   "BSON field '$db' is the wrong type, expected type 'string'"));
    }
    context.db_name = bson_iter_utf8(&db_field, nullptr);
  }
  if (absl::Status valid = engine::ValidateDatabaseName(context.db_name); !valid.ok()) {
    return ErrorReply(valid);
  }
  Document reply;
  absl::Status status = handler(context, cmd, reply.mutable_bson());
  if (!status.ok()) return ErrorReply(status);
  bson_append_double(reply.mutable_bson(), "ok", 2, 1.0);
  return reply;
}

}  // namespace strata::db
