// Tests of the index entry layout (index/index_key_layout.h): golden bytes, round trips for
// unique and non-unique indexes, order of entries, ranges, and corruption detection.
#include "index/index_key_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "document/key_string.h"
#include "index/key_generator.h"
#include "index/key_types.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

IndexSpec MakeSpec(const std::string& json, IndexId id) {
  absl::StatusOr<IndexSpec> spec = IndexSpec::Parse(Json(json).view());
  EXPECT_TRUE(spec.ok()) << spec.status();
  IndexSpec out = spec.ok() ? *std::move(spec) : IndexSpec::IdIndex();
  out.set_id(id);
  return out;
}

// The ascending key string of the `_id` of `doc`.
std::string IdKeyString(const Document& doc) {
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "_id"));
  return document::EncodeKeyString(it);
}

std::vector<std::string> Keys(const IndexSpec& spec, const Document& doc) {
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, doc.view());
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? keys->keys : std::vector<std::string>{};
}

TEST(IndexKeyLayoutTest, GoldenBytes) {
  EXPECT_EQ(IndexPrefix(1), std::string("\x00\x00\x00\x01", 4));
  EXPECT_EQ(IndexPrefix(0x01020304), "\x01\x02\x03\x04");
  EXPECT_EQ(IndexIdOf(std::string("\x00\x00\x01\x00rest", 8)), 256u);
  const IndexSpec spec = MakeSpec(R"({"key": {"a": 1}})", 7);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  const Document doc = Json(R"({"_id": 2, "a": 1})");
  const std::string key = Keys(spec, doc).at(0);
  // int 1 is 1E 50 80 00 00 (the example in document/key_string.cc).
  EXPECT_EQ(key, std::string("\x1E\x50\x80\x00\x00", 5));
  EXPECT_EQ(IndexEntryKey(format, key, IdKeyString(doc)),
            std::string("\x00\x00\x00\x07", 4) + key + IdKeyString(doc));
  EXPECT_EQ(IndexEntryValue(format, IdKeyString(doc), ""), "");
}

// Entry format 1: the value carries one type code per key part (after the `_id` key string of
// a unique index); the key bytes are those of format 0.
TEST(IndexKeyLayoutTest, TypedValuesGoldenBytesAndRoundTrip) {
  IndexSpec spec = MakeSpec(R"({"key": {"a": 1, "b": -1}})", 7);
  spec.set_entry_format(kTypedEntryFormat);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  ASSERT_TRUE(format.typed);
  const Document doc = Json(R"({"_id": 2, "a": 1, "b": {"$numberLong": "5"}})");
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, doc.view());
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->key_types, std::vector<std::string>{"\x10\x12"});  // int32, int64
  const std::string entry = IndexEntryKey(format, keys->keys[0], IdKeyString(doc));
  EXPECT_EQ(IndexEntryValue(format, IdKeyString(doc), keys->key_types[0]), "\x10\x12");
  absl::StatusOr<IndexEntry> decoded = DecodeIndexEntry(format, entry, "\x10\x12");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key, keys->keys[0]);
  EXPECT_EQ(decoded->id_key_string, IdKeyString(doc));
  EXPECT_EQ(decoded->key_types, "\x10\x12");
  EXPECT_THAT(DecodeIndexEntry(format, entry, "\x10"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("one type per key part")));

  spec = MakeSpec(R"({"key": {"a": 1, "b": -1}, "unique": true})", 7);
  spec.set_entry_format(kTypedEntryFormat);
  const IndexEntryFormat unique = IndexEntryFormat::For(spec);
  const std::string value = IndexEntryValue(unique, IdKeyString(doc), "\x10\x12");
  EXPECT_EQ(value, IdKeyString(doc) + "\x10\x12");
  EXPECT_EQ(*UniqueEntryIdKey(unique, value), IdKeyString(doc));
  decoded = DecodeIndexEntry(unique, IndexEntryKey(unique, keys->keys[0], ""), value);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id_key_string, IdKeyString(doc));
  EXPECT_EQ(decoded->key_types, "\x10\x12");
  EXPECT_THAT(UniqueEntryIdKey(unique, "\x1E"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id part")));
  // The catalog records the format; descriptors without it are format 0.
  absl::StatusOr<IndexSpec> reread = IndexSpec::FromDescriptor(spec.ToDescriptor().view());
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->entry_format(), kTypedEntryFormat);
  EXPECT_EQ(IndexSpec::FromDescriptor(
                MakeSpec(R"({"key": {"a": 1}, "name": "a_1"})", 3).ToDescriptor().view())
                ->entry_format(),
            kUntypedEntryFormat);
}

