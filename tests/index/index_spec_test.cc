// Tests of index specification parsing, validation and conflicts (index/index_spec.h).
//
// Expected codes and messages are MongoDB's. The "Mongod82*" cases are replies recorded from
// mongod 8.2 (a public MongoDB-compatibility test suite quotes them); the others follow the
// messages in MongoDB's index_key_validate.cpp / index_catalog_impl.cpp and the manual.
#include "index/index_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error_codes.h"
#include "index/internal/shell_format.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kBadValue = 2;
constexpr int kFailedToParse = 9;
constexpr int kTypeMismatch = 14;
constexpr int kCannotCreateIndex = 67;
constexpr int kIndexOptionsConflict = 85;
constexpr int kIndexKeySpecsConflict = 86;
constexpr int kInvalidIndexSpecificationOption = 197;
constexpr int kNotImplemented = 238;

absl::StatusOr<IndexSpec> Parse(const std::string& json, bool require_name = false) {
  IndexSpecParseOptions options;
  options.require_name = require_name;
  return IndexSpec::Parse(Json(json).view(), options);
}

IndexSpec MustParse(const std::string& json) {
  absl::StatusOr<IndexSpec> spec = Parse(json);
  EXPECT_TRUE(spec.ok()) << spec.status() << " for " << json;
  return spec.ok() ? *std::move(spec) : IndexSpec::IdIndex();
}

struct SpecErrorCase {
  std::string name;
  std::string spec;
  int code;
  std::string message;  // the whole message, or (when `substring`) a part of it
  bool substring = false;
};

void PrintTo(const SpecErrorCase& c, std::ostream* os) { *os << c.name; }

