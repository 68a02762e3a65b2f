// Decoding key strings. Follows the persistent format documented at the top of key_string.cc;
// tests/document/key_string_decode_test.cc checks Encode → Decode → Encode on random values.
#include "document/key_string_decode.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "document/validate.h"

namespace strata::document {
namespace {

// Type tags and number classes of key_string.cc (persistent; never renumbered).
enum Tag : uint8_t {
  kEnd = 0x00,
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
};
constexpr uint8_t kNumberNaN = 0x10;
constexpr uint8_t kNumberNegativeInfinity = 0x20;
constexpr uint8_t kNumberNegativeHuge = 0x28;
constexpr uint8_t kNumberNegative = 0x30;
constexpr uint8_t kNumberNegativeTiny = 0x38;
constexpr uint8_t kNumberZero = 0x40;
constexpr uint8_t kNumberPositiveTiny = 0x48;
constexpr uint8_t kNumberPositive = 0x50;
constexpr uint8_t kNumberPositiveHuge = 0x58;
constexpr uint8_t kNumberPositiveInfinity = 0x60;
constexpr uint8_t kNumberExact = 0x00;
constexpr uint8_t kNumberInexact = 0x01;
constexpr int32_t kExponentBias = 0x8000;
constexpr int kMaxBitGroups = 9;  // 63 bits, 7 per byte

// Decimal128: at most 34 coefficient digits, exponents (of the integer coefficient) in
// [-6176, 6111].
constexpr int kDecimalDigits = 34;
constexpr int32_t kDecimalMinExponent = -6176;
constexpr int32_t kDecimalMaxExponent = 6111;

using uint128 = unsigned __int128;

uint128 TenToThe(int n) {
  uint128 result = 1;
  for (int i = 0; i < n; ++i) result *= 10;
  return result;
}

// Reads an encoding from the front of a byte string, un-complementing descending input.
class Reader {
 public:
  Reader(absl::string_view bytes, uint8_t mask) : bytes_(bytes), mask_(mask) {}

  size_t position() const { return position_; }

  // The next byte, XORed with the descending mask and `extra_mask` (0xFF inside a negative
  // number); false at the end.
  bool Next(uint8_t* byte, uint8_t extra_mask = 0) {
    if (position_ >= bytes_.size()) return false;
    *byte = static_cast<uint8_t>(bytes_[position_++]) ^ mask_ ^ extra_mask;
    return true;
  }

  // `count` bytes, un-complemented, appended to `*out`.
  bool Read(size_t count, std::string* out) {
    if (bytes_.size() - position_ < count) return false;
    for (size_t i = 0; i < count; ++i) {
      out->push_back(static_cast<char>(static_cast<uint8_t>(bytes_[position_ + i]) ^ mask_));
    }
    position_ += count;
    return true;
  }

  bool ReadBigEndian(int width, uint64_t* value, uint8_t extra_mask = 0) {
    uint64_t result = 0;
    for (int i = 0; i < width; ++i) {
      uint8_t byte;
      if (!Next(&byte, extra_mask)) return false;
      result = (result << 8) | byte;
    }
    *value = result;
    return true;
  }

  // The string form: 0x00 0xFF is an escaped NUL, 0x00 0x00 ends it.
  bool ReadString(std::string* out) {
    out->clear();
    while (true) {
      uint8_t byte;
      if (!Next(&byte)) return false;
      if (byte != 0x00) {
        out->push_back(static_cast<char>(byte));
        continue;
      }
      if (!Next(&byte)) return false;
      if (byte == 0x00) return true;
      if (byte != 0xFF) return false;
      out->push_back('\0');
    }
  }

  // The un-complemented bytes in [start, position()).
  std::string Since(size_t start) const {
    std::string out(bytes_.substr(start, position_ - start));
    for (char& c : out) c = static_cast<char>(static_cast<uint8_t>(c) ^ mask_);
    return out;
  }

