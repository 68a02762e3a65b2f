// Tests of the validate command (db/validate_collection.h, db/commands_index_admin.cc): a clean
// collection with every index kind validates with MongoDB's reply shape; then the collection is
// corrupted directly through the storage engine (index entries deleted, added or pointed at the
// wrong `_id`, documents changed behind the indexes' back, counters skewed, invalid records) and
// each corruption must be reported with the right counts, entries and messages. The comparison
// in runs (a tiny memory budget) must find exactly what a single run finds.
#include <bson/bson.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/validate_collection.h"
#include "document/key_string.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "index/index_key_layout.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::Contains;
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

int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

bool Bool(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_BOOL(&found)) {
    ADD_FAILURE() << "no bool at " << dotted << " in " << doc.ToJson();
    return false;
  }
  return bson_iter_bool(&found);
}

std::string Str(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) return "<missing>";
  return bson_iter_utf8(&found, nullptr);
}

std::vector<std::string> Strings(const Document& doc, const char* dotted) {
  std::vector<std::string> out;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) {
    ADD_FAILURE() << "no array at " << dotted << " in " << doc.ToJson();
    return out;
  }
  bson_iter_recurse(&found, &child);
  while (bson_iter_next(&child)) {
    if (BSON_ITER_HOLDS_UTF8(&child)) out.emplace_back(bson_iter_utf8(&child, nullptr));
  }
  return out;
}

// The documents of the array at `dotted`.
std::vector<Document> Docs(const Document& doc, const char* dotted) {
  std::vector<Document> out;
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) {
    ADD_FAILURE() << "no array at " << dotted << " in " << doc.ToJson();
    return out;
  }
  bson_iter_recurse(&found, &child);
  while (bson_iter_next(&child)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&child)) continue;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&child, &length, &data);
    out.push_back(Document::Copy(DocumentView(data, length)));
  }
  return out;
}

int ArraySize(const Document& doc, const char* dotted) {
  bson_iter_t found, child;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_ARRAY(&found)) return -1;
  bson_iter_recurse(&found, &child);
  int n = 0;
  while (bson_iter_next(&child)) ++n;
  return n;
}

