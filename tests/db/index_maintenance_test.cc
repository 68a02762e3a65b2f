// Index maintenance: every write path (insert, update, replace, delete, findAndModify, upsert)
// keeps every kind of index (single, compound with mixed directions, multikey, unique, sparse,
// partial, hidden) exactly right. The checks read the `indexes` column family directly and
// compare it with entries computed from the stored documents by index::KeyGenerator +
// index::IndexEntryKey, and the entry counters with what is there. Also: duplicate keys and
// unindexable documents reject the whole document write, index builds (sorted batches, unique
// failures, progress, multikey paths), and unfinished builds removed on reopen.
#include <bson/bson.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "db/index_builder.h"
#include "document/key_string.h"
#include "tests/db/index_test_util.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::ActualEntries;
using ::strata::testing::AllIndexesConsistent;
using ::strata::testing::CatalogHas;
using ::strata::testing::CatalogIndex;
using ::strata::testing::EntriesPerIndex;
using ::strata::testing::EntryMap;
using ::strata::testing::FindCatalogIndex;
using ::strata::testing::HasPath;
using ::strata::testing::IndexIsConsistent;
using ::strata::testing::IntAt;
using ::strata::testing::Json;
using ::strata::testing::LambdaPredicate;
using ::strata::testing::LatestSequence;
using ::strata::testing::NumberField;
using ::strata::testing::OkOf;
using ::strata::testing::PersistedMultikeyPaths;
using ::strata::testing::StrAt;
using ::strata::testing::TestDb;
using ::strata::testing::WalWritesSince;
using ::testing::HasSubstr;

constexpr char kNs[] = "test.c";

// Everything in the three column families (iterators apply the statistics merge operator).
struct Dump {
  std::map<std::string, EntryMap> column_families;
  bool operator==(const Dump&) const = default;
};

Dump DumpAll(const engine::StorageEngine& engine) {
  Dump dump;
  const std::pair<const char*, rocksdb::ColumnFamilyHandle*> cfs[] = {
      {"catalog", engine.catalog()},
      {"documents", engine.documents()},
      {"indexes", engine.indexes()}};
  for (const auto& [name, cf] : cfs) {
    EntryMap& entries = dump.column_families[name];
    std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      entries.emplace(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok());
  }
  return dump;
}

std::string DescribeDumpDifference(const Dump& before, const Dump& after) {
  std::string out;
  for (const auto& [name, entries] : after.column_families) {
    const EntryMap& old_entries = before.column_families.at(name);
    if (entries != old_entries) {
      absl::StrAppend(&out, "\n", name, ":",
                      ::strata::testing::DescribeDifference(old_entries, entries));
    }
  }
  return out;
}

#define EXPECT_UNCHANGED(before)                                                         \
  do {                                                                                   \
    Dump after_dump = DumpAll(db_.engine());                                             \
    EXPECT_TRUE(after_dump == (before)) << DescribeDumpDifference((before), after_dump); \
  } while (0)

class IndexMaintenanceTest : public ::testing::Test {
 protected:
  explicit IndexMaintenanceTest(DatabaseOptions options = TestDb::DefaultOptions())
      : db_(std::move(options)) {}

  Document Run(absl::string_view json) { return db_.Run(json); }

  // Runs a write command that must succeed without write errors.
  Document Write(absl::string_view json) {
    Document reply = Run(json);
    EXPECT_EQ(OkOf(reply), 1.0) << json << " → " << reply.ToJson();
    EXPECT_FALSE(HasPath(reply, "writeErrors")) << json << " → " << reply.ToJson();
    return reply;
  }

  void CreateIndexes(absl::string_view specs_json, absl::string_view collection = "c") {
    Document reply = Run(
        absl::StrCat(R"({"createIndexes": ")", collection, R"(", "indexes": [)", specs_json, "]}"));
    ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  }

  // The write error of a one-statement write command: {code, errmsg}.
  void ExpectWriteError(const Document& reply, int code, const std::string& message_part = "") {
    EXPECT_EQ(OkOf(reply), 1.0) << reply.ToJson();
    EXPECT_EQ(IntAt(reply, "writeErrors.0.code"), code) << reply.ToJson();
    EXPECT_THAT(StrAt(reply, "writeErrors.0.errmsg"), HasSubstr(message_part)) << reply.ToJson();
  }

  void ExpectCommandError(const Document& reply, int code, const std::string& message_part = "") {
    EXPECT_EQ(OkOf(reply), 0.0) << reply.ToJson();
    EXPECT_EQ(IntAt(reply, "code"), code) << reply.ToJson();
    EXPECT_THAT(StrAt(reply, "errmsg"), HasSubstr(message_part)) << reply.ToJson();
  }

  std::optional<Document> FindById(int id, absl::string_view collection = "c") {
    Document reply =
        Run(absl::StrCat(R"({"find": ")", collection, R"(", "filter": {"_id": )", id, "}}"));
    bson_iter_t it, doc;
    if (bson_iter_init(&it, reply.bson()) &&
        bson_iter_find_descendant(&it, "cursor.firstBatch.0", &doc) &&
        BSON_ITER_HOLDS_DOCUMENT(&doc)) {
      uint32_t length;
      const uint8_t* data;
      bson_iter_document(&doc, &length, &data);
      return Document::Copy(DocumentView(data, length));
    }
    return std::nullopt;
  }

  engine::IndexId IdOf(absl::string_view name, absl::string_view ns = kNs) {
    std::optional<CatalogIndex> index = FindCatalogIndex(db_.impl(), ns, name);
    EXPECT_TRUE(index.has_value()) << name;
    return index.has_value() ? index->spec.id() : 0;
  }

  size_t EntryCount(absl::string_view name, absl::string_view ns = kNs) {
    return ActualEntries(db_.engine(), IdOf(name, ns)).size();
  }

  int64_t Count(absl::string_view collection = "c") {
    return IntAt(Run(absl::StrCat(R"({"count": ")", collection, R"("})")), "n");
  }

  TestDb db_;
};

#define EXPECT_CONSISTENT() EXPECT_TRUE(AllIndexesConsistent(db_.impl(), kNs))

// ---- every write path, every index kind ----------------------------------------------------

// The same script of writes, run against one index kind at a time; after every step the
// index holds exactly what the documents imply.
struct KindCase {
  const char* name;
  const char* spec;
};

class IndexEveryWritePathTest : public IndexMaintenanceTest,
                                public ::testing::WithParamInterface<KindCase> {};

