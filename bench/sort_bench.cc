// find's blocking sort in memory against the same sort spilled to disk (allowDiskUse), on the
// same documents in the same run: the price of the external sort (query/sort/external_sorter.h).
//
// A plain main() program, not Google Benchmark: two measurements and their ratio.
//
//   data     STRATA_BENCH_DOCS documents (default 200 000), fixed-seed mt19937_64:
//            {_id: i, k: uniform int64, s: 12 random letters, pad: 60 letters}, ~130 bytes
//            (~26 MB of documents, under the default 100 MiB sort budget).
//   queries  find {sort: {k: 1}} and find {sort: {s: -1, k: 1}} with batchSize 10 000 and
//            getMore until the cursor ends, through Database::RunCommand.
//   modes    in memory: the default budget (DatabaseOptions::aggregation_memory_bytes,
//            100 MiB); spilled: the same directory reopened with STRATA_BENCH_SORT_BUDGET bytes
//            (default 4 MiB, ~7 runs) and allowDiskUse: true. Both modes return the same
//            documents in the same order (checked: the `_id` sequence's hash).
//   timing   wall clock, median of STRATA_BENCH_RUNS runs (default 5) per mode, interleaved.
//
// Report on stdout. See bench/README.md.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using strata::DocumentView;
using Clock = std::chrono::steady_clock;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoll(value) : fallback;
}

Document Parse(const std::string& json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) {
    std::fprintf(stderr, "bad json %s\n", json.c_str());
    std::exit(1);
  }
  return *std::move(doc);
}

bool Ok(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0;
}

// Runs the find to its end; returns the number of documents and a hash of the `_id` sequence.
std::pair<int64_t, uint64_t> RunFind(strata::Database& db, const std::string& sort,
                                     bool allow_disk_use) {
  Document reply = db.RunCommand(Parse(absl::StrCat(R"({"find": "c", "sort": )", sort,
                                                    R"(, "batchSize": 10000, "allowDiskUse": )",
                                                    allow_disk_use ? "true" : "false", "}"))
                                     .view());
  int64_t n = 0;
  uint64_t hash = 1469598103934665603ull;
  while (true) {
    if (!Ok(reply)) {
      std::fprintf(stderr, "find failed: %s\n", reply.ToJson().c_str());
      std::exit(1);
    }
    bson_iter_t it, batch;
    bson_iter_init(&it, reply.bson());
    const bool first = bson_iter_find_descendant(&it, "cursor.firstBatch", &batch);
    if (!first) {
      bson_iter_init(&it, reply.bson());
      bson_iter_find_descendant(&it, "cursor.nextBatch", &batch);
    }
    bson_iter_t doc;
    bson_iter_recurse(&batch, &doc);
    while (bson_iter_next(&doc)) {
      bson_iter_t id;
      bson_iter_recurse(&doc, &id);
      bson_iter_next(&id);  // _id first
      hash = (hash ^ static_cast<uint64_t>(bson_iter_as_int64(&id))) * 1099511628211ull;
      ++n;
    }
    bson_iter_init(&it, reply.bson());
    bson_iter_t cursor_id;
    bson_iter_find_descendant(&it, "cursor.id", &cursor_id);
    const int64_t id = bson_iter_as_int64(&cursor_id);
    if (id == 0) break;
    reply = db.RunCommand(Parse(absl::StrCat(R"({"getMore": {"$numberLong": ")", id,
                                             R"("}, "collection": "c", "batchSize": 10000})"))
                              .view());
  }
  return {n, hash};
}

std::unique_ptr<strata::Database> OpenDb(const std::string& path, size_t budget) {
  strata::DatabaseOptions options;
  options.durability = strata::Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;
  if (budget > 0) options.aggregation_memory_bytes = budget;
  auto db = strata::Database::Open(path, options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(db.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(db);
}

}  // namespace

int main() {
  const int64_t docs = EnvInt("STRATA_BENCH_DOCS", 200000);
  const size_t budget = static_cast<size_t>(EnvInt("STRATA_BENCH_SORT_BUDGET", 4 << 20));
  const int runs = static_cast<int>(EnvInt("STRATA_BENCH_RUNS", 5));
  char tmpl[] = "/tmp/strata_sort_bench_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    auto db = OpenDb(dir, 0);
    std::mt19937_64 rng(20261127);
    auto letters = [&](int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + rng() % 26));
      return s;
    };
    for (int64_t start = 0; start < docs; start += 1000) {
      std::string batch;
      for (int64_t i = start; i < std::min(docs, start + 1000); ++i) {
        absl::StrAppend(&batch, i > start ? ", " : "", R"({"_id": )", i,
                        R"(, "k": {"$numberLong": ")", static_cast<int64_t>(rng() >> 1),
                        R"("}, "s": ")", letters(12), R"(", "pad": ")", letters(60), R"("})");
      }
      Document reply = db->RunCommand(
          Parse(absl::StrCat(R"({"insert": "c", "documents": [)", batch, "]}")).view());
      if (!Ok(reply)) {
        std::fprintf(stderr, "insert failed: %s\n", reply.ToJson().c_str());
        return 1;
      }
    }
    (void)db->Close();
  }
  std::printf(
      "find sort of %lld documents: in memory (100 MiB budget) vs spilled (%zu-byte "
      "budget, allowDiskUse), median of %d runs\n",
      static_cast<long long>(docs), budget, runs);
  std::printf("%-24s %12s %12s %8s %s\n", "sort", "memory ms", "spilled ms", "ratio", "check");
  for (const std::string sort : {R"({"k": 1})", R"({"s": -1, "k": 1})"}) {
    std::vector<double> memory, spilled;
    std::pair<int64_t, uint64_t> memory_result, spilled_result;
    for (int run = 0; run < runs; ++run) {
      for (bool spill : {false, true}) {
        auto db = OpenDb(dir, spill ? budget : 0);
        const auto started = Clock::now();
        auto result = RunFind(*db, sort, spill);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        (spill ? spilled : memory).push_back(ms);
        (spill ? spilled_result : memory_result) = result;
        (void)db->Close();
      }
    }
    std::sort(memory.begin(), memory.end());
    std::sort(spilled.begin(), spilled.end());
    const double m = memory[memory.size() / 2];
    const double s = spilled[spilled.size() / 2];
    const bool same = memory_result == spilled_result && memory_result.first == docs;
    std::printf("%-24s %12.1f %12.1f %7.2fx %s\n", sort.c_str(), m, s, s / m,
                same ? "same order" : "MISMATCH");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
