// $jsonSchema: parse (keyword checks as MongoDB makes them at `create`), evaluate, explain.
//
// The parsed form is a tree of Schema nodes; each keeps its rules in the order the keywords
// were written (that order is the order of errInfo's schemaRulesNotSatisfied). Rules point
// into the owned copy of the schema document for their operands and `specifiedAs`.
// Evaluation is two-speed: RuleMatches answers yes/no and stops at the first failure;
// ExplainRule runs only for a rule that failed and writes its details.
#include "query/validation/json_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/compare.h"
#include "document/type_names.h"
#include "query/match/numbers.h"
#include "query/match/regex.h"

namespace strata::query::validation {
namespace internal {

enum class Keyword {
  kType,
  kBsonType,
  kEnum,
  kMinimum,
  kMaximum,
  kMultipleOf,
  kMinLength,
  kMaxLength,
  kPattern,
  kRequired,
  kProperties,
  kPatternProperties,
  kAdditionalProperties,
  kMinProperties,
  kMaxProperties,
  kItems,
  kAdditionalItems,
  kMinItems,
  kMaxItems,
  kUniqueItems,
  kAllOf,
  kAnyOf,
  kOneOf,
  kNot,
  kDependencies,
};

struct Schema;
using SchemaPtr = std::unique_ptr<Schema>;

struct Dependency {
  std::string property;
  bool is_schema = false;
  std::vector<std::string> required;  // property-list form
  SchemaPtr schema;                   // schema form
};

struct Rule {
  Keyword keyword;
  bson_iter_t spec;  // the keyword's element in ParsedSchema::source
  // minimum / maximum: the exclusive flag and, when written, its element.
  bool exclusive = false;
  bool has_exclusive_spec = false;
  bson_iter_t exclusive_spec;
  uint32_t types = 0;                   // type / bsonType: TypeBit mask
  int64_t limit = 0;                    // min/max Length, Items, Properties
  bool flag = false;                    // uniqueItems
  std::vector<std::string> names;       // required
  std::unique_ptr<match::Regex> regex;  // pattern
  std::vector<SchemaPtr> schemas;       // allOf / anyOf / oneOf / not
  std::vector<Dependency> dependencies;
};

struct PatternProperty {
  std::string pattern;
  std::unique_ptr<match::Regex> regex;
  SchemaPtr schema;
};

struct Schema {
  std::vector<Rule> rules;  // keyword order
  std::vector<std::pair<std::string, SchemaPtr>> properties;
  std::vector<PatternProperty> pattern_properties;
  bool additional_properties_allowed = true;
  SchemaPtr additional_properties;  // schema form
  bool items_is_array = false;
  SchemaPtr items;                   // schema form
  std::vector<SchemaPtr> item_list;  // array form
  bool additional_items_allowed = true;
  SchemaPtr additional_items;  // schema form
  std::string title;
  std::string description;
  bool has_title = false;
  bool has_description = false;
};

struct ParsedSchema {
  Document source;
  SchemaPtr root;
};

}  // namespace internal

namespace {

using internal::Dependency;
using internal::Keyword;
using internal::ParsedSchema;
using internal::PatternProperty;
using internal::Rule;
using internal::Schema;
using internal::SchemaPtr;

// ---------------------------------------------------------------------------------------------
// Types

int TypeBit(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_MINKEY:
      return 20;
    case BSON_TYPE_MAXKEY:
      return 21;
    default:
      return static_cast<int>(type) & 31;
  }
}

uint32_t Bit(bson_type_t type) { return 1u << TypeBit(type); }

constexpr uint32_t kNumberMask = (1u << BSON_TYPE_DOUBLE) | (1u << BSON_TYPE_INT32) |
                                 (1u << BSON_TYPE_INT64) | (1u << BSON_TYPE_DECIMAL128);

struct TypeAlias {
  const char* name;
  uint32_t mask;
};

// bsonType: the $type aliases plus "number".
const TypeAlias kBsonTypeAliases[] = {
    {"double", 1u << BSON_TYPE_DOUBLE},
    {"string", 1u << BSON_TYPE_UTF8},
    {"object", 1u << BSON_TYPE_DOCUMENT},
    {"array", 1u << BSON_TYPE_ARRAY},
    {"binData", 1u << BSON_TYPE_BINARY},
    {"undefined", 1u << BSON_TYPE_UNDEFINED},
    {"objectId", 1u << BSON_TYPE_OID},
    {"bool", 1u << BSON_TYPE_BOOL},
    {"date", 1u << BSON_TYPE_DATE_TIME},
    {"null", 1u << BSON_TYPE_NULL},
    {"regex", 1u << BSON_TYPE_REGEX},
    {"dbPointer", 1u << BSON_TYPE_DBPOINTER},
    {"javascript", 1u << BSON_TYPE_CODE},
    {"symbol", 1u << BSON_TYPE_SYMBOL},
    {"javascriptWithScope", 1u << BSON_TYPE_CODEWSCOPE},
    {"int", 1u << BSON_TYPE_INT32},
    {"timestamp", 1u << BSON_TYPE_TIMESTAMP},
    {"long", 1u << BSON_TYPE_INT64},
    {"decimal", 1u << BSON_TYPE_DECIMAL128},
    {"minKey", 1u << 20},
    {"maxKey", 1u << 21},
    {"number", kNumberMask},
};

// type: JSON Schema's names ("integer" is refused separately).
const TypeAlias kJsonTypeAliases[] = {
    {"object", 1u << BSON_TYPE_DOCUMENT}, {"array", 1u << BSON_TYPE_ARRAY},
    {"string", 1u << BSON_TYPE_UTF8},     {"number", kNumberMask},
    {"boolean", 1u << BSON_TYPE_BOOL},    {"null", 1u << BSON_TYPE_NULL},
};

absl::string_view KeywordName(Keyword k) {
  switch (k) {
    case Keyword::kType:
      return "type";
    case Keyword::kBsonType:
      return "bsonType";
    case Keyword::kEnum:
      return "enum";
    case Keyword::kMinimum:
      return "minimum";
    case Keyword::kMaximum:
      return "maximum";
    case Keyword::kMultipleOf:
      return "multipleOf";
    case Keyword::kMinLength:
      return "minLength";
    case Keyword::kMaxLength:
      return "maxLength";
    case Keyword::kPattern:
      return "pattern";
    case Keyword::kRequired:
      return "required";
    case Keyword::kProperties:
      return "properties";
    case Keyword::kPatternProperties:
      return "patternProperties";
    case Keyword::kAdditionalProperties:
      return "additionalProperties";
    case Keyword::kMinProperties:
      return "minProperties";
    case Keyword::kMaxProperties:
      return "maxProperties";
    case Keyword::kItems:
      return "items";
    case Keyword::kAdditionalItems:
      return "additionalItems";
    case Keyword::kMinItems:
      return "minItems";
    case Keyword::kMaxItems:
      return "maxItems";
    case Keyword::kUniqueItems:
      return "uniqueItems";
    case Keyword::kAllOf:
      return "allOf";
    case Keyword::kAnyOf:
      return "anyOf";
    case Keyword::kOneOf:
      return "oneOf";
    case Keyword::kNot:
      return "not";
    case Keyword::kDependencies:
      return "dependencies";
  }
  return "unknown";
}

absl::string_view IterKey(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

absl::string_view IterUtf8(const bson_iter_t& it) {
  uint32_t len = 0;
  const char* s = bson_iter_utf8(&it, &len);
  return absl::string_view(s, len);
}

// ---------------------------------------------------------------------------------------------
// Unordered comparison (enum, uniqueItems): embedded documents compare as if their fields were
// sorted by name; everything else as document::CompareValues.

int CompareValuesUnordered(const bson_iter_t& a, const bson_iter_t& b);

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

std::vector<bson_iter_t> SortedFields(const uint8_t* data, uint32_t len) {
  std::vector<bson_iter_t> fields;
  bson_iter_t it;
  if (!bson_iter_init_from_data(&it, data, len)) return fields;
  while (bson_iter_next(&it)) fields.push_back(it);
  std::stable_sort(fields.begin(), fields.end(), [](const bson_iter_t& x, const bson_iter_t& y) {
    return IterKey(x) < IterKey(y);
  });
  return fields;
}

int CompareElementLists(const std::vector<bson_iter_t>& a, const std::vector<bson_iter_t>& b,
                        bool compare_names) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const int ra = document::CanonicalTypeRank(bson_iter_type(&a[i]));
    const int rb = document::CanonicalTypeRank(bson_iter_type(&b[i]));
    if (ra != rb) return ra < rb ? -1 : 1;
    if (compare_names) {
      const int c = IterKey(a[i]).compare(IterKey(b[i]));
      if (c != 0) return Sign(c);
    }
    const int c = CompareValuesUnordered(a[i], b[i]);
    if (c != 0) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

int CompareDocumentsUnordered(const uint8_t* a, uint32_t alen, const uint8_t* b, uint32_t blen) {
  return CompareElementLists(SortedFields(a, alen), SortedFields(b, blen), true);
}

std::vector<bson_iter_t> ArrayElements(const bson_iter_t& array) {
  std::vector<bson_iter_t> out;
  bson_iter_t child;
  if (!bson_iter_recurse(&array, &child)) return out;
  while (bson_iter_next(&child)) out.push_back(child);
  return out;
}

int CompareValuesUnordered(const bson_iter_t& a, const bson_iter_t& b) {
  const bson_type_t ta = bson_iter_type(&a);
  const bson_type_t tb = bson_iter_type(&b);
  const int ra = document::CanonicalTypeRank(ta);
  const int rb = document::CanonicalTypeRank(tb);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ta == BSON_TYPE_DOCUMENT && tb == BSON_TYPE_DOCUMENT) {
    const uint8_t* da = nullptr;
    const uint8_t* db = nullptr;
    uint32_t la = 0;
    uint32_t lb = 0;
    bson_iter_document(&a, &la, &da);
    bson_iter_document(&b, &lb, &db);
    return CompareDocumentsUnordered(da, la, db, lb);
  }
  if (ta == BSON_TYPE_ARRAY && tb == BSON_TYPE_ARRAY) {
    return CompareElementLists(ArrayElements(a), ArrayElements(b), false);
  }
  return Sign(document::CompareValues(a, b));
}

// ---------------------------------------------------------------------------------------------
// multipleOf in decimal: value = ±coefficient × 10^exponent, exact for integers and decimal128,
// doubles read at 15 significant digits (MongoDB's double → Decimal128 conversion).

using uint128 = unsigned __int128;

struct DecimalValue {
  bool finite = true;
  bool negative = false;
  uint128 coefficient = 0;
  int exponent = 0;
};

void Normalise(DecimalValue* d) {
  if (d->coefficient == 0) {
    d->exponent = 0;
    return;
  }
  while (d->coefficient % 10 == 0) {
    d->coefficient /= 10;
    ++d->exponent;
  }
}

// Parses "[-]digits[.digits][E[+-]digits]", "NaN", "[-]Infinity".
bool ParseDecimalText(absl::string_view text, DecimalValue* out) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) out->negative = text[i++] == '-';
  if (text.substr(i) == "Infinity" || text.substr(i) == "NaN" || text.substr(i) == "Inf") {
    out->finite = false;
    return true;
  }
  uint128 coefficient = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  int digits = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      if (digits < 38) {
        coefficient = coefficient * 10 + static_cast<unsigned>(c - '0');
        if (coefficient != 0) ++digits;
        if (in_fraction) ++fraction_digits;
      } else if (!in_fraction) {
        return false;
      }
    } else if (c == '.') {
      in_fraction = true;
    } else {
      break;
    }
  }
  int exponent = 0;
  if (i < text.size() && (text[i] == 'E' || text[i] == 'e')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 100000) return false;
    }
    if (negative) exponent = -exponent;
  }
  out->finite = true;
  out->coefficient = coefficient;
  out->exponent = exponent - fraction_digits;
  Normalise(out);
  return true;
}

