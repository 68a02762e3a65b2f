// Tests of index key generation (index/key_generator.h).
//
// The expected keys and multikey paths are MongoDB's: the cases named after a MongoDB test are
// taken from src/mongo/db/index/btree_key_generator_test.cpp (current master, where empty and
// single-element arrays also count as multikey) and its golden file btree_keys.txt; the
// "Docs*" cases from the manual's pages on multikey, sparse and unique indexes. An expected
// key is written as the JSON array of its values and encoded here with
// document::AppendKeyString / AppendKeyStringDescending, part by part.
#include "index/key_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/error_codes.h"
#include "document/key_string.h"
#include "index/index_spec.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

std::string Hex(const std::string& bytes) {
  std::string out;
  char buffer[4];
  for (unsigned char c : bytes) {
    std::snprintf(buffer, sizeof(buffer), "%02X ", c);
    out += buffer;
  }
  return out;
}

IndexSpec MakeSpec(const std::string& key_pattern, const std::string& options = "") {
  const std::string json =
      "{\"key\": " + key_pattern + (options.empty() ? "" : ", ") + options + "}";
  absl::StatusOr<IndexSpec> spec = IndexSpec::Parse(Json(json).view());
  EXPECT_TRUE(spec.ok()) << spec.status() << " for " << json;
  return spec.ok() ? *std::move(spec) : IndexSpec::IdIndex();
}

// The key made of the values in the JSON array `values`, one per key part.
std::string EncodeKey(const IndexSpec& spec, const std::string& values) {
  const Document doc = Json("{\"k\": " + values + "}");
  bson_iter_t it;
  bson_iter_t element;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "k") && bson_iter_recurse(&it, &element));
  std::string key;
  size_t part = 0;
  while (bson_iter_next(&element)) {
    if (part < spec.num_key_parts() && spec.key_parts()[part].descending) {
      document::AppendKeyStringDescending(element, &key);
    } else {
      document::AppendKeyString(element, &key);
    }
    ++part;
  }
  EXPECT_EQ(part, spec.num_key_parts()) << values;
  return key;
}

