// Statistics in the planner end to end: histogram estimates from real `analyze` output on known
// distributions (each within its stated error, and the truth always inside the histogram's
// [low, high]); the plan choice driven by the histogram on a skewed field, next to the choice
// dives make; the automatic refresh (db/stats_refresher.h) firing after enough changes and not
// before, and stopping on Close; the planner's statistics cache (db/collection_indexes.h)
// reloading on analyze, index DDL and large data changes and not otherwise.
#include <bson/bson.h>

#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/analyze_collection.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/key_string.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// The ascending key string of a JSON value.
std::string Enc(const std::string& json_value) {
  const Document doc = Json("{\"v\": " + json_value + "}");
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  return document::EncodeKeyString(it);
}

index::Interval Range(const std::string& low, const std::string& high) {
  index::Interval interval;
  interval.low = Enc(low);
  interval.high = Enc(high);
  return interval;
}

class StatisticsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(/*auto_analyze=*/false); }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }
  void Open(bool auto_analyze) {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
    db_.reset();
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    options.auto_analyze = auto_analyze;
    auto db = DatabaseImpl::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }

  std::string Run(const std::string& json) { return Dispatch(*db_, Json(json).view()).ToJson(); }
  void RunOk(const std::string& json) {
    ASSERT_THAT(Run(json), HasSubstr(R"("ok": 1.0)")) << json.substr(0, 200);
  }

  // Inserts `docs` (JSON documents) in batches of 1000.
  void Insert(const std::string& collection, const std::vector<std::string>& docs) {
    for (size_t begin = 0; begin < docs.size(); begin += 1000) {
      std::string batch;
      for (size_t i = begin; i < std::min(docs.size(), begin + 1000); ++i) {
        absl::StrAppend(&batch, i > begin ? ", " : "", docs[i]);
      }
      RunOk(absl::StrCat(R"({"insert": ")", collection, R"(", "documents": [)", batch, "]}"));
    }
  }

  std::string Explain(const std::string& find) {
    return Run(absl::StrCat(R"({"explain": )", find, R"(, "verbosity": "queryPlanner"})"));
  }
  std::string Winning(const std::string& find) {
    const std::string reply = Explain(find);
    const size_t start = reply.find("\"winningPlan\"");
    const size_t end = reply.find("\"rejectedPlans\"");
    EXPECT_NE(start, std::string::npos) << reply;
    return reply.substr(start, end - start);
  }

  int64_t Count(const std::string& collection, const std::string& filter) {
    auto count = db_->Count("test." + collection, Json(filter).view(), 0, 0);
    EXPECT_OK(count);
    return count.ok() ? *count : -1;
  }

  std::shared_ptr<const CollectionIndexes> Compiled(const std::string& collection) {
    auto compiled = db_->index_cache().Get(db_->catalog().Find("test." + collection));
    EXPECT_OK(compiled);
    return compiled.ok() ? *compiled : nullptr;
  }

  // The planner's histogram of index `name` (from the stored analysis).
  std::shared_ptr<const query::planner::LeadingHistogram> Histogram(const std::string& collection,
                                                                    const std::string& name) {
    const CompiledIndex* index = Compiled(collection)->FindByName(name);
    EXPECT_NE(index, nullptr) << name;
    if (index == nullptr) return nullptr;
    auto stored = ReadIndexAnalysis(db_->engine(), index->id());
    EXPECT_OK(stored);
    if (!stored.ok() || !stored->has_value()) return nullptr;
    auto analysis = IndexAnalysis::FromDocument((*stored)->view());
    EXPECT_OK(analysis);
    return analysis.ok() ? analysis->ToHistogram() : nullptr;
  }

  // Checks the histogram's estimate for `interval` against `actual`: the truth inside
  // [low, high], and |estimate − actual| <= max_error × entries. Returns the estimate.
  double Check(const query::planner::LeadingHistogram& h, const index::Interval& interval,
               int64_t actual, double max_error, const std::string& what) {
    const auto e = h.EstimateIntervals({interval});
    const double n = static_cast<double>(h.entries());
    EXPECT_LE(e.low * n, static_cast<double>(actual) + 1e-6) << what;
    EXPECT_GE(e.high * n, static_cast<double>(actual) - 1e-6) << what;
    EXPECT_LE(std::abs(e.fraction * n - static_cast<double>(actual)), max_error * n)
        << what << ": estimated " << e.fraction * n << ", actual " << actual;
    return e.fraction * n;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

// 20 000 documents: u uniform 0..99 999, z Zipf(1) over 1 000 values, e always 7, s strings
// "k<5 digits>" uniform, m a number (even _id) or a string (odd _id).
TEST_F(StatisticsTest, HistogramEstimatesOnKnownDistributions) {
  std::mt19937_64 rng(11);
  std::vector<double> cdf;
  double sum = 0;
  for (int k = 1; k <= 1000; ++k) cdf.push_back(sum += 1.0 / k);
  std::vector<std::string> docs;
  for (int i = 0; i < 20000; ++i) {
    const int u = static_cast<int>(rng() % 100000);
    const double x = std::uniform_real_distribution<double>(0, sum)(rng);
    const int z = static_cast<int>(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin()) + 1;
    char s[16];
    std::snprintf(s, sizeof(s), "k%05d", static_cast<int>(rng() % 100000));
    const std::string m =
        i % 2 == 0 ? std::to_string(rng() % 1000) : absl::StrCat("\"m", rng() % 1000, "\"");
    docs.push_back(absl::StrCat(R"({"_id": )", i, R"(, "u": )", u, R"(, "z": )", z,
                                R"(, "e": 7, "s": ")", s, R"(", "m": )", m, "}"));
  }
  Insert("d", docs);
  RunOk(R"({"createIndexes": "d", "indexes": [{"key": {"u": 1}, "name": "u_1"},
      {"key": {"z": 1}, "name": "z_1"}, {"key": {"e": 1}, "name": "e_1"},
      {"key": {"s": -1}, "name": "s_-1"}, {"key": {"m": 1}, "name": "m_1"}]})");
  RunOk(R"({"analyze": "d"})");

  // Uniform: ranges within 2 % of the entries.
  auto u = Histogram("d", "u_1");
  ASSERT_NE(u, nullptr);
  for (auto [lo, hi] : std::vector<std::pair<int, int>>{
           {0, 99999}, {0, 999}, {500, 1500}, {12345, 54321}, {90000, 99999}, {-5, 10}}) {
    Check(*u, Range(std::to_string(lo), std::to_string(hi)),
          Count("d", absl::StrCat(R"({"u": {"$gte": )", lo, R"(, "$lte": )", hi, "}}")), 0.02,
          absl::StrCat("u in ", lo, "..", hi));
  }
  // Zipf: the frequent values are exact, rare ones within one bucket (1/64) of the truth.
  auto z = Histogram("d", "z_1");
  ASSERT_NE(z, nullptr);
  for (int v : {1, 2, 3, 4}) {
    Check(*z, Range(std::to_string(v), std::to_string(v)),
          Count("d", absl::StrCat(R"({"z": )", v, "}")), 1e-9, absl::StrCat("z = ", v));
  }
  for (int v : {50, 333, 999}) {
    Check(*z, Range(std::to_string(v), std::to_string(v)),
          Count("d", absl::StrCat(R"({"z": )", v, "}")), 1.0 / 64, absl::StrCat("z = ", v));
  }
  Check(*z, Range("10", "500"), Count("d", R"({"z": {"$gte": 10, "$lte": 500}})"), 0.02,
        "z in 10..500");
  // All equal: exact.
  auto e = Histogram("d", "e_1");
  ASSERT_NE(e, nullptr);
  Check(*e, Range("7", "7"), 20000, 0, "e = 7");
  Check(*e, Range("8", "100"), 0, 0, "e in 8..100");
  // Strings on a descending index: within 2 %.
  auto s = Histogram("d", "s_-1");
  ASSERT_NE(s, nullptr);
  Check(*s, Range(R"("k20000")", R"("k40000")"),
        Count("d", R"({"s": {"$gte": "k20000", "$lte": "k40000"}})"), 0.02, "s in k2..k4");
  // Mixed types: numbers sort before strings; each type's range within 2 %.
  auto m = Histogram("d", "m_1");
  ASSERT_NE(m, nullptr);
  Check(*m, Range("0", "499"), Count("d", R"({"m": {"$gte": 0, "$lte": 499}})"), 0.02,
        "m numbers 0..499");
  Check(*m, Range(R"("m")", R"("m5")"), Count("d", R"({"m": {"$gte": "m", "$lte": "m5"}})"), 0.02,
        "m strings m..m5");
}