// The shell-style command text these tests write ({insert: 'c', documents: [{a: 1}]}) as strict
// JSON for testing::Json: unquoted keys get quotes, single-quoted strings double quotes.
std::string Strict(const std::string& shell) {
  std::string out;
  char quote = 0;  // the quote of the string being copied, or 0
  for (size_t i = 0; i < shell.size(); ++i) {
    const char c = shell[i];
    if (quote != 0) {
      if (c == '\\' && i + 1 < shell.size()) {
        out += c;
        out += shell[++i];
      } else if (c == quote) {
        out += '"';
        quote = 0;
      } else if (c == '"') {
        out += "\\\"";
      } else {
        out += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += '"';
      continue;
    }
    const bool starts_name = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
    if (starts_name) {
      size_t end = i;
      while (end < shell.size() && (std::isalnum(static_cast<unsigned char>(shell[end])) ||
                                    shell[end] == '_' || shell[end] == '$' || shell[end] == '.')) {
        ++end;
      }
      size_t next = end;
      while (next < shell.size() && shell[next] == ' ') ++next;
      if (next < shell.size() && shell[next] == ':') {
        absl::StrAppend(&out, "\"", shell.substr(i, end - i), "\"");
      } else {
        out += shell.substr(i, end - i);
      }
      i = end - 1;
      continue;
    }
    out += c;
  }
  return out;
}

// The key string of a JSON value.
std::string Enc(const std::string& json_value) {
  const Document doc = Json(Strict("{v: " + json_value + "}"));
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  return document::EncodeKeyString(it);
}

std::string Bytes(const Document& doc) {
  return std::string(reinterpret_cast<const char*>(doc.data()), doc.size());
}

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }

  void Open() {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = DatabaseImpl::Open(dir_.Sub("db"), options);
    ASSERT_OK(db);
    db_ = std::move(*db);
  }

  Document Run(const std::string& json) { return Dispatch(*db_, Json(Strict(json)).view()); }
  void RunOk(const std::string& json) {
    Document reply = Run(json);
    bson_iter_t ok;
    ASSERT_TRUE(bson_iter_init_find(&ok, reply.bson(), "ok") && bson_iter_as_double(&ok) == 1.0)
        << json << " → " << reply.ToJson();
    ASSERT_FALSE(Has(reply, "writeErrors")) << reply.ToJson();
  }
  Document Validate(const std::string& extra = "") {
    Document reply = Run("{validate: 'c'" + extra + "}");
    EXPECT_EQ(Int(reply, "ok"), 1) << reply.ToJson();
    return reply;
  }

  engine::StorageEngine& engine() { return db_->engine(); }
  engine::CollectionHandle Collection() { return db_->catalog().Find("test.c"); }
  index::IndexId IndexIdOf(const std::string& name) {
    for (const engine::IndexEntry& entry : Collection()->indexes) {
      bson_iter_t it;
      if (bson_iter_init_find(&it, entry.descriptor.bson(), "name") &&
          name == bson_iter_utf8(&it, nullptr)) {
        return entry.id;
      }
    }
    ADD_FAILURE() << "no index " << name;
    return 0;
  }

  // Raw entries (key, value) of an index, in order.
  std::vector<std::pair<std::string, std::string>> Entries(index::IndexId id) {
    std::vector<std::pair<std::string, std::string>> out;
    const std::string prefix = index::IndexPrefix(id);
    std::unique_ptr<rocksdb::Iterator> it(
        engine().db()->NewIterator(rocksdb::ReadOptions(), engine().indexes()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok());
    return out;
  }
  void PutIndex(const std::string& key, const std::string& value) {
    ASSERT_TRUE(engine().db()->Put(engine().WriteOptions(), engine().indexes(), key, value).ok());
  }
  void DeleteIndex(const std::string& key) {
    ASSERT_TRUE(engine().db()->Delete(engine().WriteOptions(), engine().indexes(), key).ok());
  }
  // Replaces the record of `_id` `id_json` with `doc_json`, bypassing indexes and counters.
  void PutDocumentRaw(const std::string& id_json, const std::string& bson) {
    ASSERT_TRUE(engine()
                    .db()
                    ->Put(engine().WriteOptions(), engine().documents(),
                          engine::RecordKey(Collection()->id, Enc(id_json)), bson)
                    .ok());
  }
  void MergeCatalog(const std::string& key, int64_t count, int64_t bytes) {
    ASSERT_TRUE(engine()
                    .db()
                    ->Merge(engine().WriteOptions(), engine().catalog(), key,
                            engine::EncodeStatsDelta(count, bytes))
                    .ok());
  }

  // 10 documents {_id: i, a: i, b: i % 3} with index a_1.
  void SimpleCollection() {
    std::string docs;
    for (int i = 1; i <= 10; ++i) {
      absl::StrAppend(&docs, i > 1 ? ", " : "", "{_id: ", i, ", a: ", i, ", b: ", i % 3, "}");
    }
    RunOk("{insert: 'c', documents: [" + docs + "]}");
    RunOk("{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}]}");
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

TEST_F(ValidateTest, CleanCollectionWithEveryIndexKind) {
  std::string docs;
  int tag_keys = 0, sparse = 0, partial = 0;
  for (int i = 0; i < 30; ++i) {
    std::string doc = absl::StrCat("{_id: ", i, ", a: ", i % 4, ", b: 'x", i % 5, "', u: ", i);
    // Multikey: i % 3 distinct tags (0 tags → the empty array gives one undefined key).
    std::string tags;
    for (int t = 0; t < i % 3; ++t) absl::StrAppend(&tags, t > 0 ? ", " : "", "'t", t, "'");
    absl::StrAppend(&doc, ", tags: [", tags, "]");
    tag_keys += std::max(1, i % 3);
    if (i % 2 == 0) {
      absl::StrAppend(&doc, ", s: ", i);
      ++sparse;
    }
    absl::StrAppend(&doc, ", p: ", i);
    if (i > 20) ++partial;
    absl::StrAppend(&docs, i > 0 ? ", " : "", doc, "}");
  }
  RunOk("{insert: 'c', documents: [" + docs + "]}");
  RunOk(
      "{createIndexes: 'c', indexes: ["
      "{key: {a: 1, b: -1}, name: 'a_1_b_-1'},"
      "{key: {tags: 1}, name: 'tags_1'},"
      "{key: {u: 1}, name: 'u_1', unique: true},"
      "{key: {s: 1}, name: 's_1', sparse: true},"
      "{key: {p: 1}, name: 'p_1', partialFilterExpression: {p: {$gt: 20}}}]}");
  // One more document after the build: its entries come from the write path.
  RunOk("{insert: 'c', documents: [{_id: 100, a: 1, b: 'y', u: 100, tags: ['t9'], p: 100}]}");
  ++tag_keys;
  ++partial;

  Document reply = Validate(", full: true");
  EXPECT_EQ(Str(reply, "ns"), "test.c");
  EXPECT_TRUE(Has(reply, "uuid"));
  EXPECT_EQ(Int(reply, "nInvalidDocuments"), 0);
  EXPECT_EQ(Int(reply, "nNonCompliantDocuments"), 0);
  EXPECT_EQ(Int(reply, "nrecords"), 31);
  EXPECT_EQ(Int(reply, "nIndexes"), 6);
  EXPECT_EQ(Int(reply, "keysPerIndex._id_"), 31);
  EXPECT_EQ(Int(reply, "keysPerIndex.a_1_b_-1"), 31);
  EXPECT_EQ(Int(reply, "keysPerIndex.tags_1"), tag_keys);
  EXPECT_EQ(Int(reply, "keysPerIndex.u_1"), 31);
  EXPECT_EQ(Int(reply, "keysPerIndex.s_1"), sparse);
  EXPECT_EQ(Int(reply, "keysPerIndex.p_1"), partial);
  for (const char* name : {"_id_", "a_1_b_-1", "tags_1", "u_1", "s_1", "p_1"}) {
    EXPECT_TRUE(Bool(reply, absl::StrCat("indexDetails.", name, ".valid").c_str())) << name;
  }
  EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
  EXPECT_FALSE(Bool(reply, "repaired"));
  EXPECT_THAT(Strings(reply, "warnings"), IsEmpty());
  EXPECT_THAT(Strings(reply, "errors"), IsEmpty());
  EXPECT_EQ(ArraySize(reply, "extraIndexEntries"), 0);
  EXPECT_EQ(ArraySize(reply, "missingIndexEntries"), 0);
  EXPECT_EQ(ArraySize(reply, "corruptRecords"), 0);
  EXPECT_FALSE(Has(reply, "advice"));

  // The reply's field order is MongoDB 8's.
  std::vector<std::string> fields;
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, reply.bson()));
  while (bson_iter_next(&it)) fields.emplace_back(bson_iter_key(&it));
  EXPECT_EQ(fields,
            (std::vector<std::string>{
                "ns", "uuid", "nInvalidDocuments", "nNonCompliantDocuments", "nrecords", "nIndexes",
                "keysPerIndex", "indexDetails", "valid", "repaired", "warnings", "errors",
                "extraIndexEntries", "missingIndexEntries", "corruptRecords", "ok"}));
}

