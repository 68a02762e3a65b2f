// Randomized model test of index maintenance: thousands of random inserts, updates, replaces,
// deletes, upserts and multi-document writes (through the command layer) on a collection with
// indexes of every kind (compound with mixed directions, multikey, unique sparse, sparse on a
// dotted path, partial), with frequent duplicate-key rejections. Afterwards:
//   - `validate` re-derives every index entry from the documents and reports no inconsistency;
//   - for random value ranges, the documents an index scan finds are exactly those a
//     collection scan with the equivalent filter finds (restricted to the index's partial
//     filter), forward and backward.
// The seed is printed; replay with STRATA_MODEL_SEED=<seed>. STRATA_MODEL_OPS sets the length.
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/key_string.h"
#include "index/index_bounds.h"
#include "query/exec/index_cursor.h"
#include "tests/support/test_util.h"

namespace strata::db {

using query::exec::IndexCursor;
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

// The indexes under test: leading field, and the filter the index is restricted to.
struct IndexUnderTest {
  const char* name;
  const char* spec;
  const char* leading;         // leading key path
  const char* partial_filter;  // "" when not partial
};

const IndexUnderTest kIndexes[] = {
    {"a_1", R"({"key": {"a": 1}, "name": "a_1"})", "a", ""},
    {"a_-1_b_1", R"({"key": {"a": -1, "b": 1}, "name": "a_-1_b_1"})", "a", ""},
    {"tags_1", R"({"key": {"tags": 1}, "name": "tags_1"})", "tags", ""},
    {"u_1", R"({"key": {"u": 1}, "name": "u_1", "unique": true, "sparse": true})", "u", ""},
    {"s_1", R"({"key": {"s.x": 1}, "name": "s_1", "sparse": true})", "s.x", ""},
    {"p_1", R"({"key": {"b": 1}, "name": "p_1", "partialFilterExpression": {"a": {"$gt": 5}}})",
     "b", R"({"a": {"$gt": 5}})"},
};

class IndexModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = EnvOr("STRATA_MODEL_SEED", std::random_device()());
    rng_.seed(seed_);
    std::cout << "[ model    ] seed=" << seed_ << " (replay: STRATA_MODEL_SEED=" << seed_ << ")"
              << std::endl;
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = DatabaseImpl::Open(dir_.path(), options);
    ASSERT_OK(db);
    db_ = *std::move(db);
  }
  void TearDown() override {
    if (db_ != nullptr) {
      ASSERT_OK(db_->Close());
    }
  }

  Document Run(const std::string& json) { return Dispatch(*db_, Json(json).view()); }

  int Small() { return std::uniform_int_distribution<int>(0, 9)(rng_); }
  bool Chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }

  // A random document body (no _id): small ints so keys collide often.
  std::string RandomBody() {
    std::string body;
    auto add = [&](const std::string& field) {
      absl::StrAppend(&body, body.empty() ? "" : ", ", field);
    };
    if (!Chance(10)) add(absl::StrCat(R"("a": )", Small()));
    if (Chance(70)) add(absl::StrCat(R"("b": )", Small()));
    if (Chance(60)) {
      std::string tags;
      int n = std::uniform_int_distribution<int>(0, 3)(rng_);
      for (int i = 0; i < n; ++i) absl::StrAppend(&tags, i ? ", " : "", Small());
      add(absl::StrCat(R"("tags": [)", tags, "]"));
    } else if (Chance(30)) {
      add(absl::StrCat(R"("tags": )", Small()));
    }
    if (Chance(30)) add(absl::StrCat(R"("u": )", next_unique_++));
    if (Chance(40)) add(absl::StrCat(R"("s": {"x": )", Small(), "}"));
    return absl::StrCat("{", body, "}");
  }

  int64_t RandomId() { return std::uniform_int_distribution<int64_t>(0, 199)(rng_); }

  // The model's view of a document: the JSON of find's output, keyed by _id.
  std::map<int64_t, std::string> Snapshot() {
    Document reply = Run(R"({"find": "c", "filter": {}, "sort": {"_id": 1}, "batchSize": 100000})");
    std::map<int64_t, std::string> docs;
    bson_iter_t it, batch;
    EXPECT_TRUE(bson_iter_init(&it, reply.bson()) &&
                bson_iter_find_descendant(&it, "cursor.firstBatch", &batch));
    bson_iter_t element;
    bson_iter_recurse(&batch, &element);
    while (bson_iter_next(&element)) {
      uint32_t length;
      const uint8_t* data;
      bson_iter_document(&element, &length, &data);
      DocumentView doc(data, length);
      bson_t b;
      doc.AsBson(&b);
      bson_iter_t id;
      bson_iter_init_find(&id, &b, "_id");
      docs[bson_iter_as_int64(&id)] = doc.ToJson();
    }
    return docs;
  }

  // `_id`s found by scanning index `name` over [lo, hi] on its leading part.
  std::set<int64_t> IndexScanIds(const std::string& name, int lo, int hi, bool backward) {
    auto indexes = db_->index_cache().Get(db_->catalog().Find("test.c"));
    EXPECT_TRUE(indexes.ok());
    const CompiledIndex* index = (*indexes)->FindByName(name);
    EXPECT_NE(index, nullptr);
    auto encode = [](int v) {
      Document doc = Json(absl::StrCat(R"({"v": )", v, "}"));
      bson_iter_t it;
      bson_iter_init_find(&it, doc.bson(), "v");
      return document::EncodeKeyString(it);
    };
    index::IndexBounds bounds;
    bounds.fields.push_back({index::Interval{encode(lo), encode(hi), true, true}});
    auto ranges = index::BuildScanRanges(bounds, index->format().descending);
    EXPECT_TRUE(ranges.ok());
    auto cursor = IndexCursor::Create(db_->engine(), db_->engine().GetSnapshot(), index->format(),
                                      *ranges, bounds, backward);
    EXPECT_TRUE(cursor.ok());
    std::set<int64_t> ids;
    while (true) {
      auto entry = (*cursor)->Next();
      EXPECT_TRUE(entry.ok());
      if (!entry.ok() || !entry->has_value()) break;
      // `_id`s are int64 here: their key string decodes by round trip through the model.
      ids.insert(id_of_key_.at(std::string((*entry)->id_key_string)));
    }
    return ids;
  }

  std::set<int64_t> CollectionScanIds(const IndexUnderTest& index, int lo, int hi) {
    // Some element in [lo, hi] (a range on an array matches when one element is >= lo and
    // another <= hi, which is not what an index range means), or a scalar in [lo, hi].
    const std::string bounds = absl::StrCat(R"({"$gte": )", lo, R"(, "$lte": )", hi, "}");
    const std::string field = absl::StrCat(R"(")", index.leading, R"(")");
    // (Not an array: no element 0; this test's documents have no field named "0".)
    const std::string first_element = absl::StrCat(R"(")", index.leading, R"(.0")");
    std::string range =
        absl::StrCat(R"({"$or": [{)", field, R"(: {"$elemMatch": )", bounds, R"(}}, {"$and": [{)",
                     field, ": ", bounds, "}, {", first_element, R"(: {"$exists": false}}]}]})");
    std::string filter = *index.partial_filter ? absl::StrCat(R"({"$and": [)", range, ", ",
                                                              index.partial_filter, "]}")
                                               : range;
    Document reply = Run(absl::StrCat(R"({"find": "c", "filter": )", filter,
                                      R"(, "projection": {"_id": 1}, "batchSize": 100000})"));
    std::set<int64_t> ids;
    bson_iter_t it, batch;
    EXPECT_TRUE(bson_iter_init(&it, reply.bson()) &&
                bson_iter_find_descendant(&it, "cursor.firstBatch", &batch))
        << reply.ToJson();
    bson_iter_t element;
    bson_iter_recurse(&batch, &element);
    while (bson_iter_next(&element)) {
      bson_iter_t id;
      bson_iter_recurse(&element, &id);
      bson_iter_find(&id, "_id");
      ids.insert(bson_iter_as_int64(&id));
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  int next_unique_ = 0;
  std::map<std::string, int64_t> id_of_key_;  // `_id` key string → _id
};

TEST_F(IndexModelTest, RandomWritesKeepEveryIndexExact) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  for (const IndexUnderTest& index : kIndexes) {
    Document reply = Run(absl::StrCat(R"({"createIndexes": "c", "indexes": [)", index.spec, "]}"));
    ASSERT_NE(reply.ToJson().find("\"ok\": 1.0"), std::string::npos) << reply.ToJson();
  }
  for (int64_t id = 0; id < 200; ++id) {
    // Stored _ids are int64 (the test writes NumberLong), so encode that form.
    bson_iter_t it;
    Document as_long;
    bson_append_int64(as_long.mutable_bson(), "_id", 3, id);
    bson_iter_init_find(&it, as_long.bson(), "_id");
    id_of_key_[document::EncodeKeyString(it)] = id;
  }

  std::map<int64_t, bool> present;
  const int ops = static_cast<int>(EnvOr("STRATA_MODEL_OPS", 3000));
  int duplicate_errors = 0, other_errors = 0;
  for (int op = 0; op < ops; ++op) {
    const int64_t id = RandomId();
    const std::string id_json = absl::StrCat(R"({"$numberLong": ")", id, R"("})");
    const int dice = std::uniform_int_distribution<int>(0, 99)(rng_);
    std::string command;
    if (dice < 35) {
      std::string body = RandomBody();
      body.insert(1, absl::StrCat(R"("_id": )", id_json, body.size() > 2 ? ", " : ""));
      command = absl::StrCat(R"({"insert": "c", "documents": [)", body, "]}");
    } else if (dice < 55) {
      std::string body = RandomBody();
      command =
          absl::StrCat(R"({"update": "c", "updates": [{"q": {"_id": )", id_json, R"(}, "u": )",
                       body, R"(, "upsert": )", Chance(30) ? "true" : "false", "}]}");
    } else if (dice < 80) {
      const char* updates[] = {R"({"$inc": {"a": 1}})",       R"({"$set": {"b": 3}})",
                               R"({"$push": {"tags": 4}})",   R"({"$unset": {"s": ""}})",
                               R"({"$set": {"s.x": 7}})",     R"({"$pop": {"tags": 1}})",
                               R"({"$set": {"c": 1}})",       R"({"$set": {"a": [1, 2]}})",
                               R"({"$rename": {"a": "a2"}})", R"({"$set": {"u": 1000000}})"};
      command = absl::StrCat(R"({"update": "c", "updates": [{"q": {"_id": )", id_json,
                             R"(}, "u": )", updates[Small()], "}]}");
    } else if (dice < 95) {
      command = absl::StrCat(R"({"delete": "c", "deletes": [{"q": {"_id": )", id_json,
                             R"(}, "limit": 1}]})");
    } else {
      // Multi-document writes.
      command = Chance(50) ? absl::StrCat(R"({"update": "c", "updates": [{"q": {"b": )", Small(),
                                          R"(}, "u": {"$inc": {"b": 1}}, "multi": true}]})")
                           : absl::StrCat(R"({"delete": "c", "deletes": [{"q": {"a": )", Small(),
                                          R"(}, "limit": 0}]})");
    }
    Document reply = Run(command);
    const std::string text = reply.ToJson();
    ASSERT_NE(text.find("\"ok\": 1.0"), std::string::npos) << command << " → " << text;
    // Expected rejections: duplicate keys, and update operators applied to a field of the
    // wrong type ($push to a scalar, $inc of an array: BadValue 2 / TypeMismatch 14).
    if (text.find("writeErrors") != std::string::npos) {
      const bool duplicate = text.find("\"code\": 11000") != std::string::npos;
      duplicate ? ++duplicate_errors : ++other_errors;
      ASSERT_TRUE(duplicate || text.find("\"code\": 2,") != std::string::npos ||
                  text.find("\"code\": 14,") != std::string::npos)
          << command << " → " << text;
    }
  }
  std::cout << "[ model    ] " << ops << " operations, " << duplicate_errors
            << " duplicate-key rejections, " << other_errors << " type rejections, "
            << Snapshot().size() << " documents" << std::endl;

  // validate: every index entry re-derived from the documents.
  Document validate = Run(R"({"validate": "c", "full": true})");
  EXPECT_NE(validate.ToJson().find("\"valid\": true"), std::string::npos) << validate.ToJson();

  // Index scans == collection scans with the equivalent filter.
  for (const IndexUnderTest& index : kIndexes) {
    SCOPED_TRACE(index.name);
    for (int trial = 0; trial < 20; ++trial) {
      int lo = Small(), hi = Small();
      if (lo > hi) std::swap(lo, hi);
      if (std::string(index.name) == "u_1") hi = lo + 200;
      std::set<int64_t> expected = CollectionScanIds(index, lo, hi);
      EXPECT_EQ(IndexScanIds(index.name, lo, hi, false), expected)
          << "[" << lo << ", " << hi << "]";
      EXPECT_EQ(IndexScanIds(index.name, lo, hi, true), expected) << "[" << lo << ", " << hi << "]";
    }
  }
}

}  // namespace
}  // namespace strata::db