TEST_P(IndexEveryWritePathTest, KeepsEntriesExact) {
  CreateIndexes(GetParam().spec);
  const char* script[] = {
      R"({"insert": "c", "documents": [
           {"_id": 1, "a": 1, "b": 1, "t": [1, 2]}, {"_id": 2, "a": "x", "b": -1},
           {"_id": 3, "b": 2}, {"_id": 4, "a": null, "t": []}, {"_id": 5, "a": {"k": 1}, "b": [3]},
           {"_id": 6, "a": 1.5, "b": 9, "t": [[1, 2], 3]}, {"_id": 7, "a": 7, "b": 7, "t": 7},
           {"_id": 8, "a": [8, 9], "b": 8}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 10}}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$unset": {"a": 1}}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 3}, "u": {"$set": {"a": 6, "b": 0}}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 6}, "u": {"$push": {"t": 4}}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$pull": {"t": 1}}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 7}, "u": {"$set": {"t": [7, 8]}}}]})",
      R"({"update": "c", "updates": [{"q": {"b": {"$gte": 7}}, "u": {"$inc": {"b": 100}},
                                      "multi": true}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 3}, "u": {"a": "replaced", "t": [5]}}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 20}, "u": {"$set": {"a": 20, "b": 20}},
                                      "upsert": true}]})",
      R"({"update": "c", "updates": [{"q": {"_id": 21}, "u": {"a": 21, "t": [21, 22]},
                                      "upsert": true}]})",
      R"({"findAndModify": "c", "query": {"_id": 5}, "update": {"$set": {"a": 55}}, "new": true})",
      R"({"findAndModify": "c", "query": {"_id": 2}, "update": {"a": 2, "b": 2}})",
      R"({"findAndModify": "c", "query": {"_id": 30}, "update": {"$set": {"a": 30}},
          "upsert": true})",
      R"({"findAndModify": "c", "query": {"_id": 6}, "remove": true})",
      R"({"delete": "c", "deletes": [{"q": {"_id": 4}, "limit": 1}]})",
      R"({"delete": "c", "deletes": [{"q": {"b": {"$gt": 100}}, "limit": 0}]})",
      R"({"insert": "c", "documents": [{"_id": 7, "a": 7, "b": 7}]})",
      R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})",
  };
  for (const char* step : script) {
    SCOPED_TRACE(step);
    Write(step);
    EXPECT_CONSISTENT();
  }
  EXPECT_EQ(Count(), 0);
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
}

INSTANTIATE_TEST_SUITE_P(
    IndexKinds, IndexEveryWritePathTest,
    ::testing::Values(
        KindCase{"Single", R"({"key": {"a": 1}, "name": "i"})"},
        KindCase{"Descending", R"({"key": {"a": -1}, "name": "i"})"},
        KindCase{"CompoundMixed", R"({"key": {"a": 1, "b": -1}, "name": "i"})"},
        KindCase{"Multikey", R"({"key": {"t": 1}, "name": "i"})"},
        KindCase{"CompoundMultikey", R"({"key": {"t": -1, "a": 1}, "name": "i"})"},
        KindCase{"Sparse", R"({"key": {"a": 1}, "name": "i", "sparse": true})"},
        KindCase{"SparseCompound", R"({"key": {"a": 1, "t": 1}, "name": "i", "sparse": true})"},
        KindCase{"Partial",
                 R"({"key": {"a": 1}, "name": "i", "partialFilterExpression": {"b": {"$gt": 1}}})"},
        KindCase{"Hidden", R"({"key": {"b": 1}, "name": "i", "hidden": true})"},
        KindCase{"UniqueOnId", R"({"key": {"_id": 1, "a": 1}, "name": "i", "unique": true})"},
        KindCase{"All",
                 R"({"key": {"a": 1}, "name": "i1"}, {"key": {"b": -1, "a": 1}, "name": "i2"},
                         {"key": {"t": 1}, "name": "i3"}, {"key": {"a": 1}, "name": "i4",
                          "sparse": true, "unique": true}, {"key": {"b": 1}, "name": "i5",
                          "partialFilterExpression": {"a": {"$type": "number"}}})"}),
    [](const ::testing::TestParamInfo<KindCase>& info) { return std::string(info.param.name); });

// ---- compound order -----------------------------------------------------------------------

TEST_F(IndexMaintenanceTest, CompoundMixedDirectionsScanInIndexOrder) {
  CreateIndexes(R"({"key": {"a": 1, "b": -1}, "name": "a_1_b_-1"})");
  // (a, b, _id) for 24 documents, inserted in a scrambled order.
  std::vector<std::tuple<int, int, int>> rows;
  std::string docs;
  for (int i = 0; i < 24; ++i) {
    int id = (i * 7) % 24;
    int a = id % 3, b = (id * 5) % 4;
    rows.emplace_back(a, b, id);
    absl::StrAppend(&docs, i == 0 ? "" : ", ", R"({"_id": )", id, R"(, "a": )", a, R"(, "b": )", b,
                    "}");
  }
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
  EXPECT_CONSISTENT();
  // a ascending, then b descending, then _id ascending.
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) < std::get<0>(y);
    if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) > std::get<1>(y);
    return std::get<2>(x) < std::get<2>(y);
  });
  std::optional<CatalogIndex> index = FindCatalogIndex(db_.impl(), kNs, "a_1_b_-1");
  ASSERT_TRUE(index.has_value());
  index::IndexEntryFormat format = index::IndexEntryFormat::For(index->spec);
  std::vector<std::string> scanned, expected;
  for (const auto& [key, value] : ActualEntries(db_.engine(), index->spec.id())) {
    auto decoded = index::DecodeIndexEntry(format, key, value);
    ASSERT_OK(decoded);
    scanned.emplace_back(decoded->id_key_string);
  }
  for (const auto& row : rows) {
    Document id;
    bson_append_int32(id.mutable_bson(), "_id", 3, std::get<2>(row));
    bson_iter_t it;
    bson_iter_init_find(&it, id.bson(), "_id");
    expected.push_back(document::EncodeKeyString(it));
  }
  EXPECT_EQ(scanned, expected);
}

// ---- multikey ------------------------------------------------------------------------------

TEST_F(IndexMaintenanceTest, MultikeyPathsArePersistedAndSurviveReopen) {
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"a.b": 1, "c": -1}, "name": "ab_c"},
                   {"key": {"s": 1}, "name": "s_1"})");
  engine::IndexId t = IdOf("t_1"), ab = IdOf("ab_c"), s = IdOf("s_1");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "t": 1, "a": {"b": 1}, "c": 1, "s": 1}]})");
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), t).has_value());
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), ab).has_value());

  Write(R"({"insert": "c", "documents": [{"_id": 2, "t": [1, 2], "a": [{"b": 1}, {"b": 2}],
                                          "c": 1, "s": 2}]})");
  EXPECT_CONSISTENT();
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), t), (index::MultikeyPaths{{0}}));
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), ab), (index::MultikeyPaths{{0}, {}}));
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), s).has_value());

  // An update widens the compound index's paths to its second part.
  Write(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"c": [1, 2]}}}]})");
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), ab), (index::MultikeyPaths{{0}, {0}}));
  // Paths never shrink, even when the arrays go away.
  Write(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})");
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), t), (index::MultikeyPaths{{0}}));

  db_.Reopen();
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), t), (index::MultikeyPaths{{0}}));
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), ab), (index::MultikeyPaths{{0}, {0}}));
  auto compiled = db_.impl().index_cache().Get(db_.impl().catalog().Find(kNs));
  ASSERT_OK(compiled);
  EXPECT_TRUE((*compiled)->FindByName("t_1")->multikey());
  EXPECT_EQ((*compiled)->FindByName("ab_c")->multikey_paths(), (index::MultikeyPaths{{0}, {0}}));
  EXPECT_FALSE((*compiled)->FindByName("s_1")->multikey());
}

