// Each plan stage alone (query/exec/scan_stages.h, fetch_stages.h, transform_stages.h), with
// exact counters on small data: scans over a real database's documents and indexes, the other
// stages over a scripted leaf.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "db/collection_indexes.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "db/matcher_adapters.h"
#include "document/key_string.h"
#include "query/exec/fetch_stages.h"
#include "query/exec/scan_stages.h"
#include "query/exec/transform_stages.h"
#include "tests/support/test_util.h"

namespace strata::query::exec {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string KeyOf(int id) {
  const Document doc = Json(absl::StrCat(R"({"v": )", id, "}"));
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  return document::EncodeKeyString(it);
}

std::string JsonOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ToJson();
}

// Pulls `stage` to the end; the documents (or "key" for rows without one) in order.
std::vector<std::string> Drain(PlanStage& stage) {
  std::vector<std::string> out;
  while (true) {
    absl::StatusOr<bool> next = stage.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !*next) break;
    out.push_back(stage.row().has_doc() ? JsonOf(stage.row().doc) : "key");
  }
  return out;
}

// The `_id` of each document (documents must be {"_id": n, ...}).
std::vector<int> Ids(const std::vector<std::string>& docs) {
  std::vector<int> ids;
  for (const std::string& doc : docs) ids.push_back(std::stoi(doc.substr(doc.find(':') + 1)));
  return ids;
}

// A scripted leaf: hands up its documents in order, reporting kNeedTime before each when
// `need_time` is set.
class ValuesStage final : public PlanStage {
 public:
  ValuesStage(std::vector<std::string> json_docs, bool need_time = false)
      : PlanStage("VALUES"), need_time_(need_time) {
    for (const std::string& json : json_docs) docs_.push_back(Json(json));
  }

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override {
    if (next_ >= docs_.size()) return StageState::kEof;
    if (need_time_ && !paused_) {
      paused_ = true;
      return StageState::kNeedTime;
    }
    paused_ = false;
    const Document& doc = docs_[next_++];
    row->doc = absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size());
    // The `_id` value's JSON stands in for its key string.
    row->id_key = row->doc;
    return StageState::kAdvanced;
  }

 private:
  std::vector<Document> docs_;
  const bool need_time_;
  bool paused_ = false;
  size_t next_ = 0;
};

class ScanStagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.durability = Durability::kRelaxed;
    options.ttl_monitor_interval_seconds = 0;
    auto db = db::DatabaseImpl::Open(dir_.path(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    // 10 documents: a = _id % 3, tags = [_id % 2, 5] (multikey).
    std::string docs;
    for (int i = 0; i < 10; ++i) {
      absl::StrAppend(&docs, i ? ", " : "", R"({"_id": )", i, R"(, "a": )", i % 3, R"(, "tags": [)",
                      i % 2, ", 5]}");
    }
    ASSERT_THAT(Run(absl::StrCat(R"({"insert": "c", "documents": [)", docs, "]}")),
                HasSubstr(R"("n": 10)"));
    ASSERT_THAT(Run(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
                        {"key": {"tags": 1}, "name": "tags_1"}]})"),
                HasSubstr(R"("ok": 1.0)"));
    collection_ = db_->catalog().Find("test.c");
    ASSERT_NE(collection_, nullptr);
    auto compiled = db_->index_cache().Get(collection_);
    ASSERT_TRUE(compiled.ok());
    auto indexes = db::PlannerIndexes(**compiled, db_->engine());
    ASSERT_TRUE(indexes.ok());
    indexes_ = *std::move(indexes);
  }
  void TearDown() override { ASSERT_TRUE(db_->Close().ok()); }

  std::string Run(const std::string& json) {
    return db::Dispatch(*db_, Json(json).view()).ToJson();
  }
  DocumentSource Source() {
    return DocumentSource{&db_->engine(), db_->engine().GetSnapshot(), collection_->id};
  }
  // A filter whose tree lives as long as the fixture.
  StageFilter Filter(const std::string& json) {
    filter_docs_.push_back(Json(json));
    auto tree = db::ParseQueryFilter(filter_docs_.back().view());
    EXPECT_TRUE(tree.ok());
    trees_.push_back(*std::move(tree));
    return StageFilter(trees_.back().get(), false);
  }
  const query::planner::IndexInfo& Index(const std::string& name) {
    for (const auto& index : indexes_) {
      if (index.name == name) return index;
    }
    ADD_FAILURE() << name;
    return indexes_[0];
  }
  std::unique_ptr<IndexScanStage> FullIndexScan(const std::string& name, bool backward = false) {
    const auto& index = Index(name);
    auto cursor =
        IndexCursor::FullScan(db_->engine(), db_->engine().GetSnapshot(), index.format, backward);
    EXPECT_TRUE(cursor.ok());
    return std::make_unique<IndexScanStage>(*std::move(cursor), index.multikey);
  }

  TempDir dir_;
  std::unique_ptr<db::DatabaseImpl> db_;
  engine::CollectionHandle collection_;
  std::vector<query::planner::IndexInfo> indexes_;
  std::vector<Document> filter_docs_;
  std::vector<match::MatchExpressionPtr> trees_;
};

