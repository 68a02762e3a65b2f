// The command layer end to end: command documents in, MongoDB-shaped replies out.
// This file: the dispatcher (argument errors, $db, limits, namespaces) and the CRUD commands
// (insert, find, getMore, killCursors, delete, update, count) through Database::RunCommand.
#include <bson/bson.h>

#include <string>
#include <vector>

#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- reply accessors ------------------------------------------------------------------------

bool FindPath(const Document& doc, const char* dotted, bson_iter_t* found) {
  bson_iter_t it;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, found);
}

bool Has(const Document& doc, const char* dotted) {
  bson_iter_t found;
  return FindPath(doc, dotted, &found);
}

// The number at `dotted`; a test failure (and -12345) when there is none.
int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

double Ok(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") ? bson_iter_as_double(&it) : -1;
}

std::string Str(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) return "<missing>";
  return bson_iter_utf8(&found, nullptr);
}

int ArraySize(const Document& doc, const char* dotted) {
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) return -1;
  bson_iter_recurse(&found, &child);
  int n = 0;
  while (bson_iter_next(&child)) ++n;
  return n;
}

// The `_id`s (as integers) of the documents in the array at `dotted`.
std::vector<int64_t> Ids(const Document& doc, const char* dotted) {
  std::vector<int64_t> ids;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) {
    ADD_FAILURE() << "no array at " << dotted << " in " << doc.ToJson();
    return ids;
  }
  bson_iter_recurse(&found, &child);
  while (bson_iter_next(&child)) {
    bson_iter_t id;
    if (BSON_ITER_HOLDS_DOCUMENT(&child) && bson_iter_recurse(&child, &id) &&
        bson_iter_find(&id, "_id")) {
      ids.push_back(bson_iter_as_int64(&id));
    }
  }
  return ids;
}

std::vector<std::string> Keys(const Document& doc, const char* dotted) {
  std::vector<std::string> keys;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !bson_iter_recurse(&found, &child)) return keys;
  while (bson_iter_next(&child)) keys.emplace_back(bson_iter_key(&child));
  return keys;
}

// {ok: 0, errmsg, code, codeName} with this code and name.
void ExpectError(const Document& reply, int code, const std::string& code_name,
                 const std::string& message_part = "") {
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "code"), code) << reply.ToJson();
  EXPECT_EQ(Str(reply, "codeName"), code_name) << reply.ToJson();
  EXPECT_THAT(Str(reply, "errmsg"), HasSubstr(message_part)) << reply.ToJson();
}

// True when the reply refuses the request as NotImplemented (238), as a command error or as a
// write error; then its message must say what is not supported.
bool RefusedAsNotImplemented(const Document& reply) {
  bson_iter_t code;
  bool refused = (FindPath(reply, "code", &code) || FindPath(reply, "writeErrors.0.code", &code)) &&
                 bson_iter_as_int64(&code) == 238;
  if (refused) {
    EXPECT_THAT(reply.ToJson(), ::testing::ContainsRegex("not supported|unsupported"))
        << reply.ToJson();
  }
  return refused;
}

// ---- raw documents --------------------------------------------------------------------------

std::string Le32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// {a: {a: … {} …}} with `depth` levels of embedded documents (the top level is depth 0).
std::string NestedDocumentBytes(int depth) {
  std::string out;
  for (int level = depth; level >= 1; --level)
    out += Le32(5 + 8 * level) +
           "\x03"
           "a" +
           '\0';
  out += Le32(5) + '\0';
  out.append(static_cast<size_t>(depth), '\0');
  return out;
}

// {insert: collection, documents: [doc]} around a raw document.
Document InsertCommand(const std::string& collection, const std::string& doc_bytes) {
  Document command;
  bson_t* b = command.mutable_bson();
  bson_append_utf8(b, "insert", -1, collection.c_str(), -1);
  bson_t docs, doc;
  bson_append_array_begin(b, "documents", -1, &docs);
  EXPECT_TRUE(
      bson_init_static(&doc, reinterpret_cast<const uint8_t*>(doc_bytes.data()), doc_bytes.size()));
  bson_append_document(&docs, "0", -1, &doc);
  bson_append_array_end(b, &docs);
  return command;
}

// {_id: 1, b: BinData(…)} of exactly `size` bytes.
std::string DocumentOfSize(size_t size) {
  const size_t payload = size - 22;  // prefix+NUL 5, _id int32 9, "b" binary header 8
  Document doc;
  bson_append_int32(doc.mutable_bson(), "_id", -1, 1);
  std::string bytes(payload, 'x');
  bson_append_binary(doc.mutable_bson(), "b", -1, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(bytes.data()),
                     static_cast<uint32_t>(bytes.size()));
  EXPECT_EQ(doc.size(), size);
  return std::string(reinterpret_cast<const char*>(doc.data()), doc.size());
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path());
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  Document Run(std::string_view json) { return db_->RunCommand(Json(json).view()); }
  Document Run(const Document& command) { return db_->RunCommand(command.view()); }

  // Inserts {_id: 0..n-1, v: 10 * _id} into `collection`.
  void InsertIds(const std::string& collection, int n, int first = 0) {
    std::string docs;
    for (int i = first; i < first + n; ++i) {
      if (!docs.empty()) docs += ", ";
      docs += "{\"_id\": " + std::to_string(i) + ", \"v\": " + std::to_string(10 * i) + "}";
    }
    Document reply = Run(R"({"insert": ")" + collection + R"(", "documents": [)" + docs + "]}");
    ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
    ASSERT_EQ(Int(reply, "n"), n) << reply.ToJson();
  }

  int64_t Count(const std::string& collection) {
    Document reply = Run(R"({"count": ")" + collection + R"("})");
    EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
    return Int(reply, "n");
  }

  // Every _id of the collection, via find (+ getMores).
  std::vector<int64_t> AllIds(const std::string& collection) {
    Document reply = Run(R"({"find": ")" + collection + R"(", "batchSize": 100000})");
    EXPECT_EQ(Int(reply, "cursor.id"), 0);
    return Ids(reply, "cursor.firstBatch");
  }

  Document GetMore(int64_t id, const std::string& collection, int batch_size = 0) {
    Document command;
    bson_append_int64(command.mutable_bson(), "getMore", -1, id);
    bson_append_utf8(command.mutable_bson(), "collection", -1, collection.c_str(), -1);
    if (batch_size > 0) bson_append_int32(command.mutable_bson(), "batchSize", -1, batch_size);
    return Run(command);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

// ---- dispatcher -----------------------------------------------------------------------------

TEST_F(CommandsTest, InsertThenFindReturnsMongoShapedReplies) {
  Document insert = Run(R"({"insert": "c", "documents": [{"a": 1}]})");
  EXPECT_EQ(Ok(insert), 1.0) << insert.ToJson();
  EXPECT_EQ(Int(insert, "n"), 1);
  Document find = Run(R"({"find": "c", "filter": {}})");
  EXPECT_EQ(Ok(find), 1.0) << find.ToJson();
  EXPECT_EQ(Int(find, "cursor.id"), 0);
  EXPECT_EQ(Str(find, "cursor.ns"), "test.c");
  EXPECT_EQ(Int(find, "cursor.firstBatch.0.a"), 1);
  bson_iter_t it, id;
  ASSERT_TRUE(bson_iter_init(&it, find.bson()));
  ASSERT_TRUE(bson_iter_find_descendant(&it, "cursor.firstBatch.0._id", &id));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
}

TEST_F(CommandsTest, UnknownCommandIsCommandNotFound) {
  Document reply = Run(R"({"frobnicate": 1})");
  EXPECT_EQ(Ok(reply), 0.0);
  EXPECT_EQ(Int(reply, "code"), 59);
  EXPECT_EQ(Str(reply, "codeName"), "CommandNotFound");
  EXPECT_THAT(Str(reply, "errmsg"), ::testing::HasSubstr("frobnicate"));
}

TEST_F(CommandsTest, CommandNamesAreCaseSensitive) {
  ExpectError(Run(R"({"PING": 1})"), 59, "CommandNotFound", "PING");
  ExpectError(Run(R"({"Insert": "c", "documents": [{}]})"), 59, "CommandNotFound");
}

TEST_F(CommandsTest, ErrorRepliesHaveExactlyMongoDbsFields) {
  Document reply = Run(R"({"frobnicate": 1})");
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()));
  std::vector<std::string> keys;
  while (bson_iter_next(&it)) keys.emplace_back(bson_iter_key(&it));
  EXPECT_THAT(keys, ElementsAre("ok", "errmsg", "code", "codeName"));
  bson_iter_t ok;
  ASSERT_TRUE(bson_iter_init_find(&ok, reply.bson(), "ok"));
  EXPECT_TRUE(BSON_ITER_HOLDS_DOUBLE(&ok));
}

