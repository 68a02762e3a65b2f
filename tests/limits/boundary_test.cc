// MongoDB's limits, each accepted exactly at the limit and rejected one past it with a typed
// error, through the C++ API and through commands:
//   document size   16 MiB (16,777,216 bytes) vs +1           → BSONObjectTooLarge (10334)
//   command size    16 MiB + 16 KiB vs +1                     → BSONObjectTooLarge (10334)
//   nesting depth   100 vs 101                                → Overflow (15)
//   namespace       255 bytes of "db.collection" vs 256       → InvalidNamespace (73)
//   database name   63 bytes vs 64, and the forbidden characters → InvalidNamespace (73)
//   indexes         64 per collection (the _id index included) vs 65 → CannotCreateIndex (67)
//   index keys      no limit of our own (as MongoDB ≥ 4.2): a key as large as the 16 MiB
//                   document that holds it is accepted and found through the index.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "document/validate.h"
#include "strata/collection.h"
#include "strata/database.h"
#include "tests/limits/limits_util.h"

namespace strata {
namespace {

using ::strata::testing::DocumentOfSize;
using ::strata::testing::HasMongoCode;
using ::strata::testing::Json;
using ::strata::testing::NestedDocument;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;

constexpr size_t k16MiB = 16 * 1024 * 1024;
constexpr int kOverflow = 15;
constexpr int kInvalidNamespace = 73;
constexpr int kCannotCreateIndex = 67;
constexpr int kBSONObjectTooLarge = 10334;

int ReplyCode(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "code")) return bson_iter_as_int64(&it);
  if (bson_iter_init(&it, reply.bson()) &&
      bson_iter_find_descendant(&it, "writeErrors.0.code", &it)) {
    return bson_iter_as_int64(&it);
  }
  return 0;
}

double ReplyOk(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
}

class BoundaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;  // limits, not durability, are under test
    auto db = Database::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = std::move(*db);
  }
  Collection Coll(const std::string& name = "c") { return db_->GetCollection("test", name); }
  // {insert: "c", documents: [doc]}
  Document InsertCommand(const Document& doc) {
    Document command;
    bson_append_utf8(command.mutable_bson(), "insert", 6, "c", 1);
    bson_t docs;
    bson_append_array_begin(command.mutable_bson(), "documents", 9, &docs);
    bson_append_document(&docs, "0", 1, doc.bson());
    bson_append_array_end(command.mutable_bson(), &docs);
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

// ---- document size ------------------------------------------------------------------------

TEST_F(BoundaryTest, SixteenMebibytesIsAcceptedOneByteMoreIsNot) {
  Document at_limit = DocumentOfSize(k16MiB, 1);
  ASSERT_EQ(at_limit.size(), k16MiB);
  ASSERT_OK(Coll().InsertOne(at_limit.view()));
  Document over = DocumentOfSize(k16MiB + 1, 2);
  EXPECT_THAT(Coll().InsertOne(over.view()), HasMongoCode(kBSONObjectTooLarge));
  EXPECT_EQ(Count(), 1);
  auto found = Coll().FindOne(Json(R"({"_id": 1})").view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->view().BytesEqual(at_limit.view()));
}

TEST_F(BoundaryTest, SixteenMebibytesThroughTheInsertCommand) {
  Document ok = db_->RunCommand("test", InsertCommand(DocumentOfSize(k16MiB, 1)).view());
  EXPECT_EQ(ReplyOk(ok), 1.0) << ok.ToJson().substr(0, 200);
  EXPECT_EQ(ReplyCode(ok), 0);
  Document over = db_->RunCommand("test", InsertCommand(DocumentOfSize(k16MiB + 1, 2)).view());
  EXPECT_EQ(ReplyCode(over), kBSONObjectTooLarge) << over.ToJson().substr(0, 300);
  EXPECT_EQ(Count(), 1);
}

TEST_F(BoundaryTest, AnUpdateThatGrowsADocumentPastSixteenMebibytesFails) {
  ASSERT_OK(Coll().InsertOne(DocumentOfSize(k16MiB - 100, 1).view()));
  // {$set: {s: "<n bytes>"}} adds 1 + 2 + 4 + n + 1 = n + 8 bytes.
  auto set_string = [](size_t n) {
    Document update;
    bson_t set;
    bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
    std::string s(n, 'y');
    bson_append_utf8(&set, "s", 1, s.data(), static_cast<int>(s.size()));
    bson_append_document_end(update.mutable_bson(), &set);
    return update;
  };
  EXPECT_THAT(Coll().UpdateOne(Json(R"({"_id": 1})").view(), set_string(93).view()),
              HasMongoCode(kBSONObjectTooLarge));
  auto exact = Coll().UpdateOne(Json(R"({"_id": 1})").view(), set_string(92).view());
  ASSERT_OK(exact);
  EXPECT_EQ(exact->modified, 1);
  auto found = Coll().FindOne(Json(R"({"_id": 1})").view());
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->size(), k16MiB);
}

