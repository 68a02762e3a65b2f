// `strata shell` end to end: statements fed on stdin (no terminal: no prompt, no banner), and
// one session through a pseudo-terminal (forkpty) to check the prompt, libedit and history.
#include <bson/bson.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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

ProcessResult Shell(const TempDir& dir, std::string_view input) {
  return RunProcess({STRATA_CLI_PATH, "shell", "--db", dir.path()}, input);
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ShellTest, CrudShorthandPrintsAsMongosh) {
  TempDir dir;
  ProcessResult r = Shell(dir, R"(db.users.insertOne({_id: 1, name: 'ann', age: 31})
db.users.insertMany([{_id: 2, name: "bob", age: 25}, {_id: 3, name: 'cy', age: 40},])
db.users.find({age: {$gt: 30}}).sort({name: 1}).limit(5)
db.users.findOne({_id: 2}, {name: 1})
db.users.findOne({_id: 99})
db.users.updateOne({_id: 2}, {$set: {age: 26}})
db.users.updateMany({}, {$inc: {age: 1}})
db.users.replaceOne({_id: 4}, {name: 'dee'}, {upsert: true})
db.users.countDocuments({age: {$gte: 27}})
db.users.distinct('name')
db.users.deleteOne({_id: 4})
db.users.deleteMany({age: {$lt: 30}})
db.users.find().sort({_id: 1}).toArray()
)");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, R"({ acknowledged: true, insertedId: 1 }
{ acknowledged: true, insertedIds: { '0': 2, '1': 3 } }
[
  { _id: 1, name: 'ann', age: 31 },
  { _id: 3, name: 'cy', age: 40 }
]
{ _id: 2, name: 'bob' }
null
{
  acknowledged: true,
  insertedId: null,
  matchedCount: 1,
  modifiedCount: 1,
  upsertedCount: 0
}
{
  acknowledged: true,
  insertedId: null,
  matchedCount: 3,
  modifiedCount: 3,
  upsertedCount: 0
}
{
  acknowledged: true,
  insertedId: 4,
  matchedCount: 0,
  modifiedCount: 0,
  upsertedCount: 1
}
3
[ 'ann', 'bob', 'cy', 'dee' ]
{ acknowledged: true, deletedCount: 1 }
{ acknowledged: true, deletedCount: 1 }
[
  { _id: 1, name: 'ann', age: 32 },
  { _id: 3, name: 'cy', age: 41 }
]
)");
  EXPECT_EQ(r.stderr_text, "");
}

TEST(ShellTest, RelaxedJsonBecomesTypedBson) {
  TempDir dir;
  ProcessResult r = Shell(dir, R"(db.t.insertOne({
  _id: ObjectId("5a934e000102030405000000"),
  'single': 'q', "double": "d", unquoted: 1.5,
  when: ISODate("2000-07-20T00:00:00Z"), epoch: new Date(0),
  long: NumberLong(5), int: NumberInt("7"), dec: NumberDecimal("0.1"),
  re: /ab+c/i, list: [1, 2,], t: {$type: "string"},   // a comment
})
db.t.findOne()
)");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("when: ISODate('2000-07-20T00:00:00.000Z')"));
  EXPECT_THAT(r.stdout_text, HasSubstr("long: Long('5')"));
  auto db = Database::Open(dir.path());
  ASSERT_OK(db);
  Document reply = (*db)->RunCommand("test", testing::Json(R"({"find": "t"})").view());
  bson_iter_t it, doc;
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()) &&
              bson_iter_find_descendant(&it, "cursor.firstBatch.0", &doc));
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&doc, &length, &data);
  EXPECT_EQ(DocumentView(data, length).ToJson(JsonMode::kCanonical),
            R"({"_id": {"$oid": "5a934e000102030405000000"}, "single": "q", "double": "d", )"
            R"("unquoted": {"$numberDouble": "1.5"}, )"
            R"("when": {"$date": {"$numberLong": "964051200000"}}, )"
            R"("epoch": {"$date": {"$numberLong": "0"}}, "long": {"$numberLong": "5"}, )"
            R"("int": {"$numberInt": "7"}, "dec": {"$numberDecimal": "0.1"}, )"
            R"("re": {"$regularExpression": {"pattern": "ab+c", "options": "i"}}, )"
            R"("list": [{"$numberInt": "1"}, {"$numberInt": "2"}], "t": {"$type": "string"}})");
  ASSERT_OK((*db)->Close());
}

