// Path traversal. See path.h for the rules; the comments here say how each rule is realised.
#include "query/match/path.h"

#include <cstring>

namespace strata::query::match {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Positions `*out` on the first field named `name` of the document at (data, length).
bool FindField(const uint8_t* data, uint32_t length, absl::string_view name, bson_iter_t* out) {
  if (!bson_iter_init_from_data(out, data, length)) return false;
  while (bson_iter_next(out)) {
    if (bson_iter_key_len(out) == name.size() &&
        std::memcmp(bson_iter_key(out), name.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

// The bytes of the embedded document or array at `it`.
void Children(const bson_iter_t& it, const uint8_t** data, uint32_t* length) {
  *data = nullptr;
  *length = 0;
  if (bson_iter_type(&it) == BSON_TYPE_ARRAY) {
    bson_iter_array(&it, length, data);
  } else {
    bson_iter_document(&it, length, data);
  }
}

class Walker {
 public:
  Walker(const FieldPath& path, LeafArrays leaf_arrays, PathVisitor visit)
      : path_(path), leaf_arrays_(leaf_arrays), visit_(visit) {}

  // Follows components [i, end) starting inside the document (data, length). Iterative
  // through embedded documents; recurses only into arrays, each one nesting level deeper in
  // the document, so recursion depth is bounded by the document's depth.
  bool InDocument(const uint8_t* data, uint32_t length, size_t i, const char* array_index) {
    bson_iter_t it;
    while (true) {
      if (!FindField(data, length, path_.part(i), &it)) return visit_(nullptr, array_index);
      const bson_type_t type = bson_iter_type(&it);
      if (type == BSON_TYPE_ARRAY) return InArray(it, i + 1, array_index);
      if (i + 1 == path_.size()) return visit_(&it, array_index);
      if (type != BSON_TYPE_DOCUMENT)
        return visit_(nullptr, array_index);  // a scalar has no fields
      Children(it, &data, &length);
      ++i;
    }
  }

  // `array` was reached by components [0, j); components [j, end) remain.
  bool InArray(const bson_iter_t& array, size_t j, const char* array_index) {
    const uint8_t* data;
    uint32_t length;
    Children(array, &data, &length);
    bson_iter_t element;

    if (j == path_.size()) {
      // The path ends at this array: its elements (implicit traversal), then the array.
      if (leaf_arrays_ == LeafArrays::kTraverse &&
          bson_iter_init_from_data(&element, data, length)) {
        while (bson_iter_next(&element)) {
          if (visit_(&element, array_index != nullptr ? array_index : bson_iter_key(&element))) {
            return true;
          }
        }
      }
      return visit_(&array, array_index);
    }

    const absl::string_view next = path_.part(j);
    const bool next_is_index = path_.is_index(j);
    const bool next_is_last = j + 1 == path_.size();
    if (!bson_iter_init_from_data(&element, data, length)) return false;
    while (bson_iter_next(&element)) {
      const bson_type_t type = bson_iter_type(&element);
      // Explicit positional selection ("a.0…") reports no index of its own: only implicit
      // traversal does.
      const bool selected_by_position = next_is_index && IterKey(element) == next;
      if (type == BSON_TYPE_DOCUMENT) {
        const uint8_t* child;
        uint32_t child_length;
        Children(element, &child, &child_length);
        // Implicit traversal: the rest of the path, including `next`, inside the element.
        if (InDocument(child, child_length, j,
                       array_index != nullptr ? array_index : bson_iter_key(&element))) {
          return true;
        }
        if (selected_by_position) {
          if (next_is_last ? visit_(&element, array_index)
                           : InDocument(child, child_length, j + 1, array_index)) {
            return true;
          }
        }
      } else if (selected_by_position) {
        if (next_is_last) {
          if (visit_(&element, array_index)) return true;
        } else if (type == BSON_TYPE_ARRAY) {
          // A nested array picked by position is traversed with the rest of the path.
          if (InArray(element, j + 1, array_index)) return true;
        }
        // A scalar picked by position, with components left, reaches nothing.
      }
    }
    return false;
  }

 private:
  const FieldPath& path_;
  const LeafArrays leaf_arrays_;
  PathVisitor visit_;
};

}  // namespace

FieldPath::FieldPath(absl::string_view dotted) : dotted_(dotted) {
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const size_t end = dot == absl::string_view::npos ? dotted.size() : dot;
    const absl::string_view part = dotted.substr(start, end - start);
    parts_.push_back(
        Part{static_cast<uint32_t>(start), static_cast<uint32_t>(end - start), AllDigits(part)});
    if (dot == absl::string_view::npos) break;
    start = dot + 1;
  }
}

bool AnyPathValue(DocumentView doc, const FieldPath& path, LeafArrays leaf_arrays,
                  PathVisitor visit) {
  Walker walker(path, leaf_arrays, visit);
  return walker.InDocument(doc.data(), static_cast<uint32_t>(doc.size()), 0, nullptr);
}

}  // namespace strata::query::match