// A skewed field: k = 0 in 90 % of the documents, else its own value. With the histogram the
// frequent value's count is known exactly (no dive) and the collection scan wins; a rare value
// uses the index. An unanalyzed copy shows where the dives come from.
TEST_F(StatisticsTest, PlanChoiceFollowsTheHistogram) {
  std::vector<std::string> docs;
  for (int i = 0; i < 20000; ++i) {
    docs.push_back(
        absl::StrCat(R"({"_id": )", i, R"(, "k": )", i % 10 == 0 ? i : 0, R"(, "r": )", i, "}"));
  }
  for (const char* collection : {"h", "dives"}) {
    Insert(collection, docs);
    RunOk(absl::StrCat(R"({"createIndexes": ")", collection,
                       R"(", "indexes": [{"key": {"k": 1}, "name": "k_1"},
                           {"key": {"r": 1}, "name": "r_1"}]})"));
  }
  RunOk(R"({"analyze": "h"})");

  std::string frequent = Explain(R"({"find": "h", "filter": {"k": 0}})");
  EXPECT_THAT(Winning(R"({"find": "h", "filter": {"k": 0}})"), HasSubstr(R"("COLLSCAN")"));
  EXPECT_THAT(frequent, HasSubstr(R"("keysFrom": "histogram")")) << frequent;
  std::string rare = Winning(R"({"find": "h", "filter": {"k": 12340}})");
  EXPECT_THAT(rare, HasSubstr(R"("indexName": "k_1")"));
  // A wide range is estimated from the histogram alone and scanned; a narrow one by index.
  std::string wide = Explain(R"({"find": "h", "filter": {"r": {"$gte": 1000, "$lt": 15000}}})");
  EXPECT_THAT(wide, HasSubstr(R"("keysFrom": "histogram")")) << wide;
  EXPECT_THAT(Winning(R"({"find": "h", "filter": {"r": {"$gte": 1000, "$lt": 15000}}})"),
              HasSubstr(R"("COLLSCAN")"));
  // A range inside one bucket: the histogram is coarse there, a dive refines it.
  std::string narrow = Explain(R"({"find": "h", "filter": {"r": {"$gte": 100, "$lt": 110}}})");
  EXPECT_THAT(narrow, HasSubstr(R"("keysFrom": "histogram+dive")")) << narrow;
  EXPECT_THAT(Winning(R"({"find": "h", "filter": {"r": {"$gte": 100, "$lt": 110}}})"),
              HasSubstr(R"("indexName": "r_1")"));

  // Data moved since the analysis (450 documents, under the refresh threshold): alone the
  // histogram would call k = 777 absent; the modifications make its estimate coarse, and the
  // dive that refines it sees the 450 (counts to the cap). The frequent value stays precise.
  RunOk(R"({"update": "h", "updates": [{"q": {"_id": {"$lt": 500}, "k": 0},
      "u": {"$set": {"k": 777}}, "multi": true}]})");
  const std::string moved = Winning(R"({"find": "h", "filter": {"k": 777}})");
  EXPECT_THAT(moved, HasSubstr(R"("keysFrom": "histogram+dive")")) << moved;
  EXPECT_THAT(moved, HasSubstr(R"("indexName": "k_1")"));
  EXPECT_THAT(moved, Not(HasSubstr(R"("keysExamined": 0.0)"))) << moved;
  EXPECT_THAT(Explain(R"({"find": "h", "filter": {"k": 0}})"),
              HasSubstr(R"("keysFrom": "histogram")"));

  // Dives alone (no analysis): exact below the dive cap, so the rare value agrees. Past the cap
  // they extrapolate from RocksDB's approximate sizes, which for data still in the memtable can
  // come out near 0 (the frequent value or the wide range then "costs" 256 keys): the reason
  // the planner prefers a precise histogram, and why no choice past the cap is asserted here.
  EXPECT_THAT(Explain(R"({"find": "dives", "filter": {"k": 0}})"),
              HasSubstr(R"("keysFrom": "dive")"));
  EXPECT_THAT(Winning(R"({"find": "dives", "filter": {"k": 12340}})"),
              HasSubstr(R"("indexName": "k_1")"));
}

