// The storage engine through the public API: what survives Close + Open (documents, the
// catalog, relaxed-mode writes), the directory lock (same process and another process), and
// concurrent writers.
#include <bson/bson.h>
#include <poll.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "strata/database.h"
#include "strata/error.h"
#include "strata/options.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr int kDuplicateKey = 11000;

// {_id: id, tag: tag, n: n}: `_id` first, as it is stored, so stored bytes compare equal.
Document MakeDoc(int64_t id, std::string_view tag, int64_t n) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  bson_append_utf8(b, "tag", 3, tag.data(), static_cast<int>(tag.size()));
  bson_append_int64(b, "n", 1, n);
  return doc;
}

Document IdFilter(int64_t id) {
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  return doc;
}

std::optional<int64_t> IntField(DocumentView doc, const char* dotted) {
  bson_t b;
  bson_iter_t it, found;
  if (!doc.AsBson(&b) || !bson_iter_init(&it, &b) ||
      !bson_iter_find_descendant(&it, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    return std::nullopt;
  }
  return bson_iter_as_int64(&found);
}

std::string StringField(DocumentView doc, const char* dotted) {
  bson_t b;
  bson_iter_t it, found;
  if (!doc.AsBson(&b) || !bson_iter_init(&it, &b) ||
      !bson_iter_find_descendant(&it, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) {
    return "<missing>";
  }
  return bson_iter_utf8(&found, nullptr);
}

double Ok(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
}

// Every `_id` (as int64) of the collection, in the order Find returns them.
std::vector<int64_t> AllIds(Collection& collection) {
  std::vector<int64_t> ids;
  auto cursor = collection.Find(DocumentView());
  EXPECT_OK(cursor);
  if (!cursor.ok()) return ids;
  auto docs = cursor->ToVector();
  EXPECT_OK(docs);
  if (!docs.ok()) return ids;
  for (const Document& doc : *docs) {
    std::optional<int64_t> id = IntField(doc.view(), "_id");
    EXPECT_TRUE(id.has_value()) << doc.ToJson();
    ids.push_back(id.value_or(-1));
  }
  return ids;
}

// Names listCollections reports for database `db_name`, in reply order.
std::vector<std::string> CollectionNames(Database& db, std::string_view db_name) {
  Document reply =
      db.RunCommand(db_name, Json(R"({"listCollections": 1, "nameOnly": true})").view());
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  std::vector<std::string> names;
  bson_iter_t it, batch;
  if (!bson_iter_init(&it, reply.bson()) ||
      !bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) ||
      !BSON_ITER_HOLDS_ARRAY(&batch)) {
    ADD_FAILURE() << "no cursor.firstBatch in " << reply.ToJson();
    return names;
  }
  bson_iter_t entry;
  bson_iter_recurse(&batch, &entry);
  while (bson_iter_next(&entry)) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&entry, &length, &data);
    names.push_back(StringField(DocumentView(data, length), "name"));
  }
  return names;
}

class ReopenTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(const DatabaseOptions& options = {}) {
    auto db = Database::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  // Close (checked) and open the same directory again.
  void Reopen(const DatabaseOptions& options = {}) {
    ASSERT_OK(db_->Close());
    db_.reset();
    Open(options);
  }

