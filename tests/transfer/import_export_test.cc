// `strata import` and `strata export` end to end: the real binary on a temporary data
// directory, the result read back through the library. Inputs under tests/data/import/ are
// mongoimport's own test files (see tests/data/README.md).
#include <bson/bson.h>

#include <fstream>
#include <string>
#include <vector>

#include "strata/database.h"
#include "strata/document.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::ProcessResult;
using ::strata::testing::RunProcess;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kData = std::string(STRATA_TEST_DATA_DIR) + "/import";

ProcessResult Strata(std::vector<std::string> args, std::string_view stdin_text = "") {
  args.insert(args.begin(), STRATA_CLI_PATH);
  return RunProcess(args, stdin_text);
}

// Every document of `collection` (database test) sorted by `sort`, read through the library.
std::vector<Document> Docs(const std::string& dir, const std::string& collection,
                           const std::string& sort = R"({"_id": 1})") {
  std::vector<Document> docs;
  DatabaseOptions options;
  options.create_if_missing = false;
  auto db = Database::Open(dir, options);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return docs;
  Document command = testing::Json(absl::StrCat(R"({"find": ")", collection, R"(", "sort": )", sort,
                                                R"(, "batchSize": 100000})"));
  Document reply = (*db)->RunCommand("test", command.view());
  bson_iter_t it, batch;
  EXPECT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "cursor.firstBatch", &batch))
      << reply.ToJson();
  bson_iter_t child;
  if (bson_iter_recurse(&batch, &child)) {
    while (bson_iter_next(&child)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&child, &length, &data);
      docs.push_back(Document::Copy(DocumentView(data, length)));
    }
  }
  EXPECT_OK((*db)->Close());
  return docs;
}

bson_type_t TypeOf(const Document& doc, const char* dotted) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, doc.bson()) || !bson_iter_find_descendant(&it, dotted, &found)) {
    return BSON_TYPE_EOD;
  }
  return bson_iter_type(&found);
}

// The document without its _id, as relaxed JSON (for comparing imported rows).
std::string WithoutId(const Document& doc) {
  bson_t copy = BSON_INITIALIZER;
  bson_copy_to_excluding_noinit(doc.bson(), &copy, "_id", nullptr);
  std::string json = DocumentView(&copy).ToJson();
  bson_destroy(&copy);
  return json;
}

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.Sub(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ImportTest, JsonLinesFromMongoImportTestData) {
  TempDir dir;
  ProcessResult r = Strata({"import", "--db", dir.path(), "--collection", "wiki", "--file",
                            kData + "/test_plain2.json"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stderr_text,
              HasSubstr("10 document(s) imported successfully. 0 document(s) failed to import."));
  std::vector<Document> docs = Docs(dir.path(), "wiki");
  ASSERT_EQ(docs.size(), 10u);
  // {"$date": …} came in as a BSON date.
  EXPECT_EQ(TypeOf(docs[0], "timestamp"), BSON_TYPE_DATE_TIME);
}

TEST(ImportTest, JsonArrayAndDefaultCollectionName) {
  TempDir dir;
  ProcessResult r =
      Strata({"import", "--db", dir.path(), "--jsonArray", kData + "/test_array.json"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("27 document(s) imported successfully."));
  EXPECT_EQ(Docs(dir.path(), "test_array").size(), 27u);  // named after the file
}

TEST(ImportTest, ExtendedJsonCanonicalRelaxedAndShellForms) {
  TempDir dir;
  ProcessResult r =
      Strata({"import", "--db", dir.path(), "-c", "x"},
             R"({"_id": 1, "d": {"$date": "2000-07-20T00:00:00Z"}, "l": {"$numberLong": "5"}}
{"_id": 2, "d": {"$date": {"$numberLong": "964051200000"}}, "n": {"$numberDecimal": "1.5"}, "i": {"$numberInt": "7"}}
{_id: 3, d: ISODate("2000-07-20"), o: ObjectId("5a934e000102030405000000"), 'q': 'single', big: 3000000000, f: 2.5,}
{"_id": 4, "d": {"$date": "2000-07-20T02:00:00.000+0200"}, "b": {"$binary": "AAE=", "$type": "80"}, "t": {"$type": 2}}
)");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "x");
  ASSERT_EQ(docs.size(), 4u);
  for (const Document& doc : docs) {
    EXPECT_EQ(TypeOf(doc, "d"), BSON_TYPE_DATE_TIME) << doc.ToJson();
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init_find(&it, doc.bson(), "d"));
    EXPECT_EQ(bson_iter_date_time(&it), 964051200000) << doc.ToJson();
  }
  EXPECT_EQ(TypeOf(docs[0], "l"), BSON_TYPE_INT64);
  EXPECT_EQ(TypeOf(docs[1], "n"), BSON_TYPE_DECIMAL128);
  EXPECT_EQ(TypeOf(docs[1], "i"), BSON_TYPE_INT32);
  EXPECT_EQ(TypeOf(docs[2], "_id"), BSON_TYPE_INT32);
  EXPECT_EQ(TypeOf(docs[2], "o"), BSON_TYPE_OID);
  EXPECT_EQ(TypeOf(docs[2], "q"), BSON_TYPE_UTF8);
  EXPECT_EQ(TypeOf(docs[2], "big"), BSON_TYPE_INT64);
  EXPECT_EQ(TypeOf(docs[2], "f"), BSON_TYPE_DOUBLE);
  EXPECT_EQ(TypeOf(docs[3], "b"), BSON_TYPE_BINARY);    // legacy {"$binary", "$type"}
  EXPECT_EQ(TypeOf(docs[3], "t"), BSON_TYPE_DOCUMENT);  // {"$type": 2} stays a document
}

TEST(ImportTest, MalformedJsonLineIsReportedAndSkipped) {
  TempDir dir;
  const std::string input = "{\"a\": 1}\n{\"a\": 2,, }\n{\"a\": 3}\n[1]\n";
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "x"}, input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 2, column"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("line 4: not a JSON object (a JSON array of documents needs --jsonArray)"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("2 document(s) imported successfully. 2 document(s) failed to import."));
  EXPECT_EQ(Docs(dir.path(), "x", R"({"a": 1})").size(), 2u);
}

