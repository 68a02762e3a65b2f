#include "query/planner/query_planner.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/compare.h"
#include "document/key_string.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "query/exec/index_cursor.h"
#include "query/planner/cost_model.h"
#include "query/planner/plan_cache.h"

namespace strata::query::planner {
namespace {

absl::Status BadHint() {
  return MongoError(ErrorCode::kBadValue, "hint provided does not correspond to an existing index");
}

// The ascending key string of a one-value document's value.
std::string KeyStringOf(void (*append)(bson_t*)) {
  bson_t doc = BSON_INITIALIZER;
  append(&doc);
  bson_iter_t it;
  bson_iter_init(&it, &doc);
  bson_iter_next(&it);
  std::string key = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return key;
}

bool IntervalContains(const index::Interval& interval, absl::string_view key) {
  int low = absl::string_view(interval.low).compare(key);
  int high = key.compare(interval.high);
  return (low < 0 || (low == 0 && interval.low_inclusive)) &&
         (high < 0 || (high == 0 && interval.high_inclusive));
}

// Whether the first key part's bounds may hold the key of a document lacking the field
// (null, or undefined for an empty array): a sparse index would miss such documents.
bool LeadingBoundsAdmitMissing(const index::IndexBounds& bounds) {
  static const std::string* const kNull =
      new std::string(KeyStringOf([](bson_t* d) { bson_append_null(d, "v", 1); }));
  static const std::string* const kUndefined =
      new std::string(KeyStringOf([](bson_t* d) { bson_append_undefined(d, "v", 1); }));
  if (bounds.fields.empty()) return true;
  for (const index::Interval& interval : bounds.fields[0]) {
    if (IntervalContains(interval, *kNull) || IntervalContains(interval, *kUndefined)) return true;
  }
  return false;
}

// The top-level conditions of a filter document, as (key + value bytes) strings; a top-level
// $and contributes its clauses' conditions.
void CollectConjuncts(DocumentView filter, std::vector<std::string>* out) {
  bson_t bson;
  if (!filter.AsBson(&bson)) return;
  bson_iter_t it;
  bson_iter_init(&it, &bson);
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == "$and" && BSON_ITER_HOLDS_ARRAY(&it)) {
      bson_iter_t clause;
      bson_iter_recurse(&it, &clause);
      while (bson_iter_next(&clause)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&clause)) continue;
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&clause, &length, &data);
        CollectConjuncts(DocumentView(data, length), out);
      }
      continue;
    }
    bson_t single = BSON_INITIALIZER;
    bson_append_iter(&single, bson_iter_key(&it), -1, &it);
    out->emplace_back(reinterpret_cast<const char*>(bson_get_data(&single)), single.len);
    bson_destroy(&single);
  }
}

// Whether every condition of the partial filter is one of the query's top-level conditions
// (then every matching document satisfies the partial filter and is in the index).
bool FilterImpliesPartial(DocumentView filter, DocumentView partial) {
  std::vector<std::string> query_conditions, partial_conditions;
  CollectConjuncts(filter, &query_conditions);
  CollectConjuncts(partial, &partial_conditions);
  for (const std::string& condition : partial_conditions) {
    if (std::find(query_conditions.begin(), query_conditions.end(), condition) ==
        query_conditions.end()) {
      return false;
    }
  }
  return true;
}

