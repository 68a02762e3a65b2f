// Exact numeric values of BSON numbers (int32, int64, double, decimal128): the single source of
// numeric truth for both value comparison (document/compare.cc) and key strings
// (document/key_string.cc), so the two can never disagree.
//
// Every finite non-zero number is converted, without rounding, to the form
//   ±0.d1 d2 … dn × 10^exponent      (d1 != 0, dn != 0, 1 <= n <= kMaxDigits)
// A double is m·2^e; its decimal expansion is finite (at most 767 significant digits), so the
// conversion is exact. Zero (including -0, and decimal zeros of any exponent such as "0E+10"
// or "-0.00") has no digits; every NaN (quiet, signalling, any sign or payload) is one value
// that sorts below all others; ±Infinity are the two ends of the numbers.
//
// Decimal128 is read from its bits (IEEE 754-2008 BID encoding); a coefficient above
// 10^34 - 1 is non-canonical and, as IEEE 754 and MongoDB specify, means zero.
//
// Internal to the document layer. Thread-safe: no shared state.
#ifndef STRATA_DOCUMENT_EXACT_NUMBER_H_
#define STRATA_DOCUMENT_EXACT_NUMBER_H_

#include <bson/bson.h>

#include <cstdint>

namespace strata::document::internal {

// Classes of numbers, in ascending order.
enum class NumberClass : uint8_t {
  kNaN = 0,
  kNegativeInfinity = 1,
  kNegative = 2,  // finite, < 0
  kZero = 3,
  kPositive = 4,  // finite, > 0
  kPositiveInfinity = 5,
};

// True for BSON int32, int64, double and decimal128.
inline bool IsNumberType(bson_type_t type) {
  return type == BSON_TYPE_INT32 || type == BSON_TYPE_INT64 || type == BSON_TYPE_DOUBLE ||
         type == BSON_TYPE_DECIMAL128;
}

// The exact decimal form of one number. About 800 bytes: meant to live on the stack, filled by
// one of the Set* functions (no heap allocation).
class ExactDecimal {
 public:
  // Enough for any double (767), decimal128 (34) or int64 (19) significand.
  static constexpr int kMaxDigits = 776;

  ExactDecimal() = default;
  ExactDecimal(const ExactDecimal&) = delete;
  ExactDecimal& operator=(const ExactDecimal&) = delete;

  void SetInt64(int64_t value);
  void SetDouble(double value);
  void SetDecimal128(const bson_decimal128_t& value);
  // Sets from the numeric value at `it`. Returns false (and sets zero) for non-numeric types.
  bool Set(const bson_iter_t& it);

  NumberClass number_class() const { return class_; }
  // Meaningful for kNegative and kPositive only: |value| = 0.digits × 10^exponent.
  int32_t exponent() const { return exponent_; }
  // The significant digits as values 0..9 (not ASCII); first and last are non-zero.
  // Empty unless kNegative or kPositive.
  const uint8_t* digits() const { return digits_ + begin_; }
  int num_digits() const { return count_; }

 private:
  // Records the integer whose digits occupy [first, last) of digits_, times 10^scale.
  void Finish(bool negative, const uint8_t* first, const uint8_t* last, int32_t scale);

  NumberClass class_ = NumberClass::kZero;
  int32_t exponent_ = 0;
  uint16_t begin_ = 0;
  uint16_t count_ = 0;
  uint8_t digits_[kMaxDigits];
};

// The form in which key strings order numbers (document/key_string.cc lays out its bytes).
// A finite non-zero magnitude |v| in [2^-1074, 2^1024) -- every int32, int64 and double, and
// decimals in that range -- is in kBinary range:
//   |v| = (top + tail) × 2^(binary_exponent - 63),   top in [2^63, 2^64), tail in [0, 1)
// i.e. top holds the first 64 significant bits of |v| (the leading one included) and
// `inexact` says tail > 0, which only a decimal128 whose binary expansion runs past 64 bits
// can have; such values are then ordered among themselves by their ExactDecimal form.
// Magnitudes below 2^-1074 (kTiny) or from 2^1024 up (kHuge) exist only as decimal128 and
// are ordered by their ExactDecimal form alone.
struct NumberKeyForm {
  enum class Range : uint8_t { kTiny, kBinary, kHuge };

  NumberClass number_class = NumberClass::kZero;
  Range range = Range::kBinary;  // kNegative / kPositive only
  int32_t binary_exponent = 0;   // kBinary only: floor(log2 |v|), in [-1074, 1023]
  uint64_t top = 0;              // kBinary only
  bool inexact = false;          // kBinary only
};

// Fills `*form` for the numeric value at `it` (returns false for non-numbers). For decimal128
// also fills `*decimal` (its exact form, needed when the range is kTiny/kHuge or inexact);
// for the other types `*decimal` is left untouched: they never need it. Doubles and integers
// take bit operations only; decimals use the stack bignum.
bool GetNumberKeyForm(const bson_iter_t& it, NumberKeyForm* form, ExactDecimal* decimal);

// Compares two exact numbers: <0, 0 or >0 (NaN == NaN < -Inf < negatives < 0 < positives < +Inf).
int CompareExact(const ExactDecimal& a, const ExactDecimal& b);

// Exact comparisons of the binary types (NaN == NaN and below everything; -0 == 0).
int CompareDoubles(double a, double b);
int CompareInt64ToDouble(int64_t a, double b);

// Compares the numeric values at two iterators (both must hold numbers): <0, 0 or >0.
// Same answers as CompareExact on their ExactDecimal forms, with fast paths that avoid
// building them unless decimal128 is involved.
int CompareNumbers(const bson_iter_t& a, const bson_iter_t& b);

}  // namespace strata::document::internal

#endif  // STRATA_DOCUMENT_EXACT_NUMBER_H_
