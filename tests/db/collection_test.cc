// The typed C++ API (strata::Collection, strata::Cursor, Database::Open/Close) for the same
// core behaviours the commands have, with the same MongoDB error codes (strata/error.h).
#include "strata/collection.h"

#include <bson/bson.h>

#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/error.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

MATCHER_P(HasMongoCode, code, "") {
  absl::Status status;
  if constexpr (requires { arg.status(); }) {
    status = arg.status();
  } else {
    status = arg;
  }
  *result_listener << "status is " << status;
  return MongoErrorCode(status) == code;
}

int64_t IdOf(const Document& doc) {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "_id")) << doc.ToJson();
  return bson_iter_as_int64(&it);
}

std::vector<int64_t> IdsOf(const std::vector<Document>& docs) {
  std::vector<int64_t> ids;
  for (const Document& doc : docs) ids.push_back(IdOf(doc));
  return ids;
}

std::vector<std::string> KeysOf(const Document& doc) {
  std::vector<std::string> keys;
  bson_iter_t it;
  if (!bson_iter_init(&it, doc.bson())) return keys;
  while (bson_iter_next(&it)) keys.emplace_back(bson_iter_key(&it));
  return keys;
}

class CollectionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  void Reopen() {
    ASSERT_OK(db_->Close());
    db_.reset();
    Open();
  }

  Collection Coll(std::string_view name = "c") { return db_->GetCollection("app", name); }

  // Inserts {_id: first..first+n-1, v: 10 * _id}.
  void InsertIds(Collection collection, int n, int first = 0) {
    std::vector<Document> docs;
    for (int i = first; i < first + n; ++i) {
      docs.push_back(
          Json("{\"_id\": " + std::to_string(i) + ", \"v\": " + std::to_string(10 * i) + "}"));
    }
    std::vector<DocumentView> views;
    for (const Document& doc : docs) views.push_back(doc.view());
    ASSERT_OK(collection.InsertMany(views));
  }

  std::vector<int64_t> AllIds(Collection collection) {
    auto cursor = collection.Find(Document().view());
    EXPECT_OK(cursor);
    if (!cursor.ok()) return {};
    auto docs = cursor->ToVector();
    EXPECT_OK(docs);
    return docs.ok() ? IdsOf(*docs) : std::vector<int64_t>{};
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(CollectionTest, NamespaceIsDatabaseDotCollection) {
  EXPECT_EQ(Coll("users").ns(), "app.users");
}

TEST_F(CollectionTest, InsertOneReturnsTheIdDocument) {
  Collection c = Coll();
  auto given = c.InsertOne(Json(R"({"name": "Ada", "_id": 1})").view());
  ASSERT_OK(given);
  EXPECT_TRUE(given->view().BytesEqual(Json(R"({"_id": 1})").view())) << given->ToJson();
  auto generated = c.InsertOne(Json(R"({"name": "Alan"})").view());
  ASSERT_OK(generated);
  EXPECT_THAT(KeysOf(*generated), ElementsAre("_id"));
  bson_iter_t id;
  ASSERT_TRUE(bson_iter_init_find(&id, generated->bson(), "_id"));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
  // The returned _id finds the stored document, which has _id first.
  auto found = c.FindOne(generated->view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_THAT(KeysOf(**found), ElementsAre("_id", "name"));
}

TEST_F(CollectionTest, InsertOneDuplicateIsDuplicateKey) {
  Collection c = Coll();
  ASSERT_OK(c.InsertOne(Json(R"({"_id": 1})").view()));
  auto again = c.InsertOne(Json(R"({"_id": 1, "x": 2})").view());
  EXPECT_THAT(again, HasMongoCode(11000));
  EXPECT_EQ(MongoErrorCodeName(again.status()), "DuplicateKey");
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("E11000")));
  EXPECT_EQ(*c.CountDocuments(), 1);
}

TEST_F(CollectionTest, InsertOneInvalidDocuments) {
  Collection c = Coll();
  EXPECT_THAT(c.InsertOne(Json(R"({"$bad": 1})").view()), HasMongoCode(52));
  EXPECT_THAT(c.InsertOne(Json(R"({"_id": [1]})").view()), HasMongoCode(2));
  EXPECT_THAT(c.InsertOne(Json(R"({"_id": {"$undefined": true}})").view()), HasMongoCode(2));
  Document duplicate_names;
  bson_append_int32(duplicate_names.mutable_bson(), "a", 1, 1);
  bson_append_int32(duplicate_names.mutable_bson(), "a", 1, 2);
  EXPECT_THAT(c.InsertOne(duplicate_names.view()), HasMongoCode(22));
  EXPECT_EQ(*c.CountDocuments(), 0);
}