TEST_F(ValidateTest, EmptyAndIndexlessCollections) {
  RunOk("{create: 'c'}");
  Document reply = Validate();
  EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
  EXPECT_EQ(Int(reply, "nrecords"), 0);
  EXPECT_EQ(Int(reply, "nIndexes"), 1);
  RunOk("{insert: 'c', documents: [{_id: 1}, {_id: 'two'}, {_id: {x: 3}}]}");
  reply = Validate();
  EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
  EXPECT_EQ(Int(reply, "keysPerIndex._id_"), 3);
}

TEST_F(ValidateTest, DeletedIndexEntryIsMissing) {
  SimpleCollection();
  const index::IndexId id = IndexIdOf("a_1");
  auto entries = Entries(id);
  ASSERT_EQ(entries.size(), 10u);
  DeleteIndex(entries[3].first);  // {a: 4} of _id 4

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_FALSE(Bool(reply, "indexDetails.a_1.valid"));
  EXPECT_TRUE(Bool(reply, "indexDetails._id_.valid"));
  EXPECT_EQ(Int(reply, "keysPerIndex.a_1"), 9);
  std::vector<Document> missing = Docs(reply, "missingIndexEntries");
  ASSERT_EQ(missing.size(), 1u) << reply.ToJson();
  EXPECT_EQ(missing[0].ToJson(),
            R"({"indexName": "a_1", "recordId": 4, "idKey": {"_id": 4}, "indexKey": {"a": 4}})");
  EXPECT_EQ(ArraySize(reply, "extraIndexEntries"), 0);
  EXPECT_THAT(Strings(reply, "warnings"), Contains("Detected 1 missing index entries."));
  EXPECT_THAT(Strings(reply, "errors"), Contains("Index with name 'a_1' has inconsistencies."));
  // The raw delete skipped the entry counter too.
  EXPECT_THAT(Strings(reply, "errors"),
              Contains("index 'a_1' entry counter (10) does not match the number of entries "
                       "found (9)"));
  EXPECT_EQ(Str(reply, "advice"),
            "A corrupt namespace has been detected. See "
            "http://dochub.mongodb.org/core/data-recovery for recovery steps.");
}

