// Runs the table of update cases in tests/data/update_cases.json.
//
// Each case: {name, doc, update, arrayFilters?, positional?, upsert?, query?,
//             expected | error: {code, contains}, modified?}
//   - doc: the stored document (omitted for upserts);
//   - upsert: true → the document is BuildUpsertSeed(query) and the update runs as an insert
//     ($setOnInsert applies); without `update` the case checks the seed alone;
//   - positional: the array index the query matched (for `$`);
//   - $currentDate writes 2024-01-01T00:00:00Z (timestamp increment 1);
//   - expected is compared byte for byte (field order and number types included);
//   - modified defaults to "expected differs from doc";
//   - libbson's JSON reader takes {"$type": …} for legacy binary, so the file spells the
//     key "%type" and the runner renames it to "$type" ($currentDate {$type: "date"}).
// Expected results are written from MongoDB's documented behaviour.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "query/update/update_plan.h"
#include "tests/support/test_util.h"
#include "tests/update/test_predicate.h"

namespace strata::query::update {
namespace {

struct Case {
  std::string name;
  std::string bson;  // the case document's bytes
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> LoadCases() {
  std::ifstream in(std::string(STRATA_TEST_DATA_DIR) + "/update_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Document> file = Document::FromJson(text.str());
  std::vector<Case> cases;
  if (!file.ok()) {
    ADD_FAILURE() << file.status();
    cases.push_back({"unreadable_case_file", ""});
    return cases;
  }
  bson_iter_t it;
  bson_iter_t list;
  if (!bson_iter_init_find(&it, file->bson(), "cases") || !bson_iter_recurse(&it, &list)) {
    cases.push_back({"case_file_without_cases", ""});
    return cases;
  }
  while (bson_iter_next(&list)) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&list, &length, &data);
    DocumentView view(data, length);
    bson_t doc;
    view.AsBson(&doc);
    bson_iter_t name;
    std::string case_name = "unnamed";
    if (bson_iter_init_find(&name, &doc, "name")) case_name = bson_iter_utf8(&name, nullptr);
    cases.push_back({case_name, std::string(reinterpret_cast<const char*>(data), length)});
  }
  return cases;
}

// The sub-document (or array, as a document) at `key`, when present.
bool Field(const Document& doc, const char* key, bson_iter_t* out) {
  return bson_iter_init_find(out, doc.bson(), key);
}

Document SubDocument(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &length, &data);
  } else {
    bson_iter_array(&it, &length, &data);
  }
  return Document::Copy(DocumentView(data, length));
}

// Copies `src` renaming every "%type" key to "$type".
void CopyRenamingType(const bson_t* src, bson_t* dst) {
  bson_iter_t it;
  bson_iter_init(&it, src);
  while (bson_iter_next(&it)) {
    const std::string key =
        bson_iter_key(&it) == std::string("%type") ? "$type" : bson_iter_key(&it);
    if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_t child_src;
      bson_t child_dst;
      const bool array = BSON_ITER_HOLDS_ARRAY(&it);
      if (array) {
        bson_iter_array(&it, &length, &data);
        bson_append_array_begin(dst, key.c_str(), -1, &child_dst);
      } else {
        bson_iter_document(&it, &length, &data);
        bson_append_document_begin(dst, key.c_str(), -1, &child_dst);
      }
      bson_init_static(&child_src, data, length);
      CopyRenamingType(&child_src, &child_dst);
      if (array) {
        bson_append_array_end(dst, &child_dst);
      } else {
        bson_append_document_end(dst, &child_dst);
      }
    } else {
      bson_append_iter(dst, key.c_str(), -1, &it);
    }
  }
}

class UpdateCorpusTest : public ::testing::TestWithParam<Case> {};