TEST_F(CollectionTest, InsertIntoAnInvalidNamespaceIsInvalidNamespace) {
  EXPECT_THAT(Coll("").InsertOne(Json("{}").view()), HasMongoCode(73));
  EXPECT_THAT(Coll("a$b").InsertOne(Json("{}").view()), HasMongoCode(73));
  EXPECT_THAT(db_->GetCollection("", "c").InsertOne(Json("{}").view()), HasMongoCode(73));
}

TEST_F(CollectionTest, InsertManyOrderedStopsAtTheFirstFailure) {
  Collection c = Coll();
  std::vector<Document> docs;
  for (int id : {1, 2, 2, 3}) docs.push_back(Json("{\"_id\": " + std::to_string(id) + "}"));
  std::vector<DocumentView> views;
  for (const Document& doc : docs) views.push_back(doc.view());
  auto result = c.InsertMany(views, /*ordered=*/true);
  EXPECT_THAT(result, HasMongoCode(11000));
  EXPECT_THAT(AllIds(c), ElementsAre(1, 2));
}

TEST_F(CollectionTest, InsertManyUnorderedInsertsTheRestAndReportsTheFirstFailure) {
  Collection c = Coll();
  std::vector<Document> docs;
  docs.push_back(Json(R"({"_id": 1})"));
  docs.push_back(Json(R"({"_id": 1})"));
  docs.push_back(Json(R"({"$x": 1})"));
  docs.push_back(Json(R"({"_id": 3})"));
  std::vector<DocumentView> views;
  for (const Document& doc : docs) views.push_back(doc.view());
  auto result = c.InsertMany(views, /*ordered=*/false);
  EXPECT_THAT(result, HasMongoCode(11000));
  EXPECT_THAT(AllIds(c), ElementsAre(1, 3));
}

TEST_F(CollectionTest, InsertManyReturnsEveryIdInOrder) {
  Collection c = Coll();
  std::vector<Document> docs;
  for (int i = 0; i < 2500; ++i) docs.push_back(Json("{\"_id\": " + std::to_string(i) + "}"));
  std::vector<DocumentView> views;
  for (const Document& doc : docs) views.push_back(doc.view());
  auto ids = c.InsertMany(views);
  ASSERT_OK(ids);
  ASSERT_EQ(ids->size(), 2500u);
  EXPECT_EQ(IdOf((*ids)[0]), 0);
  EXPECT_EQ(IdOf((*ids)[2499]), 2499);
  EXPECT_EQ(*c.CountDocuments(), 2500);
}

TEST_F(CollectionTest, FindOne) {
  Collection c = Coll();
  InsertIds(c, 5);
  auto found = c.FindOne(Json(R"({"_id": 3})").view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->view().BytesEqual(Json(R"({"_id": 3, "v": 30})").view()));
  auto first = c.FindOne(Document().view());
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(IdOf(**first), 0);
  auto none = c.FindOne(Json(R"({"_id": 99})").view());
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  auto missing_collection = Coll("nothing").FindOne(Document().view());
  ASSERT_OK(missing_collection);
  EXPECT_FALSE(missing_collection->has_value());
}

TEST_F(CollectionTest, FindWithSkipAndLimit) {
  Collection c = Coll();
  InsertIds(c, 10);
  auto cursor = c.Find(Document().view(), FindOptions{.skip = 2, .limit = 3});
  ASSERT_OK(cursor);
  auto docs = cursor->ToVector();
  ASSERT_OK(docs);
  EXPECT_THAT(IdsOf(*docs), ElementsAre(2, 3, 4));
  auto all = c.Find(Document().view(), FindOptions{.skip = 0, .limit = 0});
  ASSERT_OK(all);
  EXPECT_EQ(all->ToVector()->size(), 10u);
  auto past_end = c.Find(Document().view(), FindOptions{.skip = 10, .limit = 0});
  ASSERT_OK(past_end);
  EXPECT_THAT(*past_end->ToVector(), IsEmpty());
}

TEST_F(CollectionTest, FindRejectsNegativeSkipOrLimit) {
  Collection c = Coll();
  EXPECT_THAT(c.Find(Document().view(), FindOptions{.skip = -1, .limit = 0}), HasMongoCode(2));
  EXPECT_THAT(c.Find(Document().view(), FindOptions{.skip = 0, .limit = -1}), HasMongoCode(2));
}

