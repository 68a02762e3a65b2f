// Strata's write and point-read paths next to raw RocksDB doing the same storage work.
//
// Every pair stores the SAME BSON bytes under the same key bytes (4-byte big-endian prefix +
// the key string of `_id`, which is what Strata's documents column family uses), so the
// difference is Strata's own cost: validation and copy of the document, the pessimistic
// transaction (GetForUpdate lock + duplicate check), the statistics merge operand, and for
// reads the snapshot and cursor machinery.
//
//   durable : Strata Durability::kDurable   vs  rocksdb::WriteOptions::sync = true
//   relaxed : Strata Durability::kRelaxed   vs  rocksdb::WriteOptions::sync = false
//
// Rates are wall-clock (UseRealTime): durable writes wait on fsync, not on the CPU.
// After the usual table, a summary prints each Strata/RocksDB ratio of items_per_second; the
// Strata rows also carry it as the counter `vs_rocksdb` (measured against the RocksDB row that
// ran just before). See bench/README.md.
#include <benchmark/benchmark.h>
#include <bson/bson.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "document/key_string.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using strata::DocumentView;

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/strata-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// {_id: id, name: "user-<id>", score: id * 7, payload: <200 letters>}: `_id` first, so the bytes
// Strata stores are exactly these bytes. About 260 bytes.
Document BenchDoc(int64_t id) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  std::string name = "user-" + std::to_string(id);
  bson_append_utf8(b, "name", 4, name.data(), static_cast<int>(name.size()));
  bson_append_int64(b, "score", 5, id * 7);
  std::string payload(200, 'a');
  uint64_t x = static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : payload) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('a' + x % 26);
  }
  bson_append_utf8(b, "payload", 7, payload.data(), static_cast<int>(payload.size()));
  return doc;
}

Document IdFilter(int64_t id) {
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  return doc;
}

// 4-byte big-endian prefix + key string of `_id`: the key Strata writes for the same document.
std::string RawKey(int64_t id) {
  std::string key("\x00\x00\x00\x01", 4);
  Document filter = IdFilter(id);
  bson_iter_t it;
  bson_iter_init_find(&it, filter.bson(), "_id");
  strata::document::AppendKeyString(it, &key);
  return key;
}

rocksdb::Slice AsSlice(const Document& doc) {
  return rocksdb::Slice(reinterpret_cast<const char*>(doc.data()), doc.size());
}

enum class Mode { kDurable, kRelaxed };

std::unique_ptr<strata::Database> OpenStrata(const std::string& path, Mode mode,
                                             benchmark::State& state) {
  strata::DatabaseOptions options;
  options.durability =
      mode == Mode::kDurable ? strata::Durability::kDurable : strata::Durability::kRelaxed;
  auto db = strata::Database::Open(path, options);
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*db);
}