TEST_P(UpdateCorpusTest, Case) {
  const Case& c = GetParam();
  ASSERT_GT(c.bson.size(), 5u) << "unreadable case file: " << c.name;
  const Document spec =
      Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(c.bson.data()), c.bson.size()));

  bson_iter_t it;
  const bool upsert = Field(spec, "upsert", &it) && bson_iter_as_bool(&it);
  Document doc;
  if (upsert) {
    ASSERT_TRUE(Field(spec, "query", &it)) << "upsert case without query";
    absl::StatusOr<Document> seed = BuildUpsertSeed(SubDocument(it).view());
    if (!seed.ok()) {
      ASSERT_TRUE(Field(spec, "error", &it)) << "unexpected error " << seed.status();
      Document error = SubDocument(it);
      bson_iter_t code;
      bson_iter_t contains;
      ASSERT_TRUE(Field(error, "code", &code) && Field(error, "contains", &contains));
      EXPECT_EQ(static_cast<int>(ErrorCodeOf(seed.status())), bson_iter_as_int64(&code))
          << seed.status();
      EXPECT_THAT(std::string(seed.status().message()),
                  ::testing::HasSubstr(bson_iter_utf8(&contains, nullptr)));
      return;
    }
    doc = std::move(seed).value();
  } else {
    ASSERT_TRUE(Field(spec, "doc", &it)) << "case without doc";
    doc = SubDocument(it);
  }

  UpdateParseOptions options;
  std::vector<Document> filters;
  if (Field(spec, "arrayFilters", &it)) {
    bson_iter_t list;
    bson_iter_recurse(&it, &list);
    while (bson_iter_next(&list)) filters.push_back(SubDocument(list));
  }
  for (const Document& filter : filters) options.array_filters.push_back(filter.view());
  options.predicate_factory = testing::TestPredicateFactory();

  ApplyContext ctx;
  ctx.is_upsert_insert = upsert;
  ctx.now = absl::FromUnixSeconds(1704067200);  // 2024-01-01T00:00:00Z
  if (Field(spec, "positional", &it)) {
    ctx.positional_index = static_cast<size_t>(bson_iter_as_int64(&it));
  }

  absl::StatusOr<UpdateOutcome> outcome = absl::InternalError("no update");
  if (Field(spec, "update", &it)) {
    Document update;
    CopyRenamingType(SubDocument(it).bson(), update.mutable_bson());
    absl::StatusOr<UpdatePlan> plan = UpdatePlan::Parse(update.view(), options);
    if (plan.ok()) {
      outcome = plan->Apply(doc.view(), ctx);
    } else {
      outcome = plan.status();
    }
  } else {
    outcome = UpdateOutcome{doc.Clone(), false};  // a seed-only case
  }

  if (Field(spec, "error", &it)) {
    Document error = SubDocument(it);
    bson_iter_t code;
    bson_iter_t contains;
    ASSERT_TRUE(Field(error, "code", &code) && Field(error, "contains", &contains));
    ASSERT_FALSE(outcome.ok()) << "expected an error, got " << outcome->result.ToJson();
    EXPECT_EQ(static_cast<int>(ErrorCodeOf(outcome.status())), bson_iter_as_int64(&code))
        << outcome.status();
    EXPECT_THAT(std::string(outcome.status().message()),
                ::testing::HasSubstr(bson_iter_utf8(&contains, nullptr)));
    return;
  }
  ASSERT_TRUE(Field(spec, "expected", &it)) << "case without expected or error";
  const Document expected = SubDocument(it);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->result.view().BytesEqual(expected.view()))
      << "\n  got:      " << outcome->result.ToJson(JsonMode::kCanonical)
      << "\n  expected: " << expected.ToJson(JsonMode::kCanonical);
  if (Field(spec, "update", &it)) {
    bool modified = !expected.view().BytesEqual(doc.view());
    if (Field(spec, "modified", &it)) modified = bson_iter_as_bool(&it);
    EXPECT_EQ(outcome->modified, modified);
  }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name;
  for (char ch : info.param.name) {
    name.push_back((std::isalnum(static_cast<unsigned char>(ch)) != 0) ? ch : '_');
  }
  return name.empty() ? absl::StrCat("case", info.index) : name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, UpdateCorpusTest, ::testing::ValuesIn(LoadCases()), CaseName);

}  // namespace
}  // namespace strata::query::update
