// The match-expression tree: a parsed query filter that decides whether a document matches.
//
// Build one with ParseFilter (query/match/parser.h); evaluate it with Matches(). The node
// kinds mirror MongoDB's matcher: logical nodes here, path predicates in expression_leaf.h,
// array predicates in expression_array.h.
//
// LIFETIME: a tree borrows the filter document it was parsed from (comparison operands, $in
// lists and the like are iterators into its bytes). Keep the filter's bytes alive and unchanged
// for as long as the tree is used.
//
// THREAD SAFETY: a tree is immutable after parsing. Matches/MatchesValue are const, keep no
// state and may run concurrently on one tree from many threads.
//
// COST: evaluation walks the document's BSON in place (bson_iter_t); it allocates nothing unless
// a MatchDetails asks for the array position (a short string).
#ifndef STRATA_QUERY_MATCH_MATCH_EXPRESSION_H_
#define STRATA_QUERY_MATCH_MATCH_EXPRESSION_H_

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::query::match {

enum class MatchType : uint8_t {
  // Logical (expression_tree: this header).
  kAnd,
  kOr,
  kNor,
  kNot,
  kAlwaysTrue,
  kAlwaysFalse,
  // Path predicates (expression_leaf.h).
  kEq,
  kLt,
  kLte,
  kGt,
  kGte,
  kIn,
  kRegex,
  kMod,
  kExists,
  kType,
  kBitsAllSet,
  kBitsAllClear,
  kBitsAnySet,
  kBitsAnyClear,
  // Array predicates (expression_array.h).
  kSize,
  kElemMatchObject,
  kElemMatchValue,
  // Nodes supplied by another layer through ParseOptions ($expr, $jsonSchema).
  kExternal,
};

// Optional output of Matches(): the position of the array element that made the document
// match (MongoDB's "elemMatchKey", which the positional projection operator `$` uses).
// Recorded only when requested, and only through path predicates and $and (not through $or,
// $nor or $not, as in MongoDB). The key is the index, as text, of the outermost array element
// traversed implicitly by the matching predicate.
class MatchDetails {
 public:
  void RequestElemMatchKey() { requested_ = true; }
  bool elem_match_key_requested() const { return requested_; }
  bool has_elem_match_key() const { return has_key_; }
  // Meaningful when has_elem_match_key().
  const std::string& elem_match_key() const { return key_; }

  // For the matcher.
  void SetElemMatchKey(absl::string_view key) {
    key_.assign(key.data(), key.size());
    has_key_ = true;
  }
  void ResetOutput() {
    has_key_ = false;
    key_.clear();
  }

 private:
  bool requested_ = false;
  bool has_key_ = false;
  std::string key_;
};

class MatchExpression {
 public:
  explicit MatchExpression(MatchType type) : type_(type) {}
  virtual ~MatchExpression() = default;
  MatchExpression(const MatchExpression&) = delete;
  MatchExpression& operator=(const MatchExpression&) = delete;

  MatchType type() const { return type_; }

  // Whether `doc` (a complete BSON document; unreadable bytes read as {}) matches.
  // `details` may be null.
  virtual bool Matches(DocumentView doc, MatchDetails* details = nullptr) const = 0;

  // Whether one value matches, as if it were what the node's path reached. `value` null means
  // "missing". This is how $elemMatch's value form ({a: {$elemMatch: {$gt: 1}}}) tests each
  // element, and how $in/$not compose; for logical nodes it combines the children's answers.
  virtual bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const = 0;

  // Children, for logical and $elemMatch nodes (others have none).
  virtual size_t num_children() const { return 0; }
  virtual const MatchExpression* child(size_t i) const { return nullptr; }

  // A one-line readable form, for tests, logs and explain, e.g. "$and(a $gt 5, b $exists)".
  virtual std::string DebugString() const = 0;

 private:
  const MatchType type_;
};

using MatchExpressionPtr = std::unique_ptr<MatchExpression>;

// Common base of $and, $or and $nor: an ordered list of children.
class ListMatchExpression : public MatchExpression {
 public:
  void Add(MatchExpressionPtr child) { children_.push_back(std::move(child)); }
  size_t num_children() const override { return children_.size(); }
  const MatchExpression* child(size_t i) const override { return children_[i].get(); }
  // Takes the children out, leaving this node empty.
  std::vector<MatchExpressionPtr> ReleaseChildren() { return std::move(children_); }
  std::string DebugString() const override;

 protected:
  using MatchExpression::MatchExpression;
  std::vector<MatchExpressionPtr> children_;
};

// All children match. With no children it matches everything (the filter {}).
class AndMatchExpression final : public ListMatchExpression {
 public:
  AndMatchExpression() : ListMatchExpression(MatchType::kAnd) {}
  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const override;
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
};

// Some child matches (none: nothing matches; the parser never builds an empty one).
class OrMatchExpression final : public ListMatchExpression {
 public:
  OrMatchExpression() : ListMatchExpression(MatchType::kOr) {}
  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const override;
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
};

// No child matches.
class NorMatchExpression final : public ListMatchExpression {
 public:
  NorMatchExpression() : ListMatchExpression(MatchType::kNor) {}
  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const override;
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
};

// The child does not match. Note this negates the whole predicate over the document, not each
// array element: {a: {$not: {$gt: 5}}} rejects {a: [1, 7]} and accepts a missing `a`.
class NotMatchExpression final : public MatchExpression {
 public:
  explicit NotMatchExpression(MatchExpressionPtr child)
      : MatchExpression(MatchType::kNot), child_(std::move(child)) {}
  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const override;
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  size_t num_children() const override { return 1; }
  const MatchExpression* child(size_t i) const override { return child_.get(); }
  std::string DebugString() const override;

 private:
  MatchExpressionPtr child_;
};

// $alwaysTrue: 1 and $alwaysFalse: 1 (also what $all: [] becomes).
class AlwaysBooleanMatchExpression final : public MatchExpression {
 public:
  explicit AlwaysBooleanMatchExpression(bool value)
      : MatchExpression(value ? MatchType::kAlwaysTrue : MatchType::kAlwaysFalse), value_(value) {}
  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const override { return value_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override {
    return value_;
  }
  std::string DebugString() const override { return value_ ? "$alwaysTrue" : "$alwaysFalse"; }

 private:
  const bool value_;
};

// A readable form of the value at `it` (relaxed Extended JSON), for DebugString.
std::string ValueDebugString(const bson_iter_t& it);

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_MATCH_EXPRESSION_H_
