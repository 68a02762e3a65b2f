#include "db/matcher_adapters.h"

#include <string>

#include "base/status_macros.h"
#include "query/expression/expr_match.h"
#include "query/match/parser.h"
#include "query/validation/json_schema_match.h"

namespace strata::db {
namespace {

class UpdatePredicate : public query::update::ElementPredicate {
 public:
  UpdatePredicate(query::match::MatchExpressionPtr filter, query::update::PredicateSpec spec)
      : filter_(std::move(filter)), spec_(spec), root_(spec.root_name) {}

  bool Matches(const bson_iter_t& element) const override {
    if (spec_.target == query::update::PredicateSpec::Target::kDocument) {
      if (!BSON_ITER_HOLDS_DOCUMENT(&element)) return false;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&element, &length, &data);
      return filter_->Matches(DocumentView(data, length));
    }
    bson_t wrapped = BSON_INITIALIZER;
    bson_append_iter(&wrapped, root_.data(), static_cast<int>(root_.size()), &element);
    bool matches = filter_->Matches(DocumentView(&wrapped));
    bson_destroy(&wrapped);
    return matches;
  }

 private:
  query::match::MatchExpressionPtr filter_;
  query::update::PredicateSpec spec_;
  std::string root_;
};

class ElemMatchPredicate : public query::projection::ElementPredicate {
 public:
  ElemMatchPredicate(Document filter, query::match::MatchExpressionPtr matcher)
      : filter_(std::move(filter)), matcher_(std::move(matcher)) {}

  bool Matches(const bson_iter_t& element) const override {
    bson_t wrapped = BSON_INITIALIZER;
    bson_t array;
    bson_append_array_begin(&wrapped, "e", 1, &array);
    bson_append_iter(&array, "0", 1, &element);
    bson_append_array_end(&wrapped, &array);
    bool matches = matcher_->Matches(DocumentView(&wrapped));
    bson_destroy(&wrapped);
    return matches;
  }

 private:
  Document filter_;  // the matcher points into it
  query::match::MatchExpressionPtr matcher_;
};

}  // namespace

absl::StatusOr<query::match::MatchExpressionPtr> ParseQueryFilter(DocumentView filter) {
  query::match::ParseOptions options = query::validation::WithJsonSchema();
  options.expr_parser = query::expression::MakeExprParser();
  return query::match::ParseFilter(filter, options);
}

bool ContainsExternalOperator(const query::match::MatchExpression& tree) {
  if (tree.type() == query::match::MatchType::kExternal) return true;
  for (size_t i = 0; i < tree.num_children(); ++i) {
    if (tree.child(i) != nullptr && ContainsExternalOperator(*tree.child(i))) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<query::update::ElementPredicate>> CompileUpdatePredicate(
    const query::update::PredicateSpec& spec) {
  ASSIGN_OR_RETURN(auto filter, ParseQueryFilter(spec.filter));
  return std::unique_ptr<query::update::ElementPredicate>(
      new UpdatePredicate(std::move(filter), spec));
}

absl::StatusOr<std::unique_ptr<query::projection::ElementPredicate>> CompileElemMatchPredicate(
    DocumentView condition) {
  Document filter;
  bson_t inner;
  bson_append_document_begin(filter.mutable_bson(), "e", 1, &inner);
  bson_t condition_bson;
  if (!condition.AsBson(&condition_bson)) {
    return absl::InvalidArgumentError("$elemMatch condition is not a document");
  }
  bson_append_document(&inner, "$elemMatch", 10, &condition_bson);
  bson_append_document_end(filter.mutable_bson(), &inner);
  ASSIGN_OR_RETURN(auto matcher, ParseQueryFilter(filter.view()));
  return std::unique_ptr<query::projection::ElementPredicate>(
      new ElemMatchPredicate(std::move(filter), std::move(matcher)));
}

absl::StatusOr<query::projection::Projection> ParseProjection(DocumentView projection,
                                                              std::optional<DocumentView> filter) {
  query::projection::ProjectionParseOptions options;
  options.query = filter;
  options.elem_match_factory = &CompileElemMatchPredicate;
  return query::projection::Projection::Parse(projection, options);
}

}  // namespace strata::db
