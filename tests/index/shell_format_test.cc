// Tests of MongoDB's text form of BSON used in index error messages
// (index/internal/shell_format.h).
#include "index/internal/shell_format.h"

#include <gtest/gtest.h>

#include "document/type_names.h"
#include "tests/support/test_util.h"

namespace strata::index::internal {
namespace {

using ::strata::testing::Json;

TEST(ShellFormatTest, DocumentsAndValues) {
  EXPECT_EQ(ShellString(Json("{}").view()), "{}");
  EXPECT_EQ(ShellString(Json(R"({"key": {"a": 1, "b.c": -1}, "name": "a_1"})").view()),
            R"({ key: { a: 1, b.c: -1 }, name: "a_1" })");
  EXPECT_EQ(ShellString(Json(R"({"a": [], "b": [1, [2]], "c": {}})").view()),
            "{ a: [], b: [ 1, [ 2 ] ], c: {} }");
  // Doubles always show a fraction (StringBuilder::appendDoubleNice); int64 prints bare.
  EXPECT_EQ(ShellString(Json(R"({"d": 1.0, "h": 0.5, "l": {"$numberLong": "7"}})").view()),
            "{ d: 1.0, h: 0.5, l: 7 }");
  EXPECT_EQ(ShellString(Json(R"({"s": "q\"b\\n\n"})").view()), R"({ s: "q\"b\\n\n" })");
  EXPECT_EQ(ShellString(Json(R"({"t": true, "n": null, "m": {"$minKey": 1}, "x": {"$maxKey": 1},
                                 "u": {"$undefined": true}})")
                            .view()),
            "{ t: true, n: null, m: MinKey, x: MaxKey, u: undefined }");
  EXPECT_EQ(ShellString(Json(R"({"o": {"$oid": "0123456789abcdef01234567"},
                                 "d": {"$date": {"$numberLong": "1000"}},
                                 "r": {"$regularExpression": {"pattern": "^a", "options": "i"}}})")
                            .view()),
            "{ o: ObjectId('0123456789abcdef01234567'), d: new Date(1000), r: /^a/i }");
  EXPECT_EQ(ShellString(Json(R"({"e": {"$numberDecimal": "1.50"}})").view()),
            R"({ e: NumberDecimal("1.50") })");
}

TEST(ShellFormatTest, ElementsAndTypeNames) {
  const Document doc = Json(R"({"unique": "yes"})");
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, doc.bson()) && bson_iter_next(&it));
  EXPECT_EQ(ShellElementString(it), R"(unique: "yes")");
  EXPECT_EQ(ShellValueString(it), R"("yes")");
  EXPECT_EQ(document::BsonTypeName(BSON_TYPE_BOOL), "bool");
  EXPECT_EQ(document::BsonTypeName(BSON_TYPE_INT32), "int");
  EXPECT_EQ(document::BsonTypeName(BSON_TYPE_INT64), "long");
  EXPECT_EQ(document::BsonTypeName(BSON_TYPE_DOCUMENT), "object");
  EXPECT_EQ(document::BsonTypeName(BSON_TYPE_CODEWSCOPE), "javascriptWithScope");
}

}  // namespace
}  // namespace strata::index::internal