TEST_F(CollectionTest, CursorNextThenEnd) {
  Collection c = Coll();
  InsertIds(c, 2);
  auto cursor = c.Find(Document().view());
  ASSERT_OK(cursor);
  auto first = cursor->Next();
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(IdOf(**first), 0);
  auto second = cursor->Next();
  ASSERT_OK(second);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(IdOf(**second), 1);
  for (int i = 0; i < 2; ++i) {
    auto end = cursor->Next();
    ASSERT_OK(end);
    EXPECT_FALSE(end->has_value()) << "stays at the end";
  }
}

TEST_F(CollectionTest, CursorReadsOneSnapshot) {
  Collection c = Coll();
  InsertIds(c, 3);
  auto cursor = c.Find(Document().view());
  ASSERT_OK(cursor);
  InsertIds(c, 2, /*first=*/10);
  ASSERT_OK(c.DeleteOne(Json(R"({"_id": 1})").view()));
  auto docs = cursor->ToVector();
  ASSERT_OK(docs);
  EXPECT_THAT(IdsOf(*docs), ElementsAre(0, 1, 2));
  EXPECT_THAT(AllIds(c), ElementsAre(0, 2, 10, 11));
}

// Filters beyond {} and _id equality either work or are refused as NotImplemented (238) naming
// the filter, as the query language lands.
TEST_F(CollectionTest, OtherFiltersEitherWorkOrAreRefusedClearly) {
  Collection c = Coll();
  InsertIds(c, 3);
  Document filter = Json(R"({"v": 10})");
  auto cursor = c.Find(filter.view());
  if (!cursor.ok()) {
    EXPECT_THAT(cursor, StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("filter")));
    EXPECT_THAT(c.FindOne(filter.view()), HasMongoCode(238));
    EXPECT_THAT(c.CountDocuments(filter.view()), HasMongoCode(238));
    EXPECT_THAT(c.ReplaceOne(filter.view(), Json(R"({"v": 1})").view()), HasMongoCode(238));
    EXPECT_THAT(c.DeleteMany(filter.view()), HasMongoCode(238));
    EXPECT_EQ(*c.CountDocuments(), 3);
    return;
  }
  auto docs = cursor->ToVector();
  ASSERT_OK(docs);
  EXPECT_THAT(IdsOf(*docs), ElementsAre(1));
  EXPECT_EQ(*c.CountDocuments(filter.view()), 1);
  auto replaced = c.ReplaceOne(filter.view(), Json(R"({"v": 11})").view());
  ASSERT_OK(replaced);
  EXPECT_EQ(replaced->modified, 1);
  EXPECT_EQ(*c.DeleteMany(Json(R"({"v": 11})").view()), 1);
  EXPECT_THAT(AllIds(c), ElementsAre(0, 2));
}

TEST_F(CollectionTest, DeleteOneAndDeleteMany) {
  Collection c = Coll();
  InsertIds(c, 5);
  EXPECT_EQ(*c.DeleteOne(Json(R"({"_id": 2})").view()), 1);
  EXPECT_EQ(*c.DeleteOne(Json(R"({"_id": 2})").view()), 0);
  EXPECT_EQ(*c.DeleteOne(Document().view()), 1);
  EXPECT_THAT(AllIds(c), ElementsAre(1, 3, 4));
  EXPECT_EQ(*c.DeleteMany(Document().view()), 3);
  EXPECT_EQ(*c.CountDocuments(), 0);
  EXPECT_EQ(*Coll("nothing").DeleteMany(Document().view()), 0);
}

TEST_F(CollectionTest, ReplaceOne) {
  Collection c = Coll();
  InsertIds(c, 3);
  auto replaced = c.ReplaceOne(Json(R"({"_id": 1})").view(), Json(R"({"name": "one"})").view());
  ASSERT_OK(replaced);
  EXPECT_EQ(replaced->matched, 1);
  EXPECT_EQ(replaced->modified, 1);
  EXPECT_FALSE(replaced->upserted_id.has_value());
  auto found = c.FindOne(Json(R"({"_id": 1})").view());
  ASSERT_OK(found);
  EXPECT_TRUE((*found)->view().BytesEqual(Json(R"({"_id": 1, "name": "one"})").view()));

  auto same = c.ReplaceOne(Json(R"({"_id": 1})").view(), Json(R"({"name": "one"})").view());
  ASSERT_OK(same);
  EXPECT_EQ(same->matched, 1);
  EXPECT_EQ(same->modified, 0);

  auto none = c.ReplaceOne(Json(R"({"_id": 9})").view(), Json(R"({"name": "nine"})").view());
  ASSERT_OK(none);
  EXPECT_EQ(none->matched, 0);
  EXPECT_EQ(none->modified, 0);
  EXPECT_EQ(*c.CountDocuments(), 3);
}

