// CollectionIndexes: the secondary indexes of one version of a collection's descriptor,
// compiled once for every write and read that needs them: each index's parsed spec, key
// generator, entry format, compiled partialFilterExpression, and the multikey paths known so
// far. IndexCache hands out the compiled form of the current descriptor, recompiling only when
// the catalog replaced it (after DDL).
//
// Multikey state: an index becomes multikey when some document's keys traverse an array. The
// persistent record is the catalog key engine::MultikeyPathsKey(id), written inside the data
// transaction that first produced the new paths (IndexWriter does that); the in-memory copy
// here is widened BEFORE that commit, so readers may see an index as multikey slightly early
// (only costs plan quality) but never late. Paths never shrink while the index exists.
//
// Thread safety: CollectionIndexes is immutable apart from the multikey state, which is
// guarded by a mutex; share it freely. IndexCache is thread-safe.
#ifndef STRATA_DB_COLLECTION_INDEXES_H_
#define STRATA_DB_COLLECTION_INDEXES_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog.h"
#include "engine/change_counters.h"
#include "engine/storage_engine.h"
#include "index/index_key_layout.h"
#include "index/index_spec.h"
#include "index/key_generator.h"
#include "query/planner/leading_histogram.h"
#include "query/planner/plan_cache.h"
#include "query/planner/query_planner.h"
#include "strata/document.h"

namespace strata::db {

// The multikey paths known for one index; shared by every compiled version of it.
// `paths` is what readers see: widened by writers BEFORE their commit. `persisted` is what is
// known to be committed in the catalog record; a writer whose paths it does not cover reads
// (and, if needed, rewrites) the record inside its own transaction, so a rolled-back or
// retried transaction can never leave the record narrower than the data.
class MultikeyState {
 public:
  explicit MultikeyState(index::MultikeyPaths persisted)
      : paths_(persisted), persisted_(std::move(persisted)) {}
  index::MultikeyPaths paths() const;
  bool multikey() const;
  // Widens the readers' paths with `paths`.
  void Widen(const index::MultikeyPaths& paths);
  // True when the committed record is known to cover `paths`.
  bool PersistedCovers(const index::MultikeyPaths& paths) const;
  // Records that the committed record covers `paths`.
  void NotePersisted(const index::MultikeyPaths& paths);

 private:
  mutable absl::Mutex mu_;
  index::MultikeyPaths paths_ ABSL_GUARDED_BY(mu_);
  index::MultikeyPaths persisted_ ABSL_GUARDED_BY(mu_);
};

class CompiledIndex {
 public:
  const index::IndexSpec& spec() const { return spec_; }
  index::IndexId id() const { return spec_.id(); }
  const std::string& name() const { return spec_.name(); }
  const index::KeyGenerator& generator() const { return generator_; }
  const index::IndexEntryFormat& format() const { return format_; }
  // The compiled partialFilterExpression, or null.
  const index::DocumentPredicate* partial_filter() const { return partial_filter_.get(); }
  // False while the index is being built (its entries are incomplete: never read it).
  bool ready() const { return ready_; }

  // The keys of `doc` for this index.
  absl::StatusOr<index::IndexKeys> Generate(DocumentView doc) const {
    return generator_.Generate(doc, partial_filter_.get());
  }

  index::MultikeyPaths multikey_paths() const { return multikey_->paths(); }
  bool multikey() const { return multikey_->multikey(); }
  MultikeyState& multikey_state() const { return *multikey_; }

 private:
  friend class CollectionIndexes;
  CompiledIndex(index::IndexSpec spec, std::unique_ptr<index::DocumentPredicate> partial,
                bool ready, std::shared_ptr<MultikeyState> multikey);

  index::IndexSpec spec_;
  index::KeyGenerator generator_;
  index::IndexEntryFormat format_;
  std::unique_ptr<index::DocumentPredicate> partial_filter_;
  bool ready_;
  std::shared_ptr<MultikeyState> multikey_;
};

// What the planner reads about one index beyond its spec: cached per compiled index set.
struct PlannerIndexStatistics {
  int64_t entries = 0;  // the entry counter when loaded
  // The stored analysis (analyze_collection.h) in the planner's form; null: never analyzed.
  std::shared_ptr<const query::planner::LeadingHistogram> histogram;
  int64_t analyzed_documents = 0;  // the collection's documents at that analysis
};

// The statistics cache of one compiled index set (CollectionIndexes::Statistics).
struct PlannerStatistics {
  int64_t documents = 0;                        // the collection's document counter when loaded
  engine::CollectionChanges changes;            // the collection's change counters when loaded
  std::vector<PlannerIndexStatistics> indexes;  // parallel to CollectionIndexes::all()
};

class CollectionIndexes {
 public:
  using MultikeySource =
      absl::FunctionRef<absl::StatusOr<std::shared_ptr<MultikeyState>>(const index::IndexSpec&)>;
  // Compiles every index of `collection`; `multikey` supplies each index's multikey state.
  // kDataLoss when a descriptor is unreadable.
  static absl::StatusOr<std::shared_ptr<const CollectionIndexes>> Compile(
      engine::CollectionHandle collection, MultikeySource multikey);

