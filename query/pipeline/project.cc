// $project, $addFields/$set and $unset: one field tree, three ways of applying it.
//
// A tree node maps field names (in spec order) to: include, exclude, a computed expression, or
// a child node (dotted paths and nested specs). Semantics (MongoDB's):
//   - inclusion $project: the document's fields in document order when included (child nodes
//     recurse into documents and arrays of documents; scalars inside arrays are dropped), then
//     the computed fields in spec order; `_id` is kept unless excluded.
//   - exclusion $project / $unset: everything except the excluded paths.
//   - $addFields: computed fields replace existing ones in place, new ones are appended; a
//     field evaluating to missing ($$REMOVE) is removed; child nodes recurse into documents and
//     into every element of arrays (non-document elements become the computed sub-document).
// Expressions are evaluated against the whole document ($$ROOT/$$CURRENT).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "query/pipeline/internal.h"

namespace strata::query::pipeline::internal {
namespace {

using expression::Value;

struct Node;
struct Child {
  enum class Kind { kInclude, kExclude, kExpression, kNode };
  Kind kind = Kind::kInclude;
  expression::ExpressionPtr expr;
  std::unique_ptr<Node> node;
};
struct Node {
  std::vector<std::pair<std::string, Child>> children;
  Child* Find(absl::string_view name) {
    for (auto& [n, c] : children) {
      if (n == name) return &c;
    }
    return nullptr;
  }
  bool HasComputed() const {
    for (const auto& [n, c] : children) {
      if (c.kind == Child::Kind::kExpression) return true;
      if (c.kind == Child::Kind::kNode && c.node->HasComputed()) return true;
    }
    return false;
  }
};

enum class Mode { kInclusion, kExclusion, kAddFields };

class FieldTree {
 public:
  FieldTree(const PipelineContext& context, Mode mode, std::string stage)
      : scope_(context), mode_(mode), stage_(std::move(stage)) {}

