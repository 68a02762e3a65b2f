// Per-collection statistics kept by the engine: document count and total document bytes.
//
// Every write adds a delta (a RocksDB merge operand on the collection's stats key) inside the
// same transaction as the documents it describes, so the counters are exactly as durable and
// atomic as the data, and concurrent writers never contend on them (merges take no row lock).
#ifndef STRATA_ENGINE_COLLECTION_STATS_H_
#define STRATA_ENGINE_COLLECTION_STATS_H_

#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/key_layout.h"
#include "engine/storage_engine.h"

namespace strata::engine {

struct CollectionStats {
  int64_t count = 0;       // documents
  int64_t data_bytes = 0;  // sum of BSON sizes
};

// The merge operator of the catalog column family: adds 16-byte (count, bytes) deltas.
std::shared_ptr<rocksdb::MergeOperator> NewStatsMergeOperator();

// A merge operand adding `count` documents and `bytes` bytes.
std::string EncodeStatsDelta(int64_t count, int64_t bytes);

// Reads a collection's statistics (at `snapshot` when given, else the latest state).
absl::StatusOr<CollectionStats> ReadCollectionStats(const StorageEngine& engine, CollectionId id,
                                                    const Snapshot* snapshot = nullptr);

// The entry counters of secondary index `id`: `count` entries of `data_bytes` key bytes
// (entry key + value), kept in the same transactions as the entries.
absl::StatusOr<CollectionStats> ReadIndexStats(const StorageEngine& engine, IndexId id,
                                               const Snapshot* snapshot = nullptr);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COLLECTION_STATS_H_