  Document Run(std::string_view json) { return db_->RunCommand("app", Json(json).view()); }
  Collection Coll(std::string_view name) { return db_->GetCollection("app", name); }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ReopenTest, EveryWriteKindSurvivesCloseAndReopen) {
  Collection users = Coll("users");
  for (int64_t id = 0; id < 10; ++id) {
    ASSERT_OK(users.InsertOne(MakeDoc(id, "one", id).view()));
  }
  // 1500 documents: more than one insert transaction (they commit in chunks of 1000).
  std::vector<Document> many;
  for (int64_t id = 10; id < 1510; ++id) many.push_back(MakeDoc(id, "many", id * 2));
  std::vector<DocumentView> views;
  for (const Document& doc : many) views.push_back(doc.view());
  auto inserted = users.InsertMany(views);
  ASSERT_OK(inserted);
  ASSERT_EQ(inserted->size(), 1500u);

  auto deleted = users.DeleteOne(IdFilter(3).view());
  ASSERT_OK(deleted);
  ASSERT_EQ(*deleted, 1);
  auto replaced = users.ReplaceOne(
      IdFilter(4).view(), Json(R"({"tag": "replaced", "n": {"$numberLong": "-4"}})").view());
  ASSERT_OK(replaced);
  ASSERT_EQ(replaced->matched, 1);
  ASSERT_EQ(replaced->modified, 1);
  auto upserted = users.ReplaceOne(IdFilter(5000).view(),
                                   Json(R"({"tag": "upserted", "n": {"$numberLong": "5"}})").view(),
                                   /*upsert=*/true);
  ASSERT_OK(upserted);
  ASSERT_TRUE(upserted->upserted_id.has_value());

  Reopen();
  users = Coll("users");

  auto count = users.CountDocuments();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1510);  // 1510 inserted - 1 deleted + 1 upserted

  auto gone = users.FindOne(IdFilter(3).view());
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());

  auto four = users.FindOne(IdFilter(4).view());
  ASSERT_OK(four);
  ASSERT_TRUE(four->has_value());
  EXPECT_TRUE((*four)->view().BytesEqual(MakeDoc(4, "replaced", -4).view())) << (*four)->ToJson();

  auto upserted_doc = users.FindOne(IdFilter(5000).view());
  ASSERT_OK(upserted_doc);
  ASSERT_TRUE(upserted_doc->has_value());
  EXPECT_TRUE((*upserted_doc)->view().BytesEqual(MakeDoc(5000, "upserted", 5).view()))
      << (*upserted_doc)->ToJson();

  // Every other document, byte for byte, in _id order.
  auto cursor = users.Find(DocumentView());
  ASSERT_OK(cursor);
  auto docs = cursor->ToVector();
  ASSERT_OK(docs);
  ASSERT_EQ(docs->size(), 1510u);
  size_t i = 0;
  for (int64_t id = 0; id < 1510; ++id) {
    if (id == 3) continue;
    Document expected = id == 4   ? MakeDoc(4, "replaced", -4)
                        : id < 10 ? MakeDoc(id, "one", id)
                                  : MakeDoc(id, "many", id * 2);
    ASSERT_TRUE((*docs)[i].view().BytesEqual(expected.view()))
        << "at " << i << ": " << (*docs)[i].ToJson(JsonMode::kCanonical) << " expected "
        << expected.ToJson(JsonMode::kCanonical);
    ++i;
  }
  EXPECT_TRUE((*docs)[i].view().BytesEqual(MakeDoc(5000, "upserted", 5).view()));

  // skip/limit still walk the reopened data in _id order.
  auto page = users.Find(DocumentView(), FindOptions{.skip = 100, .limit = 3});
  ASSERT_OK(page);
  auto page_docs = page->ToVector();
  ASSERT_OK(page_docs);
  ASSERT_EQ(page_docs->size(), 3u);
  EXPECT_EQ(IntField((*page_docs)[0].view(), "_id"), 101);  // _id 3 is gone
  EXPECT_EQ(IntField((*page_docs)[2].view(), "_id"), 103);
}

TEST_F(ReopenTest, DestructorWithoutCloseAlsoPersists) {
  ASSERT_OK(Coll("c").InsertOne(MakeDoc(1, "x", 1).view()));
  db_.reset();  // ~Database closes (and syncs the WAL)
  Open();
  auto found = Coll("c").FindOne(IdFilter(1).view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->view().BytesEqual(MakeDoc(1, "x", 1).view()));
}

TEST_F(ReopenTest, SeveralReopensAccumulate) {
  for (int round = 0; round < 5; ++round) {
    Collection c = Coll("c");
    for (int64_t i = 0; i < 20; ++i)
      ASSERT_OK(c.InsertOne(MakeDoc(round * 100 + i, "r", round).view()));
    Reopen();
  }
  Collection c = Coll("c");
  auto count = c.CountDocuments();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 100);
  std::vector<int64_t> expected;
  for (int round = 0; round < 5; ++round) {
    for (int64_t i = 0; i < 20; ++i) expected.push_back(round * 100 + i);
  }
  EXPECT_EQ(AllIds(c), expected);
}

