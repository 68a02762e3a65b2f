#include "query/expression/expr_match.h"

#include <chrono>
#include <memory>

#include "base/status_macros.h"

namespace strata::query::expression {

absl::StatusOr<bool> ExprMatchExpression::Evaluate(DocumentView doc) const {
  EvalContext ctx(now_millis_);
  for (const auto& [id, value] : bindings_) ctx.SetVariable(id, value);
  ASSIGN_OR_RETURN(Value v, expression::Evaluate(*expr_, doc, ctx));
  return IsTruthy(v);
}

bool ExprMatchExpression::Matches(DocumentView doc, match::MatchDetails*) const {
  absl::StatusOr<bool> r = Evaluate(doc);
  return r.ok() && *r;
}

bool ExprMatchExpression::MatchesValue(const bson_iter_t* value, match::MatchDetails*) const {
  if (value == nullptr || !BSON_ITER_HOLDS_DOCUMENT(value)) return false;
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(value, &len, &data);
  return Matches(DocumentView(data, len));
}

match::ParseOptions::ExternalParser MakeExprParser(ExprParserOptions options) {
  const int64_t now = options.now_millis.has_value()
                          ? *options.now_millis
                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  auto vars = std::make_shared<std::vector<std::pair<std::string, Value>>>();
  for (auto& [name, value] : options.variables) vars->emplace_back(name, value.Owned());
  return [now, vars](const bson_iter_t& operand) -> absl::StatusOr<match::MatchExpressionPtr> {
    ParseContext ctx;
    std::vector<std::pair<VariableId, Value>> bindings;
    for (const auto& [name, value] : *vars) {
      ASSIGN_OR_RETURN(VariableId id, ctx.DefineVariable(name));
      bindings.emplace_back(id, value);
    }
    ASSIGN_OR_RETURN(ExpressionPtr expr, ParseExpression(operand, ctx));
    return match::MatchExpressionPtr(std::make_unique<ExprMatchExpression>(
        std::move(expr), std::move(bindings), now, Value::FromIter(operand).DebugString()));
  };
}

absl::Status FirstEvaluationError(const match::MatchExpression& tree, DocumentView doc) {
  if (tree.type() == match::MatchType::kExternal) {
    if (const auto* e = dynamic_cast<const ExprMatchExpression*>(&tree)) {
      return e->Evaluate(doc).status();
    }
  }
  for (size_t i = 0; i < tree.num_children(); ++i) {
    RETURN_IF_ERROR(FirstEvaluationError(*tree.child(i), doc));
  }
  return absl::OkStatus();
}

}  // namespace strata::query::expression