TEST_F(ValidateTest, BogusEntriesAreExtra) {
  SimpleCollection();
  const index::IndexId id = IndexIdOf("a_1");
  index::IndexEntryFormat format;
  format.index_id = id;
  format.typed = true;  // indexes are created with typed entries (index/key_types.h)
  format.descending = {false};
  // An entry naming a document that does not exist, and one naming _id 2 with a wrong key.
  PutIndex(index::IndexEntryKey(format, Enc("999"), Enc("12345")),
           std::string(1, static_cast<char>(BSON_TYPE_INT32)));
  PutIndex(index::IndexEntryKey(format, Enc("'wrong'"), Enc("2")),
           std::string(1, static_cast<char>(BSON_TYPE_UTF8)));

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_EQ(Int(reply, "keysPerIndex.a_1"), 12);
  EXPECT_EQ(ArraySize(reply, "missingIndexEntries"), 0);
  std::vector<Document> extra = Docs(reply, "extraIndexEntries");
  ASSERT_EQ(extra.size(), 2u) << reply.ToJson();
  // Index order: numbers sort before strings.
  EXPECT_EQ(Str(extra[0], "indexName"), "a_1");
  bson_iter_t record_id;
  ASSERT_TRUE(FindPath(extra[0], "recordId", &record_id));
  EXPECT_TRUE(BSON_ITER_HOLDS_BINARY(&record_id)) << extra[0].ToJson();  // no such document
  bson_iter_t key_part;
  ASSERT_TRUE(FindPath(extra[0], "indexKey.a", &key_part));
  ASSERT_TRUE(BSON_ITER_HOLDS_BINARY(&key_part));
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_subtype_t subtype;
  bson_iter_binary(&key_part, &subtype, &length, &data);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data), length), Enc("999"));
  EXPECT_EQ(Int(extra[1], "recordId"), 2);  // the document exists: its _id is shown
  EXPECT_THAT(Strings(reply, "warnings"), Contains("Detected 2 extra index entries."));
  EXPECT_THAT(Strings(reply, "errors"), Contains("Index with name 'a_1' has inconsistencies."));
}

TEST_F(ValidateTest, DocumentChangedBehindTheIndex) {
  SimpleCollection();
  // Same size as {_id: 3, a: 3, b: 0}: only the indexes disagree, not the counters.
  PutDocumentRaw("3", Bytes(Json(Strict("{_id: 3, a: 300, b: 0}"))));

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_EQ(Int(reply, "nInvalidDocuments"), 0);
  std::vector<Document> missing = Docs(reply, "missingIndexEntries");
  std::vector<Document> extra = Docs(reply, "extraIndexEntries");
  ASSERT_EQ(missing.size(), 1u) << reply.ToJson();
  ASSERT_EQ(extra.size(), 1u) << reply.ToJson();
  EXPECT_EQ(Int(missing[0], "indexKey.a"), 300);
  EXPECT_EQ(Int(missing[0], "recordId"), 3);
  EXPECT_EQ(Int(extra[0], "recordId"), 3);
  EXPECT_EQ(Int(reply, "keysPerIndex.a_1"), 10);
  EXPECT_THAT(Strings(reply, "warnings"), Contains("Detected 1 missing index entries."));
  EXPECT_THAT(Strings(reply, "warnings"), Contains("Detected 1 extra index entries."));
  for (const std::string& error : Strings(reply, "errors")) {
    EXPECT_THAT(error, ::testing::Not(HasSubstr("fast count"))) << error;
  }
}

