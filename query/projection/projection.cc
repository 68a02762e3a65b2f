// Parsing of find projections (see projection.h). The rules and the order of the checks follow
// MongoDB's projection parser, so the first error reported is the one MongoDB reports.
#include "query/projection/projection.h"

#include <bson/bson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/type_names.h"
#include "query/projection/projection_internal.h"

namespace strata::query::projection {
namespace {

using internal::Expr;
using internal::Node;
using internal::PostStep;
using internal::Tree;

absl::Status Error(int code, absl::string_view message) {
  return MongoError(static_cast<ErrorCode>(code), message);
}

absl::Status NotImplemented(absl::string_view message) {
  return MongoError(ErrorCode::kNotImplemented, message);
}

absl::string_view Key(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

absl::string_view Before(absl::string_view s, char c) { return s.substr(0, s.find(c)); }

bool IsNumber(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
      return true;
    default:
      return false;
  }
}

// The decimal's value as a double (exactness is not needed where this is used).
double DecimalToDouble(const bson_iter_t& it) {
  bson_decimal128_t dec;
  bson_iter_decimal128(&it, &dec);
  char text[BSON_DECIMAL128_STRING];
  bson_decimal128_to_string(&dec, text);
  if (std::strcmp(text, "NaN") == 0 || std::strcmp(text, "-NaN") == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::strtod(text, nullptr);
}

// MongoDB's numberInt(), saturating instead of undefined on out-of-range values.
int32_t NumberInt(const bson_iter_t& it) {
  double value = 0;
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
      value = static_cast<double>(bson_iter_int64(&it));
      break;
    case BSON_TYPE_DOUBLE:
      value = std::trunc(bson_iter_double(&it));
      break;
    case BSON_TYPE_DECIMAL128:
      value = std::nearbyint(DecimalToDouble(it));  // ties to even, as Decimal128::toInt
      break;
    default:
      return 0;
  }
  if (std::isnan(value)) return 0;
  if (value >= static_cast<double>(std::numeric_limits<int32_t>::max())) {
    return std::numeric_limits<int32_t>::max();
  }
  if (value <= static_cast<double>(std::numeric_limits<int32_t>::min())) {
    return std::numeric_limits<int32_t>::min();
  }
  return static_cast<int32_t>(value);
}

// BSONElement::trueValue() for the types that make an inclusion or exclusion.
bool Truthy(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it);
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it) != 0;
    case BSON_TYPE_INT64:
      return bson_iter_int64(&it) != 0;
    case BSON_TYPE_DOUBLE:
      return bson_iter_double(&it) != 0.0;  // NaN is true, as in MongoDB
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t dec;
      bson_iter_decimal128(&it, &dec);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&dec, text);
      absl::string_view digits(text);
      if (absl::StartsWith(digits, "-")) digits.remove_prefix(1);
      digits = Before(digits, 'E');
      for (char c : digits) {
        if (c != '0' && c != '.') return true;  // includes NaN and Infinity
      }
      return false;
    }
    default:
      return true;
  }
}

// `name: value` roughly as MongoDB prints an element in messages.
std::string ElementText(const bson_iter_t& it) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_iter(&doc, "v", 1, &it);
  size_t length = 0;
  char* json = bson_as_relaxed_extended_json(&doc, &length);
  std::string value = json != nullptr ? std::string(json, length) : std::string("?");
  bson_free(json);
  bson_destroy(&doc);
  // {"v" : <value> } → <value>
  size_t colon = value.find(':');
  if (colon != std::string::npos && value.size() >= colon + 3) {
    value = value.substr(colon + 2, value.size() - colon - 4);
  }
  return absl::StrCat(Key(it), ": ", value);
}

std::string ValueText(const bson_iter_t& it) {
  std::string text = ElementText(it);
  return text.substr(Key(it).size() + 2);
}

// MongoDB's FieldPath rules for a dotted path written in a projection.
absl::Status ValidateFieldPath(absl::string_view path) {
  if (path.empty()) return Error(40352, "FieldPath cannot be constructed with empty string");
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (part.empty()) return Error(15998, "FieldPath field names may not be empty strings.");
    if (part[0] == '$' && part != "$id" && part != "$ref" && part != "$db") {
      return Error(16410,
                   "FieldPath field names may not start with '$'. Consider using $getField or "
                   "$setField.");
    }
  }
  return absl::OkStatus();
}

