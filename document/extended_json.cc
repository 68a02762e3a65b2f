#include "document/extended_json.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace strata::document {

void AppendJsonString(const char* text, size_t length, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < length; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

namespace {

void AppendEscaped(const char* text, size_t length, std::string* out) {
  AppendJsonString(text, length, out);
}

void AppendEscaped(const char* text, std::string* out) { AppendEscaped(text, strlen(text), out); }

// Shortest decimal text that parses back to `d` (finite), always with '.' or an exponent.
std::string DoubleText(double d) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), d);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

void AppendInt(int64_t value, std::string* out) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

void AppendWrapped(const char* key, const std::string& value, std::string* out) {
  out->append("{\"");
  out->append(key);
  out->append("\": ");
  AppendEscaped(value.data(), value.size(), out);
  out->push_back('}');
}

void AppendDouble(double d, JsonMode mode, std::string* out) {
  if (std::isnan(d)) return AppendWrapped("$numberDouble", "NaN", out);
  if (std::isinf(d)) return AppendWrapped("$numberDouble", d > 0 ? "Infinity" : "-Infinity", out);
  if (mode == JsonMode::kCanonical) return AppendWrapped("$numberDouble", DoubleText(d), out);
  out->append(DoubleText(d));
}

void AppendDate(int64_t millis, JsonMode mode, std::string* out) {
  // Relaxed mode prints ISO-8601 for years 1970 through 9999.
  constexpr int64_t kYear10000 = 253402300800000;
  if (mode == JsonMode::kRelaxed && millis >= 0 && millis < kYear10000) {
    time_t seconds = static_cast<time_t>(millis / 1000);
    int ms = static_cast<int>(millis % 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    char buffer[48];
    if (ms != 0) {
      snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    } else {
      snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return AppendWrapped("$date", buffer, out);
  }
  out->append("{\"$date\": {\"$numberLong\": \"");
  AppendInt(millis, out);
  out->append("\"}}");
}

void AppendOid(const bson_oid_t* oid, std::string* out) {
  char hex[25];
  bson_oid_to_string(oid, hex);
  AppendWrapped("$oid", hex, out);
}

std::string Base64(const uint8_t* data, uint32_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((length + 2) / 3 * 4);
  uint32_t i = 0;
  for (; i + 2 < length; i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < length) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (i + 1 < length) v |= uint32_t{data[i + 1]} << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < length ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Writes a scalar value (anything but document, array and code-with-scope).
void AppendScalar(const bson_iter_t& it, JsonMode mode, std::string* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
      return AppendDouble(bson_iter_double(&it), mode, out);
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      return AppendEscaped(text, length, out);
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &length, &data);
      char sub[8];
      snprintf(sub, sizeof(sub), "%02x", static_cast<unsigned>(subtype));
      out->append("{\"$binary\": {\"base64\": ");
      std::string b64 = Base64(data, length);
      AppendEscaped(b64.data(), b64.size(), out);
      out->append(", \"subType\": ");
      AppendEscaped(sub, out);
      out->append("}}");
      return;
    }
    case BSON_TYPE_UNDEFINED:
      out->append("{\"$undefined\": true}");
      return;
    case BSON_TYPE_OID:
      return AppendOid(bson_iter_oid(&it), out);
    case BSON_TYPE_BOOL:
      out->append(bson_iter_bool(&it) ? "true" : "false");
      return;
    case BSON_TYPE_DATE_TIME:
      return AppendDate(bson_iter_date_time(&it), mode, out);
    case BSON_TYPE_NULL:
      out->append("null");
      return;
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      std::string sorted(options != nullptr ? options : "");
      std::sort(sorted.begin(), sorted.end());
      out->append("{\"$regularExpression\": {\"pattern\": ");
      AppendEscaped(pattern, out);
      out->append(", \"options\": ");
      AppendEscaped(sorted.data(), sorted.size(), out);
      out->append("}}");
      return;
    }
    case BSON_TYPE_DBPOINTER: {
      uint32_t length = 0;
      const char* ns = nullptr;
      const bson_oid_t* oid = nullptr;
      bson_iter_dbpointer(&it, &length, &ns, &oid);
      out->append("{\"$dbPointer\": {\"$ref\": ");
      AppendEscaped(ns, length, out);
      out->append(", \"$id\": ");
      AppendOid(oid, out);
      out->append("}}");
      return;
    }
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      out->append("{\"$code\": ");
      AppendEscaped(code, length, out);
      out->push_back('}');
      return;
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* symbol = bson_iter_symbol(&it, &length);
      out->append("{\"$symbol\": ");
      AppendEscaped(symbol, length, out);
      out->push_back('}');
      return;
    }
    case BSON_TYPE_INT32:
      if (mode == JsonMode::kCanonical) {
        return AppendWrapped("$numberInt", std::to_string(bson_iter_int32(&it)), out);
      }
      return AppendInt(bson_iter_int32(&it), out);
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0, i = 0;
      bson_iter_timestamp(&it, &t, &i);
      out->append("{\"$timestamp\": {\"t\": ");
      AppendInt(t, out);
      out->append(", \"i\": ");
      AppendInt(i, out);
      out->append("}}");
      return;
    }
    case BSON_TYPE_INT64:
      if (mode == JsonMode::kCanonical) {
        return AppendWrapped("$numberLong", std::to_string(bson_iter_int64(&it)), out);
      }
      return AppendInt(bson_iter_int64(&it), out);
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      return AppendWrapped("$numberDecimal", text, out);
    }
    case BSON_TYPE_MINKEY:
      out->append("{\"$minKey\": 1}");
      return;
    case BSON_TYPE_MAXKEY:
      out->append("{\"$maxKey\": 1}");
      return;
    default:
      out->append("null");
      return;
  }
}

