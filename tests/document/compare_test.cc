// Tests of MongoDB's BSON value order (document/compare.h) and of the exact numbers under it
// (document/exact_number.h).
#include "document/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "document/exact_number.h"
#include "tests/support/test_util.h"

namespace strata::document {

// The type and value order as a ladder: every value on a rung compares equal to the others on
// that rung and greater than every value on the rungs before it. Shared with
// key_string_test.cc (declared there), which checks the same table through the encoding.
const std::vector<std::vector<std::string>>& OrderedValueLadder() {
  static const auto* const kLadder = new std::vector<std::vector<std::string>>{
      {R"({"$minKey": 1})"},
      {R"({"$undefined": true})"},
      {"null"},
      // Numbers.
      {R"({"$numberDouble": "NaN"})", R"({"$numberDecimal": "NaN"})",
       R"({"$numberDecimal": "-NaN"})"},
      {R"({"$numberDouble": "-Infinity"})", R"({"$numberDecimal": "-Infinity"})"},
      {R"({"$numberDecimal": "-9.999999999999999999999999999999999E+6144"})"},
      {R"({"$numberDecimal": "-1.797693134862315708145274237317044E+308"})"},
      {R"({"$numberDouble": "-1.7976931348623157E+308"})"},
      {R"({"$numberDecimal": "-1.797693134862315708145274237317043E+308"})"},
      {R"({"$numberDecimal": "-9223372036854775809"})"},
      {R"({"$numberLong": "-9223372036854775808"})",
       R"({"$numberDouble": "-9.2233720368547758E+18"})",
       R"({"$numberDecimal": "-9223372036854775808"})",
       R"({"$numberDecimal": "-9.223372036854775808E+18"})"},
      {R"({"$numberLong": "-9223372036854775807"})",
       R"({"$numberDecimal": "-9223372036854775807"})"},
      {R"({"$numberLong": "-9007199254740993"})", R"({"$numberDecimal": "-9007199254740993"})"},
      {R"({"$numberLong": "-9007199254740992"})", R"({"$numberDouble": "-9007199254740992"})",
       R"({"$numberDecimal": "-9007199254740992"})"},
      {R"({"$numberInt": "-2147483648"})", R"({"$numberLong": "-2147483648"})",
       R"({"$numberDouble": "-2147483648"})", R"({"$numberDecimal": "-2147483648"})"},
      {R"({"$numberDouble": "-1.5"})", R"({"$numberDecimal": "-1.5"})",
       R"({"$numberDecimal": "-1.50000"})"},
      {R"({"$numberInt": "-1"})", R"({"$numberLong": "-1"})", R"({"$numberDouble": "-1"})",
       R"({"$numberDecimal": "-1"})", R"({"$numberDecimal": "-1.00"})",
       R"({"$numberDecimal": "-0.001E3"})"},
      {R"({"$numberDecimal": "-0.1000000000000000055511151231257828"})"},
      {R"({"$numberDouble": "-0.1"})"},
      {R"({"$numberDecimal": "-0.1000000000000000055511151231257827"})"},
      {R"({"$numberDecimal": "-0.1"})", R"({"$numberDecimal": "-1E-1"})"},
      {R"({"$numberDouble": "-4.9406564584124654E-324"})"},
      {R"({"$numberDecimal": "-4.9406564584124654E-324"})"},
      {R"({"$numberDecimal": "-1E-6176"})"},
      {R"({"$numberInt": "0"})", R"({"$numberLong": "0"})", R"({"$numberDouble": "0"})",
       R"({"$numberDouble": "-0.0"})", R"({"$numberDecimal": "0"})", R"({"$numberDecimal": "-0"})",
       R"({"$numberDecimal": "0E+6111"})", R"({"$numberDecimal": "-0E-6176"})",
       R"({"$numberDecimal": "0.000"})"},
      {R"({"$numberDecimal": "1E-6176"})"},
      {R"({"$numberDecimal": "4.9406564584124654E-324"})"},
      {R"({"$numberDecimal": "4.940656458412465441765687928682213E-324"})"},  // < 2^-1074
      {R"({"$numberDouble": "4.9406564584124654E-324"})"},
      {R"({"$numberDecimal": "4.940656458412465441765687928682214E-324"})"},  // > 2^-1074
      {R"({"$numberDecimal": "4.9406564584124655E-324"})"},
      {R"({"$numberDouble": "2.2250738585072014E-308"})"},  // smallest normal double
      {R"({"$numberDecimal": "0.0009765624999999999999999999999999999"})"},
      {R"({"$numberDouble": "0.0009765625"})", R"({"$numberDecimal": "0.0009765625"})"},  // 2^-10
      {R"({"$numberDecimal": "0.0009765625000000000000000000000001"})"},
      {R"({"$numberDecimal": "0.1"})", R"({"$numberDecimal": "0.100000"})",
       R"({"$numberDecimal": "1E-1"})"},
      {R"({"$numberDecimal": "0.1000000000000000055511151231257827"})"},
      {R"({"$numberDouble": "0.1"})"},
      {R"({"$numberDecimal": "0.1000000000000000055511151231257828"})"},
      {R"({"$numberDouble": "0.5"})", R"({"$numberDecimal": "0.5"})",
       R"({"$numberDecimal": "5E-1"})"},
      {R"({"$numberInt": "1"})", R"({"$numberLong": "1"})", R"({"$numberDouble": "1"})",
       R"({"$numberDecimal": "1"})", R"({"$numberDecimal": "1.00"})",
       R"({"$numberDecimal": "0.001E3"})", R"({"$numberDecimal": "10E-1"})"},
      {R"({"$numberDouble": "1.0000000000000002"})"},
      {R"({"$numberInt": "2"})", R"({"$numberDecimal": "2.0"})"},
      {R"({"$numberInt": "10"})", R"({"$numberLong": "10"})", R"({"$numberDouble": "10"})",
       R"({"$numberDecimal": "1E+1"})", R"({"$numberDecimal": "10.0"})"},
      {R"({"$numberInt": "2147483647"})", R"({"$numberLong": "2147483647"})",
       R"({"$numberDouble": "2147483647"})", R"({"$numberDecimal": "2147483647"})"},
      {R"({"$numberLong": "9007199254740991"})", R"({"$numberDouble": "9007199254740991"})"},
      {R"({"$numberLong": "9007199254740992"})", R"({"$numberDouble": "9007199254740992"})",
       R"({"$numberDecimal": "9007199254740992"})"},
      {R"({"$numberLong": "9007199254740993"})", R"({"$numberDecimal": "9007199254740993"})"},
      {R"({"$numberLong": "9007199254740994"})", R"({"$numberDouble": "9007199254740994"})"},
      {R"({"$numberLong": "9223372036854774784"})",  // largest double below 2^63
       R"({"$numberDouble": "9223372036854774784"})"},
      {R"({"$numberLong": "9223372036854775807"})", R"({"$numberDecimal": "9223372036854775807"})"},
      {R"({"$numberDouble": "9223372036854775808"})",
       R"({"$numberDecimal": "9223372036854775808"})"},
      {R"({"$numberDouble": "18446744073709551616"})",  // 2^64
       R"({"$numberDecimal": "18446744073709551616"})"},
      {R"({"$numberDecimal": "18446744073709551617"})"},  // 65 significant bits
      {R"({"$numberDecimal": "18446744073709551618"})"},
      {R"({"$numberDecimal": "1267650600228229401496703205375"})"},
      {R"({"$numberDouble": "1267650600228229401496703205376"})",  // 2^100
       R"({"$numberDecimal": "1267650600228229401496703205376"})",
       R"({"$numberDecimal": "1.267650600228229401496703205376000E+30"})"},
      {R"({"$numberDecimal": "1267650600228229401496703205377"})"},
      {R"({"$numberDouble": "1E+300"})"},
      {R"({"$numberDecimal": "1.797693134862315708145274237317043E+308"})"},
      {R"({"$numberDouble": "1.7976931348623157E+308"})"},
      {R"({"$numberDecimal": "1.797693134862315708145274237317044E+308"})"},
      {R"({"$numberDecimal": "1.797693134862315907729305190789024E+308"})"},  // < 2^1024
      {R"({"$numberDecimal": "1.797693134862315907729305190789025E+308"})"},  // > 2^1024
      {R"({"$numberDecimal": "9.999999999999999999999999999999999E+6144"})"},
      {R"({"$numberDouble": "Infinity"})", R"({"$numberDecimal": "Infinity"})"},
      // Strings (binary order; Symbol is a String).
      {R"("")", R"({"$symbol": ""})"},
      {R"("\u0000")"},
      {R"("\u0000\u0000")"},
      {R"("\u0001")"},
      {R"("A")"},
      {R"("a")", R"({"$symbol": "a"})"},
      {R"("a\u0000")"},
      {R"("a\u0000b")"},
      {R"("ab")"},
      {R"("b")"},
      {R"("é")"},
      // Objects: element by element (type rank, then name, then value), fewer first.
      {R"({})"},
      {R"({"b": {"$minKey": 1}})"},
      {R"({"a": null})"},
      {R"({"a": 1})", R"({"a": {"$numberLong": "1"}})", R"({"a": 1.0})",
       R"({"a": {"$numberDecimal": "1.0"}})"},
      {R"({"a": 1, "b": 1})"},
      {R"({"a": 2})"},
      {R"({"ab": 1})"},
      {R"({"b": 1})"},
      {R"({"b": 1, "a": 1})"},
      {R"({"a": "x"})"},
      {R"({"a": {}})"},
      {R"({"a": {"a": 1}})", R"({"a": {"a": 1.0}})"},
      {R"({"a": []})"},
      {R"({"a": [1]})"},
      {R"({"a": true})"},
      // Arrays: element by element.
      {R"([])"},
      {R"([{"$minKey": 1}])"},
      {R"([null])"},
      {R"([1])", R"([1.0])", R"([{"$numberDecimal": "1"}])"},
      {R"([1, 1])"},
      {R"([1, 2])"},
      {R"([2])"},
      {R"(["a"])"},
      {R"([{}])"},
      {R"([[]])"},
      {R"([[1]])"},
      {R"([true])"},
      // BinData: length, then subtype, then bytes.
      {R"({"$binary": {"base64": "", "subType": "00"}})"},
      {R"({"$binary": {"base64": "", "subType": "05"}})"},
      {R"({"$binary": {"base64": "AA==", "subType": "00"}})"},
      {R"({"$binary": {"base64": "/w==", "subType": "00"}})"},
      {R"({"$binary": {"base64": "AA==", "subType": "80"}})"},
      {R"({"$binary": {"base64": "AAA=", "subType": "00"}})"},
      {R"({"$binary": {"base64": "AAAAAAA=", "subType": "00"}})"},  // 5 bytes
      {R"({"$binary": {"base64": "AA==", "subType": "02"}})"},      // 1 byte + inner length = 5
      // ObjectId.
      {R"({"$oid": "000000000000000000000000"})"},
      {R"({"$oid": "000000000000000000000001"})"},
      {R"({"$oid": "0100000000000000000000ff"})"},
      {R"({"$oid": "ffffffffffffffffffffffff"})"},
      // Bool.
      {"false"},
      {"true"},
      // Date: signed milliseconds.
      {R"({"$date": {"$numberLong": "-9223372036854775808"}})"},
      {R"({"$date": {"$numberLong": "-1"}})"},
      {R"({"$date": {"$numberLong": "0"}})"},
      {R"({"$date": {"$numberLong": "1"}})"},
      {R"({"$date": {"$numberLong": "9223372036854775807"}})"},
      // Timestamp: unsigned (t, i).
      {R"({"$timestamp": {"t": 0, "i": 0}})"},
      {R"({"$timestamp": {"t": 0, "i": 4294967295}})"},
      {R"({"$timestamp": {"t": 1, "i": 0}})"},
      {R"({"$timestamp": {"t": 4294967295, "i": 4294967295}})"},
      // Regex: pattern, then flags.
      {R"({"$regularExpression": {"pattern": "", "options": ""}})"},
      {R"({"$regularExpression": {"pattern": "", "options": "i"}})"},
      {R"({"$regularExpression": {"pattern": "a", "options": ""}})"},
      {R"({"$regularExpression": {"pattern": "a", "options": "i"}})"},
      {R"({"$regularExpression": {"pattern": "a", "options": "im"}})"},
      {R"({"$regularExpression": {"pattern": "ab", "options": ""}})"},
      {R"({"$regularExpression": {"pattern": "b", "options": ""}})"},
      // DBPointer: namespace length, namespace, ObjectId.
      {R"({"$dbPointer": {"$ref": "b", "$id": {"$oid": "000000000000000000000000"}}})"},
      {R"({"$dbPointer": {"$ref": "b", "$id": {"$oid": "000000000000000000000001"}}})"},
      {R"({"$dbPointer": {"$ref": "c", "$id": {"$oid": "000000000000000000000000"}}})"},
      {R"({"$dbPointer": {"$ref": "aa", "$id": {"$oid": "000000000000000000000000"}}})"},
      // Code, then Code with scope.
      {R"({"$code": ""})"},
      {R"({"$code": "a"})"},
      {R"({"$code": "b"})"},
      {R"({"$code": "", "$scope": {}})"},
      {R"({"$code": "", "$scope": {"a": 1}})", R"({"$code": "", "$scope": {"a": 1.0}})"},
      {R"({"$code": "", "$scope": {"b": 1}})"},
      {R"({"$code": "a", "$scope": {}})"},
      {R"({"$maxKey": 1})"},
  };
  return *kLadder;
}

namespace {

using ::strata::testing::Json;

// A value held as {"v": <json>}.
class HeldValue {
 public:
  explicit HeldValue(const std::string& json) : json_(json), doc_(Json("{\"v\": " + json + "}")) {
    Reset();
  }
  // Any (single-field) document; the value is its first element.
  explicit HeldValue(Document doc) : json_(doc.ToJson()), doc_(std::move(doc)) { Reset(); }
  HeldValue(const HeldValue&) = delete;
  HeldValue& operator=(const HeldValue&) = delete;

