// Index bounds from a match tree: which intervals of each key part of one index can hold the
// keys of the documents a filter matches (MongoDB's IndexBoundsBuilder + the planner's
// compound/multikey rules).
//
// CONTRACT (what makes plans safe): for every document D that matches `filter`, at least one
// of D's index keys (index/key_generator.h) lies inside the returned bounds — unless the index
// does not hold D at all (sparse/partial; the planner checks those separately). The bounds may
// be wider than necessary; the executor re-applies the whole filter to every fetched document,
// so results never depend on the bounds, only the cost does. `exact` promises more (see below)
// and may only be set when it holds.
//
// What produces bounds (on a key part whose path is exactly the predicate's path):
//   equality (null → [undefined] ∪ [null]; an array value → the array ∪ its first element,
//   [] → [undefined] ∪ [[]]), $lt/$lte/$gt/$gte (type-bracketed: {$gt: 5} → (5, Infinity],
//   {$lt: "b"} → ["", "b"), {$gt: "b"} → ("b", {}); NaN only equals NaN; MinKey/MaxKey
//   operands; an array operand leaves the part unbounded), $in (points and regexes), $ne/$nin
//   and $not (complements, see below), $exists: false ([null]), $type (the brackets of the
//   types; "array", "regex", "javascript" and "dbPointer" leave the part unbounded),
//   case-sensitive regexes anchored with ^ or \A and no alternation (/^abc/ → ["abc", "abd") ∪
//   [/^abc/, /^abc/]; other regexes → all strings ∪ the regex value), $elemMatch (value form:
//   its operators, intersected, on the array's path; object form: its predicates on
//   <array path>.<field>), $and at any depth of the filter (intersection per key part),
//   $alwaysFalse / $all: [] (no interval at all). Everything else ($or, $nor, $expr, $mod,
//   $size, bit tests, $exists: true, $where-like external nodes) leaves the key part unbounded.
//   Key parts whose path has a numeric component ("a.0") are never bounded: positional paths
//   over nested arrays key values the matcher does not reach.
// $not (and $ne, $nin) complement their operand's bounds only when those are exact (else the
//   part stays unbounded): a document the operand rejects then has no key inside them.
// Multikey rules (MongoDB's): bounds of two predicates on the SAME multikey path are not
// intersected (an array may satisfy each with a different element; one predicate's bounds
// are kept, an equality's when there is one) — except inside one $elemMatch, where they
// intersect unless the path has an array below the $elemMatch's array. Two key parts whose
// paths share an array component are not both bounded (the later part is left unbounded)
// unless both are bounded by predicates of one $elemMatch object whose array is that shared
// array or lies inside it ({a: {$elemMatch: {b: 1, c: 2}}} bounds both a.b and a.c).
// `exact` is never set for filters with $elemMatch, regexes, array equalities, $exists, or
// predicates that match missing values (null equality, complements) on multikey paths.
//
// Thread safety: pure function.
#ifndef STRATA_QUERY_PLANNER_INDEX_BOUNDS_BUILDER_H_
#define STRATA_QUERY_PLANNER_INDEX_BOUNDS_BUILDER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "index/index_bounds.h"
#include "index/index_spec.h"
#include "query/match/match_expression.h"

namespace strata::query::planner {

// What the bounds builder needs to know about one index.
struct IndexShape {
  std::vector<index::KeyPart> key_parts;  // paths and directions, in key pattern order
  index::MultikeyPaths multikey_paths;    // per key part (may be empty: not multikey)
};

struct IndexBoundsResult {
  // One interval list per key part (Interval::All() for unbounded parts), ascending values,
  // non-overlapping, as index::BuildScanRanges takes them.
  index::IndexBounds bounds;
  // Number of leading key parts with bounds narrower than All (0: the index does not help the
  // filter; it may still provide a sort order).
  size_t bounded_prefix = 0;
  // True only when a document matches `filter` if and only if one of its keys is inside the
  // bounds (every predicate of the filter was turned into bounds exactly, none is
  // multikey-relaxed): the executor may then skip re-checking and count from the index.
  bool exact = false;
};

// The bounds `filter` (a whole parsed filter) implies on the index `shape`.
// kInvalidArgument only for malformed shapes (no key parts).
absl::StatusOr<IndexBoundsResult> BuildIndexBounds(const match::MatchExpression& filter,
                                                   const IndexShape& shape);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_INDEX_BOUNDS_BUILDER_H_