// The multikey record commits with the entries that need it: a document rejected after its
// array was indexed leaves no record behind.
TEST_F(IndexMaintenanceTest, RejectedDocumentLeavesNoMultikeyRecord) {
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"u": 1}, "name": "u_1",
                   "unique": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "t": 1, "u": 1}]})");
  Dump before = DumpAll(db_.engine());
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 2, "t": [1, 2], "u": 1}]})"), 11000,
                   "dup key: { u: 1 }");
  EXPECT_UNCHANGED(before);
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), IdOf("t_1")).has_value());
  Write(R"({"insert": "c", "documents": [{"_id": 2, "t": [1, 2], "u": 2}]})");
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), IdOf("t_1")), (index::MultikeyPaths{{0}}));
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, CannotIndexParallelArrays) {
  CreateIndexes(R"({"key": {"a": 1, "b": 1}, "name": "a_1_b_1"})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": [1, 2], "b": 1}]})");
  Dump before = DumpAll(db_.engine());

  // Insert: the document is rejected, an ordered insert stops there.
  Document reply = Run(R"({"insert": "c", "documents": [{"_id": 2, "a": [1, 2], "b": [3, 4]},
                                                        {"_id": 3, "a": 1}]})");
  EXPECT_EQ(IntAt(reply, "n"), 0) << reply.ToJson();
  ExpectWriteError(reply, 171, "cannot index parallel arrays [b] [a]");
  EXPECT_EQ(StrAt(reply, "writeErrors.0.codeName"), "CannotIndexParallelArrays");
  EXPECT_UNCHANGED(before);

  // Update / replace / upsert / findAndModify: the document stays as it was.
  ExpectWriteError(
      Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"b": [5, 6]}}}]})"), 171,
      "cannot index parallel arrays");
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                      "u": {"a": [1], "b": [2]}}]})"),
                   171);
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 9},
                                                      "u": {"$set": {"a": [1], "b": [2]}},
                                                      "upsert": true}]})"),
                   171);
  ExpectCommandError(Run(R"({"findAndModify": "c", "query": {"_id": 1},
                             "update": {"$set": {"b": [5, 6]}}})"),
                     171, "cannot index parallel arrays");
  EXPECT_UNCHANGED(before);
  EXPECT_EQ(FindById(1)->ToJson(), R"({"_id": 1, "a": [1, 2], "b": 1})");

  // createIndexes over a document with parallel arrays fails and leaves no index behind.
  Write(R"({"insert": "c", "documents": [{"_id": 2, "x": [1, 2], "y": [3, 4]}]})");
  Dump before_build = DumpAll(db_.engine());
  ExpectCommandError(Run(R"({"createIndexes": "c",
                             "indexes": [{"key": {"x": 1, "y": 1}, "name": "x_1_y_1"}]})"),
                     171, "cannot index parallel arrays [y] [x]");
  EXPECT_FALSE(FindCatalogIndex(db_.impl(), kNs, "x_1_y_1").has_value());
  EXPECT_CONSISTENT();
  // Only the id counter moved.
  Dump after_build = DumpAll(db_.engine());
  EXPECT_EQ(after_build.column_families["indexes"], before_build.column_families["indexes"]);
  EXPECT_EQ(after_build.column_families["documents"], before_build.column_families["documents"]);
}

// ---- unique --------------------------------------------------------------------------------

TEST_F(IndexMaintenanceTest, UniqueIndexRejectsDuplicatesOnEveryWritePath) {
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"t": 1}, "name": "t_1"})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "u": 1, "t": [1]}, {"_id": 2, "u": 2}]})");
  const std::string dup = "E11000 duplicate key error collection: test.c index: u_1 dup key: ";

  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 3, "u": 1, "t": [3, 4]}]})"), 11000,
                   dup + "{ u: 1 }");
  // Numerically equal values are the same key.
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 3, "u": 2.0}]})"), 11000, dup);
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 3, "u": {"$numberLong": "1"}}]})"),
                   11000, dup);
  ExpectWriteError(
      Run(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"u": 1}}}]})"), 11000,
      dup + "{ u: 1 }");
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"u": 1}}]})"), 11000,
                   dup + "{ u: 1 }");
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 9}, "u": {"$set": {"u": 2}},
                                                      "upsert": true}]})"),
                   11000, dup + "{ u: 2 }");
  ExpectCommandError(Run(R"({"findAndModify": "c", "query": {"_id": 2},
                             "update": {"$set": {"u": 1}}})"),
                     11000, dup + "{ u: 1 }");
  ExpectCommandError(Run(R"({"findAndModify": "c", "query": {"_id": 9},
                             "update": {"$set": {"u": 1}}, "upsert": true})"),
                     11000, dup + "{ u: 1 }");
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"u": {"$gte": 1}},
                                                      "u": {"$set": {"u": 7}},
                                                      "multi": true}]})"),
                   11000, dup + "{ u: 7 }");
  // Every rejected write left its document as it was, except the multi update, whose first
  // document (in _id order) took u: 7 before the second collided: MongoDB's multi updates are
  // not atomic either.
  EXPECT_EQ(FindById(1)->ToJson(), R"({"_id": 1, "u": 7, "t": [1]})");
  EXPECT_EQ(FindById(2)->ToJson(), R"({"_id": 2, "u": 2})");
  EXPECT_FALSE(FindById(3).has_value());
  EXPECT_FALSE(FindById(9).has_value());
  EXPECT_CONSISTENT();

  // A document may keep its own key; a freed key can be taken.
  Write(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"u": 2, "x": 1}}}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"u": 3}}}]})");
  Write(R"({"insert": "c", "documents": [{"_id": 3, "u": 2}]})");
  Write(R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 9}, "u": {"$set": {"u": 2}},
                                        "upsert": true}]})");
  EXPECT_CONSISTENT();
}