TEST_F(StatisticsTest, AutoAnalyzeAfterEnoughChangesAndNotBefore) {
  Open(/*auto_analyze=*/true);
  StatsRefresher* refresher = db_->stats_refresher();
  ASSERT_NE(refresher, nullptr);
  auto docs = [](int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i)
      out.push_back(absl::StrCat(R"({"_id": )", i, R"(, "a": )", i, "}"));
    return out;
  };
  Insert("c", docs(0, 900));
  RunOk(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  const index::IndexId id = Compiled("c")->FindByName("a_1")->id();
  auto stored = [&]() -> std::optional<IndexAnalysis> {
    refresher->WaitIdle();
    auto doc = ReadIndexAnalysis(db_->engine(), id);
    EXPECT_OK(doc);
    if (!doc.ok() || !doc->has_value()) return std::nullopt;
    auto analysis = IndexAnalysis::FromDocument((*doc)->view());
    EXPECT_OK(analysis);
    return analysis.ok() ? std::optional<IndexAnalysis>(std::move(*analysis)) : std::nullopt;
  };
  // 900 documents: not enough (the rule: > 10 % of 0 analyzed + 1 000).
  RunOk(R"({"find": "c", "filter": {"a": 5}})");
  EXPECT_FALSE(stored().has_value());
  EXPECT_EQ(refresher->completed(), 0);
  // 1 100: the next planning call asks for it, and it runs in the background.
  Insert("c", docs(900, 1100));
  RunOk(R"({"find": "c", "filter": {"a": 5}})");
  std::optional<IndexAnalysis> first = stored();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->documents, 1100);
  EXPECT_EQ(first->entries, 1100);
  EXPECT_EQ(refresher->completed(), 1);
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"a": {"$gte": 0}}})"),
              HasSubstr(R"("keysFrom": "histogram")"));
  // 1 000 updates: under 10 % of 1 100 + 1 000 = 1 110 — still fresh.
  RunOk(R"({"update": "c", "updates": [{"q": {"a": {"$lt": 1000}}, "u": {"$inc": {"a": 1}},
      "multi": true}]})");
  RunOk(R"({"find": "c", "filter": {"a": 5}})");
  refresher->WaitIdle();
  EXPECT_EQ(refresher->completed(), 1);
  // 200 more: 1 200 modifications — stale: the planner stops using it and a new one runs.
  RunOk(R"({"update": "c", "updates": [{"q": {"a": {"$lt": 201}}, "u": {"$inc": {"a": 1}},
      "multi": true}]})");
  RunOk(R"({"find": "c", "filter": {"a": 5}})");
  std::optional<IndexAnalysis> second = stored();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(refresher->completed(), 2);
  EXPECT_GE(second->analyzed_at, first->analyzed_at);
  // Nothing changed since: no more analyses.
  for (int i = 0; i < 5; ++i) RunOk(R"({"find": "c", "filter": {"a": 5}})");
  refresher->WaitIdle();
  EXPECT_EQ(refresher->completed(), 2);
}