const std::vector<SpecErrorCase>& SpecErrorCases() {
  static const auto* const kCases = new std::vector<SpecErrorCase>{
      // --- Replies recorded from mongod 8.2 ---
      {"Mongod82KeyValueZero", R"({"key": {"z": 0}, "name": "z_0"})", kCannotCreateIndex,
       R"(Error in specification { key: { z: 0 }, name: "z_0" } :: caused by :: Values in the )"
       R"(index key pattern cannot be 0.)"},
      {"Mongod82EmptyFieldName", R"({"key": {"": 1}, "name": "ef"})", kCannotCreateIndex,
       R"(Error in specification { key: { : 1 }, name: "ef" } :: caused by :: Index keys )"
       R"(cannot be an empty field.)"},
      {"Mongod82DollarField", R"({"key": {"$x": 1}, "name": "dx"})", kCannotCreateIndex,
       R"(Error in specification { key: { $x: 1 }, name: "dx" } :: caused by :: Index key )"
       R"(contains an illegal field name: field name starts with '$'.)"},
      {"Mongod82UnknownOption", R"({"key": {"u": 1}, "bogus": true, "name": "u_1"})",
       kInvalidIndexSpecificationOption,
       R"(Error in specification { key: { u: 1 }, bogus: true, name: "u_1" } :: caused by :: )"
       R"(The field 'bogus' is not valid for an index specification. Specification: )"
       R"({ key: { u: 1 }, bogus: true, name: "u_1" })"},
      {"Mongod82EmptyName", R"({"key": {"n": 1}, "name": ""})", kCannotCreateIndex,
       R"(Error in specification { key: { n: 1 }, name: "", v: 2 } :: caused by :: index name )"
       R"(cannot be empty)"},
      {"Mongod82StarName", R"({"key": {"s": 1}, "name": "*"})", kBadValue,
       "The index name '*' is not valid."},
      {"Mongod82DescendingIdIndex", R"({"key": {"_id": -1}, "name": "_id_-1"})", kBadValue,
       "The field 'key' for an _id index must be {_id: 1}, but got { _id: -1 }"},
      {"Mongod82SparseIdIndex", R"({"key": {"_id": 1}, "name": "_id_", "sparse": true})",
       kInvalidIndexSpecificationOption,
       R"(The field 'sparse' is not valid for an _id index specification. Specification: )"
       R"({ key: { _id: 1 }, name: "_id_", sparse: true, v: 2 })"},
      {"Mongod82NegativeTtl", R"({"key": {"w": 1}, "expireAfterSeconds": -1, "name": "w_1"})",
       kCannotCreateIndex,
       R"(. Index spec: { key: { w: 1 }, expireAfterSeconds: -1, name: "w_1" } :: caused by :: )"
       R"(TTL index 'expireAfterSeconds' option cannot be less than 0)"},
      {"Mongod82CompoundTtl",
       R"({"key": {"w": 1, "a": 1}, "expireAfterSeconds": 10, "name": "w_1_a_1"})",
       kCannotCreateIndex,
       R"(TTL indexes are single-field indexes, compound indexes do not support TTL. Index )"
       R"(spec: { key: { w: 1, a: 1 }, expireAfterSeconds: 10, name: "w_1_a_1" })"},
      {"Mongod82SparseAndPartial",
       R"({"key": {"p": 1}, "sparse": true, "partialFilterExpression": {"a": 1}, "name": "p_1"})",
       kCannotCreateIndex,
       R"(Error in specification { key: { p: 1 }, sparse: true, partialFilterExpression: )"
       R"({ a: 1 }, name: "p_1", v: 2 } :: caused by :: cannot mix "partialFilterExpression" )"
       R"(and "sparse" options)"},
      // --- Key pattern values (validateKeyPattern) ---
      {"KeyValueBool", R"({"key": {"a": true}})", kCannotCreateIndex,
       "Values in v:2 index key pattern cannot be of type bool. Only numbers > 0, numbers < 0, "
       "and strings are allowed.",
       true},
      {"KeyValueObject", R"({"key": {"a": {"b": 1}}})", kCannotCreateIndex,
       "cannot be of type object.", true},
      {"KeyValueNull", R"({"key": {"a": null}})", kCannotCreateIndex, "cannot be of type null.",
       true},
      {"KeyValueNaN", R"({"key": {"a": {"$numberDouble": "NaN"}}})", kCannotCreateIndex,
       "Values in the index key pattern cannot be NaN.", true},
      {"KeyValueNegativeZero", R"({"key": {"a": -0.0}})", kCannotCreateIndex,
       "Values in the index key pattern cannot be 0.", true},
      {"KeyValueDecimalZero", R"({"key": {"a": {"$numberDecimal": "0E+5"}}})", kCannotCreateIndex,
       "cannot be 0.", true},
      {"EmptyKeyPattern", R"({"key": {}})", kCannotCreateIndex, "Index keys cannot be empty.",
       true},
      {"EmptyPathComponent", R"({"key": {"a..b": 1}})", kCannotCreateIndex,
       "Index keys cannot contain an empty field.", true},
      {"TrailingDot", R"({"key": {"a.": 1}})", kCannotCreateIndex,
       "Index keys cannot contain an empty field.", true},
      {"DollarInsidePath", R"({"key": {"a.$b": 1}})", kCannotCreateIndex,
       "field name starts with '$'.", true},
      {"FtsFieldWithoutText", R"({"key": {"_fts": 1}})", kCannotCreateIndex,
       "Index key contains an illegal field name: '_fts'", true},
      {"UnknownPlugin", R"({"key": {"a": "foo"}})", kCannotCreateIndex,
       "Unknown index plugin 'foo'", true},
      {"TwoPlugins", R"({"key": {"a": "text", "b": "hashed"}})", kCannotCreateIndex,
       "Can't use more than one index plugin for a single index.", true},
      {"EmptyStringValue", R"({"key": {"a": ""}})", kCannotCreateIndex,
       "Values in the index key pattern cannot be empty strings", true},
      {"GeoHaystack", R"({"key": {"a": "geoHaystack"}})", kCannotCreateIndex,
       "GeoHaystack indexes cannot be created in version 5.0 and above", true},
      {"DuplicateKeyField", R"({"key": {"a": 1, "a": -1}, "name": "x"})", kBadValue,
       "The field 'a' appears multiple times in the index key pattern { a: 1, a: -1 }", true},
      // --- Field types (validateIndexSpec) ---
      {"KeyNotObject", R"({"key": [1], "name": "x"})", kTypeMismatch,
       R"(Error in specification { key: [ 1 ], name: "x" } :: caused by :: The field 'key' )"
       R"(must be an object, but got array)"},
      {"NameNotString", R"({"key": {"a": 1}, "name": 1})", kTypeMismatch,
       "The field 'name' must be a string, but got int", true},
      {"UniqueNotBool", R"({"key": {"a": 1}, "name": "a_1", "unique": "yes"})", kTypeMismatch,
       R"(The field 'unique has value unique: "yes", which is not convertible to bool)", true},
      {"SparseNotBool", R"({"key": {"a": 1}, "sparse": null})", kTypeMismatch,
       "which is not convertible to bool", true},
      {"HiddenNotBool", R"({"key": {"a": 1}, "hidden": 1})", kTypeMismatch,
       "must be a bool, but got int", true},
      {"VersionNotNumber", R"({"key": {"a": 1}, "v": "2"})", kTypeMismatch,
       "The field 'v' must be a number, but got string", true},
      {"VersionFraction", R"({"key": {"a": 1}, "v": 2.5})", kBadValue,
       "Index version must be representable as a 32-bit integer, but got 2.5", true},
      {"VersionThree", R"({"key": {"a": 1}, "name": "a_1", "v": 3})", kCannotCreateIndex,
       R"(Invalid index specification { key: { a: 1 }, name: "a_1", v: 3 }; cannot create an )"
       R"(index with v=3)",
       true},
      {"PartialFilterNotObject", R"({"key": {"a": 1}, "partialFilterExpression": 1})",
       kTypeMismatch, "The field 'partialFilterExpression' must be an object, but got int", true},
      {"CollationNotObject", R"({"key": {"a": 1}, "collation": "fr"})", kTypeMismatch,
       "The field 'collation' must be an object, but got string", true},
      {"CollationEmpty", R"({"key": {"a": 1}, "collation": {}})", kBadValue,
       "The field 'collation' cannot be an empty object.", true},
      {"WeightsOnBtree", R"({"key": {"a": 1}, "weights": {"a": 1}})", kCannotCreateIndex,
       "the field 'weights' can only be specified with text indexes", true},
      {"WildcardProjectionOnBtree", R"({"key": {"a": 1}, "wildcardProjection": {"a": 1}})",
       kBadValue, "The field 'wildcardProjection' is only allowed in 'wildcard' indexes", true},
      {"MissingKey", R"({"name": "a_1"})", kFailedToParse,
       "The 'key' field is a required property of an index specification", true},
      // --- TTL (validateIndexSpecTTL) ---
      {"TtlNotNumber", R"({"key": {"d": 1}, "expireAfterSeconds": "60"})", kCannotCreateIndex,
       R"(. Index spec: { key: { d: 1 }, expireAfterSeconds: "60" } :: caused by :: TTL index )"
       R"('expireAfterSeconds' option must be numeric, but received a type of 'string)"},
      {"TtlNaN", R"({"key": {"d": 1}, "expireAfterSeconds": {"$numberDouble": "NaN"}})",
       kCannotCreateIndex, "TTL index 'expireAfterSeconds' option must not be NaN", true},
      {"TtlTooLarge", R"({"key": {"d": 1}, "expireAfterSeconds": 2147483648})", kCannotCreateIndex,
       "TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer", true},
      // --- The _id index and its reserved name ---
      {"IdIndexUnique", R"({"key": {"_id": 1}, "name": "_id_", "unique": true})",
       kInvalidIndexSpecificationOption,
       "The field 'unique' is not valid for an _id index specification.", true},
      {"IdIndexTtl", R"({"key": {"_id": 1}, "name": "_id_", "expireAfterSeconds": 5})",
       kInvalidIndexSpecificationOption,
       "The field 'expireAfterSeconds' is not valid for an _id index specification.", true},
      {"IdIndexPartial",
       R"({"key": {"_id": 1}, "name": "_id_", "partialFilterExpression": {"a": 1}})",
       kInvalidIndexSpecificationOption,
       "The field 'partialFilterExpression' is not valid for an _id index specification.", true},
      {"ReservedIdName", R"({"key": {"a": 1}, "name": "_id_"})", kBadValue,
       "The index name '_id_' is reserved for the _id index, which must have key pattern "
       "{_id: 1}, found key: { a: 1 }"},
      {"NameWithNul", R"({"key": {"a": 1}, "name": "a\u0000b"})", kCannotCreateIndex,
       "index name cannot contain NUL bytes", true},
      {"StorageEngineEmpty", R"({"key": {"a": 1}, "storageEngine": {}})", kCannotCreateIndex,
       R"(Empty "storageEngine" options are invalid.)", true},
      // --- Accepted by MongoDB, not built by Strata yet ---
      {"TextIndex", R"({"key": {"a": "text"}})", kNotImplemented, "'text' indexes", true},
      {"HashedIndex", R"({"key": {"a": "hashed"}})", kNotImplemented, "'hashed' indexes", true},
      {"Geo2dsphereIndex", R"({"key": {"loc": "2dsphere"}})", kNotImplemented, "'2dsphere' indexes",
       true},
      {"Geo2dIndex", R"({"key": {"loc": "2d"}})", kNotImplemented, "'2d' indexes", true},
      {"WildcardIndex", R"({"key": {"$**": 1}})", kNotImplemented, "'wildcard' indexes", true},
      {"NonSimpleCollation", R"({"key": {"a": 1}, "collation": {"locale": "fr"}})", kNotImplemented,
       "collation", true},
      {"Clustered", R"({"key": {"a": 1}, "clustered": true, "unique": true})", kNotImplemented,
       "'clustered'", true},
      {"StorageEngineOptions", R"({"key": {"a": 1}, "storageEngine": {"wiredTiger": {}}})",
       kNotImplemented, "'storageEngine'", true},
  };
  return *kCases;
}

