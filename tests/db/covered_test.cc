// Covered queries end to end (query/planner/covered_plan.h, query/exec/covered_projection.h):
// which find shapes an index covers, explain's PROJECTION_COVERED over IXSCAN without FETCH,
// results byte-identical to the fetching plans on randomized queries over values of every
// numeric type (int32/int64/double/-0.0/decimal/NaN), strings, nulls, missing fields and nested
// paths, type changes through updates, and indexes built before typed entries (entry format 0)
// never covering until a repair rebuilds them.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/index_builder.h"
#include "index/index_spec.h"
#include "index/key_types.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class CoveredTest : public ::testing::Test {
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

  // The value of `n` for document i: every numeric type, -0.0, NaN, a non-canonical decimal,
  // strings, null, a missing field and an embedded document.
  static std::string NValue(int i) {
    switch (i % 13) {
      case 0:
        return absl::StrCat(i);  // int32
      case 1:
        return absl::StrCat(R"({"$numberLong": ")", i, R"("})");
      case 2:
        return absl::StrCat(R"({"$numberDouble": ")", i, R"(.5"})");
      case 3:
        return absl::StrCat(R"({"$numberDouble": ")", i, R"(.0"})");  // integral double
      case 4:
        return R"({"$numberDouble": "-0.0"})";
      case 5:
        return absl::StrCat(R"({"$numberDecimal": ")", i, R"("})");
      case 6:
        return absl::StrCat(R"({"$numberDecimal": ")", i, R"(.10"})");  // not canonical
      case 7:
        return absl::StrCat(R"("s)", i % 40, R"(")");
      case 8:
        return "null";
      case 9:
        return R"({"$numberDouble": "NaN"})";
      case 10:
        return absl::StrCat(R"({"x": )", i % 5, R"(, "y": "z"})");
      case 11:
        return "true";
      default:
        return "";  // missing
    }
  }

  // 1300 documents {_id, n, k, d: {e, f}} (fields in key pattern order, so covered and fetched
  // results have the same field order), d sometimes missing or a scalar, e sometimes missing.
  void Load() {
    std::string docs;
    for (int i = 0; i < 1300; ++i) {
      std::string doc = absl::StrCat(R"({"_id": )", i);
      const std::string n = NValue(i);
      if (!n.empty()) absl::StrAppend(&doc, R"(, "n": )", n);
      absl::StrAppend(&doc, R"(, "k": )", i % 50);
      if (i % 17 == 0) {
        absl::StrAppend(&doc, R"(, "d": 5)");
      } else if (i % 19 == 0) {
        absl::StrAppend(&doc, R"(, "d": {})");
      } else if (i % 23 != 0) {
        absl::StrAppend(&doc, R"(, "d": {"e": )", i % 7, R"(, "f": "t)", i % 3, R"("})");
      }
      absl::StrAppend(&doc, R"(, "tags": [)", i % 3, "]}");
      absl::StrAppend(&docs, i ? ", " : "", doc);
    }
    ASSERT_THAT(Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}")),
                HasSubstr(R"("n": 1300)"));
    ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [
        {"key": {"n": 1, "k": -1}, "name": "n_k"},
        {"key": {"k": 1, "d.e": 1, "d.f": -1}, "name": "k_de_df"},
        {"key": {"tags": 1}, "name": "tags_1"},
        {"key": {"_id": 1, "k": 1}, "name": "id_k"}]})"),
                HasSubstr(R"("ok": 1.0)"));
  }

  std::string Explain(const std::string& find, const char* verbosity = "queryPlanner") {
    return Run(absl::StrCat(R"({"explain": )", find, R"(, "verbosity": ")", verbosity, R"("})"));
  }

  std::string Winning(const std::string& find) {
    std::string reply = Explain(find);
    size_t start = reply.find("\"winningPlan\"");
    size_t end = reply.find("\"rejectedPlans\"");
    EXPECT_NE(start, std::string::npos) << reply;
    return reply.substr(start, end - start);
  }

  bool Covered(const std::string& find) {
    const std::string winning = Winning(find);
    const bool covered = winning.find("PROJECTION_COVERED") != std::string::npos;
    if (covered) {
      EXPECT_THAT(winning, Not(HasSubstr("FETCH"))) << find;
    }
    return covered;
  }

  // The result documents' bytes, sorted (plans may return them in different orders).
  std::vector<std::string> Results(const std::string& find) {
    Document reply = Dispatch(*db_, Json(find).view());
    bson_iter_t it, batch;
    std::vector<std::string> out;
    EXPECT_TRUE(bson_iter_init(&it, reply.bson()) &&
                bson_iter_find_descendant(&it, "cursor.firstBatch", &batch))
        << reply.ToJson() << " for " << find;
    bson_iter_t doc;
    if (!BSON_ITER_HOLDS_ARRAY(&batch) || !bson_iter_recurse(&batch, &doc)) return out;
    while (bson_iter_next(&doc)) {
      uint32_t size = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&doc, &size, &data);
      out.emplace_back(reinterpret_cast<const char*>(data), size);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The bytes of the documents written in `json` (an array of Extended JSON documents).
  static std::vector<std::string> Bytes(const std::string& json) {
    Document array = Json(absl::StrCat(R"({"a": )", json, "}"));
    bson_iter_t it, doc;
    std::vector<std::string> out;
    EXPECT_TRUE(bson_iter_init_find(&it, array.bson(), "a") && bson_iter_recurse(&it, &doc));
    while (bson_iter_next(&doc)) {
      uint32_t size = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&doc, &size, &data);
      out.emplace_back(reinterpret_cast<const char*>(data), size);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

TEST_F(CoveredTest, ExplainShowsProjectionCoveredOverIxscanWithoutFetch) {
  Load();
  const std::string find =
      R"({"find": "c", "filter": {"n": {"$gte": 100, "$lt": 200}}, "projection": {"n": 1, "_id": 0}})";
  const std::string stats = Explain(find, "executionStats");
  const std::string winning = stats.substr(stats.find("\"winningPlan\""));
  EXPECT_THAT(winning, HasSubstr(R"("stage": "PROJECTION_COVERED")"));
  EXPECT_THAT(winning, HasSubstr(R"("stage": "IXSCAN")"));
  EXPECT_LT(winning.find("PROJECTION_COVERED"), winning.find("IXSCAN"));
  EXPECT_THAT(Winning(find), Not(HasSubstr("FETCH")));
  // Only the entries that cannot be rebuilt are fetched: the decimals "i.10" (not the
  // canonical form of their value), i = 110, 123, …, 188.
  EXPECT_THAT(stats, HasSubstr(R"("totalDocsExamined": 7)"));
  EXPECT_THAT(stats, HasSubstr(R"("totalKeysExamined": 46)"));
  // Without such values nothing is fetched.
  const std::string exact = R"({"find": "c", "filter": {"n": {"$gte": 100, "$lt": 200,
      "$type": ["int", "long", "double"]}}, "projection": {"n": 1, "_id": 0}, "hint": "n_k"})";
  EXPECT_THAT(Explain(R"({"find": "c", "filter": {"n": {"$gte": 100, "$lt": 109}},
                          "projection": {"n": 1, "_id": 0}})",
                      "executionStats"),
              HasSubstr(R"("totalDocsExamined": 0)"));
  EXPECT_EQ(Results(exact), Results(absl::StrCat(exact.substr(0, exact.size() - 14),
                                                 R"("hint": {"$natural": 1}})")));
  // The same query returning `_id` fetches.
  const std::string with_id =
      R"({"find": "c", "filter": {"n": {"$gte": 100, "$lt": 200}}, "projection": {"n": 1}})";
  EXPECT_THAT(Winning(with_id), HasSubstr("FETCH"));
  EXPECT_THAT(Winning(with_id), Not(HasSubstr("PROJECTION_COVERED")));
}

