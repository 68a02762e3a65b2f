// Tests of find projections (query/projection/projection.h): the table of cases in
// tests/data/projection_cases.json, then the API's contracts (flags, lifetimes, predicates).
#include "query/projection/projection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "document/compare.h"
#include "tests/support/test_util.h"

namespace strata::query::projection {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

// ---- A small $elemMatch predicate for the tests ----------------------------------------------
// Conditions: {$op: v, …} on the element itself, or {field: v | {$op: v, …}, …} on document
// elements; $op is one of $eq $ne $gt $gte $lt $lte (comparisons within one type bracket).
class TestPredicate : public ElementPredicate {
 public:
  explicit TestPredicate(DocumentView condition) : condition_(condition) {}

  bool Matches(const bson_iter_t& element) const override {
    bson_t cond;
    bson_iter_t it;
    if (!condition_.AsBson(&cond) || !bson_iter_init(&it, &cond)) return false;
    bson_iter_t first = it;
    if (!bson_iter_next(&first)) return true;
    if (bson_iter_key(&first)[0] == '$') return Operators(it, &element);
    if (!BSON_ITER_HOLDS_DOCUMENT(&element)) return false;
    while (bson_iter_next(&it)) {
      bson_iter_t field;
      const bool found = FindIn(element, bson_iter_key(&it), &field);
      bson_iter_t ops;
      if (BSON_ITER_HOLDS_DOCUMENT(&it) && bson_iter_recurse(&it, &ops)) {
        bson_iter_t probe = ops;
        if (bson_iter_next(&probe) && bson_iter_key(&probe)[0] == '$') {
          if (!Operators(ops, found ? &field : nullptr)) return false;
          continue;
        }
      }
      if (!found || document::CompareValues(field, it) != 0) return false;
    }
    return true;
  }

 private:
  static bool FindIn(const bson_iter_t& doc, absl::string_view key, bson_iter_t* out) {
    if (!bson_iter_recurse(&doc, out)) return false;
    while (bson_iter_next(out)) {
      if (absl::string_view(bson_iter_key(out)) == key) return true;
    }
    return false;
  }

  // All operators of `ops` (an iterator before its first element) hold for `value`.
  static bool Operators(bson_iter_t ops, const bson_iter_t* value) {
    while (bson_iter_next(&ops)) {
      absl::string_view op = bson_iter_key(&ops);
      if (value == nullptr) return false;
      const bool same_bracket = document::CanonicalTypeRank(bson_iter_type(value)) ==
                                document::CanonicalTypeRank(bson_iter_type(&ops));
      const int order = document::CompareValues(*value, ops);
      bool ok = false;
      if (op == "$eq") ok = order == 0;
      if (op == "$ne") ok = order != 0;
      if (op == "$gt") ok = same_bracket && order > 0;
      if (op == "$gte") ok = same_bracket && order >= 0;
      if (op == "$lt") ok = same_bracket && order < 0;
      if (op == "$lte") ok = same_bracket && order <= 0;
      if (!ok) return false;
    }
    return true;
  }

  DocumentView condition_;
};

ElementPredicateFactory TestFactory() {
  return [](DocumentView condition) -> absl::StatusOr<std::unique_ptr<ElementPredicate>> {
    return std::make_unique<TestPredicate>(condition);
  };
}

// ---- The case table --------------------------------------------------------------------------

struct Case {
  std::string name;
  std::shared_ptr<Document> spec;  // the case's JSON object
};

// gtest prints a case by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::optional<bson_iter_t> Field(const Document& doc, const char* key) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc.bson(), key)) return it;
  return std::nullopt;
}

DocumentView SubDocument(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&it, &length, &data);
  return data == nullptr ? DocumentView() : DocumentView(data, length);
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::ifstream in(std::string(STRATA_TEST_DATA_DIR) + "/projection_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  auto file = Document::FromJson(text.str());
  if (!file.ok()) {
    ADD_FAILURE() << "projection_cases.json: " << file.status();
    return cases;
  }
  bson_iter_t it;
  bson_iter_t list;
  if (!bson_iter_init_find(&it, file->bson(), "cases") || !bson_iter_recurse(&it, &list)) {
    return cases;
  }
  while (bson_iter_next(&list)) {
    auto doc = std::make_shared<Document>(Document::Copy(SubDocument(list)));
    auto name = Field(*doc, "name");
    cases.push_back(Case{name ? bson_iter_utf8(&*name, nullptr) : "unnamed", doc});
  }
  return cases;
}

