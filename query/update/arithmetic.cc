// $inc / $mul arithmetic. See arithmetic.h for the type rules.
#include "query/update/arithmetic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata::query::update {
namespace {

// ---- Decimal128 (IEEE 754-2008 BID encoding) ----

constexpr int kDecimalDigits = 34;
constexpr int kExponentBias = 6176;
constexpr int kMinExponent = -6176;  // of the coefficient's last digit
constexpr int kMaxExponent = 6111;

// A decimal number being computed: sign, kind and, when finite, digits (most significant
// first, possibly empty for zero) times 10^exponent.
struct Decimal {
  enum class Kind { kFinite, kInfinity, kNaN };
  Kind kind = Kind::kFinite;
  bool negative = false;
  std::vector<uint8_t> digits;
  int32_t exponent = 0;
};

void StripLeadingZeros(std::vector<uint8_t>* digits) {
  size_t zeros = 0;
  while (zeros < digits->size() && (*digits)[zeros] == 0) ++zeros;
  digits->erase(digits->begin(), digits->begin() + static_cast<ptrdiff_t>(zeros));
}

Decimal Decode(const bson_decimal128_t& value) {
  Decimal out;
  const uint64_t high = value.high;
  const uint64_t low = value.low;
  out.negative = (high >> 63) != 0;
  const uint32_t combination = static_cast<uint32_t>((high >> 58) & 0x1F);
  if (combination == 0x1F) {
    out.kind = Decimal::Kind::kNaN;
    return out;
  }
  if (combination == 0x1E) {
    out.kind = Decimal::Kind::kInfinity;
    return out;
  }
  unsigned __int128 coefficient;
  int32_t biased_exponent;
  if (((high >> 61) & 3) == 3) {
    // The "large coefficient" form always exceeds 10^34 - 1: non-canonical, which means zero.
    biased_exponent = static_cast<int32_t>((high >> 47) & 0x3FFF);
    coefficient = 0;
  } else {
    biased_exponent = static_cast<int32_t>((high >> 49) & 0x3FFF);
    coefficient = (static_cast<unsigned __int128>(high & 0x1FFFFFFFFFFFFull) << 64) | low;
    unsigned __int128 limit = 1;
    for (int i = 0; i < kDecimalDigits; ++i) limit *= 10;
    if (coefficient >= limit) coefficient = 0;
  }
  out.exponent = biased_exponent - kExponentBias;
  while (coefficient != 0) {
    out.digits.push_back(static_cast<uint8_t>(coefficient % 10));
    coefficient /= 10;
  }
  std::reverse(out.digits.begin(), out.digits.end());
  return out;
}

// Drops the last `count` digits, rounding half to even. Returns true when the kept part
// carried into one more digit.
void DropDigitsRounded(std::vector<uint8_t>* digits, size_t count) {
  if (count == 0) return;
  if (count > digits->size()) {
    digits->clear();  // far below half of the last kept unit: rounds to zero
    return;
  }
  const size_t keep = digits->size() - count;
  const uint8_t first_dropped = (*digits)[keep];
  bool rest_nonzero = false;
  for (size_t i = keep + 1; i < digits->size(); ++i) {
    if ((*digits)[i] != 0) {
      rest_nonzero = true;
      break;
    }
  }
  digits->resize(keep);
  const bool last_odd = keep > 0 && ((*digits)[keep - 1] & 1) != 0;
  const bool round_up = first_dropped > 5 || (first_dropped == 5 && (rest_nonzero || last_odd));
  if (!round_up) return;
  size_t i = keep;
  while (i > 0) {
    --i;
    if ((*digits)[i] == 9) {
      (*digits)[i] = 0;
    } else {
      ++(*digits)[i];
      return;
    }
  }
  digits->insert(digits->begin(), 1);
}

bson_decimal128_t Encode(Decimal value) {
  bson_decimal128_t out;
  const uint64_t sign = value.negative ? (1ull << 63) : 0;
  if (value.kind == Decimal::Kind::kNaN) {
    out.high = 0x7C00000000000000ull;
    out.low = 0;
    return out;
  }
  if (value.kind == Decimal::Kind::kInfinity) {
    out.high = sign | 0x7800000000000000ull;
    out.low = 0;
    return out;
  }
  std::vector<uint8_t>& digits = value.digits;
  StripLeadingZeros(&digits);
  if (digits.size() > kDecimalDigits) {
    const size_t drop = digits.size() - kDecimalDigits;
    DropDigitsRounded(&digits, drop);
    value.exponent += static_cast<int32_t>(drop);
    if (digits.size() > kDecimalDigits) {  // carried into a 35th digit: 1000…0
      digits.pop_back();
      ++value.exponent;
    }
  }
  if (value.exponent < kMinExponent) {
    const size_t drop = static_cast<size_t>(kMinExponent - value.exponent);
    DropDigitsRounded(&digits, drop);
    value.exponent = kMinExponent;
    StripLeadingZeros(&digits);
  }
  if (value.exponent > kMaxExponent) {
    if (digits.empty()) {
      value.exponent = kMaxExponent;
    } else {
      const size_t pad = static_cast<size_t>(value.exponent - kMaxExponent);
      if (digits.size() + pad > kDecimalDigits) {
        value.kind = Decimal::Kind::kInfinity;
        return Encode(value);
      }
      digits.insert(digits.end(), pad, 0);
      value.exponent = kMaxExponent;
    }
  }
  unsigned __int128 coefficient = 0;
  for (uint8_t d : digits) coefficient = coefficient * 10 + d;
  const uint64_t biased = static_cast<uint64_t>(value.exponent + kExponentBias);
  out.high = sign | (biased << 49) | static_cast<uint64_t>(coefficient >> 64);
  out.low = static_cast<uint64_t>(coefficient);
  return out;
}

Decimal FromInt64(int64_t value) {
  Decimal out;
  out.negative = value < 0;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  while (magnitude != 0) {
    out.digits.push_back(static_cast<uint8_t>(magnitude % 10));
    magnitude /= 10;
  }
  std::reverse(out.digits.begin(), out.digits.end());
  return out;
}

// MongoDB converts a double to decimal with 15 significant digits (its default precision).
Decimal FromDouble(double value) {
  Decimal out;
  out.negative = std::signbit(value);
  if (std::isnan(value)) {
    out.kind = Decimal::Kind::kNaN;
    return out;
  }
  if (std::isinf(value)) {
    out.kind = Decimal::Kind::kInfinity;
    return out;
  }
  if (value == 0) return out;
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.14e", std::fabs(value));
  // d.dddddddddddddde[+-]XX
  const char* p = buffer;
  for (; *p != 'e' && *p != '\0'; ++p) {
    if (*p >= '0' && *p <= '9') out.digits.push_back(static_cast<uint8_t>(*p - '0'));
  }
  const int exponent10 = *p == 'e' ? std::atoi(p + 1) : 0;
  out.exponent = exponent10 - 14;
  return out;
}

// Magnitude comparison of two digit strings of equal length.
int CompareMagnitudes(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

Decimal DecimalAdd(const Decimal& a, const Decimal& b) {
  using Kind = Decimal::Kind;
  if (a.kind == Kind::kNaN || b.kind == Kind::kNaN) return Decimal{Kind::kNaN, false, {}, 0};
  if (a.kind == Kind::kInfinity || b.kind == Kind::kInfinity) {
    if (a.kind == Kind::kInfinity && b.kind == Kind::kInfinity && a.negative != b.negative) {
      return Decimal{Kind::kNaN, false, {}, 0};
    }
    return a.kind == Kind::kInfinity ? a : b;
  }
  const int32_t exponent = std::min(a.exponent, b.exponent);
  std::vector<uint8_t> x = a.digits;
  std::vector<uint8_t> y = b.digits;
  x.insert(x.end(), static_cast<size_t>(a.exponent - exponent), 0);
  y.insert(y.end(), static_cast<size_t>(b.exponent - exponent), 0);
  const size_t width = std::max(x.size(), y.size()) + 1;
  x.insert(x.begin(), width - x.size(), 0);
  y.insert(y.begin(), width - y.size(), 0);
  Decimal out;
  out.exponent = exponent;
  out.digits.assign(width, 0);
  if (a.negative == b.negative) {
    out.negative = a.negative;
    int carry = 0;
    for (size_t i = width; i-- > 0;) {
      const int sum = x[i] + y[i] + carry;
      out.digits[i] = static_cast<uint8_t>(sum % 10);
      carry = sum / 10;
    }
  } else {
    const int order = CompareMagnitudes(x, y);
    const std::vector<uint8_t>& larger = order >= 0 ? x : y;
    const std::vector<uint8_t>& smaller = order >= 0 ? y : x;
    out.negative = order == 0 ? false : (order > 0 ? a.negative : b.negative);
    int borrow = 0;
    for (size_t i = width; i-- > 0;) {
      int difference = larger[i] - smaller[i] - borrow;
      borrow = difference < 0 ? 1 : 0;
      if (difference < 0) difference += 10;
      out.digits[i] = static_cast<uint8_t>(difference);
    }
  }
  StripLeadingZeros(&out.digits);
  return out;
}

Decimal DecimalMultiply(const Decimal& a, const Decimal& b) {
  using Kind = Decimal::Kind;
  const bool negative = a.negative != b.negative;
  if (a.kind == Kind::kNaN || b.kind == Kind::kNaN) return Decimal{Kind::kNaN, false, {}, 0};
  if (a.kind == Kind::kInfinity || b.kind == Kind::kInfinity) {
    const Decimal& other = a.kind == Kind::kInfinity ? b : a;
    if (other.kind == Kind::kFinite && other.digits.empty()) {
      return Decimal{Kind::kNaN, false, {}, 0};  // Infinity × 0
    }
    return Decimal{Kind::kInfinity, negative, {}, 0};
  }
  Decimal out;
  out.negative = negative;
  out.exponent = a.exponent + b.exponent;
  if (a.digits.empty() || b.digits.empty()) return out;
  std::vector<uint32_t> product(a.digits.size() + b.digits.size(), 0);
  for (size_t i = a.digits.size(); i-- > 0;) {
    for (size_t j = b.digits.size(); j-- > 0;) {
      product[i + j + 1] += static_cast<uint32_t>(a.digits[i]) * b.digits[j];
    }
  }
  for (size_t k = product.size(); k-- > 1;) {
    product[k - 1] += product[k] / 10;
    product[k] %= 10;
  }
  out.digits.assign(product.begin(), product.end());
  StripLeadingZeros(&out.digits);
  return out;
}

Decimal ToDecimal(const Number& n) {
  switch (n.type) {
    case BSON_TYPE_DECIMAL128:
      return Decode(n.decimal);
    case BSON_TYPE_DOUBLE:
      return FromDouble(n.floating);
    default:
      return FromInt64(n.integer);
  }
}

double ToDouble(const Number& n) {
  return n.type == BSON_TYPE_DOUBLE ? n.floating : static_cast<double>(n.integer);
}

}  // namespace

bool ReadNumber(const bson_iter_t& it, Number* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      *out = Number{BSON_TYPE_INT32, bson_iter_int32(&it), 0, {0, 0}};
      return true;
    case BSON_TYPE_INT64:
      *out = Number{BSON_TYPE_INT64, bson_iter_int64(&it), 0, {0, 0}};
      return true;
    case BSON_TYPE_DOUBLE:
      *out = Number{BSON_TYPE_DOUBLE, 0, bson_iter_double(&it), {0, 0}};
      return true;
    case BSON_TYPE_DECIMAL128: {
      Number n{BSON_TYPE_DECIMAL128, 0, 0, {0, 0}};
      bson_iter_decimal128(&it, &n.decimal);
      *out = n;
      return true;
    }
    default:
      return false;
  }
}