TEST_F(ScanStagesTest, CollectionScanForwardAndBackward) {
  CollectionScanStage forward(Source(), /*backward=*/false, Filter(R"({"a": 1})"));
  EXPECT_EQ(forward.name(), "COLLSCAN");
  EXPECT_THAT(Ids(Drain(forward)), ElementsAre(1, 4, 7));
  const StageStats& s = forward.stats();
  EXPECT_EQ(s.works, 11);  // one per document, one for the end
  EXPECT_EQ(s.advanced, 3);
  EXPECT_EQ(s.need_time, 7);
  EXPECT_EQ(s.docs_examined, 10);
  EXPECT_EQ(s.keys_examined, 0);
  EXPECT_TRUE(s.is_eof);
  CollectionScanStage backward(Source(), /*backward=*/true, StageFilter());
  EXPECT_THAT(Ids(Drain(backward)), ElementsAre(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
  EXPECT_EQ(backward.stats().docs_examined, 10);
  // After the end the stage keeps reporting kEof and keeps its counters.
  auto again = backward.Work();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, StageState::kEof);
  EXPECT_EQ(backward.stats().advanced, 10);
}

TEST_F(ScanStagesTest, ClusteredScanReadsOnlyItsRanges) {
  std::vector<index::KeyRange> ranges = {{KeyOf(2), KeyOf(4)}, {KeyOf(8), KeyOf(100)}};
  ClusteredScanStage scan(Source(), ranges, Filter(R"({"a": {"$ne": 0}})"));
  EXPECT_THAT(Ids(Drain(scan)), ElementsAre(2, 8));  // 3 and 9 have a: 0
  EXPECT_EQ(scan.stats().docs_examined, 4);
  EXPECT_EQ(scan.stats().advanced, 2);
  EXPECT_EQ(scan.stats().works, 5);
}

TEST_F(ScanStagesTest, IdHackReadsOneDocument) {
  IdHackStage found(Source(), KeyOf(4), StageFilter());
  EXPECT_THAT(Ids(Drain(found)), ElementsAre(4));
  EXPECT_EQ(found.stats().docs_examined, 1);
  EXPECT_EQ(found.stats().works, 2);
  IdHackStage missing(Source(), KeyOf(42), StageFilter());
  EXPECT_TRUE(Drain(missing).empty());
  EXPECT_EQ(missing.stats().docs_examined, 0);
  IdHackStage filtered(Source(), KeyOf(4), Filter(R"({"a": 2})"));
  EXPECT_TRUE(Drain(filtered).empty());
  EXPECT_EQ(filtered.stats().docs_examined, 1);
}

TEST_F(ScanStagesTest, IndexScanHandsUpKeysAndFetchReadsDocuments) {
  // Alone, IXSCAN yields keys (no documents), in index order.
  auto scan = FullIndexScan("a_1");
  EXPECT_EQ(scan->name(), "IXSCAN");
  std::vector<std::string> rows = Drain(*scan);
  EXPECT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[0], "key");
  EXPECT_EQ(scan->stats().keys_examined, 10);
  EXPECT_EQ(scan->stats().docs_examined, 0);
  EXPECT_EQ(scan->format().descending.size(), 1u);
  // FETCH reads each document and applies the residual filter.
  FetchStage fetch(FullIndexScan("a_1"), Source(), Filter(R"({"_id": {"$lt": 5}})"));
  EXPECT_THAT(Ids(Drain(fetch)), ElementsAre(0, 3, 1, 4, 2));  // a order, then `_id`
  EXPECT_EQ(fetch.stats().docs_examined, 10);
  EXPECT_EQ(fetch.stats().advanced, 5);
  EXPECT_EQ(fetch.stats().works, 11);
  EXPECT_EQ(fetch.child(0)->stats().keys_examined, 10);
  EXPECT_EQ(fetch.TotalKeysExamined(), 10);
  EXPECT_EQ(fetch.TotalDocsExamined(), 10);
}

