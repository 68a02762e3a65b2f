// Tests of index bounds from match trees (query/planner/index_bounds_builder.h): golden tables
// per operator (MongoDB's explain indexBounds for the same filters, written as value
// intervals), the multikey and compound rules, the `exact` and `bounded_prefix` flags, and a
// randomized check of the CONTRACT against the matcher and the key generator.
#include "query/planner/index_bounds_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "document/key_string.h"
#include "index/index_bounds.h"
#include "index/index_spec.h"
#include "index/key_generator.h"
#include "query/match/parser.h"
#include "query/planner/interval_set.h"
#include "tests/support/test_util.h"

namespace strata::query::planner {
namespace {

using index::Interval;
using ::strata::testing::Json;

// ----- Writing intervals.

// The key string of one value written in Extended JSON; "MIN"/"MAX" are the open ends, and
// "Infinity", "-Infinity" and "NaN" the doubles.
std::string Enc(const std::string& value) {
  if (value == "MIN") return document::MinKeyString();
  if (value == "MAX") return document::MaxKeyString();
  std::string json = value;
  if (value == "Infinity" || value == "-Infinity" || value == "NaN") {
    json = "{\"$numberDouble\": \"" + value + "\"}";
  }
  const Document doc = Json("{\"v\": " + json + "}");
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v")) << value;
  return document::EncodeKeyString(it);
}

// "[" or "(" low, high "]" or ")".
Interval Iv(char open, const std::string& low, const std::string& high, char close) {
  Interval interval;
  interval.low = Enc(low);
  interval.high = Enc(high);
  interval.low_inclusive = open == '[';
  interval.high_inclusive = close == ']';
  return interval;
}

Interval Pt(const std::string& value) { return Interval::Point(Enc(value)); }

Interval All() { return Interval::All(); }

std::string Hex(const std::string& bytes) {
  std::string out;
  char buffer[4];
  for (unsigned char c : bytes) {
    std::snprintf(buffer, sizeof(buffer), "%02X", c);
    out += buffer;
  }
  return out;
}

std::string Describe(const std::vector<Interval>& intervals) {
  std::string out = "{";
  for (const Interval& interval : intervals) {
    out += interval.low_inclusive ? " [" : " (";
    out += Hex(interval.low) + ", " + Hex(interval.high);
    out += interval.high_inclusive ? "]" : ")";
  }
  return out + " }";
}

bool SameIntervals(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].low != b[i].low || a[i].high != b[i].high ||
        a[i].low_inclusive != b[i].low_inclusive || a[i].high_inclusive != b[i].high_inclusive) {
      return false;
    }
  }
  return true;
}

// ----- Index shapes and filters.

IndexShape Shape(const std::vector<std::pair<std::string, int>>& parts,
                 index::MultikeyPaths multikey = {}) {
  IndexShape shape;
  for (const auto& [path, direction] : parts) {
    shape.key_parts.push_back(index::KeyPart{path, direction < 0});
  }
  shape.multikey_paths = std::move(multikey);
  return shape;
}

std::vector<bool> Descending(const IndexShape& shape) {
  std::vector<bool> out;
  for (const index::KeyPart& part : shape.key_parts) out.push_back(part.descending);
  return out;
}

// A node standing for $expr (the aggregation layer is not linked into these tests).
class FakeExpr final : public match::MatchExpression {
 public:
  FakeExpr() : MatchExpression(match::MatchType::kExternal) {}
  bool Matches(DocumentView, match::MatchDetails*) const override { return true; }
  bool MatchesValue(const bson_iter_t*, match::MatchDetails*) const override { return true; }
  std::string DebugString() const override { return "$expr"; }
};

match::ParseOptions TestParseOptions() {
  match::ParseOptions options;
  options.expr_parser = [](const bson_iter_t&) -> absl::StatusOr<match::MatchExpressionPtr> {
    return match::MatchExpressionPtr(new FakeExpr());
  };
  return options;
}

// Parses a filter written in Extended JSON. libbson's reader takes a "$type" field for the
// legacy BinData form, so the field is read under another name of the same length and renamed
// in the BSON bytes.
Document FilterJson(const std::string& json) {
  std::string renamed = json;
  for (size_t at = renamed.find("\"$type\""); at != std::string::npos;
       at = renamed.find("\"$type\"", at + 1)) {
    renamed.replace(at, 7, "\"$tqpe\"");
  }
  const Document parsed = Json(renamed);
  std::string bytes(reinterpret_cast<const char*>(parsed.data()), parsed.size());
  for (size_t at = bytes.find(std::string("$tqpe\0", 6)); at != std::string::npos;
       at = bytes.find(std::string("$tqpe\0", 6), at + 1)) {
    bytes.replace(at, 5, "$type");
  }
  return Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// The shell's notation → strict Extended JSON: unquoted field names get quotes, and /re/flags
// literals become $regularExpression values.
std::string Shell(const std::string& text) {
  std::string out;
  size_t i = 0;
  const auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.';
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      const size_t start = i++;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      out += text.substr(start, ++i - start);
    } else if (c == '/') {
      std::string pattern;
      ++i;
      while (i < text.size() && text[i] != '/') {
        if (text[i] == '\\') pattern += text[i++];
        pattern += text[i++];
      }
      ++i;
      std::string options;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
        options += text[i++];
      std::string escaped;
      for (char p : pattern) {
        if (p == '\\' || p == '"') escaped += '\\';
        escaped += p;
      }
      out += "{\"$regularExpression\": {\"pattern\": \"" + escaped + "\", \"options\": \"" +
             options + "\"}}";
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t end = i;
      while (end < text.size() && ident(text[end])) ++end;
      size_t next = end;
      while (next < text.size() && text[next] == ' ') ++next;
      const std::string word = text.substr(i, end - i);
      out += next < text.size() && text[next] == ':' ? "\"" + word + "\"" : word;
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

struct Case {
  std::string filter;
  std::vector<std::vector<Interval>> expected;  // per key part
  bool exact;
  size_t bounded_prefix;
};

void RunCases(const IndexShape& shape, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter);
    const Document filter = FilterJson(Shell(c.filter));
    absl::StatusOr<match::MatchExpressionPtr> tree =
        match::ParseFilter(filter.view(), TestParseOptions());
    ASSERT_OK(tree);
    absl::StatusOr<IndexBoundsResult> result = BuildIndexBounds(**tree, shape);
    ASSERT_OK(result);
    ASSERT_EQ(result->bounds.fields.size(), shape.key_parts.size());
    for (size_t i = 0; i < shape.key_parts.size(); ++i) {
      EXPECT_TRUE(SameIntervals(result->bounds.fields[i], c.expected[i]))
          << "key part " << i << "\n  got      " << Describe(result->bounds.fields[i])
          << "\n  expected " << Describe(c.expected[i]);
    }
    EXPECT_EQ(result->exact, c.exact);
    EXPECT_EQ(result->bounded_prefix, c.bounded_prefix);
    // The index layer takes every result as it is.
    EXPECT_OK(index::BuildScanRanges(result->bounds, Descending(shape)));
  }
}

