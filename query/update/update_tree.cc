// Applying an update tree to a document in one pass. See update_tree.h.
#include "query/update/update_tree.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/update/bson_text.h"

namespace strata::query::update::internal {
namespace {

// MongoDB refuses to pad an array past this many elements ("a.2000000" on a short array).
constexpr size_t kMaxArrayPadding = 1500000;

absl::Status PositionalNotFound() {
  return MongoError(ErrorCode::kBadValue,
                    "The positional operator did not find the match needed from the query.");
}

// The same test as the parser's (update_plan.cc): "$[" … "]". A component such as "$[g" (no
// closing bracket) is a plain field name, never a lookup of an array filter.
bool IsArrayFilterKey(absl::string_view key) {
  return key.size() >= 3 && key.substr(0, 2) == "$[" && key.back() == ']';
}

// The text of an array index, in a caller-provided buffer.
absl::string_view IndexText(size_t index, char (&buffer)[24]) {
  const char* text = nullptr;
  const size_t length =
      bson_uint32_to_string(static_cast<uint32_t>(index), &text, buffer, sizeof(buffer));
  return absl::string_view(text, length);
}

// Children of a set of interior nodes that target the same element, merged by name.
using ChildMap = std::map<std::string, NodeList, FieldNameLess>;

class Applier {
 public:
  explicit Applier(const ApplyState& state) : state_(state) {}

  // Rebuilds the container whose elements `elements` iterates (positioned before the first)
  // into `dst`. `container` is the container's own element (null for the root document).
  absl::Status RebuildContainer(const NodeList& nodes, const bson_iter_t* container,
                                bson_iter_t* elements, bool is_array, bson_t* dst);

 private:
  // Appends `name` to the current path; PopPath restores it.
  size_t PushPath(absl::string_view name) {
    const size_t old_size = path_.size();
    if (!path_.empty()) path_.push_back('.');
    path_.append(name.data(), name.size());
    return old_size;
  }
  void PopPath(size_t old_size) { path_.resize(old_size); }

  // The regular and positional children of `nodes` by target name. Array-filter children
  // go to `array_children` when it is given, and are an error otherwise (the caller reports
  // them).
  absl::Status CollectChildren(
      const NodeList& nodes, ChildMap* named,
      std::vector<std::pair<const Node*, const ElementPredicate*>>* array_children,
      bool* has_array_children);

  absl::Status ApplyExisting(const NodeList& nodes, const bson_iter_t& value, absl::string_view key,
                             bool in_array, bson_t* dst);
  absl::Status ApplyMissing(const NodeList& nodes, absl::string_view key, bool in_array,
                            bson_t* dst);
  // Whether applying `nodes` where their target is missing creates something; reports the
  // errors that a missing target raises whatever the operator (positional without a match,
  // array updates on a missing array). The current path must be the target's.
  absl::StatusOr<bool> Creates(const NodeList& nodes);
  // `nodes` target a scalar: fails when they would create a field inside it.
  absl::Status CheckBlocked(const NodeList& nodes, const bson_iter_t& blocker);

