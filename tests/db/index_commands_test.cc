// createIndexes, dropIndexes and listIndexes through the command dispatcher: MongoDB's reply
// shapes (numIndexesBefore/After, createdCollectionAutomatically, notes, nIndexesWas), its
// errors and codes, and what each command leaves in the catalog and the `indexes` column
// family.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "base/error_codes.h"
#include "strata/collection.h"
#include "tests/db/index_test_util.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::AllIndexesConsistent;
using ::strata::testing::CatalogHas;
using ::strata::testing::CatalogIndexes;
using ::strata::testing::EntriesPerIndex;
using ::strata::testing::FindCatalogIndex;
using ::strata::testing::IndexIsConsistent;
using ::strata::testing::IntAt;
using ::strata::testing::Json;
using ::strata::testing::OkOf;
using ::strata::testing::StrAt;
using ::strata::testing::TestDb;
using ::testing::HasSubstr;

class IndexCommandsTest : public ::testing::Test {
 protected:
  Document Run(absl::string_view json) { return db_.Run(json); }
  Document Run(const Document& command) { return db_.Run(command); }

  void ExpectOk(const Document& reply) { EXPECT_EQ(OkOf(reply), 1.0) << reply.ToJson(); }

  void ExpectError(const Document& reply, int code, const std::string& code_name,
                   const std::string& message_part = "") {
    EXPECT_EQ(OkOf(reply), 0.0) << reply.ToJson();
    EXPECT_EQ(IntAt(reply, "code"), code) << reply.ToJson();
    EXPECT_EQ(StrAt(reply, "codeName"), code_name) << reply.ToJson();
    EXPECT_THAT(StrAt(reply, "errmsg"), HasSubstr(message_part)) << reply.ToJson();
  }

  void Insert(absl::string_view documents_json) {
    Document reply = Run(absl::StrCat(R"({"insert": "c", "documents": )", documents_json, "}"));
    ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
    ASSERT_FALSE(::strata::testing::HasPath(reply, "writeErrors")) << reply.ToJson();
  }

  void CreateIndex(absl::string_view spec_json) {
    Document reply = Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", spec_json, "]}"));
    ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  }

  // The names listIndexes shows, in order.
  std::vector<std::string> IndexNames(absl::string_view collection = "c") {
    Document reply = Run(absl::StrCat(R"({"listIndexes": ")", collection, R"("})"));
    std::vector<std::string> names;
    bson_iter_t it, batch;
    if (!bson_iter_init(&it, reply.bson()) ||
        !bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) ||
        !BSON_ITER_HOLDS_ARRAY(&batch)) {
      ADD_FAILURE() << reply.ToJson();
      return names;
    }
    bson_iter_t entry;
    bson_iter_recurse(&batch, &entry);
    while (bson_iter_next(&entry)) {
      bson_iter_t name;
      if (bson_iter_recurse(&entry, &name) && bson_iter_find(&name, "name")) {
        names.emplace_back(bson_iter_utf8(&name, nullptr));
      }
    }
    return names;
  }

  std::string ListIndexesJson(absl::string_view collection = "c") {
    return Run(absl::StrCat(R"({"listIndexes": ")", collection, R"("})")).ToJson();
  }

  TestDb db_;
};

using StrVec = std::vector<std::string>;

// ---- createIndexes: reply shapes ------------------------------------------------------------

TEST_F(IndexCommandsTest, CreateOnMissingCollectionCreatesIt) {
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 1, "numIndexesAfter": 2, "createdCollectionAutomatically": )"
            R"(true, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
  EXPECT_TRUE(IndexIsConsistent(db_.impl(), "test.c", "a_1"));
}