TEST_F(ReopenTest, IdsOfEveryTypeSurviveAndStillMatchByValue) {
  Collection c = Coll("ids");
  ASSERT_OK(c.InsertOne(Json(R"({"_id": "a string", "k": 1})").view()));
  ASSERT_OK(c.InsertOne(Json(R"({"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"}, "k": 2})").view()));
  ASSERT_OK(c.InsertOne(Json(R"({"_id": 2.5, "k": 3})").view()));
  ASSERT_OK(c.InsertOne(Json(R"({"_id": {"x": 1, "y": [1, 2]}, "k": 4})").view()));
  ASSERT_OK(c.InsertOne(Json(R"({"_id": {"$numberLong": "7"}, "k": 5})").view()));
  Reopen();
  c = Coll("ids");
  struct Case {
    const char* filter;
    int64_t k;
  };
  for (const Case& test : {Case{R"({"_id": "a string"})", 1},
                           Case{R"({"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"}})", 2},
                           Case{R"({"_id": 2.5})", 3}, Case{R"({"_id": {"x": 1, "y": [1, 2]}})", 4},
                           // 7 stored as int64 is found by the double 7.0: keys encode by value.
                           Case{R"({"_id": 7.0})", 5}}) {
    auto found = c.FindOne(Json(test.filter).view());
    ASSERT_OK(found);
    ASSERT_TRUE(found->has_value()) << test.filter;
    EXPECT_EQ(IntField((*found)->view(), "k"), test.k) << test.filter;
  }
  // The equal-valued int32 is a duplicate of the stored int64 after the reopen too.
  auto duplicate = c.InsertOne(Json(R"({"_id": 7, "k": 6})").view());
  EXPECT_EQ(MongoErrorCode(duplicate.status()), kDuplicateKey) << duplicate.status();
}

TEST_F(ReopenTest, OrderedInsertManyKeepsThePrefixBeforeTheFailureAcrossReopen) {
  Collection c = Coll("c");
  ASSERT_OK(c.InsertOne(MakeDoc(3, "first", 0).view()));
  std::vector<Document> docs;
  for (int64_t id = 0; id < 6; ++id) docs.push_back(MakeDoc(id, "batch", id));
  std::vector<DocumentView> views;
  for (const Document& doc : docs) views.push_back(doc.view());
  auto result = c.InsertMany(views, /*ordered=*/true);
  EXPECT_EQ(MongoErrorCode(result.status()), kDuplicateKey) << result.status();
  Reopen();
  c = Coll("c");
  EXPECT_THAT(AllIds(c), ElementsAre(0, 1, 2, 3));
  auto three = c.FindOne(IdFilter(3).view());
  ASSERT_OK(three);
  ASSERT_TRUE(three->has_value());
  EXPECT_EQ(StringField((*three)->view(), "tag"), "first");
}

TEST_F(ReopenTest, CatalogChangesSurviveReopen) {
  ASSERT_EQ(Ok(Run(R"({"create": "explicit"})")), 1.0);
  ASSERT_OK(Coll("implicit").InsertOne(MakeDoc(1, "implicit", 1).view()));
  ASSERT_OK(Coll("old_name").InsertOne(MakeDoc(1, "renamed", 1).view()));
  ASSERT_OK(Coll("old_name").InsertOne(MakeDoc(2, "renamed", 2).view()));
  ASSERT_OK(Coll("doomed").InsertOne(MakeDoc(1, "doomed", 1).view()));
  ASSERT_OK(db_->GetCollection("other", "c").InsertOne(MakeDoc(1, "other db", 1).view()));

  Document rename = db_->RunCommand(
      "admin", Json(R"({"renameCollection": "app.old_name", "to": "app.new_name"})").view());
  ASSERT_EQ(Ok(rename), 1.0) << rename.ToJson();
  Document drop = Run(R"({"drop": "doomed"})");
  ASSERT_EQ(Ok(drop), 1.0) << drop.ToJson();
  ASSERT_THAT(CollectionNames(*db_, "app"), ElementsAre("explicit", "implicit", "new_name"));

  Reopen();
  EXPECT_THAT(CollectionNames(*db_, "app"), ElementsAre("explicit", "implicit", "new_name"));
  EXPECT_THAT(CollectionNames(*db_, "other"), ElementsAre("c"));
  Collection new_name = Coll("new_name");
  EXPECT_THAT(AllIds(new_name), ElementsAre(1, 2));
  Collection old_name = Coll("old_name");
  EXPECT_THAT(AllIds(old_name), IsEmpty());
  Collection doomed = Coll("doomed");
  EXPECT_THAT(AllIds(doomed), IsEmpty());
  auto doomed_count = doomed.CountDocuments();
  ASSERT_OK(doomed_count);
  EXPECT_EQ(*doomed_count, 0);
  // The explicitly created collection exists (empty); creating it again is NamespaceExists.
  Document again = Run(R"({"create": "explicit"})");
  EXPECT_EQ(Ok(again), 0.0);
  EXPECT_EQ(IntField(again.view(), "code"), 48) << again.ToJson();
  // Dropping the already-dropped collection is NamespaceNotFound after the reopen too.
  Document drop_again = Run(R"({"drop": "doomed"})");
  EXPECT_EQ(Ok(drop_again), 0.0);
  EXPECT_EQ(IntField(drop_again.view(), "code"), 26) << drop_again.ToJson();
}

