#include "index/bounds_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "document/key_string.h"
#include "document/key_string_decode.h"

namespace strata::index {
namespace {

// BSONElement::toString(full=false) limits: longer strings, code and binary data are cut.
constexpr size_t kStringCutAt = 160;  // MongoDB: valuestrsize() (length + NUL) > 160
constexpr size_t kStringKeep = 150;
constexpr size_t kCodeCutAt = 80;
constexpr size_t kCodeKeep = 70;
constexpr size_t kBinDataCutAt = 81;  // MongoDB: len > 80
constexpr size_t kBinDataKeep = 70;

// The first `keep` bytes of `text`, shortened to end on a UTF-8 character boundary.
absl::string_view Utf8Prefix(absl::string_view text, size_t keep) {
  if (text.size() <= keep) return text;
  size_t end = keep;
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// StringBuilder::appendDoubleNice: "%.16g", plus ".0" unless the text has '.', 'E' or 'N'.
void AppendDouble(double value, std::string* out) {
  char buffer[40];
  const int size = std::snprintf(buffer, sizeof(buffer), "%.16g", value);
  out->append(buffer, size);
  if (std::strchr(buffer, '.') == nullptr && std::strchr(buffer, 'E') == nullptr &&
      std::strchr(buffer, 'N') == nullptr) {
    out->append(".0");
  }
}

void AppendHex(const uint8_t* data, size_t length, bool upper, std::string* out) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kLower[] = "0123456789abcdef";
  const char* digits = upper ? kUpper : kLower;
  for (size_t i = 0; i < length; ++i) {
    out->push_back(digits[data[i] >> 4]);
    out->push_back(digits[data[i] & 0xF]);
  }
}

void AppendOidHex(const bson_oid_t* oid, std::string* out) {
  char hex[25];
  bson_oid_to_string(oid, hex);
  out->append(hex, 24);
}

void AppendValue(const bson_iter_t& it, std::string* out);

// BSONObj::toString: "{ a: 1, b: 2 }", "[ 1, 2 ]", "{}", "[]". Nesting is bounded by the
// decoder (kMaxNestingDepth) and by document validation.
void AppendContainer(bson_iter_t* children, bool is_array, std::string* out) {
  bool first = true;
  while (children != nullptr && bson_iter_next(children)) {
    out->append(first ? (is_array ? "[ " : "{ ") : ", ");
    first = false;
    if (!is_array) absl::StrAppend(out, bson_iter_key(children), ": ");
    AppendValue(*children, out);
  }
  out->append(first ? (is_array ? "[]" : "{}") : (is_array ? " ]" : " }"));
}

void AppendValue(const bson_iter_t& it, std::string* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
      AppendDouble(bson_iter_double(&it), out);
      return;
    case BSON_TYPE_INT32:
      absl::StrAppend(out, bson_iter_int32(&it));
      return;
    case BSON_TYPE_INT64:
      absl::StrAppend(out, bson_iter_int64(&it));
      return;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      out->append(text);
      return;
    }
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* text = bson_iter_type(&it) == BSON_TYPE_UTF8 ? bson_iter_utf8(&it, &length)
                                                               : bson_iter_symbol(&it, &length);
      const absl::string_view view(text, length);
      out->push_back('"');
      if (length >= kStringCutAt) {
        absl::StrAppend(out, Utf8Prefix(view, kStringKeep), "...\"");
      } else {
        absl::StrAppend(out, view, "\"");
      }
      return;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bson_iter_t children;
      AppendContainer(bson_iter_recurse(&it, &children) ? &children : nullptr,
                      bson_iter_type(&it) == BSON_TYPE_ARRAY, out);
      return;
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &length, &data);  // subtype 2: inner length skipped
      if (subtype == BSON_SUBTYPE_UUID && length == 16) {
        out->append("UUID(\"");
        const size_t groups[] = {4, 2, 2, 2, 6};
        for (size_t size : groups) {
          if (size != 4) out->push_back('-');
          AppendHex(data, size, /*upper=*/false, out);
          data += size;
        }
        out->append("\")");
        return;
      }
      absl::StrAppend(out, "BinData(", static_cast<int>(subtype), ", ");
      if (length >= kBinDataCutAt) {
        AppendHex(data, kBinDataKeep, /*upper=*/true, out);
        out->append("...)");
      } else {
        AppendHex(data, length, /*upper=*/true, out);
        out->push_back(')');
      }
      return;
    }
    case BSON_TYPE_UNDEFINED:
      out->append("undefined");
      return;
    case BSON_TYPE_OID:
      out->append("ObjectId('");
      AppendOidHex(bson_iter_oid(&it), out);
      out->append("')");
      return;
    case BSON_TYPE_BOOL:
      out->append(bson_iter_bool(&it) ? "true" : "false");
      return;
    case BSON_TYPE_DATE_TIME:
      absl::StrAppend(out, "new Date(", bson_iter_date_time(&it), ")");
      return;
    case BSON_TYPE_NULL:
      out->append("null");
      return;
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      absl::StrAppend(out, "/", pattern, "/", options);
      return;
    }
    case BSON_TYPE_DBPOINTER: {
      uint32_t length = 0;
      const char* ns = nullptr;
      const bson_oid_t* oid = nullptr;
      bson_iter_dbpointer(&it, &length, &ns, &oid);
      absl::StrAppend(out, "DBRef('", absl::string_view(ns, length), "',");
      AppendOidHex(oid, out);
      out->push_back(')');
      return;
    }
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      if (length >= kCodeCutAt) {
        absl::StrAppend(out, Utf8Prefix(absl::string_view(code, length), kCodeKeep), "...");
      } else {
        out->append(code, length);
      }
      return;
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t length = 0;
      uint32_t scope_length = 0;
      const uint8_t* scope = nullptr;
      const char* code = bson_iter_codewscope(&it, &length, &scope_length, &scope);
      absl::StrAppend(out, "CodeWScope( ", absl::string_view(code, length), ", ");
      bson_iter_t children;
      AppendContainer(
          bson_iter_init_from_data(&children, scope, scope_length) ? &children : nullptr,
          /*is_array=*/false, out);
      out->push_back(')');
      return;
    }
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0;
      uint32_t i = 0;
      bson_iter_timestamp(&it, &t, &i);
      absl::StrAppend(out, "Timestamp(", t, ", ", i, ")");
      return;
    }
    case BSON_TYPE_MINKEY:
      out->append("MinKey");
      return;
    case BSON_TYPE_MAXKEY:
      out->append("MaxKey");
      return;
    default:
      absl::StrAppend(out, "?type=", static_cast<int>(bson_iter_type(&it)));
      return;
  }
}