class SpecErrorTest : public ::testing::TestWithParam<SpecErrorCase> {};

TEST_P(SpecErrorTest, FailsWithMongoDBsCodeAndMessage) {
  const SpecErrorCase& c = GetParam();
  absl::StatusOr<IndexSpec> spec = Parse(c.spec);
  ASSERT_FALSE(spec.ok()) << c.spec;
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(spec.status())), c.code) << spec.status();
  if (c.substring) {
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message));
  } else {
    EXPECT_EQ(spec.status().message(), c.message);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SpecErrorTest, ::testing::ValuesIn(SpecErrorCases()),
                         [](const ::testing::TestParamInfo<SpecErrorCase>& info) {
                           return info.param.name;
                         });

TEST(IndexSpecTest, ParsesKeyPartsAndOptions) {
  const IndexSpec spec = MustParse(
      R"({"key": {"a": 1, "b.c": -1}, "name": "ab", "unique": true, "hidden": true,
          "v": 2, "background": true, "ns": "db.c"})");
  EXPECT_EQ(spec.name(), "ab");
  ASSERT_EQ(spec.num_key_parts(), 2u);
  EXPECT_EQ(spec.key_parts()[0].path, "a");
  EXPECT_FALSE(spec.key_parts()[0].descending);
  EXPECT_EQ(spec.key_parts()[1].path, "b.c");
  EXPECT_TRUE(spec.key_parts()[1].descending);
  EXPECT_TRUE(spec.unique());
  EXPECT_FALSE(spec.sparse());
  EXPECT_TRUE(spec.hidden());
  EXPECT_FALSE(spec.is_id_index());
  EXPECT_EQ(spec.version(), 2);
  EXPECT_FALSE(spec.expire_after_seconds().has_value());
  EXPECT_FALSE(spec.partial_filter_expression().has_value());
  EXPECT_EQ(spec.id(), 0u);
}