std::vector<std::string> EncodeKeys(const IndexSpec& spec, const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (const std::string& values : keys) out.push_back(EncodeKey(spec, values));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

MultikeyPaths Paths(const std::vector<std::vector<size_t>>& paths) {
  MultikeyPaths out;
  for (const auto& components : paths) out.emplace_back(components.begin(), components.end());
  return out;
}

struct KeyCase {
  std::string name;
  std::string key_pattern;
  std::string doc;
  std::vector<std::string> keys;  // each the JSON array of one key's values
  std::vector<std::vector<size_t>> multikey;
  bool sparse = false;
};

void PrintTo(const KeyCase& c, std::ostream* os) { *os << c.name; }

const std::vector<KeyCase>& KeyCases() {
  static const auto* const kCases = new std::vector<KeyCase>{
      // --- MongoDB btree_key_generator_test.cpp ---
      {"GetKeysFromObjectSimple", R"({"a": 1})", R"({"b": 4, "a": 5})", {"[5]"}, {{}}},
      {"GetKeysFromObjectDotted", R"({"a.b": 1})", R"({"a": {"b": 4}, "c": "foo"})", {"[4]"}, {{}}},
      {"GetKeysFromArraySimple",
       R"({"a": 1})",
       R"({"a": [1, 2, 3]})",
       {"[1]", "[2]", "[3]"},
       {{0}}},
      {"GetKeysFromArrayWithIdenticalValues", R"({"a": 1})", R"({"a": [0, 0, 0]})", {"[0]"}, {{0}}},
      {"GetKeysFromArrayWithEquivalentValues",
       R"({"a": 1})",
       R"({"a": [{"$numberDouble": "0"}, {"$numberInt": "0"}, {"$numberLong": "0"}]})",
       {"[0]"},
       {{0}}},
      {"GetKeysFromArrayFirstElement",
       R"({"a": 1, "b": 1})",
       R"({"a": [1, 2, 3], "b": 2})",
       {"[1, 2]", "[2, 2]", "[3, 2]"},
       {{0}, {}}},
      {"GetKeysFromArraySecondElement",
       R"({"first": 1, "a": 1})",
       R"({"first": 5, "a": [1, 2, 3]})",
       {"[5, 1]", "[5, 2]", "[5, 3]"},
       {{}, {0}}},
      {"GetKeysFromSecondLevelArray",
       R"({"a.b": 1})",
       R"({"a": {"b": [1, 2, 3]}})",
       {"[1]", "[2]", "[3]"},
       {{1}}},
      {"GetKeysFromArraySubobjectBasic",
       R"({"a.b": 1})",
       R"({"a": [{"b": 1, "c": 4}, {"b": 2, "c": 4}, {"b": 3, "c": 4}]})",
       {"[1]", "[2]", "[3]"},
       {{0}}},
      {"GetKeysFromSubobjectWithArrayOfSubobjects",
       R"({"a.b.c": 1})",
       R"({"a": {"b": [{"c": 1}, {"c": 2}]}})",
       {"[1]", "[2]"},
       {{1}}},
      {"GetKeysArraySubobjectCompoundIndex",
       R"({"a.b": 1, "d": 99})",
       R"({"a": [{"b": 1, "c": 4}, {"b": 2, "c": 4}, {"b": 3, "c": 4}], "d": 99})",
       {"[1, 99]", "[2, 99]", "[3, 99]"},
       {{0}, {}}},
      {"GetKeysArraySubobjectSingleMissing",
       R"({"a.b": 1})",
       R"({"a": [{"foo": 41}, {"b": 1, "c": 4}, {"b": 2, "c": 4}, {"b": 3, "c": 4}]})",
       {"[null]", "[1]", "[2]", "[3]"},
       {{0}}},
      {"GetKeysFromArraySubobjectMissing",
       R"({"a.b": 1})",
       R"({"a": [{"foo": 41}, {"foo": 41}, {"foo": 41}]})",
       {"[null]"},
       {{0}}},
      {"GetKeysMissingField", R"({"a": 1})", R"({"b": 1})", {"[null]"}, {{}}},
      {"GetKeysSubobjectMissing", R"({"a.b": 1})", R"({"a": [1, 2]})", {"[null]"}, {{0}}},
      {"GetKeysFromCompound",
       R"({"x": 1, "y": 1})",
       R"({"x": "a", "y": "b"})",
       {R"(["a", "b"])"},
       {{}, {}}},
      {"GetKeysFromCompoundMissing",
       R"({"x": 1, "y": 1})",
       R"({"x": "a"})",
       {R"(["a", null])"},
       {{}, {}}},
      {"GetKeysFromArraySubelementComplex",
       R"({"a.b": 1})",
       R"({"a": [{"b": [2]}]})",
       {"[2]"},
       {{0, 1}}},
      {"GetKeysAlternateMissing",
       R"({"a.b": 1, "a.c": 1})",
       R"({"a": [{"b": 1}, {"c": 2}]})",
       {"[null, 2]", "[1, null]"},
       {{0}, {0}}},
      {"GetKeysFromMultiComplex",
       R"({"a.b": 1})",
       R"({"a": [{"b": 1}, {"b": [1, 2, 3]}]})",
       {"[1]", "[2]", "[3]"},
       {{0, 1}}},
      {"GetKeysFromArrayOfSubobjectsWithArrayValues",
       R"({"a.b": 1})",
       R"({"a": [{"b": [1, 2]}, {"b": [2, 3]}]})",
       {"[1]", "[2]", "[3]"},
       {{0, 1}}},
      {"GetKeysFromArrayOfSubobjectsWithNonDistinctArrayValues",
       R"({"a.b": 1})",
       R"({"a": [{"b": [1, 2, 3]}, {"b": [2]}, {"b": [3, 1]}]})",
       {"[1]", "[2]", "[3]"},
       {{0, 1}}},
      {"GetKeysArrayEmpty_TwoElements", R"({"a": 1})", R"({"a": [1, 2]})", {"[1]", "[2]"}, {{0}}},
      {"GetKeysArrayEmpty_OneElement", R"({"a": 1})", R"({"a": [1]})", {"[1]"}, {{0}}},
      {"GetKeysArrayEmpty_Empty",
       R"({"a": 1})",
       R"({"a": []})",
       {R"([{"$undefined": true}])"},
       {{0}}},
      {"GetKeysArrayEmpty_Null", R"({"a": 1})", R"({"a": null})", {"[null]"}, {{}}},
      {"GetKeysFromMultiEmptyArray_Two",
       R"({"a": 1, "b": 1})",
       R"({"a": 1, "b": [1, 2]})",
       {"[1, 1]", "[1, 2]"},
       {{}, {0}}},
      {"GetKeysFromMultiEmptyArray_One",
       R"({"a": 1, "b": 1})",
       R"({"a": 1, "b": [1]})",
       {"[1, 1]"},
       {{}, {0}}},
      {"GetKeysFromMultiEmptyArray_Empty",
       R"({"a": 1, "b": 1})",
       R"({"a": 1, "b": []})",
       {R"([1, {"$undefined": true}])"},
       {{}, {0}}},
      {"GetKeysFromNestedEmptyArray", R"({"a.b": 1})", R"({"a": []})", {"[null]"}, {{0}}},
      {"GetKeysFromMultiNestedEmptyArray",
       R"({"a.b": 1, "a.c": 1})",
       R"({"a": []})",
       {"[null, null]"},
       {{0}, {0}}},
      {"GetKeysFromUnevenNestedEmptyArray_Empty",
       R"({"a": 1, "a.b": 1})",
       R"({"a": []})",
       {R"([{"$undefined": true}, null])"},
       {{0}, {0}}},
      {"GetKeysFromUnevenNestedEmptyArray_Object",
       R"({"a": 1, "a.b": 1})",
       R"({"a": [{"b": 1}]})",
       {R"([{"b": 1}, 1])"},
       {{0}, {0}}},
      {"GetKeysFromUnevenNestedEmptyArray_InnerEmpty",
       R"({"a": 1, "a.b": 1})",
       R"({"a": [{"b": []}]})",
       {R"([{"b": []}, {"$undefined": true}])"},
       {{0}, {0, 1}}},
      {"GetKeysFromReverseUnevenNestedEmptyArray",
       R"({"a.b": 1, "a": 1})",
       R"({"a": []})",
       {R"([null, {"$undefined": true}])"},
       {{0}, {0}}},
      {"SparseReverseUnevenNestedEmptyArray",
       R"({"a.b": 1, "a": 1})",
       R"({"a": []})",
       {R"([null, {"$undefined": true}])"},
       {{0}, {0}},
       /*sparse=*/true},
      {"GetKeysFromSparseEmptyArray_Scalar", R"({"a.b": 1})", R"({"a": 1})", {}, {{}}, true},
      {"GetKeysFromSparseEmptyArray_Empty", R"({"a.b": 1})", R"({"a": []})", {}, {{0}}, true},
      {"GetKeysFromSparseEmptyArray_NoField",
       R"({"a.b": 1})",
       R"({"a": [{"c": 1}]})",
       {},
       {{0}},
       true},
      {"GetKeysFromSparseEmptyArraySecond_Scalar",
       R"({"z": 1, "a.b": 1})",
       R"({"a": 1})",
       {},
       {{}, {}},
       true},
      {"GetKeysFromSparseEmptyArraySecond_Empty",
       R"({"z": 1, "a.b": 1})",
       R"({"a": []})",
       {},
       {{}, {0}},
       true},
      {"GetKeysFromSparseEmptyArraySecond_NoField",
       R"({"z": 1, "a.b": 1})",
       R"({"a": [{"c": 1}]})",
       {},
       {{}, {0}},
       true},
      {"SparseNonObjectMissingNestedField_Empty", R"({"a.b": 1})", R"({"a": []})", {}, {{0}}, true},
      {"SparseNonObjectMissingNestedField_Scalar",
       R"({"a.b": 1})",
       R"({"a": [1]})",
       {},
       {{0}},
       true},
      {"SparseNonObjectMissingNestedField_Mixed",
       R"({"a.b": 1})",
       R"({"a": [1, {"b": 1}]})",
       {"[1]"},
       {{0}},
       true},
      {"GetKeysFromIndexedArrayIndex_Element", R"({"a.0": 1})", R"({"a": [1]})", {"[1]"}, {{}}},
      {"GetKeysFromIndexedArrayIndex_NestedArray",
       R"({"a.0": 1})",
       R"({"a": [[1]]})",
       {"[[1]]"},
       {{}}},
      {"GetKeysFromIndexedArrayIndex_NestedEmpty",
       R"({"a.0": 1})",
       R"({"a": [[]]})",
       {R"([{"$undefined": true}])"},
       {{}}},
      {"GetKeysFromIndexedArrayIndex_Object", R"({"a.0": 1})", R"({"a": {"0": 1}})", {"[1]"}, {{}}},
      {"GetKeysFromDoubleIndexedArrayIndex_Element",
       R"({"a.0.0": 1})",
       R"({"a": [[1]]})",
       {"[1]"},
       {{}}},
      {"GetKeysFromDoubleIndexedArrayIndex_InnerEmpty",
       R"({"a.0.0": 1})",
       R"({"a": [[]]})",
       {"[null]"},
       {{}}},
      {"GetKeysFromDoubleIndexedArrayIndex_Empty",
       R"({"a.0.0": 1})",
       R"({"a": []})",
       {"[null]"},
       {{0}}},
      {"GetKeysFromDoubleIndexedArrayIndex_Deep",
       R"({"a.0.0": 1})",
       R"({"a": [[[]]]})",
       {R"([{"$undefined": true}])"},
       {{}}},
      {"GetKeysFromObjectWithinArray_Object",
       R"({"a.0.b": 1})",
       R"({"a": [{"b": 1}]})",
       {"[1]"},
       {{}}},
      {"GetKeysFromObjectWithinArray_Array",
       R"({"a.0.b": 1})",
       R"({"a": [{"b": [1]}]})",
       {"[1]"},
       {{2}}},
      {"GetKeysFromObjectWithinArray_NestedArray",
       R"({"a.0.b": 1})",
       R"({"a": [{"b": [[1]]}]})",
       {"[[1]]"},
       {{2}}},
      {"GetKeysFromObjectWithinArray_2D",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": 1}]]})",
       {"[1]"},
       {{1}}},
      {"GetKeysFromObjectWithinArray_2DArray",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": [1]}]]})",
       {"[1]"},
       {{1, 2}}},
      {"GetKeysFromObjectWithinArray_2DNestedArray",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": [[1]]}]]})",
       {"[[1]]"},
       {{1, 2}}},
      {"GetKeysFromObjectWithinArray_2DEmpty",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": []}]]})",
       {R"([{"$undefined": true}])"},
       {{1, 2}}},
      {"GetKeysPositionalElementIsExpandedArray",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": 1}, {"b": 2}]]})",
       {"[1]", "[2]"},
       {{1}}},
      {"GetKeysTrailingPositionalElementIsSingletonArray",
       R"({"a.b.c.3": 1})",
       R"({"a": {"b": {"c": [0, 1, 2, [3]]}}})",
       {"[[3]]"},
       {{}}},
      {"GetKeysTrailingPositionalElementIsEmptyArray",
       R"({"a.b.c.3": 1})",
       R"({"a": {"b": {"c": [0, 1, 2, []]}}})",
       {R"([{"$undefined": true}])"},
       {{}}},
      {"GetKeysManyPositionalElementsComplex",
       R"({"a.0.1.2.b.0": 1})",
       R"({"a": [[1, [1, 2, [{"b": [[], 2]}]]], 1]})",
       {R"([{"$undefined": true}])"},
       {{3}}},
      {"GetKeysFromArrayWithinObjectWithinArray",
       R"({"a.0.b.0": 1})",
       R"({"a": [{"b": [1]}]})",
       {"[1]"},
       {{}}},
      {"MultipleArraysNotParallel",
       R"({"a.b.c": 1})",
       R"({"a": [1, 2, {"b": {"c": [3, 4]}}]})",
       {"[null]", "[3]", "[4]"},
       {{0, 2}}},
      {"MultipleArraysNotParallelCompound",
       R"({"a.b.c": 1, "a.b.d": 1})",
       R"({"a": [1, 2, {"b": {"c": [3, 4], "d": 5}}]})",
       {"[null, null]", "[3, 5]", "[4, 5]"},
       {{0, 2}, {0}}},
      {"GetKeysComplexNestedArrays",
       R"({"a.b.c.d": 1, "a.g": 1, "a.b.f": 1, "a.b.c": 1, "a.b.e": 1})",
       R"({"a": [1, {"b": [2, {"c": [3, {"d": 1}], "e": 4}, 5, {"f": 6}], "g": 7}]})",
       {"[null, null, null, null, null]", "[null, 7, null, null, null]", "[null, 7, null, 3, 4]",
        "[null, 7, 6, null, null]", R"([1, 7, null, {"d": 1}, 4])"},
       {{0, 1, 2}, {0}, {0, 1}, {0, 1, 2}, {0, 1}}},
      {"GetKeys2DArray", R"({"a": 1})", R"({"a": [[2]]})", {"[[2]]"}, {{0}}},
      {"GetKeysPositionalKeyPatternMissingElement",
       R"({"a.2": 1})",
       R"({"a": [{"2": 5}]})",
       {"[5]"},
       {{0}}},
      {"GetKeysPositionalKeyPatternNestedArray",
       R"({"a.2": 1})",
       R"({"a": [[1, 2, 5]]})",
       {"[null]"},
       {{0}}},
      {"GetKeysPositionalKeyPatternNestedArray2",
       R"({"a.2": 1})",
       R"({"a": [[1, 2, 5], [3, 4, 6], [0, 1, 2]]})",
       {"[[0, 1, 2]]"},
       {{}}},
      {"GetKeysPositionalKeyPatternNestedArray3",
       R"({"a.2": 1})",
       R"({"a": [{"0": 1, "1": 2, "2": 5}]})",
       {"[5]"},
       {{0}}},
      {"GetKeysPositionalKeyPatternNestedArray4",
       R"({"a.b.2": 1})",
       R"({"a": [{"b": [[1, 2, 5]]}]})",
       {"[null]"},
       {{0, 1}}},
      {"GetKeysPositionalKeyPatternNestedArray5",
       R"({"a.2": 1})",
       R"({"a": [[1, 2, 5], {"2": 6}]})",
       {"[null]", "[6]"},
       {{0}}},
      {"GetNullKeyNestedArray", R"({"a.b": 1})", R"({"a": [[1, 2, 5]]})", {"[null]"}, {{0}}},
      {"GetKeysUnevenNestedArrays",
       R"({"a": 1, "a.b": 1})",
       R"({"a": [1, {"b": [2, 3, 4]}]})",
       {"[1, null]", R"([{"b": [2, 3, 4]}, 2])", R"([{"b": [2, 3, 4]}, 3])",
        R"([{"b": [2, 3, 4]}, 4])"},
       {{0}, {0, 1}}},
      {"GetKeysRepeatedFieldName", R"({"a": 1})", R"({"a": 2, "a": 3})", {"[2]"}, {{}}},
      {"KeyPattern_a_0_b_Extracts_b_ElementInsideSingleton2DArray",
       R"({"a.0.b": 1})",
       R"({"a": [[{"b": 1}]]})",
       {"[1]"},
       {{1}}},
      {"KeyPattern_a_0_0_b_Extracts_b_ElementInsideSingleton2DArray",
       R"({"a.0.0.b": 1})",
       R"({"a": [[{"b": 1}]]})",
       {"[1]"},
       {{}}},
      {"KeyPattern_a_0_0_b_ExtractsEachValueFrom_b_ArrayInsideSingleton2DArray",
       R"({"a.0.0.b": 1})",
       R"({"a": [[{"b": [1, 2, 3]}]]})",
       {"[1]", "[2]", "[3]"},
       {{3}}},
      {"KeyPattern_a_0_0_b_Extracts_b_ElementInsideSingleton3DArray",
       R"({"a.0.0.b": 1})",
       R"({"a": [[[{"b": 1}]]]})",
       {"[1]"},
       {{2}}},
      {"KeyPattern_a_0_0_b_ExtractsEach_b_ElementInside3DArray",
       R"({"a.0.0.b": 1})",
       R"({"a": [[[{"b": 1}, {"b": 2}, {"b": 3}]]]})",
       {"[1]", "[2]", "[3]"},
       {{2}}},
      {"KeyPattern_a_0_0_b_ExtractsNullFrom4DArray",
       R"({"a.0.0.b": 1})",
       R"({"a": [[[[{"b": 1}]]]]})",
       {"[null]"},
       {{2}}},
      {"PositionalKeyPatternNestedArrays5",
       R"({"a.b.1": 1})",
       R"({"a": [{"b": [1, 2]}]})",
       {"[2]"},
       {{0}}},
      {"PositionalKeyPatternNestedArrays6",
       R"({"a": 1, "a.b": 1, "a.0.b": 1, "a.b.0": 1, "a.0.b.0": 1})",
       R"({"a": [{"b": [1, 2]}, {"b": 3}]})",
       {R"([{"b": 3}, 3, 1, null, 1])", R"([{"b": 3}, 3, 2, null, 1])",
        R"([{"b": [1, 2]}, 1, 1, 1, 1])", R"([{"b": [1, 2]}, 2, 2, 1, 1])"},
       {{0}, {0, 1}, {2}, {0}, {}}},
      {"PositionalKeyPatternNestedArrays7",
       R"({"a": 1, "a.b": 1, "a.0.b": 1, "a.b.0": 1, "a.0.b.0": 1})",
       R"({"a": [{"b": [1, 2]}, {"b": {"0": 3}}]})",
       {R"([{"b": {"0": 3}}, {"0": 3}, 1, 3, 1])", R"([{"b": {"0": 3}}, {"0": 3}, 2, 3, 1])",
        R"([{"b": [1, 2]}, 1, 1, 1, 1])", R"([{"b": [1, 2]}, 2, 2, 1, 1])"},
       {{0}, {0, 1}, {2}, {0}, {}}},
      // --- MongoDB key_generator_golden_test btree_keys.txt ---
      {"Golden_CompoundIndex",
       R"({"a": 1, "b": -1, "c": 1})",
       R"({"a": 1, "b": 2, "c": 3})",
       {"[1, 2, 3]"},
       {{}, {}, {}}},
      {"Golden_NestedObject",
       R"({"a": 1})",
       R"({"a": {"x": 1, "y": 2}})",
       {R"([{"x": 1, "y": 2}])"},
       {{}}},
      {"Golden_SparseMissing", R"({"a": 1})", R"({"b": 1})", {}, {{}}, true},
      {"Golden_ArrayOfObjectsDotted",
       R"({"a.b.c": 1})",
       R"({"a": [{"b": {"c": 10}}, {"b": {"c": 20}}]})",
       {"[10]", "[20]"},
       {{0}}},
      {"Golden_ArrayOfArrays",
       R"({"a": 1})",
       R"({"a": [[1, 2], [3, 4]]})",
       {"[[1, 2]]", "[[3, 4]]"},
       {{0}}},
      {"Golden_CompoundBothMissing",
       R"({"a": 1, "b": 1})",
       R"({"c": 1})",
       {"[null, null]"},
       {{}, {}}},
      {"Golden_CompoundDeeplyDotted",
       R"({"a.b.c": 1, "d.e.f": 1})",
       R"({"a": {"b": {"c": 1}}, "d": {"e": {"f": 2}}})",
       {"[1, 2]"},
       {{}, {}}},
      {"Golden_UndefinedValue",
       R"({"a": 1})",
       R"({"a": {"$undefined": true}})",
       {R"([{"$undefined": true}])"},
       {{}}},
      {"Golden_MinKeyValue",
       R"({"a": 1})",
       R"({"a": {"$minKey": 1}})",
       {R"([{"$minKey": 1}])"},
       {{}}},
      {"Golden_MaxKeyValue",
       R"({"a": 1})",
       R"({"a": {"$maxKey": 1}})",
       {R"([{"$maxKey": 1}])"},
       {{}}},
      {"Golden_RegexValue",
       R"({"a": 1})",
       R"({"a": {"$regularExpression": {"pattern": "^abc", "options": "i"}}})",
       {R"([{"$regularExpression": {"pattern": "^abc", "options": "i"}}])"},
       {{}}},
      {"Golden_DateValue",
       R"({"a": 1})",
       R"({"a": {"$date": {"$numberLong": "1234567890000"}}})",
       {R"([{"$date": {"$numberLong": "1234567890000"}}])"},
       {{}}},
      {"Golden_SparseCompoundPartialMissing",
       R"({"a": 1, "b": 1})",
       R"({"a": 5})",
       {"[5, null]"},
       {{}, {}},
       true},
      // --- MongoDB manual ---
      // Multikey: "{a: [1, 2], b: 1}" and "{a: 1, b: [1, 2]}" may both be in {a: 1, b: 1}.
      {"DocsCompoundMultikeyFirstArray",
       R"({"a": 1, "b": 1})",
       R"({"_id": 1, "a": [1, 2], "b": 1, "category": "A array"})",
       {"[1, 1]", "[2, 1]"},
       {{0}, {}}},
      {"DocsCompoundMultikeySecondArray",
       R"({"a": 1, "b": 1})",
       R"({"_id": 2, "a": 1, "b": [1, 2], "category": "B array"})",
       {"[1, 1]", "[1, 2]"},
       {{}, {0}}},
      // Multikey on an array of embedded documents (index on "addr.zip").
      {"DocsEmbeddedDocumentsInArray",
       R"({"addr.zip": 1})",
       R"({"addr": [{"zip": "10036", "city": "NY"}, {"zip": "94301", "city": "Palo Alto"}]})",
       {R"(["10036"])", R"(["94301"])"},
       {{0}}},
      // "An array of multiple instances of the same value is indexed once."
      {"DocsRepeatedValuesIndexedOnce",
       R"({"ratings": 1})",
       R"({"ratings": [5, 8, 5, 9, 8]})",
       {"[5]", "[8]", "[9]"},
       {{0}}},
      // Sparse: "entries for documents that have the indexed field, even if it holds null".
      {"DocsSparseKeepsNull", R"({"xmpp_id": 1})", R"({"xmpp_id": null})", {"[null]"}, {{}}, true},
      {"DocsSparseSkipsMissing", R"({"xmpp_id": 1})", R"({"userid": "abby"})", {}, {{}}, true},
      // Sparse compound: indexed when at least one of the keys is present.
      {"DocsSparseCompoundOneField",
       R"({"a": 1, "b": -1})",
       R"({"b": 2})",
       {"[null, 2]"},
       {{}, {}},
       true},
      {"DocsSparseCompoundNoField", R"({"a": 1, "b": -1})", R"({"c": 2})", {}, {{}, {}}, true},
      // Unique: "a document without the indexed field is indexed with null".
      {"DocsUniqueMissingIsNull", R"({"a": 1})", R"({"x": 1})", {"[null]"}, {{}}},
      // --- Descending parts and numeric equality ---
      {"DescendingArray", R"({"a": -1})", R"({"a": [1, 2, 3]})", {"[1]", "[2]", "[3]"}, {{0}}},
      {"MixedDirectionsCompound",
       R"({"a": 1, "b": -1})",
       R"({"a": "x", "b": [1, 2]})",
       {R"(["x", 1])", R"(["x", 2])"},
       {{}, {0}}},
      {"NumbersOfAllTypesDeduplicate",
       R"({"a": 1})",
       R"({"a": [1, {"$numberLong": "1"}, 1.0, {"$numberDecimal": "1.00"}, 2]})",
       {"[1]", "[2]"},
       {{0}}},
      {"ArrayOfDocumentsWholeValue",
       R"({"a": 1})",
       R"({"a": [{"b": 1}, {"b": 2}]})",
       {R"([{"b": 1}])", R"([{"b": 2}])"},
       {{0}}},
      {"SharedArrayTwoPaths",
       R"({"a.b": 1, "a.c": -1})",
       R"({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]})",
       {"[1, 2]", "[3, 4]"},
       {{0}, {0}}},
      {"ScalarWherePathContinues", R"({"a.b": 1})", R"({"a": 5})", {"[null]"}, {{}}},
  };
  return *kCases;
}

class KeyGenerationTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(KeyGenerationTest, ProducesMongoDBKeysAndMultikeyPaths) {
  const KeyCase& c = GetParam();
  const IndexSpec spec = MakeSpec(c.key_pattern, c.sparse ? R"("sparse": true)" : "");
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, Json(c.doc).view());
  ASSERT_OK(keys);
  const std::vector<std::string> expected = EncodeKeys(spec, c.keys);
  EXPECT_EQ(keys->keys.size(), expected.size());
  for (size_t i = 0; i < std::max(keys->keys.size(), expected.size()); ++i) {
    EXPECT_EQ(i < keys->keys.size() ? Hex(keys->keys[i]) : "<none>",
              i < expected.size() ? Hex(expected[i]) : "<none>")
        << "key " << i;
  }
  EXPECT_EQ(keys->multikey_paths, Paths(c.multikey));
  EXPECT_EQ(keys->multikey(), std::any_of(c.multikey.begin(), c.multikey.end(),
                                          [](const auto& p) { return !p.empty(); }));
}

