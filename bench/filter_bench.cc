// Filter evaluation (query/match) next to raw BSON iteration of the same documents.
//
// 100 000 deterministic documents of varied shapes (scalars, nested documents, arrays of numbers
// and of documents, strings; some fields missing or of another type) are generated once and
// held in memory as BSON bytes, back to back in one buffer. Three groups, in this order:
//
//   BM_Raw/…     raw libbson iteration, the baselines:
//                  find_field  bson_iter_init_find of one field ("city") in every document
//                  full_walk   a recursive bson_iter walk of every element of every document
//   BM_Filter/…  query::match::ParseFilter once, then Matches() on every document
//   BM_Scan/…    end to end through the public API: strata::Database (relaxed durability, in a
//                temporary directory) holding the same documents, Collection::Find drained;
//                `all` is Find({}), the baseline of this group
//
// items_per_second is documents examined per second (one iteration = one pass over all the
// documents). Rates are CPU time of the benchmark thread (the framework's default): every
// benchmark is single-threaded and CPU-bound, and the machine this runs on is often busy.
// Counters, each the ratio of this row's rate to a baseline row that ran earlier in the same
// process (so they disappear when --benchmark_filter drops the baseline):
//   vs_find_field, vs_full_walk   rate / BM_Raw/find_field, rate / BM_Raw/full_walk
//   vs_scan_all                   rate / BM_Scan/all
//   matched                       documents matched (returned) per pass
// After the table, a summary prints the same ratios from the framework's items_per_second.
// See bench/README.md.
#include <benchmark/benchmark.h>
#include <bson/bson.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "query/match/match_expression.h"
#include "query/match/parser.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using strata::DocumentView;

constexpr int kDocs = 100000;

// ---- documents -----------------------------------------------------------------------------

const char* const kFirstNames[] = {
    "Alice", "Alan",  "Albert",  "Bob",    "Bianca", "Carla", "Chen",   "Dmitri",
    "Diane", "Emma",  "Eric",    "Fatima", "Felix",  "Grace", "Hugo",   "Ines",
    "Ivan",  "Julia", "Kenji",   "Laura",  "Liam",   "Maria", "Mehdi",  "Nina",
    "Omar",  "Paula", "Quentin", "Rosa",   "Sven",   "Tariq", "Ursula", "Zoe"};
const char* const kLastNames[] = {"Martin",   "Bernard", "Dubois",  "Garcia", "Smith",  "Nguyen",
                                  "Kowalski", "Rossi",   "Ivanova", "Tanaka", "Okafor", "Silva",
                                  "Larsen",   "Moreau",  "Haddad",  "Fischer"};
const char* const kCities[] = {
    "Paris",   "Lyon",     "Nice",     "Lille",   "Nantes",   "Rennes",   "Brest",     "Dijon",
    "Reims",   "Metz",     "Nancy",    "Tours",   "Angers",   "Caen",     "Rouen",     "Amiens",
    "Limoges", "Poitiers", "Pau",      "Bayonne", "Toulouse", "Bordeaux", "Marseille", "Toulon",
    "Avignon", "Nimes",    "Grenoble", "Annecy",  "Chambery", "Valence",  "Besancon",  "Mulhouse",
    "Colmar",  "Troyes",   "Orleans",  "Bourges", "Quimper",  "Lorient",  "Vannes",    "Perpignan"};
const char* const kTags[] = {"red",  "green", "blue",  "new",  "sale", "hot",
                             "cold", "eco",   "promo", "gift", "bulk", "rare"};
const char* const kStreets[] = {"rue de la Paix",  "avenue Foch",     "boulevard Voltaire",
                                "rue Victor Hugo", "place Bellecour", "quai des Chartrons"};

template <typename T, size_t N>
const char* Pick(std::mt19937_64& rng, T (&list)[N]) {
  return list[rng() % N];
}