TEST_F(ReopenTest, RecreatedCollectionNeverSeesTheDroppedOnesDocuments) {
  Collection c = Coll("c");
  for (int64_t id = 0; id < 200; ++id) ASSERT_OK(c.InsertOne(MakeDoc(id, "old", id).view()));
  ASSERT_EQ(Ok(Run(R"({"drop": "c"})")), 1.0);
  // Same name, same _id values: only the new documents may ever be visible.
  for (int64_t id = 0; id < 200; id += 50) ASSERT_OK(c.InsertOne(MakeDoc(id, "new", id).view()));
  for (int round = 0; round < 2; ++round) {
    Reopen();
    c = Coll("c");
    EXPECT_THAT(AllIds(c), ElementsAre(0, 50, 100, 150)) << "round " << round;
    auto count = c.CountDocuments();
    ASSERT_OK(count);
    EXPECT_EQ(*count, 4) << "round " << round;
    auto found = c.FindOne(IdFilter(50).view());
    ASSERT_OK(found);
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(StringField((*found)->view(), "tag"), "new");
    auto old = c.FindOne(IdFilter(1).view());
    ASSERT_OK(old);
    EXPECT_FALSE(old->has_value()) << (*old)->ToJson();
  }
  // Dropped and recreated across a reopen (the id counter itself must have persisted).
  ASSERT_EQ(Ok(Run(R"({"drop": "c"})")), 1.0);
  Reopen();
  ASSERT_EQ(Ok(Run(R"({"create": "c"})")), 1.0);
  Reopen();
  c = Coll("c");
  EXPECT_THAT(AllIds(c), IsEmpty());
  ASSERT_OK(c.InsertOne(MakeDoc(7, "newest", 7).view()));
  Reopen();
  c = Coll("c");
  EXPECT_THAT(AllIds(c), ElementsAre(7));
}

TEST_F(ReopenTest, RecreatedCollectionIsNotEatenByAnOlderDropAfterReopen) {
  // Two generations dropped, the third must survive every reopen whole.
  for (int generation = 0; generation < 3; ++generation) {
    Collection c = Coll("c");
    for (int64_t id = 0; id < 100; ++id) {
      ASSERT_OK(c.InsertOne(MakeDoc(id, "gen", generation).view()));
    }
    if (generation < 2) {
      ASSERT_EQ(Ok(Run(R"({"drop": "c"})")), 1.0);
      Reopen();
    }
  }
  for (int round = 0; round < 2; ++round) {
    Reopen();
    Collection c = Coll("c");
    auto count = c.CountDocuments();
    ASSERT_OK(count);
    EXPECT_EQ(*count, 100);
    auto cursor = c.Find(DocumentView());
    ASSERT_OK(cursor);
    auto docs = cursor->ToVector();
    ASSERT_OK(docs);
    ASSERT_EQ(docs->size(), 100u);
    for (const Document& doc : *docs) EXPECT_EQ(IntField(doc.view(), "n"), 2) << doc.ToJson();
  }
}

