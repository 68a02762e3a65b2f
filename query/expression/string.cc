// String operators. Strings are UTF-8; code-point operators count code points, byte
// operators count bytes. $toUpper/$toLower/$strcasecmp change ASCII letters only (as MongoDB).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "query/expression/decimal.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {

size_t CountCodePoints(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Byte offset of code point `cp` (s.size() when past the end).
size_t CodePointOffset(absl::string_view s, size_t cp) {
  size_t i = 0;
  while (i < s.size() && cp > 0) {
    ++i;
    while (i < s.size() && IsContinuation(static_cast<unsigned char>(s[i]))) ++i;
    --cp;
  }
  return i;
}

// MongoDB's coerceToString: strings as they are, numbers as text, dates as ISO text,
// null/missing as "". Others fail with Location16007.
absl::StatusOr<std::string> CoerceToString(const Value& v) {
  switch (v.type()) {
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
      return std::string(v.str());
    case BSON_TYPE_INT32:
      return std::to_string(v.int32());
    case BSON_TYPE_INT64:
      return std::to_string(v.int64());
    case BSON_TYPE_DOUBLE:
      return DoubleToString(v.dbl());
    case BSON_TYPE_DECIMAL128:
      return DecToString(v.decimal());
    case BSON_TYPE_DATE_TIME:
      return FormatIsoDate(v.date());
    case BSON_TYPE_TIMESTAMP:
      return absl::StrCat("Timestamp(", v.raw().value.v_timestamp.timestamp, ", ",
                          v.raw().value.v_timestamp.increment, ")");
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
      return std::string();
    default:
      return Error(16007, absl::StrCat("can't convert from BSON type ", TypeName(v), " to String"));
  }
}

absl::StatusOr<Value> Concat(absl::Span<const Value> args, EvalContext&) {
  std::string out;
  for (const Value& v : args) {
    if (v.nullish()) return Value::Null();
    if (!v.is_string()) {
      return Error(16702, absl::StrCat("$concat only supports strings, not ", TypeName(v)));
    }
    out.append(v.str().data(), v.str().size());
  }
  return Value::String(out);
}

absl::StatusOr<Value> SubstrBytes(absl::Span<const Value> args, absl::string_view name) {
  ASSIGN_OR_RETURN(std::string s, CoerceToString(args[0]));
  const Value& start = args[1];
  const Value& length = args[2];
  if (!start.is_number()) {
    return Error(16034,
                 absl::StrCat(name, ":  starting index must be a numeric type (is BSON type ",
                              TypeName(start), ")"));
  }
  if (!length.is_number()) {
    return Error(16035, absl::StrCat(name, ":  length must be a numeric type (is BSON type ",
                                     TypeName(length), ")"));
  }
  const double lower_d = start.ToDouble();
  if (lower_d < 0) return Value::String("");
  const size_t lower = static_cast<size_t>(lower_d);
  if (lower >= s.size()) return Value::String("");
  const double len_d = length.ToDouble();
  size_t len = len_d < 0 ? s.size() : static_cast<size_t>(std::min<double>(len_d, 1e15));
  if (lower < s.size() && IsContinuation(static_cast<unsigned char>(s[lower]))) {
    return Error(28656, absl::StrCat(name,
                                     ":  Invalid range, starting index is a UTF-8 continuation "
                                     "byte."));
  }
  len = std::min(len, s.size() - lower);
  if (lower + len < s.size() && IsContinuation(static_cast<unsigned char>(s[lower + len]))) {
    return Error(28657, absl::StrCat(name,
                                     ":  Invalid range, ending index is in the middle of a UTF-8 "
                                     "character."));
  }
  return Value::String(absl::string_view(s).substr(lower, len));
}

absl::StatusOr<Value> SubstrCP(absl::Span<const Value> args, EvalContext&) {
  ASSIGN_OR_RETURN(std::string s, CoerceToString(args[0]));
  const Value& start = args[1];
  const Value& length = args[2];
  if (!start.is_number()) {
    return Error(34450, absl::StrCat("$substrCP: starting index must be a numeric type (is BSON "
                                     "type ",
                                     TypeName(start), ")"));
  }
  int32_t lower, count;
  if (!ToInt32Exact(start, &lower)) {
    return Error(34451, absl::StrCat("$substrCP: starting index cannot be represented as a 32-bit "
                                     "integral value: ",
                                     start.DebugString()));
  }
  if (!length.is_number()) {
    return Error(34452, absl::StrCat("$substrCP: length must be a numeric type (is BSON type ",
                                     TypeName(length), ")"));
  }
  if (!ToInt32Exact(length, &count)) {
    return Error(34453, absl::StrCat("$substrCP: length cannot be represented as a 32-bit integral "
                                     "value: ",
                                     length.DebugString()));
  }
  if (lower < 0) return Error(34455, "$substrCP: the starting index must be nonnegative integer.");
  if (count < 0) return Error(34454, "$substrCP: length must be a nonnegative integer.");
  const size_t begin = CodePointOffset(s, static_cast<size_t>(lower));
  const size_t end =
      begin + CodePointOffset(absl::string_view(s).substr(begin), static_cast<size_t>(count));
  return Value::String(absl::string_view(s).substr(begin, end - begin));
}

absl::StatusOr<Value> ChangeCase(const Value& v, bool upper) {
  ASSIGN_OR_RETURN(std::string s, CoerceToString(v));
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return Value::String(s);
}

absl::StatusOr<Value> StrCaseCmp(absl::Span<const Value> args, EvalContext&) {
  ASSIGN_OR_RETURN(Value bv, ChangeCase(args[1], false));
  ASSIGN_OR_RETURN(Value av, ChangeCase(args[0], false));
  const int c = av.str().compare(bv.str());
  return Value::Int32(c < 0 ? -1 : (c > 0 ? 1 : 0));
}

absl::StatusOr<Value> Split(absl::Span<const Value> args, EvalContext&) {
  const Value& s = args[0];
  const Value& sep = args[1];
  if (s.nullish()) return Value::Null();
  if (!s.is_string()) {
    return Error(40085, absl::StrCat("$split requires an expression that evaluates to a string "
                                     "as a first argument, found: ",
                                     TypeName(s)));
  }
  if (sep.nullish()) return Value::Null();
  if (!sep.is_string()) {
    return Error(40086, absl::StrCat("$split requires an expression that evaluates to a string "
                                     "as a second argument, found: ",
                                     TypeName(sep)));
  }
  if (sep.str().empty()) return Error(40087, "$split requires a non-empty separator");
  ArrayBuilder out;
  absl::string_view rest = s.str();
  const absl::string_view d = sep.str();
  while (true) {
    const size_t pos = rest.find(d);
    if (pos == absl::string_view::npos) {
      out.Append(Value::String(rest));
      break;
    }
    out.Append(Value::String(rest.substr(0, pos)));
    rest = rest.substr(pos + d.size());
  }
  return out.Build();
}

absl::StatusOr<Value> StrLen(const Value& v, bool code_points) {
  if (!v.is_string()) {
    return code_points ? Error(34471, absl::StrCat("$strLenCP requires a string argument, found: ",
                                                   TypeName(v)))
                       : Error(34473, absl::StrCat("$strLenBytes requires a string argument, "
                                                   "found: ",
                                                   TypeName(v)));
  }
  const size_t n = code_points ? CountCodePoints(v.str()) : v.str().size();
  return Value::Int32(static_cast<int32_t>(n));
}

absl::Status CheckIndexArg(const Value& v, absl::string_view op, absl::string_view what,
                           int64_t* out) {
  if (!ToInt64Exact(v, out)) {
    return Error(40096, absl::StrCat(op, " requires an integral ", what,
                                     ", found a value of type: ", TypeName(v),
                                     ", with value: ", v.DebugString()));
  }
  if (*out < 0) {
    return Error(40097, absl::StrCat(op, " requires a nonnegative ", what, ", found: ", *out));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> IndexOfString(absl::Span<const Value> args, bool code_points) {
  const absl::string_view op = code_points ? "$indexOfCP" : "$indexOfBytes";
  const Value& s = args[0];
  if (s.nullish()) return Value::Null();
  if (!s.is_string()) {
    return Error(
        code_points ? 40093 : 40091,
        absl::StrCat(op, " requires a string as the first argument, found: ", TypeName(s)));
  }
  const Value& sub = args[1];
  if (!sub.is_string()) {
    return Error(
        code_points ? 40094 : 40092,
        absl::StrCat(op, " requires a string as the second argument, found: ", TypeName(sub)));
  }
  const absl::string_view text = s.str();
  const size_t length = code_points ? CountCodePoints(text) : text.size();
  int64_t start = 0, end = static_cast<int64_t>(length);
  if (args.size() > 2) RETURN_IF_ERROR(CheckIndexArg(args[2], op, "starting index", &start));
  if (args.size() > 3) {
    RETURN_IF_ERROR(CheckIndexArg(args[3], op, "ending index", &end));
    end = std::min<int64_t>(end, static_cast<int64_t>(length));
  }
  if (start > static_cast<int64_t>(length) || start > end) return Value::Int32(-1);
  const size_t b =
      code_points ? CodePointOffset(text, static_cast<size_t>(start)) : static_cast<size_t>(start);
  const size_t e =
      code_points ? CodePointOffset(text, static_cast<size_t>(end)) : static_cast<size_t>(end);
  const absl::string_view window = text.substr(b, e - b);
  const size_t pos = window.find(sub.str());
  if (pos == absl::string_view::npos || pos + sub.str().size() > window.size()) {
    return Value::Int32(-1);
  }
  const size_t abs = b + pos;
  const size_t index = code_points ? CountCodePoints(text.substr(0, abs)) : abs;
  return Value::Int32(static_cast<int32_t>(index));
}

// ---- $trim / $ltrim / $rtrim ----

std::vector<uint32_t> DecodeUtf8(absl::string_view s, std::vector<size_t>* offsets) {
  std::vector<uint32_t> cps;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    uint32_t cp = len == 1 ? c : (c & (0xFF >> (len + 1)));
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (offsets) offsets->push_back(i);
    cps.push_back(cp);
    i += len;
  }
  if (offsets) offsets->push_back(s.size());
  return cps;
}

absl::StatusOr<ExpressionPtr> ParseTrim(const bson_iter_t& operand, ParseContext& ctx,
                                        absl::string_view op, bool left, bool right) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(50696, absl::StrCat(op, " only supports an object as an argument, found ",
                                     TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> args(2);
  for (auto& [name, it] : *fields) {
    int slot = name == "input" ? 0 : name == "chars" ? 1 : -1;
    if (slot < 0) return Error(50694, absl::StrCat(op, " found an unknown argument: ", name));
    ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
  }
  if (!args[0]) return Error(50695, absl::StrCat(op, " requires an 'input' field"));
  std::string name(op);
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [name, left, right](const std::vector<ExpressionPtr>& args,
                          EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        if (input.nullish()) return Value::Null();
        if (!input.is_string()) {
          return Error(50699, absl::StrCat(name, " requires its input to be a string, got ",
                                           input.DebugString(), " (of type ", TypeName(input),
                                           ") instead."));
        }
        std::vector<uint32_t> chars = {0x0000, 0x0020, 0x0009, 0x000A, 0x000B, 0x000C, 0x000D,
                                       0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
                                       0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A};
        if (args[1] != nullptr) {
          ASSIGN_OR_RETURN(Value c, args[1]->Evaluate(ctx));
          if (c.nullish()) return Value::Null();
          if (!c.is_string()) {
            return Error(
                50700, absl::StrCat(name, " requires 'chars' to be a string, got ", c.DebugString(),
                                    " (of type ", TypeName(c), ") instead."));
          }
          chars = DecodeUtf8(c.str(), nullptr);
        }
        std::vector<size_t> offsets;
        const absl::string_view text = input.str();
        const std::vector<uint32_t> cps = DecodeUtf8(text, &offsets);
        auto in_set = [&](uint32_t cp) {
          return std::find(chars.begin(), chars.end(), cp) != chars.end();
        };
        size_t b = 0, e = cps.size();
        if (left) {
          while (b < e && in_set(cps[b])) ++b;
        }
        if (right) {
          while (e > b && in_set(cps[e - 1])) --e;
        }
        return Value::String(text.substr(offsets[b], offsets[e] - offsets[b]));
      }));
}

// ---- regular expressions ----

struct CompiledRegex {
  pcre2_code* code = nullptr;
  ~CompiledRegex() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

enum class RegexOp { kMatch, kFind, kFindAll };

absl::StatusOr<std::shared_ptr<CompiledRegex>> CompileRegex(absl::string_view op,
                                                            const Value& regex,
                                                            const Value& options) {
  std::string pattern, flags;
  if (regex.type() == BSON_TYPE_REGEX) {
    pattern = regex.raw().value.v_regex.regex;
    flags = regex.raw().value.v_regex.options;
  } else if (regex.is_string()) {
    pattern = std::string(regex.str());
  } else {
    return Error(51105, absl::StrCat(op, " needs 'regex' to be of type string or regex"));
  }
  if (!options.nullish()) {
    if (!options.is_string()) {
      return Error(51106, absl::StrCat(op, " needs 'options' to be of type string"));
    }
    if (!flags.empty() && !options.str().empty()) {
      return Error(51107, absl::StrCat(op,
                                       ": found regex option(s) specified in both 'regex' and "
                                       "'option' fields"));
    }
    flags += std::string(options.str());
  }
  if (pattern.find('\0') != std::string::npos) {
    return Error(51109,
                 absl::StrCat(op, ": regular expression cannot contain an embedded null byte"));
  }
  uint32_t f = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  for (char c : flags) {
    switch (c) {
      case 'i':
        f |= PCRE2_CASELESS;
        break;
      case 'm':
        f |= PCRE2_MULTILINE;
        break;
      case 's':
        f |= PCRE2_DOTALL;
        break;
      case 'x':
        f |= PCRE2_EXTENDED;
        break;
      case 'u':
        break;
      default:
        return Error(
            51108, absl::StrCat(op, " invalid flag in regex options: ", absl::string_view(&c, 1)));
    }
  }
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto out = std::make_shared<CompiledRegex>();
  out->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), f, &error,
                            &offset, nullptr);
  if (out->code == nullptr) {
    PCRE2_UCHAR message[256];
    if (pcre2_get_error_message(error, message, sizeof(message)) < 0) message[0] = 0;
    return Error(
        51111, absl::StrCat("Invalid Regex in ", op, ": ", reinterpret_cast<const char*>(message)));
  }
  return out;
}

