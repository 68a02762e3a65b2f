// DDL commands through Database::RunCommand: create, drop, dropDatabase, renameCollection,
// listCollections, listDatabases.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

bool FindPath(const Document& doc, const char* dotted, bson_iter_t* found) {
  bson_iter_t it;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, found);
}

bool Has(const Document& doc, const char* dotted) {
  bson_iter_t found;
  return FindPath(doc, dotted, &found);
}

int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

double Ok(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
}

std::string Str(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) return "<missing>";
  return bson_iter_utf8(&found, nullptr);
}

std::vector<std::string> Keys(const Document& doc, const char* dotted) {
  std::vector<std::string> keys;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !bson_iter_recurse(&found, &child)) return keys;
  while (bson_iter_next(&child)) keys.emplace_back(bson_iter_key(&child));
  return keys;
}

// The string field `field` of every document in the array at `dotted`.
std::vector<std::string> Strings(const Document& doc, const char* dotted, const char* field) {
  std::vector<std::string> values;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) {
    ADD_FAILURE() << "no array at " << dotted << " in " << doc.ToJson();
    return values;
  }
  bson_iter_recurse(&found, &child);
  while (bson_iter_next(&child)) {
    bson_iter_t value;
    if (bson_iter_recurse(&child, &value) && bson_iter_find(&value, field) &&
        BSON_ITER_HOLDS_UTF8(&value)) {
      values.emplace_back(bson_iter_utf8(&value, nullptr));
    }
  }
  return values;
}

void ExpectError(const Document& reply, int code, const std::string& code_name,
                 const std::string& message_part = "") {
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "code"), code) << reply.ToJson();
  EXPECT_EQ(Str(reply, "codeName"), code_name) << reply.ToJson();
  EXPECT_THAT(Str(reply, "errmsg"), HasSubstr(message_part)) << reply.ToJson();
}

class DdlCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  Document Run(std::string_view json) { return db_->RunCommand(Json(json).view()); }

  void Insert(const std::string& db, const std::string& collection, int n, int first = 0) {
    std::string docs;
    for (int i = first; i < first + n; ++i) {
      docs += std::string(docs.empty() ? "" : ", ") + "{\"_id\": " + std::to_string(i) + "}";
    }
    Document reply = Run(R"({"insert": ")" + collection + R"(", "documents": [)" + docs +
                         R"(], "$db": ")" + db + "\"}");
    ASSERT_EQ(Int(reply, "n"), n) << reply.ToJson();
  }

  int64_t Count(const std::string& db, const std::string& collection) {
    Document reply = Run(R"({"count": ")" + collection + R"(", "$db": ")" + db + "\"}");
    return Int(reply, "n");
  }

  std::vector<std::string> CollectionNames(const std::string& db) {
    Document reply = Run(R"({"listCollections": 1, "nameOnly": true, "$db": ")" + db + "\"}");
    EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
    return Strings(reply, "cursor.firstBatch", "name");
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

// ---- create ---------------------------------------------------------------------------------

TEST_F(DdlCommandsTest, CreateThenCreateAgainIsNamespaceExists) {
  Document created = Run(R"({"create": "c"})");
  EXPECT_EQ(Ok(created), 1.0) << created.ToJson();
  EXPECT_THAT(CollectionNames("test"), ElementsAre("c"));
  EXPECT_EQ(Count("test", "c"), 0);
  ExpectError(Run(R"({"create": "c"})"), 48, "NamespaceExists", "test.c");
  // An implicitly created collection exists too.
  Insert("test", "d", 1);
  ExpectError(Run(R"({"create": "d"})"), 48, "NamespaceExists");
}

TEST_F(DdlCommandsTest, CreateKeepsItsOptions) {
  ASSERT_EQ(Ok(Run(R"({"create": "c", "collation": {"locale": "simple"}, "comment": "x"})")), 1.0);
  Document list = Run(R"({"listCollections": 1, "filter": {"name": "c"}})");
  EXPECT_THAT(Keys(list, "cursor.firstBatch.0.options"), ElementsAre("collation")) << list.ToJson();
}