TEST_F(CommandsTest, DollarDbPicksTheDatabase) {
  Document insert = Run(R"({"insert": "c", "documents": [{"_id": 1}], "$db": "other"})");
  ASSERT_EQ(Ok(insert), 1.0) << insert.ToJson();
  Document find = Run(R"({"find": "c", "$db": "other"})");
  EXPECT_EQ(Str(find, "cursor.ns"), "other.c");
  EXPECT_THAT(Ids(find, "cursor.firstBatch"), ElementsAre(1));
  Document in_test = Run(R"({"find": "c"})");
  EXPECT_EQ(Str(in_test, "cursor.ns"), "test.c");
  EXPECT_THAT(Ids(in_test, "cursor.firstBatch"), IsEmpty());
  // The RunCommand overload with a database name, and $db winning over it.
  Document named = db_->RunCommand("other", Json(R"({"count": "c"})").view());
  EXPECT_EQ(Int(named, "n"), 1);
  Document overridden = db_->RunCommand("other", Json(R"({"count": "c", "$db": "test"})").view());
  EXPECT_EQ(Int(overridden, "n"), 0);
}

TEST_F(CommandsTest, DollarDbMustBeAString) {
  ExpectError(Run(R"({"ping": 1, "$db": 5})"), 14, "TypeMismatch", "$db");
}

TEST_F(CommandsTest, InvalidDatabaseNamesAreInvalidNamespace) {
  ExpectError(Run(R"({"insert": "c", "documents": [{}], "$db": ""})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"insert": "c", "documents": [{}], "$db": "my db"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"insert": "c", "documents": [{}], "$db": "a$b"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"find": "c", "$db": "x/y"})"), 73, "InvalidNamespace");
}

// A database name with a dot would make "a.b" + "." + "c" read as database "a", collection
// "b.c". MongoDB: "Invalid database name: 'a.b'" (InvalidNamespace).
TEST_F(CommandsTest, DottedDatabaseNameIsInvalidNamespace) {
  Document reply = Run(R"({"insert": "c", "documents": [{"_id": 1}], "$db": "a.b"})");
  ExpectError(reply, 73, "InvalidNamespace");
  Document list = Run(R"({"listCollections": 1, "$db": "a"})");
  EXPECT_EQ(ArraySize(list, "cursor.firstBatch"), 0) << list.ToJson();
}

TEST_F(CommandsTest, InvalidCollectionNamesAreInvalidNamespace) {
  ExpectError(Run(R"({"insert": "", "documents": [{}]})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"insert": "a$b", "documents": [{}]})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"insert": "system.users", "documents": [{}]})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"insert": 5, "documents": [{}]})"), 73, "InvalidNamespace",
              "collection name has invalid type int");
  ExpectError(Run(R"({"find": ""})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"find": ["c"]})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"count": "a$b"})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"delete": "", "deletes": [{"q": {}, "limit": 0}]})"), 73, "InvalidNamespace");
  ExpectError(Run(R"({"update": "", "updates": [{"q": {}, "u": {}}]})"), 73, "InvalidNamespace");
  // Over 255 bytes in all.
  ExpectError(Run(R"({"insert": ")" + std::string(300, 'x') + R"(", "documents": [{}]})"), 73,
              "InvalidNamespace");
}

TEST_F(CommandsTest, WrongFieldTypeIsTypeMismatch) {
  ExpectError(Run(R"({"insert": "c", "documents": 5})"), 14, "TypeMismatch",
              "BSON field 'insert.documents' is the wrong type 'int', expected type 'array'");
  ExpectError(Run(R"({"insert": "c", "documents": {"a": 1}})"), 14, "TypeMismatch",
              "BSON field 'insert.documents' is the wrong type 'object'");
  ExpectError(Run(R"({"insert": "c", "documents": [{}], "ordered": "yes"})"), 14, "TypeMismatch",
              "BSON field 'insert.ordered' is the wrong type 'string'");
  ExpectError(Run(R"({"insert": "c", "documents": [{"_id": 1}, 2]})"), 14, "TypeMismatch",
              "BSON field 'insert.documents.1' is the wrong type 'int', expected type 'object'");
  ExpectError(Run(R"({"find": "c", "filter": 5})"), 14, "TypeMismatch",
              "BSON field 'find.filter' is the wrong type 'int', expected type 'object'");
  ExpectError(Run(R"({"find": "c", "limit": "ten"})"), 14, "TypeMismatch",
              "BSON field 'find.limit' is the wrong type 'string'");
  ExpectError(Run(R"({"find": "c", "singleBatch": "no"})"), 14, "TypeMismatch",
              "'find.singleBatch'");
  ExpectError(Run(R"({"count": "c", "query": []})"), 14, "TypeMismatch", "'count.query'");
  ExpectError(Run(R"({"delete": "c", "deletes": {}})"), 14, "TypeMismatch", "'delete.deletes'");
  ExpectError(Run(R"({"update": "c", "updates": "x"})"), 14, "TypeMismatch", "'update.updates'");
  ExpectError(Run(R"({"getMore": "abc", "collection": "c"})"), 14, "TypeMismatch");
  ExpectError(Run(R"({"killCursors": "c", "cursors": ["x"]})"), 14, "TypeMismatch");
}

TEST_F(CommandsTest, WholeDoublesAreIntegers) {
  // Whole doubles are integers.
  InsertIds("c", 5);
  Document whole = Run(R"({"find": "c", "limit": 2.0})");
  EXPECT_THAT(Ids(whole, "cursor.firstBatch"), ElementsAre(0, 1));
}

TEST_F(CommandsTest, MissingRequiredFieldIsLocation40414) {
  ExpectError(Run(R"({"insert": "c"})"), 40414, "Location40414",
              "BSON field 'insert.documents' is missing but a required field");
  ExpectError(Run(R"({"delete": "c"})"), 40414, "Location40414", "'delete.deletes'");
  ExpectError(Run(R"({"update": "c"})"), 40414, "Location40414", "'update.updates'");
  ExpectError(Run(R"({"getMore": {"$numberLong": "5"}})"), 40414, "Location40414",
              "'getMore.collection'");
  ExpectError(Run(R"({"killCursors": "c"})"), 40414, "Location40414", "'killCursors.cursors'");
}

