// WriteTransaction: one atomic, durable RocksDB write across column families.
//
// Everything put into one transaction (documents, index entries, statistics deltas, catalog
// changes) commits as a single WAL record: after a crash either all of it is there or none.
// In kDurable mode Commit returns only after the WAL is fsynced. GetForUpdate locks the key
// until commit/rollback (pessimistic row locks), so read-modify-write sequences never lose an
// update. Conflicts surface as WriteConflict errors; RunWriteTransaction retries them.
// Thread safety: one transaction belongs to one thread.
#ifndef STRATA_ENGINE_WRITE_TRANSACTION_H_
#define STRATA_ENGINE_WRITE_TRANSACTION_H_

#include <rocksdb/utilities/transaction.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/storage_engine.h"

namespace strata::engine {

class WriteTransaction {
 public:
  // Begins a transaction on `engine` (which must outlive it).
  explicit WriteTransaction(StorageEngine* engine);
  // Rolls back unless committed.
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  // Reads the latest committed value (or this transaction's own write) and locks the key.
  absl::StatusOr<std::optional<std::string>> GetForUpdate(rocksdb::ColumnFamilyHandle* cf,
                                                          absl::string_view key);
  absl::Status Put(rocksdb::ColumnFamilyHandle* cf, absl::string_view key, absl::string_view value);
  absl::Status Delete(rocksdb::ColumnFamilyHandle* cf, absl::string_view key);
  absl::Status Merge(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                     absl::string_view value);

  // Adds to the statistics delta of collection `id` (document count and bytes). The deltas of
  // the whole transaction are written at Commit as one merge operand per collection, inside
  // the same atomic write.
  void AddStatsDelta(uint32_t id, int64_t count, int64_t bytes);
  // The same for the entry counters of secondary index `id` (entries and key bytes).
  void AddIndexStatsDelta(uint32_t id, int64_t entries, int64_t bytes);

  // Marks a point to roll back to: RollbackToSavePoint undoes every write and statistics
  // delta since the newest savepoint (row locks taken since stay held until the end).
  void SetSavePoint();
  absl::Status RollbackToSavePoint();
  // Forgets the newest savepoint, keeping its writes.
  absl::Status PopSavePoint();

  // Number of keys written so far.
  uint64_t num_writes() const {
    return txn_->GetNumPuts() + txn_->GetNumDeletes() + txn_->GetNumMerges();
  }

  // Commits atomically (fsync first in kDurable mode). The transaction is finished after.
  absl::Status Commit();

  StorageEngine* engine() const { return engine_; }

 private:
  StorageEngine* engine_;
  std::unique_ptr<rocksdb::Transaction> txn_;
  struct PendingDelta {
    bool index;  // an index's counters, else a collection's
    uint32_t id;
    int64_t count;
    int64_t bytes;
    int64_t writes;  // AddStatsDelta calls: document writes (ChangeCounters)
  };
  void AddDelta(bool index, uint32_t id, int64_t count, int64_t bytes);
  // Pending statistics deltas; few collections and indexes per write.
  std::vector<PendingDelta> stats_;
  std::vector<std::vector<PendingDelta>> saved_stats_;  // stats_ at each open savepoint
  bool finished_ = false;
};

// Runs `body` in a new transaction and commits it. When `body` or the commit fails with a
// write conflict (another writer holds a lock), starts over, up to `max_attempts` times.
// `body` must therefore reset any output it fills at its start.
absl::Status RunWriteTransaction(StorageEngine* engine,
                                 absl::FunctionRef<absl::Status(WriteTransaction&)> body,
                                 int max_attempts = 20);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_WRITE_TRANSACTION_H_