TEST(IndexSpecTest, NumbersAreBooleans) {
  // mongod 8.2: `unique: 1` is a unique index.
  EXPECT_TRUE(MustParse(R"({"key": {"a": 1}, "unique": 1})").unique());
  EXPECT_FALSE(MustParse(R"({"key": {"a": 1}, "unique": 0})").unique());
  EXPECT_TRUE(MustParse(R"({"key": {"a": 1}, "sparse": 2.5})").sparse());
  // sparse: false does not conflict with a partial filter.
  EXPECT_OK(Parse(R"({"key": {"a": 1}, "sparse": false, "partialFilterExpression": {"a": 1}})"));
}

TEST(IndexSpecTest, TtlIsStoredAsWholeSeconds) {
  EXPECT_EQ(MustParse(R"({"key": {"d": 1}, "expireAfterSeconds": 3600})").expire_after_seconds(),
            3600);
  EXPECT_EQ(MustParse(R"({"key": {"d": 1}, "expireAfterSeconds": 0})").expire_after_seconds(), 0);
  EXPECT_EQ(MustParse(R"({"key": {"d": 1}, "expireAfterSeconds": 1.9})").expire_after_seconds(), 1);
  EXPECT_EQ(
      MustParse(R"({"key": {"d": -1}, "expireAfterSeconds": 2147483647})").expire_after_seconds(),
      2147483647);
}

