#include "query/match/numbers.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "document/type_names.h"

namespace strata::query::match {
namespace {

using uint128 = unsigned __int128;

struct Decimal {
  enum Kind { kFinite, kInfinity, kNaN } kind = kFinite;
  bool negative = false;
  uint128 coefficient = 0;  // < 10^34
  int exponent = 0;         // value = ±coefficient × 10^exponent
};

constexpr uint128 Pow10(int n) {
  uint128 value = 1;
  for (int i = 0; i < n; ++i) value *= 10;
  return value;
}

constexpr uint128 kMaxCoefficient = Pow10(34) - 1;
constexpr int kExponentBias = 6176;

Decimal Decode(const bson_decimal128_t& value) {
  Decimal d;
  const uint64_t high = value.high;
  d.negative = (high >> 63) != 0;
  const uint64_t combination = (high >> 58) & 0x1F;
  if (combination == 0x1F) {
    d.kind = Decimal::kNaN;
    return d;
  }
  if (combination == 0x1E) {
    d.kind = Decimal::kInfinity;
    return d;
  }
  if (((high >> 61) & 3) == 3) {
    // The "11" form: an implicit 100 prefix puts the coefficient above 10^34 - 1, which is
    // non-canonical and reads as zero.
    d.exponent = static_cast<int>((high >> 47) & 0x3FFF) - kExponentBias;
    d.coefficient = 0;
    return d;
  }
  d.exponent = static_cast<int>((high >> 49) & 0x3FFF) - kExponentBias;
  d.coefficient = (static_cast<uint128>(high & 0x1FFFFFFFFFFFFULL) << 64) | value.low;
  if (d.coefficient > kMaxCoefficient) d.coefficient = 0;
  return d;
}

// Converts a finite decimal: truncated toward zero when `exact` is false, or only when it is
// an integer when `exact` is true. False when out of int64's range.
bool DecimalToInt64(const Decimal& d, bool exact, int64_t* out) {
  if (d.kind != Decimal::kFinite) return false;
  uint128 magnitude = d.coefficient;
  if (magnitude != 0) {
    if (d.exponent > 0) {
      constexpr uint128 kLimit = static_cast<uint128>(1) << 63;
      for (int i = 0; i < d.exponent; ++i) {
        magnitude *= 10;
        if (magnitude > kLimit) return false;
      }
    } else if (d.exponent < 0) {
      if (-d.exponent > 34) {
        if (exact) return false;  // non-zero coefficient below 10^34 scaled below 1
        magnitude = 0;
      } else {
        const uint128 divisor = Pow10(-d.exponent);
        if (exact && magnitude % divisor != 0) return false;
        magnitude /= divisor;
      }
    }
  }
  const uint128 limit =
      d.negative ? (static_cast<uint128>(1) << 63) : (static_cast<uint128>(1) << 63) - 1;
  if (magnitude > limit) return false;
  if (d.negative) {
    *out = magnitude == (static_cast<uint128>(1) << 63)
               ? INT64_MIN
               : -static_cast<int64_t>(static_cast<uint64_t>(magnitude));
  } else {
    *out = static_cast<int64_t>(static_cast<uint64_t>(magnitude));
  }
  return true;
}

// -2^63 <= t < 2^63 for an already integral double.
bool DoubleFitsInt64(double t) { return t >= -9223372036854775808.0 && t < 9223372036854775808.0; }

}  // namespace

bool IsNumber(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      return true;
    default:
      return false;
  }
}

bool IsNaN(const bson_iter_t& it) {
  if (bson_iter_type(&it) == BSON_TYPE_DOUBLE) return std::isnan(bson_iter_double(&it));
  if (bson_iter_type(&it) == BSON_TYPE_DECIMAL128) {
    bson_decimal128_t value;
    bson_iter_decimal128(&it, &value);
    return Decode(value).kind == Decimal::kNaN;
  }
  return false;
}

bool IsFinite(const bson_iter_t& it) {
  if (bson_iter_type(&it) == BSON_TYPE_DOUBLE) return std::isfinite(bson_iter_double(&it));
  if (bson_iter_type(&it) == BSON_TYPE_DECIMAL128) {
    bson_decimal128_t value;
    bson_iter_decimal128(&it, &value);
    return Decode(value).kind == Decimal::kFinite;
  }
  return true;
}

bool TruncateToInt64(const bson_iter_t& it, int64_t* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      *out = bson_iter_int32(&it);
      return true;
    case BSON_TYPE_INT64:
      *out = bson_iter_int64(&it);
      return true;
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&it);
      if (!std::isfinite(d)) return false;
      const double t = std::trunc(d);
      if (!DoubleFitsInt64(t)) return false;
      *out = static_cast<int64_t>(t);
      return true;
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      return DecimalToInt64(Decode(value), /*exact=*/false, out);
    }
    default:
      return false;
  }
}

bool ExactInt64(const bson_iter_t& it, int64_t* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&it);
      if (!std::isfinite(d) || std::trunc(d) != d || !DoubleFitsInt64(d)) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      return DecimalToInt64(Decode(value), /*exact=*/true, out);
    }
    default:
      return TruncateToInt64(it, out);
  }
}

bool IsTruthy(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it);
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
      return false;
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it) != 0;
    case BSON_TYPE_INT64:
      return bson_iter_int64(&it) != 0;
    case BSON_TYPE_DOUBLE:
      return bson_iter_double(&it) != 0.0;  // NaN != 0
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      const Decimal d = Decode(value);
      return d.kind != Decimal::kFinite || d.coefficient != 0;
    }
    default:
      return true;
  }
}

std::string ValueForMessage(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return absl::StrCat(bson_iter_int32(&it));
    case BSON_TYPE_INT64:
      return absl::StrCat(bson_iter_int64(&it));
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&it);
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      return absl::StrCat(d);
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      return text;
    }
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      return absl::StrCat("\"", absl::string_view(text, length), "\"");
    }
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it) ? "true" : "false";
    case BSON_TYPE_NULL:
      return "null";
    default:
      return std::string(document::BsonTypeName(bson_iter_type(&it)));
  }
}

}  // namespace strata::query::match
