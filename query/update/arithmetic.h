// Arithmetic for $inc and $mul with MongoDB's numeric type rules.
//
// The result type is the wider of the two operands (int32 < int64 < double < decimal128),
// except that int32 op int32 widens to int64 when the exact result does not fit in 32 bits.
// An int64 result that overflows is an error (never silently a double). A double meeting a
// decimal is first converted to decimal with 15 significant digits, as MongoDB does, so
// NumberDecimal("1") + 0.5 is NumberDecimal("1.50000000000000").
//
// Decimal128 arithmetic is exact, then rounded half-to-even to 34 digits with IEEE 754-2008
// exponent clamping (overflow gives ±Infinity).
#ifndef STRATA_QUERY_UPDATE_ARITHMETIC_H_
#define STRATA_QUERY_UPDATE_ARITHMETIC_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace strata::query::update {

// One BSON number.
struct Number {
  bson_type_t type = BSON_TYPE_INT32;  // INT32, INT64, DOUBLE or DECIMAL128
  int64_t integer = 0;                 // INT32 and INT64
  double floating = 0;                 // DOUBLE
  bson_decimal128_t decimal = {0, 0};  // DECIMAL128

  static Number Int32(int32_t v) { return Number{BSON_TYPE_INT32, v, 0, {0, 0}}; }
};

// Reads the number at `it`; false when it is not a number.
bool ReadNumber(const bson_iter_t& it, Number* out);

enum class ArithmeticOp { kAdd, kMultiply };

// `a op b`. False when an integer result overflows int64.
bool Compute(ArithmeticOp op, const Number& a, const Number& b, Number* out);

// Same type and same bits (MongoDB's no-op test: 1 and 1.0 are not identical).
bool Identical(const Number& a, const Number& b);

// Appends `value` to `doc` under `key`.
void AppendNumber(bson_t* doc, absl::string_view key, const Number& value);

// MongoDB's debug text of a number: "(NumberInt)5", "(NumberLong)5", "(NumberDouble)1.5",
// "(NumberDecimal)1.5".
std::string NumberDebugString(const Number& value);

}  // namespace strata::query::update

#endif  // STRATA_QUERY_UPDATE_ARITHMETIC_H_
