#include "index/internal/shell_format.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "document/extended_json.h"
#include "document/type_names.h"

namespace strata::index::internal {
namespace {

void AppendEscaped(const char* text, size_t length, std::string* out) {
  document::AppendJsonString(text, length, out);
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

void AppendValue(const bson_iter_t& it, std::string* out);

// Elements of a document (with names) or array (without): "{ a: 1 }", "[ 1 ]", "{}", "[]".
void AppendContainer(const bson_iter_t& it, bool is_array, std::string* out) {
  bson_iter_t child;
  const bool opened = bson_iter_recurse(&it, &child);
  bool first = true;
  out->push_back(is_array ? '[' : '{');
  while (opened && bson_iter_next(&child)) {
    out->append(first ? " " : ", ");
    first = false;
    if (!is_array) absl::StrAppend(out, bson_iter_key(&child), ": ");
    AppendValue(child, out);
  }
  if (!first) out->push_back(' ');
  out->push_back(is_array ? ']' : '}');
}

void AppendValue(const bson_iter_t& it, std::string* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_DOUBLE:
      AppendDouble(bson_iter_double(&it), out);
      return;
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      AppendEscaped(text, length, out);
      return;
    }
    case BSON_TYPE_DOCUMENT:
      AppendContainer(it, /*is_array=*/false, out);
      return;
    case BSON_TYPE_ARRAY:
      AppendContainer(it, /*is_array=*/true, out);
      return;
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &length, &data);
      absl::StrAppend(out, "BinData(", static_cast<int>(subtype), ", ");
      char hex[3];
      for (uint32_t i = 0; i < length; ++i) {
        std::snprintf(hex, sizeof(hex), "%02X", data[i]);
        out->append(hex, 2);
      }
      out->push_back(')');
      return;
    }
    case BSON_TYPE_UNDEFINED:
      out->append("undefined");
      return;
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(&it), hex);
      absl::StrAppend(out, "ObjectId('", hex, "')");
      return;
    }
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
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(&it, &length);
      out->append(code, length);
      return;
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* symbol = bson_iter_symbol(&it, &length);
      out->append("Symbol(");
      AppendEscaped(symbol, length, out);
      out->push_back(')');
      return;
    }
    case BSON_TYPE_INT32:
      absl::StrAppend(out, bson_iter_int32(&it));
      return;
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0;
      uint32_t i = 0;
      bson_iter_timestamp(&it, &t, &i);
      absl::StrAppend(out, "Timestamp(", t, ", ", i, ")");
      return;
    }
    case BSON_TYPE_INT64:
      absl::StrAppend(out, bson_iter_int64(&it));
      return;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      absl::StrAppend(out, "NumberDecimal(\"", text, "\")");
      return;
    }
    case BSON_TYPE_MINKEY:
      out->append("MinKey");
      return;
    case BSON_TYPE_MAXKEY:
      out->append("MaxKey");
      return;
    default:
      absl::StrAppend(out, document::BsonTypeName(bson_iter_type(&it)));
      return;
  }
}

}  // namespace

std::string ShellString(DocumentView doc) {
  std::string out;
  bson_iter_t it;
  if (!bson_iter_init_from_data(&it, doc.data(), doc.size())) return "<invalid BSON>";
  bool first = true;
  out.push_back('{');
  while (bson_iter_next(&it)) {
    out.append(first ? " " : ", ");
    first = false;
    absl::StrAppend(&out, bson_iter_key(&it), ": ");
    AppendValue(it, &out);
  }
  if (!first) out.push_back(' ');
  out.push_back('}');
  return out;
}

std::string ShellValueString(const bson_iter_t& it) {
  std::string out;
  AppendValue(it, &out);
  return out;
}

std::string ShellElementString(const bson_iter_t& it) {
  std::string out = absl::StrCat(bson_iter_key(&it), ": ");
  AppendValue(it, &out);
  return out;
}

}  // namespace strata::index::internal