bool Compute(ArithmeticOp op, const Number& a, const Number& b, Number* out) {
  if (a.type == BSON_TYPE_DECIMAL128 || b.type == BSON_TYPE_DECIMAL128) {
    const Decimal x = ToDecimal(a);
    const Decimal y = ToDecimal(b);
    out->type = BSON_TYPE_DECIMAL128;
    out->decimal = Encode(op == ArithmeticOp::kAdd ? DecimalAdd(x, y) : DecimalMultiply(x, y));
    return true;
  }
  if (a.type == BSON_TYPE_DOUBLE || b.type == BSON_TYPE_DOUBLE) {
    const double x = ToDouble(a);
    const double y = ToDouble(b);
    out->type = BSON_TYPE_DOUBLE;
    out->floating = op == ArithmeticOp::kAdd ? x + y : x * y;
    return true;
  }
  int64_t result = 0;
  const bool overflow = op == ArithmeticOp::kAdd
                            ? __builtin_add_overflow(a.integer, b.integer, &result)
                            : __builtin_mul_overflow(a.integer, b.integer, &result);
  if (overflow) return false;
  out->integer = result;
  if (a.type == BSON_TYPE_INT32 && b.type == BSON_TYPE_INT32 &&
      result >= std::numeric_limits<int32_t>::min() &&
      result <= std::numeric_limits<int32_t>::max()) {
    out->type = BSON_TYPE_INT32;
  } else {
    out->type = BSON_TYPE_INT64;
  }
  return true;
}

