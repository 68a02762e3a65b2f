// $jsonSchema: the table of cases in tests/data/json_schema_cases.json (schema × document →
// valid, errInfo.details subset, or parse error), then the API's contracts (ownership, values,
// the matcher hook).
#include "query/validation/json_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error_codes.h"
#include "document/compare.h"
#include "query/match/parser.h"
#include "query/validation/json_schema_match.h"
#include "tests/support/test_util.h"

namespace strata::query::validation {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

struct Case {
  std::string name;
  bool is_filter = false;
  Document schema;  // or the filter
  Document doc;
  bool valid = false;
  bool has_details = false;
  Document details;
  bool has_error = false;
  int error_code = 0;
  std::string error_message;
};

Document SubDocument(const bson_iter_t& it) {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  bson_iter_document(&it, &len, &data);
  return Document::Copy(DocumentView(data, len));
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::ifstream in(std::string(STRATA_TEST_DATA_DIR) + "/json_schema_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  auto file = Document::FromJson(text.str());
  if (!file.ok()) {
    ADD_FAILURE() << "json_schema_cases.json: " << file.status();
    return cases;
  }
  bson_iter_t it;
  bson_iter_t list;
  if (!bson_iter_init_find(&it, file->bson(), "cases") || !bson_iter_recurse(&it, &list)) {
    ADD_FAILURE() << "json_schema_cases.json has no cases array";
    return cases;
  }
  while (bson_iter_next(&list)) {
    Case c;
    bson_iter_t field;
    bson_iter_recurse(&list, &field);
    while (bson_iter_next(&field)) {
      const std::string key = bson_iter_key(&field);
      if (key == "name") {
        c.name = bson_iter_utf8(&field, nullptr);
      } else if (key == "schema" || key == "filter") {
        c.is_filter = key == "filter";
        c.schema = SubDocument(field);
      } else if (key == "doc") {
        c.doc = SubDocument(field);
      } else if (key == "valid") {
        c.valid = bson_iter_bool(&field);
      } else if (key == "details") {
        c.has_details = true;
        c.details = SubDocument(field);
      } else if (key == "error") {
        c.has_error = true;
        bson_iter_t e;
        bson_iter_recurse(&field, &e);
        while (bson_iter_next(&e)) {
          if (std::string(bson_iter_key(&e)) == "code") c.error_code = bson_iter_int32(&e);
          if (std::string(bson_iter_key(&e)) == "message")
            c.error_message = bson_iter_utf8(&e, nullptr);
        }
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<Case>& Cases() {
  static const auto* const kCases = new std::vector<Case>(LoadCases());
  return *kCases;
}

// Whether `actual` contains `expected`: documents may omit keys, arrays must have the same
// length (element-wise containment), scalars compare as MongoDB values (1 == 1.0).
bool Contains(const bson_iter_t& actual, const bson_iter_t& expected, std::string* why,
              const std::string& path);

bool ContainsDocument(const bson_iter_t& actual, const bson_iter_t& expected, std::string* why,
                      const std::string& path) {
  bson_iter_t e;
  bson_iter_recurse(&expected, &e);
  while (bson_iter_next(&e)) {
    bson_iter_t a;
    bson_iter_recurse(&actual, &a);
    const std::string key = bson_iter_key(&e);
    if (!bson_iter_find(&a, key.c_str())) {
      *why = "missing " + path + "." + key;
      return false;
    }
    if (!Contains(a, e, why, path + "." + key)) return false;
  }
  return true;
}

bool ContainsArray(const bson_iter_t& actual, const bson_iter_t& expected, std::string* why,
                   const std::string& path) {
  bson_iter_t a;
  bson_iter_t e;
  bson_iter_recurse(&actual, &a);
  bson_iter_recurse(&expected, &e);
  int i = 0;
  while (true) {
    const bool more_a = bson_iter_next(&a);
    const bool more_e = bson_iter_next(&e);
    if (more_a != more_e) {
      *why = "array length differs at " + path;
      return false;
    }
    if (!more_a) return true;
    if (!Contains(a, e, why, path + "." + std::to_string(i++))) return false;
  }
}

bool Contains(const bson_iter_t& actual, const bson_iter_t& expected, std::string* why,
              const std::string& path) {
  const bson_type_t ta = bson_iter_type(&actual);
  const bson_type_t te = bson_iter_type(&expected);
  if (te == BSON_TYPE_DOCUMENT && ta == BSON_TYPE_DOCUMENT) {
    return ContainsDocument(actual, expected, why, path);
  }
  if (te == BSON_TYPE_ARRAY && ta == BSON_TYPE_ARRAY) {
    return ContainsArray(actual, expected, why, path);
  }
  if (!document::ValuesEqual(actual, expected)) {
    *why = "value differs at " + path;
    return false;
  }
  return true;
}

// Wraps a document as the value of field "d" so it can be iterated as a value.
Document Wrap(DocumentView view) {
  Document out;
  bson_t inner;
  view.AsBson(&inner);
  bson_append_document(out.mutable_bson(), "d", -1, &inner);
  return out;
}

bool DetailsContain(DocumentView actual, DocumentView expected, std::string* why) {
  Document wa = Wrap(actual);
  Document we = Wrap(expected);
  bson_iter_t a;
  bson_iter_t e;
  bson_iter_init(&a, wa.bson());
  bson_iter_init(&e, we.bson());
  bson_iter_next(&a);
  bson_iter_next(&e);
  return Contains(a, e, why, "details");
}

int RulesCount(DocumentView details) {
  bson_t b;
  details.AsBson(&b);
  bson_iter_t it;
  bson_iter_t arr;
  if (!bson_iter_init_find(&it, &b, "schemaRulesNotSatisfied") || !bson_iter_recurse(&it, &arr)) {
    return -1;
  }
  int n = 0;
  while (bson_iter_next(&arr)) ++n;
  return n;
}

class JsonSchemaCaseTest : public ::testing::TestWithParam<size_t> {};

TEST_P(JsonSchemaCaseTest, Case) {
  const Case& c = Cases()[GetParam()];
  SCOPED_TRACE(c.name + ": " + c.schema.ToJson() + " doc " + c.doc.ToJson());
  if (c.is_filter) {
    auto expr = match::ParseFilter(c.schema.view(), WithJsonSchema());
    if (c.has_error) {
      ASSERT_FALSE(expr.ok());
      EXPECT_EQ(static_cast<int>(ErrorCodeOf(expr.status())), c.error_code) << expr.status();
      EXPECT_THAT(std::string(expr.status().message()), HasSubstr(c.error_message));
      return;
    }
    ASSERT_OK(expr);
    EXPECT_EQ((*expr)->Matches(c.doc.view()), c.valid);
    return;
  }
  auto schema = JsonSchema::Parse(c.schema.view());
  if (c.has_error) {
    ASSERT_FALSE(schema.ok()) << "parsed, expected code " << c.error_code;
    EXPECT_EQ(static_cast<int>(ErrorCodeOf(schema.status())), c.error_code) << schema.status();
    EXPECT_THAT(std::string(schema.status().message()), HasSubstr(c.error_message));
    return;
  }
  ASSERT_OK(schema);
  EXPECT_EQ(schema->Matches(c.doc.view()), c.valid);

  // The explaining path must agree with the fast path.
  Document details = schema->ExplainFailure(c.doc.view());
  SCOPED_TRACE("details " + details.ToJson());
  if (c.valid) {
    EXPECT_EQ(RulesCount(details.view()), 0);
  } else {
    EXPECT_GT(RulesCount(details.view()), 0);
  }
  if (c.has_details) {
    std::string why;
    EXPECT_TRUE(DetailsContain(details.view(), c.details.view(), &why))
        << why << "\nexpected subset " << c.details.ToJson();
  }

  // The same schema through the matcher hook, as a filter.
  Document filter;
  bson_t schema_bson;
  c.schema.view().AsBson(&schema_bson);
  bson_append_document(filter.mutable_bson(), "$jsonSchema", -1, &schema_bson);
  auto expr = match::ParseFilter(filter.view(), WithJsonSchema());
  ASSERT_OK(expr);
  EXPECT_EQ((*expr)->Matches(c.doc.view()), c.valid);
}

std::string CaseName(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = Cases()[info.param].name;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, JsonSchemaCaseTest, ::testing::Range<size_t>(0, Cases().size()),
                         CaseName);

TEST(JsonSchemaCasesFile, HasEnoughCases) {
  size_t errors = 0;
  size_t details = 0;
  for (const Case& c : Cases()) {
    errors += c.has_error;
    details += c.has_details;
  }
  EXPECT_GE(Cases().size(), 150u);
  EXPECT_GE(errors, 30u);
  EXPECT_GE(details, 30u);
}

TEST(JsonSchemaTest, OwnsItsSchema) {
  JsonSchema schema = [] {
    Document temporary = Json(R"({"properties": {"a": {"enum": ["x", "y"], "pattern": "^x"}}})");
    auto parsed = JsonSchema::Parse(temporary.view());
    EXPECT_OK(parsed);
    return *std::move(parsed);
  }();
  EXPECT_TRUE(schema.Matches(Json(R"({"a": "x"})").view()));
  EXPECT_FALSE(schema.Matches(Json(R"({"a": "y"})").view()));
  EXPECT_EQ(schema.schema().ToJson(),
            R"({"properties": {"a": {"enum": ["x", "y"], "pattern": "^x"}}})");
  JsonSchema copy = schema;  // copies share the parsed tree
  EXPECT_FALSE(copy.Matches(Json(R"({"a": "z"})").view()));
}

TEST(JsonSchemaTest, MatchesValue) {
  auto schema = JsonSchema::Parse(Json(R"({"bsonType": "int", "minimum": 3})").view());
  ASSERT_OK(schema);
  Document values = Json(R"({"a": 5, "b": 2, "c": "x"})");
  bson_iter_t it;
  bson_iter_init(&it, values.bson());
  bson_iter_next(&it);
  EXPECT_TRUE(schema->MatchesValue(&it));
  bson_iter_next(&it);
  EXPECT_FALSE(schema->MatchesValue(&it));
  bson_iter_next(&it);
  EXPECT_FALSE(schema->MatchesValue(&it));
  EXPECT_TRUE(schema->MatchesValue(nullptr));
}

TEST(JsonSchemaTest, ExplainFailureShape) {
  auto schema = JsonSchema::Parse(
      Json(R"({"required": ["name"], "properties": {"age": {"bsonType": "int"}}})").view());
  ASSERT_OK(schema);
  Document details = schema->ExplainFailure(Json(R"({"age": "ten"})").view());
  EXPECT_EQ(
      details.ToJson(),
      R"({"operatorName": "$jsonSchema", "schemaRulesNotSatisfied": [)"
      R"({"operatorName": "required", "specifiedAs": {"required": ["name"]}, )"
      R"("missingProperties": ["name"]}, )"
      R"({"operatorName": "properties", "propertiesNotSatisfied": [{"propertyName": "age", )"
      R"("details": [{"operatorName": "bsonType", "specifiedAs": {"bsonType": "int"}, )"
      R"("reason": "type did not match", "consideredValue": "ten", "consideredType": "string"}]}]}]})");
}

TEST(JsonSchemaTest, NonObjectOperandRejected) {
  auto expr = match::ParseFilter(Json(R"({"$jsonSchema": "x"})").view(), WithJsonSchema());
  EXPECT_THAT(expr, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("$jsonSchema must be an object")));
}

TEST(JsonSchemaTest, WithoutHookFilterParserRefuses) {
  auto expr = match::ParseFilter(Json(R"({"$jsonSchema": {}})").view());
  EXPECT_FALSE(expr.ok());
}

TEST(JsonSchemaTest, NodeIsExternalAndPrintable) {
  auto expr =
      match::ParseFilter(Json(R"({"$jsonSchema": {"required": ["a"]}})").view(), WithJsonSchema());
  ASSERT_OK(expr);
  const match::MatchExpression* node = expr->get();
  while (node->type() != match::MatchType::kExternal && node->num_children() == 1) {
    node = node->child(0);
  }
  ASSERT_EQ(node->type(), match::MatchType::kExternal);
  EXPECT_EQ(node->DebugString(), R"($jsonSchema {"required": ["a"]})");
}

TEST(JsonSchemaTest, DepthLimit) {
  // {not: {not: … {}}}, 150 levels, built directly (the JSON reader stops at depth 100).
  constexpr int kLevels = 150;
  bson_t levels[kLevels + 1];
  bson_init(&levels[0]);
  for (int i = 0; i < kLevels; ++i) {
    bson_append_document_begin(&levels[i], "not", -1, &levels[i + 1]);
  }
  for (int i = kLevels; i > 0; --i) bson_append_document_end(&levels[i - 1], &levels[i]);
  auto parsed = JsonSchema::Parse(DocumentView(&levels[0]));
  EXPECT_EQ(ErrorCodeOf(parsed.status()), ErrorCode::kBadValue) << parsed.status();
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("maximum nesting depth"));
  bson_destroy(&levels[0]);
}

TEST(JsonSchemaTest, UnreadableDocumentReadsAsEmpty) {
  auto schema = JsonSchema::Parse(Json(R"({"required": ["a"]})").view());
  ASSERT_OK(schema);
  const uint8_t garbage[] = {3, 0, 0, 0};
  EXPECT_FALSE(schema->Matches(DocumentView(garbage, sizeof(garbage))));
  auto any = JsonSchema::Parse(Json("{}").view());
  ASSERT_OK(any);
  EXPECT_TRUE(any->Matches(DocumentView(garbage, sizeof(garbage))));
}

}  // namespace
}  // namespace strata::query::validation
