#include "server/server_errors.h"

#include "db/command_dispatcher.h"

namespace strata::server {

std::string ServerErrorCodeName(ErrorCode code) {
  switch (static_cast<int>(code)) {
    case 11:
      return "UserNotFound";
    case 18:
      return "AuthenticationFailed";
    case 22:
      return "InvalidBSON";
    case 334:
      return "MechanismUnavailable";
    case 352:
      return "UnsupportedOpQueryCommand";
    default:
      return ErrorCodeName(code);
  }
}

Document ServerErrorReply(const absl::Status& status) {
  Document reply;
  bson_t* b = reply.mutable_bson();
  ErrorCode code = ErrorCodeOf(status);
  std::string name = ServerErrorCodeName(code);
  bson_append_double(b, "ok", 2, 0.0);
  absl::string_view message = status.message();
  bson_append_utf8(b, "errmsg", 6, message.data(), static_cast<int>(message.size()));
  bson_append_int32(b, "code", 4, static_cast<int32_t>(code));
  bson_append_utf8(b, "codeName", 8, name.data(), static_cast<int>(name.size()));
  db::AppendErrorInfo(status, b);
  return reply;
}

}  // namespace strata::server
