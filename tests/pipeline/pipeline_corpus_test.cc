// The aggregation corpus: every file tests/data/pipeline/*.json is a JSON array of cases, each
// run through the aggregate command (and getMore: batches of 2) of one shared database:
//
//   {"name": "…",
//    "docs": [ … ],                  // test.c's documents (the collection is recreated)
//    "other": {"coll": [ … ], …},    // more collections ($lookup, $unionWith, $merge targets)
//    "indexes": {"coll": [{key…}]},  // key patterns to index first (optional)
//    "pipeline": [ … ],
//    "options": { … },               // extra aggregate fields (allowDiskUse, let, …)
//    "expected": [ … ],              // the results, in order unless "unordered": true
//    "error": N, "contains": "…",    // or: the error code (and message part) expected
//    "after": {"coll": [ … ]}}       // collections' contents afterwards, in _id order
//
// Values compare with MongoDB's equality (1 == 1.0) unless "exact": true (byte equality).
// Expected outputs follow MongoDB's documented behaviour (most cases are the examples of the
// MongoDB manual's stage pages).
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "document/compare.h"
#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::TempDir;

struct CorpusCase {
  std::string file;
  std::string name;
  std::shared_ptr<const Document> spec;
};

std::vector<CorpusCase> LoadCases() {
  std::vector<CorpusCase> cases;
  std::string dir = std::string(STRATA_TEST_DATA_DIR) + "/pipeline";
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) {
      std::string name = entry->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json") files.push_back(name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    std::ifstream in(dir + "/" + file);
    std::stringstream text;
    text << in.rdbuf();
    auto wrapped = Document::FromJson("{\"cases\": " + text.str() + "}");
    if (!wrapped.ok()) {
      cases.push_back({file, "unparseable: " + std::string(wrapped.status().message()),
                       std::make_shared<Document>()});
      continue;
    }
    bson_iter_t it, child;
    bson_iter_init_find(&it, wrapped->bson(), "cases");
    bson_iter_recurse(&it, &child);
    while (bson_iter_next(&child)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&child, &length, &data);
      Document spec = Document::Copy(DocumentView(data, length));
      bson_iter_t name;
      std::string case_name = bson_iter_init_find(&name, spec.bson(), "name")
                                  ? bson_iter_utf8(&name, nullptr)
                                  : "unnamed";
      cases.push_back({file, case_name, std::make_shared<const Document>(std::move(spec))});
    }
  }
  return cases;
}

bool Field(const bson_t* doc, const char* name, bson_iter_t* it) {
  return bson_iter_init_find(it, doc, name);
}

DocumentView View(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &length, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_array(&it, &length, &data);
  } else {
    return DocumentView();
  }
  return DocumentView(data, length);
}

std::vector<Document> Elements(DocumentView array) {
  std::vector<Document> out;
  bson_t b;
  bson_iter_t it;
  if (!array.AsBson(&b) || !bson_iter_init(&it, &b)) return out;
  while (bson_iter_next(&it)) out.push_back(Document::Copy(View(it)));
  return out;
}

std::string Show(const std::vector<Document>& docs) {
  std::string out = "[";
  for (const Document& d : docs) out += d.ToJson() + ", ";
  return out + "]";
}

void ExpectSameList(std::vector<Document> actual, std::vector<Document> expected, bool unordered,
                    bool exact, const std::string& what) {
  auto less = [](const Document& a, const Document& b) {
    return document::CompareDocuments(a.view(), b.view()) < 0;
  };
  if (unordered) {
    std::sort(actual.begin(), actual.end(), less);
    std::sort(expected.begin(), expected.end(), less);
  }
  bool same = actual.size() == expected.size();
  for (size_t i = 0; same && i < actual.size(); ++i) {
    same = exact ? actual[i].view().BytesEqual(expected[i].view())
                 : document::CompareDocuments(actual[i].view(), expected[i].view()) == 0;
  }
  EXPECT_TRUE(same) << what << "\n  actual:   " << Show(actual)
                    << "\n  expected: " << Show(expected);
}