TEST(IndexSpecTest, PartialFilterIsKept) {
  const IndexSpec spec =
      MustParse(R"({"key": {"a": 1}, "partialFilterExpression": {"rating": {"$gt": 5}}})");
  ASSERT_TRUE(spec.partial_filter_expression().has_value());
  EXPECT_EQ(internal::ShellString(*spec.partial_filter_expression()), "{ rating: { $gt: 5 } }");
}

TEST(IndexSpecTest, DefaultNames) {
  EXPECT_EQ(MustParse(R"({"key": {"a": 1, "b.c": -1}})").name(), "a_1_b.c_-1");
  EXPECT_EQ(DefaultIndexName(Json(R"({"a": 1, "b.c": -1})").view()), "a_1_b.c_-1");
  EXPECT_EQ(DefaultIndexName(Json(R"({"x": -1.0})").view()), "x_-1");
  EXPECT_EQ(DefaultIndexName(Json(R"({"x": 1.5})").view()), "x_1.5");
  EXPECT_EQ(DefaultIndexName(Json(R"({"x": {"$numberLong": "1"}})").view()), "x_1");
  EXPECT_EQ(DefaultIndexName(Json(R"({"t": "text"})").view()), "t_text");
  // The manual's text index example.
  EXPECT_EQ(DefaultIndexName(
                Json(R"({"content": "text", "users.comments": "text", "users.profiles": "text"})")
                    .view()),
            "content_text_users.comments_text_users.profiles_text");
}

TEST(IndexSpecTest, NameIsRequiredWhenAsked) {
  EXPECT_THAT(Parse(R"({"key": {"a": 1}})", /*require_name=*/true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("The 'name' field is a required property")));
  EXPECT_OK(Parse(R"({"key": {"a": 1}, "name": "a"})", /*require_name=*/true));
}

TEST(IndexSpecTest, LongNamesAreAllowed) {
  // MongoDB 4.2 removed the 127-byte index name limit.
  const std::string name(500, 'n');
  EXPECT_EQ(MustParse(R"({"key": {"a": 1}, "name": ")" + name + R"("})").name(), name);
}

