// Private to query/projection: the parsed projection tree and the mutable value tree Apply
// builds its output in. Nothing outside this folder includes this header.
#ifndef STRATA_QUERY_PROJECTION_PROJECTION_INTERNAL_H_
#define STRATA_QUERY_PROJECTION_PROJECTION_INTERNAL_H_

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "query/projection/projection.h"

namespace strata::query::projection::internal {

// A computed value: {a: "x"}, {a: "$b.c"}, {a: [1, "$b"]}, {a: {$literal: 5}}, {a: {b: "$c"}}
// inside an array. Constants point into the Projection's copy of the spec.
struct Expr {
  enum class Kind {
    kConstant,   // `constant`
    kFieldPath,  // "$a.b": `path` from the document's root, aggregation traversal
    kRoot,       // "$$ROOT" / "$$CURRENT", then optionally `path`
    kRemove,     // "$$REMOVE": missing
    kArray,      // `elements`; a missing element becomes null
    kObject,     // `fields`; a missing value drops the field
  };
  Kind kind = Kind::kConstant;
  bson_iter_t constant{};
  std::vector<std::string> path;
  std::vector<Expr> elements;
  std::vector<std::pair<std::string, Expr>> fields;

  // User-provided: clang-14 (with libstdc++ 12) checks the pair's completeness too early for
  // an implicitly declared constructor of a struct that holds pairs of itself.
  Expr() {}
};

// One node of the projection tree. Interior nodes (kPath) hold children in the order the
// projection first named them; leaves say what happens to the field at their path.
struct Node {
  enum class Kind {
    kPath,        // an interior node: some descendant is projected
    kInclude,     // field: 1
    kExclude,     // field: 0
    kSlice,       // field: {$slice: …}
    kElemMatch,   // field: {$elemMatch: …} (top level only)
    kPositional,  // "field.$": 1 (the node sits at the path without ".$")
    kExpression,  // a computed value
  };
  Kind kind = Kind::kPath;
  std::string name;
  std::vector<std::unique_ptr<Node>> children;
  // kPath: whether the subtree holds a kExpression or kElemMatch.
  bool has_computed = false;
  // kSlice: MongoDB's find $slice. No skip: `limit` first (limit >= 0) or last (-limit)
  // elements. With skip: `limit` (> 0) elements from `skip` (negative counts from the end).
  std::optional<int32_t> slice_skip;
  int32_t slice_limit = 0;
  std::unique_ptr<ElementPredicate> predicate;  // kElemMatch
  Expr expr;                                    // kExpression

  Node* FindChild(absl::string_view child_name) const {
    for (const auto& child : children) {
      if (child->name == child_name) return child.get();
    }
    return nullptr;
  }
};

// A $slice or positional leaf, applied to the projected document after the rest, in
// projection order (MongoDB's "root replacement" expressions).
struct PostStep {
  std::vector<std::string> path;
  const Node* node;
};

struct Tree {
  Node root;
  std::vector<PostStep> post_steps;
};

// The mutable output of Apply. Raw values point into the input document or the spec;
// kMissing marks a value that is not written (arrays keep missing slots until then, as
// MongoDB's Value arrays do, so positions still match the input's).
struct Value {
  enum class Kind { kMissing, kRaw, kDocument, kArray };
  Kind kind = Kind::kMissing;
  bson_iter_t raw{};
  std::vector<std::pair<std::string, Value>> fields;  // kDocument
  std::vector<Value> elements;                        // kArray

  Value() {}  // user-provided: see Expr

  static Value Missing() { return Value(); }
  static Value Raw(const bson_iter_t& it) {
    Value v;
    v.kind = Kind::kRaw;
    v.raw = it;
    return v;
  }
  static Value EmptyDocument() {
    Value v;
    v.kind = Kind::kDocument;
    return v;
  }
  static Value EmptyArray() {
    Value v;
    v.kind = Kind::kArray;
    return v;
  }
  bool missing() const { return kind == Kind::kMissing; }
};

}  // namespace strata::query::projection::internal

#endif  // STRATA_QUERY_PROJECTION_PROJECTION_INTERNAL_H_
