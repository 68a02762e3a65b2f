// document::PrepareForStorage / PrepareReplacement / FindId: the rules for stored documents
// and the normal form (`_id` first) they are stored in.
#include "document/stored_document.h"

#include <bson/bson.h>

#include <set>
#include <string>
#include <vector>

#include "document/validate.h"
#include "strata/error.h"
#include "tests/support/test_util.h"

namespace strata::document {
namespace {

using ::strata::testing::Json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P(HasMongoCode, code, "") {
  *result_listener << "status is " << arg.status();
  return MongoErrorCode(arg.status()) == code;
}

std::vector<std::string> Keys(const Document& doc) {
  std::vector<std::string> keys;
  bson_iter_t it;
  if (!bson_iter_init(&it, doc.bson())) return keys;
  while (bson_iter_next(&it)) keys.emplace_back(bson_iter_key(&it));
  return keys;
}

bson_iter_t IdOf(const Document& doc) {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "_id")) << doc.ToJson();
  return it;
}

// ---- PrepareForStorage ----------------------------------------------------------------------

TEST(PrepareForStorageTest, GeneratesAnObjectIdFirstWhenMissing) {
  Document input = Json(R"({"a": 1, "b": {"c": "x"}})");
  auto stored = PrepareForStorage(input.view());
  ASSERT_OK(stored);
  EXPECT_THAT(Keys(*stored), ElementsAre("_id", "a", "b"));
  bson_iter_t id = IdOf(*stored);
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
  // The rest is unchanged.
  bson_iter_t c;
  bson_iter_t root;
  ASSERT_TRUE(bson_iter_init(&root, stored->bson()));
  ASSERT_TRUE(bson_iter_find_descendant(&root, "b.c", &c));
  EXPECT_STREQ(bson_iter_utf8(&c, nullptr), "x");
  EXPECT_OK(ValidateBson(stored->view()));
}

TEST(PrepareForStorageTest, GeneratedIdsAreDistinct) {
  std::set<std::string> ids;
  Document input = Json(R"({"a": 1})");
  for (int i = 0; i < 1000; ++i) {
    auto stored = PrepareForStorage(input.view());
    ASSERT_OK(stored);
    bson_iter_t id = IdOf(*stored);
    char hex[25];
    bson_oid_to_string(bson_iter_oid(&id), hex);
    ids.insert(hex);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(PrepareForStorageTest, NewObjectIdsAreDistinctAndIncreasing) {
  bson_oid_t a = NewObjectId();
  bson_oid_t b = NewObjectId();
  EXPECT_FALSE(bson_oid_equal(&a, &b));
  EXPECT_LT(bson_oid_compare(&a, &b), 0) << "same second, increasing counter";
}

TEST(PrepareForStorageTest, EmptyDocumentGetsAnId) {
  auto stored = PrepareForStorage(Document().view());
  ASSERT_OK(stored);
  EXPECT_THAT(Keys(*stored), ElementsAre("_id"));
}

TEST(PrepareForStorageTest, MovesAnExistingIdToTheFront) {
  Document input = Json(R"({"a": 1, "b": 2, "_id": 7, "c": 3})");
  auto stored = PrepareForStorage(input.view());
  ASSERT_OK(stored);
  EXPECT_THAT(Keys(*stored), ElementsAre("_id", "a", "b", "c"));
  EXPECT_TRUE(stored->view().BytesEqual(Json(R"({"_id": 7, "a": 1, "b": 2, "c": 3})").view()))
      << stored->ToJson();
}

TEST(PrepareForStorageTest, KeepsADocumentWithIdFirstByteForByte) {
  Document input = Json(R"({"_id": "k", "a": [1, 2], "n": null})");
  auto stored = PrepareForStorage(input.view());
  ASSERT_OK(stored);
  EXPECT_TRUE(stored->view().BytesEqual(input.view()));
}

TEST(PrepareForStorageTest, AcceptsEveryIdTypeButArrayRegexAndUndefined) {
  for (const char* json : {
           R"({"_id": 1})",
           R"({"_id": 1.5})",
           R"({"_id": "s"})",
           R"({"_id": null})",
           R"({"_id": {"a": 1, "b": [1, 2]}})",
           R"({"_id": {"$numberLong": "5"}})",
           R"({"_id": {"$oid": "546651e74bf6e4cb017c5312"}})",
           R"({"_id": true})",
           R"({"_id": {"$date": "2020-01-01T00:00:00Z"}})",
           R"({"_id": {"$minKey": 1}})",
           R"({"_id": {"$binary": {"base64": "AAEC", "subType": "00"}}})",
       }) {
    EXPECT_OK(PrepareForStorage(Json(json).view())) << json;
  }
}

TEST(PrepareForStorageTest, RejectsArrayRegexAndUndefinedIds) {
  struct Case {
    const char* json;
    const char* type;
  };
  for (const Case& c : {
           Case{R"({"_id": [1, 2]})", "array"},
           Case{R"({"a": 1, "_id": []})", "array"},
           Case{R"({"_id": {"$regularExpression": {"pattern": "a", "options": ""}}})", "regex"},
           Case{R"({"_id": {"$undefined": true}})", "undefined"},
       }) {
    auto stored = PrepareForStorage(Json(c.json).view());
    EXPECT_THAT(stored, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.type))) << c.json;
    EXPECT_THAT(stored, HasMongoCode(2)) << c.json;
    EXPECT_THAT(std::string(stored.status().message()), HasSubstr("_id")) << c.json;
  }
}

