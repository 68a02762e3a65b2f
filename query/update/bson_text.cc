// MongoDB-style element text for error messages. See bson_text.h.
#include "query/update/bson_text.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "document/type_names.h"

namespace strata::query::update {
namespace {

// Messages stay short: past this many characters the rest of a value is elided.
constexpr size_t kMaxTextLength = 1024;

std::string DoubleText(double value) {
  if (std::isnan(value)) return "nan.0";
  if (std::isinf(value)) return value > 0 ? "inf.0" : "-inf.0";
  char buffer[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  std::string text = buffer;
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

void AppendValue(const bson_iter_t& it, int depth, std::string* out);

void AppendContainer(const bson_iter_t& it, bool is_array, int depth, std::string* out) {
  bson_iter_t child;
  if (!bson_iter_recurse(&it, &child)) {
    out->append(is_array ? "[]" : "{}");
    return;
  }
  bool first = true;
  while (bson_iter_next(&child)) {
    out->append(first ? (is_array ? "[ " : "{ ") : ", ");
    first = false;
    if (out->size() > kMaxTextLength || depth > 20) {
      out->append("...");
      break;
    }
    if (!is_array) absl::StrAppend(out, bson_iter_key(&child), ": ");
    AppendValue(child, depth + 1, out);
  }
  if (first) {
    out->append(is_array ? "[]" : "{}");
  } else {
    out->append(is_array ? " ]" : " }");
  }
}

void AppendValue(const bson_iter_t& it, int depth, std::string* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
      out->append(DoubleText(bson_iter_double(&it)));
      break;
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      out->push_back('"');
      out->append(text, length > kMaxTextLength ? kMaxTextLength : length);
      if (length > kMaxTextLength) out->append("...");
      out->push_back('"');
      break;
    }
    case BSON_TYPE_DOCUMENT:
      AppendContainer(it, /*is_array=*/false, depth, out);
      break;
    case BSON_TYPE_ARRAY:
      AppendContainer(it, /*is_array=*/true, depth, out);
      break;
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &length, &data);
      absl::StrAppend(out, "BinData(", static_cast<int>(subtype), ", ");
      static const char kHex[] = "0123456789ABCDEF";
      for (uint32_t i = 0; i < length && i < 64; ++i) {
        out->push_back(kHex[data[i] >> 4]);
        out->push_back(kHex[data[i] & 15]);
      }
      out->push_back(')');
      break;
    }
    case BSON_TYPE_UNDEFINED:
      out->append("undefined");
      break;
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(&it), hex);
      absl::StrAppend(out, "ObjectId('", hex, "')");
      break;
    }
    case BSON_TYPE_BOOL:
      out->append(bson_iter_bool(&it) ? "true" : "false");
      break;
    case BSON_TYPE_DATE_TIME:
      absl::StrAppend(out, "new Date(", bson_iter_date_time(&it), ")");
      break;
    case BSON_TYPE_NULL:
      out->append("null");
      break;
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      absl::StrAppend(out, "/", pattern, "/", options ? options : "");
      break;
    }
    case BSON_TYPE_DBPOINTER:
      out->append("DBRef(...)");
      break;
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      out->append(code, length > kMaxTextLength ? kMaxTextLength : length);
      break;
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* text = bson_iter_symbol(&it, &length);
      out->append(text, length > kMaxTextLength ? kMaxTextLength : length);
      break;
    }
    case BSON_TYPE_CODEWSCOPE:
      out->append("CodeWScope(...)");
      break;
    case BSON_TYPE_INT32:
      absl::StrAppend(out, bson_iter_int32(&it));
      break;
    case BSON_TYPE_TIMESTAMP: {
      uint32_t timestamp = 0;
      uint32_t increment = 0;
      bson_iter_timestamp(&it, &timestamp, &increment);
      absl::StrAppend(out, "Timestamp(", timestamp, ", ", increment, ")");
      break;
    }
    case BSON_TYPE_INT64:
      absl::StrAppend(out, bson_iter_int64(&it));
      break;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      absl::StrAppend(out, "NumberDecimal(\"", text, "\")");
      break;
    }
    case BSON_TYPE_MAXKEY:
      out->append("MaxKey");
      break;
    case BSON_TYPE_MINKEY:
      out->append("MinKey");
      break;
    default:
      out->append("?");
      break;
  }
}

}  // namespace

std::string ElementToString(const bson_iter_t& it) {
  std::string out = absl::StrCat(bson_iter_key(&it), ": ");
  AppendValue(it, 0, &out);
  return out;
}

std::string ValueToString(const bson_iter_t& it) {
  std::string out;
  AppendValue(it, 0, &out);
  return out;
}

}  // namespace strata::query::update
