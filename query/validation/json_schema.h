// MongoDB's `$jsonSchema`: a JSON Schema (draft 4 subset plus `bsonType`) parsed once, then
// evaluated against documents, with MongoDB 5+ failure details.
//
//   ASSIGN_OR_RETURN(JsonSchema schema, JsonSchema::Parse(schema_doc.view()));
//   if (!schema.Matches(doc)) {
//     Document details = schema.ExplainFailure(doc);  // errInfo.details
//   }
//
// KEYWORDS (as MongoDB supports them): bsonType (every $type alias and "number"; a string or
// an array of strings), type (JSON types: object array string number boolean null;
// "integer" is rejected as in MongoDB), required, properties, patternProperties,
// additionalProperties (bool or schema), minProperties, maxProperties, enum, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum (booleans, draft 4), multipleOf, minLength, maxLength
// (code points), pattern (PCRE2, UTF), items (schema or array of schemas), additionalItems,
// minItems, maxItems, uniqueItems, allOf, anyOf, oneOf, not, dependencies (property lists or
// schemas), title, description.
//
// SEMANTICS (MongoDB's, not plain JSON Schema's where they differ):
//   - A keyword applies only to values of its type: minimum to numbers, minLength/pattern to
//     strings, items/minItems to arrays, properties/required/minProperties to objects. Other
//     values pass it. A missing field passes every keyword of its sub-schema (only the parent's
//     `required` can demand it).
//   - No implicit array traversal: `properties: {a: {bsonType: "int"}}` rejects {a: [1]}.
//   - `properties` keys are literal field names ("a.b" names a field called "a.b").
//   - Numbers compare by exact value across int/long/double/decimal (document/compare.h);
//     NaN is below every number. multipleOf works in decimal: doubles are read at 15
//     significant digits, as MongoDB converts them to Decimal128, so 0.3 is a multiple of 0.1.
//   - enum and uniqueItems compare values as MongoDB's $jsonSchema does: numbers by value, and
//     embedded documents without regard to field order ({a: 1, b: 2} equals {b: 2, a: 1}).
//   - A top-level type/bsonType that excludes "object" matches no document.
//
// PARSE ERRORS (base/error_codes.h codes; first problem in keyword order wins):
//   FailedToParse  "$jsonSchema keyword 'format' is not currently supported" (also $ref,
//                  $schema, default, definitions, id); "Unknown $jsonSchema keyword: foo";
//                  "$jsonSchema type 'integer' is not currently supported.";
//                  "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'";
//                  "$jsonSchema keyword 'maximum' must be present if exclusiveMaximum is
//                  present"; "… cannot be an empty array", "… array cannot contain duplicate
//                  values" (required, enum, type/bsonType arrays, dependencies lists);
//                  "$jsonSchema keyword 'allOf' must be a nonempty array";
//                  "$jsonSchema keyword 'minLength' must be a non-negative integral number";
//                  "$jsonSchema keyword 'multipleOf' must have a positive value"
//   TypeMismatch   a keyword of the wrong BSON type: "$jsonSchema keyword 'required' must be an
//                  array", "… must be a number", "… must be a boolean", "… must be an object",
//                  "… must be either an object or a boolean", "Nested schema for $jsonSchema
//                  property 'a' must be an object", "$jsonSchema must be an object"
//   BadValue       "Unknown type name alias: foo" (bsonType), "Unknown JSON Schema type: foo"
//                  (type), "$jsonSchema exceeded maximum nesting depth of 100"
//   Location51091  "Regular expression is invalid: <PCRE2's message>" (pattern,
//                  patternProperties; query/match/regex.h, MongoDB's code for it)
//
// FAILURE DETAILS (ExplainFailure; MongoDB 5.0+ errInfo.details shape):
//   {operatorName: "$jsonSchema", [title,] [description,] schemaRulesNotSatisfied: [rule…]}
// one entry per failing keyword, in the schema's keyword order, e.g.
//   {operatorName: "bsonType", specifiedAs: {bsonType: "int"}, reason: "type did not match",
//    consideredValue: "x", consideredType: "string"}
//   {operatorName: "required", specifiedAs: {required: [...]}, missingProperties: ["b"]}
//   {operatorName: "properties", propertiesNotSatisfied: [{propertyName: "a",
//    [description,] details: [rule…]}]}
// query/validation/README.md lists the shape for every keyword.
//
// OWNERSHIP: Parse copies the schema; a JsonSchema owns everything it uses (no borrowed
// bytes). Copies share one immutable parsed tree.
// THREAD SAFETY: immutable after Parse; every method is const and may run concurrently.
// COST: evaluation walks the document in place and allocates only for uniqueItems (a sort of
// element iterators), for unordered document comparison, and when explaining.
#ifndef STRATA_QUERY_VALIDATION_JSON_SCHEMA_H_
#define STRATA_QUERY_VALIDATION_JSON_SCHEMA_H_

#include <bson/bson.h>

#include <memory>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::query::validation {

namespace internal {
struct ParsedSchema;
}  // namespace internal

class JsonSchema {
 public:
  // Deepest nesting of sub-schemas accepted (properties, items, allOf, …).
  static constexpr int kMaxDepth = 100;

  // Parses the operand of `$jsonSchema`. See the header comment for the errors.
  static absl::StatusOr<JsonSchema> Parse(DocumentView schema);

  // Whether the document satisfies the schema. Unreadable bytes read as {}.
  bool Matches(DocumentView doc) const;

  // Whether one value satisfies the schema, as if the schema were applied to that value
  // (null `value` means missing, which every schema accepts).
  bool MatchesValue(const bson_iter_t* value) const;

  // errInfo.details for `doc`: {operatorName: "$jsonSchema", schemaRulesNotSatisfied: [...]}.
  // Meant for documents Matches() rejects; for one it accepts the list is empty.
  Document ExplainFailure(DocumentView doc) const;

  // The schema document as given to Parse (an owned copy).
  DocumentView schema() const;

 private:
  explicit JsonSchema(std::shared_ptr<const internal::ParsedSchema> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const internal::ParsedSchema> rep_;  // never null
};

}  // namespace strata::query::validation

#endif  // STRATA_QUERY_VALIDATION_JSON_SCHEMA_H_
