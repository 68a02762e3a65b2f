// Tests of the order-preserving key encoding (document/key_string.h): golden bytes of the
// persistent format, the ordered ladder of compare_test.cc through the encoding, and a seeded
// property test of the invariant sign(memcmp(enc(a), enc(b))) == sign(CompareValues(a, b)).
#include "document/key_string.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "document/compare.h"
#include "tests/support/test_util.h"

namespace strata::document {

// Defined in compare_test.cc: rungs of values, equal within a rung, increasing across rungs.
const std::vector<std::vector<std::string>>& OrderedValueLadder();

namespace {

using ::strata::testing::Json;

// A value held as the first element of a document.
class HeldValue {
 public:
  explicit HeldValue(const std::string& json) : HeldValue(Json("{\"v\": " + json + "}")) {}
  explicit HeldValue(Document doc) : doc_(std::move(doc)) {
    EXPECT_TRUE(bson_iter_init(&it_, doc_.bson()) && bson_iter_next(&it_));
  }
  HeldValue(const HeldValue&) = delete;
  HeldValue& operator=(const HeldValue&) = delete;

  const bson_iter_t& it() const { return it_; }
  std::string json() const { return doc_.ToJson(JsonMode::kCanonical); }
  std::string Encode() const { return EncodeKeyString(it_); }
  std::string EncodeDescending() const {
    std::string out;
    AppendKeyStringDescending(it_, &out);
    return out;
  }