// Whether scanning `index` (forward, or backward when `*backward`) yields documents in the
// order `sort` asks for. Leading key parts bounded to one point may be skipped.
bool ProvidesSort(const IndexInfo& index, const IndexBoundsResult& bounds,
                  const sort::SortSpec& sort, bool* backward) {
  const auto& parts = index.shape.key_parts;
  size_t point_prefix = 0;
  while (point_prefix < parts.size() && point_prefix < bounds.bounds.fields.size() &&
         bounds.bounds.fields[point_prefix].size() == 1 &&
         bounds.bounds.fields[point_prefix][0].IsPoint()) {
    ++point_prefix;
  }
  for (size_t start = 0; start <= point_prefix; ++start) {
    if (start + sort.size() > parts.size()) break;
    std::optional<bool> reversed;
    bool matches = true;
    for (size_t i = 0; i < sort.size() && matches; ++i) {
      const index::KeyPart& part = parts[start + i];
      const sort::SortSpec::Field& field = sort.fields()[i];
      bool part_multikey = start + i < index.shape.multikey_paths.size() &&
                           !index.shape.multikey_paths[start + i].empty();
      if (part.path != field.path || part_multikey) {
        matches = false;
        break;
      }
      bool this_reversed = field.ascending == part.descending;
      if (reversed.has_value() && *reversed != this_reversed) matches = false;
      reversed = this_reversed;
    }
    if (matches && reversed.has_value()) {
      *backward = *reversed;
      return true;
    }
  }
  return false;
}

// The share of `whole`'s bytes that `parts` hold in column family `cf`, by RocksDB's
// approximate sizes (memtables included); 0.5 when RocksDB cannot tell.
double ApproximateShare(const engine::StorageEngine& engine, rocksdb::ColumnFamilyHandle* cf,
                        const std::vector<index::KeyRange>& parts, const index::KeyRange& whole) {
  std::vector<rocksdb::Range> ranges;
  for (const index::KeyRange& part : parts) ranges.emplace_back(part.start, part.limit);
  ranges.emplace_back(whole.start, whole.limit);
  std::vector<uint64_t> sizes(ranges.size(), 0);
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  rocksdb::Status s = engine.db()->GetApproximateSizes(
      options, cf, ranges.data(), static_cast<int>(ranges.size()), sizes.data());
  double in_parts = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) in_parts += static_cast<double>(sizes[i]);
  const double total = static_cast<double>(sizes.back());
  return s.ok() && total > 0 ? std::min(1.0, in_parts / total) : 0.5;
}

struct KeyEstimate {
  double keys = 0;
  CandidatePlan::KeysFrom from = CandidatePlan::KeysFrom::kNone;
};

// Keys of `index` inside `ranges` (cost_model.h, "K"): from the leading-field histogram when
// the index has a fresh one that bounds every bounded key part (only the leading one is
// bounded) and is precise for these bounds; otherwise by a dive, counted exactly up to the dive
// cap and extrapolated past it from RocksDB's approximate sizes — clamped, when a histogram
// exists, to the range it allows. The documents modified since the analysis widen that range
// (each may have moved one key in or out).
absl::StatusOr<KeyEstimate> EstimateKeys(const IndexInfo& index, const index::ScanRanges& ranges,
                                         const IndexBoundsResult& bounds,
                                         const engine::StorageEngine& engine,
                                         const std::shared_ptr<engine::Snapshot>& snapshot) {
  const double entries = static_cast<double>(std::max<int64_t>(0, index.entries));
  const double drift =
      static_cast<double>(std::max<int64_t>(0, index.modifications_since_analysis));
  std::optional<LeadingHistogram::Estimate> histogram;
  if (index.histogram != nullptr && !bounds.bounds.fields.empty()) {
    histogram = index.histogram->EstimateIntervals(bounds.bounds.fields[0]);
    const double estimate = histogram->fraction * entries;
    // The histogram's own uncertainty, plus what the documents modified since may have moved.
    const double spread = (histogram->high - histogram->low) * entries + drift;
    if (bounds.bounded_prefix <= 1 &&
        spread <= CostModel::kHistogramCoarseness * std::max(1.0, estimate)) {
      return KeyEstimate{estimate, CandidatePlan::KeysFrom::kHistogram};
    }
  }
  const CandidatePlan::KeysFrom dived = histogram.has_value()
                                            ? CandidatePlan::KeysFrom::kHistogramAndDive
                                            : CandidatePlan::KeysFrom::kDive;
  ASSIGN_OR_RETURN(std::unique_ptr<exec::IndexCursor> cursor,
                   exec::IndexCursor::Create(engine, snapshot, index.format, ranges, bounds.bounds,
                                             /*backward=*/false));
  int64_t counted = 0;
  while (counted < CostModel::kDiveCap) {
    ASSIGN_OR_RETURN(std::optional<exec::IndexCursor::Entry> entry, cursor->Next());
    if (!entry.has_value()) return KeyEstimate{static_cast<double>(counted), dived};
    ++counted;
  }
  // Past the cap: the ranges' share of the index's bytes, times its entries.
  std::vector<index::KeyRange> entry_ranges;
  for (const index::KeyRange& range : ranges.ranges) {
    entry_ranges.push_back(index::IndexEntryRangeFor(index.format.index_id, range));
  }
  const double fraction = ApproximateShare(engine, engine.indexes(), entry_ranges,
                                           index::IndexEntryRange(index.format.index_id));
  double keys = std::max<double>(static_cast<double>(counted), fraction * entries);
  if (histogram.has_value()) {
    // The leading part's histogram bounds the scan from above; from below only when the
    // leading part is all the bounds there are.
    const double low = bounds.bounded_prefix <= 1 ? histogram->low * entries - drift : 0;
    const double high = std::max(static_cast<double>(counted), histogram->high * entries + drift);
    keys = std::clamp(keys, std::min(std::max(low, static_cast<double>(counted)), high), high);
  }
  return KeyEstimate{keys, dived};
}

