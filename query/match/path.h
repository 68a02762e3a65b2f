// Dotted field paths and MongoDB's implicit array traversal, the one place that decides which
// values a path like "a.b.0.c" reaches inside a document.
//
// The values a path reaches (MongoDB's semantics, which every path predicate of the matcher
// shares):
//   - Components are looked up field by field through embedded documents. A component that
//     is missing, or that would need to look inside a scalar, reaches "missing" (reported as a
//     null value pointer: {a: null} and $exists rely on it).
//   - When a component's value is an array and the path goes on, every element is examined:
//       * an element that is a document is searched for the REST of the path (one level of
//         implicit traversal per component: arrays of arrays are not flattened);
//       * if the next component is all digits and equals the element's index, the element
//         itself is followed through the rest of the path after the index ("a.0.b"); this
//         happens in addition to the previous rule, so a document element is searched both for
//         a field named "0" and by position;
//       * other elements (scalars, nested arrays not selected by position) reach nothing.
//   - When the path ends at an array, the reached values are each element (unless the
//     predicate asks for kNoTraversal, as $size and $elemMatch do) and then the array itself
//     as a whole (so {a: [1, 2]} equals the whole array and each element).
//
// Each reached value carries the index of the outermost array traversed implicitly to reach it
// (the "elemMatchKey" positional projection uses), or none.
//
// Thread safety: FieldPath is immutable after construction. Traversal allocates nothing and
// keeps no state. Recursion depth is bounded by the nesting depth of the document.
#ifndef STRATA_QUERY_MATCH_PATH_H_
#define STRATA_QUERY_MATCH_PATH_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::query::match {

// A dotted path split into its components. "a.b" → {"a", "b"}; "" → {""}; "a..b" keeps the
// empty middle component (it can only match a field with an empty name).
class FieldPath {
 public:
  FieldPath() : FieldPath(absl::string_view()) {}
  explicit FieldPath(absl::string_view dotted);

  const std::string& dotted() const { return dotted_; }
  size_t size() const { return parts_.size(); }
  absl::string_view part(size_t i) const {
    return absl::string_view(dotted_).substr(parts_[i].offset, parts_[i].length);
  }
  // True when component i is non-empty and all ASCII digits (it can select an array element).
  bool is_index(size_t i) const { return parts_[i].is_index; }

 private:
  // Offsets into dotted_ (not pointers), so copies and moves stay valid.
  struct Part {
    uint32_t offset;
    uint32_t length;
    bool is_index;
  };
  std::string dotted_;
  absl::InlinedVector<Part, 4> parts_;
};

// Whether a path that ends at an array also reaches the array's elements.
enum class LeafArrays {
  kTraverse,     // elements, then the array itself (comparisons, $in, $regex, $type, …)
  kNoTraversal,  // only the array itself ($size, $elemMatch)
};

// Receives each reached value: `value` is null for "missing"; `array_index` is the key of the
// outermost implicitly traversed array element, or null. Returning true stops the walk.
using PathVisitor = absl::FunctionRef<bool(const bson_iter_t* value, const char* array_index)>;

// Walks `path` through the document `doc` (bytes as in DocumentView) and calls `visit` on every
// value the path reaches, in document order, until it returns true. Returns whether some call
// returned true. Unreadable bytes read as an empty document.
bool AnyPathValue(DocumentView doc, const FieldPath& path, LeafArrays leaf_arrays,
                  PathVisitor visit);

// The value of a BSON iterator's key as a string_view (keys are NUL-terminated in BSON).
inline absl::string_view IterKey(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_PATH_H_
