// The query-language corpus: every file in tests/data/query_corpus/*.json is a JSON array of
// cases, each run end to end through the command layer on a fresh collection:
//
//   {"name": "…",
//    "docs": [ … ],                 // inserted into test.c first (optional)
//    "command": { … },              // run in database "test"
//    "expect": {
//      "documents": [ … ],          // the whole result of a find/aggregate, in order
//      "unordered": true,           // compare "documents" as a multiset
//      "collection": [ … ],         // test.c's contents afterwards, in _id order
//      "reply": { … },              // fields the reply must contain (compared by value)
//      "error": {"code": N, "contains": "…"}}}
//
// Values compare with MongoDB's equality (1 == 1.0) unless the case says "exact": true, then
// byte for byte. Expected outputs are written from MongoDB's documented behaviour.
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
  std::shared_ptr<const Document> spec;  // shared: gtest copies parameters
};

std::vector<CorpusCase> LoadCases() {
  std::vector<CorpusCase> cases;
  std::string dir = std::string(STRATA_TEST_DATA_DIR) + "/query_corpus";
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
      cases.push_back({file, "<unparseable file: " + std::string(wrapped.status().message()) + ">",
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
                                  : "<unnamed>";
      cases.push_back({file, case_name, std::make_shared<const Document>(std::move(spec))});
    }
  }
  return cases;
}

// What gtest prints for a case (instead of its bytes).
void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.file << ": " << c.name; }

DocumentView Sub(const bson_t* doc, const char* dotted, bool* found) {
  bson_iter_t it, value;
  *found = bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted, &value) &&
           (BSON_ITER_HOLDS_DOCUMENT(&value) || BSON_ITER_HOLDS_ARRAY(&value));
  if (!*found) return DocumentView();
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&value)) {
    bson_iter_document(&value, &length, &data);
  } else {
    bson_iter_array(&value, &length, &data);
  }
  return DocumentView(data, length);
}

std::vector<Document> Elements(DocumentView array) {
  std::vector<Document> out;
  bson_t b;
  bson_iter_t it;
  if (!array.AsBson(&b) || !bson_iter_init(&it, &b)) return out;
  while (bson_iter_next(&it)) {
    Document wrapped;
    bson_append_iter(wrapped.mutable_bson(), "v", 1, &it);
    out.push_back(std::move(wrapped));
  }
  return out;
}

bool Same(const Document& a, const Document& b, bool exact) {
  return exact ? a.view().BytesEqual(b.view())
               : document::CompareDocuments(a.view(), b.view()) == 0;
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
  for (size_t i = 0; same && i < actual.size(); ++i) same = Same(actual[i], expected[i], exact);
  EXPECT_TRUE(same) << what << "\n  actual:   " << Show(actual)
                    << "\n  expected: " << Show(expected);
}

// Runs a command that returns a cursor and collects every batch.
std::vector<Document> Drain(Database& db, const Document& first_reply) {
  std::vector<Document> docs;
  bool found = false;
  DocumentView batch = Sub(first_reply.bson(), "cursor.firstBatch", &found);
  for (Document& d : Elements(batch)) docs.push_back(std::move(d));
  bson_iter_t it, id;
  int64_t cursor_id = 0;
  if (bson_iter_init(&it, first_reply.bson()) && bson_iter_find_descendant(&it, "cursor.id", &id)) {
    cursor_id = bson_iter_as_int64(&id);
  }
  bson_iter_t ns_it, ns;
  std::string coll = "c";
  if (bson_iter_init(&ns_it, first_reply.bson()) &&
      bson_iter_find_descendant(&ns_it, "cursor.ns", &ns) && BSON_ITER_HOLDS_UTF8(&ns)) {
    std::string full = bson_iter_utf8(&ns, nullptr);
    coll = full.substr(full.find('.') + 1);
  }
  while (cursor_id != 0) {
    Document get_more;
    bson_append_int64(get_more.mutable_bson(), "getMore", 7, cursor_id);
    bson_append_utf8(get_more.mutable_bson(), "collection", 10, coll.c_str(), -1);
    Document reply = db.RunCommand("test", get_more.view());
    for (Document& d : Elements(Sub(reply.bson(), "cursor.nextBatch", &found))) {
      docs.push_back(std::move(d));
    }
    bson_iter_t again, next_id;
    cursor_id = 0;
    if (bson_iter_init(&again, reply.bson()) &&
        bson_iter_find_descendant(&again, "cursor.id", &next_id)) {
      cursor_id = bson_iter_as_int64(&next_id);
    }
  }
  return docs;
}

