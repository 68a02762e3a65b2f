// Decimal128 arithmetic for aggregation expressions (libbson stores decimals but cannot
// compute with them).
//
// Values are decoded from IEEE 754-2008 BID bits into (sign, decimal digits, exponent),
// operated on exactly with schoolbook digit arithmetic, then rounded once to 34 significant
// digits (round-half-even) and re-encoded, so +, -, × and ÷ give correctly rounded IEEE
// results. Exponents follow IEEE's preferred exponents (add: the smaller exponent; multiply:
// the sum; an exact quotient: as close to the dividend's minus the divisor's as possible).
// LIMITS: square root, exp, ln, log10 and pow go through double (about 15-17 significant
// digits, then 15 digits kept when converted back), as documented in README.md.
// Internal to query/expression. Pure functions, thread-safe.
#ifndef STRATA_QUERY_EXPRESSION_DECIMAL_H_
#define STRATA_QUERY_EXPRESSION_DECIMAL_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

namespace strata::query::expression::internal {

struct Dec {
  enum Kind : uint8_t { kFinite, kInfinity, kNaN };
  Kind kind = kFinite;
  bool negative = false;
  std::string digits;    // ASCII digits, no leading zeros; empty means zero
  int32_t exponent = 0;  // value = digits × 10^exponent

  bool is_zero() const { return kind == kFinite && digits.empty(); }
};

Dec DecodeDecimal(const bson_decimal128_t& value);
// Rounds to 34 digits (half-even) and clamps the exponent; overflow gives ±Infinity.
bson_decimal128_t EncodeDecimal(Dec value);
Dec DecFromInt64(int64_t value);
// MongoDB's Decimal128(double): 15 significant digits ("2.50000000000000" for 2.5).
Dec DecFromDouble(double value);
double DecToDouble(const Dec& value);
std::string DecToString(const bson_decimal128_t& value);
// Parses decimal text ("1.5", "-1e3", "Infinity", "NaN"); false when malformed.
bool DecFromString(const std::string& text, Dec* out);

Dec DecAdd(const Dec& a, const Dec& b);
Dec DecSub(const Dec& a, const Dec& b);
Dec DecMul(const Dec& a, const Dec& b);
// b must not be zero (callers report MongoDB's divide-by-zero errors first).
Dec DecDiv(const Dec& a, const Dec& b);
// a mod b (sign of a), b non-zero.
Dec DecMod(const Dec& a, const Dec& b);

enum class RoundMode { kHalfEven, kTowardZero, kFloor, kCeiling };
// Rounds to `place` digits after the decimal point (negative: before it). Values already at
// that precision are returned unchanged.
Dec DecRound(const Dec& a, int place, RoundMode mode);

// Truncates toward zero into int64; false when NaN, infinite or out of range.
bool DecToInt64(const Dec& a, int64_t* out);
int DecCompare(const Dec& a, const Dec& b);

}  // namespace strata::query::expression::internal

#endif  // STRATA_QUERY_EXPRESSION_DECIMAL_H_
