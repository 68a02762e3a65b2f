// Key generation, a re-derivation of MongoDB's btree key generator semantics.
//
// Each key part carries the suffix of its path still to resolve. One step (Run::Expand)
// resolves every unfinished part against the current object: through embedded documents up
// to the first array on its path, or to its end. At most one distinct array may be met by all
// parts in one step (else: parallel arrays). If one was met, the step recurses once per array
// element (or once with `undefined` for an empty array), continuing the parts that went
// through the array inside that element; otherwise it emits one key.
//
// Positional components: when the component after an array is the key of one of its elements
// ("a.0" and the array has element "0"), that part does not expand the array: the element and
// the rest of the path from it are resolved once (Positional), and every element's recursion
// sees that same value, so the part contributes one value to all keys.
#include "index/key_generator.h"

#include <bson/bson.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "index/internal/index_error_codes.h"
#include "index/internal/shell_format.h"
#include "index/key_types.h"

namespace strata::index {
namespace {

// The bytes of an embedded document or array body (always a complete BSON document).
struct Obj {
  const uint8_t* data;
  uint32_t size;
};

constexpr uint8_t kEmptyDocument[5] = {5, 0, 0, 0, 0};
constexpr Obj kEmptyObj{kEmptyDocument, sizeof(kEmptyDocument)};

Obj SubObj(const bson_iter_t& it) {
  uint32_t size = 0;
  const uint8_t* data = nullptr;
  if (bson_iter_type(&it) == BSON_TYPE_ARRAY) {
    bson_iter_array(&it, &size, &data);
  } else if (bson_iter_type(&it) == BSON_TYPE_DOCUMENT) {
    bson_iter_document(&it, &size, &data);
  }
  return data != nullptr ? Obj{data, size} : kEmptyObj;
}

bool IsEmpty(Obj obj) { return obj.size <= 5; }

// The first field named `name` (BSONObj::getField).
bool FindField(Obj obj, std::string_view name, bson_iter_t* out) {
  bson_iter_t it;
  if (!bson_iter_init_from_data(&it, obj.data, obj.size)) return false;
  while (bson_iter_next(&it)) {
    if (std::string_view(bson_iter_key(&it), bson_iter_key_len(&it)) == name) {
      *out = it;
      return true;
    }
  }
  return false;
}

// Identity of an element (BSONElement::rawdata): its address in the document.
const uint8_t* Address(const bson_iter_t& it) { return it.raw + it.off; }

size_t NumComponents(std::string_view path) {
  if (path.empty()) return 0;
  return static_cast<size_t>(std::count(path.begin(), path.end(), '.')) + 1;
}

std::string_view FirstComponent(std::string_view path) { return path.substr(0, path.find('.')); }

// dotted_path_support::extractElementAtPathOrArrayAlongPath: follows `*path` through embedded
// documents and stops at its end or at the first array, leaving in `*path` what remains
// after the element found. False when the path does not exist.
bool ExtractElementOrArrayAlongPath(Obj obj, std::string_view* path, bson_iter_t* out) {
  while (true) {
    const size_t dot = path->find('.');
    const std::string_view part = path->substr(0, dot);
    *path = dot == std::string_view::npos ? std::string_view() : path->substr(dot + 1);
    if (!FindField(obj, part, out)) return false;
    const bson_type_t type = bson_iter_type(out);
    if (type == BSON_TYPE_ARRAY || path->empty()) return true;
    if (type != BSON_TYPE_DOCUMENT) return false;
    obj = SubObj(*out);
  }
}

// A part's value in the key being built.
struct Value {
  enum class Kind { kUnset, kElement, kNull, kUndefined };
  Kind kind = Kind::kUnset;
  bson_iter_t element;

