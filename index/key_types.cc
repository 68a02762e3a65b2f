#include "index/key_types.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "document/key_string_decode.h"
#include "index/key_string_skip.h"

namespace strata::index {
namespace {

// Types whose value the key string determines exactly once the type is known (numbers of
// these types are exact in the key's binary form; strings, ids, dates… are stored verbatim).
bool RebuildIsExact(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
    case BSON_TYPE_OID:
    case BSON_TYPE_BOOL:
    case BSON_TYPE_DATE_TIME:
    case BSON_TYPE_TIMESTAMP:
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_MINKEY:
    case BSON_TYPE_MAXKEY:
      return true;
    default:
      return false;  // doubles are handled by the caller; the rest is verified
  }
}

// The value at `path` in `doc`, through embedded documents only. Returns the value's type code
// and sets `*value`; a missing path gives its missing code; an array on the way (or at the
// end) gives kKeyPartNotRebuildable.
uint8_t Resolve(DocumentView doc, absl::string_view path, bson_iter_t* value) {
  const uint8_t* data = doc.data();
  uint32_t size = static_cast<uint32_t>(doc.size());
  int depth = 0;
  while (true) {
    const size_t dot = path.find('.');
    const absl::string_view name = path.substr(0, dot);
    bson_iter_t it;
    bool found = false;
    if (bson_iter_init_from_data(&it, data, size)) {
      while (bson_iter_next(&it)) {
        if (absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it)) == name) {
          found = true;
          break;
        }
      }
    }
    auto missing = [depth]() {
      return depth <= kMaxMissingDepth ? static_cast<uint8_t>(kKeyPartMissing + depth)
                                       : kKeyPartNotRebuildable;
    };
    if (!found) return missing();
    const bson_type_t type = bson_iter_type(&it);
    if (type == BSON_TYPE_ARRAY) return kKeyPartNotRebuildable;
    if (dot == absl::string_view::npos) {
      *value = it;
      return static_cast<uint8_t>(type);
    }
    if (type != BSON_TYPE_DOCUMENT) return missing();
    bson_iter_document(&it, &size, &data);
    path = path.substr(dot + 1);
    ++depth;
  }
}

// Appends a decimal128 equal to the number at `it` (any numeric type) to `out`.
bool AppendAsDecimal(const bson_iter_t& it, absl::string_view name, bson_t* out) {
  std::string text;
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      return bson_append_decimal128(out, name.data(), static_cast<int>(name.size()), &value);
    }
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
      text = absl::StrCat(bson_iter_as_int64(&it));
      break;
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(&it);
      if (std::isnan(d)) {
        text = "NaN";
      } else if (std::isinf(d)) {
        text = d > 0 ? "Infinity" : "-Infinity";
      } else {
        char buffer[64];
        auto result = std::to_chars(buffer, buffer + sizeof(buffer), d);
        text.assign(buffer, result.ptr);
      }
      break;
    }
    default:
      return false;
  }
  bson_decimal128_t value;
  if (!bson_decimal128_from_string(text.c_str(), &value)) return false;
  return bson_append_decimal128(out, name.data(), static_cast<int>(name.size()), &value);
}

// Appends the decoded value `it` (in its natural decoded type) converted to `code`.
bool AppendConverted(const bson_iter_t& it, uint8_t code, absl::string_view name, bson_t* out) {
  const char* key = name.data();
  const int length = static_cast<int>(name.size());
  const bson_type_t decoded = bson_iter_type(&it);
  const bool numeric = decoded == BSON_TYPE_INT32 || decoded == BSON_TYPE_INT64 ||
                       decoded == BSON_TYPE_DOUBLE || decoded == BSON_TYPE_DECIMAL128;
  if (code == kKeyPartNegativeZero) {
    return numeric && bson_append_double(out, key, length, -0.0);
  }
  switch (static_cast<bson_type_t>(code)) {
    case BSON_TYPE_INT32:
      if (decoded != BSON_TYPE_INT32) return false;
      return bson_append_int32(out, key, length, bson_iter_int32(&it));
    case BSON_TYPE_INT64:
      if (decoded != BSON_TYPE_INT32 && decoded != BSON_TYPE_INT64) return false;
      return bson_append_int64(out, key, length, bson_iter_as_int64(&it));
    case BSON_TYPE_DOUBLE:
      if (decoded == BSON_TYPE_INT32 || decoded == BSON_TYPE_INT64) {
        return bson_append_double(out, key, length, static_cast<double>(bson_iter_as_int64(&it)));
      }
      if (decoded != BSON_TYPE_DOUBLE) return false;
      return bson_append_double(out, key, length, bson_iter_double(&it));
    case BSON_TYPE_DECIMAL128:
      return numeric && AppendAsDecimal(it, name, out);
    case BSON_TYPE_SYMBOL: {
      if (decoded != BSON_TYPE_UTF8) return false;
      uint32_t size = 0;
      const char* text = bson_iter_utf8(&it, &size);
      return bson_append_symbol(out, key, length, text, static_cast<int>(size));
    }
    default:
      if (static_cast<uint8_t>(decoded) != code) return false;
      return bson_append_iter(out, key, length, &it);
  }
}

