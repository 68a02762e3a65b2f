// MongoDB's error codes and code names, carried on absl::Status.
//
// Any layer may say *which* MongoDB error a failure is by building its Status with
// MongoError(); db/ turns the Status into {ok: 0, errmsg, code, codeName} replies. A Status
// without a code maps from its absl::StatusCode (see ErrorCodeOf).
#ifndef STRATA_BASE_ERROR_CODES_H_
#define STRATA_BASE_ERROR_CODES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata {

// MongoDB's numeric codes (src/mongo/base/error_codes.yml). Never renumber.
enum class ErrorCode : int {
  kOk = 0,
  kInternalError = 1,
  kBadValue = 2,
  kNoSuchKey = 4,
  kFailedToParse = 9,
  kTypeMismatch = 14,
  kInvalidLength = 16,
  kIllegalOperation = 20,
  kNamespaceNotFound = 26,
  kIndexNotFound = 27,
  kCursorNotFound = 43,
  kNamespaceExists = 48,
  kDollarPrefixedFieldName = 52,
  kInvalidIdField = 53,
  kCommandNotFound = 59,
  kImmutableField = 66,
  kInvalidOptions = 72,
  kAmbiguousIndexKeyPattern = 313,
  kInvalidNamespace = 73,
  kIndexOptionsConflict = 85,
  kIndexKeySpecsConflict = 86,
  kNotImplemented = 238,
  kLockBusy = 46,
  kWriteConflict = 112,
  kDocumentValidationFailure = 121,
  kNotWritablePrimary = 10107,
  kBSONObjectTooLarge = 10334,
  kDuplicateKey = 11000,
  kLocation40414 = 40414,  // BSON field '…' is missing but a required field
  kLocation40415 = 40415,  // BSON field '…' is an unknown field
  kUnauthorized = 13,
  kCannotCreateIndex = 67,
  kCannotIndexParallelArrays = 171,
  kInvalidIndexSpecificationOption = 197,
  kLocation51024 = 51024,  // BSON field '…' value must be >= 0
  kPathNotViable = 28,
  kConflictingUpdateOperators = 40,
  kNotSingleValueField = 54,
  kEmptyFieldName = 56,
  kQueryExceededMemoryLimitNoDiskUseAllowed = 292,
  kOverflow = 15,
  kInvalidBSON = 22,
  kUnknownError = 8,
  kOutOfDiskSpace = 14031,
};

// MongoDB's codeName for a code ("BadValue", "NamespaceNotFound", "Location40414", …); codes
// this file does not list are named "Location<code>", as MongoDB names assertion codes.
std::string ErrorCodeName(ErrorCode code);

// A Status carrying MongoDB error `code`; its absl code is chosen to match.
absl::Status MongoError(ErrorCode code, absl::string_view message);

// Attaches MongoDB's `errInfo` document (BSON bytes) to an error Status; replies carry it.
void SetErrorInfo(absl::Status& status, absl::string_view bson_bytes);
// The errInfo bytes a Status carries, if any.
std::optional<std::string> ErrorInfoOf(const absl::Status& status);

// Attaches extra top-level fields (a BSON document's bytes) that error replies and write errors
// carry next to code and errmsg, such as a duplicate key error's keyPattern and keyValue.
void SetErrorReplyFields(absl::Status& status, absl::string_view bson_bytes);
std::optional<std::string> ErrorReplyFieldsOf(const absl::Status& status);

// The MongoDB code a Status carries; for a Status built without one, a mapping of its absl
// code (kInvalidArgument → BadValue, kNotFound → NamespaceNotFound, others → InternalError).
ErrorCode ErrorCodeOf(const absl::Status& status);

// True when `status` was built by MongoError (a user-facing error of one operation, such as a
// duplicate key or a validation failure), false for OK and for system errors (I/O, corruption,
// write conflicts) that concern the whole operation.
bool HasMongoCode(const absl::Status& status);

}  // namespace strata

#endif  // STRATA_BASE_ERROR_CODES_H_