bool ToDecimal(const bson_iter_t& it, DecimalValue* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32: {
      const int64_t v = bson_iter_int32(&it);
      out->negative = v < 0;
      out->coefficient = static_cast<uint128>(v < 0 ? -v : v);
      out->exponent = 0;
      Normalise(out);
      return true;
    }
    case BSON_TYPE_INT64: {
      const int64_t v = bson_iter_int64(&it);
      out->negative = v < 0;
      // -(v + 1) + 1 avoids overflowing on INT64_MIN.
      out->coefficient = v < 0 ? static_cast<uint128>(-(v + 1)) + 1 : static_cast<uint128>(v);
      out->exponent = 0;
      Normalise(out);
      return true;
    }
    case BSON_TYPE_DOUBLE: {
      const double v = bson_iter_double(&it);
      if (!std::isfinite(v)) {
        out->finite = false;
        return true;
      }
      out->negative = std::signbit(v);
      if (v == 0) {
        out->coefficient = 0;
        out->exponent = 0;
        return true;
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.14e", std::fabs(v));
      return ParseDecimalText(buf, out);
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t dec;
      bson_iter_decimal128(&it, &dec);
      char buf[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&dec, buf);
      return ParseDecimalText(buf, out);
    }
    default:
      return false;
  }
}

uint128 MulMod(uint128 a, uint128 b, uint128 m) {
  // a, b < m < 2^120: doubling never overflows.
  uint128 result = 0;
  a %= m;
  while (b != 0) {
    if (b & 1) result = (result + a) % m;
    a = (a * 2) % m;
    b >>= 1;
  }
  return result;
}