TEST_F(CommandsTest, UnknownFieldIsLocation40415) {
  ExpectError(Run(R"({"insert": "c", "documents": [{}], "foo": 1})"), 40415, "Location40415",
              "BSON field 'insert.foo' is an unknown field.");
  ExpectError(Run(R"({"find": "c", "bogus": true})"), 40415, "Location40415",
              "BSON field 'find.bogus' is an unknown field.");
  ExpectError(Run(R"({"count": "c", "filter": {}})"), 40415, "Location40415", "'count.filter'");
  EXPECT_EQ(Count("c"), 0) << "a rejected insert wrote nothing";
}

TEST_F(CommandsTest, GenericFieldsAreAccepted) {
  Document reply = Run(R"({"insert": "c", "documents": [{"_id": 1}], "ordered": true,
      "writeConcern": {"w": 1}, "comment": "hi", "maxTimeMS": 1000,
      "lsid": {"id": {"$binary": {"base64": "AAAAAAAAAAAAAAAAAAAAAA==", "subType": "04"}}},
      "$db": "test"})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 1);
}

TEST_F(CommandsTest, EmptyCommandIsAnError) {
  Document reply = db_->RunCommand(Document().view());
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
  EXPECT_TRUE(Has(reply, "code"));
}

TEST_F(CommandsTest, InvalidCommandBytesAreRejected) {
  const uint8_t garbage[] = {12, 0, 0, 0, 0x10, 'p', 'i', 'n', 'g', 0, 1, 0};
  Document reply = db_->RunCommand(DocumentView(garbage, sizeof(garbage)));
  ExpectError(reply, 22, "InvalidBSON", "invalid BSON");
}

// ---- insert ---------------------------------------------------------------------------------

TEST_F(CommandsTest, InsertOrderedStopsAtTheFirstDuplicate) {
  InsertIds("c", 1, /*first=*/1);
  Document reply =
      Run(R"({"insert": "c", "documents": [{"_id": 0}, {"_id": 1}, {"_id": 2}, {"_id": 3}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 1);
  ASSERT_EQ(ArraySize(reply, "writeErrors"), 1) << reply.ToJson();
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 11000);
  EXPECT_THAT(Str(reply, "writeErrors.0.errmsg"),
              HasSubstr("E11000 duplicate key error collection: test.c index: _id_ dup key: "));
  EXPECT_THAT(AllIds("c"), ElementsAre(0, 1));
}

TEST_F(CommandsTest, InsertUnorderedReportsEveryFailureAndInsertsTheRest) {
  InsertIds("c", 1, /*first=*/1);
  Document reply = Run(R"({"insert": "c", "ordered": false, "documents":
      [{"_id": 0}, {"_id": 1}, {"_id": 2}, {"_id": 2}, {"_id": 3}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 3);
  ASSERT_EQ(ArraySize(reply, "writeErrors"), 2) << reply.ToJson();
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 11000);
  EXPECT_EQ(Int(reply, "writeErrors.1.index"), 3);
  EXPECT_EQ(Int(reply, "writeErrors.1.code"), 11000);
  EXPECT_THAT(Str(reply, "writeErrors.1.errmsg"), HasSubstr("dup key"));
  EXPECT_THAT(AllIds("c"), ElementsAre(0, 1, 2, 3));
}

TEST_F(CommandsTest, InsertDuplicateAcrossNumericTypesIsADuplicate) {
  InsertIds("c", 1, /*first=*/1);
  Document reply = Run(R"({"insert": "c", "ordered": false, "documents":
      [{"_id": 1.0}, {"_id": {"$numberLong": "1"}}, {"_id": {"$numberDecimal": "1.00"}}]})");
  EXPECT_EQ(Int(reply, "n"), 0) << reply.ToJson();
  EXPECT_EQ(ArraySize(reply, "writeErrors"), 3);
}

TEST_F(CommandsTest, InsertManyDocumentsAcrossTransactionChunks) {
  // More than one insert transaction's worth (1000), with a duplicate after the first chunk.
  std::string docs;
  for (int i = 0; i < 2500; ++i) {
    if (i > 0) docs += ",";
    docs += "{\"_id\": " + std::to_string(i == 1700 ? 5 : i) + "}";
  }
  Document ordered = Run(R"({"insert": "c", "documents": [)" + docs + "]}");
  EXPECT_EQ(Int(ordered, "n"), 1700) << "stops at the duplicate";
  EXPECT_EQ(Int(ordered, "writeErrors.0.index"), 1700);
  EXPECT_EQ(Count("c"), 1700);
  Document unordered = Run(R"({"insert": "d", "ordered": false, "documents": [)" + docs + "]}");
  EXPECT_EQ(Int(unordered, "n"), 2499);
  EXPECT_EQ(Int(unordered, "writeErrors.0.index"), 1700);
  EXPECT_EQ(Count("d"), 2499);
}

TEST_F(CommandsTest, InsertCreatesTheCollectionImplicitly) {
  Document before = Run(R"({"listCollections": 1})");
  EXPECT_EQ(ArraySize(before, "cursor.firstBatch"), 0);
  InsertIds("fresh", 1);
  Document after = Run(R"({"listCollections": 1, "nameOnly": true})");
  ASSERT_EQ(ArraySize(after, "cursor.firstBatch"), 1) << after.ToJson();
  EXPECT_EQ(Str(after, "cursor.firstBatch.0.name"), "fresh");
}

TEST_F(CommandsTest, InsertWithOnlyFailuresStillCreatesNothingVisible) {
  Document reply = Run(R"({"insert": "c", "documents": [{"_id": [1]}]})");
  EXPECT_EQ(Ok(reply), 1.0);
  EXPECT_EQ(Int(reply, "n"), 0);
  EXPECT_EQ(Count("c"), 0);
}

TEST_F(CommandsTest, InsertGeneratesAnObjectIdFirstAndMovesIdFirst) {
  Document reply = Run(R"({"insert": "c", "documents": [{"a": 1}, {"b": 2, "_id": 9, "c": 3}]})");
  ASSERT_EQ(Int(reply, "n"), 2) << reply.ToJson();
  Document by_id = Run(R"({"find": "c", "filter": {"_id": 9}})");
  EXPECT_THAT(Keys(by_id, "cursor.firstBatch.0"), ElementsAre("_id", "b", "c"));
  Document all = Run(R"({"find": "c"})");
  ASSERT_EQ(ArraySize(all, "cursor.firstBatch"), 2);
  // Numbers sort before ObjectIds: the generated one is second.
  EXPECT_THAT(Keys(all, "cursor.firstBatch.1"), ElementsAre("_id", "a"));
  bson_iter_t id;
  ASSERT_TRUE(FindPath(all, "cursor.firstBatch.1._id", &id));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
}

TEST_F(CommandsTest, InvalidDocumentsAreWriteErrors) {
  Document reply = Run(R"({"insert": "c", "ordered": false, "documents": [
      {"_id": 1}, {"$bad": 1}, {"_id": [1, 2]}, {"_id": {"$regularExpression":
      {"pattern": "a", "options": ""}}}, {"_id": 4, "nested": {"$ok": 1, "a.b": 2}}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 2);
  ASSERT_EQ(ArraySize(reply, "writeErrors"), 3) << reply.ToJson();
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 52);  // DollarPrefixedFieldName
  EXPECT_THAT(Str(reply, "writeErrors.0.errmsg"), HasSubstr("$bad"));
  EXPECT_EQ(Int(reply, "writeErrors.1.index"), 2);
  EXPECT_EQ(Int(reply, "writeErrors.1.code"), 2);  // BadValue
  EXPECT_THAT(Str(reply, "writeErrors.1.errmsg"), HasSubstr("array"));
  EXPECT_EQ(Int(reply, "writeErrors.2.index"), 3);
  EXPECT_EQ(Int(reply, "writeErrors.2.code"), 2);
  EXPECT_THAT(Str(reply, "writeErrors.2.errmsg"), HasSubstr("regex"));
  EXPECT_THAT(AllIds("c"), ElementsAre(1, 4));

  Document ordered = Run(R"({"insert": "d", "documents": [{"_id": 1}, {"$bad": 1}, {"_id": 3}]})");
  EXPECT_EQ(Int(ordered, "n"), 1);
  EXPECT_EQ(Int(ordered, "writeErrors.0.index"), 1);
  EXPECT_THAT(AllIds("d"), ElementsAre(1));
}

