// Secondary indexes next to raw RocksDB doing the same storage work:
//
//   1. Insert throughput into a collection with 0, 1 and 3 secondary indexes, and with one
//      unique index. The raw side writes ONE WriteBatch per document (InsertOne) or per 100
//      documents (InsertMany100) holding the document Put into a `documents` column family
//      and the same index entry bytes Put into an `indexes` column family; for a unique index
//      it first reads each entry's key (the check any unique index needs). The entries are
//      computed outside the timed region with index::KeyGenerator + IndexEntryKey/Value from
//      the same IndexSpecs Strata uses, so the ratio is Strata's own cost for the same bytes:
//      key generation (BM_IndexEntries measures it alone), validation and copies, the
//      pessimistic transaction (the `_id` GetForUpdate, a row lock on every key it writes,
//      savepoints), statistics merge operands. Both sides run the same fixed number of
//      inserts, so they end with the same data.
//   2. Index build throughput (index entries written per second) on a collection of
//      STRATA_BENCH_BUILD_DOCS documents (default 1 000 000), loaded once, untimed, then
//      flushed and compacted on both sides alike. Strata's Collection::CreateIndex (then an
//      untimed DropIndex) is timed against a raw build doing what an ideal build does: one
//      iterator over the documents, the entries of each, sorted chunks (the same 64 MiB
//      budget as DatabaseOptions::index_build_memory_bytes) written as one WriteBatch each
//      (BM_RocksBuild) or as one ingested SST file each (BM_RocksIngestBuild: no WAL, no
//      memtable). STRATA_BENCH_BUILD_ITERS (default 2) sets the builds per benchmark run.
//
// Both sides use the same column family options (those of engine/storage_engine.cc: 64 MiB
// write buffer, LZ4 + bottommost zstd, 16 KiB blocks, bloom filters on documents, a 256 MiB
// block cache) on a plain rocksdb::DB, so only Strata's own work differs.
//
// Rates are wall-clock (UseRealTime). Each Strata row carries the counter `vs_rocksdb` = its
// rate / the last rate of its raw twin; after the table a summary prints the authoritative
// ratios of the framework's items_per_second (medians under --benchmark_repetitions):
// Strata / raw, and N indexes / 0 indexes for both sides. See bench/README.md.
#include <benchmark/benchmark.h>
#include <bson/bson.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "document/key_string.h"
#include "engine/collection_stats.h"
#include "index/index_key_layout.h"
#include "index/index_spec.h"
#include "index/key_generator.h"
#include "index/key_types.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using strata::DocumentView;
namespace index = strata::index;

// ---- documents and keys ----------------------------------------------------------------------

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

uint64_t Mix(int64_t id) {
  uint64_t x = static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  return x;
}

// {_id: id, name: "user-<id>", score: <0 .. 999999>, [tags: 3 strings,] payload: 200 letters}.
// engine_bench's document (about 260 bytes, `_id` first so the stored bytes are these bytes)
// with `score` scrambled, so index entries land at random places in the index as real data's
// do. The build collection adds `tags`: three distinct strings of 100 ("tag-0" .. "tag-99"),
// for a multikey index.
Document BenchDoc(int64_t id, bool with_tags = false) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  std::string name = "user-" + std::to_string(id);
  bson_append_utf8(b, "name", 4, name.data(), static_cast<int>(name.size()));
  const uint64_t h = Mix(id);
  bson_append_int64(b, "score", 5, static_cast<int64_t>(h % 1000000));
  if (with_tags) {
    bson_t tags;
    bson_append_array_begin(b, "tags", 4, &tags);
    uint64_t tag = (h >> 20) % 100;
    for (const char* position : {"0", "1", "2"}) {
      std::string value = "tag-" + std::to_string(tag);
      bson_append_utf8(&tags, position, 1, value.data(), static_cast<int>(value.size()));
      tag = (tag + 1 + (h >> (30 + 6 * (position[0] - '0'))) % 33) % 100;  // 2..66 apart: distinct
    }
    bson_append_array_end(b, &tags);
  }
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

// 4-byte big-endian collection id (1: the first collection of a fresh database) + the key
// string of `_id`: the key Strata writes in its documents column family.
std::string RawKey(int64_t id) {
  std::string key("\x00\x00\x00\x01", 4);
  bson_t filter;
  bson_init(&filter);
  bson_append_int64(&filter, "_id", 3, id);
  bson_iter_t it;
  bson_iter_init_find(&it, &filter, "_id");
  strata::document::AppendKeyString(it, &key);
  bson_destroy(&filter);
  return key;
}

absl::string_view IdKeyOf(absl::string_view raw_key) { return raw_key.substr(4); }

rocksdb::Slice AsSlice(const Document& doc) {
  return rocksdb::Slice(reinterpret_cast<const char*>(doc.data()), doc.size());
}

DocumentView ViewOf(const rocksdb::Slice& bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Document FromJsonOrDie(const char* json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) {
    std::fprintf(stderr, "bad JSON %s: %s\n", json, doc.status().ToString().c_str());
    std::abort();
  }
  return std::move(*doc);
}

