// The `strata` CLI end to end: the real binary (STRATA_CLI_PATH) run as a subprocess on a
// temporary data directory, its stdout parsed back into documents.
#include <bson/bson.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "strata/document.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::ProcessResult;
using ::strata::testing::RunProcess;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kMongoImportData = std::string(STRATA_TEST_DATA_DIR) + "/mongoimport";

ProcessResult Strata(std::vector<std::string> args, std::string_view stdin_text = "") {
  args.insert(args.begin(), STRATA_CLI_PATH);
  return RunProcess(args, stdin_text);
}

// Non-empty lines of `text`.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

Document Parse(const std::string& line) {
  auto doc = Document::FromJson(line);
  EXPECT_TRUE(doc.ok()) << doc.status() << " in: " << line;
  return doc.ok() ? std::move(*doc) : Document();
}

bool Find(const Document& doc, const char* dotted, bson_iter_t* found) {
  bson_iter_t it;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, found);
}

// The number at `dotted` (any numeric type), or a test failure and -12345.
int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!Find(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

std::string Str(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!Find(doc, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) return "<missing>";
  return bson_iter_utf8(&found, nullptr);
}

// Elements of the array at `dotted`, or -1 when there is none.
int ArraySize(const Document& doc, const char* dotted) {
  bson_iter_t found, child;
  if (!Find(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) return -1;
  bson_iter_recurse(&found, &child);
  int n = 0;
  while (bson_iter_next(&child)) ++n;
  return n;
}

// The first field name of `doc`.
std::string FirstKey(const Document& doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc.bson()) || !bson_iter_next(&it)) return "";
  return bson_iter_key(&it);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

class CliTest : public ::testing::Test {
 protected:
  std::string Dir() const { return dir_.Sub("data"); }

  // `strata --db DIR run` on `commands` (one per line); the replies, parsed.
  std::vector<Document> Run(const std::string& commands, int expected_exit = 0) {
    ProcessResult result = Strata({"--db", Dir(), "run"}, commands);
    EXPECT_EQ(result.exit_code, expected_exit) << result.stderr_text;
    std::vector<Document> replies;
    for (const std::string& line : Lines(result.stdout_text)) replies.push_back(Parse(line));
    return replies;
  }

  // The collection's document count, through `strata run` and the count command.
  int64_t Count(const std::string& collection, const std::string& db = "test") {
    std::vector<Document> replies =
        Run(R"({"count": ")" + collection + R"(", "$db": ")" + db + "\"}\n");
    if (replies.size() != 1) {
      ADD_FAILURE() << "count printed " << replies.size() << " replies";
      return -1;
    }
    return Int(replies[0], "n");
  }

  // Inserts documents {_id: 0..n-1, x: "…"} through `strata insert COLL` from stdin.
  void InsertNumbered(const std::string& collection, int n) {
    std::string lines;
    for (int i = 0; i < n; ++i) {
      lines += "{\"_id\": " + std::to_string(i) + ", \"x\": \"doc " + std::to_string(i) + "\"}\n";
    }
    ProcessResult result = Strata({"--db", Dir(), "insert", collection}, lines);
    ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  }

  // Documents printed by `strata find`, parsed.
  std::vector<Document> FindDocs(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", Dir(), "find"});
    ProcessResult result = Strata(args);
    EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
    EXPECT_THAT(result.stderr_text, IsEmpty());
    std::vector<Document> docs;
    for (const std::string& line : Lines(result.stdout_text)) docs.push_back(Parse(line));
    return docs;
  }

  TempDir dir_;
};

// ---- strata run ---------------------------------------------------------------------------

TEST_F(CliTest, RunInsertThenFindRepliesAreMongoShaped) {
  std::vector<Document> replies =
      Run("{\"insert\": \"c\", \"documents\": [{\"a\": 1}]}\n"
          "{\"find\": \"c\", \"filter\": {}}\n");
  ASSERT_THAT(replies, SizeIs(2));
  EXPECT_EQ(Int(replies[0], "ok"), 1);
  EXPECT_EQ(Int(replies[0], "n"), 1);
  EXPECT_EQ(ArraySize(replies[0], "writeErrors"), -1) << replies[0].ToJson();

  const Document& find = replies[1];
  EXPECT_EQ(Int(find, "ok"), 1);
  EXPECT_EQ(Int(find, "cursor.id"), 0);
  EXPECT_EQ(Str(find, "cursor.ns"), "test.c");
  ASSERT_EQ(ArraySize(find, "cursor.firstBatch"), 1) << find.ToJson();
  EXPECT_EQ(Int(find, "cursor.firstBatch.0.a"), 1);
  bson_iter_t id;
  ASSERT_TRUE(Find(find, "cursor.firstBatch.0._id", &id));
  EXPECT_TRUE(BSON_ITER_HOLDS_OID(&id)) << "a generated _id is an ObjectId";
}

