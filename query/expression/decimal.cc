#include "query/expression/decimal.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace strata::query::expression::internal {
namespace {

constexpr int kMaxDigits = 34;
constexpr int32_t kMinExponent = -6176;
constexpr int32_t kMaxExponent = 6111;

void StripLeadingZeros(std::string* s) {
  size_t i = 0;
  while (i < s->size() && (*s)[i] == '0') ++i;
  s->erase(0, i);
}

int CompareMagnitude(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string AddMagnitude(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0 || j > 0 || carry) {
    int sum = carry;
    if (i > 0) sum += a[--i] - '0';
    if (j > 0) sum += b[--j] - '0';
    out.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  std::string r(out.rbegin(), out.rend());
  StripLeadingZeros(&r);
  return r;
}

// a >= b.
std::string SubMagnitude(const std::string& a, const std::string& b) {
  std::string out;
  int borrow = 0;
  size_t i = a.size(), j = b.size();
  while (i > 0) {
    int d = (a[--i] - '0') - borrow - (j > 0 ? b[--j] - '0' : 0);
    borrow = d < 0;
    if (d < 0) d += 10;
    out.push_back(static_cast<char>('0' + d));
  }
  std::string r(out.rbegin(), out.rend());
  StripLeadingZeros(&r);
  return r;
}

std::string MulMagnitude(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return "";
  std::vector<int> acc(a.size() + b.size(), 0);
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      acc[i + j + 1] += (a[i] - '0') * (b[j] - '0');
    }
  }
  for (size_t k = acc.size(); k-- > 1;) {
    acc[k - 1] += acc[k] / 10;
    acc[k] %= 10;
  }
  std::string r;
  for (int d : acc) r.push_back(static_cast<char>('0' + d));
  StripLeadingZeros(&r);
  return r;
}

// q = a / b, r = a % b (b non-empty).
void DivModMagnitude(const std::string& a, const std::string& b, std::string* q, std::string* r) {
  q->clear();
  std::string rem;
  for (char c : a) {
    rem.push_back(c);
    StripLeadingZeros(&rem);
    int count = 0;
    while (CompareMagnitude(rem, b) >= 0) {
      rem = SubMagnitude(rem, b);
      ++count;
    }
    q->push_back(static_cast<char>('0' + count));
  }
  StripLeadingZeros(q);
  *r = rem;
}

// Drops the last `k` digits of `d` (k ≥ 1), rounding by `mode`; `sticky` says more non-zero
// digits followed the ones present.
void DropDigits(Dec* d, int64_t k, RoundMode mode, bool sticky) {
  if (k <= 0) return;
  if (static_cast<int64_t>(d->digits.size()) < k + 1) {
    d->digits.insert(0, static_cast<size_t>(k + 1 - d->digits.size()), '0');
  }
  const size_t keep = d->digits.size() - static_cast<size_t>(k);
  const int first = d->digits[keep] - '0';
  bool rest = sticky;
  for (size_t i = keep + 1; i < d->digits.size() && !rest; ++i) rest = d->digits[i] != '0';
  std::string kept = d->digits.substr(0, keep);
  const bool inexact = first != 0 || rest;
  bool up = false;
  switch (mode) {
    case RoundMode::kHalfEven: {
      const int last = kept.empty() ? 0 : kept.back() - '0';
      up = first > 5 || (first == 5 && (rest || (last % 2 == 1)));
      break;
    }
    case RoundMode::kTowardZero:
      break;
    case RoundMode::kFloor:
      up = inexact && d->negative;
      break;
    case RoundMode::kCeiling:
      up = inexact && !d->negative;
      break;
  }
  if (up) kept = AddMagnitude(kept, "1");
  StripLeadingZeros(&kept);
  d->digits = kept;
  d->exponent += static_cast<int32_t>(k);
}

void RoundTo34(Dec* d, bool sticky) {
  StripLeadingZeros(&d->digits);
  if (d->digits.size() > kMaxDigits) {
    DropDigits(d, static_cast<int64_t>(d->digits.size()) - kMaxDigits, RoundMode::kHalfEven,
               sticky);
    if (d->digits.size() > kMaxDigits) DropDigits(d, 1, RoundMode::kHalfEven, false);
  } else if (sticky && d->digits.size() == kMaxDigits) {
    // Exactly representable prefix with a non-zero tail below half: nothing to do.
  }
}

