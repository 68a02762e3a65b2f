// Tests of the analyze command (db/analyze_collection.h, db/commands_index_admin.cc): exact
// entry and distinct counts of leading values, equi-depth histograms whose buckets add up and
// ascend with readable boundary values (ascending, descending, multikey and compound indexes),
// the stored record (ReadIndexAnalysis, surviving a reopen, removed with its index), the
// equality estimate, and the command's argument errors.
#include <bson/bson.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/analyze_collection.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/key_string.h"
#include "engine/key_layout.h"
#include "tests/support/test_util.h"

namespace strata::db {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::DoubleNear;
using ::testing::HasSubstr;

bool FindPath(const Document& doc, const char* dotted, bson_iter_t* found) {
  bson_iter_t it;
  return bson_iter_init(&it, doc.bson()) && bson_iter_find_descendant(&it, dotted, found);
}

int64_t Int(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_NUMBER(&found)) {
    ADD_FAILURE() << "no number at " << dotted << " in " << doc.ToJson();
    return -12345;
  }
  return bson_iter_as_int64(&found);
}

std::string Str(const Document& doc, const char* dotted) {
  bson_iter_t found;
  if (!FindPath(doc, dotted, &found) || !BSON_ITER_HOLDS_UTF8(&found)) return "<missing>";
  return bson_iter_utf8(&found, nullptr);
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

// The key string of a JSON value (ascending).
std::string Enc(const std::string& json_value) {
  const Document doc = Json(Strict("{v: " + json_value + "}"));
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  return document::EncodeKeyString(it);
}

// The integer in a bucket's readable upper value.
std::optional<int64_t> UpperInt(const HistogramBucket& bucket) {
  if (!bucket.upper_value.has_value()) return std::nullopt;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, bucket.upper_value->bson(), "v") || !BSON_ITER_HOLDS_NUMBER(&it)) {
    return std::nullopt;
  }
  return bson_iter_as_int64(&it);
}

class AnalyzeTest : public ::testing::Test {
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
  void Reopen() {
    ASSERT_OK(db_->Close());
    db_.reset();
    Open();
  }

  Document Run(const std::string& json) { return Dispatch(*db_, Json(Strict(json)).view()); }
  Document RunOk(const std::string& json) {
    Document reply = Run(json);
    bson_iter_t ok;
    EXPECT_TRUE(bson_iter_init_find(&ok, reply.bson(), "ok") && bson_iter_as_double(&ok) == 1.0)
        << json << " → " << reply.ToJson();
    return reply;
  }

  index::IndexId IndexIdOf(const std::string& name) {
    for (const engine::IndexEntry& entry : db_->catalog().Find("test.c")->indexes) {
      bson_iter_t it;
      if (bson_iter_init_find(&it, entry.descriptor.bson(), "name") &&
          name == bson_iter_utf8(&it, nullptr)) {
        return entry.id;
      }
    }
    ADD_FAILURE() << "no index " << name;
    return 0;
  }

  // The stored analysis of index `id`, decoded.
  std::optional<IndexAnalysis> Stored(index::IndexId id) {
    auto stored = ReadIndexAnalysis(db_->engine(), id);
    EXPECT_OK(stored);
    if (!stored.ok() || !stored->has_value()) return std::nullopt;
    auto analysis = IndexAnalysis::FromDocument((*stored)->view());
    EXPECT_OK(analysis);
    if (!analysis.ok()) return std::nullopt;
    return std::move(*analysis);
  }

  // 1000 documents {_id: i, a: i % 37, b: i}, indexes a_1 and b_-1.
  void Numbers() {
    for (int chunk = 0; chunk < 10; ++chunk) {
      std::string docs;
      for (int i = chunk * 100; i < (chunk + 1) * 100; ++i) {
        absl::StrAppend(&docs, docs.empty() ? "" : ", ", "{_id: ", i, ", a: ", i % 37, ", b: ", i,
                        "}");
      }
      RunOk("{insert: 'c', documents: [" + docs + "]}");
    }
    RunOk(
        "{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}, {key: {b: -1}, name: "
        "'b_-1'}]}");
  }

