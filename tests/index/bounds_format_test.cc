// Tests of MongoDB's text form of index bounds (index/bounds_format.h): values as MongoDB's
// explain prints them, open ends, type brackets, partial bounds and scan order.
#include "index/bounds_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "document/key_string.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;

// The ascending key string of the Extended JSON value `json`.
std::string Key(const std::string& json) {
  const Document doc = Json("{\"v\": " + json + "}");
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init(&it, doc.bson()) && bson_iter_next(&it));
  return document::EncodeKeyString(it);
}

Interval Make(std::string low, bool low_inclusive, std::string high, bool high_inclusive) {
  Interval interval;
  interval.low = std::move(low);
  interval.high = std::move(high);
  interval.low_inclusive = low_inclusive;
  interval.high_inclusive = high_inclusive;
  return interval;
}

std::string Point(const std::string& json) { return FormatInterval(Interval::Point(Key(json))); }

TEST(BoundsFormatTest, MongoDbExplainExamples) {
  const std::string inf = Key(R"({"$numberDouble": "Infinity"})");
  const std::string minus_inf = Key(R"({"$numberDouble": "-Infinity"})");
  EXPECT_EQ(Point("5"), "[5, 5]");
  EXPECT_EQ(FormatInterval(Make(Key("5"), false, inf, true)), "(5, inf.0]");
  EXPECT_EQ(FormatInterval(Make(minus_inf, true, Key("5"), false)), "[-inf.0, 5)");
  EXPECT_EQ(FormatInterval(Interval::All()), "[MinKey, MaxKey]");
  EXPECT_EQ(FormatInterval(Make(Key(R"("abc")"), true, Key(R"("abd")"), false)),
            R"(["abc", "abd"))");
  EXPECT_EQ(Point("null"), "[null, null]");
  EXPECT_EQ(Point(R"({"$undefined": true})"), "[undefined, undefined]");
  EXPECT_EQ(FormatInterval(Make(Key("{}"), true, Key("[]"), false)), "[{}, [])");
}

TEST(BoundsFormatTest, ValuesPrintAsMongoDbPrintsThem) {
  // Numbers in their natural type: the encoding does not keep int vs double.
  EXPECT_EQ(Point(R"({"$numberDouble": "5.0"})"), "[5, 5]");
  EXPECT_EQ(Point("5.5"), "[5.5, 5.5]");
  EXPECT_EQ(Point("-0.1"), "[-0.1, -0.1]");
  EXPECT_EQ(Point(R"({"$numberDouble": "NaN"})"), "[nan.0, nan.0]");
  EXPECT_EQ(Point(R"({"$numberDouble": "1e300"})"), "[1e+300.0, 1e+300.0]");
  EXPECT_EQ(Point(R"({"$numberLong": "9007199254740993"})"),
            "[9007199254740993, 9007199254740993]");
  EXPECT_EQ(Point(R"({"$numberDecimal": "0.10"})"), "[0.1, 0.1]");
  EXPECT_EQ(Point(R"({"$numberDecimal": "-1E+400"})"), "[-1E+400, -1E+400]");
  EXPECT_EQ(Point(R"({"$numberDecimal": "1.5"})"), "[1.5, 1.5]");
  // Other types.
  EXPECT_EQ(Point(R"("")"), R"(["", ""])");
  EXPECT_EQ(Point(R"({"$symbol": "s"})"), R"(["s", "s"])");
  EXPECT_EQ(Point(R"("q\"b")"), R"(["q"b", "q"b"])");  // unescaped, as MongoDB
  EXPECT_EQ(
      Point(R"({"a": 1, "b": [1, "x", {}], "c": {"d": null}})"),
      R"([{ a: 1, b: [ 1, "x", {} ], c: { d: null } }, { a: 1, b: [ 1, "x", {} ], c: { d: null } }])");
  EXPECT_EQ(Point("[]"), "[[], []]");
  EXPECT_EQ(Point(R"({"$oid": "0102030405060708090a0b0c"})"),
            "[ObjectId('0102030405060708090a0b0c'), ObjectId('0102030405060708090a0b0c')]");
  EXPECT_EQ(Point("true"), "[true, true]");
  EXPECT_EQ(Point("false"), "[false, false]");
  EXPECT_EQ(Point(R"({"$date": {"$numberLong": "1000"}})"), "[new Date(1000), new Date(1000)]");
  EXPECT_EQ(Point(R"({"$timestamp": {"t": 1, "i": 2}})"), "[Timestamp(1, 2), Timestamp(1, 2)]");
  EXPECT_EQ(Point(R"({"$regularExpression": {"pattern": "^a", "options": "i"}})"),
            "[/^a/i, /^a/i]");
  EXPECT_EQ(Point(R"({"$binary": {"base64": "Cv8=", "subType": "00"}})"),
            "[BinData(0, 0AFF), BinData(0, 0AFF)]");
  EXPECT_EQ(Point(R"({"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}})"),
            R"([UUID("00010203-0405-0607-0809-0a0b0c0d0e0f"), )"
            R"(UUID("00010203-0405-0607-0809-0a0b0c0d0e0f")])");
  EXPECT_EQ(Point(R"({"$binary": {"base64": "AQI=", "subType": "02"}})"),
            "[BinData(2, 0102), BinData(2, 0102)]");
  EXPECT_EQ(
      Point(R"({"$dbPointer": {"$ref": "db.c", "$id": {"$oid": "0102030405060708090a0b0c"}}})"),
      "[DBRef('db.c',0102030405060708090a0b0c), DBRef('db.c',0102030405060708090a0b0c)]");
  EXPECT_EQ(Point(R"j({"$code": "f()"})j"), "[f(), f()]");
  EXPECT_EQ(Point(R"j({"$code": "f()", "$scope": {"x": 1}})j"),
            "[CodeWScope( f(), { x: 1 }), CodeWScope( f(), { x: 1 })]");
  EXPECT_EQ(Point(R"({"$minKey": 1})"), "[MinKey, MinKey]");
  EXPECT_EQ(Point(R"({"$maxKey": 1})"), "[MaxKey, MaxKey]");
}