TEST_F(ReopenTest, RenameWithDropTargetSurvivesReopen) {
  ASSERT_OK(Coll("src").InsertOne(MakeDoc(1, "src", 1).view()));
  ASSERT_OK(Coll("dst").InsertOne(MakeDoc(1, "dst", 1).view()));
  ASSERT_OK(Coll("dst").InsertOne(MakeDoc(2, "dst", 2).view()));
  Document rename = db_->RunCommand(
      "admin",
      Json(R"({"renameCollection": "app.src", "to": "app.dst", "dropTarget": true})").view());
  ASSERT_EQ(Ok(rename), 1.0) << rename.ToJson();
  Reopen();
  EXPECT_THAT(CollectionNames(*db_, "app"), ElementsAre("dst"));
  Collection dst = Coll("dst");
  EXPECT_THAT(AllIds(dst), ElementsAre(1));
  auto one = dst.FindOne(IdFilter(1).view());
  ASSERT_OK(one);
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ(StringField((*one)->view(), "tag"), "src");
  auto count = dst.CountDocuments();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1);
  // The renamed collection keeps taking writes under its new name after the reopen.
  ASSERT_OK(dst.InsertOne(MakeDoc(2, "after", 2).view()));
  Reopen();
  dst = Coll("dst");
  EXPECT_THAT(AllIds(dst), ElementsAre(1, 2));
}

// The listCollections entry of `name` in database "app" (empty when absent).
Document CollectionEntry(Database& db, std::string_view name) {
  Document reply = db.RunCommand("app", Json(R"({"listCollections": 1})").view());
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  bson_iter_t it, batch, entry;
  if (bson_iter_init(&it, reply.bson()) &&
      bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
      BSON_ITER_HOLDS_ARRAY(&batch) && bson_iter_recurse(&batch, &entry)) {
    while (bson_iter_next(&entry)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&entry, &length, &data);
      if (StringField(DocumentView(data, length), "name") == name) {
        return Document::Copy(DocumentView(data, length));
      }
    }
  }
  return Document();
}

TEST_F(ReopenTest, CollectionOptionsAndUuidSurviveReopen) {
  Document created =
      Run(R"({"create": "opts", "storageEngine": {"wiredTiger": {"configString": "x"}}})");
  ASSERT_EQ(Ok(created), 1.0) << created.ToJson();
  Document before = CollectionEntry(*db_, "opts");
  ASSERT_FALSE(before.view().empty()) << "listCollections has no entry for opts";
  Reopen();
  Document after = CollectionEntry(*db_, "opts");
  ASSERT_FALSE(after.view().empty()) << "listCollections lost opts";
  // Same options, same uuid: the descriptor itself persisted, not a re-created one.
  EXPECT_TRUE(after.view().BytesEqual(before.view()))
      << after.ToJson(JsonMode::kCanonical) << " vs " << before.ToJson(JsonMode::kCanonical);
  EXPECT_EQ(StringField(after.view(), "options.storageEngine.wiredTiger.configString"), "x");
  // Another reopen after a rename keeps the uuid too.
  Document rename = db_->RunCommand(
      "admin", Json(R"({"renameCollection": "app.opts", "to": "app.opts2"})").view());
  ASSERT_EQ(Ok(rename), 1.0) << rename.ToJson();
  Reopen();
  Document renamed = CollectionEntry(*db_, "opts2");
  ASSERT_FALSE(renamed.view().empty());
  bson_iter_t a, b;
  ASSERT_TRUE(bson_iter_init(&a, renamed.bson()) && bson_iter_find_descendant(&a, "info.uuid", &b));
  bson_iter_t c, d;
  ASSERT_TRUE(bson_iter_init(&c, before.bson()) && bson_iter_find_descendant(&c, "info.uuid", &d));
  uint32_t len_b = 0, len_d = 0;
  const uint8_t *bytes_b = nullptr, *bytes_d = nullptr;
  bson_subtype_t subtype;
  bson_iter_binary(&b, &subtype, &len_b, &bytes_b);
  bson_iter_binary(&d, &subtype, &len_d, &bytes_d);
  ASSERT_EQ(len_b, 16u);
  ASSERT_EQ(len_d, 16u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes_b), len_b),
            std::string(reinterpret_cast<const char*>(bytes_d), len_d));
}