TEST_F(ScanStagesTest, MultikeyIndexScanDropsDuplicates) {
  FetchStage fetch(FullIndexScan("tags_1"), Source(), StageFilter());
  // Keys 0 (even ids), 1 (odd ids), then 5 (every id again, all dropped).
  EXPECT_THAT(Ids(Drain(fetch)), ElementsAre(0, 2, 4, 6, 8, 1, 3, 5, 7, 9));
  const StageStats& scan = fetch.child(0)->stats();
  EXPECT_EQ(scan.keys_examined, 20);
  EXPECT_EQ(scan.dups_tested, 20);
  EXPECT_EQ(scan.dups_dropped, 10);
  EXPECT_EQ(scan.advanced, 10);
  EXPECT_EQ(fetch.stats().docs_examined, 10);
}

TEST_F(ScanStagesTest, CountScanCountsKeysWithoutDocuments) {
  const auto& index = Index("a_1");
  auto cursor =
      IndexCursor::FullScan(db_->engine(), db_->engine().GetSnapshot(), index.format, false);
  ASSERT_TRUE(cursor.ok());
  auto count = MakeCountScanStage(*std::move(cursor));
  EXPECT_EQ(count->name(), "COUNT_SCAN");
  EXPECT_EQ(Drain(*count), std::vector<std::string>(10, "key"));
  EXPECT_EQ(count->stats().keys_examined, 10);
  EXPECT_EQ(count->TotalDocsExamined(), 0);
}

TEST(PlanStagesTest, OrReturnsEachDocumentOnce) {
  std::vector<std::unique_ptr<PlanStage>> children;
  children.push_back(std::make_unique<ValuesStage>(
      std::vector<std::string>{R"({"_id": 1})", R"({"_id": 2})", R"({"_id": 3})"}));
  children.push_back(std::make_unique<ValuesStage>(
      std::vector<std::string>{R"({"_id": 3})", R"({"_id": 4})", R"({"_id": 1})"}, true));
  OrStage union_stage(std::move(children));
  EXPECT_THAT(Ids(Drain(union_stage)), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(union_stage.stats().dups_tested, 6);
  EXPECT_EQ(union_stage.stats().dups_dropped, 2);
  EXPECT_EQ(union_stage.stats().advanced, 4);
  // Each of OR's works is one work of the child it is reading (the first child's end is OR's
  // need-time, the second's is OR's end).
  EXPECT_EQ(union_stage.stats().works,
            union_stage.child(0)->stats().works + union_stage.child(1)->stats().works);
}

TEST(PlanStagesTest, SkipAndLimit) {
  const std::vector<std::string> docs = {R"({"_id": 1})", R"({"_id": 2})", R"({"_id": 3})",
                                         R"({"_id": 4})", R"({"_id": 5})"};
  SkipStage skip(std::make_unique<ValuesStage>(docs), 2);
  EXPECT_THAT(Ids(Drain(skip)), ElementsAre(3, 4, 5));
  EXPECT_EQ(skip.stats().advanced, 3);
  EXPECT_EQ(skip.stats().need_time, 2);
  EXPECT_EQ(skip.stats().works, 6);
  // LIMIT stops working its child once it has returned enough.
  LimitStage limit(std::make_unique<ValuesStage>(docs), 2);
  EXPECT_THAT(Ids(Drain(limit)), ElementsAre(1, 2));
  EXPECT_EQ(limit.child(0)->stats().works, 2);
  EXPECT_EQ(limit.stats().works, 3);
  EXPECT_TRUE(limit.stats().is_eof);
}

TEST(PlanStagesTest, SortInMemoryTopKAndMemoryLimit) {
  const std::vector<std::string> docs = {R"({"_id": 1, "k": 3})", R"({"_id": 2, "k": 1})",
                                         R"({"_id": 3, "k": "x"})", R"({"_id": 4, "k": 1})",
                                         R"({"_id": 5})"};
  const Document pattern = Json(R"({"k": 1})");
  auto spec = sort::SortSpec::Parse(pattern.view());
  ASSERT_TRUE(spec.ok());
  SortStage all(std::make_unique<ValuesStage>(docs, true), &*spec, {});
  // Missing sorts first, numbers before strings, ties in arrival order.
  EXPECT_THAT(Ids(Drain(all)), ElementsAre(5, 2, 4, 1, 3));
  // Loading: 5 rows + 5 child need-times + the child's end, each a need-time of SORT; then 5
  // rows and the end.
  EXPECT_EQ(all.stats().works, 17);
  EXPECT_EQ(all.stats().need_time, 11);
  EXPECT_EQ(all.stats().advanced, 5);
  sort::ExternalSorterOptions top;
  top.limit = 2;
  SortStage top_k(std::make_unique<ValuesStage>(docs), &*spec, top);
  EXPECT_THAT(Ids(Drain(top_k)), ElementsAre(5, 2));
  sort::ExternalSorterOptions tiny;
  tiny.memory_limit_bytes = 40;
  SortStage limited(std::make_unique<ValuesStage>(docs), &*spec, tiny, "find: ");
  absl::Status status;
  while (status.ok()) {
    auto next = limited.Next();
    if (next.ok() && !*next) break;
    status = next.status();
  }
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("find: Sort exceeded memory limit of 40 bytes"));
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), 292);
}