INSTANTIATE_TEST_SUITE_P(MongoDBCases, KeyGenerationTest, ::testing::ValuesIn(KeyCases()),
                         [](const ::testing::TestParamInfo<KeyCase>& info) {
                           return info.param.name;
                         });

struct ErrorCase {
  std::string name;
  std::string key_pattern;
  std::string doc;
  int code;
  std::string message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

const std::vector<ErrorCase>& ErrorCases() {
  static const auto* const kCases = new std::vector<ErrorCase>{
      {"GetKeysFromParallelArraysBasic", R"({"a": 1, "b": 1})",
       R"({"a": [1, 2, 3], "b": [1, 2, 3]})", 171, "cannot index parallel arrays [b] [a]"},
      {"GetKeysFromParallelArraysComplex", R"({"a.b": 1, "a.c": 1})",
       R"({"a": [{"b": [1], "c": [2]}]})", 171, "cannot index parallel arrays [c] [b]"},
      {"ParallelArraysInNestedObjects", R"({"a.a": 1, "b.a": 1})",
       R"({"a": {"a": [1]}, "b": {"a": [1]}})", 171, "cannot index parallel arrays [a] [a]"},
      {"ParallelArraysUneven", R"({"b.a": 1, "a": 1})", R"({"b": {"a": [1]}, "a": [1, 2]})", 171,
       "cannot index parallel arrays [a] [a]"},
      {"GetKeysParallelEmptyArrays", R"({"a": 1, "b": 1})", R"({"a": [], "b": []})", 171,
       "cannot index parallel arrays [b] [a]"},
      {"GetKeysParallelArraysOneArrayEmpty", R"({"a": 1, "b": 1})", R"({"a": [], "b": [1, 2, 3]})",
       171, "cannot index parallel arrays [b] [a]"},
      {"GetKeysParallelArraysOneArrayEmptyNested", R"({"a.b.c": 1, "a.b.d": 1})",
       R"({"a": [{"b": [{"c": [1, 2, 3], "d": []}]}]})", 171,
       "cannot index parallel arrays [d] [c]"},
      {"PositionalKeyPatternParallelArrays", R"({"a": 1, "b.0": 1})", R"({"a": [1], "b": [2]})",
       171, "cannot index parallel arrays [b] [a]"},
      {"DocsBothArrays", R"({"a": 1, "b": 1})",
       R"({"_id": 1, "a": [1, 2], "b": [1, 2], "category": "AB - both arrays"})", 171,
       "cannot index parallel arrays [b] [a]"},
      {"DescendingParallel", R"({"a": -1, "b": -1})", R"({"a": [1], "b": [2]})", 171,
       "cannot index parallel arrays [b] [a]"},
      {"GetKeysFromIndexedArrayIndex_AmbiguousObject", R"({"a.0": 1})", R"({"a": [{"0": 1}]})",
       16746,
       "Ambiguous field name found in array (do not use numeric field names in embedded "
       "elements in an array), field: '0' for array: { 0: { 0: 1 } }"},
      {"GetKeysFromIndexedArrayIndex_AmbiguousSecond", R"({"a.0": 1})", R"({"a": [1, {"0": 2}]})",
       16746, "field: '0' for array: { 0: 1, 1: { 0: 2 } }"},
  };
  return *kCases;
}

class KeyGenerationErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(KeyGenerationErrorTest, FailsLikeMongoDB) {
  const ErrorCase& c = GetParam();
  const IndexSpec spec = MakeSpec(c.key_pattern);
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, Json(c.doc).view());
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(keys.status())), c.code) << keys.status();
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(MongoDBCases, KeyGenerationErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

TEST(KeyGeneratorTest, KeysAreSortedInIndexOrder) {
  const IndexSpec spec = MakeSpec(R"({"a": -1})");
  absl::StatusOr<IndexKeys> keys =
      GenerateKeys(spec, Json(R"({"a": [3, "x", null, 1, 2]})").view());
  ASSERT_OK(keys);
  // Descending: "x" (a string sorts above numbers) first, null last.
  EXPECT_EQ(keys->keys,
            (std::vector<std::string>{EncodeKey(spec, R"(["x"])"), EncodeKey(spec, "[3]"),
                                      EncodeKey(spec, "[2]"), EncodeKey(spec, "[1]"),
                                      EncodeKey(spec, "[null]")}));
}

TEST(KeyGeneratorTest, DescendingPartIsComplementOfAscending) {
  const IndexSpec ascending = MakeSpec(R"({"a": 1, "b": 1})");
  const IndexSpec mixed = MakeSpec(R"({"a": 1, "b": -1})");
  const Document doc = Json(R"({"a": "k", "b": 7})");
  absl::StatusOr<IndexKeys> up = GenerateKeys(ascending, doc.view());
  absl::StatusOr<IndexKeys> down = GenerateKeys(mixed, doc.view());
  ASSERT_OK(up);
  ASSERT_OK(down);
  const std::string a_part = EncodeKey(MakeSpec(R"({"a": 1})"), R"(["k"])");
  ASSERT_EQ(up->keys.size(), 1u);
  ASSERT_EQ(down->keys.size(), 1u);
  EXPECT_EQ(up->keys[0].substr(0, a_part.size()), a_part);
  EXPECT_EQ(down->keys[0].substr(0, a_part.size()), a_part);
  const std::string b_up = up->keys[0].substr(a_part.size());
  const std::string b_down = down->keys[0].substr(a_part.size());
  ASSERT_EQ(b_up.size(), b_down.size());
  for (size_t i = 0; i < b_up.size(); ++i) {
    EXPECT_EQ(static_cast<char>(~b_up[i]), b_down[i]);
  }
}

class HasFieldP : public DocumentPredicate {
 public:
  bool Matches(DocumentView doc) const override {
    bson_t b;
    bson_iter_t it;
    return doc.AsBson(&b) && bson_iter_init_find(&it, &b, "p");
  }
};

TEST(KeyGeneratorTest, PartialIndexSkipsDocumentsTheFilterRejects) {
  const IndexSpec spec =
      MakeSpec(R"({"a": 1})", R"("partialFilterExpression": {"p": {"$exists": true}})");
  const HasFieldP filter;
  // Not even the null key: the document is not in the index.
  absl::StatusOr<IndexKeys> outside = GenerateKeys(spec, Json(R"({"a": 1})").view(), &filter);
  ASSERT_OK(outside);
  EXPECT_TRUE(outside->keys.empty());
  absl::StatusOr<IndexKeys> inside = GenerateKeys(spec, Json(R"({"p": 1})").view(), &filter);
  ASSERT_OK(inside);
  EXPECT_EQ(inside->keys, EncodeKeys(spec, {"[null]"}));
}

TEST(KeyGeneratorTest, PartialIndexRequiresItsFilter) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})", R"("partialFilterExpression": {"p": 1})");
  EXPECT_THAT(GenerateKeys(spec, Json(R"({"a": 1})").view()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("partial")));
}