TEST_F(StatisticsTest, RefresherStopsCleanlyOnClose) {
  Open(/*auto_analyze=*/true);
  std::vector<std::string> docs;
  for (int i = 0; i < 60000; ++i) {
    docs.push_back(absl::StrCat(R"({"_id": )", i, R"(, "a": )", i % 977, R"(, "b": )", i, "}"));
  }
  Insert("big", docs);
  RunOk(R"({"createIndexes": "big", "indexes": [{"key": {"a": 1}, "name": "a_1"},
      {"key": {"b": 1}, "name": "b_1"}]})");
  // Asks for an analysis and closes at once: Close cancels it and joins the thread.
  RunOk(R"({"find": "big", "filter": {"a": 5}})");
  ASSERT_OK(db_->Close());
  db_.reset();
  // The database reopens fine, and a later analysis (here: by hand) works.
  Open(/*auto_analyze=*/true);
  RunOk(R"({"analyze": "big"})");
  EXPECT_THAT(Explain(R"({"find": "big", "filter": {"a": 5}})"), HasSubstr("histogram"));
  // A refresher with work queued and none running stops too.
  db_->stats_refresher()->Request(12345);
  db_->stats_refresher()->Stop();
  db_->stats_refresher()->Request(db_->catalog().Find("test.big")->id);  // ignored once stopped
  db_->stats_refresher()->WaitIdle();
}