TEST_F(CoveredTest, PlanChoiceTable) {
  Load();
  struct Case {
    const char* find_tail;  // after {"find": "c",
    bool covered;
  } cases[] = {
      // Key fields only, `_id` excluded.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 0}})", true},
      {R"("filter": {"n": 7}, "projection": {"n": 1, "k": 1, "_id": 0}})", true},
      {R"("filter": {"n": 7, "k": {"$gt": 3}}, "projection": {"k": 1, "_id": 0}})", true},
      // A residual predicate on a key field is evaluated on the rebuilt keys.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}, "k": {"$mod": [3, 1]}}, "projection": {"n": 1, "_id": 0}})",
       true},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 0}, "sort": {"k": 1}})",
       true},
      {R"("filter": {"k": 3}, "projection": {"d.e": 1, "_id": 0}, "hint": "k_de_df"})", true},
      {R"("filter": {"k": 3, "d.e": {"$gte": 2}}, "projection": {"d": {"f": 1}, "_id": 0},
          "hint": "k_de_df"})",
       true},
      // `_id` as a key part may be returned.
      {R"("filter": {"_id": {"$gte": 10}, "k": 3}, "projection": {"_id": 1, "k": 1},
          "hint": "id_k"})",
       true},
      // A hint still forces the index (and is covered when it can be).
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 0}, "hint": "n_k"})",
       true},
      // `_id` returned but not a key part.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1}})", false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 1}})", false},
      // A non-key field in the projection, the filter or the sort.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "tags": 1, "_id": 0}})",
       false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}, "tags": 1}, "projection": {"n": 1, "_id": 0}})",
       false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 0}, "sort": {"tags": 1}})",
       false},
      // A prefix of a key path needs the whole embedded document.
      {R"("filter": {"k": 3}, "projection": {"d": 1, "_id": 0}, "hint": "k_de_df"})", false},
      // Exclusion, computed and positional projections; no projection.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"_id": 0, "tags": 0}})", false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": 1, "_id": 0, "x": "$n"}})",
       false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}, "projection": {"n": {"$slice": 1}, "_id": 0}})",
       false},
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}}})", false},
      // $expr reads the whole document.
      {R"("filter": {"n": {"$gte": 5, "$lt": 30}, "$expr": {"$gt": ["$k", 2]}}, "projection": {"n": 1, "_id": 0}})",
       false},
      // Multikey index.
      {R"("filter": {"tags": 1}, "projection": {"tags": 1, "_id": 0}})", false},
  };
  for (const Case& c : cases) {
    const std::string find = absl::StrCat(R"({"find": "c", )", c.find_tail);
    EXPECT_EQ(Covered(find), c.covered) << find << "\n" << Winning(find);
  }
}