// Where the first positional operator ("a.$", "a.$.b", "$") sits in a projection key.
std::optional<std::pair<size_t, size_t>> FindFirstPositional(absl::string_view path) {
  size_t inner = path.find(".$.");
  if (inner != absl::string_view::npos) return std::make_pair(inner, inner + 3);
  if (absl::EndsWith(path, ".$")) return std::make_pair(path.size() - 2, path.size());
  if (path == "$") return std::make_pair(size_t{0}, path.size());
  return std::nullopt;
}

// Whether some predicate of the filter (under $and/$or/$nor too) is on a path whose first
// component is `field` — MongoDB's condition for accepting a positional projection.
bool QueryConstrains(bson_iter_t* it, absl::string_view field) {
  while (bson_iter_next(it)) {
    absl::string_view key = Key(*it);
    if (absl::StartsWith(key, "$")) {
      if ((key == "$and" || key == "$or" || key == "$nor") && BSON_ITER_HOLDS_ARRAY(it)) {
        bson_iter_t clauses;
        if (!bson_iter_recurse(it, &clauses)) continue;
        while (bson_iter_next(&clauses)) {
          bson_iter_t clause;
          if (BSON_ITER_HOLDS_DOCUMENT(&clauses) && bson_iter_recurse(&clauses, &clause) &&
              QueryConstrains(&clause, field)) {
            return true;
          }
        }
      }
      continue;
    }
    if (Before(key, '.') == field) return true;
  }
  return false;
}