TEST_F(IndexCommandsTest, CreateOnExistingCollection) {
  Insert(R"([{"_id": 1, "a": 5}, {"_id": 2, "a": 3}, {"_id": 3}])");
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
                                                            {"key": {"b": -1}, "name": "b_-1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 1, "numIndexesAfter": 3, "createdCollectionAutomatically": )"
            R"(false, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "b_-1"}));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
  // Each index has one entry per document (the missing fields are null keys).
  for (const auto& index : CatalogIndexes(db_.impl(), "test.c")) {
    EXPECT_EQ(::strata::testing::ActualEntries(db_.engine(), index.spec.id()).size(), 3u);
    EXPECT_TRUE(index.ready);
  }
}

TEST_F(IndexCommandsTest, AllIndexesAlreadyExist) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 2, "numIndexesAfter": 2, "note": "all indexes already exist", )"
            R"("ok": 1.0})");
  // The _id index spec is "already there" too.
  reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"_id": 1}, "name": "_id_"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 2, "numIndexesAfter": 2, "note": "all indexes already exist", )"
            R"("ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
}

// MongoDB (create_indexes_cmd.cpp appendFinalIndexFieldsToResult): when some but not all of
// the requested indexes already exist, the reply carries note "index already exists".
TEST_F(IndexCommandsTest, SomeIndexesAlreadyExist) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
                                                            {"key": {"b": 1}, "name": "b_1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 2, "numIndexesAfter": 3, "createdCollectionAutomatically": )"
            R"(false, "note": "index already exists", "ok": 1.0})");
}

TEST_F(IndexCommandsTest, SameSpecTwiceInOneCommandIsCreatedOnce) {
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
                                                            {"key": {"a": 1}, "name": "a_1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 1, "numIndexesAfter": 2, "createdCollectionAutomatically": )"
            R"(true, "note": "index already exists", "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
}

// MongoDB's runCreateIndexesOnNewCollection: only the _id index requested on a missing
// collection creates it and reports both facts.
TEST_F(IndexCommandsTest, IdIndexOnMissingCollection) {
  Document reply =
      Run(R"({"createIndexes": "c", "indexes": [{"key": {"_id": 1}, "name": "_id_"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 1, "numIndexesAfter": 1, "createdCollectionAutomatically": )"
            R"(true, "note": "all indexes already exist", "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_"}));
}

TEST_F(IndexCommandsTest, ExplicitlyCreatedEmptyCollectionIsNotCreatedAutomatically) {
  ExpectOk(Run(R"({"create": "c"})"));
  Document reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
  EXPECT_EQ(reply.ToJson(),
            R"({"numIndexesBefore": 1, "numIndexesAfter": 2, "createdCollectionAutomatically": )"
            R"(false, "ok": 1.0})");
}

// ---- createIndexes: conflicts ---------------------------------------------------------------

TEST_F(IndexCommandsTest, SameKeyOtherNameIsIndexOptionsConflict) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "other"}]})"), 85,
              "IndexOptionsConflict", "Index already exists with a different name: a_1");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
}

TEST_F(IndexCommandsTest, SameNameOtherNonIdentifyingOptionsIsIndexOptionsConflict) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  ExpectError(Run(R"({"createIndexes": "c",
                      "indexes": [{"key": {"a": 1}, "name": "a_1", "hidden": true}]})"),
              85, "IndexOptionsConflict",
              "An equivalent index already exists with the same name but different options");
  ExpectError(Run(R"({"createIndexes": "c",
                      "indexes": [{"key": {"a": 1}, "name": "a_1", "expireAfterSeconds": 5}]})"),
              85, "IndexOptionsConflict");
}

TEST_F(IndexCommandsTest, SameNameOtherKeyOrIdentifyingOptionIsIndexKeySpecsConflict) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"b": 1}, "name": "a_1"}]})"), 86,
              "IndexKeySpecsConflict",
              "An existing index has the same name as the requested index");
  ExpectError(Run(R"({"createIndexes": "c",
                      "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})"),
              86, "IndexKeySpecsConflict");
  ExpectError(Run(R"({"createIndexes": "c",
                      "indexes": [{"key": {"a": -1}, "name": "a_1"}]})"),
              86, "IndexKeySpecsConflict");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
}

