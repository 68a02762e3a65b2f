// Every entry point runs the strict validator (document::ValidateInput) before any recursive
// code reads its input: commands (Database::RunCommand), the C++ API's arguments, Extended JSON
// text (Document::FromJson) and the result of an update. A document thousands of levels deep
// must come back as a typed error, never reach libbson's recursive validator or our parsers.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "document/validate.h"
#include "strata/collection.h"
#include "strata/database.h"
#include "tests/limits/limits_util.h"

namespace strata {
namespace {

using ::strata::testing::FromBytes;
using ::strata::testing::HasMongoCode;
using ::strata::testing::Json;
using ::strata::testing::Le32;
using ::strata::testing::NestedDocument;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;

constexpr int kOverflow = 15;
constexpr int kInvalidBSON = 22;

// {a: 1, a: 2}: libbson's builders and JSON reader both keep the repeated name.
Document DuplicateNames() {
  Document doc;
  bson_append_int32(doc.mutable_bson(), "a", 1, 1);
  bson_append_int32(doc.mutable_bson(), "a", 1, 2);
  return doc;
}

// {s: "<lone surrogate>"}: bson_validate's UTF-8 flag lets this through in a value.
Document BadUtf8Value() {
  Document doc;
  bson_append_utf8(doc.mutable_bson(), "s", 1, "\xED\xA0\x80", 3);
  return doc;
}

// A document with one invalid UTF-8 field name (0xFF).
Document BadUtf8Name() {
  std::string elements = std::string("\x10\xFF\0", 3) + Le32(1);
  return FromBytes(Le32(static_cast<uint32_t>(4 + elements.size() + 1)) + elements + '\0');
}

int ReplyCode(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "code")) return bson_iter_as_int64(&it);
  if (bson_iter_init(&it, reply.bson()) &&
      bson_iter_find_descendant(&it, "writeErrors.0.code", &it)) {
    return bson_iter_as_int64(&it);
  }
  return 0;
}

std::string ReplyMessage(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "errmsg")) return bson_iter_utf8(&it, nullptr);
  if (bson_iter_init(&it, reply.bson()) &&
      bson_iter_find_descendant(&it, "writeErrors.0.errmsg", &it)) {
    return bson_iter_utf8(&it, nullptr);
  }
  return "";
}

class EntryPointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }
  Collection Coll() { return db_->GetCollection("test", "c"); }
  // {<field>: <doc>} around a command name.
  Document Command(const char* name, const char* field, const Document& doc) {
    Document command;
    bson_append_utf8(command.mutable_bson(), name, -1, "c", 1);
    bson_append_document(command.mutable_bson(), field, -1, doc.bson());
    return command;
  }
  int64_t Count() {
    auto n = Coll().CountDocuments();
    EXPECT_OK(n);
    return n.ok() ? *n : -1;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(EntryPointsTest, ACommandThousandsOfLevelsDeepIsATypedError) {
  Document reply = db_->RunCommand("test", NestedDocument(100000).view());
  EXPECT_EQ(ReplyCode(reply), kOverflow) << reply.ToJson();
  EXPECT_THAT(ReplyMessage(reply), HasSubstr("BSONObj exceeds maximum nested object depth"));
}

TEST_F(EntryPointsTest, CommandsRejectDuplicateNamesAndBadUtf8AnywhereInside) {
  std::vector<Document> bad;
  bad.push_back(DuplicateNames());
  bad.push_back(BadUtf8Value());
  bad.push_back(BadUtf8Name());
  for (const Document& doc : bad) {
    Document reply = db_->RunCommand("test", Command("find", "filter", doc).view());
    EXPECT_EQ(ReplyCode(reply), kInvalidBSON) << reply.ToJson();
    EXPECT_THAT(ReplyMessage(reply), HasSubstr("filter")) << "the message names the path";
  }
}

TEST_F(EntryPointsTest, TheApiValidatesFiltersUpdatesSortsAndProjections) {
  Document deep = NestedDocument(5000);
  EXPECT_THAT(Coll().FindOne(deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().Find(Json("{}").view(), FindOptions{.sort = deep.view()}),
              HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().Find(Json("{}").view(), FindOptions{.projection = deep.view()}),
              HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().CountDocuments(deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().DeleteMany(deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().Distinct("a", deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().UpdateOne(Json("{}").view(), deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().ReplaceOne(Json("{}").view(), deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().FindOneAndUpdate(deep.view(), Json(R"({"$set": {"a": 1}})").view()),
              HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().CreateIndex(deep.view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().FindOne(DuplicateNames().view()), HasMongoCode(kInvalidBSON));
  EXPECT_THAT(Coll().FindOne(BadUtf8Value().view()), HasMongoCode(kInvalidBSON));
  EXPECT_THAT(Coll().UpdateMany(Json("{}").view(), BadUtf8Name().view()),
              HasMongoCode(kInvalidBSON));
  UpdateOptions with_filters;
  with_filters.array_filters.push_back(deep.view());
  EXPECT_THAT(
      Coll().UpdateOne(Json("{}").view(), Json(R"({"$set": {"a": 1}})").view(), with_filters),
      HasMongoCode(kOverflow));
}

TEST_F(EntryPointsTest, TheApiRejectsBadDocumentsToInsertAndStoresNothing) {
  EXPECT_THAT(Coll().InsertOne(NestedDocument(5000).view()), HasMongoCode(kOverflow));
  EXPECT_THAT(Coll().InsertOne(DuplicateNames().view()), HasMongoCode(kInvalidBSON));
  EXPECT_THAT(Coll().InsertOne(BadUtf8Value().view()), HasMongoCode(kInvalidBSON));
  EXPECT_THAT(Coll().InsertOne(BadUtf8Name().view()), HasMongoCode(kInvalidBSON));
  EXPECT_EQ(Count(), 0);
}

TEST_F(EntryPointsTest, AnUpdateCannotNestAStoredDocumentPastTheLimit) {
  ASSERT_OK(Coll().InsertOne(NestedDocument(99).view()));
  // "a.a.….a" with 99 components is the innermost {} (level 99); replacing it with a document
  // holding `levels` more embedded levels gives depth 99 + levels.
  std::string path = "a";
  for (int i = 1; i < 99; ++i) path += ".a";
  auto set_nested = [&](int levels) {
    Document value;  // {x: {x: … {} …}} with `levels` - 1 embedded levels inside
    for (int i = 1; i < levels; ++i) {
      Document outer;
      bson_append_document(outer.mutable_bson(), "x", 1, value.bson());
      value = std::move(outer);
    }
    Document update;
    bson_t set;
    bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
    bson_append_document(&set, path.c_str(), -1, value.bson());
    bson_append_document_end(update.mutable_bson(), &set);
    return update;
  };
  auto at_limit = Coll().UpdateOne(Json(R"({"_id": 1})").view(), set_nested(1).view());
  ASSERT_OK(at_limit);
  EXPECT_EQ(at_limit->modified, 0);  // {} replaced by {}
  at_limit = Coll().UpdateOne(Json(R"({"_id": 1})").view(), set_nested(2).view());
  ASSERT_OK(at_limit);  // depth 100
  EXPECT_EQ(at_limit->modified, 1);
  EXPECT_THAT(Coll().UpdateOne(Json(R"({"_id": 1})").view(), set_nested(3).view()),
              HasMongoCode(kOverflow));  // depth 101
}

TEST(FromJsonTest, ExtendedJsonOutputPassesTheStrictValidator) {
  EXPECT_OK(Document::FromJson(R"({"a": 1, "b": {"c": "é€𝄞"}})"));
  // Repeated names are kept (filters may repeat a field, as in MongoDB); storing them fails.
  auto repeated = Document::FromJson(R"({"a": 1, "a": 2})");
  ASSERT_OK(repeated);
  EXPECT_EQ(repeated->size(), DuplicateNames().size());
  // A lone surrogate escape is either refused by libbson's reader or by our UTF-8 check.
  EXPECT_FALSE(Document::FromJson(R"({"s": "\ud800"})").ok());
  EXPECT_FALSE(Document::FromJson(R"({"\udc00": 1})").ok());
  // Deeper than the limit: an error, not a crash (libbson's reader has its own stack cap).
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"a": )";
  deep += "1";
  for (int i = 0; i < 5000; ++i) deep += "}";
  EXPECT_FALSE(Document::FromJson(deep).ok());
}

TEST(ValidateInputTest, CommandsMayBeSlightlyLargerAndDeeperThanDocuments) {
  using document::InputKind;
  using document::ValidateInput;
  EXPECT_OK(ValidateInput(NestedDocument(100).view(), InputKind::kDocument));
  EXPECT_THAT(ValidateInput(NestedDocument(101).view(), InputKind::kDocument),
              HasMongoCode(kOverflow));
  EXPECT_OK(ValidateInput(NestedDocument(103).view(), InputKind::kCommand));
  EXPECT_THAT(ValidateInput(NestedDocument(104).view(), InputKind::kCommand),
              HasMongoCode(kOverflow));
}

}  // namespace
}  // namespace strata