// Records of the collection inside `_id` key-string ranges: counted up to the dive cap, then
// extrapolated from RocksDB's approximate sizes.
// Counting stops at `cap` (<= kDiveCap) records; below kDiveCap the count is returned as is
// (a lower bound when it reached `cap`).
absl::StatusOr<double> EstimateRecords(const PlanRequest& request, const index::ScanRanges& ranges,
                                       const engine::StorageEngine& engine,
                                       const std::shared_ptr<engine::Snapshot>& snapshot,
                                       int64_t cap) {
  engine::RecordIterator records(engine, snapshot, request.collection_id);
  int64_t counted = 0;
  for (const index::KeyRange& range : ranges.ranges) {
    for (records.Seek(range.start); records.Valid() && records.id_key() < range.limit;
         records.Next()) {
      if (++counted >= cap) break;
    }
    RETURN_IF_ERROR(records.status());
    if (counted >= cap) break;
  }
  if (counted < CostModel::kDiveCap) return static_cast<double>(counted);
  std::vector<index::KeyRange> record_ranges;
  for (const index::KeyRange& range : ranges.ranges) {
    record_ranges.push_back({engine::RecordKey(request.collection_id, range.start),
                             engine::RecordKey(request.collection_id, range.limit)});
  }
  const double fraction = ApproximateShare(engine, engine.documents(), record_ranges,
                                           {engine::CollectionPrefix(request.collection_id),
                                            engine::CollectionPrefix(request.collection_id + 1)});
  return std::max<double>(static_cast<double>(counted),
                          fraction * static_cast<double>(request.collection_documents));
}

double SortCost(double rows) {
  return rows > 1 ? rows * std::log2(rows) * CostModel::kSortPerComparison : 0;
}

// How many results the request wants at most (skip + limit), 0 when unlimited.
double Wanted(const PlanRequest& request) {
  return request.limit > 0 ? static_cast<double>(request.skip + request.limit) : 0;
}

bool WantsSort(const PlanRequest& request) {
  return request.sort != nullptr && !request.sort->empty();
}

