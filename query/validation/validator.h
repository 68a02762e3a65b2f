// A collection validator: a query filter (any filter operator, `$jsonSchema` among them) that
// every inserted or updated document must match, and the errInfo.details of a rejection.
//
//   ASSIGN_OR_RETURN(Validator v, Validator::Parse(options.validator));   // at create/collMod
//   if (!v.Matches(new_doc)) {
//     // DocumentValidationFailure (121) "Document failed validation",
//     // errInfo: {failingDocumentId: <_id>, details: v.ExplainFailure(new_doc)}
//   }
//
// Validation level and action (strict/moderate/off, error/warn) and bypassDocumentValidation
// are the caller's business (db/): this class only answers "does it match" and "why not".
//
// DETAILS (MongoDB 5.0+ shape, query/validation/README.md):
//   - a validator that is one `$jsonSchema`: JsonSchema::ExplainFailure's document;
//   - several top-level clauses: {operatorName: "$and", clausesNotSatisfied: [{index, details}]}
//     for the clauses the document fails (one clause alone is reported without the $and);
//   - $or: {operatorName: "$or", clausesNotSatisfied: [...every clause...]};
//   - a path predicate: {operatorName: "$gt", [specifiedAs: {a: {$gt: 5}},] reason:
//     "comparison failed", consideredValue: 3} (consideredValues: [...] when the path reached
//     several values through arrays; reason "field was missing" when it reached none);
//   - $nor / $not / $expr / others: {operatorName, reason}.
//
// Errors of Parse: ParseFilter's (query/match/parser.h) and JsonSchema::Parse's.
// OWNERSHIP: a Validator owns a copy of the validator document. THREAD SAFETY: immutable.
#ifndef STRATA_QUERY_VALIDATION_VALIDATOR_H_
#define STRATA_QUERY_VALIDATION_VALIDATOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "query/match/parser.h"
#include "strata/document.h"

namespace strata::query::validation {

class Validator {
 public:
  // Parses `validator` with `options` plus the $jsonSchema hook (json_schema_parser is
  // overwritten; set expr_parser to allow $expr).
  static absl::StatusOr<Validator> Parse(DocumentView validator,
                                         match::ParseOptions options = match::ParseOptions());

  // Whether `doc` satisfies the validator. The empty validator {} accepts everything.
  bool Matches(DocumentView doc) const;

  // errInfo.details for a document Matches() rejects (see the header comment).
  Document ExplainFailure(DocumentView doc) const;

  // The validator document (an owned copy).
  DocumentView validator() const;

 private:
  struct Rep;
  explicit Validator(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;  // never null
};

}  // namespace strata::query::validation

#endif  // STRATA_QUERY_VALIDATION_VALIDATOR_H_
