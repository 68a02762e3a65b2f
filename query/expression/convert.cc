// Type operators: $type, $isNumber, $convert and its shorthands ($toInt, $toLong, $toDouble,
// $toDecimal, $toString, $toBool, $toDate, $toObjectId).
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/expression/decimal.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {
namespace {

constexpr int kConversionFailure = 241;

absl::Status ConversionError(absl::string_view what) {
  return Error(kConversionFailure, absl::StrCat(what, " in $convert with no onError value"));
}

absl::Status Unsupported(const Value& v, absl::string_view target) {
  return ConversionError(absl::StrCat("Unsupported conversion from ", TypeName(v), " to ", target));
}

absl::Status ParseFailure(absl::string_view text, absl::string_view detail) {
  return Error(kConversionFailure, absl::StrCat("Failed to parse number '", text,
                                                "' in $convert with no onError value: ", detail));
}

absl::StatusOr<int64_t> ParseInteger(absl::string_view text) {
  if (text.empty()) return ParseFailure(text, "No digits");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return ParseFailure(text, "No digits");
  unsigned __int128 mag = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return ParseFailure(
          text, absl::StrCat("Bad digit \"", absl::string_view(&c, 1), "\" while parsing ", text));
    }
    mag = mag * 10 + static_cast<unsigned>(c - '0');
    if (mag > (static_cast<unsigned __int128>(1) << 63)) {
      return ParseFailure(text, "Out of range");
    }
  }
  if (!negative && mag > static_cast<unsigned __int128>(INT64_MAX)) {
    return ParseFailure(text, "Out of range");
  }
  return negative ? static_cast<int64_t>(-static_cast<__int128>(mag)) : static_cast<int64_t>(mag);
}

absl::StatusOr<double> ParseDouble(absl::string_view text) {
  const std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])) ||
      s.find_first_of("xX") != std::string::npos) {
    return ParseFailure(text, "Did not consume whole string.");
  }
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return ParseFailure(text, "Did not consume whole string.");
  if (errno == ERANGE && std::isinf(d)) return ParseFailure(text, "Out of range");
  return d;
}

// A number truncated to int64 for int/long targets.
absl::StatusOr<int64_t> NumberToInt64(const Value& v) {
  if (v.type() == BSON_TYPE_INT32) return static_cast<int64_t>(v.int32());
  if (v.type() == BSON_TYPE_INT64) return v.int64();
  if (v.type() == BSON_TYPE_DOUBLE) {
    const double d = v.dbl();
    if (std::isnan(d)) return ConversionError("Attempt to convert NaN value to integer type");
    if (std::isinf(d)) return ConversionError("Attempt to convert infinity value to integer type");
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
      return ConversionError("Conversion would overflow target type");
    }
    return static_cast<int64_t>(d);
  }
  const Dec d = DecodeDecimal(v.decimal());
  if (d.kind == Dec::kNaN) return ConversionError("Attempt to convert NaN value to integer type");
  if (d.kind == Dec::kInfinity) {
    return ConversionError("Attempt to convert infinity value to integer type");
  }
  int64_t out;
  if (!DecToInt64(d, &out)) return ConversionError("Conversion would overflow target type");
  return out;
}

bool ParseObjectIdText(absl::string_view text, bson_oid_t* out) {
  if (text.size() != 24) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  bson_oid_init_from_string(out, std::string(text).c_str());
  return true;
}

}  // namespace

