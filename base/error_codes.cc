#include "base/error_codes.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata {
namespace {
constexpr absl::string_view kCodePayload = "strata.mongo_code";
constexpr absl::string_view kErrorInfoPayload = "strata.err_info";
constexpr absl::string_view kReplyFieldsPayload = "strata.reply_fields";

absl::StatusCode AbslCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return absl::StatusCode::kOk;
    case ErrorCode::kNamespaceNotFound:
    case ErrorCode::kIndexNotFound:
    case ErrorCode::kCursorNotFound:
    case ErrorCode::kNoSuchKey:
      return absl::StatusCode::kNotFound;
    case ErrorCode::kNamespaceExists:
    case ErrorCode::kDuplicateKey:
      return absl::StatusCode::kAlreadyExists;
    case ErrorCode::kCommandNotFound:
    case ErrorCode::kNotImplemented:
      return absl::StatusCode::kUnimplemented;
    case ErrorCode::kLockBusy:
    case ErrorCode::kWriteConflict:
      return absl::StatusCode::kAborted;
    case ErrorCode::kInternalError:
    case ErrorCode::kUnknownError:
      return absl::StatusCode::kInternal;
    case ErrorCode::kOutOfDiskSpace:
      return absl::StatusCode::kResourceExhausted;
    case ErrorCode::kIllegalOperation:
    case ErrorCode::kDocumentValidationFailure:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInvalidArgument;
  }
}
}  // namespace

std::string ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInternalError:
      return "InternalError";
    case ErrorCode::kBadValue:
      return "BadValue";
    case ErrorCode::kNoSuchKey:
      return "NoSuchKey";
    case ErrorCode::kFailedToParse:
      return "FailedToParse";
    case ErrorCode::kTypeMismatch:
      return "TypeMismatch";
    case ErrorCode::kInvalidLength:
      return "InvalidLength";
    case ErrorCode::kIllegalOperation:
      return "IllegalOperation";
    case ErrorCode::kNamespaceNotFound:
      return "NamespaceNotFound";
    case ErrorCode::kIndexNotFound:
      return "IndexNotFound";
    case ErrorCode::kCursorNotFound:
      return "CursorNotFound";
    case ErrorCode::kNamespaceExists:
      return "NamespaceExists";
    case ErrorCode::kDollarPrefixedFieldName:
      return "DollarPrefixedFieldName";
    case ErrorCode::kInvalidIdField:
      return "InvalidIdField";
    case ErrorCode::kCommandNotFound:
      return "CommandNotFound";
    case ErrorCode::kImmutableField:
      return "ImmutableField";
    case ErrorCode::kInvalidOptions:
      return "InvalidOptions";
    case ErrorCode::kAmbiguousIndexKeyPattern:
      return "AmbiguousIndexKeyPattern";
    case ErrorCode::kInvalidNamespace:
      return "InvalidNamespace";
    case ErrorCode::kIndexOptionsConflict:
      return "IndexOptionsConflict";
    case ErrorCode::kIndexKeySpecsConflict:
      return "IndexKeySpecsConflict";
    case ErrorCode::kNotImplemented:
      return "NotImplemented";
    case ErrorCode::kLockBusy:
      return "LockBusy";
    case ErrorCode::kWriteConflict:
      return "WriteConflict";
    case ErrorCode::kDocumentValidationFailure:
      return "DocumentValidationFailure";
    case ErrorCode::kNotWritablePrimary:
      return "NotWritablePrimary";
    case ErrorCode::kBSONObjectTooLarge:
      return "BSONObjectTooLarge";
    case ErrorCode::kDuplicateKey:
      return "DuplicateKey";
    case ErrorCode::kLocation40414:
      return "Location40414";
    case ErrorCode::kLocation40415:
      return "Location40415";
    case ErrorCode::kUnauthorized:
      return "Unauthorized";
    case ErrorCode::kCannotCreateIndex:
      return "CannotCreateIndex";
    case ErrorCode::kCannotIndexParallelArrays:
      return "CannotIndexParallelArrays";
    case ErrorCode::kInvalidIndexSpecificationOption:
      return "InvalidIndexSpecificationOption";
    case ErrorCode::kLocation51024:
      return "Location51024";
    case ErrorCode::kPathNotViable:
      return "PathNotViable";
    case ErrorCode::kConflictingUpdateOperators:
      return "ConflictingUpdateOperators";
    case ErrorCode::kNotSingleValueField:
      return "NotSingleValueField";
    case ErrorCode::kEmptyFieldName:
      return "EmptyFieldName";
    case ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed:
      return "QueryExceededMemoryLimitNoDiskUseAllowed";
    case ErrorCode::kOverflow:
      return "Overflow";
    case ErrorCode::kInvalidBSON:
      return "InvalidBSON";
    case ErrorCode::kUnknownError:
      return "UnknownError";
    case ErrorCode::kOutOfDiskSpace:
      return "OutOfDiskSpace";
  }
  // Codes without a name in error_codes.yml are assertion locations: MongoDB names them so.
  return absl::StrCat("Location", static_cast<int>(code));
}

absl::Status MongoError(ErrorCode code, absl::string_view message) {
  absl::Status status(AbslCodeFor(code), message);
  status.SetPayload(kCodePayload, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

void SetErrorInfo(absl::Status& status, absl::string_view bson_bytes) {
  status.SetPayload(kErrorInfoPayload, absl::Cord(bson_bytes));
}

void SetErrorReplyFields(absl::Status& status, absl::string_view bson_bytes) {
  status.SetPayload(kReplyFieldsPayload, absl::Cord(bson_bytes));
}

std::optional<std::string> ErrorReplyFieldsOf(const absl::Status& status) {
  if (auto payload = status.GetPayload(kReplyFieldsPayload)) return std::string(*payload);
  return std::nullopt;
}

std::optional<std::string> ErrorInfoOf(const absl::Status& status) {
  if (auto payload = status.GetPayload(kErrorInfoPayload)) return std::string(*payload);
  return std::nullopt;
}

bool HasMongoCode(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kCodePayload).has_value();
}

ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return ErrorCode::kOk;
  if (auto payload = status.GetPayload(kCodePayload)) {
    int code = 0;
    if (absl::SimpleAtoi(std::string(*payload), &code)) return static_cast<ErrorCode>(code);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return ErrorCode::kBadValue;
    case absl::StatusCode::kNotFound:
      return ErrorCode::kNamespaceNotFound;
    case absl::StatusCode::kAlreadyExists:
      return ErrorCode::kNamespaceExists;
    case absl::StatusCode::kUnimplemented:
      return ErrorCode::kNotImplemented;
    case absl::StatusCode::kAborted:
      return ErrorCode::kWriteConflict;
    case absl::StatusCode::kFailedPrecondition:
      return ErrorCode::kIllegalOperation;
    case absl::StatusCode::kResourceExhausted:  // the engine's "disk full" (rocks_status.h)
      return ErrorCode::kOutOfDiskSpace;
    default:
      return ErrorCode::kInternalError;
  }
}

}  // namespace strata