// One match of `re` in `subject` at or after byte `start`: {match, idx, captures}.
struct MatchResult {
  bool found = false;
  size_t begin = 0, end = 0;
  Value doc;
};

MatchResult MatchOnce(const CompiledRegex& re, absl::string_view subject, size_t start) {
  MatchResult r;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re.code, nullptr);
  const int rc = pcre2_match(re.code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                             start, 0, md, nullptr);
  if (rc > 0) {
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    uint32_t groups = 0;
    pcre2_pattern_info(re.code, PCRE2_INFO_CAPTURECOUNT, &groups);
    r.found = true;
    r.begin = ov[0];
    r.end = ov[1];
    DocumentBuilder doc;
    doc.Append("match", Value::String(subject.substr(r.begin, r.end - r.begin)));
    doc.Append("idx",
               Value::Int32(static_cast<int32_t>(CountCodePoints(subject.substr(0, r.begin)))));
    ArrayBuilder captures;
    for (uint32_t g = 1; g <= groups; ++g) {
      if (static_cast<int>(g) < rc && ov[2 * g] != PCRE2_UNSET) {
        captures.Append(Value::String(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g])));
      } else {
        captures.Append(Value::Null());
      }
    }
    doc.Append("captures", captures.Build());
    r.doc = doc.Build();
  }
  pcre2_match_data_free(md);
  return r;
}

