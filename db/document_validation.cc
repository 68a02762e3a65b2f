#include "db/document_validation.h"

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/stored_document.h"
#include "query/expression/expr_match.h"

namespace strata::db {
namespace {

// The string option `name`: "" when absent (an empty value is never valid either).
absl::StatusOr<std::string> StringOption(const bson_t& options, const char* name) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &options, name)) return std::string();
  if (!BSON_ITER_HOLDS_UTF8(&it)) {
    return MongoError(
        ErrorCode::kTypeMismatch,
        absl::StrCat("BSON field '", name, "' is the wrong type, expected type 'string'"));
  }
  uint32_t length = 0;
  const char* text = bson_iter_utf8(&it, &length);
  if (length == 0) {
    return MongoError(ErrorCode::kBadValue, absl::StrCat("Enumeration value '' for field '", name,
                                                         "' is not a valid value."));
  }
  return std::string(text, length);
}

}  // namespace

absl::StatusOr<DocumentValidation> DocumentValidation::FromOptions(DocumentView options) {
  DocumentValidation policy;
  bson_t b;
  if (!options.AsBson(&b)) return MongoError(ErrorCode::kBadValue, "invalid collection options");
  bson_iter_t it;
  if (bson_iter_init_find(&it, &b, "validator")) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return MongoError(ErrorCode::kTypeMismatch,
                        "BSON field 'validator' is the wrong type, expected type 'object'");
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&it, &length, &data);
    DocumentView validator(data, length);
    if (!validator.empty()) {
      query::match::ParseOptions options;
      options.expr_parser = query::expression::MakeExprParser();
      ASSIGN_OR_RETURN(query::validation::Validator parsed,
                       query::validation::Validator::Parse(validator, options));
      policy.validator_ = std::make_shared<const query::validation::Validator>(std::move(parsed));
    }
  }
  ASSIGN_OR_RETURN(std::string level, StringOption(b, "validationLevel"));
  if (level == "strict") {
    policy.level_ = ValidationLevel::kStrict;
  } else if (level == "moderate") {
    policy.level_ = ValidationLevel::kModerate;
  } else if (level == "off") {
    policy.level_ = ValidationLevel::kOff;
  } else if (!level.empty()) {
    return MongoError(ErrorCode::kBadValue,
                      absl::StrCat("Enumeration value '", level,
                                   "' for field 'validationLevel' is not a valid value."));
  }
  ASSIGN_OR_RETURN(std::string action, StringOption(b, "validationAction"));
  if (action == "error") {
    policy.action_ = ValidationAction::kError;
  } else if (action == "warn") {
    policy.action_ = ValidationAction::kWarn;
  } else if (!action.empty()) {
    return MongoError(ErrorCode::kBadValue,
                      absl::StrCat("Enumeration value '", action,
                                   "' for field 'validationAction' is not a valid value."));
  }
  return policy;
}

absl::Status DocumentValidation::CheckOptions(DocumentView options) {
  return FromOptions(options).status();
}

absl::Status DocumentValidation::Check(DocumentView new_doc,
                                       std::optional<DocumentView> old_doc) const {
  if (!active() || validator_->Matches(new_doc)) return absl::OkStatus();
  // moderate: an update of a document that was already invalid is allowed.
  if (level_ == ValidationLevel::kModerate && old_doc.has_value() &&
      !validator_->Matches(*old_doc)) {
    return absl::OkStatus();
  }
  Document info;
  bson_iter_t id;
  if (document::FindId(new_doc, &id)) {
    bson_append_iter(info.mutable_bson(), "failingDocumentId", 17, &id);
  }
  Document details = validator_->ExplainFailure(new_doc);
  bson_append_document(info.mutable_bson(), "details", 7, details.bson());
  if (action_ == ValidationAction::kWarn) {
    std::cerr << "strata: document failed validation (validationAction: warn), written anyway: "
              << info.ToJson() << "\n";
    return absl::OkStatus();
  }
  absl::Status failure =
      MongoError(ErrorCode::kDocumentValidationFailure, "Document failed validation");
  SetErrorInfo(failure, absl::string_view(reinterpret_cast<const char*>(info.data()), info.size()));
  return failure;
}

}  // namespace strata::db