// MongoDB: "If the _id contains subfields, the subfield names cannot begin with a ($) symbol";
// insert({_id: {$b: 1}}) is a DollarPrefixedFieldName (52) write error.
TEST_F(CommandsTest, IdWithADollarPrefixedSubfieldIsRejected) {
  Document reply = Run(R"({"insert": "c", "ordered": false, "documents": [
      {"_id": {"$b": 1}}, {"_id": {"a": 1, "$c": 2}}, {"_id": {"a": 1}, "x": {"$ok": 1}}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 1) << reply.ToJson();
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 0);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 52);
  EXPECT_EQ(Int(reply, "writeErrors.1.index"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.1.code"), 52);
}

TEST_F(CommandsTest, MoreThanMaxWriteBatchSizeIsInvalidLength) {
  std::string docs;
  for (int i = 0; i < 100001; ++i) docs += i ? ",{}" : "{}";
  ExpectError(Run(R"({"insert": "c", "documents": [)" + docs + "]}"), 16, "InvalidLength",
              "Write batch sizes must be between 1 and 100000. Got 100001 operations.");
  EXPECT_EQ(Count("c"), 0);
}

TEST_F(CommandsTest, EmptyDocumentsArrayIsInvalidLength) {
  ExpectError(Run(R"({"insert": "c", "documents": []})"), 16, "InvalidLength",
              "Write batch sizes must be between 1 and 100000. Got 0 operations.");
}

TEST_F(CommandsTest, OversizeDocumentIsBsonObjectTooLarge) {
  // Fits in a command (16 MiB + 16 KiB) but not in a collection.
  Document reply = Run(InsertCommand("c", DocumentOfSize((16 << 20) + 1)));
  EXPECT_EQ(Ok(reply), 1.0) << Str(reply, "errmsg");
  EXPECT_EQ(Int(reply, "n"), 0);
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 0);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 10334);
  EXPECT_EQ(Count("c"), 0);
  // Too large for a command at all.
  Document huge = Run(InsertCommand("c", DocumentOfSize(17 << 20)));
  ExpectError(huge, 10334, "BSONObjectTooLarge");
  // Exactly 16 MiB is fine.
  Document max = Run(InsertCommand("c", DocumentOfSize(16 << 20)));
  EXPECT_EQ(Int(max, "n"), 1) << Str(max, "writeErrors.0.errmsg");
}

TEST_F(CommandsTest, DocumentNestedHundredLevelsIsStoredHundredAndOneIsRejected) {
  Document ok = Run(InsertCommand("c", NestedDocumentBytes(100)));
  EXPECT_EQ(Int(ok, "n"), 1) << ok.ToJson();
  Document deep = Run(InsertCommand("c", NestedDocumentBytes(101)));
  EXPECT_EQ(Ok(deep), 1.0) << Str(deep, "errmsg");
  EXPECT_EQ(Int(deep, "n"), 0);
  EXPECT_EQ(Int(deep, "writeErrors.0.code"), 15);  // Overflow
  EXPECT_THAT(Str(deep, "writeErrors.0.errmsg"), HasSubstr("100"));
  EXPECT_EQ(Count("c"), 1);
  // The stored deep document reads back whole.
  Document find = Run(R"({"find": "c"})");
  EXPECT_EQ(ArraySize(find, "cursor.firstBatch"), 1);
}

TEST_F(CommandsTest, VeryDeepCommandIsRejectedWithoutCrashing) {
  Document reply = Run(InsertCommand("c", NestedDocumentBytes(20000)));
  ExpectError(reply, 15, "Overflow", "BSONObj exceeds maximum nested object depth");
  EXPECT_EQ(Count("c"), 0);
}

TEST_F(CommandsTest, InvalidUtf8InADocumentIsRejected) {
  Document command;
  bson_append_utf8(command.mutable_bson(), "insert", -1, "c", -1);
  bson_t docs, doc;
  bson_append_array_begin(command.mutable_bson(), "documents", -1, &docs);
  bson_append_document_begin(&docs, "0", -1, &doc);
  bson_append_utf8(&doc, "s", -1, "\xED\xA0\x80", 3);
  bson_append_document_end(&docs, &doc);
  bson_append_array_end(command.mutable_bson(), &docs);
  Document reply = Run(command);
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
  EXPECT_THAT(Str(reply, "errmsg"), HasSubstr("UTF-8"));
  EXPECT_EQ(Count("c"), 0);
}

// ---- find, getMore, killCursors -------------------------------------------------------------

TEST_F(CommandsTest, FindFirstBatchIs101ThenGetMoreReturnsTheRest) {
  InsertIds("c", 250);
  Document find = Run(R"({"find": "c", "filter": {}})");
  ASSERT_EQ(Ok(find), 1.0) << Str(find, "errmsg");
  EXPECT_EQ(ArraySize(find, "cursor.firstBatch"), 101);
  const int64_t id = Int(find, "cursor.id");
  EXPECT_NE(id, 0);
  EXPECT_EQ(Str(find, "cursor.ns"), "test.c");
  bson_iter_t id_field;
  ASSERT_TRUE(FindPath(find, "cursor.id", &id_field));
  EXPECT_TRUE(BSON_ITER_HOLDS_INT64(&id_field)) << "cursor ids are longs";
  Document more = GetMore(id, "c");
  ASSERT_EQ(Ok(more), 1.0) << Str(more, "errmsg");
  EXPECT_EQ(ArraySize(more, "cursor.nextBatch"), 149);
  EXPECT_EQ(Int(more, "cursor.id"), 0);
  EXPECT_EQ(Str(more, "cursor.ns"), "test.c");
  EXPECT_FALSE(Has(more, "cursor.firstBatch"));
  std::vector<int64_t> ids = Ids(find, "cursor.firstBatch");
  std::vector<int64_t> rest = Ids(more, "cursor.nextBatch");
  ids.insert(ids.end(), rest.begin(), rest.end());
  std::vector<int64_t> expected;
  for (int i = 0; i < 250; ++i) expected.push_back(i);
  EXPECT_THAT(ids, ElementsAreArray(expected));
}

TEST_F(CommandsTest, GetMoreWithBatchSizeUntilTheCursorIsExhausted) {
  InsertIds("c", 7);
  Document find = Run(R"({"find": "c", "batchSize": 3})");
  EXPECT_THAT(Ids(find, "cursor.firstBatch"), ElementsAre(0, 1, 2));
  const int64_t id = Int(find, "cursor.id");
  ASSERT_NE(id, 0);
  Document second = GetMore(id, "c", 3);
  EXPECT_THAT(Ids(second, "cursor.nextBatch"), ElementsAre(3, 4, 5));
  EXPECT_EQ(Int(second, "cursor.id"), id) << "the same cursor continues";
  Document third = GetMore(id, "c", 3);
  EXPECT_THAT(Ids(third, "cursor.nextBatch"), ElementsAre(6));
  EXPECT_EQ(Int(third, "cursor.id"), 0);
  // An exhausted cursor is gone.
  ExpectError(GetMore(id, "c"), 43, "CursorNotFound");
}