const std::vector<Case>& AllCases() {
  static const auto* const kCases = new std::vector<Case>(LoadCases());
  return *kCases;
}

void ExpectError(const absl::Status& status, const Document& spec, const char* key) {
  auto error = Field(spec, key);
  ASSERT_TRUE(error.has_value());
  Document expected = Document::Copy(SubDocument(*error));
  auto code = Field(expected, "code");
  auto message = Field(expected, "message");
  ASSERT_TRUE(code.has_value() && message.has_value());
  ASSERT_FALSE(status.ok()) << "expected an error";
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), bson_iter_as_int64(&*code)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(bson_iter_utf8(&*message, nullptr)));
}

class ProjectionCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(ProjectionCaseTest, ProducesDocumentedResult) {
  const Document& spec = *GetParam().spec;
  auto projection_field = Field(spec, "projection");
  ASSERT_TRUE(projection_field.has_value());
  ProjectionParseOptions options;
  if (auto query = Field(spec, "query")) options.query = SubDocument(*query);
  options.elem_match_factory = TestFactory();

  auto projection = Projection::Parse(SubDocument(*projection_field), options);
  if (Field(spec, "error")) {
    ExpectError(projection.status(), spec, "error");
    return;
  }
  ASSERT_OK(projection);

  auto doc = Field(spec, "doc");
  ASSERT_TRUE(doc.has_value());
  std::optional<size_t> positional;
  if (auto index = Field(spec, "positional")) positional = bson_iter_as_int64(&*index);
  auto result = projection->Apply(SubDocument(*doc), positional);
  if (Field(spec, "apply_error")) {
    ExpectError(result.status(), spec, "apply_error");
    return;
  }
  ASSERT_OK(result);
  auto expect = Field(spec, "expect");
  ASSERT_TRUE(expect.has_value());
  DocumentView want = SubDocument(*expect);
  EXPECT_TRUE(result->view().BytesEqual(want)) << "got  " << result->ToJson(JsonMode::kCanonical)
                                               << "\nwant " << want.ToJson(JsonMode::kCanonical);
}

INSTANTIATE_TEST_SUITE_P(Cases, ProjectionCaseTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(ProjectionCases, TableIsComplete) {
  EXPECT_GE(AllCases().size(), 80u);
  int errors = 0;
  for (const Case& c : AllCases()) {
    if (Field(*c.spec, "error") || Field(*c.spec, "apply_error")) ++errors;
  }
  EXPECT_GE(errors, 30);
}

// ---- Contracts -------------------------------------------------------------------------------

absl::StatusOr<Projection> ParseJson(std::string_view json, ProjectionParseOptions options = {}) {
  Document spec = Json(json);
  return Projection::Parse(spec.view(), options);
}

TEST(ProjectionTest, ReportsItsKind) {
  ProjectionParseOptions options;
  options.elem_match_factory = TestFactory();
  options.query = DocumentView();

  struct Kind {
    const char* spec;
    bool inclusion;
    bool identity;
  };
  for (const Kind& kind :
       {Kind{"{}", false, true}, Kind{R"({"a": 1})", true, false},
        Kind{R"({"a": 0})", false, false}, Kind{R"({"_id": 0})", false, false},
        Kind{R"({"_id": 1})", true, false}, Kind{R"({"a": {"$slice": 1}})", false, false},
        Kind{R"({"a": {"$elemMatch": {"$gt": 1}}})", true, false},
        Kind{R"({"a": "literal"})", true, false}}) {
    auto projection = ParseJson(kind.spec, options);
    ASSERT_OK(projection) << kind.spec;
    EXPECT_EQ(projection->is_inclusion(), kind.inclusion) << kind.spec;
    EXPECT_EQ(projection->is_identity(), kind.identity) << kind.spec;
  }
}

TEST(ProjectionTest, FlagsPositionalAndElemMatch) {
  ProjectionParseOptions options;
  Document query = Json(R"({"a": 1})");
  options.query = query.view();
  options.elem_match_factory = TestFactory();
  auto positional = ParseJson(R"({"a.$": 1})", options);
  ASSERT_OK(positional);
  EXPECT_TRUE(positional->has_positional());
  EXPECT_FALSE(positional->has_elem_match());
  auto elem_match = ParseJson(R"({"b": {"$elemMatch": {"$gt": 1}}})", options);
  ASSERT_OK(elem_match);
  EXPECT_FALSE(elem_match->has_positional());
  EXPECT_TRUE(elem_match->has_elem_match());
}

TEST(ProjectionTest, ElemMatchWithoutFactoryIsNotImplemented) {
  EXPECT_THAT(ParseJson(R"({"a": {"$elemMatch": {"$gt": 1}}})"),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("$elemMatch")));
}