  // Adds `value` at dotted `path`. `leaf_kind` for booleans/numbers of $project.
  absl::Status Add(absl::string_view path, const bson_iter_t& value) {
    if (path.empty()) return Error(40352, "FieldPath cannot be constructed with empty string");
    if (path[0] == '$') {
      return Error(16410, absl::StrCat("FieldPath field names may not start with '$'. Consider "
                                       "using $getField or $setField."));
    }
    std::vector<std::string> parts = SplitPath(path);
    Node* node = &root_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].empty()) return Error(15998, "FieldPath field names may not be empty strings.");
      Child* child = node->Find(parts[i]);
      if (child == nullptr) {
        node->children.emplace_back(parts[i],
                                    Child{Child::Kind::kNode, nullptr, std::make_unique<Node>()});
        child = &node->children.back().second;
      } else if (child->kind != Child::Kind::kNode) {
        return Error(31250,
                     absl::StrCat("Invalid ", stage_, " :: caused by :: Path collision at ", path));
      }
      node = child->node.get();
    }
    const std::string& leaf = parts.back();
    if (leaf.empty()) return Error(15998, "FieldPath field names may not be empty strings.");
    if (node->Find(leaf) != nullptr) {
      return Error(31250,
                   absl::StrCat("Invalid ", stage_, " :: caused by :: Path collision at ", path));
    }
    const bool is_flag = BSON_ITER_HOLDS_BOOL(&value) || BSON_ITER_HOLDS_INT32(&value) ||
                         BSON_ITER_HOLDS_INT64(&value) || BSON_ITER_HOLDS_DOUBLE(&value) ||
                         BSON_ITER_HOLDS_DECIMAL128(&value);
    if (mode_ != Mode::kAddFields && is_flag) {
      bool include = BSON_ITER_HOLDS_BOOL(&value) ? bson_iter_bool(&value)
                                                  : Value::FromIter(value).ToDouble() != 0;
      node->children.emplace_back(
          leaf, Child{include ? Child::Kind::kInclude : Child::Kind::kExclude, nullptr, nullptr});
      return absl::OkStatus();
    }
    if (BSON_ITER_HOLDS_DOCUMENT(&value)) {
      bson_iter_t inner;
      bson_iter_recurse(&value, &inner);
      bool is_operator = bson_iter_next(&inner) && bson_iter_key(&inner)[0] == '$';
      if (!is_operator) {
        if (Embedded(value).empty()) {
          if (mode_ == Mode::kAddFields) {
            // {} as a value: an empty document literal.
            ASSIGN_OR_RETURN(auto expr, scope_.Parse(value));
            node->children.emplace_back(leaf,
                                        Child{Child::Kind::kExpression, std::move(expr), nullptr});
            return absl::OkStatus();
          }
          return Error(51270, absl::StrCat("Invalid ", stage_,
                                           " :: caused by :: An empty sub-projection is not a "
                                           "valid value. Found empty object at path"));
        }
        node->children.emplace_back(leaf,
                                    Child{Child::Kind::kNode, nullptr, std::make_unique<Node>()});
        Node* saved = current_;
        (void)saved;
        bson_iter_recurse(&value, &inner);
        std::string prefix = absl::StrCat(path, ".");
        while (bson_iter_next(&inner)) {
          RETURN_IF_ERROR(Add(absl::StrCat(prefix, bson_iter_key(&inner)), inner));
        }
        return absl::OkStatus();
      }
    }
    ASSIGN_OR_RETURN(auto expr, scope_.Parse(value));
    node->children.emplace_back(leaf, Child{Child::Kind::kExpression, std::move(expr), nullptr});
    return absl::OkStatus();
  }

  // Decides inclusion vs exclusion for $project (MongoDB's errors for mixtures).
  absl::Status ResolveProjectMode() {
    bool include = false, exclude = false;
    std::string include_path, exclude_path;
    Walk(root_, "", &include, &exclude, &include_path, &exclude_path);
    if (include && exclude) {
      return Error(31254, absl::StrCat("Invalid $project :: caused by :: Cannot do exclusion on "
                                       "field ",
                                       exclude_path, " in inclusion projection"));
    }
    if (root_.children.empty()) {
      return Error(51272,
                   "Invalid $project :: caused by :: projection specification must have "
                   "at least one field");
    }
    if (include) {
      mode_ = Mode::kInclusion;
    } else if (exclude) {
      mode_ = Mode::kExclusion;
    } else {
      // Only `_id` is mentioned: {_id: 0} excludes it, {_id: 1} keeps only it.
      const Child* id = root_.Find("_id");
      mode_ =
          id != nullptr && id->kind == Child::Kind::kExclude ? Mode::kExclusion : Mode::kInclusion;
    }
    // `_id`: kept by inclusion projections unless mentioned.
    if (mode_ == Mode::kInclusion && root_.Find("_id") == nullptr) {
      root_.children.insert(root_.children.begin(),
                            {"_id", Child{Child::Kind::kInclude, nullptr, nullptr}});
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Document> Apply(DocumentView doc) {
    root_doc_ = doc;
    Document out;
    switch (mode_) {
      case Mode::kInclusion:
        RETURN_IF_ERROR(ApplyInclusion(root_, doc, out.mutable_bson()));
        break;
      case Mode::kExclusion:
        ApplyExclusion(root_, doc, out.mutable_bson());
        break;
      case Mode::kAddFields:
        RETURN_IF_ERROR(ApplyAddFields(root_, doc, out.mutable_bson()));
        break;
    }
    return out;
  }

  Mode mode() const { return mode_; }
  void set_mode(Mode mode) { mode_ = mode; }

 private:
  void Walk(const Node& node, const std::string& prefix, bool* include, bool* exclude,
            std::string* include_path, std::string* exclude_path) {
    for (const auto& [name, child] : node.children) {
      std::string path = prefix.empty() ? name : absl::StrCat(prefix, ".", name);
      switch (child.kind) {
        case Child::Kind::kInclude:
        case Child::Kind::kExpression:
          if (path != "_id" || child.kind == Child::Kind::kExpression) {
            if (!*include) *include_path = path;
            *include = true;
          }
          break;
        case Child::Kind::kExclude:
          if (path != "_id") {
            if (!*exclude) *exclude_path = path;
            *exclude = true;
          }
          break;
        case Child::Kind::kNode:
          Walk(*child.node, path, include, exclude, include_path, exclude_path);
          break;
      }
    }
  }

  absl::Status AppendComputed(const std::string& key, const Child& child, bson_t* out) {
    if (child.kind == Child::Kind::kExpression) {
      ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*child.expr, root_doc_));
      v.AppendTo(out, key);
      return absl::OkStatus();
    }
    // A child node whose field the document lacks: its computed fields alone.
    if (child.kind == Child::Kind::kNode && child.node->HasComputed()) {
      bson_t sub;
      bson_append_document_begin(out, key.c_str(), -1, &sub);
      if (mode_ == Mode::kAddFields) {
        RETURN_IF_ERROR(ApplyAddFields(*child.node, DocumentView(), &sub));
      } else {
        RETURN_IF_ERROR(ApplyInclusion(*child.node, DocumentView(), &sub));
      }
      bson_append_document_end(out, &sub);
    }
    return absl::OkStatus();
  }

  absl::Status ApplyInclusion(Node& node, DocumentView doc, bson_t* out) {
    bson_t in;
    std::vector<bool> seen(node.children.size(), false);
    if (doc.AsBson(&in)) {
      bson_iter_t it;
      bson_iter_init(&it, &in);
      while (bson_iter_next(&it)) {
        const char* key = bson_iter_key(&it);
        Child* child = nullptr;
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (node.children[i].first == key) {
            child = &node.children[i].second;
            seen[i] = child->kind != Child::Kind::kExpression;
            if (child->kind == Child::Kind::kNode && !BSON_ITER_HOLDS_DOCUMENT(&it) &&
                !BSON_ITER_HOLDS_ARRAY(&it)) {
              seen[i] = false;  // a scalar: computed sub-fields (if any) replace it below
              child = nullptr;
            }
            break;
          }
        }
        if (child == nullptr) continue;
        if (child->kind == Child::Kind::kInclude) {
          bson_append_iter(out, key, -1, &it);
        } else if (child->kind == Child::Kind::kNode) {
          if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
            bson_t sub;
            bson_append_document_begin(out, key, -1, &sub);
            RETURN_IF_ERROR(ApplyInclusion(*child->node, Embedded(it), &sub));
            bson_append_document_end(out, &sub);
          } else {
            bson_t sub;
            bson_append_array_begin(out, key, -1, &sub);
            RETURN_IF_ERROR(InclusionArray(*child->node, Embedded(it), &sub));
            bson_append_array_end(out, &sub);
          }
        }
      }
    }
    for (size_t i = 0; i < node.children.size(); ++i) {
      if (seen[i]) continue;
      RETURN_IF_ERROR(AppendComputed(node.children[i].first, node.children[i].second, out));
    }
    return absl::OkStatus();
  }

  absl::Status InclusionArray(Node& node, DocumentView array, bson_t* out) {
    bson_t in;
    array.AsBson(&in);
    bson_iter_t it;
    bson_iter_init(&it, &in);
    uint32_t index = 0;
    const bool computed = node.HasComputed();
    while (bson_iter_next(&it)) {
      std::string key = std::to_string(index);
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t sub;
        bson_append_document_begin(out, key.c_str(), -1, &sub);
        RETURN_IF_ERROR(ApplyInclusion(node, Embedded(it), &sub));
        bson_append_document_end(out, &sub);
      } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_t sub;
        bson_append_array_begin(out, key.c_str(), -1, &sub);
        RETURN_IF_ERROR(InclusionArray(node, Embedded(it), &sub));
        bson_append_array_end(out, &sub);
      } else if (computed) {
        bson_t sub;
        bson_append_document_begin(out, key.c_str(), -1, &sub);
        RETURN_IF_ERROR(ApplyInclusion(node, DocumentView(), &sub));
        bson_append_document_end(out, &sub);
      } else {
        continue;
      }
      ++index;
    }
    return absl::OkStatus();
  }

  void ApplyExclusion(Node& node, DocumentView doc, bson_t* out) {
    bson_t in;
    if (!doc.AsBson(&in)) return;
    bson_iter_t it;
    bson_iter_init(&it, &in);
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      Child* child = node.Find(key);
      if (child == nullptr || child->kind == Child::Kind::kInclude) {
        bson_append_iter(out, key, -1, &it);
      } else if (child->kind == Child::Kind::kNode) {
        if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
          bson_t sub;
          bson_append_document_begin(out, key, -1, &sub);
          ApplyExclusion(*child->node, Embedded(it), &sub);
          bson_append_document_end(out, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
          bson_t sub;
          bson_append_array_begin(out, key, -1, &sub);
          ExclusionArray(*child->node, Embedded(it), &sub);
          bson_append_array_end(out, &sub);
        } else {
          bson_append_iter(out, key, -1, &it);
        }
      }
    }
  }

  void ExclusionArray(Node& node, DocumentView array, bson_t* out) {
    bson_t in;
    array.AsBson(&in);
    bson_iter_t it;
    bson_iter_init(&it, &in);
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t sub;
        bson_append_document_begin(out, key, -1, &sub);
        ApplyExclusion(node, Embedded(it), &sub);
        bson_append_document_end(out, &sub);
      } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_t sub;
        bson_append_array_begin(out, key, -1, &sub);
        ExclusionArray(node, Embedded(it), &sub);
        bson_append_array_end(out, &sub);
      } else {
        bson_append_iter(out, key, -1, &it);
      }
    }
  }

  absl::Status ApplyAddFields(Node& node, DocumentView doc, bson_t* out) {
    bson_t in;
    std::vector<bool> seen(node.children.size(), false);
    if (doc.AsBson(&in)) {
      bson_iter_t it;
      bson_iter_init(&it, &in);
      while (bson_iter_next(&it)) {
        const char* key = bson_iter_key(&it);
        Child* child = nullptr;
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (node.children[i].first == key) {
            child = &node.children[i].second;
            seen[i] = true;
            break;
          }
        }
        if (child == nullptr) {
          bson_append_iter(out, key, -1, &it);
        } else if (child->kind == Child::Kind::kExpression) {
          ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*child->expr, root_doc_));
          v.AppendTo(out, key);
        } else if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
          bson_t sub;
          bson_append_document_begin(out, key, -1, &sub);
          RETURN_IF_ERROR(ApplyAddFields(*child->node, Embedded(it), &sub));
          bson_append_document_end(out, &sub);
        } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
          bson_t sub;
          bson_append_array_begin(out, key, -1, &sub);
          RETURN_IF_ERROR(AddFieldsArray(*child->node, Embedded(it), &sub));
          bson_append_array_end(out, &sub);
        } else {
          bson_t sub;
          bson_append_document_begin(out, key, -1, &sub);
          RETURN_IF_ERROR(ApplyAddFields(*child->node, DocumentView(), &sub));
          bson_append_document_end(out, &sub);
        }
      }
    }
    for (size_t i = 0; i < node.children.size(); ++i) {
      if (seen[i]) continue;
      RETURN_IF_ERROR(AppendComputed(node.children[i].first, node.children[i].second, out));
    }
    return absl::OkStatus();
  }

  absl::Status AddFieldsArray(Node& node, DocumentView array, bson_t* out) {
    bson_t in;
    array.AsBson(&in);
    bson_iter_t it;
    bson_iter_init(&it, &in);
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_t sub;
        bson_append_array_begin(out, key, -1, &sub);
        RETURN_IF_ERROR(AddFieldsArray(node, Embedded(it), &sub));
        bson_append_array_end(out, &sub);
      } else {
        bson_t sub;
        bson_append_document_begin(out, key, -1, &sub);
        RETURN_IF_ERROR(ApplyAddFields(
            node, BSON_ITER_HOLDS_DOCUMENT(&it) ? Embedded(it) : DocumentView(), &sub));
        bson_append_document_end(out, &sub);
      }
    }
    return absl::OkStatus();
  }

  ExpressionScope scope_;
  Mode mode_;
  std::string stage_;
  Node root_;
  Node* current_ = nullptr;
  DocumentView root_doc_;
};