const IndexShape kA = Shape({{"a", 1}});
const IndexShape kAMultikey = Shape({{"a", 1}}, {{0}});

// ----- Operators on one key part.

TEST(IndexBoundsBuilderTest, Equality) {
  RunCases(kA, {
                   {R"({a: 5})", {{Pt("5")}}, true, 1},
                   {R"({a: {$eq: 5.0}})", {{Pt("5")}}, true, 1},
                   {R"({a: "x"})", {{Pt("\"x\"")}}, true, 1},
                   {R"({a: {b: 1}})", {{Pt("{\"b\": 1}")}}, true, 1},
                   {R"({a: {$minKey: 1}})", {{Pt("{\"$minKey\": 1}")}}, true, 1},
                   {R"({a: {$numberDouble: "NaN"}})", {{Pt("NaN")}}, true, 1},
                   {R"({a: true})", {{Pt("true")}}, true, 1},
                   // null also matches undefined and missing (keyed as null).
                   {R"({a: null})", {{Pt("{\"$undefined\": true}"), Pt("null")}}, true, 1},
                   // An array: the array itself (a nested element) or its first element.
                   {R"({a: [1, 2]})", {{Pt("1"), Pt("[1, 2]")}}, false, 1},
                   {R"({a: [[1], 2]})", {{Pt("[1]"), Pt("[[1], 2]")}}, false, 1},
                   {R"({a: []})", {{Pt("{\"$undefined\": true}"), Pt("[]")}}, false, 1},
                   {R"({a: {$eq: {$regularExpression: {pattern: "x", options: ""}}}})",
                    {{Pt(R"({"$regularExpression": {"pattern": "x", "options": ""}})")}},
                    true,
                    1},
               });
  RunCases(kAMultikey, {
                           {R"({a: 5})", {{Pt("5")}}, true, 1},
                           {R"({a: null})", {{Pt("{\"$undefined\": true}"), Pt("null")}}, false, 1},
                           {R"({a: [1, 2]})", {{Pt("1"), Pt("[1, 2]")}}, false, 1},
                       });
}

TEST(IndexBoundsBuilderTest, RangesStayInTheirTypeBracket) {
  RunCases(
      kA,
      {
          {R"({a: {$gt: 5}})", {{Iv('(', "5", "Infinity", ']')}}, true, 1},
          {R"({a: {$gte: 5}})", {{Iv('[', "5", "Infinity", ']')}}, true, 1},
          {R"({a: {$lt: 5}})", {{Iv('[', "-Infinity", "5", ')')}}, true, 1},
          {R"({a: {$lte: 5}})", {{Iv('[', "-Infinity", "5", ']')}}, true, 1},
          {R"({a: {$gt: {$numberDecimal: "1.5"}}})", {{Iv('(', "1.5", "Infinity", ']')}}, true, 1},
          {R"({a: {$gt: 5, $lt: 10}})", {{Iv('(', "5", "10", ')')}}, true, 1},
          {R"({a: {$gt: 10, $lt: 5}})", {{}}, true, 1},
          {R"({a: {$gte: 5, $lte: 5}})", {{Pt("5")}}, true, 1},
          {R"({a: {$gt: {$numberDouble: "Infinity"}}})", {{}}, true, 1},
          {R"({a: {$gte: {$numberDouble: "Infinity"}}})", {{Pt("Infinity")}}, true, 1},
          {R"({a: {$lt: "b"}})", {{Iv('[', "\"\"", "\"b\"", ')')}}, true, 1},
          {R"({a: {$gt: "b"}})", {{Iv('(', "\"b\"", "{}", ')')}}, true, 1},
          {R"({a: {$gte: {}}})", {{Iv('[', "{}", "[]", ')')}}, true, 1},
          {R"({a: {$lt: {b: 1}}})", {{Iv('[', "{}", "{\"b\": 1}", ')')}}, true, 1},
          {R"({a: {$gt: false}})", {{Iv('(', "false", "true", ']')}}, true, 1},
          {R"({a: {$gt: {$date: {$numberLong: "0"}}}})",
           {{Iv('(', R"({"$date": {"$numberLong": "0"}})",
                R"({"$date": {"$numberLong": "9223372036854775807"}})", ']')}},
           true,
           1},
          {R"({a: {$lt: {$oid: "000000000000000000000005"}}})",
           {{Iv('[', R"({"$oid": "000000000000000000000000"})",
                R"({"$oid": "000000000000000000000005"})", ')')}},
           true,
           1},
          {R"({a: {$gte: {$timestamp: {t: 5, i: 1}}}})",
           {{Iv('[', R"({"$timestamp": {"t": 5, "i": 1}})",
                R"({"$timestamp": {"t": 4294967295, "i": 4294967295}})", ']')}},
           true,
           1},
          // NaN equals only NaN and is neither above nor below anything.
          {R"({a: {$gte: {$numberDouble: "NaN"}}})", {{Pt("NaN")}}, true, 1},
          {R"({a: {$lt: {$numberDouble: "NaN"}}})", {{}}, true, 1},
          // null: only null-ish values compare.
          {R"({a: {$lte: null}})", {{Pt("{\"$undefined\": true}"), Pt("null")}}, true, 1},
          {R"({a: {$gt: null}})", {{}}, true, 1},
          // MinKey and MaxKey operands.
          {R"({a: {$gt: {$minKey: 1}}})", {{Iv('(', "{\"$minKey\": 1}", "MAX", ']')}}, true, 1},
          {R"({a: {$gte: {$minKey: 1}}})", {{All()}}, true, 0},
          {R"({a: {$lt: {$minKey: 1}}})", {{}}, true, 1},
          {R"({a: {$lt: {$maxKey: 1}}})", {{Iv('[', "MIN", "{\"$maxKey\": 1}", ')')}}, true, 1},
          {R"({a: {$lte: {$maxKey: 1}}})", {{All()}}, true, 0},
          {R"({a: {$gte: {$maxKey: 1}}})", {{Pt("{\"$maxKey\": 1}")}}, true, 1},
          // Arrays compare as wholes, which are never keys.
          {R"({a: {$gt: [1]}})", {{All()}}, false, 0},
          // Types without a bracket here.
          {R"({a: {$gt: {$code: "x"}}})", {{All()}}, false, 0},
      });
  // A final array holding MinKey is above MinKey as a whole.
  RunCases(kAMultikey, {
                           {R"({a: {$gt: 5}})", {{Iv('(', "5", "Infinity", ']')}}, true, 1},
                           {R"({a: {$gt: {$minKey: 1}}})", {{All()}}, false, 0},
                           {R"({a: {$lt: {$maxKey: 1}}})", {{All()}}, false, 0},
                       });
}

