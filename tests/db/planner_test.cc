// The cost-based planner end to end, through find and explain: plan choice on data with known
// distributions, hints, sort-providing indexes, multikey deduplication, hidden/sparse/partial
// rules, execution counters; and the answer never depends on the plan (randomized queries run
// under every hint give the same documents).
#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/query_execution.h"
#include "query/sort/sort_spec.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = DatabaseImpl::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }

  std::string Run(const std::string& json) { return Dispatch(*db_, Json(json).view()).ToJson(); }

  // 2000 documents: a unique 0..1999, b = a % 2, c = a % 100, tags = [a % 7, a % 11].
  void Load() {
    std::string docs;
    for (int i = 0; i < 2000; ++i) {
      absl::StrAppend(&docs, i ? ", " : "", R"({"_id": )", i, R"(, "a": )", i, R"(, "b": )", i % 2,
                      R"(, "c": )", i % 100, R"(, "tags": [)", i % 7, ", ", i % 11, "]}");
    }
    ASSERT_THAT(Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}")),
                HasSubstr(R"("n": 2000)"));
    ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [
        {"key": {"a": 1}, "name": "a_1"}, {"key": {"b": 1}, "name": "b_1"},
        {"key": {"c": 1, "a": -1}, "name": "c_1_a_-1"}, {"key": {"tags": 1}, "name": "tags_1"}]})"),
                HasSubstr(R"("ok": 1.0)"));
  }

  std::string Explain(const std::string& find, const char* verbosity = "queryPlanner") {
    return Run(absl::StrCat(R"({"explain": )", find, R"(, "verbosity": ")", verbosity, R"("})"));
  }

  // The winning plan's part of an explain reply (up to rejectedPlans).
  std::string Winning(const std::string& find) {
    std::string reply = Explain(find);
    size_t start = reply.find("\"winningPlan\"");
    size_t end = reply.find("\"rejectedPlans\"");
    EXPECT_NE(start, std::string::npos) << reply;
    return reply.substr(start, end - start);
  }

  std::set<int64_t> Ids(const std::string& find) {
    std::string reply = Run(find);
    EXPECT_THAT(reply, HasSubstr(R"("ok": 1.0)")) << find;
    std::set<int64_t> ids;
    for (size_t pos = reply.find("{\"_id\": "); pos != std::string::npos;
         pos = reply.find("{\"_id\": ", pos + 1)) {
      ids.insert(std::stoll(reply.substr(pos + 8)));
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

TEST_F(PlannerTest, SelectiveIndexBeatsCollectionScan) {
  Load();
  std::string plan = Winning(R"({"find": "c", "filter": {"a": 5}})");
  EXPECT_THAT(plan, HasSubstr(R"("stage": "FETCH")"));
  EXPECT_THAT(plan, HasSubstr(R"("stage": "IXSCAN")"));
  EXPECT_THAT(plan, HasSubstr(R"("indexName": "a_1")"));
  EXPECT_THAT(plan, HasSubstr(R"("indexBounds": {"a": ["[5, 5]"]})"));
  plan = Winning(R"({"find": "c", "filter": {"a": {"$gte": 10, "$lt": 20}, "b": 0}})");
  EXPECT_THAT(plan, HasSubstr(R"("indexName": "a_1")"));
}

TEST_F(PlannerTest, CollectionScanWinsWhenMostDocumentsMatch) {
  Load();
  std::string plan = Winning(R"({"find": "c", "filter": {"b": 1}})");
  EXPECT_THAT(plan, HasSubstr(R"("stage": "COLLSCAN")"));
  plan = Winning(R"({"find": "c", "filter": {"a": {"$gte": 0}}})");
  EXPECT_THAT(plan, HasSubstr(R"("stage": "COLLSCAN")"));
}

TEST_F(PlannerTest, SortProvidingIndexWinsForSortWithSmallLimit) {
  Load();
  std::string plan = Winning(R"({"find": "c", "filter": {}, "sort": {"a": 1}, "limit": 5})");
  EXPECT_THAT(plan, HasSubstr(R"("indexName": "a_1")"));
  EXPECT_THAT(plan, Not(HasSubstr(R"("stage": "SORT")")));
  EXPECT_THAT(plan, HasSubstr(R"("direction": "forward")"));
  plan = Winning(R"({"find": "c", "filter": {}, "sort": {"a": -1}, "limit": 5})");
  EXPECT_THAT(plan, HasSubstr(R"("direction": "backward")"));
  // Equality on the leading part of a compound index, then its second part gives the order.
  plan = Winning(R"({"find": "c", "filter": {"c": 7}, "sort": {"a": -1}, "limit": 3})");
  EXPECT_THAT(plan, HasSubstr(R"("indexName": "c_1_a_-1")"));
  EXPECT_THAT(plan, Not(HasSubstr(R"("stage": "SORT")")));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 7}, "sort": {"a": -1}, "limit": 3})"),
            (std::set<int64_t>{1907, 1807, 1707}));
  // The documents come in index order.
  std::string reply = Run(R"({"find": "c", "filter": {}, "sort": {"a": -1}, "limit": 3,
                             "projection": {"_id": 1}})");
  EXPECT_THAT(reply, HasSubstr(R"([{"_id": 1999}, {"_id": 1998}, {"_id": 1997}])"));
}