  const bson_iter_t& it() const { return it_; }
  const std::string& json() const { return json_; }

 private:
  void Reset() { EXPECT_TRUE(bson_iter_init(&it_, doc_.bson()) && bson_iter_next(&it_)) << json_; }
  std::string json_;
  Document doc_;
  bson_iter_t it_;
};

int Sign(int value) { return (value > 0) - (value < 0); }

int Compare(const HeldValue& a, const HeldValue& b) { return Sign(CompareValues(a.it(), b.it())); }

int CompareJson(const std::string& a, const std::string& b) {
  HeldValue x(a);
  HeldValue y(b);
  return Compare(x, y);
}

// Builders for values Extended JSON cannot express.
Document DoubleDoc(double value) {
  Document doc;
  bson_append_double(doc.mutable_bson(), "v", 1, value);
  return doc;
}
Document DecimalBitsDoc(uint64_t high, uint64_t low) {
  Document doc;
  bson_decimal128_t value;
  value.high = high;
  value.low = low;
  bson_append_decimal128(doc.mutable_bson(), "v", 1, &value);
  return doc;
}
Document Utf8Doc(const std::string& bytes) {
  Document doc;
  bson_append_utf8(doc.mutable_bson(), "v", 1, bytes.data(), static_cast<int>(bytes.size()));
  return doc;
}

TEST(CanonicalTypeRankTest, MatchesMongoDB) {
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_MINKEY), -1);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_EOD), 0);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_UNDEFINED), 0);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_NULL), 5);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_INT32), 10);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_INT64), 10);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_DOUBLE), 10);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_DECIMAL128), 10);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_UTF8), 15);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_SYMBOL), 15);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_DOCUMENT), 20);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_ARRAY), 25);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_BINARY), 30);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_OID), 35);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_BOOL), 40);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_DATE_TIME), 45);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_TIMESTAMP), 47);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_REGEX), 50);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_DBPOINTER), 55);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_CODE), 60);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_CODEWSCOPE), 65);
  EXPECT_EQ(CanonicalTypeRank(BSON_TYPE_MAXKEY), 127);
}

