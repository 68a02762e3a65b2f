// Internal to query/update: the tree an update document parses into, and its application.
//
// Every path of every operator becomes a branch of one tree (as in MongoDB's UpdateNode
// tree): interior nodes are path components, leaves are modifiers. Keys "$", "$[]" and
// "$[<id>]" are the positional and array-filter components. Two paths that overlap cannot
// both be in the tree (ConflictingUpdateOperators), so a document is rebuilt in one pass:
// each container is copied element by element, untouched values as raw bytes, targeted
// values through their node, and missing targets created after the existing fields.
#ifndef STRATA_QUERY_UPDATE_UPDATE_TREE_H_
#define STRATA_QUERY_UPDATE_UPDATE_TREE_H_

#include <bson/bson.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/update/update_plan.h"
#include "strata/document.h"

namespace strata::query::update::internal {

// MongoDB 5.0+ field order: names made only of digits compare as numbers, others bytewise.
struct FieldNameLess {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const;
};

// True for a canonical array index ("0", "17"; not "01", "-1", "1a").
bool ParseArrayIndex(absl::string_view name, size_t* index);

struct ApplyState;

// Where a leaf writes the value it computes.
struct Slot {
  bson_t* dst;              // the container being built
  absl::string_view key;    // the field name, or the index text in an array
  bool in_array;            // the target is an array element
  const std::string* path;  // the full dotted path of the target (for messages)
};

enum class LeafResult {
  kKeep,     // leave the current value as it is
  kWritten,  // the leaf appended the new value to the slot
  kRemove,   // remove the field (in an array: set the element to null)
};

// One operator applied at one path.
class Modifier {
 public:
  virtual ~Modifier() = default;
  // The target exists and holds `current`.
  virtual absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                                   const ApplyState& state) const = 0;
  // Whether the modifier creates its target when it is missing (for this document).
  virtual bool CreatesWhenMissing(const ApplyState& state) const = 0;
  // The target is missing and can be created: appends the new value to the slot. Only called
  // when CreatesWhenMissing() is true.
  virtual absl::Status ApplyMissing(const Slot& slot, const ApplyState& state) const = 0;
};

struct Node {
  std::unique_ptr<Modifier> leaf;  // set for leaves; leaves have no children
  // Interior children in FieldNameLess order, including "$", "$[]" and "$[id]" keys.
  std::map<std::string, std::unique_ptr<Node>, FieldNameLess> children;
  bool has_positional = false;      // a "$" child
  bool has_array_children = false;  // a "$[]" or "$[id]" child
};

// A rename resolved against the input document before the tree runs.
struct RenameSpec {
  std::string from;
  std::string to;
};

// What one Apply call reads; built per document, never shared between threads.
struct ApplyState {
  const ApplyContext* ctx = nullptr;
  bool has_id = false;
  bson_iter_t id;            // the input document's `_id`, when has_id
  int64_t now_millis = 0;    // $currentDate {$type: "date"}
  uint32_t now_seconds = 0;  // $currentDate {$type: "timestamp"}
  // Array filter predicates by identifier.
  const std::map<std::string, std::unique_ptr<ElementPredicate>>* array_filters = nullptr;
  // Per RenameSpec: the source value in the input document, when it exists.
  std::vector<std::optional<bson_iter_t>> rename_sources;

  // "_id: 1" for messages ("no id" without one).
  std::string IdText() const;
};

using NodeList = absl::InlinedVector<const Node*, 2>;

// Rebuilds `doc` with the tree under `root` into `out` (an empty document). Errors as
// UpdatePlan::Apply documents.
absl::Status ApplyTree(const Node& root, DocumentView doc, const ApplyState& state, bson_t* out);

// Appends the value at `value` to `dst` under `key`.
void AppendIter(bson_t* dst, absl::string_view key, const bson_iter_t& value);

// True when the two values have the same type and the same bytes.
bool BinaryEqual(const bson_iter_t& a, const bson_iter_t& b);

}  // namespace strata::query::update::internal

#endif  // STRATA_QUERY_UPDATE_UPDATE_TREE_H_
