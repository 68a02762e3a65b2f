#include "engine/storage_engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "engine/collection_stats.h"
#include "engine/data_directory_creation.h"
#include "engine/key_layout.h"
#include "engine/rocks_status.h"

namespace strata::engine {
namespace {

// Turns off RocksDB's own recovery from background errors (for a full disk it polls for free
// space every few seconds, and a manual Resume meanwhile fails with Busy): the engine resumes
// on the next write instead (StorageEngine::ResumeIfStopped), so the first write after space
// was freed succeeds.
// A background error (a flush, compaction or WAL sync that failed) stops RocksDB's writes just
// as a failed foreground write does; the listener marks the engine stopped too, so the next
// write resumes first and Close does not touch a WAL writer that saw the error.
// A failed write to the WAL itself (reason kWriteCallback) is different: RocksDB 7.8 keeps the
// same WAL writer after Resume, and that writer, having seen an error, aborts the process on its
// next append (an assertion in Debian's build; "previous error" otherwise). So after a WAL write
// error the engine never resumes: writes fail with the typed error until the database is
// reopened, which recovers from the WAL on disk.
class ManualRecovery : public rocksdb::EventListener {
 public:
  ManualRecovery(std::atomic<bool>* stopped, std::atomic<int>* wal_failed)
      : stopped_(stopped), wal_failed_(wal_failed) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    if (reason == rocksdb::BackgroundErrorReason::kWriteCallback) {
      int expected = 0;
      wal_failed_->compare_exchange_strong(expected, error->IsNoSpace() ? 2 : 1);
    }
    stopped_->store(true, std::memory_order_release);
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }

 private:
  // The engine's; the engine closes the DB before it dies.
  std::atomic<bool>* const stopped_;
  std::atomic<int>* const wal_failed_;
};

// RocksDB's diagnostic log ("LOG" in the data directory) through plain stdio, errors ignored.
// RocksDB's own file logger goes through a WritableFileWriter that, once a write failed (a
// full disk), aborts the process on its next line in Debian's assertion-enabled build.
class TolerantFileLogger : public rocksdb::Logger {
 public:
  explicit TolerantFileLogger(const std::string& path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(std::fopen(path.c_str(), "a")) {}
  ~TolerantFileLogger() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (file_ == nullptr) return;
    absl::MutexLock lock(&mu_);
    std::vfprintf(file_, format, ap);
    std::fputc('\n', file_);
    std::fflush(file_);  // a failure (disk full) loses the line, nothing else
  }

 private:
  absl::Mutex mu_;
  std::FILE* const file_;
};

}  // namespace

rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const DatabaseOptions& options,
                                                     const std::shared_ptr<rocksdb::Cache>& cache,
                                                     bool point_reads) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  cf.level_compaction_dynamic_level_bytes = true;
  if (options.compression) {
    cf.compression = rocksdb::kLZ4Compression;
    cf.bottommost_compression = rocksdb::kZSTD;
  } else {
    cf.compression = rocksdb::kNoCompression;
    cf.bottommost_compression = rocksdb::kNoCompression;
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 * 1024;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (options.bloom_filters && point_reads) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

absl::StatusOr<std::unique_ptr<StorageEngine>> StorageEngine::Open(const std::string& path,
                                                                   const DatabaseOptions& options,
                                                                   const StorageHooks& hooks) {
  if (options.block_cache_bytes == 0) {
    return absl::InvalidArgumentError("block_cache_bytes must be > 0");
  }
  std::unique_ptr<StorageEngine> engine(new StorageEngine(path, options));
  if (hooks.file_system != nullptr) engine->env_ = rocksdb::NewCompositeEnv(hooks.file_system);
  rocksdb::Env* env = engine->env_ != nullptr ? engine->env_.get() : rocksdb::Env::Default();
  rocksdb::FileSystem& fs = *env->GetFileSystem();

  std::error_code ec;
  bool exists = std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
  // A creation that never finished (data_directory_creation.h) holds no acknowledged data:
  // start it over instead of calling the half-made directory corrupt.
  const bool interrupted = exists && CreationWasInterrupted(fs, path);
  if (interrupted) {
    RETURN_IF_ERROR(DiscardInterruptedCreation(env, path));
    exists = false;
  }
  if (!exists) {
    if (!options.create_if_missing && !interrupted) {
      return absl::NotFoundError(absl::StrCat("no Strata database at ", path));
    }
    std::filesystem::create_directories(path, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", ec.message()));
    }
    RETURN_IF_ERROR(BeginCreation(fs, path));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !exists;
  // A missing column family in an existing directory is corruption: never create it there.
  db_options.create_missing_column_families = !exists;
  db_options.IncreaseParallelism(std::max(1, options.background_threads));
  db_options.max_background_jobs = std::max(2, options.background_threads);
  db_options.manual_wal_flush = false;  // true would lose acknowledged writes on kill -9
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 4;
  db_options.listeners.push_back(
      std::make_shared<ManualRecovery>(&engine->stopped_, &engine->wal_failed_));
  db_options.info_log =
      std::make_shared<TolerantFileLogger>((std::filesystem::path(path) / "LOG").string());
  if (engine->env_ != nullptr) db_options.env = engine->env_.get();

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions catalog_options = MakeColumnFamilyOptions(options, cache, true);
  catalog_options.merge_operator = NewStatsMergeOperator();
  // Collapse statistics operands on write so reading the counters stays cheap between flushes.
  catalog_options.max_successive_merges = 64;
  catalog_options.write_buffer_size = 8 << 20;
  rocksdb::ColumnFamilyOptions documents_options = MakeColumnFamilyOptions(options, cache, true);
  rocksdb::ColumnFamilyOptions indexes_options = MakeColumnFamilyOptions(options, cache, false);
  for (auto* cf : {&catalog_options, &documents_options, &indexes_options}) {
    if (hooks.write_buffer_bytes > 0) cf->write_buffer_size = hooks.write_buffer_bytes;
    if (hooks.disable_auto_compactions) cf->disable_auto_compactions = true;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {std::string(kCatalogColumnFamily), catalog_options},
      {std::string(kDocumentsColumnFamily), documents_options},
      {std::string(kIndexesColumnFamily), indexes_options},
  };

  rocksdb::TransactionDBOptions txn_options;
  txn_options.transaction_lock_timeout = options.lock_timeout_ms;
  txn_options.default_lock_timeout = options.lock_timeout_ms;

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s =
      rocksdb::TransactionDB::Open(db_options, txn_options, path, families, &handles, &engine->db_);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", path, " is locked by another process (", s.ToString(), ")"));
    }
    if (exists && s.IsInvalidArgument() && absl::StrContains(s.ToString(), "olumn famil")) {
      return absl::DataLossError(
          absl::StrCat("data directory ", path, " is missing a column family: ", s.ToString()));
    }
    return FromRocks(s, absl::StrCat("opening ", path));
  }
  engine->default_ = handles[0];
  engine->catalog_ = handles[1];
  engine->documents_ = handles[2];
  engine->indexes_ = handles[3];
  // Every column family is durable now (RocksDB syncs the MANIFEST as it creates them); only
  // then does the directory stop being "under creation", before any write is acknowledged.
  if (!exists) RETURN_IF_ERROR(FinishCreation(fs, path));
  return engine;
}