// The text of the first (only) value of `doc`.
std::string FirstValueText(const Document& doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc.bson()) || !bson_iter_next(&it)) return "?";
  return FormatBoundValue(it);
}

// Per type, in type order: its key-string tag, the text of its smallest value and, when the
// type has one, of its largest.
struct TypeEnds {
  uint8_t tag;
  std::string min;
  std::optional<std::string> max;
};

// The printed value of one whole encoding (a table entry below; "?" if malformed).
std::string EncodedValueText(const std::string& encoding) {
  absl::StatusOr<Document> doc = document::DecodeKeyString(encoding);
  return doc.ok() ? FirstValueText(*doc) : "?";
}

const std::vector<TypeEnds>& TypeTable() {
  static const std::vector<TypeEnds>* const kTable = [] {
    // Per tag: the body of its smallest value and, when the type has one, of its largest
    // (key_string.cc lays these out).
    struct Row {
      uint8_t tag;
      std::string min_body;
      std::optional<std::string> max_body;
    };
    const std::string none;
    const std::vector<Row> rows = {
        {0x0A, none, none},                                      // MinKey
        {0x0F, none, none},                                      // undefined
        {0x14, none, none},                                      // null
        {0x1E, "\x10", "\x60"},                                  // numbers: NaN .. +Infinity
        {0x28, std::string(2, '\0'), std::nullopt},              // strings: ""
        {0x32, std::string(1, '\0'), std::nullopt},              // objects: {}
        {0x3C, std::string(1, '\0'), std::nullopt},              // arrays: []
        {0x46, std::string(5, '\0'), std::nullopt},              // BinData(0, )
        {0x50, std::string(12, '\0'), std::string(12, '\xFF')},  // ObjectId
        {0x5A, std::string(1, '\0'), "\x01"},                    // false .. true
        {0x64, std::string(8, '\0'), std::string(8, '\xFF')},    // Date
        {0x6E, std::string(8, '\0'), std::string(8, '\xFF')},    // Timestamp
        {0x78, std::string(4, '\0'), std::nullopt},              // regex //
        {0x82, std::string(16, '\0'), std::nullopt},             // DBPointer
        {0x8C, std::string(2, '\0'), std::nullopt},              // code
        {0x96, std::string(3, '\0'), std::nullopt},              // code with scope
        {0xF0, none, none},                                      // MaxKey
    };
    auto* table = new std::vector<TypeEnds>;
    for (const Row& row : rows) {
      const std::string tag(1, static_cast<char>(row.tag));
      TypeEnds entry{row.tag, EncodedValueText(tag + row.min_body), std::nullopt};
      if (row.max_body.has_value()) entry.max = EncodedValueText(tag + *row.max_body);
      table->push_back(std::move(entry));
    }
    return table;
  }();
  return *kTable;
}

bool IsTypeTag(uint8_t byte) {
  for (const TypeEnds& entry : TypeTable()) {
    if (entry.tag == byte) return true;
  }
  return false;
}

// One printed end of an interval.
struct End {
  std::string text;
  bool inclusive;
};

// The gap just below every value of tag >= `byte` and above every value of tag < `byte`.
End TypeGap(uint8_t byte, bool high) {
  const TypeEnds* below = nullptr;
  const TypeEnds* above = nullptr;
  for (const TypeEnds& entry : TypeTable()) {
    if (entry.tag < byte) below = &entry;
    if (entry.tag >= byte && above == nullptr) above = &entry;
  }
  if (high && below != nullptr && below->max.has_value()) return {*below->max, true};
  if (above == nullptr) return {"MaxKey", !high};
  return {above->min, !high};
}

