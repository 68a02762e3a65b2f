// JsonToBson: the one place that decides the BSON type of every parsed JSON value
// (Extended JSON v2 wrappers, canonical and relaxed, and plain JSON). Recursion is bounded by
// the parser's 100-level depth limit.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/transfer/relaxed_json.h"

namespace strata::tools {
namespace {

using Kind = JsonValue::Kind;

absl::Status Bad(const std::string& path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "" : path + ": ", message));
}

const JsonValue* Member(const JsonValue& object, std::string_view key) {
  for (const auto& [k, v] : object.members) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool HasExactKeys(const JsonValue& object, std::initializer_list<std::string_view> keys) {
  if (object.members.size() != keys.size()) return false;
  for (std::string_view key : keys) {
    if (Member(object, key) == nullptr) return false;
  }
  return true;
}

template <typename T>
bool ParseInteger(const std::string& text, T* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

bool ParseDouble(const std::string& text, double* out) {
  if (text == "Infinity" || text == "+Infinity") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    *out = std::nan("");
    return true;
  }
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// A wrapper's number given as a JSON number or a string holding one.
bool NumberText(const JsonValue* v, std::string* text) {
  if (v == nullptr || (v->kind != Kind::kNumber && v->kind != Kind::kString)) return false;
  *text = v->text;
  return true;
}

std::string SortedRegexOptions(std::string options) {
  std::sort(options.begin(), options.end());
  options.erase(std::unique(options.begin(), options.end()), options.end());
  return options;
}

absl::Status AppendDocument(const JsonValue& object, const std::string& path, bson_t* out);

absl::Status AppendValue(bson_t* out, const std::string& key, const JsonValue& v,
                         const std::string& path);

// Appends `v` (an object) as an Extended JSON wrapper when its keys are one of the wrapper
// shapes; *handled is false (nothing appended) for an ordinary document.
absl::Status AppendWrapper(bson_t* out, const std::string& key, const JsonValue& v,
                           const std::string& path, bool* handled) {
  *handled = true;
  const char* k = key.c_str();
  const int kl = static_cast<int>(key.size());
  if (v.members.empty() || v.members[0].first.empty() || v.members[0].first[0] != '$') {
    *handled = false;
    return absl::OkStatus();
  }
  const std::string& first = v.members[0].first;
  const JsonValue& val = v.members[0].second;
  std::string text;
  if (v.members.size() == 1) {
    if (first == "$oid") {
      if (val.kind != Kind::kString || !bson_oid_is_valid(val.text.c_str(), val.text.size()) ||
          val.text.size() != 24) {
        return Bad(path, "$oid needs a 24-hex-digit string");
      }
      bson_oid_t oid;
      bson_oid_init_from_string(&oid, val.text.c_str());
      bson_append_oid(out, k, kl, &oid);
      return absl::OkStatus();
    }
    if (first == "$numberInt") {
      int32_t i = 0;
      if (!NumberText(&val, &text) || !ParseInteger(text, &i)) {
        return Bad(path, "$numberInt needs a 32-bit integer string");
      }
      bson_append_int32(out, k, kl, i);
      return absl::OkStatus();
    }
    if (first == "$numberLong") {
      int64_t i = 0;
      if (!NumberText(&val, &text) || !ParseInteger(text, &i)) {
        return Bad(path, "$numberLong needs a 64-bit integer string");
      }
      bson_append_int64(out, k, kl, i);
      return absl::OkStatus();
    }
    if (first == "$numberDouble") {
      double d = 0;
      if (!NumberText(&val, &text) || !ParseDouble(text, &d)) {
        return Bad(path, "$numberDouble needs a number string (or Infinity, -Infinity, NaN)");
      }
      bson_append_double(out, k, kl, d);
      return absl::OkStatus();
    }
    if (first == "$numberDecimal") {
      bson_decimal128_t dec;
      if (!NumberText(&val, &text) || !bson_decimal128_from_string(text.c_str(), &dec)) {
        return Bad(path, "$numberDecimal needs a decimal string");
      }
      bson_append_decimal128(out, k, kl, &dec);
      return absl::OkStatus();
    }
    if (first == "$date") {
      int64_t millis = 0;
      if (val.kind == Kind::kString) {
        auto parsed = ParseIsoDate(val.text);
        if (!parsed.ok()) return Bad(path, absl::StrCat("$date: ", parsed.status().message()));
        millis = *parsed;
      } else if (val.kind == Kind::kNumber) {
        double d = 0;
        if (!ParseInteger(val.text, &millis)) {
          if (!ParseDouble(val.text, &d)) return Bad(path, "$date needs a number");
          millis = static_cast<int64_t>(d);
        }
      } else if (val.kind == Kind::kObject && HasExactKeys(val, {"$numberLong"}) &&
                 NumberText(Member(val, "$numberLong"), &text) && ParseInteger(text, &millis)) {
      } else {
        return Bad(path, "$date needs an ISO-8601 string, a number or {\"$numberLong\": \"…\"}");
      }
      bson_append_date_time(out, k, kl, millis);
      return absl::OkStatus();
    }
    if (first == "$binary" && val.kind == Kind::kObject) {
      const JsonValue* b64 = Member(val, "base64");
      const JsonValue* sub = Member(val, "subType");
      std::string bytes;
      uint32_t subtype = 0;
      if (!HasExactKeys(val, {"base64", "subType"}) || b64->kind != Kind::kString ||
          sub->kind != Kind::kString || !absl::Base64Unescape(b64->text, &bytes) ||
          sub->text.empty() || sub->text.size() > 2 ||
          std::from_chars(sub->text.data(), sub->text.data() + sub->text.size(), subtype, 16).ptr !=
              sub->text.data() + sub->text.size()) {
        return Bad(path, "$binary needs {\"base64\": \"…\", \"subType\": \"hex\"}");
      }
      bson_append_binary(out, k, kl, static_cast<bson_subtype_t>(subtype),
                         reinterpret_cast<const uint8_t*>(bytes.data()),
                         static_cast<uint32_t>(bytes.size()));
      return absl::OkStatus();
    }
    if (first == "$code" && val.kind == Kind::kString) {
      bson_append_code(out, k, kl, val.text.c_str());
      return absl::OkStatus();
    }
    if (first == "$symbol" && val.kind == Kind::kString) {
      bson_append_symbol(out, k, kl, val.text.c_str(), static_cast<int>(val.text.size()));
      return absl::OkStatus();
    }
    if (first == "$timestamp") {
      uint32_t t = 0, i = 0;
      std::string ti;
      if (val.kind != Kind::kObject || !HasExactKeys(val, {"t", "i"}) ||
          !NumberText(Member(val, "t"), &text) || !ParseInteger(text, &t) ||
          !NumberText(Member(val, "i"), &ti) || !ParseInteger(ti, &i)) {
        return Bad(path, "$timestamp needs {\"t\": seconds, \"i\": increment}");
      }
      bson_append_timestamp(out, k, kl, t, i);
      return absl::OkStatus();
    }
    if (first == "$regularExpression") {
      const JsonValue* pattern = Member(val, "pattern");
      const JsonValue* options = Member(val, "options");
      if (val.kind != Kind::kObject || !HasExactKeys(val, {"pattern", "options"}) ||
          pattern->kind != Kind::kString || options->kind != Kind::kString) {
        return Bad(path, "$regularExpression needs {\"pattern\": …, \"options\": …}");
      }
      bson_append_regex(out, k, kl, pattern->text.c_str(),
                        SortedRegexOptions(options->text).c_str());
      return absl::OkStatus();
    }
    if (first == "$dbPointer") {
      const JsonValue* ref = Member(val, "$ref");
      const JsonValue* id = Member(val, "$id");
      if (val.kind != Kind::kObject || !HasExactKeys(val, {"$ref", "$id"}) ||
          ref->kind != Kind::kString || id->kind != Kind::kObject || !HasExactKeys(*id, {"$oid"}) ||
          Member(*id, "$oid")->kind != Kind::kString ||
          !bson_oid_is_valid(Member(*id, "$oid")->text.c_str(), 24)) {
        return Bad(path, "$dbPointer needs {\"$ref\": …, \"$id\": {\"$oid\": …}}");
      }
      bson_oid_t oid;
      bson_oid_init_from_string(&oid, Member(*id, "$oid")->text.c_str());
      bson_append_dbpointer(out, k, kl, ref->text.c_str(), &oid);
      return absl::OkStatus();
    }
    if (first == "$minKey") {
      bson_append_minkey(out, k, kl);
      return absl::OkStatus();
    }
    if (first == "$maxKey") {
      bson_append_maxkey(out, k, kl);
      return absl::OkStatus();
    }
    if (first == "$undefined") {
      bson_append_undefined(out, k, kl);
      return absl::OkStatus();
    }
  } else if (v.members.size() == 2) {
    // Legacy (v1) binary, as older mongoexport wrote it: {"$binary": "base64", "$type": "00"}.
    if (HasExactKeys(v, {"$binary", "$type"}) && Member(v, "$binary")->kind == Kind::kString &&
        Member(v, "$type")->kind == Kind::kString) {
      JsonValue canonical;
      canonical.kind = Kind::kObject;
      canonical.members.emplace_back("base64", *Member(v, "$binary"));
      canonical.members.emplace_back("subType", *Member(v, "$type"));
      return AppendWrapper(out, key, JsonValue::Wrapper("$binary", std::move(canonical)), path,
                           handled);
    }
    if (HasExactKeys(v, {"$code", "$scope"})) {
      const JsonValue* code = Member(v, "$code");
      const JsonValue* scope = Member(v, "$scope");
      if (code->kind != Kind::kString || scope->kind != Kind::kObject) {
        return Bad(path, "$code with $scope needs a string and an object");
      }
      bson_t scope_doc = BSON_INITIALIZER;
      absl::Status s = AppendDocument(*scope, path + ".$scope", &scope_doc);
      if (s.ok()) bson_append_code_with_scope(out, k, kl, code->text.c_str(), &scope_doc);
      bson_destroy(&scope_doc);
      return s;
    }
  }
  *handled = false;
  return absl::OkStatus();
}

absl::Status AppendNumber(bson_t* out, const std::string& key, const JsonValue& v,
                          const std::string& path) {
  const char* k = key.c_str();
  const int kl = static_cast<int>(key.size());
  const std::string& t = v.text;
  if (t.find_first_of(".eEIN") == std::string::npos) {
    int64_t i = 0;
    if (ParseInteger(t, &i)) {
      if (i >= INT32_MIN && i <= INT32_MAX) {
        bson_append_int32(out, k, kl, static_cast<int32_t>(i));
      } else {
        bson_append_int64(out, k, kl, i);
      }
      return absl::OkStatus();
    }
  }
  double d = 0;
  if (!ParseDouble(t, &d)) return Bad(path, absl::StrCat("bad number '", t, "'"));
  bson_append_double(out, k, kl, d);
  return absl::OkStatus();
}

absl::Status AppendValue(bson_t* out, const std::string& key, const JsonValue& v,
                         const std::string& path) {
  const char* k = key.c_str();
  const int kl = static_cast<int>(key.size());
  switch (v.kind) {
    case Kind::kNull:
      bson_append_null(out, k, kl);
      return absl::OkStatus();
    case Kind::kUndefined:
      bson_append_undefined(out, k, kl);
      return absl::OkStatus();
    case Kind::kBool:
      bson_append_bool(out, k, kl, v.boolean);
      return absl::OkStatus();
    case Kind::kNumber:
      return AppendNumber(out, key, v, path);
    case Kind::kString:
      if (!bson_utf8_validate(v.text.data(), v.text.size(), /*allow_null=*/true)) {
        return Bad(path, "string is not valid UTF-8");
      }
      bson_append_utf8(out, k, kl, v.text.data(), static_cast<int>(v.text.size()));
      return absl::OkStatus();
    case Kind::kRegex:
      bson_append_regex(out, k, kl, v.text.c_str(), SortedRegexOptions(v.options).c_str());
      return absl::OkStatus();
    case Kind::kObject: {
      bool handled = false;
      RETURN_IF_ERROR(AppendWrapper(out, key, v, path, &handled));
      if (handled) return absl::OkStatus();
      bson_t child;
      bson_append_document_begin(out, k, kl, &child);
      absl::Status s = AppendDocument(v, path, &child);
      bson_append_document_end(out, &child);
      return s;
    }
    case Kind::kArray: {
      bson_t child;
      bson_append_array_begin(out, k, kl, &child);
      absl::Status s;
      for (size_t i = 0; i < v.elements.size() && s.ok(); ++i) {
        std::string index = absl::StrCat(i);
        s = AppendValue(&child, index, v.elements[i], absl::StrCat(path, ".", index));
      }
      bson_append_array_end(out, &child);
      return s;
    }
  }
  return Bad(path, "unknown value");
}

absl::Status AppendDocument(const JsonValue& object, const std::string& path, bson_t* out) {
  for (const auto& [key, value] : object.members) {
    if (key.find('\0') != std::string::npos) return Bad(path, "a field name contains a NUL byte");
    RETURN_IF_ERROR(AppendValue(out, key, value, path.empty() ? key : path + "." + key));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Document> JsonToBson(const JsonValue& object) {
  if (object.kind != Kind::kObject) return absl::InvalidArgumentError("not a JSON object");
  Document doc;
  bson_t* out = doc.mutable_bson();
  RETURN_IF_ERROR(AppendDocument(object, "", out));
  return doc;
}

}  // namespace strata::tools
