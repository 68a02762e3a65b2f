// Order-preserving key strings. See key_string.h for the invariant.
//
// FORMAT (persistent: never renumber a tag or change a layout).
//
// A value is one type tag byte followed by a body. Tags follow the canonical type order of
// compare.h; numbers share one tag (their body orders them across int32/int64/double/
// decimal128), String and Symbol share one tag:
//   MinKey 0x0A  Undefined 0x0F  Null 0x14  Number 0x1E  String/Symbol 0x28  Object 0x32
//   Array 0x3C  BinData 0x46  ObjectId 0x50  Bool 0x5A  Date 0x64  Timestamp 0x6E  Regex 0x78
//   DBPointer 0x82  Code 0x8C  CodeWScope 0x96  MaxKey 0xF0
// Tags and their complements (descending parts) all lie in [0x0A, 0xF5], so MinKeyString()
// = "\x01" sorts before, and MaxKeyString() = "\xFF" after, every ascending AND every
// descending encoding; 0x00 is the end marker inside objects and arrays.
//
// Bodies:
//   MinKey, MaxKey, Undefined, Null   empty.
//   Number     a class byte, ascending: NaN 0x10 < -Inf 0x20 < -huge 0x28 < negative 0x30
//              < -tiny 0x38 < zero 0x40 < +tiny 0x48 < positive 0x50 < +huge 0x58 < +Inf 0x60.
//              NaN, ±Inf and zero (any type, any sign, any decimal exponent) have no more.
//              positive (2^-1074 <= |v| < 2^1024: every int32, int64 and finite double, and
//              decimals in that range): E = floor(log2 |v|) + 0x8000 as 2 bytes BE; the 63
//              bits after the leading one, 7 bits per byte from the top, each byte 0x80 | bits,
//              trailing all-zero groups left out; then 0x00 if those 64 bits are all of |v|,
//              else (a decimal128 with a longer binary expansion) 0x01 followed by the
//              decimal magnitude below. Comparing two such numbers: exponent, then bits (a
//              value whose remaining groups were left out reaches a byte < 0x80 while the
//              other still has a group byte >= 0x80, i.e. more bits), then exact (0x00) before
//              inexact (0x01), then inexact ones among themselves by their decimal magnitude.
//              tiny/huge (decimal128 only): the decimal magnitude.
//              The decimal magnitude of 0.d1…dn × 10^X (d1, dn non-zero; exact_number.h):
//              X + 0x8000 as 2 bytes BE, the digits two per byte as 1 + 10·d(2k-1) + d(2k) (an
//              odd count padded with 0), then 0x00; digit bytes are in [1, 100], so a shorter
//              digit string (smaller magnitude) ends first.
//              Negative numbers complement every byte after the class byte. Equal values of
//              any numeric types have the same exponent, bits and decimal form, hence the
//              same bytes. Why binary first: doubles and integers, the common keys, then
//              encode with bit operations only, in 4 to 13 body bytes (int 1 is 1E 50 80 00 00),
//              whereas the exact decimal expansion of a double can run to 767 digits; a
//              decimal128 body takes at most 33 bytes.
//   String     the bytes with each 0x00 written as 0x00 0xFF, then 0x00 0x00. Symbol, Code,
//              regex pattern and regex flags use the same string form.
//   Object     per element: its tag, its field name as a string, its body; then 0x00.
//   Array      per element: its tag, its body; then 0x00.
//   BinData    length (4 bytes BE), subtype (1 byte), bytes (BinDataForOrdering).
//   ObjectId   the 12 bytes.          Bool  0x00 or 0x01.
//   Date       the int64 milliseconds with the sign bit flipped, 8 bytes BE.
//   Timestamp  t then i, 4 bytes BE each.
//   Regex      pattern string, then flags string.
//   DBPointer  namespace length (4 bytes BE), namespace bytes, the 12 ObjectId bytes.
//   CodeWScope code string, then the scope as an Object body.
// Every body is self-delimiting (fixed width, length-prefixed or terminated), which makes the
// whole encoding prefix-free: comparing two different encodings always stops at a differing
// byte inside both, so complementing reverses order and concatenations compare part by part.
#include "document/key_string.h"

#include <cstring>

#include "document/compare.h"
#include "document/exact_number.h"