TEST_F(ValidateTest, UniqueEntryNamingTheWrongId) {
  SimpleCollection();
  RunOk("{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_unique', unique: true}]}");
  // Unique entries keep the _id in the value: point {a: 5} at _id 6.
  const index::IndexId id = IndexIdOf("a_unique");
  index::IndexEntryFormat format;
  format.index_id = id;
  format.unique = true;
  format.typed = true;
  format.descending = {false};
  const std::string key = index::IndexEntryKey(format, Enc("5"), Enc("5"));
  ASSERT_EQ(key, index::UniqueProbeKey(id, Enc("5")));
  PutIndex(key, index::IndexEntryValue(format, Enc("6"),
                                       std::string(1, static_cast<char>(BSON_TYPE_INT32))));

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_FALSE(Bool(reply, "indexDetails.a_unique.valid"));
  EXPECT_TRUE(Bool(reply, "indexDetails.a_1.valid"));
  std::vector<Document> missing = Docs(reply, "missingIndexEntries");
  std::vector<Document> extra = Docs(reply, "extraIndexEntries");
  ASSERT_EQ(missing.size(), 1u) << reply.ToJson();
  ASSERT_EQ(extra.size(), 1u) << reply.ToJson();
  EXPECT_EQ(Str(missing[0], "indexName"), "a_unique");
  EXPECT_EQ(Int(missing[0], "recordId"), 5);
  EXPECT_EQ(Int(extra[0], "recordId"), 6);
  // The counters did not change (a Put over an existing key).
  for (const std::string& error : Strings(reply, "errors")) {
    EXPECT_THAT(error, ::testing::Not(HasSubstr("counter"))) << error;
  }
}

TEST_F(ValidateTest, CounterMismatches) {
  SimpleCollection();
  MergeCatalog(engine::StatsKey(Collection()->id), 2, 7);
  MergeCatalog(engine::IndexStatsKey(IndexIdOf("a_1")), -1, 0);

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_EQ(ArraySize(reply, "missingIndexEntries"), 0);
  EXPECT_EQ(ArraySize(reply, "extraIndexEntries"), 0);
  EXPECT_FALSE(Bool(reply, "indexDetails.a_1.valid"));
  std::vector<std::string> errors = Strings(reply, "errors");
  EXPECT_THAT(errors,
              Contains("fast count (12) does not match number of records (10) for collection "
                       "'test.c'"));
  EXPECT_THAT(errors, Contains(HasSubstr("fast count data size (")));
  EXPECT_THAT(errors, Contains("index 'a_1' entry counter (9) does not match the number of "
                               "entries found (10)"));
}

TEST_F(ValidateTest, InvalidDocuments) {
  SimpleCollection();
  // A record whose _id differs from its key, and one that is not BSON at all.
  PutDocumentRaw("5", Bytes(Json(Strict("{_id: 555, a: 5, b: 2}"))));
  std::string truncated = Bytes(Json(Strict("{_id: 7, a: 7, b: 1}")));
  truncated[0] = static_cast<char>(truncated[0] + 5);  // length prefix past the end
  PutDocumentRaw("7", truncated);

  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_EQ(Int(reply, "nrecords"), 10);
  EXPECT_EQ(Int(reply, "nInvalidDocuments"), 2);
  EXPECT_EQ(ArraySize(reply, "corruptRecords"), 2);
  EXPECT_FALSE(Bool(reply, "indexDetails._id_.valid"));
  EXPECT_THAT(Strings(reply, "errors"), Contains("Detected one or more invalid documents."));
  EXPECT_THAT(Strings(reply, "warnings"), Contains(HasSubstr("does not match its record id")));
  // Invalid documents take no part in the index checks: their entries are extra.
  std::vector<Document> extra = Docs(reply, "extraIndexEntries");
  ASSERT_EQ(extra.size(), 2u) << reply.ToJson();
  bson_iter_t record_id;
  ASSERT_TRUE(FindPath(extra[0], "recordId", &record_id));
  EXPECT_TRUE(BSON_ITER_HOLDS_BINARY(&record_id));
}

TEST_F(ValidateTest, MultikeyPathsMustCoverDocuments) {
  RunOk("{insert: 'c', documents: [{_id: 1, a: [1, 2]}, {_id: 2, a: 3}]}");
  RunOk("{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}]}");
  EXPECT_TRUE(Bool(Validate(), "valid"));
  ASSERT_TRUE(engine()
                  .db()
                  ->Delete(engine().WriteOptions(), engine().catalog(),
                           engine::MultikeyPathsKey(IndexIdOf("a_1")))
                  .ok());
  Document reply = Validate();
  EXPECT_FALSE(Bool(reply, "valid"));
  EXPECT_FALSE(Bool(reply, "indexDetails.a_1.valid"));
  EXPECT_THAT(Strings(reply, "errors"),
              Contains(HasSubstr("Index a_1 multikey paths do not cover a document")));
}