TEST_F(CommandsTest, BatchSizeZeroOpensACursorWithAnEmptyFirstBatch) {
  InsertIds("c", 4);
  Document find = Run(R"({"find": "c", "batchSize": 0})");
  EXPECT_EQ(ArraySize(find, "cursor.firstBatch"), 0) << find.ToJson();
  const int64_t id = Int(find, "cursor.id");
  ASSERT_NE(id, 0);
  Document more = GetMore(id, "c");
  EXPECT_THAT(Ids(more, "cursor.nextBatch"), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(Int(more, "cursor.id"), 0);
}

TEST_F(CommandsTest, FindLimit) {
  InsertIds("c", 10);
  Document find = Run(R"({"find": "c", "limit": 3})");
  EXPECT_THAT(Ids(find, "cursor.firstBatch"), ElementsAre(0, 1, 2));
  EXPECT_EQ(Int(find, "cursor.id"), 0) << "the limit is reached: no cursor";
  Document zero = Run(R"({"find": "c", "limit": 0})");
  EXPECT_EQ(ArraySize(zero, "cursor.firstBatch"), 10) << "limit 0 means no limit";
  // Limit across batches.
  Document batched = Run(R"({"find": "c", "limit": 5, "batchSize": 2})");
  EXPECT_THAT(Ids(batched, "cursor.firstBatch"), ElementsAre(0, 1));
  const int64_t id = Int(batched, "cursor.id");
  ASSERT_NE(id, 0);
  Document more = GetMore(id, "c", 2);
  EXPECT_THAT(Ids(more, "cursor.nextBatch"), ElementsAre(2, 3));
  Document last = GetMore(id, "c", 2);
  EXPECT_THAT(Ids(last, "cursor.nextBatch"), ElementsAre(4));
  EXPECT_EQ(Int(last, "cursor.id"), 0);
}

TEST_F(CommandsTest, FindSkip) {
  InsertIds("c", 10);
  EXPECT_THAT(Ids(Run(R"({"find": "c", "skip": 7})"), "cursor.firstBatch"), ElementsAre(7, 8, 9));
  EXPECT_THAT(Ids(Run(R"({"find": "c", "skip": 2, "limit": 3})"), "cursor.firstBatch"),
              ElementsAre(2, 3, 4));
  EXPECT_THAT(Ids(Run(R"({"find": "c", "skip": 50})"), "cursor.firstBatch"), IsEmpty());
  EXPECT_THAT(Ids(Run(R"({"find": "c", "skip": 0, "filter": {"_id": 4}})"), "cursor.firstBatch"),
              ElementsAre(4));
  EXPECT_THAT(Ids(Run(R"({"find": "c", "skip": 1, "filter": {"_id": 4}})"), "cursor.firstBatch"),
              IsEmpty());
}

TEST_F(CommandsTest, SingleBatchClosesTheCursor) {
  InsertIds("c", 10);
  Document find = Run(R"({"find": "c", "batchSize": 4, "singleBatch": true})");
  EXPECT_THAT(Ids(find, "cursor.firstBatch"), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(Int(find, "cursor.id"), 0);
  Document with_limit = Run(R"({"find": "c", "limit": 3, "singleBatch": true})");
  EXPECT_THAT(Ids(with_limit, "cursor.firstBatch"), ElementsAre(0, 1, 2));
  EXPECT_EQ(Int(with_limit, "cursor.id"), 0);
}

// MongoDB's find command validates limit >= 0 (IDL validator: Location51024); the legacy
// "negative limit = one batch" form is a shell/OP_QUERY convention that drivers translate into
// limit + singleBatch before sending.
// Issue 3 asks for the legacy meaning of a negative limit: |limit| documents in one batch,
// cursor closed. (MongoDB's own find command rejects it with 51024; drivers translate the
// shell's negative limit into limit + singleBatch before sending.)
TEST_F(CommandsTest, NegativeLimitReturnsOneBatchAndClosesTheCursor) {
  InsertIds("c", 10);
  Document reply = Run(R"({"find": "c", "limit": -3, "batchSize": 2})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "cursor.id"), 0);
  EXPECT_EQ(Int(reply, "cursor.firstBatch.1._id"), 1) << reply.ToJson();
  Document no_batch_size = Run(R"({"find": "c", "limit": -3})");
  EXPECT_EQ(Int(no_batch_size, "cursor.id"), 0);
  EXPECT_EQ(Int(no_batch_size, "cursor.firstBatch.2._id"), 2) << no_batch_size.ToJson();
}

TEST_F(CommandsTest, NegativeSkipAndBatchSizeAreRejected) {
  ExpectError(Run(R"({"find": "c", "skip": -1})"), 51024, "Location51024",
              "BSON field 'skip' value must be >= 0, actual value '-1'");
  ExpectError(Run(R"({"find": "c", "batchSize": -1})"), 51024, "Location51024",
              "BSON field 'batchSize' value must be >= 0, actual value '-1'");
}

TEST_F(CommandsTest, NegativeValuesAreErrors) {
  // Whatever the code, the replies are errors.
  for (const char* json : {R"({"find": "c", "skip": -1})", R"({"find": "c", "batchSize": -1})",
                           R"({"count": "c", "skip": -1})"}) {
    Document reply = Run(std::string_view(json));
    EXPECT_EQ(Ok(reply), 0.0) << json;
    EXPECT_THAT(Str(reply, "errmsg"), HasSubstr("must be >= 0")) << json;
  }
}

TEST_F(CommandsTest, FindOnAMissingCollectionIsAnEmptyExhaustedCursor) {
  Document find = Run(R"({"find": "missing", "filter": {}})");
  EXPECT_EQ(Ok(find), 1.0) << find.ToJson();
  EXPECT_EQ(ArraySize(find, "cursor.firstBatch"), 0);
  EXPECT_EQ(Int(find, "cursor.id"), 0);
  EXPECT_EQ(Str(find, "cursor.ns"), "test.missing");
  Document by_id = Run(R"({"find": "missing", "filter": {"_id": 1}})");
  EXPECT_EQ(ArraySize(by_id, "cursor.firstBatch"), 0);
  EXPECT_EQ(Run(R"({"listCollections": 1})").ToJson().find("missing"), std::string::npos)
      << "a read does not create the collection";
}

TEST_F(CommandsTest, FindByIdMatchesAcrossNumericTypes) {
  InsertIds("c", 5);
  for (const char* filter : {R"({"_id": 2})", R"({"_id": 2.0})", R"({"_id": {"$numberLong": "2"}})",
                             R"({"_id": {"$numberDecimal": "2.0"}})", R"({"_id": {"$eq": 2}})"}) {
    Document find = Run(std::string(R"({"find": "c", "filter": )") + filter + "}");
    EXPECT_THAT(Ids(find, "cursor.firstBatch"), ElementsAre(2)) << filter;
  }
  EXPECT_THAT(Ids(Run(R"({"find": "c", "filter": {"_id": "2"}})"), "cursor.firstBatch"), IsEmpty())
      << "a string is not a number";
}

// The query language is landing feature by feature: each of these either works (and then
// gives MongoDB's answer) or is refused with NotImplemented naming what was asked, never a
// silently wrong answer.
TEST_F(CommandsTest, QueryFeaturesEitherWorkOrAreRefusedClearly) {
  InsertIds("c", 3);
  struct Case {
    const char* command;
    std::vector<int64_t> ids;  // the answer when supported
  };
  for (const Case& c : std::vector<Case>{
           {R"({"find": "c", "filter": {"v": 10}})", {1}},
           {R"({"find": "c", "filter": {"_id": {"$gt": 0}}})", {1, 2}},
           {R"({"find": "c", "filter": {"_id": 1, "v": 20}})", {}},
           {R"({"find": "c", "sort": {"v": -1}})", {2, 1, 0}},
           {R"({"find": "c", "sort": {"v": -1}, "skip": 1, "limit": 1})", {1}},
       }) {
    Document reply = Run(std::string_view(c.command));
    if (RefusedAsNotImplemented(reply)) continue;
    EXPECT_EQ(Ok(reply), 1.0) << c.command << " → " << reply.ToJson();
    EXPECT_THAT(Ids(reply, "cursor.firstBatch"), ElementsAreArray(c.ids)) << c.command;
  }
  Document projected = Run(R"({"find": "c", "projection": {"v": 0}, "filter": {"_id": 2}})");
  if (!RefusedAsNotImplemented(projected)) {
    EXPECT_THAT(Keys(projected, "cursor.firstBatch.0"), ElementsAre("_id")) << projected.ToJson();
  }
  Document counted = Run(R"({"count": "c", "query": {"v": {"$gte": 10}}})");
  if (!RefusedAsNotImplemented(counted)) {
    EXPECT_EQ(Int(counted, "n"), 2) << counted.ToJson();
  }
  // Empty projection and sort are no-ops.
  Document empty = Run(R"({"find": "c", "projection": {}, "sort": {}})");
  EXPECT_THAT(Ids(empty, "cursor.firstBatch"), ElementsAre(0, 1, 2));
}

TEST_F(CommandsTest, GetMoreWithAnUnknownIdIsCursorNotFound) {
  ExpectError(GetMore(123456789, "c"), 43, "CursorNotFound", "cursor id 123456789 not found");
  ExpectError(GetMore(0, "c"), 43, "CursorNotFound");
}

TEST_F(CommandsTest, GetMoreNegativeBatchSizeIsAnError) {
  InsertIds("c", 5);
  Document find = Run(R"({"find": "c", "batchSize": 1})");
  const int64_t id = Int(find, "cursor.id");
  Document command;
  bson_append_int64(command.mutable_bson(), "getMore", -1, id);
  bson_append_utf8(command.mutable_bson(), "collection", -1, "c", -1);
  bson_append_int32(command.mutable_bson(), "batchSize", -1, -1);
  Document reply = Run(command);
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
}

TEST_F(CommandsTest, KillCursorsReplyShape) {
  InsertIds("c", 5);
  Document find = Run(R"({"find": "c", "batchSize": 1})");
  const int64_t id = Int(find, "cursor.id");
  ASSERT_NE(id, 0);
  Document kill;
  bson_append_utf8(kill.mutable_bson(), "killCursors", -1, "c", -1);
  bson_t cursors;
  bson_append_array_begin(kill.mutable_bson(), "cursors", -1, &cursors);
  bson_append_int64(&cursors, "0", -1, id);
  bson_append_int64(&cursors, "1", -1, 987654321);
  bson_append_array_end(kill.mutable_bson(), &cursors);
  Document reply = Run(kill);
  ASSERT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(ArraySize(reply, "cursorsKilled"), 1);
  EXPECT_EQ(Int(reply, "cursorsKilled.0"), id);
  EXPECT_EQ(ArraySize(reply, "cursorsNotFound"), 1);
  EXPECT_EQ(Int(reply, "cursorsNotFound.0"), 987654321);
  EXPECT_EQ(ArraySize(reply, "cursorsAlive"), 0);
  EXPECT_EQ(ArraySize(reply, "cursorsUnknown"), 0);
  ExpectError(GetMore(id, "c"), 43, "CursorNotFound");
}

TEST_F(CommandsTest, CursorReadsOneSnapshot) {
  InsertIds("c", 5);
  Document find = Run(R"({"find": "c", "batchSize": 2})");
  const int64_t id = Int(find, "cursor.id");
  ASSERT_NE(id, 0);
  InsertIds("c", 5, /*first=*/100);
  ASSERT_EQ(Ok(Run(R"({"delete": "c", "deletes": [{"q": {"_id": 4}, "limit": 1}]})")), 1.0);
  Document more = GetMore(id, "c");
  EXPECT_THAT(Ids(more, "cursor.nextBatch"), ElementsAre(2, 3, 4))
      << "writes after the find are not seen by its cursor";
}

// MongoDB kills a collection's cursors when it is dropped: the next getMore fails
// (QueryPlanKilled / CursorNotFound) instead of returning documents of a dropped collection.
TEST_F(CommandsTest, GetMoreAfterDropFails) {
  InsertIds("c", 5);
  Document find = Run(R"({"find": "c", "batchSize": 1})");
  const int64_t id = Int(find, "cursor.id");
  ASSERT_NE(id, 0);
  ASSERT_EQ(Ok(Run(R"({"drop": "c"})")), 1.0);
  Document more = GetMore(id, "c");
  EXPECT_EQ(Ok(more), 0.0) << more.ToJson();
}

TEST_F(CommandsTest, GetMoreOnTheWrongCollectionIsRejected) {
  InsertIds("c", 5);
  Document find = Run(R"({"find": "c", "batchSize": 1})");
  const int64_t id = Int(find, "cursor.id");
  Document reply = GetMore(id, "other");
  EXPECT_EQ(Ok(reply), 0.0) << reply.ToJson();
}

// ---- delete ---------------------------------------------------------------------------------

TEST_F(CommandsTest, DeleteLimitOneAndZero) {
  InsertIds("c", 5);
  Document one = Run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 1}]})");
  EXPECT_EQ(Ok(one), 1.0) << one.ToJson();
  EXPECT_EQ(Int(one, "n"), 1);
  EXPECT_FALSE(Has(one, "writeErrors"));
  EXPECT_THAT(AllIds("c"), ElementsAre(1, 2, 3, 4));
  Document by_id = Run(R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 0}]})");
  EXPECT_EQ(Int(by_id, "n"), 1);
  Document missing = Run(R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
  EXPECT_EQ(Int(missing, "n"), 0);
  Document all = Run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})");
  EXPECT_EQ(Int(all, "n"), 3);
  EXPECT_EQ(Count("c"), 0);
  Document no_collection = Run(R"({"delete": "nothing", "deletes": [{"q": {}, "limit": 0}]})");
  EXPECT_EQ(Ok(no_collection), 1.0);
  EXPECT_EQ(Int(no_collection, "n"), 0);
}