TEST_F(IndexCommandsTest, AConflictCreatesNoneOfTheCommandsIndexes) {
  Insert(R"([{"_id": 1, "a": 1, "b": 1}])");
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"b": 1}, "name": "b_1"},
                                                       {"key": {"a": 1}, "name": "x"}]})"),
              85, "IndexOptionsConflict");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1"}));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
}

// ---- createIndexes: spec and argument errors ------------------------------------------------

TEST_F(IndexCommandsTest, MissingNameIsFailedToParse) {
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}}]})"), 9, "FailedToParse",
              "The 'name' field is a required property of an index specification");
  // Nothing was created, not even the collection.
  ExpectError(Run(R"({"listIndexes": "c"})"), 26, "NamespaceNotFound");
}

TEST_F(IndexCommandsTest, SpecErrors) {
  struct Case {
    const char* spec;
    int code;
    const char* code_name;
    const char* message;
    bool wrapped = true;  // "Error in specification … :: caused by :: …"
  };
  const Case cases[] = {
      {R"({"key": {}, "name": "e"})", 67, "CannotCreateIndex", "Index keys cannot be empty."},
      {R"({"name": "n"})", 9, "FailedToParse", "The 'key' field is a required property"},
      {R"({"key": {"a": 1}, "name": "a_1", "bogus": 1})", 197, "InvalidIndexSpecificationOption",
       "bogus"},
      {R"({"key": {"a": 1}, "name": ""})", 67, "CannotCreateIndex", "index name cannot be empty"},
      {R"({"key": {"a": 1}, "name": "*"})", 2, "BadValue", "The index name '*' is not valid.",
       false},
      {R"({"key": {"a": 1}, "name": "_id_"})", 2, "BadValue",
       "The index name '_id_' is reserved for the _id index", false},
      {R"({"key": {"a": 1}, "name": "s", "sparse": true, "partialFilterExpression": {"a": 1}})", 67,
       "CannotCreateIndex", "cannot mix \"partialFilterExpression\" and \"sparse\" options"},
      {R"({"key": {"a": "hashed"}, "name": "h"})", 238, "NotImplemented", "'hashed' indexes",
       false},
      {R"({"key": {"a": 1}, "name": "u", "unique": "yes"})", 14, "TypeMismatch", "unique"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    Document reply = Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", c.spec, "]}"));
    ExpectError(reply, c.code, c.code_name, c.message);
    if (c.wrapped) {
      EXPECT_THAT(StrAt(reply, "errmsg"), HasSubstr("Error in specification")) << reply.ToJson();
    }
  }
  // The first bad spec fails the command: the good one before it is not created.
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
                                                       {"key": {"b": 1}}]})"),
              9, "FailedToParse");
  ExpectError(Run(R"({"listIndexes": "c"})"), 26, "NamespaceNotFound");
}

TEST_F(IndexCommandsTest, ArgumentErrors) {
  ExpectError(Run(R"({"createIndexes": "c"})"), 40414, "Location40414", "indexes");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": []})"), 2, "BadValue",
              "Must specify at least one index");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [1]})"), 14, "TypeMismatch",
              "createIndexes.indexes.0");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": {"key": {"a": 1}}})"), 14, "TypeMismatch");
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a"}],
                      "bogus": 1})"),
              40415, "Location40415", "bogus");
  ExpectError(Run(R"({"createIndexes": 5, "indexes": [{"key": {"a": 1}, "name": "a"}]})"), 73,
              "InvalidNamespace");
}