absl::StatusOr<ExpressionPtr> ParseRegex(const bson_iter_t& operand, ParseContext& ctx,
                                         absl::string_view op, RegexOp kind) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(51103, absl::StrCat(op, " expects an object of named arguments but found: ",
                                     TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> args(3);
  for (auto& [name, it] : *fields) {
    int slot = name == "input" ? 0 : name == "regex" ? 1 : name == "options" ? 2 : -1;
    if (slot < 0) return Error(31024, absl::StrCat(op, " found an unknown argument: ", name));
    ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
  }
  if (!args[0]) return Error(31022, absl::StrCat(op, " requires 'input' parameter"));
  if (!args[1]) return Error(31023, absl::StrCat(op, " requires 'regex' parameter"));
  std::string name(op);
  // Constant patterns compile once, here.
  std::shared_ptr<CompiledRegex> fixed;
  const Value* rc = args[1]->constant();
  const Value* oc = args[2] ? args[2]->constant() : nullptr;
  if (rc != nullptr && !rc->nullish() && (args[2] == nullptr || oc != nullptr)) {
    ASSIGN_OR_RETURN(fixed, CompileRegex(name, *rc, oc ? *oc : Value()));
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [name, kind, fixed](const std::vector<ExpressionPtr>& args,
                          EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value regex, args[1]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value options, EvalOpt(args[2], ctx));
        auto none = [kind]() -> Value {
          if (kind == RegexOp::kMatch) return Value::Bool(false);
          if (kind == RegexOp::kFind) return Value::Null();
          ArrayBuilder empty;
          return empty.Build();
        };
        if (!input.nullish() && !input.is_string()) {
          return Error(51104, absl::StrCat(name, " needs 'input' to be of type string"));
        }
        std::shared_ptr<CompiledRegex> re = fixed;
        if (re == nullptr) {
          if (regex.nullish()) {
            if (!options.nullish() && !options.is_string()) {
              return Error(51106, absl::StrCat(name, " needs 'options' to be of type string"));
            }
            return none();
          }
          ASSIGN_OR_RETURN(re, CompileRegex(name, regex, options));
        }
        if (input.nullish()) return none();
        const absl::string_view subject = input.str();
        if (kind != RegexOp::kFindAll) {
          MatchResult m = MatchOnce(*re, subject, 0);
          if (kind == RegexOp::kMatch) return Value::Bool(m.found);
          return m.found ? m.doc : Value::Null();
        }
        ArrayBuilder out;
        size_t start = 0;
        while (start <= subject.size()) {
          MatchResult m = MatchOnce(*re, subject, start);
          if (!m.found) break;
          out.Append(m.doc);
          if (m.end > m.begin) {
            start = m.end;
          } else {
            start = m.end + 1;
            while (start < subject.size() &&
                   IsContinuation(static_cast<unsigned char>(subject[start]))) {
              ++start;
            }
          }
        }
        return out.Build();
      }));
}

