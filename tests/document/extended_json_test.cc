// Extended JSON v2 output: relaxed and canonical forms of every BSON type, and deep nesting.
#include "document/extended_json.h"

#include <string>

#include "tests/support/test_util.h"

namespace strata::document {
namespace {

using ::strata::testing::Json;

struct Case {
  const char* input;      // Extended JSON accepted by libbson's parser
  const char* relaxed;    // expected relaxed output
  const char* canonical;  // expected canonical output (nullptr: same as relaxed)
};

class ExtendedJsonTest : public ::testing::TestWithParam<Case> {};

TEST_P(ExtendedJsonTest, PrintsSpecForm) {
  const Case& c = GetParam();
  Document doc = Json(c.input);
  EXPECT_EQ(doc.ToJson(JsonMode::kRelaxed), c.relaxed);
  EXPECT_EQ(doc.ToJson(JsonMode::kCanonical), c.canonical != nullptr ? c.canonical : c.relaxed);
  // What we print parses back to the same bytes.
  Document again = Json(doc.ToJson(JsonMode::kCanonical));
  EXPECT_TRUE(again.view().BytesEqual(doc.view())) << again.ToJson();
}

INSTANTIATE_TEST_SUITE_P(
    Types, ExtendedJsonTest,
    ::testing::Values(
        Case{R"({"a": 1})", R"({"a": 1})", R"({"a": {"$numberInt": "1"}})"},
        Case{R"({"a": {"$numberLong": "-5"}})", R"({"a": -5})", R"({"a": {"$numberLong": "-5"}})"},
        Case{R"({"a": 14.4})", R"({"a": 14.4})", R"({"a": {"$numberDouble": "14.4"}})"},
        Case{R"({"a": 1.0})", R"({"a": 1.0})", R"({"a": {"$numberDouble": "1.0"}})"},
        Case{R"({"a": -0.0})", R"({"a": -0.0})", R"({"a": {"$numberDouble": "-0.0"}})"},
        Case{R"({"a": 1e300})", R"({"a": 1e+300})", R"({"a": {"$numberDouble": "1e+300"}})"},
        Case{R"({"a": {"$numberDouble": "-Infinity"}})", R"({"a": {"$numberDouble": "-Infinity"}})",
             nullptr},
        Case{R"({"a": {"$numberDecimal": "1.50"}})", R"({"a": {"$numberDecimal": "1.50"}})",
             nullptr},
        Case{R"({"s": "q\"\\\n\u0001é"})", "{\"s\": \"q\\\"\\\\\\n\\u0001é\"}", nullptr},
        Case{R"({"d": {"$date": "2020-01-02T03:04:05.678Z"}})",
             R"({"d": {"$date": "2020-01-02T03:04:05.678Z"}})",
             R"({"d": {"$date": {"$numberLong": "1577934245678"}}})"},
        Case{R"({"d": {"$date": {"$numberLong": "-1"}}})",
             R"({"d": {"$date": {"$numberLong": "-1"}}})", nullptr},
        Case{R"({"o": {"$oid": "0123456789abcdef01234567"}})",
             R"({"o": {"$oid": "0123456789abcdef01234567"}})", nullptr},
        Case{R"({"b": {"$binary": {"base64": "AQIDBA==", "subType": "80"}}})",
             R"({"b": {"$binary": {"base64": "AQIDBA==", "subType": "80"}}})", nullptr},
        Case{R"({"r": {"$regularExpression": {"pattern": "^a", "options": "xi"}}})",
             R"({"r": {"$regularExpression": {"pattern": "^a", "options": "ix"}}})", nullptr},
        Case{R"({"t": {"$timestamp": {"t": 7, "i": 9}}})",
             R"({"t": {"$timestamp": {"t": 7, "i": 9}}})", nullptr},
        Case{R"({"n": null, "u": {"$undefined": true}, "x": true})",
             R"({"n": null, "u": {"$undefined": true}, "x": true})", nullptr},
        Case{R"({"lo": {"$minKey": 1}, "hi": {"$maxKey": 1}})",
             R"({"lo": {"$minKey": 1}, "hi": {"$maxKey": 1}})", nullptr},
        Case{
            R"j({"c": {"$code": "f()"}, "w": {"$code": "g()", "$scope": {"x": 1}}})j",
            R"j({"c": {"$code": "f()"}, "w": {"$code": "g()", "$scope": {"x": 1}}})j",
            R"j({"c": {"$code": "f()"}, "w": {"$code": "g()", "$scope": {"x": {"$numberInt": "1"}}}})j"},
        Case{
            R"({"e": {}, "a": [], "n": [1, [2, {"k": []}]]})",
            R"({"e": {}, "a": [], "n": [1, [2, {"k": []}]]})",
            R"({"e": {}, "a": [], "n": [{"$numberInt": "1"}, [{"$numberInt": "2"}, {"k": []}]]})"}));

TEST(ExtendedJson, DeepNestingDoesNotRecurse) {
  // 50,001 levels, built directly (libbson's JSON parser limits depth): a recursive printer
  // would overflow the stack.
  constexpr int kLevels = 50000;
  bson_t* inner = bson_new();
  BSON_APPEND_INT32(inner, "a", 1);
  for (int i = 0; i < kLevels; ++i) {
    bson_t* outer = bson_new();
    BSON_APPEND_DOCUMENT(outer, "a", inner);
    bson_destroy(inner);
    inner = outer;
  }
  Document deep = Document::Adopt(inner);
  std::string printed = deep.ToJson();
  // Each level prints as {"a": …} (7 characters), plus the innermost value 1.
  EXPECT_EQ(printed.size(), static_cast<size_t>(kLevels + 1) * 7 + 1);
  EXPECT_EQ(printed.substr(0, 12), "{\"a\": {\"a\": ");
}

}  // namespace
}  // namespace strata::document