TEST_F(CollectionTest, ReplaceOneUpsert) {
  Collection c = Coll();
  auto upserted = c.ReplaceOne(Json(R"({"_id": 7})").view(), Json(R"({"x": 1})").view(),
                               /*upsert=*/true);
  ASSERT_OK(upserted);
  EXPECT_EQ(upserted->matched, 0);
  EXPECT_EQ(upserted->modified, 0);
  ASSERT_TRUE(upserted->upserted_id.has_value());
  EXPECT_TRUE(upserted->upserted_id->view().BytesEqual(Json(R"({"_id": 7})").view()));
  auto found = c.FindOne(Json(R"({"_id": 7})").view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->view().BytesEqual(Json(R"({"_id": 7, "x": 1})").view()));

  auto generated = c.ReplaceOne(Document().view(), Json(R"({"y": 1})").view(), /*upsert=*/true);
  ASSERT_OK(generated);
  // {} matches the existing document: a replacement, not an upsert.
  EXPECT_EQ(generated->matched, 1);
  EXPECT_FALSE(generated->upserted_id.has_value());
  EXPECT_EQ(*c.CountDocuments(), 1);
}

TEST_F(CollectionTest, ReplaceOneCannotChangeTheId) {
  Collection c = Coll();
  InsertIds(c, 2);
  auto changed = c.ReplaceOne(Json(R"({"_id": 0})").view(), Json(R"({"_id": 1})").view());
  EXPECT_THAT(changed, HasMongoCode(66));
  EXPECT_EQ(MongoErrorCodeName(changed.status()), "ImmutableField");
  EXPECT_THAT(AllIds(c), ElementsAre(0, 1));
}

TEST_F(CollectionTest, CountDocuments) {
  Collection c = Coll();
  EXPECT_EQ(*c.CountDocuments(), 0);
  InsertIds(c, 4);
  EXPECT_EQ(*c.CountDocuments(), 4);
  EXPECT_EQ(*c.CountDocuments(Json(R"({"_id": 2})").view()), 1);
  EXPECT_EQ(*c.CountDocuments(Json(R"({"_id": 20})").view()), 0);
}

TEST_F(CollectionTest, CommandsAndTheTypedApiSeeTheSameData) {
  Collection c = Coll();
  InsertIds(c, 3);
  Document reply = db_->RunCommand("app", Json(R"({"count": "c"})").view());
  bson_iter_t n;
  ASSERT_TRUE(bson_iter_init_find(&n, reply.bson(), "n"));
  EXPECT_EQ(bson_iter_as_int64(&n), 3);
  db_->RunCommand(Json(R"({"insert": "c", "documents": [{"_id": 3}], "$db": "app"})").view());
  EXPECT_EQ(*c.CountDocuments(), 4);
}

TEST_F(CollectionTest, DataSurvivesCloseAndReopen) {
  InsertIds(Coll(), 50);
  ASSERT_OK(Coll().DeleteOne(Json(R"({"_id": 7})").view()));
  Reopen();
  EXPECT_EQ(*Coll().CountDocuments(), 49);
  EXPECT_THAT(Coll().FindOne(Json(R"({"_id": 7})").view()),
              ::testing::Truly([](const auto& r) { return r.ok() && !r->has_value(); }));
  // A new collection after reopening gets a fresh id and does not see old data.
  InsertIds(Coll("d"), 1);
  EXPECT_EQ(*Coll("d").CountDocuments(), 1);
  EXPECT_EQ(*Coll().CountDocuments(), 49);
}

TEST_F(CollectionTest, ASecondOpenOfTheSameDirectoryFails) {
  auto second = Database::Open(dir_.path());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("locked")));
}

TEST_F(CollectionTest, OpenWithoutCreateIfMissingFailsOnAMissingDirectory) {
  DatabaseOptions options;
  options.create_if_missing = false;
  auto db = Database::Open(dir_.Sub("nothing-here"), options);
  EXPECT_FALSE(db.ok());
}

TEST_F(CollectionTest, RelaxedDurabilityStillPersistsOnClose) {
  ASSERT_OK(db_->Close());
  db_.reset();
  DatabaseOptions options;
  options.durability = Durability::kRelaxed;
  auto relaxed = Database::Open(dir_.path(), options);
  ASSERT_OK(relaxed);
  db_ = std::move(*relaxed);
  InsertIds(Coll(), 10);
  Reopen();
  EXPECT_EQ(*Coll().CountDocuments(), 10);
}

}  // namespace
}  // namespace strata
