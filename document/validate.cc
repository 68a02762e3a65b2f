#include "document/validate.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"

namespace strata::document {
namespace {

int32_t ReadInt32(const uint8_t* p) {
  uint32_t v = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
               (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
  return static_cast<int32_t>(v);
}

// One document or array being walked: where its elements end and which names it has seen.
struct Frame {
  size_t end;  // offset of the document's terminating NUL
  bool is_array;
  absl::string_view name;  // the field holding this document (empty at the top)
  // Names seen so far; small documents use a linear scan, large ones switch to a hash set.
  std::vector<absl::string_view> names;
  absl::flat_hash_set<absl::string_view> name_set;
};

class Walker {
 public:
  Walker(const uint8_t* data, size_t size, const ValidateOptions& options)
      : data_(data), size_(size), options_(options) {}

  absl::Status Run() {
    if (size_ > options_.max_size) {
      return MongoError(ErrorCode::kBSONObjectTooLarge,
                        absl::StrFormat("document is too large: %d bytes, the maximum is %d", size_,
                                        options_.max_size));
    }
    if (size_ < 5) return Invalid("a BSON document needs at least 5 bytes");
    size_t length = static_cast<size_t>(static_cast<uint32_t>(ReadInt32(data_)));
    if (length != size_) {
      return Invalid(
          absl::StrFormat("length prefix says %d bytes but %d were given", length, size_));
    }
    if (data_[size_ - 1] != 0) return Invalid("the document does not end with a NUL byte");
    frames_.push_back(Frame{size_ - 1, false, {}, {}, {}});
    size_t pos = 4;
    while (!frames_.empty()) {
      Frame& frame = frames_.back();
      if (pos == frame.end) {  // the terminator of this (sub)document
        pos += 1;
        frames_.pop_back();
        continue;
      }
      uint8_t type = data_[pos++];
      if (type == 0) return Invalid("a NUL element type before the end of a document");
      // Field name: a NUL-terminated string inside this document.
      const void* nul = std::memchr(data_ + pos, 0, frame.end - pos);
      if (nul == nullptr) return Invalid("a field name runs past the end of its document");
      size_t name_length = static_cast<const uint8_t*>(nul) - (data_ + pos);
      absl::string_view name(reinterpret_cast<const char*>(data_ + pos), name_length);
      pos += name_length + 1;
      current_name_ = name;
      if (!IsValidUtf8(name.data(), name.size())) return Invalid("invalid UTF-8 in a field name");
      if (!frame.is_array && options_.reject_duplicate_names) {
        if (SeenBefore(frame, name)) return Invalid("duplicate field name");
      }
      auto status = Value(type, &pos);
      if (!status.ok()) return status;
    }
    if (pos != size_) return Invalid("bytes after the end of the document");
    return absl::OkStatus();
  }

 private:
  // Records `name` in `frame`; true when it was already there.
  static bool SeenBefore(Frame& frame, absl::string_view name) {
    constexpr size_t kLinearLimit = 16;
    if (frame.names.size() < kLinearLimit) {
      for (absl::string_view seen : frame.names) {
        if (seen == name) return true;
      }
      frame.names.push_back(name);
      if (frame.names.size() == kLinearLimit) {
        frame.name_set.insert(frame.names.begin(), frame.names.end());
      }
      return false;
    }
    return !frame.name_set.insert(name).second;
  }

  // Checks the value of an element of `type` starting at *pos and advances past it (or, for
  // embedded documents, pushes a frame so the loop walks them).
  absl::Status Value(uint8_t type, size_t* pos) {
    const size_t end = frames_.back().end;
    auto need = [&](size_t n) { return end - *pos >= n; };
    switch (type) {
      case BSON_TYPE_DOUBLE:
      case BSON_TYPE_DATE_TIME:
      case BSON_TYPE_TIMESTAMP:
      case BSON_TYPE_INT64:
        if (!need(8)) return Invalid("a value runs past the end of its document");
        *pos += 8;
        return absl::OkStatus();
      case BSON_TYPE_INT32:
        if (!need(4)) return Invalid("a value runs past the end of its document");
        *pos += 4;
        return absl::OkStatus();
      case BSON_TYPE_DECIMAL128:
        if (!need(16)) return Invalid("a value runs past the end of its document");
        *pos += 16;
        return absl::OkStatus();
      case BSON_TYPE_OID:
        if (!need(12)) return Invalid("a value runs past the end of its document");
        *pos += 12;
        return absl::OkStatus();
      case BSON_TYPE_BOOL:
        if (!need(1)) return Invalid("a value runs past the end of its document");
        if (data_[*pos] > 1) return Invalid("a boolean that is neither 0 nor 1");
        *pos += 1;
        return absl::OkStatus();
      case BSON_TYPE_UNDEFINED:
      case BSON_TYPE_NULL:
      case BSON_TYPE_MINKEY:
      case BSON_TYPE_MAXKEY:
        return absl::OkStatus();
      case BSON_TYPE_UTF8:
      case BSON_TYPE_SYMBOL:
      case BSON_TYPE_CODE:
        return String(pos, end);
      case BSON_TYPE_DBPOINTER: {
        auto status = String(pos, end);
        if (!status.ok()) return status;
        if (!need(12)) return Invalid("a value runs past the end of its document");
        *pos += 12;
        return absl::OkStatus();
      }
      case BSON_TYPE_REGEX:
        for (int part = 0; part < 2; ++part) {
          const void* nul = std::memchr(data_ + *pos, 0, end - *pos);
          if (nul == nullptr) return Invalid("a regular expression runs past its document");
          size_t n = static_cast<const uint8_t*>(nul) - (data_ + *pos);
          if (!IsValidUtf8(reinterpret_cast<const char*>(data_ + *pos), n)) {
            return Invalid("invalid UTF-8 in a regular expression");
          }
          *pos += n + 1;
        }
        return absl::OkStatus();
      case BSON_TYPE_BINARY: {
        if (!need(5)) return Invalid("a value runs past the end of its document");
        int32_t n = ReadInt32(data_ + *pos);
        if (n < 0 || !need(5 + static_cast<size_t>(n))) {
          return Invalid("a binary value's length is out of bounds");
        }
        uint8_t subtype = data_[*pos + 4];
        if (subtype == BSON_SUBTYPE_BINARY_DEPRECATED) {
          if (n < 4 || ReadInt32(data_ + *pos + 5) != n - 4) {
            return Invalid("an old-style binary value's inner length is wrong");
          }
        }
        *pos += 5 + static_cast<size_t>(n);
        return absl::OkStatus();
      }
      case BSON_TYPE_DOCUMENT:
      case BSON_TYPE_ARRAY:
        return Embedded(pos, end, type == BSON_TYPE_ARRAY);
      case BSON_TYPE_CODEWSCOPE: {
        if (!need(4)) return Invalid("a value runs past the end of its document");
        int32_t total = ReadInt32(data_ + *pos);
        if (total < 14 || !need(static_cast<size_t>(total))) {
          return Invalid("a code-with-scope value's length is out of bounds");
        }
        size_t scope_end = *pos + static_cast<size_t>(total);
        *pos += 4;
        auto status = String(pos, scope_end);
        if (!status.ok()) return status;
        // The scope document must fill exactly the rest of the value.
        if (scope_end - *pos < 5 ||
            static_cast<size_t>(ReadInt32(data_ + *pos)) != scope_end - *pos) {
          return Invalid("a code-with-scope value's scope length is wrong");
        }
        return Embedded(pos, scope_end, false);
      }
      default:
        return Invalid(absl::StrFormat("unknown BSON type 0x%02x", type));
    }
  }

  // A length-prefixed string: int32 length (counting its NUL), bytes, NUL.
  absl::Status String(size_t* pos, size_t end) {
    if (end - *pos < 4) return Invalid("a string runs past the end of its document");
    int32_t n = ReadInt32(data_ + *pos);
    if (n < 1 || end - *pos - 4 < static_cast<size_t>(n)) {
      return Invalid("a string's length is out of bounds");
    }
    const char* text = reinterpret_cast<const char*>(data_ + *pos + 4);
    if (text[n - 1] != '\0') return Invalid("a string is not NUL-terminated");
    if (!IsValidUtf8(text, static_cast<size_t>(n - 1))) return Invalid("invalid UTF-8 in a string");
    *pos += 4 + static_cast<size_t>(n);
    return absl::OkStatus();
  }

  absl::Status Embedded(size_t* pos, size_t end, bool is_array) {
    if (end - *pos < 5) return Invalid("an embedded document runs past its parent");
    int32_t n = ReadInt32(data_ + *pos);
    if (n < 5 || end - *pos < static_cast<size_t>(n)) {
      return Invalid("an embedded document's length is out of bounds");
    }
    size_t sub_end = *pos + static_cast<size_t>(n) - 1;
    if (data_[sub_end] != 0) return Invalid("an embedded document does not end with NUL");
    if (static_cast<int>(frames_.size()) > options_.max_depth) {
      return MongoError(ErrorCode::kOverflow,
                        absl::StrCat("BSONObj exceeds maximum nested object depth: more than ",
                                     options_.max_depth, " levels at '", Path(), "'"));
    }
    frames_.push_back(Frame{sub_end, is_array, current_name_, {}, {}});
    *pos += 4;
    return absl::OkStatus();
  }

  std::string Path() const {
    std::vector<absl::string_view> parts;
    for (size_t i = 1; i < frames_.size(); ++i) parts.push_back(frames_[i].name);
    parts.push_back(current_name_);
    return absl::StrJoin(parts, ".");
  }

  absl::Status Invalid(absl::string_view what) const {
    std::string where = frames_.empty() ? "" : absl::StrCat(" (at field '", Path(), "')");
    return MongoError(ErrorCode::kInvalidBSON, absl::StrCat("invalid BSON: ", what, where));
  }

  const uint8_t* data_;
  size_t size_;
  const ValidateOptions& options_;
  std::vector<Frame> frames_;
  absl::string_view current_name_;
};

}  // namespace

bool IsValidUtf8(const char* text, size_t length) {
  const auto* s = reinterpret_cast<const uint8_t*>(text);
  size_t i = 0;
  while (i < length) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong 2-byte lead (C0/C1) or lead above F4
    }
    if (length - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      uint8_t cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;  // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;                                // surrogate
    if (cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

absl::Status ValidateBson(const uint8_t* data, size_t size, const ValidateOptions& options) {
  return Walker(data, size, options).Run();
}

absl::Status ValidateInput(const uint8_t* data, size_t size, InputKind kind) {
  ValidateOptions options;
  if (kind == InputKind::kCommand) {
    options.max_size = kMaxCommandSize;
    options.max_depth = kMaxCommandDepth;
  }
  return ValidateBson(data, size, options);
}

}  // namespace strata::document
