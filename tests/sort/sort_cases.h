// Loading of tests/data/sort_cases.json, shared by the sort and distinct suites.
#ifndef STRATA_TESTS_SORT_SORT_CASES_H_
#define STRATA_TESTS_SORT_SORT_CASES_H_

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "strata/document.h"

namespace strata::query::sort::test_cases {

struct Case {
  std::string name;
  std::shared_ptr<Document> spec;  // the case's JSON object
};

// gtest prints a case by its name.
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

inline std::optional<bson_iter_t> Field(const Document& doc, const char* key) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc.bson(), key)) return it;
  return std::nullopt;
}

// The embedded document or array at `it` as a view (arrays are documents with keys "0", …).
inline DocumentView SubDocument(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_array(&it, &length, &data);
  } else {
    bson_iter_document(&it, &length, &data);
  }
  return data == nullptr ? DocumentView() : DocumentView(data, length);
}

// The cases of list `key` ("sort" or "distinct").
inline std::vector<Case> LoadCases(const char* key) {
  std::vector<Case> cases;
  std::ifstream in(std::string(STRATA_TEST_DATA_DIR) + "/sort_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  auto file = Document::FromJson(text.str());
  if (!file.ok()) {
    ADD_FAILURE() << "sort_cases.json: " << file.status();
    return cases;
  }
  bson_iter_t it;
  bson_iter_t list;
  if (!bson_iter_init_find(&it, file->bson(), key) || !bson_iter_recurse(&it, &list)) {
    return cases;
  }
  while (bson_iter_next(&list)) {
    auto doc = std::make_shared<Document>(Document::Copy(SubDocument(list)));
    auto name = Field(*doc, "name");
    cases.push_back(Case{name ? bson_iter_utf8(&*name, nullptr) : "unnamed", doc});
  }
  return cases;
}

}  // namespace strata::query::sort::test_cases

#endif  // STRATA_TESTS_SORT_SORT_CASES_H_
