#include "query/planner/plan_cache.h"

#include <bson/bson.h>

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "document/compare.h"

namespace strata::query::planner {
namespace {

// Filters deeper than this are shaped only down to it (the parser bounds depth anyway).
constexpr int kMaxShapeDepth = 100;

void AppendFilterShape(const bson_t& filter, int depth, std::string* out);

// The canonical type rank of a value (numbers of every width share one).
std::string TypeOf(const bson_iter_t& value) {
  return absl::StrCat(document::CanonicalTypeRank(bson_iter_type(&value)));
}

// The shape of an array operand ($in, $nin, $all): the set of its elements' type ranks, and
// whether a regex among them may bound an index scan.
void AppendListShape(const bson_iter_t& array, std::string* out) {
  if (!BSON_ITER_HOLDS_ARRAY(&array)) {
    absl::StrAppend(out, TypeOf(array));
    return;
  }
  bson_iter_t element;
  bson_iter_recurse(&array, &element);
  std::set<int> ranks;
  while (bson_iter_next(&element))
    ranks.insert(document::CanonicalTypeRank(bson_iter_type(&element)));
  out->push_back('[');
  for (int rank : ranks) absl::StrAppend(out, rank, ",");
  out->push_back(']');
}

bool IsOperatorDocument(const bson_iter_t& value) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&value)) return false;
  bson_iter_t inner;
  bson_iter_recurse(&value, &inner);
  return bson_iter_next(&inner) && bson_iter_key(&inner)[0] == '$';
}

bool AsBson(const bson_iter_t& value, bson_t* out) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&value)) {
    bson_iter_document(&value, &length, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(&value)) {
    bson_iter_array(&value, &length, &data);
  } else {
    return false;
  }
  return bson_init_static(out, data, length);
}

// A regex operand: whether it is anchored (an anchored prefix bounds an index scan).
std::string RegexShape(const bson_iter_t& value) {
  if (!BSON_ITER_HOLDS_REGEX(&value) && !BSON_ITER_HOLDS_UTF8(&value)) return TypeOf(value);
  const char* pattern = BSON_ITER_HOLDS_REGEX(&value) ? bson_iter_regex(&value, nullptr)
                                                      : bson_iter_utf8(&value, nullptr);
  return pattern[0] == '^' ? "re^" : "re";
}

void AppendOperatorsShape(const bson_iter_t& operators, int depth, std::string* out) {
  bson_iter_t op;
  bson_iter_recurse(&operators, &op);
  out->push_back('{');
  while (bson_iter_next(&op)) {
    const std::string name = bson_iter_key(&op);
    absl::StrAppend(out, name, ":");
    bson_t nested;
    if (name == "$in" || name == "$nin" || name == "$all") {
      AppendListShape(op, out);
    } else if (name == "$regex") {
      absl::StrAppend(out, RegexShape(op));
    } else if ((name == "$elemMatch" || name == "$not") && depth < kMaxShapeDepth &&
               BSON_ITER_HOLDS_DOCUMENT(&op) && AsBson(op, &nested)) {
      if (IsOperatorDocument(op)) {
        AppendOperatorsShape(op, depth + 1, out);
      } else {
        AppendFilterShape(nested, depth + 1, out);
      }
    } else if (BSON_ITER_HOLDS_REGEX(&op)) {
      absl::StrAppend(out, RegexShape(op));
    } else {
      absl::StrAppend(out, TypeOf(op));
    }
    out->push_back(',');
  }
  out->push_back('}');
}