TEST(ImportTest, StopOnErrorStopsAtTheFirstBadLine) {
  TempDir dir;
  const std::string input = "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n";
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "x", "--stopOnError"}, input);
  EXPECT_EQ(r.exit_code, 1);
  // The object runs on to the end of the input.
  EXPECT_THAT(r.stderr_text, HasSubstr("line 4, column 1: unexpected end of input inside an object "
                                       "(in the document starting on line 2)"));
  EXPECT_THAT(r.stderr_text, HasSubstr("1 document(s) imported successfully."));
  EXPECT_EQ(Docs(dir.path(), "x").size(), 1u);
}

TEST(ImportTest, DuplicateKeyIsAFailedDocumentWithItsLine) {
  TempDir dir;
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "x"},
                           "{\"_id\": 1}\n{\"_id\": 1}\n{\"_id\": 2}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 2: "));
  EXPECT_THAT(r.stderr_text, HasSubstr("duplicate key"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("2 document(s) imported successfully. 1 document(s) failed to import."));
}

TEST(ImportTest, CsvWithFieldsInfersTypes) {
  TempDir dir;
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "c", "--type", "csv", "--fields",
                            "a,b,c", "--file", kData + "/test.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "c", R"({"a": 1})");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(WithoutId(docs[0]), R"({"a": 1, "b": 2, "c": 3})");
  EXPECT_EQ(WithoutId(docs[1]), R"({"a": 3, "b": 5.4, "c": "string"})");
  EXPECT_EQ(TypeOf(docs[0], "a"), BSON_TYPE_INT32);
}

