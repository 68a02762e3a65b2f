#include "query/validation/validator.h"

#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "document/type_names.h"
#include "query/match/expression_leaf.h"
#include "query/match/match_expression.h"
#include "query/match/path.h"
#include "query/validation/json_schema_match.h"

namespace strata::query::validation {

struct Validator::Rep {
  Document source;
  match::MatchExpressionPtr expr;
};

namespace {

using match::MatchExpression;
using match::MatchType;

// The operator a node reports in errInfo: the matcher's own name, except that the only external
// node a validator can reach besides $jsonSchema (explained separately) is $expr.
const char* NodeOperatorName(MatchType type) {
  return type == MatchType::kExternal ? "$expr" : match::OperatorName(type);
}

const char* PathReason(MatchType type) {
  switch (type) {
    case MatchType::kEq:
    case MatchType::kLt:
    case MatchType::kLte:
    case MatchType::kGt:
    case MatchType::kGte:
      return "comparison failed";
    case MatchType::kIn:
      return "no matching value found in array";
    case MatchType::kRegex:
      return "regular expression did not match";
    case MatchType::kType:
      return "type did not match";
    case MatchType::kExists:
      return "path must not exist";
    case MatchType::kSize:
      return "array length was not equal to given size";
    case MatchType::kElemMatchObject:
    case MatchType::kElemMatchValue:
      return "array did not satisfy the child predicate";
    default:
      return "expression did not match";
  }
}

void AppendDetails(bson_t* out, const MatchExpression& node, DocumentView doc);

// {index, details} entries for the children whose answer is `failing_when`.
void AppendClauses(bson_t* out, const MatchExpression& node, DocumentView doc, bool failing_when) {
  bson_t array;
  bson_append_array_begin(out, "clausesNotSatisfied", -1, &array);
  uint32_t n = 0;
  for (size_t i = 0; i < node.num_children(); ++i) {
    const MatchExpression& child = *node.child(i);
    if (child.Matches(doc) != failing_when) continue;
    char buffer[16];
    const char* key = nullptr;
    bson_uint32_to_string(n++, &key, buffer, sizeof(buffer));
    bson_t entry;
    bson_append_document_begin(&array, key, -1, &entry);
    BSON_APPEND_INT32(&entry, "index", static_cast<int32_t>(i));
    if (failing_when == false) {
      bson_t details;
      bson_append_document_begin(&entry, "details", -1, &details);
      AppendDetails(&details, child, doc);
      bson_append_document_end(&entry, &details);
    }
    bson_append_document_end(&array, &entry);
  }
  bson_append_array_end(out, &array);
}

void AppendPathDetails(bson_t* out, const match::PathMatchExpression& node, DocumentView doc) {
  BSON_APPEND_UTF8(out, "operatorName", NodeOperatorName(node.type()));
  if (auto* cmp = dynamic_cast<const match::ComparisonMatchExpression*>(&node)) {
    bson_t spec;
    bson_t inner;
    bson_append_document_begin(out, "specifiedAs", -1, &spec);
    bson_append_document_begin(&spec, node.path().dotted().c_str(), -1, &inner);
    bson_append_iter(&inner, NodeOperatorName(node.type()), -1, &cmp->operand());
    bson_append_document_end(&spec, &inner);
    bson_append_document_end(out, &spec);
  }
  std::vector<bson_iter_t> values;
  match::AnyPathValue(doc, node.path(), match::LeafArrays::kNoTraversal,
                      [&](const bson_iter_t* value, const char*) {
                        if (value != nullptr) values.push_back(*value);
                        return false;
                      });
  if (values.empty()) {
    BSON_APPEND_UTF8(out, "reason",
                     node.type() == MatchType::kExists ? "path must exist" : "field was missing");
    return;
  }
  BSON_APPEND_UTF8(out, "reason", PathReason(node.type()));
  if (values.size() == 1) {
    bson_append_iter(out, "consideredValue", -1, &values[0]);
    if (node.type() == MatchType::kType) {
      const absl::string_view name = document::BsonTypeName(bson_iter_type(&values[0]));
      bson_append_utf8(out, "consideredType", -1, name.data(), static_cast<int>(name.size()));
    }
    return;
  }
  bson_t array;
  bson_append_array_begin(out, "consideredValues", -1, &array);
  for (uint32_t i = 0; i < values.size(); ++i) {
    char buffer[16];
    const char* key = nullptr;
    bson_uint32_to_string(i, &key, buffer, sizeof(buffer));
    bson_append_iter(&array, key, -1, &values[i]);
  }
  bson_append_array_end(out, &array);
}

void AppendDetails(bson_t* out, const MatchExpression& node, DocumentView doc) {
  switch (node.type()) {
    case MatchType::kAnd:
      if (node.num_children() == 1) return AppendDetails(out, *node.child(0), doc);
      BSON_APPEND_UTF8(out, "operatorName", "$and");
      AppendClauses(out, node, doc, false);
      return;
    case MatchType::kOr:
      BSON_APPEND_UTF8(out, "operatorName", "$or");
      AppendClauses(out, node, doc, false);
      return;
    case MatchType::kNor:
    case MatchType::kNot:
      BSON_APPEND_UTF8(out, "operatorName", NodeOperatorName(node.type()));
      BSON_APPEND_UTF8(out, "reason", "child expression matched");
      return;
    case MatchType::kAlwaysFalse:
      BSON_APPEND_UTF8(out, "operatorName", "$alwaysFalse");
      BSON_APPEND_UTF8(out, "reason", "$alwaysFalse is always false");
      return;
    case MatchType::kExternal:
      if (auto* schema = dynamic_cast<const JsonSchemaMatchExpression*>(&node)) {
        Document details = schema->schema().ExplainFailure(doc);
        bson_concat(out, details.bson());
        return;
      }
      BSON_APPEND_UTF8(out, "operatorName", "$expr");
      BSON_APPEND_UTF8(out, "reason", "expression did not match");
      return;
    default:
      break;
  }
  if (auto* path = dynamic_cast<const match::PathMatchExpression*>(&node)) {
    AppendPathDetails(out, *path, doc);
    return;
  }
  BSON_APPEND_UTF8(out, "operatorName", NodeOperatorName(node.type()));
  BSON_APPEND_UTF8(out, "reason", "expression did not match");
}

}  // namespace

absl::StatusOr<Validator> Validator::Parse(DocumentView validator, match::ParseOptions options) {
  auto rep = std::make_shared<Rep>();
  rep->source = Document::Copy(validator);
  options.json_schema_parser = JsonSchemaParser();
  ASSIGN_OR_RETURN(rep->expr, match::ParseFilter(rep->source.view(), options));
  return Validator(std::move(rep));
}

bool Validator::Matches(DocumentView doc) const { return rep_->expr->Matches(doc); }

Document Validator::ExplainFailure(DocumentView doc) const {
  Document out;
  AppendDetails(out.mutable_bson(), *rep_->expr, doc);
  return out;
}

DocumentView Validator::validator() const { return rep_->source.view(); }

}  // namespace strata::query::validation
