// Aggregation expressions: parse a BSON value once into a tree, evaluate it per document.
//
//   ParseContext pctx;                                   // variables in scope while parsing
//   ASSIGN_OR_RETURN(ExpressionPtr e, ParseExpression(spec_iter, pctx));
//   EvalContext ectx;                                    // $$NOW fixed here; per thread
//   ASSIGN_OR_RETURN(Value v, Evaluate(*e, doc_view, ectx));
//
// What a spec means (MongoDB's rules): "$a.b" is a field path of $$CURRENT (traversing arrays
// of documents: over [{b: 1}, {b: 2}] it yields [1, 2]); "$$name.path" reads a variable;
// {$op: args} is an operator (args an array, or one argument); {field: expr, …} builds a
// document (fields that evaluate to missing are left out); [expr, …] builds an array
// (missing elements become null); anything else is a constant. {$literal: v} is v unparsed.
//
// Variables: $$ROOT (the document), $$CURRENT (initially $$ROOT; rebindable with $let),
// $$REMOVE (missing), $$NOW (EvalContext::now_millis), variables defined on the ParseContext
// (for $lookup's `let`), and those of $let / $map / $filter / $reduce ($$this, $$value, `as`).
// Names are resolved at parse time: an unknown one fails with Location17276
// "Use of undefined variable: x".
//
// ERRORS carry MongoDB's codes and messages (base/error_codes.h MongoError), e.g.
//   168 InvalidPipelineOperator "Unrecognized expression '$foo'"
//   16020 "Expression $subtract takes exactly 2 arguments. 1 were passed in."
//   16554 "$add only supports numeric or date types, not string"
//   2 BadValue "can't $divide by zero"
// Parse errors come from ParseExpression; type and value errors from Evaluate.
//
// LIFETIME: the tree owns copies of its constants and does not borrow the spec. A Value that
// Evaluate returns may point into the evaluated document and into the tree's constants: use it
// while both are alive, or call Value::Owned().
// THREAD SAFETY: trees are immutable after parsing and may be evaluated from many threads at
// once, each with its own EvalContext. A ParseContext is used by one thread at a time.
#ifndef STRATA_QUERY_EXPRESSION_EXPRESSION_H_
#define STRATA_QUERY_EXPRESSION_EXPRESSION_H_

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/expression/value.h"
#include "strata/document.h"

namespace strata::query::expression {

using VariableId = int32_t;
inline constexpr VariableId kRootVariable = 0;
inline constexpr VariableId kCurrentVariable = 1;

// Variables in scope while parsing. Each variable gets a distinct slot id for the whole life of
// the context, so one EvalContext serves every expression parsed with it.
class ParseContext {
 public:
  ParseContext() = default;

  // Declares a variable visible to every expression parsed afterwards with this context (e.g.
  // $lookup's `let` names); give its value with EvalContext::SetVariable. The name must be a
  // valid user variable name (a lower-case letter or non-ASCII first, then letters, digits
  // and '_'): otherwise FailedToParse-style Location16867/16868/16869/16870 errors.
  absl::StatusOr<VariableId> DefineVariable(absl::string_view name);

  // The variable `name` in scope (innermost first), or nullopt. ROOT and CURRENT resolve to
  // kRootVariable / kCurrentVariable unless rebound.
  std::optional<VariableId> Lookup(absl::string_view name) const;

  // For operator parsers: scoped variables ($let, $map, …).
  VariableId PushScoped(absl::string_view name);
  size_t scope_size() const { return scope_.size(); }
  void PopScopeTo(size_t size) { scope_.resize(size); }
  int num_slots() const { return next_id_; }

 private:
  std::vector<std::pair<std::string, VariableId>> scope_;
  VariableId next_id_ = 2;
};

// Checks a user variable name as $let does (codes 16866-16870).
absl::Status ValidateVariableName(absl::string_view name);

// Per-evaluation state: variable values and the fixed $$NOW. Not thread-safe; make one per
// thread (it is cheap). Reusable across documents.
class EvalContext {
 public:
  // $$NOW is the current time, read once here.
  EvalContext();
  explicit EvalContext(int64_t now_millis) : now_millis_(now_millis) {}

  void SetVariable(VariableId id, Value value) {
    if (static_cast<size_t>(id) >= slots_.size()) slots_.resize(static_cast<size_t>(id) + 1);
    slots_[static_cast<size_t>(id)] = std::move(value);
  }
  const Value& GetVariable(VariableId id) const {
    static const Value kMissing;
    return static_cast<size_t>(id) < slots_.size() ? slots_[static_cast<size_t>(id)] : kMissing;
  }
  int64_t now_millis() const { return now_millis_; }

 private:
  std::vector<Value> slots_;
  int64_t now_millis_;
};

class Expression {
 public:
  virtual ~Expression() = default;
  // Evaluates against the variables in `ctx` ($$ROOT / $$CURRENT must be set; Evaluate() below
  // does that).
  virtual absl::StatusOr<Value> Evaluate(EvalContext& ctx) const = 0;
  // The value of a constant node (literal, $literal), else null.
  virtual const Value* constant() const { return nullptr; }
};
using ExpressionPtr = std::unique_ptr<Expression>;

// Parses the expression at `value` (the current element of the iterator).
absl::StatusOr<ExpressionPtr> ParseExpression(const bson_iter_t& value, ParseContext& ctx);

// Parses a document whose fields are expressions ({a: "$x", b: {$add: [1, 2]}}), as $project
// and $addFields use it, into one node that evaluates to a document (missing fields left out).
// Field names must not start with '$' or contain '.'.
absl::StatusOr<ExpressionPtr> ParseObjectExpression(DocumentView spec, ParseContext& ctx);

// Sets $$ROOT and $$CURRENT to `root` and evaluates. The result may borrow from `root`.
absl::StatusOr<Value> Evaluate(const Expression& expr, DocumentView root, EvalContext& ctx);

}  // namespace strata::query::expression

#endif  // STRATA_QUERY_EXPRESSION_EXPRESSION_H_
