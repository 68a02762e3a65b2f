#include "tools/bench/workload.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata::bench {
namespace {

WorkloadSpec Spec(std::string name, std::string description,
                  std::initializer_list<std::pair<OpType, double>> mix, Distribution distribution) {
  WorkloadSpec spec;
  spec.name = std::move(name);
  spec.description = std::move(description);
  for (const auto& [type, share] : mix) spec.proportions[static_cast<size_t>(type)] = share;
  spec.distribution = distribution;
  return spec;
}

const std::vector<WorkloadSpec>& Workloads() {
  static const std::vector<WorkloadSpec>* specs = new std::vector<WorkloadSpec>{
      Spec("A", "50% read, 50% update", {{OpType::kRead, 0.5}, {OpType::kUpdate, 0.5}},
           Distribution::kZipfian),
      Spec("B", "95% read, 5% update", {{OpType::kRead, 0.95}, {OpType::kUpdate, 0.05}},
           Distribution::kZipfian),
      Spec("C", "100% read", {{OpType::kRead, 1.0}}, Distribution::kZipfian),
      Spec("D", "95% read latest, 5% insert", {{OpType::kRead, 0.95}, {OpType::kInsert, 0.05}},
           Distribution::kLatest),
      Spec("E", "95% short _id range scan, 5% insert",
           {{OpType::kScan, 0.95}, {OpType::kInsert, 0.05}}, Distribution::kZipfian),
      Spec("F", "50% read, 50% read-modify-write",
           {{OpType::kRead, 0.5}, {OpType::kReadModifyWrite, 0.5}}, Distribution::kZipfian),
      Spec("index", "find on the indexed field cat (~records/1000 matches)",
           {{OpType::kIndex, 1.0}}, Distribution::kUniform),
      Spec("aggregate", "$match on cat + $group by grp (aggregate command)",
           {{OpType::kAggregate, 1.0}}, Distribution::kUniform),
      Spec("lookup", "10 documents by _id range + $lookup of their category",
           {{OpType::kLookup, 1.0}}, Distribution::kZipfian),
  };
  return *specs;
}

template <typename T>
absl::StatusOr<T> ParseNumber(const std::string& option, const std::string& text, T min, T max) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(option, " needs a number, got '", text, "'"));
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, " must be between ", min, " and ", max, ", got ", text));
  }
  return value;
}

uint64_t Hash(uint64_t seed, int64_t id, uint64_t salt) {
  return Mix64(Mix64(seed ^ (salt * 0x9e3779b97f4a7c15ULL)) ^ static_cast<uint64_t>(id));
}

void FillLetters(Random& random, int length, std::string* out) {
  out->resize(static_cast<size_t>(length));
  uint64_t bits = 0;
  for (int i = 0; i < length; ++i) {
    if (i % 8 == 0) bits = random.Next();
    (*out)[static_cast<size_t>(i)] = static_cast<char>('a' + (bits & 0xff) % 26);
    bits >>= 8;
  }
}

}  // namespace

const char* OpTypeName(OpType type) {
  switch (type) {
    case OpType::kInsert:
      return "INSERT";
    case OpType::kRead:
      return "READ";
    case OpType::kUpdate:
      return "UPDATE";
    case OpType::kScan:
      return "SCAN";
    case OpType::kReadModifyWrite:
      return "READ-MODIFY-WRITE";
    case OpType::kIndex:
      return "INDEX";
    case OpType::kAggregate:
      return "AGGREGATE";
    case OpType::kLookup:
      return "LOOKUP";
  }
  return "?";
}

const char* DistributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kZipfian:
      return "zipfian";
    case Distribution::kLatest:
      return "latest";
  }
  return "?";
}

absl::StatusOr<WorkloadSpec> FindWorkload(const std::string& name) {
  for (const WorkloadSpec& spec : Workloads()) {
    if (absl::EqualsIgnoreCase(spec.name, name)) return spec;
  }
  return absl::NotFoundError(absl::StrCat("unknown workload '", name, "' (one of ",
                                          absl::StrJoin(AllWorkloadNames(), ", "), ")"));
}

std::vector<std::string> AllWorkloadNames() {
  std::vector<std::string> names;
  for (const WorkloadSpec& spec : Workloads()) names.push_back(spec.name);
  return names;
}