TEST_F(ValidateTest, RunsFindWhatOneRunFinds) {
  std::string docs;
  for (int i = 0; i < 200; ++i) {
    absl::StrAppend(&docs, i > 0 ? ", " : "", "{_id: ", i, ", a: ", i % 17, ", t: [", i, ", ",
                    i + 1, "]}");
  }
  RunOk("{insert: 'c', documents: [" + docs + "]}");
  RunOk("{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}, {key: {t: -1}, name: 't'}]}");
  // Corruptions spread over the whole _id range.
  const index::IndexId a = IndexIdOf("a_1");
  auto entries = Entries(a);
  DeleteIndex(entries[0].first);
  DeleteIndex(entries[100].first);
  DeleteIndex(entries.back().first);
  index::IndexEntryFormat format;
  format.index_id = a;
  format.descending = {false};
  PutIndex(index::IndexEntryKey(format, Enc("50"), Enc("-1")), "");
  PutIndex(index::IndexEntryKey(format, Enc("51"), Enc("150")), "");
  PutIndex(index::IndexEntryKey(format, Enc("52"), Enc("1000")), "");
  PutDocumentRaw("77", Bytes(Json(Strict("{_id: 77, a: 99, t: [77, 78]}"))));

  auto collection = Collection();
  auto indexes = db_->index_cache().Get(collection);
  ASSERT_OK(indexes);
  ValidateOptions one_run;
  auto whole = ValidateCollection(engine(), db_->catalog(), **indexes, one_run);
  ASSERT_OK(whole);
  ValidateOptions tiny;
  tiny.memory_budget_bytes = 1;  // a run per document
  auto runs = ValidateCollection(engine(), db_->catalog(), **indexes, tiny);
  ASSERT_OK(runs);
  EXPECT_FALSE(whole->valid);
  EXPECT_EQ(whole->missing_count, 4);  // 3 deleted + {a: 99} of _id 77
  EXPECT_EQ(whole->extra_count, 4);    // 3 bogus + {a: 77 % 17} of _id 77
  EXPECT_EQ(runs->missing_count, whole->missing_count);
  EXPECT_EQ(runs->extra_count, whole->extra_count);
  ASSERT_EQ(runs->indexes.size(), whole->indexes.size());
  for (size_t i = 0; i < whole->indexes.size(); ++i) {
    EXPECT_EQ(runs->indexes[i].name, whole->indexes[i].name);
    EXPECT_EQ(runs->indexes[i].keys, whole->indexes[i].keys);
    EXPECT_EQ(runs->indexes[i].valid, whole->indexes[i].valid);
  }
  EXPECT_TRUE(whole->indexes[2].valid);  // t: untouched
  EXPECT_EQ(whole->indexes[2].keys, 400);
  auto json = [](const std::vector<Document>& docs) {
    std::vector<std::string> out;
    for (const Document& doc : docs) out.push_back(doc.ToJson());
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(json(runs->missing_index_entries), json(whole->missing_index_entries));
  EXPECT_EQ(json(runs->extra_index_entries), json(whole->extra_index_entries));
}

TEST_F(ValidateTest, ReportedEntriesAreCapped) {
  SimpleCollection();
  const index::IndexId id = IndexIdOf("a_1");
  for (const auto& [key, value] : Entries(id)) DeleteIndex(key);
  auto indexes = db_->index_cache().Get(Collection());
  ASSERT_OK(indexes);
  ValidateOptions options;
  options.max_reported_bytes = 150;
  auto result = ValidateCollection(engine(), db_->catalog(), **indexes, options);
  ASSERT_OK(result);
  EXPECT_EQ(result->missing_count, 10);
  EXPECT_GE(result->missing_index_entries.size(), 1u);
  EXPECT_LT(result->missing_index_entries.size(), 10u);
  EXPECT_THAT(result->errors,
              Contains("Not all missing index entry inconsistencies are listed due to size "
                       "limitations."));
  EXPECT_THAT(result->warnings, Contains("Detected 10 missing index entries."));
}

TEST_F(ValidateTest, ConcurrentWritersNeverMakeItInvalid) {
  RunOk("{insert: 'c', documents: [{_id: -1, a: 0, tags: []}]}");
  RunOk(
      "{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}, "
      "{key: {tags: 1, a: -1}, name: 'tags_a'}, {key: {u: 1}, name: 'u_1', unique: true, "
      "sparse: true}]}");
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 600; ++i) {
      Run(absl::StrCat("{insert: 'c', documents: [{_id: ", i, ", a: ", i % 10, ", tags: [", i, ", ",
                       i % 7, "], u: ", i, "}]}"));
      Run(absl::StrCat("{update: 'c', updates: [{q: {_id: ", i - 5, "}, u: {$set: {a: ", i,
                       ", tags: [['x'], ", i, "]}, $unset: {u: 1}}}]}"));
      Run(absl::StrCat("{delete: 'c', deletes: [{q: {_id: ", i - 10, "}, limit: 1}]}"));
    }
    done = true;
  });
  int validations = 0;
  while (!done || validations == 0) {
    Document reply = Validate();
    EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
    ++validations;
  }
  writer.join();
  EXPECT_GT(validations, 1);
  Document reply = Validate(", full: true");
  EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
  EXPECT_EQ(Int(reply, "nrecords"), 10);  // 590..599 (_id -1 went at i = 9)
}

