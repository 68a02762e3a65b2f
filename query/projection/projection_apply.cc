// Applying a parsed projection (see projection.h). Mirrors MongoDB's find projection
// executor: (1) inclusion or exclusion of paths, in the document's field order; (2) computed
// values ($elemMatch, expressions), in projection order; (3) $slice and positional steps on
// the result, in projection order.
#include <bson/bson.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/projection/projection.h"
#include "query/projection/projection_internal.h"

namespace strata::query::projection {
namespace {

using internal::Expr;
using internal::Node;
using internal::PostStep;
using internal::Value;

absl::string_view Key(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

// Documents are passed around as an iterator positioned before their first field (from
// bson_iter_init or bson_iter_recurse), so the root and embedded documents look alike.

// The first field named `name` of the document whose fields `begin` iterates.
bool FindField(const bson_iter_t& begin, absl::string_view name, bson_iter_t* out) {
  *out = begin;
  while (bson_iter_next(out)) {
    if (Key(*out) == name) return true;
  }
  return false;
}

Value* FindValue(Value* document, absl::string_view name) {
  for (auto& [field, value] : document->fields) {
    if (field == name) return &value;
  }
  return nullptr;
}

// Sets a field, in place when it exists (MongoDB's MutableDocument::setField).
void SetField(Value* document, absl::string_view name, Value value) {
  if (Value* existing = FindValue(document, name)) {
    *existing = std::move(value);
    return;
  }
  document->fields.emplace_back(std::string(name), std::move(value));
}

bool IsDocument(const Value& v) {
  return v.kind == Value::Kind::kDocument ||
         (v.kind == Value::Kind::kRaw && BSON_ITER_HOLDS_DOCUMENT(&v.raw));
}

bool IsArray(const Value& v) {
  return v.kind == Value::Kind::kArray ||
         (v.kind == Value::Kind::kRaw && BSON_ITER_HOLDS_ARRAY(&v.raw));
}

// Turns a raw document or array into its mutable form (children stay raw).
void Materialize(Value* v) {
  if (v->kind != Value::Kind::kRaw) return;
  const bool document = BSON_ITER_HOLDS_DOCUMENT(&v->raw);
  if (!document && !BSON_ITER_HOLDS_ARRAY(&v->raw)) return;
  Value result = document ? Value::EmptyDocument() : Value::EmptyArray();
  bson_iter_t child;
  if (bson_iter_recurse(&v->raw, &child)) {
    while (bson_iter_next(&child)) {
      if (document) {
        result.fields.emplace_back(std::string(Key(child)), Value::Raw(child));
      } else {
        result.elements.push_back(Value::Raw(child));
      }
    }
  }
  *v = std::move(result);
}

// ---- Phase 1: inclusion ----------------------------------------------------------------------

Value IncludeValue(const bson_iter_t& it, const Node& node);

Value IncludeFields(const bson_iter_t& begin, const Node& node) {
  Value out = Value::EmptyDocument();
  bson_iter_t it = begin;
  while (bson_iter_next(&it)) {
    const Node* child = node.FindChild(Key(it));
    if (child == nullptr) continue;
    switch (child->kind) {
      case Node::Kind::kInclude:
      case Node::Kind::kSlice:
      case Node::Kind::kPositional:
        out.fields.emplace_back(std::string(Key(it)), Value::Raw(it));
        break;
      case Node::Kind::kPath: {
        Value projected = IncludeValue(it, *child);
        if (!projected.missing())
          out.fields.emplace_back(std::string(Key(it)), std::move(projected));
        break;
      }
      default:  // excluded _id, computed values (phase 2)
        break;
    }
  }
  return out;
}

// Projects the children of `node` out of a value: documents are projected, arrays element by
// element (nested arrays too), and anything else has nothing to include.
Value IncludeValue(const bson_iter_t& it, const Node& node) {
  bson_iter_t children;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return bson_iter_recurse(&it, &children) ? IncludeFields(children, node)
                                             : Value::EmptyDocument();
  }
  if (!BSON_ITER_HOLDS_ARRAY(&it)) return Value::Missing();
  Value out = Value::EmptyArray();
  bson_iter_t element;
  if (bson_iter_recurse(&it, &element)) {
    while (bson_iter_next(&element)) out.elements.push_back(IncludeValue(element, node));
  }
  return out;
}

// ---- Phase 1: exclusion ----------------------------------------------------------------------

Value ExcludeValue(const bson_iter_t& it, const Node& node);

Value ExcludeFields(const bson_iter_t& begin, const Node& node) {
  Value out = Value::EmptyDocument();
  bson_iter_t it = begin;
  while (bson_iter_next(&it)) {
    const Node* child = node.FindChild(Key(it));
    if (child == nullptr) {
      out.fields.emplace_back(std::string(Key(it)), Value::Raw(it));
    } else if (child->kind == Node::Kind::kExclude) {
      continue;
    } else if (child->kind == Node::Kind::kPath) {
      out.fields.emplace_back(std::string(Key(it)), ExcludeValue(it, *child));
    } else {
      out.fields.emplace_back(std::string(Key(it)), Value::Raw(it));
    }
  }
  return out;
}

Value ExcludeValue(const bson_iter_t& it, const Node& node) {
  bson_iter_t children;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return bson_iter_recurse(&it, &children) ? ExcludeFields(children, node) : Value::Raw(it);
  }
  if (!BSON_ITER_HOLDS_ARRAY(&it)) return Value::Raw(it);
  Value out = Value::EmptyArray();
  bson_iter_t element;
  if (bson_iter_recurse(&it, &element)) {
    while (bson_iter_next(&element)) out.elements.push_back(ExcludeValue(element, node));
  }
  return out;
}

// ---- Phase 2: computed values ----------------------------------------------------------------

Value EvaluatePath(const bson_iter_t& begin, const std::vector<std::string>& path, size_t index);

// Aggregation field-path semantics inside an array: documents are followed, nested arrays
// recurse (keeping their nesting), scalars and missing results are dropped.
Value EvaluatePathInArray(const bson_iter_t& array, const std::vector<std::string>& path,
                          size_t index) {
  Value out = Value::EmptyArray();
  bson_iter_t element;
  if (!bson_iter_recurse(&array, &element)) return out;
  while (bson_iter_next(&element)) {
    if (BSON_ITER_HOLDS_ARRAY(&element)) {
      out.elements.push_back(EvaluatePathInArray(element, path, index));
    } else if (BSON_ITER_HOLDS_DOCUMENT(&element)) {
      bson_iter_t children;
      if (!bson_iter_recurse(&element, &children)) continue;
      Value v = EvaluatePath(children, path, index);
      if (!v.missing()) out.elements.push_back(std::move(v));
    }
  }
  return out;
}

Value EvaluatePath(const bson_iter_t& begin, const std::vector<std::string>& path, size_t index) {
  bson_iter_t field;
  if (!FindField(begin, path[index], &field)) return Value::Missing();
  if (index + 1 == path.size()) return Value::Raw(field);
  bson_iter_t children;
  if (BSON_ITER_HOLDS_DOCUMENT(&field)) {
    return bson_iter_recurse(&field, &children) ? EvaluatePath(children, path, index + 1)
                                                : Value::Missing();
  }
  if (BSON_ITER_HOLDS_ARRAY(&field)) return EvaluatePathInArray(field, path, index + 1);
  return Value::Missing();
}

Value Evaluate(const Expr& expr, const bson_iter_t& root) {
  switch (expr.kind) {
    case Expr::Kind::kConstant:
      return Value::Raw(expr.constant);
    case Expr::Kind::kRemove:
      return Value::Missing();
    case Expr::Kind::kFieldPath:
      return EvaluatePath(root, expr.path, 0);
    case Expr::Kind::kRoot: {
      if (!expr.path.empty()) return EvaluatePath(root, expr.path, 0);
      Value whole = Value::EmptyDocument();
      bson_iter_t it = root;
      while (bson_iter_next(&it)) whole.fields.emplace_back(std::string(Key(it)), Value::Raw(it));
      return whole;
    }
    case Expr::Kind::kArray: {
      Value out = Value::EmptyArray();
      for (const Expr& element : expr.elements) {
        Value v = Evaluate(element, root);
        if (v.missing()) {
          // Aggregation arrays hold null where an element evaluates to missing.
          static const uint8_t kNullDoc[] = {7, 0, 0, 0, 10, 0, 0};  // {"": null}
          bson_t null_doc;
          bson_iter_t null_it;
          bson_init_static(&null_doc, kNullDoc, sizeof(kNullDoc));
          bson_iter_init(&null_it, &null_doc);
          bson_iter_next(&null_it);
          v = Value::Raw(null_it);
        }
        out.elements.push_back(std::move(v));
      }
      return out;
    }
    case Expr::Kind::kObject: {
      Value out = Value::EmptyDocument();
      for (const auto& [name, field] : expr.fields) {
        Value v = Evaluate(field, root);
        if (!v.missing()) out.fields.emplace_back(name, std::move(v));
      }
      return out;
    }
  }
  return Value::Missing();
}

// The first element of the top-level array `node.name` that the predicate accepts.
Value ElemMatch(const Node& node, const bson_iter_t& root) {
  bson_iter_t field;
  if (!FindField(root, node.name, &field) || !BSON_ITER_HOLDS_ARRAY(&field)) {
    return Value::Missing();
  }
  bson_iter_t element;
  if (!bson_iter_recurse(&field, &element)) return Value::Missing();
  while (bson_iter_next(&element)) {
    if (node.predicate->Matches(element)) {
      Value out = Value::EmptyArray();
      out.elements.push_back(Value::Raw(element));
      return out;
    }
  }
  return Value::Missing();
}

void ApplyComputed(Value* document, const Node& node, const bson_iter_t& root);

// MongoDB's applyExpressionsToValue: documents receive the computed fields, arrays pass them
// to each element, and anything else is replaced by a document of the computed fields.
void ApplyComputedToValue(Value* value, const Node& node, const bson_iter_t& root) {
  Materialize(value);
  if (value->kind == Value::Kind::kDocument) {
    ApplyComputed(value, node, root);
  } else if (value->kind == Value::Kind::kArray) {
    for (Value& element : value->elements) ApplyComputedToValue(&element, node, root);
  } else {
    *value = Value::EmptyDocument();
    ApplyComputed(value, node, root);
  }
}

void ApplyComputed(Value* document, const Node& node, const bson_iter_t& root) {
  for (const auto& child : node.children) {
    switch (child->kind) {
      case Node::Kind::kExpression:
        SetField(document, child->name, Evaluate(child->expr, root));
        break;
      case Node::Kind::kElemMatch:
        SetField(document, child->name, ElemMatch(*child, root));
        break;
      case Node::Kind::kPath: {
        if (!child->has_computed) break;
        Value current;
        if (Value* existing = FindValue(document, child->name)) current = std::move(*existing);
        ApplyComputedToValue(&current, *child, root);
        SetField(document, child->name, std::move(current));
        break;
      }
      default:
        break;
    }
  }
}

// ---- Phase 3: $slice and positional ----------------------------------------------------------

void SliceArray(Value* array, std::optional<int32_t> skip, int32_t limit) {
  Materialize(array);
  std::vector<Value>& elements = array->elements;
  const int64_t length = static_cast<int64_t>(elements.size());
  int64_t start = 0;
  int64_t count = 0;
  if (!skip.has_value()) {
    if (limit < 0) {
      start = std::max<int64_t>(0, length + limit);
      count = length - start;
    } else {
      count = std::min<int64_t>(length, limit);
    }
  } else if (*skip < 0) {
    start = std::max<int64_t>(0, length + *skip);
    count = std::min<int64_t>(length - start, limit);
  } else {
    start = std::min<int64_t>(length, *skip);
    count = std::min<int64_t>(length - start, limit);
  }
  std::vector<Value> kept(std::make_move_iterator(elements.begin() + start),
                          std::make_move_iterator(elements.begin() + start + count));
  elements = std::move(kept);
}

void ApplySlice(Value* document, const PostStep& step, size_t index) {
  Value* field = FindValue(document, step.path[index]);
  if (field == nullptr) return;
  const bool last = index + 1 == step.path.size();
  if (IsArray(*field)) {
    if (last) {
      SliceArray(field, step.node->slice_skip, step.node->slice_limit);
      return;
    }
    Materialize(field);
    for (Value& element : field->elements) {
      if (IsDocument(element)) {
        Materialize(&element);
        ApplySlice(&element, step, index + 1);
      }
    }
  } else if (IsDocument(*field) && !last) {
    Materialize(field);
    ApplySlice(field, step, index + 1);
  }
}

absl::Status ApplyPositional(Value* document, const PostStep& step,
                             std::optional<size_t> positional_index) {
  Value* current = document;
  for (size_t i = 0; i < step.path.size(); ++i) {
    Value* field = FindValue(current, step.path[i]);
    if (field == nullptr) return absl::OkStatus();
    if (IsArray(*field)) {
      if (!positional_index.has_value()) {
        return MongoError(static_cast<ErrorCode>(51246),
                          "positional operator '.$' couldn't find a matching element in the "
                          "array");
      }
      Materialize(field);
      if (*positional_index >= field->elements.size() ||
          field->elements[*positional_index].missing()) {
        return MongoError(static_cast<ErrorCode>(51247),
                          "positional operator '.$' element mismatch");
      }
      Value matched = std::move(field->elements[*positional_index]);
      *field = Value::EmptyArray();
      field->elements.push_back(std::move(matched));
      return absl::OkStatus();
    }
    if (!IsDocument(*field)) return absl::OkStatus();
    Materialize(field);
    current = field;
  }
  return absl::OkStatus();
}

// ---- Output ----------------------------------------------------------------------------------

void AppendValue(bson_t* out, absl::string_view key, const Value& value) {
  switch (value.kind) {
    case Value::Kind::kMissing:
      return;
    case Value::Kind::kRaw:
      bson_append_iter(out, key.data(), static_cast<int>(key.size()), &value.raw);
      return;
    case Value::Kind::kDocument: {
      bson_t child;
      bson_append_document_begin(out, key.data(), static_cast<int>(key.size()), &child);
      for (const auto& [name, field] : value.fields) AppendValue(&child, name, field);
      bson_append_document_end(out, &child);
      return;
    }
    case Value::Kind::kArray: {
      bson_t child;
      bson_append_array_begin(out, key.data(), static_cast<int>(key.size()), &child);
      uint32_t index = 0;
      for (const Value& element : value.elements) {
        if (element.missing()) continue;
        char buffer[16];
        const char* index_key = nullptr;
        const size_t length = bson_uint32_to_string(index++, &index_key, buffer, sizeof(buffer));
        AppendValue(&child, absl::string_view(index_key, length), element);
      }
      bson_append_array_end(out, &child);
      return;
    }
  }
}

}  // namespace

absl::StatusOr<Document> Projection::Apply(DocumentView doc,
                                           std::optional<size_t> positional_index) const {
  if (is_identity()) return Document::Copy(doc);
  bson_t doc_bson;
  bson_iter_t top;
  if (!doc.AsBson(&doc_bson) || !bson_iter_init(&top, &doc_bson)) {
    return absl::InvalidArgumentError("projection input is not a valid BSON document");
  }
  bson_iter_t root = top;  // before the first field
  const Node& tree_root = tree_->root;
  Value out = inclusion_ ? IncludeFields(root, tree_root) : ExcludeFields(root, tree_root);
  if (tree_root.has_computed) ApplyComputed(&out, tree_root, root);
  for (const PostStep& step : tree_->post_steps) {
    if (step.node->kind == Node::Kind::kSlice) {
      ApplySlice(&out, step, 0);
    } else {
      RETURN_IF_ERROR(ApplyPositional(&out, step, positional_index));
    }
  }

  Document result;
  for (const auto& [name, field] : out.fields) AppendValue(result.mutable_bson(), name, field);
  return result;
}

}  // namespace strata::query::projection