void AppendUtf8(bson_t* b, const char* key, const std::string& value) {
  bson_append_utf8(b, key, -1, value.data(), static_cast<int>(value.size()));
}

// Document `id`. Every document starts with `_id` (so the bytes Strata stores are these bytes);
// the rest varies with `rng`: optional fields, arrays of 0..n elements, a few type changes.
// About 450 bytes on average.
Document MakeDoc(int64_t id, std::mt19937_64& rng) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  char index[16];
  const char* key = nullptr;

  bson_append_int64(b, "_id", 3, id);
  AppendUtf8(b, "name", std::string(Pick(rng, kFirstNames)) + " " + Pick(rng, kLastNames));
  const uint64_t age_kind = rng() % 100;
  const int32_t age = static_cast<int32_t>(18 + rng() % 72);
  if (age_kind < 90) {
    bson_append_int32(b, "age", 3, age);
  } else if (age_kind < 95) {
    bson_append_double(b, "age", 3, age + 0.5);
  } else if (age_kind < 98) {
    AppendUtf8(b, "age", std::to_string(age));  // type bracketing: never in a numeric range
  }                                             // else: no age at all
  bson_append_double(b, "score", 5, static_cast<double>(rng() % 100000) / 100.0);
  bson_append_bool(b, "active", 6, rng() % 3 != 0);
  bson_append_int32(b, "category", 8, static_cast<int32_t>(rng() % 100));
  AppendUtf8(b, "city", Pick(rng, kCities));

  bson_t tags;
  bson_append_array_begin(b, "tags", 4, &tags);
  const uint32_t num_tags = static_cast<uint32_t>(rng() % 6);
  for (uint32_t i = 0; i < num_tags; ++i) {
    size_t len = bson_uint32_to_string(i, &key, index, sizeof index);
    const char* tag = Pick(rng, kTags);
    bson_append_utf8(&tags, key, static_cast<int>(len), tag, -1);
  }
  bson_append_array_end(b, &tags);

  bson_t nums;
  bson_append_array_begin(b, "nums", 4, &nums);
  const uint32_t num_nums = static_cast<uint32_t>(rng() % 9);
  for (uint32_t i = 0; i < num_nums; ++i) {
    size_t len = bson_uint32_to_string(i, &key, index, sizeof index);
    const int64_t v = static_cast<int64_t>(rng() % 100);
    switch (rng() % 3) {
      case 0:
        bson_append_int32(&nums, key, static_cast<int>(len), static_cast<int32_t>(v));
        break;
      case 1:
        bson_append_int64(&nums, key, static_cast<int>(len), v);
        break;
      default:
        bson_append_double(&nums, key, static_cast<int>(len), static_cast<double>(v) + 0.25);
    }
  }
  bson_append_array_end(b, &nums);

  if (rng() % 100 < 85) {
    bson_t address, geo;
    bson_append_document_begin(b, "address", 7, &address);
    AppendUtf8(&address, "street", std::to_string(1 + rng() % 200) + " " + Pick(rng, kStreets));
    AppendUtf8(&address, "city", Pick(rng, kCities));
    bson_append_int32(&address, "zip", 3, static_cast<int32_t>(1000 + rng() % 94000));
    bson_append_document_begin(&address, "geo", 3, &geo);
    bson_append_double(&geo, "lat", 3, 42.0 + static_cast<double>(rng() % 9000) / 1000.0);
    bson_append_double(&geo, "lng", 3, -4.0 + static_cast<double>(rng() % 12000) / 1000.0);
    bson_append_document_end(&address, &geo);
    bson_append_document_end(b, &address);
  }

  bson_t items;
  bson_append_array_begin(b, "items", 5, &items);
  const uint32_t num_items = static_cast<uint32_t>(rng() % 7);
  for (uint32_t i = 0; i < num_items; ++i) {
    size_t len = bson_uint32_to_string(i, &key, index, sizeof index);
    bson_t item;
    bson_append_document_begin(&items, key, static_cast<int>(len), &item);
    AppendUtf8(&item, "sku", "sku-" + std::to_string(rng() % 200));
    bson_append_int32(&item, "qty", 3, static_cast<int32_t>(1 + rng() % 10));
    bson_append_double(&item, "price", 5, static_cast<double>(100 + rng() % 9900) / 100.0);
    bson_append_document_end(&items, &item);
  }
  bson_append_array_end(b, &items);

  if (rng() % 100 < 30) {
    std::string notes(50 + rng() % 150, ' ');
    for (char& c : notes) c = static_cast<char>('a' + rng() % 26);
    AppendUtf8(b, "notes", notes);
  }
  if (rng() % 100 < 20) {
    bson_t meta, flags;
    bson_append_document_begin(b, "meta", 4, &meta);
    bson_append_date_time(&meta, "created", 7,
                          int64_t{1600000000000} + static_cast<int64_t>(rng() % 100000000000));
    bson_append_int32(&meta, "version", 7, static_cast<int32_t>(rng() % 5));
    bson_append_document_begin(&meta, "flags", 5, &flags);
    bson_append_bool(&flags, "a", 1, rng() % 2 == 0);
    bson_append_bool(&flags, "b", 1, rng() % 2 == 0);
    bson_append_document_end(&meta, &flags);
    bson_append_document_end(b, &meta);
  }
  return doc;
}

