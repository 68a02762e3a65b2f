// Helpers shared by the query/match test suites.
#ifndef STRATA_TESTS_QUERY_MATCH_TEST_UTIL_H_
#define STRATA_TESTS_QUERY_MATCH_TEST_UTIL_H_

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "strata/document.h"
#include "tests/support/test_util.h"

namespace strata::query::match::testing {

namespace internal {

// Copies the document at `from` into `to`, renaming keys that start with '%' to start with '$'.
inline void CopyRenaming(bson_iter_t* from, bson_t* to) {
  while (bson_iter_next(from)) {
    std::string key = bson_iter_key(from);
    if (!key.empty() && key[0] == '%') key[0] = '$';
    const bson_type_t type = bson_iter_type(from);
    if (type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY) {
      bson_iter_t child;
      bson_iter_recurse(from, &child);
      bson_t sub;
      if (type == BSON_TYPE_DOCUMENT) {
        bson_append_document_begin(to, key.c_str(), -1, &sub);
        CopyRenaming(&child, &sub);
        bson_append_document_end(to, &sub);
      } else {
        bson_append_array_begin(to, key.c_str(), -1, &sub);
        CopyRenaming(&child, &sub);
        bson_append_array_end(to, &sub);
      }
    } else {
      bson_append_iter(to, key.c_str(), -1, from);
    }
  }
}

}  // namespace internal

// A filter from Extended JSON. libbson's JSON reader treats some operator names as legacy
// Extended JSON ({"$regex": …, "$options": …} becomes a BSON regex, "$type" belongs to
// "$binary"), so filters spell those operators with '%' ("%regex", "%options", "%type") and
// this renames every key starting with '%' to start with '$'.
inline Document Filter(std::string_view json) {
  Document parsed = strata::testing::Json(json);
  bson_iter_t it;
  bson_t* out = bson_new();
  if (bson_iter_init(&it, parsed.bson())) internal::CopyRenaming(&it, out);
  return Document::Adopt(out);
}

}  // namespace strata::query::match::testing

#endif  // STRATA_TESTS_QUERY_MATCH_TEST_UTIL_H_