// The index scan of `indexes[position]` for the request, its bounds, scan ranges and the keys
// inside them (counted by a dive); nullopt when the planner's rules leave the index out
// (a hint overrides the sparse, partial and "bounds nothing" rules).
absl::StatusOr<std::optional<CandidatePlan>> IndexCandidate(
    const PlanRequest& request, const std::vector<IndexInfo>& indexes, int position, bool hinted,
    const engine::StorageEngine& engine, const std::shared_ptr<engine::Snapshot>& snapshot) {
  const IndexInfo& index = indexes[position];
  if (!index.ready || index.hidden) return std::nullopt;
  CandidatePlan plan;
  plan.kind = AccessKind::kIndexScan;
  plan.index = position;
  plan.hinted = hinted;
  ASSIGN_OR_RETURN(plan.bounds, BuildIndexBounds(*request.filter, index.shape));
  if (!hinted) {
    if (index.partial_filter.has_value() &&
        !FilterImpliesPartial(request.filter_document, index.partial_filter->view())) {
      return std::nullopt;
    }
    if (index.sparse && LeadingBoundsAdmitMissing(plan.bounds.bounds)) return std::nullopt;
  }
  if (WantsSort(request)) {
    plan.provides_sort = ProvidesSort(index, plan.bounds, *request.sort, &plan.backward);
  }
  if (!hinted && plan.bounds.bounded_prefix == 0 && !plan.provides_sort) return std::nullopt;
  ASSIGN_OR_RETURN(plan.ranges,
                   index::BuildScanRanges(plan.bounds.bounds, index.format.descending));
  if (plan.bounds.bounded_prefix == 0) {
    plan.keys = static_cast<double>(index.entries);  // the whole index: its counter
    plan.keys_from = CandidatePlan::KeysFrom::kCounter;
  } else {
    ASSIGN_OR_RETURN(KeyEstimate estimate,
                     EstimateKeys(index, plan.ranges, plan.bounds, engine, snapshot));
    plan.keys = estimate.keys;
    plan.keys_from = estimate.from;
  }
  plan.bound_keys = plan.keys;
  return plan;
}

// Rows, keys, documents and cost of an index scan plan, given the matching rows estimated
// from every candidate.
void CostIndexScan(const PlanRequest& request, const IndexInfo& index, double rows,
                   CandidatePlan* plan) {
  const double wanted = Wanted(request);
  const bool wants_sort = WantsSort(request);
  plan->count_scan = request.count_only && plan->bounds.exact && !index.multikey;
  plan->covered =
      !plan->count_scan && request.coverage != nullptr && IndexCovers(index, *request.coverage);
  plan->rows = std::min(rows, plan->keys);
  double fraction = 1.0;
  if (wanted > 0 && (plan->provides_sort || !wants_sort)) {
    fraction = std::min(1.0, wanted / std::max(1.0, plan->rows));
  }
  plan->keys *= fraction;  // a streaming plan with a limit stops early
  plan->docs = plan->count_scan || plan->covered ? 0 : plan->keys;
  plan->cost = static_cast<double>(plan->ranges.ranges.size()) * CostModel::kSeekPerRange +
               plan->keys * CostModel::kKeyPerEntry + plan->docs * CostModel::kFetchPerDocument;
  if (plan->covered) plan->cost += plan->keys * CostModel::kRebuildPerKey;
  if (wants_sort && !plan->provides_sort) plan->cost += SortCost(plan->rows);
}

// The cached index scan for this request, re-derived from its actual values; nullopt when
// it no longer fits (see plan_cache.h): the caller plans from scratch.
absl::StatusOr<std::optional<PlanChoice>> ReuseCachedPlan(
    const PlanRequest& request, const CachedPlan& cached, const std::vector<IndexInfo>& indexes,
    const engine::StorageEngine& engine, const std::shared_ptr<engine::Snapshot>& snapshot) {
  const double n = std::max<double>(1, static_cast<double>(request.collection_documents));
  const double then = std::max<double>(1, static_cast<double>(cached.collection_documents));
  if (n > then * PlanCache::kMaxSizeDrift || n * PlanCache::kMaxSizeDrift < then) {
    return std::nullopt;
  }
  int position = -1;
  for (size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i].name == cached.index_name) position = static_cast<int>(i);
  }
  if (position < 0) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<CandidatePlan> plan,
                   IndexCandidate(request, indexes, position, /*hinted=*/false, engine, snapshot));
  if (!plan.has_value() || plan->provides_sort != cached.provides_sort ||
      plan->backward != cached.backward ||
      plan->keys > std::max(cached.keys * PlanCache::kReplanFactor,
                            cached.keys + static_cast<double>(CostModel::kDiveCap))) {
    return std::nullopt;
  }
  double rows = plan->bounds.bounded_prefix > 0 ? std::min(n, plan->keys) : n;
  if (request.id_point) rows = std::min(rows, 1.0);
  CostIndexScan(request, indexes[position], rows, &*plan);
  PlanChoice choice;
  choice.winner = *std::move(plan);
  choice.from_plan_cache = true;
  return choice;
}

}  // namespace