TEST(IndexSpecTest, DbRefFieldsMayBeIndexed) {
  EXPECT_OK(Parse(R"({"key": {"ref.$id": 1, "ref.$ref": 1, "ref.$db": 1}})"));
}

TEST(IndexSpecTest, KeyPatternTooLarge) {
  std::string key = "{";
  for (int i = 0; i < 300; ++i)
    key += (i ? ", " : "") + std::string("\"field") + std::to_string(i) + "\": 1";
  key += "}";
  EXPECT_THAT(
      Parse(R"({"key": )" + key + "}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Index key pattern too large.")));
}

TEST(IndexSpecTest, SimpleCollationIsTheDefault) {
  EXPECT_OK(Parse(R"({"key": {"a": 1}, "collation": {"locale": "simple"}})"));
}

TEST(IndexSpecTest, IdIndexRequests) {
  // mongod 8.2: {key: {_id: 1}, name: "myid"} answers "all indexes already exist".
  const IndexSpec spec = MustParse(R"({"key": {"_id": 1}, "name": "myid"})");
  EXPECT_TRUE(spec.is_id_index());
  EXPECT_TRUE(spec.unique());
  absl::StatusOr<CreateDecision> decision = DecideCreate(spec, {});
  ASSERT_OK(decision);
  EXPECT_EQ(*decision, CreateDecision::kAlreadyExists);
  EXPECT_TRUE(MustParse(R"({"key": {"_id": 1.0}, "name": "_id_", "v": 2})").is_id_index());
  // A compound key starting with _id is an ordinary index.
  EXPECT_FALSE(MustParse(R"({"key": {"_id": 1, "a": 1}})").is_id_index());
  EXPECT_FALSE(MustParse(R"({"key": {"_id": 1}, "name": "x"})").unique() == false);
  const IndexSpec id = IndexSpec::IdIndex();
  EXPECT_EQ(id.name(), "_id_");
  EXPECT_TRUE(id.is_id_index());
  EXPECT_EQ(internal::ShellString(id.ToListIndexesEntry().view()),
            R"({ v: 2, key: { _id: 1 }, name: "_id_" })");
}

TEST(IndexSpecTest, ListIndexesEntry) {
  const IndexSpec spec = MustParse(
      R"({"key": {"a": 1}, "name": "a_1", "unique": 1, "partialFilterExpression": {"a": {"$gt": 1}},
          "hidden": true})");
  EXPECT_EQ(internal::ShellString(spec.ToListIndexesEntry().view()),
            R"({ v: 2, key: { a: 1 }, name: "a_1", unique: true, partialFilterExpression: )"
            R"({ a: { $gt: 1 } }, hidden: true })");
  const IndexSpec ttl = MustParse(R"({"key": {"d": -1}, "name": "d", "expireAfterSeconds": 60})");
  EXPECT_EQ(internal::ShellString(ttl.ToListIndexesEntry().view()),
            R"({ v: 2, key: { d: -1 }, name: "d", expireAfterSeconds: 60 })");
}

TEST(IndexSpecTest, DescriptorRoundTrip) {
  IndexSpec spec = MustParse(R"({"key": {"a": 1, "b": -1}, "name": "ab", "sparse": true, "v": 1})");
  spec.set_id(42);
  MultikeyPaths multikey = {{0}, {1, 2}};
  const Document descriptor = spec.ToDescriptor(&multikey);
  EXPECT_EQ(internal::ShellString(descriptor.view()),
            R"({ id: 42, v: 1, key: { a: 1, b: -1 }, name: "ab", sparse: true, )"
            R"(multikeyPaths: [ [ 0 ], [ 1, 2 ] ] })");
  MultikeyPaths restored_multikey;
  absl::StatusOr<IndexSpec> restored =
      IndexSpec::FromDescriptor(descriptor.view(), &restored_multikey);
  ASSERT_OK(restored);
  EXPECT_EQ(restored->id(), 42u);
  EXPECT_EQ(restored->name(), "ab");
  EXPECT_EQ(restored->version(), 1);
  EXPECT_TRUE(restored->sparse());
  EXPECT_EQ(restored->Compare(spec), IndexSpec::Comparison::kIdentical);
  EXPECT_EQ(restored_multikey, multikey);
  // Without multikey paths the restored paths are all empty.
  const Document plain = spec.ToDescriptor();
  ASSERT_OK(IndexSpec::FromDescriptor(plain.view(), &restored_multikey));
  EXPECT_EQ(restored_multikey, MultikeyPaths(2));
}