TEST(IndexBoundsBuilderTest, InAndNin) {
  const Interval undefined = Pt("{\"$undefined\": true}");
  RunCases(kA, {
                   {R"({a: {$in: [3, 1, 3]}})", {{Pt("1"), Pt("3")}}, true, 1},
                   {R"({a: {$in: [3, null]}})", {{undefined, Pt("null"), Pt("3")}}, true, 1},
                   {R"({a: {$in: []}})", {{}}, true, 1},
                   {R"({a: {$in: [[1, 2], 5]}})", {{Pt("1"), Pt("5"), Pt("[1, 2]")}}, false, 1},
                   {R"({a: {$in: [1, /^ab/]}})",
                    {{Pt("1"), Iv('[', "\"ab\"", "\"ac\"", ')'),
                      Pt(R"({"$regularExpression": {"pattern": "^ab", "options": ""}})")}},
                    false,
                    1},
                   {R"({a: {$nin: [1, 3]}})",
                    {{Iv('[', "MIN", "1", ')'), Iv('(', "1", "3", ')'), Iv('(', "3", "MAX", ']')}},
                    true,
                    1},
                   {R"({a: {$nin: [null]}})",
                    {{Iv('[', "MIN", "{\"$undefined\": true}", ')'), Iv('(', "null", "MAX", ']')}},
                    true,
                    1},
                   // Not exact positives cannot be complemented.
                   {R"({a: {$nin: [[1]]}})", {{All()}}, false, 0},
                   {R"({a: {$nin: [/^a/]}})", {{All()}}, false, 0},
               });
  RunCases(
      kAMultikey,
      {
          {R"({a: {$in: [1, 2]}})", {{Pt("1"), Pt("2")}}, true, 1},
          {R"({a: {$in: [1, null]}})", {{undefined, Pt("null"), Pt("1")}}, false, 1},
          {R"({a: {$nin: [1]}})", {{Iv('[', "MIN", "1", ')'), Iv('(', "1", "MAX", ']')}}, false, 1},
      });
}

TEST(IndexBoundsBuilderTest, NegationsAndExists) {
  RunCases(
      kA, {
              {R"({a: {$ne: 5}})", {{Iv('[', "MIN", "5", ')'), Iv('(', "5", "MAX", ']')}}, true, 1},
              {R"({a: {$ne: null}})",
               {{Iv('[', "MIN", "{\"$undefined\": true}", ')'), Iv('(', "null", "MAX", ']')}},
               true,
               1},
              {R"({a: {$ne: {$minKey: 1}}})", {{Iv('(', "{\"$minKey\": 1}", "MAX", ']')}}, true, 1},
              {R"({a: {$ne: [1]}})", {{All()}}, false, 0},
              {R"({a: {$not: {$gt: 5}}})",
               {{Iv('[', "MIN", "5", ']'), Iv('(', "Infinity", "MAX", ']')}},
               true,
               1},
              {R"({a: {$not: {$gt: 1, $lt: 5}}})",
               {{Iv('[', "MIN", "1", ']'), Iv('[', "5", "MAX", ']')}},
               true,
               1},
              {R"({a: {$not: /^a/}})", {{All()}}, false, 0},
              {R"({a: {$not: {$exists: true}}})", {{Pt("null")}}, false, 1},
              {R"({a: {$exists: false}})", {{Pt("null")}}, false, 1},
              {R"({a: {$exists: true}})", {{All()}}, false, 0},
              {R"({a: {$not: {$exists: false}}})", {{All()}}, false, 0},
          });
  // A multikey document can have keys on both sides of a complement.
  RunCases(
      kAMultikey,
      {
          {R"({a: {$ne: 5}})", {{Iv('[', "MIN", "5", ')'), Iv('(', "5", "MAX", ']')}}, false, 1},
          {R"({a: {$not: {$gt: 1, $lt: 5}}})", {{All()}}, false, 0},
          {R"({a: {$ne: null}})", {{All()}}, false, 0},
      });
}

TEST(IndexBoundsBuilderTest, Regex) {
  const auto regex = [](const std::string& pattern, const std::string& options) {
    return Pt(R"({"$regularExpression": {"pattern": ")" + pattern + R"(", "options": ")" + options +
              "\"}}");
  };
  const Interval strings = Iv('[', "\"\"", "{}", ')');
  RunCases(
      kA,
      {
          {R"({a: /^abc/})", {{Iv('[', "\"abc\"", "\"abd\"", ')'), regex("^abc", "")}}, false, 1},
          {R"({a: {$regex: "^abc", $options: "s"}})",
           {{Iv('[', "\"abc\"", "\"abd\"", ')'), regex("^abc", "s")}},
           false,
           1},
          {R"({a: {$regex: "\\Aab"}})",
           {{Iv('[', "\"ab\"", "\"ac\"", ')'), regex("\\\\Aab", "")}},
           false,
           1},
          // A quantifier allowing zero repetitions drops the literal before it.
          {R"({a: /^ab?c/})", {{Iv('[', "\"a\"", "\"b\"", ')'), regex("^ab?c", "")}}, false, 1},
          {R"({a: /^ab+c/})", {{Iv('[', "\"ab\"", "\"ac\"", ')'), regex("^ab+c", "")}}, false, 1},
          {R"({a: /^a\.b/})",
           {{Iv('[', "\"a.b\"", "\"a.c\"", ')'), regex("^a\\\\.b", "")}},
           false,
           1},
          {R"({a: /^a\d/})", {{Iv('[', "\"a\"", "\"b\"", ')'), regex("^a\\\\d", "")}}, false, 1},
          // Not anchored, case-insensitive, multi-line, alternation: all strings.
          {R"({a: /abc/})", {{strings, regex("abc", "")}}, false, 1},
          {R"({a: /^abc/i})", {{strings, regex("^abc", "i")}}, false, 1},
          {R"({a: /^abc/m})", {{strings, regex("^abc", "m")}}, false, 1},
          {R"({a: /^a|b/})", {{strings, regex("^a|b", "")}}, false, 1},
          {R"({a: /^/})", {{strings, regex("^", "")}}, false, 1},
      });
}

