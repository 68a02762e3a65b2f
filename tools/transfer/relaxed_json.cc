#include "tools/transfer/relaxed_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"

namespace strata::tools {
namespace {

constexpr int kMaxDepth = 100;

bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '$'; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

JsonValue Number(std::string text) {
  JsonValue v;
  v.kind = JsonValue::Kind::kNumber;
  v.text = std::move(text);
  return v;
}

}  // namespace

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.kind = Kind::kString;
  v.text = std::move(s);
  return v;
}

JsonValue JsonValue::Wrapper(std::string key, JsonValue value) {
  JsonValue v;
  v.kind = Kind::kObject;
  v.members.emplace_back(std::move(key), std::move(value));
  return v;
}

int RelaxedJsonParser::LineOf(size_t offset) const {
  offset = std::min(offset, text_.size());
  if (offset < line_offset_) line_offset_ = 0, line_ = 1;
  for (size_t i = line_offset_; i < offset; ++i) line_ += text_[i] == '\n';
  line_offset_ = offset;
  return line_;
}

absl::Status RelaxedJsonParser::Error(absl::string_view message) const {
  size_t line_start = text_.rfind('\n', pos_ == 0 ? 0 : pos_ - 1);
  line_start = (line_start == std::string_view::npos || pos_ == 0) ? 0 : line_start + 1;
  return absl::InvalidArgumentError(
      absl::StrCat("line ", LineOf(pos_), ", column ", pos_ - line_start + 1, ": ", message));
}

void RelaxedJsonParser::SkipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
      size_t end = text_.find("*/", pos_ + 2);
      pos_ = end == std::string_view::npos ? text_.size() : end + 2;
    } else if (pos_ == 0 && text_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;  // UTF-8 byte order mark
    } else {
      return;
    }
  }
}

bool RelaxedJsonParser::Consume(char c) {
  if (Peek() != c) return false;
  ++pos_;
  return true;
}

