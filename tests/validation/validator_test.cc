// Validator: whole validator documents (query operators and $jsonSchema) and the errInfo.details
// db/ puts in a DocumentValidationFailure.
#include "query/validation/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error_codes.h"
#include "tests/support/test_util.h"

namespace strata::query::validation {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

Validator MustParse(const char* json) {
  auto v = Validator::Parse(Json(json).view());
  EXPECT_OK(v);
  return *std::move(v);
}

TEST(ValidatorTest, EmptyValidatorAcceptsEverything) {
  Validator v = MustParse("{}");
  EXPECT_TRUE(v.Matches(Json(R"({"a": 1})").view()));
}

TEST(ValidatorTest, JsonSchemaAloneReportsSchemaDetails) {
  Validator v = MustParse(R"({"$jsonSchema": {"required": ["a"]}})");
  Document doc = Json(R"({"b": 1})");
  EXPECT_FALSE(v.Matches(doc.view()));
  EXPECT_EQ(v.ExplainFailure(doc.view()).ToJson(),
            R"({"operatorName": "$jsonSchema", "schemaRulesNotSatisfied": [)"
            R"({"operatorName": "required", "specifiedAs": {"required": ["a"]}, )"
            R"("missingProperties": ["a"]}]})");
}

TEST(ValidatorTest, SchemaAndQueryOperatorsCombineUnderAnd) {
  Validator v = MustParse(R"({"$jsonSchema": {"required": ["a"]}, "b": {"$gt": 5}})");
  EXPECT_TRUE(v.Matches(Json(R"({"a": 1, "b": 6})").view()));
  Document doc = Json(R"({"b": 3})");
  EXPECT_FALSE(v.Matches(doc.view()));
  EXPECT_EQ(
      v.ExplainFailure(doc.view()).ToJson(),
      R"({"operatorName": "$and", "clausesNotSatisfied": [)"
      R"({"index": 0, "details": {"operatorName": "$jsonSchema", "schemaRulesNotSatisfied": [)"
      R"({"operatorName": "required", "specifiedAs": {"required": ["a"]}, )"
      R"("missingProperties": ["a"]}]}}, )"
      R"({"index": 1, "details": {"operatorName": "$gt", "specifiedAs": {"b": {"$gt": 5}}, )"
      R"("reason": "comparison failed", "consideredValue": 3}}]})");
}

TEST(ValidatorTest, OnlyFailingClausesListed) {
  Validator v = MustParse(R"({"a": {"$type": "string"}, "b": {"$exists": true}})");
  Document doc = Json(R"({"a": "x"})");
  EXPECT_EQ(v.ExplainFailure(doc.view()).ToJson(),
            R"({"operatorName": "$and", "clausesNotSatisfied": [{"index": 1, "details": )"
            R"({"operatorName": "$exists", "reason": "path must exist"}}]})");
}

TEST(ValidatorTest, SingleQueryClause) {
  Validator v = MustParse(R"({"qty": {"$gte": 10}})");
  EXPECT_EQ(v.ExplainFailure(Json("{}").view()).ToJson(),
            R"({"operatorName": "$gte", "specifiedAs": {"qty": {"$gte": 10}}, )"
            R"("reason": "field was missing"})");
  EXPECT_EQ(v.ExplainFailure(Json(R"({"qty": 2})").view()).ToJson(),
            R"({"operatorName": "$gte", "specifiedAs": {"qty": {"$gte": 10}}, )"
            R"("reason": "comparison failed", "consideredValue": 2})");
}

TEST(ValidatorTest, TypeReportsConsideredType) {
  Validator v = MustParse(R"({"a": {"$type": "string"}})");
  EXPECT_EQ(v.ExplainFailure(Json(R"({"a": 1})").view()).ToJson(),
            R"({"operatorName": "$type", "reason": "type did not match", "consideredValue": 1, )"
            R"("consideredType": "int"})");
}

TEST(ValidatorTest, OrListsEveryClause) {
  Validator v = MustParse(R"({"$or": [{"a": 1}, {"$jsonSchema": {"required": ["b"]}}]})");
  EXPECT_TRUE(v.Matches(Json(R"({"b": 0})").view()));
  Document details = v.ExplainFailure(Json(R"({"a": 2})").view());
  EXPECT_THAT(details.ToJson(), HasSubstr(R"({"operatorName": "$or", "clausesNotSatisfied": [)"
                                          R"({"index": 0, "details": {"operatorName": "$eq")"));
  EXPECT_THAT(details.ToJson(),
              HasSubstr(R"({"index": 1, "details": {"operatorName": "$jsonSchema")"));
}

TEST(ValidatorTest, ParseErrorsCarryMongoCodes) {
  auto bad_schema = Validator::Parse(Json(R"({"$jsonSchema": {"format": "date"}})").view());
  EXPECT_EQ(ErrorCodeOf(bad_schema.status()), ErrorCode::kFailedToParse);
  EXPECT_THAT(std::string(bad_schema.status().message()),
              HasSubstr("$jsonSchema keyword 'format' is not currently supported"));
  auto bad_filter = Validator::Parse(Json(R"({"a": {"$foo": 1}})").view());
  EXPECT_EQ(ErrorCodeOf(bad_filter.status()), ErrorCode::kBadValue);
}

TEST(ValidatorTest, OwnsItsDocument) {
  Validator v = [] {
    Document temporary = Json(R"({"a": {"$in": [1, 2]}, "$jsonSchema": {"enum": [{"a": 1}]}})");
    auto parsed = Validator::Parse(temporary.view());
    EXPECT_OK(parsed);
    return *std::move(parsed);
  }();
  EXPECT_TRUE(v.Matches(Json(R"({"a": 1})").view()));
  EXPECT_FALSE(v.Matches(Json(R"({"a": 2})").view()));
  EXPECT_EQ(v.validator().ToJson(),
            R"({"a": {"$in": [1, 2]}, "$jsonSchema": {"enum": [{"a": 1}]}})");
}

}  // namespace
}  // namespace strata::query::validation