  static Value Of(const bson_iter_t& it) { return Value{Kind::kElement, it}; }
  static Value Null() { return Value{Kind::kNull, {}}; }
  static Value Undefined() { return Value{Kind::kUndefined, {}}; }
};

struct FieldState {
  std::string_view remaining;  // path suffix still to resolve; empty when resolved
  Value value;
};

// An element of the current array chosen by position for one part, with the rest of that
// part's path already resolved from it.
struct Positional {
  bool active = false;
  bson_iter_t indexed;         // the array element selected by the numeric component
  Obj array = kEmptyObj;       // the array (for the ambiguity message)
  std::string_view remaining;  // path left after `dotted`
  bool dotted_found = false;
  bson_iter_t dotted;
};

// {"": null} and {"": undefined}, whose elements encode the synthetic values.
struct SyntheticValues {
  SyntheticValues() {
    bson_init(&null_doc);
    bson_append_null(&null_doc, "", 0);
    bson_init(&undefined_doc);
    bson_append_undefined(&undefined_doc, "", 0);
    bson_iter_init(&null_it, &null_doc);
    bson_iter_next(&null_it);
    bson_iter_init(&undefined_it, &undefined_doc);
    bson_iter_next(&undefined_it);
  }
  bson_t null_doc;
  bson_t undefined_doc;
  bson_iter_t null_it;
  bson_iter_t undefined_it;
};

const SyntheticValues& Synthetic() {
  static const SyntheticValues* const kValues = new SyntheticValues();
  return *kValues;
}

}  // namespace

bool IndexKeys::multikey() const {
  for (const auto& components : multikey_paths) {
    if (!components.empty()) return true;
  }
  return false;
}

// One Generate call's state.
class KeyGenerator::Run {
 public:
  // `values`, when not null, receives each emitted key with the values it was built from.
  Run(const KeyGenerator& generator, IndexKeys* out,
      std::vector<std::pair<std::string, Document>>* values)
      : generator_(generator), out_(out), values_(values), no_positions_(generator.parts_.size()) {}

  absl::Status Start(DocumentView doc) {
    std::vector<FieldState> fields(generator_.parts_.size());
    for (size_t i = 0; i < fields.size(); ++i) fields[i].remaining = generator_.parts_[i].path;
    return Expand(std::move(fields), Obj{doc.data(), static_cast<uint32_t>(doc.size())}, 0,
                  no_positions_);
  }

  void EmitAllNull() {
    std::vector<FieldState> fields(generator_.parts_.size());
    for (FieldState& field : fields) field.value = Value::Null();
    Emit(fields);
  }

 private:
  absl::Status Expand(std::vector<FieldState> fields, Obj obj, size_t not_found,
                      const std::vector<Positional>& positions);
  absl::Status ExpandElement(const std::vector<FieldState>& fields, Value entry,
                             const bson_iter_t& array, const std::vector<bool>& through_array,
                             bool expand_terminal, size_t not_found,
                             const std::vector<Positional>& positions);
  absl::StatusOr<bool> ExtractNext(Obj obj, const Positional& position, std::string_view* remaining,
                                   bson_iter_t* out, bool* nested_array);
  void Emit(const std::vector<FieldState>& fields);

