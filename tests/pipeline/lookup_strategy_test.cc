// $lookup join strategies (each forced: identical results; chosen by cost: explain shows the
// winner, estimates, actuals and the rejected strategies) and the memory budget of $sort and
// $group (error 292 without allowDiskUse; spilled runs merged with it, same results, files
// removed afterwards).
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error_codes.h"
#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::TempDir;

Document Json(const std::string& text) {
  auto doc = Document::FromJson(text);
  EXPECT_TRUE(doc.ok()) << doc.status() << " in " << text;
  return doc.ok() ? std::move(*doc) : Document();
}

// A pipeline array from JSON text ("[…]").
Document Pipeline(const std::string& text) {
  Document wrapped = Json("{\"p\": " + text + "}");
  bson_iter_t it;
  bson_iter_init_find(&it, wrapped.bson(), "p");
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_array(&it, &len, &data);
  return Document::Copy(DocumentView(data, len));
}

std::string Dump(const std::vector<Document>& docs) {
  std::string out;
  for (const Document& d : docs) out += d.ToJson() + "\n";
  return out;
}

class LookupStrategyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = Database::Open(dir_.path(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    std::vector<Document> outer, foreign;
    for (int i = 0; i < 300; ++i) {
      std::string k;
      if (i % 50 == 7) {
        k = "";  // missing local field: matches null and missing foreign fields
      } else if (i % 10 == 3) {
        k = ", \"k\": [" + std::to_string(i % 37) + ", " + std::to_string((i + 5) % 37) + "]";
      } else if (i % 25 == 4) {
        k = ", \"k\": null";
      } else {
        k = ", \"k\": " + std::to_string(i % 37) + (i % 2 == 0 ? ".0" : "");
      }
      outer.push_back(Json("{\"_id\": " + std::to_string(i) + k + "}"));
    }
    for (int i = 0; i < 500; ++i) {
      std::string fk;
      if (i % 60 == 11) {
        fk = "";
      } else if (i % 9 == 2) {
        fk = ", \"fk\": [" + std::to_string(i % 41) + ", \"s\"]";
      } else if (i % 70 == 5) {
        fk = ", \"fk\": null";
      } else {
        fk = ", \"fk\": {\"$numberLong\": \"" + std::to_string(i % 41) + "\"}";
      }
      foreign.push_back(Json("{\"_id\": " + std::to_string(1000 + i) + fk +
                             ", \"v\": " + std::to_string(i % 7) + "}"));
    }
    std::vector<DocumentView> views;
    for (const Document& d : outer) views.push_back(d.view());
    Collection o = db_->GetCollection("test", "outer");
    ASSERT_TRUE(o.InsertMany(views).ok());
    views.clear();
    for (const Document& d : foreign) views.push_back(d.view());
    Collection f = db_->GetCollection("test", "foreign");
    ASSERT_TRUE(f.InsertMany(views).ok());
  }

  std::vector<Document> Run(const std::string& pipeline, std::string_view strategy) {
    Collection o = db_->GetCollection("test", "outer");
    AggregateOptions options;
    options.join_strategy = strategy;
    Document p = Pipeline(pipeline);
    auto result = o.Aggregate(p.view(), options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? std::move(*result) : std::vector<Document>();
  }

  // The joinStrategy document of the first $lookup in an explain reply.
  std::string ExplainStrategy(const std::string& pipeline, const std::string& extra = "") {
    Document reply = db_->RunCommand(
        "test", Json("{\"explain\": {\"aggregate\": \"outer\", \"pipeline\": " + pipeline +
                     ", \"cursor\": {}" + extra + "}, \"verbosity\": \"executionStats\"}")
                    .view());
    return reply.ToJson();
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

constexpr const char* kEquality =
    R"([{"$lookup": {"from": "foreign", "localField": "k", "foreignField": "fk", "as": "j"}},
        {"$project": {"ids": "$j._id"}}])";

TEST_F(LookupStrategyTest, EveryStrategyGivesTheSameResults) {
  std::vector<Document> baseline = Run(kEquality, "nestedLoop");
  ASSERT_EQ(baseline.size(), 300u);
  size_t joined = 0;
  for (const Document& d : baseline) joined += d.ToJson().size();
  EXPECT_GT(joined, 300u * 20);  // most outer documents matched something
  for (const char* strategy : {"hash", "perDocument", "", "indexedLoop"}) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(Dump(Run(kEquality, strategy)), Dump(baseline));
  }
  // With an index on the foreign field the indexed loop really probes it.
  Collection f = db_->GetCollection("test", "foreign");
  ASSERT_TRUE(f.CreateIndex(Json(R"({"fk": 1})").view()).ok());
  for (const char* strategy : {"indexedLoop", "hash", ""}) {
    SCOPED_TRACE(std::string("indexed ") + strategy);
    EXPECT_EQ(Dump(Run(kEquality, strategy)), Dump(baseline));
  }
}