// MongoDB caps a collection at 64 indexes, the _id index included.
TEST_F(IndexCommandsTest, TooManyIndexesIsCannotCreateIndex) {
  Insert(R"([{"_id": 1}])");
  std::string specs;
  for (int i = 0; i < 63; ++i) {
    absl::StrAppend(&specs, i == 0 ? "" : ", ", R"({"key": {"x)", i, R"(": 1}, "name": "x)", i,
                    R"("})");
  }
  Document reply = Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", specs, "]}"));
  ASSERT_EQ(OkOf(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(IntAt(reply, "numIndexesAfter"), 64);
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"x63": 1}, "name": "x63"}]})"), 67,
              "CannotCreateIndex", "add index fails, too many indexes for test.c key:{ x63: 1 }");
  // An index that already exists is still "already there" at the cap.
  reply = Run(R"({"createIndexes": "c", "indexes": [{"key": {"x5": 1}, "name": "x5"}]})");
  EXPECT_EQ(reply.ToJson(), R"({"numIndexesBefore": 64, "numIndexesAfter": 64, "note": )"
                            R"("all indexes already exist", "ok": 1.0})");
  EXPECT_EQ(IndexNames().size(), 64u);
  // After a drop there is room for one again.
  ExpectOk(Run(R"({"dropIndexes": "c", "index": "x0"})"));
  CreateIndex(R"({"key": {"x63": 1}, "name": "x63"})");
  EXPECT_EQ(IndexNames().size(), 64u);
}

TEST_F(IndexCommandsTest, TooManyIndexesInOneCommandCreatesNone) {
  std::string specs;
  for (int i = 0; i < 64; ++i) {
    absl::StrAppend(&specs, i == 0 ? "" : ", ", R"({"key": {"x)", i, R"(": 1}, "name": "x)", i,
                    R"("})");
  }
  ExpectError(Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", specs, "]}")), 67,
              "CannotCreateIndex", "too many indexes");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_"}));
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
}

TEST_F(IndexCommandsTest, PartialFilterWithUnsupportedOperatorIsCannotCreateIndex) {
  Insert(R"([{"_id": 1, "a": 1}])");
  const char* unsupported[] = {
      R"({"a": {"$ne": 1}})",
      R"({"a": {"$nin": [1, 2]}})",
      R"({"a": {"$not": {"$gt": 1}}})",
      R"({"a": {"$exists": false}})",
      R"({"a": {"$regex": "^x"}})",
      R"({"a": {"$regularExpression": {"pattern": "^x", "options": ""}}})",
      R"({"a": {"$in": [1, {"$regularExpression": {"pattern": "x", "options": ""}}]}})",
      R"({"$nor": [{"a": 1}]})",
      R"({"$expr": {"$eq": ["$a", 1]}})",
      R"({"a": {"$elemMatch": {"b": 1}}})",
      R"({"a": {"$size": 1}})",
      R"({"a": {"$mod": [2, 0]}})",
      R"({"a": {"$all": [1]}})",
      R"({"$and": [{"a": {"$gt": 1}}, {"b": {"$ne": 2}}]})",
  };
  for (const char* filter : unsupported) {
    SCOPED_TRACE(filter);
    Document reply =
        Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "p", )"
                         R"("partialFilterExpression": )",
                         filter, "}]}"));
    ExpectError(reply, 67, "CannotCreateIndex", "Expression not supported in partial index");
    EXPECT_THAT(StrAt(reply, "errmsg"), HasSubstr("Error in specification")) << reply.ToJson();
  }
  EXPECT_EQ(IndexNames(), (StrVec{"_id_"}));
  // A filter that does not parse is the parser's error.
  ExpectError(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "p",
                      "partialFilterExpression": {"a": {"$bogus": 1}}}]})"),
              2, "BadValue", "unknown operator: $bogus");

  const char* supported[] = {
      R"({"a": 1})",
      R"({"a": {"$eq": 1}})",
      R"({"a": {"$gt": 1, "$lte": 9}})",
      R"({"a": {"$exists": true}})",
      R"({"a": {"$type": "string"}})",
      R"({"a": {"$in": [1, 2]}})",
      R"({"a": {"b": 1}})",
      R"({"$and": [{"a": {"$gte": 1}}, {"b": "x"}]})",
      R"({"$or": [{"a": {"$lt": 1}}, {"b": "x"}]})",
  };
  int n = 0;
  for (const char* filter : supported) {
    SCOPED_TRACE(filter);
    Document reply =
        Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, )",
                         R"("name": "p)", n++, R"(", "partialFilterExpression": )", filter, "}]}"));
    ExpectOk(reply);
  }
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
}

