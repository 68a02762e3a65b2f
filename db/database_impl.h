// DatabaseImpl: the composition root behind strata::Database. Owns the storage engine, the
// catalog and the server cursors, and implements every data operation the command layer and
// the typed C++ API share (so the two can never disagree).
//
// Write paths (insert, replace, delete) compose validate → compute → record (+ index entries
// once indexes exist) → statistics delta into one WriteTransaction: each commit is one atomic
// RocksDB write, fsynced before acknowledgement in kDurable mode.
// Concurrency: thread-safe. Data writes hold ddl_mu_ shared; drop/rename hold it exclusively,
// so no write lands in a collection's key range after its range delete.
#ifndef STRATA_DB_DATABASE_IMPL_H_
#define STRATA_DB_DATABASE_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/collection_indexes.h"
#include "db/cursor_manager.h"
#include "db/document_validation.h"
#include "db/query_execution.h"
#include "db/stats_refresher.h"
#include "db/ttl_monitor.h"
#include "engine/catalog.h"
#include "engine/record_store.h"
#include "engine/storage_engine.h"
#include "query/update/update_plan.h"
#include "strata/document.h"
#include "strata/options.h"

namespace strata::db {

// One failed document of a write command.
struct WriteError {
  int64_t index = 0;  // position in the command's documents/updates/deletes
  absl::Status status;
};

struct InsertResult {
  int64_t inserted = 0;
  std::vector<Document> inserted_ids;  // {_id: v} of each inserted document, in order
  std::vector<WriteError> errors;
};

// One update statement: operator ({$set: …}) or replacement form, as the `update` command.
struct UpdateSpec {
  Document filter;
  Document update;
  bool multi = false;
  bool upsert = false;
  std::vector<Document> array_filters;
  Document sort;                   // which document a single update picks first ({}: `_id` order)
  bool return_images = false;      // fill UpdateResult::before/after (findAndModify)
  bool bypass_validation = false;  // bypassDocumentValidation
  bool pipeline = false;           // `update` is an aggregation pipeline's array (db/aggregate.h)
};

struct UpdateResult {
  int64_t matched = 0;
  int64_t modified = 0;
  std::optional<Document> upserted_id;  // {_id: v} when the upsert inserted
  // With UpdateSpec::return_images: the matched document before and after the update (after
  // is the inserted document for an upsert).
  std::optional<Document> before;
  std::optional<Document> after;
};

// findAndModify's remove form: deletes the first match (by `sort`) and returns it.
struct FindAndRemoveResult {
  std::optional<Document> removed;
};

struct CreateIndexesResult {
  int num_indexes_before = 0;  // the _id index included, as MongoDB counts
  int num_indexes_after = 0;
  bool created_collection = false;  // createdCollectionAutomatically
};

// collMod's `index` option: which index, and what changes.
struct IndexModification {
  std::optional<std::string> name;              // by name, or
  std::optional<Document> key_pattern;          // by key pattern
  std::optional<bool> hidden;                   // new hidden flag
  std::optional<int64_t> expire_after_seconds;  // new TTL
};
struct IndexModificationResult {
  std::optional<bool> hidden_old, hidden_new;
  std::optional<int64_t> expire_after_seconds_old, expire_after_seconds_new;
};

// Which indexes dropIndexes removes.
struct IndexSelector {
  bool all = false;                // "*": every index but _id
  std::vector<std::string> names;  // by name (one, or several from an array)
  std::optional<Document> key;     // by key pattern
};

// What validate's {repair: true} did (DatabaseImpl::RepairCollection).
struct RepairResult {
  int64_t removed_corrupt_records = 0;  // invalid documents removed
  int64_t records = 0;                  // documents kept (the counters' new value)
  int64_t indexes_rebuilt = 0;
};

class DatabaseImpl {
 public:
  static absl::StatusOr<std::unique_ptr<DatabaseImpl>> Open(const std::string& path,
                                                            const DatabaseOptions& options,
                                                            const engine::StorageHooks& hooks = {});
  absl::Status Close();

  engine::StorageEngine& engine() { return *engine_; }
  engine::Catalog& catalog() { return *catalog_; }
  CursorManager& cursors() { return cursors_; }
  IndexCache& index_cache() { return *index_cache_; }