TEST(KeyGeneratorTest, FilterIsIgnoredForNonPartialIndexes) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})");
  const HasFieldP filter;
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, Json(R"({"a": 1})").view(), &filter);
  ASSERT_OK(keys);
  EXPECT_EQ(keys->keys, EncodeKeys(spec, {"[1]"}));
}

TEST(KeyGeneratorTest, GeneratorIsReusable) {
  const IndexSpec spec = MakeSpec(R"({"a.b": 1, "c": -1})");
  const KeyGenerator generator(spec);
  EXPECT_EQ(generator.num_key_parts(), 2u);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<IndexKeys> keys =
        generator.Generate(Json(R"({"a": [{"b": 1}, {"b": 2}], "c": "z"})").view());
    ASSERT_OK(keys);
    EXPECT_EQ(keys->keys, EncodeKeys(spec, {R"([1, "z"])", R"([2, "z"])"}));
  }
}

TEST(KeyGeneratorTest, KeyValuesShowWhatMadeAKey) {
  const IndexSpec spec = MakeSpec(R"({"a": 1, "b.c": -1})");
  const KeyGenerator generator(spec);
  const Document doc = Json(R"({"a": [1, 2], "b": {"c": "x"}})");
  absl::StatusOr<Document> values = generator.KeyValues(doc.view(), EncodeKey(spec, R"([2, "x"])"));
  ASSERT_OK(values);
  EXPECT_EQ(values->ToJson(), R"({"a": 2, "b.c": "x"})");
  absl::StatusOr<Document> missing =
      generator.KeyValues(doc.view(), EncodeKey(spec, R"([3, "x"])"));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not produce")));
  absl::StatusOr<Document> null_values =
      generator.KeyValues(Json("{}").view(), EncodeKey(spec, "[null, null]"));
  ASSERT_OK(null_values);
  EXPECT_EQ(null_values->ToJson(), R"({"a": null, "b.c": null})");
}