// Plain rocksdb::DB with default options (the WAL on, as in Strata).
std::unique_ptr<rocksdb::DB> OpenRocks(const std::string& path, benchmark::State& state) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
  if (!s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return nullptr;
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

rocksdb::WriteOptions RocksWriteOptions(Mode mode) {
  rocksdb::WriteOptions options;
  options.sync = mode == Mode::kDurable;
  return options;
}

const char* ModeName(Mode mode) { return mode == Mode::kDurable ? "durable" : "relaxed"; }

// Wall-clock time of the timed part of one benchmark run (pauses excluded), for the ratio
// counter. The framework's own items_per_second (printed in the summary) is authoritative.
class RateTimer {
 public:
  RateTimer() : start_(Clock::now()) {}
  void Pause() { paused_at_ = Clock::now(); }
  void Resume() { paused_ += Clock::now() - paused_at_; }
  double PerSecond(int64_t items) const {
    std::chrono::duration<double> elapsed = Clock::now() - start_ - paused_;
    return elapsed.count() > 0 ? static_cast<double>(items) / elapsed.count() : 0;
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
  Clock::time_point paused_at_;
  Clock::duration paused_{0};
};

// Rate of the last run of each RocksDB benchmark, keyed by "<workload>/<mode>", so the Strata
// benchmark registered right after it can report the ratio as a counter.
std::map<std::string, double>& RocksRates() {
  static auto* rates = new std::map<std::string, double>();
  return *rates;
}

void ReportRate(benchmark::State& state, const std::string& pair, bool is_rocks, double rate) {
  if (is_rocks) {
    RocksRates()[pair] = rate;
    state.counters["vs_rocksdb"] = 1.0;  // keeps one table layout for every row
    return;
  }
  auto raw = RocksRates().find(pair);
  if (raw != RocksRates().end() && raw->second > 0) {
    state.counters["vs_rocksdb"] = rate / raw->second;
  }
}

// Documents (and their raw keys) with ids 0, 1, 2, …, generated 10000 at a time with the
// benchmark timer paused, so the timed loop measures only the store.
class DocSource {
 public:
  DocSource(benchmark::State& state, RateTimer& timer) : state_(state), timer_(timer) {}

  // The next document; `key` is set to its raw RocksDB key.
  const Document& Next(const std::string** key = nullptr) {
    if (at_ == docs_.size()) Refill();
    if (key != nullptr) *key = &keys_[at_];
    return docs_[at_++];
  }
  int64_t produced() const { return next_id_ - static_cast<int64_t>(docs_.size() - at_); }

 private:
  void Refill() {
    state_.PauseTiming();
    timer_.Pause();
    docs_.clear();
    keys_.clear();
    for (int i = 0; i < 10000; ++i) {
      docs_.push_back(BenchDoc(next_id_));
      keys_.push_back(RawKey(next_id_++));
    }
    at_ = 0;
    timer_.Resume();
    state_.ResumeTiming();
  }

  benchmark::State& state_;
  RateTimer& timer_;
  std::vector<Document> docs_;
  std::vector<std::string> keys_;
  size_t at_ = 0;
  int64_t next_id_ = 0;
};

// ---- single inserts ----------------------------------------------------------------------

void BM_StrataInsertOne(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenStrata(dir.path(), mode, state);
  if (db == nullptr) return;
  strata::Collection collection = db->GetCollection("bench", "docs");
  RateTimer timer;
  DocSource source(state, timer);
  for (auto _ : state) {
    auto inserted = collection.InsertOne(source.Next().view());
    if (!inserted.ok()) {
      state.SkipWithError(inserted.status().ToString().c_str());
      break;
    }
  }
  ReportRate(state, std::string("InsertOne/") + ModeName(mode), false,
             timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations());
}

void BM_RocksPut(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenRocks(dir.path(), state);
  if (db == nullptr) return;
  const rocksdb::WriteOptions write = RocksWriteOptions(mode);
  RateTimer timer;
  DocSource source(state, timer);
  for (auto _ : state) {
    const std::string* key = nullptr;
    const Document& doc = source.Next(&key);
    rocksdb::Status s = db->Put(write, *key, AsSlice(doc));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  ReportRate(state, std::string("InsertOne/") + ModeName(mode), true,
             timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations());
}

// ---- batches of 100 ------------------------------------------------------------------------

constexpr int kBatch = 100;

void BM_StrataInsertMany100(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenStrata(dir.path(), mode, state);
  if (db == nullptr) return;
  strata::Collection collection = db->GetCollection("bench", "docs");
  RateTimer timer;
  DocSource source(state, timer);
  std::vector<DocumentView> views(kBatch);
  for (auto _ : state) {
    for (DocumentView& view : views) view = source.Next().view();
    auto inserted = collection.InsertMany(views);
    if (!inserted.ok()) {
      state.SkipWithError(inserted.status().ToString().c_str());
      break;
    }
  }
  ReportRate(state, std::string("InsertMany100/") + ModeName(mode), false,
             timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_RocksWriteBatch100(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenRocks(dir.path(), state);
  if (db == nullptr) return;
  const rocksdb::WriteOptions write = RocksWriteOptions(mode);
  RateTimer timer;
  DocSource source(state, timer);
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < kBatch; ++i) {
      const std::string* key = nullptr;
      const Document& doc = source.Next(&key);
      batch.Put(*key, AsSlice(doc));
    }
    rocksdb::Status s = db->Write(write, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  ReportRate(state, std::string("InsertMany100/") + ModeName(mode), true,
             timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// ---- point reads by _id ----------------------------------------------------------------------

constexpr int64_t kPreloaded = 20000;
constexpr size_t kProbes = 4096;

// Random ids among the preloaded ones, the same sequence for both engines.
std::vector<int64_t> ProbeIds() {
  std::mt19937_64 rng(42);
  std::vector<int64_t> ids(kProbes);
  for (int64_t& id : ids) id = static_cast<int64_t>(rng() % kPreloaded);
  return ids;
}

void BM_StrataFindOneById(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenStrata(dir.path(), mode, state);
  if (db == nullptr) return;
  strata::Collection collection = db->GetCollection("bench", "docs");
  for (int64_t begin = 0; begin < kPreloaded; begin += 1000) {
    std::vector<Document> docs;
    std::vector<DocumentView> views;
    for (int64_t id = begin; id < begin + 1000; ++id) docs.push_back(BenchDoc(id));
    for (const Document& doc : docs) views.push_back(doc.view());
    if (!collection.InsertMany(views).ok()) {
      state.SkipWithError("preload failed");
      return;
    }
  }
  std::vector<Document> filters;
  for (int64_t id : ProbeIds()) filters.push_back(IdFilter(id));
  size_t next = 0;
  int64_t bytes = 0;
  RateTimer timer;
  for (auto _ : state) {
    auto doc = collection.FindOne(filters[next++ % kProbes].view());
    if (!doc.ok() || !doc->has_value()) {
      state.SkipWithError("a preloaded document was not found");
      break;
    }
    bytes += static_cast<int64_t>((*doc)->size());
    benchmark::DoNotOptimize(bytes);
  }
  ReportRate(state, std::string("FindOneById/") + ModeName(mode), false,
             timer.PerSecond(static_cast<int64_t>(next)));
  state.SetItemsProcessed(state.iterations());
}

void BM_RocksGet(benchmark::State& state, Mode mode) {
  TempDir dir;
  auto db = OpenRocks(dir.path(), state);
  if (db == nullptr) return;
  const rocksdb::WriteOptions write = RocksWriteOptions(mode);
  for (int64_t begin = 0; begin < kPreloaded; begin += 1000) {
    rocksdb::WriteBatch batch;
    for (int64_t id = begin; id < begin + 1000; ++id) {
      Document doc = BenchDoc(id);
      batch.Put(RawKey(id), AsSlice(doc));
    }
    if (!db->Write(write, &batch).ok()) {
      state.SkipWithError("preload failed");
      return;
    }
  }
  std::vector<std::string> keys;
  for (int64_t id : ProbeIds()) keys.push_back(RawKey(id));
  size_t next = 0;
  int64_t bytes = 0;
  std::string value;
  RateTimer timer;
  for (auto _ : state) {
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), keys[next++ % kProbes], &value);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    bytes += static_cast<int64_t>(value.size());
    benchmark::DoNotOptimize(bytes);
  }
  ReportRate(state, std::string("FindOneById/") + ModeName(mode), true,
             timer.PerSecond(static_cast<int64_t>(next)));
  state.SetItemsProcessed(state.iterations());
}

// Each RocksDB benchmark is registered right before its Strata twin (the ratio counter needs
// the RocksDB rate first). 0.5 s each keeps the whole run well under two minutes.
#define STRATA_PAIR(rocks, strata, mode, mode_name) \
  BENCHMARK_CAPTURE(rocks, mode_name, mode)         \
      ->MinTime(0.5)                                \
      ->UseRealTime()                               \
      ->Unit(benchmark::kMicrosecond);              \
  BENCHMARK_CAPTURE(strata, mode_name, mode)        \
      ->MinTime(0.5)                                \
      ->UseRealTime()                               \
      ->Unit(benchmark::kMicrosecond)

STRATA_PAIR(BM_RocksPut, BM_StrataInsertOne, Mode::kDurable, durable);
STRATA_PAIR(BM_RocksPut, BM_StrataInsertOne, Mode::kRelaxed, relaxed);
STRATA_PAIR(BM_RocksWriteBatch100, BM_StrataInsertMany100, Mode::kDurable, durable);
STRATA_PAIR(BM_RocksWriteBatch100, BM_StrataInsertMany100, Mode::kRelaxed, relaxed);
// Reads do not depend on the durability mode; the data is written in relaxed mode.
STRATA_PAIR(BM_RocksGet, BM_StrataFindOneById, Mode::kRelaxed, relaxed);

// The console table, then one line per pair: Strata items/s, RocksDB items/s, and the ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto rate = run.counters.find("items_per_second");
      if (rate != run.counters.end() && !run.error_occurred) {
        rates_.emplace_back(run.run_name.function_name, rate->second.value);
      }
    }
  }

  void PrintRatios() const {
    std::printf("\n%-34s %14s %14s %14s\n", "Strata / raw RocksDB", "Strata items/s",
                "RocksDB items/s", "ratio");
    for (const auto& [name, rate] : rates_) {
      const size_t slash = name.rfind('/');
      if (slash == std::string::npos) continue;
      const std::string twin = Twin(name.substr(0, slash));
      if (twin.empty()) continue;
      for (const auto& [other, raw] : rates_) {
        if (other != twin + name.substr(slash)) continue;
        std::printf("%-34s %14.0f %14.0f %14.3f\n", name.c_str(), rate, raw,
                    raw > 0 ? rate / raw : 0.0);
      }
    }
  }

 private:
  // The RocksDB benchmark doing the same storage work as a Strata one ("" for others).
  static std::string Twin(const std::string& strata) {
    if (strata == "BM_StrataInsertOne") return "BM_RocksPut";
    if (strata == "BM_StrataInsertMany100") return "BM_RocksWriteBatch100";
    if (strata == "BM_StrataFindOneById") return "BM_RocksGet";
    return "";
  }

  std::vector<std::pair<std::string, double>> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Colours only on a terminal, so a captured run (bench/README.md) stays plain text.
  RatioReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                               : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