TEST_F(BoundaryTest, CommandsMayCarrySixteenMebibytesPlusSixteenKibibytes) {
  using document::InputKind;
  using document::kMaxCommandSize;
  ASSERT_EQ(kMaxCommandSize, k16MiB + 16 * 1024);
  // {ping: 1 …}: the dispatcher validates before the handler ignores the padding.
  auto ping_of_size = [](size_t total) {
    Document doc = DocumentOfSize(total);
    // Rename the first field "_id" to "pin" + a ping-like int: keep sizes equal.
    std::string bytes(reinterpret_cast<const char*>(doc.view().data()), doc.size());
    bytes.replace(5, 3, "pin");
    return strata::testing::FromBytes(bytes);
  };
  Document at_limit = ping_of_size(kMaxCommandSize);
  EXPECT_OK(document::ValidateInput(at_limit.view(), InputKind::kCommand));
  EXPECT_THAT(document::ValidateInput(at_limit.view(), InputKind::kDocument),
              HasMongoCode(kBSONObjectTooLarge));
  Document over = ping_of_size(kMaxCommandSize + 1);
  EXPECT_THAT(document::ValidateInput(over.view(), InputKind::kCommand),
              HasMongoCode(kBSONObjectTooLarge));
  Document reply = db_->RunCommand("test", over.view());
  EXPECT_EQ(ReplyCode(reply), kBSONObjectTooLarge);
}

// ---- depth --------------------------------------------------------------------------------

TEST_F(BoundaryTest, DepthHundredIsStoredHundredAndOneIsNot) {
  ASSERT_OK(Coll().InsertOne(NestedDocument(100, 1).view()));
  EXPECT_THAT(Coll().InsertOne(NestedDocument(101, 2).view()), HasMongoCode(kOverflow));
  Document ok = db_->RunCommand("test", InsertCommand(NestedDocument(100, 3)).view());
  EXPECT_EQ(ReplyCode(ok), 0) << ok.ToJson();
  Document bad = db_->RunCommand("test", InsertCommand(NestedDocument(101, 4)).view());
  EXPECT_EQ(ReplyCode(bad), kOverflow) << bad.ToJson();
  EXPECT_EQ(Count(), 2);
  // The stored depth-100 document reads back whole, through a filter on its deepest level.
  std::string path = "a";
  for (int i = 1; i < 100; ++i) path += ".a";
  Document filter;
  bson_t empty;
  bson_append_document_begin(filter.mutable_bson(), path.c_str(), -1, &empty);
  bson_append_document_end(filter.mutable_bson(), &empty);
  auto n = Coll().CountDocuments(filter.view());
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2);
}

// ---- names --------------------------------------------------------------------------------

TEST_F(BoundaryTest, NamespaceOf255BytesIsAccepted256IsNot) {
  const std::string at_limit(255 - 5, 'n');  // "test." + 250 = 255
  ASSERT_OK(Coll(at_limit).InsertOne(Json(R"({"_id": 1})").view()));
  const std::string over(256 - 5, 'n');
  EXPECT_THAT(Coll(over).InsertOne(Json(R"({"_id": 1})").view()), HasMongoCode(kInvalidNamespace));
  Document create;
  bson_append_utf8(create.mutable_bson(), "create", 6, over.data(), static_cast<int>(over.size()));
  EXPECT_EQ(ReplyCode(db_->RunCommand("test", create.view())), kInvalidNamespace);
}