// The corpus: every document's bytes back to back in one buffer, plus one view per document.
struct Corpus {
  std::vector<uint8_t> bytes;
  std::vector<DocumentView> docs;
};

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    std::mt19937_64 rng(20240603);
    std::vector<size_t> offsets;
    for (int64_t id = 0; id < kDocs; ++id) {
      Document doc = MakeDoc(id, rng);
      offsets.push_back(c->bytes.size());
      c->bytes.insert(c->bytes.end(), doc.data(), doc.data() + doc.size());
    }
    offsets.push_back(c->bytes.size());
    for (size_t i = 0; i + 1 < offsets.size(); ++i) {
      c->docs.emplace_back(c->bytes.data() + offsets[i], offsets[i + 1] - offsets[i]);
    }
    return c;
  }();
  return *corpus;
}

// ---- filters -------------------------------------------------------------------------------

const char* const kSimpleEq = R"({"city": "Lyon"})";
const char* const kComplex = R"({
  "$and": [
    {"active": true},
    {"$or": [{"age": {"$lt": 25}},
             {"address.city": {"$in": ["Paris", "Lyon", "Nice"]}},
             {"tags": {"$all": ["red", "blue"]}}]},
    {"$or": [{"nums": {"$elemMatch": {"$gt": 90}}},
             {"items.qty": {"$gte": 9}},
             {"meta.flags.a": true}]}
  ],
  "score": {"$gte": 100}
})";

const std::pair<const char*, const char*> kFilters[] = {
    {"simple_eq", kSimpleEq},
    {"range", R"({"age": {"$gt": 30, "$lt": 40}})"},
    {"in10", R"({"category": {"$in": [3, 14, 15, 92, 65, 35, 89, 79, 32, 38]}})"},
    {"regex_prefix", R"({"name": {"$regex": "^Al"}})"},
    {"dotted_array", R"({"items.sku": "sku-42"})"},
    {"elem_match", R"({"items": {"$elemMatch": {"qty": {"$gte": 8}, "price": {"$lt": 20}}}})"},
    {"complex", kComplex},
};

Document ParseJson(const char* json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) {
    std::fprintf(stderr, "bad filter JSON %s: %s\n", json, doc.status().ToString().c_str());
    std::abort();
  }
  return std::move(*doc);
}

// ---- rates and ratios ----------------------------------------------------------------------