TEST_F(PlannerTest, MultikeyIndexScanReturnsEachDocumentOnce) {
  Load();
  std::string plan =
      Winning(R"({"find": "c", "filter": {"tags": {"$in": [3, 4]}, "a": {"$lt": 100}}})");
  std::set<int64_t> expected;
  for (int i = 0; i < 100; ++i) {
    if (i % 7 == 3 || i % 7 == 4 || i % 11 == 3 || i % 11 == 4) expected.insert(i);
  }
  for (const char* hint : {R"("tags_1")", R"("a_1")", R"({"$natural": 1})"}) {
    std::string find = absl::StrCat(R"({"find": "c", "filter": {"tags": {"$in": [3, 4]},
        "a": {"$lt": 100}}, "batchSize": 5000, "hint": )",
                                    hint, "}");
    EXPECT_EQ(Ids(find), expected) << hint;
  }
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"tags": 3}, "hint": "tags_1"})"),
              HasSubstr(R"("isMultiKey": true, "multiKeyPaths": {"tags": ["tags"]})"));
}

TEST_F(PlannerTest, NaturalMinusOneScansTheCollectionBackward) {
  Load();
  const char* projection = R"(, "projection": {"_id": 1}, "batchSize": 5000)";
  // As a hint and as a sort; a filter and a limit apply on the way.
  for (const char* order : {R"("hint": {"$natural": -1})", R"("sort": {"$natural": -1})"}) {
    std::string reply = Run(absl::StrCat(R"({"find": "c", "filter": {"c": 5}, )", order,
                                         R"(, "limit": 3)", projection, "}"));
    EXPECT_THAT(reply, HasSubstr(R"([{"_id": 1905}, {"_id": 1805}, {"_id": 1705}])")) << order;
    std::string plan = Winning(absl::StrCat(R"({"find": "c", "filter": {"c": 5}, )", order, "}"));
    EXPECT_THAT(plan, HasSubstr(R"("stage": "COLLSCAN")")) << order;
    EXPECT_THAT(plan, HasSubstr(R"("direction": "backward")")) << order;
  }
  // The whole collection, last document first, every document once.
  std::string reply =
      Run(absl::StrCat(R"({"find": "c", "sort": {"$natural": -1})", projection, "}"));
  EXPECT_THAT(reply, HasSubstr(R"("firstBatch": [{"_id": 1999}, {"_id": 1998})"));
  EXPECT_THAT(reply, HasSubstr(R"({"_id": 1}, {"_id": 0}])"));
  EXPECT_EQ(Ids(absl::StrCat(R"({"find": "c", "hint": {"$natural": -1})", projection, "}")).size(),
            2000u);
  // A second collection's documents never leak into the reverse scan of the first.
  ASSERT_THAT(Run(R"({"insert": "d", "documents": [{"_id": -1}, {"_id": 99999}]})"),
              HasSubstr(R"("n": 2)"));
  EXPECT_THAT(Run(R"({"find": "c", "sort": {"$natural": -1}, "limit": 1})"),
              HasSubstr(R"("firstBatch": [{"_id": 1999,)"));
}