std::string Zeros(int64_t n) { return std::string(static_cast<size_t>(n), '0'); }

}  // namespace

Dec DecodeDecimal(const bson_decimal128_t& value) {
  Dec d;
  const uint64_t high = value.high;
  const uint64_t low = value.low;
  d.negative = (high >> 63) != 0;
  if (((high >> 58) & 0x1F) == 0x1F) {
    d.kind = Dec::kNaN;
    return d;
  }
  if (((high >> 58) & 0x1F) == 0x1E) {
    d.kind = Dec::kInfinity;
    return d;
  }
  unsigned __int128 coefficient = 0;
  int32_t biased;
  if (((high >> 61) & 3) == 3) {
    biased = static_cast<int32_t>((high >> 47) & 0x3FFF);  // non-canonical: zero
  } else {
    biased = static_cast<int32_t>((high >> 49) & 0x3FFF);
    coefficient = (static_cast<unsigned __int128>(high & ((1ULL << 49) - 1)) << 64) | low;
    unsigned __int128 limit = 1;
    for (int i = 0; i < 34; ++i) limit *= 10;
    if (coefficient >= limit) coefficient = 0;
  }
  d.exponent = biased - 6176;
  std::string rev;
  while (coefficient > 0) {
    rev.push_back(static_cast<char>('0' + static_cast<int>(coefficient % 10)));
    coefficient /= 10;
  }
  d.digits.assign(rev.rbegin(), rev.rend());
  return d;
}

bson_decimal128_t EncodeDecimal(Dec d) {
  bson_decimal128_t out;
  const uint64_t sign = d.negative ? (1ULL << 63) : 0;
  if (d.kind == Dec::kNaN) {
    out.high = 0x7C00000000000000ULL;
    out.low = 0;
    return out;
  }
  if (d.kind == Dec::kInfinity) {
    out.high = sign | 0x7800000000000000ULL;
    out.low = 0;
    return out;
  }
  RoundTo34(&d, false);
  if (d.exponent < kMinExponent) {
    DropDigits(&d, static_cast<int64_t>(kMinExponent) - d.exponent, RoundMode::kHalfEven, false);
  }
  if (d.exponent > kMaxExponent) {
    if (d.digits.empty()) {
      d.exponent = kMaxExponent;
    } else {
      while (d.digits.size() < kMaxDigits && d.exponent > kMaxExponent) {
        d.digits.push_back('0');
        --d.exponent;
      }
      if (d.exponent > kMaxExponent) {
        out.high = sign | 0x7800000000000000ULL;
        out.low = 0;
        return out;
      }
    }
  }
  unsigned __int128 coefficient = 0;
  for (char c : d.digits) coefficient = coefficient * 10 + static_cast<unsigned>(c - '0');
  const uint64_t biased = static_cast<uint64_t>(d.exponent + 6176);
  out.high = sign | (biased << 49) | static_cast<uint64_t>(coefficient >> 64);
  out.low = static_cast<uint64_t>(coefficient);
  return out;
}

Dec DecFromInt64(int64_t value) {
  Dec d;
  d.negative = value < 0;
  uint64_t mag = d.negative ? (~static_cast<uint64_t>(value) + 1) : static_cast<uint64_t>(value);
  d.digits = mag == 0 ? "" : std::to_string(mag);
  return d;
}

Dec DecFromDouble(double value) {
  Dec d;
  d.negative = std::signbit(value);
  if (std::isnan(value)) {
    d.kind = Dec::kNaN;
    d.negative = false;
    return d;
  }
  if (std::isinf(value)) {
    d.kind = Dec::kInfinity;
    return d;
  }
  if (value == 0) return d;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14e", std::fabs(value));
  // "d.dddddddddddddde±XX"
  std::string digits;
  const char* p = buf;
  for (; *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9') digits.push_back(*p);
  }
  const int e10 = std::atoi(p + 1);
  d.digits = digits;
  d.exponent = e10 - 14;
  StripLeadingZeros(&d.digits);
  return d;
}

std::string DecToString(const bson_decimal128_t& value) {
  char buf[BSON_DECIMAL128_STRING];
  bson_decimal128_to_string(&value, buf);
  return buf;
}