// CPU time of this thread: what the framework's items_per_second is computed from.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The rate of the last run of each baseline, for the ratio counters of later rows.
std::map<std::string, double>& BaselineRates() {
  static auto* rates = new std::map<std::string, double>();
  return *rates;
}

void SetRatio(benchmark::State& state, const char* counter, const char* baseline, double rate) {
  auto it = BaselineRates().find(baseline);
  if (it != BaselineRates().end() && it->second > 0) state.counters[counter] = rate / it->second;
}

// Sets items_per_second's twin for the ratio counters; records the rate when `baseline_name`.
void Report(benchmark::State& state, double cpu_seconds, int64_t matched, bool scan_group,
            const char* baseline_name = nullptr) {
  const int64_t examined = static_cast<int64_t>(state.iterations()) * kDocs;
  state.SetItemsProcessed(examined);
  state.counters["matched"] = static_cast<double>(matched);
  const double rate = cpu_seconds > 0 ? static_cast<double>(examined) / cpu_seconds : 0;
  if (baseline_name != nullptr) BaselineRates()[baseline_name] = rate;
  if (scan_group) {
    SetRatio(state, "vs_scan_all", "scan_all", rate);
  } else {
    SetRatio(state, "vs_find_field", "find_field", rate);
    SetRatio(state, "vs_full_walk", "full_walk", rate);
  }
}

// ---- raw BSON iteration --------------------------------------------------------------------

