// Admin commands through Database::RunCommand: ping, buildInfo, hello/isMaster, collStats,
// dbStats (their numbers checked against what was inserted and deleted).
#include <bson/bson.h>

#include <string>
#include <vector>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;

bool FindPath(const Document& doc, const char* dotted, bson_iter_t* found) {
  bson_iter_t it;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, found);
}

int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

double Double(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_double(&found);
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

bool Bool(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_BOOL(&found)) {
    ADD_FAILURE() << "no bool at " << dotted << " in " << doc.ToJson();
    return false;
  }
  return bson_iter_bool(&found);
}

void ExpectError(const Document& reply, int code, const std::string& code_name,
                 const std::string& message_part = "") {
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "code"), code) << reply.ToJson();
  EXPECT_EQ(Str(reply, "codeName"), code_name) << reply.ToJson();
  EXPECT_THAT(Str(reply, "errmsg"), HasSubstr(message_part)) << reply.ToJson();
}

class AdminCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  Document Run(std::string_view json) { return db_->RunCommand(Json(json).view()); }

  // Inserts documents and returns the total of their stored sizes (each gets an _id first, so
  // the stored bytes are measured by reading them back).
  int64_t Insert(const std::string& db, const std::string& collection,
                 const std::vector<std::string>& docs) {
    std::string list;
    for (const std::string& doc : docs) list += (list.empty() ? "" : ", ") + doc;
    Document reply = Run(R"({"insert": ")" + collection + R"(", "documents": [)" + list +
                         R"(], "$db": ")" + db + "\"}");
    EXPECT_EQ(Int(reply, "n"), static_cast<int64_t>(docs.size())) << reply.ToJson();
    return StoredBytes(db, collection);
  }

  // Sum of the BSON sizes of every document of the collection, as read back.
  int64_t StoredBytes(const std::string& db, const std::string& collection) {
    Document reply =
        Run(R"({"find": ")" + collection + R"(", "batchSize": 100000, "$db": ")" + db + "\"}");
    bson_iter_t batch, doc;
    int64_t total = 0;
    if (!FindPath(reply, "cursor.firstBatch", &batch)) return -1;
    bson_iter_recurse(&batch, &doc);
    while (bson_iter_next(&doc)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&doc, &length, &data);
      total += length;
    }
    return total;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(AdminCommandsTest, Ping) {
  Document reply = Run(R"({"ping": 1})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Ok(Run(R"({"ping": 1, "$db": "admin"})")), 1.0);
}

TEST_F(AdminCommandsTest, BuildInfo) {
  for (const char* json : {R"({"buildInfo": 1})", R"({"buildinfo": 1})"}) {
    Document reply = Run(std::string_view(json));
    ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
    std::string version = Str(reply, "version");
    EXPECT_NE(version, "<missing>");
    // versionArray agrees with version ("0.1.0" ↔ [0, 1, 0, 0]).
    std::string from_array = std::to_string(Int(reply, "versionArray.0")) + "." +
                             std::to_string(Int(reply, "versionArray.1")) + "." +
                             std::to_string(Int(reply, "versionArray.2"));
    EXPECT_EQ(version, from_array);
    EXPECT_EQ(Int(reply, "versionArray.3"), 0);
    EXPECT_EQ(Int(reply, "maxBsonObjectSize"), 16 * 1024 * 1024);
    EXPECT_EQ(Int(reply, "bits"), 64);
    EXPECT_FALSE(Bool(reply, "debug"));
    EXPECT_EQ(Str(reply, "storageEngines.0"), "rocksdb");
  }
}

TEST_F(AdminCommandsTest, Hello) {
  Document reply = Run(R"({"hello": 1})");
  ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_TRUE(Bool(reply, "isWritablePrimary"));
  EXPECT_EQ(Int(reply, "maxBsonObjectSize"), 16 * 1024 * 1024);
  EXPECT_EQ(Int(reply, "maxMessageSizeBytes"), 48000000);
  EXPECT_EQ(Int(reply, "maxWriteBatchSize"), 100000);
  EXPECT_EQ(Int(reply, "minWireVersion"), 0);
  EXPECT_GE(Int(reply, "maxWireVersion"), Int(reply, "minWireVersion"));
  EXPECT_FALSE(Bool(reply, "readOnly"));
  bson_iter_t local_time;
  ASSERT_TRUE(FindPath(reply, "localTime", &local_time));
  EXPECT_TRUE(BSON_ITER_HOLDS_DATE_TIME(&local_time));
  EXPECT_GT(bson_iter_date_time(&local_time), int64_t{1600000000000});
}

TEST_F(AdminCommandsTest, IsMasterIsTheLegacyHello) {
  for (const char* json : {R"({"isMaster": 1})", R"({"ismaster": 1})"}) {
    Document reply = Run(std::string_view(json));
    ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
    EXPECT_TRUE(Bool(reply, "ismaster")) << json;
    EXPECT_EQ(Int(reply, "maxBsonObjectSize"), 16 * 1024 * 1024);
  }
}

TEST_F(AdminCommandsTest, CollStatsFollowsInsertsAndDeletes) {
  const int64_t bytes = Insert("test", "c",
                               {R"({"_id": 1, "s": "a"})", R"({"_id": 2, "s": "bb"})",
                                R"({"_id": 3, "s": "ccc", "n": 1.5})"});
  Document stats = Run(R"({"collStats": "c"})");
  ASSERT_EQ(Ok(stats), 1.0) << stats.ToJson();
  EXPECT_EQ(Str(stats, "ns"), "test.c");
  EXPECT_EQ(Int(stats, "count"), 3);
  EXPECT_EQ(Int(stats, "size"), bytes);
  EXPECT_EQ(Int(stats, "avgObjSize"), bytes / 3);
  EXPECT_EQ(Int(stats, "nindexes"), 1);
  EXPECT_EQ(Int(stats, "scaleFactor"), 1);
  EXPECT_GE(Int(stats, "storageSize"), 0);

  ASSERT_EQ(Ok(Run(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})")), 1.0);
  Document after_delete = Run(R"({"collStats": "c"})");
  EXPECT_EQ(Int(after_delete, "count"), 2);
  EXPECT_EQ(Int(after_delete, "size"), StoredBytes("test", "c"));

  // A replacement changes the size, not the count; a failed insert changes neither.
  ASSERT_EQ(Ok(Run(R"({"update": "c", "updates": [{"q": {"_id": 1},
      "u": {"s": "a much longer string than before"}}]})")),
            1.0);
  Run(R"({"insert": "c", "documents": [{"_id": 3}]})");
  Document after_update = Run(R"({"collStats": "c"})");
  EXPECT_EQ(Int(after_update, "count"), 2);
  EXPECT_EQ(Int(after_update, "size"), StoredBytes("test", "c"));

  ASSERT_EQ(Ok(Run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})")), 1.0);
  Document empty = Run(R"({"collStats": "c"})");
  EXPECT_EQ(Int(empty, "count"), 0);
  EXPECT_EQ(Int(empty, "size"), 0);
  EXPECT_EQ(Int(empty, "avgObjSize"), 0);
}