TEST(ProjectionTest, FactoryErrorsArePassedOn) {
  ProjectionParseOptions options;
  options.elem_match_factory =
      [](DocumentView) -> absl::StatusOr<std::unique_ptr<ElementPredicate>> {
    return MongoError(ErrorCode::kBadValue, "unknown operator: $bogus");
  };
  auto projection = ParseJson(R"({"a": {"$elemMatch": {"$bogus": 1}}})", options);
  EXPECT_THAT(projection, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("$bogus")));
  EXPECT_EQ(ErrorCodeOf(projection.status()), ErrorCode::kBadValue);
}

TEST(ProjectionTest, ConditionOutlivesTheSpecDocument) {
  ProjectionParseOptions options;
  options.elem_match_factory = TestFactory();  // borrows the condition view
  std::optional<Projection> projection;
  {
    Document spec = Json(R"({"a": {"$elemMatch": {"$gte": 3}}})");
    auto parsed = Projection::Parse(spec.view(), options);
    ASSERT_OK(parsed);
    projection.emplace(std::move(*parsed));
  }  // the spec document is gone; the projection keeps its own copy
  Projection moved = std::move(*projection);
  projection.reset();
  Document doc = Json(R"({"_id": 1, "a": [1, 4, 3]})");
  auto result = moved.Apply(doc.view());
  ASSERT_OK(result);
  EXPECT_TRUE(result->view().BytesEqual(Json(R"({"_id": 1, "a": [4]})").view()))
      << result->ToJson();
}

TEST(ProjectionTest, LiteralsOutliveTheSpecDocument) {
  std::optional<Projection> projection;
  {
    Document spec = Json(R"({"x": "literal", "y": [1, {"z": "nested"}]})");
    auto parsed = Projection::Parse(spec.view());
    ASSERT_OK(parsed);
    projection.emplace(std::move(*parsed));
  }
  Document doc = Json(R"({"_id": 7})");
  auto result = projection->Apply(doc.view());
  ASSERT_OK(result);
  EXPECT_TRUE(result->view().BytesEqual(
      Json(R"({"_id": 7, "x": "literal", "y": [1, {"z": "nested"}]})").view()))
      << result->ToJson();
}

TEST(ProjectionTest, ResultOwnsItsBytes) {
  auto projection = ParseJson(R"({"a": 1})");
  ASSERT_OK(projection);
  std::optional<Document> result;
  {
    Document doc = Json(R"({"_id": 1, "a": {"b": "text"}, "c": 2})");
    auto applied = projection->Apply(doc.view());
    ASSERT_OK(applied);
    result.emplace(std::move(*applied));
  }
  EXPECT_TRUE(result->view().BytesEqual(Json(R"({"_id": 1, "a": {"b": "text"}})").view()));
}

TEST(ProjectionTest, OneProjectionManyDocuments) {
  auto projection = ParseJson(R"({"a.b": 1, "_id": 0})");
  ASSERT_OK(projection);
  const char* docs[][2] = {
      {R"({"a": {"b": 1, "c": 2}})", R"({"a": {"b": 1}})"},
      {R"({"a": [{"b": 1}, 2, {"c": 3}]})", R"({"a": [{"b": 1}, {}]})"},
      {R"({"x": 1})", R"({})"},
      {R"({"a": "scalar"})", R"({})"},
  };
  for (const auto& [in, want] : docs) {
    auto result = projection->Apply(Json(in).view());
    ASSERT_OK(result);
    EXPECT_TRUE(result->view().BytesEqual(Json(want).view())) << in << " -> " << result->ToJson();
  }
}

TEST(ProjectionTest, InvalidSpecBytesFailToParse) {
  const uint8_t garbage[] = {3, 0, 0, 0};
  EXPECT_FALSE(Projection::Parse(DocumentView(garbage, sizeof(garbage))).ok());
}

}  // namespace
}  // namespace strata::query::projection
