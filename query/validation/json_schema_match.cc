#include "query/validation/json_schema_match.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"

namespace strata::query::validation {

bool JsonSchemaMatchExpression::Matches(DocumentView doc, match::MatchDetails* details) const {
  return schema_.Matches(doc);
}

bool JsonSchemaMatchExpression::MatchesValue(const bson_iter_t* value,
                                             match::MatchDetails* details) const {
  return schema_.MatchesValue(value);
}

std::string JsonSchemaMatchExpression::DebugString() const {
  return absl::StrCat("$jsonSchema ", schema_.schema().ToJson());
}

match::ParseOptions::ExternalParser JsonSchemaParser() {
  return [](const bson_iter_t& operand) -> absl::StatusOr<match::MatchExpressionPtr> {
    const uint8_t* data = nullptr;
    uint32_t len = 0;
    if (bson_iter_type(&operand) != BSON_TYPE_DOCUMENT) {
      return MongoError(ErrorCode::kTypeMismatch, "$jsonSchema must be an object");
    }
    bson_iter_document(&operand, &len, &data);
    ASSIGN_OR_RETURN(JsonSchema schema, JsonSchema::Parse(DocumentView(data, len)));
    return std::make_unique<JsonSchemaMatchExpression>(std::move(schema));
  };
}

match::ParseOptions WithJsonSchema(match::ParseOptions base) {
  base.json_schema_parser = JsonSchemaParser();
  return base;
}

}  // namespace strata::query::validation
