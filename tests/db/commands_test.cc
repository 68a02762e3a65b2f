// The command layer end to end: command documents in, MongoDB-shaped replies out.
#include <bson/bson.h>

#include <string>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  Document Run(std::string_view json) { return db_->RunCommand(Json(json).view()); }

  static double Ok(const Document& reply) {
    bson_iter_t it;
    return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
  }
  static int64_t Int(const Document& reply, const char* dotted) {
    bson_iter_t it, found;
    if (!bson_iter_init(&it, reply.bson()) || !bson_iter_find_descendant(&it, dotted, &found)) {
      ADD_FAILURE() << "no " << dotted << " in " << reply.ToJson();
      return -1;
    }
    return bson_iter_as_int64(&found);
  }
  static std::string Str(const Document& reply, const char* dotted) {
    bson_iter_t it, found;
    if (!bson_iter_init(&it, reply.bson()) || !bson_iter_find_descendant(&it, dotted, &found) ||
        !BSON_ITER_HOLDS_UTF8(&found)) {
      return "<missing>";
    }
    return bson_iter_utf8(&found, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(CommandsTest, InsertThenFindReturnsMongoShapedReplies) {
  Document insert = Run(R"({"insert": "c", "documents": [{"a": 1}]})");
  EXPECT_EQ(Ok(insert), 1.0) << insert.ToJson();
  EXPECT_EQ(Int(insert, "n"), 1);
  Document find = Run(R"({"find": "c", "filter": {}})");
  EXPECT_EQ(Ok(find), 1.0) << find.ToJson();
  EXPECT_EQ(Int(find, "cursor.id"), 0);
  EXPECT_EQ(Str(find, "cursor.ns"), "test.c");
  EXPECT_EQ(Int(find, "cursor.firstBatch.0.a"), 1);
  bson_iter_t it, id;
  ASSERT_TRUE(bson_iter_init(&it, find.bson()));
  ASSERT_TRUE(bson_iter_find_descendant(&it, "cursor.firstBatch.0._id", &id));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
}

TEST_F(CommandsTest, UnknownCommandIsCommandNotFound) {
  Document reply = Run(R"({"frobnicate": 1})");
  EXPECT_EQ(Ok(reply), 0.0);
  EXPECT_EQ(Int(reply, "code"), 59);
  EXPECT_EQ(Str(reply, "codeName"), "CommandNotFound");
  EXPECT_THAT(Str(reply, "errmsg"), ::testing::HasSubstr("frobnicate"));
}

}  // namespace
}  // namespace strata