// MongoDB: "If the _id contains subfields, the subfield names cannot begin with a ($) symbol"
// (insert({_id: {$b: 1}}) fails with DollarPrefixedFieldName).
TEST(PrepareForStorageTest, RejectsDollarPrefixedNamesInsideTheId) {
  for (const char* json : {R"({"_id": {"$b": 1}})", R"({"_id": {"a": 1, "$b": 1}})"}) {
    auto stored = PrepareForStorage(Json(json).view());
    EXPECT_THAT(stored, HasMongoCode(52)) << json;
  }
}

TEST(PrepareForStorageTest, RejectsDollarPrefixedTopLevelNames) {
  for (const char* json :
       {R"({"$set": {"a": 1}})", R"({"a": 1, "$b": 2})", R"({"_id": 1, "$where": "x"})"}) {
    auto stored = PrepareForStorage(Json(json).view());
    EXPECT_THAT(stored, HasMongoCode(52)) << json;
    EXPECT_EQ(MongoErrorCodeName(stored.status()), "DollarPrefixedFieldName");
    EXPECT_THAT(std::string(stored.status().message()), HasSubstr("$")) << json;
  }
}

TEST(PrepareForStorageTest, AllowsDollarsAndDotsBelowTheTopLevel) {
  for (const char* json : {R"({"a": {"$b": 1}})", R"({"a.b": 1})", R"({"a": {"x.y": {"$z": 1}}})",
                           R"({"a": [{"$in": 1}]})", R"({"price$": 1})"}) {
    EXPECT_OK(PrepareForStorage(Json(json).view())) << json;
  }
}