// MongoDB attaches DuplicateKeyErrorInfo to E11000 errors: the write error (and a command
// error such as findAndModify's) carries keyPattern and keyValue, which drivers expose
// (pymongo's DuplicateKeyError.details).
TEST_F(IndexMaintenanceTest, DuplicateKeyErrorCarriesKeyPatternAndKeyValue) {
  CreateIndexes(R"({"key": {"a": 1, "b": -1}, "name": "ab", "unique": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "b": "x"}]})");
  Document reply = Run(R"({"insert": "c", "documents": [{"_id": 2, "a": 1, "b": "x"}]})");
  ExpectWriteError(reply, 11000, "dup key: { a: 1, b: \"x\" }");
  bson_iter_t it, found;
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "writeErrors.0.keyPattern", &found) &&
              BSON_ITER_HOLDS_DOCUMENT(&found))
      << reply.ToJson();
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "writeErrors.0.keyValue", &found) &&
              BSON_ITER_HOLDS_DOCUMENT(&found))
      << reply.ToJson();
  EXPECT_THAT(reply.ToJson(), HasSubstr(R"("keyPattern": {"a": 1, "b": -1})"));
  EXPECT_THAT(reply.ToJson(), HasSubstr(R"("keyValue": {"a": 1, "b": "x"})"));
  // The _id index too, and findAndModify's command error.
  EXPECT_THAT(Run(R"({"insert": "c", "documents": [{"_id": 1}]})").ToJson(),
              HasSubstr(R"("keyPattern": {"_id": 1}, "keyValue": {"_id": 1})"));
  EXPECT_THAT(Run(R"({"findAndModify": "c", "query": {"_id": 5}, "update": {"a": 1, "b": "x"},
                      "upsert": true})")
                  .ToJson(),
              HasSubstr(R"("keyPattern": {"a": 1, "b": -1}, "keyValue": {"a": 1, "b": "x"})"));
}

TEST_F(IndexMaintenanceTest, RejectedDuplicateChangesNothing) {
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"u": 1}, "name": "u_1",
                   "unique": true}, {"key": {"v": -1}, "name": "v_-1"})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "u": 1, "t": [1, 2], "v": 1}]})");
  Dump before = DumpAll(db_.engine());
  // t_1 (before u_1) and v_-1 (after it): neither keeps an entry of the rejected document,
  // and no counter moves.
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 2, "u": 1, "t": [5], "v": 5}]})"),
                   11000);
  EXPECT_UNCHANGED(before);
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 9},
                                                      "u": {"u": 1, "t": [9], "v": 9},
                                                      "upsert": true}]})"),
                   11000);
  EXPECT_UNCHANGED(before);
}

TEST_F(IndexMaintenanceTest, CompoundUniqueIndex) {
  CreateIndexes(R"({"key": {"a": 1, "b": -1}, "name": "ab", "unique": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "b": 1}, {"_id": 2, "a": 1, "b": 2},
                                         {"_id": 3, "a": 2, "b": 1}, {"_id": 4, "a": 1}]})");
  Dump before = DumpAll(db_.engine());
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 5, "a": 1, "b": 1}]})"), 11000,
                   "index: ab dup key: { a: 1, b: 1 }");
  // {a: 1} and {a: 1, b: null} share the key (1, null).
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 5, "a": 1, "b": null}]})"), 11000,
                   "dup key: { a: 1, b: null }");
  ExpectWriteError(
      Run(R"({"update": "c", "updates": [{"q": {"_id": 3}, "u": {"$set": {"a": 1}}}]})"), 11000,
      "dup key: { a: 1, b: 1 }");
  EXPECT_UNCHANGED(before);
  Write(R"({"insert": "c", "documents": [{"_id": 5, "a": 2, "b": 2}, {"_id": 6, "b": 1}]})");
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, UniqueNullAndMissing) {
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"s": 1}, "name": "s_1", "unique": true, "sparse": true},
                   {"key": {"x": 1, "y": 1}, "name": "xy", "unique": true, "sparse": true})");
  // Non-sparse unique: a missing field is a null key, so two such documents collide.
  Write(R"({"insert": "c", "documents": [{"_id": 1}]})");
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 2}]})"), 11000,
                   "index: u_1 dup key: { u: null }");
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 2, "u": null}]})"), 11000,
                   "index: u_1 dup key: { u: null }");
  // Sparse unique: documents without the field are not indexed and never collide…
  Write(R"({"insert": "c", "documents": [{"_id": 2, "u": 2}, {"_id": 3, "u": 3}]})");
  EXPECT_EQ(EntryCount("s_1"), 0u);
  // …but an explicit null is a value, indexed and unique.
  Write(R"({"insert": "c", "documents": [{"_id": 4, "u": 4, "s": null}]})");
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 5, "u": 5, "s": null}]})"), 11000,
                   "index: s_1 dup key: { s: null }");
  EXPECT_EQ(EntryCount("s_1"), 1u);
  // Compound sparse: a document with one of the fields is indexed (the other null).
  Write(R"({"insert": "c", "documents": [{"_id": 5, "u": 5, "x": 1}]})");
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 6, "u": 6, "x": 1, "y": null}]})"),
                   11000, "index: xy dup key: { x: 1, y: null }");
  Write(R"({"insert": "c", "documents": [{"_id": 6, "u": 6, "y": 1}]})");
  EXPECT_EQ(EntryCount("xy"), 2u);
  // Unsetting moves a document out of the sparse index, freeing its key.
  Write(R"({"update": "c", "updates": [{"q": {"_id": 4}, "u": {"$unset": {"s": 1}}}]})");
  Write(R"({"insert": "c", "documents": [{"_id": 7, "u": 7, "s": null}]})");
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, UniqueMultikey) {
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true})");
  // One document may repeat a value: its keys are deduplicated.
  Write(R"({"insert": "c", "documents": [{"_id": 1, "u": [1, 2, 2, 1.0]}]})");
  EXPECT_EQ(EntryCount("u_1"), 2u);
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 2, "u": [3, 2]}]})"), 11000,
                   "dup key: { u: 2 }");
  // The document moves its own keys: 2 stays, 1 goes, 3 comes.
  Write(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"u": [2, 3]}}}]})");
  Write(R"({"insert": "c", "documents": [{"_id": 2, "u": [1, 4]}]})");
  ExpectWriteError(Run(R"({"update": "c", "updates": [{"q": {"_id": 2},
                                                      "u": {"$push": {"u": 3}}}]})"),
                   11000, "dup key: { u: 3 }");
  EXPECT_CONSISTENT();
}

// ---- sparse, partial, hidden ---------------------------------------------------------------

