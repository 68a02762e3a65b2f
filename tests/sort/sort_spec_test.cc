// Tests of sort specifications and sort keys (query/sort/sort_spec.h): the "sort" table of
// tests/data/sort_cases.json, then the key invariant against document::CompareValues.
#include "query/sort/sort_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "base/error_codes.h"
#include "document/compare.h"
#include "tests/sort/sort_cases.h"
#include "tests/support/test_util.h"

namespace strata::query::sort {
namespace {

using ::strata::testing::Json;
using test_cases::Case;
using test_cases::Field;
using test_cases::SubDocument;
using ::testing::HasSubstr;

const std::vector<Case>& AllCases() {
  static const auto* const kCases = new std::vector<Case>(test_cases::LoadCases("sort"));
  return *kCases;
}

void ExpectError(const absl::Status& status, const Document& spec, const char* key) {
  auto error = Field(spec, key);
  ASSERT_TRUE(error.has_value());
  Document expected = Document::Copy(SubDocument(*error));
  auto code = Field(expected, "code");
  auto message = Field(expected, "message");
  ASSERT_TRUE(code.has_value() && message.has_value());
  ASSERT_FALSE(status.ok()) << "expected an error";
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), bson_iter_as_int64(&*code)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(bson_iter_utf8(&*message, nullptr)));
}

class SortCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(SortCaseTest, SortsAsDocumented) {
  const Document& spec = *GetParam().spec;
  auto sort_field = Field(spec, "sort");
  ASSERT_TRUE(sort_field.has_value());
  auto sort = SortSpec::Parse(SubDocument(*sort_field));
  if (Field(spec, "error")) {
    ExpectError(sort.status(), spec, "error");
    return;
  }
  ASSERT_OK(sort);
  if (auto natural = Field(spec, "natural")) {
    EXPECT_EQ(sort->natural_direction(), bson_iter_as_int64(&*natural));
  }

  auto docs_field = Field(spec, "docs");
  ASSERT_TRUE(docs_field.has_value());
  std::vector<Document> docs;
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_recurse(&*docs_field, &it));
  while (bson_iter_next(&it)) docs.push_back(Document::Copy(SubDocument(it)));

  std::vector<std::string> keys;
  absl::Status key_status;
  for (const Document& doc : docs) {
    auto key = sort->SortKey(doc.view());
    if (!key.ok()) {
      key_status = key.status();
      break;
    }
    keys.push_back(*key);
  }
  if (Field(spec, "key_error")) {
    ExpectError(key_status, spec, "key_error");
    return;
  }
  ASSERT_OK(key_status);

  std::vector<size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<int64_t> got;
  for (size_t i : order) {
    auto id = Field(docs[i], "_id");
    ASSERT_TRUE(id.has_value());
    got.push_back(bson_iter_as_int64(&*id));
  }
  std::vector<int64_t> want;
  auto expect = Field(spec, "expect");
  ASSERT_TRUE(expect.has_value());
  ASSERT_TRUE(bson_iter_recurse(&*expect, &it));
  while (bson_iter_next(&it)) want.push_back(bson_iter_as_int64(&it));
  EXPECT_EQ(got, want);
}