// The plan cache: a shape planned once is reused (one dive into its own index), a value far
// less selective than the cached one replans, and an index change or planCacheClear empties it.
TEST_F(PlannerTest, PlanCacheReusesVerifiesAndInvalidates) {
  Load();
  auto counters = [&] {
    auto indexes = db_->index_cache().Get(db_->catalog().Find("test.c"));
    EXPECT_TRUE(indexes.ok());
    return (*indexes)->plan_cache().counters();
  };
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 99}})").size(), 20u);
  EXPECT_EQ(counters().entries, 1);
  EXPECT_EQ(counters().hits, 0);
  // Same shape, another value: the cached index scan, and the right documents.
  std::set<int64_t> expected;
  for (int i = 98; i < 2000; i += 100) expected.insert(i);
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 98}})"), expected);
  EXPECT_EQ(counters().hits, 1);
  // Explain plans afresh and leaves the cache alone; its queryHash names the shape.
  std::string explain98 = Explain(R"({"find": "c", "filter": {"c": 98}})");
  std::string explain7 = Explain(R"({"find": "c", "filter": {"c": 7}})");
  EXPECT_THAT(explain98, HasSubstr(R"("rejectedPlans": [{)"));
  size_t hash_at = explain98.find("\"queryHash\": \"");
  ASSERT_NE(hash_at, std::string::npos) << explain98;
  const std::string hash = explain98.substr(hash_at, 26);
  EXPECT_THAT(explain7, HasSubstr(hash));
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"a": 7}})"), Not(HasSubstr(hash)));
  EXPECT_EQ(counters().hits, 1);
  // A range shape: cached for a narrow range, then a range covering everything replans (the
  // dive counts far more keys than cached) and gets the collection scan it deserves.
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": {"$gte": 99}}})").size(), 20u);
  const int64_t replans = counters().replans;
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": {"$gte": 0}}, "batchSize": 5000})").size(), 2000u);
  EXPECT_EQ(counters().replans, replans + 1);
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"c": {"$gte": 0}}})"),
              HasSubstr(R"("stage": "COLLSCAN")"));
  // planCacheClear empties it; so does any index change (a new index set, a new cache).
  EXPECT_GT(counters().entries, 0);
  EXPECT_THAT(Run(R"({"planCacheClear": "c"})"), HasSubstr(R"("ok": 1.0)"));
  EXPECT_EQ(counters().entries, 0);
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 5}})").size(), 20u);
  EXPECT_EQ(counters().entries, 1);
  ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [{"key": {"c": 1}, "name": "c_1"}]})"),
              HasSubstr(R"("ok": 1.0)"));
  EXPECT_EQ(counters().entries, 0);
  EXPECT_THAT(Run(R"({"planCacheClear": "nothing_here"})"), HasSubstr(R"("ok": 1.0)"));
  EXPECT_THAT(Run(R"({"planCacheClear": "c", "sort": {"a": 1}})"), HasSubstr(R"("code": 2)"));
}

// A cached plan is re-checked against each request's own values: a partial index chosen for
// one value is not reused for a value outside its filter.
TEST_F(PlannerTest, PlanCacheRechecksPartialIndexRulesPerValue) {
  Load();
  ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [{"key": {"c": 1, "b": 1}, "name": "p",
                      "partialFilterExpression": {"b": 1}}]})"),
              HasSubstr(R"("ok": 1.0)"));
  ASSERT_THAT(Run(R"({"dropIndexes": "c", "index": "c_1_a_-1"})"), HasSubstr(R"("ok": 1.0)"));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 7, "b": 1}})").size(), 20u);  // 7 is odd: b 1
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 7, "b": 1}})"),
            Ids(R"({"find": "c", "filter": {"c": 7, "b": 1}, "hint": {"$natural": 1}})"));
  // Same shape, b: 0: the partial index holds none of these documents.
  std::set<int64_t> expected = Ids(R"({"find": "c", "filter": {"c": 8, "b": 0},
                                      "hint": {"$natural": 1}})");
  EXPECT_EQ(expected.size(), 20u);
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"c": 8, "b": 0}})"), expected);
}

// count with exact bounds on a non-multikey index counts keys and reads no document.
TEST_F(PlannerTest, CountFromIndexWhenBoundsAreExact) {
  Load();
  EXPECT_THAT(Run(R"({"count": "c", "query": {"a": {"$gte": 10, "$lt": 20}}})"),
              HasSubstr(R"("n": 10)"));
  std::string explain =
      Explain(R"({"count": "c", "query": {"a": {"$gte": 10, "$lt": 20}}})", "executionStats");
  EXPECT_THAT(explain, HasSubstr(R"("winningPlan": {"stage": "COUNT")"));
  EXPECT_THAT(explain, HasSubstr(R"("stage": "COUNT_SCAN")"));
  EXPECT_THAT(explain, Not(HasSubstr(R"("stage": "FETCH")")));
  EXPECT_THAT(explain, HasSubstr(R"("totalDocsExamined": 0)"));
  // $in points and a compound prefix are exact too.
  EXPECT_THAT(Run(R"({"count": "c", "query": {"c": {"$in": [3, 4]}, "a": {"$gt": 1000}}})"),
              HasSubstr(R"("n": 20)"));
  EXPECT_THAT(Explain(R"({"count": "c", "query": {"c": {"$in": [3, 4]}, "a": {"$gt": 1000}}})"),
              HasSubstr(R"("stage": "COUNT_SCAN")"));
  // A residual predicate, or a multikey index, needs the documents.
  std::string residual = Explain(R"({"count": "c", "query": {"a": {"$lt": 20}, "b": 0}})");
  EXPECT_THAT(residual, Not(HasSubstr(R"("stage": "COUNT_SCAN")")));
  EXPECT_THAT(Run(R"({"count": "c", "query": {"a": {"$lt": 20}, "b": 0}})"),
              HasSubstr(R"("n": 10)"));
  EXPECT_THAT(Explain(R"({"count": "c", "query": {"tags": 3}, "hint": "tags_1"})"),
              Not(HasSubstr(R"("stage": "COUNT_SCAN")")));
  // Skip and limit apply to the keys counted; a hint is honoured.
  EXPECT_THAT(Run(R"({"count": "c", "query": {"a": {"$lt": 100}}, "skip": 95, "limit": 3})"),
              HasSubstr(R"("n": 3)"));
  EXPECT_THAT(Run(R"({"count": "c", "query": {"a": {"$lt": 100}}, "skip": 98})"),
              HasSubstr(R"("n": 2)"));
  EXPECT_THAT(Run(R"({"count": "c", "query": {}, "hint": "b_1"})"), HasSubstr(R"("n": 2000)"));
}

