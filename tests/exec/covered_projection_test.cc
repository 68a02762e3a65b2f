// CoveredDocumentBuilder (query/exec/covered_projection.h): the document a covered plan
// rebuilds from a typed index entry — exact types, dotted paths nested, missing paths left out
// with their existing document prefix, descending parts, unwanted parts skipped, and nullopt for
// entries that cannot be rebuilt.
#include "query/exec/covered_projection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "index/index_spec.h"
#include "index/key_generator.h"
#include "index/key_types.h"
#include "strata/document.h"

namespace strata::query::exec {
namespace {

Document Json(const std::string& json) {
  auto doc = Document::FromJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  return doc.ok() ? *std::move(doc) : Document();
}

// The document rebuilt from the key of `doc_json` in index `key_pattern` (typed entries), or
// "nullopt".
std::string Rebuild(const std::string& key_pattern, const std::string& doc_json,
                    std::vector<bool> wanted = {}) {
  auto spec = index::IndexSpec::Parse(Json(R"({"key": )" + key_pattern + "}").view());
  EXPECT_TRUE(spec.ok());
  spec->set_entry_format(index::kTypedEntryFormat);
  const Document doc = Json(doc_json);
  auto keys = index::KeyGenerator(*spec).Generate(doc.view());
  EXPECT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys.size(), 1u);
  if (wanted.empty()) wanted.assign(spec->num_key_parts(), true);
  CoveredDocumentBuilder builder(spec->key_parts(), wanted);
  auto built = builder.Build(keys->keys[0], keys->key_types[0]);
  EXPECT_TRUE(built.ok()) << built.status();
  if (!built.ok() || !built->has_value()) return "nullopt";
  return (*built)->ToJson(JsonMode::kCanonical);
}

TEST(CoveredProjectionTest, RebuildsExactValuesAsNestedDocuments) {
  EXPECT_EQ(Rebuild(R"({"a.b": 1, "a.c": -1, "d": 1})",
                    R"({"_id": 1, "d": 2.5, "a": {"c": "x", "b": {"$numberLong": "7"}}})"),
            R"({"a": {"b": {"$numberLong": "7"}, "c": "x"}, "d": {"$numberDouble": "2.5"}})");
  EXPECT_EQ(Rebuild(R"({"n": -1})", R"({"n": {"$numberDouble": "-0.0"}})"),
            R"({"n": {"$numberDouble": "-0.0"}})");
  EXPECT_EQ(Rebuild(R"({"n": 1})", R"({"n": {"$numberInt": "3"}})"),
            R"({"n": {"$numberInt": "3"}})");
}

TEST(CoveredProjectionTest, MissingPathsKeepTheirExistingDocuments) {
  EXPECT_EQ(Rebuild(R"({"a.b": 1, "d": 1})", R"({"_id": 1})"), "{}");
  EXPECT_EQ(Rebuild(R"({"a.b": 1, "d": 1})", R"({"a": 5, "d": null})"), R"({"d": null})");
  EXPECT_EQ(Rebuild(R"({"a.b.c": 1})", R"({"a": {"b": {}}})"), R"({"a": {"b": {}}})");
  EXPECT_EQ(Rebuild(R"({"a.b": 1, "a.c": 1})", R"({"a": {"c": true}})"), R"({"a": {"c": true}})");
}

TEST(CoveredProjectionTest, OnlyWantedPartsAreRebuilt) {
  EXPECT_EQ(Rebuild(R"({"a": 1, "b": -1, "c": 1})", R"({"a": 1, "b": "s", "c": 3})",
                    {false, true, false}),
            R"({"b": "s"})");
  // An unwanted part that cannot be rebuilt does not matter.
  EXPECT_EQ(
      Rebuild(R"({"a": 1, "b": 1})", R"({"a": {"$numberDecimal": "1.10"}, "b": 2})", {false, true}),
      R"({"b": {"$numberInt": "2"}})");
}

TEST(CoveredProjectionTest, EntriesThatCannotBeRebuiltAskForAFetch) {
  EXPECT_EQ(Rebuild(R"({"a": 1})", R"({"a": {"$numberDecimal": "1.10"}})"), "nullopt");
  EXPECT_EQ(Rebuild(R"({"a": 1})", R"({"a": {"x": {"$numberDouble": "1.0"}}})"), "nullopt");
}

TEST(CoveredProjectionTest, MalformedTypeCodesAreDataLoss) {
  CoveredDocumentBuilder builder({index::KeyPart{"a", false}}, {true});
  EXPECT_EQ(builder.Build("\x1E\x50\x80\x00\x00", "").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(builder.Build(std::string("\x1E\x50\x80\x00\x00", 5), "\x02").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata::query::exec