namespace strata::document {
namespace {

using internal::ExactDecimal;
using internal::NumberClass;
using internal::NumberKeyForm;

enum Tag : uint8_t {
  kEnd = 0x00,
  kMinKeyStringByte = 0x01,
  kMinKey = 0x0A,
  kUndefined = 0x0F,
  kNull = 0x14,
  kNumber = 0x1E,
  kString = 0x28,
  kObject = 0x32,
  kArray = 0x3C,
  kBinData = 0x46,
  kObjectId = 0x50,
  kBool = 0x5A,
  kDate = 0x64,
  kTimestamp = 0x6E,
  kRegex = 0x78,
  kDBPointer = 0x82,
  kCode = 0x8C,
  kCodeWScope = 0x96,
  kMaxKey = 0xF0,
  kMaxKeyStringByte = 0xFF,
};

// Number class bytes (ascending value order).
constexpr uint8_t kNumberNaN = 0x10;
constexpr uint8_t kNumberNegativeInfinity = 0x20;
constexpr uint8_t kNumberNegativeHuge = 0x28;  // decimal128 only, <= -2^1024
constexpr uint8_t kNumberNegative = 0x30;      // -2^1024 < v <= -2^-1074
constexpr uint8_t kNumberNegativeTiny = 0x38;  // decimal128 only, -2^-1074 < v < 0
constexpr uint8_t kNumberZero = 0x40;
constexpr uint8_t kNumberPositiveTiny = 0x48;  // decimal128 only, 0 < v < 2^-1074
constexpr uint8_t kNumberPositive = 0x50;      // 2^-1074 <= v < 2^1024
constexpr uint8_t kNumberPositiveHuge = 0x58;  // decimal128 only, >= 2^1024
constexpr uint8_t kNumberPositiveInfinity = 0x60;
// After the bits of a binary-range number: exact, or a decimal128 with more bits to come.
constexpr uint8_t kNumberExact = 0x00;
constexpr uint8_t kNumberInexact = 0x01;
constexpr int32_t kExponentBias = 0x8000;

uint8_t TagFor(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_MINKEY:
      return kMinKey;
    case BSON_TYPE_NULL:
      return kNull;
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      return kNumber;
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
      return kString;
    case BSON_TYPE_DOCUMENT:
      return kObject;
    case BSON_TYPE_ARRAY:
      return kArray;
    case BSON_TYPE_BINARY:
      return kBinData;
    case BSON_TYPE_OID:
      return kObjectId;
    case BSON_TYPE_BOOL:
      return kBool;
    case BSON_TYPE_DATE_TIME:
      return kDate;
    case BSON_TYPE_TIMESTAMP:
      return kTimestamp;
    case BSON_TYPE_REGEX:
      return kRegex;
    case BSON_TYPE_DBPOINTER:
      return kDBPointer;
    case BSON_TYPE_CODE:
      return kCode;
    case BSON_TYPE_CODEWSCOPE:
      return kCodeWScope;
    case BSON_TYPE_MAXKEY:
      return kMaxKey;
    default:
      // Undefined, EOO and non-types (which validation rejects) rank as Undefined.
      return kUndefined;
  }
}

void AppendBigEndian32(uint32_t value, std::string* out) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  out->append(bytes, 4);
}

void AppendBigEndian64(uint64_t value, std::string* out) {
  char bytes[8];
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(value);
    value >>= 8;
  }
  out->append(bytes, 8);
}

// The string form: 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x00.
void AppendString(const char* data, size_t length, std::string* out) {
  const char* end = data + length;
  while (data < end) {
    const void* zero = std::memchr(data, 0, end - data);
    if (zero == nullptr) {
      out->append(data, end - data);
      break;
    }
    const char* after = static_cast<const char*>(zero) + 1;
    out->append(data, after - data);
    out->push_back('\xFF');
    data = after;
  }
  out->append("\0\0", 2);
}

// Writes the magnitude of a decimal as exponent (2 bytes) + packed digits + 0x00.
size_t WriteDecimalMagnitude(const ExactDecimal& decimal, uint8_t* out) {
  size_t size = 0;
  const uint32_t exponent = static_cast<uint32_t>(decimal.exponent() + kExponentBias);
  out[size++] = static_cast<uint8_t>(exponent >> 8);
  out[size++] = static_cast<uint8_t>(exponent);
  const uint8_t* digits = decimal.digits();
  const int count = decimal.num_digits();
  int i = 0;
  for (; i + 1 < count; i += 2)
    out[size++] = static_cast<uint8_t>(1 + digits[i] * 10 + digits[i + 1]);
  if (i < count) out[size++] = static_cast<uint8_t>(1 + digits[i] * 10);
  out[size++] = 0x00;
  return size;
}

void AppendNumber(const bson_iter_t& it, std::string* out) {
  NumberKeyForm form;
  ExactDecimal decimal;  // filled for decimal128 only
  GetNumberKeyForm(it, &form, &decimal);
  // Class byte, then at most 2 + 9 + 1 + (2 + 17 + 1) bytes.
  uint8_t buffer[40];
  size_t size = 0;
  switch (form.number_class) {
    case NumberClass::kNaN:
      buffer[size++] = kNumberNaN;
      break;
    case NumberClass::kNegativeInfinity:
      buffer[size++] = kNumberNegativeInfinity;
      break;
    case NumberClass::kZero:
      buffer[size++] = kNumberZero;
      break;
    case NumberClass::kPositiveInfinity:
      buffer[size++] = kNumberPositiveInfinity;
      break;
    case NumberClass::kNegative:
    case NumberClass::kPositive: {
      const bool negative = form.number_class == NumberClass::kNegative;
      switch (form.range) {
        case NumberKeyForm::Range::kTiny:
          buffer[size++] = negative ? kNumberNegativeTiny : kNumberPositiveTiny;
          size += WriteDecimalMagnitude(decimal, buffer + size);
          break;
        case NumberKeyForm::Range::kHuge:
          buffer[size++] = negative ? kNumberNegativeHuge : kNumberPositiveHuge;
          size += WriteDecimalMagnitude(decimal, buffer + size);
          break;
        case NumberKeyForm::Range::kBinary: {
          buffer[size++] = negative ? kNumberNegative : kNumberPositive;
          const uint32_t exponent = static_cast<uint32_t>(form.binary_exponent + kExponentBias);
          buffer[size++] = static_cast<uint8_t>(exponent >> 8);
          buffer[size++] = static_cast<uint8_t>(exponent);
          // The 63 bits after the leading one, 7 per byte with the high bit set; trailing zero
          // groups are left out (every continuation byte below is < 0x80).
          uint64_t fraction = form.top << 1;
          while (fraction != 0) {
            buffer[size++] = static_cast<uint8_t>(0x80 | (fraction >> 57));
            fraction <<= 7;
          }
          if (form.inexact) {
            buffer[size++] = kNumberInexact;
            size += WriteDecimalMagnitude(decimal, buffer + size);
          } else {
            buffer[size++] = kNumberExact;
          }
          break;
        }
      }
      if (negative) {
        for (size_t j = 1; j < size; ++j) buffer[j] = static_cast<uint8_t>(~buffer[j]);
      }
      break;
    }
  }
  out->append(reinterpret_cast<const char*>(buffer), size);
}

