// Parses a MongoDB query filter document into a match-expression tree.
//
//   ASSIGN_OR_RETURN(auto expr, query::match::ParseFilter(filter.view()));
//   for (each document d) if (expr->Matches(d)) …;
//
// The tree borrows `filter`'s bytes: keep them alive and unchanged while the tree is used.
// Regular expressions are compiled here, once.
//
// Errors carry MongoDB's codes (base/error_codes.h) and message shapes, among them:
//   BadValue        "unknown operator: $foo"
//                   "unknown top level operator: $foo. If you have a field name that starts
//                    with a '$' symbol, consider using $getField or $setField."
//                   "$in needs an array", "$nin needs an array", "$all needs an array",
//                   "cannot nest $ under $in", "InMatchExpression equality cannot be undefined",
//                   "cannot compare to undefined", "Can't have regex as arg to $ne.",
//                   "$and must be an array", "$and/$or/$nor must be a nonempty array",
//                   "$or/$and/$nor entries need to be full objects",
//                   "$not needs a regex or a document", "$not cannot be empty",
//                   "$size needs a number", "$size may not be negative",
//                   "$size must be a whole number", "$elemMatch needs an Object",
//                   "$all/$elemMatch has to be consistent", "no $ expressions in $all",
//                   "malformed mod, …", "divisor cannot be 0",
//                   "$regex has to be a string", "$options needs a $regex",
//                   "options set in both $regex and $options",
//                   "invalid flag in regex options: z",
//                   "Regular expression is invalid: <PCRE2's message>",
//                   "Unknown type name alias: foo", "Invalid numerical type code: 42",
//                   "$where is not supported", "$where cannot be applied to a field",
//                   "exceeded maximum query tree depth of 100"
//   FailedToParse   "$alwaysTrue must be an integer value of 1", "<path> must match at least
//                   one type" ($type: [])
//   TypeMismatch    "type must be represented as a number or a string"
//   NotImplemented  "$expr is not supported yet" (until ParseOptions::expr_parser is set),
//                   "$text …", "$jsonSchema …", "$near …" and the other geo operators,
//                   "$sampleRate …"
//
// Thread safety: ParseFilter is reentrant; it keeps no state between calls.
#ifndef STRATA_QUERY_MATCH_PARSER_H_
#define STRATA_QUERY_MATCH_PARSER_H_

#include <bson/bson.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "query/match/match_expression.h"
#include "strata/document.h"

namespace strata::query::match {

struct ParseOptions {
  // Builds the node for an operator another layer implements, from its operand (the value of
  // the `$expr` / `$jsonSchema` field, pointing into the filter). The node must obey
  // MatchExpression's contract (type kExternal, const and thread-safe evaluation).
  using ExternalParser = std::function<absl::StatusOr<MatchExpressionPtr>(const bson_iter_t&)>;

  // $expr (allowed at the top level of the filter and inside $and/$or/$nor, not inside
  // $elemMatch). Default: unset, and $expr is NotImplemented "$expr is not supported yet"
  // (the aggregation-expression layer supplies it).
  ExternalParser expr_parser;

  // $jsonSchema (top level). Default: unset → NotImplemented (query/validation supplies it).
  ExternalParser json_schema_parser;

  // Deepest allowed nesting of logical operators, $not and $elemMatch. Default 100 (MongoDB's
  // limit); must be ≥ 1. Deeper filters fail with BadValue.
  int max_depth = 100;
};

// Parses `filter`. See the header comment for the errors.
absl::StatusOr<MatchExpressionPtr> ParseFilter(DocumentView filter,
                                               const ParseOptions& options = ParseOptions());

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_PARSER_H_
