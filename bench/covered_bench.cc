// covered_bench: a covered plan (PROJECTION_COVERED ← IXSCAN, no FETCH) against the fetching
// plan over the SAME index (PROJECTION ← FETCH ← IXSCAN), on STRATA_BENCH_DOCS documents
// (default 200 000) of ~300 bytes: {_id: i, a: a permutation of 0..N-1, b: a % 1000, pad}.
// Index {a: 1, b: 1}. Each query runs hinted to that index twice: projection {a: 1, b: 1,
// _id: 0} (covered) and {a: 1, b: 1} (returning `_id`, which the index lacks, so each entry's
// document is fetched, in random `_id` order since `a` is a permutation). Both run through
// Database::RunCommand to exhaustion (batchSize STRATA_BENCH_BATCH, default 1000; getMore until the
// cursor is done), interleaved, STRATA_BENCH_RUNS rounds (default 7); the report is each plan's
// median and the fetching / covered ratio. Explain checks the shapes (and totalDocsExamined 0 when
// covered) before timing. A plain main() program. See bench/README.md.
#include <bson/bson.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "strata/database.h"
#include "strata/document.h"
#include "strata/options.h"

namespace {

using strata::Document;
using Clock = std::chrono::steady_clock;

constexpr const char* kDb = "bench";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "covered_bench: %s\n", message.c_str());
  std::exit(1);
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr || *value == '\0' ? fallback : std::strtoll(value, nullptr, 10);
}

// find's and getMore's batchSize: STRATA_BENCH_BATCH (default 1000).
int64_t BatchSize() { return EnvInt("STRATA_BENCH_BATCH", 1000); }

Document Json(const std::string& json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) Die("bad JSON: " + json);
  return *std::move(doc);
}

bool ReplyOk(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0;
}

Document MustRun(strata::Database& db, const std::string& json) {
  Document reply = db.RunCommand(kDb, Json(json).view());
  if (!ReplyOk(reply)) Die(json + " failed: " + reply.ToJson());
  return reply;
}

// Runs `find` to exhaustion; returns milliseconds and sets `*returned`.
double RunFind(strata::Database& db, const std::string& find, int64_t* returned) {
  const Clock::time_point start = Clock::now();
  Document reply = MustRun(db, find);
  *returned = 0;
  const char* batch = "cursor.firstBatch";
  while (true) {
    bson_iter_t it, array;
    int64_t id = 0;
    if (bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, batch, &array) &&
        bson_iter_recurse(&array, &it)) {
      while (bson_iter_next(&it)) ++*returned;
    }
    if (bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, "cursor.id", &array)) {
      id = bson_iter_as_int64(&array);
    }
    if (id == 0) break;
    reply =
        MustRun(db, absl::StrCat(R"({"getMore": {"$numberLong": ")", id,
                                 R"("}, "collection": "docs", "batchSize": )", BatchSize(), "}"));
    batch = "cursor.nextBatch";
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Query {
  std::string label;
  std::string filter;
};

}  // namespace

int main() {
  const int64_t n = EnvInt("STRATA_BENCH_DOCS", 200000);
  const int rounds = static_cast<int>(std::max<int64_t>(1, EnvInt("STRATA_BENCH_RUNS", 7)));
  const char* base = std::getenv("TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/strata-cbench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp failed");
  {
    strata::DatabaseOptions options;
    options.durability = strata::Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto opened = strata::Database::Open(dir, options);
    if (!opened.ok()) Die("open: " + opened.status().ToString());
    std::unique_ptr<strata::Database> db = *std::move(opened);

    const std::string pad(240, 'x');
    for (int64_t start = 0; start < n; start += 1000) {
      std::string docs;
      for (int64_t i = start; i < std::min(n, start + 1000); ++i) {
        const int64_t a = (i * 7919) % n;  // a permutation (7919 is prime, n not its multiple)
        absl::StrAppend(&docs, i > start ? ", " : "", R"({"_id": )", i, R"(, "a": )", a,
                        R"(, "b": )", a % 1000, R"(, "pad": ")", pad, R"("})");
      }
      MustRun(*db, absl::StrCat(R"({"insert": "docs", "documents": [)", docs, "]}"));
    }
    MustRun(*db,
            R"({"createIndexes": "docs", "indexes": [{"key": {"a": 1, "b": 1}, "name": "a_b"}]})");
    std::printf("covered_bench: %lld documents, %d rounds\n", static_cast<long long>(n), rounds);

    const std::vector<Query> queries = {
        {"a in 0.5% range", absl::StrCat(R"({"a": {"$gte": 1000, "$lt": )", 1000 + n / 200, "}}")},
        {"a in 10% range", absl::StrCat(R"({"a": {"$gte": 0, "$lt": )", n / 10, "}}")},
        {"a in 10% range, b < 100 (residual on the key)",
         absl::StrCat(R"({"a": {"$gte": 0, "$lt": )", n / 10, R"(}, "b": {"$lt": 100}})")},
        {"whole index", R"({"a": {"$gte": 0}})"},
    };
    std::printf(
        "\n| query | rows | covered ms | fetching ms | fetching / covered |\n"
        "| --- | --- | --- | --- | --- |\n");
    for (const Query& query : queries) {
      const std::string covered = absl::StrCat(
          R"({"find": "docs", "filter": )", query.filter,
          R"(, "projection": {"a": 1, "b": 1, "_id": 0}, "hint": "a_b", "batchSize": )",
          BatchSize(), "}");
      const std::string fetching = absl::StrCat(
          R"({"find": "docs", "filter": )", query.filter,
          R"(, "projection": {"a": 1, "b": 1}, "hint": "a_b", "batchSize": )", BatchSize(), "}");
      const std::string covered_explain =
          MustRun(*db,
                  absl::StrCat(R"({"explain": )", covered, R"(, "verbosity": "executionStats"})"))
              .ToJson();
      const std::string fetching_explain =
          MustRun(*db,
                  absl::StrCat(R"({"explain": )", fetching, R"(, "verbosity": "executionStats"})"))
              .ToJson();
      if (covered_explain.find("PROJECTION_COVERED") == std::string::npos ||
          covered_explain.find("\"totalDocsExamined\": 0,") == std::string::npos) {
        Die("not covered: " + covered_explain);
      }
      if (fetching_explain.find("FETCH") == std::string::npos) Die("no FETCH: " + fetching_explain);
      std::vector<double> covered_ms, fetching_ms;
      int64_t rows_covered = 0, rows_fetching = 0;
      for (int round = 0; round < rounds; ++round) {
        covered_ms.push_back(RunFind(*db, covered, &rows_covered));
        fetching_ms.push_back(RunFind(*db, fetching, &rows_fetching));
      }
      if (rows_covered != rows_fetching) Die("row counts differ for " + query.label);
      const double c = Median(covered_ms), f = Median(fetching_ms);
      std::printf("| %s | %lld | %.2f | %.2f | %.2fx |\n", query.label.c_str(),
                  static_cast<long long>(rows_covered), c, f, f / c);
      std::fflush(stdout);
    }
    if (!db->Close().ok()) Die("close failed");
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