TEST_F(LookupStrategyTest, CombinedFormSameUnderEveryStrategy) {
  const std::string pipeline =
      R"([{"$lookup": {"from": "foreign", "localField": "k", "foreignField": "fk",
                        "let": {"id": "$_id"},
                        "pipeline": [{"$match": {"$expr": {"$lt": ["$v", {"$mod": ["$$id", 7]}]}}},
                                     {"$project": {"_id": 1}}],
                        "as": "j"}}])";
  std::vector<Document> baseline = Run(pipeline, "nestedLoop");
  ASSERT_EQ(baseline.size(), 300u);
  for (const char* strategy : {"hash", "perDocument", "indexedLoop", ""}) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(Dump(Run(pipeline, strategy)), Dump(baseline));
  }
}

TEST_F(LookupStrategyTest, ExplainShowsForcedStrategyWithActualsAndRejected) {
  std::string explain = ExplainStrategy(kEquality, ", \"$_internalJoinStrategy\": \"hash\"");
  EXPECT_THAT(explain, ::testing::HasSubstr("\"strategy\": \"HASH_JOIN\""));
  EXPECT_THAT(explain, ::testing::HasSubstr("\"forced\": true"));
  EXPECT_THAT(explain, ::testing::HasSubstr("\"actualOuterRows\": 300"));
  EXPECT_THAT(explain, ::testing::HasSubstr("\"actualForeignDocsExamined\": 500"));
  EXPECT_THAT(explain, ::testing::HasSubstr("rejectedStrategies"));
  EXPECT_THAT(explain, ::testing::HasSubstr("NESTED_LOOP_JOIN"));
  EXPECT_THAT(explain, ::testing::HasSubstr("INDEXED_NESTED_LOOP_JOIN"));
  EXPECT_THAT(explain, ::testing::HasSubstr("no index leads with the foreign field"));
}

TEST_F(LookupStrategyTest, PlannerChoosesByCost) {
  // Many outer rows, no index: a hash join (one read of the foreign side).
  EXPECT_THAT(ExplainStrategy(kEquality),
              ::testing::HasSubstr("\"joinStrategy\": {\"strategy\": \"HASH_JOIN\""));
  Collection f = db_->GetCollection("test", "foreign");
  ASSERT_TRUE(f.CreateIndex(Json(R"({"fk": 1})").view()).ok());
  // One outer row (an _id point read) and an index: one probe beats reading 500 documents.
  const std::string one =
      R"([{"$match": {"_id": 5}},
          {"$lookup": {"from": "foreign", "localField": "k", "foreignField": "fk", "as": "j"}}])";
  EXPECT_THAT(
      ExplainStrategy(one),
      ::testing::HasSubstr("\"joinStrategy\": {\"strategy\": \"INDEXED_NESTED_LOOP_JOIN\""));
  // The foreign side over the memory budget: hash and scan joins are infeasible.
  std::string tight = ExplainStrategy(kEquality, ", \"$_internalMemoryLimitBytes\": 1000");
  EXPECT_THAT(
      tight, ::testing::HasSubstr("\"joinStrategy\": {\"strategy\": \"INDEXED_NESTED_LOOP_JOIN\""));
  EXPECT_THAT(tight, ::testing::HasSubstr("foreign side exceeds the memory budget"));
}

