// DatabaseSnapshot: a consistent, read-only view of a whole data directory at one instant, for
// offline tools (strata dump). The collections, their options and index specs, their statistics
// and every document are read on ONE RocksDB snapshot: the catalog descriptors come from the
// catalog column family at that snapshot (not the live in-memory catalog), so a collection
// created, dropped or re-indexed after Take() is not seen, and documents written afterwards
// are invisible, while writers keep running concurrently and are never blocked.
//
// Memory: holding the snapshot pins the RocksDB versions it needs (no copy of data is made);
// documents stream through RecordIterator one at a time.
// Thread safety: const methods may be called from several threads; each RecordIterator
// belongs to one thread. The DatabaseImpl must outlive the snapshot and its iterators.
#ifndef STRATA_DB_DATABASE_SNAPSHOT_H_
#define STRATA_DB_DATABASE_SNAPSHOT_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/database_impl.h"
#include "engine/catalog.h"
#include "engine/collection_stats.h"
#include "engine/record_store.h"
#include "strata/document.h"

namespace strata::db {

class DatabaseSnapshot {
 public:
  // Takes the snapshot and reads the catalog of database `db_name` (every database when
  // empty) on it. kDataLoss on an unreadable descriptor.
  static absl::StatusOr<DatabaseSnapshot> Take(DatabaseImpl& db, absl::string_view db_name = {});

  // The collections at the snapshot, sorted by namespace.
  const std::vector<engine::CollectionHandle>& collections() const { return collections_; }

  // listIndexes entries of `collection` at the snapshot: the _id index first, then every
  // ready secondary index in creation order ({v, key, name, [unique], [sparse],
  // [partialFilterExpression], [expireAfterSeconds], [hidden]}).
  absl::StatusOr<std::vector<Document>> IndexSpecs(const engine::CollectionInfo& collection) const;

  // Document count and bytes of `collection` at the snapshot (exact).
  absl::StatusOr<engine::CollectionStats> Stats(const engine::CollectionInfo& collection) const;

  // The documents of `collection` at the snapshot, in `_id` order (positioned at the first).
  // (Heap-allocated: the iterator points into itself and must not move.)
  std::unique_ptr<engine::RecordIterator> Records(const engine::CollectionInfo& collection) const;

 private:
  DatabaseSnapshot(DatabaseImpl* db, std::shared_ptr<engine::Snapshot> snapshot)
      : db_(db), snapshot_(std::move(snapshot)) {}

  DatabaseImpl* db_;
  std::shared_ptr<engine::Snapshot> snapshot_;
  std::vector<engine::CollectionHandle> collections_;
};

}  // namespace strata::db

#endif  // STRATA_DB_DATABASE_SNAPSHOT_H_
