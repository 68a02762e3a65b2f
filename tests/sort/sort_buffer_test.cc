// Tests of SortBuffer (query/sort/sort_buffer.h): order, stable ties, and the bounded top-k.
#include "query/sort/sort_buffer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "query/sort/sort_spec.h"
#include "tests/support/test_util.h"

namespace strata::query::sort {
namespace {

using ::strata::testing::Json;

int64_t IdOf(const Document& doc) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc.bson(), "_id")) return -1;
  return bson_iter_as_int64(&it);
}

std::vector<int64_t> Ids(const std::vector<Document>& docs) {
  std::vector<int64_t> ids;
  for (const Document& doc : docs) ids.push_back(IdOf(doc));
  return ids;
}

Document Doc(int id, int a) {
  return Json("{\"_id\": " + std::to_string(id) + ", \"a\": " + std::to_string(a) + "}");
}

TEST(SortBufferTest, SortsByKeyAndKeepsTiesInArrivalOrder) {
  auto spec = SortSpec::Parse(Json(R"({"a": 1})").view());
  ASSERT_OK(spec);
  SortBuffer buffer;
  const int values[][2] = {{1, 3}, {2, 1}, {3, 3}, {4, 0}, {5, 1}};
  for (const auto& [id, a] : values) {
    Document doc = Doc(id, a);
    auto key = spec->SortKey(doc.view());
    ASSERT_OK(key);
    buffer.Add(*key, std::move(doc));
  }
  EXPECT_EQ(buffer.size(), 5u);
  EXPECT_GT(buffer.bytes(), 0u);
  EXPECT_EQ(Ids(buffer.Finish()), (std::vector<int64_t>{4, 2, 5, 1, 3}));
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.bytes(), 0u);
}

TEST(SortBufferTest, LimitKeepsTheSmallestInOrder) {
  auto spec = SortSpec::Parse(Json(R"({"a": -1})").view());
  ASSERT_OK(spec);
  std::mt19937 random(42);
  std::vector<std::pair<int, int>> values;
  for (int id = 0; id < 500; ++id) values.emplace_back(id, static_cast<int>(random() % 50));

  for (size_t limit : {size_t{1}, size_t{7}, size_t{100}, size_t{499}, size_t{500}, size_t{900}}) {
    SortBuffer bounded(limit);
    SortBuffer full;
    for (const auto& [id, a] : values) {
      Document doc = Doc(id, a);
      auto key = spec->SortKey(doc.view());
      ASSERT_OK(key);
      bounded.Add(*key, doc.Clone());
      full.Add(*key, std::move(doc));
      EXPECT_LE(bounded.size(), limit);
    }
    std::vector<int64_t> want = Ids(full.Finish());
    want.resize(std::min(limit, want.size()));
    EXPECT_EQ(Ids(bounded.Finish()), want) << "limit " << limit;
  }
}

TEST(SortBufferTest, ZeroLimitKeepsNothing) {
  SortBuffer buffer(0);
  buffer.Add("k", Doc(1, 1));
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_TRUE(buffer.Finish().empty());
}

}  // namespace
}  // namespace strata::query::sort