TEST_F(PlannerTest, OrOfIndexedBranchesIsAnIndexUnion) {
  Load();
  const std::string find =
      R"({"find": "c", "filter": {"$or": [{"a": {"$lt": 3}}, {"c": 5, "a": {"$gt": 1900}},
          {"a": 1}]}, "batchSize": 5000})";
  std::string plan = Winning(find);
  EXPECT_THAT(plan, HasSubstr(R"("stage": "OR", "inputStages": [{"stage": "IXSCAN")"));
  EXPECT_THAT(plan, HasSubstr(R"("indexName": "a_1")"));
  // Each document once (a: 1 is in two branches); the same as a collection scan.
  EXPECT_EQ(Ids(find), (std::set<int64_t>{0, 1, 2, 1905}));
  // A branch no index bounds: no union.
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"$or": [{"a": 1}, {"z": 2}]}})"),
              HasSubstr("COLLSCAN"));
  std::string stats = Explain(find, "executionStats");
  EXPECT_THAT(stats, HasSubstr(R"("nReturned": 4)"));
  // Keys of the three branches (3 + 1 + 1), each document fetched once: no collection scan.
  EXPECT_THAT(stats, HasSubstr(R"("totalKeysExamined": 5, "totalDocsExamined": 4)"));
}

TEST_F(PlannerTest, IdRangesReadOnlyThoseDocuments) {
  Load();
  const std::string find = R"({"find": "c", "filter": {"_id": {"$gte": 100, "$lt": 105}}})";
  EXPECT_THAT(Winning(find), HasSubstr(R"("stage": "CLUSTERED_IXSCAN")"));
  EXPECT_THAT(Winning(find), HasSubstr(R"x("indexBounds": {"_id": ["[100, 105)"]})x"));
  EXPECT_EQ(Ids(find), (std::set<int64_t>{100, 101, 102, 103, 104}));
  EXPECT_THAT(Explain(find, "executionStats"), HasSubstr(R"("totalDocsExamined": 5)"));
  const std::string in = R"({"find": "c", "filter": {"_id": {"$in": [1999, 3, 5000]}, "b": 1}})";
  EXPECT_EQ(Ids(in), (std::set<int64_t>{3, 1999}));
  EXPECT_THAT(Explain(in, "executionStats"), HasSubstr(R"("totalDocsExamined": 2)"));
  // Unselective: the plain collection scan.
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"_id": {"$gte": 0}}})"), HasSubstr("COLLSCAN"));
}

TEST_F(PlannerTest, IdOrderComesFromTheDocumentsThemselves) {
  Load();
  // {_id: 1} with a limit: the `_id` range streams in order and stops after the limit.
  const std::string range =
      R"({"find": "c", "filter": {"_id": {"$gte": 1500}}, "sort": {"_id": 1}, "limit": 3})";
  EXPECT_THAT(Winning(range), HasSubstr(R"("stage": "CLUSTERED_IXSCAN")"));
  EXPECT_THAT(Winning(range), Not(HasSubstr("SORT")));
  EXPECT_EQ(Ids(range), (std::set<int64_t>{1500, 1501, 1502}));
  EXPECT_THAT(Explain(range, "executionStats"), HasSubstr(R"("totalDocsExamined": 3)"));
  // Without a sort, the range still beats a collection scan that would pass 1500 documents.
  const std::string unsorted = R"({"find": "c", "filter": {"_id": {"$gte": 1500}}, "limit": 3})";
  EXPECT_THAT(Winning(unsorted), HasSubstr(R"("stage": "CLUSTERED_IXSCAN")"));
  EXPECT_EQ(Ids(unsorted), (std::set<int64_t>{1500, 1501, 1502}));
  // A whole-collection {_id: 1} sort needs no SORT stage either; {_id: -1} still does.
  const std::string all = R"({"find": "c", "filter": {"b": 1}, "sort": {"_id": 1}, "limit": 2})";
  EXPECT_EQ(Ids(all), (std::set<int64_t>{1, 3}));
  EXPECT_THAT(Explain(all, "executionStats"), HasSubstr(R"("totalDocsExamined": 4)"));
  const std::string desc = R"({"find": "c", "filter": {"b": 1}, "sort": {"_id": -1}, "limit": 2})";
  EXPECT_EQ(Ids(desc), (std::set<int64_t>{1997, 1999}));
}

