// Backend: one store under test. `strata bench` drives Strata through it; the peer programs
// of bench/peers/ drive raw RocksDB and SQLite through the same interface, so every store runs
// the same operations on the same documents with the same generators and timing.
//
// Operations return how many documents they read or wrote (0 for a read of a missing key, not
// an error). absl::UnimplementedError means "this store cannot run this operation" (e.g. the
// aggregate command is missing): the runner stops the workload and reports the message.
// Thread safety: after Open, every operation may be called from many threads at once.
#ifndef STRATA_TOOLS_BENCH_BACKEND_H_
#define STRATA_TOOLS_BENCH_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "strata/document.h"
#include "tools/bench/workload.h"

namespace strata::bench {

// One record as every store needs it: the key, BSON bytes and the same record as JSON.
struct Record {
  int64_t id = 0;
  Document bson;
  std::string json;  // empty unless Backend::wants_json()
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "strata", "rocksdb", "sqlite".
  virtual std::string name() const = 0;
  // Library version and the settings used, one line (printed and written to the JSON).
  virtual std::string description() const = 0;
  virtual bool wants_json() const { return false; }

  // Opens the store in `dir`. With `fresh`, removes earlier benchmark data, then creates the
  // records collection, the `cat` index when options.indexes, and the categories collection.
  virtual absl::Status Open(const std::string& dir, const BenchOptions& options, bool fresh) = 0;
  // Records in the store (for --run without --load).
  virtual absl::StatusOr<int64_t> CountRecords() = 0;

  virtual absl::StatusOr<int64_t> Insert(const Record& record) = 0;
  virtual absl::StatusOr<int64_t> Read(int64_t id) = 0;
  // Sets one field to a new string value.
  virtual absl::StatusOr<int64_t> Update(int64_t id, std::string_view field,
                                         std::string_view value) = 0;
  // Up to `count` records from `start` in _id order.
  virtual absl::StatusOr<int64_t> Scan(int64_t start, int count) = 0;
  // YCSB's read-modify-write: a read, then an update of one field (not atomic, as in YCSB).
  virtual absl::StatusOr<int64_t> ReadModifyWrite(int64_t id, std::string_view field,
                                                  std::string_view value);
  // Every record with cat == category.
  virtual absl::StatusOr<int64_t> IndexFind(int32_t category) = 0;
  // $match cat == category, $group by grp: count and sum of num. Returns the group count.
  virtual absl::StatusOr<int64_t> Aggregate(int32_t category) = 0;
  // Records with _id in [start, start + count), each joined with its category document.
  virtual absl::StatusOr<int64_t> Lookup(int64_t start, int count) = 0;

  virtual absl::Status Close() = 0;
};

inline absl::StatusOr<int64_t> Backend::ReadModifyWrite(int64_t id, std::string_view field,
                                                        std::string_view value) {
  absl::StatusOr<int64_t> read = Read(id);
  if (!read.ok()) return read;
  return Update(id, field, value);
}

// Strata through its public C++ API (CRUD) and command layer (aggregate):
// tools/bench/strata_backend.cc.
std::unique_ptr<Backend> MakeStrataBackend();

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_BACKEND_H_