void BM_RawFindField(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  int64_t found = 0;
  uint64_t sum = 0;
  const double start = ThreadCpuSeconds();
  for (auto _ : state) {
    found = 0;
    for (const DocumentView& doc : corpus.docs) {
      bson_t b;
      bson_iter_t it;
      if (doc.AsBson(&b) && bson_iter_init_find(&it, &b, "city") && BSON_ITER_HOLDS_UTF8(&it)) {
        uint32_t len = 0;
        const char* s = bson_iter_utf8(&it, &len);
        sum += len + static_cast<uint8_t>(s[0]);
        ++found;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  Report(state, ThreadCpuSeconds() - start, found, false, "find_field");
}

// Reads every value (recursing into documents and arrays); returns a checksum.
uint64_t Walk(bson_iter_t* it) {
  uint64_t sum = 0;
  while (bson_iter_next(it)) {
    sum += bson_iter_key_len(it);
    switch (bson_iter_type(it)) {
      case BSON_TYPE_UTF8: {
        uint32_t len = 0;
        const char* s = bson_iter_utf8(it, &len);
        sum += len + (len > 0 ? static_cast<uint8_t>(s[len - 1]) : 0);
        break;
      }
      case BSON_TYPE_INT32:
        sum += static_cast<uint64_t>(bson_iter_int32(it));
        break;
      case BSON_TYPE_INT64:
        sum += static_cast<uint64_t>(bson_iter_int64(it));
        break;
      case BSON_TYPE_DOUBLE:
        sum += static_cast<uint64_t>(bson_iter_double(it));
        break;
      case BSON_TYPE_BOOL:
        sum += bson_iter_bool(it) ? 1 : 0;
        break;
      case BSON_TYPE_DATE_TIME:
        sum += static_cast<uint64_t>(bson_iter_date_time(it));
        break;
      case BSON_TYPE_DOCUMENT:
      case BSON_TYPE_ARRAY: {
        bson_iter_t child;
        if (bson_iter_recurse(it, &child)) sum += Walk(&child);
        break;
      }
      default:
        break;
    }
  }
  return sum;
}

void BM_RawFullWalk(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  uint64_t sum = 0;
  const double start = ThreadCpuSeconds();
  for (auto _ : state) {
    for (const DocumentView& doc : corpus.docs) {
      bson_t b;
      bson_iter_t it;
      if (doc.AsBson(&b) && bson_iter_init(&it, &b)) sum += Walk(&it);
    }
    benchmark::DoNotOptimize(sum);
  }
  Report(state, ThreadCpuSeconds() - start, kDocs, false, "full_walk");
}

// ---- filter evaluation in memory -----------------------------------------------------------

void BM_Filter(benchmark::State& state, const char* json) {
  const Corpus& corpus = GetCorpus();
  const Document filter = ParseJson(json);  // the tree borrows these bytes
  auto expr = strata::query::match::ParseFilter(filter.view());
  if (!expr.ok()) {
    state.SkipWithError(expr.status().ToString().c_str());
    return;
  }
  const strata::query::match::MatchExpression& matcher = **expr;
  int64_t matched = 0;
  const double start = ThreadCpuSeconds();
  for (auto _ : state) {
    matched = 0;
    for (const DocumentView& doc : corpus.docs) matched += matcher.Matches(doc) ? 1 : 0;
    benchmark::DoNotOptimize(matched);
  }
  Report(state, ThreadCpuSeconds() - start, matched, false);
}

// ---- end to end through the public API ----------------------------------------------------

// A database in a fresh temporary directory holding the corpus in "bench.docs"; built on first
// use (outside any timed region) and removed by TearDownDatabase().
struct LoadedDatabase {
  std::string dir;
  std::unique_ptr<strata::Database> db;
};

std::unique_ptr<LoadedDatabase>& DatabaseSlot() {
  static auto* slot = new std::unique_ptr<LoadedDatabase>();
  return *slot;
}

LoadedDatabase* GetDatabase(benchmark::State& state) {
  std::unique_ptr<LoadedDatabase>& slot = DatabaseSlot();
  if (slot != nullptr) return slot->db != nullptr ? slot.get() : nullptr;
  slot = std::make_unique<LoadedDatabase>();
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr ? base : "/tmp") + "/strata-filter-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return nullptr;
  }
  slot->dir = pattern;
  strata::DatabaseOptions options;
  options.durability = strata::Durability::kRelaxed;
  auto db = strata::Database::Open(slot->dir, options);
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return nullptr;
  }
  strata::Collection collection = (*db)->GetCollection("bench", "docs");
  const Corpus& corpus = GetCorpus();
  for (size_t begin = 0; begin < corpus.docs.size(); begin += 1000) {
    std::vector<DocumentView> batch(corpus.docs.begin() + static_cast<std::ptrdiff_t>(begin),
                                    corpus.docs.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                              begin + 1000, corpus.docs.size())));
    auto inserted = collection.InsertMany(batch);
    if (!inserted.ok()) {
      state.SkipWithError(inserted.status().ToString().c_str());
      return nullptr;
    }
  }
  slot->db = std::move(*db);
  return slot.get();
}

void TearDownDatabase() {
  std::unique_ptr<LoadedDatabase>& slot = DatabaseSlot();
  if (slot == nullptr) return;
  if (slot->db != nullptr) (void)slot->db->Close();
  slot->db.reset();
  std::error_code ignored;
  if (!slot->dir.empty()) std::filesystem::remove_all(slot->dir, ignored);
  slot.reset();
}

// Drains Collection::Find(filter) once per iteration, counting documents. `json` null = {}.
void BM_Scan(benchmark::State& state, const char* json) {
  LoadedDatabase* loaded = GetDatabase(state);
  if (loaded == nullptr) return;
  strata::Collection collection = loaded->db->GetCollection("bench", "docs");
  const Document filter = json != nullptr ? ParseJson(json) : Document();

  // What the in-memory matcher says, to check the scan returns exactly that.
  auto expr = strata::query::match::ParseFilter(filter.view());
  if (!expr.ok()) {
    state.SkipWithError(expr.status().ToString().c_str());
    return;
  }
  int64_t expected = 0;
  for (const DocumentView& doc : GetCorpus().docs) expected += (*expr)->Matches(doc) ? 1 : 0;

  int64_t returned = 0;
  int64_t bytes = 0;
  const double start = ThreadCpuSeconds();
  for (auto _ : state) {
    returned = 0;
    auto cursor = collection.Find(filter.view());
    if (!cursor.ok()) {
      state.SkipWithError(cursor.status().ToString().c_str());
      return;
    }
    while (true) {
      auto next = cursor->Next();
      if (!next.ok()) {
        state.SkipWithError(next.status().ToString().c_str());
        return;
      }
      if (!next->has_value()) break;
      bytes += static_cast<int64_t>((*next)->size());
      ++returned;
    }
    benchmark::DoNotOptimize(bytes);
  }
  const double cpu = ThreadCpuSeconds() - start;
  if (returned != expected) {
    state.SkipWithError("Find returned a different number of documents than Matches");
    return;
  }
  Report(state, cpu, returned, true, json == nullptr ? "scan_all" : nullptr);
}