TEST_F(IndexMaintenanceTest, SparseIndexHoldsOnlyDocumentsWithTheField) {
  CreateIndexes(R"({"key": {"s": 1}, "name": "s_1", "sparse": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2, "s": 1}, {"_id": 3, "s": null},
                                         {"_id": 4, "s": []}, {"_id": 5, "t": 1}]})");
  EXPECT_EQ(EntryCount("s_1"), 3u);
  Write(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"s": 5}}}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$unset": {"s": 1}}}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 5}, "u": {"$set": {"t": 2}}}]})");
  EXPECT_EQ(EntryCount("s_1"), 3u);
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, PartialIndexFollowsDocumentsInAndOut) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1",
                    "partialFilterExpression": {"a": {"$gt": 5}}},
                   {"key": {"u": 1}, "name": "u_1", "unique": true,
                    "partialFilterExpression": {"u": {"$gte": 0}}})");
  // The filter written again in C++, independently of query/match.
  LambdaPredicate a_gt_5([](DocumentView doc) {
    std::optional<double> a = NumberField(doc, "a");
    return a.has_value() && *a > 5;
  });
  LambdaPredicate u_gte_0([](DocumentView doc) {
    std::optional<double> u = NumberField(doc, "u");
    return u.has_value() && *u >= 0;
  });
  std::string docs;
  for (int i = 1; i <= 10; ++i) {
    absl::StrAppend(&docs, i == 1 ? "" : ", ", R"({"_id": )", i, R"(, "a": )", i, "}");
  }
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
  EXPECT_EQ(EntryCount("a_1"), 5u);
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), kNs, "a_1", &a_gt_5));
  Write(R"({"update": "c", "updates": [{"q": {"_id": 3}, "u": {"$set": {"a": 8}}}]})");  // in
  Write(R"({"update": "c", "updates": [{"q": {"_id": 9}, "u": {"$set": {"a": 2}}}]})");  // out
  Write(R"({"update": "c", "updates": [{"q": {"_id": 10}, "u": {"$set": {"a": "x"}}}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 7}, "u": {"$set": {"a": 70}}}]})");
  EXPECT_EQ(EntryCount("a_1"), 4u);  // 6, 7 (70), 8, 3 (8); not 9 (2) nor 10 ("x")
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), kNs, "a_1", &a_gt_5));
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), kNs, "u_1", &u_gte_0));

  // Partial unique: documents outside the filter never collide.
  Write(R"({"update": "c", "updates": [{"q": {"_id": {"$lte": 3}}, "u": {"$set": {"u": -1}},
                                        "multi": true}]})");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 4}, "u": {"$set": {"u": 4}}}]})");
  ExpectWriteError(
      Run(R"({"update": "c", "updates": [{"q": {"_id": 5}, "u": {"$set": {"u": 4}}}]})"), 11000,
      "index: u_1 dup key: { u: 4 }");
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), kNs, "u_1", &u_gte_0));
  EXPECT_EQ(EntryCount("u_1"), 1u);
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, HiddenIndexesAreMaintainedAndUniqueOnesEnforced) {
  CreateIndexes(R"({"key": {"h": 1}, "name": "h_1", "hidden": true},
                   {"key": {"u": 1}, "name": "u_1", "unique": true, "hidden": true})");
  Write(
      R"({"insert": "c", "documents": [{"_id": 1, "h": 1, "u": 1}, {"_id": 2, "h": 2, "u": 2}]})");
  ExpectWriteError(Run(R"({"insert": "c", "documents": [{"_id": 3, "u": 1}]})"), 11000,
                   "index: u_1 dup key: { u: 1 }");
  Write(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"h": 10}}}]})");
  Write(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
  EXPECT_EQ(EntryCount("h_1"), 1u);
  EXPECT_CONSISTENT();
}

// ---- insertMany with a duplicate in the middle ---------------------------------------------

TEST_F(IndexMaintenanceTest, OrderedInsertManyStopsAtTheDuplicate) {
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"u": 1}, "name": "u_1",
                   "unique": true})");
  Document reply = Run(R"({"insert": "c", "ordered": true, "documents": [
      {"_id": 1, "u": 1, "t": [1, 2]}, {"_id": 2, "u": 2, "t": 2}, {"_id": 3, "u": 1, "t": [3]},
      {"_id": 4, "u": 4, "t": 4}]})");
  EXPECT_EQ(IntAt(reply, "n"), 2) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "writeErrors.0.index"), 2) << reply.ToJson();
  ExpectWriteError(reply, 11000, "dup key: { u: 1 }");
  EXPECT_FALSE(HasPath(reply, "writeErrors.1")) << reply.ToJson();
  EXPECT_TRUE(FindById(1).has_value());
  EXPECT_TRUE(FindById(2).has_value());
  EXPECT_FALSE(FindById(3).has_value());
  EXPECT_FALSE(FindById(4).has_value());
  EXPECT_EQ(EntryCount("u_1"), 2u);
  EXPECT_EQ(EntryCount("t_1"), 3u);  // 1 and 2 of document 1, 2 of document 2
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, UnorderedInsertManySkipsOnlyTheDuplicates) {
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"u": 1}, "name": "u_1",
                   "unique": true})");
  Document reply = Run(R"({"insert": "c", "ordered": false, "documents": [
      {"_id": 1, "u": 1, "t": [1, 2]}, {"_id": 2, "u": 2, "t": 2}, {"_id": 3, "u": 1, "t": [3]},
      {"_id": 4, "u": 4, "t": 4}, {"_id": 5, "u": 2}, {"_id": 6, "a": [1], "u": 6}]})");
  EXPECT_EQ(IntAt(reply, "n"), 4) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "writeErrors.0.index"), 2) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "writeErrors.0.code"), 11000) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "writeErrors.1.index"), 4) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "writeErrors.1.code"), 11000) << reply.ToJson();
  for (int id : {1, 2, 4, 6}) EXPECT_TRUE(FindById(id).has_value()) << id;
  for (int id : {3, 5}) EXPECT_FALSE(FindById(id).has_value()) << id;
  EXPECT_EQ(EntryCount("u_1"), 4u);
  EXPECT_EQ(EntryCount("t_1"), 5u);  // 1, 2 (doc 1), 2 (doc 2), 4, null (doc 6)
  EXPECT_CONSISTENT();
}

// ---- updates that leave indexed fields alone ------------------------------------------------

TEST_F(IndexMaintenanceTest, UpdateLeavingIndexedFieldsAloneWritesNoIndexEntry) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"t": 1, "a": -1}, "name": "t_a"},
                   {"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"p": 1}, "name": "p_1", "partialFilterExpression": {"p": {"$gt": 0}}},
                   {"key": {"s": 1}, "name": "s_1", "sparse": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "t": [1, 2], "u": 1, "p": 1,
                                          "s": 1, "x": 0}]})");
  const uint32_t indexes_cf = db_.engine().indexes()->GetID();
  const uint32_t documents_cf = db_.engine().documents()->GetID();
  auto index_writes_of = [&](absl::string_view command) {
    rocksdb::SequenceNumber before = LatestSequence(db_.engine());
    Write(command);
    auto writes = WalWritesSince(db_.engine(), before, indexes_cf);
    EXPECT_EQ(writes.per_cf[documents_cf], 1) << command;
    return writes.per_cf[indexes_cf];
  };
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                            "u": {"$inc": {"x": 1}}}]})"),
            0);
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                            "u": {"$set": {"y": [1, 2]}}}]})"),
            0);
  // Replacement keeping the indexed values (a multikey array reordered is the same keys).
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
      "u": {"a": 1, "t": [2, 1], "u": 1, "p": 1, "s": 1, "z": 1}}]})"),
            0);
  // Numerically equal values of another type are the same key, but typed entries
  // (index/key_types.h) record the type for covered queries: a_1's and u_1's entries are
  // rewritten in place (t_a's keys come from an array, whose types are never recorded).
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
      "u": {"a": 1.0, "t": [2, 1], "u": {"$numberLong": "1"}, "p": 1, "s": 1, "z": 1}}]})"),
            2);
  EXPECT_EQ(index_writes_of(R"({"findAndModify": "c", "query": {"_id": 1},
                                "update": {"$set": {"z": 2}}})"),
            0);
  // Changing one indexed field: one delete and one put per affected key.
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                            "u": {"$set": {"s": 2}}}]})"),
            2);
  // a is in two indexes; t_a has two keys (t: 1 and t: 2) that both change.
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                            "u": {"$set": {"a": 5}}}]})"),
            6);
  // Growing an array adds one key, no delete.
  EXPECT_EQ(index_writes_of(R"({"update": "c", "updates": [{"q": {"_id": 1},
                                                            "u": {"$push": {"t": 3}}}]})"),
            1);
  EXPECT_CONSISTENT();
}

