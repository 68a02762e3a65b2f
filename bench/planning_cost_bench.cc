// What the planner's statistics cache (db/collection_indexes.h) saves on each non-`_id` query:
// the cost of planning a find (DatabaseImpl::Query: parse, snapshot, PlannerIndexes,
// ChoosePlan; no document read) with the cached per-index statistics, next to the same with the
// cache invalidated before every query, which makes it read the collection counter, every
// index's entry counter and every index's analysis record from RocksDB (the reads the planner
// made per query before the cache, plus the collection counter and the analysis records — so
// the ratio slightly overstates the saving against the old code).
//
// Data: 20 000 documents {_id, a: i % 1000, b: i, c: i % 7, d: "s<i>"}, indexes a_1, b_1,
// c_1, d_1, analyzed (with_analysis) or not. Query: {a: 5, b: {$gte: 100}} with limit 1 — two
// bounded candidates, both dived or estimated. Rates are CPU time per planned query.
//
//   build/bench/planning_cost_bench            # about 10 s
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"

namespace {

using strata::Document;

struct Fixture {
  std::string dir;
  std::unique_ptr<strata::db::DatabaseImpl> db;
  uint32_t collection_id = 0;

  explicit Fixture(bool analyzed) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/strata-pcost-XXXXXX";
    dir = mkdtemp(pattern.data());
    strata::DatabaseOptions options;
    options.durability = strata::Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    options.auto_analyze = false;
    db = std::move(*strata::db::DatabaseImpl::Open(dir, options));
    for (int chunk = 0; chunk < 20; ++chunk) {
      std::string docs;
      for (int i = chunk * 1000; i < (chunk + 1) * 1000; ++i) {
        absl::StrAppend(&docs, i % 1000 ? ", " : "", R"({"_id": )", i, R"(, "a": )", i % 1000,
                        R"(, "b": )", i, R"(, "c": )", i % 7, R"(, "d": "s)", i, R"("})");
      }
      Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
    }
    Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
        {"key": {"b": 1}, "name": "b_1"}, {"key": {"c": 1}, "name": "c_1"},
        {"key": {"d": 1}, "name": "d_1"}]})");
    if (analyzed) Run(R"({"analyze": "c"})");
    collection_id = db->catalog().Find("test.c")->id;
  }
  ~Fixture() {
    db->Close().IgnoreError();
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  void Run(const std::string& json) {
    Document reply = strata::db::Dispatch(*db, Document::FromJson(json)->view());
    (void)reply;
  }
};

void Plan(benchmark::State& state, bool analyzed, bool invalidate) {
  Fixture fixture(analyzed);
  const Document filter = *Document::FromJson(R"({"a": 5, "b": {"$gte": 100}})");
  for (auto _ : state) {
    if (invalidate) fixture.db->engine().change_counters().Invalidate(fixture.collection_id);
    strata::db::QuerySpec spec;
    spec.filter = filter.Clone();
    spec.limit = 1;
    spec.use_plan_cache = false;  // plan every time (the plan cache would skip the candidates)
    auto execution = fixture.db->Query("test.c", std::move(spec));
    if (!execution.ok()) state.SkipWithError("query failed");
    benchmark::DoNotOptimize(execution);
  }
}

void BM_PlanCachedStatistics(benchmark::State& state) { Plan(state, state.range(0) != 0, false); }
void BM_PlanReloadedStatistics(benchmark::State& state) { Plan(state, state.range(0) != 0, true); }

BENCHMARK(BM_PlanCachedStatistics)->ArgName("with_analysis")->Arg(0)->Arg(1);
BENCHMARK(BM_PlanReloadedStatistics)->ArgName("with_analysis")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
