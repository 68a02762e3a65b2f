#include "query/exec/covered_projection.h"

#include <bson/bson.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "engine/record_store.h"
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
    : parts_(std::move(parts)), wanted_(std::move(wanted)) {
  for (size_t i = 0; i < parts_.size() && i < wanted_.size(); ++i) {
    if (wanted_[i] && parts_[i].path.find('.') != std::string::npos) flat_ = false;
  }
}

absl::StatusOr<std::optional<Document>> CoveredDocumentBuilder::Build(
    absl::string_view key, absl::string_view key_types) const {
  if (key_types.size() != parts_.size()) {
    return absl::DataLossError("index entry without one type code per key part");
  }
  if (flat_) {
    // Top-level fields only: each value is appended where it belongs, in key pattern order.
    Document out;
    bson_t* bson = out.mutable_bson();
    for (size_t i = 0; i < parts_.size(); ++i) {
      const bool descending = parts_[i].descending;
      const auto code = static_cast<uint8_t>(key_types[i]);
      if (i < wanted_.size() && wanted_[i]) {
        if (code == index::kKeyPartNotRebuildable) return std::optional<Document>();
        RETURN_IF_ERROR(index::AppendRebuiltKeyPart(&key, descending, code, parts_[i].path, bson));
        continue;
      }
      ASSIGN_OR_RETURN(const size_t size, index::KeyStringValueSize(key, descending));
      key.remove_prefix(size);
    }
    return std::optional<Document>(std::move(out));
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

absl::StatusOr<StageState> CoveredIndexScanStage::DoWork(StageRow* row) {
  if (done_) return StageState::kEof;
  absl::StatusOr<std::optional<IndexCursor::Entry>> entry = cursor_->Next();
  stats_.keys_examined = cursor_->keys_examined();
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) {
    Release();
    return StageState::kEof;
  }
  const IndexCursor::Entry& e = **entry;
  ASSIGN_OR_RETURN(std::optional<Document> rebuilt, builder_.Build(e.key, e.key_types));
  if (rebuilt.has_value()) {
    value_.assign(reinterpret_cast<const char*>(rebuilt->data()), rebuilt->size());
  } else {
    engine::RecordStore store(source_.engine);
    ASSIGN_OR_RETURN(std::optional<std::string> found,
                     store.Get(*source_.snapshot, source_.collection, e.id_key_string));
    if (!found.has_value()) {
      return absl::DataLossError("an index entry names a document that does not exist");
    }
    value_ = std::move(*found);
    ++stats_.docs_examined;
  }
  row->doc = value_;
  row->index_key = e.key;
  row->id_key = e.id_key_string;
  ASSIGN_OR_RETURN(const bool matches, filter_.Matches(row->doc));
  return matches ? StageState::kAdvanced : StageState::kNeedTime;
}

void CoveredIndexScanStage::Release() {
  done_ = true;
  cursor_.reset();
  source_.snapshot.reset();
  value_ = std::string();
  PlanStage::Release();
}

}  // namespace strata::query::exec
