// Index maintenance under concurrent writers: unique keys claimed by exactly one writer,
// keys moving between documents, multikey paths widened by many writers at once, index
// builds racing with inserts. After each run the `indexes` column family is compared with
// the entries the stored documents imply (tests/db/index_test_util.h).
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "document/key_string.h"
#include "engine/write_transaction.h"
#include "tests/db/index_test_util.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::ActualEntries;
using ::strata::testing::AllIndexesConsistent;
using ::strata::testing::FindCatalogIndex;
using ::strata::testing::HasPath;
using ::strata::testing::IntAt;
using ::strata::testing::OkOf;
using ::strata::testing::PersistedMultikeyPaths;
using ::strata::testing::TestDb;

constexpr int kThreads = 8;
constexpr char kNs[] = "test.c";

// The outcome of a one-document write command: 0 when it applied, else its error code.
int Outcome(const Document& reply) {
  if (OkOf(reply) != 1.0) return static_cast<int>(IntAt(reply, "code"));
  if (HasPath(reply, "writeErrors")) return static_cast<int>(IntAt(reply, "writeErrors.0.code"));
  return 0;
}

void RunThreads(int n, const std::function<void(int)>& body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back(body, t);
  for (std::thread& thread : threads) thread.join();
}

class IndexConcurrencyTest : public ::testing::Test {
 protected:
  void CreateIndexes(absl::string_view specs) {
    Document reply = db_.Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", specs, "]}"));
    ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  }
  engine::IndexId IdOf(absl::string_view name) {
    auto index = FindCatalogIndex(db_.impl(), kNs, name);
    EXPECT_TRUE(index.has_value()) << name;
    return index.has_value() ? index->spec.id() : 0;
  }

  TestDb db_;
};

TEST_F(IndexConcurrencyTest, ExactlyOneInserterWinsEachUniqueKey) {
  constexpr int kKeys = 40;
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"t": 1}, "name": "t_1"})");
  // outcomes[t][k]: what thread t's insert of key k returned.
  std::vector<std::vector<int>> outcomes(kThreads, std::vector<int>(kKeys, -1));
  RunThreads(kThreads, [&](int t) {
    std::mt19937 random(t);
    std::vector<int> keys(kKeys);
    for (int k = 0; k < kKeys; ++k) keys[k] = k;
    std::shuffle(keys.begin(), keys.end(), random);
    for (int k : keys) {
      Document reply =
          db_.Run(absl::StrCat(R"({"insert": "c", "documents": [{"_id": )", t * 1000 + k,
                               R"(, "u": )", k, R"(, "t": [)", t, ", ", k, "]}]}"));
      outcomes[t][k] = Outcome(reply);
    }
  });
  for (int k = 0; k < kKeys; ++k) {
    int wins = 0, duplicates = 0;
    for (int t = 0; t < kThreads; ++t) {
      if (outcomes[t][k] == 0) ++wins;
      if (outcomes[t][k] == 11000) ++duplicates;
    }
    EXPECT_EQ(wins, 1) << "key " << k;
    EXPECT_EQ(duplicates, kThreads - 1) << "key " << k;
  }
  EXPECT_EQ(IntAt(db_.Run(R"({"count": "c"})"), "n"), kKeys);
  EXPECT_EQ(ActualEntries(db_.engine(), IdOf("u_1")).size(), static_cast<size_t>(kKeys));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), IdOf("t_1")), (index::MultikeyPaths{{0}}));
}

TEST_F(IndexConcurrencyTest, UnorderedInsertManyRaceOnUniqueKeys) {
  constexpr int kKeys = 40;
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true})");
  std::atomic<int> inserted{0}, duplicates{0}, other{0};
  RunThreads(kThreads, [&](int t) {
    std::string docs;
    for (int k = 0; k < kKeys; ++k) {
      absl::StrAppend(&docs, k == 0 ? "" : ", ", R"({"_id": )", t * 1000 + k, R"(, "u": )", k, "}");
    }
    Document reply =
        db_.Run(absl::StrCat(R"({"insert": "c", "ordered": false, "documents": [)", docs, "]}"));
    if (OkOf(reply) != 1.0) {
      ADD_FAILURE() << reply.ToJson();
      return;
    }
    inserted += static_cast<int>(IntAt(reply, "n"));
    bson_iter_t it, errors;
    if (bson_iter_init(&it, reply.bson()) &&
        bson_iter_find_descendant(&it, "writeErrors", &errors)) {
      bson_iter_t error;
      bson_iter_recurse(&errors, &error);
      while (bson_iter_next(&error)) {
        bson_iter_t code;
        if (bson_iter_recurse(&error, &code) && bson_iter_find(&code, "code") &&
            bson_iter_as_int64(&code) == 11000) {
          ++duplicates;
        } else {
          ++other;
        }
      }
    }
  });
  EXPECT_EQ(inserted.load(), kKeys);
  EXPECT_EQ(duplicates.load(), (kThreads - 1) * kKeys);
  EXPECT_EQ(other.load(), 0);
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
}