TEST_F(ReopenTest, DataFlushedToTableFilesSurvivesReopen) {
  // A 1 MiB memtable: the writes below go through many flushes (and compactions), so the
  // reopen reads SST files and range deletions in them, not only the WAL.
  DatabaseOptions small;
  small.durability = Durability::kRelaxed;
  small.write_buffer_bytes = 1 << 20;
  Reopen(small);
  const std::string filler(400, 'f');
  auto insert_range = [&](Collection& c, int64_t begin, int64_t end, std::string_view tag) {
    std::vector<Document> docs;
    for (int64_t id = begin; id < end; ++id) {
      Document doc = MakeDoc(id, tag, id);
      bson_append_utf8(doc.mutable_bson(), "fill", 4, filler.data(),
                       static_cast<int>(filler.size()));
      docs.push_back(std::move(doc));
    }
    std::vector<DocumentView> views;
    for (const Document& doc : docs) views.push_back(doc.view());
    ASSERT_OK(c.InsertMany(views));
  };
  Collection keep = Coll("keep");
  Collection dropped = Coll("dropped");
  for (int64_t begin = 0; begin < 10000; begin += 1000) {
    insert_range(keep, begin, begin + 1000, "keep");
    insert_range(dropped, begin, begin + 1000, "dropped");
  }
  for (int64_t id = 0; id < 10000; id += 10) {
    auto deleted = keep.DeleteOne(IdFilter(id).view());
    ASSERT_OK(deleted);
    ASSERT_EQ(*deleted, 1);
  }
  ASSERT_EQ(Ok(Run(R"({"drop": "dropped"})")), 1.0);
  // Recreated under the same name after its range deletion reached table files.
  insert_range(dropped, 5000, 5100, "second");
  int table_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    table_files += entry.path().extension() == ".sst" ? 1 : 0;
  }
  EXPECT_GE(table_files, 2) << "the small memtable should have been flushed before the reopen";
  Reopen(small);
  for (int round = 0; round < 2; ++round) {
    keep = Coll("keep");
    auto count = keep.CountDocuments();
    ASSERT_OK(count);
    EXPECT_EQ(*count, 9000);
    std::vector<int64_t> ids = AllIds(keep);
    ASSERT_EQ(ids.size(), 9000u);
    for (size_t i = 0; i < ids.size(); ++i) {
      int64_t expected = static_cast<int64_t>(i / 9 * 10 + i % 9 + 1);
      ASSERT_EQ(ids[i], expected) << "at " << i;
    }
    auto sample = keep.FindOne(IdFilter(4321).view());
    ASSERT_OK(sample);
    ASSERT_TRUE(sample->has_value());
    EXPECT_EQ(StringField((*sample)->view(), "fill"), filler);
    dropped = Coll("dropped");
    std::vector<int64_t> second = AllIds(dropped);
    ASSERT_EQ(second.size(), 100u);
    EXPECT_EQ(second.front(), 5000);
    EXPECT_EQ(second.back(), 5099);
    auto recreated_count = dropped.CountDocuments();
    ASSERT_OK(recreated_count);
    EXPECT_EQ(*recreated_count, 100);
    Reopen();  // and once more with the default options
  }
}

TEST_F(ReopenTest, OpenWithoutCreateIfMissing) {
  ASSERT_OK(Coll("c").InsertOne(MakeDoc(1, "x", 1).view()));
  DatabaseOptions no_create;
  no_create.create_if_missing = false;
  Reopen(no_create);  // an existing directory opens
  auto found = Coll("c").FindOne(IdFilter(1).view());
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
  auto missing = Database::Open(dir_.Sub("does-not-exist"), no_create);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("does-not-exist")));
}

