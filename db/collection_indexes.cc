#include "db/collection_indexes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/analyze_collection.h"
#include "db/matcher_adapters.h"
#include "db/stats_refresher.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/rocks_status.h"

namespace strata::db {
namespace {

// Owns the filter document: the parsed expression keeps views into it.
class MatcherPredicate : public index::DocumentPredicate {
 public:
  static absl::StatusOr<std::unique_ptr<MatcherPredicate>> Create(DocumentView filter) {
    std::unique_ptr<MatcherPredicate> predicate(new MatcherPredicate(Document::Copy(filter)));
    ASSIGN_OR_RETURN(predicate->expression_, ParseQueryFilter(predicate->filter_.view()));
    return predicate;
  }
  bool Matches(DocumentView doc) const override { return expression_->Matches(doc); }

 private:
  explicit MatcherPredicate(Document filter) : filter_(std::move(filter)) {}
  Document filter_;
  query::match::MatchExpressionPtr expression_;
};

absl::Status UnsupportedInPartialIndex(absl::string_view what) {
  return MongoError(ErrorCode::kCannotCreateIndex,
                    absl::StrCat("Expression not supported in partial index: ", what));
}

bool IsAllowedPartialOperator(absl::string_view op) {
  return op == "$eq" || op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte" ||
         op == "$type" || op == "$in" || op == "$exists";
}

absl::Status CheckPartialFilterDocument(const bson_t* filter);

// One field's condition: a value (equality) or a document of allowed operators.
absl::Status CheckPartialFieldCondition(const bson_iter_t& condition) {
  if (BSON_ITER_HOLDS_REGEX(&condition)) return UnsupportedInPartialIndex("$regex");
  if (!BSON_ITER_HOLDS_DOCUMENT(&condition)) return absl::OkStatus();
  bson_iter_t op;
  bson_iter_recurse(&condition, &op);
  bool first = true;
  while (bson_iter_next(&op)) {
    absl::string_view name = bson_iter_key(&op);
    if (first && (name.empty() || name[0] != '$')) return absl::OkStatus();  // {a: {b: 1}}
    first = false;
    if (!IsAllowedPartialOperator(name)) return UnsupportedInPartialIndex(name);
    if (name == "$exists" && !bson_iter_as_bool(&op)) {
      return UnsupportedInPartialIndex("$exists: false");
    }
    if (name == "$in" && BSON_ITER_HOLDS_ARRAY(&op)) {
      bson_iter_t element;
      bson_iter_recurse(&op, &element);
      while (bson_iter_next(&element)) {
        if (BSON_ITER_HOLDS_REGEX(&element)) return UnsupportedInPartialIndex("$in with $regex");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPartialFilterDocument(const bson_t* filter) {
  bson_iter_t it;
  bson_iter_init(&it, filter);
  while (bson_iter_next(&it)) {
    absl::string_view name = bson_iter_key(&it);
    if (name == "$and" || name == "$or") {
      if (!BSON_ITER_HOLDS_ARRAY(&it)) continue;  // the matcher's parser reports it
      bson_iter_t clause;
      bson_iter_recurse(&it, &clause);
      while (bson_iter_next(&clause)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&clause)) continue;
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&clause, &length, &data);
        bson_t nested;
        if (!bson_init_static(&nested, data, length)) continue;
        RETURN_IF_ERROR(CheckPartialFilterDocument(&nested));
      }
      continue;
    }
    if (!name.empty() && name[0] == '$') return UnsupportedInPartialIndex(name);
    RETURN_IF_ERROR(CheckPartialFieldCondition(it));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<index::DocumentPredicate>> CompilePartialFilter(
    DocumentView partial_filter) {
  bson_t filter;
  partial_filter.AsBson(&filter);
  ASSIGN_OR_RETURN(std::unique_ptr<MatcherPredicate> predicate,
                   MatcherPredicate::Create(partial_filter));
  RETURN_IF_ERROR(CheckPartialFilterDocument(&filter));
  return std::unique_ptr<index::DocumentPredicate>(std::move(predicate));
}

Document EncodeMultikeyPaths(const index::MultikeyPaths& paths) {
  Document record;
  bson_t array;
  bson_append_array_begin(record.mutable_bson(), "paths", 5, &array);
  for (size_t part = 0; part < paths.size(); ++part) {
    std::string part_key = std::to_string(part);
    bson_t components;
    bson_append_array_begin(&array, part_key.c_str(), -1, &components);
    int i = 0;
    for (size_t component : paths[part]) {
      std::string key = std::to_string(i++);
      bson_append_int32(&components, key.c_str(), -1, static_cast<int32_t>(component));
    }
    bson_append_array_end(&array, &components);
  }
  bson_append_array_end(record.mutable_bson(), &array);
  return record;
}

absl::StatusOr<index::MultikeyPaths> DecodeMultikeyPaths(DocumentView record) {
  auto corrupt = [] { return absl::DataLossError("unreadable multikey paths record"); };
  bson_t bson;
  record.AsBson(&bson);
  bson_iter_t it, part;
  if (!bson_iter_init_find(&it, &bson, "paths") || !BSON_ITER_HOLDS_ARRAY(&it)) return corrupt();
  index::MultikeyPaths paths;
  bson_iter_recurse(&it, &part);
  while (bson_iter_next(&part)) {
    if (!BSON_ITER_HOLDS_ARRAY(&part)) return corrupt();
    std::set<size_t>& components = paths.emplace_back();
    bson_iter_t component;
    bson_iter_recurse(&part, &component);
    while (bson_iter_next(&component)) {
      if (!BSON_ITER_HOLDS_INT32(&component) || bson_iter_int32(&component) < 0) return corrupt();
      components.insert(static_cast<size_t>(bson_iter_int32(&component)));
    }
  }
  return paths;
}

CompiledIndex::CompiledIndex(index::IndexSpec spec,
                             std::unique_ptr<index::DocumentPredicate> partial, bool ready,
                             std::shared_ptr<MultikeyState> multikey)
    : spec_(std::move(spec)),
      generator_(spec_),
      format_(index::IndexEntryFormat::For(spec_)),
      partial_filter_(std::move(partial)),
      ready_(ready),
      multikey_(std::move(multikey)) {}

index::MultikeyPaths MultikeyState::paths() const {
  absl::MutexLock lock(&mu_);
  return paths_;
}

bool MultikeyState::multikey() const {
  absl::MutexLock lock(&mu_);
  for (const auto& part : paths_) {
    if (!part.empty()) return true;
  }
  return false;
}

void MultikeyState::Widen(const index::MultikeyPaths& paths) {
  absl::MutexLock lock(&mu_);
  index::MergeMultikeyPaths(paths, &paths_);
}

bool MultikeyState::PersistedCovers(const index::MultikeyPaths& paths) const {
  absl::MutexLock lock(&mu_);
  index::MultikeyPaths merged = persisted_;
  return !index::MergeMultikeyPaths(paths, &merged);
}

void MultikeyState::NotePersisted(const index::MultikeyPaths& paths) {
  absl::MutexLock lock(&mu_);
  index::MergeMultikeyPaths(paths, &persisted_);
}

absl::StatusOr<std::shared_ptr<const CollectionIndexes>> CollectionIndexes::Compile(
    engine::CollectionHandle collection, MultikeySource multikey_source) {
  std::shared_ptr<CollectionIndexes> compiled(new CollectionIndexes(collection));
  for (const engine::IndexEntry& entry : collection->indexes) {
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    spec.set_id(entry.id);
    std::unique_ptr<index::DocumentPredicate> partial;
    if (std::optional<DocumentView> filter = spec.partial_filter_expression()) {
      absl::StatusOr<std::unique_ptr<index::DocumentPredicate>> parsed =
          CompilePartialFilter(*filter);
      if (!parsed.ok()) {
        return absl::DataLossError(absl::StrCat("the partialFilterExpression of index ",
                                                spec.name(),
                                                " no longer parses: ", parsed.status().message()));
      }
      partial = *std::move(parsed);
    }
    ASSIGN_OR_RETURN(std::shared_ptr<MultikeyState> multikey, multikey_source(spec));
    compiled->indexes_.push_back(std::unique_ptr<CompiledIndex>(
        new CompiledIndex(std::move(spec), std::move(partial), entry.ready, std::move(multikey))));
  }
  return std::shared_ptr<const CollectionIndexes>(std::move(compiled));
}

const CompiledIndex* CollectionIndexes::FindByName(absl::string_view name) const {
  for (const auto& index : indexes_) {
    if (index->name() == name) return index.get();
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const PlannerStatistics>> CollectionIndexes::Statistics(
    const engine::StorageEngine& engine) const {
  // The counters first: a change that lands while we read makes the next call reload again.
  const engine::CollectionChanges now = engine.change_counters().Get(collection_->id);
  std::shared_ptr<const PlannerStatistics> cached;
  {
    absl::MutexLock lock(&statistics_mu_);
    cached = statistics_;
  }
  const bool reload_analyses = cached == nullptr || cached->changes.analyses != now.analyses;
  if (!reload_analyses) {
    const double slack = static_cast<double>(cached->documents) * kStatisticsReloadShare +
                         static_cast<double>(kStatisticsReloadMinimum);
    if (static_cast<double>(now.writes - cached->changes.writes) <= slack) return cached;
  }
  auto loaded = std::make_shared<PlannerStatistics>();
  loaded->changes = now;
  ASSIGN_OR_RETURN(engine::CollectionStats documents,
                   engine::ReadCollectionStats(engine, collection_->id));
  loaded->documents = documents.count;
  loaded->indexes.resize(indexes_.size());
  for (size_t i = 0; i < indexes_.size(); ++i) {
    const CompiledIndex& index = *indexes_[i];
    if (!index.ready()) continue;
    PlannerIndexStatistics& stats = loaded->indexes[i];
    ASSIGN_OR_RETURN(engine::CollectionStats counters, engine::ReadIndexStats(engine, index.id()));
    stats.entries = counters.count;
    if (!reload_analyses) {
      stats.histogram = cached->indexes[i].histogram;
      stats.analyzed_documents = cached->indexes[i].analyzed_documents;
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<Document> stored, ReadIndexAnalysis(engine, index.id()));
    if (!stored.has_value()) continue;
    // An unreadable analysis is left out (the planner dives instead); validate reports it.
    absl::StatusOr<IndexAnalysis> analysis = IndexAnalysis::FromDocument(stored->view());
    if (!analysis.ok()) continue;
    stats.histogram = analysis->ToHistogram();
    stats.analyzed_documents = analysis->documents;
  }
  statistics_loads_.fetch_add(1);
  absl::MutexLock lock(&statistics_mu_);
  statistics_ = loaded;
  return std::shared_ptr<const PlannerStatistics>(std::move(loaded));
}

absl::StatusOr<std::vector<query::planner::IndexInfo>> PlannerIndexes(
    const CollectionIndexes& indexes, const engine::StorageEngine& engine, bool* wants_analysis) {
  ASSIGN_OR_RETURN(std::shared_ptr<const PlannerStatistics> statistics, indexes.Statistics(engine));
  const engine::CollectionChanges changes = engine.change_counters().Get(indexes.collection().id);
  bool stale = false;
  std::vector<query::planner::IndexInfo> result;
  for (size_t i = 0; i < indexes.all().size(); ++i) {
    const CompiledIndex& compiled = *indexes.all()[i];
    if (!compiled.ready()) continue;
    const index::IndexSpec& spec = compiled.spec();
    query::planner::IndexInfo info;
    info.name = spec.name();
    info.key_pattern = Document::Copy(spec.key_pattern());
    info.shape.key_parts = spec.key_parts();
    info.shape.multikey_paths = compiled.multikey_paths();
    info.format = compiled.format();
    info.multikey = compiled.multikey();
    info.unique = spec.unique();
    info.sparse = spec.sparse();
    info.hidden = spec.hidden();
    if (std::optional<DocumentView> partial = spec.partial_filter_expression()) {
      info.partial_filter = Document::Copy(*partial);
    }
    const PlannerIndexStatistics& stats = statistics->indexes[i];
    info.entries = stats.entries;
    const int64_t analyzed = stats.histogram != nullptr ? stats.analyzed_documents : 0;
    const int64_t modifications =
        ModificationsSinceAnalysis(changes, statistics->documents, analyzed);
    const bool fresh = !AnalysisStale(modifications, analyzed);
    if (stats.histogram != nullptr && fresh) {
      info.histogram = stats.histogram;
      info.modifications_since_analysis = modifications;
    }
    if (!fresh) stale = true;
    result.push_back(std::move(info));
  }
  if (wants_analysis != nullptr) *wants_analysis = stale;
  return result;
}

absl::StatusOr<std::shared_ptr<const CollectionIndexes>> IndexCache::Get(
    const engine::CollectionHandle& collection) {
  {
    absl::MutexLock lock(&mu_);
    auto it = compiled_.find(collection->id);
    if (it != compiled_.end() && it->second->handle() == collection) return it->second;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> compiled,
                   CollectionIndexes::Compile(collection, [this](const index::IndexSpec& spec) {
                     return MultikeyStateOf(spec);
                   }));
  absl::MutexLock lock(&mu_);
  // A reader holding an older handle may replace a newer entry: that only costs a recompile,
  // since the multikey state (the one mutable part) is shared between versions.
  compiled_[collection->id] = compiled;
  return compiled;
}

absl::StatusOr<std::shared_ptr<MultikeyState>> IndexCache::MultikeyStateOf(
    const index::IndexSpec& spec) {
  {
    absl::MutexLock lock(&mu_);
    auto it = multikey_.find(spec.id());
    if (it != multikey_.end()) return it->second;
  }
  index::MultikeyPaths paths(spec.num_key_parts());
  std::string record;
  rocksdb::Status s = engine_->db()->Get(rocksdb::ReadOptions(), engine_->catalog(),
                                         engine::MultikeyPathsKey(spec.id()), &record);
  if (s.ok()) {
    ASSIGN_OR_RETURN(index::MultikeyPaths stored,
                     DecodeMultikeyPaths(DocumentView(
                         reinterpret_cast<const uint8_t*>(record.data()), record.size())));
    index::MergeMultikeyPaths(stored, &paths);
  } else if (!s.IsNotFound()) {
    return engine::FromRocks(s, "reading multikey paths");
  }
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = multikey_.try_emplace(spec.id(), nullptr);
  if (inserted) it->second = std::make_shared<MultikeyState>(std::move(paths));
  return it->second;
}

}  // namespace strata::db