TEST_F(AdminCommandsTest, CollStatsSurvivesReopen) {
  const int64_t bytes = Insert("test", "c", {R"({"a": 1})", R"({"a": 2})"});
  ASSERT_OK(db_->Close());
  db_.reset();
  auto reopened = Database::Open(dir_.path());
  ASSERT_OK(reopened);
  db_ = std::move(*reopened);
  Document stats = Run(R"({"collStats": "c"})");
  EXPECT_EQ(Int(stats, "count"), 2);
  EXPECT_EQ(Int(stats, "size"), bytes);
}

TEST_F(AdminCommandsTest, CollStatsOfAMissingCollectionIsNamespaceNotFound) {
  ExpectError(Run(R"({"collStats": "missing"})"), 26, "NamespaceNotFound", "test.missing");
  ExpectError(Run(R"({"collStats": 5})"), 14, "TypeMismatch");
}

TEST_F(AdminCommandsTest, DbStatsAddsUpItsCollections) {
  const int64_t a = Insert("x", "a", {R"({"v": 1})", R"({"v": 2})", R"({"v": 3})"});
  const int64_t b = Insert("x", "b", {R"({"w": "text"})"});
  Insert("y", "a", {R"({"v": 1})"});
  Document stats = Run(R"({"dbStats": 1, "$db": "x"})");
  ASSERT_EQ(Ok(stats), 1.0) << stats.ToJson();
  EXPECT_EQ(Str(stats, "db"), "x");
  EXPECT_EQ(Int(stats, "collections"), 2);
  EXPECT_EQ(Int(stats, "views"), 0);
  EXPECT_EQ(Int(stats, "objects"), 4);
  EXPECT_EQ(Int(stats, "dataSize"), a + b);
  EXPECT_DOUBLE_EQ(Double(stats, "avgObjSize"), static_cast<double>(a + b) / 4);
  EXPECT_EQ(Int(stats, "indexes"), 2);
  EXPECT_GE(Int(stats, "totalSize"), Int(stats, "dataSize"));
  // collStats and dbStats agree.
  EXPECT_EQ(Int(Run(R"({"collStats": "a", "$db": "x"})"), "size") +
                Int(Run(R"({"collStats": "b", "$db": "x"})"), "size"),
            Int(stats, "dataSize"));

  ASSERT_EQ(Ok(Run(R"({"drop": "b", "$db": "x"})")), 1.0);
  Document after_drop = Run(R"({"dbStats": 1, "$db": "x"})");
  EXPECT_EQ(Int(after_drop, "collections"), 1);
  EXPECT_EQ(Int(after_drop, "objects"), 3);
  EXPECT_EQ(Int(after_drop, "dataSize"), a);
}

TEST_F(AdminCommandsTest, DbStatsOfAnEmptyDatabase) {
  Document stats = Run(R"({"dbStats": 1, "$db": "nothing"})");
  ASSERT_EQ(Ok(stats), 1.0) << stats.ToJson();
  EXPECT_EQ(Int(stats, "collections"), 0);
  EXPECT_EQ(Int(stats, "objects"), 0);
  EXPECT_EQ(Int(stats, "dataSize"), 0);
  EXPECT_EQ(Double(stats, "avgObjSize"), 0.0);
}

}  // namespace
}  // namespace strata