class QueryCorpusTest : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(QueryCorpusTest, Case) {
  const CorpusCase& c = GetParam();
  SCOPED_TRACE(c.file + ": " + c.name);
  ASSERT_FALSE(c.spec->view().empty()) << c.name;
  TempDir dir;
  DatabaseOptions options;
  options.durability = Durability::kRelaxed;
  auto db = Database::Open(dir.path(), options);
  ASSERT_OK(db);
  bson_iter_t it;
  bool exact = bson_iter_init_find(&it, c.spec->bson(), "exact") && bson_iter_as_bool(&it);
  bool found = false;
  DocumentView docs = Sub(c.spec->bson(), "docs", &found);
  if (found && !docs.empty()) {
    Document insert;
    bson_append_utf8(insert.mutable_bson(), "insert", 6, "c", 1);
    bson_t array;
    docs.AsBson(&array);
    bson_append_array(insert.mutable_bson(), "documents", 9, &array);
    Document reply = (*db)->RunCommand("test", insert.view());
    ASSERT_EQ(reply.ToJson().find("writeErrors"), std::string::npos) << reply.ToJson();
  }
  DocumentView command = Sub(c.spec->bson(), "command", &found);
  ASSERT_TRUE(found) << "case has no command";
  Document reply = (*db)->RunCommand("test", command);
  bson_iter_t ok_it;
  double ok = bson_iter_init_find(&ok_it, reply.bson(), "ok") ? bson_iter_as_double(&ok_it) : -1;

  bool has_error = false;
  DocumentView error = Sub(c.spec->bson(), "expect.error", &has_error);
  if (has_error) {
    EXPECT_EQ(ok, 0.0) << "expected an error, got " << reply.ToJson();
    bson_t e;
    error.AsBson(&e);
    bson_iter_t code, contains, actual_code, message;
    if (bson_iter_init_find(&code, &e, "code")) {
      ASSERT_TRUE(bson_iter_init_find(&actual_code, reply.bson(), "code")) << reply.ToJson();
      EXPECT_EQ(bson_iter_as_int64(&actual_code), bson_iter_as_int64(&code)) << reply.ToJson();
    }
    if (bson_iter_init_find(&contains, &e, "contains") &&
        bson_iter_init_find(&message, reply.bson(), "errmsg")) {
      EXPECT_THAT(std::string(bson_iter_utf8(&message, nullptr)),
                  ::testing::HasSubstr(bson_iter_utf8(&contains, nullptr)));
    }
    return;
  }
  ASSERT_EQ(ok, 1.0) << reply.ToJson();

  bool has_documents = false;
  DocumentView expected_docs = Sub(c.spec->bson(), "expect.documents", &has_documents);
  if (has_documents) {
    bson_iter_t expect_it, unordered_it;
    bool unordered = bson_iter_init(&expect_it, c.spec->bson()) &&
                     bson_iter_find_descendant(&expect_it, "expect.unordered", &unordered_it) &&
                     bson_iter_as_bool(&unordered_it);
    ExpectSameList(Drain(**db, reply), Elements(expected_docs), unordered, exact, "documents");
  }
  bool has_collection = false;
  DocumentView expected_collection = Sub(c.spec->bson(), "expect.collection", &has_collection);
  if (has_collection) {
    Document find = *Document::FromJson(R"({"find": "c", "filter": {}})");
    Document contents = (*db)->RunCommand("test", find.view());
    ExpectSameList(Drain(**db, contents), Elements(expected_collection), false, exact,
                   "collection");
  }
  bool has_reply = false;
  DocumentView expected_reply = Sub(c.spec->bson(), "expect.reply", &has_reply);
  if (has_reply) {
    bson_t expected;
    expected_reply.AsBson(&expected);
    bson_iter_t field;
    bson_iter_init(&field, &expected);
    while (bson_iter_next(&field)) {
      bson_iter_t actual;
      ASSERT_TRUE(bson_iter_init_find(&actual, reply.bson(), bson_iter_key(&field)))
          << "reply lacks " << bson_iter_key(&field) << ": " << reply.ToJson();
      EXPECT_EQ(document::CompareValues(actual, field), 0)
          << "reply field " << bson_iter_key(&field) << ": " << reply.ToJson();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, QueryCorpusTest, ::testing::ValuesIn(LoadCases()),
                         [](const ::testing::TestParamInfo<CorpusCase>& info) {
                           std::string name =
                               info.param.file.substr(0, info.param.file.size() - 5) + "_" +
                               std::to_string(info.index);
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace strata