std::string RelaxedJsonParser::ParseIdentifier() {
  SkipSpace();
  size_t start = pos_;
  if (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) return "";
  while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
  return std::string(text_.substr(start, pos_ - start));
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseValue() { return ParseValueAt(0); }

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseValueAt(int depth) {
  if (depth > kMaxDepth) return Error("nested more than 100 levels");
  char c = Peek();
  if (c == '{') return ParseObject(depth + 1);
  if (c == '[') return ParseArray(depth + 1);
  if (c == '"' || c == '\'') {
    ASSIGN_OR_RETURN(std::string s, ParseString());
    return JsonValue::String(std::move(s));
  }
  if (c == '-' || c == '+' || c == '.' || absl::ascii_isdigit(c)) return ParseNumber();
  if (c == '/') return ParseRegex();
  if (c == '\0') return Error("unexpected end of input, expected a value");
  size_t start = pos_;
  std::string word = ParseIdentifier();
  if (word.empty()) return Error(absl::StrCat("unexpected character '", std::string(1, c), "'"));
  if (word == "new") {
    word = ParseIdentifier();
    if (word.empty()) return Error("expected a constructor name after 'new'");
  }
  JsonValue v;
  if (word == "true" || word == "false") {
    v.kind = JsonValue::Kind::kBool;
    v.boolean = word == "true";
    return v;
  }
  if (word == "null") return v;
  if (word == "undefined") {
    JsonValue yes;
    yes.kind = JsonValue::Kind::kBool;
    yes.boolean = true;
    return JsonValue::Wrapper("$undefined", std::move(yes));
  }
  if (word == "Infinity" || word == "NaN") return Number(word);
  if (Peek() == '(' || word == "MinKey" || word == "MaxKey") return ParseConstructor(word, depth);
  pos_ = start;
  return Error(absl::StrCat("unexpected word '", word, "'"));
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseObject(int depth) {
  Consume('{');
  JsonValue object;
  object.kind = JsonValue::Kind::kObject;
  while (true) {
    char c = Peek();
    if (c == '}') {
      ++pos_;
      return object;
    }
    std::string key;
    if (c == '"' || c == '\'') {
      ASSIGN_OR_RETURN(key, ParseString());
    } else if (absl::ascii_isdigit(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) ++pos_;
      key = std::string(text_.substr(start, pos_ - start));
    } else {
      key = ParseIdentifier();
      if (key.empty()) {
        return Error(c == '\0' ? "unexpected end of input inside an object"
                               : "expected a field name or '}'");
      }
    }
    if (!Consume(':')) return Error(absl::StrCat("expected ':' after field name '", key, "'"));
    ASSIGN_OR_RETURN(JsonValue value, ParseValueAt(depth));
    object.members.emplace_back(std::move(key), std::move(value));
    if (Consume(',')) continue;
    if (Peek() == '}') continue;
    return Error(Peek() == '\0' ? "unexpected end of input inside an object"
                                : "expected ',' or '}' in an object");
  }
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseArray(int depth) {
  Consume('[');
  JsonValue array;
  array.kind = JsonValue::Kind::kArray;
  while (true) {
    if (Consume(']')) return array;
    ASSIGN_OR_RETURN(JsonValue value, ParseValueAt(depth));
    array.elements.push_back(std::move(value));
    if (Consume(',')) continue;
    if (Peek() == ']') continue;
    return Error(Peek() == '\0' ? "unexpected end of input inside an array"
                                : "expected ',' or ']' in an array");
  }
}

absl::StatusOr<std::string> RelaxedJsonParser::ParseString() {
  char quote = text_[pos_++];
  std::string out;
  while (true) {
    if (pos_ >= text_.size()) return Error("unterminated string");
    char c = text_[pos_++];
    if (c == quote) return out;
    if (c == '\n') return Error("unterminated string (newline inside it)");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    char e = text_[pos_++];
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case '0':
        out.push_back('\0');
        break;
      case 'u': {
        auto hex4 = [&](uint32_t* cp) {
          if (pos_ + 4 > text_.size()) return false;
          auto [p, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, *cp, 16);
          if (ec != std::errc() || p != text_.data() + pos_ + 4) return false;
          pos_ += 4;
          return true;
        };
        uint32_t cp = 0;
        if (!hex4(&cp)) return Error("bad \\u escape (needs 4 hex digits)");
        if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
          size_t save = pos_;
          pos_ += 2;
          uint32_t low = 0;
          if (hex4(&low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else {
            pos_ = save;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) return Error("lone surrogate in \\u escape");
        AppendUtf8(cp, &out);
        break;
      }
      default:
        out.push_back(e);  // \" \' \\ \/ and anything else stands for itself
    }
  }
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseNumber() {
  size_t start = pos_;
  if (text_[pos_] == '+') ++start, ++pos_;
  if (text_[pos_] == '-') ++pos_;
  if (text_.substr(pos_, 8) == "Infinity") {
    pos_ += 8;
    return Number(std::string(text_.substr(start, pos_ - start)));
  }
  while (pos_ < text_.size() && (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == '.' ||
                                 ((text_[pos_] == '-' || text_[pos_] == '+') &&
                                  (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
    ++pos_;
  }
  std::string literal(text_.substr(start, pos_ - start));
  char* end = nullptr;
  std::strtod(literal.c_str(), &end);
  if (literal.empty() || end != literal.c_str() + literal.size() ||
      literal.find_first_of("xXnN") != std::string::npos) {
    pos_ = start;
    return Error(absl::StrCat("bad number '", literal, "'"));
  }
  return Number(std::move(literal));
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseRegex() {
  ++pos_;
  JsonValue v;
  v.kind = JsonValue::Kind::kRegex;
  bool in_class = false;
  while (true) {
    if (pos_ >= text_.size() || text_[pos_] == '\n')
      return Error("unterminated regular expression");
    char c = text_[pos_++];
    if (c == '\\' && pos_ < text_.size()) {
      v.text.push_back(c);
      v.text.push_back(text_[pos_++]);
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '/' && !in_class) break;
    v.text.push_back(c);
  }
  while (pos_ < text_.size() && absl::ascii_isalpha(text_[pos_]))
    v.options.push_back(text_[pos_++]);
  return v;
}

absl::StatusOr<std::vector<JsonValue>> RelaxedJsonParser::ParseArguments(int depth) {
  std::vector<JsonValue> args;
  if (!Consume('(')) return args;
  while (true) {
    if (Consume(')')) return args;
    ASSIGN_OR_RETURN(JsonValue value, ParseValueAt(depth));
    args.push_back(std::move(value));
    if (Consume(',')) continue;
    if (Peek() == ')') continue;
    return Error("expected ',' or ')' in an argument list");
  }
}

absl::StatusOr<JsonValue> RelaxedJsonParser::ParseConstructor(const std::string& name, int depth) {
  size_t start = pos_;
  ASSIGN_OR_RETURN(std::vector<JsonValue> args, ParseArguments(depth));
  auto fail = [&](absl::string_view what) {
    pos_ = start;
    return Error(absl::StrCat(name, "(): ", what));
  };
  auto string_arg = [&](size_t i) -> const std::string* {
    return args.size() > i && args[i].kind == JsonValue::Kind::kString ? &args[i].text : nullptr;
  };
  auto scalar_text = [&](size_t i) -> const std::string* {
    if (args.size() <= i) return nullptr;
    if (args[i].kind == JsonValue::Kind::kString || args[i].kind == JsonValue::Kind::kNumber) {
      return &args[i].text;
    }
    return nullptr;
  };
  if (name == "ObjectId") {
    if (args.empty()) {
      bson_oid_t oid;
      bson_oid_init(&oid, nullptr);
      char hex[25];
      bson_oid_to_string(&oid, hex);
      return JsonValue::Wrapper("$oid", JsonValue::String(hex));
    }
    if (!string_arg(0)) return fail("needs a 24-hex-digit string");
    return JsonValue::Wrapper("$oid", args[0]);
  }
  if (name == "ISODate" || name == "Date") {
    int64_t millis = 0;
    if (args.empty()) {
      millis = absl::ToUnixMillis(absl::Now());
    } else if (const std::string* s = string_arg(0)) {
      auto parsed = ParseIsoDate(*s);
      if (!parsed.ok()) return fail(parsed.status().message());
      millis = *parsed;
    } else if (args[0].kind == JsonValue::Kind::kNumber) {
      millis = static_cast<int64_t>(std::strtod(args[0].text.c_str(), nullptr));
    } else {
      return fail("needs a date string or milliseconds since the epoch");
    }
    return JsonValue::Wrapper("$date",
                              JsonValue::Wrapper("$numberLong", Number(absl::StrCat(millis))));
  }
  if (name == "NumberInt" || name == "Int32" || name == "NumberLong" || name == "Long" ||
      name == "NumberDecimal" || name == "Decimal128" || name == "Double") {
    const std::string* s = scalar_text(0);
    if (s == nullptr) return fail("needs a number or a numeric string");
    const char* key = name == "NumberInt" || name == "Int32"   ? "$numberInt"
                      : name == "NumberLong" || name == "Long" ? "$numberLong"
                      : name == "Double"                       ? "$numberDouble"
                                                               : "$numberDecimal";
    return JsonValue::Wrapper(key, JsonValue::String(*s));
  }
  if (name == "Timestamp") {
    JsonValue ts;
    ts.kind = JsonValue::Kind::kObject;
    if (args.size() == 1 && args[0].kind == JsonValue::Kind::kObject) {
      ts = args[0];
    } else if (args.size() == 2 && args[0].kind == JsonValue::Kind::kNumber &&
               args[1].kind == JsonValue::Kind::kNumber) {
      ts.members.emplace_back("t", args[0]);
      ts.members.emplace_back("i", args[1]);
    } else {
      return fail("needs (seconds, increment)");
    }
    return JsonValue::Wrapper("$timestamp", std::move(ts));
  }
  if (name == "BinData" || name == "UUID") {
    std::string base64;
    std::string subtype;
    if (name == "UUID") {
      const std::string* s = string_arg(0);
      std::string hex;
      if (s != nullptr) {
        for (char c : *s)
          if (c != '-') hex.push_back(c);
      }
      if (hex.size() != 32 || !std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit)) {
        return fail("needs 32 hex digits");
      }
      base64 = absl::Base64Escape(absl::HexStringToBytes(hex));
      subtype = "04";
    } else {
      if (args.size() != 2 || args[0].kind != JsonValue::Kind::kNumber || !string_arg(1)) {
        return fail("needs (subtype, \"base64\")");
      }
      int sub = std::atoi(args[0].text.c_str());
      subtype = absl::StrCat(absl::Hex(sub, absl::kZeroPad2));
      base64 = args[1].text;
    }
    JsonValue bin;
    bin.kind = JsonValue::Kind::kObject;
    bin.members.emplace_back("base64", JsonValue::String(base64));
    bin.members.emplace_back("subType", JsonValue::String(subtype));
    return JsonValue::Wrapper("$binary", std::move(bin));
  }
  if (name == "RegExp") {
    if (!string_arg(0)) return fail("needs a pattern string");
    JsonValue v;
    v.kind = JsonValue::Kind::kRegex;
    v.text = args[0].text;
    if (const std::string* f = string_arg(1)) v.options = *f;
    return v;
  }
  if (name == "MinKey" || name == "MaxKey") {
    return JsonValue::Wrapper(name == "MinKey" ? "$minKey" : "$maxKey", Number("1"));
  }
  pos_ = start;
  return Error(absl::StrCat("unknown function '", name, "'"));
}

absl::StatusOr<int64_t> ParseIsoDate(std::string_view text) {
  static constexpr const char* kFormats[] = {
      "%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ", "%Y-%m-%dT%H:%M:%E*S%z",
      "%Y-%m-%dT%H:%M:%E*S",    "%Y-%m-%dT%H:%M%Ez",    "%Y-%m-%dT%H:%MZ",
      "%Y-%m-%dT%H:%M",         "%Y-%m-%d %H:%M:%E*S",  "%Y-%m-%d",
  };
  std::string input(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  for (const char* format : kFormats) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(format, input, absl::UTCTimeZone(), &time, &error)) {
      return absl::ToUnixMillis(time);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", std::string(text), "' is not an ISO-8601 date (e.g. 2000-07-20T00:00:00Z)"));
}

absl::StatusOr<Document> ParseRelaxedDocument(std::string_view text) {
  RelaxedJsonParser parser(text);
  if (parser.Peek() != '{') return parser.Error("expected a JSON object ('{')");
  ASSIGN_OR_RETURN(JsonValue value, parser.ParseValue());
  if (!parser.AtEnd()) return parser.Error("unexpected text after the object");
  return JsonToBson(value);
}

}  // namespace strata::tools