TEST(IndexBoundsBuilderTest, Type) {
  RunCases(kA, {
                   {R"({a: {$type: "number"}})", {{Iv('[', "NaN", "Infinity", ']')}}, true, 1},
                   {R"({a: {$type: ["double", "int", "long", "decimal"]}})",
                    {{Iv('[', "NaN", "Infinity", ']')}},
                    true,
                    1},
                   {R"({a: {$type: "int"}})", {{Iv('[', "NaN", "Infinity", ']')}}, false, 1},
                   {R"({a: {$type: "string"}})", {{Iv('[', "\"\"", "{}", ')')}}, false, 1},
                   {R"({a: {$type: "object"}})", {{Iv('[', "{}", "[]", ')')}}, true, 1},
                   {R"({a: {$type: "bool"}})", {{Iv('[', "false", "true", ']')}}, true, 1},
                   {R"({a: {$type: ["bool", "minKey"]}})",
                    {{Pt("{\"$minKey\": 1}"), Iv('[', "false", "true", ']')}},
                    true,
                    1},
                   {R"({a: {$type: "null"}})", {{Pt("null")}}, false, 1},
                   {R"({a: {$type: "undefined"}})", {{Pt("{\"$undefined\": true}")}}, true, 1},
                   {R"({a: {$type: "array"}})", {{All()}}, false, 0},
                   {R"({a: {$type: "regex"}})", {{All()}}, false, 0},
               });
}

TEST(IndexBoundsBuilderTest, UnboundedOperators) {
  RunCases(kA, {
                   {R"({})", {{All()}}, true, 0},
                   {R"({$or: [{a: 1}, {a: 2}]})", {{All()}}, false, 0},
                   {R"({$nor: [{a: 1}]})", {{All()}}, false, 0},
                   {R"({$expr: {$eq: ["$a", 1]}})", {{All()}}, false, 0},
                   {R"({a: {$mod: [2, 0]}})", {{All()}}, false, 0},
                   {R"({a: {$size: 2}})", {{All()}}, false, 0},
                   {R"({a: {$bitsAllSet: 1}})", {{All()}}, false, 0},
                   // Other predicates still bound, but the filter is not exact.
                   {R"({a: 1, $or: [{b: 1}, {c: 1}]})", {{Pt("1")}}, false, 1},
                   {R"({a: 1, b: 2})", {{Pt("1")}}, false, 1},
                   {R"({b: 2})", {{All()}}, false, 0},
                   {R"({$alwaysTrue: 1})", {{All()}}, true, 0},
                   // Nothing can match.
                   {R"({$alwaysFalse: 1})", {{}}, true, 1},
                   {R"({b: 1, a: {$all: []}})", {{}}, true, 1},
               });
}

// ----- $and, multikey and compound rules.

TEST(IndexBoundsBuilderTest, AndIntersectsUnlessMultikey) {
  RunCases(kA,
           {
               {R"({$and: [{a: {$gt: 1}}, {a: {$lt: 5}}]})", {{Iv('(', "1", "5", ')')}}, true, 1},
               {R"({$and: [{a: {$gt: 1}}, {$and: [{a: {$lte: 5}}, {a: {$ne: 3}}]}]})",
                {{Iv('(', "1", "3", ')'), Iv('(', "3", "5", ']')}},
                true,
                1},
               {R"({a: {$in: [1, 2, 3]}, $and: [{a: {$gte: 2}}]})", {{Pt("2"), Pt("3")}}, true, 1},
               {R"({a: {$all: [1, 2]}})", {{}}, true, 1},
               {R"({a: {$gt: 1, $type: "bool"}})", {{}}, true, 1},
           });
  // An array may satisfy each predicate with a different element: one predicate's bounds stand
  // (an equality's when there is one).
  RunCases(kAMultikey,
           {
               {R"({a: {$gt: 1, $lt: 5}})", {{Iv('(', "1", "Infinity", ']')}}, false, 1},
               {R"({a: {$gt: 1}, $and: [{a: 3}]})", {{Pt("3")}}, false, 1},
               {R"({a: {$all: [1, 2]}})", {{Pt("1")}}, false, 1},
           });
  // Multikey only below the predicate's path does not matter for another path.
  RunCases(Shape({{"a.b", 1}}, {{0}}),
           {
               {R"({"a.b": {$gt: 1, $lt: 5}})", {{Iv('(', "1", "Infinity", ']')}}, false, 1},
           });
}

TEST(IndexBoundsBuilderTest, ElemMatch) {
  RunCases(kAMultikey,
           {
               // One element satisfies every operator: intersect.
               {R"({a: {$elemMatch: {$gt: 1, $lt: 5}}})", {{Iv('(', "1", "5", ')')}}, false, 1},
               {R"({a: {$elemMatch: {$ne: 3}}})",
                {{Iv('[', "MIN", "3", ')'), Iv('(', "3", "MAX", ']')}},
                false,
                1},
               // Two $elemMatch may pick different elements.
               {R"({a: {$all: [{$elemMatch: {$gt: 1}}, {$elemMatch: {$lt: 5}}]}})",
                {{Iv('(', "1", "Infinity", ']')}},
                false,
                1},
           });
  const IndexShape ab = Shape({{"a.b", 1}}, {{0}});
  RunCases(
      ab, {
              {R"({a: {$elemMatch: {b: {$gt: 1}, c: 2}}})",
               {{Iv('(', "1", "Infinity", ']')}},
               false,
               1},
              {R"({a: {$elemMatch: {b: {$gt: 1, $lt: 5}}}})", {{Iv('(', "1", "5", ')')}}, false, 1},
              {R"({a: {$elemMatch: {c: 1}}})", {{All()}}, false, 0},
              {R"({a: {$elemMatch: {b: {$elemMatch: {$gt: 1}}}}})",
               {{Iv('(', "1", "Infinity", ']')}},
               false,
               1},
          });
  // b is an array inside the elements: different elements of b may satisfy each predicate.
  RunCases(Shape({{"a.b", 1}}, {{0, 1}}), {
                                              {R"({a: {$elemMatch: {b: {$gt: 1, $lt: 5}}}})",
                                               {{Iv('(', "1", "Infinity", ']')}},
                                               false,
                                               1},
                                          });
}