StorageEngine::~StorageEngine() { Close().IgnoreError(); }

absl::Status StorageEngine::Close() {
  if (db_ == nullptr) return absl::OkStatus();
  // DB::Close does not sync the WAL; relaxed-mode writes must reach the disk on a clean close.
  // After a failed write the WAL writer must not be used again before Resume (RocksDB asserts
  // on a writer that saw an error), so a database that cannot resume closes without the sync.
  absl::Status status = ResumeIfStopped();
  if (status.ok()) status = FromRocks(db_->SyncWAL(), "syncing the WAL");
  for (auto* handle : {default_, catalog_, documents_, indexes_}) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  rocksdb::Status s = db_->Close();
  if (status.ok()) status = FromRocks(s, "closing the database");
  delete db_;
  db_ = nullptr;
  return status;
}

rocksdb::WriteOptions StorageEngine::WriteOptions() const {
  rocksdb::WriteOptions write;
  write.sync = options_.durability == Durability::kDurable;
  write.disableWAL = false;
  return write;
}

std::shared_ptr<Snapshot> StorageEngine::GetSnapshot() const {
  return std::make_shared<Snapshot>(db_, db_->GetSnapshot());
}

absl::Status StorageEngine::WriteBatchUnlocked(rocksdb::WriteBatch* batch, absl::string_view what) {
  rocksdb::TransactionDBWriteOptimizations optimizations;
  optimizations.skip_concurrency_control = true;
  RETURN_IF_ERROR(ResumeIfStopped());
  MaybeKill("batch.before_write");
  rocksdb::Status s = db_->Write(WriteOptions(), optimizations, batch);
  NoteWriteStatus(s);
  return FromRocks(s, what);
}

absl::Status StorageEngine::ResumeIfStopped() {
  if (!stopped_.load(std::memory_order_acquire)) return absl::OkStatus();
  if (const int wal = wal_failed_.load(std::memory_order_acquire); wal != 0) {
    const std::string message =
        "a write to the write-ahead log failed; the database accepts no more writes until it is "
        "reopened (reopening recovers every acknowledged write)";
    return wal == 2 ? absl::ResourceExhaustedError(absl::StrCat("disk full: ", message))
                    : absl::UnavailableError(message);
  }
  // TransactionDB (a StackableDB) does not forward Resume: resume the DB under it.
  rocksdb::Status s = db_->GetBaseDB()->Resume();
  if (!s.ok()) {
    // Busy/Incomplete: a recovery is under way; still the error that stopped the database.
    if (s.IsBusy() || s.IsIncomplete()) s = rocksdb::Status::IOError("recovery in progress");
    return FromRocks(s,
                     "the database stopped writing after an I/O error (it resumes on the "
                     "next write once the cause is gone; reopen it if it does not)");
  }
  stopped_.store(false, std::memory_order_release);
  return absl::OkStatus();
}

void StorageEngine::NoteWriteStatus(const rocksdb::Status& status) {
  if (status.IsIOError() || status.IsCorruption()) stopped_.store(true, std::memory_order_release);
}

uint64_t StorageEngine::ApproximateDiskBytes() const {
  uint64_t total = 0;
  for (auto* cf : {catalog_, documents_, indexes_}) {
    uint64_t value = 0;
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &value)) {
      total += value;
    }
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &value)) {
      total += value;
    }
  }
  return total;
}

}  // namespace strata::engine