TEST_F(CommandsTest, DeleteSeveralStatementsAddUp) {
  InsertIds("c", 5);
  Document reply = Run(R"({"delete": "c", "deletes": [{"q": {"_id": 0}, "limit": 1},
      {"q": {"_id": 1}, "limit": 1}, {"q": {"_id": 99}, "limit": 1}]})");
  EXPECT_EQ(Int(reply, "n"), 2);
  EXPECT_THAT(AllIds("c"), ElementsAre(2, 3, 4));
}

TEST_F(CommandsTest, DeleteManyDocumentsAcrossChunks) {
  std::string docs;
  for (int i = 0; i < 2300; ++i) docs += std::string(i ? "," : "") + "{}";
  ASSERT_EQ(Int(Run(R"({"insert": "c", "documents": [)" + docs + "]}"), "n"), 2300);
  Document reply = Run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}]})");
  EXPECT_EQ(Int(reply, "n"), 2300);
  EXPECT_EQ(Count("c"), 0);
}

// MongoDB parses every statement before running any: a bad limit (or a missing one) fails the
// whole command with {ok: 0} (write_ops::readMultiDeleteProperty → FailedToParse).
TEST_F(CommandsTest, DeleteBadLimitFailsTheCommand) {
  InsertIds("c", 3);
  ExpectError(Run(R"({"delete": "c", "deletes": [{"q": {}, "limit": 2}]})"), 9, "FailedToParse",
              "The limit field in delete objects must be 0 or 1. Got 2");
  ExpectError(Run(R"({"delete": "c", "deletes": [{"q": {}}]})"), 40414, "Location40414",
              "BSON field 'delete.deletes.limit' is missing but a required field");
  EXPECT_EQ(Count("c"), 3);
}

