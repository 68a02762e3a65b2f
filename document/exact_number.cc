// Exact decimal conversion of BSON numbers. See exact_number.h for the contract.
//
// Conversions:
//   int64       its decimal digits;
//   double      m·2^e with m made odd: e >= 0 gives the integer m·2^e; e < 0 gives
//               m·5^-e × 10^e (exact, since 2^e = 5^-e × 10^e). Values that fit 64 bits take
//               a fast path; the rest use a fixed-size bignum on the stack;
//   decimal128  its coefficient's digits times 10^exponent, read from the BID bits.
// Key forms (NumberKeyForm): integers and doubles by bit operations; a decimal by computing
// its first 64 bits exactly with the same bignum (see SetDecimalForm).
#include "document/exact_number.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <iterator>

namespace strata::document::internal {
namespace {

// An unsigned integer of up to kMaxLimbs 32-bit limbs (little-endian), on the stack.
// Large enough for m·5^1074 (< 2^2547) and m·2^971 (< 2^1024), the extremes of doubles.
class BigUnsigned {
 public:
  static constexpr int kMaxLimbs = 84;

  explicit BigUnsigned(uint64_t value) : BigUnsigned(value, 0) {}
  BigUnsigned(uint64_t low, uint64_t high) {
    limbs_[0] = static_cast<uint32_t>(low);
    limbs_[1] = static_cast<uint32_t>(low >> 32);
    limbs_[2] = static_cast<uint32_t>(high);
    limbs_[3] = static_cast<uint32_t>(high >> 32);
    size_ = 4;
    Trim();
  }

  bool FitsUint64() const { return size_ <= 2; }
  uint64_t ToUint64() const {
    uint64_t value = 0;
    if (size_ > 1) value = static_cast<uint64_t>(limbs_[1]) << 32;
    if (size_ > 0) value |= limbs_[0];
    return value;
  }

  void MultiplyBy(uint32_t factor) {
    uint64_t carry = 0;
    for (int i = 0; i < size_; ++i) {
      uint64_t product = static_cast<uint64_t>(limbs_[i]) * factor + carry;
      limbs_[i] = static_cast<uint32_t>(product);
      carry = product >> 32;
    }
    if (carry != 0) {
      assert(size_ < kMaxLimbs);
      limbs_[size_++] = static_cast<uint32_t>(carry);
    }
  }

  void ShiftLeft(int bits) {
    if (size_ == 0 || bits == 0) return;
    const int words = bits / 32;
    const int rest = bits % 32;
    assert(size_ + words + 1 <= kMaxLimbs);
    if (rest == 0) {
      for (int i = size_ - 1; i >= 0; --i) limbs_[i + words] = limbs_[i];
    } else {
      limbs_[size_ + words] = limbs_[size_ - 1] >> (32 - rest);
      for (int i = size_ - 1; i > 0; --i) {
        limbs_[i + words] = (limbs_[i] << rest) | (limbs_[i - 1] >> (32 - rest));
      }
      limbs_[words] = limbs_[0] << rest;
      ++size_;
    }
    for (int i = 0; i < words; ++i) limbs_[i] = 0;
    size_ += words;
    Trim();
  }

  // Divides by 10^9 in place and returns the remainder.
  uint32_t DivideByBillion() {
    constexpr uint64_t kBillion = 1000000000;
    uint64_t remainder = 0;
    for (int i = size_ - 1; i >= 0; --i) {
      uint64_t current = (remainder << 32) | limbs_[i];
      limbs_[i] = static_cast<uint32_t>(current / kBillion);
      remainder = current % kBillion;
    }
    Trim();
    return static_cast<uint32_t>(remainder);
  }

 private:
  void Trim() {
    while (size_ > 0 && limbs_[size_ - 1] == 0) --size_;
  }