TEST(IndexKeyLayoutTest, NonUniqueRoundTrip) {
  const IndexSpec compound = MakeSpec(R"({"key": {"a": 1, "b.c": -1}})", 12);
  const IndexEntryFormat format = IndexEntryFormat::For(compound);
  EXPECT_FALSE(format.unique);
  EXPECT_EQ(format.descending, (std::vector<bool>{false, true}));
  for (
      const char* json :
      {R"({"_id": {"$oid": "0123456789abcdef01234567"}, "a": [1, "x"], "b": {"c": {"d": [null]}}})",
       R"({"_id": "s\u0000t", "a": {"z": [1, 2]}, "b": [{"c": 1.5}]})",
       R"({"_id": {"k": [1]}, "b": {"c": {"$numberDecimal": "-1E-400"}}})"}) {
    const Document doc = Json(json);
    const std::string id = IdKeyString(doc);
    for (const std::string& key : Keys(compound, doc)) {
      const std::string entry = IndexEntryKey(format, key, id);
      absl::StatusOr<IndexEntry> decoded =
          DecodeIndexEntry(format, entry, IndexEntryValue(format, id, ""));
      ASSERT_OK(decoded);
      EXPECT_EQ(decoded->key, key) << json;
      EXPECT_EQ(decoded->id_key_string, id) << json;
    }
  }
}

TEST(IndexKeyLayoutTest, UniqueRoundTripAndProbe) {
  const IndexSpec spec = MakeSpec(R"({"key": {"email": 1}, "unique": true})", 3);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  EXPECT_TRUE(format.unique);
  const Document doc = Json(R"({"_id": 5, "email": "a@b"})");
  const std::string key = Keys(spec, doc).at(0);
  const std::string entry = IndexEntryKey(format, key, IdKeyString(doc));
  // The entry key does not depend on the document: it is the probe key.
  EXPECT_EQ(entry, UniqueProbeKey(3, key));
  EXPECT_EQ(entry, IndexPrefix(3) + key);
  EXPECT_EQ(IndexEntryValue(format, IdKeyString(doc), ""), IdKeyString(doc));
  const std::string value = IdKeyString(doc);  // the decoded entry's views point into it
  absl::StatusOr<IndexEntry> decoded = DecodeIndexEntry(format, entry, value);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->key, key);
  EXPECT_EQ(decoded->id_key_string, IdKeyString(doc));
}

TEST(IndexKeyLayoutTest, EntriesSortByKeyThenId) {
  const IndexSpec spec = MakeSpec(R"({"key": {"a": 1}})", 1);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  std::vector<std::pair<std::string, std::string>> expected_order;  // (a, _id) as JSON
  std::vector<std::string> entries;
  // _id values straddle the byte values of the key part, which prefix-freeness makes harmless.
  for (const char* json :
       {R"({"_id": 2, "a": 10})", R"({"_id": 1, "a": 10})", R"({"_id": "z", "a": 9})",
        R"({"_id": -5, "a": "x"})", R"({"_id": 3})", R"({"_id": 100, "a": 9.5})"}) {
    const Document doc = Json(json);
    for (const std::string& key : Keys(spec, doc)) {
      entries.push_back(IndexEntryKey(format, key, IdKeyString(doc)));
    }
  }
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> ids;
  for (const std::string& entry : entries) {
    absl::StatusOr<IndexEntry> decoded = DecodeIndexEntry(format, entry, "");
    ASSERT_OK(decoded);
    ids.push_back(std::string(decoded->id_key_string));
  }
  auto id = [](const char* json) {
    const Document doc = Json(json);
    return IdKeyString(doc);
  };
  // null (missing a) < 9 < 9.5 < 10 (_id 1, then 2) < "x".
  EXPECT_EQ(ids, (std::vector<std::string>{id(R"({"_id": 3})"), id(R"({"_id": "z"})"),
                                           id(R"({"_id": 100})"), id(R"({"_id": 1})"),
                                           id(R"({"_id": 2})"), id(R"({"_id": -5})")}));
}

