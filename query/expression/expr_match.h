// $expr in query filters: a match-expression node (type kExternal) that evaluates an
// aggregation expression against the document and tests its truthiness (false, null,
// undefined, missing and numeric zero are false; everything else true).
//
//   query::match::ParseOptions options;
//   options.expr_parser = query::expression::MakeExprParser();
//   ASSIGN_OR_RETURN(auto filter, query::match::ParseFilter(view, options));
//
// Runtime errors ($divide by zero, type errors): MatchExpression::Matches returns a bool, so
// a failing evaluation counts as "no match" there. Callers that must surface the error, as
// MongoDB does (the query fails), call ExprMatchExpression::Evaluate, or walk the tree and use
// FirstEvaluationError (see README.md).
//
// THREAD SAFETY: the node is immutable; each Matches call uses its own EvalContext.
#ifndef STRATA_QUERY_EXPRESSION_EXPR_MATCH_H_
#define STRATA_QUERY_EXPRESSION_EXPR_MATCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "query/expression/expression.h"
#include "query/match/match_expression.h"
#include "query/match/parser.h"

namespace strata::query::expression {

struct ExprParserOptions {
  // $$NOW for every $expr built by the parser. Default: unset → the time MakeExprParser ran.
  std::optional<int64_t> now_millis;
  // Variables visible as $$name ($lookup's `let`), with their values (copied, owned).
  // Default: none.
  std::vector<std::pair<std::string, Value>> variables;
};

class ExprMatchExpression final : public match::MatchExpression {
 public:
  ExprMatchExpression(ExpressionPtr expr, std::vector<std::pair<VariableId, Value>> bindings,
                      int64_t now_millis, std::string text)
      : MatchExpression(match::MatchType::kExternal),
        expr_(std::move(expr)),
        bindings_(std::move(bindings)),
        now_millis_(now_millis),
        text_(std::move(text)) {}

  // The truthiness of the expression on `doc`, or the evaluation error.
  absl::StatusOr<bool> Evaluate(DocumentView doc) const;

  bool Matches(DocumentView doc, match::MatchDetails* details = nullptr) const override;
  // A document value is evaluated as the document; anything else does not match ($expr is
  // not allowed under $elemMatch, so this is only reached through logical nodes).
  bool MatchesValue(const bson_iter_t* value,
                    match::MatchDetails* details = nullptr) const override;
  std::string DebugString() const override { return "$expr(" + text_ + ")"; }

 private:
  ExpressionPtr expr_;
  std::vector<std::pair<VariableId, Value>> bindings_;
  int64_t now_millis_;
  std::string text_;
};

// The $expr hook for query::match::ParseOptions::expr_parser.
match::ParseOptions::ExternalParser MakeExprParser(ExprParserOptions options = {});

// The first evaluation error any $expr node of `tree` gives on `doc` (OK when none does),
// for callers that want MongoDB's behaviour of failing the query.
absl::Status FirstEvaluationError(const match::MatchExpression& tree, DocumentView doc);

}  // namespace strata::query::expression

#endif  // STRATA_QUERY_EXPRESSION_EXPR_MATCH_H_