// Whether decoding a key part of type `code` gives a value of that very type (decode header:
// everything but numbers other than int32, Symbol, and the special codes), so no conversion
// is needed. An int32 decodes as int32: the key holds an integer within int32 range.
bool DecodesAsItself(uint8_t code) {
  switch (code) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
    case BSON_TYPE_SYMBOL:
    case kKeyPartNegativeZero:
    case kKeyPartNotRebuildable:
      return false;
    default:
      return code < kKeyPartMissing || code == BSON_TYPE_MINKEY;
  }
}

}  // namespace

bool IsMissingCode(uint8_t code, int* depth) {
  if (code < kKeyPartMissing || code > kKeyPartMissing + kMaxMissingDepth) return false;
  *depth = code - kKeyPartMissing;
  return true;
}

absl::StatusOr<std::string> KeyPartTypes(const std::vector<KeyPart>& parts, DocumentView doc,
                                         absl::string_view key, bool single_key) {
  std::string codes(parts.size(), static_cast<char>(kKeyPartNotRebuildable));
  if (!single_key) return codes;
  absl::string_view rest = key;
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view part_bytes = rest;
    ASSIGN_OR_RETURN(const size_t size, KeyStringValueSize(rest, parts[i].descending));
    part_bytes = rest.substr(0, size);
    rest.remove_prefix(size);
    bson_iter_t value;
    uint8_t code = Resolve(doc, parts[i].path, &value);
    int depth = 0;
    if (code == kKeyPartNotRebuildable || IsMissingCode(code, &depth)) {
      codes[i] = static_cast<char>(code);
      continue;
    }
    const bson_type_t type = bson_iter_type(&value);
    bool verify = !RebuildIsExact(type);
    if (type == BSON_TYPE_DOUBLE) {
      const double d = bson_iter_double(&value);
      verify = std::isnan(d);  // only NaN payloads can differ
      if (d == 0 && std::signbit(d)) code = kKeyPartNegativeZero;
    }
    if (type == BSON_TYPE_ARRAY) code = kKeyPartNotRebuildable;
    if (verify && code != kKeyPartNotRebuildable) {
      bson_t original = BSON_INITIALIZER;
      bson_t rebuilt = BSON_INITIALIZER;
      bson_append_iter(&original, "", 0, &value);
      absl::string_view bytes = part_bytes;
      const bool same =
          AppendRebuiltKeyPart(&bytes, parts[i].descending, code, "", &rebuilt).ok() &&
          original.len == rebuilt.len &&
          std::memcmp(bson_get_data(&original), bson_get_data(&rebuilt), original.len) == 0;
      bson_destroy(&original);
      bson_destroy(&rebuilt);
      if (!same) code = kKeyPartNotRebuildable;
    }
    codes[i] = static_cast<char>(code);
  }
  if (!rest.empty()) return absl::DataLossError("index key has bytes after its key parts");
  return codes;
}

absl::Status AppendRebuiltKeyPart(absl::string_view* key, bool descending, uint8_t code,
                                  absl::string_view field_name, bson_t* out) {
  if (code == kKeyPartNotRebuildable) {
    return absl::FailedPreconditionError("the index entry's value cannot be rebuilt from its key");
  }
  int depth = 0;
  const bool missing = IsMissingCode(code, &depth);
  if (!missing && DecodesAsItself(code)) {
    // The decoder's natural type is the value's type: decode straight into `out`.
    absl::string_view rest = *key;
    const uint32_t old_len = out->len;
    RETURN_IF_ERROR(descending ? document::AppendDecodedKeyStringDescending(&rest, field_name, out)
                               : document::AppendDecodedKeyString(&rest, field_name, out));
    // The new element starts where the old terminating NUL was; its first byte is its type.
    if (bson_get_data(out)[old_len - 1] != code) {
      return absl::DataLossError(
          absl::StrCat("index key part does not fit its recorded type code ", code));
    }
    *key = rest;
    return absl::OkStatus();
  }
  bson_t scratch = BSON_INITIALIZER;
  absl::string_view rest = *key;
  absl::Status decoded = descending
                             ? document::AppendDecodedKeyStringDescending(&rest, "v", &scratch)
                             : document::AppendDecodedKeyString(&rest, "v", &scratch);
  if (!decoded.ok()) {
    bson_destroy(&scratch);
    return decoded;
  }
  bool ok = true;
  if (!missing) {
    bson_iter_t it;
    ok = bson_iter_init(&it, &scratch) && bson_iter_next(&it) &&
         AppendConverted(it, code, field_name, out);
  }
  bson_destroy(&scratch);
  if (!ok) {
    return absl::DataLossError(
        absl::StrCat("index key part does not fit its recorded type code ", code));
  }
  *key = rest;
  return absl::OkStatus();
}

}  // namespace strata::index