  const engine::CollectionInfo& collection() const { return *collection_; }
  const engine::CollectionHandle& handle() const { return collection_; }
  const std::vector<std::unique_ptr<CompiledIndex>>& all() const { return indexes_; }
  bool empty() const { return indexes_.empty(); }
  // The index named `name`, or null.
  const CompiledIndex* FindByName(absl::string_view name) const;
  // Plans chosen for this index set, by query shape (a new index set starts empty).
  query::planner::PlanCache& plan_cache() const { return *plan_cache_; }

  // The per-index statistics the planner reads (entry counters, analyses), cached here so a
  // query does not read them from the engine. A new index set (any index DDL) starts empty;
  // the cache reloads everything when the collection's analysis generation moved (analyze,
  // repair: engine::ChangeCounters) and reloads the counters when more than
  // kStatisticsReloadShare of the documents + kStatisticsReloadMinimum writes happened since it
  // loaded them (a "large data change"). Between reloads the counters may lag the truth by that
  // much; costs tolerate it. I/O errors only. Thread-safe.
  absl::StatusOr<std::shared_ptr<const PlannerStatistics>> Statistics(
      const engine::StorageEngine& engine) const;
  static constexpr double kStatisticsReloadShare = 1.0 / 16;
  static constexpr int64_t kStatisticsReloadMinimum = 8;
  // How many times Statistics read the engine (tests).
  int64_t statistics_loads() const { return statistics_loads_.load(); }

 private:
  explicit CollectionIndexes(engine::CollectionHandle collection)
      : collection_(std::move(collection)) {}

  engine::CollectionHandle collection_;
  std::vector<std::unique_ptr<CompiledIndex>> indexes_;
  std::unique_ptr<query::planner::PlanCache> plan_cache_ =
      std::make_unique<query::planner::PlanCache>();
  mutable absl::Mutex statistics_mu_;
  mutable std::shared_ptr<const PlannerStatistics> statistics_ ABSL_GUARDED_BY(statistics_mu_);
  mutable std::atomic<int64_t> statistics_loads_{0};
};

// The ready indexes as the query planner sees them (specs, multikey state, and the cached
// statistics of CollectionIndexes::Statistics: entry counters, and each index's histogram when
// its analysis is fresh by the automatic-analyze rule of stats_refresher.h). When
// `wants_analysis` is given it is set to whether the collection's analyses are stale or
// missing by that rule (the caller may ask the StatsRefresher for a new one).
absl::StatusOr<std::vector<query::planner::IndexInfo>> PlannerIndexes(
    const CollectionIndexes& indexes, const engine::StorageEngine& engine,
    bool* wants_analysis = nullptr);

// Compiles a partialFilterExpression, rejecting what MongoDB rejects in one (only equality,
// $eq, $exists: true, $gt, $gte, $lt, $lte, $type, $in and top-level $and/$or):
// CannotCreateIndex (67) "Expression not supported in partial index: …".
absl::StatusOr<std::unique_ptr<index::DocumentPredicate>> CompilePartialFilter(
    DocumentView partial_filter);

// Encoding of the persisted multikey record: {paths: [[<component>, …], …]}.
Document EncodeMultikeyPaths(const index::MultikeyPaths& paths);
absl::StatusOr<index::MultikeyPaths> DecodeMultikeyPaths(DocumentView record);

class IndexCache {
 public:
  explicit IndexCache(const engine::StorageEngine* engine) : engine_(engine) {}

  // The compiled indexes of exactly this descriptor version.
  absl::StatusOr<std::shared_ptr<const CollectionIndexes>> Get(
      const engine::CollectionHandle& collection);

  // The multikey state of index `spec`, read from the catalog column family on first use.
  // kDataLoss when the persisted record is unreadable.
  absl::StatusOr<std::shared_ptr<MultikeyState>> MultikeyStateOf(const index::IndexSpec& spec);

 private:
  const engine::StorageEngine* const engine_;
  absl::Mutex mu_;
  // Index id → multikey state, kept across recompiles so no widening is ever lost (ids are
  // never reused, so a dropped index's entry is merely unused).
  absl::flat_hash_map<engine::IndexId, std::shared_ptr<MultikeyState>> multikey_
      ABSL_GUARDED_BY(mu_);
  // Collection id → compiled form of the newest descriptor seen (which it keeps alive, so a
  // pointer comparison identifies the version).
  absl::flat_hash_map<engine::CollectionId, std::shared_ptr<const CollectionIndexes>> compiled_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::db

#endif  // STRATA_DB_COLLECTION_INDEXES_H_
