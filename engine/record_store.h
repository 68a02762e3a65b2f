// RecordStore: the documents of collections in the documents column family, keyed by
// collection id + key string of `_id` (engine/key_layout.h). Reads go through a Snapshot;
// writes go through a WriteTransaction together with the statistics delta they imply.
//
// Atomicity and durability: each write helper only adds to the caller's transaction; the
// caller's single Commit makes the record, its index entries and the statistics visible at
// once, fsynced first in kDurable mode.
#ifndef STRATA_ENGINE_RECORD_STORE_H_
#define STRATA_ENGINE_RECORD_STORE_H_

#include <rocksdb/iterator.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/key_layout.h"
#include "engine/storage_engine.h"
#include "engine/write_transaction.h"

namespace strata::engine {

// Point operations on records. Stateless; all methods are thread-safe.
class RecordStore {
 public:
  explicit RecordStore(const StorageEngine* engine) : engine_(engine) {}

  // The stored BSON of the record, or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(const Snapshot& snapshot, CollectionId id,
                                                 absl::string_view id_key) const;

  // Locks and reads the record inside `txn` (for read-modify-write).
  absl::StatusOr<std::optional<std::string>> GetForUpdate(WriteTransaction& txn, CollectionId id,
                                                          absl::string_view id_key) const;

  // Adds the record to `txn` (insert when `old_size` is nullopt, else replace) with the
  // matching statistics delta.
  absl::Status Put(WriteTransaction& txn, CollectionId id, absl::string_view id_key,
                   absl::string_view bson, std::optional<size_t> old_size) const;

  // Removes a record of `old_size` bytes in `txn`, with its statistics delta.
  absl::Status Remove(WriteTransaction& txn, CollectionId id, absl::string_view id_key,
                      size_t old_size) const;

 private:
  const StorageEngine* const engine_;
};

// Iterates one collection's records in `_id` order on a snapshot. Holds the snapshot alive.
// Not thread-safe; a cursor belongs to one operation at a time.
class RecordIterator {
 public:
  RecordIterator(const StorageEngine& engine, std::shared_ptr<Snapshot> snapshot, CollectionId id);

  // Positions at the first record whose `_id` key string is >= `id_key`.
  void Seek(absl::string_view id_key);
  void SeekToFirst();
  // Positions at the collection's last record (reverse `_id` order with Prev).
  void SeekToLast();
  bool Valid() const { return it_->Valid(); }
  void Next() { it_->Next(); }
  void Prev() { it_->Prev(); }
  // The `_id` key string and the BSON of the current record.
  absl::string_view id_key() const {
    return RecordIdPart(absl::string_view(it_->key().data(), it_->key().size()));
  }
  absl::string_view value() const {
    return absl::string_view(it_->value().data(), it_->value().size());
  }
  absl::Status status() const;

 private:
  std::shared_ptr<Snapshot> snapshot_;
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_RECORD_STORE_H_