bool IsMultiple(const bson_iter_t& value, const bson_iter_t& divisor) {
  DecimalValue v;
  DecimalValue d;
  if (!ToDecimal(value, &v) || !ToDecimal(divisor, &d)) return false;
  if (!v.finite || !d.finite || d.coefficient == 0) return false;
  if (v.coefficient == 0) return true;
  if (v.exponent >= d.exponent) {
    // v.c × 10^(k) mod d.c, k = v.e - d.e
    uint128 factor = 1 % d.coefficient;
    for (int k = v.exponent - d.exponent; k > 0; --k) factor = (factor * 10) % d.coefficient;
    return MulMod(v.coefficient, factor, d.coefficient) == 0;
  }
  // v.c mod (d.c × 10^k): when the scaled divisor exceeds v.c (it overflows, or simply grows
  // past it), v.c (non-zero) cannot be a multiple.
  uint128 scaled = d.coefficient;
  for (int k = d.exponent - v.exponent; k > 0; --k) {
    if (scaled > v.coefficient) return false;
    scaled *= 10;
  }
  return v.coefficient % scaled == 0;
}

// ---------------------------------------------------------------------------------------------
// Parsing

absl::Status Fail(ErrorCode code, absl::string_view message) { return MongoError(code, message); }

absl::Status KeywordError(ErrorCode code, absl::string_view keyword, absl::string_view what) {
  return MongoError(code, absl::StrCat("$jsonSchema keyword '", keyword, "' ", what));
}

bool IsUnsupportedKeyword(absl::string_view key) {
  return key == "$ref" || key == "$schema" || key == "default" || key == "definitions" ||
         key == "format" || key == "id";
}

class Parser {
 public:
  // Parses the schema object whose fields `fields` (a fresh iterator) walks.
  absl::StatusOr<SchemaPtr> ParseObject(const bson_iter_t& first, int depth);

 private:
  absl::StatusOr<SchemaPtr> ParseNested(const bson_iter_t& element, absl::string_view keyword,
                                        int depth);
  absl::Status ParseTypes(const bson_iter_t& it, bool json, Rule* rule);
  absl::StatusOr<int64_t> ParseCount(const bson_iter_t& it);
  absl::Status ParseStringList(const bson_iter_t& it, absl::string_view keyword,
                               std::vector<std::string>* out);
  absl::Status ParseSchemaArray(const bson_iter_t& it, absl::string_view keyword, int depth,
                                std::vector<SchemaPtr>* out);
  absl::Status ParseEnum(const bson_iter_t& it);
};

absl::StatusOr<SchemaPtr> Parser::ParseNested(const bson_iter_t& element, absl::string_view keyword,
                                              int depth) {
  bson_iter_t child;
  if (bson_iter_type(&element) != BSON_TYPE_DOCUMENT || !bson_iter_recurse(&element, &child)) {
    return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be an object");
  }
  return ParseObject(child, depth + 1);
}