  // The invariants every histogram keeps.
  static void CheckHistogram(const IndexAnalysis& analysis) {
    int64_t entries = 0, distinct = 0;
    ASSERT_LE(analysis.buckets.size(), static_cast<size_t>(kMaxHistogramBuckets));
    for (size_t i = 0; i < analysis.buckets.size(); ++i) {
      const HistogramBucket& bucket = analysis.buckets[i];
      entries += bucket.count;
      distinct += bucket.distinct;
      EXPECT_GE(bucket.count, bucket.upper_count);
      EXPECT_GE(bucket.upper_count, 1);
      EXPECT_GE(bucket.distinct, 1);
      EXPECT_TRUE(bucket.upper_value.has_value()) << "bucket " << i;
      if (i > 0) {
        EXPECT_LT(analysis.buckets[i - 1].upper, bucket.upper) << "bucket " << i;
      }
    }
    EXPECT_EQ(entries, analysis.entries);
    EXPECT_EQ(distinct, analysis.distinct);
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
};

TEST_F(AnalyzeTest, CountsAndHistograms) {
  Numbers();
  Document reply = RunOk("{analyze: 'c'}");
  EXPECT_EQ(Str(reply, "indexes.0.name"), "a_1");
  EXPECT_EQ(Int(reply, "indexes.0.entries"), 1000);
  EXPECT_EQ(Int(reply, "indexes.0.distinct"), 37);
  EXPECT_EQ(Str(reply, "indexes.1.name"), "b_-1");
  EXPECT_EQ(Int(reply, "indexes.1.entries"), 1000);
  EXPECT_EQ(Int(reply, "indexes.1.distinct"), 1000);

  std::optional<IndexAnalysis> a = Stored(IndexIdOf("a_1"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->index_name, "a_1");
  EXPECT_EQ(a->leading_field, "a");
  EXPECT_FALSE(a->leading_descending);
  EXPECT_EQ(a->key_pattern.ToJson(), R"({"a": 1})");
  EXPECT_EQ(a->entries, 1000);
  EXPECT_EQ(a->distinct, 37);
  EXPECT_LE(absl::Now() - a->analyzed_at, absl::Minutes(5));
  CheckHistogram(*a);
  EXPECT_EQ(Int(reply, "indexes.0.buckets"), static_cast<int64_t>(a->buckets.size()));
  // 37 values of 27 or 28 entries each, depth ceil(1000 / 64) = 16: one value per bucket.
  ASSERT_EQ(a->buckets.size(), 37u);
  for (size_t i = 0; i < a->buckets.size(); ++i) {
    EXPECT_EQ(UpperInt(a->buckets[i]), static_cast<int64_t>(i));
    EXPECT_EQ(a->buckets[i].upper, Enc(std::to_string(i)));
    EXPECT_EQ(a->buckets[i].distinct, 1);
  }

  std::optional<IndexAnalysis> b = Stored(IndexIdOf("b_-1"));
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->leading_descending);
  CheckHistogram(*b);
  // Equi-depth: every bucket but the last holds exactly the depth (one entry per value).
  ASSERT_EQ(b->buckets.size(), 63u);
  for (size_t i = 0; i + 1 < b->buckets.size(); ++i) EXPECT_EQ(b->buckets[i].count, 16);
  EXPECT_EQ(b->buckets.back().count, 1000 - 62 * 16);
  // Descending: the index (and the buckets) run from 999 down to 0.
  EXPECT_EQ(UpperInt(b->buckets.front()), 1000 - 16);
  EXPECT_EQ(UpperInt(b->buckets.back()), 0);
  for (size_t i = 1; i < b->buckets.size(); ++i) {
    EXPECT_LT(*UpperInt(b->buckets[i]), *UpperInt(b->buckets[i - 1]));
  }
}

TEST_F(AnalyzeTest, EqualityEstimates) {
  Numbers();
  RunOk("{analyze: 'c', key: 'a'}");
  std::optional<IndexAnalysis> a = Stored(IndexIdOf("a_1"));
  ASSERT_TRUE(a.has_value());
  // a = 5 has 27 entries (i % 37 == 5 for 27 of 0..999).
  EXPECT_DOUBLE_EQ(a->EstimateEqualityFraction(Enc("5")), 27.0 / 1000);
  EXPECT_DOUBLE_EQ(a->EstimateEqualityFraction(Enc("0")), 28.0 / 1000);
  EXPECT_DOUBLE_EQ(a->EstimateEqualityFraction(Enc("1000")), 0.0);  // above every bucket

  // Few buckets: values inside a bucket share its non-boundary entries evenly.
  RunOk("{analyze: 'c', key: 'a', numberBuckets: 4}");
  a = Stored(IndexIdOf("a_1"));
  ASSERT_TRUE(a.has_value());
  EXPECT_LE(a->buckets.size(), 4u);
  CheckHistogram(*a);
  for (int v = 0; v < 37; ++v) {
    const double expected = (v < 1000 % 37 ? 28.0 : 27.0) / 1000;
    EXPECT_THAT(a->EstimateEqualityFraction(Enc(std::to_string(v))), DoubleNear(expected, 0.002))
        << v;
  }
  EXPECT_DOUBLE_EQ(a->EstimateEqualityFraction(Enc("2.5")), a->EstimateEqualityFraction(Enc("2")));
}

TEST_F(AnalyzeTest, MultikeyCompoundAndPartialIndexes) {
  std::string docs;
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&docs, i > 0 ? ", " : "", "{_id: ", i, ", tags: ['t", i % 5, "', 't", i % 7,
                    "'], x: ", i, "}");
  }
  RunOk("{insert: 'c', documents: [" + docs + "]}");
  RunOk(
      "{createIndexes: 'c', indexes: [{key: {tags: 1, x: -1}, name: 'tags_x'},"
      "{key: {x: 1}, name: 'x_partial', partialFilterExpression: {x: {$gte: 40}}}]}");
  Document reply = RunOk("{analyze: 'c'}");
  // Each document has 2 distinct tags unless i % 5 == i % 7 (i = 0..4, 35..39).
  int64_t entries = 0;
  for (int i = 0; i < 50; ++i) entries += (i % 5 == i % 7) ? 1 : 2;
  std::optional<IndexAnalysis> tags = Stored(IndexIdOf("tags_x"));
  ASSERT_TRUE(tags.has_value());
  EXPECT_EQ(tags->entries, entries);
  EXPECT_EQ(tags->distinct, 7);  // t0 … t6
  CheckHistogram(*tags);
  bson_iter_t value;
  ASSERT_TRUE(bson_iter_init_find(&value, tags->buckets.back().upper_value->bson(), "v"));
  ASSERT_TRUE(BSON_ITER_HOLDS_UTF8(&value));
  EXPECT_STREQ(bson_iter_utf8(&value, nullptr), "t6");

  std::optional<IndexAnalysis> partial = Stored(IndexIdOf("x_partial"));
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->entries, 10);
  EXPECT_EQ(partial->distinct, 10);
  CheckHistogram(*partial);
  EXPECT_EQ(UpperInt(partial->buckets.back()), 49);
}