TEST(IndexSpecTest, CorruptDescriptorsAreDataLoss) {
  EXPECT_THAT(IndexSpec::FromDescriptor(Json(R"({"v": 2, "key": {"a": 1}, "name": "a_1"})").view()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("valid id")));
  EXPECT_THAT(
      IndexSpec::FromDescriptor(
          Json(R"({"id": {"$numberLong": "3"}, "v": 2, "key": {"a": 0}, "name": "a"})").view()),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cannot be 0")));
  EXPECT_THAT(IndexSpec::FromDescriptor(
                  Json(R"({"id": {"$numberLong": "3"}, "v": 2, "key": {"a": 1}})").view()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("'name' field is a required")));
  MultikeyPaths multikey;
  EXPECT_THAT(IndexSpec::FromDescriptor(
                  Json(R"({"id": {"$numberLong": "3"}, "v": 2, "key": {"a": 1}, "name": "a",
                           "multikeyPaths": [[0], [1]]})")
                      .view(),
                  &multikey),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("multikeyPaths")));
}

// --- Compare / EquivalentTo / ConflictsWith / DecideCreate ---

TEST(IndexConflictTest, IdenticalRequestIsANoOp) {
  const IndexSpec existing = MustParse(R"({"key": {"a": 1}, "name": "a_1", "unique": true})");
  const IndexSpec requested = MustParse(R"({"key": {"a": 1.0}, "name": "a_1", "unique": 1})");
  EXPECT_EQ(requested.Compare(existing), IndexSpec::Comparison::kIdentical);
  EXPECT_TRUE(requested.EquivalentTo(existing));
  EXPECT_OK(requested.ConflictsWith(existing));
  absl::StatusOr<CreateDecision> decision =
      DecideCreate(requested, {IndexSpec::IdIndex(), existing});
  ASSERT_OK(decision);
  EXPECT_EQ(*decision, CreateDecision::kAlreadyExists);
}

TEST(IndexConflictTest, SameNameOtherKeyIsKeySpecsConflict) {
  const IndexSpec existing = MustParse(R"({"key": {"a": 1}, "name": "idx"})");
  const IndexSpec requested = MustParse(R"({"key": {"b": 1}, "name": "idx"})");
  EXPECT_EQ(requested.Compare(existing), IndexSpec::Comparison::kDifferent);
  const absl::Status status = requested.ConflictsWith(existing);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), kIndexKeySpecsConflict);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("An existing index has the same name as the requested index. When "
                         "index names are not specified, they are auto generated and can cause "
                         "conflicts. Please refer to our documentation. Requested index: "
                         "{ v: 2, key: { b: 1 }, name: \"idx\" }, existing index: "
                         "{ v: 2, key: { a: 1 }, name: \"idx\" }"));
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(DecideCreate(requested, {existing}).status())),
            kIndexKeySpecsConflict);
}

TEST(IndexConflictTest, SameNameOtherIdentifyingOptionIsKeySpecsConflict) {
  // unique and sparse identify an index (MongoDB 5.0+, SERVER-47657).
  const IndexSpec existing = MustParse(R"({"key": {"a": 1}, "name": "a_1"})");
  EXPECT_EQ(
      static_cast<int>(ErrorCodeOf(MustParse(R"({"key": {"a": 1}, "name": "a_1", "unique": true})")
                                       .ConflictsWith(existing))),
      kIndexKeySpecsConflict);
  EXPECT_EQ(
      static_cast<int>(ErrorCodeOf(
          MustParse(R"({"key": {"a": 1}, "name": "a_1", "partialFilterExpression": {"a": 1}})")
              .ConflictsWith(existing))),
      kIndexKeySpecsConflict);
}

