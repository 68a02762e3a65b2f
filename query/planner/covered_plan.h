// Covered plans: when an index scan can answer a find from its keys alone, without fetching
// the documents (MongoDB's PROJECTION_COVERED).
//
// A find is coverable by an index when
//   - the index has typed entries (entry format >= 1, index/key_types.h: the exact values can be
//     rebuilt from a key) and is not multikey (one key per document, no array on a key path);
//   - every path the filter reads is a key part's path or lies under one ({"a.b": …} under key
//     part "a" reads the rebuilt "a"), and the filter has no node that reads the whole document
//     ($expr, $jsonSchema: kExternal) — the executor then evaluates the whole filter on the
//     rebuilt key document, so every predicate is answered exactly, not only the ones the
//     bounds express;
//   - the projection is an inclusion projection of plain fields (1/true, nested or dotted; no
//     $slice, $elemMatch, positional "$" or computed values) over key paths, with `_id: 0`
//     unless `_id` is a key part;
//   - every sort path is a key path.
// Sparse and partial indexes need no extra rule: covering changes how an entry's document is
// produced, not which entries the scan reads, so the planner's sparse/partial rules (and a hint's
// override of them) keep their meaning.
//
// The rebuilt document holds the key parts the query reads, in key pattern order, dotted paths
// as nested documents, missing fields left out (key_types.h records which); an entry that cannot
// be rebuilt exactly (key_types.h's "not rebuildable" code) makes the executor fetch that one
// document instead.
// Thread safety: pure functions.
#ifndef STRATA_QUERY_PLANNER_COVERED_PLAN_H_
#define STRATA_QUERY_PLANNER_COVERED_PLAN_H_

#include <string>
#include <vector>

#include "query/match/match_expression.h"
#include "query/sort/sort_spec.h"
#include "strata/document.h"

namespace strata::query::planner {

struct IndexInfo;

// What a find reads of each document, for deciding coverage.
struct CoverageRequest {
  bool possible = false;           // false: some part of the query needs the whole document
  std::vector<std::string> paths;  // every path read by the filter, sort and projection
};

// The coverage needs of a find with this filter, projection ({} never covers: it returns whole
// documents) and sort (may be null).
CoverageRequest AnalyzeCoverage(const match::MatchExpression& filter, DocumentView projection,
                                const sort::SortSpec* sort);

// Whether an index scan of `index` can produce `request`'s results from its keys alone.
bool IndexCovers(const IndexInfo& index, const CoverageRequest& request);

// Per key part of `index`: whether a covered scan must rebuild it (some path of `request` is
// it or lies under it; a part under another rebuilt part is not rebuilt again).
std::vector<bool> CoveredKeyParts(const IndexInfo& index, const CoverageRequest& request);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_COVERED_PLAN_H_