void AppendBody(const bson_iter_t& it, std::string* out);

// Elements of an object (with names) or array (without), then the end marker. A null or
// unreadable iterator encodes as empty, as CompareValues treats it.
void AppendElements(bson_iter_t* children, bool with_names, std::string* out) {
  while (children != nullptr && bson_iter_next(children)) {
    out->push_back(static_cast<char>(TagFor(bson_iter_type(children))));
    if (with_names) AppendString(bson_iter_key(children), bson_iter_key_len(children), out);
    AppendBody(*children, out);
  }
  out->push_back(static_cast<char>(kEnd));
}

void AppendBody(const bson_iter_t& it, std::string* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      AppendNumber(it, out);
      return;
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* bytes = bson_iter_utf8(&it, &length);
      AppendString(bytes, length, out);
      return;
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* bytes = bson_iter_symbol(&it, &length);
      AppendString(bytes, length, out);
      return;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bson_iter_t children;
      AppendElements(bson_iter_recurse(&it, &children) ? &children : nullptr,
                     bson_iter_type(&it) == BSON_TYPE_DOCUMENT, out);
      return;
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length;
      const uint8_t* data;
      BinDataForOrdering(it, &subtype, &length, &data);
      AppendBigEndian32(length, out);
      out->push_back(static_cast<char>(subtype));
      out->append(reinterpret_cast<const char*>(data), length);
      return;
    }
    case BSON_TYPE_OID:
      out->append(reinterpret_cast<const char*>(bson_iter_oid(&it)->bytes), 12);
      return;
    case BSON_TYPE_BOOL:
      out->push_back(bson_iter_bool(&it) ? 1 : 0);
      return;
    case BSON_TYPE_DATE_TIME:
      AppendBigEndian64(static_cast<uint64_t>(bson_iter_date_time(&it)) ^ (uint64_t{1} << 63), out);
      return;
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0;
      uint32_t i = 0;
      bson_iter_timestamp(&it, &t, &i);
      AppendBigEndian32(t, out);
      AppendBigEndian32(i, out);
      return;
    }
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      AppendString(pattern, std::strlen(pattern), out);
      AppendString(options, std::strlen(options), out);
      return;
    }
    case BSON_TYPE_DBPOINTER: {
      uint32_t length = 0;
      const char* ns = nullptr;
      const bson_oid_t* oid = nullptr;
      bson_iter_dbpointer(&it, &length, &ns, &oid);
      AppendBigEndian32(length, out);
      out->append(ns, length);
      out->append(reinterpret_cast<const char*>(oid->bytes), 12);
      return;
    }
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      AppendString(code, length, out);
      return;
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t length = 0;
      uint32_t scope_length = 0;
      const uint8_t* scope = nullptr;
      const char* code = bson_iter_codewscope(&it, &length, &scope_length, &scope);
      AppendString(code, length, out);
      bson_iter_t children;
      AppendElements(bson_iter_init_from_data(&children, scope, scope_length) ? &children : nullptr,
                     /*with_names=*/true, out);
      return;
    }
    default:
      // MinKey, MaxKey, Undefined, Null: the tag says it all.
      return;
  }
}

}  // namespace

void AppendKeyString(const bson_iter_t& it, std::string* out) {
  out->push_back(static_cast<char>(TagFor(bson_iter_type(&it))));
  AppendBody(it, out);
}

void AppendKeyStringDescending(const bson_iter_t& it, std::string* out) {
  const size_t start = out->size();
  AppendKeyString(it, out);
  for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
}

std::string EncodeKeyString(const bson_iter_t& it) {
  std::string out;
  AppendKeyString(it, &out);
  return out;
}

std::string MinKeyString() { return std::string(1, static_cast<char>(kMinKeyStringByte)); }

std::string MaxKeyString() { return std::string(1, static_cast<char>(kMaxKeyStringByte)); }

}  // namespace strata::document