// The value encoded by exactly `bytes`, printed; nullopt when `bytes` is not one encoding.
// `*consumed` is the size of the leading encoding when there is one.
std::optional<std::string> DecodeValue(absl::string_view bytes, size_t* consumed) {
  Document doc;
  absl::string_view rest = bytes;
  if (!document::AppendDecodedKeyString(&rest, "", doc.mutable_bson()).ok()) return std::nullopt;
  *consumed = bytes.size() - rest.size();
  return FirstValueText(doc);
}

End FormatEnd(absl::string_view bound, bool high, bool inclusive) {
  constexpr uint8_t kMinKeyTag = 0x0A;
  constexpr uint8_t kMaxKeyTag = 0xF0;
  constexpr uint8_t kNumberTag = 0x1E;
  constexpr uint8_t kStringTag = 0x28;
  constexpr uint8_t kNumberNaN = 0x10;
  constexpr uint8_t kNumberPositiveInfinity = 0x60;
  if (bound.empty() || static_cast<uint8_t>(bound[0]) < kMinKeyTag) return {"MinKey", inclusive};
  const uint8_t first = static_cast<uint8_t>(bound[0]);
  if (first > kMaxKeyTag) return {"MaxKey", inclusive};

  size_t consumed = 0;
  if (std::optional<std::string> value = DecodeValue(bound, &consumed)) {
    // A whole value, or a value followed by more bytes: the gap just above it.
    if (consumed == bound.size()) return {*std::move(value), inclusive};
    return {*std::move(value), high};
  }
  // Type boundaries: a byte between two tags, a bare tag, a number class out of range.
  if (!IsTypeTag(first)) return TypeGap(first, high);
  if (bound.size() == 1) return TypeGap(first, high);
  if (first == kNumberTag && bound.size() == 2) {
    const uint8_t number_class = static_cast<uint8_t>(bound[1]);
    if (number_class < kNumberNaN) return TypeGap(kNumberTag, high);
    if (number_class > kNumberPositiveInfinity) return TypeGap(kStringTag, high);
  }
  // A proper prefix of encodings: the gap below the smallest value it starts.
  std::string padded(bound);
  for (int i = 0; i < 24; ++i) {
    padded.push_back('\0');
    if (std::optional<std::string> value = DecodeValue(padded, &consumed)) {
      if (consumed == padded.size()) return {*std::move(value), !high};
      break;
    }
  }
  std::string hex = "KeyString(";
  for (size_t i = 0; i < bound.size(); ++i) {
    if (i > 0) hex.push_back(' ');
    AppendHex(reinterpret_cast<const uint8_t*>(bound.data() + i), 1, /*upper=*/true, &hex);
  }
  hex.push_back(')');
  return {hex, inclusive};
}

}  // namespace

std::string FormatBoundValue(const bson_iter_t& it) {
  std::string out;
  AppendValue(it, &out);
  return out;
}

std::string FormatInterval(const Interval& interval, BoundsOrder order) {
  End low = FormatEnd(interval.low, /*high=*/false, interval.low_inclusive);
  End high = FormatEnd(interval.high, /*high=*/true, interval.high_inclusive);
  if (order == BoundsOrder::kDescending) std::swap(low, high);
  return absl::StrCat(low.inclusive ? "[" : "(", low.text, ", ", high.text,
                      high.inclusive ? "]" : ")");
}

std::vector<std::string> FormatIntervals(const std::vector<Interval>& intervals,
                                         BoundsOrder order) {
  std::vector<std::string> out;
  out.reserve(intervals.size());
  for (const Interval& interval : intervals) out.push_back(FormatInterval(interval, order));
  if (order == BoundsOrder::kDescending) std::reverse(out.begin(), out.end());
  return out;
}

Document FormatIndexBounds(const IndexBounds& bounds, const std::vector<KeyPart>& key_parts,
                           bool backward_scan) {
  Document doc;
  const std::vector<Interval> all = {Interval::All()};
  for (size_t i = 0; i < key_parts.size(); ++i) {
    const std::vector<Interval>& intervals = i < bounds.fields.size() ? bounds.fields[i] : all;
    const BoundsOrder order = key_parts[i].descending != backward_scan ? BoundsOrder::kDescending
                                                                       : BoundsOrder::kAscending;
    bson_t array;
    const std::string& path = key_parts[i].path;
    bson_append_array_begin(doc.mutable_bson(), path.data(), static_cast<int>(path.size()), &array);
    const std::vector<std::string> texts = FormatIntervals(intervals, order);
    for (size_t j = 0; j < texts.size(); ++j) {
      const std::string index = std::to_string(j);
      bson_append_utf8(&array, index.c_str(), -1, texts[j].data(),
                       static_cast<int>(texts[j].size()));
    }
    bson_append_array_end(doc.mutable_bson(), &array);
  }
  return doc;
}

}  // namespace strata::index
