// listIndexes: the implicit _id index, MongoDB's reply shape and errors.
#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

TEST(ListIndexes, EveryCollectionHasTheIdIndex) {
  TempDir dir;
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  (*db)->RunCommand(Json(R"({"insert": "c", "documents": [{"a": 1}]})").view());
  Document reply = (*db)->RunCommand(Json(R"({"listIndexes": "c"})").view());
  EXPECT_EQ(reply.ToJson(),
            R"({"cursor": {"firstBatch": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "id": 0, )"
            R"("ns": "test.c"}, "ok": 1.0})");
}

TEST(ListIndexes, MissingCollectionIsNamespaceNotFound) {
  TempDir dir;
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  Document reply = (*db)->RunCommand(Json(R"({"listIndexes": "nope"})").view());
  EXPECT_EQ(reply.ToJson(), R"({"ok": 0.0, "errmsg": "ns does not exist: test.nope", "code": 26, )"
                            R"("codeName": "NamespaceNotFound"})");
}

}  // namespace
}  // namespace strata
