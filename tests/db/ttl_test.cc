// TTL indexes: expiry passes remove exactly the expired documents with their index entries;
// the background monitor runs on its interval; collMod changes expireAfterSeconds and hidden.
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "engine/collection_stats.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

class TtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.ttl_monitor_interval_seconds = 0;  // passes are run by hand
    auto opened = DatabaseImpl::Open(dir_.path(), options);
    ASSERT_OK(opened);
    db_ = *std::move(opened);
  }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }

  std::string Run(const std::string& command) {
    return Dispatch(*db_, Json(command).view()).ToJson();
  }
  std::vector<std::string> Ids() {
    std::string reply = Run(R"({"find": "c", "projection": {"_id": 1}, "sort": {"_id": 1}})");
    std::vector<std::string> ids;
    for (size_t pos = reply.find("\"_id\": "); pos != std::string::npos;
         pos = reply.find("\"_id\": ", pos + 1)) {
      ids.push_back(reply.substr(pos + 7, reply.find('}', pos) - pos - 7));
    }
    return ids;
  }
  int64_t IndexEntries(absl::string_view name) {
    auto indexes = db_->index_cache().Get(db_->catalog().Find("test.c"));
    EXPECT_TRUE(indexes.ok());
    const CompiledIndex* index = (*indexes)->FindByName(name);
    EXPECT_NE(index, nullptr);
    auto stats = engine::ReadIndexStats(db_->engine(), index->id());
    EXPECT_TRUE(stats.ok());
    return stats->count;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

// 2024-01-01T00:00:00Z, the "now" of these tests.
const absl::Time kNow = absl::FromUnixSeconds(1704067200);

TEST_F(TtlTest, RemovesExactlyTheExpiredDocumentsAndTheirEntries) {
  Run(R"({"insert": "c", "documents": [
    {"_id": 1, "t": {"$date": "2023-12-31T23:59:00Z"}, "a": 1},
    {"_id": 2, "t": {"$date": "2023-12-31T23:59:50Z"}, "a": 2},
    {"_id": 3, "t": {"$date": "2024-06-01T00:00:00Z"}, "a": 3},
    {"_id": 4, "t": "not a date", "a": 4},
    {"_id": 5, "a": 5},
    {"_id": 6, "t": [{"$date": "2030-01-01T00:00:00Z"}, {"$date": "2023-01-01T00:00:00Z"}]},
    {"_id": 7, "t": [{"$date": "2030-01-01T00:00:00Z"}]},
    {"_id": 8, "t": {"$date": "2023-12-31T23:59:30Z"}}]})");
  EXPECT_NE(Run(R"({"createIndexes": "c", "indexes": [
    {"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 30},
    {"key": {"a": 1}, "name": "a_1"}]})")
                .find("\"ok\": 1.0"),
            std::string::npos);
  // Expired: dates at or before now - 30 s (23:59:30): 1, 8, and 6 by its earliest date.
  auto removed = db_->ExpireDocuments(kNow);
  ASSERT_OK(removed);
  EXPECT_EQ(*removed, 3);
  EXPECT_EQ(Ids(), (std::vector<std::string>{"2", "3", "4", "5", "7"}));
  // Index entries went with their documents (7 has one date key, 4 a string, 5 null).
  EXPECT_EQ(IndexEntries("t_1"), 5);
  EXPECT_EQ(IndexEntries("a_1"), 5);
  // A second pass at the same time finds nothing; later, 2 expires too.
  EXPECT_EQ(*db_->ExpireDocuments(kNow), 0);
  EXPECT_EQ(*db_->ExpireDocuments(kNow + absl::Seconds(20)), 1);
  EXPECT_EQ(Ids(), (std::vector<std::string>{"3", "4", "5", "7"}));
}

TEST_F(TtlTest, DescendingAndPartialTtlIndexes) {
  Run(R"({"insert": "c", "documents": [
    {"_id": 1, "t": {"$date": "2020-01-01T00:00:00Z"}, "keep": true},
    {"_id": 2, "t": {"$date": "2020-01-01T00:00:00Z"}, "keep": false}]})");
  Run(R"({"createIndexes": "c", "indexes": [{"key": {"t": -1}, "name": "t_-1",
    "expireAfterSeconds": 0, "partialFilterExpression": {"keep": false}}]})");
  EXPECT_EQ(*db_->ExpireDocuments(kNow), 1);
  EXPECT_EQ(Ids(), (std::vector<std::string>{"1"}));
}