TEST_F(IndexConcurrencyTest, ConcurrentUpdatesMovingUniqueKeys) {
  constexpr int kDocs = 40, kValues = 60, kUpdatesPerThread = 60;
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"v": -1, "u": 1}, "name": "v_u"})");
  std::string docs;
  for (int i = 0; i < kDocs; ++i) {
    absl::StrAppend(&docs, i == 0 ? "" : ", ", R"({"_id": )", i, R"(, "u": )", i, R"(, "v": )",
                    i % 4, "}");
  }
  Document reply = db_.Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
  ASSERT_EQ(IntAt(reply, "n"), kDocs) << reply.ToJson();
  std::atomic<int> applied{0}, duplicates{0};
  RunThreads(kThreads, [&](int t) {
    std::mt19937 random(100 + t);
    for (int i = 0; i < kUpdatesPerThread; ++i) {
      int doc = static_cast<int>(random() % kDocs);
      int value = static_cast<int>(random() % kValues);
      Document reply =
          i % 3 == 2 ? db_.Run(absl::StrCat(R"({"findAndModify": "c", "query": {"_id": )", doc,
                                            R"(}, "update": {"$set": {"u": )", value, R"(, "v": )",
                                            value % 5, "}}}"))
                     : db_.Run(absl::StrCat(R"({"update": "c", "updates": [{"q": {"_id": )", doc,
                                            R"(}, "u": {"$set": {"u": )", value, "}}}]}"));
      int outcome = Outcome(reply);
      if (outcome == 0) {
        ++applied;
      } else if (outcome == 11000) {
        ++duplicates;
      } else {
        ADD_FAILURE() << reply.ToJson();
      }
    }
  });
  EXPECT_EQ(applied.load() + duplicates.load(), kThreads * kUpdatesPerThread);
  EXPECT_GT(applied.load(), 0);
  EXPECT_EQ(IntAt(db_.Run(R"({"count": "c"})"), "n"), kDocs);
  // Consistency includes uniqueness: ExpectedEntries fails on two documents sharing a key.
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
  EXPECT_EQ(ActualEntries(db_.engine(), IdOf("u_1")).size(), static_cast<size_t>(kDocs));
}

TEST_F(IndexConcurrencyTest, MixedWritersKeepEveryIndexConsistent) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"t": -1}, "name": "t_-1"},
                   {"key": {"u": 1}, "name": "u_1", "unique": true, "sparse": true},
                   {"key": {"a": 1}, "name": "a_partial",
                    "partialFilterExpression": {"a": {"$gt": 10}}})");
  RunThreads(kThreads, [&](int t) {
    std::mt19937 random(7 * t + 1);
    for (int i = 0; i < 40; ++i) {
      int id = static_cast<int>(random() % 30);
      int a = static_cast<int>(random() % 20);
      std::string command;
      switch (random() % 5) {
        case 0:
          command = absl::StrCat(R"({"insert": "c", "documents": [{"_id": )", id, R"(, "a": )", a,
                                 R"(, "t": [)", a, ", ", a + 1, R"(], "u": )", a, "}]}");
          break;
        case 1:
          command = absl::StrCat(R"({"update": "c", "updates": [{"q": {"_id": )", id,
                                 R"(}, "u": {"$set": {"a": )", a, R"(}, "$push": {"t": )", a,
                                 R"(}}, "upsert": true}]})");
          break;
        case 2:
          command = absl::StrCat(R"({"delete": "c", "deletes": [{"q": {"_id": )", id,
                                 R"(}, "limit": 1}]})");
          break;
        case 3:
          command = absl::StrCat(R"({"update": "c", "updates": [{"q": {"_id": )", id,
                                 R"(}, "u": {"a": )", a, R"(, "u": )", a + 100, "}}]}");
          break;
        default:
          command = absl::StrCat(R"({"findAndModify": "c", "query": {"_id": )", id,
                                 R"(}, "remove": true})");
          break;
      }
      Document reply = db_.Run(command);
      int outcome = Outcome(reply);
      // Duplicate _id or unique key, both legitimate outcomes of the race.
      if (outcome != 0 && outcome != 11000) ADD_FAILURE() << command << " → " << reply.ToJson();
    }
  });
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
  db_.Reopen();
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
}

