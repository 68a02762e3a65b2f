// StorageEngine: one RocksDB TransactionDB over a data directory, with the column families of
// key_layout.h, the configured options, and the durability mode every write uses.
//
// Open creates the directory and the column families on first use. Reopening an existing
// directory requires every column family to exist (a missing one is corruption: kDataLoss).
// A directory already open in another process (or another handle in this one) fails with
// kFailedPrecondition "locked by another process".
// I/O errors: when a write fails with an I/O error (kUnavailable) or a full disk
// (kResourceExhausted, "disk full"), RocksDB stops accepting writes (its background error);
// every later write first calls RocksDB's Resume, and fails with Resume's error (typed the same
// way) until the cause is gone, so the same handle works again once, e.g., space is freed.
// Except after a failed write to the WAL itself: RocksDB would keep using the failed WAL
// writer, so the handle fails every write (typed) until the database is reopened.
// Thread safety: all methods are thread-safe. Close (or the destructor) syncs the WAL first.
#ifndef STRATA_ENGINE_STORAGE_ENGINE_H_
#define STRATA_ENGINE_STORAGE_ENGINE_H_

#include <rocksdb/env.h>
#include <rocksdb/utilities/transaction_db.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/change_counters.h"
#include "engine/storage_hooks.h"
#include "strata/options.h"

namespace strata::engine {

// A consistent read view of the whole database. Move-only; released on destruction.
class Snapshot {
 public:
  Snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}
  Snapshot(Snapshot&& other) noexcept
      : db_(other.db_), snapshot_(std::exchange(other.snapshot_, nullptr)) {}
  Snapshot& operator=(Snapshot&&) = delete;
  Snapshot(const Snapshot&) = delete;
  ~Snapshot() {
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }
  const rocksdb::Snapshot* get() const { return snapshot_; }
  rocksdb::ReadOptions ReadOptions() const {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    return options;
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// The column-family options Strata gives RocksDB for `options` (block cache `cache`; bloom
// filters only where `point_reads`). Exposed so bench/peers measures raw RocksDB with exactly
// these settings.
rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const DatabaseOptions& options,
                                                     const std::shared_ptr<rocksdb::Cache>& cache,
                                                     bool point_reads);

class StorageEngine {
 public:
  static absl::StatusOr<std::unique_ptr<StorageEngine>> Open(const std::string& path,
                                                             const DatabaseOptions& options,
                                                             const StorageHooks& hooks = {});
  ~StorageEngine();

  // Syncs the WAL (after a failed write only if RocksDB resumes) and closes RocksDB.
  // Idempotent; later calls on this object are invalid.
  absl::Status Close();

  rocksdb::TransactionDB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* catalog() const { return catalog_; }
  rocksdb::ColumnFamilyHandle* documents() const { return documents_; }
  rocksdb::ColumnFamilyHandle* indexes() const { return indexes_; }
  const std::string& path() const { return path_; }
  const DatabaseOptions& options() const { return options_; }

  // WriteOptions for every write: sync=true in kDurable mode (the WAL is fsynced before the
  // write returns), sync=false in kRelaxed mode. The WAL is never disabled.
  rocksdb::WriteOptions WriteOptions() const;

  // A snapshot of the current state, shared by the readers of one operation or cursor.
  std::shared_ptr<Snapshot> GetSnapshot() const;

  // Applies `batch` (which may hold range deletes) atomically, bypassing row locks. Only for
  // catalog operations whose callers exclude concurrent writers of the affected keys.
  absl::Status WriteBatchUnlocked(rocksdb::WriteBatch* batch, absl::string_view what);

  // Called by every write before it writes: after a failed write, resumes RocksDB (see the
  // class comment). OK when there is nothing to resume.
  absl::Status ResumeIfStopped();
  // Records the outcome of a write: an I/O error makes the next write resume first.
  void NoteWriteStatus(const rocksdb::Status& status);

  // Total bytes of live SST and memtable data (approximate), for dbStats/listDatabases.
  uint64_t ApproximateDiskBytes() const;

  // Per-collection write and analysis counters (change_counters.h); committed transactions
  // add to them. In memory, thread-safe.
  ChangeCounters& change_counters() const { return *change_counters_; }

 private:
  StorageEngine(std::string path, DatabaseOptions options)
      : path_(std::move(path)), options_(options) {}

  const std::string path_;
  const DatabaseOptions options_;
  std::unique_ptr<rocksdb::Env> env_;  // when StorageHooks::file_system is set; outlives db_
  std::atomic<bool> stopped_{false};   // a write failed with an I/O error: resume first
  std::atomic<int> wal_failed_{0};     // a WAL write failed (2: no space): never resume
  rocksdb::TransactionDB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* catalog_ = nullptr;
  rocksdb::ColumnFamilyHandle* documents_ = nullptr;
  rocksdb::ColumnFamilyHandle* indexes_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  const std::unique_ptr<ChangeCounters> change_counters_ = std::make_unique<ChangeCounters>();
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_STORAGE_ENGINE_H_
