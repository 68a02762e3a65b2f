// The base document of an upsert from the equality conditions of its query. See
// BuildUpsertSeed in update_plan.h.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/update/update_plan.h"
#include "query/update/update_tree.h"

namespace strata::query::update {
namespace {

// One path component of the seed: a value, or embedded fields in first-seen order.
struct SeedNode {
  std::string name;
  std::optional<bson_iter_t> value;
  std::vector<SeedNode> children;
  std::string path;  // the full path that created this node (for messages)
};

absl::Status NotSingle(absl::string_view message) {
  return MongoError(ErrorCode::kNotSingleValueField,
                    absl::StrCat("cannot infer query fields to set, ", message));
}

class SeedBuilder {
 public:
  absl::Status Collect(const bson_t* query) {
    bson_iter_t it;
    if (!bson_iter_init(&it, query)) {
      return MongoError(ErrorCode::kBadValue, "invalid query document");
    }
    while (bson_iter_next(&it)) {
      const absl::string_view key = bson_iter_key(&it);
      if (key == "$and" || key == "$or") {
        if (!BSON_ITER_HOLDS_ARRAY(&it)) continue;
        bson_iter_t clauses;
        bson_iter_recurse(&it, &clauses);
        std::vector<DocumentView> docs;
        while (bson_iter_next(&clauses)) {
          if (!BSON_ITER_HOLDS_DOCUMENT(&clauses)) continue;
          uint32_t length = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&clauses, &length, &data);
          docs.emplace_back(data, length);
        }
        // A one-clause $or is that clause; a longer one implies no equality.
        if (key == "$or" && docs.size() != 1) continue;
        for (DocumentView clause : docs) {
          bson_t view;
          if (clause.AsBson(&view)) RETURN_IF_ERROR(Collect(&view));
        }
        continue;
      }
      if (!key.empty() && key.front() == '$') continue;
      const bson_type_t type = bson_iter_type(&it);
      if (type == BSON_TYPE_REGEX) continue;
      if (type == BSON_TYPE_DOCUMENT) {
        bson_iter_t child;
        if (bson_iter_recurse(&it, &child) && bson_iter_next(&child) &&
            bson_iter_key(&child)[0] == '$') {
          // An operator document: only $eq is an equality.
          bson_iter_t eq;
          bson_iter_recurse(&it, &eq);
          if (bson_iter_find(&eq, "$eq")) RETURN_IF_ERROR(Insert(key, eq));
          continue;
        }
      }
      RETURN_IF_ERROR(Insert(key, it));
    }
    return absl::OkStatus();
  }

  void Emit(bson_t* out) const {
    for (const SeedNode& node : root_.children) {
      if (node.name == "_id") EmitNode(node, out);
    }
    for (const SeedNode& node : root_.children) {
      if (node.name != "_id") EmitNode(node, out);
    }
  }

 private:
  absl::Status Insert(absl::string_view path, const bson_iter_t& value) {
    const std::vector<std::string> parts = absl::StrSplit(path, '.');
    SeedNode* current = &root_;
    for (size_t i = 0; i < parts.size(); ++i) {
      SeedNode* next = nullptr;
      for (SeedNode& child : current->children) {
        if (child.name == parts[i]) next = &child;
      }
      const bool last = i + 1 == parts.size();
      if (next == nullptr) {
        current->children.push_back(SeedNode{parts[i], std::nullopt, {}, std::string(path)});
        next = &current->children.back();
        if (last) next->value = value;
        current = next;
        continue;
      }
      if (next->value.has_value()) {
        if (last) return NotSingle(absl::StrCat("path '", path, "' is matched twice"));
        return NotSingle(
            absl::StrCat("both paths '", path, "' and '", next->path, "' are matched"));
      }
      if (last) {
        return NotSingle(
            absl::StrCat("both paths '", path, "' and '", next->path, "' are matched"));
      }
      current = next;
    }
    return absl::OkStatus();
  }

  static void EmitNode(const SeedNode& node, bson_t* out) {
    if (node.value.has_value()) {
      internal::AppendIter(out, node.name, *node.value);
      return;
    }
    bson_t child;
    bson_append_document_begin(out, node.name.data(), static_cast<int>(node.name.size()), &child);
    for (const SeedNode& grandchild : node.children) EmitNode(grandchild, &child);
    bson_append_document_end(out, &child);
  }

  SeedNode root_;
};

}  // namespace

absl::StatusOr<Document> BuildUpsertSeed(DocumentView query) {
  bson_t view;
  if (!query.AsBson(&view)) return MongoError(ErrorCode::kBadValue, "invalid query document");
  SeedBuilder builder;
  RETURN_IF_ERROR(builder.Collect(&view));
  Document seed;
  builder.Emit(seed.mutable_bson());
  return seed;
}

}  // namespace strata::query::update