// ---- deletes ------------------------------------------------------------------------------

TEST_F(IndexMaintenanceTest, DeleteManyAcrossTransactionChunks) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"u": 1}, "name": "u_1",
                   "unique": true})");
  std::string docs;
  for (int i = 0; i < 2500; ++i) {
    absl::StrAppend(&docs, i == 0 ? "" : ", ", R"({"_id": )", i, R"(, "a": )", i % 10, R"(, "u": )",
                    i, "}");
  }
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
  EXPECT_CONSISTENT();
  Write(R"({"delete": "c", "deletes": [{"q": {"a": {"$lt": 7}}, "limit": 0}]})");
  EXPECT_EQ(Count(), 750);
  EXPECT_CONSISTENT();
  Write(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})");
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
  EXPECT_CONSISTENT();
}

TEST_F(IndexMaintenanceTest, RenamedCollectionKeepsItsIndexes) {
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "u": 1}]})");
  Document reply = db_.Run(R"({"renameCollection": "test.c", "to": "test.d", "$db": "admin"})");
  ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  ExpectWriteError(Run(R"({"insert": "d", "documents": [{"_id": 2, "u": 1}]})"), 11000,
                   "E11000 duplicate key error collection: test.d index: u_1 dup key: { u: 1 }");
  Write(R"({"insert": "d", "documents": [{"_id": 2, "u": 2}]})");
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.d"));
  EXPECT_EQ(EntryCount("u_1", "test.d"), 2u);
}

TEST_F(IndexMaintenanceTest, RenameOverAnIndexedTargetDropsTheTargetsEntries) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"})");
  CreateIndexes(R"({"key": {"b": 1}, "name": "b_1"})", "d");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
  Write(R"({"insert": "d", "documents": [{"_id": 1, "b": 1}, {"_id": 2, "b": [2, 3]}]})");
  engine::IndexId b = IdOf("b_1", "test.d");
  Document reply = db_.Run(
      R"({"renameCollection": "test.c", "to": "test.d", "dropTarget": true, "$db": "admin"})");
  ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(EntriesPerIndex(db_.engine()).count(b), 0u);
  EXPECT_FALSE(CatalogHas(db_.engine(), engine::IndexStatsKey(b)));
  EXPECT_FALSE(CatalogHas(db_.engine(), engine::MultikeyPathsKey(b)));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.d"));
}

TEST_F(IndexMaintenanceTest, DropDatabaseRemovesEveryIndexEntry) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"})");
  CreateIndexes(R"({"key": {"b": 1}, "name": "b_1", "unique": true})", "d");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": [1, 2]}]})");
  Write(R"({"insert": "d", "documents": [{"_id": 1, "b": 1}]})");
  Document reply = Run(R"({"dropDatabase": 1})");
  ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
  // Only the id counters are left in the catalog.
  Dump dump = DumpAll(db_.engine());
  for (const auto& [key, value] : dump.column_families["catalog"]) {
    EXPECT_EQ(key[0], 'm') << ::strata::testing::Hex(key);
  }
}

// An insert of more documents than one transaction takes (1000) stops at the duplicate in its
// second transaction: the first transaction and the documents before the duplicate land.
TEST_F(IndexMaintenanceTest, OrderedInsertSpanningTransactionsStopsAtTheDuplicate) {
  CreateIndexes(R"({"key": {"u": 1}, "name": "u_1", "unique": true},
                   {"key": {"t": 1}, "name": "t_1"})");
  std::string docs;
  for (int i = 0; i < 1500; ++i) {
    absl::StrAppend(&docs, i == 0 ? "" : ", ", R"({"_id": )", i, R"(, "u": )", i == 1200 ? 7 : i,
                    R"(, "t": [)", i % 3, "]}");
  }
  Document reply = Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}"));
  EXPECT_EQ(IntAt(reply, "n"), 1200) << StrAt(reply, "writeErrors.0.errmsg");
  EXPECT_EQ(IntAt(reply, "writeErrors.0.index"), 1200);
  EXPECT_EQ(IntAt(reply, "writeErrors.0.code"), 11000);
  EXPECT_EQ(Count(), 1200);
  EXPECT_EQ(EntryCount("u_1"), 1200u);
  EXPECT_CONSISTENT();
  // Unordered: everything but the duplicates.
  reply = Run(absl::StrCat(R"({"insert": "c", "ordered": false, "documents": [)", docs, "]}"));
  EXPECT_EQ(IntAt(reply, "n"), 299) << reply.ToJson().substr(0, 300);  // 1201..1499
  EXPECT_EQ(Count(), 1499);
  EXPECT_CONSISTENT();
}

// ---- index builds --------------------------------------------------------------------------

// Documents with scalars, arrays, nested documents and missing fields.
std::string BuildDocuments(int n, int first_id = 0) {
  std::string docs;
  for (int i = first_id; i < first_id + n; ++i) {
    absl::StrAppend(&docs, i == first_id ? "" : ", ", R"({"_id": )", i);
    if (i % 11 != 0) absl::StrAppend(&docs, R"(, "a": )", (i * 37) % 101);
    if (i % 3 == 0)
      absl::StrAppend(&docs, R"(, "t": [)", i % 5, ", ", i % 7, ", \"s", i % 4, "\"]");
    if (i % 3 == 1) absl::StrAppend(&docs, R"(, "t": )", i % 13);
    absl::StrAppend(&docs, R"(, "n": {"x": ")", std::string(static_cast<size_t>(i % 17), 'x'),
                    R"(", "y": )", i % 2 == 0 ? "true" : "null", "}");
    absl::StrAppend(&docs, R"(, "u": )", i, "}");
  }
  return docs;
}

constexpr char kBuildSpecs[] =
    R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"t": -1, "a": 1}, "name": "t_a"},
       {"key": {"n.x": 1, "n.y": -1}, "name": "n"}, {"key": {"u": 1}, "name": "u_1", "unique": true},
       {"key": {"t": 1}, "name": "t_sparse", "sparse": true},
       {"key": {"a": -1}, "name": "a_partial", "partialFilterExpression": {"a": {"$gte": 50}}})";

// The entries of index `name` without the 4-byte index id (comparable across indexes).
EntryMap EntriesWithoutPrefix(const engine::StorageEngine& engine, engine::IndexId id) {
  EntryMap stripped;
  for (const auto& [key, value] : ActualEntries(engine, id)) stripped.emplace(key.substr(4), value);
  return stripped;
}