TEST_F(PlannerTest, Hints) {
  Load();
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"a": 5}, "hint": {"$natural": 1}})"),
              HasSubstr(R"("stage": "COLLSCAN")"));
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"a": 5}, "hint": "b_1"})"),
              HasSubstr(R"("indexName": "b_1")"));
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"a": 5}, "hint": {"c": 1, "a": -1}})"),
              HasSubstr(R"("indexName": "c_1_a_-1")"));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"a": 5}, "hint": "b_1"})"), std::set<int64_t>{5});
  EXPECT_THAT(Run(R"({"find": "c", "filter": {"a": 5}, "hint": "nope"})"),
              HasSubstr(R"("errmsg": "hint provided does not correspond to an existing index", )"
                        R"("code": 2)"));
  EXPECT_THAT(Run(R"({"find": "c", "filter": {"a": 5}, "hint": 3})"), HasSubstr(R"("code": 2)"));
}

TEST_F(PlannerTest, HiddenSparseAndPartialIndexRules) {
  Run(R"({"insert": "c", "documents": [{"_id": 1, "x": 1, "y": 1}, {"_id": 2, "y": 2},
                                      {"_id": 3, "x": 3, "y": 3, "p": true}]})");
  // Enough other documents that an index pays off.
  std::string filler;
  for (int i = 10; i < 400; ++i) {
    absl::StrAppend(&filler, i > 10 ? ", " : "", R"({"_id": )", i, R"(, "x": )", i, R"(, "y": )", i,
                    "}");
  }
  Run(absl::StrCat(R"({"insert": "c", "documents": [)", filler, "]}"));
  Run(R"({"createIndexes": "c", "indexes": [
      {"key": {"x": 1}, "name": "x_sparse", "sparse": true},
      {"key": {"y": 1}, "name": "y_partial", "partialFilterExpression": {"p": true}},
      {"key": {"y": -1}, "name": "y_hidden", "hidden": true}]})");
  // A sparse index cannot answer {x: null} (it lacks the document without x).
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"x": null}})"), HasSubstr("COLLSCAN"));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"x": null}})"), std::set<int64_t>{2});
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"x": 3}})"), HasSubstr("x_sparse"));
  // The partial index only when the query implies its filter.
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"y": 3}})"), HasSubstr("COLLSCAN"));
  EXPECT_THAT(Winning(R"({"find": "c", "filter": {"y": 3, "p": true}})"), HasSubstr("y_partial"));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"y": 3, "p": true}})"), std::set<int64_t>{3});
  // A hidden index is neither chosen nor hintable.
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"y": 2}})"), Not(HasSubstr("y_hidden")));
  EXPECT_THAT(Run(R"({"find": "c", "filter": {"y": 2}, "hint": "y_hidden"})"),
              HasSubstr(R"("code": 2)"));
}

TEST_F(PlannerTest, ExplainExecutionStats) {
  Load();
  std::string reply =
      Explain(R"({"find": "c", "filter": {"a": {"$in": [5, 6, 7000]}}})", "executionStats");
  EXPECT_THAT(reply, HasSubstr(R"("explainVersion": "1")"));
  EXPECT_THAT(reply, HasSubstr(R"("namespace": "test.c")"));
  EXPECT_THAT(reply, HasSubstr(R"("executionSuccess": true, "nReturned": 2, )"));
  EXPECT_THAT(reply, HasSubstr(R"("totalKeysExamined": 2, "totalDocsExamined": 2)"));
  EXPECT_THAT(reply, HasSubstr(R"("strataEstimate": {"rows": )"));
  EXPECT_THAT(reply, HasSubstr(R"("command": {"find": "c")"));
  // A blocking sort shows as a SORT stage with its limit.
  reply = Explain(R"({"find": "c", "filter": {"b": 1}, "sort": {"c": 1}, "limit": 4, "skip": 2})");
  EXPECT_THAT(reply, HasSubstr(R"("stage": "SORT", "sortPattern": {"c": 1}, )"));
  EXPECT_THAT(reply, HasSubstr(R"("stage": "SKIP")"));
  // count and distinct explain too; bad verbosity and unknown inner commands fail.
  EXPECT_THAT(Explain(R"({"count": "c", "query": {"a": 3}})"), HasSubstr(R"("indexName": "a_1")"));
  EXPECT_THAT(Explain(R"({"distinct": "c", "key": "b", "query": {"a": 3}})"),
              HasSubstr(R"("indexName": "a_1")"));
  EXPECT_THAT(Explain(R"({"find": "c"})", "loud"), HasSubstr(R"("code": 2)"));
  // update and delete: their query's plan under a write stage; explain changes nothing.
  reply = Explain(R"({"update": "c", "updates": [{"q": {"a": 4}, "u": {"$set": {"x": 1}}}]})",
                  "executionStats");
  EXPECT_THAT(reply, HasSubstr(R"("winningPlan": {"stage": "UPDATE", "inputStage": {)"));
  EXPECT_THAT(reply, HasSubstr(R"("indexName": "a_1")"));
  EXPECT_THAT(reply, HasSubstr(R"("executionStages": {"stage": "UPDATE")"));
  reply = Explain(R"({"delete": "c", "deletes": [{"q": {"a": 4}, "limit": 1}]})");
  EXPECT_THAT(reply, HasSubstr(R"("winningPlan": {"stage": "DELETE", "inputStage": {)"));
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"a": 4, "x": {"$exists": true}}})"),
            std::set<int64_t>{});
  EXPECT_EQ(Ids(R"({"find": "c", "filter": {"a": 4}})"), std::set<int64_t>{4});
  EXPECT_THAT(Explain(R"({"find": "missing", "filter": {"a": 1}})"), HasSubstr(R"("EOF")"));
}