// ---- the indexes -------------------------------------------------------------------------------

struct IndexDef {
  const char* key_pattern;  // Extended JSON
  bool unique;
};

// Which secondary indexes the insert benchmarks' collection has.
enum class IndexSet { kNone, kOne, kThree, kOneUnique };

std::vector<IndexDef> IndexDefs(IndexSet set) {
  switch (set) {
    case IndexSet::kNone:
      return {};
    case IndexSet::kOne:
      return {{R"({"score": 1})", false}};
    case IndexSet::kThree:
      return {{R"({"score": 1})", false},
              {R"({"name": 1})", false},
              {R"({"score": -1, "name": 1})", false}};
    case IndexSet::kOneUnique:
      return {{R"({"name": 1})", true}};
  }
  return {};
}

const char* IndexSetName(IndexSet set) {
  switch (set) {
    case IndexSet::kNone:
      return "0idx";
    case IndexSet::kOne:
      return "1idx";
    case IndexSet::kThree:
      return "3idx";
    case IndexSet::kOneUnique:
      return "1unique";
  }
  return "";
}

// {key: <pattern>, [unique: true]}, parsed as createIndexes parses it, with index id `id`.
index::IndexSpec ParseSpec(const IndexDef& def, index::IndexId id) {
  Document spec;
  Document pattern = FromJsonOrDie(def.key_pattern);
  bson_append_document(spec.mutable_bson(), "key", 3, pattern.bson());
  if (def.unique) bson_append_bool(spec.mutable_bson(), "unique", 6, true);
  auto parsed = index::IndexSpec::Parse(spec.view());
  if (!parsed.ok()) {
    std::fprintf(stderr, "bad index spec: %s\n", parsed.status().ToString().c_str());
    std::abort();
  }
  parsed->set_id(id);
  parsed->set_entry_format(index::kCurrentEntryFormat);  // as createIndexes makes them
  return std::move(*parsed);
}

// What the raw side needs to compute the entries Strata writes for an index.
struct RawIndex {
  index::IndexSpec spec;
  index::KeyGenerator generator;
  index::IndexEntryFormat format;
};

RawIndex MakeRawIndex(const IndexDef& def, index::IndexId id) {
  index::IndexSpec spec = ParseSpec(def, id);
  index::KeyGenerator generator(spec);
  index::IndexEntryFormat format = index::IndexEntryFormat::For(spec);
  return RawIndex{std::move(spec), std::move(generator), std::move(format)};
}

std::vector<RawIndex> RawIndexes(IndexSet set) {
  std::vector<RawIndex> indexes;
  index::IndexId id = 1;
  for (const IndexDef& def : IndexDefs(set)) indexes.push_back(MakeRawIndex(def, id++));
  return indexes;
}

using Entry = std::pair<std::string, std::string>;  // entry key, entry value

// Appends the index entries of one document; returns how many.
size_t AppendEntries(const RawIndex& raw, DocumentView doc, absl::string_view id_key,
                     std::vector<Entry>* out) {
  auto keys = raw.generator.Generate(doc);
  if (!keys.ok()) {
    std::fprintf(stderr, "key generation failed: %s\n", keys.status().ToString().c_str());
    std::abort();
  }
  for (size_t k = 0; k < keys->keys.size(); ++k) {
    const std::string& key = keys->keys[k];
    out->emplace_back(
        index::IndexEntryKey(raw.format, key, id_key),
        index::IndexEntryValue(raw.format, id_key,
                               k < keys->key_types.size() ? keys->key_types[k] : std::string()));
  }
  return keys->keys.size();
}

// ---- opening both sides ------------------------------------------------------------------------

enum class Mode { kDurable, kRelaxed };

const char* ModeName(Mode mode) { return mode == Mode::kDurable ? "durable" : "relaxed"; }

strata::DatabaseOptions StrataOptions(Mode mode) {
  strata::DatabaseOptions options;
  options.durability =
      mode == Mode::kDurable ? strata::Durability::kDurable : strata::Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;  // no background pass during a measurement
  return options;
}

std::unique_ptr<strata::Database> OpenStrata(const std::string& path, Mode mode,
                                             benchmark::State& state) {
  auto db = strata::Database::Open(path, StrataOptions(mode));
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*db);
}