TEST(ImportTest, CsvFieldFileTsvBomAndBlanks) {
  TempDir dir;
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "t", "--type", "tsv", "--fieldFile",
                            kData + "/test_fields_valid.txt", "--file", kData + "/test.tsv"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "t", R"({"a": 1})");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(WithoutId(docs[2]), R"({"a": 5, "b": "string", "c": 6})");

  r = Strata({"import", "--db", dir.path(), "-c", "bom", "--type", "csv", "--fields", "a,b,c",
              "--file", kData + "/test_bom.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(WithoutId(Docs(dir.path(), "bom", R"({"a": 1})")[0]), R"({"a": 1, "b": 2, "c": 3})");

  // Blank cells are empty strings, or left out with --ignoreBlanks.
  r = Strata({"import", "--db", dir.path(), "-c", "blank", "--type", "csv", "--fields", "a,b,c",
              "--file", kData + "/test_blanks.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(WithoutId(Docs(dir.path(), "blank", R"({"a": 1})")[1]),
            R"({"a": 5, "b": "", "c": "6e"})");
  r = Strata({"import", "--db", dir.path(), "-c", "ignored", "--type", "csv", "--fields", "a,b,c",
              "--ignoreBlanks", "--file", kData + "/test_blanks.csv"});
  EXPECT_EQ(WithoutId(Docs(dir.path(), "ignored", R"({"a": 1})")[0]), R"({"a": 1, "b": 2})");
}

TEST(ImportTest, CsvQuotingEmbeddedNewlinesAndNestedFields) {
  TempDir dir;
  const std::string csv =
      "name,addr.city,addr.zip,note\r\n"
      "\"Smith, J\",Oslo,0150,\"said \"\"hi\"\"\"\r\n"
      "Doe,\"Ber\ngen\",,\r\n"
      "\n"
      "Roe,Bod\xc3\xb8,8000,plain\n";
  ProcessResult r =
      Strata({"import", "--db", dir.path(), "-c", "p", "--type", "csv", "--headerline"}, csv);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "p", R"({"name": 1})");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(WithoutId(docs[0]),
            R"({"name": "Doe", "addr": {"city": "Ber\ngen", "zip": ""}, "note": ""})");
  EXPECT_EQ(WithoutId(docs[1]),
            R"({"name": "Roe", "addr": {"city": "Bodø", "zip": 8000}, "note": "plain"})");
  EXPECT_EQ(WithoutId(docs[2]),
            R"({"name": "Smith, J", "addr": {"city": "Oslo", "zip": 150}, "note": "said \"hi\""})");
}

TEST(ImportTest, CsvBadQuoteAndWrongColumnCountNameTheLine) {
  TempDir dir;
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "bad", "--type", "csv", "--fields",
                            "a,b,c", "--file", kData + "/test_bad.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 2: bare \" in non-quoted field"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("2 document(s) imported successfully. 1 document(s) failed to import."));

  r = Strata({"import", "--db", dir.path(), "-c", "cols", "--type", "csv", "--headerline"},
             "a,b\n1,2\n1,2,3\n4,5\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 3: 3 fields, but 2 column names"));
  EXPECT_EQ(Docs(dir.path(), "cols").size(), 2u);
}

TEST(ImportTest, ColumnsHaveTypes) {
  TempDir dir;
  const std::string csv =
      "name.string(),age.int32(),born.date(2006-01-02),seen.date_go(2006-01-02 15:04:05.000),"
      "big.int64(),ok.boolean(),w.double(),p.decimal(),bin.binary(hex),any.auto()\n"
      "007,42,2000-07-20,2001-02-03 04:05:06.789,9000000000,true,1,0.1,ff00,12\n";
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "typed", "--type", "csv",
                            "--headerline", "--columnsHaveTypes"},
                           csv);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "typed");
  ASSERT_EQ(docs.size(), 1u);
  const Document& d = docs[0];
  EXPECT_EQ(TypeOf(d, "name"), BSON_TYPE_UTF8);
  EXPECT_EQ(TypeOf(d, "age"), BSON_TYPE_INT32);
  EXPECT_EQ(TypeOf(d, "big"), BSON_TYPE_INT64);
  EXPECT_EQ(TypeOf(d, "ok"), BSON_TYPE_BOOL);
  EXPECT_EQ(TypeOf(d, "w"), BSON_TYPE_DOUBLE);
  EXPECT_EQ(TypeOf(d, "p"), BSON_TYPE_DECIMAL128);
  EXPECT_EQ(TypeOf(d, "bin"), BSON_TYPE_BINARY);
  EXPECT_EQ(TypeOf(d, "any"), BSON_TYPE_INT32);
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init_find(&it, d.bson(), "born"));
  EXPECT_EQ(bson_iter_date_time(&it), 964051200000);
  ASSERT_TRUE(bson_iter_init_find(&it, d.bson(), "seen"));
  EXPECT_EQ(bson_iter_date_time(&it), 981173106789);
  ASSERT_TRUE(bson_iter_init_find(&it, d.bson(), "name"));
  EXPECT_STREQ(bson_iter_utf8(&it, nullptr), "007");
}