OperationChooser::OperationChooser(const WorkloadSpec& spec) {
  double sum = 0;
  for (int i = 0; i < kOpTypeCount; ++i) {
    sum += spec.proportions[static_cast<size_t>(i)];
    cumulative_[static_cast<size_t>(i)] = sum;
  }
  for (double& c : cumulative_) c /= sum > 0 ? sum : 1;
}

OpType OperationChooser::Next(Random& random) const {
  const double u = random.NextDouble();
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (u < cumulative_[static_cast<size_t>(i)]) return static_cast<OpType>(i);
  }
  // Rounding: the last type with a share.
  for (int i = kOpTypeCount - 1; i >= 0; --i) {
    if (i == 0 || cumulative_[static_cast<size_t>(i)] > cumulative_[static_cast<size_t>(i - 1)]) {
      return static_cast<OpType>(i);
    }
  }
  return OpType::kRead;
}

std::string BenchUsage() {
  return absl::StrCat(
      "usage: strata bench [options]\n"
      "  --db DIR               data directory (default: a temporary one, removed after)\n"
      "  --workload NAME        ",
      absl::StrJoin(AllWorkloadNames(), "|"),
      " (default A)\n"
      "  --records N            records loaded (default 100000)\n"
      "  --ops N | --duration S operations of the run phase (default 100000), or seconds\n"
      "  --doc-size BYTES       approximate document size (default 1000)\n"
      "  --fields N             string fields per document (default 10)\n"
      "  --distribution D       uniform|zipfian|latest (default: the workload's)\n"
      "  --threads N            client threads (default 1)\n"
      "  --durable | --relaxed  fsync every write, or not (default --relaxed)\n"
      "  --indexes | --no-indexes  index on `cat` (default --indexes)\n"
      "  --seed N               random seed (default 1)\n"
      "  --load | --run         only the load or only the run phase (default both)\n"
      "  --json                 results as one JSON document on stdout\n"
      "  --plot FILE.png        throughput over time and latency distribution (gnuplot)\n"
      "  --quiet                no progress lines on stderr\n");
}

absl::StatusOr<BenchOptions> ParseBenchOptions(const std::vector<std::string>& args) {
  BenchOptions options;
  bool ops_given = false, duration_given = false, load_given = false, run_given = false;
  bool durable_given = false, relaxed_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      return args[++i];
    };
#define STRATA_BENCH_ASSIGN(lhs, expr)          \
  {                                             \
    auto result_ = (expr);                      \
    if (!result_.ok()) return result_.status(); \
    lhs = *std::move(result_);                  \
  }
    std::string text;
    if (arg == "--db") {
      STRATA_BENCH_ASSIGN(options.db_dir, value());
    } else if (arg == "--workload") {
      STRATA_BENCH_ASSIGN(text, value());
      auto spec = FindWorkload(text);
      if (!spec.ok()) return absl::InvalidArgumentError(spec.status().message());
      options.workload = spec->name;
    } else if (arg == "--records") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.records, ParseNumber<int64_t>(arg, text, 1, int64_t{1} << 40));
      options.records_given = true;
    } else if (arg == "--ops") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.ops, ParseNumber<int64_t>(arg, text, 1, int64_t{1} << 40));
      ops_given = true;
    } else if (arg == "--duration") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.duration_seconds, ParseNumber<double>(arg, text, 0.001, 1e6));
      duration_given = true;
    } else if (arg == "--doc-size") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.doc_size, ParseNumber<int>(arg, text, 64, 16 << 20));
    } else if (arg == "--fields") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.fields, ParseNumber<int>(arg, text, 1, 1000));
    } else if (arg == "--distribution") {
      STRATA_BENCH_ASSIGN(text, value());
      if (text == "uniform") {
        options.distribution = Distribution::kUniform;
      } else if (text == "zipfian") {
        options.distribution = Distribution::kZipfian;
      } else if (text == "latest") {
        options.distribution = Distribution::kLatest;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--distribution must be uniform, zipfian or latest, got '", text, "'"));
      }
    } else if (arg == "--threads") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.threads, ParseNumber<int>(arg, text, 1, 256));
    } else if (arg == "--durable") {
      options.durable = true;
      durable_given = true;
    } else if (arg == "--relaxed") {
      options.durable = false;
      relaxed_given = true;
    } else if (arg == "--indexes") {
      options.indexes = true;
    } else if (arg == "--no-indexes") {
      options.indexes = false;
    } else if (arg == "--seed") {
      STRATA_BENCH_ASSIGN(text, value());
      STRATA_BENCH_ASSIGN(options.seed, ParseNumber<uint64_t>(arg, text, 0, UINT64_MAX));
    } else if (arg == "--load") {
      load_given = true;
    } else if (arg == "--run") {
      run_given = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "--plot") {
      STRATA_BENCH_ASSIGN(options.plot, value());
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
    }