TEST(IndexBoundsBuilderTest, CompoundIndexes) {
  const IndexShape ab = Shape({{"a", 1}, {"b", -1}});
  RunCases(ab,
           {
               {R"({a: 1, b: {$gt: 2}})", {{Pt("1")}, {Iv('(', "2", "Infinity", ']')}}, true, 2},
               {R"({b: {$gt: 2}, a: {$in: [1, 2]}})",
                {{Pt("1"), Pt("2")}, {Iv('(', "2", "Infinity", ']')}},
                true,
                2},
               // A trailing part is bounded even when the leading one is not.
               {R"({b: 2})", {{All()}, {Pt("2")}}, true, 0},
               {R"({a: {$gt: 1}})", {{Iv('(', "1", "Infinity", ']')}, {All()}}, true, 1},
               {R"({a: 1, c: 1})", {{Pt("1")}, {All()}}, false, 1},
           });
  // Paths in different arrays (never both in one document): keys are the cartesian product.
  RunCases(Shape({{"a", 1}, {"b", 1}}, {{0}, {0}}),
           {
               {R"({a: 1, b: 2})", {{Pt("1")}, {Pt("2")}}, true, 2},
           });
  RunCases(Shape({{"a.b", 1}, {"c.d", 1}}, {{0}, {0}}),
           {
               {R"({"a.b": 1, "c.d": 2})", {{Pt("1")}, {Pt("2")}}, true, 2},
           });
}

TEST(IndexBoundsBuilderTest, CompoundOverOneArray) {
  // a.b and a.c share the array a: a key takes both values from one element.
  const IndexShape shared = Shape({{"a.b", 1}, {"a.c", 1}}, {{0}, {0}});
  RunCases(shared, {
                       {R"({"a.b": 1, "a.c": 2})", {{Pt("1")}, {All()}}, false, 1},
                       {R"({"a.c": 2})", {{All()}, {Pt("2")}}, true, 0},
                       // One $elemMatch picks one element for both.
                       {R"({a: {$elemMatch: {b: 1, c: 2}}})", {{Pt("1")}, {Pt("2")}}, false, 2},
                       {R"({a: {$elemMatch: {b: 1}}, "a.c": 2})", {{Pt("1")}, {All()}}, false, 1},
                       {R"({$and: [{a: {$elemMatch: {b: 1}}}, {a: {$elemMatch: {c: 2}}}]})",
                        {{Pt("1")}, {All()}},
                        false,
                        1},
                   });
  // Not multikey (yet): compound bounds are fine.
  RunCases(Shape({{"a.b", 1}, {"a.c", 1}}),
           {
               {R"({"a.b": 1, "a.c": 2})", {{Pt("1")}, {Pt("2")}}, true, 2},
           });
  // Arrays below the $elemMatch element: different elements of them.
  RunCases(Shape({{"a.b.x", 1}, {"a.b.y", 1}}, {{0, 1}, {0, 1}}),
           {
               {R"({a: {$elemMatch: {"b.x": 1, "b.y": 2}}})", {{Pt("1")}, {All()}}, false, 1},
               {R"({"a.b": {$elemMatch: {x: 1, y: 2}}})", {{Pt("1")}, {Pt("2")}}, false, 2},
           });
  // Paths diverging above the array share nothing.
  RunCases(Shape({{"a.b", 1}, {"a.c.d", 1}}, {{}, {2}}),
           {
               {R"({"a.b": 1, "a.c.d": 2})", {{Pt("1")}, {Pt("2")}}, true, 2},
           });
}

TEST(IndexBoundsBuilderTest, PositionalPathsStayUnbounded) {
  RunCases(Shape({{"a.0", 1}}), {
                                    {R"({"a.0": 5})", {{All()}}, false, 0},
                                });
}

TEST(IndexBoundsBuilderTest, RejectsAnIndexWithoutKeyParts) {
  const Document filter = Json(R"({"a": 1})");
  absl::StatusOr<match::MatchExpressionPtr> tree = match::ParseFilter(filter.view());
  ASSERT_OK(tree);
  EXPECT_THAT(BuildIndexBounds(**tree, IndexShape()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("no key parts")));
}

// ----- Interval set operations.

TEST(IntervalSetTest, NormalizeMergesAndCanonicalizes) {
  EXPECT_TRUE(SameIntervals(NormalizeIntervals({Iv('[', "3", "5", ']'), Iv('(', "1", "3", ')')}),
                            {Iv('(', "1", "5", ']')}));
  EXPECT_TRUE(SameIntervals(NormalizeIntervals({Iv('(', "1", "3", ')'), Iv('(', "3", "5", ']')}),
                            {Iv('(', "1", "3", ')'), Iv('(', "3", "5", ']')}));
  EXPECT_TRUE(SameIntervals(NormalizeIntervals({Iv('(', "3", "3", ']')}), {}));
  EXPECT_TRUE(SameIntervals(
      NormalizeIntervals({Iv('[', "{\"$minKey\": 1}", "{\"$maxKey\": 1}", ']')}), {All()}));
  EXPECT_TRUE(SameIntervals(NormalizeIntervals({Iv('[', "MIN", "{\"$minKey\": 1}", ')')}), {}));
  EXPECT_TRUE(SameIntervals(ComplementIntervals({}), {All()}));
  EXPECT_TRUE(SameIntervals(ComplementIntervals({All()}), {}));
  EXPECT_TRUE(SameIntervals(IntersectIntervals({Iv('[', "1", "5", ']'), Iv('[', "7", "9", ']')},
                                               {Iv('(', "5", "8", ')')}),
                            {Iv('[', "7", "8", ')')}));
  EXPECT_TRUE(
      SameIntervals(UnionIntervals({Pt("1")}, {Iv('(', "1", "2", ']')}), {Iv('[', "1", "2", ']')}));
}