// Converts `v` (not null or missing) to BSON type `target`.
absl::StatusOr<Value> ConvertValue(const Value& v, bson_type_t target) {
  const bson_type_t t = v.type();
  switch (target) {
    case BSON_TYPE_DOUBLE:
      switch (t) {
        case BSON_TYPE_DOUBLE:
          return v;
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
          return Value::Double(v.ToDouble());
        case BSON_TYPE_DECIMAL128: {
          const Dec d = DecodeDecimal(v.decimal());
          const double r = DecToDouble(d);
          if (d.kind == Dec::kFinite && std::isinf(r)) {
            return ConversionError("Conversion would overflow target type");
          }
          return Value::Double(r);
        }
        case BSON_TYPE_BOOL:
          return Value::Double(v.boolean() ? 1 : 0);
        case BSON_TYPE_DATE_TIME:
          return Value::Double(static_cast<double>(v.date()));
        case BSON_TYPE_UTF8: {
          ASSIGN_OR_RETURN(double d, ParseDouble(v.str()));
          return Value::Double(d);
        }
        default:
          return Unsupported(v, "double");
      }
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64: {
      const bool is_int = target == BSON_TYPE_INT32;
      int64_t r;
      switch (t) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128: {
          ASSIGN_OR_RETURN(r, NumberToInt64(v));
          break;
        }
        case BSON_TYPE_BOOL:
          r = v.boolean() ? 1 : 0;
          break;
        case BSON_TYPE_DATE_TIME:
          if (is_int) return Unsupported(v, "int");
          r = v.date();
          break;
        case BSON_TYPE_UTF8: {
          ASSIGN_OR_RETURN(r, ParseInteger(v.str()));
          if (is_int && (r < INT32_MIN || r > INT32_MAX)) {
            return ParseFailure(v.str(), "Out of range");
          }
          break;
        }
        default:
          return Unsupported(v, is_int ? "int" : "long");
      }
      if (is_int) {
        if (r < INT32_MIN || r > INT32_MAX) {
          return ConversionError("Conversion would overflow target type");
        }
        return Value::Int32(static_cast<int32_t>(r));
      }
      return Value::Int64(r);
    }
    case BSON_TYPE_DECIMAL128:
      switch (t) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
          return Value::Decimal(ToDecimal(v));
        case BSON_TYPE_BOOL:
          return Value::Decimal(EncodeDecimal(DecFromInt64(v.boolean() ? 1 : 0)));
        case BSON_TYPE_DATE_TIME:
          return Value::Decimal(EncodeDecimal(DecFromInt64(v.date())));
        case BSON_TYPE_UTF8: {
          Dec d;
          if (!DecFromString(std::string(v.str()), &d)) {
            return ParseFailure(v.str(), "Failed to parse string to decimal");
          }
          return Value::Decimal(EncodeDecimal(d));
        }
        default:
          return Unsupported(v, "decimal");
      }
    case BSON_TYPE_UTF8:
      switch (t) {
        case BSON_TYPE_UTF8:
          return v;
        case BSON_TYPE_SYMBOL:
          return Value::String(v.str());
        case BSON_TYPE_INT32:
          return Value::String(std::to_string(v.int32()));
        case BSON_TYPE_INT64:
          return Value::String(std::to_string(v.int64()));
        case BSON_TYPE_DOUBLE:
          return Value::String(DoubleToString(v.dbl()));
        case BSON_TYPE_DECIMAL128:
          return Value::String(DecToString(v.decimal()));
        case BSON_TYPE_BOOL:
          return Value::String(v.boolean() ? "true" : "false");
        case BSON_TYPE_OID: {
          char hex[25];
          bson_oid_to_string(&v.oid(), hex);
          return Value::String(hex);
        }
        case BSON_TYPE_DATE_TIME:
          return Value::String(FormatIsoDate(v.date()));
        default:
          return Unsupported(v, "string");
      }
    case BSON_TYPE_BOOL:
      switch (t) {
        case BSON_TYPE_BOOL:
          return v;
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
          return Value::Bool(IsTruthy(v));
        default:
          return Value::Bool(true);
      }
    case BSON_TYPE_DATE_TIME:
      switch (t) {
        case BSON_TYPE_DATE_TIME:
          return v;
        case BSON_TYPE_INT64:
          return Value::Date(v.int64());
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128: {
          ASSIGN_OR_RETURN(int64_t ms, NumberToInt64(v));
          return Value::Date(ms);
        }
        case BSON_TYPE_OID:
        case BSON_TYPE_TIMESTAMP: {
          int64_t ms;
          ToDateMillis(v, &ms);
          return Value::Date(ms);
        }
        case BSON_TYPE_UTF8: {
          ASSIGN_OR_RETURN(int64_t ms, ParseDateString(v.str(), "", "", false));
          return Value::Date(ms);
        }
        default:
          return Unsupported(v, "date");
      }
    case BSON_TYPE_OID:
      switch (t) {
        case BSON_TYPE_OID:
          return v;
        case BSON_TYPE_UTF8: {
          bson_oid_t oid;
          if (!ParseObjectIdText(v.str(), &oid)) {
            return Error(kConversionFailure,
                         absl::StrCat("Failed to parse objectId '", v.str(),
                                      "' in $convert with no onError value: Invalid string "
                                      "length for parsing to OID, expected 24 but found ",
                                      v.str().size()));
          }
          return Value::ObjectId(oid);
        }
        default:
          return Unsupported(v, "objectId");
      }
    default:
      break;
  }
  return Error(2, "Unsupported conversion target");
}