class IndexBuildTest : public IndexMaintenanceTest {
 protected:
  static DatabaseOptions SmallBudget() {
    DatabaseOptions options = TestDb::DefaultOptions();
    options.index_build_memory_bytes = 4096;
    options.progress = [](std::string_view line) {
      absl::MutexLock lock(&progress_mu_);
      progress_lines_.emplace_back(line);
    };
    return options;
  }
  IndexBuildTest() : IndexMaintenanceTest(SmallBudget()) {
    absl::MutexLock lock(&progress_mu_);
    progress_lines_.clear();
  }
  static std::vector<std::string> ProgressLines() {
    absl::MutexLock lock(&progress_mu_);
    return progress_lines_;
  }

  static absl::Mutex progress_mu_;
  static std::vector<std::string> progress_lines_;
};
absl::Mutex IndexBuildTest::progress_mu_;
std::vector<std::string> IndexBuildTest::progress_lines_;

TEST_F(IndexBuildTest, BuildInSortedBatchesEqualsIncrementalMaintenance) {
  constexpr int kDocs = 1200;
  // "inc": indexes first, then the documents; "built": the other way round.
  CreateIndexes(kBuildSpecs, "inc");
  const std::string docs = BuildDocuments(kDocs);
  Write(absl::StrCat(R"({"insert": "inc", "documents": [)", docs, "]}"));
  Write(absl::StrCat(R"({"insert": "built", "documents": [)", docs, "]}"));
  const uint32_t indexes_cf = db_.engine().indexes()->GetID();
  rocksdb::SequenceNumber before = LatestSequence(db_.engine());
  CreateIndexes(kBuildSpecs, "built");
  auto writes = WalWritesSince(db_.engine(), before, indexes_cf);
  // A 4 KiB budget forces many sorted batches.
  EXPECT_GT(writes.batches_touching, 20);

  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.inc"));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.built"));
  for (const char* name : {"a_1", "t_a", "n", "u_1", "t_sparse", "a_partial"}) {
    SCOPED_TRACE(name);
    engine::IndexId inc = IdOf(name, "test.inc"), built = IdOf(name, "test.built");
    EntryMap inc_entries = EntriesWithoutPrefix(db_.engine(), inc);
    EXPECT_FALSE(inc_entries.empty());
    EXPECT_TRUE(inc_entries == EntriesWithoutPrefix(db_.engine(), built));
    auto inc_stats = engine::ReadIndexStats(db_.engine(), inc);
    auto built_stats = engine::ReadIndexStats(db_.engine(), built);
    ASSERT_OK(inc_stats);
    ASSERT_OK(built_stats);
    EXPECT_EQ(inc_stats->count, built_stats->count);
    EXPECT_EQ(inc_stats->data_bytes, built_stats->data_bytes);
    EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), inc),
              PersistedMultikeyPaths(db_.engine(), built));
  }
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), IdOf("t_a", "test.built")),
            (index::MultikeyPaths{{0}, {}}));
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), IdOf("a_1", "test.built")).has_value());

  // The built indexes are maintained from then on like the others.
  Write(R"({"update": "built", "updates": [{"q": {"_id": {"$lt": 100}}, "u": {"$inc": {"a": 1}},
                                            "multi": true}]})");
  Write(R"({"delete": "built", "deletes": [{"q": {"_id": {"$gte": 1000}}, "limit": 0}]})");
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.built"));
}

TEST_F(IndexBuildTest, ProgressIsReported) {
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", BuildDocuments(100), "]}"));
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"}, {"key": {"u": 1}, "name": "u_1"})");
  std::vector<std::string> lines = ProgressLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("Index build: test.c a_1, u_1: 100/100 documents (100%)"));
  EXPECT_THAT(lines.back(), HasSubstr("done"));
  // An index build over an empty collection reports too (and builds nothing).
  CreateIndexes(R"({"key": {"z": 1}, "name": "z_1"})", "empty");
  EXPECT_THAT(ProgressLines().back(), HasSubstr("test.empty z_1: 0/0 documents"));
}

TEST_F(IndexBuildTest, UniqueBuildOverDuplicatesFailsAndLeavesNothing) {
  // Duplicates far apart (across sorted batches) and adjacent (in one batch).
  for (bool far_apart : {true, false}) {
    SCOPED_TRACE(far_apart ? "far apart" : "adjacent");
    std::string collection = far_apart ? "far" : "near";
    std::string ns = "test." + collection;
    Write(absl::StrCat(R"({"insert": ")", collection, R"(", "documents": [)", BuildDocuments(600),
                       "]}"));
    Write(absl::StrCat(R"({"insert": ")", collection, R"(", "documents": [{"_id": 5000, "u": )",
                       far_apart ? 3 : 599, R"(, "a": 1}]})"));
    Dump before = DumpAll(db_.engine());
    Document reply = Run(absl::StrCat(R"({"createIndexes": ")", collection, R"(", "indexes": [
        {"key": {"a": 1}, "name": "a_1"}, {"key": {"u": 1}, "name": "u_1", "unique": true}]})"));
    ExpectCommandError(reply, 11000,
                       absl::StrCat("E11000 duplicate key error collection: ", ns,
                                    " index: u_1 dup key: { u: ", far_apart ? 3 : 599, " }"));
    EXPECT_TRUE(FindCatalogIndex(db_.impl(), ns, "a_1") == std::nullopt);
    EXPECT_TRUE(FindCatalogIndex(db_.impl(), ns, "u_1") == std::nullopt);
    EXPECT_TRUE(AllIndexesConsistent(db_.impl(), ns));
    Dump after = DumpAll(db_.engine());
    EXPECT_EQ(after.column_families["indexes"], before.column_families["indexes"])
        << ::strata::testing::DescribeDifference(before.column_families["indexes"],
                                                 after.column_families["indexes"]);
    EXPECT_EQ(after.column_families["documents"], before.column_families["documents"]);
    // No counters or multikey records of the failed indexes: the catalog differs only by the
    // index id counter.
    EntryMap catalog_before = before.column_families["catalog"];
    EntryMap catalog_after = after.column_families["catalog"];
    catalog_before.erase(engine::NextIndexIdKey());
    catalog_after.erase(engine::NextIndexIdKey());
    EXPECT_EQ(catalog_after, catalog_before)
        << ::strata::testing::DescribeDifference(catalog_before, catalog_after);
    // Writes go on; without the index the duplicate values are fine.
    Write(
        absl::StrCat(R"({"insert": ")", collection, R"(", "documents": [{"_id": 5001, "u": 3}]})"));
    EXPECT_TRUE(AllIndexesConsistent(db_.impl(), ns));
  }
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
}

