// Covered plan decisions (query/planner/covered_plan.h) as pure functions: which filter /
// projection / sort / index combinations an index covers, and which key parts a covered scan
// rebuilds.
#include "query/planner/covered_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "query/match/parser.h"
#include "query/planner/query_planner.h"
#include "query/sort/sort_spec.h"
#include "strata/document.h"

namespace strata::query::planner {
namespace {

Document Json(const std::string& json) {
  auto doc = Document::FromJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  return doc.ok() ? *std::move(doc) : Document();
}

IndexInfo Index(std::vector<index::KeyPart> parts, bool typed = true, bool multikey = false) {
  IndexInfo info;
  info.shape.key_parts = parts;
  info.shape.multikey_paths.resize(parts.size());
  if (multikey) info.shape.multikey_paths[0].insert(0);
  info.multikey = multikey;
  info.format.typed = typed;
  for (const index::KeyPart& part : parts) info.format.descending.push_back(part.descending);
  return info;
}

// Whether `index` covers the find (filter, projection, sort as JSON).
bool Covers(const IndexInfo& index, const std::string& filter, const std::string& projection,
            const std::string& sort = "{}") {
  const Document filter_doc = Json(filter);
  auto tree = match::ParseFilter(filter_doc.view());
  EXPECT_TRUE(tree.ok()) << filter;
  const Document sort_doc = Json(sort);
  auto spec = sort::SortSpec::Parse(sort_doc.view());
  EXPECT_TRUE(spec.ok()) << sort;
  const Document projection_doc = Json(projection);
  CoverageRequest request =
      AnalyzeCoverage(**tree, projection_doc.view(), spec->empty() ? nullptr : &*spec);
  return IndexCovers(index, request);
}

TEST(CoveredPlanTest, Table) {
  const IndexInfo ab = Index({{"a", false}, {"b", true}});
  const IndexInfo dotted = Index({{"x.y", false}, {"x.z", false}});
  const IndexInfo with_id = Index({{"_id", false}, {"a", false}});
  struct Case {
    const IndexInfo* index;
    const char* filter;
    const char* projection;
    const char* sort;
    bool covered;
  } cases[] = {
      {&ab, R"({"a": 1})", R"({"a": 1, "_id": 0})", "{}", true},
      {&ab, R"({"a": {"$gt": 1}, "b": {"$mod": [2, 0]}})", R"({"b": 1, "_id": 0})", "{}", true},
      {&ab, R"({"$or": [{"a": 1}, {"b": {"$type": "string"}}]})", R"({"a": true, "_id": false})",
       R"({"b": -1})", true},
      {&ab, R"({"a": {"$not": {"$gt": 3}}})", R"({"a": 1, "_id": 0})", "{}", true},
      {&ab, R"({"a.c": 1})", R"({"a.c": 1, "_id": 0})", "{}", true},  // under key part "a"
      {&ab, R"({"a": 1})", R"({"a": 1})", "{}", false},               // _id included
      {&ab, R"({"a": 1})", R"({"a": 1, "_id": 1})", "{}", false},
      {&ab, R"({"a": 1})", R"({"a": 1, "c": 1, "_id": 0})", "{}", false},
      {&ab, R"({"a": 1, "c": 1})", R"({"a": 1, "_id": 0})", "{}", false},
      {&ab, R"({"a": 1})", R"({"a": 1, "_id": 0})", R"({"c": 1})", false},
      {&ab, R"({"a": 1})", R"({"_id": 0})", "{}", false},          // exclusion
      {&ab, R"({"a": 1})", R"({"b": 0, "_id": 0})", "{}", false},  // exclusion
      {&ab, R"({"a": 1})", "{}", "{}", false},                     // whole documents
      {&ab, R"({"a": 1})", R"({"a": {"$slice": 1}, "_id": 0})", "{}", false},
      {&ab, R"({"a": 1})", R"({"a": "$b", "_id": 0})", "{}", false},
      {&ab, R"({"a": 1})", R"({"a.$": 1, "_id": 0})", "{}", false},
      {&dotted, R"({"x.y": 1})", R"({"x.y": 1, "x.z": 1, "_id": 0})", "{}", true},
      {&dotted, R"({"x.y": 1})", R"({"x": {"z": 1}, "_id": 0})", "{}", true},
      {&dotted, R"({"x.y": 1})", R"({"x": 1, "_id": 0})", "{}", false},  // a prefix of key paths
      {&dotted, R"({"x": {"y": 1}})", R"({"x.y": 1, "_id": 0})", "{}", false},
      {&with_id, R"({"_id": {"$gt": 1}})", R"({"_id": 1, "a": 1})", "{}", true},
      {&with_id, R"({"a": 1})", R"({"a": 1})", "{}", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Covers(*c.index, c.filter, c.projection, c.sort), c.covered)
        << c.filter << " " << c.projection << " " << c.sort;
  }
}

TEST(CoveredPlanTest, UntypedOrMultikeyIndexesNeverCover) {
  EXPECT_TRUE(Covers(Index({{"a", false}}), R"({"a": 1})", R"({"a": 1, "_id": 0})"));
  EXPECT_FALSE(
      Covers(Index({{"a", false}}, /*typed=*/false), R"({"a": 1})", R"({"a": 1, "_id": 0})"));
  EXPECT_FALSE(Covers(Index({{"a", false}}, true, /*multikey=*/true), R"({"a": 1})",
                      R"({"a": 1, "_id": 0})"));
}

TEST(CoveredPlanTest, CoveredKeyPartsAreThoseTheQueryReads) {
  const IndexInfo index = Index({{"a", false}, {"b", false}, {"c.d", false}, {"c.d.e", false}});
  const Document filter = Json(R"({"a": 1})");
  auto tree = match::ParseFilter(filter.view());
  ASSERT_TRUE(tree.ok());
  const Document projection = Json(R"({"c.d.e": 1, "_id": 0})");
  const CoverageRequest request = AnalyzeCoverage(**tree, projection.view(), nullptr);
  ASSERT_TRUE(request.possible);
  // "c.d.e" lies under key part "c.d": rebuilding "c.d" is enough.
  EXPECT_EQ(CoveredKeyParts(index, request), (std::vector<bool>{true, false, true, false}));
}

}  // namespace
}  // namespace strata::query::planner