// The plan never changes the answer: random filters under every hint give the same documents.
TEST_F(PlannerTest, EveryHintedPlanGivesTheSameDocuments) {
  Load();
  std::mt19937 rng(20261126);
  auto number = [&](int max) { return std::uniform_int_distribution<int>(0, max)(rng); };
  const char* ops[] = {"$eq", "$lt", "$lte", "$gt", "$gte", "$ne"};
  const char* fields[] = {"a", "b", "c", "tags"};
  for (int trial = 0; trial < 60; ++trial) {
    std::string filter;
    int conditions = 1 + number(2);
    for (int i = 0; i < conditions; ++i) {
      const char* field = fields[number(3)];
      int limit = std::string(field) == "a" ? 2000 : std::string(field) == "c" ? 100 : 11;
      std::string condition =
          number(4) == 0 ? absl::StrCat(R"({"$in": [)", number(limit), ", ", number(limit), "]}")
                         : absl::StrCat(R"({")", ops[number(5)], R"(": )", number(limit), "}");
      absl::StrAppend(&filter, i ? ", " : "", R"({")", field, R"(": )", condition, "}");
    }
    filter = absl::StrCat(R"({"$and": [)", filter, "]}");
    const std::string base =
        absl::StrCat(R"({"find": "c", "filter": )", filter, R"(, "batchSize": 5000)");
    std::set<int64_t> expected = Ids(absl::StrCat(base, R"(, "hint": {"$natural": 1}})"));
    EXPECT_EQ(Ids(absl::StrCat(base, "}")), expected) << filter;
    EXPECT_EQ(Ids(absl::StrCat(base, R"(, "hint": {"$natural": -1}})")), expected) << filter;
    for (const char* hint : {"a_1", "b_1", "c_1_a_-1", "tags_1"}) {
      EXPECT_EQ(Ids(absl::StrCat(base, R"(, "hint": ")", hint, R"("})")), expected)
          << filter << " hint " << hint;
    }
    // count, from an index when the bounds are exact, agrees.
    const std::string count = absl::StrCat(R"({"count": "c", "query": )", filter);
    const std::string n = absl::StrCat(R"("n": )", expected.size(), ",");
    EXPECT_THAT(Run(absl::StrCat(count, "}")), HasSubstr(n)) << filter;
    for (const char* hint : {"a_1", "c_1_a_-1"}) {
      EXPECT_THAT(Run(absl::StrCat(count, R"(, "hint": ")", hint, R"("})")), HasSubstr(n))
          << filter << " hint " << hint;
    }
  }
}

// The stages of an explain's executionStages, root first, as "NAME nReturned [keys k] [docs d]"
// joined by "|" (OR's inputs in order).
void CollectStages(const bson_t* stage, std::vector<std::string>* out) {
  bson_iter_t it;
  std::string line;
  int64_t returned = -1, keys = -1, docs = -1, counted = -1;
  std::vector<std::pair<const uint8_t*, uint32_t>> inputs;
  bson_iter_init(&it, stage);
  while (bson_iter_next(&it)) {
    const std::string key = bson_iter_key(&it);
    if (key == "stage") line = bson_iter_utf8(&it, nullptr);
    if (key == "nReturned") returned = bson_iter_as_int64(&it);
    if (key == "keysExamined") keys = bson_iter_as_int64(&it);
    if (key == "docsExamined") docs = bson_iter_as_int64(&it);
    if (key == "nCounted") counted = bson_iter_as_int64(&it);
    if (key == "inputStage") {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&it, &length, &data);
      inputs.emplace_back(data, length);
    }
    if (key == "inputStages") {
      bson_iter_t child;
      bson_iter_recurse(&it, &child);
      while (bson_iter_next(&child)) {
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&child, &length, &data);
        inputs.emplace_back(data, length);
      }
    }
  }
  absl::StrAppend(&line, " ", returned);
  if (counted >= 0) absl::StrAppend(&line, " counted ", counted);
  if (keys >= 0) absl::StrAppend(&line, " keys ", keys);
  if (docs >= 0) absl::StrAppend(&line, " docs ", docs);
  out->push_back(line);
  for (const auto& [data, length] : inputs) {
    bson_t child;
    bson_init_static(&child, data, length);
    CollectStages(&child, out);
  }
}