// ---- listIndexes ----------------------------------------------------------------------------

TEST_F(IndexCommandsTest, ListIndexesShowsEveryOption) {
  CreateIndex(R"({"key": {"a": 1, "b": -1}, "name": "ab"},
                 {"key": {"u": 1}, "name": "u_1", "unique": true},
                 {"key": {"s": 1}, "name": "s_1", "sparse": true},
                 {"key": {"p": 1}, "name": "p_1", "partialFilterExpression": {"p": {"$gt": 5}}},
                 {"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 3600},
                 {"key": {"h": 1}, "name": "h_1", "hidden": true})");
  const std::string expected =
      R"({"cursor": {"firstBatch": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, )"
      R"({"v": 2, "key": {"a": 1, "b": -1}, "name": "ab"}, )"
      R"({"v": 2, "key": {"u": 1}, "name": "u_1", "unique": true}, )"
      R"({"v": 2, "key": {"s": 1}, "name": "s_1", "sparse": true}, )"
      R"({"v": 2, "key": {"p": 1}, "name": "p_1", "partialFilterExpression": {"p": {"$gt": 5}}}, )"
      R"({"v": 2, "key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 3600}, )"
      R"({"v": 2, "key": {"h": 1}, "name": "h_1", "hidden": true}], "id": 0, "ns": "test.c"}, )"
      R"("ok": 1.0})";
  EXPECT_EQ(ListIndexesJson(), expected);
  db_.Reopen();
  EXPECT_EQ(ListIndexesJson(), expected);
}

TEST_F(IndexCommandsTest, ListIndexesErrors) {
  ExpectError(Run(R"({"listIndexes": "nope"})"), 26, "NamespaceNotFound",
              "ns does not exist: test.nope");
  ExpectError(Run(R"({"listIndexes": "c", "bogus": 1})"), 40415, "Location40415");
}

// ---- dropIndexes ----------------------------------------------------------------------------

class IndexDropTest : public IndexCommandsTest {
 protected:
  void SetUp() override {
    Insert(R"([{"_id": 1, "a": 1, "b": [1, 2], "c": 1}, {"_id": 2, "a": 2, "b": 3, "c": 2}])");
    CreateIndex(R"({"key": {"a": 1}, "name": "a_1"},
                   {"key": {"b": -1}, "name": "b_-1"},
                   {"key": {"c": 1, "a": 1}, "name": "c_1_a_1"})");
    ASSERT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
  }

  engine::IndexId IdOf(absl::string_view name) {
    auto index = FindCatalogIndex(db_.impl(), "test.c", name);
    EXPECT_TRUE(index.has_value()) << name;
    return index.has_value() ? index->spec.id() : 0;
  }

  // The index's entries, counters and multikey record are all gone.
  void ExpectIndexDataGone(engine::IndexId id) {
    EXPECT_EQ(EntriesPerIndex(db_.engine()).count(id), 0u) << "index id " << id;
    EXPECT_FALSE(CatalogHas(db_.engine(), engine::IndexStatsKey(id)));
    EXPECT_FALSE(CatalogHas(db_.engine(), engine::MultikeyPathsKey(id)));
  }
};

TEST_F(IndexDropTest, ByName) {
  engine::IndexId b = IdOf("b_-1");
  EXPECT_TRUE(CatalogHas(db_.engine(), engine::MultikeyPathsKey(b)));
  EXPECT_TRUE(CatalogHas(db_.engine(), engine::IndexStatsKey(b)));
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": "b_-1"})").ToJson(),
            R"({"nIndexesWas": 4, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "c_1_a_1"}));
  ExpectIndexDataGone(b);
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
  db_.Reopen();
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "c_1_a_1"}));
  ExpectIndexDataGone(b);
}

