// aggregate_bench: the aggregation pipeline's two headline costs, each next to a baseline
// measured in the same run.
//
//   1. $lookup of OUTER outer documents (default 100 000) against FOREIGN foreign documents
//      (default 1 000 000, 10 matches per outer document, an index on the foreign field) under
//      each join strategy, forced, and under the planner's choice. The nested-loop scan costs
//      OUTER × FOREIGN key tests, so it runs on the first 200 outer documents only and its time
//      is extrapolated linearly (printed as such).
//   2. $group of the FOREIGN documents into 1 000 groups ({$sum}, {$sum: 1}) next to a
//      hand-written loop over the same BSON: (a) over the documents already in memory, (b) over
//      a find cursor of the collection (the same storage read the pipeline does).
//
// Times are process CPU seconds. Every $lookup runs with a 2 GiB memory budget (so the hash
// join may hold the foreign side); the planner's choice is costed with that budget too.
//
//   aggregate_bench            full size (loads 1.1M documents; a few minutes on 2 cores)
//   aggregate_bench --small    OUTER 10 000, FOREIGN 100 000 (also STRATA_BENCH_SMALL=1)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "strata/database.h"

namespace {

// Process CPU time, not wall-clock: the machines these run on are shared, and CPU time is what
// the strategies spend (every strategy is single-threaded; RocksDB's background threads add
// little to reads).
struct Clock {
  using time_point = double;
  static double now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
};

double Seconds(Clock::time_point start) { return Clock::now() - start; }

strata::Document Json(const std::string& text) {
  auto doc = strata::Document::FromJson(text);
  if (!doc.ok()) {
    std::fprintf(stderr, "bad JSON %s\n", text.c_str());
    std::exit(1);
  }
  return std::move(*doc);
}

strata::Document PipelineArray(const std::string& text) {
  strata::Document wrapped = Json("{\"p\": " + text + "}");
  bson_iter_t it;
  bson_iter_init_find(&it, wrapped.bson(), "p");
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_array(&it, &len, &data);
  return strata::Document::Copy(strata::DocumentView(data, len));
}

void Load(strata::Collection& coll, int64_t n, bool foreign, int64_t outer) {
  std::vector<strata::Document> batch;
  for (int64_t i = 0; i < n; ++i) {
    strata::Document d;
    bson_t* b = d.mutable_bson();
    bson_append_int64(b, "_id", 3, i);
    if (foreign) {
      bson_append_int64(b, "fk", 2, i % outer);
      bson_append_int32(b, "g", 1, static_cast<int32_t>(i % 1000));
      bson_append_int32(b, "v", 1, static_cast<int32_t>(i % 97));
      bson_append_utf8(b, "name", 4, "foreign document payload", -1);
    } else {
      bson_append_int64(b, "k", 1, i);
      bson_append_utf8(b, "name", 4, "outer", -1);
    }
    batch.push_back(std::move(d));
    if (batch.size() == 10000 || i + 1 == n) {
      std::vector<strata::DocumentView> views;
      for (const auto& doc : batch) views.push_back(doc.view());
      auto result = coll.InsertMany(views);
      if (!result.ok()) {
        std::fprintf(stderr, "insert failed: %s\n", std::string(result.status().message()).c_str());
        std::exit(1);
      }
      batch.clear();
    }
  }
}

struct Timed {
  double seconds;
  int64_t checksum;
};

Timed RunLookup(strata::Collection& outer, std::string_view strategy, int64_t limit) {
  std::string pipeline = "[";
  if (limit > 0) pipeline += "{\"$limit\": " + std::to_string(limit) + "}, ";
  pipeline +=
      "{\"$lookup\": {\"from\": \"foreign\", \"localField\": \"k\", \"foreignField\": \"fk\", "
      "\"as\": \"j\"}}, {\"$project\": {\"n\": {\"$size\": \"$j\"}}}, "
      "{\"$group\": {\"_id\": null, \"n\": {\"$sum\": \"$n\"}}}]";
  strata::Document p = PipelineArray(pipeline);
  strata::AggregateOptions options;
  options.join_strategy = strategy;
  options.memory_limit_bytes = size_t{2} << 30;  // let the hash join hold the foreign side
  auto start = Clock::now();
  auto result = outer.Aggregate(p.view(), options);
  double seconds = Seconds(start);
  if (!result.ok()) {
    std::fprintf(stderr, "lookup (%s) failed: %s\n", std::string(strategy).c_str(),
                 std::string(result.status().message()).c_str());
    std::exit(1);
  }
  int64_t n = 0;
  bson_iter_t it;
  if (!result->empty() && bson_iter_init_find(&it, (*result)[0].bson(), "n")) {
    n = bson_iter_as_int64(&it);
  }
  return {seconds, n};
}

}  // namespace