// Every document of a cursor reply and its getMore batches.
std::vector<Document> Drain(Database& db, const Document& first_reply, std::string* error) {
  std::vector<Document> docs;
  bson_iter_t it, value;
  bson_iter_init(&it, first_reply.bson());
  if (bson_iter_find_descendant(&it, "cursor.firstBatch", &value)) {
    for (Document& d : Elements(View(value))) docs.push_back(std::move(d));
  }
  int64_t cursor_id = 0;
  bson_iter_init(&it, first_reply.bson());
  if (bson_iter_find_descendant(&it, "cursor.id", &value)) cursor_id = bson_iter_as_int64(&value);
  std::string coll = "c";
  bson_iter_init(&it, first_reply.bson());
  if (bson_iter_find_descendant(&it, "cursor.ns", &value) && BSON_ITER_HOLDS_UTF8(&value)) {
    std::string full = bson_iter_utf8(&value, nullptr);
    coll = full.substr(full.find('.') + 1);
  }
  while (cursor_id != 0) {
    Document get_more;
    bson_append_int64(get_more.mutable_bson(), "getMore", 7, cursor_id);
    bson_append_utf8(get_more.mutable_bson(), "collection", 10, coll.c_str(), -1);
    bson_append_int32(get_more.mutable_bson(), "batchSize", 9, 2);
    Document reply = db.RunCommand("test", get_more.view());
    bson_iter_init(&it, reply.bson());
    if (bson_iter_find_descendant(&it, "errmsg", &value)) {
      *error = reply.ToJson();
      return docs;
    }
    bson_iter_init(&it, reply.bson());
    if (bson_iter_find_descendant(&it, "cursor.nextBatch", &value)) {
      for (Document& d : Elements(View(value))) docs.push_back(std::move(d));
    }
    cursor_id = 0;
    bson_iter_init(&it, reply.bson());
    if (bson_iter_find_descendant(&it, "cursor.id", &value)) cursor_id = bson_iter_as_int64(&value);
  }
  return docs;
}

class PipelineCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = Database::Open(dir_->path(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = db->release();
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  static Document Run(const Document& command) { return db_->RunCommand("test", command.view()); }
  static void Reset(const std::string& coll, DocumentView docs) {
    Document drop;
    bson_append_utf8(drop.mutable_bson(), "drop", 4, coll.c_str(), -1);
    Run(drop);
    if (docs.empty()) return;
    Document insert;
    bson_append_utf8(insert.mutable_bson(), "insert", 6, coll.c_str(), -1);
    bson_t array;
    docs.AsBson(&array);
    bson_append_array(insert.mutable_bson(), "documents", 9, &array);
    Document reply = Run(insert);
    ASSERT_EQ(reply.ToJson().find("writeErrors"), std::string::npos) << reply.ToJson();
  }

  static TempDir* dir_;
  static Database* db_;
};
TempDir* PipelineCorpusTest::dir_ = nullptr;
Database* PipelineCorpusTest::db_ = nullptr;

// One test per corpus file (one process under ctest); each case reports under its name.
struct CorpusFile {
  std::string file;
  std::vector<CorpusCase> cases;
};

std::vector<CorpusFile> LoadFiles() {
  std::vector<CorpusFile> files;
  for (CorpusCase& c : LoadCases()) {
    if (files.empty() || files.back().file != c.file) files.push_back({c.file, {}});
    files.back().cases.push_back(std::move(c));
  }
  return files;
}

void PrintTo(const CorpusFile& f, std::ostream* os) { *os << f.file; }

class PipelineCorpusFileTest : public PipelineCorpusTest,
                               public ::testing::WithParamInterface<CorpusFile> {
 public:
  static void RunCase(const CorpusCase& c);
};

TEST(PipelineCorpusSize, AtLeast300Cases) {
  size_t n = 0;
  for (const CorpusCase& c : LoadCases()) n += c.spec->view().empty() ? 0 : 1;
  EXPECT_GE(n, 300u);
}

TEST_P(PipelineCorpusFileTest, Cases) {
  for (const CorpusCase& c : GetParam().cases) RunCase(c);
}

void PipelineCorpusFileTest::RunCase(const CorpusCase& c) {
  SCOPED_TRACE(c.file + ": " + c.name);
  ASSERT_FALSE(c.spec->view().empty()) << c.name;
  const bson_t* spec = c.spec->bson();
  bson_iter_t it;
  // Fresh collections: c, and every collection named in "other" and "after".
  Reset("c", Field(spec, "docs", &it) ? View(it) : DocumentView());
  // "after" collections start empty unless "other" seeds them (reset in this order).
  for (const char* group : {"after", "other"}) {
    if (!Field(spec, group, &it)) continue;
    bson_iter_t coll;
    bson_iter_recurse(&it, &coll);
    while (bson_iter_next(&coll)) {
      Reset(bson_iter_key(&coll), std::string(group) == "other" ? View(coll) : DocumentView());
    }
  }
  if (Field(spec, "indexes", &it)) {
    bson_iter_t coll;
    bson_iter_recurse(&it, &coll);
    while (bson_iter_next(&coll)) {
      bson_iter_t key;
      bson_iter_recurse(&coll, &key);
      while (bson_iter_next(&key)) {
        Document create;
        bson_append_utf8(create.mutable_bson(), "createIndexes", -1, bson_iter_key(&coll), -1);
        bson_t indexes, index;
        bson_append_array_begin(create.mutable_bson(), "indexes", -1, &indexes);
        bson_append_document_begin(&indexes, "0", 1, &index);
        bson_append_iter(&index, "key", 3, &key);
        std::string name = std::string("i") + bson_iter_key(&key);
        bson_append_utf8(&index, "name", 4, name.c_str(), -1);
        bson_append_document_end(&indexes, &index);
        bson_append_array_end(create.mutable_bson(), &indexes);
        Document reply = Run(create);
        ASSERT_EQ(reply.ToJson().find("errmsg"), std::string::npos) << reply.ToJson();
      }
    }
  }
  Document command;
  bson_append_utf8(command.mutable_bson(), "aggregate", 9, "c", 1);
  ASSERT_TRUE(Field(spec, "pipeline", &it)) << "case has no pipeline";
  bson_append_iter(command.mutable_bson(), "pipeline", 8, &it);
  bson_t cursor;
  bson_append_document_begin(command.mutable_bson(), "cursor", 6, &cursor);
  bson_append_int32(&cursor, "batchSize", 9, 2);
  bson_append_document_end(command.mutable_bson(), &cursor);
  if (Field(spec, "options", &it)) {
    bson_iter_t option;
    bson_iter_recurse(&it, &option);
    while (bson_iter_next(&option)) {
      bson_append_iter(command.mutable_bson(), bson_iter_key(&option), -1, &option);
    }
  }
  Document reply = Run(command);
  std::string error;
  std::vector<Document> results;
  bson_iter_t errmsg;
  if (bson_iter_init_find(&errmsg, reply.bson(), "errmsg")) {
    error = reply.ToJson();
  } else {
    results = Drain(*db_, reply, &error);
  }
  if (Field(spec, "error", &it)) {
    ASSERT_FALSE(error.empty()) << "expected error " << bson_iter_as_int64(&it) << ", got "
                                << Show(results);
    auto parsed = Document::FromJson(error);
    ASSERT_TRUE(parsed.ok());
    bson_iter_t code;
    ASSERT_TRUE(bson_iter_init_find(&code, parsed->bson(), "code")) << error;
    EXPECT_EQ(bson_iter_as_int64(&code), bson_iter_as_int64(&it)) << error;
    bson_iter_t contains;
    if (Field(spec, "contains", &contains)) {
      EXPECT_THAT(error, ::testing::HasSubstr(bson_iter_utf8(&contains, nullptr)));
    }
    return;
  }
  ASSERT_TRUE(error.empty()) << error;
  const bool exact = Field(spec, "exact", &it) && bson_iter_as_bool(&it);
  const bool unordered = Field(spec, "unordered", &it) && bson_iter_as_bool(&it);
  if (Field(spec, "expected", &it)) {
    ExpectSameList(std::move(results), Elements(View(it)), unordered, exact, "results");
  }
  if (Field(spec, "after", &it)) {
    bson_iter_t coll;
    bson_iter_recurse(&it, &coll);
    while (bson_iter_next(&coll)) {
      Document find;
      bson_append_utf8(find.mutable_bson(), "find", 4, bson_iter_key(&coll), -1);
      Document contents = Run(find);
      std::string find_error;
      ExpectSameList(Drain(*db_, contents, &find_error), Elements(View(coll)), false, exact,
                     std::string("collection ") + bson_iter_key(&coll));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, PipelineCorpusFileTest, ::testing::ValuesIn(LoadFiles()),
                         [](const ::testing::TestParamInfo<CorpusFile>& info) {
                           std::string name = info.param.file.substr(0, info.param.file.size() - 5);
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace strata