TEST(IndexKeyLayoutTest, WholeIndexRange) {
  const KeyRange range = IndexEntryRange(5);
  EXPECT_EQ(range.start, IndexPrefix(5));
  EXPECT_EQ(range.limit, IndexPrefix(6));
  const KeyRange last = IndexEntryRange(0xFFFFFFFF);
  EXPECT_EQ(last.start, "\xFF\xFF\xFF\xFF");
  EXPECT_EQ(last.limit, "\xFF\xFF\xFF\xFF\xFF");
  // Every entry of index 5 is inside, entries of 4 and 6 are not.
  const IndexSpec spec = MakeSpec(R"({"key": {"a": -1}})", 5);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  for (const char* json : {R"({"_id": 1, "a": {"$minKey": 1}})",
                           R"({"_id": 1, "a": {"$maxKey": 1}})", R"({"_id": {"$maxKey": 1}})"}) {
    const Document doc = Json(json);
    for (const std::string& key : Keys(spec, doc)) {
      const std::string entry = IndexEntryKey(format, key, IdKeyString(doc));
      EXPECT_GE(entry, range.start);
      EXPECT_LT(entry, range.limit);
      EXPECT_LT(entry, IndexPrefix(5) + "\xFF");
      EXPECT_GE(entry, IndexEntryRange(4).limit);
      EXPECT_LT(entry, IndexEntryRange(6).start);
    }
  }
  const KeyRange sub = IndexEntryRangeFor(5, KeyRange{"\x1E", "\x28"});
  EXPECT_EQ(sub.start, IndexPrefix(5) + "\x1E");
  EXPECT_EQ(sub.limit, IndexPrefix(5) + "\x28");
}

TEST(IndexKeyLayoutTest, CorruptEntriesAreDataLoss) {
  const IndexSpec spec = MakeSpec(R"({"key": {"a": 1, "b": 1}})", 9);
  const IndexEntryFormat format = IndexEntryFormat::For(spec);
  const Document doc = Json(R"({"_id": 1, "a": "x", "b": 2})");
  const std::string entry = IndexEntryKey(format, Keys(spec, doc).at(0), IdKeyString(doc));
  EXPECT_THAT(DecodeIndexEntry(format, "\x00\x00", ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not belong")));
  EXPECT_THAT(DecodeIndexEntry(format, IndexPrefix(8) + entry.substr(4), ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not belong")));
  EXPECT_THAT(DecodeIndexEntry(format, entry.substr(0, 8), ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry key")));
  EXPECT_THAT(DecodeIndexEntry(format, entry + "\x14", ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id part")));
  EXPECT_THAT(DecodeIndexEntry(format, entry.substr(0, entry.size() - 1), ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id part")));
  IndexEntryFormat unique = format;
  unique.unique = true;
  EXPECT_THAT(DecodeIndexEntry(unique, entry, IdKeyString(doc)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("trailing")));
  const std::string unique_entry = IndexEntryKey(unique, Keys(spec, doc).at(0), "");
  EXPECT_THAT(DecodeIndexEntry(unique, unique_entry, ""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("_id part")));
}

}  // namespace
}  // namespace strata::index