// Aggregation expression operators. Those not evaluated here parse to NotImplemented; a
// name outside the list is an unknown expression (31325 / 168), as in MongoDB.
bool IsExpressionName(absl::string_view name) {
  static const auto* const kNames = new absl::flat_hash_set<absl::string_view>{"$abs",
                                                                               "$acos",
                                                                               "$acosh",
                                                                               "$add",
                                                                               "$allElementsTrue",
                                                                               "$and",
                                                                               "$anyElementTrue",
                                                                               "$arrayElemAt",
                                                                               "$arrayToObject",
                                                                               "$asin",
                                                                               "$asinh",
                                                                               "$atan",
                                                                               "$atan2",
                                                                               "$atanh",
                                                                               "$avg",
                                                                               "$binarySize",
                                                                               "$bitAnd",
                                                                               "$bitNot",
                                                                               "$bitOr",
                                                                               "$bitXor",
                                                                               "$bsonSize",
                                                                               "$ceil",
                                                                               "$cmp",
                                                                               "$concat",
                                                                               "$concatArrays",
                                                                               "$cond",
                                                                               "$convert",
                                                                               "$cos",
                                                                               "$cosh",
                                                                               "$dateAdd",
                                                                               "$dateDiff",
                                                                               "$dateFromParts",
                                                                               "$dateFromString",
                                                                               "$dateSubtract",
                                                                               "$dateToParts",
                                                                               "$dateToString",
                                                                               "$dateTrunc",
                                                                               "$dayOfMonth",
                                                                               "$dayOfWeek",
                                                                               "$dayOfYear",
                                                                               "$degreesToRadians",
                                                                               "$divide",
                                                                               "$eq",
                                                                               "$exp",
                                                                               "$filter",
                                                                               "$first",
                                                                               "$firstN",
                                                                               "$floor",
                                                                               "$function",
                                                                               "$getField",
                                                                               "$gt",
                                                                               "$gte",
                                                                               "$hour",
                                                                               "$ifNull",
                                                                               "$in",
                                                                               "$indexOfArray",
                                                                               "$indexOfBytes",
                                                                               "$indexOfCP",
                                                                               "$isArray",
                                                                               "$isNumber",
                                                                               "$isoDayOfWeek",
                                                                               "$isoWeek",
                                                                               "$isoWeekYear",
                                                                               "$last",
                                                                               "$lastN",
                                                                               "$let",
                                                                               "$literal",
                                                                               "$ln",
                                                                               "$log",
                                                                               "$log10",
                                                                               "$lt",
                                                                               "$lte",
                                                                               "$ltrim",
                                                                               "$map",
                                                                               "$max",
                                                                               "$maxN",
                                                                               "$median",
                                                                               "$mergeObjects",
                                                                               "$meta",
                                                                               "$millisecond",
                                                                               "$min",
                                                                               "$minN",
                                                                               "$minute",
                                                                               "$mod",
                                                                               "$month",
                                                                               "$multiply",
                                                                               "$ne",
                                                                               "$not",
                                                                               "$objectToArray",
                                                                               "$or",
                                                                               "$percentile",
                                                                               "$pow",
                                                                               "$radiansToDegrees",
                                                                               "$rand",
                                                                               "$range",
                                                                               "$reduce",
                                                                               "$regexFind",
                                                                               "$regexFindAll",
                                                                               "$regexMatch",
                                                                               "$replaceAll",
                                                                               "$replaceOne",
                                                                               "$reverseArray",
                                                                               "$round",
                                                                               "$rtrim",
                                                                               "$sampleRate",
                                                                               "$second",
                                                                               "$setDifference",
                                                                               "$setEquals",
                                                                               "$setField",
                                                                               "$setIntersection",
                                                                               "$setIsSubset",
                                                                               "$setUnion",
                                                                               "$size",
                                                                               "$sin",
                                                                               "$sinh",
                                                                               "$slice",
                                                                               "$sortArray",
                                                                               "$split",
                                                                               "$sqrt",
                                                                               "$stdDevPop",
                                                                               "$stdDevSamp",
                                                                               "$strcasecmp",
                                                                               "$strLenBytes",
                                                                               "$strLenCP",
                                                                               "$substr",
                                                                               "$substrBytes",
                                                                               "$substrCP",
                                                                               "$subtract",
                                                                               "$sum",
                                                                               "$switch",
                                                                               "$tan",
                                                                               "$tanh",
                                                                               "$toBool",
                                                                               "$toDate",
                                                                               "$toDecimal",
                                                                               "$toDouble",
                                                                               "$toInt",
                                                                               "$toLong",
                                                                               "$toLower",
                                                                               "$toObjectId",
                                                                               "$toString",
                                                                               "$toUpper",
                                                                               "$toUUID",
                                                                               "$trim",
                                                                               "$trunc",
                                                                               "$tsIncrement",
                                                                               "$tsSecond",
                                                                               "$type",
                                                                               "$unsetField",
                                                                               "$week",
                                                                               "$year",
                                                                               "$zip"};
  return kNames->contains(name);
}

size_t CountFields(const bson_iter_t& container) {
  bson_iter_t it;
  size_t count = 0;
  if (!bson_iter_recurse(&container, &it)) return 0;
  while (bson_iter_next(&it)) ++count;
  return count;
}

absl::StatusOr<Expr> ParseOperand(const bson_iter_t& value);

// An object inside an expression: {$op: args} or a document of expressions.
absl::StatusOr<Expr> ParseExpressionObject(const bson_iter_t& value) {
  Expr expr;
  expr.kind = Expr::Kind::kObject;
  bson_iter_t it;
  if (!bson_iter_recurse(&value, &it)) return expr;
  const size_t count = CountFields(value);
  bool first = true;
  while (bson_iter_next(&it)) {
    absl::string_view key = Key(it);
    if (first && absl::StartsWith(key, "$")) {
      if (count != 1) {
        std::string text = ValueText(value);
        return Error(15983,
                     absl::StrCat("an expression specification must contain exactly one "
                                  "field, the name of the expression. Found ",
                                  count, " fields in ", text, ", while parsing object ", text));
      }
      if (key == "$literal") {
        Expr literal;
        literal.kind = Expr::Kind::kConstant;
        literal.constant = it;
        return literal;
      }
      if (IsExpressionName(key)) {
        return NotImplemented(
            absl::StrCat("the aggregation expression ", key, " is not supported in projections"));
      }
      return Error(168, absl::StrCat("Unrecognized expression '", key, "'"));
    }
    first = false;
    if (key.empty() || absl::StartsWith(key, "$")) {
      RETURN_IF_ERROR(ValidateFieldPath(key));
    }
    if (key.find('.') != absl::string_view::npos) {
      return Error(16412, "FieldPath field names may not contain '.'.");
    }
    ASSIGN_OR_RETURN(Expr field, ParseOperand(it));
    expr.fields.emplace_back(std::string(key), std::move(field));
  }
  return expr;
}

