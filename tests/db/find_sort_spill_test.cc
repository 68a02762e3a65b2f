// find's blocking sort past its memory budget (db/query_execution.h, query/sort/external_sorter.h):
// with allowDiskUse it spills sorted runs under <data dir>/_tmp and returns exactly the
// in-memory order (mixed BSON types, duplicates, descending and compound keys, skip/limit);
// without it, error 292. Spill files are gone when the cursor ends or is killed; explain shows
// usedDisk/spills on the SORT stage.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class FindSortSpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    options.aggregation_memory_bytes = 64 * 1024;  // the sort budget find uses too
    auto db = DatabaseImpl::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = *std::move(db);
    // 3000 documents (~400 KB): k cycles through mixed BSON types with many duplicates.
    const char* values[] = {"1",
                            "2.5",
                            R"("b")",
                            "null",
                            R"({"x": 1})",
                            "true",
                            "1.0",
                            R"("a")",
                            "[3, 1]",
                            "-7",
                            R"({"$numberLong": "2"})",
                            "false",
                            R"("B")"};
    std::string docs;
    for (int i = 0; i < 3000; ++i) {
      std::string k = i % 17 == 0 ? "" : absl::StrCat(R"(, "k": )", values[(i * 7) % 13]);
      absl::StrAppend(&docs, i % 500 ? ", " : "", R"({"_id": )", i, R"(, "g": )", i % 5, k,
                      R"(, "pad": ")", std::string(100, 'p'), R"("})");
      if (i % 500 == 499) {
        ASSERT_THAT(Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}")),
                    HasSubstr(R"("n": 500)"));
        docs.clear();
      }
    }
  }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }

  std::string Run(const std::string& json) { return Dispatch(*db_, Json(json).view()).ToJson(); }

  // The documents of a find reply's first batch, as JSON.
  static std::vector<std::string> Batch(const Document& reply) {
    std::vector<std::string> out;
    bson_iter_t it, doc;
    if (!bson_iter_init(&it, reply.bson()) ||
        !bson_iter_find_descendant(&it, "cursor.firstBatch", &doc) ||
        !bson_iter_recurse(&doc, &doc)) {
      ADD_FAILURE() << reply.ToJson();
      return out;
    }
    while (bson_iter_next(&doc)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&doc, &length, &data);
      out.push_back(DocumentView(data, length).ToJson());
    }
    return out;
  }

  // The same query read in memory (a budget big enough), through QueryExecution.
  std::vector<std::string> InMemory(const std::string& sort, int64_t skip, int64_t limit) {
    QuerySpec spec;
    spec.sort = Json(sort);
    spec.skip = skip;
    spec.limit = limit;
    spec.sort_memory_bytes = size_t{1} << 30;
    auto execution = db_->Query("test.c", std::move(spec));
    EXPECT_OK(execution);
    std::vector<std::string> out;
    while (true) {
      auto next = (*execution)->Next();
      EXPECT_OK(next);
      if (!next.ok() || !next->has_value()) break;
      out.push_back(DocumentView(reinterpret_cast<const uint8_t*>((*next)->data()), (*next)->size())
                        .ToJson());
    }
    return out;
  }

  size_t TempFiles() {
    const std::string tmp = dir_.path() + "/_tmp";
    if (!std::filesystem::exists(tmp)) return 0;
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
      (void)entry;
      ++n;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

TEST_F(FindSortSpillTest, SpilledSortReturnsTheInMemoryOrder) {
  struct Case {
    const char* sort;
    int64_t skip;
    int64_t limit;
  };
  const Case cases[] = {{R"({"k": 1})", 0, 0},          {R"({"k": -1})", 0, 0},
                        {R"({"g": 1, "k": -1})", 0, 0}, {R"({"k": 1, "g": -1})", 7, 0},
                        {R"({"k": -1})", 10, 1500},     {R"({"g": -1, "_id": 1})", 0, 2900}};
  for (const Case& c : cases) {
    const std::vector<std::string> expected = InMemory(c.sort, c.skip, c.limit);
    ASSERT_EQ(expected.size(), static_cast<size_t>(c.limit > 0 ? c.limit : 3000 - c.skip))
        << c.sort;
    const std::string find =
        absl::StrCat(R"({"find": "c", "sort": )", c.sort, R"(, "skip": )", c.skip, R"(, "limit": )",
                     c.limit, R"(, "batchSize": 5000, "allowDiskUse": true})");
    Document reply = Dispatch(*db_, Json(find).view());
    EXPECT_EQ(Batch(reply), expected) << c.sort;
    EXPECT_EQ(TempFiles(), 0u) << c.sort;
    // Without allowDiskUse the same sort fails.
    const std::string no_disk = absl::StrCat(R"({"find": "c", "sort": )", c.sort, R"(, "skip": )",
                                             c.skip, R"(, "limit": )", c.limit, "}");
    EXPECT_THAT(Run(no_disk), HasSubstr(R"("code": 292)")) << c.sort;
    EXPECT_THAT(Run(no_disk), HasSubstr("Sort exceeded memory limit of 65536 bytes"));
  }
  // A sort within the budget never touches the disk (and needs no allowDiskUse).
  EXPECT_THAT(Run(R"({"find": "c", "filter": {"g": 0, "_id": {"$lt": 300}}, "sort": {"k": 1}})"),
              HasSubstr(R"("ok": 1.0)"));
}

TEST_F(FindSortSpillTest, ExplainShowsTheSpills) {
  std::string reply = Run(R"({"explain": {"find": "c", "sort": {"k": 1}, "allowDiskUse": true},
                              "verbosity": "executionStats"})");
  // winningPlan and executionStages both show the budget in force.
  EXPECT_THAT(reply, HasSubstr(R"("winningPlan": {"stage": "SORT", "sortPattern": {"k": 1}, )"
                               R"("memLimit": 65536)"));
  EXPECT_THAT(reply, HasSubstr(R"("executionStages": {"stage": "SORT", "sortPattern": {"k": 1}, )"
                               R"("memLimit": 65536)"));
  EXPECT_THAT(reply, HasSubstr(R"("usedDisk": true, "spills": )"));
  EXPECT_THAT(reply, Not(HasSubstr(R"("spills": 0)")));
  reply = Run(R"({"explain": {"find": "c", "sort": {"k": 1}, "limit": 3, "allowDiskUse": true},
                  "verbosity": "executionStats"})");
  EXPECT_THAT(reply, HasSubstr(R"("usedDisk": false, "spills": 0)"));
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(FindSortSpillTest, KilledCursorRemovesItsSpillFiles) {
  Document reply = Dispatch(
      *db_,
      Json(R"({"find": "c", "sort": {"k": -1}, "batchSize": 10, "allowDiskUse": true})").view());
  EXPECT_EQ(Batch(reply).size(), 10u);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "cursor.id", &it));
  const int64_t id = bson_iter_as_int64(&it);
  ASSERT_NE(id, 0);
  EXPECT_GT(TempFiles(), 0u);  // the runs being merged
  EXPECT_THAT(
      Run(absl::StrCat(R"({"killCursors": "c", "cursors": [{"$numberLong": ")", id, R"("}]})")),
      HasSubstr(R"("cursorsKilled": [)"));
  EXPECT_EQ(TempFiles(), 0u);
  // A cursor read to its end removes them too.
  reply = Dispatch(
      *db_,
      Json(R"({"find": "c", "sort": {"k": 1}, "batchSize": 10, "allowDiskUse": true})").view());
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "cursor.id", &it));
  const int64_t second = bson_iter_as_int64(&it);
  EXPECT_THAT(Run(absl::StrCat(R"({"getMore": {"$numberLong": ")", second,
                               R"("}, "collection": "c", "batchSize": 5000})")),
              HasSubstr(R"("id": 0)"));
  EXPECT_EQ(TempFiles(), 0u);
}

}  // namespace
}  // namespace strata::db