TEST_F(AnalyzeTest, EmptyIndexAndIndexlessCollection) {
  RunOk("{create: 'c'}");
  Document reply = RunOk("{analyze: 'c'}");
  bson_iter_t it;
  EXPECT_TRUE(FindPath(reply, "indexes", &it) && BSON_ITER_HOLDS_ARRAY(&it)) << reply.ToJson();
  EXPECT_FALSE(FindPath(reply, "indexes.0", &it)) << reply.ToJson();
  RunOk("{createIndexes: 'c', indexes: [{key: {a: 1}, name: 'a_1'}]}");
  reply = RunOk("{analyze: 'c'}");
  EXPECT_EQ(Int(reply, "indexes.0.entries"), 0);
  EXPECT_EQ(Int(reply, "indexes.0.buckets"), 0);
  std::optional<IndexAnalysis> a = Stored(IndexIdOf("a_1"));
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->buckets.empty());
  EXPECT_EQ(a->EstimateEqualityFraction(Enc("1")), 0.0);
}

TEST_F(AnalyzeTest, StoredRecordSurvivesReopenAndRoundTrips) {
  Numbers();
  RunOk("{analyze: 'c'}");
  const index::IndexId id = IndexIdOf("a_1");
  auto before = ReadIndexAnalysis(db_->engine(), id);
  ASSERT_OK(before);
  ASSERT_TRUE(before->has_value());
  Reopen();
  auto after = ReadIndexAnalysis(db_->engine(), id);
  ASSERT_OK(after);
  ASSERT_TRUE(after->has_value());
  EXPECT_TRUE((*after)->view().BytesEqual((*before)->view()));
  auto decoded = IndexAnalysis::FromDocument((*after)->view());
  ASSERT_OK(decoded);
  EXPECT_TRUE(decoded->ToDocument().view().BytesEqual((*after)->view()));
  EXPECT_THAT(IndexAnalysis::FromDocument(Json(Strict("{v: 1}")).view()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("index analysis")));
}