TEST_F(IndexDropTest, ByKeyPattern) {
  engine::IndexId id = IdOf("c_1_a_1");
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": {"c": 1, "a": 1}})").ToJson(),
            R"({"nIndexesWas": 4, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "b_-1"}));
  ExpectIndexDataGone(id);
  // Field order matters: {a: 1, c: 1} is another key pattern.
  ExpectError(Run(R"({"dropIndexes": "c", "index": {"a": 1, "c": 1}})"), 27, "IndexNotFound",
              "can't find index with key: { a: 1, c: 1 }");
}

// MongoDB compares key patterns as BSON values (IndexCatalog::findIndexesByKeyPattern with the
// simple comparator): {b: -1.0} and {b: NumberLong(-1)} name the index created as {b: -1}.
TEST_F(IndexDropTest, ByKeyPatternComparesNumbersByValue) {
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": {"b": -1.0}})").ToJson(),
            R"({"nIndexesWas": 4, "ok": 1.0})");
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": {"a": {"$numberLong": "1"}}})").ToJson(),
            R"({"nIndexesWas": 3, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "c_1_a_1"}));
}

TEST_F(IndexDropTest, AllButId) {
  std::vector<engine::IndexId> ids = {IdOf("a_1"), IdOf("b_-1"), IdOf("c_1_a_1")};
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": "*"})").ToJson(),
            R"({"nIndexesWas": 4, "msg": "non-_id indexes dropped for collection", "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_"}));
  for (engine::IndexId id : ids) ExpectIndexDataGone(id);
  EXPECT_TRUE(EntriesPerIndex(db_.engine()).empty());
  // Again, with nothing left to drop.
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": "*"})").ToJson(),
            R"({"nIndexesWas": 1, "msg": "non-_id indexes dropped for collection", "ok": 1.0})");
  // The documents are untouched.
  EXPECT_EQ(IntAt(Run(R"({"count": "c"})"), "n"), 2);
}

TEST_F(IndexDropTest, ByArrayOfNames) {
  engine::IndexId a = IdOf("a_1"), b = IdOf("b_-1");
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": ["a_1", "b_-1"]})").ToJson(),
            R"({"nIndexesWas": 4, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "c_1_a_1"}));
  ExpectIndexDataGone(a);
  ExpectIndexDataGone(b);
}

TEST_F(IndexDropTest, ArrayWithAMissingNameDropsNothing) {
  ExpectError(Run(R"({"dropIndexes": "c", "index": ["a_1", "nope"]})"), 27, "IndexNotFound",
              "index not found with name [nope]");
  ExpectError(Run(R"({"dropIndexes": "c", "index": ["a_1", "_id_"]})"), 72, "InvalidOptions",
              "cannot drop _id index");
  ExpectError(Run(R"({"dropIndexes": "c", "index": ["a_1", 5]})"), 14, "TypeMismatch");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "b_-1", "c_1_a_1"}));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
}

TEST_F(IndexDropTest, Errors) {
  ExpectError(Run(R"({"dropIndexes": "c", "index": "nope"})"), 27, "IndexNotFound",
              "index not found with name [nope]");
  ExpectError(Run(R"({"dropIndexes": "c", "index": {"z": 1}})"), 27, "IndexNotFound",
              "can't find index with key: { z: 1 }");
  ExpectError(Run(R"({"dropIndexes": "c", "index": "_id_"})"), 72, "InvalidOptions",
              "cannot drop _id index");
  ExpectError(Run(R"({"dropIndexes": "c", "index": {"_id": 1}})"), 72, "InvalidOptions",
              "cannot drop _id index");
  ExpectError(Run(R"({"dropIndexes": "nope", "index": "a_1"})"), 26, "NamespaceNotFound",
              "ns not found test.nope");
  ExpectError(Run(R"({"dropIndexes": "c", "index": 5})"), 14, "TypeMismatch");
  ExpectError(Run(R"({"dropIndexes": "c"})"), 40414, "Location40414", "index");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "a_1", "b_-1", "c_1_a_1"}));
}