TEST_F(CliTest, RunPrintsOneReplyLinePerCommandAndSkipsBlankLines) {
  ProcessResult result =
      Strata({"--db", Dir(), "run"},
             "\n{\"ping\": 1}\n   \n{\"insert\": \"c\", \"documents\": [{}, {}]}\n"
             "{\"count\": \"c\"}");  // no final newline
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<std::string> lines = Lines(result.stdout_text);
  ASSERT_THAT(lines, SizeIs(3)) << result.stdout_text;
  EXPECT_EQ(Int(Parse(lines[0]), "ok"), 1);
  EXPECT_EQ(Int(Parse(lines[1]), "n"), 2);
  EXPECT_EQ(Int(Parse(lines[2]), "n"), 2);
}

TEST_F(CliTest, RunDollarDbPicksTheDatabase) {
  std::vector<Document> replies =
      Run("{\"insert\": \"c\", \"documents\": [{\"_id\": 1}, {\"_id\": 2}], \"$db\": \"other\"}\n"
          "{\"find\": \"c\", \"filter\": {}, \"$db\": \"other\"}\n"
          "{\"find\": \"c\", \"filter\": {}}\n");
  ASSERT_THAT(replies, SizeIs(3));
  EXPECT_EQ(Int(replies[0], "n"), 2);
  EXPECT_EQ(Str(replies[1], "cursor.ns"), "other.c");
  EXPECT_EQ(ArraySize(replies[1], "cursor.firstBatch"), 2);
  EXPECT_EQ(Str(replies[2], "cursor.ns"), "test.c");
  EXPECT_EQ(ArraySize(replies[2], "cursor.firstBatch"), 0) << "test.c was never written";
  EXPECT_EQ(Count("c", "other"), 2);
  EXPECT_EQ(Count("c", "test"), 0);
}

TEST_F(CliTest, RunDatabaseOptionSetsTheDefaultDatabase) {
  ProcessResult result = Strata({"--db", Dir(), "--database", "app", "run"},
                                "{\"insert\": \"users\", \"documents\": [{\"name\": \"Ada\"}]}\n");
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(Count("users", "app"), 1);
  EXPECT_EQ(Count("users", "test"), 0);
}

TEST_F(CliTest, RunReadsCommandsFromAFile) {
  const std::string file = dir_.Sub("commands.jsonl");
  WriteFile(file,
            "{\"insert\": \"c\", \"documents\": [{\"_id\": 1, \"v\": \"x\"}]}\n"
            "{\"find\": \"c\", \"filter\": {\"_id\": 1}}\n");
  ProcessResult result = Strata({"--db", Dir(), "run", file});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<std::string> lines = Lines(result.stdout_text);
  ASSERT_THAT(lines, SizeIs(2));
  Document find = Parse(lines[1]);
  EXPECT_EQ(Str(find, "cursor.firstBatch.0.v"), "x");
}

TEST_F(CliTest, RunUnreadableFileFailsWithoutCreatingTheDataDirectory) {
  ProcessResult result = Strata({"--db", Dir(), "run", dir_.Sub("no-such-file")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("no-such-file")));
  EXPECT_FALSE(std::filesystem::exists(Dir()));
}

TEST_F(CliTest, RunMalformedLineIsReportedByLineNumberAndFails) {
  InsertNumbered("c", 3);
  ASSERT_EQ(Count("c"), 3);
  ProcessResult result =
      Strata({"--db", Dir(), "run"}, "{\"count\": \"c\"}\n{\"find\": \"c\", \"filter\": {\n");
  EXPECT_NE(result.exit_code, 0);
  std::vector<std::string> errors = Lines(result.stderr_text);
  ASSERT_THAT(errors, SizeIs(1)) << result.stderr_text;
  EXPECT_THAT(errors[0], StartsWith("strata: "));
  EXPECT_THAT(errors[0], HasSubstr("line 2"));
  EXPECT_EQ(Count("c"), 3);
}

