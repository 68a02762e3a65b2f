// Table-driven tests of aggregation expressions (query/expression): every case in
// tests/data/expression_cases.json, then API contracts (variables, $expr adapter, objects).
#include "query/expression/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error_codes.h"
#include "query/expression/expr_match.h"
#include "query/match/parser.h"
#include "tests/support/test_util.h"

namespace strata::query::expression {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

struct Case {
  std::string name;
  std::shared_ptr<Document> file;  // keeps the bytes alive
  bson_iter_t spec;                // the case object
};

// libbson's JSON reader takes {"$type": …} for legacy binary, so the corpus spells the $type
// operator "%type"; this copies a document renaming such keys back.
void CopyRenaming(const bson_t* in, bson_t* out) {
  bson_iter_t it;
  bson_iter_init(&it, in);
  while (bson_iter_next(&it)) {
    std::string key = bson_iter_key(&it);
    if (key == "%type") key = "$type";
    if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
      } else {
        bson_iter_array(&it, &len, &data);
      }
      bson_t child_in, child_out;
      bson_init_static(&child_in, data, len);
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_append_document_begin(out, key.c_str(), -1, &child_out);
        CopyRenaming(&child_in, &child_out);
        bson_append_document_end(out, &child_out);
      } else {
        bson_append_array_begin(out, key.c_str(), -1, &child_out);
        CopyRenaming(&child_in, &child_out);
        bson_append_array_end(out, &child_out);
      }
    } else {
      bson_append_iter(out, key.c_str(), -1, &it);
    }
  }
}

std::shared_ptr<Document> LoadFile() {
  std::ifstream in(std::string(STRATA_TEST_DATA_DIR) + "/expression_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  auto file = Document::FromJson(text.str());
  if (!file.ok()) {
    ADD_FAILURE() << "expression_cases.json: " << file.status();
    return std::make_shared<Document>();
  }
  auto renamed = std::make_shared<Document>();
  CopyRenaming(file->bson(), renamed->mutable_bson());
  return renamed;
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  auto file = LoadFile();
  bson_iter_t it, list;
  if (!bson_iter_init_find(&it, file->bson(), "cases") || !bson_iter_recurse(&it, &list)) {
    return cases;
  }
  while (bson_iter_next(&list)) {
    bson_iter_t name;
    std::string n = "unnamed";
    if (bson_iter_recurse(&list, &name) && bson_iter_find(&name, "name")) {
      n = bson_iter_utf8(&name, nullptr);
    }
    cases.push_back(Case{n, file, list});
  }
  return cases;
}

bool Find(const bson_iter_t& obj, const char* key, bson_iter_t* out) {
  return bson_iter_recurse(&obj, out) && bson_iter_find(out, key);
}

DocumentView ViewOf(const bson_iter_t& it) {
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&it, &len, &data);
  return DocumentView(data, len);
}