TEST_F(CommandsTest, DeleteBadLimitIsRefused) {
  InsertIds("c", 3);
  // Whichever shape the refusal has, it names the problem and deletes nothing.
  for (const char* json : {R"({"delete": "c", "deletes": [{"q": {}, "limit": 2}]})",
                           R"({"delete": "c", "deletes": [{"q": {}, "limit": -1}]})",
                           R"({"delete": "c", "deletes": [{"q": {}, "limit": 0.5}]})",
                           R"({"delete": "c", "deletes": [{"q": {}}]})"}) {
    Document reply = Run(std::string_view(json));
    std::string text = reply.ToJson();
    EXPECT_TRUE(Ok(reply) == 0.0 || Has(reply, "writeErrors")) << json << " → " << text;
    EXPECT_THAT(text, HasSubstr("limit")) << json;
  }
  EXPECT_EQ(Count("c"), 3);
}

TEST_F(CommandsTest, DeleteByOtherFieldsEitherWorksOrIsRefusedClearly) {
  InsertIds("c", 3);
  Document reply = Run(R"({"delete": "c", "deletes": [{"q": {"v": 10}, "limit": 0}]})");
  if (RefusedAsNotImplemented(reply)) {
    EXPECT_EQ(Count("c"), 3) << "a refused delete deletes nothing";
  } else {
    EXPECT_EQ(Int(reply, "n"), 1) << reply.ToJson();
    EXPECT_THAT(AllIds("c"), ElementsAre(0, 2));
  }
}

// ---- update ---------------------------------------------------------------------------------

TEST_F(CommandsTest, ReplacementByIdKeepsTheId) {
  InsertIds("c", 3);
  Document reply =
      Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"name": "one", "v": 11}}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 1);
  EXPECT_EQ(Int(reply, "nModified"), 1);
  EXPECT_FALSE(Has(reply, "upserted"));
  Document find = Run(R"({"find": "c", "filter": {"_id": 1}})");
  EXPECT_THAT(Keys(find, "cursor.firstBatch.0"), ElementsAre("_id", "name", "v"));
  EXPECT_EQ(Str(find, "cursor.firstBatch.0.name"), "one");
  EXPECT_EQ(Count("c"), 3);
}

TEST_F(CommandsTest, ReplacementWithTheSameIdIsAllowed) {
  InsertIds("c", 3);
  Document reply =
      Run(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"x": 1, "_id": 2}}]})");
  EXPECT_EQ(Int(reply, "n"), 1);
  EXPECT_EQ(Int(reply, "nModified"), 1);
  Document find = Run(R"({"find": "c", "filter": {"_id": 2}})");
  EXPECT_THAT(Keys(find, "cursor.firstBatch.0"), ElementsAre("_id", "x"));
}

TEST_F(CommandsTest, IdenticalReplacementIsNotAModification) {
  InsertIds("c", 3);
  Document reply = Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"v": 10}}]})");
  EXPECT_EQ(Int(reply, "n"), 1);
  EXPECT_EQ(Int(reply, "nModified"), 0);
}

TEST_F(CommandsTest, NoMatchWithoutUpsertChangesNothing) {
  InsertIds("c", 3);
  Document reply = Run(R"({"update": "c", "updates": [{"q": {"_id": 9}, "u": {"v": 1}}]})");
  EXPECT_EQ(Ok(reply), 1.0);
  EXPECT_EQ(Int(reply, "n"), 0);
  EXPECT_EQ(Int(reply, "nModified"), 0);
  EXPECT_FALSE(Has(reply, "upserted"));
  EXPECT_EQ(Count("c"), 3);
  Document missing = Run(R"({"update": "nothing", "updates": [{"q": {}, "u": {"v": 1}}]})");
  EXPECT_EQ(Int(missing, "n"), 0);
}

TEST_F(CommandsTest, UpsertTakesTheIdFromTheFilter) {
  Document reply = Run(R"({"update": "c", "updates": [{"q": {"_id": 7}, "u": {"x": 1},
      "upsert": true}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 1);
  EXPECT_EQ(Int(reply, "nModified"), 0);
  ASSERT_EQ(ArraySize(reply, "upserted"), 1) << reply.ToJson();
  EXPECT_EQ(Int(reply, "upserted.0.index"), 0);
  EXPECT_EQ(Int(reply, "upserted.0._id"), 7);
  Document find = Run(R"({"find": "c", "filter": {"_id": 7}})");
  EXPECT_THAT(Keys(find, "cursor.firstBatch.0"), ElementsAre("_id", "x"));
  // The same upsert again now matches.
  Document again = Run(R"({"update": "c", "updates": [{"q": {"_id": 7}, "u": {"x": 2},
      "upsert": true}]})");
  EXPECT_EQ(Int(again, "n"), 1);
  EXPECT_EQ(Int(again, "nModified"), 1);
  EXPECT_FALSE(Has(again, "upserted"));
}

TEST_F(CommandsTest, UpsertWithAnEmptyFilterGeneratesAnId) {
  Document reply = Run(R"({"update": "c", "updates": [{"q": {}, "u": {"x": 1}, "upsert": true}]})");
  ASSERT_EQ(ArraySize(reply, "upserted"), 1) << reply.ToJson();
  bson_iter_t id;
  ASSERT_TRUE(FindPath(reply, "upserted.0._id", &id));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id));
  EXPECT_EQ(Count("c"), 1);
}

TEST_F(CommandsTest, UpsertedEntriesCarryTheirStatementIndex) {
  InsertIds("c", 2);
  Document reply = Run(R"({"update": "c", "updates": [
      {"q": {"_id": 0}, "u": {"v": 1}},
      {"q": {"_id": 50}, "u": {"v": 2}, "upsert": true},
      {"q": {"_id": 1}, "u": {"v": 10}},
      {"q": {"_id": 51}, "u": {"v": 3}, "upsert": true}]})");
  EXPECT_EQ(Int(reply, "n"), 4);
  EXPECT_EQ(Int(reply, "nModified"), 1);
  ASSERT_EQ(ArraySize(reply, "upserted"), 2) << reply.ToJson();
  EXPECT_EQ(Int(reply, "upserted.0.index"), 1);
  EXPECT_EQ(Int(reply, "upserted.0._id"), 50);
  EXPECT_EQ(Int(reply, "upserted.1.index"), 3);
  EXPECT_EQ(Int(reply, "upserted.1._id"), 51);
}