TEST(CompareValuesTest, LadderOrdersEveryPair) {
  const auto& ladder = OrderedValueLadder();
  std::vector<std::pair<int, std::unique_ptr<HeldValue>>> values;
  for (size_t rung = 0; rung < ladder.size(); ++rung) {
    for (const std::string& json : ladder[rung]) {
      values.emplace_back(static_cast<int>(rung), std::make_unique<HeldValue>(json));
    }
  }
  ASSERT_GT(values.size(), 150u);
  for (const auto& [a_rung, a] : values) {
    for (const auto& [b_rung, b] : values) {
      const int expected = (a_rung > b_rung) - (a_rung < b_rung);
      ASSERT_EQ(Compare(*a, *b), expected) << a->json() << " vs " << b->json();
    }
  }
}

TEST(CompareValuesTest, DoubleTenthIsAboveDecimalTenth) {
  EXPECT_EQ(CompareJson(R"({"$numberDouble": "0.1"})", R"({"$numberDecimal": "0.1"})"), 1);
  EXPECT_EQ(CompareJson(R"({"$numberDouble": "-0.1"})", R"({"$numberDecimal": "-0.1"})"), -1);
  // 0.5 and 0.25 are exact in binary.
  EXPECT_EQ(CompareJson(R"({"$numberDouble": "0.25"})", R"({"$numberDecimal": "0.250"})"), 0);
  // The exact expansion of double 0.1 equals a 55-digit decimal, which decimal128 cannot hold;
  // its nearest 34-digit neighbours bracket it.
  EXPECT_EQ(CompareJson(R"({"$numberDouble": "0.1"})",
                        R"({"$numberDecimal": "0.1000000000000000055511151231257827"})"),
            1);
}

