// Typed index entries (index/key_types.h): every BSON type goes value → key + type code →
// value byte for byte, or is marked "not rebuildable"; missing paths are recorded with the depth
// of their existing prefix; the key generator fills key_types for typed indexes only, and
// KeyDiff sees a type change under an unchanged key.
#include "index/key_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "index/index_spec.h"
#include "index/key_generator.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;

IndexSpec TypedSpec(const std::string& key_pattern, int format = kTypedEntryFormat) {
  absl::StatusOr<IndexSpec> spec = IndexSpec::Parse(Json("{\"key\": " + key_pattern + "}").view());
  EXPECT_TRUE(spec.ok()) << spec.status();
  IndexSpec out = spec.ok() ? *std::move(spec) : IndexSpec::IdIndex();
  out.set_entry_format(format);
  return out;
}

// A document {_id: 1, a: <value appended by `append` under "a">}.
Document DocWith(const std::function<void(Document*)>& append) {
  Document doc;
  BSON_APPEND_INT32(doc.mutable_bson(), "_id", 1);
  append(&doc);
  return doc;
}

// {"": value of field "a" of doc}.
std::string ValueBytes(const Document& doc) {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "a"));
  bson_t one = BSON_INITIALIZER;
  bson_append_iter(&one, "", 0, &it);
  std::string bytes(reinterpret_cast<const char*>(bson_get_data(&one)), one.len);
  bson_destroy(&one);
  return bytes;
}

struct RoundTrip {
  uint8_t code = 0;
  std::string rebuilt;  // {"": value} bytes; empty when not rebuildable
};

// Generates the key of `doc` for {a: direction} and rebuilds field "a" from it.
RoundTrip Trip(const Document& doc, int direction) {
  const IndexSpec spec = TypedSpec(direction > 0 ? R"({"a": 1})" : R"({"a": -1})");
  absl::StatusOr<IndexKeys> keys = KeyGenerator(spec).Generate(doc.view());
  EXPECT_TRUE(keys.ok()) << keys.status();
  RoundTrip trip;
  if (!keys.ok() || keys->keys.size() != 1) return trip;
  EXPECT_EQ(keys->key_types.size(), 1u);
  EXPECT_EQ(keys->key_types[0].size(), 1u);
  trip.code = static_cast<uint8_t>(keys->key_types[0][0]);
  if (trip.code == kKeyPartNotRebuildable) return trip;
  absl::string_view key = keys->keys[0];
  bson_t out = BSON_INITIALIZER;
  absl::Status status = AppendRebuiltKeyPart(&key, direction < 0, trip.code, "", &out);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(key.empty());
  trip.rebuilt.assign(reinterpret_cast<const char*>(bson_get_data(&out)), out.len);
  bson_destroy(&out);
  return trip;
}

struct Case {
  const char* name;
  std::function<void(Document*)> append;
  bool exact;  // expected to be rebuildable
};

bson_decimal128_t Decimal(const char* text) {
  bson_decimal128_t value;
  EXPECT_TRUE(bson_decimal128_from_string(text, &value)) << text;
  return value;
}