// Each thread makes a different key part multikey; the persisted record must end up with all
// of them (widenings serialize on the record's row lock, none is lost).
TEST_F(IndexConcurrencyTest, ConcurrentMultikeyWideningsAreAllPersisted) {
  std::string key;
  for (int t = 0; t < kThreads; ++t) absl::StrAppend(&key, t == 0 ? "" : ", ", "\"f", t, "\": 1");
  CreateIndexes(absl::StrCat(R"({"key": {)", key, R"(}, "name": "wide"})"));
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 10; ++i) {
      Document reply =
          db_.Run(absl::StrCat(R"({"insert": "c", "documents": [{"_id": )", t * 100 + i, R"(, "f)",
                               t, R"(": [)", i, ", ", i + 1, "]}]}"));
      EXPECT_EQ(Outcome(reply), 0) << reply.ToJson();
    }
  });
  index::MultikeyPaths all(kThreads, std::set<size_t>{0});
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), IdOf("wide")), all);
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
  db_.Reopen();
  auto compiled = db_.impl().index_cache().Get(db_.impl().catalog().Find(kNs));
  ASSERT_OK(compiled);
  EXPECT_EQ((*compiled)->FindByName("wide")->multikey_paths(), all);
}

// A transaction that sees its own, not yet committed multikey record must not take it for a
// committed one: when the transaction is retried (here: a write conflict on a later document
// of the same insert), the retry must write the record again.
TEST(IndexConcurrency, MultikeyRecordSurvivesARetriedInsert) {
  DatabaseOptions options = TestDb::DefaultOptions();
  options.lock_timeout_ms = 50;
  TestDb db(options);
  Document reply =
      db.Run(R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1"}]})");
  ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  engine::CollectionHandle collection = db.impl().catalog().Find(kNs);
  ASSERT_NE(collection, nullptr);
  auto index = FindCatalogIndex(db.impl(), kNs, "t_1");
  ASSERT_TRUE(index.has_value());

  // Another transaction holds the row lock of _id 3 for a while.
  Document id3 = ::strata::testing::Json(R"({"_id": 3})");
  bson_iter_t id;
  ASSERT_TRUE(bson_iter_init_find(&id, id3.bson(), "_id"));
  auto blocker = std::make_unique<engine::WriteTransaction>(&db.engine());
  ASSERT_OK(blocker->GetForUpdate(
      db.engine().documents(), engine::RecordKey(collection->id, document::EncodeKeyString(id))));
  std::thread writer([&] {
    // Documents 1 and 2 widen t_1 (the first writes the record, the second reads it back);
    // document 3 waits for the lock, times out, and the whole insert is retried.
    Document reply = db.Run(R"({"insert": "c", "documents": [{"_id": 1, "t": [1, 2]},
                                                               {"_id": 2, "t": [3, 4]},
                                                               {"_id": 3, "t": 5}]})");
    EXPECT_EQ(IntAt(reply, "n"), 3) << reply.ToJson();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  blocker.reset();  // rolls back, releasing the lock
  writer.join();

  EXPECT_EQ(PersistedMultikeyPaths(db.engine(), index->spec.id()), (index::MultikeyPaths{{0}}));
  EXPECT_TRUE(AllIndexesConsistent(db.impl(), kNs));
  db.Reopen();
  auto compiled = db.impl().index_cache().Get(db.impl().catalog().Find(kNs));
  ASSERT_OK(compiled);
  EXPECT_TRUE((*compiled)->FindByName("t_1")->multikey());
}

// createIndexes excludes writers for the duration of its build: inserts racing with it land
// either before the build's snapshot or after the index is ready, never in between.
TEST_F(IndexConcurrencyTest, IndexBuildRacingWithInserts) {
  constexpr int kBatches = 30, kBatchSize = 40;
  std::atomic<int> batches_done{0};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::string docs;
      for (int i = 0; i < kBatchSize; ++i) {
        int id = b * kBatchSize + i;
        absl::StrAppend(&docs, i == 0 ? "" : ", ", R"({"_id": )", id, R"(, "a": )", id % 17,
                        R"(, "t": [)", id % 3, "]}");
      }
      Document reply = db_.Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
      EXPECT_EQ(IntAt(reply, "n"), kBatchSize) << reply.ToJson();
      ++batches_done;
    }
  });
  while (batches_done.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"t": 1, "a": -1}, "name": "t_a"},
                   {"key": {"_id": 1, "a": 1}, "name": "id_a", "unique": true})");
  writer.join();
  EXPECT_EQ(ActualEntries(db_.engine(), IdOf("a_1")).size(),
            static_cast<size_t>(kBatches * kBatchSize));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs));
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), IdOf("t_a")), (index::MultikeyPaths{{0}, {}}));
}

}  // namespace
}  // namespace strata