TEST(CompareValuesTest, Int64AgainstDoubleIsExact) {
  // 2^53 + 1 is not a double: the int64 is above the double 2^53.
  EXPECT_EQ(CompareJson(R"({"$numberLong": "9007199254740993"})",
                        R"({"$numberDouble": "9007199254740992"})"),
            1);
  EXPECT_EQ(CompareJson(R"({"$numberDouble": "9007199254740992"})",
                        R"({"$numberLong": "9007199254740993"})"),
            -1);
  // int64 max (2^63 - 1) is below the double 2^63 it rounds to.
  EXPECT_EQ(CompareJson(R"({"$numberLong": "9223372036854775807"})",
                        R"({"$numberDouble": "9223372036854775807"})"),
            -1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "-9223372036854775808"})",
                        R"({"$numberDouble": "-9223372036854775808"})"),
            0);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "3"})", R"({"$numberDouble": "3.5"})"), -1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "-3"})", R"({"$numberDouble": "-3.5"})"), 1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "-3"})", R"({"$numberDouble": "-2.5"})"), -1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "0"})", R"({"$numberDouble": "-0.0"})"), 0);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "0"})", R"({"$numberDouble": "5E-324"})"), -1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "0"})", R"({"$numberDouble": "-5E-324"})"), 1);
  EXPECT_EQ(CompareJson(R"({"$numberLong": "-9223372036854775808"})",
                        R"({"$numberDouble": "-Infinity"})"),
            1);
  EXPECT_EQ(
      CompareJson(R"({"$numberLong": "-9223372036854775808"})", R"({"$numberDouble": "NaN"})"), 1);
}

