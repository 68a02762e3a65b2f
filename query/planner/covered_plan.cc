#include "query/planner/covered_plan.h"

#include <bson/bson.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "query/match/expression_leaf.h"
#include "query/planner/query_planner.h"

namespace strata::query::planner {
namespace {

// `path` is `prefix` or lies under it.
bool PathWithin(absl::string_view path, absl::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() && absl::StartsWith(path, prefix) &&
                            path[prefix.size()] == '.');
}

// Collects the filter's paths; false when a node reads more than its paths.
bool CollectFilterPaths(const match::MatchExpression& node, std::vector<std::string>* paths) {
  switch (node.type()) {
    case match::MatchType::kExternal:
      return false;
    case match::MatchType::kAnd:
    case match::MatchType::kOr:
    case match::MatchType::kNor:
    case match::MatchType::kNot:
      for (size_t i = 0; i < node.num_children(); ++i) {
        if (!CollectFilterPaths(*node.child(i), paths)) return false;
      }
      return true;
    case match::MatchType::kAlwaysTrue:
    case match::MatchType::kAlwaysFalse:
      return true;
    default: {
      // Path predicates, $elemMatch included: its children's paths are relative to its own.
      const auto* leaf = dynamic_cast<const match::PathMatchExpression*>(&node);
      if (leaf == nullptr || leaf->path().dotted().empty()) return false;
      paths->push_back(leaf->path().dotted());
      return true;
    }
  }
}

// Collects an inclusion projection's paths under `prefix`; false for anything but plain
// field inclusions (and `_id` exclusion at the top). `*includes_id` is cleared by `_id: 0`.
bool CollectProjectionPaths(const bson_iter_t& it_in, const std::string& prefix, bool top,
                            std::vector<std::string>* paths, bool* includes_id, bool* any) {
  bson_iter_t it = it_in;
  while (bson_iter_next(&it)) {
    const absl::string_view name(bson_iter_key(&it), bson_iter_key_len(&it));
    if (name.empty() || name[0] == '$' || absl::StrContains(name, ".$") || name == "$") {
      return false;
    }
    const std::string path = prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
    switch (bson_iter_type(&it)) {
      case BSON_TYPE_BOOL:
      case BSON_TYPE_INT32:
      case BSON_TYPE_INT64:
      case BSON_TYPE_DOUBLE: {
        const bool include = bson_iter_as_bool(&it);
        if (top && path == "_id") {
          *includes_id = include;
          continue;
        }
        if (!include) return false;  // an exclusion projection returns unlisted fields
        paths->push_back(path);
        *any = true;
        break;
      }
      case BSON_TYPE_DOCUMENT: {
        bson_iter_t inner;
        if (!bson_iter_recurse(&it, &inner)) return false;
        bson_iter_t peek = inner;
        if (bson_iter_next(&peek) && bson_iter_key(&peek)[0] == '$') return false;  // operator
        if (!CollectProjectionPaths(inner, path, false, paths, includes_id, any)) return false;
        break;
      }
      default:
        return false;  // computed values
    }
  }
  return true;
}

}  // namespace

CoverageRequest AnalyzeCoverage(const match::MatchExpression& filter, DocumentView projection,
                                const sort::SortSpec* sort) {
  CoverageRequest request;
  if (projection.empty()) return request;
  bson_t bson;
  bson_iter_t it;
  if (!projection.AsBson(&bson) || !bson_iter_init(&it, &bson)) return request;
  bool includes_id = true;
  bool any = false;
  if (!CollectProjectionPaths(it, "", true, &request.paths, &includes_id, &any) || !any) {
    return request;
  }
  if (includes_id) request.paths.push_back("_id");
  if (!CollectFilterPaths(filter, &request.paths)) return request;
  if (sort != nullptr) {
    for (const sort::SortSpec::Field& field : sort->fields()) request.paths.push_back(field.path);
  }
  request.possible = true;
  return request;
}

bool IndexCovers(const IndexInfo& index, const CoverageRequest& request) {
  if (!request.possible || !index.format.typed || index.multikey) return false;
  for (const auto& components : index.shape.multikey_paths) {
    if (!components.empty()) return false;
  }
  for (const std::string& path : request.paths) {
    bool within = false;
    for (const index::KeyPart& part : index.shape.key_parts) {
      if (PathWithin(path, part.path)) {
        within = true;
        break;
      }
    }
    if (!within) return false;
  }
  return true;
}

std::vector<bool> CoveredKeyParts(const IndexInfo& index, const CoverageRequest& request) {
  const std::vector<index::KeyPart>& parts = index.shape.key_parts;
  std::vector<bool> wanted(parts.size(), false);
  for (size_t i = 0; i < parts.size(); ++i) {
    bool under_other = false;
    for (size_t j = 0; j < parts.size(); ++j) {
      if (j != i && PathWithin(parts[i].path, parts[j].path)) under_other = true;
    }
    if (under_other) continue;
    for (const std::string& path : request.paths) {
      if (PathWithin(path, parts[i].path)) wanted[i] = true;
    }
  }
  return wanted;
}

}  // namespace strata::query::planner
