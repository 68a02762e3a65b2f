// Query shapes (the plan cache's key and explain's queryHash): values do not matter, what the
// planner can do with them does; and the cache's bookkeeping.
#include "query/planner/plan_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "strata/document.h"

namespace strata::query::planner {
namespace {

Document Json(const std::string& json) {
  auto doc = Document::FromJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  return doc.ok() ? *std::move(doc) : Document();
}

std::string Shape(const std::string& filter, const std::string& sort = "{}",
                  const std::string& projection = "{}", int64_t skip = 0, int64_t limit = 0) {
  return QueryShapeOf(Json(filter).view(), Json(sort).view(), Json(projection).view(), skip, limit)
      .key;
}

TEST(QueryShapeTest, ValuesDoNotMatterOperatorsAndFieldsDo) {
  EXPECT_EQ(Shape(R"({"a": 1})"), Shape(R"({"a": 2})"));
  EXPECT_EQ(Shape(R"({"a": 1})"), Shape(R"({"a": 2.5})"));  // numbers share a type rank
  EXPECT_NE(Shape(R"({"a": 1})"), Shape(R"({"a": "x"})"));
  EXPECT_NE(Shape(R"({"a": 1})"), Shape(R"({"b": 1})"));
  EXPECT_NE(Shape(R"({"a": 1})"), Shape(R"({"a": {"$gt": 1}})"));
  EXPECT_EQ(Shape(R"({"a": {"$gt": 1, "$lt": 5}})"), Shape(R"({"a": {"$gt": 7, "$lt": 9}})"));
  EXPECT_NE(Shape(R"({"a": {"$gt": 1, "$lt": 5}})"), Shape(R"({"a": {"$lt": 5, "$gt": 1}})"));
  EXPECT_EQ(Shape(R"({"a": {"$in": [1, 2, 3]}})"), Shape(R"({"a": {"$in": [4]}})"));
  EXPECT_NE(Shape(R"({"a": {"$in": [1]}})"), Shape(R"({"a": {"$in": ["x"]}})"));
  EXPECT_EQ(Shape(R"({"$or": [{"a": 1}, {"b": {"$gt": 2}}]})"),
            Shape(R"({"$or": [{"a": 9}, {"b": {"$gt": 0}}]})"));
  EXPECT_NE(Shape(R"({"$or": [{"a": 1}, {"b": 2}]})"), Shape(R"({"$or": [{"a": 1}]})"));
  EXPECT_EQ(Shape(R"({"a": {"$elemMatch": {"b": 1}}})"),
            Shape(R"({"a": {"$elemMatch": {"b": 2}}})"));
  EXPECT_NE(Shape(R"({"a": {"$elemMatch": {"b": 1}}})"),
            Shape(R"({"a": {"$elemMatch": {"c": 1}}})"));
}

TEST(QueryShapeTest, AnchoredRegexIsItsOwnShape) {
  // Only an anchored prefix bounds an index scan.
  EXPECT_EQ(Shape(R"({"a": {"$regex": "^ab"}})"), Shape(R"({"a": {"$regex": "^cd"}})"));
  EXPECT_NE(Shape(R"({"a": {"$regex": "^ab"}})"), Shape(R"({"a": {"$regex": "ab"}})"));
}

TEST(QueryShapeTest, SortProjectionAndHowManyAreWanted) {
  EXPECT_NE(Shape("{}", R"({"a": 1})"), Shape("{}", R"({"a": -1})"));
  EXPECT_NE(Shape("{}", "{}", R"({"a": 1})"), Shape("{}", "{}", R"({"b": 1})"));
  EXPECT_EQ(Shape("{}", "{}", "{}", 0, 5), Shape("{}", "{}", "{}", 0, 7));
  EXPECT_EQ(Shape("{}", "{}", "{}", 2, 5), Shape("{}", "{}", "{}", 0, 7));
  EXPECT_NE(Shape("{}", "{}", "{}", 0, 5), Shape("{}", "{}", "{}", 0, 500));
  EXPECT_NE(Shape("{}", "{}", "{}", 0, 5), Shape("{}"));
}

TEST(QueryShapeTest, HashIsStableAndFollowsTheKey) {
  QueryShape a =
      QueryShapeOf(Json(R"({"a": 1})").view(), Document().view(), Document().view(), 0, 0);
  QueryShape b =
      QueryShapeOf(Json(R"({"a": 2})").view(), Document().view(), Document().view(), 0, 0);
  QueryShape c =
      QueryShapeOf(Json(R"({"b": 2})").view(), Document().view(), Document().view(), 0, 0);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
}

TEST(PlanCacheTest, LookupInsertEvictAndCounters) {
  PlanCache cache;
  EXPECT_FALSE(cache.Lookup("s").has_value());
  cache.Insert("s", CachedPlan{"a_1", false, true, 12, 1000});
  std::optional<CachedPlan> found = cache.Lookup("s");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->index_name, "a_1");
  EXPECT_TRUE(found->provides_sort);
  EXPECT_EQ(found->keys, 12);
  cache.CountHit();
  cache.Evict("s");
  EXPECT_FALSE(cache.Lookup("s").has_value());
  PlanCache::Counters counters = cache.counters();
  EXPECT_EQ(counters.hits, 1);
  EXPECT_EQ(counters.misses, 2);
  EXPECT_EQ(counters.replans, 1);
  EXPECT_EQ(counters.entries, 0);
  // Bounded: past the cap the cache starts over rather than grow.
  for (size_t i = 0; i <= PlanCache::kMaxEntries; ++i) {
    cache.Insert("shape" + std::to_string(i), CachedPlan{"a_1", false, false, 1, 1});
  }
  EXPECT_LE(cache.counters().entries, static_cast<int64_t>(PlanCache::kMaxEntries));
  cache.Clear();
  EXPECT_EQ(cache.counters().entries, 0);
}

}  // namespace
}  // namespace strata::query::planner