TEST_F(IndexBuildTest, BuildRecordsMultikeyPathsThatSurviveReopen) {
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", BuildDocuments(300), "]}"));
  CreateIndexes(R"({"key": {"t": 1}, "name": "t_1"}, {"key": {"n.x": 1}, "name": "nx"})");
  engine::IndexId t = IdOf("t_1"), nx = IdOf("nx");
  EXPECT_EQ(PersistedMultikeyPaths(db_.engine(), t), (index::MultikeyPaths{{0}}));
  EXPECT_FALSE(PersistedMultikeyPaths(db_.engine(), nx).has_value());
  db_.Reopen();
  auto compiled = db_.impl().index_cache().Get(db_.impl().catalog().Find(kNs));
  ASSERT_OK(compiled);
  EXPECT_EQ((*compiled)->FindByName("t_1")->multikey_paths(), (index::MultikeyPaths{{0}}));
  EXPECT_FALSE((*compiled)->FindByName("nx")->multikey());
  EXPECT_CONSISTENT();
}

// IndexBuilder on its own: the sorted batches really are bounded by the budget.
TEST_F(IndexMaintenanceTest, IndexBuilderWritesBoundedBatches) {
  Write(absl::StrCat(R"({"insert": "c", "documents": [)", BuildDocuments(500), "]}"));
  engine::CollectionHandle collection = db_.impl().catalog().Find(kNs);
  ASSERT_NE(collection, nullptr);
  auto spec = index::IndexSpec::Parse(Json(R"({"key": {"t": 1, "a": -1}, "name": "t_a"})").view());
  ASSERT_OK(spec);
  auto id = db_.impl().catalog().AllocateIndexId();
  ASSERT_OK(id);
  spec->set_id(*id);
  std::vector<engine::IndexEntry> entries;
  entries.push_back(engine::IndexEntry{*id, spec->ToDescriptor(), /*ready=*/false});
  auto building = db_.impl().catalog().SetIndexes(kNs, std::move(entries));
  ASSERT_OK(building);
  auto compiled = db_.impl().index_cache().Get(*building);
  ASSERT_OK(compiled);
  std::vector<std::string> lines;
  db::IndexBuilder builder(&db_.engine(), 2048,
                           [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_OK(builder.Build(**compiled, {(*compiled)->all()[0].get()}));
  EXPECT_EQ(builder.stats().documents, 500);
  EXPECT_GT(builder.stats().batches, 30);
  EXPECT_EQ(static_cast<size_t>(builder.stats().keys), ActualEntries(db_.engine(), *id).size());
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("500/500 documents (100%)"));
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), kNs, "t_a"));
}

// ---- unfinished builds ---------------------------------------------------------------------

TEST_F(IndexMaintenanceTest, UnfinishedBuildIsRemovedOnReopen) {
  CreateIndexes(R"({"key": {"a": 1}, "name": "a_1"})");
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "b": [1, 2]}, {"_id": 2, "a": 2}]})");
  db_.Close();

  // A crash in the middle of a build: the catalog lists b_1 not ready, with some entries,
  // counters and a multikey record already written.
  engine::IndexId unfinished = 0;
  {
    auto engine = engine::StorageEngine::Open(db_.path(), TestDb::DefaultOptions());
    ASSERT_OK(engine);
    auto catalog = engine::Catalog::Load(engine->get());
    ASSERT_OK(catalog);
    engine::CollectionHandle collection = (*catalog)->Find(kNs);
    ASSERT_NE(collection, nullptr);
    auto spec = index::IndexSpec::Parse(Json(R"({"key": {"b": 1}, "name": "b_1"})").view());
    ASSERT_OK(spec);
    auto id = (*catalog)->AllocateIndexId();
    ASSERT_OK(id);
    unfinished = *id;
    spec->set_id(unfinished);
    std::vector<engine::IndexEntry> entries;
    for (const engine::IndexEntry& entry : collection->indexes) entries.push_back(entry.Clone());
    entries.push_back(engine::IndexEntry{unfinished, spec->ToDescriptor(), /*ready=*/false});
    ASSERT_OK((*catalog)->SetIndexes(kNs, std::move(entries)));
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(
        batch.Put((*engine)->indexes(), index::IndexPrefix(unfinished) + "\x2b\x02", "").ok());
    ASSERT_TRUE(
        batch.Put((*engine)->indexes(), index::IndexPrefix(unfinished) + "\x2b\x04", "").ok());
    ASSERT_TRUE(batch
                    .Merge((*engine)->catalog(), engine::IndexStatsKey(unfinished),
                           engine::EncodeStatsDelta(2, 12))
                    .ok());
    Document paths = db::EncodeMultikeyPaths(index::MultikeyPaths{{0}});
    ASSERT_TRUE(batch
                    .Put((*engine)->catalog(), engine::MultikeyPathsKey(unfinished),
                         rocksdb::Slice(reinterpret_cast<const char*>(paths.data()), paths.size()))
                    .ok());
    ASSERT_OK((*engine)->WriteBatchUnlocked(&batch, "simulating a build"));
    ASSERT_OK((*engine)->Close());
  }

  db_.Open();
  EXPECT_FALSE(FindCatalogIndex(db_.impl(), kNs, "b_1").has_value());
  EXPECT_TRUE(FindCatalogIndex(db_.impl(), kNs, "a_1").has_value());
  EXPECT_EQ(EntriesPerIndex(db_.engine()).count(unfinished), 0u);
  EXPECT_FALSE(CatalogHas(db_.engine(), engine::IndexStatsKey(unfinished)));
  EXPECT_FALSE(CatalogHas(db_.engine(), engine::MultikeyPathsKey(unfinished)));
  EXPECT_CONSISTENT();
  // Writes and a new build of the same index work.
  Write(R"({"insert": "c", "documents": [{"_id": 3, "a": 3, "b": 3}]})");
  CreateIndexes(R"({"key": {"b": 1}, "name": "b_1"})");
  EXPECT_GT(IdOf("b_1"), unfinished);
  EXPECT_EQ(EntryCount("b_1"), 4u);
  EXPECT_CONSISTENT();
  db_.Reopen();
  EXPECT_CONSISTENT();
}

// An index left not ready in a running database (its build failed to mark it ready) is not
// listed, but is kept up to date by writes until the reopen removes it.
TEST_F(IndexMaintenanceTest, NotReadyIndexIsHiddenFromListIndexes) {
  Write(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
  auto spec = index::IndexSpec::Parse(Json(R"({"key": {"a": 1}, "name": "a_1"})").view());
  ASSERT_OK(spec);
  std::vector<engine::IndexEntry> entries;
  entries.push_back(engine::IndexEntry{0, spec->ToDescriptor(), /*ready=*/false});
  auto handle = db_.impl().catalog().SetIndexes(kNs, std::move(entries));
  ASSERT_OK(handle);
  Document reply = Run(R"({"listIndexes": "c"})");
  EXPECT_EQ(reply.ToJson(),
            R"({"cursor": {"firstBatch": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "id": 0, )"
            R"("ns": "test.c"}, "ok": 1.0})");
  db_.Reopen();
  EXPECT_TRUE(db_.impl().catalog().Find(kNs)->indexes.empty());
  EXPECT_CONSISTENT();
}

}  // namespace
}  // namespace strata