const char* KeysFromName(CandidatePlan::KeysFrom from) {
  switch (from) {
    case CandidatePlan::KeysFrom::kNone:
      return "";
    case CandidatePlan::KeysFrom::kCounter:
      return "counter";
    case CandidatePlan::KeysFrom::kDive:
      return "dive";
    case CandidatePlan::KeysFrom::kHistogram:
      return "histogram";
    case CandidatePlan::KeysFrom::kHistogramAndDive:
      return "histogram+dive";
  }
  return "";
}

absl::StatusOr<Hint> Hint::Parse(const bson_iter_t& value) {
  Hint hint;
  if (BSON_ITER_HOLDS_UTF8(&value)) {
    hint.kind = Kind::kIndexName;
    hint.index_name = bson_iter_utf8(&value, nullptr);
    return hint;
  }
  if (!BSON_ITER_HOLDS_DOCUMENT(&value)) {
    return MongoError(ErrorCode::kBadValue, "hint must be either a string or nested object");
  }
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&value, &length, &data);
  bson_t doc;
  bson_init_static(&doc, data, length);
  bson_iter_t natural;
  if (bson_iter_init_find(&natural, &doc, "$natural")) {
    hint.kind = Kind::kNatural;
    hint.natural_backward = bson_iter_as_int64(&natural) < 0;
    return hint;
  }
  hint.kind = Kind::kKeyPattern;
  hint.key_pattern = Document::Copy(DocumentView(data, length));
  return hint;
}

