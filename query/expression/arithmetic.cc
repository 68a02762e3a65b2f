// Arithmetic operators and the numeric helpers other operators share.
//
// Type rules (MongoDB's): the result takes the widest operand type, int32 < int64 < double <
// decimal; an int32 result that overflows becomes int64, an int64 result that overflows
// becomes double. Null or missing operands give null (checked in argument order, so a type
// error in an earlier argument wins).
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "query/expression/decimal.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {

bson_type_t WiderNumericType(bson_type_t a, bson_type_t b) {
  auto rank = [](bson_type_t t) {
    switch (t) {
      case BSON_TYPE_INT32:
        return 0;
      case BSON_TYPE_INT64:
        return 1;
      case BSON_TYPE_DOUBLE:
        return 2;
      default:
        return 3;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

bool ToInt64Exact(const Value& v, int64_t* out) {
  switch (v.type()) {
    case BSON_TYPE_INT32:
      *out = v.int32();
      return true;
    case BSON_TYPE_INT64:
      *out = v.int64();
      return true;
    case BSON_TYPE_DOUBLE: {
      const double d = v.dbl();
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d) {
        return false;
      }
      *out = static_cast<int64_t>(d);
      return true;
    }
    case BSON_TYPE_DECIMAL128: {
      const Dec d = DecodeDecimal(v.decimal());
      int64_t i;
      if (!DecToInt64(d, &i)) return false;
      if (DecCompare(d, DecFromInt64(i)) != 0) return false;
      *out = i;
      return true;
    }
    default:
      return false;
  }
}

bool ToInt32Exact(const Value& v, int32_t* out) {
  int64_t i;
  if (!ToInt64Exact(v, &i) || i < INT32_MIN || i > INT32_MAX) return false;
  *out = static_cast<int32_t>(i);
  return true;
}

bson_decimal128_t ToDecimal(const Value& v) {
  switch (v.type()) {
    case BSON_TYPE_INT32:
      return EncodeDecimal(DecFromInt64(v.int32()));
    case BSON_TYPE_INT64:
      return EncodeDecimal(DecFromInt64(v.int64()));
    case BSON_TYPE_DOUBLE:
      return EncodeDecimal(DecFromDouble(v.dbl()));
    case BSON_TYPE_DECIMAL128:
      return v.decimal();
    default:
      return EncodeDecimal(Dec());
  }
}

std::string DoubleToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

Value IntegerValue(int64_t i) {
  if (i >= INT32_MIN && i <= INT32_MAX) return Value::Int32(static_cast<int32_t>(i));
  return Value::Int64(i);
}

namespace {

Dec AsDec(const Value& v) { return DecodeDecimal(ToDecimal(v)); }

int64_t AsInt64(const Value& v) { return v.type() == BSON_TYPE_INT32 ? v.int32() : v.int64(); }

// An exact integer result whose operands were of type `type` (int32 or int64).
Value IntegerResult(bson_type_t type, int64_t r) {
  if (type == BSON_TYPE_INT32 && r >= INT32_MIN && r <= INT32_MAX) {
    return Value::Int32(static_cast<int32_t>(r));
  }
  return Value::Int64(r);
}

// ---- $add / $subtract / $multiply ----

absl::StatusOr<Value> Add(absl::Span<const Value> args, EvalContext&) {
  bson_type_t widest = BSON_TYPE_INT32;
  int64_t long_total = 0;
  double double_total = 0;
  Dec dec_total;
  bool have_date = false;
  bool any_null = false;
  for (const Value& v : args) {
    if (v.nullish()) return Value::Null();
    if (v.type() == BSON_TYPE_DATE_TIME) {
      if (have_date) return Error(16612, "only one date allowed in an $add expression");
      have_date = true;
      int64_t sum;
      if (__builtin_add_overflow(long_total, v.date(), &sum)) {
        return Error(2, "date overflow in $add");
      }
      long_total = sum;
      continue;
    }
    if (!v.is_number()) {
      return Error(16554,
                   absl::StrCat("$add only supports numeric or date types, not ", TypeName(v)));
    }
    const bson_type_t before = widest;
    widest = WiderNumericType(widest, v.type());
    if (widest == BSON_TYPE_DECIMAL128) {
      if (before != BSON_TYPE_DECIMAL128) {
        dec_total = before == BSON_TYPE_DOUBLE
                        ? DecAdd(DecFromInt64(long_total), DecFromDouble(double_total))
                        : DecFromInt64(long_total);
        long_total = 0;
        double_total = 0;
      }
      dec_total = DecAdd(dec_total, AsDec(v));
    } else if (widest == BSON_TYPE_DOUBLE) {
      double_total += v.ToDouble();
    } else {
      int64_t sum;
      if (__builtin_add_overflow(long_total, AsInt64(v), &sum)) {
        widest = BSON_TYPE_DOUBLE;
        double_total = static_cast<double>(long_total) + static_cast<double>(AsInt64(v));
        long_total = 0;
      } else {
        long_total = sum;
      }
    }
  }
  if (any_null) return Value::Null();
  if (have_date) {
    // long_total holds the date plus integer parts.
    if (widest == BSON_TYPE_DECIMAL128) {
      int64_t ms;
      Dec rounded = DecRound(dec_total, 0, RoundMode::kHalfEven);
      if (!DecToInt64(rounded, &ms)) return Error(2, "date overflow in $add");
      return Value::Date(ms);
    }
    if (widest == BSON_TYPE_DOUBLE) {
      return Value::Date(long_total + std::llround(double_total));
    }
    return Value::Date(long_total);
  }
  switch (widest) {
    case BSON_TYPE_DECIMAL128:
      return Value::Decimal(EncodeDecimal(dec_total));
    case BSON_TYPE_DOUBLE:
      return Value::Double(double_total + static_cast<double>(long_total));
    default:
      return IntegerResult(widest, long_total);
  }
}

absl::StatusOr<Value> Subtract(absl::Span<const Value> args, EvalContext&) {
  const Value& a = args[0];
  const Value& b = args[1];
  if (a.nullish() || b.nullish()) return Value::Null();
  if (a.type() == BSON_TYPE_DATE_TIME) {
    if (b.type() == BSON_TYPE_DATE_TIME) return Value::Int64(a.date() - b.date());
    if (b.is_number()) {
      if (b.type() == BSON_TYPE_DOUBLE) return Value::Date(a.date() - std::llround(b.dbl()));
      int64_t ms;
      if (b.type() == BSON_TYPE_DECIMAL128) {
        if (!DecToInt64(DecRound(DecodeDecimal(b.decimal()), 0, RoundMode::kHalfEven), &ms)) {
          return Error(2, "date overflow in $subtract");
        }
      } else {
        ms = AsInt64(b);
      }
      return Value::Date(a.date() - ms);
    }
  } else if (a.is_number() && b.is_number()) {
    const bson_type_t t = WiderNumericType(a.type(), b.type());
    if (t == BSON_TYPE_DECIMAL128) return Value::Decimal(EncodeDecimal(DecSub(AsDec(a), AsDec(b))));
    if (t == BSON_TYPE_DOUBLE) return Value::Double(a.ToDouble() - b.ToDouble());
    int64_t r;
    if (__builtin_sub_overflow(AsInt64(a), AsInt64(b), &r)) {
      return Value::Double(static_cast<double>(AsInt64(a)) - static_cast<double>(AsInt64(b)));
    }
    return IntegerResult(t, r);
  }
  return Error(16556, absl::StrCat("can't $subtract ", TypeName(b), " from ", TypeName(a)));
}

absl::StatusOr<Value> Multiply(absl::Span<const Value> args, EvalContext&) {
  bson_type_t widest = BSON_TYPE_INT32;
  int64_t long_product = 1;
  double double_product = 1;
  Dec dec_product = DecFromInt64(1);
  bool any_null = false;
  for (const Value& v : args) {
    if (v.nullish()) return Value::Null();
    if (!v.is_number()) {
      return Error(16555, absl::StrCat("$multiply only supports numeric types, not ", TypeName(v)));
    }
    const bson_type_t before = widest;
    widest = WiderNumericType(widest, v.type());
    if (widest == BSON_TYPE_DECIMAL128) {
      if (before != BSON_TYPE_DECIMAL128) {
        dec_product = before == BSON_TYPE_DOUBLE ? DecFromDouble(double_product * long_product)
                                                 : DecFromInt64(long_product);
      }
      dec_product = DecMul(dec_product, AsDec(v));
    } else if (widest == BSON_TYPE_DOUBLE) {
      if (before != BSON_TYPE_DOUBLE) {
        double_product = static_cast<double>(long_product);
        long_product = 1;
      }
      double_product *= v.ToDouble();
    } else {
      int64_t r;
      if (__builtin_mul_overflow(long_product, AsInt64(v), &r)) {
        widest = BSON_TYPE_DOUBLE;
        double_product = static_cast<double>(long_product) * static_cast<double>(AsInt64(v));
        long_product = 1;
      } else {
        long_product = r;
      }
    }
  }
  if (any_null) return Value::Null();
  switch (widest) {
    case BSON_TYPE_DECIMAL128:
      return Value::Decimal(EncodeDecimal(dec_product));
    case BSON_TYPE_DOUBLE:
      return Value::Double(double_product);
    default:
      return IntegerResult(widest, long_product);
  }
}

absl::StatusOr<Value> Divide(absl::Span<const Value> args, EvalContext&) {
  const Value& a = args[0];
  const Value& b = args[1];
  if (a.nullish() || b.nullish()) return Value::Null();
  if (!a.is_number() || !b.is_number()) {
    return Error(16609, absl::StrCat("$divide only supports numeric types, not ", TypeName(a),
                                     " and ", TypeName(b)));
  }
  if (a.type() == BSON_TYPE_DECIMAL128 || b.type() == BSON_TYPE_DECIMAL128) {
    const Dec divisor = AsDec(b);
    if (divisor.is_zero()) return Error(2, "can't $divide by zero");
    return Value::Decimal(EncodeDecimal(DecDiv(AsDec(a), divisor)));
  }
  const double divisor = b.ToDouble();
  if (divisor == 0) return Error(2, "can't $divide by zero");
  return Value::Double(a.ToDouble() / divisor);
}

absl::StatusOr<Value> Mod(absl::Span<const Value> args, EvalContext&) {
  const Value& a = args[0];
  const Value& b = args[1];
  if (a.nullish() || b.nullish()) return Value::Null();
  if (!a.is_number() || !b.is_number()) {
    return Error(16611, absl::StrCat("$mod only supports numeric types, not ", TypeName(a), " and ",
                                     TypeName(b)));
  }
  const bson_type_t t = WiderNumericType(a.type(), b.type());
  if (t == BSON_TYPE_DECIMAL128) {
    const Dec divisor = AsDec(b);
    if (divisor.is_zero()) return Error(16610, "can't $mod by 0");
    return Value::Decimal(EncodeDecimal(DecMod(AsDec(a), divisor)));
  }
  if (t == BSON_TYPE_DOUBLE) {
    const double divisor = b.ToDouble();
    if (divisor == 0) return Error(16610, "can't $mod by 0");
    return Value::Double(std::fmod(a.ToDouble(), divisor));
  }
  const int64_t divisor = AsInt64(b);
  if (divisor == 0) return Error(16610, "can't $mod by 0");
  if (divisor == -1) return IntegerResult(t, 0);
  return IntegerResult(t, AsInt64(a) % divisor);
}

// ---- single-argument numeric functions ----

enum class Unary { kAbs, kCeil, kFloor, kSqrt, kExp, kLn, kLog10 };

absl::StatusOr<Value> EvalUnary(Unary op, absl::string_view name, const Value& v) {
  if (v.nullish()) return Value::Null();
  if (!v.is_number()) {
    return Error(28765, absl::StrCat(name, " only supports numeric types, not ", TypeName(v)));
  }
  const bson_type_t t = v.type();
  switch (op) {
    case Unary::kAbs:
      if (t == BSON_TYPE_INT32) {
        if (v.int32() == INT32_MIN) return Value::Int64(-static_cast<int64_t>(INT32_MIN));
        return Value::Int32(std::abs(v.int32()));
      }
      if (t == BSON_TYPE_INT64) {
        if (v.int64() == INT64_MIN) return Error(28680, "can't take $abs of long long min");
        return Value::Int64(std::llabs(v.int64()));
      }
      if (t == BSON_TYPE_DOUBLE) return Value::Double(std::fabs(v.dbl()));
      {
        Dec d = DecodeDecimal(v.decimal());
        d.negative = false;
        return Value::Decimal(EncodeDecimal(d));
      }
    case Unary::kCeil:
    case Unary::kFloor:
      if (t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64) return v;
      if (t == BSON_TYPE_DOUBLE) {
        return Value::Double(op == Unary::kCeil ? std::ceil(v.dbl()) : std::floor(v.dbl()));
      }
      return Value::Decimal(
          EncodeDecimal(DecRound(DecodeDecimal(v.decimal()), 0,
                                 op == Unary::kCeil ? RoundMode::kCeiling : RoundMode::kFloor)));
    default:
      break;
  }
  const double x = v.ToDouble();
  double r = 0;
  switch (op) {
    case Unary::kSqrt:
      if (x < 0) return Error(28714, "$sqrt's argument must be greater than or equal to 0");
      r = std::sqrt(x);
      break;
    case Unary::kExp:
      r = std::exp(x);
      break;
    case Unary::kLn:
      if (x <= 0) {
        return Error(28766, absl::StrCat("$ln's argument must be a positive number, but is ",
                                         v.DebugString()));
      }
      r = std::log(x);
      break;
    case Unary::kLog10:
      if (x <= 0) {
        return Error(28761, absl::StrCat("$log10's argument must be a positive number, but is ",
                                         v.DebugString()));
      }
      r = std::log10(x);
      break;
    default:
      break;
  }
  if (t == BSON_TYPE_DECIMAL128) return Value::Decimal(EncodeDecimal(DecFromDouble(r)));
  return Value::Double(r);
}

void AddUnary(OperatorTable* t, const char* name, Unary op) {
  (*t)[name] = [name, op](const bson_iter_t& operand, ParseContext& ctx) {
    return MakeNary(name, operand, ctx, 1, 1, [name, op](absl::Span<const Value> v, EvalContext&) {
      return EvalUnary(op, name, v[0]);
    });
  };
}

absl::StatusOr<Value> Log(absl::Span<const Value> args, EvalContext&) {
  const Value& n = args[0];
  const Value& base = args[1];
  if (n.nullish() || base.nullish()) return Value::Null();
  if (!n.is_number()) {
    return Error(28756, absl::StrCat("$log's argument must be numeric, not ", TypeName(n)));
  }
  if (!base.is_number()) {
    return Error(28757, absl::StrCat("$log's base must be numeric, not ", TypeName(base)));
  }
  const double x = n.ToDouble(), b = base.ToDouble();
  if (x <= 0) {
    return Error(
        28758, absl::StrCat("$log's argument must be a positive number, but is ", n.DebugString()));
  }
  if (b <= 0 || b == 1) {
    return Error(28759, absl::StrCat("$log's base must be a positive number not equal to 1, "
                                     "but is ",
                                     base.DebugString()));
  }
  const double r = std::log(x) / std::log(b);
  if (n.type() == BSON_TYPE_DECIMAL128 || base.type() == BSON_TYPE_DECIMAL128) {
    return Value::Decimal(EncodeDecimal(DecFromDouble(r)));
  }
  return Value::Double(r);
}

absl::StatusOr<Value> Pow(absl::Span<const Value> args, EvalContext&) {
  const Value& base = args[0];
  const Value& exp = args[1];
  if (base.nullish() || exp.nullish()) return Value::Null();
  if (!base.is_number()) {
    return Error(28762, absl::StrCat("$pow's base must be numeric, not ", TypeName(base)));
  }
  if (!exp.is_number()) {
    return Error(28763, absl::StrCat("$pow's exponent must be numeric, not ", TypeName(exp)));
  }
  const double b = base.ToDouble(), e = exp.ToDouble();
  if (b == 0 && e < 0) return Error(28764, "$pow cannot take a base of 0 and a negative exponent");
  const bson_type_t t = WiderNumericType(base.type(), exp.type());
  if (t == BSON_TYPE_DECIMAL128)
    return Value::Decimal(EncodeDecimal(DecFromDouble(std::pow(b, e))));
  if (t == BSON_TYPE_DOUBLE) return Value::Double(std::pow(b, e));
  const int64_t bi = AsInt64(base), ei = AsInt64(exp);
  if (ei < 0) {
    if (bi == 1) return IntegerResult(t, 1);
    if (bi == -1) return IntegerResult(t, ei % 2 == 0 ? 1 : -1);
    return Value::Double(std::pow(b, e));
  }
  int64_t result = 1;
  for (int64_t i = 0; i < ei; ++i) {
    if (__builtin_mul_overflow(result, bi, &result)) return Value::Double(std::pow(b, e));
    if (result == 0 || result == 1) break;
  }
  return IntegerResult(t, result);
}

// $round / $trunc: [number, place (default 0, integral in [-20, 100])].
absl::StatusOr<Value> RoundOrTrunc(absl::Span<const Value> args, bool round,
                                   absl::string_view name) {
  const Value& n = args[0];
  int32_t place = 0;
  if (args.size() > 1) {
    const Value& p = args[1];
    if (p.nullish()) return Value::Null();
    if (!p.is_number()) {
      return Error(51081, absl::StrCat(name, " only supports numeric types, not ", TypeName(p)));
    }
    if (!ToInt32Exact(p, &place)) {
      return Error(51082,
                   absl::StrCat("precision argument to  ", name, " must be a integral value"));
    }
    if (place < -20 || place > 100) {
      return Error(51083, absl::StrCat("cannot apply ", name, " with precision value ",
                                       p.DebugString(), " value must be in [-20, 100]"));
    }
  }
  if (n.nullish()) return Value::Null();
  if (!n.is_number()) {
    return Error(51081, absl::StrCat(name, " only supports numeric types, not ", TypeName(n)));
  }
  const RoundMode mode = round ? RoundMode::kHalfEven : RoundMode::kTowardZero;
  switch (n.type()) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64: {
      if (place >= 0) return n;
      int64_t r;
      if (!DecToInt64(DecRound(DecFromInt64(AsInt64(n)), place, mode), &r)) {
        return Value::Double(0);
      }
      return IntegerResult(n.type(), r);
    }
    case BSON_TYPE_DOUBLE: {
      const double d = n.dbl();
      if (!std::isfinite(d)) return n;
      if (place == 0) return Value::Double(round ? std::nearbyint(d) : std::trunc(d));
      Dec dec;
      DecFromString(DoubleToString(d), &dec);
      return Value::Double(DecToDouble(DecRound(dec, place, mode)));
    }
    default:
      return Value::Decimal(EncodeDecimal(DecRound(DecodeDecimal(n.decimal()), place, mode)));
  }
}

}  // namespace

void AddArithmeticOperators(OperatorTable* t) {
  (*t)["$add"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$add", o, c, 0, kUnbounded, Add);
  };
  (*t)["$subtract"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$subtract", o, c, 2, 2, Subtract);
  };
  (*t)["$multiply"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$multiply", o, c, 0, kUnbounded, Multiply);
  };
  (*t)["$divide"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$divide", o, c, 2, 2, Divide);
  };
  (*t)["$mod"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$mod", o, c, 2, 2, Mod);
  };
  (*t)["$pow"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$pow", o, c, 2, 2, Pow);
  };
  (*t)["$log"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$log", o, c, 2, 2, Log);
  };
  AddUnary(t, "$abs", Unary::kAbs);
  AddUnary(t, "$ceil", Unary::kCeil);
  AddUnary(t, "$floor", Unary::kFloor);
  AddUnary(t, "$sqrt", Unary::kSqrt);
  AddUnary(t, "$exp", Unary::kExp);
  AddUnary(t, "$ln", Unary::kLn);
  AddUnary(t, "$log10", Unary::kLog10);
  (*t)["$round"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$round", o, c, 1, 2, [](absl::Span<const Value> v, EvalContext&) {
      return RoundOrTrunc(v, true, "$round");
    });
  };
  (*t)["$trunc"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$trunc", o, c, 1, 2, [](absl::Span<const Value> v, EvalContext&) {
      return RoundOrTrunc(v, false, "$trunc");
    });
  };
}

}  // namespace strata::query::expression::internal
