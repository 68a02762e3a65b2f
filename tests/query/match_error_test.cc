// Bad filters: each row asserts MongoDB's error code and a substring of its message.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "base/error_codes.h"
#include "query/match/parser.h"
#include "tests/query/match_test_util.h"
#include "tests/support/test_util.h"

namespace strata::query::match {
namespace {

using testing::Filter;

struct ErrorCase {
  const char* filter;
  ErrorCode code;
  const char* message;  // a substring of the expected message
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
  return os << "filter " << c.filter << " → " << ErrorCodeName(c.code) << " \"" << c.message
            << "\"";
}

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  Document filter = Filter(c.filter);
  auto expr = ParseFilter(filter.view());
  ASSERT_FALSE(expr.ok()) << "parsed as " << (*expr)->DebugString();
  EXPECT_EQ(ErrorCodeOf(expr.status()), c.code) << expr.status();
  EXPECT_THAT(std::string(expr.status().message()), ::testing::HasSubstr(c.message));
}

constexpr ErrorCode kBadValue = ErrorCode::kBadValue;
// MongoDB: a pattern PCRE cannot compile is Location51091.
constexpr ErrorCode kInvalidRegex = static_cast<ErrorCode>(51091);
constexpr ErrorCode kFailedToParse = ErrorCode::kFailedToParse;
constexpr ErrorCode kTypeMismatch = ErrorCode::kTypeMismatch;
constexpr ErrorCode kNotImplemented = ErrorCode::kNotImplemented;

const ErrorCase kErrors[] = {
    // Unknown operators.
    {R"({"a": {"$foo": 1}})", kBadValue, "unknown operator: $foo"},
    {R"({"a": {"$gt": 1, "$foo": 1}})", kBadValue, "unknown operator: $foo"},
    {R"({"a": {"$gt": 1, "b": 2}})", kBadValue, "unknown operator: b"},
    {R"({"a": {"$expr": 1}})", kBadValue, "unknown operator: $expr"},
    {R"({"$foo": 1})", kBadValue, "unknown top level operator: $foo"},
    {R"({"$gt": 1})", kBadValue, "unknown top level operator: $gt"},
    {R"({"$set": {"a": 1}})", kBadValue, "consider using $getField or $setField"},
    {R"({"$and": [{"$bar": 1}]})", kBadValue, "unknown top level operator: $bar"},
    {R"({"a": {"$elemMatch": {"$gt": 1, "$bar": 2}}})", kBadValue, "unknown operator: $bar"},
    // Comparisons.
    {R"({"a": {"$undefined": true}})", kBadValue, "cannot compare to undefined"},
    {R"({"a": {"$eq": {"$undefined": true}}})", kBadValue, "cannot compare to undefined"},
    {R"({"a": {"$gt": {"$undefined": true}}})", kBadValue, "cannot compare to undefined"},
    {R"({"a": {"$ne": {"$undefined": true}}})", kBadValue, "cannot compare to undefined"},
    {R"({"a": {"$gt": {"$regularExpression": {"pattern": "x", "options": ""}}}})", kBadValue,
     "Can't have RegEx as arg to predicate over field 'a'"},
    {R"({"a": {"$lte": {"$regularExpression": {"pattern": "x", "options": ""}}}})", kBadValue,
     "Can't have RegEx"},
    {R"({"a": {"$ne": {"$regularExpression": {"pattern": "x", "options": ""}}}})", kBadValue,
     "Can't have regex as arg to $ne."},
    // $in / $nin.
    {R"({"a": {"$in": 5}})", kBadValue, "$in needs an array"},
    {R"({"a": {"$in": {"b": 1}}})", kBadValue, "$in needs an array"},
    {R"({"a": {"$nin": 5}})", kBadValue, "$nin needs an array"},
    {R"({"a": {"$in": [{"$gt": 1}]}})", kBadValue, "cannot nest $ under $in"},
    {R"({"a": {"$nin": [1, {"$exists": true}]}})", kBadValue, "cannot nest $ under $in"},
    {R"({"a": {"$in": [{"$undefined": true}]}})", kBadValue,
     "InMatchExpression equality cannot be undefined"},
    {R"({"a": {"$in": [{"$regularExpression": {"pattern": "(", "options": ""}}]}})", kInvalidRegex,
     "Regular expression is invalid"},
    // Logical operators.
    {R"({"$and": []})", kBadValue, "$and/$or/$nor must be a nonempty array"},
    {R"({"$or": []})", kBadValue, "$and/$or/$nor must be a nonempty array"},
    {R"({"$nor": []})", kBadValue, "$and/$or/$nor must be a nonempty array"},
    {R"({"$and": {"a": 1}})", kBadValue, "$and must be an array"},
    {R"({"$or": 1})", kBadValue, "$or must be an array"},
    {R"({"$nor": "x"})", kBadValue, "$nor must be an array"},
    {R"({"$or": [1]})", kBadValue, "$or/$and/$nor entries need to be full objects"},
    {R"({"$and": [{"a": 1}, []]})", kBadValue, "entries need to be full objects"},
    {R"({"$or": [{"a": {"$in": 1}}]})", kBadValue, "$in needs an array"},
    {R"({"a": {"$not": 5}})", kBadValue, "$not needs a regex or a document"},
    {R"({"a": {"$not": "x"}})", kBadValue, "$not needs a regex or a document"},
    {R"({"a": {"$not": {}}})", kBadValue, "$not cannot be empty"},
    {R"({"a": {"$not": {"b": 1}}})", kBadValue, "unknown operator: b"},
    {R"({"a": {"$not": {"%regex": "("}}})", kInvalidRegex, "Regular expression is invalid"},
    {R"({"$not": {"a": 1}})", kBadValue, "unknown top level operator: $not"},
    // $exists has no error; $type does.
    {R"({"a": {"%type": "foo"}})", kBadValue, "Unknown type name alias: foo"},
    {R"({"a": {"%type": "String"}})", kBadValue, "Unknown type name alias: String"},
    {R"({"a": {"%type": ["int", "nope"]}})", kBadValue, "Unknown type name alias: nope"},
    {R"({"a": {"%type": 42}})", kBadValue, "Invalid numerical type code: 42"},
    {R"({"a": {"%type": 0}})", kBadValue, "Invalid numerical type code: 0"},
    {R"({"a": {"%type": 1.5}})", kBadValue, "Invalid numerical type code: 1.5"},
    {R"({"a": {"%type": -2}})", kBadValue, "Invalid numerical type code: -2"},
    {R"({"a": {"%type": []}})", kFailedToParse, "a must match at least one type"},
    {R"({"a": {"%type": true}})", kTypeMismatch,
     "type must be represented as a number or a string"},
    {R"({"a": {"%type": {"b": 1}}})", kTypeMismatch,
     "type must be represented as a number or a string"},
    // $size.
    {R"({"a": {"$size": -1}})", kBadValue, "$size may not be negative"},
    {R"({"a": {"$size": {"$numberLong": "-5"}}})", kBadValue, "$size may not be negative"},
    {R"({"a": {"$size": 1.5}})", kBadValue, "$size must be a whole number"},
    {R"({"a": {"$size": {"$numberDouble": "NaN"}}})", kBadValue, "$size must be a whole number"},
    {R"({"a": {"$size": {"$numberDecimal": "2.5"}}})", kBadValue, "$size must be a whole number"},
    {R"({"a": {"$size": "1"}})", kBadValue, "$size needs a number"},
    {R"({"a": {"$size": null}})", kBadValue, "$size needs a number"},
    {R"({"a": {"$size": [1]}})", kBadValue, "$size needs a number"},
    {R"({"a": {"$size": {"$numberLong": "5000000000"}}})", kBadValue, "32-bit integer"},
    // $mod.
    {R"({"a": {"$mod": 5}})", kBadValue, "malformed mod, needs to be an array"},
    {R"({"a": {"$mod": []}})", kBadValue, "malformed mod, not enough elements"},
    {R"({"a": {"$mod": [4]}})", kBadValue, "malformed mod, not enough elements"},
    {R"({"a": {"$mod": [4, 1, 2]}})", kBadValue, "malformed mod, too many elements"},
    {R"({"a": {"$mod": ["4", 1]}})", kBadValue, "malformed mod, divisor not a number"},
    {R"({"a": {"$mod": [4, "1"]}})", kBadValue, "malformed mod, remainder not a number"},
    {R"({"a": {"$mod": [0, 1]}})", kBadValue, "divisor cannot be 0"},
    {R"({"a": {"$mod": [0.5, 1]}})", kBadValue, "divisor cannot be 0"},
    {R"({"a": {"$mod": [{"$numberDouble": "NaN"}, 1]}})", kBadValue,
     "malformed mod, divisor value is invalid :: caused by :: Unable to coerce NaN/Inf"},
    {R"({"a": {"$mod": [4, {"$numberDouble": "Infinity"}]}})", kBadValue,
     "malformed mod, remainder value is invalid"},
    {R"({"a": {"$mod": [{"$numberDecimal": "-Infinity"}, 1]}})", kBadValue,
     "Unable to coerce NaN/Inf"},
    {R"({"a": {"$mod": [1e20, 1]}})", kBadValue, "Out of bounds coercing to integral value"},
    // $regex.
    {R"({"a": {"%regex": "("}})", kInvalidRegex,
     "Regular expression is invalid: missing closing parenthesis"},
    {R"({"a": {"%regex": "a{2,1}"}})", kInvalidRegex, "Regular expression is invalid"},
    {R"({"a": {"$regularExpression": {"pattern": "[", "options": ""}}})", kInvalidRegex,
     "Regular expression is invalid"},
    {R"({"a": {"%regex": "x", "%options": "z"}})", kBadValue, "invalid flag in regex options: z"},
    {R"({"a": {"%regex": "x", "%options": "ig"}})", kBadValue, "invalid flag in regex options: g"},
    {R"({"a": {"%regex": 5}})", kBadValue, "$regex has to be a string"},
    {R"({"a": {"%regex": "x", "%options": 5}})", kBadValue, "$options has to be a string"},
    {R"({"a": {"%options": "i"}})", kBadValue, "$options needs a $regex"},
    {R"({"a": {"%regex": {"$regularExpression": {"pattern": "x", "options": "i"}}, "%options": "m"}})",
     kBadValue, "options set in both $regex and $options"},
    {R"({"a": {"%options": "m", "%regex": {"$regularExpression": {"pattern": "x", "options": "i"}}}})",
     kBadValue, "options set in both $regex and $options"},
    // $elemMatch and $all.
    {R"({"a": {"$elemMatch": 5}})", kBadValue, "$elemMatch needs an Object"},
    {R"({"a": {"$elemMatch": [1]}})", kBadValue, "$elemMatch needs an Object"},
    {R"({"a": {"$elemMatch": {"b": {"$foo": 1}}}})", kBadValue, "unknown operator: $foo"},
    {R"({"a": {"$elemMatch": {"$expr": {"$eq": [1, 1]}}}})", kBadValue,
     "$expr can only be applied to the top-level document"},
    {R"({"a": {"$elemMatch": {"$text": {"$search": "x"}}}})", kBadValue,
     "$text can only be applied to the top-level document"},
    {R"({"a": {"$all": 5}})", kBadValue, "$all needs an array"},
    {R"({"a": {"$all": [{"$elemMatch": {"b": 1}}, 5]}})", kBadValue,
     "$all/$elemMatch has to be consistent"},
    {R"({"a": {"$all": [{"$elemMatch": {"b": 1}}, {"b": 1}]}})", kBadValue,
     "$all/$elemMatch has to be consistent"},
    {R"({"a": {"$all": [{"$gt": 1}]}})", kBadValue, "no $ expressions in $all"},
    {R"({"a": {"$all": [1, {"$in": [1]}]}})", kBadValue, "no $ expressions in $all"},
    {R"({"a": {"$all": [{"$undefined": true}]}})", kBadValue, "cannot compare to undefined"},
    {R"({"a": {"$all": [{"$elemMatch": 1}]}})", kBadValue, "$elemMatch needs an Object"},
    // Bit tests.
    {R"({"a": {"$bitsAllSet": "x"}})", kBadValue,
     "$bitsAllSet takes an Array, a number, or a BinData"},
    {R"({"a": {"$bitsAnySet": [-1]}})", kBadValue, "bit positions must be >= 0"},
    {R"({"a": {"$bitsAnySet": [1.5]}})", kBadValue, "bit positions must be an integer"},
    {R"({"a": {"$bitsAnySet": ["1"]}})", kBadValue, "bit positions must be an integer"},
    {R"({"a": {"$bitsAnySet": [{"$numberDouble": "NaN"}]}})", kBadValue,
     "bit positions cannot take a NaN"},
    {R"({"a": {"$bitsAnySet": [{"$numberLong": "4294967296"}]}})", kBadValue,
     "cannot be represented as a 32-bit signed integer"},
    {R"({"a": {"$bitsAllClear": -1}})", kFailedToParse, "Expected a positive number"},
    {R"({"a": {"$bitsAllClear": 1.5}})", kFailedToParse, "Expected an integer"},
    // Top-level operators.
    {R"({"$where": "this.a == 1"})", kBadValue, "$where is not supported"},
    {R"({"$or": [{"$where": "true"}]})", kBadValue, "$where is not supported"},
    {R"({"a": {"$where": "x"}})", kBadValue, "$where cannot be applied to a field"},
    {R"({"$expr": {"$eq": ["$a", 1]}})", kNotImplemented, "$expr is not supported yet"},
    {R"({"$and": [{"$expr": true}]})", kNotImplemented, "$expr"},
    {R"({"$text": {"$search": "coffee"}})", kNotImplemented, "$text"},
    {R"({"$jsonSchema": {"required": ["a"]}})", kNotImplemented, "$jsonSchema"},
    {R"({"$sampleRate": 0.5})", kNotImplemented, "$sampleRate"},
    {R"({"a": {"$near": [0, 0]}})", kNotImplemented, "$near"},
    {R"({"a": {"$nearSphere": [0, 0]}})", kNotImplemented, "$nearSphere"},
    {R"({"a": {"$geoWithin": {"$center": [[0, 0], 1]}}})", kNotImplemented, "$geoWithin"},
    {R"({"a": {"$geoIntersects": {"$geometry": {"type": "Point", "coordinates": [0, 0]}}}})",
     kNotImplemented, "$geoIntersects"},
    {R"({"a": {"$maxDistance": 5, "$near": [0, 0]}})", kNotImplemented, "is not supported yet"},
    {R"({"$alwaysTrue": 0})", kFailedToParse, "$alwaysTrue must be an integer value of 1"},
    {R"({"$alwaysFalse": "1"})", kFailedToParse, "$alwaysFalse must be an integer value of 1"},
    {R"({"$alwaysTrue": 1.5})", kFailedToParse, "$alwaysTrue must be an integer value of 1"},
};
INSTANTIATE_TEST_SUITE_P(Errors, ParseErrorTest, ::testing::ValuesIn(kErrors));

// Filters nested deeper than ParseOptions::max_depth are rejected rather than recursed into.
// {$and: [{$and: [ … {a: 1} … ]}]}, built directly (deeper than libbson's JSON reader allows).
void AppendNestedAnd(bson_t* out, int levels) {
  if (levels == 0) {
    bson_append_int32(out, "a", -1, 1);
    return;
  }
  bson_t array;
  bson_t entry;
  bson_append_array_begin(out, "$and", -1, &array);
  bson_append_document_begin(&array, "0", -1, &entry);
  AppendNestedAnd(&entry, levels - 1);
  bson_append_document_end(&array, &entry);
  bson_append_array_end(out, &array);
}

Document NestedAnd(int levels) {
  bson_t* doc = bson_new();
  AppendNestedAnd(doc, levels);
  return Document::Adopt(doc);
}

TEST(ParseDepthTest, AcceptsTheLimit) {
  Document filter = NestedAnd(100);
  auto expr = ParseFilter(filter.view());
  ASSERT_OK(expr);
  EXPECT_TRUE((*expr)->Matches(strata::testing::Json(R"({"a": 1})").view()));
}

TEST(ParseDepthTest, RejectsBeyondTheLimit) {
  Document filter = NestedAnd(101);
  auto expr = ParseFilter(filter.view());
  EXPECT_EQ(ErrorCodeOf(expr.status()), ErrorCode::kBadValue);
  EXPECT_THAT(std::string(expr.status().message()),
              ::testing::HasSubstr("exceeded maximum query tree depth of 100"));
}

TEST(ParseDepthTest, CountsNotAndElemMatch) {
  ParseOptions options;
  options.max_depth = 2;
  // $elemMatch (1) → $not (2).
  Document ok = Filter(R"({"a": {"$elemMatch": {"b": {"$not": {"$gt": 1}}}}})");
  EXPECT_OK(ParseFilter(ok.view(), options));
  // $or (1) → $elemMatch (2) → $not (3).
  Document deep = Filter(R"({"$or": [{"a": {"$elemMatch": {"b": {"$not": {"$gt": 1}}}}}]})");
  EXPECT_EQ(ErrorCodeOf(ParseFilter(deep.view(), options).status()), ErrorCode::kBadValue);
}

TEST(ParseErrorTest, EmbeddedNullInPattern) {
  bson_t* filter = bson_new();
  bson_t ops;
  bson_append_document_begin(filter, "a", -1, &ops);
  bson_append_utf8(&ops, "$regex", -1, "a\0b", 3);
  bson_append_document_end(filter, &ops);
  Document doc = Document::Adopt(filter);
  auto expr = ParseFilter(doc.view());
  EXPECT_EQ(ErrorCodeOf(expr.status()), ErrorCode::kBadValue);
  EXPECT_THAT(std::string(expr.status().message()),
              ::testing::HasSubstr("Regular expression cannot contain an embedded null byte"));
}

TEST(ParseErrorTest, UnreadableFilter) {
  const uint8_t garbage[] = {9, 0, 0, 0, 0x10, 'a', 0, 1, 0};
  auto expr = ParseFilter(DocumentView(garbage, sizeof(garbage)));
  EXPECT_EQ(ErrorCodeOf(expr.status()), ErrorCode::kBadValue);
}

}  // namespace
}  // namespace strata::query::match
