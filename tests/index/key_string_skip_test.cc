// Tests of KeyStringValueSize (index/key_string_skip.h) against the encoder
// (document/key_string.h): for every value, ascending and descending, the size found equals
// the encoding's length, whatever follows it; every proper prefix of an encoding is rejected
// (the encoding is prefix-free); garbage is rejected without crashing.
#include "index/key_string_skip.h"

#include <bson/bson.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "document/key_string.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;

std::string Complement(std::string bytes) {
  for (char& c : bytes) c = static_cast<char>(~c);
  return bytes;
}

// Every top-level value of `doc`, encoded ascending.
std::vector<std::string> EncodeAll(const Document& doc) {
  std::vector<std::string> out;
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init(&it, doc.bson()));
  while (bson_iter_next(&it)) out.push_back(document::EncodeKeyString(it));
  return out;
}

void ExpectSkips(const std::string& encoding, const std::string& context) {
  for (bool descending : {false, true}) {
    const std::string bytes = descending ? Complement(encoding) : encoding;
    for (const std::string& tail :
         {std::string(), std::string("\x1E\x40", 2), std::string("\x00\xFF\x28", 3)}) {
      absl::StatusOr<size_t> size = KeyStringValueSize(bytes + tail, descending);
      ASSERT_TRUE(size.ok()) << context << " descending=" << descending << ": " << size.status();
      EXPECT_EQ(*size, bytes.size()) << context << " descending=" << descending;
    }
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_FALSE(KeyStringValueSize(bytes.substr(0, cut), descending).ok())
          << context << " prefix of " << cut << " bytes, descending=" << descending;
    }
  }
}

TEST(KeyStringSkipTest, EveryTypeAndNumberForm) {
  const Document doc = Json(R"({
      "minkey": {"$minKey": 1}, "maxkey": {"$maxKey": 1}, "undefined": {"$undefined": true},
      "null": null, "int": 1, "negint": -7, "zero": 0, "negzero": -0.0, "long": {"$numberLong": "-9223372036854775808"},
      "double": 3.25, "tiny": 5e-324, "huge": 1.7976931348623157e308,
      "nan": {"$numberDouble": "NaN"}, "inf": {"$numberDouble": "Infinity"},
      "ninf": {"$numberDouble": "-Infinity"},
      "dec": {"$numberDecimal": "0.1"}, "negdec": {"$numberDecimal": "-0.1"},
      "dectiny": {"$numberDecimal": "1E-6000"}, "negdectiny": {"$numberDecimal": "-1E-6000"},
      "dechuge": {"$numberDecimal": "9.999999999999999999999999999999999E+6144"},
      "negdechuge": {"$numberDecimal": "-1E+400"},
      "decexact": {"$numberDecimal": "1.5"}, "decnan": {"$numberDecimal": "NaN"},
      "string": "abc", "empty": "", "nul": "a\u0000b\u0000",
      "object": {"a": 1, "b": {"c": [1, "x", {"d": null}]}}, "emptyobj": {},
      "array": [1, [2, [3, []]], {"k": "v"}], "emptyarr": [],
      "bin": {"$binary": {"base64": "AAECAw==", "subType": "00"}},
      "oldbin": {"$binary": {"base64": "AAECAw==", "subType": "02"}},
      "oid": {"$oid": "0123456789abcdef01234567"}, "true": true, "false": false,
      "date": {"$date": {"$numberLong": "-1000"}},
      "ts": {"$timestamp": {"t": 4294967295, "i": 1}},
      "regex": {"$regularExpression": {"pattern": "a.?", "options": "im"}},
      "dbpointer": {"$dbPointer": {"$ref": "db.c", "$id": {"$oid": "0123456789abcdef01234567"}}},
      "code": {"$code": "function() {}"},
      "codews": {"$code": "f", "$scope": {"x": [1, {"y": 2}]}},
      "symbol": {"$symbol": "sym"}
  })");
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, doc.bson()));
  size_t count = 0;
  while (bson_iter_next(&it)) {
    ExpectSkips(document::EncodeKeyString(it), bson_iter_key(&it));
    ++count;
  }
  EXPECT_EQ(count, 42u);
}

