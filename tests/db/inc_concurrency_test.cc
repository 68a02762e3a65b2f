// Concurrent updates never lose a write: every $inc is a locked read-modify-write.
#include <atomic>
#include <thread>
#include <vector>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

int64_t FieldAsInt(const Document& reply, const char* dotted) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, reply.bson()) || !bson_iter_find_descendant(&it, dotted, &found)) {
    return -1;
  }
  return bson_iter_as_int64(&found);
}

TEST(IncConcurrency, EightThreadsTimesThousandIncrementsEndAtEightThousand) {
  TempDir dir;
  DatabaseOptions options;
  options.durability = Durability::kRelaxed;  // the property is isolation, not fsync speed
  auto db = Database::Open(dir.path(), options);
  ASSERT_OK(db);
  Document insert =
      (*db)->RunCommand(Json(R"({"insert": "c", "documents": [{"_id": 1, "n": 0}]})").view());
  ASSERT_EQ(FieldAsInt(insert, "n"), 1) << insert.ToJson();

  constexpr int kThreads = 8;
  constexpr int kIncrements = 1000;
  Document inc =
      Json(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]})");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Document reply = (*db)->RunCommand(inc.view());
        if (FieldAsInt(reply, "nModified") != 1) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  Document find = (*db)->RunCommand(Json(R"({"find": "c", "filter": {"_id": 1}})").view());
  EXPECT_EQ(FieldAsInt(find, "cursor.firstBatch.0.n"), kThreads * kIncrements) << find.ToJson();
}

TEST(IncConcurrency, UpdatesOfDifferentDocumentsDoNotBlockEachOther) {
  TempDir dir;
  DatabaseOptions options;
  options.durability = Durability::kRelaxed;
  auto db = Database::Open(dir.path(), options);
  ASSERT_OK(db);
  ASSERT_EQ(
      FieldAsInt(
          (*db)->RunCommand(
              Json(R"({"insert": "c", "documents": [{"_id": 1, "n": 0}, {"_id": 2, "n": 0}]})")
                  .view()),
          "n"),
      2);
  // Each thread owns one document; both must finish all their increments.
  std::vector<std::thread> threads;
  for (int id : {1, 2}) {
    threads.emplace_back([&, id] {
      std::string json =
          "{\"update\": \"c\", \"updates\": [{\"q\": {\"_id\": " + std::to_string(id) +
          "}, \"u\": {\"$inc\": {\"n\": 1}}}]}";
      Document inc = Json(json);
      for (int i = 0; i < 2000; ++i) (*db)->RunCommand(inc.view());
    });
  }
  for (std::thread& thread : threads) thread.join();
  Document find = (*db)->RunCommand(Json(R"({"find": "c", "filter": {}})").view());
  EXPECT_EQ(FieldAsInt(find, "cursor.firstBatch.0.n"), 2000);
  EXPECT_EQ(FieldAsInt(find, "cursor.firstBatch.1.n"), 2000);
}

}  // namespace
}  // namespace strata
