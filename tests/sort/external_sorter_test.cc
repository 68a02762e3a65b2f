// Tests of ExternalSorter (query/sort/external_sorter.h) and SpillFile (spill_file.h): with a
// tiny budget and disk use the order is exactly the in-memory order (mixed BSON types,
// duplicates, descending and compound keys, arrays, top-k), runs are really written and every
// file is gone afterwards; without disk use the budget is error 292.
#include "query/sort/external_sorter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "query/sort/sort_spec.h"
#include "query/sort/spill_file.h"
#include "tests/support/test_util.h"

namespace strata::query::sort {
namespace {

using ::strata::testing::Json;
using ::strata::testing::TempDir;
using ::testing::HasSubstr;

size_t FilesIn(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++n;
  }
  return n;
}

// Documents {_id: i, a: <mixed>, b: <small int>} with many duplicate keys across types.
std::vector<Document> MixedDocuments(int n, uint32_t seed) {
  const char* values[] = {"1",
                          "1.0",
                          "2.5",
                          R"("a")",
                          R"("B")",
                          "null",
                          "true",
                          "false",
                          R"({"x": 1})",
                          "[2, 0]",
                          "[]",
                          "-3",
                          R"({"$numberLong": "7"})",
                          R"({"$date": 0})",
                          R"({"$oid": "5f0000000000000000000000"})",
                          R"("")"};
  std::mt19937 rng(seed);
  std::vector<Document> docs;
  for (int i = 0; i < n; ++i) {
    const int pick = static_cast<int>(rng() % 17);  // 16: `a` missing
    std::string a = pick == 16 ? "" : absl::StrCat(R"(, "a": )", values[pick]);
    docs.push_back(Json(absl::StrCat(R"({"_id": )", i, a, R"(, "b": )", rng() % 4, "}")));
  }
  return docs;
}

// Sorts `docs` by `pattern` through a sorter with `options`; the `_id`s in order.
std::vector<int64_t> SortedIds(const std::vector<Document>& docs, const std::string& pattern,
                               ExternalSorterOptions options, int64_t* spills = nullptr) {
  auto spec = SortSpec::Parse(Json(pattern).view());
  EXPECT_OK(spec);
  ExternalSorter sorter(std::move(options));
  for (const Document& doc : docs) {
    auto key = spec->SortKey(doc.view());
    EXPECT_OK(key);
    EXPECT_OK(sorter.Add(*key, doc.view()));
  }
  EXPECT_OK(sorter.Finish());
  std::vector<int64_t> ids;
  while (true) {
    auto next = sorter.Next();
    EXPECT_OK(next);
    if (!next.ok() || !next->has_value()) break;
    bson_t b;
    (*next)->AsBson(&b);
    bson_iter_t it;
    EXPECT_TRUE(bson_iter_init_find(&it, &b, "_id"));
    ids.push_back(bson_iter_as_int64(&it));
  }
  if (spills != nullptr) *spills = sorter.spills();
  return ids;
}

TEST(ExternalSorterTest, SpilledOrderIsTheInMemoryOrder) {
  TempDir dir;
  const std::vector<Document> docs = MixedDocuments(2000, 7);
  for (const char* pattern : {R"({"a": 1})", R"({"a": -1})", R"({"b": 1, "a": -1})",
                              R"({"a": 1, "b": -1})", R"({"b": -1})"}) {
    for (std::optional<size_t> limit : {std::optional<size_t>(), std::optional<size_t>(1),
                                        std::optional<size_t>(37), std::optional<size_t>(1999)}) {
      ExternalSorterOptions memory;
      memory.limit = limit;
      const std::vector<int64_t> expected = SortedIds(docs, pattern, memory);
      ASSERT_EQ(expected.size(), limit.value_or(2000)) << pattern;
      ExternalSorterOptions disk = memory;
      disk.memory_limit_bytes = 2048;
      disk.allow_disk_use = true;
      disk.temp_dir = dir.Sub("_tmp");
      int64_t spills = 0;
      EXPECT_EQ(SortedIds(docs, pattern, disk, &spills), expected)
          << pattern << " limit " << limit.value_or(0);
      if (limit.value_or(2000) > 100) {
        EXPECT_GT(spills, 10) << pattern;
      }
      EXPECT_EQ(FilesIn(disk.temp_dir), 0u);
    }
  }
}

TEST(ExternalSorterTest, ManyRunsAreMergedInCascadesWithFewFilesOpen) {
  TempDir dir;
  const std::vector<Document> docs = MixedDocuments(3000, 5);
  for (std::optional<size_t> limit : {std::optional<size_t>(), std::optional<size_t>(700)}) {
    for (const char* pattern : {R"({"a": 1})", R"({"b": -1, "a": 1})"}) {
      ExternalSorterOptions memory;
      memory.limit = limit;
      const std::vector<int64_t> expected = SortedIds(docs, pattern, memory);
      ExternalSorterOptions disk = memory;
      disk.memory_limit_bytes = 1024;  // ~30 documents a run: ~100 runs
      disk.allow_disk_use = true;
      disk.temp_dir = dir.Sub("_tmp");
      disk.max_open_runs = 4;
      auto spec = SortSpec::Parse(Json(pattern).view());
      ASSERT_OK(spec);
      ExternalSorter sorter(disk);
      size_t most_files = 0;
      for (const Document& doc : docs) {
        ASSERT_OK(sorter.Add(*spec->SortKey(doc.view()), doc.view()));
        most_files = std::max(most_files, FilesIn(disk.temp_dir));
      }
      ASSERT_OK(sorter.Finish());
      EXPECT_GT(sorter.spills(), 4 * 4);
      EXPECT_LE(most_files, 4u);
      std::vector<int64_t> ids;
      while (true) {
        auto next = sorter.Next();
        ASSERT_OK(next);
        if (!next->has_value()) break;
        bson_t b;
        (*next)->AsBson(&b);
        bson_iter_t it;
        ASSERT_TRUE(bson_iter_init_find(&it, &b, "_id"));
        ids.push_back(bson_iter_as_int64(&it));
      }
      EXPECT_EQ(ids, expected) << pattern;
      EXPECT_EQ(FilesIn(disk.temp_dir), 0u);
    }
  }
}

TEST(ExternalSorterTest, OverTheBudgetWithoutDiskUseIs292) {
  const std::vector<Document> docs = MixedDocuments(100, 3);
  auto spec = SortSpec::Parse(Json(R"({"a": 1})").view());
  ASSERT_OK(spec);
  ExternalSorterOptions options;
  options.memory_limit_bytes = 500;
  ExternalSorter sorter(options);
  absl::Status status;
  for (const Document& doc : docs) {
    status = sorter.Add(*spec->SortKey(doc.view()), doc.view());
    if (!status.ok()) break;
  }
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), 292);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("Sort exceeded memory limit of 500 bytes, but did not opt in to external "
                        "sorting."));
  // A top-k whose kept entries fit never fails, however many documents pass.
  options.limit = 3;
  ExternalSorter top(options);
  for (const Document& doc : docs) ASSERT_OK(top.Add(*spec->SortKey(doc.view()), doc.view()));
  ASSERT_OK(top.Finish());
  EXPECT_EQ(top.spills(), 0);
}