TEST(ImportTest, BadTypedValueFailsThatRow) {
  TempDir dir;
  ProcessResult r =
      Strata({"import", "--db", dir.path(), "-c", "t", "--type", "csv", "--headerline",
              "--columnsHaveTypes", "--file", kData + "/test_type.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text,
              HasSubstr("line 4: could not parse token 'BLAH' to type double for column 'number'"));
  std::vector<Document> docs = Docs(dir.path(), "t", R"({"number": 1})");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(WithoutId(docs[0]), R"({"zip": "12345", "number": 20.2})");

  r = Strata({"import", "--db", dir.path(), "-c", "u", "--type", "csv", "--headerline",
              "--columnsHaveTypes"},
             "a.int32(),b.date(2006-01-02)\n1,2000-01-01\nx,2000-01-01\n2,01/01/2000\n");
  EXPECT_THAT(r.stderr_text, HasSubstr("line 3: could not parse token 'x' to type int32"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 4: could not parse token '01/01/2000' to type date"));
  r = Strata({"import", "--db", dir.path(), "-c", "v", "--type", "csv", "--headerline",
              "--columnsHaveTypes"},
             "a,b.int32()\n1,2\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("column 'a' has no type"));
}

TEST(ImportTest, ParseGraceAutoCastSkipFieldSkipRow) {
  TempDir dir;
  const std::string csv = "a.int32(),b.string()\n1,x\nnope,y\n";
  auto import = [&](const std::string& collection, const std::string& grace) {
    return Strata({"import", "--db", dir.path(), "-c", collection, "--type", "csv", "--headerline",
                   "--columnsHaveTypes", "--parseGrace", grace},
                  csv);
  };
  ProcessResult r = import("auto", "autoCast");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(WithoutId(Docs(dir.path(), "auto", R"({"b": 1})")[1]), R"({"a": "nope", "b": "y"})");
  r = import("field", "skipField");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(WithoutId(Docs(dir.path(), "field", R"({"b": 1})")[1]), R"({"b": "y"})");
  r = import("row", "skipRow");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("line 3: skipped: could not parse token 'nope'"));
  EXPECT_EQ(Docs(dir.path(), "row").size(), 1u);
  r = import("stop", "stop");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("1 document(s) failed to import."));
  EXPECT_EQ(import("bad", "sometimes").exit_code, 2);
}

TEST(ImportTest, UpsertReplacesAndMergeSetsFields) {
  TempDir dir;
  ASSERT_EQ(Strata({"import", "--db", dir.path(), "-c", "u"},
                   "{\"_id\": 1, \"a\": 1, \"b\": 1}\n{\"_id\": 2, \"a\": 2, \"b\": 2}\n")
                .exit_code,
            0);
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "u", "--mode", "upsert"},
                           "{\"_id\": 1, \"c\": 10}\n{\"_id\": 3, \"c\": 30}\n");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "u");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].ToJson(), R"({"_id": 1, "c": 10})");
  EXPECT_EQ(docs[2].ToJson(), R"({"_id": 3, "c": 30})");

  r = Strata({"import", "--db", dir.path(), "-c", "u", "--mode", "merge"},
             "{\"_id\": 2, \"c\": 20, \"a\": 22}\n");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(Docs(dir.path(), "u")[1].ToJson(), R"({"_id": 2, "a": 22, "b": 2, "c": 20})");

  // --upsertFields on other fields (CSV, nested): one row updates, one inserts.
  ASSERT_EQ(Strata({"import", "--db", dir.path(), "-c", "n"},
                   "{\"k\": {\"x\": \"a\"}, \"v\": 1, \"keep\": true}\n")
                .exit_code,
            0);
  r = Strata({"import", "--db", dir.path(), "-c", "n", "--type", "csv", "--headerline", "--mode",
              "merge", "--upsertFields", "k.x"},
             "k.x,v\na,2\nb,3\n");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  docs = Docs(dir.path(), "n", R"({"v": 1})");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(WithoutId(docs[0]), R"({"k": {"x": "a"}, "v": 2, "keep": true})");
  EXPECT_EQ(WithoutId(docs[1]), R"({"k": {"x": "b"}, "v": 3})");
}