// Baselines are registered before the rows whose ratio they provide. Each in-memory row runs
// for at least 0.5 s of CPU, each scan for at least 1 s (a pass takes a good fraction of it).
BENCHMARK(BM_RawFindField)->Name("BM_Raw/find_field")->MinTime(0.5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawFullWalk)->Name("BM_Raw/full_walk")->MinTime(0.5)->Unit(benchmark::kMillisecond);

int RegisterFilters() {
  for (const auto& [name, json] : kFilters) {
    benchmark::RegisterBenchmark((std::string("BM_Filter/") + name).c_str(), BM_Filter, json)
        ->MinTime(0.5)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Scan/all", BM_Scan, nullptr)
      ->MinTime(1.0)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Scan/simple_eq", BM_Scan, kSimpleEq)
      ->MinTime(1.0)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Scan/complex", BM_Scan, kComplex)
      ->MinTime(1.0)
      ->Unit(benchmark::kMillisecond);
  return 0;
}
const int registered = RegisterFilters();

// The console table, then one line per row: its items/s, each baseline's, and the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end() || run.error_occurred) continue;
      if (run.run_type != Run::RT_Iteration) continue;
      auto matched = run.counters.find("matched");
      rows_.push_back({run.run_name.function_name, rate->second.value,
                       matched != run.counters.end() ? matched->second.value : 0});
    }
  }

  void PrintRatios() const {
    double find_field = Rate("BM_Raw/find_field");
    double full_walk = Rate("BM_Raw/full_walk");
    double scan_all = Rate("BM_Scan/all");
    std::printf("\n%-24s %12s %9s %14s %14s %12s\n", "documents examined/s", "docs/s", "matched",
                "/ find_field", "/ full_walk", "/ scan_all");
    for (const Row& row : rows_) {
      std::printf("%-24s %12.0f %9.0f %14s %14s %12s\n", row.name.c_str(), row.rate, row.matched,
                  Ratio(row.rate, find_field).c_str(), Ratio(row.rate, full_walk).c_str(),
                  row.name.rfind("BM_Scan/", 0) == 0 ? Ratio(row.rate, scan_all).c_str() : "");
    }
  }

 private:
  struct Row {
    std::string name;
    double rate;
    double matched;
  };

  double Rate(const std::string& name) const {
    for (const Row& row : rows_) {
      if (row.name == name) return row.rate;
    }
    return 0;
  }
  static std::string Ratio(double rate, double baseline) {
    if (baseline <= 0) return "";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", rate / baseline);
    return text;
  }

  std::vector<Row> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Corpus& corpus = GetCorpus();
  std::printf("corpus: %zu documents, %zu bytes (%.0f bytes/document)\n", corpus.docs.size(),
              corpus.bytes.size(),
              static_cast<double>(corpus.bytes.size()) / static_cast<double>(corpus.docs.size()));
  std::fflush(stdout);
  // Colours only on a terminal, so a captured run (bench/README.md) stays plain text.
  RatioReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                               : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  TearDownDatabase();
  benchmark::Shutdown();
  return 0;
}