// A RocksDB directory with some of Strata's column families missing is corruption: Open must
// refuse it (kDataLoss) rather than create the missing ones empty.
TEST(ReopenMissingColumnFamilyTest, OpenRefusesADirectoryMissingAColumnFamily) {
  for (const std::vector<std::string>& present :
       {std::vector<std::string>{}, std::vector<std::string>{"catalog", "documents"}}) {
    TempDir dir;
    {
      rocksdb::Options options;
      options.create_if_missing = true;
      rocksdb::DB* raw = nullptr;
      ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &raw).ok());
      std::unique_ptr<rocksdb::DB> owned(raw);
      for (const std::string& name : present) {
        rocksdb::ColumnFamilyHandle* handle = nullptr;
        ASSERT_TRUE(owned->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &handle).ok());
        ASSERT_TRUE(owned->DestroyColumnFamilyHandle(handle).ok());
      }
      ASSERT_TRUE(owned->Close().ok());
    }
    auto db = Database::Open(dir.path());
    EXPECT_THAT(db, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("column family")))
        << present.size() << " of Strata's column families present";
  }
}

TEST_F(ReopenTest, RelaxedDurabilityPersistsAfterCleanClose) {
  DatabaseOptions relaxed;
  relaxed.durability = Durability::kRelaxed;
  Reopen(relaxed);
  Collection c = Coll("bulk");
  for (int64_t id = 0; id < 1000; ++id) ASSERT_OK(c.InsertOne(MakeDoc(id, "relaxed", id).view()));
  ASSERT_OK(c.DeleteOne(IdFilter(500).view()));
  // Reopen in the default (durable) mode: Close must have synced the relaxed writes.
  Reopen();
  c = Coll("bulk");
  auto count = c.CountDocuments();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 999);
  std::vector<int64_t> ids = AllIds(c);
  ASSERT_EQ(ids.size(), 999u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 999);
  EXPECT_FALSE(std::binary_search(ids.begin(), ids.end(), 500));
  auto doc = c.FindOne(IdFilter(999).view());
  ASSERT_OK(doc);
  ASSERT_TRUE(doc->has_value());
  EXPECT_TRUE((*doc)->view().BytesEqual(MakeDoc(999, "relaxed", 999).view()));
}

TEST_F(ReopenTest, SecondOpenInTheSameProcessFailsLocked) {
  auto second = Database::Open(dir_.path());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("locked")));
  // The failed open must not have disturbed the first handle.
  ASSERT_OK(Coll("c").InsertOne(MakeDoc(1, "x", 1).view()));
  ASSERT_OK(db_->Close());
  db_.reset();
  auto third = Database::Open(dir_.path());
  ASSERT_OK(third);
  auto found = (*third)->GetCollection("app", "c").FindOne(IdFilter(1).view());
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
}

// Reads one byte from `fd`, waiting at most `timeout_ms`. -1 on timeout, EOF or error.
int ReadByte(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return -1;
  char c;
  return read(fd, &c, 1) == 1 ? static_cast<unsigned char>(c) : -1;
}

TEST_F(ReopenTest, OpenWhileAnotherProcessHoldsTheDirectoryFailsLocked) {
  // The child must not inherit an open database (its lock is per process anyway).
  ASSERT_OK(db_->Close());
  db_.reset();
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: open, write a document, report 'R', hold the directory until the parent says go.
    close(ready[0]);
    close(go[1]);
    alarm(60);  // never outlive a stuck parent
    char status = 'R';
    auto db = Database::Open(dir_.path());
    if (!db.ok()) {
      status = 'O';
    } else if (!(*db)->GetCollection("app", "c").InsertOne(MakeDoc(42, "child", 1).view()).ok()) {
      status = 'I';
    }
    if (write(ready[1], &status, 1) != 1) _exit(3);
    char c;
    while (read(go[0], &c, 1) < 0 && errno == EINTR) {
    }
    if (db.ok() && !(*db)->Close().ok()) _exit(4);
    _exit(status == 'R' ? 0 : 2);
  }
  close(ready[1]);
  close(go[0]);
  int reported = ReadByte(ready[0], 30000);
  EXPECT_EQ(reported, 'R') << "the child could not open and write (O = open, I = insert)";

  auto blocked = Database::Open(dir_.path());
  EXPECT_THAT(blocked, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("locked by another process")));

  char c = 'g';
  EXPECT_EQ(write(go[1], &c, 1), 1);
  close(go[1]);
  close(ready[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus)) << "child status " << wstatus;
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);

  // The lock went with the child: this process opens fine and sees the child's write.
  Open();
  auto found = Coll("c").FindOne(IdFilter(42).view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->view().BytesEqual(MakeDoc(42, "child", 1).view()));
}

