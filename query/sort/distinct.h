// The `distinct` command's value extraction and de-duplication.
//
// MongoDB's semantics (collection-scan distinct):
//   - The values at a dotted path are collected from each document: through embedded
//     documents, and through arrays met on the way (each element that is a document or an array
//     is searched for the rest of the path; an all-digit component selects an element by
//     position instead). A field whose full name is the remaining path ("a.b" as one name) is
//     taken first.
//   - When the path ends at an array, its elements count individually (one level: an array
//     inside it is one value); an empty array contributes nothing; a missing path contributes
//     nothing (no null).
//   - Values are distinct under MongoDB equality (1, 1.0 and NumberDecimal("1.00") are one
//     value; the first one seen is kept, with its type).
// MongoDB documents no order for distinct's result; DistinctSet returns the values in BSON sort
// order (key-string order), which is also what a collection scan in MongoDB produces.
//
// Thread safety: none; one DistinctSet belongs to one command.
#ifndef STRATA_QUERY_SORT_DISTINCT_H_
#define STRATA_QUERY_SORT_DISTINCT_H_

#include <bson/bson.h>

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::query::sort {

class DistinctSet {
 public:
  // The largest total size of the values (MongoDB's 16 MB reply cap for distinct).
  static constexpr size_t kDefaultMaxBytes = 16 * 1024 * 1024;

  explicit DistinctSet(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  // Adds the value at `value` unless an equal value is already held. Fails with code 17217
  // "distinct too big, 16mb cap" once the held values exceed the cap.
  absl::Status Add(const bson_iter_t& value);

  size_t size() const { return values_.size(); }
  size_t bytes() const { return bytes_; }

  // Appends the values, in key-string order, as the array field `field` of `out`.
  void AppendArray(bson_t* out, absl::string_view field) const;

  // The values as a document {"0": v0, "1": v1, …} (the bytes of a BSON array).
  Document ToArrayDocument() const;

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::map<std::string, Document> values_;  // key string → {"": value}
};

// Adds the values `path` reaches in `doc` to `out` (see above). Fails only when `out` does.
absl::Status CollectDistinctValues(DocumentView doc, absl::string_view path, DistinctSet* out);

}  // namespace strata::query::sort

#endif  // STRATA_QUERY_SORT_DISTINCT_H_