  uint32_t limbs_[kMaxLimbs];
  int size_;
};

// Writes the decimal digits of `value` (no leading zeros; "0" for 0) backwards, ending just
// before `end`. Returns the first digit.
uint8_t* WriteDigitsBackward(uint64_t value, uint8_t* end) {
  do {
    *--end = static_cast<uint8_t>(value % 10);
    value /= 10;
  } while (value != 0);
  return end;
}

// Writes exactly `count` digits of `value` (zero-padded) backwards, ending before `end`.
uint8_t* WriteFixedDigitsBackward(uint64_t value, int count, uint8_t* end) {
  for (int i = 0; i < count; ++i) {
    *--end = static_cast<uint8_t>(value % 10);
    value /= 10;
  }
  return end;
}

// Writes the digits of a bignum backwards, consuming it.
uint8_t* WriteBigDigitsBackward(BigUnsigned* value, uint8_t* end) {
  while (!value->FitsUint64()) {
    end = WriteFixedDigitsBackward(value->DivideByBillion(), 9, end);
  }
  return WriteDigitsBackward(value->ToUint64(), end);
}

constexpr uint64_t kPowersOfFive[] = {
    1ull,
    5ull,
    25ull,
    125ull,
    625ull,
    3125ull,
    15625ull,
    78125ull,
    390625ull,
    1953125ull,
    9765625ull,
    48828125ull,
    244140625ull,
    1220703125ull,
    6103515625ull,
    30517578125ull,
    152587890625ull,
    762939453125ull,
    3814697265625ull,
    19073486328125ull,
    95367431640625ull,
    476837158203125ull,
    2384185791015625ull,
    11920928955078125ull,
    59604644775390625ull,
    298023223876953125ull,
    1490116119384765625ull,
    7450580596923828125ull,
};
constexpr int kMaxPowerOfFiveInUint32 = 13;  // 5^13 = 1220703125 < 2^32

int Sign(int64_t value) { return (value > 0) - (value < 0); }

}  // namespace

void ExactDecimal::Finish(bool negative, const uint8_t* first, const uint8_t* last, int32_t scale) {
  // |value| = digits × 10^scale = 0.digits × 10^(count + scale).
  exponent_ = static_cast<int32_t>(last - first) + scale;
  while (last > first && last[-1] == 0) --last;
  if (last == first) {
    class_ = NumberClass::kZero;
    exponent_ = 0;
    begin_ = count_ = 0;
    return;
  }
  class_ = negative ? NumberClass::kNegative : NumberClass::kPositive;
  begin_ = static_cast<uint16_t>(first - digits_);
  count_ = static_cast<uint16_t>(last - first);
}

void ExactDecimal::SetInt64(int64_t value) {
  const bool negative = value < 0;
  // Two's-complement negation in unsigned arithmetic is exact for INT64_MIN too.
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : value;
  uint8_t* end = digits_ + kMaxDigits;
  Finish(negative, WriteDigitsBackward(magnitude, end), end, 0);
}

void ExactDecimal::SetDouble(double value) {
  if (std::isnan(value)) {
    class_ = NumberClass::kNaN;
    begin_ = count_ = 0;
    return;
  }
  if (std::isinf(value)) {
    class_ = value < 0 ? NumberClass::kNegativeInfinity : NumberClass::kPositiveInfinity;
    begin_ = count_ = 0;
    return;
  }
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  const bool negative = (bits >> 63) != 0;
  const int biased_exponent = static_cast<int>((bits >> 52) & 0x7ff);
  uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
  int exponent;  // value = ±mantissa × 2^exponent
  if (biased_exponent == 0) {
    exponent = -1074;  // subnormal (or zero)
  } else {
    mantissa |= uint64_t{1} << 52;
    exponent = biased_exponent - 1075;
  }
  uint8_t* end = digits_ + kMaxDigits;
  if (mantissa == 0) {
    Finish(false, end, end, 0);
    return;
  }
  const int trailing = std::countr_zero(mantissa);
  mantissa >>= trailing;
  exponent += trailing;

  if (exponent >= 0) {
    if (std::bit_width(mantissa) + exponent <= 64) {
      Finish(negative, WriteDigitsBackward(mantissa << exponent, end), end, 0);
      return;
    }
    BigUnsigned big(mantissa);
    big.ShiftLeft(exponent);
    Finish(negative, WriteBigDigitsBackward(&big, end), end, 0);
    return;
  }

  // value = mantissa × 5^k × 10^-k. The mantissa is odd, so the product has no trailing zero.
  const int k = -exponent;
  uint64_t product;
  if (k < static_cast<int>(std::size(kPowersOfFive)) &&
      !__builtin_mul_overflow(mantissa, kPowersOfFive[k], &product)) {
    Finish(negative, WriteDigitsBackward(product, end), end, -k);
    return;
  }
  BigUnsigned big(mantissa);
  int remaining = k;
  while (remaining >= kMaxPowerOfFiveInUint32) {
    big.MultiplyBy(static_cast<uint32_t>(kPowersOfFive[kMaxPowerOfFiveInUint32]));
    remaining -= kMaxPowerOfFiveInUint32;
  }
  if (remaining > 0) big.MultiplyBy(static_cast<uint32_t>(kPowersOfFive[remaining]));
  Finish(negative, WriteBigDigitsBackward(&big, end), end, -k);
}

void ExactDecimal::SetDecimal128(const bson_decimal128_t& value) {
  constexpr int kExponentBias = 6176;
  const uint64_t high = value.high;
  const bool negative = (high >> 63) != 0;
  const unsigned combination = static_cast<unsigned>(high >> 58) & 0x1f;
  uint8_t* end = digits_ + kMaxDigits;
  begin_ = count_ = 0;
  if ((combination >> 3) == 3) {
    if (combination == 0x1f) {
      class_ = NumberClass::kNaN;
    } else if (combination == 0x1e) {
      class_ = negative ? NumberClass::kNegativeInfinity : NumberClass::kPositiveInfinity;
    } else {
      // The "11" form implies a coefficient >= 2^113 > 10^34 - 1: non-canonical, zero.
      Finish(false, end, end, 0);
    }
    return;
  }
  const int32_t exponent = static_cast<int32_t>((high >> 49) & 0x3fff) - kExponentBias;
  const uint64_t coefficient_high = high & ((uint64_t{1} << 49) - 1);
  const uint64_t coefficient_low = value.low;
  // 10^34 - 1 = 0x0001ED09BEAD87C0_378D8E63FFFFFFFF.
  constexpr uint64_t kMaxHigh = 0x0001ED09BEAD87C0ull;
  constexpr uint64_t kMaxLow = 0x378D8E63FFFFFFFFull;
  if (coefficient_high > kMaxHigh || (coefficient_high == kMaxHigh && coefficient_low > kMaxLow)) {
    Finish(false, end, end, 0);
    return;
  }
  uint8_t* first;
  if (coefficient_high == 0) {
    first = WriteDigitsBackward(coefficient_low, end);
  } else {
    constexpr uint64_t kTenToThe19 = 10000000000000000000ull;
    const unsigned __int128 coefficient =
        (static_cast<unsigned __int128>(coefficient_high) << 64) | coefficient_low;
    const uint64_t top = static_cast<uint64_t>(coefficient / kTenToThe19);  // < 10^15
    const uint64_t bottom = static_cast<uint64_t>(coefficient % kTenToThe19);
    first = WriteFixedDigitsBackward(bottom, 19, end);
    if (top != 0) first = WriteDigitsBackward(top, first);
    while (first < end && *first == 0) ++first;  // top == 0 cannot happen here, but be safe
  }
  Finish(negative, first, end, exponent);
}

bool ExactDecimal::Set(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      SetInt64(bson_iter_int32(&it));
      return true;
    case BSON_TYPE_INT64:
      SetInt64(bson_iter_int64(&it));
      return true;
    case BSON_TYPE_DOUBLE:
      SetDouble(bson_iter_double(&it));
      return true;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      if (!bson_iter_decimal128(&it, &value)) break;
      SetDecimal128(value);
      return true;
    }
    default:
      break;
  }
  SetInt64(0);
  return false;
}

