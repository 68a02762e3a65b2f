// The `$jsonSchema` filter operator: a match-expression node over a JsonSchema, and the hook
// that plugs it into the filter parser (query::match::ParseOptions::json_schema_parser).
//
//   query::match::ParseOptions options;
//   options.json_schema_parser = query::validation::JsonSchemaParser();
//   ASSIGN_OR_RETURN(auto expr, query::match::ParseFilter(filter, options));
//
// With the hook, `{$jsonSchema: {...}}` works at the top level of find/count/delete filters and
// of collection validators, alone or beside other operators and inside $and/$or/$nor (the
// matcher allows it where MongoDB does). Errors are JsonSchema::Parse's, plus TypeMismatch
// "$jsonSchema must be an object" for a non-document operand.
//
// The node owns its schema (no borrowed bytes), is immutable and thread-safe like every node.
#ifndef STRATA_QUERY_VALIDATION_JSON_SCHEMA_MATCH_H_
#define STRATA_QUERY_VALIDATION_JSON_SCHEMA_MATCH_H_

#include <string>

#include "query/match/match_expression.h"
#include "query/match/parser.h"
#include "query/validation/json_schema.h"

namespace strata::query::validation {

// MatchType::kExternal node for `$jsonSchema`.
class JsonSchemaMatchExpression final : public match::MatchExpression {
 public:
  explicit JsonSchemaMatchExpression(JsonSchema schema)
      : MatchExpression(match::MatchType::kExternal), schema_(std::move(schema)) {}

  const JsonSchema& schema() const { return schema_; }

  bool Matches(DocumentView doc, match::MatchDetails* details = nullptr) const override;
  // Applies the schema to one value (null = missing, which every schema accepts).
  bool MatchesValue(const bson_iter_t* value,
                    match::MatchDetails* details = nullptr) const override;
  // "$jsonSchema <schema as relaxed Extended JSON>".
  std::string DebugString() const override;

 private:
  const JsonSchema schema_;
};

// The parser hook for ParseOptions::json_schema_parser. Stateless; the returned function may be
// copied and called from any thread.
match::ParseOptions::ExternalParser JsonSchemaParser();

// `base` with json_schema_parser set: the options a validator or filter parse should use.
match::ParseOptions WithJsonSchema(match::ParseOptions base = match::ParseOptions());

}  // namespace strata::query::validation

#endif  // STRATA_QUERY_VALIDATION_JSON_SCHEMA_MATCH_H_
