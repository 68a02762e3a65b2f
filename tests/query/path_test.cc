// Which values a dotted path reaches (query/match/path.h), listed in order, each as
// "<value>" or "<value>@<outermost implicit array index>", and "missing".
#include "query/match/path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "query/match/match_expression.h"
#include "tests/support/test_util.h"

namespace strata::query::match {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Reached(const char* document, const char* path,
                                 LeafArrays leaf_arrays = LeafArrays::kTraverse) {
  Document doc = strata::testing::Json(document);
  std::vector<std::string> out;
  AnyPathValue(doc.view(), FieldPath(path), leaf_arrays,
               [&out](const bson_iter_t* value, const char* array_index) {
                 std::string text = value == nullptr ? "missing" : ValueDebugString(*value);
                 if (array_index != nullptr) text += std::string("@") + array_index;
                 out.push_back(text);
                 return false;
               });
  return out;
}

TEST(FieldPathTest, SplitsComponents) {
  FieldPath path("a.0.bc");
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path.part(0), "a");
  EXPECT_EQ(path.part(1), "0");
  EXPECT_EQ(path.part(2), "bc");
  EXPECT_FALSE(path.is_index(0));
  EXPECT_TRUE(path.is_index(1));
  EXPECT_FALSE(path.is_index(2));
  EXPECT_EQ(path.dotted(), "a.0.bc");
}

TEST(FieldPathTest, EmptyComponents) {
  EXPECT_EQ(FieldPath("").size(), 1u);
  FieldPath path("a..b");
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path.part(1), "");
  EXPECT_FALSE(path.is_index(1));
}

TEST(FieldPathTest, CopiesStayValid) {
  FieldPath copy;
  {
    FieldPath original("x.12.y");
    copy = original;
  }
  EXPECT_EQ(copy.part(1), "12");
  EXPECT_TRUE(copy.is_index(1));
}

TEST(PathTest, ScalarsAndMissing) {
  EXPECT_THAT(Reached(R"({"a": 1})", "a"), ElementsAre("1"));
  EXPECT_THAT(Reached(R"({"b": 1})", "a"), ElementsAre("missing"));
  EXPECT_THAT(Reached(R"({"a": {"b": 2}})", "a.b"), ElementsAre("2"));
  EXPECT_THAT(Reached(R"({"a": 1})", "a.b"), ElementsAre("missing"));
  EXPECT_THAT(Reached(R"({"a": {"c": 1}})", "a.b"), ElementsAre("missing"));
  EXPECT_THAT(Reached(R"({"a": 1, "a": 2})", "a"), ElementsAre("1"));  // first of duplicates
}

TEST(PathTest, LeafArrayElementsThenTheArray) {
  EXPECT_THAT(Reached(R"({"a": [1, 2]})", "a"), ElementsAre("1@0", "2@1", "[1, 2]"));
  EXPECT_THAT(Reached(R"({"a": []})", "a"), ElementsAre("[]"));
  EXPECT_THAT(Reached(R"({"a": [[1]]})", "a"), ElementsAre("[1]@0", "[[1]]"));
  EXPECT_THAT(Reached(R"({"a": [1, 2]})", "a", LeafArrays::kNoTraversal), ElementsAre("[1, 2]"));
}

TEST(PathTest, ArraysOfDocuments) {
  EXPECT_THAT(Reached(R"({"a": [{"b": 1}, {"b": [2, 3]}, {"c": 1}, 5]})", "a.b"),
              ElementsAre("1@0", "2@1", "3@1", "[2, 3]@1", "missing@2"));
  EXPECT_THAT(Reached(R"({"a": [{"b": [2, 3]}]})", "a.b", LeafArrays::kNoTraversal),
              ElementsAre("[2, 3]@0"));
  EXPECT_THAT(Reached(R"({"a": [1, 2]})", "a.b"), IsEmpty());
  EXPECT_THAT(Reached(R"({"a": [[{"b": 1}]]})", "a.b"), IsEmpty());
  EXPECT_THAT(Reached(R"({"a": {"b": [{"c": 1}, {"c": 2}]}})", "a.b.c"), ElementsAre("1@0", "2@1"));
}

TEST(PathTest, OutermostArrayIndexWins) {
  EXPECT_THAT(Reached(R"({"a": [{"b": [{"c": 1}]}, {"b": [{"c": 2}, {"c": 3}]}]})", "a.b.c"),
              ElementsAre("1@0", "2@1", "3@1"));
}

TEST(PathTest, NumericComponents) {
  EXPECT_THAT(Reached(R"({"a": [5, 6]})", "a.1"), ElementsAre("6"));
  EXPECT_THAT(Reached(R"({"a": [5, 6]})", "a.2"), IsEmpty());
  EXPECT_THAT(Reached(R"({"a": {"1": 7}})", "a.1"), ElementsAre("7"));
  // A document element is searched for a field "0" and also taken by position.
  EXPECT_THAT(Reached(R"({"a": [{"0": "field", "b": "pos"}]})", "a.0"),
              ElementsAre(R"("field"@0)", R"({"0": "field", "b": "pos"})"));
  EXPECT_THAT(Reached(R"({"a": [{"b": 1}, {"b": 2}]})", "a.1.b"),
              ElementsAre("missing@0", "missing@1", "2"));
  // A nested array taken by position is traversed with the rest of the path.
  EXPECT_THAT(Reached(R"({"a": [[{"b": 1}, {"b": 2}]]})", "a.0.b"), ElementsAre("1@0", "2@1"));
  EXPECT_THAT(Reached(R"({"a": [[1, 2]]})", "a.0"), ElementsAre("[1, 2]"));
  EXPECT_THAT(Reached(R"({"a": [[1, 2]]})", "a.0.1"), ElementsAre("2"));
  EXPECT_THAT(Reached(R"({"a": [5]})", "a.0.b"), IsEmpty());
}

TEST(PathTest, StopsAtFirstTrue) {
  Document doc = strata::testing::Json(R"({"a": [1, 2, 3]})");
  int calls = 0;
  EXPECT_TRUE(AnyPathValue(doc.view(), FieldPath("a"), LeafArrays::kTraverse,
                           [&calls](const bson_iter_t*, const char*) { return ++calls == 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(PathTest, UnreadableBytesReadAsEmpty) {
  const uint8_t garbage[] = {3, 0, 0};
  std::vector<std::string> out;
  AnyPathValue(DocumentView(garbage, sizeof(garbage)), FieldPath("a"), LeafArrays::kTraverse,
               [&out](const bson_iter_t* value, const char*) {
                 out.push_back(value == nullptr ? "missing" : "value");
                 return false;
               });
  EXPECT_THAT(out, ElementsAre("missing"));
}

}  // namespace
}  // namespace strata::query::match