#undef STRATA_BENCH_ASSIGN
  }
  if (ops_given && duration_given) {
    return absl::InvalidArgumentError("--ops and --duration exclude each other");
  }
  if (durable_given && relaxed_given) {
    return absl::InvalidArgumentError("--durable and --relaxed exclude each other");
  }
  if (load_given || run_given) {
    options.load = load_given;
    options.run = run_given;
  }
  if (options.run && !options.load && options.db_dir.empty()) {
    return absl::InvalidArgumentError("--run without --load needs --db DIR holding loaded data");
  }
  if (options.doc_size < options.fields * 16 + 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--doc-size ", options.doc_size, " is too small for ", options.fields,
                     " fields (at least ", options.fields * 16 + 64, ")"));
  }
  return options;
}

DocumentFactory::DocumentFactory(int fields, int doc_size, uint64_t seed)
    : fields_(fields), seed_(seed) {
  // Fixed part: header 5 + _id 13 + cat 9 + grp 9 + num 13 = 49 bytes; each string field
  // costs type 1 + name ("fieldN" + NUL) + length 4 + NUL 1 around its letters.
  int overhead = 49;
  for (int i = 0; i < fields; ++i) {
    field_names_.push_back(absl::StrCat("field", i));
    overhead += 1 + static_cast<int>(field_names_.back().size()) + 1 + 4 + 1;
  }
  field_length_ = std::max(1, (doc_size - overhead) / fields);
}

int32_t DocumentFactory::CategoryOf(int64_t id, uint64_t seed) {
  return static_cast<int32_t>(Hash(seed, id, 1) % kCategories);
}

DocumentFactory::Fields DocumentFactory::Generate(int64_t id) const {
  Fields f;
  f.cat = CategoryOf(id);
  f.grp = static_cast<int32_t>(Hash(seed_, id, 2) % kGroups);
  f.num = static_cast<int64_t>(Hash(seed_, id, 3) % 1000);
  Random random(Hash(seed_, id, 4));
  f.strings.resize(static_cast<size_t>(fields_));
  for (std::string& s : f.strings) FillLetters(random, field_length_, &s);
  return f;
}

Document DocumentFactory::Build(int64_t id) const {
  const Fields f = Generate(id);
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  bson_append_int32(b, "cat", 3, f.cat);
  bson_append_int32(b, "grp", 3, f.grp);
  bson_append_int64(b, "num", 3, f.num);
  for (int i = 0; i < fields_; ++i) {
    const std::string& name = field_names_[static_cast<size_t>(i)];
    const std::string& s = f.strings[static_cast<size_t>(i)];
    bson_append_utf8(b, name.data(), static_cast<int>(name.size()), s.data(),
                     static_cast<int>(s.size()));
  }
  return doc;
}

std::string DocumentFactory::BuildJson(int64_t id) const {
  const Fields f = Generate(id);
  std::string json =
      absl::StrCat("{\"_id\":", id, ",\"cat\":", f.cat, ",\"grp\":", f.grp, ",\"num\":", f.num);
  for (int i = 0; i < fields_; ++i) {
    absl::StrAppend(&json, ",\"", field_names_[static_cast<size_t>(i)], "\":\"",
                    f.strings[static_cast<size_t>(i)], "\"");
  }
  json += "}";
  return json;
}

Document DocumentFactory::BuildCategory(int32_t category) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int32(b, "_id", 3, category);
  const std::string name = absl::StrCat("category ", category);
  bson_append_utf8(b, "name", 4, name.data(), static_cast<int>(name.size()));
  bson_append_int32(b, "tier", 4, category % 5);
  return doc;
}

std::string DocumentFactory::BuildCategoryJson(int32_t category) {
  return absl::StrCat("{\"_id\":", category, ",\"name\":\"category ", category,
                      "\",\"tier\":", category % 5, "}");
}

std::string DocumentFactory::RandomValue(Random& random) const {
  std::string value;
  FillLetters(random, field_length_, &value);
  return value;
}

}  // namespace strata::bench