absl::StatusOr<std::vector<std::string>> SplitPath(absl::string_view dotted) {
  RETURN_IF_ERROR(ValidateFieldPath(dotted));
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(dotted, '.')) parts.emplace_back(part);
  return parts;
}

// An operand of an expression: a literal, a "$path", a "$$VARIABLE", an array or an object.
absl::StatusOr<Expr> ParseOperand(const bson_iter_t& value) {
  Expr expr;
  switch (bson_iter_type(&value)) {
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* data = bson_iter_utf8(&value, &length);
      absl::string_view text(data, length);
      if (!absl::StartsWith(text, "$")) break;
      if (absl::StartsWith(text, "$$")) {
        absl::string_view variable = text.substr(2);
        absl::string_view name = Before(variable, '.');
        absl::string_view rest = variable.substr(name.size());
        if (name == "ROOT" || name == "CURRENT") {
          expr.kind = Expr::Kind::kRoot;
          if (!rest.empty()) {
            ASSIGN_OR_RETURN(expr.path, SplitPath(rest.substr(1)));
          }
          return expr;
        }
        if (name == "REMOVE" && rest.empty()) {
          expr.kind = Expr::Kind::kRemove;
          return expr;
        }
        if (name == "NOW" || name == "CLUSTER_TIME" || name == "USER_ROLES" ||
            name == "SEARCH_META" || name == "JS_SCOPE" || name == "IS_MR") {
          return NotImplemented(
              absl::StrCat("the variable $$", name, " is not supported in projections"));
        }
        return Error(17276, absl::StrCat("Use of undefined variable: ", name));
      }
      if (text.size() == 1) return Error(16872, "'$' by itself is not a valid FieldPath");
      expr.kind = Expr::Kind::kFieldPath;
      ASSIGN_OR_RETURN(expr.path, SplitPath(text.substr(1)));
      return expr;
    }
    case BSON_TYPE_ARRAY: {
      expr.kind = Expr::Kind::kArray;
      bson_iter_t it;
      if (bson_iter_recurse(&value, &it)) {
        while (bson_iter_next(&it)) {
          ASSIGN_OR_RETURN(Expr element, ParseOperand(it));
          expr.elements.push_back(std::move(element));
        }
      }
      return expr;
    }
    case BSON_TYPE_DOCUMENT:
      return ParseExpressionObject(value);
    default:
      break;
  }
  expr.kind = Expr::Kind::kConstant;
  expr.constant = value;
  return expr;
}

struct ParseContext {
  const ProjectionParseOptions* options;
  bool has_positional = false;
  bool has_elem_match = false;
  bool has_find_slice = false;
  std::optional<bool> inclusion;  // the projection's type, once something decides it
  bool id_included = false;       // {_id: 1} (or true, or a non-zero number)
  bool id_excluded = false;       // {_id: 0}
  bool id_specified = false;      // a top-level key "_id" or "_id.…"
};

// Adds `leaf` at the dotted `path` under `parent`, creating interior nodes. MongoDB forbids a
// path and its prefix both being projected: 31250 when the exact path exists, 31249 when a
// prefix of it is already a leaf.
absl::Status AddNodeAtPath(Node* parent, absl::string_view path, std::unique_ptr<Node> leaf) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  Node* current = parent;
  for (size_t i = 0; i < parts.size(); ++i) {
    Node* child = current->FindChild(parts[i]);
    if (i + 1 == parts.size()) {
      if (child != nullptr) return Error(31250, absl::StrCat("Path collision at ", path));
      leaf->name = std::string(parts[i]);
      current->children.push_back(std::move(leaf));
      return absl::OkStatus();
    }
    if (child == nullptr) {
      auto interior = std::make_unique<Node>();
      interior->name = std::string(parts[i]);
      child = interior.get();
      current->children.push_back(std::move(interior));
    } else if (child->kind != Node::Kind::kPath) {
      return Error(31249, absl::StrCat("Path collision at ", path, " remaining portion ",
                                       path.substr(path.find('.') + 1)));
    }
    current = child;
  }
  return absl::OkStatus();
}