TEST_F(IndexDropTest, AmbiguousKeyPattern) {
  CreateIndex(R"({"key": {"a": 1}, "name": "a_partial",
                  "partialFilterExpression": {"a": {"$gt": 1}}})");
  ExpectError(Run(R"({"dropIndexes": "c", "index": {"a": 1}})"), 313, "AmbiguousIndexKeyPattern",
              "2 indexes found for key: { a: 1 }, identify by name instead.");
  EXPECT_EQ(Run(R"({"dropIndexes": "c", "index": "a_partial"})").ToJson(),
            R"({"nIndexesWas": 5, "ok": 1.0})");
}

TEST_F(IndexDropTest, DeleteIndexesIsAnAlias) {
  EXPECT_EQ(Run(R"({"deleteIndexes": "c", "index": "a_1"})").ToJson(),
            R"({"nIndexesWas": 4, "ok": 1.0})");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_", "b_-1", "c_1_a_1"}));
}

TEST_F(IndexDropTest, RecreatedIndexGetsAFreshIdAndCompleteEntries) {
  engine::IndexId old_id = IdOf("a_1");
  ExpectOk(Run(R"({"dropIndexes": "c", "index": "a_1"})"));
  Insert(R"([{"_id": 3, "a": 3}])");
  CreateIndex(R"({"key": {"a": 1}, "name": "a_1"})");
  EXPECT_GT(IdOf("a_1"), old_id);
  ExpectIndexDataGone(old_id);
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
}

TEST_F(IndexDropTest, DroppingTheCollectionRemovesItsIndexData) {
  std::vector<engine::IndexId> ids = {IdOf("a_1"), IdOf("b_-1"), IdOf("c_1_a_1")};
  ExpectOk(Run(R"({"drop": "c"})"));
  for (engine::IndexId id : ids) ExpectIndexDataGone(id);
  // A new collection of the same name starts without secondary indexes.
  Insert(R"([{"_id": 1, "a": 1}])");
  EXPECT_EQ(IndexNames(), (StrVec{"_id_"}));
}

// ---- the C++ API ----------------------------------------------------------------------------

TEST_F(IndexCommandsTest, CollectionApi) {
  Collection collection(&db_.impl(), "test.c");
  ASSERT_OK(collection.InsertOne(Json(R"({"_id": 1, "a": 1, "b": {"c": 2}})").view()));
  auto name = collection.CreateIndex(Json(R"({"a": 1, "b.c": -1})").view());
  ASSERT_OK(name);
  EXPECT_EQ(*name, "a_1_b.c_-1");
  name = collection.CreateIndex(Json(R"({"a": 1})").view(),
                                Json(R"({"name": "mine", "unique": true})").view());
  ASSERT_OK(name);
  EXPECT_EQ(*name, "mine");
  // Identical again: not an error.
  EXPECT_OK(collection.CreateIndex(Json(R"({"a": 1, "b.c": -1})").view()));
  auto list = collection.ListIndexes();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[2].ToJson(), R"({"v": 2, "key": {"a": 1}, "name": "mine", "unique": true})");
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));

  absl::Status dup = collection.InsertOne(Json(R"({"_id": 2, "a": 1})").view()).status();
  EXPECT_EQ(ErrorCodeOf(dup), ErrorCode::kDuplicateKey) << dup;
  EXPECT_THAT(std::string(dup.message()),
              HasSubstr("E11000 duplicate key error collection: test.c index: mine dup key: "
                        "{ a: 1 }"));

  EXPECT_OK(collection.DropIndex("mine"));
  absl::Status missing = collection.DropIndex("mine");
  EXPECT_EQ(ErrorCodeOf(missing), ErrorCode::kIndexNotFound) << missing;
  EXPECT_OK(collection.InsertOne(Json(R"({"_id": 2, "a": 1})").view()));
  EXPECT_TRUE(AllIndexesConsistent(db_.impl(), "test.c"));
}

}  // namespace
}  // namespace strata