 private:
  Document doc_;
  bson_iter_t it_;
};

int Sign(int value) { return (value > 0) - (value < 0); }

// memcmp order of byte strings (shorter first on a common prefix).
int CompareBytes(const std::string& a, const std::string& b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return Sign(c);
  return (a.size() > b.size()) - (a.size() < b.size());
}

std::string Hex(const std::string& bytes) {
  std::string out;
  char buffer[4];
  for (unsigned char c : bytes) {
    std::snprintf(buffer, sizeof(buffer), "%02X ", c);
    out += buffer;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string EncodeHex(const std::string& json) { return Hex(HeldValue(json).Encode()); }

// True when neither string is a proper prefix of the other (or they are equal).
bool NotProperPrefix(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const size_t common = std::min(a.size(), b.size());
  return std::mismatch(a.begin(), a.begin() + common, b.begin()).first != a.begin() + common;
}

TEST(KeyStringTest, GoldenBytesOfThePersistentFormat) {
  EXPECT_EQ(EncodeHex(R"({"$minKey": 1})"), "0A");
  EXPECT_EQ(EncodeHex(R"({"$undefined": true})"), "0F");
  EXPECT_EQ(EncodeHex("null"), "14");
  EXPECT_EQ(EncodeHex(R"({"$numberDouble": "NaN"})"), "1E 10");
  EXPECT_EQ(EncodeHex(R"({"$numberDecimal": "-Infinity"})"), "1E 20");
  EXPECT_EQ(EncodeHex(R"({"$numberDouble": "-0.0"})"), "1E 40");
  EXPECT_EQ(EncodeHex(R"({"$numberDouble": "Infinity"})"), "1E 60");
  // 1 = 1.0 × 2^0: exponent 0x8000, no fraction bits, exact (0x00). Every numeric type of
  // the same value encodes the same.
  EXPECT_EQ(EncodeHex("1"), "1E 50 80 00 00");
  EXPECT_EQ(EncodeHex(R"({"$numberLong": "1"})"), "1E 50 80 00 00");
  EXPECT_EQ(EncodeHex(R"({"$numberDouble": "1.0"})"), "1E 50 80 00 00");
  EXPECT_EQ(EncodeHex(R"({"$numberDecimal": "1.000"})"), "1E 50 80 00 00");
  // 12345 = 0b1.1000000111001 × 2^13: fraction bits in 7-bit groups 1000000 111001(0).
  EXPECT_EQ(EncodeHex("12345"), "1E 50 80 0D C0 F2 00");
  // Decimal 0.001 has an endless binary expansion: 2^-10 (0x7FF6), its first 63 fraction
  // bits, 0x01 (inexact), then its decimal magnitude 0.1 × 10^-2 (7F FE), digit "1" (0x0B).
  EXPECT_EQ(EncodeHex(R"({"$numberDecimal": "0.001"})"),
            "1E 50 7F F6 83 89 9B D2 F8 EA BF BE BB 01 7F FE 0B 00");
  // Negative numbers complement everything after the class byte: -1.5 = -1.1b × 2^0.
  EXPECT_EQ(EncodeHex(R"({"$numberDouble": "-1.5"})"), "1E 30 7F FF 3F FF");
  // Decimals beyond the double range: decimal magnitude only.
  EXPECT_EQ(EncodeHex(R"({"$numberDecimal": "1E-400"})"), "1E 48 7E 71 0B 00");
  EXPECT_EQ(EncodeHex(R"({"$numberDecimal": "-1E+400"})"), "1E 28 7E 6E F4 FF");
  EXPECT_EQ(EncodeHex(R"("ab")"), "28 61 62 00 00");
  EXPECT_EQ(EncodeHex(R"({"$symbol": "ab"})"), "28 61 62 00 00");
  EXPECT_EQ(EncodeHex(R"("a\u0000")"), "28 61 00 FF 00 00");
  EXPECT_EQ(EncodeHex(R"({"a": true})"), "32 5A 61 00 00 01 00");
  EXPECT_EQ(EncodeHex(R"([null, 1])"), "3C 14 1E 50 80 00 00 00");
  EXPECT_EQ(EncodeHex(R"({"$binary": {"base64": "/w==", "subType": "80"}})"),
            "46 00 00 00 01 80 FF");
  EXPECT_EQ(EncodeHex(R"({"$oid": "0102030405060708090a0b0c"})"),
            "50 01 02 03 04 05 06 07 08 09 0A 0B 0C");
  EXPECT_EQ(EncodeHex("false"), "5A 00");
  EXPECT_EQ(EncodeHex("true"), "5A 01");
  EXPECT_EQ(EncodeHex(R"({"$date": {"$numberLong": "0"}})"), "64 80 00 00 00 00 00 00 00");
  EXPECT_EQ(EncodeHex(R"({"$date": {"$numberLong": "-1"}})"), "64 7F FF FF FF FF FF FF FF");
  EXPECT_EQ(EncodeHex(R"({"$timestamp": {"t": 1, "i": 2}})"), "6E 00 00 00 01 00 00 00 02");
  EXPECT_EQ(EncodeHex(R"({"$regularExpression": {"pattern": "a", "options": "i"}})"),
            "78 61 00 00 69 00 00");
  EXPECT_EQ(
      EncodeHex(R"({"$dbPointer": {"$ref": "b", "$id": {"$oid": "0102030405060708090a0b0c"}}})"),
      "82 00 00 00 01 62 01 02 03 04 05 06 07 08 09 0A 0B 0C");
  EXPECT_EQ(EncodeHex(R"({"$code": "a"})"), "8C 61 00 00");
  EXPECT_EQ(EncodeHex(R"({"$code": "a", "$scope": {"x": null}})"), "96 61 00 00 14 78 00 00 00");
  EXPECT_EQ(EncodeHex(R"({"$maxKey": 1})"), "F0");
  EXPECT_EQ(Hex(MinKeyString()), "01");
  EXPECT_EQ(Hex(MaxKeyString()), "FF");
}

TEST(KeyStringTest, AppendAddsToTheEnd) {
  HeldValue one("1");
  std::string out = "prefix";
  AppendKeyString(one.it(), &out);
  EXPECT_EQ(out, "prefix" + one.Encode());
  std::string descending = "p";
  AppendKeyStringDescending(one.it(), &descending);
  ASSERT_EQ(descending.size(), 1 + one.Encode().size());
  EXPECT_EQ(descending[0], 'p');
  for (size_t i = 0; i < one.Encode().size(); ++i) {
    EXPECT_EQ(static_cast<char>(~descending[i + 1]), one.Encode()[i]);
  }
}

// The ladder of compare_test.cc, flattened with each value's rung.
struct LadderValue {
  int rung;
  std::unique_ptr<HeldValue> value;
  std::string ascending;
  std::string descending;
};

std::vector<LadderValue> LadderValues() {
  std::vector<LadderValue> values;
  const auto& ladder = OrderedValueLadder();
  for (size_t rung = 0; rung < ladder.size(); ++rung) {
    for (const std::string& json : ladder[rung]) {
      auto value = std::make_unique<HeldValue>(json);
      std::string ascending = value->Encode();
      std::string descending = value->EncodeDescending();
      values.push_back({static_cast<int>(rung), std::move(value), ascending, descending});
    }
  }
  return values;
}

TEST(KeyStringTest, LadderOrderSurvivesEncoding) {
  const std::vector<LadderValue> values = LadderValues();
  ASSERT_GT(values.size(), 150u);
  for (const LadderValue& a : values) {
    for (const LadderValue& b : values) {
      const int expected = (a.rung > b.rung) - (a.rung < b.rung);
      ASSERT_EQ(CompareBytes(a.ascending, b.ascending), expected)
          << a.value->json() << " vs " << b.value->json() << "\n"
          << Hex(a.ascending) << "\n"
          << Hex(b.ascending);
      ASSERT_EQ(CompareBytes(a.descending, b.descending), -expected)
          << a.value->json() << " vs " << b.value->json();
      if (expected == 0) {
        ASSERT_EQ(a.ascending, b.ascending) << a.value->json();
      }
      ASSERT_TRUE(NotProperPrefix(a.ascending, b.ascending))
          << a.value->json() << " vs " << b.value->json();
    }
  }
}

TEST(KeyStringTest, MinAndMaxKeyStringsBoundEveryEncoding) {
  const std::vector<LadderValue> values = LadderValues();
  for (const LadderValue& v : values) {
    for (const std::string* encoding : {&v.ascending, &v.descending}) {
      EXPECT_LT(CompareBytes(MinKeyString(), *encoding), 0) << v.value->json();
      EXPECT_GT(CompareBytes(MaxKeyString(), *encoding), 0) << v.value->json();
      // Also as the first part of a compound key with more parts after it.
      EXPECT_LT(CompareBytes(MinKeyString(), *encoding + MinKeyString()), 0);
      EXPECT_GT(CompareBytes(MaxKeyString(), *encoding + MaxKeyString()), 0);
    }
  }
}

// ---- Seeded random values of every type ----

// Generates random BSON values with many near-equal and equal values across types, so that the
// invariant is exercised at its edges, not only between far-apart values.
class RandomValueGenerator {
 public:
  explicit RandomValueGenerator(uint64_t seed) : random_(seed) { MakeNumberSeeds(); }

  // Appends one random value named `key` to `parent`; `depth` bounds nesting.
  void Append(bson_t* parent, const char* key, int depth) {
    const int kind = Uniform(100);
    if (kind < 40) return AppendNumber(parent, key);
    if (kind < 52) return AppendString(parent, key);
    if (kind < 60 && depth > 0) return AppendDocument(parent, key, depth - 1);
    if (kind < 68 && depth > 0) return AppendArray(parent, key, depth - 1);
    switch (Uniform(14)) {
      case 0:
        bson_append_minkey(parent, key, -1);
        return;
      case 1:
        bson_append_maxkey(parent, key, -1);
        return;
      case 2:
        bson_append_null(parent, key, -1);
        return;
      case 3:
        bson_append_undefined(parent, key, -1);
        return;
      case 4: {
        const uint8_t bytes[] = {0x00, 0x01, 0xff};
        uint8_t data[4];
        const int length = Uniform(4);
        for (int i = 0; i < length; ++i) data[i] = bytes[Uniform(3)];
        const bson_subtype_t subtypes[] = {BSON_SUBTYPE_BINARY, BSON_SUBTYPE_BINARY_DEPRECATED,
                                           BSON_SUBTYPE_MD5, BSON_SUBTYPE_USER};
        bson_append_binary(parent, key, -1, subtypes[Uniform(4)], data, length);
        return;
      }
      case 5: {
        bson_oid_t oid;
        RandomOid(&oid);
        bson_append_oid(parent, key, -1, &oid);
        return;
      }
      case 6:
        bson_append_bool(parent, key, -1, Uniform(2) == 1);
        return;
      case 7: {
        const int64_t dates[] = {std::numeric_limits<int64_t>::min(), -1, 0, 1, 1700000000000,
                                 std::numeric_limits<int64_t>::max()};
        bson_append_date_time(parent, key, -1, dates[Uniform(6)]);
        return;
      }
      case 8: {
        const uint32_t parts[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff};
        bson_append_timestamp(parent, key, -1, parts[Uniform(6)], parts[Uniform(6)]);
        return;
      }
      case 9: {
        const char* patterns[] = {"", "a", "ab", "b", "a.*"};
        const char* options[] = {"", "i", "im", "s"};
        bson_append_regex(parent, key, -1, patterns[Uniform(5)], options[Uniform(4)]);
        return;
      }
      case 10: {
        const char* namespaces[] = {"a", "b", "aa", "db.c"};
        bson_oid_t oid;
        RandomOid(&oid);
        bson_append_dbpointer(parent, key, -1, namespaces[Uniform(4)], &oid);
        return;
      }
      case 11: {
        const std::string code = RandomBytes();
        // bson_append_code takes a C string: no embedded NULs here.
        bson_append_code(parent, key, -1, code.substr(0, code.find('\0')).c_str());
        return;
      }
      case 12: {
        bson_t scope;
        bson_init(&scope);
        const int fields = Uniform(3);
        for (int i = 0; i < fields; ++i) Append(&scope, FieldName(), std::max(depth - 1, 0));
        bson_append_code_with_scope(parent, key, -1, Uniform(2) == 0 ? "" : "f", &scope);
        bson_destroy(&scope);
        return;
      }
      default:
        return AppendNumber(parent, key);
    }
  }

 private:
  int Uniform(int n) { return static_cast<int>(random_() % static_cast<uint64_t>(n)); }

  void RandomOid(bson_oid_t* oid) {
    std::memset(oid->bytes, 0, sizeof(oid->bytes));
    oid->bytes[Uniform(12)] = static_cast<uint8_t>(Uniform(3));
  }

  std::string RandomBytes() {
    // Piece 4 stands for an embedded NUL.
    static const char* const kPieces[] = {"",     "a",    "b",        "ab",  "",
                                          "\x01", "\x7f", "\xc3\xa9", "\xff"};
    std::string out;
    const int count = Uniform(4);
    for (int i = 0; i < count; ++i) {
      const int piece = Uniform(9);
      if (piece == 4) {
        out.push_back('\0');
      } else {
        out += kPieces[piece];
      }
    }
    return out;
  }

  const char* FieldName() {
    static const char* const kNames[] = {"", "a", "b", "ab", "a\x7f", "_id"};
    return kNames[Uniform(6)];
  }

  void AppendString(bson_t* parent, const char* key) {
    const std::string bytes = RandomBytes();
    if (Uniform(5) == 0) {
      bson_append_symbol(parent, key, -1, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      bson_append_utf8(parent, key, -1, bytes.data(), static_cast<int>(bytes.size()));
    }
  }

  void AppendDocument(bson_t* parent, const char* key, int depth) {
    bson_t child;
    bson_append_document_begin(parent, key, -1, &child);
    const int fields = Uniform(4);
    for (int i = 0; i < fields; ++i) Append(&child, FieldName(), depth);
    bson_append_document_end(parent, &child);
  }

  void AppendArray(bson_t* parent, const char* key, int depth) {
    bson_t child;
    bson_append_array_begin(parent, key, -1, &child);
    const int elements = Uniform(4);
    for (int i = 0; i < elements; ++i) {
      const std::string index = std::to_string(i);
      Append(&child, index.c_str(), depth);
    }
    bson_append_array_end(parent, &child);
  }

  // Number seeds: decimal texts that several numeric types can represent exactly or nearly.
  void MakeNumberSeeds() {
    number_seeds_ = {"0",
                     "1",
                     "-1",
                     "2",
                     "10",
                     "0.5",
                     "-0.5",
                     "0.1",
                     "-0.1",
                     "3.14",
                     "2147483647",
                     "2147483648",
                     "-2147483648",
                     "-2147483649",
                     "9007199254740991",
                     "9007199254740992",
                     "9007199254740993",
                     "-9007199254740993",
                     "9223372036854775807",
                     "-9223372036854775808",
                     "9223372036854775808",
                     "18446744073709551616",
                     "18446744073709551617",
                     "36893488147419103233",
                     "1267650600228229401496703205377",
                     "0.0009765625",
                     "1E+300",
                     "4.9406564584124654E-324",
                     "2.2250738585072014E-308",
                     "1.7976931348623157E+308",
                     "1E-6176",
                     "9.999999999999999999999999999999999E+6144",
                     "123456789012345678901234567890.1234"};
    char buffer[64];
    for (int i = 0; i < 60; ++i) {
      // Doubles of every magnitude, printed with few or round-trip digits.
      const double value = std::ldexp(static_cast<double>(random_() >> 11), Uniform(2098) - 1126) *
                           (Uniform(2) == 0 ? 1 : -1);
      std::snprintf(buffer, sizeof(buffer), "%.*g", 1 + Uniform(17), value);
      number_seeds_.push_back(buffer);
    }
    for (int i = 0; i < 30; ++i) {
      // 34-digit decimals next to doubles, and powers of two with their decimal neighbours.
      const double value = std::ldexp(static_cast<double>(random_() >> 11), Uniform(2098) - 1126);
      std::snprintf(buffer, sizeof(buffer), "%.33e", value);
      number_seeds_.push_back(buffer);
      const int power = Uniform(200) - 100;
      std::snprintf(buffer, sizeof(buffer), "%.34g", std::ldexp(1.0, power));
      number_seeds_.push_back(buffer);
      std::snprintf(buffer, sizeof(buffer), "%.33e", std::ldexp(1.0, power));
      number_seeds_.push_back(buffer);
    }
    for (int i = 0; i < 30; ++i) {
      // Integers of every width.
      const int64_t value = static_cast<int64_t>(random_()) >> Uniform(64);
      number_seeds_.push_back(std::to_string(value));
    }
    for (int i = 0; i < 30; ++i) {
      // Decimals of up to 34 digits, mostly small exponents, sometimes extreme ones.
      std::string digits;
      const int count = 1 + Uniform(34);
      for (int j = 0; j < count; ++j) digits.push_back(static_cast<char>('0' + Uniform(10)));
      const int exponent = Uniform(4) == 0 ? Uniform(12000) - 6176 : Uniform(60) - 30;
      number_seeds_.push_back((Uniform(2) == 0 ? "-" : "") + digits + "E" +
                              std::to_string(exponent));
    }
  }

  void AppendNumber(bson_t* parent, const char* key) {
    if (Uniform(12) == 0) return AppendSpecialNumber(parent, key);
    const std::string& seed = number_seeds_[Uniform(static_cast<int>(number_seeds_.size()))];
    int64_t integer = 0;
    const auto [end, error] = std::from_chars(seed.data(), seed.data() + seed.size(), integer);
    const bool is_integer = error == std::errc() && end == seed.data() + seed.size();
    switch (Uniform(7)) {
      case 0:
        if (is_integer && integer >= std::numeric_limits<int32_t>::min() &&
            integer <= std::numeric_limits<int32_t>::max()) {
          bson_append_int32(parent, key, -1, static_cast<int32_t>(integer));
          return;
        }
        [[fallthrough]];
      case 1:
        if (is_integer) {
          if (Uniform(3) == 0 && integer > std::numeric_limits<int64_t>::min()) --integer;
          bson_append_int64(parent, key, -1, integer);
          return;
        }
        [[fallthrough]];
      case 2:
      case 3: {
        double value = std::strtod(seed.c_str(), nullptr);
        if (Uniform(4) == 0) {
          value = std::nextafter(value, Uniform(2) == 0 ? -HUGE_VAL : HUGE_VAL);
        }
        bson_append_double(parent, key, -1, value);
        return;
      }
      default: {
        bson_decimal128_t value;
        if (!bson_decimal128_from_string(seed.c_str(), &value)) {
          ADD_FAILURE() << "bad decimal seed " << seed;
          return;
        }
        if (Uniform(4) == 0 && value.low != 0 && value.low != ~uint64_t{0}) {
          value.low += Uniform(2) == 0 ? 1 : -1;  // the neighbouring coefficient
        }
        bson_append_decimal128(parent, key, -1, &value);
        return;
      }
    }
  }

  void AppendSpecialNumber(bson_t* parent, const char* key) {
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    bson_decimal128_t decimal;
    switch (Uniform(8)) {
      case 0:
        bson_append_double(parent, key, -1, Uniform(2) == 0 ? nan : -nan);
        return;
      case 1:
        bson_append_double(parent, key, -1, Uniform(2) == 0 ? inf : -inf);
        return;
      case 2:
        bson_append_double(parent, key, -1, Uniform(2) == 0 ? 0.0 : -0.0);
        return;
      case 3:  // decimal zero with a random exponent and sign
        decimal.high = (static_cast<uint64_t>(Uniform(2)) << 63) |
                       (static_cast<uint64_t>(Uniform(12288)) << 49);
        decimal.low = 0;
        break;
      case 4:  // decimal NaN / sNaN, either sign
        decimal.high = (static_cast<uint64_t>(Uniform(2)) << 63) | 0x7c00000000000000ull |
                       (static_cast<uint64_t>(Uniform(2)) << 57);
        decimal.low = static_cast<uint64_t>(Uniform(3));
        break;
      case 5:  // decimal infinity
        decimal.high = (static_cast<uint64_t>(Uniform(2)) << 63) | 0x7800000000000000ull;
        decimal.low = 0;
        break;
      case 6:  // non-canonical coefficient: zero
        decimal.high = 0x3041ffffffffffffull;
        decimal.low = ~uint64_t{0};
        break;
      default:
        bson_append_int64(parent, key, -1, 0);
        return;
    }
    bson_append_decimal128(parent, key, -1, &decimal);
  }

  std::mt19937_64 random_;
  std::vector<std::string> number_seeds_;
};

struct RandomCorpus {
  std::vector<std::unique_ptr<HeldValue>> values;
  std::vector<std::string> ascending;
  std::vector<std::string> descending;
};

RandomCorpus MakeCorpus(uint64_t seed, int count) {
  RandomValueGenerator generator(seed);
  RandomCorpus corpus;
  for (int i = 0; i < count; ++i) {
    Document doc;
    generator.Append(doc.mutable_bson(), "v", 3);
    corpus.values.push_back(std::make_unique<HeldValue>(std::move(doc)));
    corpus.ascending.push_back(corpus.values.back()->Encode());
    corpus.descending.push_back(corpus.values.back()->EncodeDescending());
  }
  return corpus;
}

TEST(KeyStringPropertyTest, MemcmpOrderMatchesCompareValues) {
  constexpr int kValues = 2500;
  const RandomCorpus corpus = MakeCorpus(/*seed=*/0x5eed, kValues);
  int equal_pairs = 0;
  int equal_numbers_of_different_types = 0;
  for (int i = 0; i < kValues; ++i) {
    const bson_iter_t& a = corpus.values[i]->it();
    for (int j = i; j < kValues; ++j) {
      const bson_iter_t& b = corpus.values[j]->it();
      const int expected = Sign(CompareValues(a, b));
      ASSERT_EQ(Sign(CompareValues(b, a)), -expected)
          << corpus.values[i]->json() << " vs " << corpus.values[j]->json();
      ASSERT_EQ(CompareBytes(corpus.ascending[i], corpus.ascending[j]), expected)
          << corpus.values[i]->json() << " vs " << corpus.values[j]->json() << "\n"
          << Hex(corpus.ascending[i]) << "\n"
          << Hex(corpus.ascending[j]);
      ASSERT_EQ(CompareBytes(corpus.descending[i], corpus.descending[j]), -expected)
          << corpus.values[i]->json() << " vs " << corpus.values[j]->json();
      ASSERT_TRUE(NotProperPrefix(corpus.ascending[i], corpus.ascending[j]))
          << corpus.values[i]->json() << " vs " << corpus.values[j]->json();
      if (expected == 0 && i != j) {
        ASSERT_EQ(corpus.ascending[i], corpus.ascending[j])
            << corpus.values[i]->json() << " vs " << corpus.values[j]->json();
        ++equal_pairs;
        if (bson_iter_type(&a) != bson_iter_type(&b)) ++equal_numbers_of_different_types;
      }
    }
  }
  // The generator must actually produce the interesting cases.
  EXPECT_GT(equal_pairs, 1000);
  EXPECT_GT(equal_numbers_of_different_types, 100);
}

TEST(KeyStringPropertyTest, SortingByBytesSortsByValue) {
  constexpr int kValues = 5000;
  const RandomCorpus corpus = MakeCorpus(/*seed=*/42, kValues);
  std::vector<int> order(kValues);
  for (int i = 0; i < kValues; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return CompareBytes(corpus.ascending[a], corpus.ascending[b]) < 0;
  });
  for (int k = 1; k < kValues; ++k) {
    const int a = order[k - 1];
    const int b = order[k];
    const int by_value = Sign(CompareValues(corpus.values[a]->it(), corpus.values[b]->it()));
    const int by_bytes = CompareBytes(corpus.ascending[a], corpus.ascending[b]);
    ASSERT_EQ(by_value, by_bytes) << corpus.values[a]->json() << " vs " << corpus.values[b]->json();
  }
}

TEST(KeyStringPropertyTest, CompoundKeysCompareLexicographically) {
  constexpr int kValues = 600;
  const RandomCorpus corpus = MakeCorpus(/*seed=*/7, kValues);
  std::mt19937_64 random(99);
  auto pick = [&] { return static_cast<int>(random() % kValues); };
  for (int trial = 0; trial < 200000; ++trial) {
    // Three parts, each ascending or descending; the first parts are often equal so that the
    // later parts decide.
    const bool descending[3] = {random() % 2 == 0, random() % 2 == 0, random() % 2 == 0};
    int a[3];
    int b[3];
    for (int p = 0; p < 3; ++p) {
      a[p] = pick();
      b[p] = random() % 3 == 0 ? pick() : a[p];
    }
    std::string a_key;
    std::string b_key;
    int expected = 0;
    for (int p = 0; p < 3; ++p) {
      a_key += descending[p] ? corpus.descending[a[p]] : corpus.ascending[a[p]];
      b_key += descending[p] ? corpus.descending[b[p]] : corpus.ascending[b[p]];
      if (expected == 0) {
        expected = Sign(CompareValues(corpus.values[a[p]]->it(), corpus.values[b[p]]->it()));
        if (descending[p]) expected = -expected;
      }
    }
    ASSERT_EQ(CompareBytes(a_key, b_key), expected) << "trial " << trial;
  }
}

}  // namespace
}  // namespace strata::document