// The column family options engine/storage_engine.cc gives `documents` (bloom filters) and
// `indexes` (none), with Strata's defaults, so both sides store and read alike.
rocksdb::ColumnFamilyOptions MirrorColumnFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                                       bool bloom) {
  const strata::DatabaseOptions defaults;
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = defaults.write_buffer_bytes;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 * 1024;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

rocksdb::DBOptions MirrorDbOptions() {
  const strata::DatabaseOptions defaults;
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(defaults.background_threads);
  options.max_background_jobs = std::max(2, defaults.background_threads);
  options.bytes_per_sync = 1 << 20;
  options.keep_log_file_num = 4;
  return options;
}

// A plain rocksdb::DB (WAL on) with the column families `documents` and `indexes`, or with
// every column family of a Strata data directory when `strata_layout` (for Settle()).
class RawDb {
 public:
  static std::unique_ptr<RawDb> Open(const std::string& path, bool strata_layout,
                                     std::string* error) {
    const strata::DatabaseOptions defaults;
    auto cache = rocksdb::NewLRUCache(defaults.block_cache_bytes);
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"documents", MirrorColumnFamilyOptions(cache, true)},
        {"indexes", MirrorColumnFamilyOptions(cache, false)},
    };
    if (strata_layout) {
      rocksdb::ColumnFamilyOptions catalog = MirrorColumnFamilyOptions(cache, true);
      catalog.merge_operator = strata::engine::NewStatsMergeOperator();
      families.push_back({"catalog", catalog});
    }
    std::unique_ptr<RawDb> raw(new RawDb);
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(MirrorDbOptions(), path, families, &raw->handles_, &db);
    if (!s.ok()) {
      *error = s.ToString();
      return nullptr;
    }
    raw->db_.reset(db);
    return raw;
  }

  ~RawDb() {
    if (db_ == nullptr) return;
    db_->SyncWAL().PermitUncheckedError();
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* documents() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* indexes() const { return handles_[2]; }

  // Flushes every memtable and compacts the documents into the bottommost level, then waits
  // for that to finish: the state of a collection loaded a while ago.
  rocksdb::Status Settle() {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), handle);
      if (!s.ok()) return s;
    }
    return db_->CompactRange(rocksdb::CompactRangeOptions(), documents(), nullptr, nullptr);
  }

 private:
  RawDb() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

std::unique_ptr<RawDb> OpenRaw(const std::string& path, benchmark::State& state) {
  std::string error;
  std::unique_ptr<RawDb> raw = RawDb::Open(path, false, &error);
  if (raw == nullptr) state.SkipWithError(error.c_str());
  return raw;
}

rocksdb::WriteOptions RawWriteOptions(Mode mode) {
  rocksdb::WriteOptions options;
  options.sync = mode == Mode::kDurable;
  return options;
}

// ---- rates and ratios --------------------------------------------------------------------------

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

// Rate of the last run of each raw benchmark, keyed by its pair name, so the Strata benchmark
// registered right after it can report the ratio as a counter.
std::map<std::string, double>& RawRates() {
  static auto* rates = new std::map<std::string, double>();
  return *rates;
}

void ReportRate(benchmark::State& state, const std::string& pair, bool is_raw, double rate) {
  if (is_raw) {
    RawRates()[pair] = rate;
    state.counters["vs_rocksdb"] = 1.0;  // keeps one table layout for every row
    return;
  }
  auto raw = RawRates().find(pair);
  if (raw != RawRates().end() && raw->second > 0) state.counters["vs_rocksdb"] = rate / raw->second;
}

std::string PairName(const char* workload, Mode mode, IndexSet set) {
  return std::string(workload) + "/" + ModeName(mode) + "_" + IndexSetName(set);
}

// ---- inserts -----------------------------------------------------------------------------------

// Documents with ids 0, 1, 2, …, their raw keys and (when given indexes) their index entries,
// generated 10000 at a time with the benchmark timer paused, so the timed loop measures only
// the store.
class DocSource {
 public:
  struct Item {
    Document doc;
    std::string key;
    std::vector<Entry> entries;
    std::vector<std::string> probes;  // entry keys of unique indexes, read before the write
  };

  DocSource(benchmark::State& state, RateTimer& timer, const std::vector<RawIndex>* indexes)
      : state_(state), timer_(timer), indexes_(indexes) {}

  const Item& Next() {
    if (at_ == items_.size()) Refill();
    return items_[at_++];
  }
  int64_t produced() const { return next_id_ - static_cast<int64_t>(items_.size() - at_); }

 private:
  void Refill() {
    state_.PauseTiming();
    timer_.Pause();
    items_.clear();
    for (int i = 0; i < 10000; ++i) {
      Item item{BenchDoc(next_id_), RawKey(next_id_), {}, {}};
      ++next_id_;
      if (indexes_ != nullptr) {
        for (const RawIndex& raw : *indexes_) {
          const size_t first = item.entries.size();
          AppendEntries(raw, item.doc.view(), IdKeyOf(item.key), &item.entries);
          for (size_t i = first; raw.format.unique && i < item.entries.size(); ++i) {
            item.probes.push_back(item.entries[i].first);  // a unique entry key is its probe key
          }
        }
      }
      items_.push_back(std::move(item));
    }
    at_ = 0;
    timer_.Resume();
    state_.ResumeTiming();
  }

  benchmark::State& state_;
  RateTimer& timer_;
  const std::vector<RawIndex>* indexes_;
  std::vector<Item> items_;
  size_t at_ = 0;
  int64_t next_id_ = 0;
};