namespace {

// The key form of ±magnitude × 2^exponent_of_lowest_bit.
void SetBinaryForm(bool negative, uint64_t magnitude, int32_t exponent_of_lowest_bit,
                   NumberKeyForm* form) {
  if (magnitude == 0) {
    form->number_class = NumberClass::kZero;
    return;
  }
  form->number_class = negative ? NumberClass::kNegative : NumberClass::kPositive;
  const int width = std::bit_width(magnitude);
  form->range = NumberKeyForm::Range::kBinary;
  form->binary_exponent = exponent_of_lowest_bit + width - 1;
  form->top = magnitude << (64 - width);
  form->inexact = false;
}

// The key form of a finite non-zero decimal |v| = C × 10^q (C < 10^34, given by its exact
// decimal form). The first 64 bits of |v| are floor(|v| × 2^(63 - E)) with E = floor(log2 |v|).
// Writing that product as M × 10^s with an integer M (M = C·2^k, s = q for k = 63 - E >= 0;
// M = C·5^-k, s = q + k otherwise) turns the floor into dropping -s decimal digits of M.
void SetDecimalForm(const ExactDecimal& decimal, NumberKeyForm* form) {
  unsigned __int128 coefficient = 0;
  for (int i = 0; i < decimal.num_digits(); ++i) {
    coefficient = coefficient * 10 + decimal.digits()[i];
  }
  const int32_t q = decimal.exponent() - decimal.num_digits();
  // An estimate of E. Its rounding error is below 1e-14; biased down by 1e-9 it is E or, for
  // |v| just above a power of two (e.g. 2^64 + 1), E - 1, which the halving below corrects.
  // (An overestimate is then impossible; the retry for it is only a safety net.)
  const long double log2_value =
      std::log2(static_cast<long double>(coefficient)) + q * 3.32192809488736234787L - 1e-9L;
  int32_t exponent = static_cast<int32_t>(std::floor(log2_value));
  if (exponent < -1076) {
    form->range = NumberKeyForm::Range::kTiny;
    return;
  }
  if (exponent > 1025) {
    form->range = NumberKeyForm::Range::kHuge;
    return;
  }
  unsigned __int128 top = 0;
  bool tail = false;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int32_t k = 63 - exponent;
    BigUnsigned m(static_cast<uint64_t>(coefficient), static_cast<uint64_t>(coefficient >> 64));
    int32_t s = q;
    if (k >= 0) {
      m.ShiftLeft(k);
    } else {
      int remaining = -k;
      while (remaining >= kMaxPowerOfFiveInUint32) {
        m.MultiplyBy(static_cast<uint32_t>(kPowersOfFive[kMaxPowerOfFiveInUint32]));
        remaining -= kMaxPowerOfFiveInUint32;
      }
      if (remaining > 0) m.MultiplyBy(static_cast<uint32_t>(kPowersOfFive[remaining]));
      s += k;
    }
    uint8_t buffer[ExactDecimal::kMaxDigits];
    uint8_t* const end = buffer + sizeof(buffer);
    const uint8_t* first = WriteBigDigitsBackward(&m, end);
    const int32_t count = static_cast<int32_t>(end - first);
    const int32_t integer_digits = count + s;  // digits of M × 10^s before the point
    top = 0;
    tail = false;
    for (int32_t i = 0; i < integer_digits && i < 40; ++i) {
      top = top * 10 + (i < count ? first[i] : 0);
    }
    for (int32_t i = integer_digits < 0 ? 0 : integer_digits; i < count && !tail; ++i) {
      tail = first[i] != 0;
    }
    if ((top >> 64) != 0) {
      // E was underestimated: halve until the top fits 64 bits; shifted-out bits join the tail.
      while ((top >> 64) != 0) {
        tail = tail || (top & 1) != 0;
        top >>= 1;
        ++exponent;
      }
      break;
    }
    if ((top >> 63) != 0) break;
    // E was overestimated (see above): retry with the exponent the shortfall indicates.
    exponent -= top == 0 ? 1 : 64 - std::bit_width(static_cast<uint64_t>(top));
  }
  assert((top >> 63) == 1);
  if (exponent < -1074) {
    form->range = NumberKeyForm::Range::kTiny;
  } else if (exponent >= 1024) {
    form->range = NumberKeyForm::Range::kHuge;
  } else {
    form->range = NumberKeyForm::Range::kBinary;
    form->binary_exponent = exponent;
    form->top = static_cast<uint64_t>(top);
    form->inexact = tail;
  }
}

}  // namespace