// {"v": value} documents compare type-exactly with BytesEqual.
Document Wrap(const Value& v) {
  Document d;
  v.AppendTo(d.mutable_bson(), "v");
  return d;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ExpressionCorpusTest : public ::testing::TestWithParam<Case> {};

TEST_P(ExpressionCorpusTest, Case) {
  const Case& c = GetParam();
  bson_iter_t expr, doc_it, vars, expected, error, now, missing;
  ASSERT_TRUE(Find(c.spec, "expr", &expr)) << c.name << ": no expr";
  Document empty;
  DocumentView doc = empty.view();
  if (Find(c.spec, "doc", &doc_it)) doc = ViewOf(doc_it);
  ParseContext pctx;
  std::vector<std::pair<VariableId, Value>> bindings;
  if (Find(c.spec, "vars", &vars)) {
    bson_iter_t v;
    bson_iter_recurse(&vars, &v);
    while (bson_iter_next(&v)) {
      auto id = pctx.DefineVariable(bson_iter_key(&v));
      ASSERT_OK(id);
      bindings.emplace_back(*id, Value::FromIter(v));
    }
  }
  int64_t now_ms = 1577836800000;  // 2020-01-01T00:00:00Z
  if (Find(c.spec, "now", &now)) now_ms = bson_iter_date_time(&now);
  EvalContext ectx(now_ms);
  for (auto& [id, value] : bindings) ectx.SetVariable(id, value);

  absl::StatusOr<Value> result;
  auto parsed = ParseExpression(expr, pctx);
  if (parsed.ok()) {
    result = Evaluate(**parsed, doc, ectx);
  } else {
    result = parsed.status();
  }

  if (Find(c.spec, "error", &error)) {
    ASSERT_FALSE(result.ok()) << c.name << ": expected an error, got " << result->DebugString();
    bson_iter_t code, contains;
    if (Find(error, "code", &code)) {
      EXPECT_EQ(static_cast<int>(ErrorCodeOf(result.status())), bson_iter_as_int64(&code))
          << c.name << ": " << result.status();
    }
    if (Find(error, "contains", &contains)) {
      EXPECT_THAT(std::string(result.status().message()),
                  HasSubstr(bson_iter_utf8(&contains, nullptr)))
          << c.name;
    }
    return;
  }
  ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
  if (Find(c.spec, "missing", &missing)) {
    EXPECT_TRUE(result->missing()) << c.name << ": got " << result->DebugString();
    return;
  }
  ASSERT_TRUE(Find(c.spec, "expected", &expected)) << c.name << ": no expected";
  const Document got = Wrap(*result);
  const Document want = Wrap(Value::FromIter(expected));
  EXPECT_TRUE(got.view().BytesEqual(want.view()))
      << c.name << "\n got  " << got.ToJson(JsonMode::kCanonical) << "\n want "
      << want.ToJson(JsonMode::kCanonical);
}

INSTANTIATE_TEST_SUITE_P(Corpus, ExpressionCorpusTest, ::testing::ValuesIn(LoadCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n + "_" + std::to_string(info.index);
                         });

TEST(ExpressionCorpus, HasAtLeast300Cases) { EXPECT_GE(LoadCases().size(), 300u); }

// ---- API contracts ----

absl::StatusOr<ExpressionPtr> ParseJson(const std::string& json, ParseContext& ctx,
                                        Document* holder) {
  *holder = Json("{\"e\": " + json + "}");
  bson_iter_t it;
  bson_iter_init_find(&it, holder->bson(), "e");
  return ParseExpression(it, ctx);
}

TEST(Expression, TreeDoesNotBorrowTheSpec) {
  ParseContext ctx;
  ExpressionPtr e;
  {
    Document spec;
    auto parsed = ParseJson(R"({"$concat": ["a", {"$literal": "$b"}]})", ctx, &spec);
    ASSERT_OK(parsed);
    e = std::move(parsed).value();
  }  // spec destroyed
  EvalContext ectx;
  Document doc;
  auto v = Evaluate(*e, doc.view(), ectx);
  ASSERT_OK(v);
  EXPECT_EQ(v->str(), "a$b");
}

TEST(Expression, FieldPathBorrowsTheDocument) {
  ParseContext ctx;
  Document spec;
  auto e = ParseJson(R"("$a.b")", ctx, &spec);
  ASSERT_OK(e);
  Document doc = Json(R"({"a": {"b": "text"}})");
  EvalContext ectx;
  auto v = Evaluate(**e, doc.view(), ectx);
  ASSERT_OK(v);
  EXPECT_EQ(v->owner(), nullptr);  // no copy
  EXPECT_GE(v->str().data(), reinterpret_cast<const char*>(doc.data()));
  EXPECT_LT(v->str().data(), reinterpret_cast<const char*>(doc.data() + doc.size()));
  Value owned = v->Owned();
  EXPECT_NE(owned.owner(), nullptr);
  EXPECT_EQ(owned.str(), "text");
}

TEST(Expression, DefinedVariablesAndScopes) {
  ParseContext ctx;
  auto id = ctx.DefineVariable("limit");
  ASSERT_OK(id);
  EXPECT_THAT(ctx.DefineVariable("Bad"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("starts with an invalid character")));
  Document spec;
  auto e = ParseJson(R"({"$filter": {"input": "$xs", "cond": {"$lt": ["$$this", "$$limit"]}}})",
                     ctx, &spec);
  ASSERT_OK(e);
  EvalContext ectx;
  ectx.SetVariable(*id, Value::Int32(3));
  Document doc = Json(R"({"xs": [1, 5, 2, 7]})");
  auto v = Evaluate(**e, doc.view(), ectx);
  ASSERT_OK(v);
  EXPECT_EQ(v->DebugString(), "[1, 2]");
  // $$this is out of scope after the $filter.
  Document spec2;
  auto bad = ParseJson(R"("$$this")", ctx, &spec2);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(bad.status())), 17276);
}

