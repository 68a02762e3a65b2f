#include "query/exec/covered_projection.h"

#include <bson/bson.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "index/key_string_skip.h"
#include "index/key_types.h"

namespace strata::query::exec {
namespace {

// One field of the document being rebuilt: a value (leaf) or an embedded document.
struct Node {
  explicit Node(std::string field) : name(std::move(field)) {}
  std::string name;
  std::optional<Document> value;  // {"": v} for a leaf
  std::vector<Node> children;
};

Node* Child(Node* node, absl::string_view name) {
  for (Node& child : node->children) {
    if (child.name == name) return &child;
  }
  node->children.emplace_back(std::string(name));
  return &node->children.back();
}

// Depth is bounded by the key paths' component counts (validated index specs).
void Serialize(const Node& node, bson_t* out) {
  for (const Node& child : node.children) {
    const int length = static_cast<int>(child.name.size());
    if (child.value.has_value()) {
      bson_iter_t it;
      if (bson_iter_init(&it, child.value->bson()) && bson_iter_next(&it)) {
        bson_append_iter(out, child.name.data(), length, &it);
      }
      continue;
    }
    bson_t sub;
    bson_append_document_begin(out, child.name.data(), length, &sub);
    Serialize(child, &sub);
    bson_append_document_end(out, &sub);
  }
}

}  // namespace

CoveredDocumentBuilder::CoveredDocumentBuilder(std::vector<index::KeyPart> parts,
                                               std::vector<bool> wanted)
    : parts_(std::move(parts)), wanted_(std::move(wanted)) {}

absl::StatusOr<std::optional<Document>> CoveredDocumentBuilder::Build(
    absl::string_view key, absl::string_view key_types) const {
  if (key_types.size() != parts_.size()) {
    return absl::DataLossError("index entry without one type code per key part");
  }
  Node root("");
  for (size_t i = 0; i < parts_.size(); ++i) {
    const bool descending = parts_[i].descending;
    if (i >= wanted_.size() || !wanted_[i]) {
      ASSIGN_OR_RETURN(const size_t size, index::KeyStringValueSize(key, descending));
      key.remove_prefix(size);
      continue;
    }
    const auto code = static_cast<uint8_t>(key_types[i]);
    if (code == index::kKeyPartNotRebuildable) return std::optional<Document>();
    const std::vector<absl::string_view> components = absl::StrSplit(parts_[i].path, '.');
    int depth = 0;
    if (index::IsMissingCode(code, &depth)) {
      Node* node = &root;
      for (int c = 0; c < depth && c < static_cast<int>(components.size()); ++c) {
        node = Child(node, components[c]);
      }
      ASSIGN_OR_RETURN(const size_t size, index::KeyStringValueSize(key, descending));
      key.remove_prefix(size);
      continue;
    }
    Document value;
    RETURN_IF_ERROR(index::AppendRebuiltKeyPart(&key, descending, code, "", value.mutable_bson()));
    Node* node = &root;
    for (const absl::string_view component : components) node = Child(node, component);
    node->value = std::move(value);
  }
  Document out;
  Serialize(root, out.mutable_bson());
  return std::optional<Document>(std::move(out));
}

}  // namespace strata::query::exec