  // Inserts documents into `ns` (created when missing). Ordered: stops at the first failure.
  // Failures are per document (validation, duplicate `_id`); the returned Status is for
  // failures of the whole operation (invalid namespace, I/O).
  absl::StatusOr<InsertResult> Insert(absl::string_view ns, const std::vector<DocumentView>& docs,
                                      bool ordered, bool bypass_validation = false);

  // The bulk-load form of Insert, for restores (tools/dump): same validation, same
  // per-document errors (validation, duplicate `_id`), ordered or not. When the collection has
  // no secondary index, the documents go in as ONE plain RocksDB write batch (records +
  // statistics delta) under the exclusive DDL lock instead of pessimistic transactions: the
  // exclusive lock keeps every other writer of the database out while the batch is built and
  // written, so no row locks are needed, and a duplicate `_id` is found by a point read or
  // within the batch. Atomicity/durability: the batch is one atomic WAL write, fsynced in
  // kDurable mode, WAL-only (survives a process crash) in kRelaxed. With secondary indexes
  // this is Insert. Other writers wait while a bulk batch is written: use it for loads.
  absl::StatusOr<InsertResult> BulkInsert(absl::string_view ns,
                                          const std::vector<DocumentView>& docs, bool ordered,
                                          bool bypass_validation = false);

  // A read of `ns` (filter, sort, projection, skip, limit, hint) on a fresh snapshot, planned
  // over the collection's indexes.
  absl::StatusOr<std::unique_ptr<QueryExecution>> Query(absl::string_view ns, QuerySpec spec);
  // The same for a collection already looked up (null: reads as empty).
  absl::StatusOr<std::unique_ptr<QueryExecution>> PlanQuery(engine::CollectionHandle collection,
                                                            QuerySpec spec);

  // Deletes up to `limit` (0 = all) documents matching `filter`. Returns how many.
  absl::StatusOr<int64_t> Delete(absl::string_view ns, DocumentView filter, int64_t limit);

  // Updates the first (or with `multi` every) document matching the filter; upserts when
  // asked and nothing matched. Each document's update is atomic; a multi update is not.
  absl::StatusOr<UpdateResult> Update(absl::string_view ns, const UpdateSpec& spec);

  // Removes the first document matching `filter` in `sort` order; returns it.
  absl::StatusOr<FindAndRemoveResult> FindAndRemove(absl::string_view ns, DocumentView filter,
                                                    DocumentView sort);

  // The distinct values at `key` among documents matching `filter`, as a BSON array document.
  absl::StatusOr<Document> Distinct(absl::string_view ns, absl::string_view key,
                                    DocumentView filter);

  // Number of documents matching `filter`, after skip, capped at limit (0 = none), on the
  // plan the planner picks (or `hint`): counted from an index when its bounds are exact.
  absl::StatusOr<int64_t> Count(absl::string_view ns, DocumentView filter, int64_t skip,
                                int64_t limit, query::planner::Hint hint = {});

  // create/collMod: checks the validation options, then stores them.
  absl::Status CreateCollection(absl::string_view ns, DocumentView options);
  absl::Status ModifyCollection(absl::string_view ns, DocumentView changes);

  // The validation policy of a collection (validator, level, action from its options).
  static absl::StatusOr<DocumentValidation> ValidationOf(const engine::CollectionInfo& collection);

  // createIndexes: validates every spec (MongoDB's rules and messages), skips those that
  // already exist, then builds the new ones from the collection's documents (index_builder.h)
  // while excluding writers. The collection is created when missing. `require_names`: the
  // command form, where every spec must carry a name (the C++ API derives missing ones).
  absl::StatusOr<CreateIndexesResult> CreateIndexes(absl::string_view ns,
                                                    const std::vector<DocumentView>& specs,
                                                    bool require_names);
  // dropIndexes: returns the number of indexes before (nIndexesWas, _id included).
  absl::StatusOr<int> DropIndexes(absl::string_view ns, const IndexSelector& selector);
  // collMod {index: {name | keyPattern, hidden, expireAfterSeconds}}: changes an index's
  // non-identifying options in one durable catalog write (no entry changes). Defined in
  // database_index_options.cc.
  absl::StatusOr<IndexModificationResult> ModifyIndex(absl::string_view ns,
                                                      const IndexModification& change);
  // listIndexes: the _id index, then the ready secondary indexes, in creation order.
  // NamespaceNotFound when the collection does not exist.
  absl::StatusOr<std::vector<Document>> ListIndexes(absl::string_view ns);

