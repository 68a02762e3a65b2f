// The typed API's query-language surface: filters, sort, projection, UpdateOne/UpdateMany,
// FindOneAndUpdate, Distinct, DeleteMany with filters.
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/error.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

class CollectionQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    auto db = Database::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = std::move(*db);
    people_ = std::make_unique<Collection>(db_->GetCollection("app", "people"));
    for (const char* json : {R"({"_id": 1, "name": "ada", "age": 36, "tags": ["math", "poet"]})",
                             R"({"_id": 2, "name": "alan", "age": 41, "tags": ["math"]})",
                             R"({"_id": 3, "name": "grace", "age": 85, "tags": []})",
                             R"({"_id": 4, "name": "edsger", "age": 72})"}) {
      ASSERT_OK(people_->InsertOne(Json(json).view()));
    }
  }

  std::vector<std::string> Names(DocumentView filter, const FindOptions& options = {}) {
    std::vector<std::string> names;
    auto cursor = people_->Find(filter, options);
    EXPECT_OK(cursor);
    if (!cursor.ok()) return names;
    auto docs = cursor->ToVector();
    EXPECT_OK(docs);
    for (const Document& doc : *docs) {
      bson_iter_t it;
      names.push_back(bson_iter_init_find(&it, doc.bson(), "name") ? bson_iter_utf8(&it, nullptr)
                                                                   : "<none>");
    }
    return names;
  }

  static int64_t Int(const Document& doc, const char* field) {
    bson_iter_t it;
    return bson_iter_init_find(&it, doc.bson(), field) ? bson_iter_as_int64(&it) : -1;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Collection> people_;
};

TEST_F(CollectionQueryTest, FindWithFilterSortAndProjection) {
  Document sort = Json(R"({"age": -1})");
  Document projection = Json(R"({"name": 1, "_id": 0})");
  FindOptions options;
  options.sort = sort.view();
  options.projection = projection.view();
  EXPECT_EQ(Names(Json(R"({"age": {"$gt": 40}})").view(), options),
            (std::vector<std::string>{"grace", "edsger", "alan"}));
  auto cursor = people_->Find(Json(R"({"tags": "poet"})").view(), options);
  ASSERT_OK(cursor);
  auto first = cursor->Next();
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->ToJson(), R"({"name": "ada"})");
}

TEST_F(CollectionQueryTest, BadFilterIsBadValue) {
  auto cursor = people_->Find(Json(R"({"age": {"$bogus": 1}})").view());
  EXPECT_THAT(cursor, StatusIs(absl::StatusCode::kInvalidArgument,
                               ::testing::HasSubstr("unknown operator: $bogus")));
  EXPECT_EQ(MongoErrorCode(cursor.status()), 2);
}

TEST_F(CollectionQueryTest, UpdateOneChangesOnlyTheFirstMatch) {
  auto result = people_->UpdateOne(Json(R"({"tags": "math"})").view(),
                                   Json(R"({"$inc": {"age": 1}})").view());
  ASSERT_OK(result);
  EXPECT_EQ(result->matched, 1);
  EXPECT_EQ(result->modified, 1);
  auto ada = people_->FindOne(Json(R"({"_id": 1})").view());
  ASSERT_OK(ada);
  EXPECT_EQ(Int(**ada, "age"), 37);
  auto alan = people_->FindOne(Json(R"({"_id": 2})").view());
  EXPECT_EQ(Int(**alan, "age"), 41);
}

TEST_F(CollectionQueryTest, UpdateManyChangesEveryMatchOnce) {
  auto result = people_->UpdateMany(Json(R"({"age": {"$gte": 40}})").view(),
                                    Json(R"({"$inc": {"age": 100}})").view());
  ASSERT_OK(result);
  EXPECT_EQ(result->matched, 3);
  EXPECT_EQ(result->modified, 3);
  // Each document moved once even though its new age still matches the filter.
  auto count = people_->CountDocuments(Json(R"({"age": {"$gte": 200}})").view());
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0);
  EXPECT_EQ(*people_->CountDocuments(Json(R"({"age": {"$gte": 140}})").view()), 3);
}