// The interior node at `path` (for a nested spec {a: {…}}), created if needed.
absl::StatusOr<Node*> GetOrAddInterior(Node* parent, absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  Node* current = parent;
  for (size_t i = 0; i < parts.size(); ++i) {
    Node* child = current->FindChild(parts[i]);
    if (child == nullptr) {
      auto interior = std::make_unique<Node>();
      interior->name = std::string(parts[i]);
      child = interior.get();
      current->children.push_back(std::move(interior));
    } else if (child->kind != Node::Kind::kPath) {
      if (i + 1 == parts.size()) return Error(31250, absl::StrCat("Path collision at ", path));
      return Error(31249, absl::StrCat("Path collision at ", path, " remaining portion ",
                                       path.substr(path.find('.') + 1)));
    }
    current = child;
  }
  return current;
}

std::unique_ptr<Node> Leaf(Node::Kind kind) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  return node;
}

absl::Status ParseElement(ParseContext* ctx, const bson_iter_t& elem, absl::string_view parent_path,
                          Node* parent, bool parent_is_root);

absl::Status ParseFindSlice(ParseContext* ctx, absl::string_view name, const bson_iter_t& arg,
                            Node* parent) {
  // The find() forms: {$slice: n} and {$slice: [skip, limit]} with limit > 0.
  std::optional<int32_t> skip;
  int32_t limit = 0;
  int reason_code = 0;
  std::string reason;
  size_t array_size = 0;
  if (IsNumber(arg)) {
    limit = NumberInt(arg);
  } else if (BSON_ITER_HOLDS_ARRAY(&arg)) {
    array_size = CountFields(arg);
    bson_iter_t it;
    if (array_size != 2 || !bson_iter_recurse(&arg, &it)) {
      reason_code = 31272;
      reason = "$slice array argument should be of form [skip, limit]";
    } else {
      bson_iter_next(&it);
      bson_iter_t skip_it = it;
      bson_iter_next(&it);
      bson_iter_t limit_it = it;
      if (!IsNumber(skip_it)) {
        reason_code = 31257;
        reason = absl::StrCat("$slice expects the skip argument to be a number, got ",
                              document::BsonTypeName(bson_iter_type(&skip_it)));
      } else if (!IsNumber(limit_it)) {
        reason_code = 31258;
        reason = absl::StrCat("$slice expects the limit argument to be a number, got ",
                              document::BsonTypeName(bson_iter_type(&limit_it)));
      } else if (NumberInt(limit_it) <= 0) {
        reason_code = 31259;
        reason = absl::StrCat("$slice limit must be positive, got ", NumberInt(limit_it));
      } else {
        skip = NumberInt(skip_it);
        limit = NumberInt(limit_it);
      }
    }
  } else {
    reason_code = 31273;
    reason = "$slice only supports numbers and [skip, limit] arrays";
  }

  if (reason_code == 0) {
    auto node = Leaf(Node::Kind::kSlice);
    node->slice_skip = skip;
    node->slice_limit = limit;
    RETURN_IF_ERROR(AddNodeAtPath(parent, name, std::move(node)));
    ctx->has_find_slice = true;
    return absl::OkStatus();
  }

  // Not the find() syntax: MongoDB then reads it as the aggregation $slice expression, which
  // takes 2 or 3 arguments.
  std::string prefix = absl::StrCat(
      "Invalid $slice syntax. The given syntax { $slice: ", ValueText(arg),
      " } did not match the find() syntax because :: Location", reason_code, ": ", reason, " :: ");
  if (BSON_ITER_HOLDS_ARRAY(&arg) && (array_size == 2 || array_size == 3)) {
    if (ctx->inclusion.has_value() && !*ctx->inclusion) {
      return Error(31252, "Cannot use expression other than $meta in exclusion projection");
    }
    return NotImplemented(
        absl::StrCat(prefix, "The aggregation $slice expression is not supported in projections"));
  }
  const size_t arguments = BSON_ITER_HOLDS_ARRAY(&arg) ? array_size : 1;
  return Error(28667,
               absl::StrCat(prefix,
                            "The given syntax did not match the expression $slice syntax. :: "
                            "caused by :: Expression $slice takes at least 2 arguments, and at "
                            "most 3, but ",
                            arguments, " were passed in."));
}

