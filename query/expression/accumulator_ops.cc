// The expression forms of the group accumulators: $sum $avg $min $max $stdDevPop $stdDevSamp
// in $project/$addFields/… ({$sum: "$array"} or {$sum: ["$a", "$b", 3]}). One argument that
// is an array: its elements; otherwise the arguments themselves (arrays among several
// arguments are not expanded). Non-numeric values are ignored by the numeric ones; null and
// missing by $min/$max. Empty input: $sum 0, the others null.
#include <cmath>
#include <string>
#include <vector>

#include "query/expression/decimal.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {
namespace {

std::vector<Value> Inputs(absl::Span<const Value> args) {
  if (args.size() == 1 && args[0].is_array()) return args[0].ArrayElements();
  return std::vector<Value>(args.begin(), args.end());
}

// MongoDB's widening sum of the numeric values (int32 → int64 → double → decimal).
Value SumNumbers(const std::vector<Value>& values, int64_t* count) {
  bson_type_t widest = BSON_TYPE_INT32;
  int64_t long_total = 0;
  double double_total = 0;
  Dec dec_total;
  *count = 0;
  for (const Value& v : values) {
    if (!v.is_number()) continue;
    ++*count;
    const bson_type_t before = widest;
    widest = WiderNumericType(widest, v.type());
    if (widest == BSON_TYPE_DECIMAL128) {
      if (before != BSON_TYPE_DECIMAL128) {
        dec_total = DecAdd(DecFromInt64(long_total), DecFromDouble(double_total));
        long_total = 0;
        double_total = 0;
      }
      dec_total = DecAdd(dec_total, DecodeDecimal(ToDecimal(v)));
    } else if (v.type() == BSON_TYPE_DOUBLE || widest == BSON_TYPE_DOUBLE) {
      if (v.type() == BSON_TYPE_DOUBLE) {
        double_total += v.dbl();
      } else {
        int64_t i = 0;
        ToInt64Exact(v, &i);
        double_total += static_cast<double>(i);
      }
    } else {
      int64_t i = 0;
      ToInt64Exact(v, &i);
      if (__builtin_add_overflow(long_total, i, &long_total)) {
        widest = BSON_TYPE_DOUBLE;
        double_total += static_cast<double>(long_total) + static_cast<double>(i);
        long_total = 0;
      }
    }
  }
  switch (widest) {
    case BSON_TYPE_DECIMAL128:
      return Value::Decimal(EncodeDecimal(dec_total));
    case BSON_TYPE_DOUBLE:
      return Value::Double(double_total + static_cast<double>(long_total));
    case BSON_TYPE_INT64:
      return Value::Int64(long_total);
    default:
      return IntegerValue(long_total);
  }
}

absl::StatusOr<Value> Sum(absl::Span<const Value> args, EvalContext&) {
  int64_t n = 0;
  return SumNumbers(Inputs(args), &n);
}

absl::StatusOr<Value> Avg(absl::Span<const Value> args, EvalContext&) {
  int64_t n = 0;
  Value sum = SumNumbers(Inputs(args), &n);
  if (n == 0) return Value::Null();
  if (sum.type() == BSON_TYPE_DECIMAL128) {
    return Value::Decimal(EncodeDecimal(DecDiv(DecodeDecimal(sum.decimal()), DecFromInt64(n))));
  }
  return Value::Double(sum.ToDouble() / static_cast<double>(n));
}

absl::StatusOr<Value> Extreme(absl::Span<const Value> args, bool max) {
  Value best;
  for (const Value& v : Inputs(args)) {
    if (v.nullish()) continue;
    if (best.missing() || (max ? CompareValues(v, best) > 0 : CompareValues(v, best) < 0)) {
      best = v;
    }
  }
  return best.missing() ? Value::Null() : best;
}

absl::StatusOr<Value> StdDev(absl::Span<const Value> args, bool sample) {
  int64_t n = 0;
  double mean = 0, m2 = 0;
  for (const Value& v : Inputs(args)) {
    if (!v.is_number()) continue;
    ++n;
    const double x = v.ToDouble();
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  const int64_t d = sample ? n - 1 : n;
  if (d <= 0) return Value::Null();
  return Value::Double(std::sqrt(m2 / static_cast<double>(d)));
}

}  // namespace

void AddAccumulatorOperators(OperatorTable* t) {
  (*t)["$sum"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$sum", o, c, 0, kUnbounded, Sum);
  };
  (*t)["$avg"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$avg", o, c, 0, kUnbounded, Avg);
  };
  (*t)["$min"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$min", o, c, 0, kUnbounded,
                    [](absl::Span<const Value> a, EvalContext&) { return Extreme(a, false); });
  };
  (*t)["$max"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$max", o, c, 0, kUnbounded,
                    [](absl::Span<const Value> a, EvalContext&) { return Extreme(a, true); });
  };
  (*t)["$stdDevPop"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$stdDevPop", o, c, 0, kUnbounded,
                    [](absl::Span<const Value> a, EvalContext&) { return StdDev(a, false); });
  };
  (*t)["$stdDevSamp"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$stdDevSamp", o, c, 0, kUnbounded,
                    [](absl::Span<const Value> a, EvalContext&) { return StdDev(a, true); });
  };
}

}  // namespace strata::query::expression::internal
