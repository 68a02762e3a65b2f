// Tests of the key string decoder (document/key_string_decode.h): golden values in their
// natural types, descending and compound keys, malformed input, and seeded property tests:
// Encode → Decode → Encode gives the same bytes, the decoded value compares equal to the
// original, and any byte string the decoder accepts re-encodes to exactly the bytes it read.
#include "document/key_string_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "document/compare.h"
#include "document/key_string.h"
#include "tests/support/test_util.h"

namespace strata::document {

// Defined in compare_test.cc: rungs of values, equal within a rung, increasing across rungs.
const std::vector<std::vector<std::string>>& OrderedValueLadder();

namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

std::string Hex(absl::string_view bytes) {
  std::string out;
  char buffer[4];
  for (unsigned char c : bytes) {
    std::snprintf(buffer, sizeof(buffer), "%02X ", c);
    out += buffer;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 3) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The first element of `doc`.
bson_iter_t First(const Document& doc) {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init(&it, doc.bson()) && bson_iter_next(&it));
  return it;
}

std::string Encode(const Document& doc) { return EncodeKeyString(First(doc)); }

std::string EncodeJson(const std::string& json) { return Encode(Json("{\"v\": " + json + "}")); }

// Canonical Extended JSON of the value `json` encodes and decodes to.
std::string RoundTrip(const std::string& json) {
  absl::StatusOr<Document> decoded = DecodeKeyString(EncodeJson(json));
  if (!decoded.ok()) return decoded.status().ToString();
  return decoded->ToJson(JsonMode::kCanonical);
}

std::string Canonical(const std::string& json) {
  return Json("{\"v\": " + json + "}").ToJson(JsonMode::kCanonical);
}

TEST(KeyStringDecodeTest, NumbersDecodeToTheirMostNaturalType) {
  // Integral values in int32 range, whatever their type, come back as int32.
  EXPECT_EQ(RoundTrip("1"), Canonical(R"({"$numberInt": "1"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberLong": "1"})"), Canonical(R"({"$numberInt": "1"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "-5.0"})"), Canonical(R"({"$numberInt": "-5"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "1.000"})"), Canonical(R"({"$numberInt": "1"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberInt": "-2147483648"})"),
            Canonical(R"({"$numberInt": "-2147483648"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberInt": "2147483647"})"),
            Canonical(R"({"$numberInt": "2147483647"})"));
  // Every zero is int32 0.
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "-0.0"})"), Canonical(R"({"$numberInt": "0"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-0E+10"})"), Canonical(R"({"$numberInt": "0"})"));
  // Then int64.
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "2147483648"})"),
            Canonical(R"({"$numberLong": "2147483648"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberLong": "-9223372036854775808"})"),
            Canonical(R"({"$numberLong": "-9223372036854775808"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberLong": "9223372036854775807"})"),
            Canonical(R"({"$numberLong": "9223372036854775807"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "9007199254740993"})"),
            Canonical(R"({"$numberLong": "9007199254740993"})"));
  // Then double, when exact.
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "9223372036854775808"})"),
            Canonical(R"({"$numberDouble": "9.2233720368547758E+18"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "1E+300"})"),
            Canonical(R"({"$numberDouble": "1E+300"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "0.5"})"), Canonical(R"({"$numberDouble": "0.5"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "-1.5"})"), Canonical(R"({"$numberDouble": "-1.5"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "0.1"})"), Canonical(R"({"$numberDouble": "0.1"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "4.9406564584124654E-324"})"),
            Canonical(R"({"$numberDouble": "4.9406564584124654E-324"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "1.7976931348623157E+308"})"),
            Canonical(R"({"$numberDouble": "1.7976931348623157E+308"})"));
  // NaN and the infinities of any type are doubles.
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "NaN"})"), Canonical(R"({"$numberDouble": "NaN"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-Infinity"})"),
            Canonical(R"({"$numberDouble": "-Infinity"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDouble": "Infinity"})"),
            Canonical(R"({"$numberDouble": "Infinity"})"));
  // Otherwise decimal128, in its shortest coefficient.
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "0.10"})"), Canonical(R"({"$numberDecimal": "0.1"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-0.001"})"),
            Canonical(R"({"$numberDecimal": "-0.001"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "1E-400"})"),
            Canonical(R"({"$numberDecimal": "1E-400"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-1E+400"})"),
            Canonical(R"({"$numberDecimal": "-1E+400"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "18446744073709551617"})"),
            Canonical(R"({"$numberDecimal": "18446744073709551617"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "1E-6176"})"),
            Canonical(R"({"$numberDecimal": "1E-6176"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "9.999999999999999999999999999999999E+6144"})"),
            Canonical(R"({"$numberDecimal": "9.999999999999999999999999999999999E+6144"})"));
  // A clamped exponent: the coefficient is padded with zeros.
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "1E+6144"})"),
            Canonical(R"({"$numberDecimal": "1.000000000000000000000000000000000E+6144"})"));
  // Exact in 64 binary digits, but neither int64 nor double: decimal from the bits alone.
  // 2^64 + 2^11 has 54 significant bits; (2^53 + 1) × 2^-20 is not integral.
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "18446744073709553664"})"),
            Canonical(R"({"$numberDecimal": "18446744073709553664"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "8589934592.00000095367431640625"})"),
            Canonical(R"({"$numberDecimal": "8589934592.00000095367431640625"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-18446744073709553664"})"),
            Canonical(R"({"$numberDecimal": "-18446744073709553664"})"));
  // Exact in binary, but its integer has 42 digits: a decimal128 holds it only with the factors
  // of ten taken out (33 digits × 10^9; found by the key_string fuzzer).
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "3.24518554820128881569088743145472E+41"})"),
            Canonical(R"({"$numberDecimal": "3.24518554820128881569088743145472E+41"})"));
  EXPECT_EQ(RoundTrip(R"({"$numberDecimal": "-3.24518554820128881569088743145472E+41"})"),
            Canonical(R"({"$numberDecimal": "-3.24518554820128881569088743145472E+41"})"));
}