TEST(KeyGeneratorTest, DuplicateKeyErrorIsMongoDBs) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})", R"("name": "a_1", "unique": true)");
  const absl::Status status =
      DuplicateKeyError("test.c", spec, Json(R"({"a": {"$numberInt": "1"}})").view());
  EXPECT_EQ(ErrorCodeOf(status), ErrorCode::kDuplicateKey);
  EXPECT_EQ(status.message(),
            "E11000 duplicate key error collection: test.c index: a_1 dup key: { a: 1 }");
  EXPECT_EQ(DuplicateKeyError("test.c", spec, Json(R"({"a": null})").view()).message(),
            "E11000 duplicate key error collection: test.c index: a_1 dup key: { a: null }");
}

// --- KeyDiff ---

std::vector<std::string> KeysOf(const IndexSpec& spec, const std::string& doc) {
  absl::StatusOr<IndexKeys> keys = GenerateKeys(spec, Json(doc).view());
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? keys->keys : std::vector<std::string>{};
}

TEST(KeyDiffTest, UnchangedIndexedFieldsGiveNoChanges) {
  const IndexSpec spec = MakeSpec(R"({"a": 1, "b": -1})");
  const KeyDelta delta = KeyDiff(KeysOf(spec, R"({"_id": 1, "a": [1, 2], "b": 3, "x": 1})"),
                                 KeysOf(spec, R"({"_id": 1, "a": [1, 2], "b": 3, "x": 2})"));
  EXPECT_TRUE(delta.empty());
}