bool GetNumberKeyForm(const bson_iter_t& it, NumberKeyForm* form, ExactDecimal* decimal) {
  *form = NumberKeyForm();
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64: {
      const int64_t value = bson_iter_as_int64(&it);
      SetBinaryForm(value < 0, value < 0 ? 0 - static_cast<uint64_t>(value) : value, 0, form);
      return true;
    }
    case BSON_TYPE_DOUBLE: {
      const double value = bson_iter_double(&it);
      if (std::isnan(value)) {
        form->number_class = NumberClass::kNaN;
        return true;
      }
      if (std::isinf(value)) {
        form->number_class =
            value < 0 ? NumberClass::kNegativeInfinity : NumberClass::kPositiveInfinity;
        return true;
      }
      const uint64_t bits = std::bit_cast<uint64_t>(value);
      const int biased_exponent = static_cast<int>((bits >> 52) & 0x7ff);
      uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
      int exponent = -1074;
      if (biased_exponent != 0) {
        mantissa |= uint64_t{1} << 52;
        exponent = biased_exponent - 1075;
      }
      SetBinaryForm((bits >> 63) != 0, mantissa, exponent, form);  // ±0 has mantissa 0
      return true;
    }
    case BSON_TYPE_DECIMAL128: {
      if (!decimal->Set(it)) return false;
      form->number_class = decimal->number_class();
      if (form->number_class == NumberClass::kNegative ||
          form->number_class == NumberClass::kPositive) {
        SetDecimalForm(*decimal, form);
      }
      return true;
    }
    default:
      return false;
  }
}