TEST(IntervalSetTest, RandomSetAlgebraAgreesWithMembership) {
  std::mt19937 rng(7);
  std::vector<std::string> values;
  for (const char* v :
       {"{\"$minKey\": 1}", "null", "1", "2", "3", "4", "\"a\"", "\"b\"", "{\"$maxKey\": 1}"}) {
    values.push_back(Enc(v));
  }
  const auto random_list = [&]() {
    std::vector<Interval> out;
    const int count = static_cast<int>(rng() % 4);
    for (int i = 0; i < count; ++i) {
      Interval interval;
      const size_t a = rng() % (values.size() + 2);
      const size_t b = rng() % (values.size() + 2);
      const auto end = [&](size_t k) {
        if (k == values.size()) return document::MinKeyString();
        if (k == values.size() + 1) return document::MaxKeyString();
        return values[k];
      };
      interval.low = std::min(end(a), end(b));
      interval.high = std::max(end(a), end(b));
      interval.low_inclusive = rng() % 2 == 0;
      interval.high_inclusive = rng() % 2 == 0;
      out.push_back(interval);
    }
    return out;
  };
  const auto contains = [](const std::vector<Interval>& list, const std::string& v) {
    for (const Interval& interval : list) {
      const bool above = v > interval.low || (v == interval.low && interval.low_inclusive);
      const bool below = v < interval.high || (v == interval.high && interval.high_inclusive);
      if (above && below) return true;
    }
    return false;
  };
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const std::vector<Interval> a = random_list();
    const std::vector<Interval> b = random_list();
    const std::vector<Interval> both = IntersectIntervals(a, b);
    const std::vector<Interval> either = UnionIntervals(a, b);
    const std::vector<Interval> not_a = ComplementIntervals(a);
    for (const auto& list : {both, either, not_a}) {
      ASSERT_OK(index::BuildScanRanges(index::IndexBounds{{list}}, {false}));
    }
    for (const std::string& v : values) {
      EXPECT_EQ(contains(both, v), contains(a, v) && contains(b, v));
      EXPECT_EQ(contains(either, v), contains(a, v) || contains(b, v));
      EXPECT_EQ(contains(not_a, v), !contains(a, v));
    }
  }
}

// ----- The CONTRACT, on random documents, filters and indexes.

class RandomJson {
 public:
  explicit RandomJson(uint32_t seed) : rng_(seed) {}

  int Below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  bool OneIn(int n) { return Below(n) == 0; }

  // Few distinct values, so that documents and filters often meet.
  std::string Scalar() {
    static const char* const kCommon[] = {"0", "1", "2", "\"a\"", "\"ab\"", "null"};
    static const char* const kRare[] = {"3",
                                        "-1",
                                        "2.5",
                                        "{\"$numberLong\": \"2\"}",
                                        "\"\"",
                                        "\"abc\"",
                                        "\"b\"",
                                        "true",
                                        "false",
                                        "{\"$numberDouble\": \"NaN\"}",
                                        "{\"$numberDouble\": \"Infinity\"}",
                                        "{\"$minKey\": 1}",
                                        "{\"$maxKey\": 1}",
                                        "{\"$date\": {\"$numberLong\": \"1\"}}",
                                        "{\"$numberDecimal\": \"1\"}",
                                        "{\"$undefined\": true}",
                                        "{}",
                                        "{\"b\": 1}"};
    if (OneIn(3)) return kRare[Below(sizeof(kRare) / sizeof(kRare[0]))];
    return kCommon[Below(sizeof(kCommon) / sizeof(kCommon[0]))];
  }

  // A value for a document field: scalars, arrays (nested, empty), sub-documents with b/c.
  std::string Value(int depth) {
    const int pick = Below(depth > 0 ? 10 : 6);
    if (pick < 6) return Scalar();
    if (pick < 9) {
      std::string out = "[";
      const int n = Below(4);
      for (int i = 0; i < n; ++i) out += (i ? ", " : "") + Value(depth - 1);
      return out + "]";
    }
    return SubDocument(depth - 1);
  }

  std::string SubDocument(int depth) {
    std::string out = "{";
    bool first = true;
    for (const char* field : {"b", "c"}) {
      if (OneIn(3)) continue;
      out += (first ? "\"" : ", \"") + std::string(field) + "\": " + Value(depth);
      first = false;
    }
    return out + "}";
  }

  std::string Document() {
    std::string out = "{\"_id\": 0";
    for (const char* field : {"a", "b"}) {
      if (OneIn(5)) continue;
      std::string value;
      if (std::string(field) == "a" && OneIn(2)) {
        // Documents or arrays of documents, for the dotted paths.
        value = OneIn(2) ? SubDocument(2)
                         : "[" + SubDocument(1) + (OneIn(2) ? ", " + SubDocument(1) : "") +
                               (OneIn(3) ? ", " + Scalar() : "") + "]";
      } else {
        value = Value(2);
      }
      out += ", \"" + std::string(field) + "\": " + value;
    }
    return out + "}";
  }

  // An operand for comparisons: mostly scalars, sometimes arrays or documents.
  std::string Operand() {
    if (OneIn(8)) return "[" + (OneIn(3) ? std::string() : Scalar()) + "]";
    if (OneIn(12)) return "{\"b\": " + Scalar() + "}";
    std::string s = Scalar();
    if (s == "{\"$undefined\": true}") return "null";
    return s;
  }

  std::string Path() {
    static const char* const kPaths[] = {"a", "b", "a.b", "a.c"};
    return kPaths[Below(4)];
  }

  // One predicate on `path` (an operator document or a literal), as the value of the field.
  std::string Predicate(int depth) {
    static const char* const kComparisons[] = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"};
    switch (Below(14)) {
      case 0:
        return Operand();
      case 1:
      case 2:
      case 3:
        return "{\"" + std::string(kComparisons[Below(6)]) + "\": " + Operand() + "}";
      case 4:
        return "{\"" + std::string(kComparisons[2 + Below(4)]) + "\": " + Operand() + ", \"" +
               kComparisons[2 + Below(4)] + "\": " + Operand() + "}";
      case 5: {
        std::string list = "[";
        const int n = Below(4);
        for (int i = 0; i < n; ++i) {
          list +=
              (i ? ", " : "") +
              (OneIn(6) ? std::string(
                              "{\"$regularExpression\": {\"pattern\": \"^a\", \"options\": \"\"}}")
                        : Operand());
        }
        return std::string("{\"") + (OneIn(2) ? "$in" : "$nin") + "\": " + list + "]}";
      }
      case 6:
        return std::string("{\"$exists\": ") + (OneIn(2) ? "true" : "false") + "}";
      case 7: {
        static const char* const kTypes[] = {
            "\"number\"", "\"int\"",  "\"string\"",    "\"null\"",   "\"array\"",
            "\"object\"", "\"bool\"", "\"undefined\"", "\"minKey\"", "[\"double\", \"string\"]"};
        return std::string("{\"$type\": ") + kTypes[Below(10)] + "}";
      }
      case 8: {
        static const char* const kPatterns[] = {"^a", "^ab", "a", "^", "^a.?b", "^A"};
        return std::string("{\"$regex\": \"") + kPatterns[Below(6)] + "\"" +
               (OneIn(4) ? ", \"$options\": \"i\"" : "") + "}";
      }
      case 9:
        return "{\"$not\": {\"" + std::string(kComparisons[Below(6)]) + "\": " + Operand() + "}}";
      case 10:
        return "{\"$elemMatch\": {\"" + std::string(kComparisons[Below(6)]) + "\": " + Operand() +
               (OneIn(2) ? ", \"" + std::string(kComparisons[Below(6)]) + "\": " + Operand()
                         : std::string()) +
               "}}";
      case 11:
        if (depth > 0) {
          // Object form, on the fields of the elements.
          return "{\"$elemMatch\": {\"" + std::string(OneIn(2) ? "b" : "c") +
                 "\": " + Predicate(depth - 1) +
                 (OneIn(2)
                      ? ", \"" + std::string(OneIn(2) ? "b" : "c") + "\": " + Predicate(depth - 1)
                      : std::string()) +
                 "}}";
        }
        return Operand();
      case 12:
        return std::string("{\"$all\": [") +
               (OneIn(3) ? std::string()
                         : Scalar() + (OneIn(2) ? ", " + Scalar() : std::string())) +
               "]}";
      default:
        return OneIn(2) ? "{\"$size\": " + std::to_string(Below(3)) + "}"
                        : "{\"$mod\": [2, " + std::to_string(Below(2)) + "]}";
    }
  }