double DecToDouble(const Dec& value) {
  if (value.kind == Dec::kNaN) return std::nan("");
  if (value.kind == Dec::kInfinity) return value.negative ? -HUGE_VAL : HUGE_VAL;
  std::string text = value.negative ? "-" : "";
  text += value.digits.empty() ? "0" : value.digits;
  text += "e" + std::to_string(value.exponent);
  return std::strtod(text.c_str(), nullptr);
}

bool DecFromString(const std::string& text, Dec* out) {
  Dec d;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    d.negative = text[i] == '-';
    ++i;
  }
  std::string rest = text.substr(i);
  std::string lower;
  for (char c : rest)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "inf" || lower == "infinity") {
    d.kind = Dec::kInfinity;
    *out = d;
    return true;
  }
  if (lower == "nan") {
    d.kind = Dec::kNaN;
    *out = d;
    return true;
  }
  bool any = false, dot = false;
  int32_t frac = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      d.digits.push_back(c);
      any = true;
      if (dot) ++frac;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any) return false;
  int64_t exp = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
    if (i >= text.size()) return false;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      exp = exp * 10 + (text[i] - '0');
      if (exp > 100000) return false;
    }
    if (neg) exp = -exp;
  }
  if (i != text.size()) return false;
  StripLeadingZeros(&d.digits);
  d.exponent = static_cast<int32_t>(exp - frac);
  *out = d;
  return true;
}

Dec DecAdd(const Dec& a, const Dec& b) {
  Dec r;
  if (a.kind == Dec::kNaN || b.kind == Dec::kNaN) {
    r.kind = Dec::kNaN;
    return r;
  }
  if (a.kind == Dec::kInfinity || b.kind == Dec::kInfinity) {
    if (a.kind == Dec::kInfinity && b.kind == Dec::kInfinity && a.negative != b.negative) {
      r.kind = Dec::kNaN;
      return r;
    }
    return a.kind == Dec::kInfinity ? a : b;
  }
  const int32_t e = std::min(a.exponent, b.exponent);
  const std::string x = a.digits.empty() ? "" : a.digits + Zeros(a.exponent - e);
  const std::string y = b.digits.empty() ? "" : b.digits + Zeros(b.exponent - e);
  r.exponent = e;
  if (a.negative == b.negative) {
    r.digits = AddMagnitude(x, y);
    r.negative = a.negative;
  } else {
    const int c = CompareMagnitude(x, y);
    if (c >= 0) {
      r.digits = SubMagnitude(x, y);
      r.negative = a.negative;
    } else {
      r.digits = SubMagnitude(y, x);
      r.negative = b.negative;
    }
    if (r.digits.empty()) r.negative = false;
  }
  if (r.digits.empty() && a.negative && b.negative) r.negative = true;
  RoundTo34(&r, false);
  return r;
}

Dec DecSub(const Dec& a, const Dec& b) {
  Dec nb = b;
  if (nb.kind != Dec::kNaN) nb.negative = !nb.negative;
  return DecAdd(a, nb);
}

Dec DecMul(const Dec& a, const Dec& b) {
  Dec r;
  r.negative = a.negative != b.negative;
  if (a.kind == Dec::kNaN || b.kind == Dec::kNaN) {
    r.kind = Dec::kNaN;
    return r;
  }
  if (a.kind == Dec::kInfinity || b.kind == Dec::kInfinity) {
    r.kind = (a.is_zero() || b.is_zero()) ? Dec::kNaN : Dec::kInfinity;
    return r;
  }
  r.digits = MulMagnitude(a.digits, b.digits);
  r.exponent = a.exponent + b.exponent;
  RoundTo34(&r, false);
  return r;
}