bool Identical(const Number& a, const Number& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case BSON_TYPE_DOUBLE:
      return std::memcmp(&a.floating, &b.floating, sizeof(double)) == 0;
    case BSON_TYPE_DECIMAL128:
      return a.decimal.high == b.decimal.high && a.decimal.low == b.decimal.low;
    default:
      return a.integer == b.integer;
  }
}

void AppendNumber(bson_t* doc, absl::string_view key, const Number& value) {
  const int key_length = static_cast<int>(key.size());
  switch (value.type) {
    case BSON_TYPE_INT32:
      bson_append_int32(doc, key.data(), key_length, static_cast<int32_t>(value.integer));
      break;
    case BSON_TYPE_INT64:
      bson_append_int64(doc, key.data(), key_length, value.integer);
      break;
    case BSON_TYPE_DOUBLE:
      bson_append_double(doc, key.data(), key_length, value.floating);
      break;
    default:
      bson_append_decimal128(doc, key.data(), key_length, &value.decimal);
      break;
  }
}

std::string NumberDebugString(const Number& value) {
  switch (value.type) {
    case BSON_TYPE_INT32:
      return absl::StrCat("(NumberInt)", value.integer);
    case BSON_TYPE_INT64:
      return absl::StrCat("(NumberLong)", value.integer);
    case BSON_TYPE_DOUBLE:
      return absl::StrCat("(NumberDouble)", value.floating);
    default: {
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value.decimal, text);
      return absl::StrCat("(NumberDecimal)", text);
    }
  }
}

}  // namespace strata::query::update