TEST(PlanStagesTest, SortSpillsWithAllowDiskUseAndCleansUp) {
  TempDir dir;
  std::vector<std::string> docs;
  for (int i = 0; i < 200; ++i) {
    docs.push_back(absl::StrCat(R"({"_id": )", i, R"(, "k": )", (i * 37) % 50, "}"));
  }
  const Document pattern = Json(R"({"k": -1})");
  auto spec = sort::SortSpec::Parse(pattern.view());
  ASSERT_TRUE(spec.ok());
  SortStage in_memory(std::make_unique<ValuesStage>(docs), &*spec, {});
  const std::vector<std::string> expected = Drain(in_memory);
  EXPECT_FALSE(in_memory.used_disk());
  sort::ExternalSorterOptions options;
  options.memory_limit_bytes = 500;
  options.allow_disk_use = true;
  options.temp_dir = dir.Sub("_tmp");
  SortStage spilled(std::make_unique<ValuesStage>(docs), &*spec, options);
  EXPECT_EQ(Drain(spilled), expected);
  EXPECT_TRUE(spilled.used_disk());
  EXPECT_GT(spilled.spills(), 5);
  bson_t stats = BSON_INITIALIZER;
  spilled.AppendStats(&stats);
  EXPECT_THAT(DocumentView(&stats).ToJson(), HasSubstr(R"("usedDisk": true)"));
  bson_destroy(&stats);
  EXPECT_TRUE(std::filesystem::is_empty(options.temp_dir));
}

TEST(PlanStagesTest, ProjectionStageNames) {
  EXPECT_EQ(ProjectionStageName(Json(R"({"a": 1, "_id": 0})").view()), "PROJECTION_SIMPLE");
  EXPECT_EQ(ProjectionStageName(Json(R"({"a.b": 1})").view()), "PROJECTION_DEFAULT");
  EXPECT_EQ(ProjectionStageName(Json(R"({"a": {"$slice": 1}})").view()), "PROJECTION_DEFAULT");
  const Document spec_doc = Json(R"({"k": 1, "_id": 0})");
  auto projection = projection::Projection::Parse(spec_doc.view());
  ASSERT_TRUE(projection.ok());
  ProjectionStage stage(
      std::make_unique<ValuesStage>(std::vector<std::string>{R"({"_id": 1, "k": 2, "z": 3})"}),
      &*projection, nullptr, "PROJECTION_SIMPLE");
  EXPECT_THAT(Drain(stage), ElementsAre(R"({"k": 2})"));
}

}  // namespace
}  // namespace strata::query::exec