TEST(CompareValuesTest, EveryNaNIsOneValueBelowAllNumbers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  HeldValue quiet(DoubleDoc(nan));
  HeldValue negative(DoubleDoc(-nan));
  HeldValue signalling(DoubleDoc(std::numeric_limits<double>::signaling_NaN()));
  HeldValue payload(DoubleDoc(std::bit_cast<double>(uint64_t{0x7ff0000000000123})));
  HeldValue decimal_nan(DecimalBitsDoc(0x7c00000000000000, 0));
  HeldValue decimal_negative_nan(DecimalBitsDoc(0xfc00000000000000, 7));
  HeldValue decimal_snan(DecimalBitsDoc(0x7e00000000000000, 0));
  HeldValue minus_inf(R"({"$numberDouble": "-Infinity"})");
  HeldValue null_value("null");
  for (const HeldValue* a : {&quiet, &negative, &signalling, &payload, &decimal_nan,
                             &decimal_negative_nan, &decimal_snan}) {
    for (const HeldValue* b : {&quiet, &negative, &signalling, &payload, &decimal_nan,
                               &decimal_negative_nan, &decimal_snan}) {
      EXPECT_EQ(Compare(*a, *b), 0) << a->json() << " vs " << b->json();
    }
    EXPECT_EQ(Compare(*a, minus_inf), -1) << a->json();
    EXPECT_EQ(Compare(minus_inf, *a), 1) << a->json();
    EXPECT_EQ(Compare(*a, null_value), 1) << a->json();
  }
}