TEST(ShellTest, ItPagesTwentyDocumentsAtATime) {
  TempDir dir;
  std::string input = "db.n.insertMany([";
  for (int i = 1; i <= 45; ++i) input += "{_id: " + std::to_string(i) + "},";
  input += "])\ndb.n.find()\nit\nit\nit\n";
  ProcessResult r = Shell(dir, input);
  EXPECT_EQ(r.exit_code, 1);  // the last "it" has no cursor left
  EXPECT_EQ(Count(r.stdout_text, "{ _id: "), 45);
  EXPECT_EQ(Count(r.stdout_text, "Type \"it\" for more"), 2);
  EXPECT_THAT(r.stdout_text,
              HasSubstr("  { _id: 20 }\n]\nType \"it\" for more\n[\n  { _id: 21 },"));
  EXPECT_THAT(r.stdout_text, HasSubstr("  { _id: 45 }\n]\n"));
  EXPECT_THAT(r.stderr_text, HasSubstr("no cursor"));
}

TEST(ShellTest, MultiLineInputCommandsShowUseAndIndexes) {
  TempDir dir;
  ProcessResult r = Shell(dir, R"(use shop
db.items.insertMany([
  {_id: 1, sku: 'a'},
  {_id: 2, sku: 'b'}
])
db.items.createIndex({sku: 1}, {unique: true})
db.items.getIndexes()
show collections
{count: "items"}
db.runCommand({ping: 1}); db.getName()
db.items.explain().find({sku: 'a'})
db.items.find({sku: 'b'}).explain("executionStats")
db.items.dropIndex('sku_1')
show dbs
db.items.drop()
db.items.drop()
)");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("switched to db shop\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("'sku_1'\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("{ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true }"));
  EXPECT_THAT(r.stdout_text, HasSubstr("\nitems\n{ n: 2, ok: 1 }\n{ ok: 1 }\nshop\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("indexName: 'sku_1'"));
  EXPECT_THAT(r.stdout_text, HasSubstr("executionStats: {"));
  EXPECT_THAT(r.stdout_text, HasSubstr("{ nIndexesWas: 2, ok: 1 }"));
  EXPECT_THAT(r.stdout_text, HasSubstr("\nshop  "));
  EXPECT_THAT(r.stdout_text, HasSubstr("true\nfalse\n"));
}

TEST(ShellTest, ErrorsGoToStderrWithoutPromptNoise) {
  TempDir dir;
  ProcessResult r = Shell(dir, R"(db.c.insertOne({_id: 1})
db.c.insertOne({_id: 1})
db.c.find({a 1})
db.c.bogus()
db.c.find({$bad: 1})
{nosuchcommand: 1}
db.c.aggregate([{$match: {_id: 1}}])
exit
db.c.insertOne({_id: 2})
)");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr("MongoServerError: E11000 duplicate key"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("SyntaxError: line 1, column 14: expected ':' after field name 'a'"));
  EXPECT_THAT(r.stderr_text, HasSubstr("Error: unknown method db.c.bogus()"));
  EXPECT_THAT(r.stderr_text, HasSubstr("MongoServerError: [BadValue]"));
  EXPECT_THAT(r.stderr_text, HasSubstr("no such command: 'nosuchcommand'"));
  // aggregate is sent as the aggregate command (its result, or "no such command" before it lands).
  EXPECT_TRUE(r.stdout_text.find("{ _id: 1 }") != std::string::npos ||
              r.stderr_text.find("no such command: 'aggregate'") != std::string::npos)
      << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, Not(HasSubstr("> ")));
  EXPECT_THAT(r.stdout_text, Not(HasSubstr("_id: 2")));  // nothing after exit ran
}

TEST(ShellTest, CollectionAccessorsAndCursorCount) {
  TempDir dir;
  ProcessResult r = Shell(dir, R"(db['my coll'].insertOne({_id: 1})
db.getCollection('a.b').insertMany([{_id: 1, x: 1}, {_id: 2, x: 2}])
db.a.b.find({x: {$gte: 1}}).count()
db.a.b.find().sort({x: -1}).skip(1).limit(1)
db.a.b.estimatedDocumentCount()
db.getCollectionNames()
db.a.b.find({}, {_id: 0}).toArray()
help
)");
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("{ acknowledged: true, insertedId: 1 }\n"
                                       "{ acknowledged: true, insertedIds: { '0': 1, '1': 2 } }\n"
                                       "2\n[\n  { _id: 1, x: 1 }\n]\n2\n[ 'a.b', 'my coll' ]\n"
                                       "[\n  { x: 1 },\n  { x: 2 }\n]\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("strata shell: commands on the open data directory"));
}

TEST(ShellTest, EvalRunsStatements) {
  TempDir dir;
  ProcessResult r = RunProcess({STRATA_CLI_PATH, "shell", "--db", dir.path(), "--eval",
                                "db.e.insertOne({_id: 'x'}); db.e.countDocuments()"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "{ acknowledged: true, insertedId: 'x' }\n1\n");
}

// Reads from `fd` until `needle` has appeared in *all (or 10 s pass).
bool ReadUntil(int fd, const std::string& needle, std::string* all) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (all->find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return all->find(needle) != std::string::npos;
    all->append(buffer, static_cast<size_t>(n));
  }
  return true;
}

TEST(ShellTest, TerminalSessionHasPromptAndHistory) {
  TempDir dir;
  const std::string home = dir.Sub("home");
  ASSERT_EQ(mkdir(home.c_str(), 0700), 0);
  int fd = -1;
  pid_t pid = forkpty(&fd, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("HOME", home.c_str(), 1);
    setenv("TERM", "dumb", 1);
    std::string db = dir.Sub("data");
    execl(STRATA_CLI_PATH, STRATA_CLI_PATH, "shell", "--db", db.c_str(), nullptr);
    _exit(127);
  }
  std::string output;
  EXPECT_TRUE(ReadUntil(fd, "test> ", &output)) << output;
  EXPECT_THAT(output, HasSubstr("strata shell on"));
  const std::string line = "db.p.insertOne({_id: 7, note: 'from a tty'})\r";
  ASSERT_EQ(write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  EXPECT_TRUE(ReadUntil(fd, "insertedId: 7", &output)) << output;
  const std::string open_line = "db.p.find({\r";
  ASSERT_EQ(write(fd, open_line.data(), open_line.size()), static_cast<ssize_t>(open_line.size()));
  EXPECT_TRUE(ReadUntil(fd, "... ", &output)) << output;  // continuation prompt
  const std::string close_line = "_id: 7})\r";
  ASSERT_EQ(write(fd, close_line.data(), close_line.size()),
            static_cast<ssize_t>(close_line.size()));
  EXPECT_TRUE(ReadUntil(fd, "note: 'from a tty'", &output)) << output;
  // Ctrl-C drops a half-typed statement and the shell lives on. libedit may notice the
  // interrupt only when its read returns (at the next Enter, which that line then is lost
  // to), so an empty line follows the Ctrl-C: either way the message comes and no real
  // statement is dropped.
  const std::string half = "db.p.find({\r\x03\r";
  ASSERT_EQ(write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  EXPECT_TRUE(ReadUntil(fd, "Ctrl-C dropped the input", &output)) << output;
  const std::string count = "db.p.countDocuments()\r";
  ASSERT_EQ(write(fd, count.data(), count.size()), static_cast<ssize_t>(count.size()));
  EXPECT_TRUE(ReadUntil(fd, "countDocuments()\r\n1\r\n", &output)) << output;
  const std::string quit = "exit\r";
  ASSERT_EQ(write(fd, quit.data(), quit.size()), static_cast<ssize_t>(quit.size()));
  std::string rest;
  ReadUntil(fd, "\x04never", &rest);  // drain until the child closes the terminal
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream history(home + "/.strata_shell_history");
  std::string text((std::istreambuf_iterator<char>(history)), std::istreambuf_iterator<char>());
  // libedit's history file escapes spaces (\040).
  EXPECT_THAT(text, HasSubstr("db.p.insertOne({_id:"));
  EXPECT_EQ(Count(text, "db.p.insertOne"), 1) << text;
}

}  // namespace
}  // namespace strata