// A malformed line anywhere in the input: no command of the input may have run, so the data
// directory is unchanged (as `strata insert` parses all input before it writes).
TEST_F(CliTest, RunMalformedLineLeavesTheDataDirectoryUnchanged) {
  InsertNumbered("c", 3);
  ASSERT_EQ(Count("c"), 3);
  ProcessResult result = Strata({"--db", Dir(), "run"},
                                "{\"insert\": \"c\", \"documents\": [{\"_id\": 100}]}\n"
                                "{\"insert\": \"c\", \"documents\": [{\"_id\": 101}\n"
                                "{\"delete\": \"c\", \"deletes\": [{\"q\": {}, \"limit\": 0}]}\n");
  EXPECT_NE(result.exit_code, 0);
  std::vector<std::string> errors = Lines(result.stderr_text);
  ASSERT_THAT(errors, SizeIs(1)) << result.stderr_text;
  EXPECT_THAT(errors[0], HasSubstr("line 2"));
  EXPECT_EQ(Count("c"), 3) << "commands around a malformed line must not run";
}

TEST_F(CliTest, RunUnknownCommandRepliesCommandNotFoundAndFails) {
  std::vector<Document> replies = Run("{\"frobnicate\": 1}\n{\"ping\": 1}\n", /*expected_exit=*/1);
  ASSERT_THAT(replies, SizeIs(2));
  EXPECT_EQ(Int(replies[0], "ok"), 0);
  EXPECT_EQ(Int(replies[0], "code"), 59);
  EXPECT_EQ(Str(replies[0], "codeName"), "CommandNotFound");
  EXPECT_THAT(Str(replies[0], "errmsg"), HasSubstr("frobnicate"));
  EXPECT_EQ(Int(replies[1], "ok"), 1) << "later commands still run";
}

TEST_F(CliTest, RunWriteErrorsAreInTheReply) {
  std::vector<Document> replies =
      Run("{\"insert\": \"c\", \"documents\": [{\"_id\": 1}, {\"_id\": 1}]}\n");
  ASSERT_THAT(replies, SizeIs(1));
  EXPECT_EQ(Int(replies[0], "ok"), 1);
  EXPECT_EQ(Int(replies[0], "n"), 1);
  EXPECT_EQ(Int(replies[0], "writeErrors.0.index"), 1);
  EXPECT_EQ(Int(replies[0], "writeErrors.0.code"), 11000);
}

// ---- strata insert ------------------------------------------------------------------------