TEST(BoundsFormatTest, LongValuesAreCutAsMongoDbCutsThem) {
  const std::string short_text(159, 'a');
  EXPECT_EQ(Point("\"" + short_text + "\""), "[\"" + short_text + "\", \"" + short_text + "\"]");
  const std::string long_text(160, 'a');
  const std::string cut = "\"" + std::string(150, 'a') + "...\"";
  EXPECT_EQ(Point("\"" + long_text + "\""), "[" + cut + ", " + cut + "]");
  // Never inside a UTF-8 character: 149 ASCII bytes then 'é' (2 bytes) → 149 kept.
  const std::string utf8 = std::string(149, 'a') + "\xc3\xa9" + std::string(20, 'x');
  const std::string utf8_cut = "\"" + std::string(149, 'a') + "...\"";
  EXPECT_EQ(Point("\"" + utf8 + "\""), "[" + utf8_cut + ", " + utf8_cut + "]");
}

TEST(BoundsFormatTest, TypeBracketsPrintAsMongoDbPrintsThem) {
  const auto bare = [](uint8_t tag) { return std::string(1, static_cast<char>(tag)); };
  // Strings: from the string tag up to the object tag.
  EXPECT_EQ(FormatInterval(Make(bare(0x28), true, bare(0x32), false)), R"(["", {}))");
  // Objects, arrays, binary.
  EXPECT_EQ(FormatInterval(Make(bare(0x32), true, bare(0x3C), false)), "[{}, [])");
  EXPECT_EQ(FormatInterval(Make(bare(0x3C), true, bare(0x46), false)), "[[], BinData(0, ))");
  EXPECT_EQ(FormatInterval(Make(bare(0x46), true, bare(0x50), false)),
            "[BinData(0, ), ObjectId('000000000000000000000000'))");
  // Types with a largest value end on it, inclusive.
  EXPECT_EQ(FormatInterval(Make(bare(0x1E), true, bare(0x28), false)), "[nan.0, inf.0]");
  EXPECT_EQ(FormatInterval(Make(bare(0x50), true, bare(0x5A), false)),
            "[ObjectId('000000000000000000000000'), ObjectId('ffffffffffffffffffffffff')]");
  EXPECT_EQ(FormatInterval(Make(bare(0x5A), true, bare(0x64), false)), "[false, true]");
  EXPECT_EQ(FormatInterval(Make(bare(0x64), true, bare(0x6E), false)),
            "[new Date(-9223372036854775808), new Date(9223372036854775807)]");
  EXPECT_EQ(FormatInterval(Make(bare(0x6E), true, bare(0x78), false)),
            "[Timestamp(0, 0), Timestamp(4294967295, 4294967295)]");
  EXPECT_EQ(FormatInterval(Make(bare(0x78), true, bare(0x82), false)),
            "[//, DBRef('',000000000000000000000000))");
  EXPECT_EQ(FormatInterval(Make(bare(0x8C), true, bare(0x96), false)), "[, CodeWScope( , {}))");
  EXPECT_EQ(FormatInterval(Make(bare(0x96), true, bare(0xA0), false)),
            "[CodeWScope( , {}), MaxKey)");
  // A byte between two tags is the same boundary.
  EXPECT_EQ(FormatInterval(Make(bare(0x1F), true, bare(0x29), true)), R"(["", {}))");
  // Number class bytes past either end of the numbers.
  const std::string five = Key("5");
  EXPECT_EQ(FormatInterval(Make(five, false, std::string("\x1E\x70", 2), false)), "(5, inf.0]");
  EXPECT_EQ(FormatInterval(Make(std::string("\x1E\x05", 2), true, five, true)), "[nan.0, 5]");
  // Open ends.
  EXPECT_EQ(FormatInterval(Make(document::MinKeyString(), true, five, false)), "[MinKey, 5)");
  EXPECT_EQ(FormatInterval(Make(five, false, document::MaxKeyString(), true)), "(5, MaxKey]");
  EXPECT_EQ(FormatInterval(Make("", true, "\xFE", true)), "[MinKey, MaxKey]");
}

