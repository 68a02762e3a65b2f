// Find-command projections: parse a projection document once, apply it to many documents.
//
// Semantics are MongoDB's find projection (4.4+ rules):
//   - A projection is an inclusion or an exclusion. Booleans and numbers say which (0, false
//     exclude; any other number, true include); `_id` is included unless excluded, and `_id`
//     may be excluded in an inclusion or included in an exclusion. Mixing is an error
//     (31253 / 31254). An empty projection returns documents unchanged.
//   - Dotted paths and nested specs ({"a.b": 1} == {a: {b: 1}}) reach through embedded documents
//     and arrays of documents (arrays of arrays too): {"a.b": 1} on {a: [{b: 1, c: 2}, {c: 3}, 7]}
//     gives {a: [{b: 1}, {}]} (inclusion drops scalars met on the way). A path and a prefix of it
//     may not both be projected (31249 / 31250 "Path collision at …").
//   - Inclusion keeps the document's field order. Values that are computed ($elemMatch,
//     literals, "$field" references, {$literal: v}) come after the included fields, in the order
//     of the projection; in an exclusion, $elemMatch replaces the field where it stands.
//   - {a: {$slice: n}}, {$slice: -n}, {$slice: [skip, limit]} (limit > 0) keep part of an array,
//     also at a dotted path through arrays of documents; non-arrays are left as they are.
//   - {a: {$elemMatch: cond}} (top-level fields only) keeps the first element of array `a`
//     that the condition accepts, as a one-element array; the field disappears when none does.
//     The condition is compiled by a caller-supplied factory (the query matcher), so this layer
//     does not depend on query/match.
//   - {"a.$": 1} (or "a.b.$") keeps, of the first array on the path, the element at the index
//     the query matched (Apply's `positional_index`), as a one-element array.
//   - Any other non-boolean, non-numeric value is an expression: literals (strings, null,
//     arrays, documents of expressions), "$path" references (aggregation semantics: through
//     arrays, missing values dropped), "$$ROOT"/"$$CURRENT"[.path], "$$REMOVE", {$literal: v}.
//     Other aggregation operators and $meta are recognised and rejected with NotImplemented.
// Errors carry MongoDB's codes (base/error_codes.h MongoError) and messages, e.g.
// 31254 "Cannot do exclusion on field b in inclusion projection".
//
// Thread safety: a parsed Projection is immutable; Apply may run concurrently from many
// threads provided the $elemMatch predicates' Matches does too.
#ifndef STRATA_QUERY_PROJECTION_PROJECTION_H_
#define STRATA_QUERY_PROJECTION_PROJECTION_H_

#include <bson/bson.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::query::projection {

// Decides whether one array element satisfies a $elemMatch projection's condition.
class ElementPredicate {
 public:
  virtual ~ElementPredicate() = default;
  // `element` is positioned on the array element (its key is the index).
  virtual bool Matches(const bson_iter_t& element) const = 0;
};

// Compiles a $elemMatch condition (the document after $elemMatch, e.g. {score: {$gt: 5}}) into
// a predicate. `condition` points into the Projection's own copy of the spec and stays valid
// as long as the Projection (so the predicate may borrow it). Errors are returned by Parse.
using ElementPredicateFactory =
    std::function<absl::StatusOr<std::unique_ptr<ElementPredicate>>(DocumentView condition)>;

struct ProjectionParseOptions {
  // The find command's filter. Positional projections ("a.$") need it: MongoDB rejects one
  // whose first path component the filter does not constrain (31277), and one without a
  // filter at all (51050). Only read during Parse. Default: none.
  std::optional<DocumentView> query;
  // Builds the predicate of each $elemMatch projection. Default: empty, and a projection with
  // $elemMatch then fails to parse with NotImplemented.
  ElementPredicateFactory elem_match_factory;
};

namespace internal {
struct Tree;
}  // namespace internal

class Projection {
 public:
  // Parses a projection document. Fails with MongoDB's error (code and message) for invalid
  // projections, and with NotImplemented for expressions this build does not evaluate.
  static absl::StatusOr<Projection> Parse(DocumentView spec,
                                          const ProjectionParseOptions& options = {});

  Projection(Projection&&) noexcept;
  Projection& operator=(Projection&&) noexcept;
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;
  ~Projection();

  // Projects `doc`. `positional_index` is the index, in the first array on the positional
  // path, of the element the query matched (MongoDB's elemMatchKey); it is only read when the
  // projection has a positional part. Errors: 51246 when a positional projection meets an
  // array but no index was given, 51247 when the index is past the array's end.
  // The result owns its bytes; `doc` may be released afterwards.
  absl::StatusOr<Document> Apply(DocumentView doc,
                                 std::optional<size_t> positional_index = std::nullopt) const;

  // True for inclusion projections (only listed fields, plus _id, come back).
  bool is_inclusion() const { return inclusion_; }
  // True when Apply returns documents unchanged (the empty projection {}).
  bool is_identity() const;
  // True when the projection has a positional part ("a.$"): the caller must then compute the
  // matched array index for each document.
  bool has_positional() const { return has_positional_; }
  // True when the projection has a $elemMatch part.
  bool has_elem_match() const { return has_elem_match_; }

 private:
  Projection();

  bool inclusion_ = false;
  bool has_positional_ = false;
  bool has_elem_match_ = false;
  // The spec's bytes: literal values and $elemMatch conditions point into them.
  std::unique_ptr<uint8_t[]> spec_bytes_;
  size_t spec_size_ = 0;
  std::unique_ptr<internal::Tree> tree_;
};

}  // namespace strata::query::projection

#endif  // STRATA_QUERY_PROJECTION_PROJECTION_H_