TEST_F(StatisticsTest, CachedStatisticsReloadOnAnalyzeIndexChangesAndLargeDataChanges) {
  std::vector<std::string> docs;
  for (int i = 0; i < 1000; ++i) {
    docs.push_back(absl::StrCat(R"({"_id": )", i, R"(, "a": )", i, R"(, "b": )", i % 10, "}"));
  }
  Insert("c", docs);
  RunOk(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  const std::string query = R"({"find": "c", "filter": {"a": {"$gte": 10}}})";
  std::shared_ptr<const CollectionIndexes> compiled = Compiled("c");
  EXPECT_EQ(compiled->statistics_loads(), 0);
  RunOk(query);
  RunOk(query);
  RunOk(R"({"find": "c", "filter": {"a": 3}})");
  EXPECT_EQ(compiled->statistics_loads(), 1);  // read once, then cached
  EXPECT_THAT(Explain(query), HasSubstr(R"("keysFrom": "dive")"));

  // analyze: the same compiled set reloads, and the histogram is used.
  RunOk(R"({"analyze": "c"})");
  EXPECT_THAT(Explain(query), HasSubstr(R"("keysFrom": "histogram")"));
  EXPECT_EQ(compiled->statistics_loads(), 2);
  RunOk(query);
  EXPECT_EQ(compiled->statistics_loads(), 2);

  // A few writes: no reload (1/16 of 1 000 + 8 = 70 allowed).
  Insert("c", {R"({"_id": 5000, "a": 5000})", R"({"_id": 5001, "a": 5001})"});
  RunOk(query);
  EXPECT_EQ(compiled->statistics_loads(), 2);
  // A large change: the counters reload (the entry count follows).
  std::vector<std::string> more;
  for (int i = 10000; i < 10100; ++i)
    more.push_back(absl::StrCat(R"({"_id": )", i, R"(, "a": )", i, "}"));
  Insert("c", more);
  RunOk(query);
  EXPECT_EQ(compiled->statistics_loads(), 3);
  {
    auto indexes = PlannerIndexes(*compiled, db_->engine());
    ASSERT_OK(indexes);
    ASSERT_EQ(indexes->size(), 1u);
    EXPECT_EQ((*indexes)[0].entries, 1102);
    EXPECT_NE((*indexes)[0].histogram, nullptr);
  }

  // createIndex: a new compiled set with its own statistics, the new index's included.
  RunOk(R"({"createIndexes": "c", "indexes": [{"key": {"b": 1}, "name": "b_1"}]})");
  std::shared_ptr<const CollectionIndexes> after_create = Compiled("c");
  EXPECT_NE(after_create.get(), compiled.get());
  RunOk(query);
  EXPECT_EQ(after_create->statistics_loads(), 1);
  {
    auto indexes = PlannerIndexes(*after_create, db_->engine());
    ASSERT_OK(indexes);
    ASSERT_EQ(indexes->size(), 2u);
    EXPECT_EQ((*indexes)[1].entries, 1102);       // b_1: every document (null keys for no b)
    EXPECT_EQ((*indexes)[1].histogram, nullptr);  // never analyzed
  }
  // dropIndex: again a new set, without the dropped index.
  RunOk(R"({"dropIndexes": "c", "index": "a_1"})");
  std::shared_ptr<const CollectionIndexes> after_drop = Compiled("c");
  EXPECT_NE(after_drop.get(), after_create.get());
  RunOk(R"({"find": "c", "filter": {"b": 3}})");
  EXPECT_EQ(after_drop->statistics_loads(), 1);
  auto indexes = PlannerIndexes(*after_drop, db_->engine());
  ASSERT_OK(indexes);
  ASSERT_EQ(indexes->size(), 1u);
  EXPECT_EQ((*indexes)[0].name, "b_1");
}

}  // namespace
}  // namespace strata::db