TEST(IndexConflictTest, SameNameOtherOptionsIsOptionsConflict) {
  const IndexSpec existing =
      MustParse(R"({"key": {"d": 1}, "name": "d_1", "expireAfterSeconds": 60})");
  const IndexSpec requested =
      MustParse(R"({"key": {"d": 1}, "name": "d_1", "expireAfterSeconds": 120})");
  EXPECT_EQ(requested.Compare(existing), IndexSpec::Comparison::kEquivalent);
  EXPECT_FALSE(requested.EquivalentTo(existing));
  const absl::Status status = requested.ConflictsWith(existing);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), kIndexOptionsConflict);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("An equivalent index already exists with the same name but different "
                         "options. Requested index: "));
}

TEST(IndexConflictTest, OtherNameSameIndexIsOptionsConflict) {
  const IndexSpec existing = MustParse(R"({"key": {"a": 1}, "name": "a_1"})");
  const IndexSpec requested = MustParse(R"({"key": {"a": 1}, "name": "other"})");
  const absl::Status status = requested.ConflictsWith(existing);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), kIndexOptionsConflict);
  EXPECT_EQ(status.message(), "Index already exists with a different name: a_1");
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(DecideCreate(requested, {existing}).status())),
            kIndexOptionsConflict);
}

TEST(IndexConflictTest, OtherNameEquivalentIndexIsOptionsConflict) {
  const IndexSpec existing = MustParse(R"({"key": {"a": 1}, "name": "a_1"})");
  const IndexSpec requested = MustParse(R"({"key": {"a": 1}, "name": "hid", "hidden": true})");
  const absl::Status status = requested.ConflictsWith(existing);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), kIndexOptionsConflict);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("An equivalent index already exists with a different name and "
                         "options. Requested index: "));
}

TEST(IndexConflictTest, DifferentSignaturesCoexist) {
  const std::vector<IndexSpec> existing = {IndexSpec::IdIndex(),
                                           MustParse(R"({"key": {"a": 1}, "name": "a_1"})")};
  for (const char* json : {
           R"({"key": {"a": 1}, "name": "a_unique", "unique": true})",
           R"({"key": {"a": 1}, "name": "a_sparse", "sparse": true})",
           R"({"key": {"a": 1}, "name": "a_partial", "partialFilterExpression": {"b": 1}})",
           R"({"key": {"a": -1}})",
           R"({"key": {"a": 2}})",
           R"({"key": {"a": 1, "b": 1}})",
       }) {
    absl::StatusOr<CreateDecision> decision = DecideCreate(MustParse(json), existing);
    ASSERT_OK(decision) << json;
    EXPECT_EQ(*decision, CreateDecision::kCreate) << json;
  }
}

TEST(IndexConflictTest, KeyPatternComparesByValueAndOrder) {
  EXPECT_EQ(MustParse(R"({"key": {"a": 1}})")
                .Compare(MustParse(R"({"key": {"a": {"$numberLong": "1"}}})")),
            IndexSpec::Comparison::kIdentical);
  EXPECT_EQ(
      MustParse(R"({"key": {"a": 1, "b": 1}})").Compare(MustParse(R"({"key": {"b": 1, "a": 1}})")),
      IndexSpec::Comparison::kDifferent);
  EXPECT_EQ(MustParse(R"({"key": {"a": 1}, "partialFilterExpression": {"x": 1}})")
                .Compare(MustParse(R"({"key": {"a": 1}, "partialFilterExpression": {"x": 1.0}})")),
            IndexSpec::Comparison::kIdentical);
}

}  // namespace
}  // namespace strata::index