class FieldTreeStage final : public Stage {
 public:
  FieldTreeStage(std::unique_ptr<FieldTree> tree, std::string name, Document spec)
      : tree_(std::move(tree)), name_(std::move(name)), spec_(std::move(spec)) {}
  std::string name() const override { return name_; }

 protected:
  NextResult DoNext() override {
    ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
    if (!doc.has_value()) return doc;
    ASSIGN_OR_RETURN(Document out, tree_->Apply(doc->view()));
    return std::optional<Document>(std::move(out));
  }

 private:
  std::unique_ptr<FieldTree> tree_;
  std::string name_;
  Document spec_;
};

}  // namespace

absl::StatusOr<StagePtr> MakeProject(const bson_iter_t& spec, const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(15969, "$project specification must be an object");
  }
  auto tree = std::make_unique<FieldTree>(context, Mode::kInclusion, "$project");
  bson_iter_t it;
  bson_iter_recurse(&spec, &it);
  while (bson_iter_next(&it)) RETURN_IF_ERROR(tree->Add(bson_iter_key(&it), it));
  RETURN_IF_ERROR(tree->ResolveProjectMode());
  return StagePtr(new FieldTreeStage(std::move(tree), "$project", Document::Copy(Embedded(spec))));
}

absl::StatusOr<StagePtr> MakeAddFields(absl::string_view name, const bson_iter_t& spec,
                                       const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(40272, absl::StrCat(name, " specification stage must be an object, got ",
                                     TypeNameOf(spec)));
  }
  auto tree = std::make_unique<FieldTree>(context, Mode::kAddFields, std::string(name));
  bson_iter_t it;
  bson_iter_recurse(&spec, &it);
  while (bson_iter_next(&it)) RETURN_IF_ERROR(tree->Add(bson_iter_key(&it), it));
  return StagePtr(
      new FieldTreeStage(std::move(tree), std::string(name), Document::Copy(Embedded(spec))));
}