TEST(CompareValuesTest, ZerosAreEqual) {
  HeldValue minus_zero(DoubleDoc(-0.0));
  HeldValue zero(DoubleDoc(0.0));
  // A coefficient above 10^34 - 1 is non-canonical: IEEE 754 reads it as zero.
  HeldValue non_canonical(DecimalBitsDoc(0x3041ffffffffffff, 0xffffffffffffffff));
  // The "11" combination form with a finite exponent: coefficient >= 2^113, also zero.
  HeldValue large_form(DecimalBitsDoc(0x6c10000000000000, 1));
  HeldValue decimal_zero(R"({"$numberDecimal": "-0E+30"})");
  for (const HeldValue* a : {&minus_zero, &zero, &non_canonical, &large_form, &decimal_zero}) {
    for (const HeldValue* b : {&minus_zero, &zero, &non_canonical, &large_form, &decimal_zero}) {
      EXPECT_EQ(Compare(*a, *b), 0) << a->json() << " vs " << b->json();
    }
  }
}

TEST(CompareValuesTest, DecimalExtremes) {
  // The largest coefficient, 10^34 - 1, at both ends of the exponent range.
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "9999999999999999999999999999999999E+6111"})",
                        R"({"$numberDecimal": "Infinity"})"),
            -1);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "9999999999999999999999999999999999E+6111"})",
                        R"({"$numberDecimal": "9.999999999999999999999999999999999E+6144"})"),
            0);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "9999999999999999999999999999999999E-6176"})",
                        R"({"$numberDecimal": "1E-6142"})"),
            -1);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "1E-6176"})", R"({"$numberDouble": "5E-324"})"), -1);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "1E+6144"})",
                        R"({"$numberDouble": "1.7976931348623157E+308"})"),
            1);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "123456789012345678901234567890.1234"})",
                        R"({"$numberDecimal": "123456789012345678901234567890.1235"})"),
            -1);
  EXPECT_EQ(CompareJson(R"({"$numberDecimal": "-123456789012345678901234567890.1234"})",
                        R"({"$numberDecimal": "-123456789012345678901234567890.1235"})"),
            1);
}

TEST(CompareValuesTest, StringsAreBinaryWithEmbeddedNul) {
  HeldValue a_nul_b(Utf8Doc(std::string("a\0b", 3)));
  HeldValue a_nul(Utf8Doc(std::string("a\0", 2)));
  HeldValue a(Utf8Doc("a"));
  HeldValue a_one(Utf8Doc("a\x01"));
  HeldValue high(Utf8Doc("\xff"));
  EXPECT_EQ(Compare(a, a_nul), -1);
  EXPECT_EQ(Compare(a_nul, a_nul_b), -1);
  EXPECT_EQ(Compare(a_nul_b, a_one), -1);
  EXPECT_EQ(Compare(a_one, high), -1);  // bytes compare unsigned
  EXPECT_EQ(CompareJson(R"("abc")", R"({"$symbol": "abc"})"), 0);
  EXPECT_EQ(CompareJson(R"("abc")", R"({"$symbol": "abd"})"), -1);
}

TEST(CompareValuesTest, ObjectsCompareTypeThenNameThenValue) {
  // Type rank decides before the field name.
  EXPECT_EQ(CompareJson(R"({"z": 1})", R"({"a": "s"})"), -1);
  // Then the field name (binary, shorter first).
  EXPECT_EQ(CompareJson(R"({"a": 5})", R"({"ab": 1})"), -1);
  EXPECT_EQ(CompareJson(R"({"B": 5})", R"({"a": 1})"), -1);
  // Field order matters.
  EXPECT_EQ(CompareJson(R"({"a": 1, "b": 2})", R"({"b": 2, "a": 1})"), -1);
  // Numbers inside compare by value.
  EXPECT_EQ(
      CompareJson(R"({"a": [1, {"b": 2}]})", R"({"a": [1.0, {"b": {"$numberDecimal": "2.000"}}]})"),
      0);
  // Arrays compare element by element; a prefix is smaller.
  EXPECT_EQ(CompareJson(R"([1, 2])", R"([1, 2, {"$minKey": 1}])"), -1);
  EXPECT_EQ(CompareJson(R"([1, 3])", R"([1, 2, 4])"), 1);
}

