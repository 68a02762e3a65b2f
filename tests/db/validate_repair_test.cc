// validate's self-test: a raw handle (tests/support/raw_storage.h) deletes an index entry, adds
// orphan entries, corrupts a document's bytes and edits the catalog's document count;
// validate must report exactly that, and {repair: true} must rebuild indexes and counters
// (removing the corrupt document) so that validate is clean again.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "strata/database.h"
#include "tests/support/raw_storage.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

int64_t Number(const Document& reply, const char* field) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), field) ? bson_iter_as_int64(&it) : -1;
}

bool Flag(const Document& reply, const char* field) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), field) && bson_iter_as_bool(&it);
}

// The elements of array `field` as relaxed JSON strings.
std::vector<std::string> Array(const Document& reply, const char* field) {
  std::vector<std::string> out;
  bson_iter_t it, child;
  if (!bson_iter_init_find(&it, reply.bson(), field) || !bson_iter_recurse(&it, &child)) return out;
  while (bson_iter_next(&child)) {
    if (BSON_ITER_HOLDS_DOCUMENT(&child)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&child, &length, &data);
      out.push_back(DocumentView(data, length).ToJson());
    } else if (BSON_ITER_HOLDS_UTF8(&child)) {
      out.emplace_back(bson_iter_utf8(&child, nullptr));
    } else {
      out.emplace_back("?");
    }
  }
  return out;
}

TEST(ValidateRepair, ReportsExactlyWhatWasInjectedAndRepairFixesIt) {
  TempDir dir;
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  Collection c = (*db)->GetCollection("t", "c");
  for (int i = 0; i < 30; ++i) {
    ASSERT_OK(c.InsertOne(Json(absl::StrCat("{\"_id\": ", i, ", \"a\": ", i % 5, ", \"tags\": [\"x",
                                            i % 3, "\", \"y\"]}"))
                              .view()));
  }
  ASSERT_OK(c.CreateIndex(Json(R"({"a": 1})").view()));
  ASSERT_OK(c.CreateIndex(Json(R"({"tags": 1})").view()));
  const Document validate = Json(R"({"validate": "c", "full": true, "$db": "t"})");
  ASSERT_TRUE(Flag((*db)->RunCommand(validate.view()), "valid"));

  testing::RawStorage raw(**db);
  ASSERT_OK(raw.DeleteIndexEntry("t.c", "a_1",
                                 Json(R"({"_id": 3, "a": 3, "tags": ["x0", "y"]})").view()));
  ASSERT_OK(raw.AddOrphanEntries("t.c", "a_1", Json(R"({"_id": 1000, "a": 4})").view()));
  ASSERT_OK(raw.CorruptDocument("t.c", Json(R"({"_id": 7})").view()));
  ASSERT_OK(raw.AddToStoredCount("t.c", 5));

  Document report = (*db)->RunCommand(validate.view());
  SCOPED_TRACE(report.ToJson());
  EXPECT_FALSE(Flag(report, "valid"));
  EXPECT_EQ(Number(report, "nrecords"), 30);
  EXPECT_EQ(Number(report, "nInvalidDocuments"), 1);
  // The one deleted entry: index a_1, document 3.
  std::vector<std::string> missing = Array(report, "missingIndexEntries");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_THAT(missing[0], ::testing::HasSubstr("\"indexName\": \"a_1\""));
  EXPECT_THAT(missing[0], ::testing::HasSubstr("\"recordId\": 3,"));
  // Extra: the orphan (a_1, _id 1000) and the entries of the corrupt document 7, which
  // validate leaves out of the index checks (a_1: 2; tags_1: "x1", "y").
  std::vector<std::string> extra = Array(report, "extraIndexEntries");
  EXPECT_EQ(extra.size(), 4u) << ::testing::PrintToString(extra);
  int a_entries = 0, tags_entries = 0;
  for (const std::string& entry : extra) {
    a_entries += entry.find("\"a_1\"") != std::string::npos;
    tags_entries += entry.find("\"tags_1\"") != std::string::npos;
  }
  EXPECT_EQ(a_entries, 2);
  EXPECT_EQ(tags_entries, 2);
  // The catalog edit: the stored count is 5 too high.
  EXPECT_THAT(Array(report, "errors"),
              ::testing::Contains(
                  ::testing::HasSubstr("fast count (35) does not match number of records (30)")));

  const Document repair = Json(R"({"validate": "c", "full": true, "repair": true, "$db": "t"})");
  Document repaired = (*db)->RunCommand(repair.view());
  SCOPED_TRACE(repaired.ToJson());
  EXPECT_EQ(Number(repaired, "ok"), 1);
  EXPECT_TRUE(Flag(repaired, "repaired"));
  EXPECT_TRUE(Flag(repaired, "valid"));
  EXPECT_EQ(Number(repaired, "numRemovedCorruptRecords"), 1);
  EXPECT_EQ(Number(repaired, "numInsertedMissingIndexEntries"), 1);
  EXPECT_EQ(Number(repaired, "numRemovedExtraIndexEntries"), 4);
  EXPECT_EQ(Number(repaired, "nrecords"), 29);

  Document after = (*db)->RunCommand(validate.view());
  EXPECT_TRUE(Flag(after, "valid")) << after.ToJson();
  EXPECT_EQ(Number(after, "nrecords"), 29);
  auto count = c.CountDocuments();
  ASSERT_OK(count);
  EXPECT_EQ(*count, 29);
  // The rebuilt index answers: a = 2 is _id 2, 12, 17, 22, 27 (7 is gone).
  auto with_a2 = c.CountDocuments(Json(R"({"a": 2})").view());
  ASSERT_OK(with_a2);
  EXPECT_EQ(*with_a2, 5);
  EXPECT_OK((*db)->Close());
}

}  // namespace
}  // namespace strata