TEST(ImportTest, MongoImportDuplicateAndNestedUpsertFiles) {
  TempDir dir;
  // Insert mode: the second row with _id 5 is a duplicate key on line 4.
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "dup", "--type", "csv", "--fields",
                            "_id,b,c", "--file", kData + "/test_duplicate.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 4: E11000 duplicate key"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("4 document(s) imported successfully. 1 document(s) failed to import."));
  // Upsert mode: the later row replaces the earlier one.
  r = Strata({"import", "--db", dir.path(), "-c", "up", "--type", "csv", "--fields", "_id,b,c",
              "--mode", "upsert", "--file", kData + "/test_duplicate.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> docs = Docs(dir.path(), "up");
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[2].ToJson(), R"({"_id": 5, "b": 6, "c": 9})");

  // Typed nested upsert fields, imported twice: still one document.
  for (int i = 0; i < 2; ++i) {
    r = Strata({"import", "--db", dir.path(), "-c", "nested", "--type", "csv", "--headerline",
                "--columnsHaveTypes", "--upsertFields", "level1.level2.key1", "--file",
                kData + "/test_nested_upsert.csv"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  }
  docs = Docs(dir.path(), "nested");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(WithoutId(docs[0]), R"({"level1": {"level2": {"key1": "34532", "key2": "aabb"}}})");
}

// Hostile input: deep nesting, bad escapes, invalid UTF-8, NUL bytes, random bytes. Every
// record is either imported or reported; the process never crashes.
TEST(ImportTest, HostileInputIsReportedNotFatal) {
  TempDir dir;
  std::string deep(1000, '[');
  std::string input = "{\"a\": " + deep + "}\n";            // line 1: too deep
  input += "{\"s\": \"\\ud800\"}\n";                        // line 2: lone surrogate
  input += "{\"s\": \"\xff\xfe\"}\n";                       // line 3: invalid UTF-8
  input += std::string("{\"k\\u0000\": 1}\n");              // line 4: NUL in a key
  input += "{\"d\": {\"$date\": \"yesterday\"}}\n";         // line 5: bad $date
  input += "{\"n\": {\"$numberInt\": \"99999999999\"}}\n";  // line 6: out of range
  input += "{\"ok\": 1}\n";                                 // line 7: fine
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "h"}, input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("line 1, column 107: nested more than 100 levels"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 2, column 14: lone surrogate"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 3: s: string is not valid UTF-8"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 4: a field name contains a NUL byte"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 5: d: $date: 'yesterday' is not an ISO-8601 date"));
  EXPECT_THAT(r.stderr_text, HasSubstr("line 6: n: $numberInt needs a 32-bit integer"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("1 document(s) imported successfully. 6 document(s) failed to import."));

  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245 + 12345;
    static constexpr char kAlphabet[] = "{}[]\",:\\ \nax1$'/(";
    noise.push_back(kAlphabet[(x >> 16) % (sizeof(kAlphabet) - 1)]);
  }
  for (const char* type : {"json", "csv", "tsv"}) {
    r = Strata({"import", "--db", dir.path(), "-c", std::string("noise_") + type, "--type", type,
                "--fields", "a,b,c,d,e,f,g,h"},
               noise);
    if (std::string(type) == "json") {
      r = Strata({"import", "--db", dir.path(), "-c", "noise_json", "--type", type}, noise);
    }
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << type << ": " << r.exit_code;
    EXPECT_THAT(r.stderr_text, HasSubstr("document(s) failed to import.")) << type;
  }
}

TEST(ImportTest, DropAndUsageErrors) {
  TempDir dir;
  ASSERT_EQ(Strata({"import", "--db", dir.path(), "-c", "d"}, "{\"a\": 1}\n").exit_code, 0);
  ProcessResult r = Strata({"import", "--db", dir.path(), "-c", "d", "--drop"}, "{\"a\": 2}\n");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(Docs(dir.path(), "d").size(), 1u);
  EXPECT_EQ(Strata({"import", "--db", dir.path(), "-c", "d", "--type", "csv"}, "").exit_code, 2);
  EXPECT_EQ(Strata({"import", "--db", dir.path(), "-c", "d", "--mode", "delete"}, "").exit_code, 2);
  EXPECT_EQ(Strata({"import", "--db", dir.path(), "--bogus"}, "").exit_code, 2);
}

