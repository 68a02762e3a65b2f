// Array predicates: $size and the two forms of $elemMatch. They test arrays as wholes, so the
// path does not expand a final array into its elements (LeafArrays::kNoTraversal), though
// arrays met earlier on the path are still traversed ({"a.b": {$size: 2}} looks into every
// element of an array `a`). Non-array values never match.
#ifndef STRATA_QUERY_MATCH_EXPRESSION_ARRAY_H_
#define STRATA_QUERY_MATCH_EXPRESSION_ARRAY_H_

#include <memory>
#include <vector>

#include "query/match/expression_leaf.h"

namespace strata::query::match {

// $size: n — an array of exactly n elements.
class SizeMatchExpression final : public PathMatchExpression {
 public:
  SizeMatchExpression(FieldPath path, int32_t size)
      : PathMatchExpression(MatchType::kSize, std::move(path), LeafArrays::kNoTraversal),
        size_(size) {}

  int32_t size() const { return size_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  const int32_t size_;  // ≥ 0
};

// $elemMatch: {<filter on fields>} — some element that is a document (or an array, seen as a
// document with keys "0", "1", …) matches the whole sub-filter. Unlike implicit traversal, all
// conditions must hold for the same element.
class ElemMatchObjectMatchExpression final : public PathMatchExpression {
 public:
  ElemMatchObjectMatchExpression(FieldPath path, MatchExpressionPtr sub)
      : PathMatchExpression(MatchType::kElemMatchObject, std::move(path), LeafArrays::kNoTraversal),
        sub_(std::move(sub)) {}

  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  // Whether one array element satisfies the $elemMatch (what MatchesValue asks of each element;
  // projection's $elemMatch uses it directly).
  bool MatchesElement(const bson_iter_t& element) const;
  size_t num_children() const override { return 1; }
  const MatchExpression* child(size_t i) const override { return sub_.get(); }
  std::string DebugString() const override;

 private:
  const MatchExpressionPtr sub_;
};

// $elemMatch: {<operators>} — some element passes every operator (each child is a pathless
// predicate asked through MatchesValue about the element itself; elements are not expanded
// further, so [[1]] has no element equal to 1).
class ElemMatchValueMatchExpression final : public PathMatchExpression {
 public:
  ElemMatchValueMatchExpression(FieldPath path, std::vector<MatchExpressionPtr> children)
      : PathMatchExpression(MatchType::kElemMatchValue, std::move(path), LeafArrays::kNoTraversal),
        children_(std::move(children)) {}

  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  // Whether one array element passes every operator (see ElemMatchObjectMatchExpression).
  bool MatchesElement(const bson_iter_t& element) const;
  size_t num_children() const override { return children_.size(); }
  const MatchExpression* child(size_t i) const override { return children_[i].get(); }
  std::string DebugString() const override;

 private:
  const std::vector<MatchExpressionPtr> children_;
};

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_EXPRESSION_ARRAY_H_