// A single-field object whose key starts with '$' at a projection position: $slice,
// $elemMatch or an aggregation expression. Returns false when the key names none of them.
absl::StatusOr<bool> ParseOperatorObject(ParseContext* ctx, absl::string_view name,
                                         const bson_iter_t& operator_elem, Node* parent,
                                         bool parent_is_root) {
  absl::string_view op = Key(operator_elem);
  if (op == "$slice") {
    RETURN_IF_ERROR(ParseFindSlice(ctx, name, operator_elem, parent));
    return true;
  }
  if (op == "$elemMatch") {
    if (!BSON_ITER_HOLDS_DOCUMENT(&operator_elem)) {
      return Error(31274, absl::StrCat("elemMatch: Invalid argument, object required, but got ",
                                       document::BsonTypeName(bson_iter_type(&operator_elem))));
    }
    if (ctx->has_positional) {
      return Error(31255, "Cannot specify positional operator and $elemMatch.");
    }
    if (!parent_is_root || name.find('.') != absl::string_view::npos) {
      return Error(31275, "Cannot use $elemMatch projection on a nested field.");
    }
    if (!ctx->options->elem_match_factory) {
      return NotImplemented("$elemMatch projection needs an element predicate factory");
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&operator_elem, &length, &data);
    ASSIGN_OR_RETURN(std::unique_ptr<ElementPredicate> predicate,
                     ctx->options->elem_match_factory(DocumentView(data, length)));
    if (predicate == nullptr) {
      return absl::InternalError("$elemMatch predicate factory returned null");
    }
    auto node = Leaf(Node::Kind::kElemMatch);
    node->predicate = std::move(predicate);
    RETURN_IF_ERROR(AddNodeAtPath(parent, name, std::move(node)));
    ctx->has_elem_match = true;
    return true;
  }
  if (!IsExpressionName(op)) return false;

  const bool is_meta = op == "$meta";
  if (ctx->inclusion.has_value() && !*ctx->inclusion && !is_meta) {
    return Error(31252, "Cannot use expression other than $meta in exclusion projection");
  }
  if (is_meta) return NotImplemented("$meta projections are not supported");
  ctx->inclusion = true;
  if (op != "$literal") {
    return NotImplemented(
        absl::StrCat("the aggregation expression ", op, " is not supported in projections"));
  }
  auto node = Leaf(Node::Kind::kExpression);
  node->expr.kind = Expr::Kind::kConstant;
  node->expr.constant = operator_elem;
  RETURN_IF_ERROR(AddNodeAtPath(parent, name, std::move(node)));
  return true;
}

absl::Status ParseSubObject(ParseContext* ctx, absl::string_view name, const bson_iter_t& elem,
                            absl::string_view parent_path, Node* parent, bool parent_is_root) {
  RETURN_IF_ERROR(ValidateFieldPath(name));
  const size_t count = CountFields(elem);
  bson_iter_t it;
  if (!bson_iter_recurse(&elem, &it)) return absl::InvalidArgumentError("invalid BSON");
  const std::string full_path =
      parent_path.empty() ? std::string(name) : absl::StrCat(parent_path, ".", name);

  if (count == 1) {
    bson_iter_t first = it;
    bson_iter_next(&first);
    if (absl::StartsWith(Key(first), "$")) {
      ASSIGN_OR_RETURN(bool handled, ParseOperatorObject(ctx, name, first, parent, parent_is_root));
      if (handled) return absl::OkStatus();
      return Error(31325, absl::StrCat("Unknown expression ", Key(first)));
    }
  }
  if (count == 0) {
    return Error(51270, absl::StrCat("An empty sub-projection is not a valid value. Found empty "
                                     "object at path ",
                                     full_path));
  }
  ASSIGN_OR_RETURN(Node * interior, GetOrAddInterior(parent, name));
  while (bson_iter_next(&it)) {
    RETURN_IF_ERROR(ParseElement(ctx, it, full_path, interior, /*parent_is_root=*/false));
  }
  return absl::OkStatus();
}