// The unique check an index needs whoever implements it: one point read of each unique
// entry's key, which must be absent. False (and the benchmark skipped) otherwise.
bool ProbesFree(const RawDb& raw, const DocSource::Item& item, benchmark::State& state) {
  std::string holder;
  for (const std::string& probe : item.probes) {
    rocksdb::Status s = raw.db()->Get(rocksdb::ReadOptions(), raw.indexes(), probe, &holder);
    if (!s.IsNotFound()) {
      state.SkipWithError(s.ok() ? "duplicate unique key" : s.ToString().c_str());
      return false;
    }
  }
  return true;
}

// Creates the indexes of `set` on the (empty) collection. False (and the benchmark skipped)
// on failure.
bool CreateIndexes(strata::Collection& collection, IndexSet set, benchmark::State& state) {
  for (const IndexDef& def : IndexDefs(set)) {
    Document options;
    if (def.unique) bson_append_bool(options.mutable_bson(), "unique", 6, true);
    auto created = collection.CreateIndex(FromJsonOrDie(def.key_pattern).view(), options.view());
    if (!created.ok()) {
      state.SkipWithError(created.status().ToString().c_str());
      return false;
    }
  }
  return true;
}

void BM_StrataInsertOne(benchmark::State& state, Mode mode, IndexSet set) {
  TempDir dir;
  auto db = OpenStrata(dir.path(), mode, state);
  if (db == nullptr) return;
  strata::Collection collection = db->GetCollection("bench", "docs");
  if (!CreateIndexes(collection, set, state)) return;
  RateTimer timer;
  DocSource source(state, timer, nullptr);
  for (auto _ : state) {
    auto inserted = collection.InsertOne(source.Next().doc.view());
    if (!inserted.ok()) {
      state.SkipWithError(inserted.status().ToString().c_str());
      break;
    }
  }
  ReportRate(state, PairName("InsertOne", mode, set), false, timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations());
}