TEST_F(CoveredTest, SparseAndPartialIndexesCoverTheDocumentsTheyHold) {
  ASSERT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 1, "s": 5}, {"_id": 2},
      {"_id": 3, "s": {"$numberLong": "7"}}, {"_id": 4, "s": null}, {"_id": 5, "p": 1.5}]})"),
              HasSubstr(R"("n": 5)"));
  ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [
      {"key": {"s": 1}, "name": "s_1", "sparse": true},
      {"key": {"p": 1}, "name": "p_1", "partialFilterExpression": {"p": {"$gt": 1}}}]})"),
              HasSubstr(R"("ok": 1.0)"));
  const std::string sparse =
      R"({"find": "c", "filter": {"s": {"$gt": 0}}, "projection": {"s": 1, "_id": 0}})";
  EXPECT_TRUE(Covered(sparse));
  EXPECT_EQ(Results(sparse), Results(absl::StrCat(sparse.substr(0, sparse.size() - 1),
                                                  R"(, "hint": {"$natural": 1}})")));
  EXPECT_EQ(Results(sparse), Bytes(R"([{"s": 5}, {"s": {"$numberLong": "7"}}])"));
  const std::string partial =
      R"({"find": "c", "filter": {"p": {"$gt": 1}}, "projection": {"p": 1, "_id": 0}})";
  EXPECT_TRUE(Covered(partial));
  EXPECT_THAT(Run(partial), HasSubstr(R"([{"p": 1.5}])"));
}

TEST_F(CoveredTest, DottedKeyPathsComeBackAsNestedDocuments) {
  ASSERT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 1, "a": {"b": 1, "c": "x", "z": 0}},
      {"_id": 2, "a": {"c": "y"}}, {"_id": 3, "a": 5}, {"_id": 4}]})"),
              HasSubstr(R"("n": 4)"));
  ASSERT_THAT(
      Run(R"({"createIndexes": "c", "indexes": [{"key": {"a.b": 1, "a.c": 1}, "name": "abc"}]})"),
      HasSubstr(R"("ok": 1.0)"));
  const std::string find =
      R"({"find": "c", "filter": {}, "projection": {"a.b": 1, "a.c": 1, "_id": 0}, "hint": "abc"})";
  EXPECT_TRUE(Covered(find));
  // Ascending (a.b, a.c): missing a.b (null) first; {a: 5} and {} have neither path.
  EXPECT_EQ(Results(find), Results(R"({"find": "c", "projection": {"a.b": 1, "a.c": 1, "_id": 0},
                        "hint": {"$natural": 1}})"));
  EXPECT_THAT(Run(find), HasSubstr(R"({"a": {"b": 1, "c": "x"}})"));
  EXPECT_THAT(Run(find), HasSubstr(R"({"a": {"c": "y"}})"));
}