// A random value appended to `doc` under `key`.
void AppendRandomValue(std::mt19937_64& rng, bson_t* doc, const char* key, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  switch (pick(depth > 2 ? 14 : 16)) {
    case 0:
      bson_append_int32(doc, key, -1, static_cast<int32_t>(rng()));
      break;
    case 1:
      bson_append_int64(doc, key, -1, static_cast<int64_t>(rng()) >> pick(64));
      break;
    case 2: {
      uint64_t bits = rng();
      double value;
      std::memcpy(&value, &bits, sizeof(value));  // any double, NaNs and denormals included
      bson_append_double(doc, key, -1, value);
      break;
    }
    case 3: {
      static const char* const kDecimals[] = {"0",
                                              "-0",
                                              "1",
                                              "-1",
                                              "0.1",
                                              "1E-6176",
                                              "-9.999999999999999999999999999999999E+6144",
                                              "123456789012345678901234567890.1234",
                                              "1E+1000",
                                              "-1E-1000",
                                              "NaN",
                                              "-Infinity",
                                              "3.14159",
                                              "-2E-308",
                                              "4.9406564584124654E-324"};
      bson_decimal128_t value;
      bson_decimal128_from_string(kDecimals[pick(15)], &value);
      bson_append_decimal128(doc, key, -1, &value);
      break;
    }
    case 4: {
      std::string text;
      const int length = pick(12);
      for (int i = 0; i < length; ++i)
        text.push_back(static_cast<char>(pick(4) == 0 ? 0 : 'a' + pick(26)));
      bson_append_utf8(doc, key, -1, text.data(), static_cast<int>(text.size()));
      break;
    }
    case 5: {
      std::string data(pick(9), '\0');
      for (char& c : data) c = static_cast<char>(rng());
      bson_append_binary(doc, key, -1, pick(2) ? BSON_SUBTYPE_BINARY : BSON_SUBTYPE_UUID,
                         reinterpret_cast<const uint8_t*>(data.data()),
                         static_cast<uint32_t>(data.size()));
      break;
    }
    case 6: {
      bson_oid_t oid;
      for (uint8_t& b : oid.bytes) b = static_cast<uint8_t>(rng());
      bson_append_oid(doc, key, -1, &oid);
      break;
    }
    case 7:
      bson_append_bool(doc, key, -1, pick(2) == 1);
      break;
    case 8:
      bson_append_date_time(doc, key, -1, static_cast<int64_t>(rng()));
      break;
    case 9:
      bson_append_timestamp(doc, key, -1, static_cast<uint32_t>(rng()),
                            static_cast<uint32_t>(rng()));
      break;
    case 10:
      bson_append_regex(doc, key, -1, pick(2) ? "^a.*" : "", pick(2) ? "ix" : "");
      break;
    case 11:
      switch (pick(4)) {
        case 0:
          bson_append_null(doc, key, -1);
          break;
        case 1:
          bson_append_undefined(doc, key, -1);
          break;
        case 2:
          bson_append_minkey(doc, key, -1);
          break;
        default:
          bson_append_maxkey(doc, key, -1);
      }
      break;
    case 12:
      bson_append_code(doc, key, -1, pick(2) ? "x = 1" : "");
      break;
    case 13: {
      bson_oid_t oid;
      for (uint8_t& b : oid.bytes) b = static_cast<uint8_t>(rng());
      bson_append_dbpointer(doc, key, -1, pick(2) ? "db.coll" : "", &oid);
      break;
    }
    case 14:
    case 15: {
      const bool is_array = pick(2) == 0;
      bson_t child;
      if (is_array) {
        bson_append_array_begin(doc, key, -1, &child);
      } else {
        bson_append_document_begin(doc, key, -1, &child);
      }
      const int n = pick(4);
      for (int i = 0; i < n; ++i) {
        const std::string name =
            is_array ? std::to_string(i) : std::string(1, 'a' + pick(3)) + std::to_string(i);
        AppendRandomValue(rng, &child, name.c_str(), depth + 1);
      }
      if (is_array) {
        bson_append_array_end(doc, &child);
      } else {
        bson_append_document_end(doc, &child);
      }
      break;
    }
  }
}

TEST(KeyStringSkipTest, RandomValuesMatchTheEncoder) {
  std::mt19937_64 rng(20240611);
  for (int round = 0; round < 3000; ++round) {
    Document doc;
    AppendRandomValue(rng, doc.mutable_bson(), "v", 0);
    for (const std::string& encoding : EncodeAll(doc)) {
      ASSERT_NO_FATAL_FAILURE(ExpectSkips(encoding, doc.ToJson(JsonMode::kCanonical)));
    }
  }
}

TEST(KeyStringSkipTest, ConcatenationsSplitPartByPart) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    Document doc;
    const int parts = 1 + static_cast<int>(rng() % 4);
    std::vector<bool> descending;
    for (int i = 0; i < parts; ++i) {
      AppendRandomValue(rng, doc.mutable_bson(), std::to_string(i).c_str(), 0);
      descending.push_back(rng() % 2 == 0);
    }
    const std::vector<std::string> encodings = EncodeAll(doc);
    std::string key;
    for (size_t i = 0; i < encodings.size(); ++i) {
      key += descending[i] ? Complement(encodings[i]) : encodings[i];
    }
    size_t offset = 0;
    for (size_t i = 0; i < encodings.size(); ++i) {
      absl::StatusOr<size_t> size =
          KeyStringValueSize(absl::string_view(key).substr(offset), descending[i]);
      ASSERT_TRUE(size.ok()) << size.status();
      EXPECT_EQ(*size, encodings[i].size());
      offset += *size;
    }
    EXPECT_EQ(offset, key.size());
  }
}

TEST(KeyStringSkipTest, RejectsGarbage) {
  EXPECT_THAT(KeyStringValueSize("", false),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("malformed")));
  EXPECT_FALSE(KeyStringValueSize("\x01", false).ok());      // MinKeyString(): a bound, not a value
  EXPECT_FALSE(KeyStringValueSize("\xFF", false).ok());      // MaxKeyString()
  EXPECT_FALSE(KeyStringValueSize("\x1E\x99", false).ok());  // unknown number class
  EXPECT_FALSE(KeyStringValueSize(std::string("\x28"
                                              "ab\x00\x01",
                                              5),
                                  false)
                   .ok());                                                   // bad escape
  EXPECT_FALSE(KeyStringValueSize("\x46\x00\x00\x01\x00\x00", false).ok());  // short bindata
  // Fuzz: random bytes never crash and never claim more than they have.
  std::mt19937_64 rng(99);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (!bytes.empty() && rng() % 2)
      bytes[0] = "\x0A\x0F\x14\x1E\x28\x32\x3C\x46\x50\x5A\x64\x6E\x78\x82\x8C\x96\xF0"[rng() % 17];
    for (bool descending : {false, true}) {
      absl::StatusOr<size_t> size = KeyStringValueSize(bytes, descending);
      if (size.ok()) {
        EXPECT_LE(*size, bytes.size());
      }
    }
  }
}

}  // namespace
}  // namespace strata::index