TEST(ExportTest, JsonQuerySortSkipLimitFields) {
  TempDir dir;
  ASSERT_EQ(Strata({"import", "--db", dir.path(), "-c", "e"},
                   "{\"_id\": 1, \"a\": 5, \"b\": \"x\"}\n{\"_id\": 2, \"a\": 3, \"b\": \"y\"}\n"
                   "{\"_id\": 3, \"a\": 9, \"b\": \"z\"}\n{\"_id\": 4, \"a\": 1}\n")
                .exit_code,
            0);
  ProcessResult r = Strata({"export", "--db", dir.path(), "-c", "e", "--query", "{a: {$gt: 1}}",
                            "--sort", "{a: -1}", "--skip", "1", "--limit", "1", "--fields", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "{\"_id\": 1, \"b\": \"x\"}\n");
  EXPECT_THAT(r.stderr_text, HasSubstr("exported 1 record"));

  r = Strata({"export", "--db", dir.path(), "-c", "e", "--jsonArray", "--sort", "{_id: 1}",
              "--limit", "2", "--jsonFormat", "canonical"});
  EXPECT_EQ(r.stdout_text,
            "[{\"_id\": {\"$numberInt\": \"1\"}, \"a\": {\"$numberInt\": \"5\"}, \"b\": \"x\"},"
            "{\"_id\": {\"$numberInt\": \"2\"}, \"a\": {\"$numberInt\": \"3\"}, \"b\": \"y\"}]\n");

  r = Strata({"export", "--db", dir.path(), "-c", "e", "--query", "{a: "});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("--query"));
  EXPECT_EQ(Strata({"export", "--db", dir.path(), "-c", "e", "--type", "csv"}).exit_code, 2);
}

TEST(ExportTest, CsvCellsAndRoundTripThroughImport) {
  TempDir dir;
  ASSERT_EQ(
      Strata(
          {"import", "--db", dir.path(), "-c", "src"},
          R"({"_id": 1, "s": "a,b", "q": "say \"hi\"", "nl": "x\ny", "n": {"v": 2.5, "w": [1, 2]}, "d": {"$date": "2000-07-20T00:00:00Z"}}
{"_id": 2, "s": " lead", "q": "", "n": {"v": 3}}
)")
          .exit_code,
      0);
  ProcessResult r = Strata({"export", "--db", dir.path(), "-c", "src", "--type", "csv", "--fields",
                            "_id,s,q,nl,n.v,n.w,d,missing", "--sort", "{_id: 1}"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text,
            "_id,s,q,nl,n.v,n.w,d,missing\n"
            "1,\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",2.5,\"[1, 2]\",2000-07-20T00:00:00.000Z,\n"
            "2,\" lead\",,,3,,,\n");
  std::string csv = WriteFile(dir, "out.csv", r.stdout_text);
  r = Strata({"import", "--db", dir.path(), "-c", "back", "--type", "csv", "--headerline",
              "--ignoreBlanks", "--file", csv});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> back = Docs(dir.path(), "back");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(
      back[0].ToJson(),
      R"({"_id": 1, "s": "a,b", "q": "say \"hi\"", "nl": "x\ny", "n": {"v": 2.5, "w": "[1, 2]"}, "d": "2000-07-20T00:00:00.000Z"})");
  EXPECT_EQ(back[1].ToJson(), R"({"_id": 2, "s": " lead", "n": {"v": 3}})");

  r = Strata({"export", "--db", dir.path(), "-c", "src", "--type", "csv", "--fields", "s",
              "--noHeaderLine", "--query", "{_id: 2}"});
  EXPECT_EQ(r.stdout_text, "\" lead\"\n");
}