TEST(KeyStringDecodeTest, EveryOtherType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // {original, decoded} where they differ in type; otherwise the same.
      {R"({"$minKey": 1})", ""},
      {R"({"$maxKey": 1})", ""},
      {R"({"$undefined": true})", ""},
      {"null", ""},
      {"true", ""},
      {"false", ""},
      {R"("")", ""},
      {R"("abc")", ""},
      {R"("a\u0000b\u0000")", ""},
      {R"("é€😀")", ""},
      {R"({"$symbol": "sym"})", R"("sym")"},
      {"{}", ""},
      {"[]", ""},
      {R"({"a": 1, "b": {"c": [1, "x", {"d": null}]}, "": []})", ""},
      {R"([[], [[]], {"": {}}])", ""},
      {R"({"$binary": {"base64": "", "subType": "00"}})", ""},
      {R"({"$binary": {"base64": "AP8B", "subType": "80"}})", ""},
      {R"({"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}})", ""},
      {R"({"$binary": {"base64": "AQID", "subType": "02"}})", ""},
      {R"({"$oid": "0102030405060708090a0b0c"})", ""},
      {R"({"$date": {"$numberLong": "-62135596800000"}})", ""},
      {R"({"$date": {"$numberLong": "0"}})", ""},
      {R"({"$date": {"$numberLong": "9223372036854775807"}})", ""},
      {R"({"$timestamp": {"t": 4294967295, "i": 1}})", ""},
      {R"({"$regularExpression": {"pattern": "^a.c", "options": "imsx"}})", ""},
      {R"({"$regularExpression": {"pattern": "", "options": ""}})", ""},
      {R"({"$dbPointer": {"$ref": "db.c", "$id": {"$oid": "0102030405060708090a0b0c"}}})", ""},
      {R"({"$code": "function() {}"})", ""},
      {R"({"$code": "f", "$scope": {"x": 1, "y": {"z": [true]}}})", ""},
      {R"({"$code": "", "$scope": {}})", ""},
  };
  for (const auto& [original, decoded] : cases) {
    EXPECT_EQ(RoundTrip(original), Canonical(decoded.empty() ? original : decoded)) << original;
  }
}