TEST_F(TtlTest, ADocumentUpdatedToAFutureDateIsKept) {
  Run(R"({"insert": "c", "documents": [{"_id": 1, "t": {"$date": "2020-01-01T00:00:00Z"}}]})");
  Run(R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1",
    "expireAfterSeconds": 0}]})");
  Run(R"({"update": "c", "updates": [{"q": {"_id": 1},
    "u": {"$set": {"t": {"$date": "2099-01-01T00:00:00Z"}}}}]})");
  EXPECT_EQ(*db_->ExpireDocuments(kNow), 0);
  EXPECT_EQ(Ids(), (std::vector<std::string>{"1"}));
}

TEST_F(TtlTest, CollModChangesExpireAfterSecondsAndHidden) {
  Run(R"({"insert": "c", "documents": [{"_id": 1, "t": {"$date": "2023-12-31T23:00:00Z"}}]})");
  Run(R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1",
    "expireAfterSeconds": 86400}]})");
  EXPECT_EQ(*db_->ExpireDocuments(kNow), 0);
  EXPECT_EQ(Run(R"({"collMod": "c", "index": {"name": "t_1", "expireAfterSeconds": 60}})"),
            R"({"expireAfterSeconds_old": 86400, "expireAfterSeconds_new": 60, "ok": 1.0})");
  EXPECT_EQ(*db_->ExpireDocuments(kNow), 1);

  EXPECT_EQ(Run(R"({"collMod": "c", "index": {"keyPattern": {"t": 1}, "hidden": true}})"),
            R"({"hidden_old": false, "hidden_new": true, "ok": 1.0})");
  EXPECT_NE(Run(R"({"listIndexes": "c"})")
                .find(R"("name": "t_1", "expireAfterSeconds": 60, )"
                      R"("hidden": true})"),
            std::string::npos);
  EXPECT_EQ(Run(R"({"collMod": "c", "index": {"name": "t_1", "hidden": false}})"),
            R"({"hidden_old": true, "hidden_new": false, "ok": 1.0})");
  EXPECT_EQ(Run(R"({"collMod": "c", "index": {"name": "nope", "hidden": true}})"),
            R"({"ok": 0.0, "errmsg": "cannot find index nope for ns test.c", "code": 27, )"
            R"("codeName": "IndexNotFound"})");
  EXPECT_NE(
      Run(R"({"collMod": "c", "index": {"name": "_id_", "hidden": true}})").find("\"code\": 2,"),
      std::string::npos);
  EXPECT_NE(Run(R"({"collMod": "c", "index": {"name": "t_1", "bogus": 1}})").find("40415"),
            std::string::npos);
}

TEST_F(TtlTest, CollModSurvivesReopen) {
  Run(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
  Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  Run(R"({"collMod": "c", "index": {"name": "a_1", "hidden": true}})");
  ASSERT_OK(db_->Close());
  db_.reset();
  auto reopened = DatabaseImpl::Open(dir_.path(), DatabaseOptions());
  ASSERT_OK(reopened);
  db_ = *std::move(reopened);
  EXPECT_NE(Run(R"({"listIndexes": "c"})").find(R"("name": "a_1", "hidden": true})"),
            std::string::npos);
}

TEST(TtlMonitor, BackgroundPassesRemoveExpiredDocuments) {
  TempDir dir;
  DatabaseOptions options;
  options.ttl_monitor_interval_seconds = 1;
  auto db = DatabaseImpl::Open(dir.path(), options);
  ASSERT_OK(db);
  Dispatch(**db, Json(R"({"insert": "c", "documents": [
    {"_id": 1, "t": {"$date": "2000-01-01T00:00:00Z"}}, {"_id": 2}]})")
                     .view());
  Dispatch(**db, Json(R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1",
    "expireAfterSeconds": 0}]})")
                     .view());
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((*db)->ttl_monitor()->deleted() < 1 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ((*db)->ttl_monitor()->deleted(), 1);
  EXPECT_GE((*db)->ttl_monitor()->passes(), 1);
  auto count = (*db)->Count("test.c", DocumentView(), 0, 0);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1);
  ASSERT_OK((*db)->Close());
}

}  // namespace
}  // namespace strata::db