double NaNWithPayload() {
  uint64_t bits = 0x7FF8000000000123ULL;
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

std::vector<Case> Cases() {
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
  const uint8_t binary[] = {1, 2, 0, 255};
  std::vector<Case> cases = {
      {"int32 1",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_INT32(b, "a", 1);
       },
       true},
      {"int32 min",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_INT32(b, "a", INT32_MIN);
       },
       true},
      {"int64 1",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_INT64(b, "a", 1);
       },
       true},
      {"int64 max",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_INT64(b, "a", INT64_MAX);
       },
       true},
      {"int64 -2^62",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_INT64(b, "a", -(int64_t{1} << 62));
       },
       true},
      {"double 1.0",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", 1.0);
       },
       true},
      {"double 0.0",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", 0.0);
       },
       true},
      {"double -0.0",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", -0.0);
       },
       true},
      {"double -1.5",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", -1.5);
       },
       true},
      {"double 2^70",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", std::ldexp(1.0, 70));
       },
       true},
      {"double min subnormal",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", std::numeric_limits<double>::denorm_min());
       },
       true},
      {"double inf",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", std::numeric_limits<double>::infinity());
       },
       true},
      {"double -inf",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", -std::numeric_limits<double>::infinity());
       },
       true},
      {"double NaN",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", std::numeric_limits<double>::quiet_NaN());
       },
       true},
      {"double NaN with payload",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DOUBLE(b, "a", NaNWithPayload());
       },
       false},
      {"decimal 1",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("1");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       true},
      {"decimal 0.1",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("0.1");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       true},
      {"decimal 34 digits",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("1234567890123456789012345678901234");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       true},
      {"decimal 1E+400",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("1E+400");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       true},
      {"decimal 1.00 (another cohort)",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("1.00");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       false},
      {"decimal -0",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_decimal128_t d = Decimal("-0");
         BSON_APPEND_DECIMAL128(b, "a", &d);
       },
       false},
      {"string",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_UTF8(b, "a", "héllo");
       },
       true},
      {"string with NUL",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_append_utf8(b, "a", 1, "x\0y", 3);
       },
       true},
      {"empty string",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_UTF8(b, "a", "");
       },
       true},
      {"symbol",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_SYMBOL(b, "a", "sym");
       },
       true},
      {"document of ints and strings",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_t sub;
         BSON_APPEND_DOCUMENT_BEGIN(b, "a", &sub);
         BSON_APPEND_INT32(&sub, "x", 1);
         BSON_APPEND_UTF8(&sub, "y", "z");
         bson_append_document_end(b, &sub);
       },
       true},
      {"document holding a double 1.0",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_t sub;
         BSON_APPEND_DOCUMENT_BEGIN(b, "a", &sub);
         BSON_APPEND_DOUBLE(&sub, "x", 1.0);
         bson_append_document_end(b, &sub);
       },
       false},
      {"array",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_t sub;
         BSON_APPEND_ARRAY_BEGIN(b, "a", &sub);
         BSON_APPEND_INT32(&sub, "0", 1);
         bson_append_array_end(b, &sub);
       },
       false},
      {"binary subtype 0",
       [binary](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_BINARY(b, "a", BSON_SUBTYPE_BINARY, binary, 4);
       },
       true},
      {"binary subtype 4 (uuid)",
       [binary](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_BINARY(b, "a", BSON_SUBTYPE_UUID, binary, 4);
       },
       true},
      {"objectid",
       [oid](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_OID(b, "a", &oid);
       },
       true},
      {"bool true",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_BOOL(b, "a", true);
       },
       true},
      {"bool false",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_BOOL(b, "a", false);
       },
       true},
      {"date",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DATE_TIME(b, "a", -123456789);
       },
       true},
      {"timestamp",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_TIMESTAMP(b, "a", 7, 9);
       },
       true},
      {"regex",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_REGEX(b, "a", "^a.c", "im");
       },
       true},
      {"dbpointer",
       [oid](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_DBPOINTER(b, "a", "db.coll", &oid);
       },
       true},
      {"code",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_CODE(b, "a", "function() {}");
       },
       true},
      {"code with scope",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         bson_t scope = BSON_INITIALIZER;
         BSON_APPEND_INT32(&scope, "k", 2);
         BSON_APPEND_CODE_WITH_SCOPE(b, "a", "f()", &scope);
         bson_destroy(&scope);
       },
       true},
      {"minkey",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_MINKEY(b, "a");
       },
       true},
      {"maxkey",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_MAXKEY(b, "a");
       },
       true},
      {"null",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_NULL(b, "a");
       },
       true},
      {"undefined",
       [](Document* target) {
         bson_t* b = target->mutable_bson();
         BSON_APPEND_UNDEFINED(b, "a");
       },
       true},
  };
  return cases;
}

TEST(KeyTypesTest, EveryTypeRoundTripsByteForByteOrIsMarkedNotRebuildable) {
  for (const Case& c : Cases()) {
    for (int direction : {1, -1}) {
      SCOPED_TRACE(std::string(c.name) + (direction > 0 ? " ascending" : " descending"));
      const Document doc = DocWith(c.append);
      const RoundTrip trip = Trip(doc, direction);
      if (c.exact) {
        ASSERT_NE(trip.code, kKeyPartNotRebuildable);
        EXPECT_EQ(trip.rebuilt, ValueBytes(doc));
      } else {
        EXPECT_EQ(trip.code, kKeyPartNotRebuildable);
      }
    }
  }
}

TEST(KeyTypesTest, NumbersThatShareAKeyKeepTheirTypes) {
  // int32 1, int64 1 and double 1.0 have one key string; their codes tell them apart.
  const Document i32 = DocWith([](Document* target) {
    bson_t* b = target->mutable_bson();
    BSON_APPEND_INT32(b, "a", 1);
  });
  const Document i64 = DocWith([](Document* target) {
    bson_t* b = target->mutable_bson();
    BSON_APPEND_INT64(b, "a", 1);
  });
  const Document dbl = DocWith([](Document* target) {
    bson_t* b = target->mutable_bson();
    BSON_APPEND_DOUBLE(b, "a", 1.0);
  });
  const Document neg = DocWith([](Document* target) {
    bson_t* b = target->mutable_bson();
    BSON_APPEND_DOUBLE(b, "a", -0.0);
  });
  EXPECT_EQ(Trip(i32, 1).code, BSON_TYPE_INT32);
  EXPECT_EQ(Trip(i64, 1).code, BSON_TYPE_INT64);
  EXPECT_EQ(Trip(dbl, 1).code, BSON_TYPE_DOUBLE);
  EXPECT_EQ(Trip(neg, 1).code, kKeyPartNegativeZero);
  EXPECT_NE(Trip(i32, 1).rebuilt, Trip(dbl, 1).rebuilt);
}