int main(int argc, char** argv) {
  bool small = std::getenv("STRATA_BENCH_SMALL") != nullptr;
  for (int i = 1; i < argc; ++i) small |= std::strcmp(argv[i], "--small") == 0;
  const int64_t kOuter = small ? 10000 : 100000;
  const int64_t kForeign = small ? 100000 : 1000000;
  const int64_t kScanSample = 200;

  std::string dir = (std::getenv("TMPDIR") != nullptr ? std::string(std::getenv("TMPDIR"))
                                                      : std::string("/tmp")) +
                    "/strata-aggregate-bench-" + std::to_string(::getpid());
  strata::DatabaseOptions options;
  options.durability = strata::Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;
  {
    auto db = strata::Database::Open(dir, options);
    if (!db.ok()) {
      std::fprintf(stderr, "open failed\n");
      return 1;
    }
    strata::Collection outer = (*db)->GetCollection("bench", "outer");
    strata::Collection foreign = (*db)->GetCollection("bench", "foreign");
    auto start = Clock::now();
    Load(outer, kOuter, false, kOuter);
    Load(foreign, kForeign, true, kOuter);
    if (!foreign.CreateIndex(Json("{\"fk\": 1}").view()).ok()) return 1;
    std::printf("loaded %lld outer + %lld foreign documents, index on fk: %.1f s\n\n",
                static_cast<long long>(kOuter), static_cast<long long>(kForeign), Seconds(start));

    std::printf("$lookup of %lld outer documents against %lld foreign (10 matches each)\n",
                static_cast<long long>(kOuter), static_cast<long long>(kForeign));
    struct Row {
      const char* name;
      const char* strategy;
      int64_t limit;
    };
    const Row rows[] = {{"indexed nested loop", "indexedLoop", 0},
                        {"hash join", "hash", 0},
                        {"nested-loop scan (200 outer, extrapolated)", "nestedLoop", kScanSample},
                        {"planner's choice", "", 0}};
    double best = 0;
    std::vector<std::pair<std::string, double>> results;
    for (const Row& row : rows) {
      Timed t = RunLookup(outer, row.strategy, row.limit);
      double total = row.limit > 0
                         ? t.seconds * static_cast<double>(kOuter) / static_cast<double>(row.limit)
                         : t.seconds;
      int64_t expected = (row.limit > 0 ? row.limit : kOuter) * (kForeign / kOuter);
      if (t.checksum != expected) {
        std::fprintf(stderr, "%s: joined %lld rows, expected %lld\n", row.name,
                     static_cast<long long>(t.checksum), static_cast<long long>(expected));
        return 1;
      }
      results.emplace_back(row.name, total);
      if (best == 0 || total < best) best = total;
    }
    for (const auto& [name, seconds] : results) {
      std::printf("  %-45s %8.2f s   %6.2fx the fastest\n", name.c_str(), seconds, seconds / best);
    }
    {
      strata::Document explain = (*db)->RunCommand(
          "bench",
          Json("{\"explain\": {\"aggregate\": \"outer\", \"pipeline\": [{\"$lookup\": {\"from\": "
               "\"foreign\", \"localField\": \"k\", \"foreignField\": \"fk\", \"as\": \"j\"}}], "
               "\"cursor\": {}, \"$_internalMemoryLimitBytes\": 2147483648}, \"verbosity\": "
               "\"queryPlanner\"}")
              .view());
      std::string json = explain.ToJson();
      size_t at = json.find("\"joinStrategy\": {\"strategy\": \"");
      if (at != std::string::npos) {
        size_t begin = at + 30;
        std::printf("  (the planner chose %s)\n",
                    json.substr(begin, json.find('"', begin) - begin).c_str());
      }
    }

    std::printf("\n$group of %lld documents into 1000 groups ({$sum: \"$v\"}, {$sum: 1})\n",
                static_cast<long long>(kForeign));
    strata::Document group = PipelineArray(
        "[{\"$group\": {\"_id\": \"$g\", \"s\": {\"$sum\": \"$v\"}, \"n\": {\"$sum\": 1}}}]");
    start = Clock::now();
    auto grouped = foreign.Aggregate(group.view());
    double pipeline_seconds = Seconds(start);
    if (!grouped.ok() || grouped->size() != 1000) return 1;

    // Hand-written loop over a find cursor (same storage read).
    start = Clock::now();
    absl::flat_hash_map<int32_t, std::pair<int64_t, int64_t>> sums;
    std::vector<strata::Document> in_memory;
    {
      auto cursor = foreign.Find(strata::DocumentView());
      if (!cursor.ok()) return 1;
      while (true) {
        auto next = cursor->Next();
        if (!next.ok() || !next->has_value()) break;
        bson_iter_t it;
        int32_t g = 0, v = 0;
        if (bson_iter_init_find(&it, (*next)->bson(), "g")) g = bson_iter_int32(&it);
        if (bson_iter_init_find(&it, (*next)->bson(), "v")) v = bson_iter_int32(&it);
        auto& s = sums[g];
        s.first += v;
        s.second += 1;
        in_memory.push_back(std::move(**next));
      }
    }
    double cursor_seconds = Seconds(start);
    // Hand-written loop over the same BSON already in memory.
    start = Clock::now();
    absl::flat_hash_map<int32_t, std::pair<int64_t, int64_t>> sums2;
    for (const strata::Document& d : in_memory) {
      bson_iter_t it;
      int32_t g = 0, v = 0;
      if (bson_iter_init_find(&it, d.bson(), "g")) g = bson_iter_int32(&it);
      if (bson_iter_init_find(&it, d.bson(), "v")) v = bson_iter_int32(&it);
      auto& s = sums2[g];
      s.first += v;
      s.second += 1;
    }
    double memory_seconds = Seconds(start);
    if (sums.size() != 1000 || sums2.size() != 1000) return 1;
    std::printf("  %-45s %8.3f s\n", "$group pipeline (Collection::Aggregate)", pipeline_seconds);
    std::printf("  %-45s %8.3f s   pipeline / loop = %.2fx\n",
                "hand loop over a find cursor (+ copy)", cursor_seconds,
                pipeline_seconds / cursor_seconds);
    std::printf("  %-45s %8.3f s   pipeline / loop = %.2fx\n", "hand loop over in-memory BSON",
                memory_seconds, pipeline_seconds / memory_seconds);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