TEST_F(AnalyzeTest, DroppingTheIndexOrCollectionRemovesTheAnalysis) {
  Numbers();
  RunOk("{analyze: 'c'}");
  const index::IndexId a = IndexIdOf("a_1");
  const index::IndexId b = IndexIdOf("b_-1");
  ASSERT_TRUE(Stored(a).has_value());
  RunOk("{dropIndexes: 'c', index: 'a_1'}");
  auto gone = ReadIndexAnalysis(db_->engine(), a);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  ASSERT_TRUE(Stored(b).has_value());
  RunOk("{drop: 'c'}");
  gone = ReadIndexAnalysis(db_->engine(), b);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_F(AnalyzeTest, AnalysisOfAnIndexDroppedMeanwhileIsNotKept) {
  Numbers();
  const index::IndexId a = IndexIdOf("a_1");
  const index::IndexId b = IndexIdOf("b_-1");
  auto stale = db_->index_cache().Get(db_->catalog().Find("test.c"));
  ASSERT_OK(stale);
  RunOk("{dropIndexes: 'c', index: 'a_1'}");
  auto analyses = AnalyzeCollection(db_->engine(), db_->catalog(), **stale);
  ASSERT_OK(analyses);
  ASSERT_EQ(analyses->size(), 2u);
  EXPECT_EQ((*analyses)[0].entries, 0);  // its entries were already range-deleted
  auto gone = ReadIndexAnalysis(db_->engine(), a);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(Stored(b).has_value());
}

TEST_F(AnalyzeTest, KeyOption) {
  Numbers();
  Document reply = RunOk("{analyze: 'c', key: 'b'}");
  EXPECT_EQ(Str(reply, "indexes.0.name"), "b_-1");
  bson_iter_t it;
  EXPECT_FALSE(FindPath(reply, "indexes.1", &it));
  auto a = ReadIndexAnalysis(db_->engine(), IndexIdOf("a_1"));
  ASSERT_OK(a);
  EXPECT_FALSE(a->has_value());
}

TEST_F(AnalyzeTest, Errors) {
  struct Case {
    std::string command;
    int code;
    std::string message;
  };
  Document missing = Run("{analyze: 'c'}");
  EXPECT_EQ(Int(missing, "code"), 6799700);
  EXPECT_EQ(Str(missing, "errmsg"), "Couldn't find collection test.c");
  Numbers();
  const Case cases[] = {
      {"{analyze: 'c', foo: 1}", 40415, "BSON field 'analyze.foo' is an unknown field."},
      {"{analyze: 'c', key: 1}", 14, "BSON field 'analyze.key' is the wrong type 'int'"},
      {"{analyze: 'c', key: ''}", 6799703, "Key path is empty"},
      {"{analyze: 'c', key: 'a.0'}", 6799704, "Key path contains numeric component 0"},
      {"{analyze: 'c', key: 'a..b'}", 15998, "FieldPath field names may not be empty strings."},
      {"{analyze: 'c', key: 'zzz'}", 27, "has the leading field 'zzz'"},
      {"{analyze: 'c', numberBuckets: 0}", 51024, "value must be > 0"},
      {"{analyze: 'c', sampleRate: 0.5}", 238, "'sampleRate' is not supported"},
      {"{analyze: 7}", 73, "collection name must be a string"},
  };
  for (const Case& c : cases) {
    Document reply = Run(c.command);
    EXPECT_EQ(Int(reply, "ok"), 0) << c.command;
    EXPECT_EQ(Int(reply, "code"), c.code) << c.command << " → " << reply.ToJson();
    EXPECT_THAT(Str(reply, "errmsg"), HasSubstr(c.message)) << c.command;
  }
  // numberBuckets above 64 is capped.
  Document reply = RunOk("{analyze: 'c', key: 'b', numberBuckets: 1000}");
  EXPECT_EQ(Int(reply, "indexes.0.buckets"), 63);
}

}  // namespace
}  // namespace strata::db