std::string ExecutionStages(const Document& reply,
                            const char* path = "executionStats.executionStages") {
  bson_iter_t it, stages;
  if (!bson_iter_init(&it, reply.bson()) || !bson_iter_find_descendant(&it, path, &stages)) {
    return "no executionStages in " + reply.ToJson();
  }
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&stages, &length, &data);
  bson_t root;
  bson_init_static(&root, data, length);
  std::vector<std::string> lines;
  CollectStages(&root, &lines);
  return absl::StrJoin(lines, "|");
}

// executionStages is the executed stage tree, each stage with its own counters.
TEST_F(PlannerTest, ExecutionStagesCarryEachStagesCounters) {
  Load();
  auto stages = [&](const std::string& command) {
    return ExecutionStages(Dispatch(
        *db_, Json(absl::StrCat(R"({"explain": )", command, R"(, "verbosity": "executionStats"})"))
                  .view()));
  };
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"a": {"$in": [5, 6, 7000]}}})"),
            "FETCH 2 docs 2|IXSCAN 2 keys 2");
  // SORT keeps the top skip + limit; SKIP and LIMIT pass on what they keep.
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"b": 1}, "sort": {"c": 1}, "skip": 2, "limit": 4,
                       "projection": {"c": 1}, "hint": {"$natural": 1}})"),
            "PROJECTION_SIMPLE 4|LIMIT 4|SKIP 4|SORT 6|COLLSCAN 1000 docs 2000");
  // The union: keys of each branch, each document fetched once.
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"$or": [{"a": {"$lt": 3}},
                       {"c": 5, "a": {"$gt": 1900}}, {"a": 1}]}})"),
            "FETCH 4 docs 4|OR 4|IXSCAN 3 keys 3|IXSCAN 1 keys 1|IXSCAN 1 keys 1");
  // A multikey scan drops the entries of documents already returned.
  const std::string multikey = Run(R"({"explain": {"find": "c", "filter": {"tags": {"$in": [3, 4]},
      "a": {"$lt": 100}}, "hint": "tags_1"}, "verbosity": "executionStats"})");
  EXPECT_THAT(multikey, HasSubstr(R"("dupsTested": )"));
  EXPECT_THAT(multikey, Not(HasSubstr(R"("dupsDropped": 0)")));
  EXPECT_EQ(stages(R"({"count": "c", "query": {"a": {"$gte": 10, "$lt": 20}}})"),
            "COUNT 0 counted 10|COUNT_SCAN 10 keys 10");
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"_id": 5}})"), "IDHACK 1 keys 0 docs 1");
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"_id": {"$gte": 1500}}, "sort": {"_id": 1},
                       "limit": 3})"),
            "LIMIT 3|CLUSTERED_IXSCAN 3 docs 3");
  // A limit stops the scan early: the collection scan examined only what it needed.
  EXPECT_EQ(stages(R"({"find": "c", "filter": {"b": 1}, "limit": 2, "hint": {"$natural": 1}})"),
            "LIMIT 2|COLLSCAN 2 docs 4");
  // Works, need-time and EOF flags are MongoDB's: one work per examined document plus the end.
  const std::string collscan = Run(R"({"explain": {"find": "c", "filter": {"b": 1},
      "hint": {"$natural": 1}}, "verbosity": "executionStats"})");
  EXPECT_THAT(collscan, HasSubstr(R"("works": 2001, "advanced": 1000, "needTime": 1000, )"
                                  R"("isEOF": true, "docsExamined": 2000)"));
  EXPECT_THAT(collscan, HasSubstr(R"("executionTimeMillisEstimate": )"));
  // aggregate's $cursor shows the executed tree of the pushed-down query too.
  EXPECT_EQ(ExecutionStages(Dispatch(*db_, Json(R"({"explain": {"aggregate": "c", "pipeline": [
                                         {"$match": {"a": {"$in": [5, 6, 7000]}}},
                                         {"$group": {"_id": "$b"}}], "cursor": {}},
                                         "verbosity": "executionStats"})")
                                               .view()),
                            "stages.0.$cursor.executionStats.executionStages"),
            "FETCH 2 docs 2|IXSCAN 2 keys 2");
  // queryPlanner verbosity has no executionStats.
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"a": 5}})"), Not(HasSubstr("executionStages")));
}

