// IndexBuilder: fills new, still-unready secondary indexes from the documents of their
// collection.
//
// The documents are read from one snapshot, in `_id` order. Their keys collect in memory
// buffers; when the buffers reach the memory budget (DatabaseOptions::
// index_build_memory_bytes) each is sorted and written as one atomic RocksDB write batch, so a
// build never holds more than the budget in memory whatever the collection's size, and the
// writes go to the memtable in key order. Unique indexes are checked within each sorted batch
// (adjacent equal keys) and against the batches already written (a point read of the probe
// key); the first duplicate fails the build with MongoDB's E11000 error.
//
// Atomicity: a build is NOT one write. The caller keeps the index marked not ready in the
// catalog while it runs, drops it (one range delete) when the build fails, and on reopen
// removes every index still marked not ready (a build cut short by a crash), so a half-built
// index is never read and never survives. The caller must exclude writers to the collection
// for the duration (DatabaseImpl holds its DDL lock exclusively); readers are not blocked.
// Thread safety: one build per object; not thread-safe.
#ifndef STRATA_DB_INDEX_BUILDER_H_
#define STRATA_DB_INDEX_BUILDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/collection_indexes.h"
#include "engine/storage_engine.h"

namespace strata::db {

struct IndexBuildStats {
  int64_t documents = 0;  // documents scanned
  int64_t keys = 0;       // entries written (over all built indexes)
  int64_t batches = 0;    // sorted batches written
};

class IndexBuilder {
 public:
  // Reports progress lines ("Index build: test.c a_1: 50000/100000 documents (50%)").
  using ProgressFn = std::function<void(std::string_view)>;

  IndexBuilder(engine::StorageEngine* engine, size_t memory_budget_bytes, ProgressFn progress)
      : engine_(engine), memory_budget_(memory_budget_bytes), progress_(std::move(progress)) {}

  // Builds `targets` (indexes of `indexes`, which must be empty in the index column family).
  // Errors: DuplicateKey (11000) for a unique index, key generation errors
  // (CannotIndexParallelArrays, …), I/O. On error the targets hold partial entries.
  absl::Status Build(const CollectionIndexes& indexes,
                     const std::vector<const CompiledIndex*>& targets);

  const IndexBuildStats& stats() const { return stats_; }

 private:
  struct Pending {
    const CompiledIndex* index;
    std::vector<std::pair<std::string, std::string>> entries;  // entry key, value
    index::MultikeyPaths multikey;
    int64_t written = 0;
    int64_t written_bytes = 0;
  };
  absl::Status Flush(const CollectionIndexes& indexes, const engine::Snapshot& snapshot,
                     std::vector<Pending>* pending);
  absl::Status CheckUnique(const CollectionIndexes& indexes, const engine::Snapshot& snapshot,
                           Pending& target);
  absl::Status DuplicateError(const CollectionIndexes& indexes, const engine::Snapshot& snapshot,
                              const CompiledIndex& index, absl::string_view key,
                              absl::string_view id_key);
  void Report(const CollectionIndexes& indexes, const std::vector<Pending>& pending, int64_t total,
              bool done);

  engine::StorageEngine* const engine_;
  const size_t memory_budget_;
  const ProgressFn progress_;
  IndexBuildStats stats_;
};

}  // namespace strata::db

#endif  // STRATA_DB_INDEX_BUILDER_H_
