// The parsed tree's shape, MatchDetails (elemMatchKey), ParseOptions hooks, MatchesValue,
// and concurrent evaluation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/error_codes.h"
#include "query/match/expression_array.h"
#include "query/match/expression_leaf.h"
#include "query/match/parser.h"
#include "tests/query/match_test_util.h"
#include "tests/support/test_util.h"

namespace strata::query::match {
namespace {

using testing::Filter;

MatchExpressionPtr Parse(const Document& filter, const ParseOptions& options = ParseOptions()) {
  auto expr = ParseFilter(filter.view(), options);
  EXPECT_TRUE(expr.ok()) << expr.status();
  return expr.ok() ? std::move(expr).value() : nullptr;
}

// ----- Tree shape

TEST(TreeTest, SingleFieldIsNotWrapped) {
  Document filter = Filter(R"({"a": 5})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->type(), MatchType::kEq);
  const auto* eq = static_cast<const ComparisonMatchExpression*>(expr.get());
  EXPECT_EQ(eq->path().dotted(), "a");
  EXPECT_EQ(bson_iter_int32(&eq->operand()), 5);
  EXPECT_EQ(expr->DebugString(), "a $eq 5");
}

TEST(TreeTest, ImplicitAndOfOperatorsAndFields) {
  Document filter = Filter(R"({"a": {"$gt": 1, "$lt": 5}, "b.c": "x"})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->type(), MatchType::kAnd);
  ASSERT_EQ(expr->num_children(), 3u);
  EXPECT_EQ(expr->child(0)->type(), MatchType::kGt);
  EXPECT_EQ(expr->child(1)->type(), MatchType::kLt);
  EXPECT_EQ(expr->child(2)->type(), MatchType::kEq);
  EXPECT_EQ(expr->DebugString(), R"($and(a $gt 1, a $lt 5, b.c $eq "x"))");
}

TEST(TreeTest, EmptyFilterIsAnEmptyAnd) {
  Document filter = Filter("{}");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->type(), MatchType::kAnd);
  EXPECT_EQ(expr->num_children(), 0u);
  EXPECT_TRUE(expr->Matches(strata::testing::Json(R"({"anything": 1})").view()));
}

TEST(TreeTest, NegationsAreNotNodes) {
  Document filter = Filter(R"({"a": {"$ne": 1}, "b": {"$nin": [1]}, "c": {"$exists": false}})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->num_children(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(expr->child(i)->type(), MatchType::kNot);
  EXPECT_EQ(expr->child(0)->child(0)->type(), MatchType::kEq);
  EXPECT_EQ(expr->child(1)->child(0)->type(), MatchType::kIn);
  EXPECT_EQ(expr->child(2)->child(0)->type(), MatchType::kExists);
}

TEST(TreeTest, NodeKinds) {
  struct Row {
    const char* filter;
    MatchType type;
  };
  const Row rows[] = {
      {R"({"a": {"$regularExpression": {"pattern": "x", "options": "i"}}})", MatchType::kRegex},
      {R"({"a": {"%regex": "x"}})", MatchType::kRegex},
      {R"({"a": {"$in": [1]}})", MatchType::kIn},
      {R"({"a": {"$mod": [2, 1]}})", MatchType::kMod},
      {R"({"a": {"$exists": true}})", MatchType::kExists},
      {R"({"a": {"%type": "int"}})", MatchType::kType},
      {R"({"a": {"$size": 1}})", MatchType::kSize},
      {R"({"a": {"$elemMatch": {"b": 1}}})", MatchType::kElemMatchObject},
      {R"({"a": {"$elemMatch": {"$gt": 1}}})", MatchType::kElemMatchValue},
      {R"({"a": {"$all": [1, 2]}})", MatchType::kAnd},
      {R"({"a": {"$all": []}})", MatchType::kAlwaysFalse},
      {R"({"$or": [{"a": 1}]})", MatchType::kOr},
      {R"({"$nor": [{"a": 1}]})", MatchType::kNor},
      {R"({"$alwaysTrue": 1})", MatchType::kAlwaysTrue},
      {R"({"a": {"$bitsAnySet": 3}})", MatchType::kBitsAnySet},
      {R"({"a": {"$not": {"$gt": 1}}})", MatchType::kNot},
  };
  for (const Row& row : rows) {
    Document filter = Filter(row.filter);
    auto expr = Parse(filter);
    ASSERT_NE(expr, nullptr) << row.filter;
    EXPECT_EQ(expr->type(), row.type) << row.filter << " → " << expr->DebugString();
  }
}

TEST(TreeTest, InListIsSortedAndUnique) {
  Document filter = Filter(R"({"a": {"$in": [3, "x", 1, 1.0, null, 2]}})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  const auto* in = static_cast<const InMatchExpression*>(expr.get());
  EXPECT_EQ(in->equalities().size(), 5u);  // 1 and 1.0 are one value
  EXPECT_TRUE(in->has_null());
  EXPECT_EQ(expr->DebugString(), R"(a $in [null, 1, 2, 3, "x"])");
}

TEST(TreeTest, DebugStrings) {
  struct Row {
    const char* filter;
    const char* debug;
  };
  const Row rows[] = {
      {R"({"a": {"%regex": "^x", "%options": "i"}})", "a $regex /^x/i"},
      {R"({"a": {"$mod": [4, 1]}})", "a $mod [4, 1]"},
      {R"({"a": {"%type": ["int", "number"]}})", "a $type [number, int]"},
      {R"({"a": {"$size": 2}})", "a $size 2"},
      {R"({"a": {"$not": {"$gt": 1}}})", "$not($and(a $gt 1))"},
      {R"({"a": {"$elemMatch": {"$gt": 1}}})", "a $elemMatch($gt 1)"},
      {R"({"a": {"$elemMatch": {"b": 1}}})", "a $elemMatch(b $eq 1)"},
      {R"({"$or": [{"a": 1}, {"b": {"$exists": true}}]})", "$or(a $eq 1, b $exists)"},
      {R"({"a": {"$bitsAllSet": [0, 2]}})", "a $bitsAllSet [0, 2]"},
  };
  for (const Row& row : rows) {
    Document filter = Filter(row.filter);
    auto expr = Parse(filter);
    ASSERT_NE(expr, nullptr) << row.filter;
    EXPECT_EQ(expr->DebugString(), row.debug) << row.filter;
  }
}

// ----- MatchDetails: the array position behind a match

struct KeyCase {
  const char* filter;
  const char* document;
  const char* key;  // nullptr: matches without a key
};

class ElemMatchKeyTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(ElemMatchKeyTest, Records) {
  const KeyCase& c = GetParam();
  Document filter = Filter(c.filter);
  Document doc = strata::testing::Json(c.document);
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  MatchDetails details;
  details.RequestElemMatchKey();
  ASSERT_TRUE(expr->Matches(doc.view(), &details)) << expr->DebugString();
  if (c.key == nullptr) {
    EXPECT_FALSE(details.has_elem_match_key()) << details.elem_match_key();
  } else {
    ASSERT_TRUE(details.has_elem_match_key());
    EXPECT_EQ(details.elem_match_key(), c.key);
  }
}

const KeyCase kKeys[] = {
    {R"({"a": 3})", R"({"a": [1, 2, 3]})", "2"},
    {R"({"a": {"$gt": 1}})", R"({"a": [0, 5, 7]})", "1"},
    {R"({"a.b": 2})", R"({"a": [{"b": 1}, {"b": 2}]})", "1"},
    {R"({"a.b": 2})", R"({"a": [{"b": 1}, {"b": [0, 2]}]})", "1"},
    {R"({"a.b.c": 5})", R"({"a": [{"b": [{"c": 1}, {"c": 5}]}]})", "0"},
    {R"({"a": {"$elemMatch": {"$gt": 1}}})", R"({"a": [0, 5]})", "1"},
    {R"({"a": {"$elemMatch": {"b": 1}}})", R"({"a": [{"b": 0}, {"b": 0}, {"b": 1}]})", "2"},
    {R"({"a.b": {"$elemMatch": {"$gt": 1}}})", R"({"a": [{"b": [0]}, {"b": [0, 5]}]})", "1"},
    {R"({"a": 2, "b": 1})", R"({"a": [1, 2], "b": 1})", "1"},
    {R"({"a": {"$in": [7, 8]}})", R"({"a": [1, 8]})", "1"},
    {R"({"a": {"%regex": "^x"}})", R"({"a": ["y", "xz"]})", "1"},
    {R"({"a": 1})", R"({"a": 1})", nullptr},
    {R"({"a": [1, 2]})", R"({"a": [1, 2]})", nullptr},
    {R"({"a.1": 2})", R"({"a": [1, 2]})", nullptr},
    {R"({"$or": [{"a": 2}]})", R"({"a": [1, 2]})", nullptr},
    {R"({"a": {"$ne": 5}})", R"({"a": [1, 2]})", nullptr},
    {R"({"a": {"$size": 2}})", R"({"a": [1, 2]})", nullptr},
};
INSTANTIATE_TEST_SUITE_P(Keys, ElemMatchKeyTest, ::testing::ValuesIn(kKeys));

TEST(MatchDetailsTest, NotRecordedUnlessRequested) {
  Document filter = Filter(R"({"a": 2})");
  auto expr = Parse(filter);
  MatchDetails details;
  EXPECT_TRUE(expr->Matches(strata::testing::Json(R"({"a": [1, 2]})").view(), &details));
  EXPECT_FALSE(details.has_elem_match_key());
}

TEST(MatchDetailsTest, FailedAndResetsTheKey) {
  Document filter = Filter(R"({"a": 2, "b": 5})");
  auto expr = Parse(filter);
  MatchDetails details;
  details.RequestElemMatchKey();
  EXPECT_FALSE(expr->Matches(strata::testing::Json(R"({"a": [1, 2], "b": 4})").view(), &details));
  EXPECT_FALSE(details.has_elem_match_key());
}

// ----- MatchesValue: one value as if it were what the path reached

TEST(MatchesValueTest, PathlessPredicates) {
  Document filter = Filter(R"({"a": {"$elemMatch": {"$gt": 1, "$lt": 5}}})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->num_children(), 2u);
  Document values = strata::testing::Json(R"({"x": 3, "y": 9})");
  bson_iter_t x;
  bson_iter_t y;
  ASSERT_TRUE(bson_iter_init_find(&x, values.bson(), "x"));
  ASSERT_TRUE(bson_iter_init_find(&y, values.bson(), "y"));
  EXPECT_TRUE(expr->child(0)->MatchesValue(&x));
  EXPECT_TRUE(expr->child(1)->MatchesValue(&x));
  EXPECT_FALSE(expr->child(1)->MatchesValue(&y));
  EXPECT_FALSE(expr->child(0)->MatchesValue(nullptr));
}

TEST(MatchesValueTest, ElemMatchOneElement) {
  Document values = strata::testing::Json(R"({"n": 3, "d": {"b": 1}, "s": "x"})");
  bson_iter_t n, d, s;
  ASSERT_TRUE(bson_iter_init_find(&n, values.bson(), "n"));
  ASSERT_TRUE(bson_iter_init_find(&d, values.bson(), "d"));
  ASSERT_TRUE(bson_iter_init_find(&s, values.bson(), "s"));

  Document value_form = Filter(R"({"a": {"$elemMatch": {"$gt": 1, "$lt": 5}}})");
  auto by_value = Parse(value_form);
  ASSERT_EQ(by_value->type(), MatchType::kElemMatchValue);
  const auto& value_node = static_cast<const ElemMatchValueMatchExpression&>(*by_value);
  EXPECT_TRUE(value_node.MatchesElement(n));
  EXPECT_FALSE(value_node.MatchesElement(s));

  Document object_form = Filter(R"({"a": {"$elemMatch": {"b": 1}}})");
  auto by_object = Parse(object_form);
  ASSERT_EQ(by_object->type(), MatchType::kElemMatchObject);
  const auto& object_node = static_cast<const ElemMatchObjectMatchExpression&>(*by_object);
  EXPECT_TRUE(object_node.MatchesElement(d));
  EXPECT_FALSE(object_node.MatchesElement(n));
}

TEST(MatchesValueTest, NullMatchesMissing) {
  Document filter = Filter(R"({"a": null})");
  auto expr = Parse(filter);
  EXPECT_TRUE(expr->MatchesValue(nullptr));
}

// ----- ParseOptions hooks

class ConstantNode final : public MatchExpression {
 public:
  explicit ConstantNode(bool value) : MatchExpression(MatchType::kExternal), value_(value) {}
  bool Matches(DocumentView, MatchDetails*) const override { return value_; }
  bool MatchesValue(const bson_iter_t*, MatchDetails*) const override { return value_; }
  std::string DebugString() const override { return "$expr(constant)"; }

 private:
  bool value_;
};

TEST(ParseOptionsTest, ExprHook) {
  ParseOptions options;
  int calls = 0;
  options.expr_parser = [&calls](const bson_iter_t& operand) -> absl::StatusOr<MatchExpressionPtr> {
    ++calls;
    return MatchExpressionPtr(new ConstantNode(bson_iter_as_bool(&operand)));
  };
  Document yes = Filter(R"({"$expr": true, "a": 1})");
  auto expr = Parse(yes, options);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(expr->Matches(strata::testing::Json(R"({"a": 1})").view()));
  EXPECT_FALSE(expr->Matches(strata::testing::Json(R"({"a": 2})").view()));

  Document no = Filter(R"({"$or": [{"$expr": false}]})");
  auto rejected = Parse(no, options);
  ASSERT_NE(rejected, nullptr);
  EXPECT_FALSE(rejected->Matches(strata::testing::Json(R"({"a": 1})").view()));

  // Still top level only.
  Document nested = Filter(R"({"a": {"$elemMatch": {"$expr": true}}})");
  EXPECT_EQ(ErrorCodeOf(ParseFilter(nested.view(), options).status()), ErrorCode::kBadValue);
}

TEST(ParseOptionsTest, HookErrorsPropagate) {
  ParseOptions options;
  options.json_schema_parser = [](const bson_iter_t&) -> absl::StatusOr<MatchExpressionPtr> {
    return MongoError(ErrorCode::kFailedToParse, "bad schema");
  };
  Document filter = Filter(R"({"$jsonSchema": {"type": 5}})");
  auto expr = ParseFilter(filter.view(), options);
  EXPECT_EQ(ErrorCodeOf(expr.status()), ErrorCode::kFailedToParse);
}

// ----- Concurrency: one tree, many threads (regexes share compiled code)

TEST(ConcurrencyTest, OneTreeManyThreads) {
  Document filter = Filter(
      R"({"$or": [{"name": {"%regex": "^user-[0-9]*7$"}}, {"tags": {"$all": ["a", "b"]}}]})");
  auto expr = Parse(filter);
  ASSERT_NE(expr, nullptr);
  std::vector<Document> docs;
  int expected = 0;
  for (int i = 0; i < 200; ++i) {
    const bool tagged = i % 5 == 0;
    docs.push_back(strata::testing::Json("{\"name\": \"user-" + std::to_string(i) +
                                         "\", \"tags\": " + (tagged ? "[\"a\", \"b\"]" : "[]") +
                                         "}"));
    if (i % 10 == 7 || tagged) ++expected;
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        int count = 0;
        for (const Document& d : docs) count += expr->Matches(d.view()) ? 1 : 0;
        if (count != expected) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace strata::query::match