// Starts `threads` threads running body(thread_index) together and joins them.
template <typename Body>
void RunConcurrently(int threads, Body body) {
  std::atomic<int> waiting{threads};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();  // start together
      body(t);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

TEST_F(ReopenTest, ConcurrentInsertsOfDistinctIdsAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> failures{0};
  // The collection does not exist yet: the threads also race to create it implicitly.
  RunConcurrently(kThreads, [&](int t) {
    Collection c = db_->GetCollection("app", "shared");
    for (int i = 0; i < kPerThread; ++i) {
      int64_t id = static_cast<int64_t>(t) * kPerThread + i;
      auto inserted = c.InsertOne(MakeDoc(id, "t", t).view());
      if (!inserted.ok()) {
        ADD_FAILURE() << "thread " << t << " id " << id << ": " << inserted.status();
        failures.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(CollectionNames(*db_, "app"), ElementsAre("shared"));
  std::vector<int64_t> expected(kThreads * kPerThread);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i);
  for (int round = 0; round < 2; ++round) {
    Collection c = Coll("shared");
    auto count = c.CountDocuments();
    ASSERT_OK(count);
    EXPECT_EQ(*count, kThreads * kPerThread) << "round " << round;
    EXPECT_EQ(AllIds(c), expected) << "round " << round;
    auto sample = c.FindOne(IdFilter(3 * kPerThread + 17).view());
    ASSERT_OK(sample);
    ASSERT_TRUE(sample->has_value());
    EXPECT_EQ(IntField((*sample)->view(), "n"), 3);
    Reopen();
  }
}

TEST_F(ReopenTest, ConcurrentInsertsOfTheSameIdsHaveExactlyOneWinnerEach) {
  constexpr int kThreads = 8;
  constexpr int kIds = 200;
  ASSERT_OK(Coll("race").InsertOne(MakeDoc(-1, "seed", -1).view()));  // exists before the race
  // winners[t] = the ids thread t inserted successfully.
  std::vector<std::vector<int64_t>> winners(kThreads);
  std::vector<int> other_errors(kThreads, 0);
  RunConcurrently(kThreads, [&](int t) {
    Collection c = db_->GetCollection("app", "race");
    for (int64_t id = 0; id < kIds; ++id) {
      auto inserted = c.InsertOne(MakeDoc(id, "t", t).view());
      if (inserted.ok()) {
        winners[t].push_back(id);
      } else if (MongoErrorCode(inserted.status()) != kDuplicateKey) {
        ADD_FAILURE() << "thread " << t << " id " << id << ": " << inserted.status();
        ++other_errors[t];
      }
    }
  });
  std::map<int64_t, int> winner_of;
  size_t successes = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(other_errors[t], 0) << "thread " << t;
    successes += winners[t].size();
    for (int64_t id : winners[t]) {
      EXPECT_TRUE(winner_of.emplace(id, t).second) << "id " << id << " inserted twice";
    }
  }
  EXPECT_EQ(successes, static_cast<size_t>(kIds));
  EXPECT_EQ(winner_of.size(), static_cast<size_t>(kIds));

  for (int round = 0; round < 2; ++round) {
    Collection c = Coll("race");
    auto count = c.CountDocuments();
    ASSERT_OK(count);
    EXPECT_EQ(*count, kIds + 1) << "round " << round;
    auto cursor = c.Find(DocumentView());
    ASSERT_OK(cursor);
    auto docs = cursor->ToVector();
    ASSERT_OK(docs);
    ASSERT_EQ(docs->size(), static_cast<size_t>(kIds + 1));
    // The stored document of each id is the one its winning insert wrote.
    for (const Document& doc : *docs) {
      int64_t id = IntField(doc.view(), "_id").value_or(-2);
      if (id == -1) continue;
      auto winner = winner_of.find(id);
      ASSERT_NE(winner, winner_of.end()) << doc.ToJson();
      EXPECT_TRUE(doc.view().BytesEqual(MakeDoc(id, "t", winner->second).view()))
          << doc.ToJson() << " but thread " << winner->second << " won";
    }
    Reopen();
  }
}

}  // namespace
}  // namespace strata
