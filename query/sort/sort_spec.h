// Sort specifications ({a: 1, "b.c": -1}) and sort keys: byte strings whose memcmp order is
// MongoDB's sort order for the documents they were made from.
//
// MongoDB's semantics (find and $sort):
//   - Each field is ascending (1) or descending (-1); values compare in BSON type order
//     (document/compare.h); a missing field sorts as null.
//   - A document whose sort paths reach arrays sorts by the keys an index on the sort pattern
//     would hold for it (arrays expanded one level, implicitly through arrays of documents for
//     dotted paths, "a.0" selecting by position), taking the smallest under the pattern's
//     ordering: for one field, the minimum element for ascending and the maximum for
//     descending. An empty array sorts as `undefined`, i.e. before null and missing; an
//     element without the rest of a dotted path gives null ({a: [{b: 1}, {}]} has keys 1 and
//     null for "a.b"). Two fields that reach different arrays are an error ("cannot sort with
//     keys that are parallel arrays").
//   - Documents with equal keys are ties: MongoDB promises no order among them. SortBuffer
//     (sort_buffer.h) keeps arrival order for ties, which is what users expect.
//
// Encoding: the key is the concatenation, per sort field, of document::AppendKeyString
// (ascending) or AppendKeyStringDescending of the chosen value. Key strings are prefix-free,
// so comparing concatenations compares field by field.
//
// Thread safety: a SortSpec is immutable after Parse; SortKey may run concurrently.
#ifndef STRATA_QUERY_SORT_SORT_SPEC_H_
#define STRATA_QUERY_SORT_SORT_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::query::sort {

class SortSpec {
 public:
  // Parses a sort document. Errors (MongoDB's codes and messages): 15974 "Illegal key in $sort
  // specification: a: \"x\"" for a non-number; 15975 "$sort key ordering must be 1 (for
  // ascending) or -1 (for descending)"; FieldPath errors for bad paths (40352, 15998, 16410);
  // 7472500 for a repeated path; 17312 / 9 / 31138 for malformed {$meta: …}; a valid
  // {$meta: "textScore"} (or another meta sort) is NotImplemented. {$natural: 1|-1} alone
  // parses to an empty spec with natural_direction() set (the planner scans in that
  // direction); $natural beside other fields is NotImplemented. The empty sort {} is valid and
  // sorts nothing.
  static absl::StatusOr<SortSpec> Parse(DocumentView sort);

  // The sort key of `doc`. Fails with BadValue "cannot sort with keys that are parallel arrays"
  // when two sort paths reach different arrays in the document.
  absl::StatusOr<std::string> SortKey(DocumentView doc) const;

  // True when there is nothing to sort by (every key is empty).
  bool empty() const { return fields_.empty(); }
  // Number of sort fields.
  size_t size() const { return fields_.size(); }
  // +1 or -1 for {$natural: ±1}; 0 otherwise.
  int natural_direction() const { return natural_direction_; }

  struct Field {
    std::string path;  // dotted, as written
    bool ascending;
  };
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<Field> fields_;
  int natural_direction_ = 0;
};

}  // namespace strata::query::sort

#endif  // STRATA_QUERY_SORT_SORT_SPEC_H_