TEST_F(CliTest, InsertJsonLinesFromMongoImportTestData) {
  ProcessResult result =
      Strata({"--db", Dir(), "insert", "plain", kMongoImportData + "/test_plain.json"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("inserted 3 documents into test.plain"));
  std::vector<Document> docs = FindDocs({"plain"});
  ASSERT_THAT(docs, SizeIs(3));
  std::set<int64_t> a;
  for (const Document& doc : docs) {
    EXPECT_EQ(FirstKey(doc), "_id");
    EXPECT_EQ(Str(doc, "b"), "string value");
    a.insert(Int(doc, "a"));
  }
  EXPECT_EQ(a, (std::set<int64_t>{4, 5, 6}));
}

TEST_F(CliTest, InsertJsonArrayFromMongoImportTestData) {
  ProcessResult result =
      Strata({"--db", Dir(), "insert", "arr", kMongoImportData + "/test_array.json"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("inserted 27 documents"));
  EXPECT_EQ(Count("arr"), 27);
}

TEST_F(CliTest, InsertStripsAUtf8ByteOrderMark) {
  ProcessResult result =
      Strata({"--db", Dir(), "insert", "bom", kMongoImportData + "/test_bom.json"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<Document> docs = FindDocs({"bom"});
  ASSERT_THAT(docs, SizeIs(2));
  std::set<int64_t> a;
  for (const Document& doc : docs) {
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init(&it, doc.bson()));
    ASSERT_TRUE(bson_iter_next(&it) && bson_iter_next(&it));
    EXPECT_STREQ(bson_iter_key(&it), "a") << "the BOM must not become part of a field name";
    a.insert(Int(doc, "a"));
  }
  EXPECT_EQ(a, (std::set<int64_t>{1, 4}));
}

TEST_F(CliTest, InsertExtendedJsonKeepsTypes) {
  ProcessResult result =
      Strata({"--db", Dir(), "insert", "wiki", kMongoImportData + "/test_plain2.json"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<Document> docs = FindDocs({"wiki"});
  ASSERT_THAT(docs, SizeIs(10));
  bson_iter_t timestamp;
  ASSERT_TRUE(Find(docs[0], "timestamp", &timestamp));
  EXPECT_TRUE(BSON_ITER_HOLDS_DATE_TIME(&timestamp)) << docs[0].ToJson();
  EXPECT_EQ(bson_iter_date_time(&timestamp), 1409836258000);
}

TEST_F(CliTest, InsertFromStdinWithDatabaseOption) {
  ProcessResult result =
      Strata({"--db", Dir(), "--database", "app", "insert", "c"}, "{\"_id\": 1}\n\n{\"_id\": 2}\n");
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("inserted 2 documents into app.c"));
  EXPECT_EQ(Count("c", "app"), 2);
}

TEST_F(CliTest, InsertWithAMalformedLineInsertsNothing) {
  InsertNumbered("c", 2);
  ProcessResult result = Strata({"--db", Dir(), "insert", "c"},
                                "{\"_id\": 10}\n{\"_id\": 11}\n{\"_id\": 12,\n{\"_id\": 13}\n");
  EXPECT_EQ(result.exit_code, 1);
  std::vector<std::string> errors = Lines(result.stderr_text);
  ASSERT_THAT(errors, SizeIs(1)) << result.stderr_text;
  EXPECT_THAT(errors[0], HasSubstr("line 3"));
  EXPECT_EQ(Count("c"), 2);
}

TEST_F(CliTest, InsertWithAMalformedArrayInsertsNothing) {
  ProcessResult result =
      Strata({"--db", Dir(), "insert", "c"}, "[{\"_id\": 1}, {\"_id\": 2}, {\"_id\": ]");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("invalid JSON array")));
  EXPECT_EQ(Count("c"), 0);
}

TEST_F(CliTest, InsertArrayWithANonObjectElementInsertsNothing) {
  ProcessResult result = Strata({"--db", Dir(), "insert", "c"}, "[{\"_id\": 1}, 5]");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("array element 1")));
  EXPECT_EQ(Count("c"), 0);
}

TEST_F(CliTest, InsertDuplicateIdFails) {
  ProcessResult result = Strata({"--db", Dir(), "insert", "c"}, "{\"_id\": 1}\n{\"_id\": 1}\n");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("duplicate key")));
}

TEST_F(CliTest, InsertUnreadableFileFails) {
  ProcessResult result = Strata({"--db", Dir(), "insert", "c", dir_.Sub("missing.json")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("missing.json")));
}

// ---- strata find --------------------------------------------------------------------------

TEST_F(CliTest, FindByIdFilter) {
  InsertNumbered("c", 10);
  std::vector<Document> docs = FindDocs({"c", "--filter", R"({"_id": 5})"});
  ASSERT_THAT(docs, SizeIs(1));
  EXPECT_EQ(Int(docs[0], "_id"), 5);
  EXPECT_EQ(Str(docs[0], "x"), "doc 5");
  EXPECT_THAT(FindDocs({"c", "--filter", R"({"_id": 99})"}), IsEmpty());
}

TEST_F(CliTest, FindSkipAndLimit) {
  InsertNumbered("c", 10);
  std::vector<Document> docs = FindDocs({"c", "--skip", "2", "--limit", "3"});
  ASSERT_THAT(docs, SizeIs(3));
  EXPECT_EQ(Int(docs[0], "_id"), 2);
  EXPECT_EQ(Int(docs[1], "_id"), 3);
  EXPECT_EQ(Int(docs[2], "_id"), 4);
  EXPECT_THAT(FindDocs({"c", "--skip", "8"}), SizeIs(2));
  EXPECT_THAT(FindDocs({"c", "--skip", "20"}), IsEmpty());
  EXPECT_THAT(FindDocs({"c", "--limit", "4"}), SizeIs(4));
}