absl::Status ParseInclusion(ParseContext* ctx, absl::string_view name,
                            absl::string_view parent_path, Node* parent, bool parent_is_root) {
  const bool top_level_id = parent_is_root && name == "_id";
  const auto positional = FindFirstPositional(name);
  if (!positional.has_value()) {
    RETURN_IF_ERROR(ValidateFieldPath(name));
    RETURN_IF_ERROR(AddNodeAtPath(parent, name, Leaf(Node::Kind::kInclude)));
    if (top_level_id) ctx->id_included = true;
  } else {
    if (ctx->has_positional) {
      return Error(31276, "Cannot specify more than one positional projection per query.");
    }
    if (ctx->has_elem_match) {
      return Error(31256, "Cannot specify positional operator and $elemMatch.");
    }
    absl::string_view match_field =
        parent_path.empty() ? Before(name, '.') : Before(parent_path, '.');
    if (!ctx->options->query.has_value()) {
      return Error(51050, "Projections with a positional operator require a matcher");
    }
    bson_t query;
    bson_iter_t query_it;
    if (!ctx->options->query->AsBson(&query) || !bson_iter_init(&query_it, &query) ||
        !QueryConstrains(&query_it, match_field)) {
      return Error(31277, absl::StrCat("Positional projection '", name,
                                       "' does not match the query document."));
    }
    if (absl::EndsWith(name, ".$.")) return Error(31270, "Path cannot end with '.$.'");
    absl::string_view after = name.substr(positional->second);
    if (FindFirstPositional(after).has_value() || after == "$") {
      return Error(31287, absl::StrCat("Cannot use positional operator twice: ", name));
    }
    absl::string_view path = name.substr(0, positional->first);
    RETURN_IF_ERROR(ValidateFieldPath(path));
    RETURN_IF_ERROR(AddNodeAtPath(parent, path, Leaf(Node::Kind::kPositional)));
    ctx->has_positional = true;
  }
  if (!top_level_id) {
    if (ctx->inclusion.has_value() && !*ctx->inclusion) {
      return Error(31253,
                   absl::StrCat("Cannot do inclusion on field ", name, " in exclusion projection"));
    }
    ctx->inclusion = true;
  }
  return absl::OkStatus();
}

absl::Status ParseExclusion(ParseContext* ctx, absl::string_view name, Node* parent,
                            bool parent_is_root) {
  RETURN_IF_ERROR(ValidateFieldPath(name));
  RETURN_IF_ERROR(AddNodeAtPath(parent, name, Leaf(Node::Kind::kExclude)));
  if (parent_is_root && name == "_id") {
    ctx->id_excluded = true;
    return absl::OkStatus();
  }
  if (ctx->inclusion.has_value() && *ctx->inclusion) {
    return Error(31254,
                 absl::StrCat("Cannot do exclusion on field ", name, " in inclusion projection"));
  }
  ctx->inclusion = false;
  return absl::OkStatus();
}

absl::Status ParseLiteral(ParseContext* ctx, const bson_iter_t& elem, Node* parent) {
  ASSIGN_OR_RETURN(Expr expr, ParseOperand(elem));
  absl::string_view name = Key(elem);
  RETURN_IF_ERROR(ValidateFieldPath(name));
  auto node = Leaf(Node::Kind::kExpression);
  node->expr = std::move(expr);
  RETURN_IF_ERROR(AddNodeAtPath(parent, name, std::move(node)));
  if (ctx->inclusion.has_value() && !*ctx->inclusion) {
    return Error(31310, absl::StrCat("Cannot use an expression ", ElementText(elem),
                                     " in an exclusion projection"));
  }
  ctx->inclusion = true;
  return absl::OkStatus();
}