absl::StatusOr<PlanChoice> ChoosePlan(const PlanRequest& request,
                                      const std::vector<IndexInfo>& indexes,
                                      const engine::StorageEngine& engine,
                                      std::shared_ptr<engine::Snapshot> snapshot) {
  const double n = std::max<double>(1, static_cast<double>(request.collection_documents));
  const bool wants_sort = WantsSort(request);
  const double wanted = Wanted(request);

  // A pinned `_id` is one point read: nothing can beat it, so no other candidate is built
  // (no bounds, no index dives on this hot path). MongoDB's IDHACK has no rejected plans either.
  if (request.id_point && request.hint.kind == Hint::Kind::kNone) {
    PlanChoice choice;
    choice.winner.kind = AccessKind::kIdPoint;
    choice.winner.rows = 1;
    choice.winner.docs = 1;
    choice.winner.cost = CostModel::kPointRead;
    return choice;
  }

  // A cached plan for this shape, when it still fits these values.
  const bool cacheable = request.plan_cache != nullptr && request.hint.kind == Hint::Kind::kNone;
  if (cacheable) {
    if (std::optional<CachedPlan> cached = request.plan_cache->Lookup(request.shape_key)) {
      ASSIGN_OR_RETURN(std::optional<PlanChoice> reused,
                       ReuseCachedPlan(request, *cached, indexes, engine, snapshot));
      if (reused.has_value()) {
        request.plan_cache->CountHit();
        return *std::move(reused);
      }
      request.plan_cache->Evict(request.shape_key);
    }
  }

  // Which index a hint names, if any.
  int hinted_index = -1;
  if (request.hint.kind == Hint::Kind::kIndexName || request.hint.kind == Hint::Kind::kKeyPattern) {
    for (size_t i = 0; i < indexes.size(); ++i) {
      const IndexInfo& index = indexes[i];
      if (!index.ready || index.hidden) continue;
      bool named = request.hint.kind == Hint::Kind::kIndexName
                       ? index.name == request.hint.index_name
                       : document::CompareDocuments(index.key_pattern.view(),
                                                    request.hint.key_pattern.view()) == 0;
      if (named) {
        hinted_index = static_cast<int>(i);
        break;
      }
    }
    if (hinted_index < 0) return BadHint();
  }

  std::vector<CandidatePlan> candidates;
  std::optional<CandidatePlan> union_candidate;
  // Index candidates first: their key counts also estimate the matching rows.
  double rows = n;
  for (size_t i = 0; i < indexes.size(); ++i) {
    const bool hinted = static_cast<int>(i) == hinted_index;
    if (request.hint.kind != Hint::Kind::kNone && !hinted) continue;
    ASSIGN_OR_RETURN(
        std::optional<CandidatePlan> plan,
        IndexCandidate(request, indexes, static_cast<int>(i), hinted, engine, snapshot));
    if (!plan.has_value()) continue;
    if (plan->bounds.bounded_prefix > 0) rows = std::min(rows, plan->keys);
    candidates.push_back(*std::move(plan));
  }
  if (request.id_point) rows = std::min(rows, 1.0);

  // A top-level $or: the cheapest bounding index scan of every branch, unioned. (Partial and
  // sparse indexes are left out: a branch alone cannot be checked against their rules here.)
  if (request.hint.kind == Hint::Kind::kNone && request.filter->type() == match::MatchType::kOr) {
    CandidatePlan union_plan;
    union_plan.kind = AccessKind::kIndexUnion;
    bool every_branch = true;
    for (size_t b = 0; b < request.filter->num_children() && every_branch; ++b) {
      const match::MatchExpression& branch = *request.filter->child(b);
      std::optional<CandidatePlan> best;
      for (size_t i = 0; i < indexes.size(); ++i) {
        const IndexInfo& index = indexes[i];
        if (!index.ready || index.hidden || index.sparse || index.partial_filter.has_value()) {
          continue;
        }
        CandidatePlan scan;
        scan.kind = AccessKind::kIndexScan;
        scan.index = static_cast<int>(i);
        ASSIGN_OR_RETURN(scan.bounds, BuildIndexBounds(branch, index.shape));
        if (scan.bounds.bounded_prefix == 0) continue;
        ASSIGN_OR_RETURN(scan.ranges,
                         index::BuildScanRanges(scan.bounds.bounds, index.format.descending));
        ASSIGN_OR_RETURN(KeyEstimate estimate,
                         EstimateKeys(index, scan.ranges, scan.bounds, engine, snapshot));
        scan.keys = estimate.keys;
        scan.keys_from = estimate.from;
        scan.docs = scan.keys;
        scan.rows = scan.keys;
        scan.cost = static_cast<double>(scan.ranges.ranges.size()) * CostModel::kSeekPerRange +
                    scan.keys * (CostModel::kKeyPerEntry + CostModel::kFetchPerDocument);
        if (!best.has_value() || scan.cost < best->cost) best = std::move(scan);
      }
      if (!best.has_value()) {
        every_branch = false;
        break;
      }
      union_plan.keys += best->keys;
      union_plan.cost += best->cost;
      union_plan.branches.push_back(std::move(*best));
    }
    if (every_branch && !union_plan.branches.empty()) {
      union_plan.rows = std::min(n, union_plan.keys);
      rows = std::min(rows, union_plan.rows);
      union_plan.docs = union_plan.keys;
      if (wants_sort) {
        union_plan.cost += SortCost(union_plan.rows);
      } else if (wanted > 0) {
        union_plan.cost *= std::min(1.0, wanted / std::max(1.0, union_plan.rows));
      }
      union_candidate = std::move(union_plan);
    }
  }

  // Costs, now that the matching rows are estimated.
  for (CandidatePlan& plan : candidates) CostIndexScan(request, indexes[plan.index], rows, &plan);
  if (union_candidate.has_value()) candidates.push_back(std::move(*union_candidate));
  // Documents are stored in `_id` order, so a forward `_id` range or collection scan already
  // yields a {_id: 1} sort: no blocking sort, and a limit stops it early.
  const bool id_order = wants_sort && request.sort->size() == 1 &&
                        request.sort->fields()[0].path == "_id" &&
                        request.sort->fields()[0].ascending;
  double id_range_keys = -1;  // documents in the `_id` ranges, when the filter bounds `_id`
  // `_id` ranges of the documents themselves.
  if (request.hint.kind == Hint::Kind::kNone && !request.id_point) {
    IndexShape id_shape;
    id_shape.key_parts.push_back(index::KeyPart{"_id", false});
    CandidatePlan range;
    range.kind = AccessKind::kIdRange;
    ASSIGN_OR_RETURN(range.bounds, BuildIndexBounds(*request.filter, id_shape));
    if (range.bounds.bounded_prefix > 0) {
      ASSIGN_OR_RETURN(range.ranges, index::BuildScanRanges(range.bounds.bounds, {false}));
      range.provides_sort = id_order;
      const bool streams = !wants_sort || id_order;
      // With a limit and nothing but a collection scan to beat, the range's first `wanted`
      // documents settle it (a short `_id` range scan should not pay a full dive).
      const int64_t cap =
          wanted > 0 && streams && candidates.empty()
              ? std::clamp<int64_t>(static_cast<int64_t>(wanted), 1, CostModel::kDiveCap)
              : CostModel::kDiveCap;
      ASSIGN_OR_RETURN(range.keys, EstimateRecords(request, range.ranges, engine, snapshot, cap));
      range.rows = std::min(rows, range.keys);
      double fraction =
          wanted > 0 && streams ? std::min(1.0, wanted / std::max(1.0, range.rows)) : 1;
      range.docs = range.keys * fraction;
      range.cost = static_cast<double>(range.ranges.ranges.size()) * CostModel::kSeekPerRange +
                   range.docs * CostModel::kScanPerDocument + (streams ? 0 : SortCost(range.rows));
      id_range_keys = range.keys;
      candidates.push_back(std::move(range));
    }
  }
  if (request.hint.kind == Hint::Kind::kNone || request.hint.kind == Hint::Kind::kNatural) {
    CandidatePlan scan;
    scan.kind = AccessKind::kCollectionScan;
    scan.hinted = request.hint.kind == Hint::Kind::kNatural;
    scan.backward = request.hint.natural_backward;
    scan.rows = rows;
    scan.provides_sort = id_order && !scan.backward;
    const bool streams = !wants_sort || scan.provides_sort;
    double fraction = wanted > 0 && streams ? std::min(1.0, wanted / std::max(1.0, rows)) : 1;
    scan.docs = n * fraction;
    if (wanted > 0 && streams && id_range_keys >= 0) {
      // The matches of an `_id`-bounded filter are contiguous, not spread over the scan: it
      // passes the documents outside the ranges first (at worst all of them).
      scan.docs = std::min(n, std::max(0.0, n - id_range_keys) + wanted);
    }
    scan.cost = scan.docs * CostModel::kScanPerDocument + (streams ? 0 : SortCost(rows));
    candidates.push_back(std::move(scan));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const CandidatePlan& a, const CandidatePlan& b) {
                     if (a.hinted != b.hinted) return a.hinted;
                     return a.cost < b.cost;
                   });
  PlanChoice choice;
  choice.winner = std::move(candidates.front());
  for (size_t i = 1; i < candidates.size(); ++i)
    choice.rejected.push_back(std::move(candidates[i]));
  if (cacheable && choice.winner.kind == AccessKind::kIndexScan) {
    const CandidatePlan& winner = choice.winner;
    request.plan_cache->Insert(
        request.shape_key,
        CachedPlan{indexes[winner.index].name, winner.backward, winner.provides_sort,
                   winner.bound_keys, request.collection_documents});
  }
  return choice;
}

}  // namespace strata::query::planner