TEST_F(CliTest, FindPrettyPrintsEachDocumentOnSeveralLines) {
  InsertNumbered("c", 10);
  ProcessResult result =
      Strata({"--db", Dir(), "find", "c", "--filter", R"({"_id": 5})", "--pretty"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<std::string> lines = Lines(result.stdout_text);
  EXPECT_GE(lines.size(), 3u) << result.stdout_text;
  EXPECT_EQ(lines.front(), "{");
  EXPECT_EQ(lines.back(), "}");
  Document doc = Parse(result.stdout_text);  // the whole output is one document
  EXPECT_EQ(Int(doc, "_id"), 5);
  EXPECT_EQ(Str(doc, "x"), "doc 5");
}

TEST_F(CliTest, FindPrintsEveryDocumentAcrossGetMores) {
  InsertNumbered("c", 250);  // more than the first batch of 101
  std::vector<Document> docs = FindDocs({"c"});
  ASSERT_THAT(docs, SizeIs(250));
  for (int i = 0; i < 250; ++i) EXPECT_EQ(Int(docs[i], "_id"), i) << "in _id order";
  EXPECT_THAT(FindDocs({"c", "--limit", "150"}), SizeIs(150));
  EXPECT_THAT(FindDocs({"c", "--skip", "100", "--limit", "102"}), SizeIs(102));
}

TEST_F(CliTest, FindOnAMissingCollectionPrintsNothing) {
  InsertNumbered("c", 1);
  EXPECT_THAT(FindDocs({"nothing"}), IsEmpty());
}

// Filter, projection and sort beyond what the build evaluates fail with one line naming what
// is not supported (exit 1, nothing on stdout); once supported, they give the right documents.
TEST_F(CliTest, FindQueryOptionsEitherWorkOrFailClearly) {
  InsertNumbered("c", 3);
  struct Case {
    std::vector<std::string> args;
    std::string what;
    std::vector<int64_t> ids;  // the answer when supported
  };
  for (const Case& c : std::vector<Case>{
           {{"--filter", R"({"x": "doc 1"})"}, "filter", {1}},
           {{"--sort", R"({"x": -1})"}, "sort", {2, 1, 0}},
           {{"--projection", R"({"x": 0})"}, "projection", {0, 1, 2}},
       }) {
    std::vector<std::string> args = {"--db", Dir(), "find", "c"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult result = Strata(args);
    if (result.exit_code != 0) {
      EXPECT_EQ(result.exit_code, 1) << c.what;
      EXPECT_THAT(result.stdout_text, IsEmpty()) << c.what;
      EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr(c.what))) << c.what;
      continue;
    }
    std::vector<int64_t> ids;
    for (const std::string& line : Lines(result.stdout_text))
      ids.push_back(Int(Parse(line), "_id"));
    EXPECT_EQ(ids, c.ids) << c.what;
    if (c.what == "projection") {
      for (const std::string& line : Lines(result.stdout_text)) {
        EXPECT_EQ(Str(Parse(line), "x"), "<missing>") << line;
      }
    }
  }
}

TEST_F(CliTest, FindOnAMissingDataDirectoryFailsWithoutCreatingIt) {
  ProcessResult result = Strata({"--db", Dir(), "find", "c"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(Lines(result.stderr_text), ElementsAre(HasSubstr("cannot open")));
  EXPECT_FALSE(std::filesystem::exists(Dir()));
}

// ---- strata collections, help, usage ------------------------------------------------------

TEST_F(CliTest, CollectionsListsEveryCollectionWithItsCount) {
  InsertNumbered("c", 3);
  Run("{\"insert\": \"d\", \"documents\": [{\"_id\": 1}], \"$db\": \"other\"}\n");
  ProcessResult result = Strata({"--db", Dir(), "collections"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<std::string> lines = Lines(result.stdout_text);
  ASSERT_THAT(lines, SizeIs(2)) << result.stdout_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("test.c\t3 documents"));
  EXPECT_THAT(result.stdout_text, HasSubstr("other.d\t1 documents"));
}

TEST_F(CliTest, HelpPrintsUsage) {
  for (const char* help : {"help", "--help", "-h"}) {
    ProcessResult result = Strata({help});
    EXPECT_EQ(result.exit_code, 0) << help;
    EXPECT_THAT(result.stdout_text, HasSubstr("usage: strata")) << help;
    for (const char* subcommand : {"run", "insert", "find", "collections", "help"}) {
      EXPECT_THAT(result.stdout_text, HasSubstr(subcommand)) << help;
    }
    EXPECT_THAT(result.stderr_text, IsEmpty()) << help;
  }
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLineAndTouchNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--bogus", "run"}, "unknown option '--bogus'"},
           {{"run", "--bogus"}, "unknown option '--bogus'"},
           {{"frobnicate"}, "unknown subcommand 'frobnicate'"},
           {{}, "no subcommand"},
           {{"find", "c", "--limit"}, "--limit needs a value"},
           {{"find", "c", "--filter"}, "--filter needs a value"},
           {{"find", "c", "--limit", "ten"}, "--limit needs an integer"},
           {{"find", "c", "--skip", "1x"}, "--skip needs an integer"},
           {{"find", "c", "--filter", "{not json"}, "--filter"},
           {{"find"}, "collection name"},
           {{"find", "a", "b"}, "collection name"},
           {{"insert"}, "collection name"},
       }) {
    std::vector<std::string> args = {"--db", Dir()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult result = Strata(args);
    std::string what = c.args.empty() ? "(none)" : c.args[0];
    EXPECT_EQ(result.exit_code, 2) << what;
    EXPECT_THAT(result.stdout_text, IsEmpty()) << what;
    std::vector<std::string> lines = Lines(result.stderr_text);
    ASSERT_THAT(lines, SizeIs(1)) << what << ": " << result.stderr_text;
    EXPECT_THAT(lines[0], StartsWith("strata: ")) << what;
    EXPECT_THAT(lines[0], HasSubstr(c.message)) << what;
    EXPECT_FALSE(std::filesystem::exists(Dir())) << what << " created the data directory";
  }
  ProcessResult missing_db_value = Strata({"--db"});
  EXPECT_EQ(missing_db_value.exit_code, 2);
  EXPECT_THAT(Lines(missing_db_value.stderr_text), ElementsAre(HasSubstr("--db needs a value")));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

class CliExplainTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(CliExplainTest, PrintsThePlanTreeWithEstimatesAndActuals) {
  const std::string dir = dir_.Sub("data");
  std::string docs;
  for (int i = 0; i < 500; ++i) {
    docs += (i ? ", " : "") + std::string("{\"_id\": ") + std::to_string(i) +
            ", \"a\": " + std::to_string(i) + "}";
  }
  ProcessResult loaded =
      Strata({"--db", dir, "run"},
             "{\"insert\": \"c\", \"documents\": [" + docs + "]}\n" +
                 R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})" + "\n");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.stderr_text;
  // Progress of the index build goes to stderr.
  EXPECT_THAT(loaded.stderr_text, HasSubstr("Index build: test.c a_1: 500/500 documents (100%)"));

  ProcessResult explained = Strata({"--db", dir, "explain", "c", "--filter", R"({"a": 7})"});
  ASSERT_EQ(explained.exit_code, 0) << explained.stderr_text;
  EXPECT_THAT(explained.stdout_text, StartsWith("plan for test.c ("));
  EXPECT_THAT(explained.stdout_text, HasSubstr("  FETCH filter {\"a\": 7}    est. rows 1"));
  EXPECT_THAT(explained.stdout_text, HasSubstr("actual: 1 returned, 1 docs\n"));
  EXPECT_THAT(explained.stdout_text, HasSubstr("    IXSCAN a_1 forward {\"a\": [\"[7, 7]\"]}    "
                                               "actual: 1 returned, 1 keys\n"));
  EXPECT_THAT(explained.stdout_text, HasSubstr("rejected:\n  COLLSCAN"));

  ProcessResult bad = Strata({"--db", dir, "explain", "c", "--filter", "{nope"});
  EXPECT_EQ(bad.exit_code, 2);
  ProcessResult bad_hint_free = Strata({"--db", dir, "explain"});
  EXPECT_EQ(bad_hint_free.exit_code, 2);
}

}  // namespace
}  // namespace strata
