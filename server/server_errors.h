// MongoDB error codes that only the server raises (base/error_codes.h holds the library's),
// and the {ok: 0, errmsg, code, codeName} reply that names them.
#ifndef STRATA_SERVER_SERVER_ERRORS_H_
#define STRATA_SERVER_SERVER_ERRORS_H_

#include "absl/status/status.h"
#include "base/error_codes.h"
#include "strata/document.h"

namespace strata::server {

// From MongoDB's error_codes.yml. Never renumber.
inline constexpr ErrorCode kUserNotFound = static_cast<ErrorCode>(11);
inline constexpr ErrorCode kAuthenticationFailed = static_cast<ErrorCode>(18);
inline constexpr ErrorCode kInvalidBson = static_cast<ErrorCode>(22);
inline constexpr ErrorCode kMechanismUnavailable = static_cast<ErrorCode>(334);
inline constexpr ErrorCode kUnsupportedOpQueryCommand = static_cast<ErrorCode>(352);
inline constexpr ErrorCode kUserAlreadyExists = static_cast<ErrorCode>(51003);

// The codeName of `code`, with the server's codes above named too.
std::string ServerErrorCodeName(ErrorCode code);

// {ok: 0, errmsg, code, codeName} for `status` (plus errInfo and extra fields it carries).
Document ServerErrorReply(const absl::Status& status);

}  // namespace strata::server

#endif  // STRATA_SERVER_SERVER_ERRORS_H_