absl::Status Parser::ParseTypes(const bson_iter_t& it, bool json, Rule* rule) {
  const absl::string_view keyword = json ? "type" : "bsonType";
  auto lookup = [&](absl::string_view name) -> absl::StatusOr<uint32_t> {
    if (json) {
      if (name == "integer") {
        return Fail(ErrorCode::kFailedToParse,
                    "$jsonSchema type 'integer' is not currently supported.");
      }
      for (const auto& alias : kJsonTypeAliases) {
        if (name == alias.name) return alias.mask;
      }
      return Fail(ErrorCode::kBadValue, absl::StrCat("Unknown JSON Schema type: ", name));
    }
    for (const auto& alias : kBsonTypeAliases) {
      if (name == alias.name) return alias.mask;
    }
    return Fail(ErrorCode::kBadValue, absl::StrCat("Unknown type name alias: ", name));
  };
  const absl::string_view shape = "must be either a string or an array of strings";
  if (bson_iter_type(&it) == BSON_TYPE_UTF8) {
    ASSIGN_OR_RETURN(rule->types, lookup(IterUtf8(it)));
    return absl::OkStatus();
  }
  if (bson_iter_type(&it) != BSON_TYPE_ARRAY) {
    return KeywordError(ErrorCode::kTypeMismatch, keyword, shape);
  }
  std::vector<std::string> seen;
  bson_iter_t child;
  bson_iter_recurse(&it, &child);
  while (bson_iter_next(&child)) {
    if (bson_iter_type(&child) != BSON_TYPE_UTF8) {
      return KeywordError(ErrorCode::kTypeMismatch, keyword, shape);
    }
    const absl::string_view name = IterUtf8(child);
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return KeywordError(ErrorCode::kFailedToParse, keyword,
                          absl::StrCat("has duplicate value: ", name));
    }
    seen.emplace_back(name);
    ASSIGN_OR_RETURN(uint32_t mask, lookup(name));
    rule->types |= mask;
  }
  if (seen.empty()) {
    return KeywordError(ErrorCode::kFailedToParse, keyword, "must name at least one type");
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseStringList(const bson_iter_t& it, absl::string_view keyword,
                                     std::vector<std::string>* out) {
  if (bson_iter_type(&it) != BSON_TYPE_ARRAY) {
    return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be an array");
  }
  bson_iter_t child;
  bson_iter_recurse(&it, &child);
  while (bson_iter_next(&child)) {
    if (bson_iter_type(&child) != BSON_TYPE_UTF8) {
      return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be an array of strings");
    }
    const absl::string_view name = IterUtf8(child);
    if (std::find(out->begin(), out->end(), name) != out->end()) {
      return KeywordError(ErrorCode::kFailedToParse, keyword,
                          "array cannot contain duplicate values");
    }
    out->emplace_back(name);
  }
  if (out->empty()) {
    return KeywordError(ErrorCode::kFailedToParse, keyword, "cannot be an empty array");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Parser::ParseCount(const bson_iter_t& it) {
  const absl::string_view keyword = IterKey(it);
  if (!match::IsNumber(it))
    return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be a number");
  int64_t value = 0;
  if (!match::ExactInt64(it, &value) || value < 0) {
    return KeywordError(ErrorCode::kFailedToParse, keyword,
                        "must be a non-negative integral number");
  }
  return value;
}

absl::Status Parser::ParseSchemaArray(const bson_iter_t& it, absl::string_view keyword, int depth,
                                      std::vector<SchemaPtr>* out) {
  if (bson_iter_type(&it) != BSON_TYPE_ARRAY) {
    return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be an array");
  }
  bson_iter_t child;
  bson_iter_recurse(&it, &child);
  while (bson_iter_next(&child)) {
    if (bson_iter_type(&child) != BSON_TYPE_DOCUMENT) {
      return KeywordError(ErrorCode::kTypeMismatch, keyword, "must be an array of objects");
    }
    ASSIGN_OR_RETURN(SchemaPtr schema, ParseNested(child, keyword, depth));
    out->push_back(std::move(schema));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseEnum(const bson_iter_t& it) {
  if (bson_iter_type(&it) != BSON_TYPE_ARRAY) {
    return KeywordError(ErrorCode::kTypeMismatch, "enum", "must be an array");
  }
  std::vector<bson_iter_t> values = ArrayElements(it);
  if (values.empty()) {
    return KeywordError(ErrorCode::kFailedToParse, "enum", "cannot be an empty array");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (CompareValuesUnordered(values[i], values[j]) == 0) {
        return KeywordError(ErrorCode::kFailedToParse, "enum",
                            "array cannot contain duplicate values");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SchemaPtr> Parser::ParseObject(const bson_iter_t& first, int depth) {
  bson_iter_t fields = first;
  if (depth > JsonSchema::kMaxDepth) {
    return Fail(ErrorCode::kBadValue, absl::StrCat("$jsonSchema exceeded maximum nesting depth of ",
                                                   JsonSchema::kMaxDepth));
  }
  auto schema = std::make_unique<Schema>();
  std::vector<std::string> seen;
  bool has_type = false;
  bool has_bson_type = false;
  const bson_iter_t* exclusive_minimum = nullptr;
  const bson_iter_t* exclusive_maximum = nullptr;
  bson_iter_t exclusive_minimum_it;
  bson_iter_t exclusive_maximum_it;

  while (bson_iter_next(&fields)) {
    const absl::string_view key = IterKey(fields);
    if (IsUnsupportedKeyword(key)) {
      return KeywordError(ErrorCode::kFailedToParse, key, "is not currently supported");
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Fail(ErrorCode::kFailedToParse, absl::StrCat("Duplicate $jsonSchema keyword: ", key));
    }
    seen.emplace_back(key);
    const bson_type_t type = bson_iter_type(&fields);
    Rule rule;
    rule.spec = fields;

    if (key == "title" || key == "description") {
      if (type != BSON_TYPE_UTF8) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a string");
      }
      if (key == "title") {
        schema->title = std::string(IterUtf8(fields));
        schema->has_title = true;
      } else {
        schema->description = std::string(IterUtf8(fields));
        schema->has_description = true;
      }
      continue;
    }
    if (key == "type" || key == "bsonType") {
      const bool json = key == "type";
      (json ? has_type : has_bson_type) = true;
      if (has_type && has_bson_type) {
        return Fail(ErrorCode::kFailedToParse,
                    "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
      }
      rule.keyword = json ? Keyword::kType : Keyword::kBsonType;
      RETURN_IF_ERROR(ParseTypes(fields, json, &rule));
    } else if (key == "enum") {
      rule.keyword = Keyword::kEnum;
      RETURN_IF_ERROR(ParseEnum(fields));
    } else if (key == "minimum" || key == "maximum") {
      if (!match::IsNumber(fields)) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a number");
      }
      rule.keyword = key == "minimum" ? Keyword::kMinimum : Keyword::kMaximum;
    } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum") {
      if (type != BSON_TYPE_BOOL) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a boolean");
      }
      if (key == "exclusiveMinimum") {
        exclusive_minimum_it = fields;
        exclusive_minimum = &exclusive_minimum_it;
      } else {
        exclusive_maximum_it = fields;
        exclusive_maximum = &exclusive_maximum_it;
      }
      continue;
    } else if (key == "multipleOf") {
      if (!match::IsNumber(fields)) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a number");
      }
      DecimalValue d;
      if (!ToDecimal(fields, &d) || !d.finite || d.negative || d.coefficient == 0) {
        return KeywordError(ErrorCode::kFailedToParse, key, "must have a positive value");
      }
      rule.keyword = Keyword::kMultipleOf;
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
               key == "minProperties" || key == "maxProperties") {
      ASSIGN_OR_RETURN(rule.limit, ParseCount(fields));
      rule.keyword = key == "minLength"       ? Keyword::kMinLength
                     : key == "maxLength"     ? Keyword::kMaxLength
                     : key == "minItems"      ? Keyword::kMinItems
                     : key == "maxItems"      ? Keyword::kMaxItems
                     : key == "minProperties" ? Keyword::kMinProperties
                                              : Keyword::kMaxProperties;
    } else if (key == "pattern") {
      if (type != BSON_TYPE_UTF8) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a string");
      }
      ASSIGN_OR_RETURN(rule.regex, match::Regex::Compile(IterUtf8(fields), ""));
      rule.keyword = Keyword::kPattern;
    } else if (key == "required") {
      RETURN_IF_ERROR(ParseStringList(fields, key, &rule.names));
      rule.keyword = Keyword::kRequired;
    } else if (key == "properties" || key == "patternProperties") {
      bson_iter_t child;
      if (type != BSON_TYPE_DOCUMENT || !bson_iter_recurse(&fields, &child)) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be an object");
      }
      const bool pattern = key == "patternProperties";
      while (bson_iter_next(&child)) {
        const absl::string_view name = IterKey(child);
        bson_iter_t nested;
        if (bson_iter_type(&child) != BSON_TYPE_DOCUMENT || !bson_iter_recurse(&child, &nested)) {
          return Fail(ErrorCode::kTypeMismatch,
                      absl::StrCat("Nested schema for $jsonSchema property '", name,
                                   "' must be an object"));
        }
        ASSIGN_OR_RETURN(SchemaPtr sub, ParseObject(nested, depth + 1));
        if (pattern) {
          PatternProperty p;
          p.pattern = std::string(name);
          ASSIGN_OR_RETURN(p.regex, match::Regex::Compile(name, ""));
          p.schema = std::move(sub);
          schema->pattern_properties.push_back(std::move(p));
        } else {
          schema->properties.emplace_back(std::string(name), std::move(sub));
        }
      }
      rule.keyword = pattern ? Keyword::kPatternProperties : Keyword::kProperties;
    } else if (key == "additionalProperties" || key == "additionalItems") {
      const bool props = key == "additionalProperties";
      bool& allowed =
          props ? schema->additional_properties_allowed : schema->additional_items_allowed;
      SchemaPtr& sub = props ? schema->additional_properties : schema->additional_items;
      if (type == BSON_TYPE_BOOL) {
        allowed = bson_iter_bool(&fields);
      } else if (type == BSON_TYPE_DOCUMENT) {
        ASSIGN_OR_RETURN(sub, ParseNested(fields, key, depth));
      } else {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be either an object or a boolean");
      }
      rule.keyword = props ? Keyword::kAdditionalProperties : Keyword::kAdditionalItems;
    } else if (key == "items") {
      if (type == BSON_TYPE_DOCUMENT) {
        ASSIGN_OR_RETURN(schema->items, ParseNested(fields, key, depth));
      } else if (type == BSON_TYPE_ARRAY) {
        schema->items_is_array = true;
        RETURN_IF_ERROR(ParseSchemaArray(fields, key, depth, &schema->item_list));
      } else {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be an array or an object");
      }
      rule.keyword = Keyword::kItems;
    } else if (key == "uniqueItems") {
      if (type != BSON_TYPE_BOOL) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be a boolean");
      }
      rule.flag = bson_iter_bool(&fields);
      rule.keyword = Keyword::kUniqueItems;
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
      RETURN_IF_ERROR(ParseSchemaArray(fields, key, depth, &rule.schemas));
      if (rule.schemas.empty()) {
        return KeywordError(ErrorCode::kFailedToParse, key, "must be a nonempty array");
      }
      rule.keyword = key == "allOf"   ? Keyword::kAllOf
                     : key == "anyOf" ? Keyword::kAnyOf
                                      : Keyword::kOneOf;
    } else if (key == "not") {
      ASSIGN_OR_RETURN(SchemaPtr sub, ParseNested(fields, key, depth));
      rule.schemas.push_back(std::move(sub));
      rule.keyword = Keyword::kNot;
    } else if (key == "dependencies") {
      bson_iter_t child;
      if (type != BSON_TYPE_DOCUMENT || !bson_iter_recurse(&fields, &child)) {
        return KeywordError(ErrorCode::kTypeMismatch, key, "must be an object");
      }
      while (bson_iter_next(&child)) {
        Dependency dep;
        dep.property = std::string(IterKey(child));
        if (bson_iter_type(&child) == BSON_TYPE_DOCUMENT) {
          dep.is_schema = true;
          ASSIGN_OR_RETURN(dep.schema, ParseNested(child, key, depth));
        } else if (bson_iter_type(&child) == BSON_TYPE_ARRAY) {
          const std::string what = absl::StrCat("dependencies.", dep.property);
          RETURN_IF_ERROR(ParseStringList(child, what, &dep.required));
        } else {
          return Fail(ErrorCode::kTypeMismatch,
                      absl::StrCat("$jsonSchema keyword 'dependencies' must have either an "
                                   "object or an array of strings for property '",
                                   dep.property, "'"));
        }
        rule.dependencies.push_back(std::move(dep));
      }
      rule.keyword = Keyword::kDependencies;
    } else {
      return Fail(ErrorCode::kFailedToParse, absl::StrCat("Unknown $jsonSchema keyword: ", key));
    }
    schema->rules.push_back(std::move(rule));
  }

  // exclusiveMinimum / exclusiveMaximum qualify their bound.
  for (auto [flag, keyword, bound] :
       {std::tuple{exclusive_minimum, absl::string_view("minimum"), Keyword::kMinimum},
        std::tuple{exclusive_maximum, absl::string_view("maximum"), Keyword::kMaximum}}) {
    if (flag == nullptr) continue;
    const Keyword wanted = bound;  // clang-14 cannot capture a structured binding
    auto it = std::find_if(schema->rules.begin(), schema->rules.end(),
                           [&](const Rule& r) { return r.keyword == wanted; });
    if (it == schema->rules.end()) {
      return KeywordError(
          ErrorCode::kFailedToParse, keyword,
          absl::StrCat("must be present if exclusive", keyword == "minimum" ? "Minimum" : "Maximum",
                       " is present"));
    }
    it->exclusive = bson_iter_bool(flag);
    it->has_exclusive_spec = true;
    it->exclusive_spec = *flag;
  }
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

// The value a (sub-)schema is applied to: an element, the root document, or missing.
struct Value {
  const bson_iter_t* it = nullptr;
  const bson_t* root = nullptr;
  bool missing() const { return it == nullptr && root == nullptr; }
  bson_type_t type() const { return root != nullptr ? BSON_TYPE_DOCUMENT : bson_iter_type(it); }
  bool is_object() const { return !missing() && type() == BSON_TYPE_DOCUMENT; }
  bool is_array() const { return !missing() && type() == BSON_TYPE_ARRAY; }
  // The fields (object) or elements (array).
  bool Children(bson_iter_t* out) const {
    if (root != nullptr) return bson_iter_init(out, root);
    return bson_iter_recurse(it, out);
  }
};

bool SchemaMatches(const Schema& schema, const Value& value);

int64_t CountChildren(const Value& value) {
  bson_iter_t child;
  int64_t n = 0;
  if (!value.Children(&child)) return 0;
  while (bson_iter_next(&child)) ++n;
  return n;
}

int64_t CodePoints(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool FindField(const Value& object, absl::string_view name, bson_iter_t* out) {
  if (!object.Children(out)) return false;
  while (bson_iter_next(out)) {
    if (IterKey(*out) == name) return true;
  }
  return false;
}

bool InEnum(const Rule& rule, const Value& value) {
  bson_iter_t e;
  bson_iter_recurse(&rule.spec, &e);
  while (bson_iter_next(&e)) {
    if (value.root != nullptr) {
      if (bson_iter_type(&e) != BSON_TYPE_DOCUMENT) continue;
      const uint8_t* data = nullptr;
      uint32_t len = 0;
      bson_iter_document(&e, &len, &data);
      if (CompareDocumentsUnordered(bson_get_data(value.root), value.root->len, data, len) == 0) {
        return true;
      }
    } else if (CompareValuesUnordered(*value.it, e) == 0) {
      return true;
    }
  }
  return false;
}

// The first duplicated element of an array, if any.
bool FindDuplicate(const Value& array, bson_iter_t* duplicate) {
  std::vector<bson_iter_t> items = ArrayElements(*array.it);
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int c = CompareValuesUnordered(items[a], items[b]);
    return c != 0 ? c < 0 : a < b;
  });
  bool found = false;
  size_t best = 0;
  for (size_t i = 1; i < order.size(); ++i) {
    if (CompareValuesUnordered(items[order[i - 1]], items[order[i]]) == 0) {
      // Report the duplicate that appears first in the array (its second occurrence).
      if (!found || order[i] < best) best = order[i];
      found = true;
    }
  }
  if (found) *duplicate = items[best];
  return found;
}

bool IsDeclaredProperty(const Schema& schema, absl::string_view name) {
  for (const auto& [property, sub] : schema.properties) {
    if (property == name) return true;
  }
  for (const auto& p : schema.pattern_properties) {
    if (p.regex->Matches(name)) return true;
  }
  return false;
}

bool DependencyHolds(const Dependency& dep, const Value& object) {
  bson_iter_t field;
  if (!FindField(object, dep.property, &field)) return true;
  if (dep.is_schema) return SchemaMatches(*dep.schema, object);
  for (const auto& name : dep.required) {
    if (!FindField(object, name, &field)) return false;
  }
  return true;
}

bool RuleMatches(const Schema& schema, const Rule& rule, const Value& value) {
  switch (rule.keyword) {
    case Keyword::kType:
    case Keyword::kBsonType:
      return (Bit(value.type()) & rule.types) != 0;
    case Keyword::kEnum:
      return InEnum(rule, value);
    case Keyword::kMinimum:
    case Keyword::kMaximum: {
      if (value.root != nullptr || !match::IsNumber(*value.it)) return true;
      const int c = document::CompareValues(*value.it, rule.spec);
      if (rule.keyword == Keyword::kMinimum) return c > 0 || (c == 0 && !rule.exclusive);
      return c < 0 || (c == 0 && !rule.exclusive);
    }
    case Keyword::kMultipleOf:
      if (value.root != nullptr || !match::IsNumber(*value.it)) return true;
      return IsMultiple(*value.it, rule.spec);
    case Keyword::kMinLength:
    case Keyword::kMaxLength: {
      if (value.type() != BSON_TYPE_UTF8) return true;
      const int64_t n = CodePoints(IterUtf8(*value.it));
      return rule.keyword == Keyword::kMinLength ? n >= rule.limit : n <= rule.limit;
    }
    case Keyword::kPattern:
      if (value.type() != BSON_TYPE_UTF8) return true;
      return rule.regex->Matches(IterUtf8(*value.it));
    case Keyword::kRequired: {
      if (!value.is_object()) return true;
      bson_iter_t field;
      for (const auto& name : rule.names) {
        if (!FindField(value, name, &field)) return false;
      }
      return true;
    }
    case Keyword::kProperties: {
      if (!value.is_object()) return true;
      for (const auto& [name, sub] : schema.properties) {
        bson_iter_t field;
        if (FindField(value, name, &field) && !SchemaMatches(*sub, Value{&field, nullptr})) {
          return false;
        }
      }
      return true;
    }
    case Keyword::kPatternProperties: {
      if (!value.is_object()) return true;
      bson_iter_t field;
      value.Children(&field);
      while (bson_iter_next(&field)) {
        for (const auto& p : schema.pattern_properties) {
          if (p.regex->Matches(IterKey(field)) &&
              !SchemaMatches(*p.schema, Value{&field, nullptr})) {
            return false;
          }
        }
      }
      return true;
    }
    case Keyword::kAdditionalProperties: {
      if (!value.is_object()) return true;
      if (schema.additional_properties_allowed && !schema.additional_properties) return true;
      bson_iter_t field;
      value.Children(&field);
      while (bson_iter_next(&field)) {
        if (IsDeclaredProperty(schema, IterKey(field))) continue;
        if (!schema.additional_properties_allowed) return false;
        if (!SchemaMatches(*schema.additional_properties, Value{&field, nullptr})) return false;
      }
      return true;
    }
    case Keyword::kMinProperties:
    case Keyword::kMaxProperties: {
      if (!value.is_object()) return true;
      const int64_t n = CountChildren(value);
      return rule.keyword == Keyword::kMinProperties ? n >= rule.limit : n <= rule.limit;
    }
    case Keyword::kItems: {
      if (!value.is_array()) return true;
      bson_iter_t item;
      value.Children(&item);
      for (size_t i = 0; bson_iter_next(&item); ++i) {
        const Schema* sub = nullptr;
        if (!schema.items_is_array) {
          sub = schema.items.get();
        } else if (i < schema.item_list.size()) {
          sub = schema.item_list[i].get();
        } else {
          break;
        }
        if (!SchemaMatches(*sub, Value{&item, nullptr})) return false;
      }
      return true;
    }
    case Keyword::kAdditionalItems: {
      if (!value.is_array() || !schema.items_is_array) return true;
      if (schema.additional_items_allowed && !schema.additional_items) return true;
      bson_iter_t item;
      value.Children(&item);
      for (size_t i = 0; bson_iter_next(&item); ++i) {
        if (i < schema.item_list.size()) continue;
        if (!schema.additional_items_allowed) return false;
        if (!SchemaMatches(*schema.additional_items, Value{&item, nullptr})) return false;
      }
      return true;
    }
    case Keyword::kMinItems:
    case Keyword::kMaxItems: {
      if (!value.is_array()) return true;
      const int64_t n = CountChildren(value);
      return rule.keyword == Keyword::kMinItems ? n >= rule.limit : n <= rule.limit;
    }
    case Keyword::kUniqueItems: {
      if (!rule.flag || !value.is_array()) return true;
      bson_iter_t duplicate;
      return !FindDuplicate(value, &duplicate);
    }
    case Keyword::kAllOf:
      for (const auto& sub : rule.schemas) {
        if (!SchemaMatches(*sub, value)) return false;
      }
      return true;
    case Keyword::kAnyOf:
      for (const auto& sub : rule.schemas) {
        if (SchemaMatches(*sub, value)) return true;
      }
      return false;
    case Keyword::kOneOf: {
      int matched = 0;
      for (const auto& sub : rule.schemas) {
        if (SchemaMatches(*sub, value) && ++matched > 1) return false;
      }
      return matched == 1;
    }
    case Keyword::kNot:
      return !SchemaMatches(*rule.schemas[0], value);
    case Keyword::kDependencies:
      if (!value.is_object()) return true;
      for (const auto& dep : rule.dependencies) {
        if (!DependencyHolds(dep, value)) return false;
      }
      return true;
  }
  return true;
}

bool SchemaMatches(const Schema& schema, const Value& value) {
  if (value.missing()) return true;
  for (const Rule& rule : schema.rules) {
    if (!RuleMatches(schema, rule, value)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Explaining

// Appends values to a BSON array with keys "0", "1", ….
class ArrayWriter {
 public:
  explicit ArrayWriter(bson_t* array) : array_(array) {}
  void BeginDocument(bson_t* child) { bson_append_document_begin(array_, NextKey(), -1, child); }
  void EndDocument(bson_t* child) { bson_append_document_end(array_, child); }
  void AppendUtf8(absl::string_view s) {
    bson_append_utf8(array_, NextKey(), -1, s.data(), static_cast<int>(s.size()));
  }
  void AppendInt32(int32_t v) { bson_append_int32(array_, NextKey(), -1, v); }
  void AppendIter(const bson_iter_t& it) { bson_append_iter(array_, NextKey(), -1, &it); }

 private:
  const char* NextKey() {
    const char* key = nullptr;
    bson_uint32_to_string(index_++, &key, buffer_, sizeof(buffer_));
    return key;
  }
  bson_t* array_;
  uint32_t index_ = 0;
  char buffer_[16];
};

void ExplainSchema(const Schema& schema, const Value& value, ArrayWriter* out);

void AppendUtf8(bson_t* doc, const char* key, absl::string_view s) {
  bson_append_utf8(doc, key, -1, s.data(), static_cast<int>(s.size()));
}

void AppendSpecifiedAs(bson_t* doc, const Rule& rule) {
  bson_t spec;
  bson_append_document_begin(doc, "specifiedAs", -1, &spec);
  bson_append_iter(&spec, nullptr, -1, &rule.spec);
  if (rule.has_exclusive_spec) bson_append_iter(&spec, nullptr, -1, &rule.exclusive_spec);
  bson_append_document_end(doc, &spec);
}

void AppendConsidered(bson_t* doc, const Value& value) {
  if (value.root != nullptr) {
    bson_append_document(doc, "consideredValue", -1, value.root);
  } else {
    bson_append_iter(doc, "consideredValue", -1, value.it);
  }
}

// "details": [failing rules of `schema` on `value`].
void AppendDetails(bson_t* doc, const Schema& schema, const Value& value) {
  bson_t array;
  bson_append_array_begin(doc, "details", -1, &array);
  ArrayWriter writer(&array);
  ExplainSchema(schema, value, &writer);
  bson_append_array_end(doc, &array);
}

// "schemasNotSatisfied": [{index, details}] for the sub-schemas `value` fails.
void AppendSchemasNotSatisfied(bson_t* doc, const std::vector<SchemaPtr>& schemas,
                               const Value& value) {
  bson_t array;
  bson_append_array_begin(doc, "schemasNotSatisfied", -1, &array);
  ArrayWriter writer(&array);
  for (size_t i = 0; i < schemas.size(); ++i) {
    if (SchemaMatches(*schemas[i], value)) continue;
    bson_t entry;
    writer.BeginDocument(&entry);
    BSON_APPEND_INT32(&entry, "index", static_cast<int32_t>(i));
    AppendDetails(&entry, *schemas[i], value);
    writer.EndDocument(&entry);
  }
  bson_append_array_end(doc, &array);
}

// Writes the first array item (at or after `first`) that fails its schema:
// reason, itemIndex, details.
void ExplainItems(bson_t* doc, const Schema& schema, const Value& value, bool additional) {
  bson_iter_t item;
  value.Children(&item);
  for (size_t i = 0; bson_iter_next(&item); ++i) {
    const Schema* sub = nullptr;
    if (additional) {
      if (i < schema.item_list.size()) continue;
      sub = schema.additional_items.get();
    } else if (!schema.items_is_array) {
      sub = schema.items.get();
    } else if (i < schema.item_list.size()) {
      sub = schema.item_list[i].get();
    } else {
      break;
    }
    const Value item_value{&item, nullptr};
    if (SchemaMatches(*sub, item_value)) continue;
    AppendUtf8(doc, "reason",
               additional ? "At least one additional item did not match the sub-schema"
                          : "At least one item did not match the sub-schema");
    BSON_APPEND_INT32(doc, "itemIndex", static_cast<int32_t>(i));
    AppendDetails(doc, *sub, item_value);
    return;
  }
}

void ExplainRule(const Schema& schema, const Rule& rule, const Value& value, ArrayWriter* out) {
  bson_t d;
  out->BeginDocument(&d);
  AppendUtf8(&d, "operatorName", KeywordName(rule.keyword));
  switch (rule.keyword) {
    case Keyword::kType:
    case Keyword::kBsonType:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "type did not match");
      AppendConsidered(&d, value);
      AppendUtf8(&d, "consideredType", document::BsonTypeName(value.type()));
      break;
    case Keyword::kEnum:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "value was not found in enum");
      AppendConsidered(&d, value);
      break;
    case Keyword::kMinimum:
    case Keyword::kMaximum:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "comparison failed");
      AppendConsidered(&d, value);
      break;
    case Keyword::kMultipleOf:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "considered value is not a multiple of the specified value");
      AppendConsidered(&d, value);
      break;
    case Keyword::kMinLength:
    case Keyword::kMaxLength:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "specified string length was not satisfied");
      AppendConsidered(&d, value);
      break;
    case Keyword::kPattern:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "regular expression did not match");
      AppendConsidered(&d, value);
      break;
    case Keyword::kRequired: {
      AppendSpecifiedAs(&d, rule);
      bson_t missing;
      bson_append_array_begin(&d, "missingProperties", -1, &missing);
      ArrayWriter writer(&missing);
      bson_iter_t field;
      for (const auto& name : rule.names) {
        if (!FindField(value, name, &field)) writer.AppendUtf8(name);
      }
      bson_append_array_end(&d, &missing);
      break;
    }
    case Keyword::kProperties: {
      bson_t array;
      bson_append_array_begin(&d, "propertiesNotSatisfied", -1, &array);
      ArrayWriter writer(&array);
      for (const auto& [name, sub] : schema.properties) {
        bson_iter_t field;
        if (!FindField(value, name, &field)) continue;
        const Value field_value{&field, nullptr};
        if (SchemaMatches(*sub, field_value)) continue;
        bson_t entry;
        writer.BeginDocument(&entry);
        AppendUtf8(&entry, "propertyName", name);
        if (sub->has_description) AppendUtf8(&entry, "description", sub->description);
        AppendDetails(&entry, *sub, field_value);
        writer.EndDocument(&entry);
      }
      bson_append_array_end(&d, &array);
      break;
    }
    case Keyword::kPatternProperties: {
      bson_t array;
      bson_append_array_begin(&d, "details", -1, &array);
      ArrayWriter writer(&array);
      bson_iter_t field;
      value.Children(&field);
      while (bson_iter_next(&field)) {
        const Value field_value{&field, nullptr};
        for (const auto& p : schema.pattern_properties) {
          if (!p.regex->Matches(IterKey(field)) || SchemaMatches(*p.schema, field_value)) {
            continue;
          }
          bson_t entry;
          writer.BeginDocument(&entry);
          AppendUtf8(&entry, "propertyName", IterKey(field));
          AppendUtf8(&entry, "regexMatched", p.pattern);
          AppendDetails(&entry, *p.schema, field_value);
          writer.EndDocument(&entry);
        }
      }
      bson_append_array_end(&d, &array);
      break;
    }
    case Keyword::kAdditionalProperties: {
      bson_iter_t field;
      value.Children(&field);
      if (!schema.additional_properties_allowed) {
        AppendSpecifiedAs(&d, rule);
        bson_t array;
        bson_append_array_begin(&d, "additionalProperties", -1, &array);
        ArrayWriter writer(&array);
        while (bson_iter_next(&field)) {
          if (!IsDeclaredProperty(schema, IterKey(field))) writer.AppendUtf8(IterKey(field));
        }
        bson_append_array_end(&d, &array);
        break;
      }
      while (bson_iter_next(&field)) {
        if (IsDeclaredProperty(schema, IterKey(field))) continue;
        const Value field_value{&field, nullptr};
        if (SchemaMatches(*schema.additional_properties, field_value)) continue;
        AppendUtf8(&d, "reason", "at least one additional property did not match the subschema");
        AppendUtf8(&d, "failingProperty", IterKey(field));
        AppendDetails(&d, *schema.additional_properties, field_value);
        break;
      }
      break;
    }
    case Keyword::kMinProperties:
    case Keyword::kMaxProperties:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "specified number of properties was not satisfied");
      BSON_APPEND_INT32(&d, "numberOfProperties", static_cast<int32_t>(CountChildren(value)));
      break;
    case Keyword::kItems:
      ExplainItems(&d, schema, value, false);
      break;
    case Keyword::kAdditionalItems: {
      if (schema.additional_items_allowed) {
        ExplainItems(&d, schema, value, true);
        break;
      }
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "found additional items");
      bson_t array;
      bson_append_array_begin(&d, "additionalItems", -1, &array);
      ArrayWriter writer(&array);
      bson_iter_t item;
      value.Children(&item);
      for (size_t i = 0; bson_iter_next(&item); ++i) {
        if (i >= schema.item_list.size()) writer.AppendIter(item);
      }
      bson_append_array_end(&d, &array);
      break;
    }
    case Keyword::kMinItems:
    case Keyword::kMaxItems:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "array did not match specified length");
      AppendConsidered(&d, value);
      break;
    case Keyword::kUniqueItems: {
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "found a duplicate item");
      AppendConsidered(&d, value);
      bson_iter_t duplicate;
      if (FindDuplicate(value, &duplicate)) {
        bson_append_iter(&d, "duplicatedValue", -1, &duplicate);
      }
      break;
    }
    case Keyword::kAllOf:
    case Keyword::kAnyOf:
      AppendSchemasNotSatisfied(&d, rule.schemas, value);
      break;
    case Keyword::kOneOf: {
      std::vector<int32_t> matching;
      for (size_t i = 0; i < rule.schemas.size(); ++i) {
        if (SchemaMatches(*rule.schemas[i], value)) matching.push_back(static_cast<int32_t>(i));
      }
      if (matching.empty()) {
        AppendSchemasNotSatisfied(&d, rule.schemas, value);
        break;
      }
      AppendUtf8(&d, "reason", "more than one subschema matched");
      bson_t array;
      bson_append_array_begin(&d, "matchingSchemaIndexes", -1, &array);
      ArrayWriter writer(&array);
      for (int32_t i : matching) writer.AppendInt32(i);
      bson_append_array_end(&d, &array);
      break;
    }
    case Keyword::kNot:
      AppendSpecifiedAs(&d, rule);
      AppendUtf8(&d, "reason", "child expression matched");
      break;
    case Keyword::kDependencies: {
      bson_t array;
      bson_append_array_begin(&d, "failingDependencies", -1, &array);
      ArrayWriter writer(&array);
      for (const auto& dep : rule.dependencies) {
        if (DependencyHolds(dep, value)) continue;
        bson_t entry;
        writer.BeginDocument(&entry);
        AppendUtf8(&entry, "conditionalProperty", dep.property);
        if (dep.is_schema) {
          AppendDetails(&entry, *dep.schema, value);
        } else {
          bson_t missing;
          bson_append_array_begin(&entry, "missingProperties", -1, &missing);
          ArrayWriter missing_writer(&missing);
          bson_iter_t field;
          for (const auto& name : dep.required) {
            if (!FindField(value, name, &field)) missing_writer.AppendUtf8(name);
          }
          bson_append_array_end(&entry, &missing);
        }
        writer.EndDocument(&entry);
      }
      bson_append_array_end(&d, &array);
      break;
    }
  }
  out->EndDocument(&d);
}