TEST_F(LookupStrategyTest, ForeignMatchIsPushedIntoItsOwnPlan) {
  Collection f = db_->GetCollection("test", "foreign");
  ASSERT_TRUE(f.CreateIndex(Json(R"({"v": 1})").view()).ok());
  const std::string pipeline =
      R"([{"$match": {"_id": 1}},
          {"$lookup": {"from": "foreign", "pipeline": [{"$match": {"v": 3}}, {"$count": "n"}],
                       "as": "j"}}])";
  std::vector<Document> result = Run(pipeline, "");
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].ToJson(), R"({"_id": 1, "k": 1, "j": [{"n": 71}]})");
}

class SpillTest : public LookupStrategyTest {
 protected:
  absl::StatusOr<std::vector<Document>> RunWith(const std::string& pipeline, size_t budget,
                                                bool disk) {
    Collection o = db_->GetCollection("test", "foreign");
    AggregateOptions options;
    options.memory_limit_bytes = budget;
    options.allow_disk_use = disk;
    Document p = Pipeline(pipeline);
    return o.Aggregate(p.view(), options);
  }
  size_t SpillFiles() {
    std::error_code ec;
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir_.Sub("_tmp"), ec);
         !ec && it != std::filesystem::directory_iterator(); ++it) {
      ++n;
    }
    return n;
  }
};

TEST_F(SpillTest, SortOverBudgetFailsWithoutDiskAndSpillsWithIt) {
  const std::string pipeline = R"([{"$set": {"x": 1}}, {"$sort": {"v": -1, "_id": 1}}])";
  auto big = RunWith(pipeline, size_t{100} << 20, false);
  ASSERT_TRUE(big.ok()) << big.status();
  auto refused = RunWith(pipeline, 4096, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorCodeOf(refused.status()), ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed);
  auto spilled = RunWith(pipeline, 4096, true);
  ASSERT_TRUE(spilled.ok()) << spilled.status();
  EXPECT_EQ(Dump(*spilled), Dump(*big));
  EXPECT_EQ(SpillFiles(), 0u);  // runs are removed when the stage ends
  // $sort + $limit keeps a top-k; when even that passes the budget it spills too, and the
  // first k are the in-memory ones.
  const std::string top =
      R"([{"$set": {"x": 1}}, {"$sort": {"v": -1, "_id": 1}}, {"$limit": 300}])";
  auto top_big = RunWith(top, size_t{100} << 20, false);
  ASSERT_TRUE(top_big.ok()) << top_big.status();
  ASSERT_EQ(top_big->size(), std::min<size_t>(300, big->size()));
  EXPECT_EQ(ErrorCodeOf(RunWith(top, 4096, false).status()),
            ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed);
  auto top_spilled = RunWith(top, 4096, true);
  ASSERT_TRUE(top_spilled.ok()) << top_spilled.status();
  EXPECT_EQ(Dump(*top_spilled), Dump(*top_big));
  EXPECT_EQ(SpillFiles(), 0u);
}

TEST_F(SpillTest, GroupOverBudgetFailsWithoutDiskAndSpillsWithIt) {
  const std::string pipeline =
      R"([{"$group": {"_id": "$fk", "n": {"$sum": 1}, "ids": {"$push": "$_id"},
                      "first": {"$first": "$_id"}, "last": {"$last": "$_id"},
                      "avg": {"$avg": "$v"}, "sd": {"$stdDevPop": "$v"},
                      "set": {"$addToSet": "$v"}, "mx": {"$max": "$v"}}},
          {"$sort": {"_id": 1, "n": -1}}])";
  auto big = RunWith(pipeline, size_t{100} << 20, false);
  ASSERT_TRUE(big.ok()) << big.status();
  auto refused = RunWith(pipeline, 2048, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorCodeOf(refused.status()), ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed);
  auto spilled = RunWith(pipeline, 2048, true);
  ASSERT_TRUE(spilled.ok()) << spilled.status();
  // $stdDevPop merges partial (count, mean, m2) sets: equal up to rounding, so compare the rest.
  auto strip = [](std::vector<Document> docs) {
    std::string out;
    for (const Document& d : docs) {
      std::string json = d.ToJson();
      out += json.substr(0, json.find("\"sd\"")) + "\n";
    }
    return out;
  };
  EXPECT_EQ(strip(std::move(*spilled)), strip(std::move(*big)));
  EXPECT_EQ(SpillFiles(), 0u);
}

}  // namespace
}  // namespace strata