TEST(PrepareForStorageTest, RejectsInvalidBson) {
  // Duplicate names (libbson's JSON parser keeps both).
  Document duplicate;
  bson_append_int32(duplicate.mutable_bson(), "a", 1, 1);
  bson_append_int32(duplicate.mutable_bson(), "a", 1, 2);
  EXPECT_THAT(PrepareForStorage(duplicate.view()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  // Invalid UTF-8 in a value.
  Document bad_utf8;
  bson_append_utf8(bad_utf8.mutable_bson(), "s", 1, "\xED\xA0\x80", 3);
  EXPECT_THAT(PrepareForStorage(bad_utf8.view()), HasMongoCode(22));
  // Garbage bytes.
  const uint8_t garbage[] = {9, 0, 0, 0, 0x10, 'a', 0, 1, 0};
  EXPECT_THAT(PrepareForStorage(DocumentView(garbage, sizeof(garbage))), HasMongoCode(22));
}

std::string Le32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// {a: {a: … {} …}} with `depth` levels of embedded documents (the top level is depth 0), built
// as raw bytes (libbson's JSON parser stops at 100 levels).
Document NestedDocument(int depth) {
  std::string bytes;
  for (int level = depth; level >= 1; --level) {
    bytes += Le32(static_cast<uint32_t>(5 + 8 * level)) +
             "\x03"
             "a" +
             '\0';
  }
  bytes += Le32(5) + '\0';
  bytes.append(static_cast<size_t>(depth), '\0');
  return Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

TEST(PrepareForStorageTest, DepthLimitAppliesToStoredDocuments) {
  EXPECT_OK(PrepareForStorage(NestedDocument(100).view()));
  EXPECT_THAT(PrepareForStorage(NestedDocument(101).view()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("100")));
  EXPECT_THAT(PrepareForStorage(NestedDocument(5000).view()), HasMongoCode(15));
}

Document BinaryDocument(const char* id_field, size_t total_size) {
  // {[_id: 1,] b: BinData(...)} of exactly total_size bytes.
  Document doc;
  size_t overhead = 4 + 1 + 3 + 5;  // prefix, terminator, type+"b\0", binary header
  if (id_field != nullptr) {
    bson_append_int32(doc.mutable_bson(), id_field, -1, 1);
    overhead += 1 + 4 + 4;  // type, "_id\0", int32
  }
  std::string payload(total_size - overhead, 'x');
  bson_append_binary(doc.mutable_bson(), "b", 1, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(payload.data()),
                     static_cast<uint32_t>(payload.size()));
  EXPECT_EQ(doc.size(), total_size);
  return doc;
}

TEST(PrepareForStorageTest, SixteenMebibyteLimit) {
  EXPECT_OK(PrepareForStorage(BinaryDocument("_id", kMaxUserDocumentSize).view()));
  auto too_large = PrepareForStorage(BinaryDocument("_id", kMaxUserDocumentSize + 1).view());
  EXPECT_THAT(too_large, HasMongoCode(10334));
  // Exactly 16 MiB without an _id: the generated _id pushes it over the limit.
  auto grown = PrepareForStorage(BinaryDocument(nullptr, kMaxUserDocumentSize).view());
  EXPECT_THAT(grown, HasMongoCode(10334));
}

// ---- PrepareReplacement ---------------------------------------------------------------------

TEST(PrepareReplacementTest, SuppliesTheStoredIdFirst) {
  Document stored = Json(R"({"_id": 42, "old": true})");
  Document replacement = Json(R"({"a": 1, "b": 2})");
  auto result = PrepareReplacement(replacement.view(), IdOf(stored));
  ASSERT_OK(result);
  EXPECT_TRUE(result->view().BytesEqual(Json(R"({"_id": 42, "a": 1, "b": 2})").view()))
      << result->ToJson();
}

TEST(PrepareReplacementTest, KeepsTheReplacementsOwnIdAndMovesItFirst) {
  Document stored = Json(R"({"_id": 42})");
  auto same = PrepareReplacement(Json(R"({"a": 1, "_id": 42})").view(), IdOf(stored));
  ASSERT_OK(same);
  EXPECT_TRUE(same->view().BytesEqual(Json(R"({"_id": 42, "a": 1})").view())) << same->ToJson();
  // A different `_id` is returned as given: the caller reports ImmutableField.
  auto different = PrepareReplacement(Json(R"({"a": 1, "_id": 43})").view(), IdOf(stored));
  ASSERT_OK(different);
  bson_iter_t id = IdOf(*different);
  EXPECT_EQ(bson_iter_as_int64(&id), 43);
  EXPECT_THAT(Keys(*different), ElementsAre("_id", "a"));
}

TEST(PrepareReplacementTest, NeverGeneratesAnId) {
  Document stored = Json(R"({"_id": {"$oid": "546651e74bf6e4cb017c5312"}})");
  auto result = PrepareReplacement(Document().view(), IdOf(stored));
  ASSERT_OK(result);
  EXPECT_TRUE(result->view().BytesEqual(stored.view()));
}

TEST(PrepareReplacementTest, AppliesTheStoredDocumentRules) {
  Document stored = Json(R"({"_id": 1})");
  EXPECT_THAT(PrepareReplacement(Json(R"({"a": 1, "$b": 1})").view(), IdOf(stored)),
              HasMongoCode(52));
  EXPECT_THAT(PrepareReplacement(Json(R"({"_id": [1]})").view(), IdOf(stored)), HasMongoCode(2));
  Document duplicate;
  bson_append_int32(duplicate.mutable_bson(), "a", 1, 1);
  bson_append_int32(duplicate.mutable_bson(), "a", 1, 2);
  EXPECT_THAT(PrepareReplacement(duplicate.view(), IdOf(stored)), HasMongoCode(22));
  EXPECT_OK(PrepareReplacement(Json(R"({"a": {"$b": 1}})").view(), IdOf(stored)));
}

// ---- FindId ---------------------------------------------------------------------------------

TEST(FindIdTest, FindsTheIdFirstOrElsewhere) {
  bson_iter_t id;
  Document first = Json(R"({"_id": 5, "a": 1})");
  ASSERT_TRUE(FindId(first.view(), &id));
  EXPECT_EQ(bson_iter_as_int64(&id), 5);
  Document later = Json(R"({"a": 1, "_id": "x"})");
  ASSERT_TRUE(FindId(later.view(), &id));
  EXPECT_STREQ(bson_iter_utf8(&id, nullptr), "x");
  EXPECT_FALSE(FindId(Json(R"({"a": 1})").view(), &id));
  EXPECT_FALSE(FindId(Document().view(), &id));
}

}  // namespace
}  // namespace strata::document