  // A filter of 1-3 predicates, most on the index's paths (`index_paths`).
  std::string Filter(const std::vector<std::string>& index_paths) {
    const auto path = [&]() {
      return OneIn(3) ? Path() : index_paths[Below(static_cast<int>(index_paths.size()))];
    };
    const auto conjunct = [&]() {
      std::string p = path();
      if (OneIn(4) && p.size() == 3) {
        // An $elemMatch on the array above a dotted path.
        return "{\"" + p.substr(0, 1) + "\": {\"$elemMatch\": {\"" + p.substr(2) +
               "\": " + Predicate(0) +
               (OneIn(2) ? ", \"" + std::string(OneIn(2) ? "b" : "c") + "\": " + Predicate(0)
                         : std::string()) +
               "}}}";
      }
      return "{\"" + p + "\": " + Predicate(1) + "}";
    };
    if (OneIn(10)) return "{\"$or\": [" + conjunct() + ", " + conjunct() + "]}";
    const int n = 1 + Below(3);
    std::string out = "{\"$and\": [";
    for (int i = 0; i < n; ++i) out += (i ? ", " : "") + conjunct();
    return out + "]}";
  }

 private:
  std::mt19937 rng_;
};

// Documents indexed by one index, with the multikey paths they make.
struct Corpus {
  std::string key_pattern;
  IndexShape shape;
  std::vector<Document> documents;
  std::vector<std::vector<std::string>> keys;  // per document
};

// Indexes `documents` (those the index rejects, with parallel arrays, are left out). With
// `flat`, only documents that make no path multikey are kept, and the index is not multikey.
Corpus MakeCorpus(const std::vector<std::pair<std::string, int>>& parts,
                  std::vector<Document> documents, bool flat) {
  Corpus corpus;
  corpus.key_pattern = "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    corpus.key_pattern +=
        (i ? ", \"" : "\"") + parts[i].first + "\": " + std::to_string(parts[i].second);
  }
  corpus.key_pattern += "}";
  absl::StatusOr<index::IndexSpec> spec = index::IndexSpec::Parse(
      Json("{\"key\": " + corpus.key_pattern + ", \"name\": \"i\"}").view());
  EXPECT_OK(spec);
  if (!spec.ok()) return corpus;
  const index::KeyGenerator generator(*spec);
  corpus.shape = Shape(parts);
  corpus.shape.multikey_paths.assign(parts.size(), {});
  for (Document& doc : documents) {
    absl::StatusOr<index::IndexKeys> generated = generator.Generate(doc.view());
    if (!generated.ok()) continue;  // parallel arrays
    if (flat && generated->multikey()) continue;
    index::MergeMultikeyPaths(generated->multikey_paths, &corpus.shape.multikey_paths);
    corpus.documents.push_back(std::move(doc));
    corpus.keys.push_back(std::move(generated->keys));
  }
  return corpus;
}

struct ContractStats {
  size_t filters = 0;
  size_t exact = 0;
  size_t bounded = 0;
  size_t all_parts_bounded = 0;
  size_t matches = 0;
};

// Checks the CONTRACT of BuildIndexBounds for one filter over the corpus: every matching
// document has a key inside the bounds (and inside the scan ranges built from them); with
// `exact`, no other document does. Filters the parser rejects are skipped.
void CheckContract(const Corpus& corpus, const std::string& filter_json, ContractStats* stats) {
  const Document filter = FilterJson(filter_json);
  absl::StatusOr<match::MatchExpressionPtr> tree = match::ParseFilter(filter.view());
  if (!tree.ok()) return;
  absl::StatusOr<IndexBoundsResult> result = BuildIndexBounds(**tree, corpus.shape);
  ASSERT_OK(result);
  const std::vector<bool> descending = Descending(corpus.shape);
  absl::StatusOr<index::ScanRanges> ranges = index::BuildScanRanges(result->bounds, descending);
  ASSERT_OK(ranges) << filter_json;
  ++stats->filters;
  if (result->exact) ++stats->exact;
  if (result->bounded_prefix > 0) ++stats->bounded;
  if (result->bounded_prefix == corpus.shape.key_parts.size()) ++stats->all_parts_bounded;
  for (size_t d = 0; d < corpus.documents.size(); ++d) {
    const Document& doc = corpus.documents[d];
    const bool match = (*tree)->Matches(doc.view());
    bool inside = false;
    for (const std::string& key : corpus.keys[d]) {
      absl::StatusOr<bool> satisfied = index::KeySatisfiesBounds(result->bounds, descending, key);
      ASSERT_OK(satisfied);
      if (!*satisfied) continue;
      inside = true;
      bool in_range = false;
      for (const index::KeyRange& range : ranges->ranges) {
        in_range = in_range || (key >= range.start && key < range.limit);
      }
      ASSERT_TRUE(in_range) << "a key inside the bounds is outside the scan ranges\n  filter "
                            << filter_json << "\n  document " << doc.ToJson();
    }
    if (match) ++stats->matches;
    ASSERT_TRUE(!match || inside) << "a matching document has no key inside the bounds\n  filter "
                                  << filter_json << "\n  index " << corpus.key_pattern
                                  << "\n  document " << doc.ToJson();
    ASSERT_TRUE(!result->exact || match || !inside)
        << "exact bounds hold a key of a document that does not match\n  filter " << filter_json
        << "\n  index " << corpus.key_pattern << "\n  document " << doc.ToJson();
  }
}