TEST(ExternalSorterTest, ReleaseMidMergeDeletesTheRuns) {
  TempDir dir;
  const std::vector<Document> docs = MixedDocuments(500, 11);
  auto spec = SortSpec::Parse(Json(R"({"a": 1})").view());
  ASSERT_OK(spec);
  ExternalSorterOptions options;
  options.memory_limit_bytes = 1024;
  options.allow_disk_use = true;
  options.temp_dir = dir.Sub("_tmp");
  {
    ExternalSorter sorter(options);
    for (const Document& doc : docs) ASSERT_OK(sorter.Add(*spec->SortKey(doc.view()), doc.view()));
    ASSERT_OK(sorter.Finish());
    EXPECT_TRUE(sorter.used_disk());
    EXPECT_EQ(FilesIn(options.temp_dir), static_cast<size_t>(sorter.spills()));
    ASSERT_OK(sorter.Next());
    sorter.Release();
    EXPECT_EQ(FilesIn(options.temp_dir), 0u);
    auto after = sorter.Next();
    ASSERT_OK(after);
    EXPECT_FALSE(after->has_value());
  }
  {
    // Destroyed mid-merge (a killed cursor).
    ExternalSorter sorter(options);
    for (const Document& doc : docs) ASSERT_OK(sorter.Add(*spec->SortKey(doc.view()), doc.view()));
    ASSERT_OK(sorter.Finish());
    EXPECT_GT(FilesIn(options.temp_dir), 0u);
  }
  EXPECT_EQ(FilesIn(options.temp_dir), 0u);
}

TEST(SpillFileTest, RecordsRoundTripAndTheFileIsRemoved) {
  TempDir dir;
  std::string path;
  {
    auto file = SpillFile::Create(dir.Sub("spill"), "test");
    ASSERT_OK(file);
    path = (*file)->path();
    ASSERT_OK((*file)->Append("hello"));
    ASSERT_OK((*file)->Append(""));
    ASSERT_OK((*file)->Append("ab", "cd"));
    ASSERT_OK((*file)->FinishWriting());
    EXPECT_EQ((*file)->bytes_written(), 4u * 3 + 5 + 4);
    std::vector<std::string> records;
    while (true) {
      auto record = (*file)->Read();
      ASSERT_OK(record);
      if (!record->has_value()) break;
      records.emplace_back(**record);
    }
    EXPECT_EQ(records, (std::vector<std::string>{"hello", "", "abcd"}));
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(SpillFile::Create("", "x").ok());
}

}  // namespace
}  // namespace strata::query::sort