void ExplainSchema(const Schema& schema, const Value& value, ArrayWriter* out) {
  if (value.missing()) return;
  for (const Rule& rule : schema.rules) {
    if (!RuleMatches(schema, rule, value)) ExplainRule(schema, rule, value, out);
  }
}

}  // namespace

absl::StatusOr<JsonSchema> JsonSchema::Parse(DocumentView schema) {
  auto rep = std::make_shared<ParsedSchema>();
  rep->source = Document::Copy(schema);
  bson_iter_t fields;
  if (!bson_iter_init(&fields, rep->source.bson())) {
    return Fail(ErrorCode::kTypeMismatch, "$jsonSchema must be an object");
  }
  Parser parser;
  ASSIGN_OR_RETURN(rep->root, parser.ParseObject(fields, 1));
  return JsonSchema(std::move(rep));
}

bool JsonSchema::Matches(DocumentView doc) const {
  bson_t root;
  if (!doc.AsBson(&root)) DocumentView().AsBson(&root);
  return SchemaMatches(*rep_->root, Value{nullptr, &root});
}

bool JsonSchema::MatchesValue(const bson_iter_t* value) const {
  if (value == nullptr) return true;
  return SchemaMatches(*rep_->root, Value{value, nullptr});
}

Document JsonSchema::ExplainFailure(DocumentView doc) const {
  bson_t root;
  if (!doc.AsBson(&root)) DocumentView().AsBson(&root);
  const Schema& schema = *rep_->root;
  bson_t* out = bson_new();
  BSON_APPEND_UTF8(out, "operatorName", "$jsonSchema");
  if (schema.has_title) AppendUtf8(out, "title", schema.title);
  if (schema.has_description) AppendUtf8(out, "description", schema.description);
  bson_t array;
  bson_append_array_begin(out, "schemaRulesNotSatisfied", -1, &array);
  ArrayWriter writer(&array);
  ExplainSchema(schema, Value{nullptr, &root}, &writer);
  bson_append_array_end(out, &array);
  return Document::Adopt(out);
}

DocumentView JsonSchema::schema() const { return rep_->source.view(); }

}  // namespace strata::query::validation