TEST_F(BoundaryTest, DatabaseNameRules) {
  const std::string at_limit(63, 'd');
  ASSERT_OK(db_->GetCollection(at_limit, "c").InsertOne(Json(R"({"_id": 1})").view()));
  EXPECT_THAT(db_->GetCollection(std::string(64, 'd'), "c").InsertOne(Json("{}").view()),
              HasMongoCode(kInvalidNamespace));
  for (const std::string& bad :
       std::vector<std::string>{"a/b", "a\\b", "a b", "a\"b", "a$b", std::string("a\0b", 3), ""}) {
    Document reply = db_->RunCommand(bad, Json(R"({"ping": 1})").view());
    EXPECT_EQ(ReplyCode(reply), kInvalidNamespace) << "db name '" << bad << "'";
  }
  EXPECT_EQ(ReplyCode(db_->RunCommand("fine_db-1", Json(R"({"ping": 1})").view())), 0);
}

// ---- indexes ------------------------------------------------------------------------------

TEST_F(BoundaryTest, SixtyFourIndexesIncludingIdAreAcceptedTheNextIsNot) {
  for (int i = 0; i < 63; ++i) {
    std::string field = "f" + std::to_string(i);
    Document keys;
    bson_append_int32(keys.mutable_bson(), field.c_str(), -1, 1);
    ASSERT_OK(Coll().CreateIndex(keys.view())) << i;
  }
  auto listed = Coll().ListIndexes();
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 64u);
  auto over = Coll().CreateIndex(Json(R"({"g": 1})").view());
  EXPECT_THAT(over, HasMongoCode(kCannotCreateIndex));
  EXPECT_THAT(std::string(over.status().message()), HasSubstr("too many indexes"));
  // Re-creating an existing one is still a no-op success at the limit.
  EXPECT_OK(Coll().CreateIndex(Json(R"({"f0": 1})").view()));
}

TEST_F(BoundaryTest, AnIndexKeyAsLargeAsTheDocumentIsAcceptedAndFound) {
  ASSERT_OK(Coll().CreateIndex(Json(R"({"s": 1})").view()));
  ASSERT_OK(Coll().CreateIndex(Json(R"({"z": 1, "s": 1})").view()));
  // {_id: 1, s: "<x…>"} of exactly 16 MiB: the string is 16 MiB - 22 bytes.
  const size_t n = k16MiB - 4 - (1 + 4 + 4) - (1 + 2 + 4) - 1 - 1;
  std::string big(n, 'x');
  Document doc;
  bson_append_int32(doc.mutable_bson(), "_id", 3, 1);
  bson_append_utf8(doc.mutable_bson(), "s", 1, big.data(), static_cast<int>(big.size()));
  ASSERT_EQ(doc.size(), k16MiB);
  ASSERT_OK(Coll().InsertOne(doc.view()));
  // NUL bytes are escaped by the key encoding (the key is larger than the string).
  std::string zeros(1 << 20, '\0');
  Document nul_doc;
  bson_append_int32(nul_doc.mutable_bson(), "_id", 3, 2);
  bson_append_utf8(nul_doc.mutable_bson(), "s", 1, zeros.data(), static_cast<int>(zeros.size()));
  ASSERT_OK(Coll().InsertOne(nul_doc.view()));
  for (const Document* probe : {&doc, &nul_doc}) {
    Document filter;
    bson_iter_t s;
    ASSERT_TRUE(bson_iter_init_find(&s, probe->bson(), "s"));
    bson_append_iter(filter.mutable_bson(), "s", 1, &s);
    auto cursor = Coll().Find(filter.view());
    ASSERT_OK(cursor);
    auto all = cursor->ToVector();
    ASSERT_OK(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_TRUE((*all)[0].view().BytesEqual(probe->view()));
  }
}

}  // namespace
}  // namespace strata