TEST(KeyStringDecodeTest, KeepsWhatLibbsonAppendersWouldChange) {
  // Unsorted regex flags stay as they were (bson_append_regex would sort them).
  const std::string regex = "78 61 00 00 6D 69 00 00";
  absl::StatusOr<Document> decoded = DecodeKeyString(FromHex(regex));
  ASSERT_OK(decoded);
  EXPECT_EQ(Hex(Encode(*decoded)), regex);
  // Code and a DBPointer namespace with an embedded NUL (bson_append_code and
  // bson_append_dbpointer would stop at it); also inside a scope.
  for (const std::string& code :
       {std::string("8C 61 00 FF 62 00 00"),
        std::string("96 61 00 FF 00 00 8C 63 00 00 61 00 FF 00 00 00"),
        std::string("82 00 00 00 03 61 00 62 01 02 03 04 05 06 07 08 09 0A "
                    "0B 0C")}) {
    decoded = DecodeKeyString(FromHex(code));
    ASSERT_OK(decoded);
    EXPECT_EQ(Hex(Encode(*decoded)), code);
  }
}

TEST(KeyStringDecodeTest, AppendsUnderTheNameAndAdvances) {
  // A compound key: 5 ascending, "x" descending, then an _id ascending.
  Document five = Json(R"({"v": 5})");
  Document x = Json(R"({"v": "x"})");
  Document id = Json(R"({"v": {"$oid": "0102030405060708090a0b0c"}})");
  std::string key = Encode(five);
  AppendKeyStringDescending(First(x), &key);
  key += Encode(id);

  Document out;
  absl::string_view rest = key;
  ASSERT_OK(AppendDecodedKeyString(&rest, "a", out.mutable_bson()));
  ASSERT_OK(AppendDecodedKeyStringDescending(&rest, "b.c", out.mutable_bson()));
  ASSERT_OK(AppendDecodedKeyString(&rest, "_id", out.mutable_bson()));
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(out.ToJson(), R"({"a": 5, "b.c": "x", "_id": {"$oid": "0102030405060708090a0b0c"}})");

  // Into an array being built.
  Document holder;
  bson_t array;
  bson_append_array_begin(holder.mutable_bson(), "parts", -1, &array);
  rest = key;
  ASSERT_OK(AppendDecodedKeyString(&rest, "0", &array));
  ASSERT_OK(AppendDecodedKeyStringDescending(&rest, "1", &array));
  bson_append_array_end(holder.mutable_bson(), &array);
  EXPECT_EQ(holder.ToJson(), R"({"parts": [5, "x"]})");

  // Reading a descending part as ascending fails, and changes nothing.
  rest = absl::string_view(key).substr(Encode(five).size());
  Document untouched;
  EXPECT_THAT(AppendDecodedKeyString(&rest, "b", untouched.mutable_bson()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown type tag")));
  EXPECT_EQ(rest.size(), key.size() - Encode(five).size());
  EXPECT_EQ(untouched.ToJson(), "{}");
}

TEST(KeyStringDecodeTest, MalformedInputIsDataLoss) {
  const auto data_loss = [](const std::string& hex) {
    return DecodeKeyString(FromHex(hex)).status().code() == absl::StatusCode::kDataLoss;
  };
  EXPECT_THAT(DecodeKeyString(""), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("byte 0")));
  EXPECT_TRUE(data_loss("01"));                 // MinKeyString(): a bound, not a value
  EXPECT_TRUE(data_loss("FF"));                 // MaxKeyString()
  EXPECT_TRUE(data_loss("29"));                 // no such tag
  EXPECT_TRUE(data_loss("1E 11"));              // no such number class
  EXPECT_TRUE(data_loss("1E 50 80"));           // truncated number
  EXPECT_TRUE(data_loss("1E 50 80 00 02"));     // bad end of bits
  EXPECT_TRUE(data_loss("1E 50 80 00 80 00"));  // a trailing all-zero bit group
  EXPECT_TRUE(data_loss("1E 50 80 00 80 80 80 80 80 80 80 80 80 81 00"));  // 10 groups
  EXPECT_TRUE(data_loss("1E 50 7B CD 00"));                                // exponent below 2^-1074
  EXPECT_TRUE(data_loss("1E 48 7E 71 0B 01 00"));           // 0.10: a trailing zero digit
  EXPECT_TRUE(data_loss("1E 48 7E 71 65 00"));              // digit pair 100
  EXPECT_TRUE(data_loss("1E 48 80 00 00"));                 // no digits
  EXPECT_TRUE(data_loss("1E 58 80 05 0B 00"));              // "huge" yet within double range
  EXPECT_TRUE(data_loss("28 61 00"));                       // unterminated string
  EXPECT_TRUE(data_loss("28 61 00 01 00 00"));              // bad escape
  EXPECT_TRUE(data_loss("28 C3 00 00"));                    // invalid UTF-8
  EXPECT_TRUE(data_loss("32 14 61 00 FF 00 00 00"));        // NUL in a field name
  EXPECT_TRUE(data_loss("32 14 61 00 00"));                 // unterminated object
  EXPECT_TRUE(data_loss("3C 14"));                          // unterminated array
  EXPECT_TRUE(data_loss("46 00 00 00 02 00 01"));           // BinData shorter than its length
  EXPECT_TRUE(data_loss("46 00 00 00 04 02 01 00 00 00"));  // old binary: wrong inner length
  EXPECT_TRUE(data_loss("50 01 02"));                       // short ObjectId
  EXPECT_TRUE(data_loss("5A 02"));                          // bool 2
  EXPECT_TRUE(data_loss("64 00 00"));                       // short date
  EXPECT_TRUE(data_loss("78 61 00 FF 00 00 00 00"));        // NUL in a regex pattern
  EXPECT_TRUE(data_loss("82 00 00 00 05 61"));              // short DBPointer
  EXPECT_TRUE(data_loss("96 61 00 00 14"));                 // unterminated scope
  // Bytes after the value.
  EXPECT_THAT(DecodeKeyString(FromHex("14 14")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1 bytes after the value")));
  // Nesting past kMaxNestingDepth.
  EXPECT_THAT(DecodeKeyString(std::string(200, '\x3C') + std::string(200, '\0')),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("nested too deep")));
  std::string deep_but_fine = std::string(99, '\x3C') + std::string(99, '\0');
  EXPECT_OK(DecodeKeyString(deep_but_fine));
  // Deep corrupt input does not overflow the stack.
  EXPECT_FALSE(DecodeKeyString(std::string(1 << 20, '\x3C')).ok());
}

TEST(KeyStringDecodeTest, FieldNameWithNulIsInvalidArgument) {
  const std::string one = EncodeJson("1");
  absl::string_view rest = one;
  Document out;
  EXPECT_THAT(AppendDecodedKeyString(&rest, absl::string_view("a\0b", 3), out.mutable_bson()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
  EXPECT_EQ(rest.size(), one.size());
}

TEST(KeyStringDecodeTest, EveryProperPrefixIsDataLoss) {
  for (const auto& rung : OrderedValueLadder()) {
    for (const std::string& json : rung) {
      const std::string encoding = EncodeJson(json);
      for (size_t size = 0; size < encoding.size(); ++size) {
        EXPECT_THAT(DecodeKeyString(encoding.substr(0, size)),
                    StatusIs(absl::StatusCode::kDataLoss, ::testing::_))
            << json << " cut at " << size;
      }
    }
  }
}

// Checks the round trip of the value at `original` in both directions.
void ExpectRoundTrip(const bson_iter_t& original) {
  const std::string ascending = EncodeKeyString(original);
  std::string descending;
  AppendKeyStringDescending(original, &descending);
  absl::StatusOr<Document> decoded = DecodeKeyString(ascending);
  ASSERT_OK(decoded) << Hex(ascending);
  const bson_iter_t value = First(*decoded);
  EXPECT_EQ(CompareValues(value, original), 0) << decoded->ToJson(JsonMode::kCanonical);
  EXPECT_EQ(Hex(EncodeKeyString(value)), Hex(ascending)) << decoded->ToJson(JsonMode::kCanonical);

  // Descending, followed by more bytes that must stay unread.
  descending += "\x01rest";
  absl::string_view rest = descending;
  Document from_descending;
  ASSERT_OK(AppendDecodedKeyStringDescending(&rest, "d", from_descending.mutable_bson()));
  EXPECT_EQ(rest, "\x01rest");
  EXPECT_EQ(Encode(from_descending), ascending);
}

TEST(KeyStringDecodeTest, LadderValuesRoundTrip) {
  for (const auto& rung : OrderedValueLadder()) {
    for (const std::string& json : rung) {
      SCOPED_TRACE(json);
      const Document doc = Json("{\"v\": " + json + "}");
      ExpectRoundTrip(First(doc));
    }
  }
}

// ---- Seeded random values of every type ----

class RandomValues {
 public:
  explicit RandomValues(uint64_t seed) : random_(seed) {}

  void Append(bson_t* parent, const char* key, int depth) {
    const int kind = Uniform(100);
    if (kind < 35) return AppendNumber(parent, key);
    if (kind < 47) return AppendString(parent, key);
    if (kind < 56 && depth > 0) return AppendContainer(parent, key, depth - 1, false);
    if (kind < 65 && depth > 0) return AppendContainer(parent, key, depth - 1, true);
    switch (Uniform(13)) {
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
        const std::string data = Bytes();
        const bson_subtype_t subtypes[] = {BSON_SUBTYPE_BINARY, BSON_SUBTYPE_BINARY_DEPRECATED,
                                           BSON_SUBTYPE_UUID, BSON_SUBTYPE_USER};
        bson_append_binary(parent, key, -1, subtypes[Uniform(4)],
                           reinterpret_cast<const uint8_t*>(data.data()),
                           static_cast<uint32_t>(data.size()));
        return;
      }
      case 5: {
        bson_oid_t oid;
        for (uint8_t& byte : oid.bytes) byte = static_cast<uint8_t>(random_());
        bson_append_oid(parent, key, -1, &oid);
        return;
      }
      case 6:
        bson_append_bool(parent, key, -1, Uniform(2) == 1);
        return;
      case 7: {
        const int64_t dates[] = {std::numeric_limits<int64_t>::min(),
                                 -1,
                                 0,
                                 1,
                                 1700000000000,
                                 std::numeric_limits<int64_t>::max(),
                                 static_cast<int64_t>(random_())};
        bson_append_date_time(parent, key, -1, dates[Uniform(7)]);
        return;
      }
      case 8:
        bson_append_timestamp(parent, key, -1, static_cast<uint32_t>(random_() >> Uniform(33)),
                              static_cast<uint32_t>(random_() >> Uniform(33)));
        return;
      case 9: {
        const char* patterns[] = {"", "a", "^ab", "b|c", "a.*"};
        const char* options[] = {"", "i", "im", "msx"};
        bson_append_regex(parent, key, -1, patterns[Uniform(5)], options[Uniform(4)]);
        return;
      }
      case 10: {
        const char* namespaces[] = {"", "a", "db.coll"};
        bson_oid_t oid;
        for (uint8_t& byte : oid.bytes) byte = static_cast<uint8_t>(random_());
        bson_append_dbpointer(parent, key, -1, namespaces[Uniform(3)], &oid);
        return;
      }
      case 11:
        bson_append_code(parent, key, -1, Uniform(2) == 0 ? "" : "function () { return 1; }");
        return;
      default: {
        bson_t scope;
        bson_init(&scope);
        const int fields = 1 + Uniform(3);
        for (int i = 0; i < fields; ++i) Append(&scope, Name(), std::max(depth - 1, 0));
        bson_append_code_with_scope(parent, key, -1, Uniform(2) == 0 ? "" : "f", &scope);
        bson_destroy(&scope);
        return;
      }
    }
  }

 private:
  int Uniform(int n) { return static_cast<int>(random_() % static_cast<uint64_t>(n)); }

  std::string Bytes() {
    static const char* const kPieces[] = {"a", "b", "\x01", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80"};
    std::string out;
    const int count = Uniform(5);
    for (int i = 0; i < count; ++i) {
      if (Uniform(6) == 0) {
        out.push_back('\0');
      } else {
        out += kPieces[Uniform(6)];
      }
    }
    return out;
  }

  const char* Name() {
    static const char* const kNames[] = {"", "a", "b", "ab", "\xc3\xa9", "_id"};
    return kNames[Uniform(6)];
  }

  void AppendString(bson_t* parent, const char* key) {
    const std::string text = Bytes();
    if (Uniform(5) == 0) {
      bson_append_symbol(parent, key, -1, text.data(), static_cast<int>(text.size()));
    } else {
      bson_append_utf8(parent, key, -1, text.data(), static_cast<int>(text.size()));
    }
  }

  void AppendContainer(bson_t* parent, const char* key, int depth, bool is_array) {
    bson_t child;
    if (is_array) {
      bson_append_array_begin(parent, key, -1, &child);
    } else {
      bson_append_document_begin(parent, key, -1, &child);
    }
    const int count = Uniform(4);
    for (int i = 0; i < count; ++i) {
      const std::string index = std::to_string(i);
      Append(&child, is_array ? index.c_str() : Name(), depth);
    }
    if (is_array) {
      bson_append_array_end(parent, &child);
    } else {
      bson_append_document_end(parent, &child);
    }
  }

  void AppendNumber(bson_t* parent, const char* key) {
    switch (Uniform(9)) {
      case 0:
        bson_append_int32(parent, key, -1, static_cast<int32_t>(random_() >> Uniform(64)));
        return;
      case 1:
        bson_append_int64(parent, key, -1, static_cast<int64_t>(random_()) >> Uniform(64));
        return;
      case 2:
      case 3: {
        // Doubles of every magnitude, subnormals included.
        double value =
            std::ldexp(static_cast<double>(random_() >> Uniform(64)), Uniform(2150) - 1126);
        if (Uniform(2) == 0) value = -value;
        bson_append_double(parent, key, -1, value);
        return;
      }
      case 4: {
        const double specials[] = {0.0,
                                   -0.0,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN(),
                                   0.1,
                                   9007199254740993.0,
                                   9223372036854775808.0,
                                   -9223372036854775808.0,
                                   1e300};
        bson_append_double(parent, key, -1, specials[Uniform(10)]);
        return;
      }
      default: {
        // Decimals of 1 to 34 digits, every exponent range.
        std::string digits;
        const int count = 1 + Uniform(34);
        for (int i = 0; i < count; ++i) digits.push_back(static_cast<char>('0' + Uniform(10)));
        const int exponent = Uniform(3) == 0 ? Uniform(12288) - 6176 : Uniform(80) - 40;
        const std::string text =
            (Uniform(2) == 0 ? "-" : "") + digits + "E" + std::to_string(exponent);
        bson_decimal128_t value;
        ASSERT_TRUE(bson_decimal128_from_string(text.c_str(), &value)) << text;
        bson_append_decimal128(parent, key, -1, &value);
        return;
      }
    }
  }

  std::mt19937_64 random_;
};

TEST(KeyStringDecodeTest, RandomValuesRoundTrip) {
  RandomValues generator(20240611);
  for (int i = 0; i < 20000; ++i) {
    Document doc;
    generator.Append(doc.mutable_bson(), "v", 3);
    SCOPED_TRACE(doc.ToJson(JsonMode::kCanonical));
    ExpectRoundTrip(First(doc));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(KeyStringDecodeTest, RandomValuesKeepTheirNaturalType) {
  RandomValues generator(7);
  for (int i = 0; i < 5000; ++i) {
    Document doc;
    generator.Append(doc.mutable_bson(), "v", 0);
    const bson_iter_t original = First(doc);
    absl::StatusOr<Document> decoded = DecodeKeyString(EncodeKeyString(original));
    ASSERT_OK(decoded);
    const bson_iter_t value = First(*decoded);
    const bson_type_t type = bson_iter_type(&original);
    SCOPED_TRACE(doc.ToJson(JsonMode::kCanonical));
    switch (type) {
      case BSON_TYPE_INT32:
        EXPECT_EQ(bson_iter_type(&value), BSON_TYPE_INT32);
        break;
      case BSON_TYPE_INT64: {
        const int64_t n = bson_iter_int64(&original);
        const bool small = n >= INT32_MIN && n <= INT32_MAX;
        EXPECT_EQ(bson_iter_type(&value), small ? BSON_TYPE_INT32 : BSON_TYPE_INT64);
        break;
      }
      case BSON_TYPE_DOUBLE: {
        const double d = bson_iter_double(&original);
        // Non-integral and non-finite doubles stay doubles; integral ones become integers
        // within int64 range.
        if (!std::isfinite(d) || d != std::floor(d)) {
          EXPECT_EQ(bson_iter_type(&value), BSON_TYPE_DOUBLE);
        } else if (d == 0) {
          EXPECT_EQ(bson_iter_type(&value), BSON_TYPE_INT32);
        } else if (std::fabs(d) < 9.2e18) {
          EXPECT_NE(bson_iter_type(&value), BSON_TYPE_DOUBLE);
        } else if (std::fabs(d) > 9.3e18) {
          EXPECT_EQ(bson_iter_type(&value), BSON_TYPE_DOUBLE);
        }
        break;
      }
      case BSON_TYPE_SYMBOL:
        EXPECT_EQ(bson_iter_type(&value), BSON_TYPE_UTF8);
        break;
      case BSON_TYPE_DECIMAL128:
        // Only numbers that no binary type holds exactly stay decimal.
        break;
      default:
        EXPECT_EQ(bson_iter_type(&value), type);
        break;
    }
  }
}

// Whatever the decoder accepts, it read canonically: re-encoding gives back exactly the bytes
// it consumed. Mutated encodings exercise the error paths.
TEST(KeyStringDecodeTest, AcceptedInputReEncodesToTheBytesRead) {
  RandomValues generator(99);
  std::mt19937_64 random(99);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Document doc;
    generator.Append(doc.mutable_bson(), "v", 2);
    std::string bytes = Encode(doc);
    const int mutations = 1 + static_cast<int>(random() % 3);
    for (int m = 0; m < mutations; ++m) {
      const size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (random() % 8)));
          break;
        case 2:
          bytes.erase(at, 1 + random() % 3);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(random() % 2 == 0 ? 0 : random()));
          break;
      }
      if (bytes.empty()) bytes = "\x14";
    }
    absl::string_view rest = bytes;
    Document out;
    const absl::Status status = AppendDecodedKeyString(&rest, "v", out.mutable_bson());
    if (!status.ok()) {
      ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
      ASSERT_EQ(rest.size(), bytes.size());
      continue;
    }
    ++accepted;
    const size_t consumed = bytes.size() - rest.size();
    ASSERT_EQ(Hex(Encode(out)), Hex(bytes.substr(0, consumed)));
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace strata::document