// The places where keys and matched values part ways, each with a document that shows it.
TEST(IndexBoundsBuilderContractTest, KnownTraps) {
  struct Trap {
    std::vector<std::pair<std::string, int>> parts;
    std::vector<std::string> documents;
    std::vector<std::string> filters;
  };
  const std::vector<Trap> traps = {
      // Two paths in one array: different elements satisfy each predicate.
      {{{"a.b", 1}, {"a.c", -1}},
       {R"({"a": [{"b": 1, "c": 3}, {"b": 0, "c": 2}]})"},
       {R"({"a.b": 1, "a.c": 2})", R"({"a": {"$elemMatch": {"b": 1, "c": 2}}})",
        R"({"a": {"$elemMatch": {"b": 1}}, "a.c": 2})"}},
      // One array, two predicates on it: different elements.
      {{{"a", 1}},
       {R"({"a": [1, 5]})", R"({"a": [3]})"},
       {R"({"a": {"$gt": 2, "$lt": 4}})", R"({"a": {"$elemMatch": {"$gt": 2, "$lt": 4}}})",
        R"({"a": {"$not": {"$gt": 2, "$lt": 4}}})", R"({"a": {"$ne": 1}})"}},
      // Arrays compare as wholes; nested arrays are keyed whole.
      {{{"a", 1}},
       {R"({"a": [1, 2]})", R"({"a": [[1, 2]]})", R"({"a": []})", R"({"a": [[]]})",
        R"({"a": {"$undefined": true}})", R"({"a": null})", R"({"a": [{"$minKey": 1}]})",
        R"({"a": [{"$maxKey": 1}]})"},
       {R"({"a": [1, 2]})", R"({"a": 1})", R"({"a": []})", R"({"a": null})",
        R"({"a": {"$gt": {"$minKey": 1}}})", R"({"a": {"$lt": {"$maxKey": 1}}})",
        R"({"a": {"$type": "array"}})", R"({"a": {"$type": "undefined"}})",
        R"({"a": {"$ne": [1, 2]}})", R"({"a": {"$gte": [1]}})", R"({"a": {"$nin": [[]]}})"}},
      // Missing values: keyed as null, matched by nothing or by null.
      {{{"a.b", 1}},
       {R"({"a": [1]})", R"({"a": [["x", 2], "x"]})", R"({"a": []})", R"({"a": 5})", R"({})",
        R"({"a": {"b": null}})"},
       {R"({"a.b": null})", R"({"a.b": {"$exists": false}})", R"({"a.b": {"$exists": true}})",
        R"({"a.b": {"$lte": {"$maxKey": 1}}})", R"({"a.b": {"$type": "null"}})",
        R"({"a.b": {"$ne": null}})", R"({"a.b": {"$in": [null, 1]}})"}},
      // A top-level predicate and an $elemMatch on the same multikey path.
      {{{"a.b", 1}},
       {R"({"a": [{"b": 3}, {"b": 0}]})"},
       {R"({"a.b": {"$gt": 2}, "a": {"$elemMatch": {"b": {"$lt": 1}}}})"}},
      // Regex prefixes.
      {{{"a", -1}},
       {R"({"a": "abc"})", R"({"a": "ab"})", R"({"a": "b"})", R"({"a": "Abc"})",
        R"({"a": {"$regularExpression": {"pattern": "^ab", "options": ""}}})"},
       {R"({"a": {"$regex": "^ab"}})", R"({"a": {"$regex": "^ab?c"}})",
        R"({"a": {"$regex": "^ab", "$options": "i"}})",
        R"({"a": {"$in": ["b", {"$regularExpression": {"pattern": "^ab", "options": ""}}]}})"}},
  };
  for (const Trap& trap : traps) {
    std::vector<Document> documents;
    for (const std::string& json : trap.documents) documents.push_back(Json(json));
    for (bool flat : {false, true}) {
      std::vector<Document> copies;
      for (const Document& doc : documents) copies.push_back(doc.Clone());
      const Corpus corpus = MakeCorpus(trap.parts, std::move(copies), flat);
      ContractStats stats;
      for (const std::string& filter : trap.filters) {
        CheckContract(corpus, filter, &stats);
        ASSERT_FALSE(::testing::Test::HasFatalFailure());
      }
    }
  }
}

TEST(IndexBoundsBuilderContractTest, RandomDocumentsFiltersAndIndexes) {
  const auto start = std::chrono::steady_clock::now();
  RandomJson random(20240611);
  ContractStats stats;
  for (int iteration = 0; iteration < 1500; ++iteration) {
    // An index of 1-2 key parts, often two paths in one array.
    static const char* const kPaths[] = {"a", "b", "a.b", "a.c"};
    std::vector<std::pair<std::string, int>> parts;
    if (random.OneIn(4)) {
      parts = {{"a.b", 1}, {"a.c", 1}};
      if (random.OneIn(2)) std::swap(parts[0], parts[1]);
    } else {
      const int num_parts = 1 + random.Below(2);
      while (static_cast<int>(parts.size()) < num_parts) {
        const std::string path = kPaths[random.Below(4)];
        bool duplicate = false;
        for (const auto& part : parts) duplicate = duplicate || part.first == path;
        if (!duplicate) parts.push_back({path, 1});
      }
    }
    for (auto& part : parts) part.second = random.OneIn(2) ? 1 : -1;
    std::vector<Document> documents;
    for (int d = 0; d < 12; ++d) documents.push_back(Json(random.Document()));
    const Corpus corpus = MakeCorpus(parts, std::move(documents), random.OneIn(3));

    std::vector<std::string> index_paths;
    for (const auto& part : parts) index_paths.push_back(part.first);
    for (int f = 0; f < 6; ++f) {
      CheckContract(corpus, random.Filter(index_paths), &stats);
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
    }
  }
  // The generators exercise the interesting cases.
  EXPECT_GT(stats.filters, 5000u);
  EXPECT_GT(stats.exact, stats.filters / 20);
  EXPECT_GT(stats.bounded, stats.filters / 4);
  EXPECT_GT(stats.all_parts_bounded, stats.filters / 10);
  EXPECT_GT(stats.matches, 5000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace strata::query::planner