// The stage trees give the answer a brute-force reference gives (the matching documents in
// `_id` order, sorted stably by the sort keys, skipped, limited and projected) for random
// filters × sorts × skip/limit × projections × every hint.
TEST_F(PlannerTest, StageTreesMatchAReferenceOnRandomQueries) {
  Load();
  std::mt19937 rng(20261127);
  auto number = [&](int max) { return std::uniform_int_distribution<int>(0, max)(rng); };
  const char* ops[] = {"$eq", "$lt", "$lte", "$gt", "$gte", "$ne"};
  const char* fields[] = {"a", "b", "c", "tags"};
  // Sorts whose keys are unique (a is), so the order is fully defined.
  const char* sorts[] = {"",
                         R"({"a": 1})",
                         R"({"a": -1})",
                         R"({"c": 1, "a": -1})",
                         R"({"b": -1, "a": 1})",
                         R"({"tags": 1, "a": 1})",
                         R"({"tags": -1, "a": -1})"};
  const char* projections[] = {"", R"({"a": 1})", R"({"_id": 0, "c": 1, "tags": 1})",
                               R"({"b": 0, "tags": 0})", R"({"tags": {"$slice": 1}, "a": 1})"};
  auto read = [&](QuerySpec spec) {
    std::vector<std::string> out;
    auto execution = db_->Query("test.c", std::move(spec));
    EXPECT_OK(execution);
    if (!execution.ok()) return out;
    while (true) {
      auto next = (*execution)->Next();
      EXPECT_OK(next);
      if (!next.ok() || !next->has_value()) break;
      out.emplace_back(**next);
    }
    return out;
  };
  auto json = [](const std::string& bytes) {
    return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ToJson();
  };
  for (int trial = 0; trial < 40; ++trial) {
    std::string filter;
    int conditions = number(2);
    for (int i = 0; i < conditions; ++i) {
      const char* field = fields[number(3)];
      int limit = std::string(field) == "a" ? 2000 : std::string(field) == "c" ? 100 : 11;
      std::string condition =
          number(4) == 0 ? absl::StrCat(R"({"$in": [)", number(limit), ", ", number(limit), "]}")
                         : absl::StrCat(R"({")", ops[number(5)], R"(": )", number(limit), "}");
      absl::StrAppend(&filter, i ? ", " : "", R"({")", field, R"(": )", condition, "}");
    }
    filter = conditions == 0 ? "{}" : absl::StrCat(R"({"$and": [)", filter, "]}");
    const std::string sort = sorts[number(6)];
    const std::string projection = projections[number(4)];
    const int64_t skip = sort.empty() ? 0 : number(3) * 7;
    const int64_t limit = sort.empty() ? 0 : number(2) * 25;
    // The reference.
    QuerySpec all;
    all.filter = Json(filter);
    all.hint.kind = query::planner::Hint::Kind::kNatural;
    std::vector<std::string> matching = read(std::move(all));
    if (!sort.empty()) {
      auto spec = query::sort::SortSpec::Parse(Json(sort).view());
      ASSERT_OK(spec);
      std::vector<std::pair<std::string, std::string>> keyed;
      for (const std::string& doc : matching) {
        auto key =
            spec->SortKey(DocumentView(reinterpret_cast<const uint8_t*>(doc.data()), doc.size()));
        ASSERT_OK(key);
        keyed.emplace_back(*key, doc);
      }
      std::stable_sort(keyed.begin(), keyed.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
      matching.clear();
      for (size_t i = static_cast<size_t>(skip);
           i < keyed.size() && (limit == 0 || i < static_cast<size_t>(skip + limit)); ++i) {
        matching.push_back(keyed[i].second);
      }
    }
    std::vector<std::string> expected;
    for (const std::string& doc : matching) {
      if (projection.empty()) {
        expected.push_back(json(doc));
        continue;
      }
      auto projected =
          ApplyProjection(Json(projection).view(),
                          DocumentView(reinterpret_cast<const uint8_t*>(doc.data()), doc.size()));
      ASSERT_OK(projected);
      expected.push_back(projected->ToJson());
    }
    if (sort.empty()) std::sort(expected.begin(), expected.end());
    std::vector<query::planner::Hint> hints(3);
    hints[1].kind = query::planner::Hint::Kind::kNatural;
    hints[2].kind = query::planner::Hint::Kind::kNatural;
    hints[2].natural_backward = true;
    for (const char* name : {"a_1", "b_1", "c_1_a_-1", "tags_1"}) {
      query::planner::Hint hint;
      hint.kind = query::planner::Hint::Kind::kIndexName;
      hint.index_name = name;
      hints.push_back(hint);
    }
    for (const query::planner::Hint& hint : hints) {
      QuerySpec spec;
      spec.filter = Json(filter);
      spec.sort = sort.empty() ? Document() : Json(sort);
      spec.projection = projection.empty() ? Document() : Json(projection);
      spec.skip = skip;
      spec.limit = limit;
      spec.hint = hint;
      std::vector<std::string> actual;
      for (const std::string& doc : read(std::move(spec))) actual.push_back(json(doc));
      if (sort.empty()) std::sort(actual.begin(), actual.end());
      EXPECT_EQ(actual, expected) << filter << " sort " << sort << " skip " << skip << " limit "
                                  << limit << " projection " << projection << " hint "
                                  << static_cast<int>(hint.kind) << hint.index_name;
    }
  }
}

}  // namespace
}  // namespace strata::db