TEST(Expression, ObjectExpressionForProject) {
  ParseContext ctx;
  Document spec =
      Json(R"({"total": {"$add": ["$a", "$b"]}, "gone": "$$REMOVE", "n": {"x": "$a"}})");
  auto e = ParseObjectExpression(spec.view(), ctx);
  ASSERT_OK(e);
  Document doc = Json(R"({"a": 1, "b": 2})");
  EvalContext ectx;
  auto v = Evaluate(**e, doc.view(), ectx);
  ASSERT_OK(v);
  ASSERT_TRUE(v->is_document());
  EXPECT_TRUE(v->doc().BytesEqual(Json(R"({"total": 3, "n": {"x": 1}})").view()))
      << v->DebugString();
  EXPECT_FALSE(ParseObjectExpression(Json(R"({"$bad": 1})").view(), ctx).ok());
}

TEST(Expression, NowIsFixedPerContext) {
  ParseContext ctx;
  Document spec;
  auto e = ParseJson(R"({"$eq": ["$$NOW", "$$NOW"]})", ctx, &spec);
  ASSERT_OK(e);
  EvalContext ectx(123);
  Document doc;
  auto v = Evaluate(**e, doc.view(), ectx);
  ASSERT_OK(v);
  EXPECT_TRUE(v->boolean());
}

TEST(Expression, ConcurrentEvaluation) {
  ParseContext ctx;
  Document spec;
  auto e = ParseJson(
      R"({"$reduce": {"input": {"$range": [0, "$n"]}, "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}})",
      ctx, &spec);
  ASSERT_OK(e);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      EvalContext ectx;
      for (int i = 0; i < 200; ++i) {
        Document doc = Json("{\"n\": " + std::to_string(i + t) + "}");
        auto v = Evaluate(**e, doc.view(), ectx);
        const int n = i + t;
        if (!v.ok() || v->int32() != n * (n - 1) / 2) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ExprMatch, PlugsIntoFilters) {
  match::ParseOptions options;
  options.expr_parser = MakeExprParser();
  Document spec = Json(R"({"$expr": {"$gt": ["$spent", "$budget"]}, "kind": "a"})");
  auto filter = match::ParseFilter(spec.view(), options);  // the tree borrows `spec`
  ASSERT_OK(filter);
  EXPECT_TRUE((*filter)->Matches(Json(R"({"kind": "a", "spent": 5, "budget": 3})").view()));
  EXPECT_FALSE((*filter)->Matches(Json(R"({"kind": "a", "spent": 1, "budget": 3})").view()));
  EXPECT_FALSE((*filter)->Matches(Json(R"({"kind": "b", "spent": 5, "budget": 3})").view()));
}

TEST(ExprMatch, TruthinessAndVariables) {
  ExprParserOptions opts;
  opts.variables.emplace_back("min", Value::Int32(10));
  match::ParseOptions options;
  options.expr_parser = MakeExprParser(std::move(opts));
  Document spec = Json(R"({"$or": [{"$expr": "$flag"}, {"$expr": {"$gte": ["$x", "$$min"]}}]})");
  auto f = match::ParseFilter(spec.view(), options);
  ASSERT_OK(f);
  EXPECT_FALSE((*f)->Matches(Json(R"({"flag": 0})").view()));
  EXPECT_FALSE((*f)->Matches(Json(R"({"flag": null})").view()));
  EXPECT_FALSE((*f)->Matches(Json(R"({})").view()));
  EXPECT_TRUE((*f)->Matches(Json(R"({"flag": "no"})").view()));
  EXPECT_TRUE((*f)->Matches(Json(R"({"flag": []})").view()));
  EXPECT_TRUE((*f)->Matches(Json(R"({"x": 10})").view()));
  EXPECT_EQ((*f)->child(0)->type(), match::MatchType::kExternal);
}

TEST(ExprMatch, EvaluationErrorsAreReported) {
  match::ParseOptions options;
  options.expr_parser = MakeExprParser();
  Document spec = Json(R"({"$expr": {"$divide": [1, "$d"]}})");
  auto f = match::ParseFilter(spec.view(), options);
  ASSERT_OK(f);
  Document doc = Json(R"({"d": 0})");
  EXPECT_FALSE((*f)->Matches(doc.view()));
  absl::Status s = FirstEvaluationError(**f, doc.view());
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(s)), 2);
  EXPECT_THAT(std::string(s.message()), HasSubstr("can't $divide by zero"));
  auto bad = match::ParseFilter(Json(R"({"$expr": {"$nope": 1}})").view(), options);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(bad.status())), 168);
}

}  // namespace
}  // namespace strata::query::expression
