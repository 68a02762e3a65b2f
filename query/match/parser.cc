// The filter parser. Structure (as MongoDB's expression_parser):
//   ParseDocument     a filter document: field predicates and top-level operators, AND-ed
//   ParseTopLevel     $and $or $nor $expr $where $text $comment $jsonSchema $alwaysTrue …
//   ParseOperators    {field: {$op: …, $op: …}}: each operator of one field
//   ParseOperator     one $op of a field
// `depth` counts nested logical operators, $not and $elemMatch against ParseOptions::max_depth.
#include "query/match/parser.h"

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/match/expression_array.h"
#include "query/match/expression_leaf.h"
#include "query/match/numbers.h"
#include "query/match/path.h"
#include "query/match/regex.h"

namespace strata::query::match {
namespace {

// Where a filter document applies: to the whole user document, or to an array element
// (inside $elemMatch), where $expr and $text make no sense.
enum class Level { kTopLevel, kSubDocument };

absl::Status BadValue(absl::string_view message) {
  return MongoError(ErrorCode::kBadValue, message);
}

absl::Status NotSupportedYet(absl::string_view op) {
  return MongoError(ErrorCode::kNotImplemented, absl::StrCat(op, " is not supported yet"));
}

// The bytes of the embedded document or array at `it`.
DocumentView ChildView(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (bson_iter_type(&it) == BSON_TYPE_ARRAY) {
    bson_iter_array(&it, &length, &data);
  } else {
    bson_iter_document(&it, &length, &data);
  }
  return data != nullptr ? DocumentView(data, length) : DocumentView();
}

bool IterChildren(const bson_iter_t& it, bson_iter_t* child) {
  return bson_iter_recurse(&it, child);
}

// The first element of the document/array at `it`; false when it is empty.
bool FirstChild(const bson_iter_t& it, bson_iter_t* first) {
  return IterChildren(it, first) && bson_iter_next(first);
}

// Operators that stand alone in a filter document (no field before them). Also what decides
// between the two forms of $elemMatch.
bool IsTopLevelOperatorName(absl::string_view name) {
  static constexpr absl::string_view kNames[] = {
      "$and",        "$or",         "$nor",         "$expr", "$where", "$text", "$comment",
      "$jsonSchema", "$alwaysTrue", "$alwaysFalse", "$id",   "$ref",   "$db",   "$sampleRate"};
  for (absl::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Operators that follow a field name ({field: {$op: …}}).
bool IsFieldOperatorName(absl::string_view name) {
  static constexpr absl::string_view kNames[] = {"$eq",           "$ne",         "$lt",
                                                 "$lte",          "$gt",         "$gte",
                                                 "$in",           "$nin",        "$exists",
                                                 "$type",         "$size",       "$all",
                                                 "$elemMatch",    "$mod",        "$regex",
                                                 "$options",      "$not",        "$bitsAllSet",
                                                 "$bitsAllClear", "$bitsAnySet", "$bitsAnyClear",
                                                 "$near",         "$nearSphere", "$geoNear",
                                                 "$geoWithin",    "$within",     "$geoIntersects",
                                                 "$maxDistance",  "$minDistance"};
  for (absl::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

bool IsGeoOperatorName(absl::string_view name) {
  return name == "$near" || name == "$nearSphere" || name == "$geoNear" || name == "$geoWithin" ||
         name == "$within" || name == "$geoIntersects" || name == "$maxDistance" ||
         name == "$minDistance";
}

// A DBRef-like document ({$ref, $id[, $db]}) is a value to compare, not operators. With
// `allow_incomplete`, any one of the three fields is enough.
bool IsDBRefDocument(const bson_iter_t& object, bool allow_incomplete) {
  bool has_ref = false;
  bool has_id = false;
  bool has_db = false;
  bson_iter_t it;
  if (!IterChildren(object, &it)) return false;
  while (bson_iter_next(&it)) {
    const absl::string_view key = IterKey(it);
    if (key == "$ref") has_ref = true;
    if (key == "$id") has_id = true;
    if (key == "$db") has_db = true;
  }
  return allow_incomplete ? (has_ref || has_id || has_db) : (has_ref && has_id);
}

// {field: {$gt: 1}} — a non-empty document whose first field starts with '$' (and that is not
// a DBRef) holds operators; anything else is a value to compare with.
bool IsOperatorDocument(const bson_iter_t& e, bool allow_incomplete_dbref) {
  if (bson_iter_type(&e) != BSON_TYPE_DOCUMENT) return false;
  bson_iter_t first;
  if (!FirstChild(e, &first)) return false;
  const absl::string_view name = IterKey(first);
  if (name.empty() || name[0] != '$') return false;
  return !IsDBRefDocument(e, allow_incomplete_dbref);
}

struct TypeAlias {
  absl::string_view name;
  int code;
};
constexpr TypeAlias kTypeAliases[] = {
    {"double", 1},      {"string", 2},     {"object", 3},
    {"array", 4},       {"binData", 5},    {"undefined", 6},
    {"objectId", 7},    {"bool", 8},       {"date", 9},
    {"null", 10},       {"regex", 11},     {"dbPointer", 12},
    {"javascript", 13}, {"symbol", 14},    {"javascriptWithScope", 15},
    {"int", 16},        {"timestamp", 17}, {"long", 18},
    {"decimal", 19},    {"minKey", -1},    {"maxKey", 127},
};

bool IsValidTypeCode(int64_t code) {
  return (code >= 1 && code <= 19) || code == -1 || code == 127;
}

void AddTypeCode(int64_t code, TypeSet* set) {
  set->types.set(code == -1 ? static_cast<uint8_t>(BSON_TYPE_MINKEY) : static_cast<uint8_t>(code));
}

class Parser {
 public:
  explicit Parser(const ParseOptions& options) : options_(options) {}

  absl::StatusOr<MatchExpressionPtr> ParseDocument(DocumentView doc, Level level, int depth) {
    RETURN_IF_ERROR(CheckDepth(depth));
    bson_iter_t e;
    if (!bson_iter_init_from_data(&e, doc.data(), doc.size())) {
      return BadValue("filter is not a valid BSON document");
    }
    auto root = std::make_unique<AndMatchExpression>();
    while (bson_iter_next(&e)) {
      const absl::string_view key = IterKey(e);
      if (!key.empty() && key[0] == '$') {
        ASSIGN_OR_RETURN(MatchExpressionPtr node, ParseTopLevel(e, level, depth));
        if (node != nullptr) root->Add(std::move(node));
        continue;
      }
      if (IsOperatorDocument(e, /*allow_incomplete_dbref=*/false)) {
        std::vector<MatchExpressionPtr> children;
        RETURN_IF_ERROR(ParseOperators(key, e, level, depth, &children));
        for (auto& child : children) root->Add(std::move(child));
        continue;
      }
      if (bson_iter_type(&e) == BSON_TYPE_REGEX) {
        ASSIGN_OR_RETURN(MatchExpressionPtr regex, RegexFromValue(key, e));
        root->Add(std::move(regex));
        continue;
      }
      ASSIGN_OR_RETURN(MatchExpressionPtr eq, Comparison(MatchType::kEq, key, e));
      root->Add(std::move(eq));
    }
    if (e.err_off != 0) return BadValue("filter is not a valid BSON document");
    if (root->num_children() == 1) return std::move(root->ReleaseChildren()[0]);
    return MatchExpressionPtr(std::move(root));
  }

 private:
  absl::Status CheckDepth(int depth) const {
    if (depth > options_.max_depth) {
      return BadValue(absl::StrCat("exceeded maximum query tree depth of ", options_.max_depth));
    }
    return absl::OkStatus();
  }

  // A '$' field of a filter document. Returns null for operators that add no node ($comment).
  absl::StatusOr<MatchExpressionPtr> ParseTopLevel(const bson_iter_t& e, Level level, int depth) {
    const absl::string_view key = IterKey(e);
    if (key == "$and")
      return ParseLogicalList(std::make_unique<AndMatchExpression>(), e, level, depth);
    if (key == "$or")
      return ParseLogicalList(std::make_unique<OrMatchExpression>(), e, level, depth);
    if (key == "$nor")
      return ParseLogicalList(std::make_unique<NorMatchExpression>(), e, level, depth);
    if (key == "$comment") return MatchExpressionPtr();
    if (key == "$alwaysTrue" || key == "$alwaysFalse") {
      int64_t value = 0;
      if (!IsNumber(e) || !ExactInt64(e, &value) || value != 1) {
        return MongoError(ErrorCode::kFailedToParse,
                          absl::StrCat(key, " must be an integer value of 1"));
      }
      return MatchExpressionPtr(new AlwaysBooleanMatchExpression(key == "$alwaysTrue"));
    }
    if (key == "$where") return BadValue("$where is not supported");
    if (key == "$expr") {
      if (level == Level::kSubDocument) {
        return BadValue("$expr can only be applied to the top-level document");
      }
      if (options_.expr_parser) return options_.expr_parser(e);
      return NotSupportedYet("$expr");
    }
    if (key == "$text") {
      if (level == Level::kSubDocument) {
        return BadValue("$text can only be applied to the top-level document");
      }
      return NotSupportedYet("$text");
    }
    if (key == "$jsonSchema") {
      if (options_.json_schema_parser) return options_.json_schema_parser(e);
      return NotSupportedYet("$jsonSchema");
    }
    if (key == "$sampleRate") return NotSupportedYet("$sampleRate");
    if (key == "$id" || key == "$ref" || key == "$db") {
      // Fields of a DBRef matched by themselves: an equality on the literal field name.
      return Comparison(MatchType::kEq, key, e);
    }
    return BadValue(absl::StrCat("unknown top level operator: ", key,
                                 ". If you have a field name that starts with a '$' symbol, "
                                 "consider using $getField or $setField."));
  }

  absl::StatusOr<MatchExpressionPtr> ParseLogicalList(std::unique_ptr<ListMatchExpression> list,
                                                      const bson_iter_t& e, Level level,
                                                      int depth) {
    if (bson_iter_type(&e) != BSON_TYPE_ARRAY) {
      return BadValue(absl::StrCat(IterKey(e), " must be an array"));
    }
    bson_iter_t entry;
    if (!FirstChild(e, &entry)) return BadValue("$and/$or/$nor must be a nonempty array");
    do {
      if (bson_iter_type(&entry) != BSON_TYPE_DOCUMENT) {
        return BadValue("$or/$and/$nor entries need to be full objects");
      }
      ASSIGN_OR_RETURN(MatchExpressionPtr child, ParseDocument(ChildView(entry), level, depth + 1));
      list->Add(std::move(child));
    } while (bson_iter_next(&entry));
    return MatchExpressionPtr(std::move(list));
  }

  // {path: {$op: …, $op: …}}: appends one node per operator (none for $options).
  absl::Status ParseOperators(absl::string_view path, const bson_iter_t& object, Level level,
                              int depth, std::vector<MatchExpressionPtr>* out) {
    bson_iter_t e;
    if (!IterChildren(object, &e)) return BadValue("filter is not a valid BSON document");
    bson_iter_t scan = e;
    while (bson_iter_next(&scan)) {
      if (IsGeoOperatorName(IterKey(scan))) return NotSupportedYet(IterKey(scan));
    }
    while (bson_iter_next(&e)) {
      ASSIGN_OR_RETURN(MatchExpressionPtr node, ParseOperator(path, object, e, level, depth));
      if (node != nullptr) out->push_back(std::move(node));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<MatchExpressionPtr> ParseOperator(absl::string_view path,
                                                   const bson_iter_t& object, const bson_iter_t& e,
                                                   Level level, int depth) {
    const absl::string_view key = IterKey(e);
    if (key == "$eq") return Comparison(MatchType::kEq, path, e);
    if (key == "$lt") return Comparison(MatchType::kLt, path, e);
    if (key == "$lte") return Comparison(MatchType::kLte, path, e);
    if (key == "$gt") return Comparison(MatchType::kGt, path, e);
    if (key == "$gte") return Comparison(MatchType::kGte, path, e);
    if (key == "$ne") {
      if (bson_iter_type(&e) == BSON_TYPE_REGEX) {
        return BadValue("Can't have regex as arg to $ne.");
      }
      ASSIGN_OR_RETURN(MatchExpressionPtr eq, Comparison(MatchType::kEq, path, e));
      return MatchExpressionPtr(new NotMatchExpression(std::move(eq)));
    }
    if (key == "$in" || key == "$nin") {
      if (bson_iter_type(&e) != BSON_TYPE_ARRAY) {
        return BadValue(absl::StrCat(key, " needs an array"));
      }
      ASSIGN_OR_RETURN(MatchExpressionPtr in, ParseIn(path, e));
      if (key == "$in") return in;
      return MatchExpressionPtr(new NotMatchExpression(std::move(in)));
    }
    if (key == "$not") return ParseNot(path, e, level, depth);
    if (key == "$exists") {
      auto exists = std::make_unique<ExistsMatchExpression>(FieldPath(path));
      if (IsTruthy(e)) return MatchExpressionPtr(std::move(exists));
      return MatchExpressionPtr(new NotMatchExpression(std::move(exists)));
    }
    if (key == "$type") return ParseType(path, e);
    if (key == "$size") return ParseSize(path, e);
    if (key == "$mod") return ParseMod(path, e);
    if (key == "$regex") return ParseRegexOperator(path, object);
    if (key == "$options") {
      bson_iter_t it;
      if (IterChildren(object, &it) && bson_iter_find(&it, "$regex")) {
        return MatchExpressionPtr();  // consumed with its $regex
      }
      return BadValue("$options needs a $regex");
    }
    if (key == "$elemMatch") return ParseElemMatch(path, e, depth);
    if (key == "$all") return ParseAll(path, e, depth);
    if (key == "$bitsAllSet") return ParseBitTest(MatchType::kBitsAllSet, path, e);
    if (key == "$bitsAllClear") return ParseBitTest(MatchType::kBitsAllClear, path, e);
    if (key == "$bitsAnySet") return ParseBitTest(MatchType::kBitsAnySet, path, e);
    if (key == "$bitsAnyClear") return ParseBitTest(MatchType::kBitsAnyClear, path, e);
    if (key == "$where") return BadValue("$where cannot be applied to a field");
    return BadValue(absl::StrCat("unknown operator: ", key));
  }

  absl::StatusOr<MatchExpressionPtr> Comparison(MatchType type, absl::string_view path,
                                                const bson_iter_t& e) {
    if (bson_iter_type(&e) == BSON_TYPE_UNDEFINED) return BadValue("cannot compare to undefined");
    if (type != MatchType::kEq && bson_iter_type(&e) == BSON_TYPE_REGEX) {
      return BadValue(
          absl::StrCat("Can't have RegEx as arg to predicate over field '", path, "'."));
    }
    return MatchExpressionPtr(new ComparisonMatchExpression(type, FieldPath(path), e));
  }

  absl::StatusOr<std::unique_ptr<RegexMatchExpression>> MakeRegex(absl::string_view path,
                                                                  absl::string_view pattern,
                                                                  absl::string_view options) {
    ASSIGN_OR_RETURN(std::unique_ptr<Regex> regex, Regex::Compile(pattern, options));
    return std::make_unique<RegexMatchExpression>(FieldPath(path), std::string(pattern),
                                                  std::string(options), std::move(regex));
  }

  // A BSON regex value used as a pattern ({a: /x/i}, $in: [/x/], $not: /x/, $all: [/x/]).
  absl::StatusOr<MatchExpressionPtr> RegexFromValue(absl::string_view path, const bson_iter_t& e) {
    const char* options = nullptr;
    const char* pattern = bson_iter_regex(&e, &options);
    ASSIGN_OR_RETURN(auto regex, MakeRegex(path, pattern != nullptr ? pattern : "",
                                           options != nullptr ? options : ""));
    return MatchExpressionPtr(std::move(regex));
  }

  // {$regex: "x" | /x/flags, $options: "flags"} (in either order) within `object`.
  absl::StatusOr<MatchExpressionPtr> ParseRegexOperator(absl::string_view path,
                                                        const bson_iter_t& object) {
    absl::string_view pattern;
    absl::string_view options;
    bson_iter_t it;
    if (!IterChildren(object, &it)) return BadValue("filter is not a valid BSON document");
    while (bson_iter_next(&it)) {
      const absl::string_view key = IterKey(it);
      if (key == "$regex") {
        if (bson_iter_type(&it) == BSON_TYPE_UTF8) {
          uint32_t length = 0;
          const char* text = bson_iter_utf8(&it, &length);
          pattern = absl::string_view(text, length);
        } else if (bson_iter_type(&it) == BSON_TYPE_REGEX) {
          const char* flags = nullptr;
          pattern = bson_iter_regex(&it, &flags);
          if (flags != nullptr && flags[0] != '\0') {
            if (!options.empty()) return BadValue("options set in both $regex and $options");
            options = flags;
          }
        } else {
          return BadValue("$regex has to be a string");
        }
      } else if (key == "$options") {
        if (bson_iter_type(&it) != BSON_TYPE_UTF8) return BadValue("$options has to be a string");
        if (!options.empty()) return BadValue("options set in both $regex and $options");
        uint32_t length = 0;
        const char* text = bson_iter_utf8(&it, &length);
        options = absl::string_view(text, length);
      }
    }
    ASSIGN_OR_RETURN(auto regex, MakeRegex(path, pattern, options));
    return MatchExpressionPtr(std::move(regex));
  }

  absl::StatusOr<MatchExpressionPtr> ParseIn(absl::string_view path, const bson_iter_t& array) {
    std::vector<bson_iter_t> equalities;
    std::vector<std::unique_ptr<RegexMatchExpression>> regexes;
    bson_iter_t e;
    if (IterChildren(array, &e)) {
      while (bson_iter_next(&e)) {
        if (IsOperatorDocument(e, /*allow_incomplete_dbref=*/false)) {
          return BadValue("cannot nest $ under $in");
        }
        if (bson_iter_type(&e) == BSON_TYPE_REGEX) {
          const char* options = nullptr;
          const char* pattern = bson_iter_regex(&e, &options);
          ASSIGN_OR_RETURN(auto regex, MakeRegex("", pattern != nullptr ? pattern : "",
                                                 options != nullptr ? options : ""));
          regexes.push_back(std::move(regex));
        } else if (bson_iter_type(&e) == BSON_TYPE_UNDEFINED) {
          return BadValue("InMatchExpression equality cannot be undefined");
        } else {
          equalities.push_back(e);
        }
      }
    }
    return MatchExpressionPtr(
        new InMatchExpression(FieldPath(path), std::move(equalities), std::move(regexes)));
  }

  absl::StatusOr<MatchExpressionPtr> ParseNot(absl::string_view path, const bson_iter_t& e,
                                              Level level, int depth) {
    RETURN_IF_ERROR(CheckDepth(depth + 1));
    if (bson_iter_type(&e) == BSON_TYPE_REGEX) {
      ASSIGN_OR_RETURN(MatchExpressionPtr regex, RegexFromValue(path, e));
      return MatchExpressionPtr(new NotMatchExpression(std::move(regex)));
    }
    if (bson_iter_type(&e) != BSON_TYPE_DOCUMENT) {
      return BadValue("$not needs a regex or a document");
    }
    bson_iter_t first;
    if (!FirstChild(e, &first)) return BadValue("$not cannot be empty");
    std::vector<MatchExpressionPtr> children;
    RETURN_IF_ERROR(ParseOperators(path, e, level, depth + 1, &children));
    auto conjunction = std::make_unique<AndMatchExpression>();
    for (auto& child : children) conjunction->Add(std::move(child));
    return MatchExpressionPtr(new NotMatchExpression(std::move(conjunction)));
  }

  absl::StatusOr<MatchExpressionPtr> ParseType(absl::string_view path, const bson_iter_t& e) {
    TypeSet set;
    if (bson_iter_type(&e) == BSON_TYPE_ARRAY) {
      bson_iter_t it;
      if (IterChildren(e, &it)) {
        while (bson_iter_next(&it)) RETURN_IF_ERROR(AddType(it, &set));
      }
    } else {
      RETURN_IF_ERROR(AddType(e, &set));
    }
    if (set.empty()) {
      return MongoError(ErrorCode::kFailedToParse,
                        absl::StrCat(path, " must match at least one type"));
    }
    return MatchExpressionPtr(new TypeMatchExpression(FieldPath(path), set));
  }

  static absl::Status AddType(const bson_iter_t& e, TypeSet* set) {
    if (bson_iter_type(&e) == BSON_TYPE_UTF8) {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&e, &length);
      const absl::string_view name(text, length);
      if (name == "number") {
        set->all_numbers = true;
        return absl::OkStatus();
      }
      for (const TypeAlias& alias : kTypeAliases) {
        if (alias.name == name) {
          AddTypeCode(alias.code, set);
          return absl::OkStatus();
        }
      }
      return BadValue(absl::StrCat("Unknown type name alias: ", name));
    }
    if (IsNumber(e)) {
      int64_t code = 0;
      if (!ExactInt64(e, &code) || !IsValidTypeCode(code)) {
        return BadValue(absl::StrCat("Invalid numerical type code: ", ValueForMessage(e)));
      }
      AddTypeCode(code, set);
      return absl::OkStatus();
    }
    return MongoError(ErrorCode::kTypeMismatch, "type must be represented as a number or a string");
  }

  absl::StatusOr<MatchExpressionPtr> ParseSize(absl::string_view path, const bson_iter_t& e) {
    if (!IsNumber(e)) return BadValue("$size needs a number");
    int64_t size = 0;
    if (!ExactInt64(e, &size)) {
      // A whole double too large for int64 is a range error; anything else is not whole.
      const bool whole_double = bson_iter_type(&e) == BSON_TYPE_DOUBLE &&
                                std::isfinite(bson_iter_double(&e)) &&
                                std::trunc(bson_iter_double(&e)) == bson_iter_double(&e);
      if (whole_double) return BadValue("$size must be representable as a 32-bit integer");
      return BadValue("$size must be a whole number");
    }
    if (size < 0) return BadValue("$size may not be negative");
    if (size > INT32_MAX) return BadValue("$size must be representable as a 32-bit integer");
    return MatchExpressionPtr(new SizeMatchExpression(FieldPath(path), static_cast<int32_t>(size)));
  }

  absl::StatusOr<MatchExpressionPtr> ParseMod(absl::string_view path, const bson_iter_t& e) {
    if (bson_iter_type(&e) != BSON_TYPE_ARRAY)
      return BadValue("malformed mod, needs to be an array");
    bson_iter_t it;
    if (!FirstChild(e, &it)) return BadValue("malformed mod, not enough elements");
    if (!IsNumber(it)) return BadValue("malformed mod, divisor not a number");
    const bson_iter_t divisor_it = it;
    if (!bson_iter_next(&it)) return BadValue("malformed mod, not enough elements");
    if (!IsNumber(it)) return BadValue("malformed mod, remainder not a number");
    const bson_iter_t remainder_it = it;
    if (bson_iter_next(&it)) return BadValue("malformed mod, too many elements");

    int64_t divisor = 0;
    int64_t remainder = 0;
    RETURN_IF_ERROR(ModArgument(divisor_it, "divisor", &divisor));
    RETURN_IF_ERROR(ModArgument(remainder_it, "remainder", &remainder));
    if (divisor == 0) return BadValue("divisor cannot be 0");
    return MatchExpressionPtr(new ModMatchExpression(FieldPath(path), divisor, remainder));
  }

  // A $mod argument truncated toward zero; NaN, ±Infinity and values beyond int64 are errors.
  static absl::Status ModArgument(const bson_iter_t& it, absl::string_view what, int64_t* out) {
    if (TruncateToInt64(it, out)) return absl::OkStatus();
    return BadValue(absl::StrCat("malformed mod, ", what, " value is invalid :: caused by :: ",
                                 !IsFinite(it) ? "Unable to coerce NaN/Inf to integral type"
                                               : "Out of bounds coercing to integral value"));
  }

  absl::StatusOr<MatchExpressionPtr> ParseElemMatch(absl::string_view path, const bson_iter_t& e,
                                                    int depth) {
    RETURN_IF_ERROR(CheckDepth(depth + 1));
    if (bson_iter_type(&e) != BSON_TYPE_DOCUMENT) return BadValue("$elemMatch needs an Object");
    bool value_form = false;
    if (IsOperatorDocument(e, /*allow_incomplete_dbref=*/true)) {
      bson_iter_t first;
      FirstChild(e, &first);
      value_form = !IsTopLevelOperatorName(IterKey(first));
    }
    if (value_form) {
      // {$elemMatch: {$gt: 1, $lt: 5}}: pathless operators tested on each element.
      std::vector<MatchExpressionPtr> children;
      RETURN_IF_ERROR(ParseOperators("", e, Level::kSubDocument, depth + 1, &children));
      return MatchExpressionPtr(
          new ElemMatchValueMatchExpression(FieldPath(path), std::move(children)));
    }
    // {$elemMatch: {b: 1, c: {$gt: 2}}}: a filter over each element seen as a document.
    ASSIGN_OR_RETURN(MatchExpressionPtr sub,
                     ParseDocument(ChildView(e), Level::kSubDocument, depth + 1));
    return MatchExpressionPtr(new ElemMatchObjectMatchExpression(FieldPath(path), std::move(sub)));
  }

  absl::StatusOr<MatchExpressionPtr> ParseAll(absl::string_view path, const bson_iter_t& e,
                                              int depth) {
    if (bson_iter_type(&e) != BSON_TYPE_ARRAY) return BadValue("$all needs an array");
    bson_iter_t it;
    if (!FirstChild(e, &it)) return MatchExpressionPtr(new AlwaysBooleanMatchExpression(false));

    auto conjunction = std::make_unique<AndMatchExpression>();
    bson_iter_t first_field;
    const bool elem_match_form = bson_iter_type(&it) == BSON_TYPE_DOCUMENT &&
                                 FirstChild(it, &first_field) &&
                                 IterKey(first_field) == "$elemMatch";
    do {
      if (elem_match_form) {
        // $all: [{$elemMatch: …}, {$elemMatch: …}]: every one must be an $elemMatch.
        bson_iter_t field;
        if (bson_iter_type(&it) != BSON_TYPE_DOCUMENT || !FirstChild(it, &field) ||
            IterKey(field) != "$elemMatch") {
          return BadValue("$all/$elemMatch has to be consistent");
        }
        ASSIGN_OR_RETURN(MatchExpressionPtr elem_match, ParseElemMatch(path, field, depth));
        conjunction->Add(std::move(elem_match));
        continue;
      }
      if (bson_iter_type(&it) == BSON_TYPE_REGEX) {
        ASSIGN_OR_RETURN(MatchExpressionPtr regex, RegexFromValue(path, it));
        conjunction->Add(std::move(regex));
        continue;
      }
      bson_iter_t field;
      if (bson_iter_type(&it) == BSON_TYPE_DOCUMENT && FirstChild(it, &field) &&
          IsFieldOperatorName(IterKey(field))) {
        return BadValue("no $ expressions in $all");
      }
      ASSIGN_OR_RETURN(MatchExpressionPtr eq, Comparison(MatchType::kEq, path, it));
      conjunction->Add(std::move(eq));
    } while (bson_iter_next(&it));
    return MatchExpressionPtr(std::move(conjunction));
  }

  absl::StatusOr<MatchExpressionPtr> ParseBitTest(MatchType type, absl::string_view path,
                                                  const bson_iter_t& e) {
    std::vector<uint32_t> positions;
    if (bson_iter_type(&e) == BSON_TYPE_ARRAY) {
      bson_iter_t it;
      if (IterChildren(e, &it)) {
        while (bson_iter_next(&it)) {
          if (!IsNumber(it)) {
            return BadValue(
                absl::StrCat("bit positions must be an integer but got: ", ValueForMessage(it)));
          }
          if (IsNaN(it)) {
            return BadValue(absl::StrCat("bit positions cannot take a NaN: ", ValueForMessage(it)));
          }
          int64_t position = 0;
          if (!ExactInt64(it, &position)) {
            int64_t truncated = 0;
            if (TruncateToInt64(it, &truncated) && truncated >= INT32_MIN &&
                truncated <= INT32_MAX) {
              return BadValue(
                  absl::StrCat("bit positions must be an integer but got: ", ValueForMessage(it)));
            }
            return BadValue(
                absl::StrCat("bit positions cannot be represented as a 32-bit signed integer: ",
                             ValueForMessage(it)));
          }
          if (position < INT32_MIN || position > INT32_MAX) {
            return BadValue(
                absl::StrCat("bit positions cannot be represented as a 32-bit signed integer: ",
                             ValueForMessage(it)));
          }
          if (position < 0) {
            return BadValue(
                absl::StrCat("bit positions must be >= 0 but got: ", ValueForMessage(it)));
          }
          positions.push_back(static_cast<uint32_t>(position));
        }
      }
    } else if (IsNumber(e)) {
      int64_t mask = 0;
      if (IsNaN(e)) {
        return MongoError(
            ErrorCode::kFailedToParse,
            absl::StrCat("Expected an integer, but found NaN in: ", OperatorName(type)));
      }
      if (!ExactInt64(e, &mask)) {
        return MongoError(
            ErrorCode::kFailedToParse,
            absl::StrCat("Expected an integer: ", OperatorName(type), ": ", ValueForMessage(e)));
      }
      if (mask < 0) {
        return MongoError(ErrorCode::kFailedToParse,
                          absl::StrCat("Expected a positive number in: ", OperatorName(type), ": ",
                                       ValueForMessage(e)));
      }
      for (uint32_t bit = 0; bit < 63; ++bit) {
        if ((static_cast<uint64_t>(mask) >> bit) & 1) positions.push_back(bit);
      }
    } else if (bson_iter_type(&e) == BSON_TYPE_BINARY) {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&e, &subtype, &length, &data);
      for (uint32_t byte = 0; data != nullptr && byte < length; ++byte) {
        for (uint32_t bit = 0; bit < 8; ++bit) {
          if ((data[byte] >> bit) & 1) positions.push_back(byte * 8 + bit);
        }
      }
    } else {
      return BadValue(absl::StrCat(
          OperatorName(type),
          " takes an Array, a number, or a BinData but received: ", ValueForMessage(e)));
    }
    return MatchExpressionPtr(
        new BitTestMatchExpression(type, FieldPath(path), std::move(positions)));
  }

  const ParseOptions& options_;
};

}  // namespace

absl::StatusOr<MatchExpressionPtr> ParseFilter(DocumentView filter, const ParseOptions& options) {
  Parser parser(options);
  return parser.ParseDocument(filter, Level::kTopLevel, 0);
}

}  // namespace strata::query::match