namespace {

// The target type named by $convert's `to`: a type name or a numeric type code.
absl::StatusOr<bson_type_t> TargetType(const Value& to) {
  if (to.is_string()) {
    const absl::string_view n = to.str();
    if (n == "double") return BSON_TYPE_DOUBLE;
    if (n == "string") return BSON_TYPE_UTF8;
    if (n == "objectId") return BSON_TYPE_OID;
    if (n == "bool") return BSON_TYPE_BOOL;
    if (n == "date") return BSON_TYPE_DATE_TIME;
    if (n == "int") return BSON_TYPE_INT32;
    if (n == "long") return BSON_TYPE_INT64;
    if (n == "decimal") return BSON_TYPE_DECIMAL128;
    static const char* const kOthers[] = {
        "object",    "array",     "binData",    "undefined", "null",
        "regex",     "dbPointer", "javascript", "symbol",    "javascriptWithScope",
        "timestamp", "minKey",    "maxKey"};
    for (const char* o : kOthers) {
      if (n == o) {
        return Error(kConversionFailure,
                     absl::StrCat("$convert does not support conversion to ", n));
      }
    }
    return Error(2, absl::StrCat("Unknown type name: ", n));
  }
  if (to.is_number()) {
    int32_t code;
    if (!ToInt32Exact(to, &code)) {
      return Error(9, "In $convert, numeric 'to' argument is not an integer");
    }
    switch (code) {
      case 1:
      case 2:
      case 7:
      case 8:
      case 9:
      case 16:
      case 18:
      case 19:
        return static_cast<bson_type_t>(code);
      default:
        return Error(2, absl::StrCat("In $convert, numeric value for 'to' does not correspond "
                                     "to a BSON type: ",
                                     code));
    }
  }
  return Error(9, absl::StrCat("$convert's 'to' argument must be a string or number, but is ",
                               TypeName(to)));
}

absl::StatusOr<ExpressionPtr> ParseConvert(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(9, absl::StrCat("$convert expects an object of named arguments but found: ",
                                 TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> args(4);  // input, to, onError, onNull
  for (auto& [name, it] : *fields) {
    int slot = name == "input"     ? 0
               : name == "to"      ? 1
               : name == "onError" ? 2
               : name == "onNull"  ? 3
                                   : -1;
    if (slot < 0) return Error(9, absl::StrCat("$convert found an unknown argument: ", name));
    ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
  }
  if (!args[0]) return Error(9, "Missing 'input' parameter to $convert");
  if (!args[1]) return Error(9, "Missing 'to' parameter to $convert");
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value to, args[1]->Evaluate(ctx));
        if (to.nullish()) return Value::Null();
        ASSIGN_OR_RETURN(bson_type_t target, TargetType(to));
        if (input.nullish()) {
          if (args[3] != nullptr) return args[3]->Evaluate(ctx);
          return Value::Null();
        }
        absl::StatusOr<Value> r = ConvertValue(input, target);
        if (!r.ok() && args[2] != nullptr &&
            static_cast<int>(ErrorCodeOf(r.status())) == kConversionFailure) {
          return args[2]->Evaluate(ctx);
        }
        return r;
      }));
}

void AddShorthand(OperatorTable* t, const char* name, bson_type_t target) {
  (*t)[name] = [name, target](const bson_iter_t& o, ParseContext& c) {
    return MakeNary(name, o, c, 1, 1,
                    [target](absl::Span<const Value> v, EvalContext&) -> absl::StatusOr<Value> {
                      if (v[0].nullish()) return Value::Null();
                      return ConvertValue(v[0], target);
                    });
  };
}

}  // namespace

void AddTypeOperators(OperatorTable* t) {
  (*t)["$type"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$type", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return absl::StatusOr<Value>(Value::String(TypeName(v[0])));
    });
  };
  (*t)["$isNumber"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$isNumber", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return absl::StatusOr<Value>(Value::Bool(v[0].is_number()));
    });
  };
  (*t)["$convert"] = ParseConvert;
  AddShorthand(t, "$toInt", BSON_TYPE_INT32);
  AddShorthand(t, "$toLong", BSON_TYPE_INT64);
  AddShorthand(t, "$toDouble", BSON_TYPE_DOUBLE);
  AddShorthand(t, "$toDecimal", BSON_TYPE_DECIMAL128);
  AddShorthand(t, "$toString", BSON_TYPE_UTF8);
  AddShorthand(t, "$toBool", BSON_TYPE_BOOL);
  AddShorthand(t, "$toDate", BSON_TYPE_DATE_TIME);
  AddShorthand(t, "$toObjectId", BSON_TYPE_OID);
}

}  // namespace strata::query::expression::internal