// The answer never depends on covering: random filters, projections and sorts give byte-identical
// documents under the covering index and under a collection scan.
TEST_F(CoveredTest, RandomQueriesGiveTheSameBytesCoveredOrNot) {
  Load();
  std::mt19937 rng(20261127);
  auto number = [&](int max) { return std::uniform_int_distribution<int>(0, max)(rng); };
  const std::vector<std::string> n_filters = {
      R"({"n": {"$gte": %d}})",
      R"({"n": {"$lt": %d}})",
      R"({"n": {"$exists": true, "$type": "double"}})",
      R"({"n": {"$exists": true, "$type": "long"}})",
      R"({"n": null})",
      R"({"n": {"$exists": false}})",
      R"({"n": {"$ne": null}})",
      R"({"n": {"$in": [%d, 7]}})",
      R"({"n": {"$gt": "s"}})",
      R"({"n": {"$eq": 0}})",
      R"({"n": {"$exists": true, "$type": "object"}})",
      R"({"n": {"$mod": [4, 0]}})",
  };
  const std::vector<std::string> k_filters = {
      R"({"k": {"$lt": %d}})",
      R"({"k": %d})",
      R"({"d.e": {"$gt": 2}})",
      R"({"d.e": null})",
      R"({"d.f": {"$in": ["t1", "t2"]}})",
      R"({"d.e": {"$exists": true}})",
      R"({"k": {"$ne": %d}})",
  };
  const std::vector<std::string> n_projections = {
      R"({"n": 1, "_id": 0})", R"({"n": 1, "k": 1, "_id": 0})", R"({"k": true, "_id": false})"};
  const std::vector<std::string> k_projections = {
      R"({"k": 1, "d.e": 1, "_id": 0})", R"({"d.e": 1, "d.f": 1, "_id": 0})",
      R"({"d": {"f": 1}, "_id": 0})", R"({"k": 1, "d.f": 1, "_id": 0})"};
  int covered = 0;
  for (int trial = 0; trial < 80; ++trial) {
    const bool on_n = trial % 2 == 0;
    const auto& filters = on_n ? n_filters : k_filters;
    const auto& projections = on_n ? n_projections : k_projections;
    std::string filter;
    const int conditions = 1 + number(1);
    for (int i = 0; i < conditions; ++i) {
      std::string condition = filters[number(static_cast<int>(filters.size()) - 1)];
      const size_t hole = condition.find("%d");
      if (hole != std::string::npos) condition.replace(hole, 2, absl::StrCat(number(1300)));
      absl::StrAppend(&filter, i ? ", " : "", condition);
    }
    filter = absl::StrCat(R"({"$and": [)", filter, "]}");
    const std::string projection = projections[number(static_cast<int>(projections.size()) - 1)];
    std::string tail = absl::StrCat(R"(, "projection": )", projection);
    if (number(3) == 0)
      absl::StrAppend(&tail, on_n ? R"(, "sort": {"k": -1})" : R"(, "sort": {"d.e": 1})");
    if (number(3) == 0) absl::StrAppend(&tail, R"(, "skip": 3, "limit": 40)");
    const std::string base =
        absl::StrCat(R"({"find": "c", "filter": )", filter, tail, R"(, "batchSize": 5000)");
    const std::string hinted =
        absl::StrCat(base, R"(, "hint": ")", on_n ? "n_k" : "k_de_df", R"("})");
    const std::string scanned = absl::StrCat(base, R"(, "hint": {"$natural": 1}})");
    if (Covered(hinted)) ++covered;
    if (tail.find("limit") != std::string::npos) {
      // A limit keeps plan-dependent documents (no order, or ties in the sort order): compare
      // the counts only.
      EXPECT_EQ(Results(hinted).size(), Results(scanned).size()) << hinted;
      continue;
    }
    EXPECT_EQ(Results(hinted), Results(scanned)) << hinted;
    EXPECT_EQ(Results(absl::StrCat(base, "}")), Results(scanned)) << base;
  }
  EXPECT_GT(covered, 60);  // the test exercises covering, not only the fallback
}