TEST(CompareDocumentsTest, ComparesAsEmbeddedObjects) {
  Document a = Json(R"({"a": 1, "b": {"c": [1, 2]}})");
  Document b = Json(R"({"a": 1.0, "b": {"c": [1, {"$numberLong": "2"}]}})");
  Document c = Json(R"({"a": 1, "b": {"c": [1, 3]}})");
  Document empty;
  EXPECT_EQ(CompareDocuments(a.view(), b.view()), 0);
  EXPECT_LT(CompareDocuments(a.view(), c.view()), 0);
  EXPECT_GT(CompareDocuments(c.view(), a.view()), 0);
  EXPECT_LT(CompareDocuments(empty.view(), a.view()), 0);
  EXPECT_EQ(CompareDocuments(DocumentView(), empty.view()), 0);
  // Field names count at the top level too.
  EXPECT_LT(CompareDocuments(Json(R"({"a": 2})").view(), Json(R"({"b": 1})").view()), 0);
}

TEST(CompareValuesTest, ValuesEqualAcrossNumericTypes) {
  HeldValue int32_one(R"({"$numberInt": "1"})");
  HeldValue decimal_one(R"({"$numberDecimal": "1.00"})");
  HeldValue double_one(R"({"$numberDouble": "1.0"})");
  EXPECT_TRUE(ValuesEqual(int32_one.it(), decimal_one.it()));
  EXPECT_TRUE(ValuesEqual(double_one.it(), decimal_one.it()));
  HeldValue string_one(R"("1")");
  EXPECT_FALSE(ValuesEqual(int32_one.it(), string_one.it()));
}

// ---- exact_number.h ----

using internal::ExactDecimal;
using internal::NumberClass;

// A decimal as text, normalized: sign, digits without leading/trailing zeros, exponent E with
// value = 0.digits × 10^E. Zero is "0".
std::string Normalize(const std::string& text) {
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::string digits;
  int point = -1;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    if (text[i] == '.') {
      point = static_cast<int>(digits.size());
    } else {
      digits.push_back(text[i]);
    }
  }
  int exponent = point < 0 ? static_cast<int>(digits.size()) : point;
  if (i < text.size()) exponent += std::stoi(text.substr(i + 1));
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  exponent -= static_cast<int>(first);
  digits = digits.substr(first);
  digits.erase(digits.find_last_not_of('0') + 1);
  return std::string(negative ? "-" : "") + "0." + digits + "E" + std::to_string(exponent);
}

std::string Describe(const ExactDecimal& number) {
  switch (number.number_class()) {
    case NumberClass::kNaN:
      return "NaN";
    case NumberClass::kNegativeInfinity:
      return "-Infinity";
    case NumberClass::kPositiveInfinity:
      return "Infinity";
    case NumberClass::kZero:
      return "0";
    default:
      break;
  }
  std::string digits;
  for (int i = 0; i < number.num_digits(); ++i) {
    EXPECT_LE(number.digits()[i], 9);
    digits.push_back(static_cast<char>('0' + number.digits()[i]));
  }
  EXPECT_NE(digits.front(), '0');
  EXPECT_NE(digits.back(), '0');
  return std::string(number.number_class() == NumberClass::kNegative ? "-" : "") + "0." + digits +
         "E" + std::to_string(number.exponent());
}

// glibc prints doubles exactly with enough precision: the oracle for SetDouble.
std::string ExactDoubleText(double value) {
  char buffer[1200];
  std::snprintf(buffer, sizeof(buffer), "%.800e", value);
  return buffer;
}