// ---- $replaceOne / $replaceAll ----

absl::StatusOr<ExpressionPtr> ParseReplace(const bson_iter_t& operand, ParseContext& ctx,
                                           absl::string_view op, bool all) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(51751, absl::StrCat(op, " requires an object as an argument, found: ",
                                     TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> args(3);
  for (auto& [name, it] : *fields) {
    int slot = name == "input" ? 0 : name == "find" ? 1 : name == "replacement" ? 2 : -1;
    if (slot < 0) return Error(51750, absl::StrCat(op, " found an unknown argument: ", name));
    ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
  }
  if (!args[0]) return Error(51749, absl::StrCat(op, " requires 'input' to be specified"));
  if (!args[1]) return Error(51748, absl::StrCat(op, " requires 'find' to be specified"));
  if (!args[2]) return Error(51747, absl::StrCat(op, " requires 'replacement' to be specified"));
  std::string name(op);
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [name, all](const std::vector<ExpressionPtr>& args,
                  EvalContext& ctx) -> absl::StatusOr<Value> {
        Value v[3];
        const char* names[3] = {"input", "find", "replacement"};
        const int codes[3] = {51746, 51745, 51744};
        bool any_null = false;
        for (int i = 0; i < 3; ++i) {
          ASSIGN_OR_RETURN(v[i], args[i]->Evaluate(ctx));
          if (v[i].nullish()) {
            any_null = true;
          } else if (!v[i].is_string()) {
            return Error(codes[i], absl::StrCat(name, " requires that '", names[i],
                                                "' be a string, found: ", v[i].DebugString()));
          }
        }
        if (any_null) return Value::Null();
        const absl::string_view input = v[0].str(), find = v[1].str(), repl = v[2].str();
        std::string out;
        size_t pos = 0;
        while (true) {
          const size_t hit = input.find(find, pos);
          if (hit == absl::string_view::npos) break;
          out.append(input.data() + pos, hit - pos);
          out.append(repl.data(), repl.size());
          pos = hit + find.size();
          if (!all) break;
          if (find.empty()) {
            if (pos >= input.size()) {
              pos = input.size();
              break;
            }
            // Copy one code point and continue.
            size_t next = pos + 1;
            while (next < input.size() && IsContinuation(static_cast<unsigned char>(input[next]))) {
              ++next;
            }
            out.append(input.data() + pos, next - pos);
            pos = next;
            if (pos == input.size()) {
              out.append(repl.data(), repl.size());
              break;
            }
          }
        }
        out.append(input.data() + pos, input.size() - pos);
        return Value::String(out);
      }));
}

}  // namespace

