// StorageHooks: internal, test-only knobs of StorageEngine::Open that are not database
// options (so the public DatabaseOptions stays free of RocksDB types). Tests reach them through
// db/internal/database_test_access.h.
#ifndef STRATA_ENGINE_STORAGE_HOOKS_H_
#define STRATA_ENGINE_STORAGE_HOOKS_H_

#include <rocksdb/file_system.h>

#include <memory>

namespace strata::engine {

struct StorageHooks {
  // Every file operation of RocksDB goes through this file system instead of the OS's (fault
  // injection: tests/support/fault_file_system.h). Default: null, the OS.
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // Memtable size per column family, overriding DatabaseOptions::write_buffer_bytes when > 0,
  // so tests get flushes and compactions from little data. Default: 0.
  size_t write_buffer_bytes = 0;
  // Turns RocksDB's automatic compactions off (flushes still happen). The I/O-error sweep uses
  // it: RocksDB 7.8 (Debian's, built with assertions) aborts in CompactionJob::Install when a
  // compaction failed before its output file held a key (ExtractUserKey on an empty key while
  // computing job statistics), so a fault injected into a compaction kills the test process
  // instead of testing Strata. Default: false.
  bool disable_auto_compactions = false;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_STORAGE_HOOKS_H_