  const ApplyState& state_;
  std::string path_;
};

absl::Status Applier::CollectChildren(
    const NodeList& nodes, ChildMap* named,
    std::vector<std::pair<const Node*, const ElementPredicate*>>* array_children,
    bool* has_array_children) {
  *has_array_children = false;
  for (const Node* node : nodes) {
    for (const auto& [key, child] : node->children) {
      if (key == "$") {
        if (!state_.ctx->positional_index.has_value()) return PositionalNotFound();
        char buffer[24];
        (*named)[std::string(IndexText(*state_.ctx->positional_index, buffer))].push_back(
            child.get());
      } else if (IsArrayFilterKey(key)) {
        *has_array_children = true;
        if (array_children == nullptr) continue;
        const ElementPredicate* predicate = nullptr;
        if (key != "$[]") {
          const std::string identifier = key.substr(2, key.size() - 3);
          predicate = state_.array_filters->at(identifier).get();
        }
        array_children->emplace_back(child.get(), predicate);
      } else {
        (*named)[key].push_back(child.get());
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Applier::RebuildContainer(const NodeList& nodes, const bson_iter_t* container,
                                       bson_iter_t* elements, bool is_array, bson_t* dst) {
  ChildMap named;
  std::vector<std::pair<const Node*, const ElementPredicate*>> array_children;
  bool has_array_children = false;
  RETURN_IF_ERROR(CollectChildren(nodes, &named, &array_children, &has_array_children));
  if (has_array_children && !is_array) {
    return MongoError(ErrorCode::kBadValue,
                      absl::StrCat("Cannot apply array updates to non-array element ",
                                   container ? ElementToString(*container) : "{}"));
  }

  struct Target {
    NodeList nodes;
    bool found = false;
  };
  std::map<std::string, Target, FieldNameLess> targets;
  for (auto& [name, list] : named) targets[name].nodes = std::move(list);

  size_t count = 0;
  char buffer[24];
  while (bson_iter_next(elements)) {
    const absl::string_view key =
        is_array ? IndexText(count, buffer) : absl::string_view(bson_iter_key(elements));
    ++count;
    NodeList here;
    if (!targets.empty()) {
      auto it = targets.find(key);
      if (it != targets.end() && !it->second.found) {
        it->second.found = true;
        here = it->second.nodes;
      }
    }
    for (const auto& [node, predicate] : array_children) {
      if (predicate == nullptr || predicate->Matches(*elements)) here.push_back(node);
    }
    if (here.empty()) {
      AppendIter(dst, key, *elements);
    } else {
      RETURN_IF_ERROR(ApplyExisting(here, *elements, key, is_array, dst));
    }
  }

  // Targets that do not exist yet, created in field order after the existing elements.
  for (auto& [name, target] : targets) {
    if (target.found) continue;
    const size_t old_path = PushPath(name);
    absl::StatusOr<bool> creates = Creates(target.nodes);
    PopPath(old_path);
    if (!creates.ok()) return creates.status();
    if (!*creates) continue;
    if (is_array) {
      size_t index = 0;
      if (!ParseArrayIndex(name, &index)) {
        return MongoError(ErrorCode::kPathNotViable,
                          absl::StrCat("Cannot create field '", name, "' in element {",
                                       container ? ElementToString(*container) : "", "}"));
      }
      if (index > kMaxArrayPadding) {
        return MongoError(ErrorCode::kBadValue, absl::StrCat("can't backfill array to larger than ",
                                                             kMaxArrayPadding, " elements"));
      }
      for (; count < index; ++count) {
        const absl::string_view pad_key = IndexText(count, buffer);
        bson_append_null(dst, pad_key.data(), static_cast<int>(pad_key.size()));
      }
      ++count;
    }
    RETURN_IF_ERROR(ApplyMissing(target.nodes, name, is_array, dst));
  }
  return absl::OkStatus();
}

absl::Status Applier::ApplyExisting(const NodeList& nodes, const bson_iter_t& value,
                                    absl::string_view key, bool in_array, bson_t* dst) {
  const size_t old_path = PushPath(key);
  absl::Status status;
  if (nodes.size() == 1 && nodes[0]->leaf != nullptr) {
    const Slot slot{dst, key, in_array, &path_};
    absl::StatusOr<LeafResult> result = nodes[0]->leaf->ApplyExisting(value, slot, state_);
    if (!result.ok()) {
      status = result.status();
    } else if (*result == LeafResult::kKeep) {
      AppendIter(dst, key, value);
    } else if (*result == LeafResult::kRemove && in_array) {
      bson_append_null(dst, key.data(), static_cast<int>(key.size()));
    }
    PopPath(old_path);
    return status;
  }
  for (const Node* node : nodes) {
    if (node->leaf != nullptr) {
      status = MongoError(ErrorCode::kConflictingUpdateOperators,
                          absl::StrCat("Update created a conflict at '", path_, "'"));
      PopPath(old_path);
      return status;
    }
  }
  const bson_type_t type = bson_iter_type(&value);
  if (type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY) {
    bson_iter_t elements;
    bson_t child;
    const bool is_array = type == BSON_TYPE_ARRAY;
    if (!bson_iter_recurse(&value, &elements)) {
      status = MongoError(ErrorCode::kBadValue, absl::StrCat("invalid BSON at '", path_, "'"));
    } else {
      if (is_array) {
        bson_append_array_begin(dst, key.data(), static_cast<int>(key.size()), &child);
      } else {
        bson_append_document_begin(dst, key.data(), static_cast<int>(key.size()), &child);
      }
      status = RebuildContainer(nodes, &value, &elements, is_array, &child);
      if (is_array) {
        bson_append_array_end(dst, &child);
      } else {
        bson_append_document_end(dst, &child);
      }
    }
  } else {
    status = CheckBlocked(nodes, value);
    if (status.ok()) AppendIter(dst, key, value);
  }
  PopPath(old_path);
  return status;
}

absl::StatusOr<bool> Applier::Creates(const NodeList& nodes) {
  bool creates = false;
  for (const Node* node : nodes) {
    if (node->leaf != nullptr) {
      if (node->leaf->CreatesWhenMissing(state_)) creates = true;
      continue;
    }
    if (node->has_positional && !state_.ctx->positional_index.has_value()) {
      return PositionalNotFound();
    }
    if (node->has_array_children) {
      return MongoError(ErrorCode::kBadValue,
                        absl::StrCat("The path '", path_,
                                     "' must exist in the document in order to apply array "
                                     "updates."));
    }
    for (const auto& [key, child] : node->children) {
      char buffer[24];
      const absl::string_view name =
          key == "$" ? IndexText(*state_.ctx->positional_index, buffer) : absl::string_view(key);
      const size_t old_path = PushPath(name);
      absl::StatusOr<bool> child_creates = Creates(NodeList{child.get()});
      PopPath(old_path);
      if (!child_creates.ok()) return child_creates.status();
      if (*child_creates) creates = true;
    }
  }
  return creates;
}

absl::Status Applier::ApplyMissing(const NodeList& nodes, absl::string_view key, bool in_array,
                                   bson_t* dst) {
  const size_t old_path = PushPath(key);
  absl::Status status;
  if (nodes.size() == 1 && nodes[0]->leaf != nullptr) {
    const Slot slot{dst, key, in_array, &path_};
    status = nodes[0]->leaf->ApplyMissing(slot, state_);
    PopPath(old_path);
    return status;
  }
  for (const Node* node : nodes) {
    if (node->leaf != nullptr) {
      status = MongoError(ErrorCode::kConflictingUpdateOperators,
                          absl::StrCat("Update created a conflict at '", path_, "'"));
      PopPath(old_path);
      return status;
    }
  }
  ChildMap named;
  bool has_array_children = false;
  status = CollectChildren(nodes, &named, nullptr, &has_array_children);
  if (status.ok()) {
    bson_t child;
    bson_append_document_begin(dst, key.data(), static_cast<int>(key.size()), &child);
    for (const auto& [name, list] : named) {
      const size_t child_path = PushPath(name);
      absl::StatusOr<bool> creates = Creates(list);
      PopPath(child_path);
      if (!creates.ok()) {
        status = creates.status();
        break;
      }
      if (!*creates) continue;
      status = ApplyMissing(list, name, /*in_array=*/false, &child);
      if (!status.ok()) break;
    }
    bson_append_document_end(dst, &child);
  }
  PopPath(old_path);
  return status;
}

absl::Status Applier::CheckBlocked(const NodeList& nodes, const bson_iter_t& blocker) {
  ChildMap named;
  bool has_array_children = false;
  RETURN_IF_ERROR(CollectChildren(nodes, &named, nullptr, &has_array_children));
  if (has_array_children) {
    return MongoError(
        ErrorCode::kBadValue,
        absl::StrCat("Cannot apply array updates to non-array element ", ElementToString(blocker)));
  }
  for (const auto& [name, list] : named) {
    const size_t old_path = PushPath(name);
    absl::StatusOr<bool> creates = Creates(list);
    PopPath(old_path);
    if (!creates.ok()) return creates.status();
    if (*creates) {
      return MongoError(ErrorCode::kPathNotViable,
                        absl::StrCat("Cannot create field '", name, "' in element {",
                                     ElementToString(blocker), "}"));
    }
  }
  return absl::OkStatus();
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool FieldNameLess::operator()(absl::string_view a, absl::string_view b) const {
  if (AllDigits(a) && AllDigits(b)) {
    // Numeric order; leading zeros aside, a longer number is a larger one.
    absl::string_view x = a;
    absl::string_view y = b;
    while (x.size() > 1 && x.front() == '0') x.remove_prefix(1);
    while (y.size() > 1 && y.front() == '0') y.remove_prefix(1);
    if (x.size() != y.size()) return x.size() < y.size();
    const int order = x.compare(y);
    if (order != 0) return order < 0;
  }
  return a < b;
}

bool ParseArrayIndex(absl::string_view name, size_t* index) {
  if (!AllDigits(name) || name.size() > 9) return false;
  if (name.size() > 1 && name.front() == '0') return false;
  size_t value = 0;
  for (char c : name) value = value * 10 + static_cast<size_t>(c - '0');
  *index = value;
  return true;
}

std::string ApplyState::IdText() const {
  return has_id ? ElementToString(id) : std::string("no id");
}

absl::Status ApplyTree(const Node& root, DocumentView doc, const ApplyState& state, bson_t* out) {
  bson_t view;
  bson_iter_t elements;
  if (!doc.AsBson(&view) || !bson_iter_init(&elements, &view)) {
    return MongoError(ErrorCode::kBadValue, "invalid BSON document");
  }
  Applier applier(state);
  return applier.RebuildContainer(NodeList{&root}, nullptr, &elements, /*is_array=*/false, out);
}

void AppendIter(bson_t* dst, absl::string_view key, const bson_iter_t& value) {
  bson_append_iter(dst, key.data(), static_cast<int>(key.size()), &value);
}

bool BinaryEqual(const bson_iter_t& a, const bson_iter_t& b) {
  if (bson_iter_type(&a) != bson_iter_type(&b)) return false;
  const char* a_key = reinterpret_cast<const char*>(a.raw + a.key);
  const char* b_key = reinterpret_cast<const char*>(b.raw + b.key);
  const uint32_t a_start = a.key + static_cast<uint32_t>(std::strlen(a_key)) + 1;
  const uint32_t b_start = b.key + static_cast<uint32_t>(std::strlen(b_key)) + 1;
  const uint32_t a_length = a.next_off - a_start;
  const uint32_t b_length = b.next_off - b_start;
  return a_length == b_length && std::memcmp(a.raw + a_start, b.raw + b_start, a_length) == 0;
}

}  // namespace strata::query::update::internal