 private:
  absl::string_view bytes_;
  uint8_t mask_;
  size_t position_ = 0;
};

bson_decimal128_t MakeDecimal128(bool negative, uint128 coefficient, int32_t exponent) {
  const uint64_t biased = static_cast<uint64_t>(exponent - kDecimalMinExponent);
  bson_decimal128_t value;
  value.high = (negative ? uint64_t{1} << 63 : 0) | (biased << 49) |
               static_cast<uint64_t>(coefficient >> 64);
  value.low = static_cast<uint64_t>(coefficient);
  return value;
}

// Sets `*value` to the decimal128 ±coefficient × 10^exponent, padding the coefficient with
// zeros when the exponent is above the decimal128 range (a clamped form such as 1E+6144).
// False when no decimal128 holds it exactly.
bool SetDecimal(bool negative, uint128 coefficient, int digits, int32_t exponent,
                bson_value_t* value) {
  while (exponent > kDecimalMaxExponent && digits < kDecimalDigits) {
    coefficient *= 10;
    ++digits;
    --exponent;
  }
  if (digits > kDecimalDigits || exponent > kDecimalMaxExponent || exponent < kDecimalMinExponent) {
    return false;
  }
  value->value_type = BSON_TYPE_DECIMAL128;
  value->value.v_decimal128 = MakeDecimal128(negative, coefficient, exponent);
  return true;
}

// The decimal magnitude 0.d1…dn × 10^X: exponent (2 bytes), digit pairs in [1, 100], 0x00.
bool ReadDecimalMagnitude(Reader* reader, uint8_t extra_mask, bool negative, bson_value_t* value) {
  uint64_t biased;
  if (!reader->ReadBigEndian(2, &biased, extra_mask)) return false;
  const int32_t exponent = static_cast<int32_t>(biased) - kExponentBias;
  uint128 coefficient = 0;
  int digits = 0;
  while (true) {
    uint8_t byte;
    if (!reader->Next(&byte, extra_mask)) return false;
    if (byte == 0x00) break;
    if (byte > 100 || digits + 2 > kDecimalDigits) return false;
    coefficient = coefficient * 100 + (byte - 1);
    digits += 2;
  }
  if (digits == 0) return false;
  // An odd digit count was padded with a trailing 0.
  if (coefficient % 10 == 0) {
    coefficient /= 10;
    --digits;
  }
  return SetDecimal(negative, coefficient, digits, exponent - digits, value);
}

// Sets `*value` to ±top × 2^(binary_exponent - 63) in its most natural type (see the header).
bool SetBinaryNumber(bool negative, uint64_t top, int32_t binary_exponent, bson_value_t* value) {
  const int trailing = __builtin_ctzll(top);
  const uint64_t odd = top >> trailing;
  const int32_t scale = binary_exponent - 63 + trailing;  // |v| = odd × 2^scale
  const int bits = 64 - __builtin_clzll(odd);
  if (scale >= 0 && bits + scale <= 64) {
    const uint64_t magnitude = odd << scale;
    if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (negative && magnitude == uint64_t{1} << 63)) {
      const int64_t integer =
          negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
      if (integer >= std::numeric_limits<int32_t>::min() &&
          integer <= std::numeric_limits<int32_t>::max()) {
        value->value_type = BSON_TYPE_INT32;
        value->value.v_int32 = static_cast<int32_t>(integer);
      } else {
        value->value_type = BSON_TYPE_INT64;
        value->value.v_int64 = integer;
      }
      return true;
    }
  }
  if (bits <= 53 && scale >= -1074) {
    const double magnitude = std::ldexp(static_cast<double>(odd), scale);
    value->value_type = BSON_TYPE_DOUBLE;
    value->value.v_double = negative ? -magnitude : magnitude;
    return true;
  }
  // Only a decimal128 holds it. For scale < 0: odd × 5^-scale × 10^scale. For scale >= 0 the
  // integer odd × 2^scale may have more than 34 digits while a decimal128 still holds it with a
  // positive exponent (3.245…E+41 is 33 digits × 10^9): with odd = r × 5^f, take out
  // e = min(f, scale) factors of ten, leaving the coefficient r × 5^(f-e) × 2^(scale-e).
  const uint128 limit = TenToThe(kDecimalDigits);
  uint128 coefficient = odd;
  int32_t decimal_exponent = 0;
  if (scale >= 0) {
    uint64_t rest = odd;
    int32_t fives = 0;
    while (rest % 5 == 0) {
      rest /= 5;
      ++fives;
    }
    decimal_exponent = std::min(fives, scale);
    coefficient = rest;
    for (int32_t i = 0; i < fives - decimal_exponent; ++i) coefficient *= 5;  // < odd
    for (int32_t i = 0; i < scale - decimal_exponent; ++i) {
      coefficient *= 2;
      if (coefficient >= limit) return false;
    }
  } else {
    for (int32_t i = 0; i < -scale; ++i) {
      coefficient *= 5;
      if (coefficient >= limit) return false;
    }
    decimal_exponent = scale;
  }
  int digits = 1;
  for (uint128 c = coefficient; c >= 10; c /= 10) ++digits;
  return SetDecimal(negative, coefficient, digits, decimal_exponent, value);
}

// The body of a number (after the Number tag).
bool ReadNumber(Reader* reader, bson_value_t* value) {
  uint8_t number_class;
  if (!reader->Next(&number_class)) return false;
  switch (number_class) {
    case kNumberNaN:
      value->value_type = BSON_TYPE_DOUBLE;
      value->value.v_double = std::numeric_limits<double>::quiet_NaN();
      return true;
    case kNumberNegativeInfinity:
    case kNumberPositiveInfinity:
      value->value_type = BSON_TYPE_DOUBLE;
      value->value.v_double = number_class == kNumberPositiveInfinity
                                  ? std::numeric_limits<double>::infinity()
                                  : -std::numeric_limits<double>::infinity();
      return true;
    case kNumberZero:
      value->value_type = BSON_TYPE_INT32;
      value->value.v_int32 = 0;
      return true;
    case kNumberPositiveTiny:
    case kNumberPositiveHuge:
      return ReadDecimalMagnitude(reader, 0x00, /*negative=*/false, value);
    case kNumberNegativeTiny:
    case kNumberNegativeHuge:
      return ReadDecimalMagnitude(reader, 0xFF, /*negative=*/true, value);
    case kNumberPositive:
    case kNumberNegative: {
      const bool negative = number_class == kNumberNegative;
      const uint8_t extra_mask = negative ? 0xFF : 0x00;
      uint64_t biased;
      if (!reader->ReadBigEndian(2, &biased, extra_mask)) return false;
      const int32_t exponent = static_cast<int32_t>(biased) - kExponentBias;
      if (exponent < -1074 || exponent > 1023) return false;
      uint64_t fraction = 0;  // the bits after the leading one, left-aligned
      for (int groups = 0;; ++groups) {
        uint8_t byte;
        if (!reader->Next(&byte, extra_mask)) return false;
        if (byte >= 0x80) {
          if (groups == kMaxBitGroups) return false;
          fraction |= static_cast<uint64_t>(byte & 0x7F) << (57 - 7 * groups);
          continue;
        }
        if (byte == kNumberExact) {
          return SetBinaryNumber(negative, (uint64_t{1} << 63) | (fraction >> 1), exponent, value);
        }
        if (byte == kNumberInexact)
          return ReadDecimalMagnitude(reader, extra_mask, negative, value);
        return false;
      }
    }
    default:
      return false;
  }
}

// True when the body of the number `value`'s encoding (after its tag) is exactly `body`:
// rejects non-canonical forms (trailing zero bit groups, padded digits, inexact bits that
// disagree with the decimal), so that decoding is the inverse of encoding.
bool BodyEncodesTo(const bson_value_t& value, absl::string_view body) {
  bson_t holder;
  bson_init(&holder);
  bson_append_value(&holder, "", 0, &value);
  bson_iter_t it;
  const bool found = bson_iter_init(&it, &holder) && bson_iter_next(&it);
  const bool same = found && absl::string_view(EncodeKeyString(it)).substr(1) == body;
  bson_destroy(&holder);
  return same;
}

void AppendInt32LittleEndian(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

// Appends one element of BSON type `type` whose value bytes are `payload`, byte for byte
// (libbson's appenders would sort regex flags and stop code at a NUL).
bool AppendRawElement(bson_t* out, bson_type_t type, absl::string_view name,
                      absl::string_view payload) {
  std::string raw;
  AppendInt32LittleEndian(0, &raw);
  raw.push_back(static_cast<char>(type));
  raw.append(name.data(), name.size());
  raw.push_back('\0');
  raw.append(payload.data(), payload.size());
  raw.push_back('\0');
  const uint32_t size = static_cast<uint32_t>(raw.size());
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(size >> (8 * i));
  bson_t element;
  return bson_init_static(&element, reinterpret_cast<const uint8_t*>(raw.data()), raw.size()) &&
         bson_concat(out, &element);
}

// A BSON string value: int32 length (with the NUL), bytes, NUL.
void AppendBsonString(absl::string_view text, std::string* out) {
  AppendInt32LittleEndian(static_cast<uint32_t>(text.size() + 1), out);
  out->append(text.data(), text.size());
  out->push_back('\0');
}

// One open object, array or CodeWScope scope while decoding.
struct Frame {
  enum class Kind { kObject, kArray, kScope };
  Kind kind;
  bson_t doc;               // a child of the parent's doc, or (kScope) a document of its own
  uint32_t next_index = 0;  // kArray: the name of the next element
  std::string name;         // kScope: the element name and the code
  std::string code;
};

class Decoder {
 public:
  Decoder(absl::string_view bytes, uint8_t mask) : bytes_(bytes), reader_(bytes, mask) {}
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  ~Decoder() {
    // After an error: scopes own their buffers; objects and arrays live in their parent's.
    for (const std::unique_ptr<Frame>& frame : stack_) {
      if (frame->kind == Frame::Kind::kScope) bson_destroy(&frame->doc);
    }
  }

  size_t position() const { return reader_.position(); }

  // Decodes one value into `out` under `name`.
  absl::Status Decode(absl::string_view name, bson_t* out) {
    root_ = out;
    uint8_t tag;
    if (!reader_.Next(&tag)) return Corrupt("missing value");
    RETURN_IF_ERROR(Value(tag, name));
    std::string field_name;
    while (!stack_.empty()) {
      if (!reader_.Next(&tag)) return Corrupt("unterminated object or array");
      if (tag == kEnd) {
        RETURN_IF_ERROR(Pop());
        continue;
      }
      Frame& frame = *stack_.back();
      if (frame.kind == Frame::Kind::kArray) {
        field_name = std::to_string(frame.next_index++);
      } else {
        if (!reader_.ReadString(&field_name)) return Corrupt("malformed field name");
        if (field_name.find('\0') != std::string::npos ||
            !IsValidUtf8(field_name.data(), field_name.size())) {
          return Corrupt("invalid field name");
        }
      }
      RETURN_IF_ERROR(Value(tag, field_name));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat("malformed key string (", what, ") at byte ",
                                            reader_.position(), " of ", bytes_.size()));
  }

  bson_t* Parent() { return stack_.empty() ? root_ : &stack_.back()->doc; }

  absl::Status Push(Frame::Kind kind, absl::string_view name, std::string code = {}) {
    if (stack_.size() >= static_cast<size_t>(kMaxNestingDepth)) {
      return Corrupt("nested too deep");
    }
    auto frame = std::make_unique<Frame>();
    frame->kind = kind;
    bool ok = true;
    switch (kind) {
      case Frame::Kind::kObject:
        ok = bson_append_document_begin(Parent(), name.data(), static_cast<int>(name.size()),
                                        &frame->doc);
        break;
      case Frame::Kind::kArray:
        ok = bson_append_array_begin(Parent(), name.data(), static_cast<int>(name.size()),
                                     &frame->doc);
        break;
      case Frame::Kind::kScope:
        bson_init(&frame->doc);
        frame->name = std::string(name);
        frame->code = std::move(code);
        break;
    }
    if (!ok) return Corrupt("document too large");
    stack_.push_back(std::move(frame));
    return absl::OkStatus();
  }

  // Closes the innermost frame into its parent.
  absl::Status Pop() {
    std::unique_ptr<Frame> frame = std::move(stack_.back());
    stack_.pop_back();
    bson_t* parent = Parent();
    switch (frame->kind) {
      case Frame::Kind::kObject:
        if (!bson_append_document_end(parent, &frame->doc)) return Corrupt("document too large");
        return absl::OkStatus();
      case Frame::Kind::kArray:
        if (!bson_append_array_end(parent, &frame->doc)) return Corrupt("document too large");
        return absl::OkStatus();
      case Frame::Kind::kScope: {
        std::string payload;
        AppendInt32LittleEndian(0, &payload);  // total length, set below
        AppendBsonString(frame->code, &payload);
        payload.append(reinterpret_cast<const char*>(bson_get_data(&frame->doc)), frame->doc.len);
        const uint32_t total = static_cast<uint32_t>(payload.size());
        for (int i = 0; i < 4; ++i) payload[i] = static_cast<char>(total >> (8 * i));
        bson_destroy(&frame->doc);
        if (!AppendRawElement(parent, BSON_TYPE_CODEWSCOPE, frame->name, payload)) {
          return Corrupt("document too large");
        }
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadText(std::string* text, absl::string_view what) {
    if (!reader_.ReadString(text)) return Corrupt(what);
    if (!IsValidUtf8(text->data(), text->size())) return Corrupt(absl::StrCat(what, ": UTF-8"));
    return absl::OkStatus();
  }

  // Decodes the body of a value of type `tag` and appends it to the current parent; opens a
  // frame for objects, arrays and scopes.
  absl::Status Value(uint8_t tag, absl::string_view name) {
    bson_t* parent = Parent();
    const char* key = name.data();
    const int key_length = static_cast<int>(name.size());
    bool ok = true;
    switch (tag) {
      case kMinKey:
        ok = bson_append_minkey(parent, key, key_length);
        break;
      case kMaxKey:
        ok = bson_append_maxkey(parent, key, key_length);
        break;
      case kUndefined:
        ok = bson_append_undefined(parent, key, key_length);
        break;
      case kNull:
        ok = bson_append_null(parent, key, key_length);
        break;
      case kNumber: {
        const size_t start = reader_.position();
        bson_value_t value;
        if (!ReadNumber(&reader_, &value)) return Corrupt("malformed number");
        if (!BodyEncodesTo(value, reader_.Since(start))) return Corrupt("non-canonical number");
        ok = bson_append_value(parent, key, key_length, &value);
        break;
      }
      case kString: {
        RETURN_IF_ERROR(ReadText(&text_, "malformed string"));
        ok =
            bson_append_utf8(parent, key, key_length, text_.data(), static_cast<int>(text_.size()));
        break;
      }
      case kObject:
        return Push(Frame::Kind::kObject, name);
      case kArray:
        return Push(Frame::Kind::kArray, name);
      case kBinData: {
        uint64_t length;
        std::string data;
        if (!reader_.ReadBigEndian(4, &length)) return Corrupt("malformed BinData");
        uint8_t subtype;
        if (!reader_.Next(&subtype) || !reader_.Read(length, &data)) {
          return Corrupt("malformed BinData");
        }
        const uint8_t* bytes = reinterpret_cast<const uint8_t*>(data.data());
        if (subtype == BSON_SUBTYPE_BINARY_DEPRECATED) {
          // The ordering bytes keep the inner length, which bson_append_binary writes itself.
          uint32_t inner = 0;
          if (length >= 4) std::memcpy(&inner, bytes, 4);
          if (length < 4 || BSON_UINT32_FROM_LE(inner) != length - 4) {
            return Corrupt("malformed old-style BinData");
          }
          bytes += 4;
          length -= 4;
        }
        ok = bson_append_binary(parent, key, key_length, static_cast<bson_subtype_t>(subtype),
                                bytes, static_cast<uint32_t>(length));
        break;
      }
      case kObjectId: {
        std::string bytes;
        if (!reader_.Read(12, &bytes)) return Corrupt("malformed ObjectId");
        bson_oid_t oid;
        std::memcpy(oid.bytes, bytes.data(), 12);
        ok = bson_append_oid(parent, key, key_length, &oid);
        break;
      }
      case kBool: {
        uint8_t byte;
        if (!reader_.Next(&byte) || byte > 1) return Corrupt("malformed bool");
        ok = bson_append_bool(parent, key, key_length, byte == 1);
        break;
      }
      case kDate: {
        uint64_t flipped;
        if (!reader_.ReadBigEndian(8, &flipped)) return Corrupt("malformed Date");
        ok = bson_append_date_time(parent, key, key_length,
                                   static_cast<int64_t>(flipped ^ (uint64_t{1} << 63)));
        break;
      }
      case kTimestamp: {
        uint64_t t;
        uint64_t i;
        if (!reader_.ReadBigEndian(4, &t) || !reader_.ReadBigEndian(4, &i)) {
          return Corrupt("malformed Timestamp");
        }
        ok = bson_append_timestamp(parent, key, key_length, static_cast<uint32_t>(t),
                                   static_cast<uint32_t>(i));
        break;
      }
      case kRegex: {
        std::string pattern;
        std::string flags;
        RETURN_IF_ERROR(ReadText(&pattern, "malformed regex pattern"));
        RETURN_IF_ERROR(ReadText(&flags, "malformed regex flags"));
        if (pattern.find('\0') != std::string::npos || flags.find('\0') != std::string::npos) {
          return Corrupt("NUL in a regex");
        }
        std::string payload = pattern;
        payload.push_back('\0');
        payload += flags;
        payload.push_back('\0');
        ok = AppendRawElement(parent, BSON_TYPE_REGEX, name, payload);
        break;
      }
      case kDBPointer: {
        uint64_t length;
        std::string ns;
        std::string oid;
        if (!reader_.ReadBigEndian(4, &length) || !reader_.Read(length, &ns) ||
            !reader_.Read(12, &oid)) {
          return Corrupt("malformed DBPointer");
        }
        if (!IsValidUtf8(ns.data(), ns.size())) {
          return Corrupt("malformed DBPointer namespace");
        }
        std::string payload;
        AppendBsonString(ns, &payload);
        payload += oid;
        ok = AppendRawElement(parent, BSON_TYPE_DBPOINTER, name, payload);
        break;
      }
      case kCode: {
        RETURN_IF_ERROR(ReadText(&text_, "malformed code"));
        std::string payload;
        AppendBsonString(text_, &payload);
        ok = AppendRawElement(parent, BSON_TYPE_CODE, name, payload);
        break;
      }
      case kCodeWScope: {
        std::string code;
        RETURN_IF_ERROR(ReadText(&code, "malformed code"));
        return Push(Frame::Kind::kScope, name, std::move(code));
      }
      default:
        return Corrupt(absl::StrCat("unknown type tag ", static_cast<int>(tag)));
    }
    if (!ok) return Corrupt("document too large");
    return absl::OkStatus();
  }

  absl::string_view bytes_;
  Reader reader_;
  bson_t* root_ = nullptr;
  std::vector<std::unique_ptr<Frame>> stack_;  // open containers, innermost last
  std::string text_;                           // scratch for strings
};

absl::Status AppendDecoded(absl::string_view* bytes, absl::string_view field_name, uint8_t mask,
                           bson_t* out) {
  if (field_name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a field name cannot contain a NUL byte");
  }
  // Decode into a document of our own, so that `out` changes only on success.
  bson_t decoded;
  bson_init(&decoded);
  size_t size = 0;
  absl::Status status;
  {
    Decoder decoder(*bytes, mask);
    status = decoder.Decode(field_name, &decoded);
    size = decoder.position();
  }
  if (status.ok() && !bson_concat(out, &decoded)) {
    status = absl::DataLossError("decoded key string value too large");
  }
  bson_destroy(&decoded);
  if (status.ok()) bytes->remove_prefix(size);
  return status;
}

}  // namespace

absl::Status AppendDecodedKeyString(absl::string_view* bytes, absl::string_view field_name,
                                    bson_t* out) {
  return AppendDecoded(bytes, field_name, 0x00, out);
}

absl::Status AppendDecodedKeyStringDescending(absl::string_view* bytes,
                                              absl::string_view field_name, bson_t* out) {
  return AppendDecoded(bytes, field_name, 0xFF, out);
}

absl::StatusOr<Document> DecodeKeyString(absl::string_view bytes) {
  Document doc;
  absl::string_view rest = bytes;
  absl::Status status = AppendDecodedKeyString(&rest, "v", doc.mutable_bson());
  if (!status.ok()) return status;
  if (!rest.empty()) {
    return absl::DataLossError(absl::StrCat("malformed key string (", rest.size(),
                                            " bytes after the value) at byte ",
                                            bytes.size() - rest.size(), " of ", bytes.size()));
  }
  return doc;
}

}  // namespace strata::document