TEST_F(CommandsTest, ReplacementChangingTheIdIsImmutableField) {
  InsertIds("c", 3);
  Document reply =
      Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"_id": 2, "v": 0}}]})");
  EXPECT_EQ(Ok(reply), 1.0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "n"), 0);
  EXPECT_EQ(Int(reply, "nModified"), 0);
  ASSERT_EQ(ArraySize(reply, "writeErrors"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 0);
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 66);
  EXPECT_EQ(Str(reply, "writeErrors.0.codeName"), "ImmutableField");
  EXPECT_THAT(Str(reply, "writeErrors.0.errmsg"), HasSubstr("_id"));
  EXPECT_EQ(Int(Run(R"({"find": "c", "filter": {"_id": 1}})"), "cursor.firstBatch.0.v"), 10);
}

TEST_F(CommandsTest, UpdateOrderedStopsAtTheFirstError) {
  InsertIds("c", 3);
  Document reply = Run(R"({"update": "c", "updates": [
      {"q": {"_id": 0}, "u": {"v": 1}},
      {"q": {"_id": 1}, "u": {"_id": 5}},
      {"q": {"_id": 2}, "u": {"v": 3}}]})");
  EXPECT_EQ(Int(reply, "n"), 1);
  EXPECT_EQ(Int(reply, "writeErrors.0.index"), 1);
  EXPECT_EQ(ArraySize(reply, "writeErrors"), 1);
  Document unordered = Run(R"({"update": "c", "ordered": false, "updates": [
      {"q": {"_id": 0}, "u": {"v": 100}},
      {"q": {"_id": 1}, "u": {"_id": 5}},
      {"q": {"_id": 2}, "u": {"v": 300}}]})");
  EXPECT_EQ(Int(unordered, "n"), 2);
  EXPECT_EQ(Int(unordered, "nModified"), 2);
  EXPECT_EQ(Int(unordered, "writeErrors.0.index"), 1);
}

TEST_F(CommandsTest, UpdateOperatorsEitherWorkOrAreRefusedClearly) {
  InsertIds("c", 2);
  Document set = Run(R"({"update": "c", "updates": [{"q": {"_id": 0}, "u": {"$set": {"v": 1}}}]})");
  if (RefusedAsNotImplemented(set)) {
    EXPECT_THAT(set.ToJson(), HasSubstr("$set"));
    EXPECT_EQ(Int(Run(R"({"find": "c", "filter": {"_id": 0}})"), "cursor.firstBatch.0.v"), 0);
  } else {
    EXPECT_EQ(Int(set, "n"), 1) << set.ToJson();
    EXPECT_EQ(Int(set, "nModified"), 1);
    EXPECT_EQ(Int(Run(R"({"find": "c", "filter": {"_id": 0}})"), "cursor.firstBatch.0.v"), 1);
  }
  Document pipeline =
      Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": [{"$set": {"v": 7}}]}]})");
  if (RefusedAsNotImplemented(pipeline)) {
    EXPECT_THAT(pipeline.ToJson(), HasSubstr("pipeline"));
    EXPECT_EQ(Int(Run(R"({"find": "c", "filter": {"_id": 1}})"), "cursor.firstBatch.0.v"), 10);
  } else {
    EXPECT_EQ(Int(pipeline, "nModified"), 1) << pipeline.ToJson();
    EXPECT_EQ(Int(Run(R"({"find": "c", "filter": {"_id": 1}})"), "cursor.firstBatch.0.v"), 7);
  }
}

TEST_F(CommandsTest, MultiReplacementIsFailedToParse) {
  InsertIds("c", 2);
  Document reply = Run(R"({"update": "c", "updates": [{"q": {}, "u": {"v": 1}, "multi": true}]})");
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 9) << reply.ToJson();
  EXPECT_THAT(Str(reply, "writeErrors.0.errmsg"), HasSubstr("multi"));
}

TEST_F(CommandsTest, ReplacementWithADollarFieldIsRejected) {
  InsertIds("c", 2);
  Document reply =
      Run(R"({"update": "c", "updates": [{"q": {"_id": 0}, "u": {"v": 1, "$bad": 2}}]})");
  EXPECT_EQ(Int(reply, "n"), 0) << reply.ToJson();
  EXPECT_EQ(Int(reply, "writeErrors.0.code"), 52);
}

TEST_F(CommandsTest, UpdateStatementErrorsNameTheField) {
  Document missing_u = Run(R"({"update": "c", "updates": [{"q": {}}]})");
  EXPECT_THAT(missing_u.ToJson(), HasSubstr("'update.updates.u' is missing")) << missing_u.ToJson();
  Document bad_upsert = Run(R"({"update": "c", "updates": [{"q": {}, "u": {}, "upsert": "yes"}]})");
  EXPECT_THAT(bad_upsert.ToJson(), HasSubstr("'update.updates.upsert' is the wrong type"));
  Document unknown = Run(R"({"update": "c", "updates": [{"q": {}, "u": {}, "bogus": 1}]})");
  EXPECT_THAT(unknown.ToJson(), HasSubstr("'update.updates.bogus' is an unknown field"));
}

TEST_F(CommandsTest, UpdateNonObjectStatementIsTypeMismatch) {
  ExpectError(Run(R"({"update": "c", "updates": [5]})"), 14, "TypeMismatch",
              "'update.updates.0' is the wrong type 'int', expected type 'object'");
  ExpectError(Run(R"({"delete": "c", "deletes": ["x"]})"), 14, "TypeMismatch",
              "'delete.deletes.0'");
}

// ---- count ----------------------------------------------------------------------------------

TEST_F(CommandsTest, CountWithSkipAndLimit) {
  InsertIds("c", 10);
  EXPECT_EQ(Int(Run(R"({"count": "c"})"), "n"), 10);
  EXPECT_EQ(Int(Run(R"({"count": "c", "query": {}})"), "n"), 10);
  EXPECT_EQ(Int(Run(R"({"count": "c", "skip": 3, "limit": 4})"), "n"), 4);
  EXPECT_EQ(Int(Run(R"({"count": "c", "skip": 8, "limit": 4})"), "n"), 2);
  EXPECT_EQ(Int(Run(R"({"count": "c", "skip": 20})"), "n"), 0);
  EXPECT_EQ(Int(Run(R"({"count": "c", "limit": 3})"), "n"), 3);
  EXPECT_EQ(Int(Run(R"({"count": "c", "limit": -3})"), "n"), 3) << "count uses |limit|";
  EXPECT_EQ(Int(Run(R"({"count": "c", "query": {"_id": 4}})"), "n"), 1);
  EXPECT_EQ(Int(Run(R"({"count": "c", "query": {"_id": 4}, "skip": 1})"), "n"), 0);
  EXPECT_EQ(Int(Run(R"({"count": "c", "query": {"_id": 40}})"), "n"), 0);
  EXPECT_EQ(Int(Run(R"({"count": "missing"})"), "n"), 0);
}

TEST_F(CommandsTest, CountFollowsInsertsDeletesAndReplacements) {
  InsertIds("c", 5);
  Run(R"({"delete": "c", "deletes": [{"q": {"_id": 0}, "limit": 1}]})");
  EXPECT_EQ(Count("c"), 4);
  Run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"big": "xxxxxxxxxxxxxxxx"}}]})");
  EXPECT_EQ(Count("c"), 4);
  Run(R"({"update": "c", "updates": [{"q": {"_id": 100}, "u": {}, "upsert": true}]})");
  EXPECT_EQ(Count("c"), 5);
  Run(R"({"insert": "c", "documents": [{"_id": 2}]})");  // a duplicate: no change
  EXPECT_EQ(Count("c"), 5);
}

}  // namespace
}  // namespace strata