TEST(KeyTypesTest, MissingPathsRecordTheirExistingPrefix) {
  const IndexSpec spec = TypedSpec(R"({"a.b.c": 1, "x": 1})");
  KeyGenerator generator(spec);
  struct {
    const char* doc;
    uint8_t code;
  } cases[] = {
      {R"({"_id": 1})", kKeyPartMissing + 0},
      {R"({"_id": 1, "a": 5})", kKeyPartMissing + 0},  // a scalar is no document
      {R"({"_id": 1, "a": {}})", kKeyPartMissing + 1},
      {R"({"_id": 1, "a": {"b": {}}})", kKeyPartMissing + 2},
      {R"({"_id": 1, "a": {"b": "s"}})", kKeyPartMissing + 1},
      {R"({"_id": 1, "a": {"b": {"c": null}}})", BSON_TYPE_NULL},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.doc);
    absl::StatusOr<IndexKeys> keys = generator.Generate(Json(c.doc).view());
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->key_types.size(), 1u);
    EXPECT_EQ(static_cast<uint8_t>(keys->key_types[0][0]), c.code);
    EXPECT_EQ(static_cast<uint8_t>(keys->key_types[0][1]), kKeyPartMissing + 0);  // no x
    int depth = -1;
    EXPECT_EQ(IsMissingCode(c.code, &depth), c.code != BSON_TYPE_NULL);
  }
}

TEST(KeyTypesTest, MultikeyDocumentsAreNotRebuildable) {
  const IndexSpec spec = TypedSpec(R"({"a": 1, "b": 1})");
  absl::StatusOr<IndexKeys> many =
      KeyGenerator(spec).Generate(Json(R"({"a": [1, 2], "b": 3})").view());
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->keys.size(), 2u);
  for (const std::string& types : many->key_types) {
    EXPECT_EQ(types, std::string(2, static_cast<char>(kKeyPartNotRebuildable)));
  }
  // A one-element array gives one key, but the document is multikey.
  absl::StatusOr<IndexKeys> one = KeyGenerator(spec).Generate(Json(R"({"a": [1], "b": 3})").view());
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->keys.size(), 1u);
  EXPECT_EQ(one->key_types[0], std::string(2, static_cast<char>(kKeyPartNotRebuildable)));
}

TEST(KeyTypesTest, UntypedIndexesHaveNoKeyTypes) {
  const IndexSpec spec = TypedSpec(R"({"a": 1})", kUntypedEntryFormat);
  absl::StatusOr<IndexKeys> keys = KeyGenerator(spec).Generate(Json(R"({"a": 1})").view());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys.size(), 1u);
  EXPECT_TRUE(keys->key_types.empty());
}

TEST(KeyTypesTest, KeyDiffRewritesAnEntryWhoseTypeChanged) {
  const IndexSpec spec = TypedSpec(R"({"a": 1})");
  KeyGenerator generator(spec);
  absl::StatusOr<IndexKeys> before = generator.Generate(Json(R"({"a": 1})").view());
  absl::StatusOr<IndexKeys> after =
      generator.Generate(Json(R"({"a": {"$numberDouble": "1.0"}})").view());
  ASSERT_TRUE(before.ok() && after.ok());
  ASSERT_EQ(before->keys, after->keys);  // one key string for both
  const KeyDelta delta = KeyDiff(*before, *after);
  EXPECT_TRUE(delta.removed.empty());
  EXPECT_TRUE(delta.added.empty());
  ASSERT_EQ(delta.retyped.size(), 1u);
  EXPECT_EQ(delta.retyped_types[0], std::string(1, static_cast<char>(BSON_TYPE_DOUBLE)));
  EXPECT_TRUE(KeyDiff(*before, *before).empty());
}

TEST(KeyTypesTest, NotRebuildableCodeIsRefused) {
  const IndexSpec spec = TypedSpec(R"({"a": 1})");
  absl::StatusOr<IndexKeys> keys = KeyGenerator(spec).Generate(Json(R"({"a": 1})").view());
  ASSERT_TRUE(keys.ok());
  absl::string_view key = keys->keys[0];
  bson_t out = BSON_INITIALIZER;
  EXPECT_EQ(AppendRebuiltKeyPart(&key, false, kKeyPartNotRebuildable, "a", &out).code(),
            absl::StatusCode::kFailedPrecondition);
  // A code that does not fit the value (a string code on a number key) is data loss.
  EXPECT_EQ(AppendRebuiltKeyPart(&key, false, BSON_TYPE_UTF8, "a", &out).code(),
            absl::StatusCode::kDataLoss);
  bson_destroy(&out);
}

}  // namespace
}  // namespace strata::index