TEST_F(CoveredTest, UpdatesThatOnlyChangeTheTypeRewriteTheEntry) {
  ASSERT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 1, "n": 1}]})"), HasSubstr(R"("n": 1)"));
  ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [{"key": {"n": 1}, "name": "n_1"}]})"),
              HasSubstr(R"("ok": 1.0)"));
  const std::string find =
      R"({"find": "c", "filter": {"n": 1}, "projection": {"n": 1, "_id": 0}, "hint": "n_1"})";
  ASSERT_TRUE(Covered(find));
  EXPECT_EQ(Results(find), Bytes(R"([{"n": 1}])"));
  ASSERT_THAT(Run(R"({"update": "c", "updates": [{"q": {"_id": 1},
                      "u": {"$set": {"n": {"$numberDouble": "1.0"}}}}]})"),
              HasSubstr(R"("nModified": 1)"));
  EXPECT_EQ(Results(find), Bytes(R"([{"n": {"$numberDouble": "1.0"}}])"));
  ASSERT_THAT(Run(R"({"update": "c", "updates": [{"q": {"_id": 1},
                      "u": {"$set": {"n": {"$numberLong": "1"}}}}]})"),
              HasSubstr(R"("nModified": 1)"));
  EXPECT_EQ(Results(find), Bytes(R"([{"n": {"$numberLong": "1"}}])"));
  EXPECT_THAT(Run(R"({"validate": "c", "full": true})"), HasSubstr(R"("valid": true)"));
}

// An index whose descriptor has no entryFormat (built before typed entries) keeps its old entry
// values, answers queries by fetching, validates, and covers once a repair rebuilds it.
TEST_F(CoveredTest, IndexesBuiltBeforeTypedEntriesNeverCover) {
  ASSERT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 1, "n": 1}, {"_id": 2, "n": 2.5},
      {"_id": 3, "n": {"$numberLong": "3"}}]})"),
              HasSubstr(R"("n": 3)"));
  engine::CollectionHandle collection = db_->catalog().Find("test.c");
  ASSERT_NE(collection, nullptr);
  auto spec = index::IndexSpec::Parse(Json(R"({"key": {"n": 1}, "name": "legacy"})").view());
  ASSERT_OK(spec);
  ASSERT_EQ(spec->entry_format(), index::kUntypedEntryFormat);
  auto id = db_->catalog().AllocateIndexId();
  ASSERT_OK(id);
  spec->set_id(*id);
  std::vector<engine::IndexEntry> entries;
  entries.push_back(engine::IndexEntry{*id, spec->ToDescriptor(), /*ready=*/false});
  auto building = db_->catalog().SetIndexes("test.c", std::move(entries));
  ASSERT_OK(building);
  auto compiled = db_->index_cache().Get(*building);
  ASSERT_OK(compiled);
  IndexBuilder builder(&db_->engine(), 1 << 20, nullptr);
  ASSERT_OK(builder.Build(**compiled, {(*compiled)->all()[0].get()}));
  std::vector<engine::IndexEntry> ready;
  ready.push_back(engine::IndexEntry{*id, spec->ToDescriptor(), /*ready=*/true});
  ASSERT_OK(db_->catalog().SetIndexes("test.c", std::move(ready)));

  const std::string find =
      R"({"find": "c", "filter": {"n": {"$gte": 1}}, "projection": {"n": 1, "_id": 0}, "hint": "legacy"})";
  EXPECT_FALSE(Covered(find));
  EXPECT_THAT(Winning(find), HasSubstr("FETCH"));
  EXPECT_EQ(Results(find), Bytes(R"([{"n": 1}, {"n": 2.5}, {"n": {"$numberLong": "3"}}])"));
  // Writes keep the old value format, which validate accepts.
  ASSERT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 4, "n": 4}]})"), HasSubstr(R"("n": 1)"));
  EXPECT_THAT(Run(R"({"validate": "c", "full": true})"), HasSubstr(R"("valid": true)"));
  EXPECT_FALSE(Covered(find));

  // A repair rebuilds it with typed entries: now it covers.
  ASSERT_OK(db_->RepairCollection("test.c"));
  EXPECT_TRUE(Covered(find));
  EXPECT_EQ(Results(find),
            Bytes(R"([{"n": 1}, {"n": 2.5}, {"n": {"$numberLong": "3"}}, {"n": 4}])"));
  EXPECT_THAT(Run(R"({"validate": "c", "full": true})"), HasSubstr(R"("valid": true)"));
}

}  // namespace
}  // namespace strata::db