TEST_F(CollectionQueryTest, UpdateWithArrayFiltersAndUpsert) {
  Document filter = Json(R"({"t": "poet"})");
  UpdateOptions options;
  options.array_filters.push_back(filter.view());
  auto result = people_->UpdateOne(Json(R"({"_id": 1})").view(),
                                   Json(R"({"$set": {"tags.$[t]": "writer"}})").view(), options);
  ASSERT_OK(result);
  EXPECT_EQ(result->modified, 1);
  EXPECT_EQ((*people_->FindOne(Json(R"({"_id": 1})").view()))->ToJson(),
            R"({"_id": 1, "name": "ada", "age": 36, "tags": ["math", "writer"]})");

  UpdateOptions upsert;
  upsert.upsert = true;
  auto inserted = people_->UpdateOne(Json(R"({"name": "barbara"})").view(),
                                     Json(R"({"$set": {"age": 86}})").view(), upsert);
  ASSERT_OK(inserted);
  EXPECT_EQ(inserted->matched, 0);
  ASSERT_TRUE(inserted->upserted_id.has_value());
  auto barbara = people_->FindOne(Json(R"({"name": "barbara"})").view());
  ASSERT_OK(barbara);
  ASSERT_TRUE(barbara->has_value());
  EXPECT_EQ(Int(**barbara, "age"), 86);
}

TEST_F(CollectionQueryTest, UpdateErrorsCarryMongoCodes) {
  auto bad =
      people_->UpdateOne(Json(R"({"_id": 1})").view(), Json(R"({"$inc": {"name": 1}})").view());
  EXPECT_EQ(MongoErrorCode(bad.status()), 14) << bad.status();
  auto unknown =
      people_->UpdateOne(Json(R"({"_id": 1})").view(), Json(R"({"$frobnicate": {"a": 1}})").view());
  EXPECT_EQ(MongoErrorCode(unknown.status()), 9) << unknown.status();
  auto replace_with_operators =
      people_->ReplaceOne(Json(R"({"_id": 1})").view(), Json(R"({"$set": {"a": 1}})").view());
  EXPECT_FALSE(replace_with_operators.ok());
}

TEST_F(CollectionQueryTest, FindOneAndUpdateReturnsBeforeOrAfter) {
  Document sort = Json(R"({"age": -1})");
  FindOneAndUpdateOptions options;
  options.sort = sort.view();
  auto before = people_->FindOneAndUpdate(Json(R"({})").view(),
                                          Json(R"({"$set": {"oldest": true}})").view(), options);
  ASSERT_OK(before);
  ASSERT_TRUE(before->has_value());
  EXPECT_EQ(Int(**before, "_id"), 3);
  bson_iter_t it;
  EXPECT_FALSE(bson_iter_init_find(&it, (*before)->bson(), "oldest"));

  options.return_new = true;
  Document projection = Json(R"({"name": 1})");
  options.projection = projection.view();
  auto after = people_->FindOneAndUpdate(Json(R"({"_id": 4})").view(),
                                         Json(R"({"$set": {"age": 73}})").view(), options);
  ASSERT_OK(after);
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ((*after)->ToJson(), R"({"_id": 4, "name": "edsger"})");

  auto none = people_->FindOneAndUpdate(Json(R"({"_id": 99})").view(),
                                        Json(R"({"$set": {"a": 1}})").view());
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(CollectionQueryTest, DistinctUnwindsArrays) {
  auto tags = people_->Distinct("tags");
  ASSERT_OK(tags);
  std::vector<std::string> values;
  for (const Document& v : *tags) values.push_back(v.ToJson());
  EXPECT_EQ(values, (std::vector<std::string>{R"({"v": "math"})", R"({"v": "poet"})"}));
  auto ages = people_->Distinct("age", Json(R"({"age": {"$lt": 50}})").view());
  ASSERT_OK(ages);
  EXPECT_EQ(ages->size(), 2u);
}

TEST_F(CollectionQueryTest, DeleteManyWithAFilter) {
  auto deleted = people_->DeleteMany(Json(R"({"age": {"$gt": 50}})").view());
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(Names(Json("{}").view()), (std::vector<std::string>{"ada", "alan"}));
}

}  // namespace
}  // namespace strata