int CompareExact(const ExactDecimal& a, const ExactDecimal& b) {
  if (a.number_class() != b.number_class()) {
    return a.number_class() < b.number_class() ? -1 : 1;
  }
  if (a.number_class() != NumberClass::kPositive && a.number_class() != NumberClass::kNegative) {
    return 0;
  }
  int magnitude;
  if (a.exponent() != b.exponent()) {
    magnitude = a.exponent() < b.exponent() ? -1 : 1;
  } else {
    const int common = a.num_digits() < b.num_digits() ? a.num_digits() : b.num_digits();
    const int bytes = std::memcmp(a.digits(), b.digits(), common);
    magnitude = bytes != 0 ? (bytes < 0 ? -1 : 1) : Sign(a.num_digits() - b.num_digits());
  }
  return a.number_class() == NumberClass::kPositive ? magnitude : -magnitude;
}

int CompareDoubles(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;  // includes -0 == 0
  const bool a_nan = std::isnan(a);
  const bool b_nan = std::isnan(b);
  return a_nan == b_nan ? 0 : (a_nan ? -1 : 1);
}

int CompareInt64ToDouble(int64_t a, double b) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (std::isnan(b)) return 1;
  if (b >= kTwoTo63) return -1;
  if (b < -kTwoTo63) return 1;
  // |b| < 2^63 (or b == -2^63): its integral part is an exact int64, and b - trunc(b) is exact.
  const double integral = std::trunc(b);
  const int64_t whole = static_cast<int64_t>(integral);
  if (a != whole) return a < whole ? -1 : 1;
  const double fraction = b - integral;
  return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
}

int CompareNumbers(const bson_iter_t& a, const bson_iter_t& b) {
  const bson_type_t ta = bson_iter_type(&a);
  const bson_type_t tb = bson_iter_type(&b);
  if (ta == BSON_TYPE_DECIMAL128 || tb == BSON_TYPE_DECIMAL128) {
    ExactDecimal x;
    ExactDecimal y;
    x.Set(a);
    y.Set(b);
    return CompareExact(x, y);
  }
  const bool a_double = ta == BSON_TYPE_DOUBLE;
  const bool b_double = tb == BSON_TYPE_DOUBLE;
  if (!a_double && !b_double) {
    const int64_t x = bson_iter_as_int64(&a);
    const int64_t y = bson_iter_as_int64(&b);
    return (x > y) - (x < y);
  }
  if (a_double && b_double) return CompareDoubles(bson_iter_double(&a), bson_iter_double(&b));
  if (a_double) {
    // int32 converts to double exactly; int64 needs the exact comparison.
    if (tb == BSON_TYPE_INT32) return CompareDoubles(bson_iter_double(&a), bson_iter_int32(&b));
    return -CompareInt64ToDouble(bson_iter_int64(&b), bson_iter_double(&a));
  }
  if (ta == BSON_TYPE_INT32) return CompareDoubles(bson_iter_int32(&a), bson_iter_double(&b));
  return CompareInt64ToDouble(bson_iter_int64(&a), bson_iter_double(&b));
}

}  // namespace strata::document::internal
