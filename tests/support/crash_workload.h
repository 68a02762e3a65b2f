// The crash workload and its expected-state log, shared by the kill -9 crash loop, the kill
// point tests and the power-cut tests.
//
// The workload: seeded random inserts, $set updates, deletes, upserts, findAndModify ($inc),
// inserts that must fail with DuplicateKey, createIndexes/dropIndexes of an extra index, and
// now and then a drop of a whole collection (its base indexes recreated at once), on three
// collections, each with a unique index {u: 1}, a compound index {a: 1, c: -1} and a
// multikey index {tags: 1}. Before each operation it appends
//     B <seq> <op> <collection> <key> <value>\n
// and after the operation returned as expected
//     A <seq>\n
// to the expected-state log (one write(2) per line, fdatasync'ed when asked). <key> is the
// document's _id (an integer) or an index name; <value> is the canonical Extended JSON of the
// whole document after the operation, "-" when the operation leaves it absent, "=" when it
// must change nothing (an insert that must fail with DuplicateKey).
//
// The checker: the state every acknowledged operation implies (ExpectedState), compared with a
// reopened database: every document equals its last acknowledged value, or the value of the one
// operation in flight (B without A) when that touched it; the secondary indexes likewise; the
// `validate` command is clean on every collection and no unique value appears twice.
#ifndef STRATA_TESTS_SUPPORT_CRASH_WORKLOAD_H_
#define STRATA_TESTS_SUPPORT_CRASH_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strata/database.h"

namespace strata::testing {

inline constexpr int kWorkloadCollections = 3;
inline constexpr char kWorkloadDb[] = "loop";
std::string WorkloadCollection(int i);  // "c0", "c1", "c2"

// The documents (_id → canonical JSON) and ready secondary index names of each collection.
struct WorkloadState {
  std::map<int64_t, std::string> docs[kWorkloadCollections];
  std::set<std::string> indexes[kWorkloadCollections];
  bool operator==(const WorkloadState& other) const;
};

// One line pair of the log.
struct LogRecord {
  int64_t seq = 0;
  std::string op;  // ins upd del ups fam dup ci di drc
  int collection = 0;
  std::string key;    // _id or index name
  std::string value;  // JSON, "-" or "="
  bool acked = false;
};

// The records of `path` from byte `offset` on (complete lines only); `*end` receives the offset
// after the last complete line. A malformed line is an error.
absl::StatusOr<std::vector<LogRecord>> ReadLog(const std::string& path, uint64_t offset,
                                               uint64_t* end);

// Applies one operation's effect to `state`.
void ApplyRecord(const LogRecord& record, WorkloadState* state);

// What the database holds, plus the consistency checks that need no expectation: validate on
// every collection, unique values of {u: 1}, CountDocuments. `problems` collects violations.
struct ObservedState {
  WorkloadState state;
  std::vector<std::string> problems;
};
absl::StatusOr<ObservedState> ReadWorkloadState(Database& db);

// Compares `observed` with `expected` (acknowledged operations applied) allowing `in_flight`
// (the operation begun but not acknowledged) to have happened or not. Returns the differences
// (empty when the state is acceptable).
std::vector<std::string> CompareWorkloadState(const WorkloadState& observed,
                                              const WorkloadState& expected,
                                              const std::optional<LogRecord>& in_flight);

struct WorkloadOptions {
  uint64_t seed = 0;
  // Operations to run; < 0 runs until the process is killed.
  int64_t max_ops = -1;
  // fdatasync the log after every line (needed for power loss, not for kill -9).
  bool fsync_log = true;
  // Start sequence numbers here (each run of a child continues the log).
  int64_t first_seq = 1;
  // Called before each operation (with its sequence number); a power-cut test stops there.
  std::function<bool(int64_t seq)> keep_going;
};

// Runs the workload on `db`, starting from whatever state it holds. Returns the number of
// operations done, or an error when an operation had an unexpected result.
absl::StatusOr<int64_t> RunWorkload(Database& db, const std::string& log_path,
                                    const WorkloadOptions& options);

// The highest sequence number in the log at `path` (0 when empty).
int64_t LastLogSeq(const std::string& path);

}  // namespace strata::testing

#endif  // STRATA_TESTS_SUPPORT_CRASH_WORKLOAD_H_