  // One pass of the TTL monitor (ttl_monitor.h; defined in ttl_monitor.cc): removes the
  // documents TTL indexes say expired at `now`. Returns how many.
  absl::StatusOr<int64_t> ExpireDocuments(absl::Time now);
  // The background TTL monitor, or null when disabled.
  TtlMonitor* ttl_monitor() { return ttl_monitor_.get(); }
  // The background statistics refresher, or null when DatabaseOptions::auto_analyze is off.
  StatsRefresher* stats_refresher() { return stats_refresher_.get(); }

  // validate's {repair: true} (repair_collection.cc), excluding writers: removes documents
  // validate calls invalid, sets the collection's counters to what remains, and rebuilds every
  // secondary index (entries and counters) from the documents. NamespaceNotFound when missing.
  absl::StatusOr<RepairResult> RepairCollection(absl::string_view ns);

  // Drop/rename/dropDatabase, excluding concurrent writes.
  absl::Status DropCollection(absl::string_view ns);
  absl::Status RenameCollection(absl::string_view from, absl::string_view to, bool drop_target);
  absl::Status DropDatabase(absl::string_view db_name);

 private:
  DatabaseImpl() = default;
  // `_id` key strings of the documents of `collection` matching `filter` (at most `limit`
  // when > 0, first by `sort`) on a snapshot. Writers re-read each under its row lock.
  absl::StatusOr<std::vector<std::string>> MatchingIdKeys(engine::CollectionHandle collection,
                                                          DocumentView filter, int64_t limit,
                                                          DocumentView sort = DocumentView());
  // Removes the records at `keys` (`_id` key strings) that `still_matches` accepts when
  // re-read under their row locks, with their index entries, in bounded transactions.
  absl::StatusOr<int64_t> RemoveRecords(const CollectionIndexes& indexes,
                                        const std::vector<std::string>& keys,
                                        absl::FunctionRef<bool(DocumentView)> still_matches);
  // Removes indexes whose build a crash cut short (still marked not ready).
  absl::Status DropUnfinishedIndexBuilds();
  // Applies `plan` to the record at `key` under its row lock if it still matches `filter`.
  // Returns whether it matched (and adds to `result`).
  absl::StatusOr<bool> UpdateOneRecord(const CollectionIndexes& indexes, const std::string& key,
                                       const query::match::MatchExpression& filter,
                                       const query::update::UpdatePlan& plan,
                                       const DocumentValidation& validation, bool return_images,
                                       UpdateResult* result);
  absl::Status Upsert(const CollectionIndexes& indexes, const UpdateSpec& spec,
                      const query::update::UpdatePlan& plan, const DocumentValidation& validation,
                      UpdateResult* result);
  // Inserts docs[begin, end) in one transaction; appends results. Returns the index of the
  // first document not attempted (== end unless an ordered insert stopped).
  absl::StatusOr<size_t> InsertChunk(const CollectionIndexes& indexes,
                                     const DocumentValidation& validation,
                                     const std::vector<DocumentView>& docs, size_t begin,
                                     size_t end, bool ordered, InsertResult* result);

  std::unique_ptr<engine::StorageEngine> engine_;
  std::unique_ptr<engine::Catalog> catalog_;
  std::unique_ptr<engine::RecordStore> records_;
  std::unique_ptr<IndexCache> index_cache_;
  std::function<void(std::string_view)> progress_;
  std::unique_ptr<TtlMonitor> ttl_monitor_;          // destroyed (stopped) in Close
  std::unique_ptr<StatsRefresher> stats_refresher_;  // destroyed (stopped) in Close
  CursorManager cursors_;
  // Shared by data writes, exclusive for drop/rename (see the class comment).
  absl::Mutex ddl_mu_;
};

}  // namespace strata::db

#endif  // STRATA_DB_DATABASE_IMPL_H_