TEST(BoundsFormatTest, PartialBounds) {
  // A value followed by more bytes: just above the value.
  const std::string five = Key("5");
  EXPECT_EQ(FormatInterval(Make(five + "\xFF", true, Key("6") + "\x01", false)), "(5, 6]");
  // A string without its terminator: just below that string.
  EXPECT_EQ(FormatInterval(Make("\x28"
                                "abc",
                                true,
                                "\x28"
                                "abd",
                                true)),
            R"(["abc", "abd"))");
  // An object cut after a field: just below the smallest object that starts so.
  EXPECT_EQ(FormatInterval(Make("\x32\x14"
                                "a",
                                true, Key(R"({"b": 1})"), true)),
            R"([{ a: null }, { b: 1 }])");
  // What cannot be told apart prints its bytes.
  EXPECT_EQ(FormatInterval(Make(std::string("\x1E\x30\x7F", 3), true, five, true)),
            "[KeyString(1E 30 7F), 5]");
}

TEST(BoundsFormatTest, DescendingOrderPrintsHighEndFirst) {
  const std::string inf = Key(R"({"$numberDouble": "Infinity"})");
  const Interval above_five = Make(Key("5"), false, inf, true);
  EXPECT_EQ(FormatInterval(above_five, BoundsOrder::kDescending), "[inf.0, 5)");
  EXPECT_EQ(FormatInterval(Interval::All(), BoundsOrder::kDescending), "[MaxKey, MinKey]");
  const std::vector<Interval> intervals = {Interval::Point(Key("1")), Interval::Point(Key("2"))};
  EXPECT_THAT(FormatIntervals(intervals), ::testing::ElementsAre("[1, 1]", "[2, 2]"));
  EXPECT_THAT(FormatIntervals(intervals, BoundsOrder::kDescending),
              ::testing::ElementsAre("[2, 2]", "[1, 1]"));
  EXPECT_TRUE(FormatIntervals({}).empty());
}

TEST(BoundsFormatTest, IndexBoundsDocument) {
  const std::string inf = Key(R"({"$numberDouble": "Infinity"})");
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Key("1")), Interval::Point(Key(R"("x")"))},
                   {Make(Key("5"), false, inf, true)}};
  const std::vector<KeyPart> key_parts = {{"a", false}, {"b.c", true}, {"d", false}};
  EXPECT_EQ(FormatIndexBounds(bounds, key_parts).ToJson(),
            R"j({"a": ["[1, 1]", "[\"x\", \"x\"]"], "b.c": ["[inf.0, 5)"], )j"
            R"j("d": ["[MinKey, MaxKey]"]})j");
  EXPECT_EQ(FormatIndexBounds(bounds, key_parts, /*backward_scan=*/true).ToJson(),
            R"j({"a": ["[\"x\", \"x\"]", "[1, 1]"], "b.c": ["(5, inf.0]"], )j"
            R"j("d": ["[MaxKey, MinKey]"]})j");
}

}  // namespace
}  // namespace strata::index