TEST_F(ValidateTest, IndexDroppedAfterCompilingIsSkipped) {
  SimpleCollection();
  RunOk("{createIndexes: 'c', indexes: [{key: {b: 1}, name: 'b_1'}]}");
  auto indexes = db_->index_cache().Get(Collection());
  ASSERT_OK(indexes);
  RunOk("{dropIndexes: 'c', index: 'a_1'}");
  auto result = ValidateCollection(engine(), db_->catalog(), **indexes);
  ASSERT_OK(result);
  EXPECT_TRUE(result->valid) << ::testing::PrintToString(result->errors);
  EXPECT_THAT(result->warnings,
              Contains("Skipping validation of index 'a_1': it was dropped during validation."));
  ASSERT_EQ(result->indexes.size(), 2u);
  EXPECT_EQ(result->indexes[1].name, "b_1");
  EXPECT_EQ(result->indexes[1].keys, 10);
}

TEST_F(ValidateTest, Errors) {
  Document reply = Run("{validate: 'nope'}");
  EXPECT_EQ(Int(reply, "ok"), 0);
  EXPECT_EQ(Int(reply, "code"), 26);
  EXPECT_EQ(Str(reply, "codeName"), "NamespaceNotFound");
  EXPECT_EQ(Str(reply, "errmsg"), "Collection 'test.nope' does not exist to validate.");

  SimpleCollection();
  reply = Run("{validate: 'c', full: true, background: true}");
  EXPECT_EQ(Int(reply, "code"), 72) << reply.ToJson();
  EXPECT_EQ(Str(reply, "errmsg"),
            "Running the validate command with both { background: true } and { full: true } is "
            "not supported.");
  reply = Run("{validate: 'c', metadata: true, full: true}");
  EXPECT_EQ(Int(reply, "code"), 72) << reply.ToJson();
  reply = Run("{validate: 'c', full: true, checkBSONConformance: false}");
  EXPECT_EQ(Int(reply, "code"), 72) << reply.ToJson();
  reply = Run("{validate: 'c', repair: true}");  // supported: a clean collection stays clean
  EXPECT_EQ(Int(reply, "ok"), 1) << reply.ToJson();
  EXPECT_TRUE(Bool(reply, "repaired")) << reply.ToJson();
  EXPECT_TRUE(Bool(reply, "valid")) << reply.ToJson();
  reply = Run("{validate: 3}");
  EXPECT_EQ(Int(reply, "code"), 73) << reply.ToJson();

  // Accepted and ignored.
  for (const char* options : {", background: true", ", repair: false", ", metadata: true",
                              ", checkBSONConformance: true", ", full: false"}) {
    reply = Run(absl::StrCat("{validate: 'c'", options, "}"));
    EXPECT_EQ(Int(reply, "ok"), 1) << options << " → " << reply.ToJson();
    EXPECT_TRUE(Bool(reply, "valid")) << options;
  }
}

}  // namespace
}  // namespace strata::db