TEST(KeyDiffTest, EquivalentNumbersAreNoChange) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})");
  EXPECT_TRUE(KeyDiff(KeysOf(spec, R"({"a": 1})"), KeysOf(spec, R"({"a": 1.0})")).empty());
}

TEST(KeyDiffTest, ReorderedArrayIsNoChange) {
  const IndexSpec spec = MakeSpec(R"({"tags": 1})");
  EXPECT_TRUE(
      KeyDiff(KeysOf(spec, R"({"tags": ["a", "b"]})"), KeysOf(spec, R"({"tags": ["b", "a", "a"]})"))
          .empty());
}

TEST(KeyDiffTest, ChangedScalarRemovesAndAdds) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})");
  const KeyDelta delta = KeyDiff(KeysOf(spec, R"({"a": 1})"), KeysOf(spec, R"({"a": 2})"));
  EXPECT_EQ(delta.removed, EncodeKeys(spec, {"[1]"}));
  EXPECT_EQ(delta.added, EncodeKeys(spec, {"[2]"}));
}

TEST(KeyDiffTest, ArrayGrowthOnlyAdds) {
  const IndexSpec spec = MakeSpec(R"({"tags": 1})");
  const KeyDelta delta = KeyDiff(KeysOf(spec, R"({"tags": ["a", "b"]})"),
                                 KeysOf(spec, R"({"tags": ["a", "b", "c"]})"));
  EXPECT_TRUE(delta.removed.empty());
  EXPECT_EQ(delta.added, EncodeKeys(spec, {R"(["c"])"}));
}

