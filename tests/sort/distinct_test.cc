// Tests of distinct value extraction (query/sort/distinct.h): the "distinct" table of
// tests/data/sort_cases.json, then the reply shape and the size cap.
#include "query/sort/distinct.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error_codes.h"
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
  static const auto* const kCases = new std::vector<Case>(test_cases::LoadCases("distinct"));
  return *kCases;
}

class DistinctCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(DistinctCaseTest, CollectsDocumentedValues) {
  const Document& spec = *GetParam().spec;
  auto path = Field(spec, "path");
  auto docs = Field(spec, "docs");
  auto expect = Field(spec, "expect");
  ASSERT_TRUE(path.has_value() && docs.has_value() && expect.has_value());
  DistinctSet values;
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_recurse(&*docs, &it));
  while (bson_iter_next(&it)) {
    ASSERT_OK(CollectDistinctValues(SubDocument(it), bson_iter_utf8(&*path, nullptr), &values));
  }
  Document got = values.ToArrayDocument();
  DocumentView want = SubDocument(*expect);
  EXPECT_TRUE(got.view().BytesEqual(want)) << "got  " << got.ToJson(JsonMode::kCanonical)
                                           << "\nwant " << want.ToJson(JsonMode::kCanonical);
}

INSTANTIATE_TEST_SUITE_P(Cases, DistinctCaseTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(DistinctCases, TableIsComplete) { EXPECT_GE(AllCases().size(), 25u); }

TEST(DistinctTest, AppendsAnArrayField) {
  DistinctSet values;
  ASSERT_OK(CollectDistinctValues(Json(R"({"a": [3, "x", 1, 3]})").view(), "a", &values));
  EXPECT_EQ(values.size(), 3u);
  Document reply;
  values.AppendArray(reply.mutable_bson(), "values");
  BSON_APPEND_DOUBLE(reply.mutable_bson(), "ok", 1.0);
  EXPECT_TRUE(reply.view().BytesEqual(Json(R"({"values": [1, 3, "x"], "ok": 1.0})").view()))
      << reply.ToJson();
}

TEST(DistinctTest, SizeCapIsEnforced) {
  DistinctSet values(/*max_bytes=*/100);
  absl::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) {
    status = CollectDistinctValues(
        Json("{\"a\": \"value number " + std::to_string(i) + "\"}").view(), "a", &values);
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("distinct too big, 16mb cap")));
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), 17217);
}

TEST(DistinctTest, DuplicatesDoNotCountTowardsTheCap) {
  DistinctSet values(/*max_bytes=*/100);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK(CollectDistinctValues(Json(R"({"a": "same"})").view(), "a", &values));
  }
  EXPECT_EQ(values.size(), 1u);
}

}  // namespace
}  // namespace strata::query::sort