absl::StatusOr<StagePtr> MakeUnset(const bson_iter_t& spec, const PipelineContext& context) {
  auto tree = std::make_unique<FieldTree>(context, Mode::kExclusion, "$unset");
  bson_value_t zero;
  zero.value_type = BSON_TYPE_INT32;
  zero.value.v_int32 = 0;
  Document holder;
  bson_append_value(holder.mutable_bson(), "z", 1, &zero);
  bson_iter_t zero_it;
  bson_iter_init_find(&zero_it, holder.bson(), "z");
  if (BSON_ITER_HOLDS_UTF8(&spec)) {
    RETURN_IF_ERROR(tree->Add(bson_iter_utf8(&spec, nullptr), zero_it));
  } else if (BSON_ITER_HOLDS_ARRAY(&spec)) {
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    bool any = false;
    while (bson_iter_next(&it)) {
      if (!BSON_ITER_HOLDS_UTF8(&it)) {
        return Error(31120,
                     "$unset specification must be a string or an array containing only string "
                     "values");
      }
      RETURN_IF_ERROR(tree->Add(bson_iter_utf8(&it, nullptr), zero_it));
      any = true;
    }
    if (!any) {
      return Error(31119,
                   "$unset specification must be a string or an array with at least one "
                   "field");
    }
  } else {
    return Error(31002, "$unset specification must be a string or an array");
  }
  return StagePtr(new FieldTreeStage(std::move(tree), "$unset", Document()));
}

}  // namespace strata::query::pipeline::internal