// One WriteBatch per document: its Put into `documents` and its entries' Puts into `indexes`.
void BM_RocksInsertOne(benchmark::State& state, Mode mode, IndexSet set) {
  TempDir dir;
  auto raw = OpenRaw(dir.path(), state);
  if (raw == nullptr) return;
  const std::vector<RawIndex> indexes = RawIndexes(set);
  const rocksdb::WriteOptions write = RawWriteOptions(mode);
  RateTimer timer;
  DocSource source(state, timer, &indexes);
  for (auto _ : state) {
    const DocSource::Item& item = source.Next();
    if (!ProbesFree(*raw, item, state)) break;
    rocksdb::WriteBatch batch;
    batch.Put(raw->documents(), item.key, AsSlice(item.doc));
    for (const auto& [key, value] : item.entries) batch.Put(raw->indexes(), key, value);
    rocksdb::Status s = raw->db()->Write(write, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  ReportRate(state, PairName("InsertOne", mode, set), true, timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations());
}

constexpr int kBatch = 100;

void BM_StrataInsertMany100(benchmark::State& state, Mode mode, IndexSet set) {
  TempDir dir;
  auto db = OpenStrata(dir.path(), mode, state);
  if (db == nullptr) return;
  strata::Collection collection = db->GetCollection("bench", "docs");
  if (!CreateIndexes(collection, set, state)) return;
  RateTimer timer;
  DocSource source(state, timer, nullptr);
  std::vector<DocumentView> views(kBatch);
  for (auto _ : state) {
    for (DocumentView& view : views) view = source.Next().doc.view();
    auto inserted = collection.InsertMany(views);
    if (!inserted.ok()) {
      state.SkipWithError(inserted.status().ToString().c_str());
      break;
    }
  }
  ReportRate(state, PairName("InsertMany100", mode, set), false,
             timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// One WriteBatch per 100 documents, with all their index entries.
void BM_RocksInsertMany100(benchmark::State& state, Mode mode, IndexSet set) {
  TempDir dir;
  auto raw = OpenRaw(dir.path(), state);
  if (raw == nullptr) return;
  const std::vector<RawIndex> indexes = RawIndexes(set);
  const rocksdb::WriteOptions write = RawWriteOptions(mode);
  RateTimer timer;
  DocSource source(state, timer, &indexes);
  bool failed = false;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < kBatch; ++i) {
      const DocSource::Item& item = source.Next();
      if (!ProbesFree(*raw, item, state)) {
        failed = true;
        break;
      }
      batch.Put(raw->documents(), item.key, AsSlice(item.doc));
      for (const auto& [key, value] : item.entries) batch.Put(raw->indexes(), key, value);
    }
    if (failed) break;
    rocksdb::Status s = raw->db()->Write(write, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  ReportRate(state, PairName("InsertMany100", mode, set), true, timer.PerSecond(source.produced()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Each raw benchmark is registered right before its Strata twin (the ratio counter needs the
// raw rate first). Both run the same fixed number of iterations, so they write the same
// documents and end with the same memtable sizes: 50 000 single inserts (100 000 documents
// in batches of 100) stay within one 64 MiB memtable, so no flush runs during a measurement.
constexpr int64_t kInsertOneIterations = 50000;
constexpr int64_t kInsertManyIterations = 1000;
constexpr int64_t kDurableIterations = 1000;

#define STRATA_PAIR(raw, strata, mode, set, name, iterations) \
  BENCHMARK_CAPTURE(raw, name, mode, set)                     \
      ->Iterations(iterations)                                \
      ->UseRealTime()                                         \
      ->Unit(benchmark::kMicrosecond);                        \
  BENCHMARK_CAPTURE(strata, name, mode, set)                  \
      ->Iterations(iterations)                                \
      ->UseRealTime()                                         \
      ->Unit(benchmark::kMicrosecond)

STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kRelaxed, IndexSet::kNone, relaxed_0idx,
            kInsertOneIterations);
STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kRelaxed, IndexSet::kOne, relaxed_1idx,
            kInsertOneIterations);
STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kRelaxed, IndexSet::kThree, relaxed_3idx,
            kInsertOneIterations);
STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kRelaxed, IndexSet::kOneUnique,
            relaxed_1unique, kInsertOneIterations);
STRATA_PAIR(BM_RocksInsertMany100, BM_StrataInsertMany100, Mode::kRelaxed, IndexSet::kNone,
            relaxed_0idx, kInsertManyIterations);
STRATA_PAIR(BM_RocksInsertMany100, BM_StrataInsertMany100, Mode::kRelaxed, IndexSet::kOne,
            relaxed_1idx, kInsertManyIterations);
STRATA_PAIR(BM_RocksInsertMany100, BM_StrataInsertMany100, Mode::kRelaxed, IndexSet::kThree,
            relaxed_3idx, kInsertManyIterations);
STRATA_PAIR(BM_RocksInsertMany100, BM_StrataInsertMany100, Mode::kRelaxed, IndexSet::kOneUnique,
            relaxed_1unique, kInsertManyIterations);
STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kDurable, IndexSet::kNone, durable_0idx,
            kDurableIterations);
STRATA_PAIR(BM_RocksInsertOne, BM_StrataInsertOne, Mode::kDurable, IndexSet::kThree, durable_3idx,
            kDurableIterations);

// The CPU cost of computing one document's index entries (KeyGenerator + IndexEntryKey/Value),
// which the raw insert rows pay outside their timed region and Strata inside its insert.
void BM_IndexEntries(benchmark::State& state, IndexSet set) {
  const std::vector<RawIndex> indexes = RawIndexes(set);
  std::vector<Document> docs;
  std::vector<std::string> keys;
  for (int64_t id = 0; id < 10000; ++id) {
    docs.push_back(BenchDoc(id));
    keys.push_back(RawKey(id));
  }
  std::vector<Entry> entries;
  size_t next = 0;
  for (auto _ : state) {
    entries.clear();
    const size_t i = next++ % docs.size();
    for (const RawIndex& raw : indexes) {
      AppendEntries(raw, docs[i].view(), IdKeyOf(keys[i]), &entries);
    }
    benchmark::DoNotOptimize(entries.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_IndexEntries, 1idx, IndexSet::kOne)
    ->MinTime(0.3)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_IndexEntries, 3idx, IndexSet::kThree)
    ->MinTime(0.3)
    ->Unit(benchmark::kMicrosecond);

// ---- index builds ------------------------------------------------------------------------------

struct BuildDef {
  const char* name;
  const char* key_pattern;
};

const BuildDef kBuilds[] = {
    {"score", R"({"score": 1})"},                 // one entry per document
    {"compound", R"({"score": -1, "name": 1})"},  // one entry per document, two parts
    {"multikey", R"({"tags": 1})"},               // three entries per document
};

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  long long parsed = std::strtoll(value, &end, 10);
  return end != value && *end == '\0' && parsed > 0 ? parsed : fallback;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The collection the builds run on: the same documents in a Strata database and in a raw
// one, loaded once (relaxed, batches of 1000) and then settled (memtables flushed, documents
// compacted into the bottommost level) on both sides alike.
class BuildFixture {
 public:
  // The fixture, loaded on first use; nullptr (and `*error` set) on failure.
  static BuildFixture* Get(std::string* error) {
    static auto* failure = new std::string();  // a failed load is not retried
    std::unique_ptr<BuildFixture>& slot = Slot();
    if (slot == nullptr && failure->empty()) {
      auto fixture = std::unique_ptr<BuildFixture>(new BuildFixture);
      *failure = fixture->Load(EnvInt("STRATA_BENCH_BUILD_DOCS", 1000000));
      if (failure->empty()) slot = std::move(fixture);
    }
    *error = *failure;
    return slot.get();
  }
  // Closes both databases and removes their directories.
  static void Destroy() { Slot().reset(); }

  strata::Collection collection() { return strata_->GetCollection("bench", "build"); }
  RawDb& raw() { return *raw_; }
  int64_t documents() const { return documents_; }
  // Entries an index of kBuilds[i] has on this collection.
  int64_t entries(size_t i) const { return entries_[i]; }
  // An empty directory for the SST files of ingesting builds.
  const std::string& scratch_dir() const { return scratch_dir_.path(); }
  // A raw index id never used before in the raw database (as Strata's are never reused).
  index::IndexId NextRawIndexId() { return next_raw_index_id_++; }

 private:
  BuildFixture() = default;

  static std::unique_ptr<BuildFixture>& Slot() {
    static auto* slot = new std::unique_ptr<BuildFixture>();
    return *slot;
  }

  // Returns "" or an error.
  std::string Load(int64_t documents) {
    const auto start = std::chrono::steady_clock::now();
    auto strata = strata::Database::Open(strata_dir_.path(), StrataOptions(Mode::kRelaxed));
    if (!strata.ok()) return strata.status().ToString();
    strata_ = std::move(*strata);
    std::string error;
    raw_ = RawDb::Open(raw_dir_.path(), false, &error);
    if (raw_ == nullptr) return error;

    std::vector<RawIndex> counters;
    for (const BuildDef& def : kBuilds)
      counters.push_back(MakeRawIndex({def.key_pattern, false}, 1));
    entries_.assign(counters.size(), 0);
    strata::Collection collection = this->collection();
    const rocksdb::WriteOptions relaxed = RawWriteOptions(Mode::kRelaxed);
    std::vector<Entry> scratch;
    for (int64_t begin = 0; begin < documents; begin += 1000) {
      const int64_t end = std::min(documents, begin + 1000);
      std::vector<Document> docs;
      std::vector<DocumentView> views;
      rocksdb::WriteBatch batch;
      for (int64_t id = begin; id < end; ++id) {
        docs.push_back(BenchDoc(id, /*with_tags=*/true));
        const std::string key = RawKey(id);
        batch.Put(raw_->documents(), key, AsSlice(docs.back()));
        for (size_t i = 0; i < counters.size(); ++i) {
          scratch.clear();
          entries_[i] += static_cast<int64_t>(
              AppendEntries(counters[i], docs.back().view(), IdKeyOf(key), &scratch));
        }
      }
      for (const Document& doc : docs) views.push_back(doc.view());
      auto inserted = collection.InsertMany(views);
      if (!inserted.ok()) return inserted.status().ToString();
      rocksdb::Status s = raw_->db()->Write(relaxed, &batch);
      if (!s.ok()) return s.ToString();
      if (end % 100000 == 0 || end == documents) {
        std::fprintf(stderr, "index_bench: loaded %lld/%lld documents (%.1f s)\n",
                     static_cast<long long>(end), static_cast<long long>(documents),
                     Seconds(start));
      }
    }
    documents_ = documents;

    // Settle both: close, flush and compact with a plain DB (Strata's catalog keeps its merge
    // operator), reopen. Strata has no public compaction call.
    absl::Status closed = strata_->Close();
    strata_.reset();
    if (!closed.ok()) return closed.ToString();
    raw_.reset();
    for (bool strata_layout : {true, false}) {
      const std::string& path = strata_layout ? strata_dir_.path() : raw_dir_.path();
      std::unique_ptr<RawDb> settling = RawDb::Open(path, strata_layout, &error);
      if (settling == nullptr) return error;
      rocksdb::Status s = settling->Settle();
      if (!s.ok()) return s.ToString();
    }
    strata = strata::Database::Open(strata_dir_.path(), StrataOptions(Mode::kRelaxed));
    if (!strata.ok()) return strata.status().ToString();
    strata_ = std::move(*strata);
    raw_ = RawDb::Open(raw_dir_.path(), false, &error);
    if (raw_ == nullptr) return error;
    // One untimed pass over each, so the first build does not pay for a cold block cache
    // that the later ones find warm (with 1M documents neither cache holds the collection).
    auto cursor = this->collection().Find(DocumentView());  // `collection` was the old handle
    if (!cursor.ok()) return cursor.status().ToString();
    while (true) {
      auto next = cursor->Next();
      if (!next.ok()) return next.status().ToString();
      if (!next->has_value()) break;
    }
    std::unique_ptr<rocksdb::Iterator> it(
        raw_->db()->NewIterator(rocksdb::ReadOptions(), raw_->documents()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    if (!it->status().ok()) return it->status().ToString();
    std::fprintf(stderr, "index_bench: build collection ready: %lld documents, settled (%.1f s)\n",
                 static_cast<long long>(documents_), Seconds(start));
    return "";
  }

  // The directories outlive the databases in them (members are destroyed in reverse order).
  TempDir strata_dir_;
  TempDir raw_dir_;
  TempDir scratch_dir_;
  std::unique_ptr<strata::Database> strata_;
  std::unique_ptr<RawDb> raw_;
  int64_t documents_ = 0;
  std::vector<int64_t> entries_;
  index::IndexId next_raw_index_id_ = 1;
};

// How a raw build writes one sorted chunk of entries.
enum class Sink {
  kWriteBatch,  // one WriteBatch (WAL + memtable), as db/index_builder.cc writes
  kIngest,      // one SST file (SstFileWriter) ingested into `indexes`: no WAL, no memtable
};

// What an ideal build does on the raw database: one iterator (on a snapshot) over the
// collection's documents; the entries of each document; every 64 MiB of entries (the same
// accounting and budget as db/index_builder.cc) sorted and written through `sink`. Ingested
// files are written to `scratch_dir` first. Returns the number of entries written.
absl::StatusOr<int64_t> RawBuild(RawDb& raw, const RawIndex& target, Sink sink,
                                 const std::string& scratch_dir) {
  const size_t budget = strata::DatabaseOptions().index_build_memory_bytes;
  const rocksdb::WriteOptions write = RawWriteOptions(Mode::kRelaxed);
  int64_t written = 0;
  int files = 0;
  std::vector<Entry> entries;
  auto write_batch = [&]() -> rocksdb::Status {
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : entries) batch.Put(raw.indexes(), key, value);
    return raw.db()->Write(write, &batch);
  };
  auto ingest = [&]() -> rocksdb::Status {
    const std::string file = scratch_dir + "/chunk-" + std::to_string(files++) + ".sst";
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), raw.db()->GetOptions(raw.indexes()),
                                  raw.indexes());
    rocksdb::Status s = writer.Open(file);
    for (size_t i = 0; s.ok() && i < entries.size(); ++i) {
      s = writer.Put(entries[i].first, entries[i].second);
    }
    if (s.ok()) s = writer.Finish();
    if (!s.ok()) return s;
    rocksdb::IngestExternalFileOptions options;
    options.move_files = true;
    return raw.db()->IngestExternalFile(raw.indexes(), {file}, options);
  };
  auto flush = [&]() -> absl::Status {
    std::sort(entries.begin(), entries.end());
    rocksdb::Status s = sink == Sink::kWriteBatch ? write_batch() : ingest();
    if (!s.ok()) return absl::InternalError(s.ToString());
    written += static_cast<int64_t>(entries.size());
    entries.clear();
    entries.shrink_to_fit();
    return absl::OkStatus();
  };

  const rocksdb::Snapshot* snapshot = raw.db()->GetSnapshot();
  const std::string lower("\x00\x00\x00\x01", 4);
  const std::string upper_bytes("\x00\x00\x00\x02", 4);
  rocksdb::Slice upper(upper_bytes);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.iterate_upper_bound = &upper;
  absl::Status status;
  {
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(read, raw.documents()));
    size_t buffered = 0;
    for (it->Seek(lower); it->Valid() && status.ok(); it->Next()) {
      const size_t first = entries.size();
      AppendEntries(target, ViewOf(it->value()),
                    IdKeyOf(absl::string_view(it->key().data(), it->key().size())), &entries);
      for (size_t i = first; i < entries.size(); ++i) {
        buffered += entries[i].first.size() + entries[i].second.size() + 2 * sizeof(std::string);
      }
      if (buffered >= budget) {
        status = flush();
        buffered = 0;
      }
    }
    if (status.ok() && !it->status().ok()) status = absl::InternalError(it->status().ToString());
  }
  raw.db()->ReleaseSnapshot(snapshot);
  if (status.ok() && !entries.empty()) status = flush();
  if (!status.ok()) return status;
  return written;
}

void BM_RocksBuild(benchmark::State& state, size_t build, Sink sink) {
  std::string error;
  BuildFixture* fixture = BuildFixture::Get(&error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  RawDb& raw = fixture->raw();
  RateTimer timer;
  int64_t entries = 0;
  for (auto _ : state) {
    const RawIndex target =
        MakeRawIndex({kBuilds[build].key_pattern, false}, fixture->NextRawIndexId());
    auto written = RawBuild(raw, target, sink, fixture->scratch_dir());
    state.PauseTiming();
    timer.Pause();
    if (!written.ok()) {
      state.SkipWithError(written.status().ToString().c_str());
      break;
    }
    entries += *written;
    // Drop, as DropIndex does: a range delete of the index's entries.
    index::KeyRange range = index::IndexEntryRange(target.format.index_id);
    rocksdb::Status s = raw.db()->DeleteRange(RawWriteOptions(Mode::kRelaxed), raw.indexes(),
                                              range.start, range.limit);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    timer.Resume();
    state.ResumeTiming();
  }
  // The WriteBatch build is the twin of Strata's (registered after both raw builds).
  ReportRate(
      state,
      std::string(sink == Sink::kWriteBatch ? "Build/" : "IngestBuild/") + kBuilds[build].name,
      true, timer.PerSecond(entries));
  state.counters["entries"] = static_cast<double>(fixture->entries(build));
  state.SetItemsProcessed(entries);
}

void BM_StrataBuild(benchmark::State& state, size_t build) {
  std::string error;
  BuildFixture* fixture = BuildFixture::Get(&error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  strata::Collection collection = fixture->collection();
  const Document keys = FromJsonOrDie(kBuilds[build].key_pattern);
  RateTimer timer;
  int64_t entries = 0;
  for (auto _ : state) {
    auto name = collection.CreateIndex(keys.view());
    state.PauseTiming();
    timer.Pause();
    if (!name.ok()) {
      state.SkipWithError(name.status().ToString().c_str());
      break;
    }
    entries += fixture->entries(build);
    absl::Status dropped = collection.DropIndex(*name);
    if (!dropped.ok()) {
      state.SkipWithError(dropped.ToString().c_str());
      break;
    }
    timer.Resume();
    state.ResumeTiming();
  }
  ReportRate(state, std::string("Build/") + kBuilds[build].name, false, timer.PerSecond(entries));
  state.counters["entries"] = static_cast<double>(fixture->entries(build));
  state.SetItemsProcessed(entries);
}

// Index builds, registered from main() so STRATA_BENCH_BUILD_ITERS can set their iterations:
// for each index, the raw WriteBatch build, the raw ingesting build, then Strata's.
void RegisterBuilds() {
  const int64_t iterations = EnvInt("STRATA_BENCH_BUILD_ITERS", 2);
  for (size_t i = 0; i < std::size(kBuilds); ++i) {
    const std::string suffix = std::string("/") + kBuilds[i].name;
    benchmark::RegisterBenchmark(("BM_RocksBuild" + suffix).c_str(), BM_RocksBuild, i,
                                 Sink::kWriteBatch)
        ->Iterations(iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_RocksIngestBuild" + suffix).c_str(), BM_RocksBuild, i,
                                 Sink::kIngest)
        ->Iterations(iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_StrataBuild" + suffix).c_str(), BM_StrataBuild, i)
        ->Iterations(iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// ---- the summary -------------------------------------------------------------------------------

// The console table, then the ratios of items_per_second: each Strata row / its raw twin(s),
// and each row with N indexes / the same row with none. With --benchmark_repetitions the
// rates are the medians over the repetitions (run them with
// --benchmark_enable_random_interleaving=true so both sides of a pair see the same load).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end() || run.error_occurred) continue;
      const std::string& name = run.run_name.function_name;
      if (samples_.count(name) == 0 && medians_.count(name) == 0) order_.push_back(name);
      if (run.run_type == Run::RT_Iteration) {
        samples_[name].push_back(rate->second.value);
      } else if (run.aggregate_name == "median") {  // --benchmark_report_aggregates_only
        medians_[name] = rate->second.value;
      }
    }
  }

  void PrintRatios() {
    // Random interleaving reports in random order: list by workload, then raw before Strata.
    std::sort(order_.begin(), order_.end(), [](const std::string& a, const std::string& b) {
      const std::string wa = Workload(a), wb = Workload(b);
      return wa != wb ? wa < wb : a < b;
    });
    size_t runs = 0;
    for (const auto& [name, rates] : samples_) runs = std::max(runs, rates.size());
    std::printf("\n%-36s %14s %14s %8s%s\n", "Strata / raw RocksDB", "Strata items/s",
                "raw items/s", "ratio", runs > 1 ? "   (medians of the repetitions)" : "");
    for (const std::string& name : order_) {
      if (name.rfind("BM_Strata", 0) != 0) continue;
      PrintRatio(name, name, "BM_Rocks" + name.substr(9));
    }
    for (const std::string& name : order_) {
      if (name.rfind("BM_StrataBuild/", 0) != 0) continue;
      PrintRatio(name + " vs ingest", name, "BM_RocksIngestBuild/" + name.substr(15));
    }
    std::printf("\n%-36s %14s %14s %8s\n", "with indexes / without", "items/s", "0idx items/s",
                "ratio");
    for (const std::string& name : order_) {
      const size_t underscore = name.rfind('_');
      if (underscore == std::string::npos || name.compare(underscore, 5, "_0idx") == 0) continue;
      if (name.find('/') > underscore) continue;
      PrintRatio(name, name, name.substr(0, underscore) + "_0idx");
    }
  }

 private:
  // "InsertOne/relaxed_3idx" for BM_StrataInsertOne/relaxed_3idx and its raw twin.
  static std::string Workload(const std::string& name) {
    for (const char* prefix : {"BM_Strata", "BM_RocksIngest", "BM_Rocks"}) {
      if (name.rfind(prefix, 0) == 0) return name.substr(std::strlen(prefix));
    }
    return name;
  }

  // The median rate of `name`, or 0 when it did not run.
  double Rate(const std::string& name) const {
    auto samples = samples_.find(name);
    if (samples != samples_.end() && !samples->second.empty()) {
      std::vector<double> sorted = samples->second;
      std::sort(sorted.begin(), sorted.end());
      const size_t n = sorted.size();
      return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
    auto median = medians_.find(name);
    return median != medians_.end() ? median->second : 0;
  }

  void PrintRatio(const std::string& label, const std::string& name,
                  const std::string& base) const {
    const double rate = Rate(name);
    const double base_rate = Rate(base);
    if (rate <= 0 || base_rate <= 0) return;
    std::printf("%-36s %14.0f %14.0f %8.3f\n", label.c_str(), rate, base_rate, rate / base_rate);
  }

  std::vector<std::string> order_;  // function names, first run first
  std::map<std::string, std::vector<double>> samples_;
  std::map<std::string, double> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterBuilds();
  // Colours only on a terminal, so a captured run (bench/README.md) stays plain text.
  RatioReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                               : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  BuildFixture::Destroy();
  benchmark::Shutdown();
  return 0;
}
