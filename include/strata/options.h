// Options for opening a Strata database and for single operations.
// Every field states its default; defaults are what a production embedding should use.
#ifndef STRATA_OPTIONS_H_
#define STRATA_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace strata {

// What an acknowledged write survives.
enum class Durability {
  // The WAL is fsynced before a write is acknowledged: survives kill -9 and power loss.
  // Concurrent writers share fsyncs (RocksDB group commit).
  kDurable,
  // The WAL is written but not fsynced: survives a process crash (kill -9), may lose the
  // last writes on power loss. For bulk loads.
  kRelaxed,
};

struct DatabaseOptions {
  // Create the data directory when it does not exist. Default: true.
  bool create_if_missing = true;
  // Durability of every write made through this handle. Default: kDurable.
  Durability durability = Durability::kDurable;
  // Bytes of block cache shared by all column families. Default: 256 MiB. Must be > 0.
  size_t block_cache_bytes = size_t{256} << 20;
  // Memtable size per column family before a flush. Default: 64 MiB.
  size_t write_buffer_bytes = size_t{64} << 20;
  // Compress SST files: LZ4 on upper levels, zstd on the bottommost. Default: true.
  bool compression = true;
  // Bloom filters (10 bits/key) on document and index files, for point reads. Default: true.
  bool bloom_filters = true;
  // Background threads for flushes and compactions. Default: 2.
  int background_threads = 2;
  // How long a write waits for a row lock held by another writer before it retries, in ms.
  // Default: 1000.
  int64_t lock_timeout_ms = 1000;
  // Memory an index build may use for its sorted batches of keys before it writes them, in
  // bytes. Default: 64 MiB.
  size_t index_build_memory_bytes = size_t{64} << 20;
  // Seconds between passes of the TTL monitor, which deletes documents expired by TTL indexes
  // (MongoDB's default is 60). 0 disables the background monitor. Default: 60.
  int64_t ttl_monitor_interval_seconds = 60;
  // Refresh the planner's index statistics (the `analyze` command's histograms) in the
  // background once a collection has changed enough since its last analysis: more than 10 % of
  // its documents + 1 000 modifications (db/stats_refresher.h). The analysis never blocks a
  // write; it stops on Close. Turn it off for tests that count writes or inject faults.
  // Default: true.
  bool auto_analyze = true;
  // Memory a blocking aggregation stage ($sort, $group, $facet, a $lookup hash table) may hold,
  // in bytes; past it the stage spills to files under <data dir>/_tmp with allowDiskUse, else
  // fails with QueryExceededMemoryLimitNoDiskUseAllowed (292). Default: 100 MiB (MongoDB's).
  size_t aggregation_memory_bytes = size_t{100} << 20;
  // Receives one line per progress report of long operations (index builds); called on the
  // thread doing the work. Default: none (silent).
  std::function<void(std::string_view)> progress;
};

}  // namespace strata

#endif  // STRATA_OPTIONS_H_