void AppendFilterShape(const bson_t& filter, int depth, std::string* out) {
  bson_iter_t it;
  if (!bson_iter_init(&it, &filter)) return;
  out->push_back('{');
  while (bson_iter_next(&it)) {
    const std::string key = bson_iter_key(&it);
    absl::StrAppend(out, key, ":");
    bson_t nested;
    if ((key == "$and" || key == "$or" || key == "$nor") && BSON_ITER_HOLDS_ARRAY(&it) &&
        depth < kMaxShapeDepth) {
      bson_iter_t clause;
      bson_iter_recurse(&it, &clause);
      out->push_back('[');
      while (bson_iter_next(&clause)) {
        if (AsBson(clause, &nested)) AppendFilterShape(nested, depth + 1, out);
        out->push_back(',');
      }
      out->push_back(']');
    } else if (!key.empty() && key[0] == '$') {
      absl::StrAppend(out, TypeOf(it));  // $expr, $where, $jsonSchema, …: their operator only
    } else if (IsOperatorDocument(it) && depth < kMaxShapeDepth) {
      AppendOperatorsShape(it, depth + 1, out);
    } else if (BSON_ITER_HOLDS_REGEX(&it)) {
      absl::StrAppend(out, RegexShape(it));
    } else {
      absl::StrAppend(out, "=", TypeOf(it));
    }
    out->push_back(',');
  }
  out->push_back('}');
}

// Field names with their values' shape (sort directions and projection flags are kept whole
// when they are numbers: they change the plan).
void AppendFieldsShape(DocumentView doc, std::string* out) {
  bson_t bson;
  bson_iter_t it;
  out->push_back('{');
  if (doc.AsBson(&bson) && bson_iter_init(&it, &bson)) {
    while (bson_iter_next(&it)) {
      absl::StrAppend(out, bson_iter_key(&it), ":");
      if (BSON_ITER_HOLDS_NUMBER(&it)) {
        absl::StrAppend(out, bson_iter_as_int64(&it));
      } else {
        absl::StrAppend(out, TypeOf(it));
      }
      out->push_back(',');
    }
  }
  out->push_back('}');
}

// FNV-1a: stable across runs and machines, so explain's queryHash is too.
uint32_t Fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

QueryShape QueryShapeOf(DocumentView filter, DocumentView sort, DocumentView projection,
                        int64_t skip, int64_t limit) {
  QueryShape shape;
  bson_t bson;
  // (absl::StrAppend rather than std::string's += of literals: g++ 12 warns falsely there.)
  absl::StrAppend(&shape.key, "f");
  if (filter.AsBson(&bson)) AppendFilterShape(bson, 0, &shape.key);
  absl::StrAppend(&shape.key, "s");
  AppendFieldsShape(sort, &shape.key);
  absl::StrAppend(&shape.key, "p");
  AppendFieldsShape(projection, &shape.key);
  // How many results are wanted changes the costs of streaming plans; its power of two is
  // enough to tell "a few" from "many".
  int size_class = 0;
  if (limit > 0) size_class = 1 + static_cast<int>(std::log2(static_cast<double>(skip + limit)));
  absl::StrAppend(&shape.key, "l", size_class);
  shape.hash = Fnv1a(shape.key);
  return shape;
}

std::optional<CachedPlan> PlanCache::Lookup(const std::string& shape_key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(shape_key);
  if (it == entries_.end()) {
    ++counters_.misses;
    return std::nullopt;
  }
  return it->second;
}

void PlanCache::Insert(const std::string& shape_key, CachedPlan plan) {
  absl::MutexLock lock(&mu_);
  // Full: forget everything rather than track recency (a shape seen again re-plans once).
  if (entries_.size() >= kMaxEntries && !entries_.contains(shape_key)) entries_.clear();
  entries_[shape_key] = std::move(plan);
}

void PlanCache::Evict(const std::string& shape_key) {
  absl::MutexLock lock(&mu_);
  if (entries_.erase(shape_key) > 0) ++counters_.replans;
}

void PlanCache::Forget(const std::string& shape_key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(shape_key);
}

void PlanCache::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

void PlanCache::CountHit() {
  absl::MutexLock lock(&mu_);
  ++counters_.hits;
}

PlanCache::Counters PlanCache::counters() const {
  absl::MutexLock lock(&mu_);
  Counters counters = counters_;
  counters.entries = static_cast<int64_t>(entries_.size());
  return counters;
}

}  // namespace strata::query::planner