TEST_F(DdlCommandsTest, CreateRejectsBadNamesAndUnsupportedOptions) {
  ExpectError(Run(R"({"create": ""})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"create": "a$b"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"create": "system.views"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"create": 7})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"create": "c", "capped": true, "size": 1000})"), 238, "NotImplemented",
              "capped");
  // Schema validation either works or is refused naming the option.
  Document validated = Run(R"({"create": "v", "validator": {"a": {"$exists": true}}})");
  if (Ok(validated) == 0.0) {
    ExpectError(validated, 238, "NotImplemented", "validator");
  } else {
    ASSERT_EQ(Ok(Run(R"({"drop": "v"})")), 1.0);
  }
  ExpectError(Run(R"({"create": "c", "bogus": 1})"), 40415, "Location40415", "'create.bogus'");
  ExpectError(Run(R"({"create": "c", "capped": "yes"})"), 14, "TypeMismatch", "'create.capped'");
  EXPECT_THAT(CollectionNames("test"), IsEmpty());
}

// ---- drop -----------------------------------------------------------------------------------

TEST_F(DdlCommandsTest, DropRemovesTheCollectionAndItsDocuments) {
  Insert("test", "c", 5);
  Document reply = Run(R"({"drop": "c"})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "nIndexesWas"), 1);
  EXPECT_EQ(Str(reply, "ns"), "test.c");
  EXPECT_THAT(CollectionNames("test"), IsEmpty());
  EXPECT_EQ(Count("test", "c"), 0);
  // A new collection of the same name starts empty.
  Insert("test", "c", 1, /*first=*/100);
  Document find = Run(R"({"find": "c"})");
  EXPECT_EQ(Int(find, "cursor.firstBatch.0._id"), 100);
  EXPECT_FALSE(Has(find, "cursor.firstBatch.1"));
  EXPECT_EQ(Count("test", "c"), 1);
}

TEST_F(DdlCommandsTest, DropOfAMissingCollectionIsNamespaceNotFound) {
  ExpectError(Run(R"({"drop": "missing"})"), 26, "NamespaceNotFound");
  Insert("test", "c", 1);
  ASSERT_EQ(Ok(Run(R"({"drop": "c"})")), 1.0);
  ExpectError(Run(R"({"drop": "c"})"), 26, "NamespaceNotFound");
}

TEST_F(DdlCommandsTest, DropOnlyTouchesItsOwnDatabase) {
  Insert("test", "c", 2);
  Insert("other", "c", 3);
  ASSERT_EQ(Ok(Run(R"({"drop": "c", "$db": "other"})")), 1.0);
  EXPECT_EQ(Count("test", "c"), 2);
  EXPECT_THAT(CollectionNames("other"), IsEmpty());
}

// ---- dropDatabase ---------------------------------------------------------------------------

TEST_F(DdlCommandsTest, DropDatabaseDropsEveryCollectionOfThatDatabaseOnly) {
  Insert("x", "a", 2);
  Insert("x", "b", 3);
  Insert("y", "a", 4);
  Document reply = Run(R"({"dropDatabase": 1, "$db": "x"})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Str(reply, "dropped"), "x");
  EXPECT_THAT(CollectionNames("x"), IsEmpty());
  EXPECT_EQ(Count("x", "a"), 0);
  EXPECT_EQ(Count("y", "a"), 4);
  Document databases = Run(R"({"listDatabases": 1, "nameOnly": true})");
  EXPECT_THAT(Strings(databases, "databases", "name"), ElementsAre("y"));
  // Dropping a database that does not exist succeeds.
  EXPECT_EQ(Ok(Run(R"({"dropDatabase": 1, "$db": "nothing"})")), 1.0);
}

// ---- renameCollection -----------------------------------------------------------------------

TEST_F(DdlCommandsTest, RenameMovesTheDocuments) {
  Insert("test", "a", 3);
  Document reply = Run(R"({"renameCollection": "test.a", "to": "test.b"})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_THAT(CollectionNames("test"), ElementsAre("b"));
  EXPECT_EQ(Count("test", "b"), 3);
  EXPECT_EQ(Count("test", "a"), 0);
  // The renamed collection takes writes; the old name is free.
  Insert("test", "b", 1, /*first=*/10);
  Insert("test", "a", 1, /*first=*/20);
  EXPECT_EQ(Count("test", "b"), 4);
  EXPECT_EQ(Count("test", "a"), 1);
}

TEST_F(DdlCommandsTest, RenameAcrossDatabases) {
  Insert("test", "a", 2);
  Document reply = Run(R"({"renameCollection": "test.a", "to": "archive.a2", "$db": "admin"})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Count("archive", "a2"), 2);
  EXPECT_THAT(CollectionNames("test"), IsEmpty());
}

TEST_F(DdlCommandsTest, RenameOntoAnExistingCollectionNeedsDropTarget) {
  Insert("test", "a", 3);
  Insert("test", "b", 5, /*first=*/100);
  ExpectError(Run(R"({"renameCollection": "test.a", "to": "test.b"})"), 48, "NamespaceExists");
  ExpectError(Run(R"({"renameCollection": "test.a", "to": "test.b", "dropTarget": false})"), 48,
              "NamespaceExists");
  EXPECT_EQ(Count("test", "a"), 3);
  EXPECT_EQ(Count("test", "b"), 5);
  Document reply = Run(R"({"renameCollection": "test.a", "to": "test.b", "dropTarget": true})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_THAT(CollectionNames("test"), ElementsAre("b"));
  EXPECT_EQ(Count("test", "b"), 3) << "the target's old documents are gone";
  Document find = Run(R"({"find": "b", "filter": {"_id": 100}})");
  EXPECT_FALSE(Has(find, "cursor.firstBatch.0"));
}

TEST_F(DdlCommandsTest, RenameOfAMissingSourceIsNamespaceNotFound) {
  ExpectError(Run(R"({"renameCollection": "test.nothing", "to": "test.b"})"), 26,
              "NamespaceNotFound");
  Insert("test", "b", 1);
  ExpectError(Run(R"({"renameCollection": "test.nothing", "to": "test.b", "dropTarget": true})"),
              26, "NamespaceNotFound");
  EXPECT_EQ(Count("test", "b"), 1);
}

TEST_F(DdlCommandsTest, RenameArgumentErrors) {
  Insert("test", "a", 1);
  ExpectError(Run(R"({"renameCollection": "test.a"})"), 40414, "Location40414",
              "'renameCollection.to'");
  ExpectError(Run(R"({"renameCollection": "test.a", "to": 5})"), 14, "TypeMismatch");
  ExpectError(Run(R"({"renameCollection": "test.a", "to": "test.a$"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"renameCollection": "test.a", "to": "nodot"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"renameCollection": "test.a", "to": "test.a"})"), 20, "IllegalOperation");
  EXPECT_EQ(Count("test", "a"), 1);
}

// ---- listCollections ------------------------------------------------------------------------

TEST_F(DdlCommandsTest, ListCollectionsReplyShape) {
  Insert("test", "a", 1);
  ASSERT_EQ(Ok(Run(R"({"create": "b"})")), 1.0);
  Insert("other", "z", 1);
  Document reply = Run(R"({"listCollections": 1})");
  ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "cursor.id"), 0);
  EXPECT_EQ(Str(reply, "cursor.ns"), "test.$cmd.listCollections");
  EXPECT_THAT(Strings(reply, "cursor.firstBatch", "name"), UnorderedElementsAre("a", "b"));
  EXPECT_EQ(Str(reply, "cursor.firstBatch.0.type"), "collection");
  EXPECT_TRUE(Has(reply, "cursor.firstBatch.0.options"));
  bson_iter_t read_only, uuid;
  ASSERT_TRUE(FindPath(reply, "cursor.firstBatch.0.info.readOnly", &read_only));
  EXPECT_FALSE(bson_iter_as_bool(&read_only));
  ASSERT_TRUE(FindPath(reply, "cursor.firstBatch.0.info.uuid", &uuid));
  ASSERT_TRUE(BSON_ITER_HOLDS_BINARY(&uuid));
  bson_subtype_t subtype;
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_binary(&uuid, &subtype, &length, &data);
  EXPECT_EQ(subtype, BSON_SUBTYPE_UUID);
  EXPECT_EQ(length, 16u);
  EXPECT_EQ(Str(reply, "cursor.firstBatch.0.idIndex.name"), "_id_");
  EXPECT_EQ(Int(reply, "cursor.firstBatch.0.idIndex.key._id"), 1);
}

TEST_F(DdlCommandsTest, ListCollectionsUuidsAreDistinctAndSurviveRename) {
  Insert("test", "a", 1);
  Insert("test", "b", 1);
  auto uuid_of = [&](const std::string& name) {
    Document reply = Run(R"({"listCollections": 1, "filter": {"name": ")" + name + "\"}}");
    bson_iter_t uuid;
    if (!FindPath(reply, "cursor.firstBatch.0.info.uuid", &uuid)) return std::string();
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&uuid, nullptr, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
  };
  std::string a = uuid_of("a");
  ASSERT_EQ(a.size(), 16u);
  EXPECT_NE(a, uuid_of("b"));
  ASSERT_EQ(Ok(Run(R"({"renameCollection": "test.a", "to": "test.c"})")), 1.0);
  EXPECT_EQ(uuid_of("c"), a);
}

TEST_F(DdlCommandsTest, ListCollectionsNameOnly) {
  Insert("test", "a", 1);
  Document reply = Run(R"({"listCollections": 1, "nameOnly": true})");
  EXPECT_THAT(Keys(reply, "cursor.firstBatch.0"), ElementsAre("name", "type"));
}

TEST_F(DdlCommandsTest, ListCollectionsNameFilter) {
  Insert("test", "a", 1);
  Insert("test", "b", 1);
  Document reply = Run(R"({"listCollections": 1, "filter": {"name": "b"}})");
  EXPECT_THAT(Strings(reply, "cursor.firstBatch", "name"), ElementsAre("b"));
  Document none = Run(R"({"listCollections": 1, "filter": {"name": "zzz"}})");
  EXPECT_THAT(Strings(none, "cursor.firstBatch", "name"), IsEmpty());
  Document empty_filter = Run(R"({"listCollections": 1, "filter": {}})");
  EXPECT_THAT(Strings(empty_filter, "cursor.firstBatch", "name"), UnorderedElementsAre("a", "b"));
  ExpectError(Run(R"({"listCollections": 1, "filter": {"type": "view"}})"), 238, "NotImplemented");
  ExpectError(Run(R"({"listCollections": 1, "filter": 3})"), 14, "TypeMismatch");
}

TEST_F(DdlCommandsTest, ListCollectionsOfAnEmptyDatabase) {
  Document reply = Run(R"({"listCollections": 1, "$db": "nothing"})");
  EXPECT_EQ(Ok(reply), 1.0);
  EXPECT_THAT(Strings(reply, "cursor.firstBatch", "name"), IsEmpty());
  EXPECT_EQ(Str(reply, "cursor.ns"), "nothing.$cmd.listCollections");
}

// ---- listDatabases --------------------------------------------------------------------------

TEST_F(DdlCommandsTest, ListDatabasesReplyShape) {
  Document empty = Run(R"({"listDatabases": 1, "$db": "admin"})");
  EXPECT_EQ(Ok(empty), 1.0) << empty.ToJson();
  EXPECT_THAT(Strings(empty, "databases", "name"), IsEmpty());

  Insert("test", "a", 3);
  Insert("test", "b", 1);
  Insert("other", "a", 2);
  Document reply = Run(R"({"listDatabases": 1, "$db": "admin"})");
  ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_THAT(Strings(reply, "databases", "name"), UnorderedElementsAre("test", "other"));
  int64_t sum = 0;
  for (int i = 0; i < 2; ++i) {
    std::string prefix = "databases." + std::to_string(i);
    int64_t size = Int(reply, (prefix + ".sizeOnDisk").c_str());
    EXPECT_GT(size, 0);
    bson_iter_t empty_flag;
    ASSERT_TRUE(FindPath(reply, (prefix + ".empty").c_str(), &empty_flag));
    EXPECT_FALSE(bson_iter_as_bool(&empty_flag));
    sum += size;
  }
  EXPECT_EQ(Int(reply, "totalSize"), sum);
  EXPECT_EQ(Int(reply, "totalSizeMb"), sum >> 20);
}

TEST_F(DdlCommandsTest, ListDatabasesNameOnly) {
  Insert("test", "a", 1);
  Document reply = Run(R"({"listDatabases": 1, "nameOnly": true})");
  EXPECT_THAT(Keys(reply, "databases.0"), ElementsAre("name"));
  EXPECT_FALSE(Has(reply, "totalSize"));
}

}  // namespace
}  // namespace strata