TEST(KeyDiffTest, FieldRemovedBecomesNull) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})");
  const KeyDelta delta = KeyDiff(KeysOf(spec, R"({"a": [5, 6]})"), KeysOf(spec, R"({"b": 1})"));
  EXPECT_EQ(delta.removed, EncodeKeys(spec, {"[5]", "[6]"}));
  EXPECT_EQ(delta.added, EncodeKeys(spec, {"[null]"}));
}

TEST(KeyDiffTest, InsertAndDeleteAreDiffsAgainstNothing) {
  const IndexSpec spec = MakeSpec(R"({"a": 1})");
  const std::vector<std::string> keys = KeysOf(spec, R"({"a": [1, 2]})");
  EXPECT_EQ(KeyDiff({}, keys).added, keys);
  EXPECT_EQ(KeyDiff(keys, {}).removed, keys);
}

TEST(MultikeyPathsTest, MergeReportsChanges) {
  MultikeyPaths catalog(2);
  EXPECT_FALSE(MergeMultikeyPaths(Paths({{}, {}}), &catalog));
  EXPECT_TRUE(MergeMultikeyPaths(Paths({{0}, {}}), &catalog));
  EXPECT_FALSE(MergeMultikeyPaths(Paths({{0}, {}}), &catalog));
  EXPECT_TRUE(MergeMultikeyPaths(Paths({{1}, {0}}), &catalog));
  EXPECT_EQ(catalog, Paths({{0, 1}, {0}}));
}

}  // namespace
}  // namespace strata::index