TEST(ExactNumberTest, DoublesMatchExactPrintf) {
  std::mt19937_64 random(20240611);
  std::vector<double> values = {1.0,
                                0.1,
                                -0.1,
                                3.14,
                                1e22,
                                1e23,
                                123456789.0,
                                std::ldexp(1.0, 53),
                                std::ldexp(1.0, 63),
                                std::ldexp(1.0, 64),
                                std::ldexp(1.0, 65) + std::ldexp(1.0, 13),
                                5.0 * std::ldexp(1.0, 100),
                                std::numeric_limits<double>::max(),
                                -std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::bit_cast<double>(uint64_t{0x000fffffffffffff})};
  for (int i = 0; i < 3000; ++i) {
    const double value = std::bit_cast<double>(random());
    if (std::isfinite(value)) values.push_back(value);
  }
  for (int i = 0; i < 1000; ++i) {
    values.push_back(static_cast<double>(static_cast<int64_t>(random())) /
                     std::ldexp(1.0, static_cast<int>(random() % 80)));
  }
  for (double value : values) {
    ExactDecimal number;
    number.SetDouble(value);
    ASSERT_EQ(Describe(number), Normalize(ExactDoubleText(value))) << ExactDoubleText(value);
  }
  ExactDecimal number;
  number.SetDouble(-0.0);
  EXPECT_EQ(number.number_class(), NumberClass::kZero);
  number.SetDouble(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(number.number_class(), NumberClass::kNegativeInfinity);
  number.SetDouble(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(number.number_class(), NumberClass::kNaN);
}

TEST(ExactNumberTest, Int64Extremes) {
  ExactDecimal number;
  number.SetInt64(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Describe(number), "-0.9223372036854775808E19");
  number.SetInt64(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Describe(number), "0.9223372036854775807E19");
  number.SetInt64(1000);
  EXPECT_EQ(Describe(number), "0.1E4");
  number.SetInt64(0);
  EXPECT_EQ(Describe(number), "0");
}

TEST(ExactNumberTest, DecimalsMatchLibbsonText) {
  std::mt19937_64 random(77);
  std::vector<bson_decimal128_t> values;
  for (const char* text : {"0.1", "-1.23E+5", "1E-6176", "9999999999999999999999999999999999",
                           "-9.999999999999999999999999999999999E+6144", "0E+10", "NaN",
                           "-Infinity", "12345678901234567890123", "100"}) {
    bson_decimal128_t value;
    ASSERT_TRUE(bson_decimal128_from_string(text, &value)) << text;
    values.push_back(value);
  }
  for (int i = 0; i < 3000; ++i) {
    bson_decimal128_t value;
    // Canonical finite form: a random exponent and a coefficient below 2^113.
    const uint64_t exponent = random() % 12288;
    value.high = (random() & (uint64_t{1} << 63)) | (exponent << 49) |
                 (random() & ((uint64_t{1} << (1 + random() % 49)) - 1));
    value.low = random() >> (random() % 64);
    values.push_back(value);
  }
  for (const bson_decimal128_t& value : values) {
    char text[BSON_DECIMAL128_STRING];
    bson_decimal128_to_string(&value, text);
    ExactDecimal number;
    number.SetDecimal128(value);
    const uint64_t coefficient_high = value.high & ((uint64_t{1} << 49) - 1);
    if (coefficient_high > 0x0001ED09BEAD87C0ull ||
        (coefficient_high == 0x0001ED09BEAD87C0ull && value.low > 0x378D8E63FFFFFFFFull)) {
      // libbson prints non-canonical coefficients; IEEE 754 (and we) read them as zero.
      EXPECT_EQ(Describe(number), "0") << text;
      continue;
    }
    std::string expected = text;
    if (expected != "NaN" && expected != "Infinity" && expected != "-Infinity") {
      expected = Normalize(expected);
    }
    ASSERT_EQ(Describe(number), expected) << text;
  }
}

TEST(ExactNumberTest, CompareInt64ToDoubleAgreesWithExactForms) {
  std::mt19937_64 random(5);
  const int64_t kInt64Min = std::numeric_limits<int64_t>::min();
  const int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> ints = {0,
                               1,
                               -1,
                               kInt64Min,
                               kInt64Max,
                               int64_t{1} << 53,
                               (int64_t{1} << 53) + 1,
                               -(int64_t{1} << 53) - 1};
  std::vector<double> doubles = {0.0,
                                 -0.0,
                                 0.5,
                                 -0.5,
                                 std::ldexp(1.0, 53),
                                 std::ldexp(1.0, 63),
                                 -std::ldexp(1.0, 63),
                                 std::nextafter(std::ldexp(1.0, 63), 0.0),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::quiet_NaN()};
  for (int i = 0; i < 300; ++i) {
    const int64_t value = static_cast<int64_t>(random()) >> (random() % 64);
    ints.push_back(value);
    doubles.push_back(static_cast<double>(value));
    doubles.push_back(std::nextafter(static_cast<double>(value), 0.0));
    doubles.push_back(static_cast<double>(value) + 0.25);
  }
  for (int64_t a : ints) {
    for (double b : doubles) {
      ExactDecimal x;
      ExactDecimal y;
      x.SetInt64(a);
      y.SetDouble(b);
      ASSERT_EQ(Sign(internal::CompareInt64ToDouble(a, b)), Sign(internal::CompareExact(x, y)))
          << a << " vs " << ExactDoubleText(b).substr(0, 40);
    }
  }
}

}  // namespace
}  // namespace strata::document