// One open document or array: its iterator, whether keys are printed, what closes it.
struct Frame {
  bson_iter_t it;
  bool is_array;
  bool first;
  const char* closing;  // "}" or "]" or "}}" (code with scope)
};

bool Write(const uint8_t* data, size_t length, JsonMode mode, std::string* out) {
  bson_t doc;
  if (!bson_init_static(&doc, data, length)) return false;
  std::vector<Frame> stack;
  stack.push_back(Frame{{}, false, true, "}"});
  if (!bson_iter_init(&stack.back().it, &doc)) return false;
  out->push_back('{');
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (!bson_iter_next(&frame.it)) {
      out->append(frame.closing);
      stack.pop_back();
      continue;
    }
    if (!frame.first) out->append(", ");
    frame.first = false;
    if (!frame.is_array) {
      AppendEscaped(bson_iter_key(&frame.it), bson_iter_key_len(&frame.it), out);
      out->append(": ");
    }
    bson_type_t type = bson_iter_type(&frame.it);
    if (type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY) {
      Frame child{{}, type == BSON_TYPE_ARRAY, true, type == BSON_TYPE_ARRAY ? "]" : "}"};
      if (!bson_iter_recurse(&frame.it, &child.it)) return false;
      out->push_back(child.is_array ? '[' : '{');
      stack.push_back(child);
    } else if (type == BSON_TYPE_CODEWSCOPE) {
      uint32_t code_length = 0, scope_length = 0;
      const uint8_t* scope_data = nullptr;
      const char* code = bson_iter_codewscope(&frame.it, &code_length, &scope_length, &scope_data);
      out->append("{\"$code\": ");
      AppendEscaped(code, code_length, out);
      out->append(", \"$scope\": {");
      bson_t scope;
      if (!bson_init_static(&scope, scope_data, scope_length)) return false;
      Frame child{{}, false, true, "}}"};
      if (!bson_iter_init(&child.it, &scope)) return false;
      stack.push_back(child);
    } else {
      AppendScalar(frame.it, mode, out);
    }
  }
  return true;
}

}  // namespace

bool AppendExtendedJson(DocumentView doc, JsonMode mode, std::string* out) {
  return Write(doc.data(), doc.size(), mode, out);
}

std::string ValueToExtendedJson(const bson_iter_t& it, JsonMode mode) {
  bson_t wrapper = BSON_INITIALIZER;
  bson_append_iter(&wrapper, "v", 1, &it);
  std::string json;
  Write(bson_get_data(&wrapper), wrapper.len, mode, &json);
  bson_destroy(&wrapper);
  // {"v": <value>} → <value>
  return json.size() >= 7 ? json.substr(6, json.size() - 7) : json;
}

}  // namespace strata::document
