#include "tools/transfer/shell_format.h"

#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "document/extended_json.h"

namespace strata::tools {
namespace {

constexpr size_t kLineWidth = 76;

std::string Quote(const char* s, size_t length) {
  std::string out = "'";
  for (size_t i = 0; i < length; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, "\\u", absl::Hex(c, absl::kZeroPad4));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('\'');
  return out;
}

std::string Key(const char* key) {
  std::string_view k(key);
  bool plain = !k.empty() && !absl::ascii_isdigit(k[0]);
  for (char c : k) plain = plain && (absl::ascii_isalnum(c) || c == '_' || c == '$');
  return plain ? std::string(k) : Quote(key, k.size());
}

std::string FormatContainer(const bson_iter_t& it, bool array, int indent) {
  bson_iter_t child;
  if (!bson_iter_recurse(&it, &child)) return "<invalid>";
  std::vector<std::string> parts;
  bool multi_line = false;
  while (bson_iter_next(&child)) {
    std::string value = FormatShellValue(child, indent + 2);
    multi_line = multi_line || value.find('\n') != std::string::npos;
    parts.push_back(array ? value : absl::StrCat(Key(bson_iter_key(&child)), ": ", value));
  }
  const char* open = array ? "[" : "{";
  const char* close = array ? "]" : "}";
  if (parts.empty()) return absl::StrCat(open, close);
  std::string inline_form = absl::StrCat(open, " ", absl::StrJoin(parts, ", "), " ", close);
  if (!multi_line && inline_form.size() + static_cast<size_t>(indent) <= kLineWidth) {
    return inline_form;
  }
  std::string pad(static_cast<size_t>(indent) + 2, ' ');
  return absl::StrCat(open, "\n", pad, absl::StrJoin(parts, absl::StrCat(",\n", pad)), "\n",
                      std::string(static_cast<size_t>(indent), ' '), close);
}

}  // namespace

std::string FormatShellValue(const bson_iter_t& it, int indent) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE: {
      double d = bson_iter_double(&it);
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      std::string json = document::ValueToExtendedJson(it, JsonMode::kRelaxed);
      if (absl::EndsWith(json, ".0")) json.resize(json.size() - 2);
      return json;
    }
    case BSON_TYPE_INT32:
      return absl::StrCat(bson_iter_int32(&it));
    case BSON_TYPE_INT64:
      return absl::StrCat("Long('", bson_iter_int64(&it), "')");
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t dec;
      bson_iter_decimal128(&it, &dec);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&dec, text);
      return absl::StrCat("Decimal128('", text, "')");
    }
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* s = bson_iter_utf8(&it, &length);
      return Quote(s, length);
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* s = bson_iter_symbol(&it, &length);
      return Quote(s, length);
    }
    case BSON_TYPE_DOCUMENT:
      return FormatContainer(it, false, indent);
    case BSON_TYPE_ARRAY:
      return FormatContainer(it, true, indent);
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(&it), hex);
      return absl::StrCat("ObjectId('", hex, "')");
    }
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it) ? "true" : "false";
    case BSON_TYPE_DATE_TIME:
      return absl::StrCat(
          "ISODate('",
          absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(bson_iter_date_time(&it)),
                           absl::UTCTimeZone()),
          "')");
    case BSON_TYPE_NULL:
      return "null";
    case BSON_TYPE_UNDEFINED:
      return "undefined";
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      return absl::StrCat("/", pattern, "/", options);
    }
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0, i = 0;
      bson_iter_timestamp(&it, &t, &i);
      return absl::StrCat("Timestamp({ t: ", t, ", i: ", i, " })");
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &length, &data);
      std::string bytes(reinterpret_cast<const char*>(data), length);
      if (subtype == BSON_SUBTYPE_UUID && length == 16) {
        std::string hex = absl::BytesToHexString(bytes);
        return absl::StrCat("UUID('", hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                            hex.substr(12, 4), "-", hex.substr(16, 4), "-", hex.substr(20), "')");
      }
      return absl::StrCat("Binary.createFromBase64('", absl::Base64Escape(bytes), "', ",
                          static_cast<int>(subtype), ")");
    }
    case BSON_TYPE_MINKEY:
      return "MinKey()";
    case BSON_TYPE_MAXKEY:
      return "MaxKey()";
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      return absl::StrCat("Code(", Quote(code, length), ")");
    }
    default:
      return document::ValueToExtendedJson(it, JsonMode::kRelaxed);
  }
}

std::string FormatShellDocument(DocumentView doc, int indent) {
  bson_t b;
  if (!doc.AsBson(&b)) return "<invalid BSON>";
  // Wrap the document as the value of a one-field document to reuse FormatContainer.
  bson_t wrapper = BSON_INITIALIZER;
  bson_append_document(&wrapper, "v", 1, &b);
  bson_iter_t it;
  std::string out = "{}";
  if (bson_iter_init_find(&it, &wrapper, "v")) out = FormatShellValue(it, indent);
  bson_destroy(&wrapper);
  return out;
}

}  // namespace strata::tools
