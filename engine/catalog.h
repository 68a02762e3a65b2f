// Catalog: the collections of a data directory (namespace "db.collection" → id, options, uuid).
//
// Descriptors live in the catalog column family; an in-memory copy serves lookups. Every change
// is one atomic, durable RocksDB write (descriptor, id counter, and for drop the range deletes
// of the collection's documents and statistics). Ids come from a persistent counter and are
// never reused. The catalog knows nothing of indexes' formats: callers that own extra key
// ranges for a collection pass them to Drop so they vanish in the same write.
// Thread safety: thread-safe. Callers must keep data writes to a collection from racing with
// its drop/rename (db/ holds a lock for that).
#ifndef STRATA_ENGINE_CATALOG_H_
#define STRATA_ENGINE_CATALOG_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/key_layout.h"
#include "engine/storage_engine.h"
#include "strata/document.h"

namespace strata::engine {

// One secondary index of a collection, as the catalog keeps it. The engine does not read the
// descriptor (index/ defines it); it owns the id and the entries' key range.
struct IndexEntry {
  IndexId id = 0;       // 0 asks SetIndexes to allocate one; ids are never reused
  Document descriptor;  // index/'s description of the index (key pattern, name, options)
  bool ready = true;    // false while its entries are being built

  IndexEntry Clone() const { return IndexEntry{id, descriptor.Clone(), ready}; }
};

// An immutable snapshot of one collection's descriptor.
struct CollectionInfo {
  std::string ns;  // "db.collection"
  CollectionId id = 0;
  std::string uuid;                 // 16 random bytes, fixed at creation
  Document options;                 // the options given to `create` ({} for implicit creation)
  std::vector<IndexEntry> indexes;  // secondary indexes (the `_id` index is implicit)

  absl::string_view db_name() const { return absl::string_view(ns).substr(0, ns.find('.')); }
  absl::string_view collection_name() const {
    return absl::string_view(ns).substr(ns.find('.') + 1);
  }
};
using CollectionHandle = std::shared_ptr<const CollectionInfo>;

// A key range [begin, end) in a column family, removed together with a collection.
struct OwnedRange {
  rocksdb::ColumnFamilyHandle* cf;
  std::string begin;
  std::string end;
};

class Catalog {
 public:
  // Loads every descriptor. Fails with kDataLoss on an unreadable descriptor.
  static absl::StatusOr<std::unique_ptr<Catalog>> Load(StorageEngine* engine);

  // The collection, or null when it does not exist.
  CollectionHandle Find(absl::string_view ns) const;

  // Creates a collection. NamespaceExists when it already exists.
  absl::StatusOr<CollectionHandle> Create(absl::string_view ns, DocumentView options);
  // The collection, created with default options when missing (implicit creation on insert).
  absl::StatusOr<CollectionHandle> FindOrCreate(absl::string_view ns);

  // Replaces the collection's options (validator and the like) in one durable write.
  // NamespaceNotFound when the collection is missing.
  absl::StatusOr<CollectionHandle> SetOptions(absl::string_view ns, DocumentView options);

  // Replaces the collection's secondary indexes with `indexes` in one durable write. Entries
  // with id 0 get fresh ids (from a persistent counter); indexes of the old list whose ids are
  // absent from the new one are dropped: their entries are range-deleted in the same write.
  // Returns the new descriptor. NamespaceNotFound when the collection is missing.
  absl::StatusOr<CollectionHandle> SetIndexes(absl::string_view ns,
                                              std::vector<IndexEntry> indexes);

  // Allocates a fresh index id (the persistent counter is advanced durably first), for
  // callers that must write the id into a descriptor before SetIndexes.
  absl::StatusOr<IndexId> AllocateIndexId();

  // Drops a collection: its descriptor, documents, statistics, index entries and `extra`
  // ranges go in one write. NamespaceNotFound when missing.
  absl::Status Drop(absl::string_view ns, const std::vector<OwnedRange>& extra = {});

  // Renames `from` to `to` (same id, so no data moves). With `drop_target`, an existing `to`
  // is dropped in the same write; without it, an existing `to` is NamespaceExists.
  absl::Status Rename(absl::string_view from, absl::string_view to, bool drop_target,
                      const std::vector<OwnedRange>& target_extra = {});

  // Collections of database `db` (all databases when empty), sorted by namespace.
  std::vector<CollectionHandle> List(absl::string_view db = {}) const;
  // Names of databases that have at least one collection, sorted.
  std::vector<std::string> ListDatabases() const;

  // The collections of database `db` (all when empty) as they were at `snapshot`, read from
  // the descriptors in the catalog column family (not the live in-memory copy), so they agree
  // with the documents read on the same snapshot. Sorted by namespace. kDataLoss on an
  // unreadable descriptor.
  absl::StatusOr<std::vector<CollectionHandle>> ListAt(const Snapshot& snapshot,
                                                       absl::string_view db = {}) const;

 private:
  explicit Catalog(StorageEngine* engine) : engine_(engine) {}
  // Adds the deletes of a dropped collection to `batch`.
  void AddDropToBatch(const CollectionInfo& info, const std::vector<OwnedRange>& extra,
                      rocksdb::WriteBatch* batch) const;
  absl::Status PutDescriptor(const CollectionInfo& info, rocksdb::WriteBatch* batch) const;

  StorageEngine* const engine_;
  mutable absl::Mutex mu_;
  std::map<std::string, CollectionHandle, std::less<>> collections_ ABSL_GUARDED_BY(mu_);
  CollectionId next_id_ ABSL_GUARDED_BY(mu_) = kFirstCollectionId;
  IndexId next_index_id_ ABSL_GUARDED_BY(mu_) = 1;
};

// Splits "db.collection" at the first dot; checks MongoDB's namespace rules (non-empty parts,
// no NUL, db name without / \ . " $ space, collection name not starting with "system." or
// containing '$'). InvalidNamespace on violation.
absl::Status ValidateNamespace(absl::string_view ns);
// The database-name part of those rules (InvalidNamespace on violation).
absl::Status ValidateDatabaseName(absl::string_view db);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CATALOG_H_