absl::Status ParseElement(ParseContext* ctx, const bson_iter_t& elem, absl::string_view parent_path,
                          Node* parent, bool parent_is_root) {
  absl::string_view name = Key(elem);
  const bool positional = FindFirstPositional(name).has_value();
  switch (bson_iter_type(&elem)) {
    case BSON_TYPE_DOCUMENT:
      if (positional) {
        return Error(31271,
                     "positional projection cannot be used with an expression or sub object");
      }
      return ParseSubObject(ctx, name, elem, parent_path, parent, parent_is_root);
    case BSON_TYPE_BOOL:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
      if (Truthy(elem)) return ParseInclusion(ctx, name, parent_path, parent, parent_is_root);
      return ParseExclusion(ctx, name, parent, parent_is_root);
    default:
      if (positional) return Error(31308, "positional projection cannot be used with a literal");
      return ParseLiteral(ctx, elem, parent);
  }
}

bool MarkComputed(Node* node) {
  bool computed = node->kind == Node::Kind::kExpression || node->kind == Node::Kind::kElemMatch;
  for (auto& child : node->children) computed = MarkComputed(child.get()) || computed;
  if (node->kind == Node::Kind::kPath) node->has_computed = computed;
  return computed;
}

void CollectPostSteps(const Node& node, std::vector<std::string>* path,
                      std::vector<PostStep>* steps) {
  for (const auto& child : node.children) {
    path->push_back(child->name);
    if (child->kind == Node::Kind::kSlice || child->kind == Node::Kind::kPositional) {
      steps->push_back(PostStep{*path, child.get()});
    } else if (child->kind == Node::Kind::kPath) {
      CollectPostSteps(*child, path, steps);
    }
    path->pop_back();
  }
}

}  // namespace

Projection::Projection() = default;
Projection::Projection(Projection&&) noexcept = default;
Projection& Projection::operator=(Projection&&) noexcept = default;
Projection::~Projection() = default;

bool Projection::is_identity() const { return !inclusion_ && tree_->root.children.empty(); }

absl::StatusOr<Projection> Projection::Parse(DocumentView spec,
                                             const ProjectionParseOptions& options) {
  Projection projection;
  projection.spec_size_ = spec.size();
  projection.spec_bytes_ = std::make_unique<uint8_t[]>(spec.size());
  std::memcpy(projection.spec_bytes_.get(), spec.data(), spec.size());
  projection.tree_ = std::make_unique<Tree>();

  bson_t spec_bson;
  bson_iter_t it;
  if (!bson_init_static(&spec_bson, projection.spec_bytes_.get(), projection.spec_size_) ||
      !bson_iter_init(&it, &spec_bson)) {
    return MongoError(ErrorCode::kFailedToParse, "projection is not a valid BSON document");
  }

  ParseContext ctx{&options};
  Node* root = &projection.tree_->root;
  while (bson_iter_next(&it)) {
    absl::string_view key = Key(it);
    ctx.id_specified = ctx.id_specified || key == "_id" || absl::StartsWith(key, "_id.");
    RETURN_IF_ERROR(ParseElement(&ctx, it, "", root, /*parent_is_root=*/true));
  }

  // Projections that only hold _id and find-only operators: MongoDB's compatibility rules.
  if (!ctx.inclusion.has_value()) {
    if (ctx.has_find_slice) {
      ctx.inclusion = ctx.id_included;
    } else if (ctx.has_elem_match) {
      ctx.inclusion = true;
    } else {
      ctx.inclusion = ctx.id_included;
    }
  }
  projection.inclusion_ = *ctx.inclusion;

  if (projection.inclusion_ && !ctx.id_specified) {
    RETURN_IF_ERROR(AddNodeAtPath(root, "_id", Leaf(Node::Kind::kInclude)));
  }
  if (!projection.inclusion_ && ctx.id_included) {
    // {_id: 1} in an exclusion is legal and changes nothing: _id stays by default.
    auto& children = root->children;
    children.erase(std::remove_if(children.begin(), children.end(),
                                  [](const std::unique_ptr<Node>& child) {
                                    return child->name == "_id" &&
                                           child->kind == Node::Kind::kInclude;
                                  }),
                   children.end());
  }

  MarkComputed(root);
  std::vector<std::string> path;
  CollectPostSteps(*root, &path, &projection.tree_->post_steps);
  projection.has_positional_ = ctx.has_positional;
  projection.has_elem_match_ = ctx.has_elem_match;
  return projection;
}

}  // namespace strata::query::projection