INSTANTIATE_TEST_SUITE_P(Cases, SortCaseTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(SortCases, TableIsComplete) { EXPECT_GE(AllCases().size(), 60u); }

// ---- The key invariant -----------------------------------------------------------------------

// Scalars and nested values of every type; arrays only nested (a top-level array would sort
// by an element).
const char* const kValues[] = {
    R"({"$minKey": 1})",
    R"({"$undefined": true})",
    "null",
    R"({"$numberDouble": "NaN"})",
    R"({"$numberDouble": "-Infinity"})",
    R"({"$numberLong": "-9223372036854775808"})",
    "-2.5",
    R"({"$numberDecimal": "-2.50"})",
    "-1",
    R"({"$numberDouble": "-0.0"})",
    "0",
    R"({"$numberDecimal": "1E-400"})",
    "1",
    R"({"$numberLong": "1"})",
    "1.5",
    R"({"$numberLong": "9007199254740993"})",
    R"({"$numberDouble": "Infinity"})",
    R"("")",
    R"("A")",
    R"("a")",
    R"("ab")",
    R"({"$symbol": "ab"})",
    R"({})",
    R"({"a": 1})",
    R"({"a": 1, "b": 1})",
    R"({"a": "x"})",
    R"({"b": 0})",
    R"([[]])",
    R"([[1, 2]])",
    R"([[1, {"a": 1}]])",
    R"({"$binary": {"base64": "", "subType": "00"}})",
    R"({"$binary": {"base64": "AQI=", "subType": "00"}})",
    R"({"$binary": {"base64": "AQI=", "subType": "80"}})",
    R"({"$oid": "000000000000000000000000"})",
    R"({"$oid": "ffffffffffffffffffffffff"})",
    "false",
    "true",
    R"({"$date": {"$numberLong": "-1"}})",
    R"({"$date": {"$numberLong": "0"}})",
    R"({"$timestamp": {"t": 0, "i": 1}})",
    R"({"$timestamp": {"t": 4294967295, "i": 0}})",
    R"({"$regularExpression": {"pattern": "a", "options": ""}})",
    R"({"$regularExpression": {"pattern": "a", "options": "i"}})",
    R"({"$code": "x"})",
    R"({"$code": "x", "$scope": {}})",
    R"({"$maxKey": 1})",
};

Document DocWith(const char* value) { return Json(std::string(R"({"v": )") + value + "}"); }

int Sign(int x) { return (x > 0) - (x < 0); }

TEST(SortKeyTest, KeyOrderIsValueOrder) {
  auto ascending = SortSpec::Parse(Json(R"({"v": 1})").view());
  auto descending = SortSpec::Parse(Json(R"({"v": -1})").view());
  ASSERT_OK(ascending);
  ASSERT_OK(descending);
  for (const char* a : kValues) {
    for (const char* b : kValues) {
      Document doc_a = DocWith(a);
      Document doc_b = DocWith(b);
      bson_iter_t it_a;
      bson_iter_t it_b;
      ASSERT_TRUE(bson_iter_init_find(&it_a, doc_a.bson(), "v"));
      ASSERT_TRUE(bson_iter_init_find(&it_b, doc_b.bson(), "v"));
      // A top-level array sorts by its element; compare the element.
      bson_iter_t elem_a = it_a;
      bson_iter_t elem_b = it_b;
      if (BSON_ITER_HOLDS_ARRAY(&it_a)) {
        bson_iter_recurse(&it_a, &elem_a);
        bson_iter_next(&elem_a);
      }
      if (BSON_ITER_HOLDS_ARRAY(&it_b)) {
        bson_iter_recurse(&it_b, &elem_b);
        bson_iter_next(&elem_b);
      }
      const int want = Sign(document::CompareValues(elem_a, elem_b));
      auto up_a = ascending->SortKey(doc_a.view());
      auto up_b = ascending->SortKey(doc_b.view());
      auto down_a = descending->SortKey(doc_a.view());
      auto down_b = descending->SortKey(doc_b.view());
      ASSERT_OK(up_a);
      ASSERT_OK(up_b);
      ASSERT_OK(down_a);
      ASSERT_OK(down_b);
      EXPECT_EQ(Sign(up_a->compare(*up_b)), want) << a << " vs " << b;
      EXPECT_EQ(Sign(down_a->compare(*down_b)), -want) << a << " vs " << b;
    }
  }
}

TEST(SortKeyTest, CompoundKeysCompareFieldByField) {
  auto spec = SortSpec::Parse(Json(R"({"a": 1, "b": -1})").view());
  ASSERT_OK(spec);
  const char* const values[] = {"null", "-1", "0", R"("")", R"("a")", R"({"x": 1})", "true"};
  for (const char* a1 : values) {
    for (const char* b1 : values) {
      for (const char* a2 : values) {
        for (const char* b2 : values) {
          Document d1 = Json(std::string(R"({"a": )") + a1 + R"(, "b": )" + b1 + "}");
          Document d2 = Json(std::string(R"({"a": )") + a2 + R"(, "b": )" + b2 + "}");
          bson_iter_t x1, y1, x2, y2;
          bson_iter_init_find(&x1, d1.bson(), "a");
          bson_iter_init_find(&y1, d1.bson(), "b");
          bson_iter_init_find(&x2, d2.bson(), "a");
          bson_iter_init_find(&y2, d2.bson(), "b");
          int want = Sign(document::CompareValues(x1, x2));
          if (want == 0) want = -Sign(document::CompareValues(y1, y2));
          auto k1 = spec->SortKey(d1.view());
          auto k2 = spec->SortKey(d2.view());
          ASSERT_OK(k1);
          ASSERT_OK(k2);
          EXPECT_EQ(Sign(k1->compare(*k2)), want) << d1.ToJson() << " vs " << d2.ToJson();
        }
      }
    }
  }
}

TEST(SortKeyTest, MissingEncodesAsNull) {
  auto spec = SortSpec::Parse(Json(R"({"a.b": 1, "c": -1})").view());
  ASSERT_OK(spec);
  auto missing = spec->SortKey(Json(R"({"x": 1})").view());
  auto nulls = spec->SortKey(Json(R"({"a": {"b": null}, "c": null})").view());
  ASSERT_OK(missing);
  ASSERT_OK(nulls);
  EXPECT_EQ(*missing, *nulls);
}

TEST(SortKeyTest, EmptySpecGivesEmptyKeys) {
  auto spec = SortSpec::Parse(Json("{}").view());
  ASSERT_OK(spec);
  EXPECT_TRUE(spec->empty());
  auto key = spec->SortKey(Json(R"({"a": [1, 2], "b": [3]})").view());
  ASSERT_OK(key);
  EXPECT_EQ(*key, "");
}

TEST(SortKeyTest, ExposesFields) {
  auto spec = SortSpec::Parse(Json(R"({"a": 1, "b.c": -1})").view());
  ASSERT_OK(spec);
  ASSERT_EQ(spec->size(), 2u);
  EXPECT_EQ(spec->fields()[0].path, "a");
  EXPECT_TRUE(spec->fields()[0].ascending);
  EXPECT_EQ(spec->fields()[1].path, "b.c");
  EXPECT_FALSE(spec->fields()[1].ascending);
  EXPECT_EQ(spec->natural_direction(), 0);
}

TEST(SortKeyTest, ParallelArraysAreBadValue) {
  auto spec = SortSpec::Parse(Json(R"({"a": 1, "b": 1})").view());
  ASSERT_OK(spec);
  auto key = spec->SortKey(Json(R"({"a": [1], "b": [2]})").view());
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("cannot sort with keys that are parallel arrays")));
  EXPECT_EQ(ErrorCodeOf(key.status()), ErrorCode::kBadValue);
  // One array at a time is fine.
  EXPECT_OK(spec->SortKey(Json(R"({"a": [1, 2], "b": 2})").view()));
  EXPECT_OK(spec->SortKey(Json(R"({"a": 1, "b": [2, 3]})").view()));
}

}  // namespace
}  // namespace strata::query::sort
