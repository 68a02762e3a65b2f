// The workloads, options and documents of `strata bench` (and of the peer programs in
// bench/peers/, which run the same workloads on other stores).
//
// YCSB core workloads (site.ycsb.workloads.CoreWorkload, workloads/workload[a-f]):
//   A 50 % read / 50 % update, zipfian       B 95 % read / 5 % update, zipfian
//   C 100 % read, zipfian                    D 95 % read / 5 % insert, latest
//   E 95 % scan (1..100 documents from a key in _id order) / 5 % insert, zipfian
//   F 50 % read / 50 % read-modify-write, zipfian
// Reads fetch the whole document, updates set one random field (YCSB's readallfields=true,
// writeallfields=false). Document workloads of our own (uniform categories):
//   index      find({cat: c}): ~records/1000 documents, through the `cat` index when --indexes
//   aggregate  [{$match: {cat: c}}, {$group: {_id: "$grp", n: {$sum: 1}, total: {$sum: "$num"}}}]
//   lookup     [{$match: {_id: {$gte: k, $lt: k + 10}}},
//               {$lookup: {from: "categories", localField: "cat", foreignField: "_id", as:
//               "category"}}]
#ifndef STRATA_TOOLS_BENCH_WORKLOAD_H_
#define STRATA_TOOLS_BENCH_WORKLOAD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/document.h"
#include "tools/bench/generators.h"

namespace strata::bench {

enum class OpType { kInsert, kRead, kUpdate, kScan, kReadModifyWrite, kIndex, kAggregate, kLookup };
inline constexpr int kOpTypeCount = 8;
// YCSB's names: INSERT, READ, UPDATE, SCAN, READ-MODIFY-WRITE; then INDEX, AGGREGATE, LOOKUP.
const char* OpTypeName(OpType type);

const char* DistributionName(Distribution distribution);

// Categories of the `cat` field (and documents of the categories collection): a `cat`
// equality matches ~records/1000 documents.
inline constexpr int kCategories = 1000;
// Distinct values of the `grp` field ($group keys of the aggregate workload).
inline constexpr int kGroups = 10;
// Documents per $lookup operation.
inline constexpr int kLookupDocuments = 10;

struct WorkloadSpec {
  std::string name;         // "A".."F", "index", "aggregate", "lookup"
  std::string description;  // one line
  // Proportions of each OpType (sum 1).
  std::array<double, kOpTypeCount> proportions{};
  Distribution distribution = Distribution::kZipfian;
  int max_scan_length = 100;  // E: scan lengths uniform in [1, max]
};

// The spec of a workload by name (case-insensitive for A–F); NotFound for others.
absl::StatusOr<WorkloadSpec> FindWorkload(const std::string& name);
// Every workload name, in order.
std::vector<std::string> AllWorkloadNames();

// Picks the next operation by the spec's proportions.
class OperationChooser {
 public:
  explicit OperationChooser(const WorkloadSpec& spec);
  OpType Next(Random& random) const;

 private:
  std::array<double, kOpTypeCount> cumulative_{};
};

struct BenchOptions {
  std::string db_dir;           // --db DIR. Default: a temporary directory, removed after
  std::string workload = "A";   // --workload NAME
  int64_t records = 100000;     // --records N (> 0)
  bool records_given = false;   // whether --records was on the command line
  int64_t ops = 100000;         // --ops N (> 0): operations of the run phase
  double duration_seconds = 0;  // --duration S (> 0): run for S seconds instead of --ops
  int doc_size = 1000;          // --doc-size BYTES: approximate BSON size of a document
  int fields = 10;              // --fields N: string fields field0..field{N-1}
  std::optional<Distribution> distribution;  // --distribution; default: the workload's
  int threads = 1;                           // --threads N (1..256)
  bool durable = false;                      // --durable (fsync each write) / --relaxed (default)
  bool indexes = true;                       // --indexes (default) / --no-indexes: the `cat` index
  uint64_t seed = 1;                         // --seed N
  bool load = true;                          // --load / --run: only that phase (both given: both)
  bool run = true;
  bool json = false;   // --json: one JSON document on stdout
  bool quiet = false;  // --quiet: no progress lines on stderr
  std::string plot;    // --plot FILE.png
};

// Parses the arguments after `strata bench`; InvalidArgument naming the bad option.
absl::StatusOr<BenchOptions> ParseBenchOptions(const std::vector<std::string>& args);
// The options' help text.
std::string BenchUsage();

// The records of the benchmark: a pure function of (seed, id), so every backend stores the
// same documents. Shape: {_id: int64 id, cat: int32, grp: int32, num: int64,
// field0: string, …} with `fields` strings of random letters sized to make ~doc_size bytes.
class DocumentFactory {
 public:
  DocumentFactory(int fields, int doc_size, uint64_t seed);
  int fields() const { return fields_; }
  int field_length() const { return field_length_; }
  const std::string& FieldName(int i) const { return field_names_[static_cast<size_t>(i)]; }

  static int32_t CategoryOf(int64_t id, uint64_t seed);
  int32_t CategoryOf(int64_t id) const { return CategoryOf(id, seed_); }
  // The record as BSON, and the same record as JSON text (for stores that keep JSON).
  Document Build(int64_t id) const;
  std::string BuildJson(int64_t id) const;
  // The category document {_id: c, name: "category c", tier: c % 5} and its JSON.
  static Document BuildCategory(int32_t category);
  static std::string BuildCategoryJson(int32_t category);
  // A new value for an update: field_length random letters.
  std::string RandomValue(Random& random) const;

 private:
  struct Fields {
    int32_t cat, grp;
    int64_t num;
    std::vector<std::string> strings;
  };
  Fields Generate(int64_t id) const;

  int fields_;
  int field_length_;
  uint64_t seed_;
  std::vector<std::string> field_names_;
};

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_WORKLOAD_H_