void AddStringOperators(OperatorTable* t) {
  (*t)["$concat"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$concat", o, c, 0, kUnbounded, Concat);
  };
  for (const char* name : {"$substrBytes", "$substr"}) {
    (*t)[name] = [name](const bson_iter_t& o, ParseContext& c) {
      return MakeNary(name, o, c, 3, 3, [name](absl::Span<const Value> v, EvalContext&) {
        return SubstrBytes(v, name);
      });
    };
  }
  (*t)["$substrCP"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$substrCP", o, c, 3, 3, SubstrCP);
  };
  (*t)["$toUpper"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$toUpper", o, c, 1, 1,
                    [](absl::Span<const Value> v, EvalContext&) { return ChangeCase(v[0], true); });
  };
  (*t)["$toLower"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$toLower", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return ChangeCase(v[0], false);
    });
  };
  (*t)["$strcasecmp"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$strcasecmp", o, c, 2, 2, StrCaseCmp);
  };
  (*t)["$split"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$split", o, c, 2, 2, Split);
  };
  (*t)["$strLenCP"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$strLenCP", o, c, 1, 1,
                    [](absl::Span<const Value> v, EvalContext&) { return StrLen(v[0], true); });
  };
  (*t)["$strLenBytes"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$strLenBytes", o, c, 1, 1,
                    [](absl::Span<const Value> v, EvalContext&) { return StrLen(v[0], false); });
  };
  (*t)["$indexOfCP"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$indexOfCP", o, c, 2, 4,
                    [](absl::Span<const Value> v, EvalContext&) { return IndexOfString(v, true); });
  };
  (*t)["$indexOfBytes"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$indexOfBytes", o, c, 2, 4, [](absl::Span<const Value> v, EvalContext&) {
      return IndexOfString(v, false);
    });
  };
  (*t)["$trim"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseTrim(o, c, "$trim", true, true);
  };
  (*t)["$ltrim"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseTrim(o, c, "$ltrim", true, false);
  };
  (*t)["$rtrim"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseTrim(o, c, "$rtrim", false, true);
  };
  (*t)["$regexMatch"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseRegex(o, c, "$regexMatch", RegexOp::kMatch);
  };
  (*t)["$regexFind"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseRegex(o, c, "$regexFind", RegexOp::kFind);
  };
  (*t)["$regexFindAll"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseRegex(o, c, "$regexFindAll", RegexOp::kFindAll);
  };
  (*t)["$replaceOne"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseReplace(o, c, "$replaceOne", false);
  };
  (*t)["$replaceAll"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseReplace(o, c, "$replaceAll", true);
  };
}

}  // namespace strata::query::expression::internal