Dec DecDiv(const Dec& a, const Dec& b) {
  Dec r;
  r.negative = a.negative != b.negative;
  if (a.kind == Dec::kNaN || b.kind == Dec::kNaN) {
    r.kind = Dec::kNaN;
    return r;
  }
  if (a.kind == Dec::kInfinity) {
    r.kind = b.kind == Dec::kInfinity ? Dec::kNaN : Dec::kInfinity;
    return r;
  }
  if (b.kind == Dec::kInfinity) return r;  // zero
  const int32_t ideal = a.exponent - b.exponent;
  if (a.digits.empty()) {
    r.exponent = ideal;
    return r;
  }
  const int64_t shift =
      std::max<int64_t>(0, kMaxDigits + 1 + static_cast<int64_t>(b.digits.size()) -
                               static_cast<int64_t>(a.digits.size()));
  std::string q, rem;
  DivModMagnitude(a.digits + Zeros(shift), b.digits, &q, &rem);
  r.digits = q;
  r.exponent = static_cast<int32_t>(ideal - shift);
  if (!rem.empty()) {
    if (static_cast<int>(r.digits.size()) > kMaxDigits) {
      DropDigits(&r, static_cast<int64_t>(r.digits.size()) - kMaxDigits, RoundMode::kHalfEven,
                 true);
      if (r.digits.size() > kMaxDigits) DropDigits(&r, 1, RoundMode::kHalfEven, false);
    }
    return r;
  }
  // Exact: remove trailing zeros down to the ideal exponent.
  while (r.exponent < ideal && !r.digits.empty() && r.digits.back() == '0') {
    r.digits.pop_back();
    ++r.exponent;
  }
  RoundTo34(&r, false);
  return r;
}

Dec DecMod(const Dec& a, const Dec& b) {
  Dec r;
  if (a.kind != Dec::kFinite || b.kind == Dec::kNaN) {
    r.kind = Dec::kNaN;
    return r;
  }
  if (b.kind == Dec::kInfinity) return a;
  const int32_t e = std::min(a.exponent, b.exponent);
  const std::string x = a.digits.empty() ? "" : a.digits + Zeros(a.exponent - e);
  const std::string y = b.digits + Zeros(b.exponent - e);
  std::string q, rem;
  DivModMagnitude(x, y, &q, &rem);
  r.digits = rem;
  r.exponent = e;
  r.negative = a.negative;
  RoundTo34(&r, false);
  return r;
}

Dec DecRound(const Dec& a, int place, RoundMode mode) {
  if (a.kind != Dec::kFinite) return a;
  const int32_t target = -place;
  if (a.exponent >= target) return a;
  Dec r = a;
  DropDigits(&r, static_cast<int64_t>(target) - a.exponent, mode, false);
  return r;
}

bool DecToInt64(const Dec& a, int64_t* out) {
  if (a.kind != Dec::kFinite) return false;
  std::string digits = a.digits;
  if (a.exponent >= 0) {
    if (digits.empty()) {
      *out = 0;
      return true;
    }
    if (digits.size() + a.exponent > 20) return false;
    digits += Zeros(a.exponent);
  } else if (static_cast<int64_t>(digits.size()) + a.exponent <= 0) {
    digits.clear();
  } else {
    digits.resize(digits.size() + a.exponent);
  }
  unsigned __int128 mag = 0;
  for (char c : digits) {
    mag = mag * 10 + static_cast<unsigned>(c - '0');
    if (mag > (static_cast<unsigned __int128>(1) << 63)) return false;
  }
  if (a.negative) {
    *out = static_cast<int64_t>(-static_cast<__int128>(mag));
    return true;
  }
  if (mag > static_cast<unsigned __int128>(INT64_MAX)) return false;
  *out = static_cast<int64_t>(mag);
  return true;
}

int DecCompare(const Dec& a, const Dec& b) {
  if (a.kind == Dec::kNaN || b.kind == Dec::kNaN) {
    if (a.kind == b.kind) return 0;
    return a.kind == Dec::kNaN ? -1 : 1;
  }
  auto sign = [](const Dec& d) { return d.is_zero() ? 0 : (d.negative ? -1 : 1); };
  const int sa = sign(a), sb = sign(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int mag;
  if (a.kind == Dec::kInfinity || b.kind == Dec::kInfinity) {
    mag = (a.kind == b.kind) ? 0 : (a.kind == Dec::kInfinity ? 1 : -1);
  } else {
    const int64_t adj_a = static_cast<int64_t>(a.digits.size()) + a.exponent;
    const int64_t adj_b = static_cast<int64_t>(b.digits.size()) + b.exponent;
    if (adj_a != adj_b) {
      mag = adj_a < adj_b ? -1 : 1;
    } else {
      std::string x = a.digits, y = b.digits;
      if (x.size() < y.size()) x += Zeros(y.size() - x.size());
      if (y.size() < x.size()) y += Zeros(x.size() - y.size());
      const int c = x.compare(y);
      mag = c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return sa > 0 ? mag : -mag;
}

}  // namespace strata::query::expression::internal
