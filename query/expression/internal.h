// Shared machinery of the operator implementations (internal to query/expression).
#ifndef STRATA_QUERY_EXPRESSION_INTERNAL_H_
#define STRATA_QUERY_EXPRESSION_INTERNAL_H_

#include <bson/bson.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "query/expression/expression.h"

namespace strata::query::expression::internal {

// A Status with MongoDB code `code`.
absl::Status Error(int code, absl::string_view message);

// A node with child expressions (some may be null: optional arguments left out) and a
// function that evaluates them.
using EvalFn =
    std::function<absl::StatusOr<Value>(const std::vector<ExpressionPtr>& args, EvalContext& ctx)>;
class GenericExpression final : public Expression {
 public:
  GenericExpression(std::vector<ExpressionPtr> args, EvalFn fn)
      : args_(std::move(args)), fn_(std::move(fn)) {}
  absl::StatusOr<Value> Evaluate(EvalContext& ctx) const override { return fn_(args_, ctx); }

 private:
  std::vector<ExpressionPtr> args_;
  EvalFn fn_;
};

// A constant.
class ConstantExpression final : public Expression {
 public:
  explicit ConstantExpression(Value v) : value_(v.Owned()) {}
  absl::StatusOr<Value> Evaluate(EvalContext&) const override { return value_; }
  const Value* constant() const override { return &value_; }

 private:
  Value value_;
};

// The operand as a list of arguments: an array's elements, otherwise the operand itself.
absl::StatusOr<std::vector<ExpressionPtr>> ParseArguments(const bson_iter_t& operand,
                                                          ParseContext& ctx);
// Location16020 "Expression $op takes exactly N arguments. M were passed in." or
// Location28667 "Expression $op takes at least N arguments, and at most M, but K were passed in."
absl::Status CheckArity(absl::string_view op, size_t n, size_t min, size_t max);
inline constexpr size_t kUnbounded = static_cast<size_t>(-1);

// Evaluates every argument, then calls fn with their values.
using ValuesFn = std::function<absl::StatusOr<Value>(absl::Span<const Value> args, EvalContext&)>;
absl::StatusOr<ExpressionPtr> MakeNary(absl::string_view op, const bson_iter_t& operand,
                                       ParseContext& ctx, size_t min, size_t max, ValuesFn fn);
ExpressionPtr MakeNaryFromArgs(std::vector<ExpressionPtr> args, ValuesFn fn);

// Evaluates an optional argument (null → missing).
inline absl::StatusOr<Value> EvalOpt(const ExpressionPtr& e, EvalContext& ctx) {
  if (e == nullptr) return Value();
  return e->Evaluate(ctx);
}

// The fields of an object operand (name, iterator) or nullopt when it is not a document.
std::optional<std::vector<std::pair<std::string, bson_iter_t>>> ObjectFields(
    const bson_iter_t& operand);

using OperatorParser =
    std::function<absl::StatusOr<ExpressionPtr>(const bson_iter_t& operand, ParseContext& ctx)>;
using OperatorTable = absl::flat_hash_map<std::string, OperatorParser>;

void AddCoreOperators(OperatorTable* table);         // parser.cc
void AddArithmeticOperators(OperatorTable* table);   // arithmetic.cc
void AddStringOperators(OperatorTable* table);       // string.cc
void AddArrayOperators(OperatorTable* table);        // array.cc
void AddObjectOperators(OperatorTable* table);       // array.cc
void AddTypeOperators(OperatorTable* table);         // convert.cc
void AddDateOperators(OperatorTable* table);         // date.cc
void AddAccumulatorOperators(OperatorTable* table);  // accumulator_ops.cc

// ---- numbers (arithmetic.cc) ----
// int32 → int64 → double → decimal: the wider of two numeric types.
bson_type_t WiderNumericType(bson_type_t a, bson_type_t b);
// Exact integer value of an int32/int64, or an integral double/decimal in int64 range.
bool ToInt64Exact(const Value& v, int64_t* out);
// Integer in int32 range: int32/int64/double/decimal with an integral value.
bool ToInt32Exact(const Value& v, int32_t* out);
// A number converted to decimal (doubles with 15 significant digits, as MongoDB does).
bson_decimal128_t ToDecimal(const Value& v);
// Shortest round-trip text of a double as MongoDB prints it ($toString, $concat error text).
std::string DoubleToString(double d);
// Narrowest integer Value (int32 when it fits, else int64).
Value IntegerValue(int64_t i);

// ---- strings (string.cc) ----
// Counts UTF-8 code points.
size_t CountCodePoints(absl::string_view s);

// ---- dates (date.cc) ----
// A Date, Timestamp or ObjectId as milliseconds since the epoch; false for other types.
bool ToDateMillis(const Value& v, int64_t* out);
// ISO-8601 UTC text "2020-01-02T03:04:05.006Z".
std::string FormatIsoDate(int64_t millis);
// Parses a date string as $dateFromString / $convert to date do (no format, UTC unless the
// string says otherwise). Location241 message on failure.
absl::StatusOr<int64_t> ParseDateString(absl::string_view text, absl::string_view format,
                                        absl::string_view timezone_name, bool has_format);

}  // namespace strata::query::expression::internal

#endif  // STRATA_QUERY_EXPRESSION_INTERNAL_H_