// Every BSON type survives export (canonical Extended JSON) → import byte for byte.
TEST(ExportTest, CanonicalRoundTripKeepsEveryBsonType) {
  TempDir dir;
  {
    auto db = Database::Open(dir.path());
    ASSERT_OK(db);
    Collection c = (*db)->GetCollection("test", "all");
    Document doc;
    bson_t* b = doc.mutable_bson();
    BSON_APPEND_INT32(b, "_id", 1);
    BSON_APPEND_DOUBLE(b, "double", 1.0);
    BSON_APPEND_DOUBLE(b, "double_frac", 0.1);
    BSON_APPEND_DOUBLE(b, "inf", INFINITY);
    BSON_APPEND_DOUBLE(b, "neg_inf", -INFINITY);
    BSON_APPEND_DOUBLE(b, "nan", NAN);
    BSON_APPEND_DOUBLE(b, "neg_zero", -0.0);
    BSON_APPEND_UTF8(b, "string", "h\xc3\xa9llo \"q\" \\ \n\t\x01");
    bson_t sub;
    BSON_APPEND_DOCUMENT_BEGIN(b, "doc", &sub);
    BSON_APPEND_INT32(&sub, "$type", 2);  // would confuse libbson's JSON reader
    BSON_APPEND_UTF8(&sub, "$regex", "not a regex");
    bson_append_document_end(b, &sub);
    BSON_APPEND_ARRAY_BEGIN(b, "array", &sub);
    BSON_APPEND_INT32(&sub, "0", 1);
    BSON_APPEND_UTF8(&sub, "1", "two");
    bson_append_array_end(b, &sub);
    const uint8_t bytes[] = {0, 1, 2, 255};
    BSON_APPEND_BINARY(b, "bin", BSON_SUBTYPE_BINARY, bytes, 4);
    BSON_APPEND_BINARY(b, "uuid", BSON_SUBTYPE_UUID, (const uint8_t*)"0123456789abcdef", 16);
    BSON_APPEND_BINARY(b, "user", BSON_SUBTYPE_USER, bytes, 2);
    BSON_APPEND_UNDEFINED(b, "undefined");
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5a934e000102030405000000");
    BSON_APPEND_OID(b, "oid", &oid);
    BSON_APPEND_BOOL(b, "bool", true);
    BSON_APPEND_DATE_TIME(b, "date", 964051200123);
    BSON_APPEND_DATE_TIME(b, "date_old", -62135596800001);
    BSON_APPEND_NULL(b, "null");
    BSON_APPEND_REGEX(b, "regex", "^a.*b$", "imx");
    bson_append_dbpointer(b, "dbpointer", -1, "db.coll", &oid);
    BSON_APPEND_CODE(b, "code", "function() { return 1; }");
    BSON_APPEND_SYMBOL(b, "symbol", "sym");
    bson_t scope = BSON_INITIALIZER;
    BSON_APPEND_INT32(&scope, "x", 1);
    BSON_APPEND_CODE_WITH_SCOPE(b, "code_w_scope", "x", &scope);
    bson_destroy(&scope);
    BSON_APPEND_INT32(b, "int32", -2147483647 - 1);
    BSON_APPEND_TIMESTAMP(b, "timestamp", 4294967295u, 7);
    BSON_APPEND_INT64(b, "int64", INT64_MAX);
    BSON_APPEND_INT64(b, "int64_small", 1);
    bson_decimal128_t dec;
    bson_decimal128_from_string("-1.2345E-300", &dec);
    BSON_APPEND_DECIMAL128(b, "decimal", &dec);
    BSON_APPEND_MINKEY(b, "minkey");
    BSON_APPEND_MAXKEY(b, "maxkey");
    ASSERT_OK(c.InsertOne(doc.view()));
    Document plain = testing::Json(R"({"_id": 2, "a": {"b": [{"c": null}]}})");
    ASSERT_OK(c.InsertOne(plain.view()));
    ASSERT_OK((*db)->Close());
  }
  std::string out = dir.Sub("all.json");
  ProcessResult r = Strata(
      {"export", "--db", dir.path(), "-c", "all", "--jsonFormat", "canonical", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  r = Strata({"import", "--db", dir.path(), "-c", "copy", "--file", out});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<Document> original = Docs(dir.path(), "all");
  std::vector<Document> copy = Docs(dir.path(), "copy");
  ASSERT_EQ(original.size(), 2u);
  ASSERT_EQ(copy.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(original[i].view().BytesEqual(copy[i].view()))
        << original[i].ToJson(JsonMode::kCanonical) << "\n"
        << copy[i].ToJson(JsonMode::kCanonical);
  }
  // Relaxed output goes back to the same values where relaxed JSON is exact.
  r = Strata({"export", "--db", dir.path(), "-c", "all", "--query", "{_id: 2}", "--pretty"});
  r = Strata({"import", "--db", dir.path(), "-c", "relaxed"}, r.stdout_text);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_TRUE(Docs(dir.path(), "relaxed")[0].view().BytesEqual(original[1].view()));
}

}  // namespace
}  // namespace strata