  const KeyGenerator& generator_;
  IndexKeys* out_;
  std::vector<std::pair<std::string, Document>>* values_;
  const std::vector<Positional> no_positions_;
};

absl::StatusOr<bool> KeyGenerator::Run::ExtractNext(Obj obj, const Positional& position,
                                                    std::string_view* remaining, bson_iter_t* out,
                                                    bool* nested_array) {
  bson_iter_t ignored;
  const bool in_object = FindField(obj, FirstComponent(*remaining), &ignored);
  if (in_object && position.active) {
    std::string array_text =
        internal::ShellString(DocumentView(position.array.data, position.array.size));
    constexpr size_t kMaxLength = 1024;
    if (array_text.size() >= kMaxLength) {
      array_text = absl::StrCat(array_text.substr(0, kMaxLength / 3), " .......... ",
                                array_text.substr(array_text.size() - kMaxLength / 3));
    }
    return MongoError(internal::kLocation16746,
                      absl::StrCat("Ambiguous field name found in array (do not use numeric "
                                   "field names in embedded elements in an array), field: '",
                                   bson_iter_key(&position.indexed), "' for array: ", array_text));
  }
  *nested_array = false;
  if (in_object) return ExtractElementOrArrayAlongPath(obj, remaining, out);
  if (position.active) {
    *nested_array = bson_iter_type(&position.indexed) == BSON_TYPE_ARRAY;
    *remaining = position.remaining;
    if (position.dotted_found) *out = position.dotted;
    return position.dotted_found;
  }
  return false;
}

absl::Status KeyGenerator::Run::Expand(std::vector<FieldState> fields, Obj obj, size_t not_found,
                                       const std::vector<Positional>& positions) {
  const size_t n = fields.size();
  std::optional<bson_iter_t> array;
  std::vector<bool> through_array(n, false);
  std::vector<std::optional<size_t>> multikey_component(n);
  bool expand_terminal = true;  // false when the array sits directly in a positional array

  for (size_t i = 0; i < n; ++i) {
    if (fields[i].remaining.empty()) continue;
    bson_iter_t element;
    bool nested_array = false;
    ASSIGN_OR_RETURN(const bool found,
                     ExtractNext(obj, positions[i], &fields[i].remaining, &element, &nested_array));
    if (!found) {
      fields[i].value = Value::Null();
      fields[i].remaining = {};
      ++not_found;
    } else if (bson_iter_type(&element) == BSON_TYPE_ARRAY) {
      through_array[i] = true;
      if (!array.has_value()) {
        array = element;
      } else if (Address(element) != Address(*array)) {
        return MongoError(internal::kCannotIndexParallelArrays,
                          absl::StrCat("cannot index parallel arrays [", bson_iter_key(&element),
                                       "] [", bson_iter_key(&*array), "]"));
      }
      if (nested_array) expand_terminal = false;
    } else {
      fields[i].value = Value::Of(element);
      fields[i].remaining = {};
    }
  }

  if (!array.has_value()) {
    if (generator_.sparse_ && not_found == n) return absl::OkStatus();
    Emit(fields);
    return absl::OkStatus();
  }

  const Obj elements = SubObj(*array);
  if (IsEmpty(elements)) {
    if (expand_terminal) {
      for (size_t i = 0; i < n; ++i) {
        if (!through_array[i]) continue;
        multikey_component[i] =
            generator_.parts_[i].num_components - NumComponents(fields[i].remaining) - 1;
      }
    }
    RETURN_IF_ERROR(ExpandElement(fields, Value::Undefined(), *array, through_array,
                                  /*expand_terminal=*/true, not_found, no_positions_));
  } else {
    std::vector<Positional> sub_positions(n);
    for (size_t i = 0; i < n; ++i) {
      if (fields[i].remaining.empty()) {
        if (through_array[i] && expand_terminal) {
          multikey_component[i] = generator_.parts_[i].num_components - 1;
        }
        continue;
      }
      Positional& position = sub_positions[i];
      if (!FindField(elements, FirstComponent(fields[i].remaining), &position.indexed)) {
        multikey_component[i] =
            generator_.parts_[i].num_components - NumComponents(fields[i].remaining) - 1;
        continue;
      }
      position.active = true;
      position.array = elements;
      position.remaining = fields[i].remaining;
      position.dotted_found =
          ExtractElementOrArrayAlongPath(elements, &position.remaining, &position.dotted);
    }
    bson_iter_t it;
    bson_iter_init_from_data(&it, elements.data, elements.size);
    while (bson_iter_next(&it)) {
      RETURN_IF_ERROR(ExpandElement(fields, Value::Of(it), *array, through_array, expand_terminal,
                                    not_found, sub_positions));
    }
  }

  for (size_t i = 0; i < n; ++i) {
    if (multikey_component[i].has_value()) {
      out_->multikey_paths[i].insert(*multikey_component[i]);
    }
  }
  return absl::OkStatus();
}

absl::Status KeyGenerator::Run::ExpandElement(const std::vector<FieldState>& fields, Value entry,
                                              const bson_iter_t& array,
                                              const std::vector<bool>& through_array,
                                              bool expand_terminal, size_t not_found,
                                              const std::vector<Positional>& positions) {
  std::vector<FieldState> next = fields;
  for (size_t i = 0; i < next.size(); ++i) {
    if (through_array[i] && next[i].remaining.empty()) {
      next[i].value = expand_terminal ? entry : Value::Of(array);
    }
  }
  const bool is_document =
      entry.kind == Value::Kind::kElement && bson_iter_type(&entry.element) == BSON_TYPE_DOCUMENT;
  return Expand(std::move(next), is_document ? SubObj(entry.element) : kEmptyObj, not_found,
                positions);
}

void KeyGenerator::Run::Emit(const std::vector<FieldState>& fields) {
  std::string key;
  Document values;
  for (size_t i = 0; i < fields.size(); ++i) {
    const Value& value = fields[i].value;
    const bson_iter_t* it = &value.element;
    if (value.kind == Value::Kind::kUndefined) it = &Synthetic().undefined_it;
    if (value.kind == Value::Kind::kNull || value.kind == Value::Kind::kUnset) {
      it = &Synthetic().null_it;
    }
    if (generator_.parts_[i].descending) {
      document::AppendKeyStringDescending(*it, &key);
    } else {
      document::AppendKeyString(*it, &key);
    }
    if (values_ != nullptr) {
      const std::string& path = generator_.parts_[i].path;
      bson_append_iter(values.mutable_bson(), path.data(), static_cast<int>(path.size()), it);
    }
  }
  if (values_ != nullptr) values_->emplace_back(key, std::move(values));
  out_->keys.push_back(std::move(key));
}

KeyGenerator::KeyGenerator(const IndexSpec& spec)
    : key_parts_(spec.key_parts()),
      sparse_(spec.sparse()),
      partial_(spec.partial_filter_expression().has_value()),
      typed_(spec.entry_format() >= 1) {
  for (const KeyPart& part : spec.key_parts()) {
    parts_.push_back(Part{part.path, part.descending, NumComponents(part.path)});
  }
}

absl::StatusOr<IndexKeys> KeyGenerator::Generate(DocumentView doc,
                                                 const DocumentPredicate* partial_filter) const {
  return GenerateImpl(doc, partial_filter, nullptr);
}

absl::StatusOr<Document> KeyGenerator::KeyValues(DocumentView doc, absl::string_view key,
                                                 const DocumentPredicate* partial_filter) const {
  std::vector<std::pair<std::string, Document>> values;
  RETURN_IF_ERROR(GenerateImpl(doc, partial_filter, &values).status());
  for (auto& [generated, value] : values) {
    if (generated == key) return std::move(value);
  }
  return absl::NotFoundError("the document does not produce that index key");
}

absl::StatusOr<IndexKeys> KeyGenerator::GenerateImpl(
    DocumentView doc, const DocumentPredicate* partial_filter,
    std::vector<std::pair<std::string, Document>>* values) const {
  IndexKeys out;
  out.multikey_paths.resize(parts_.size());
  if (partial_) {
    if (partial_filter == nullptr) {
      return absl::FailedPreconditionError(
          "a partial index needs its compiled partialFilterExpression to generate keys");
    }
    if (!partial_filter->Matches(doc)) return out;
  }
  Run run(*this, &out, values);
  RETURN_IF_ERROR(run.Start(doc));
  if (out.keys.empty() && !sparse_) run.EmitAllNull();
  std::sort(out.keys.begin(), out.keys.end());
  out.keys.erase(std::unique(out.keys.begin(), out.keys.end()), out.keys.end());
  if (typed_) {
    // Only a document with one key and no array can be rebuilt from its key (key_types.h).
    const bool single_key = out.keys.size() == 1 && !out.multikey();
    for (const std::string& key : out.keys) {
      ASSIGN_OR_RETURN(std::string types, KeyPartTypes(key_parts_, doc, key, single_key));
      out.key_types.push_back(std::move(types));
    }
  }
  return out;
}

absl::StatusOr<IndexKeys> GenerateKeys(const IndexSpec& spec, DocumentView doc,
                                       const DocumentPredicate* partial_filter) {
  return KeyGenerator(spec).Generate(doc, partial_filter);
}

absl::Status DuplicateKeyError(absl::string_view ns, const IndexSpec& spec,
                               DocumentView key_values) {
  absl::Status error = MongoError(
      ErrorCode::kDuplicateKey,
      absl::StrCat("E11000 duplicate key error collection: ", ns, " index: ", spec.name(),
                   " dup key: ", internal::ShellString(key_values)));
  // What drivers expose as the error's details (pymongo's DuplicateKeyError.details).
  bson_t fields = BSON_INITIALIZER;
  bson_t pattern, values;
  spec.key_pattern().AsBson(&pattern);
  key_values.AsBson(&values);
  bson_append_document(&fields, "keyPattern", -1, &pattern);
  bson_append_document(&fields, "keyValue", -1, &values);
  SetErrorReplyFields(
      error, absl::string_view(reinterpret_cast<const char*>(bson_get_data(&fields)), fields.len));
  bson_destroy(&fields);
  return error;
}

KeyDelta KeyDiff(absl::Span<const std::string> old_keys, absl::Span<const std::string> new_keys) {
  KeyDelta delta;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(),
                      std::back_inserter(delta.removed));
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(),
                      std::back_inserter(delta.added));
  return delta;
}

KeyDelta KeyDiff(const IndexKeys& old_keys, const IndexKeys& new_keys) {
  KeyDelta delta = KeyDiff(old_keys.keys, new_keys.keys);
  if (old_keys.key_types.size() != old_keys.keys.size() ||
      new_keys.key_types.size() != new_keys.keys.size()) {
    return delta;
  }
  size_t i = 0, j = 0;
  while (i < old_keys.keys.size() && j < new_keys.keys.size()) {
    const int order = old_keys.keys[i].compare(new_keys.keys[j]);
    if (order < 0) {
      ++i;
    } else if (order > 0) {
      ++j;
    } else {
      if (old_keys.key_types[i] != new_keys.key_types[j]) {
        delta.retyped.push_back(new_keys.keys[j]);
        delta.retyped_types.push_back(new_keys.key_types[j]);
      }
      ++i;
      ++j;
    }
  }
  return delta;
}

bool MergeMultikeyPaths(const MultikeyPaths& from, MultikeyPaths* into) {
  bool changed = false;
  if (into->size() < from.size()) into->resize(from.size());
  for (size_t i = 0; i < from.size(); ++i) {
    for (size_t component : from[i]) changed |= (*into)[i].insert(component).second;
  }
  return changed;
}

}  // namespace strata::index
