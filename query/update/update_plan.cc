// Parsing an update document into an update tree, and applying it. See update_plan.h.
#include "query/update/update_plan.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/compare.h"
#include "document/type_names.h"
#include "document/validate.h"
#include "query/update/bson_text.h"
#include "query/update/modifiers.h"
#include "query/update/update_tree.h"

namespace strata::query::update {

using internal::Node;

struct UpdatePlan::Impl {
  Document update;  // our copy: modifiers keep iterators into it
  bool replacement = false;
  Node root;
  std::vector<internal::RenameSpec> renames;
  std::vector<Document> filter_documents;  // before array_filters: predicates may borrow
  // std::map: keys stay put, so predicates may borrow their identifier.
  std::map<std::string, std::unique_ptr<ElementPredicate>> array_filters;
  bool uses_positional = false;
  std::string id_path;       // the first path that starts at `_id`, if any
  bool check_depth = false;  // the result may nest deeper than the limit
  std::function<absl::StatusOr<Document>(DocumentView)> pipeline;  // pipeline-style update
};

namespace {

absl::Status FailedToParse(absl::string_view message) {
  return MongoError(ErrorCode::kFailedToParse, message);
}

absl::Status BadValue(absl::string_view message) {
  return MongoError(ErrorCode::kBadValue, message);
}

// "{ a: 1, b: 2 }" for a whole document (messages only).
std::string DocumentText(DocumentView doc) {
  bson_t view;
  bson_iter_t it;
  if (!doc.AsBson(&view) || !bson_iter_init(&it, &view)) return "{}";
  std::vector<std::string> parts;
  while (bson_iter_next(&it)) parts.push_back(ElementToString(it));
  if (parts.empty()) return "{}";
  return absl::StrCat("{ ", absl::StrJoin(parts, ", "), " }");
}

// Nesting depth of a value: 0 for scalars, 1 + the deepest element for containers. The
// update document passed validation, so recursion is bounded by its depth limit.
int ValueDepth(const bson_iter_t& it) {
  const bson_type_t type = bson_iter_type(&it);
  if (type != BSON_TYPE_DOCUMENT && type != BSON_TYPE_ARRAY) return 0;
  int deepest = 0;
  bson_iter_t child;
  if (bson_iter_recurse(&it, &child)) {
    while (bson_iter_next(&child)) deepest = std::max(deepest, ValueDepth(child));
  }
  return deepest + 1;
}

bool IsArrayFilterComponent(absl::string_view part) {
  return part.size() >= 3 && part.substr(0, 2) == "$[" && part.back() == ']';
}

// Splits and checks an update path (MongoDB's fieldchecker rules).
absl::StatusOr<std::vector<std::string>> SplitUpdatePath(absl::string_view path) {
  if (path.empty())
    return MongoError(ErrorCode::kEmptyFieldName, "An empty update path is not valid.");
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (const std::string& part : parts) {
    if (part.empty()) {
      return MongoError(ErrorCode::kEmptyFieldName,
                        absl::StrCat("The update path '", path,
                                     "' contains an empty field name, which is not allowed."));
    }
  }
  return parts;
}

// An arrayFilters entry's identifier: the first component of every top-level path (looking
// through $and/$or/$nor).
absl::Status CollectFilterIdentifiers(const bson_t* filter, std::string* identifier) {
  bson_iter_t it;
  if (!bson_iter_init(&it, filter)) return FailedToParse("invalid array filter");
  while (bson_iter_next(&it)) {
    const absl::string_view key = bson_iter_key(&it);
    if (key == "$and" || key == "$or" || key == "$nor") {
      bson_iter_t clauses;
      if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &clauses)) continue;
      while (bson_iter_next(&clauses)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&clauses)) continue;
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&clauses, &length, &data);
        bson_t clause;
        if (!bson_init_static(&clause, data, length)) continue;
        RETURN_IF_ERROR(CollectFilterIdentifiers(&clause, identifier));
      }
      continue;
    }
    if (!key.empty() && key.front() == '$') continue;  // $expr, $comment, …
    const absl::string_view name = key.substr(0, key.find('.'));
    if (identifier->empty()) {
      *identifier = std::string(name);
    } else if (*identifier != name) {
      return FailedToParse(absl::StrCat(
          "Error parsing array filter :: caused by :: Expected a single top-level field name, "
          "found '",
          *identifier, "' and '", name, "'"));
    }
  }
  return absl::OkStatus();
}

bool IsValidIdentifier(absl::string_view name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z') return false;
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) return false;
  }
  return true;
}

class Parser {
 public:
  Parser(UpdatePlan::Impl* plan, const UpdateParseOptions& options)
      : plan_(plan), options_(options) {}

  absl::Status ParseArrayFilters() {
    for (DocumentView view : options_.array_filters) {
      Document filter = Document::Copy(view);
      std::string identifier;
      RETURN_IF_ERROR(CollectFilterIdentifiers(filter.bson(), &identifier));
      if (identifier.empty()) {
        return FailedToParse(
            "Cannot use an expression without a top-level field name in "
            "arrayFilters");
      }
      if (!IsValidIdentifier(identifier)) {
        return BadValue(absl::StrCat(
            "Error parsing array filter :: caused by :: The top-level field name must be an "
            "alphanumeric string beginning with a lowercase letter, found '",
            identifier, "'"));
      }
      if (plan_->array_filters.contains(identifier)) {
        return FailedToParse(absl::StrCat(
            "Found multiple array filters with the same top-level field name ", identifier));
      }
      if (!options_.predicate_factory) {
        return MongoError(ErrorCode::kNotImplemented,
                          "arrayFilters need a filter matcher (no predicate factory was "
                          "configured)");
      }
      plan_->filter_documents.push_back(std::move(filter));
      PredicateSpec spec;
      spec.target = PredicateSpec::Target::kWrapped;
      spec.filter = plan_->filter_documents.back().view();
      // The key lives in the map node; take the view from there.
      auto [slot, inserted] = plan_->array_filters.emplace(identifier, nullptr);
      spec.root_name = slot->first;
      absl::StatusOr<std::unique_ptr<ElementPredicate>> predicate =
          options_.predicate_factory(spec);
      if (!predicate.ok()) {
        plan_->array_filters.erase(identifier);
        return predicate.status();
      }
      slot->second = *std::move(predicate);
    }
    return absl::OkStatus();
  }

  absl::Status ParseOperators() {
    bson_iter_t it;
    bson_iter_init(&it, plan_->update.bson());
    while (bson_iter_next(&it)) {
      const absl::string_view name = bson_iter_key(&it);
      internal::ModifierKind kind = internal::ModifierKind::kSet;
      const bool is_rename = name == "$rename";
      if (!is_rename && !internal::LookupModifier(name, &kind)) {
        return FailedToParse(absl::StrCat(
            "Unknown modifier: ", name,
            ". Expected a valid update modifier or pipeline-style update specified as an "
            "array"));
      }
      if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
        return FailedToParse(absl::StrCat("Modifiers operate on fields but we found type ",
                                          document::BsonTypeName(bson_iter_type(&it)),
                                          " instead. For example: {$mod: {<field>: ...}} not {",
                                          ElementToString(it), "}"));
      }
      bson_iter_t field;
      bson_iter_recurse(&it, &field);
      while (bson_iter_next(&field)) {
        if (is_rename) {
          RETURN_IF_ERROR(ParseRename(field));
        } else {
          RETURN_IF_ERROR(ParseField(kind, field));
        }
      }
    }
    for (const auto& [identifier, predicate] : plan_->array_filters) {
      if (!used_identifiers_.contains(identifier)) {
        return FailedToParse(absl::StrCat("The array filter for identifier '", identifier,
                                          "' was not used in the update ",
                                          DocumentText(plan_->update.view())));
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ParseField(internal::ModifierKind kind, const bson_iter_t& field) {
    const absl::string_view path = bson_iter_key(&field);
    ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitUpdatePath(path));
    RETURN_IF_ERROR(CheckDynamicParts(path, parts));
    ASSIGN_OR_RETURN(std::unique_ptr<internal::Modifier> modifier,
                     internal::MakeModifier(kind, field, options_.predicate_factory));
    int depth = static_cast<int>(parts.size()) + ValueDepth(field);
    if (kind == internal::ModifierKind::kPush || kind == internal::ModifierKind::kAddToSet) {
      ++depth;
    }
    if (depth > document::kMaxNestingDepth) plan_->check_depth = true;
    return Insert(path, parts, std::move(modifier));
  }

  absl::Status ParseRename(const bson_iter_t& field) {
    const absl::string_view from = bson_iter_key(&field);
    if (!BSON_ITER_HOLDS_UTF8(&field)) {
      return BadValue(
          absl::StrCat("The 'to' field for $rename must be a string: ", ElementToString(field)));
    }
    uint32_t length = 0;
    const char* text = bson_iter_utf8(&field, &length);
    const absl::string_view to(text, length);
    ASSIGN_OR_RETURN(std::vector<std::string> from_parts, SplitUpdatePath(from));
    ASSIGN_OR_RETURN(std::vector<std::string> to_parts, SplitUpdatePath(to));
    auto dynamic = [](const std::vector<std::string>& parts) {
      for (const std::string& part : parts) {
        if (part == "$" || IsArrayFilterComponent(part)) return true;
      }
      return false;
    };
    if (dynamic(from_parts)) {
      return BadValue(absl::StrCat("The source field for $rename may not be dynamic: ", from));
    }
    if (dynamic(to_parts)) {
      return BadValue(absl::StrCat("The destination field for $rename may not be dynamic: ", to));
    }
    if (from == to) {
      return BadValue(absl::StrCat("The source and target field for $rename must differ: ",
                                   ElementToString(field)));
    }
    const size_t common = std::min(from_parts.size(), to_parts.size());
    if (std::equal(from_parts.begin(), from_parts.begin() + static_cast<ptrdiff_t>(common),
                   to_parts.begin())) {
      return BadValue(
          absl::StrCat("The source and target field for $rename must not be on the same path: ",
                       ElementToString(field)));
    }
    const size_t index = plan_->renames.size();
    plan_->renames.push_back({std::string(from), std::string(to)});
    plan_->check_depth = true;  // the moved value's depth is only known per document
    RETURN_IF_ERROR(Insert(from, from_parts, internal::MakeRenameSource(index)));
    return Insert(to, to_parts, internal::MakeRenameDestination(index));
  }

  // Positional `$` and `$[<id>]` rules.
  absl::Status CheckDynamicParts(absl::string_view path, const std::vector<std::string>& parts) {
    size_t positional = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      if (part == "$") {
        ++positional;
        if (positional > 1) {
          return BadValue(
              absl::StrCat("Too many positional (i.e. '$') elements found in path '", path, "'"));
        }
        if (i == 0) {
          return BadValue(absl::StrCat(
              "Cannot have positional (i.e. '$') element in the first position in path '", path,
              "'"));
        }
      }
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      if (!IsArrayFilterComponent(part)) continue;
      if (i == 0) {
        return BadValue(absl::StrCat(
            "Cannot have array filter identifier (i.e. '$[<id>]') element in the first "
            "position in path '",
            path, "'"));
      }
      const std::string identifier = part.substr(2, part.size() - 3);
      if (identifier.empty()) continue;  // $[]
      if (!plan_->array_filters.contains(identifier)) {
        return BadValue(absl::StrCat("No array filter found for identifier '", identifier,
                                     "' in path '", path, "'"));
      }
      used_identifiers_.insert(identifier);
    }
    return absl::OkStatus();
  }

  // Adds a leaf at `parts`; overlapping paths conflict.
  absl::Status Insert(absl::string_view path, const std::vector<std::string>& parts,
                      std::unique_ptr<internal::Modifier> modifier) {
    if (parts.front() == "_id" && plan_->id_path.empty()) plan_->id_path = std::string(path);
    Node* current = &plan_->root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      auto it = current->children.find(parts[i]);
      if (it == current->children.end()) {
        it = current->children.emplace(parts[i], std::make_unique<Node>()).first;
        NoteSpecialChild(current, parts[i]);
      } else if (it->second->leaf != nullptr) {
        return Conflict(path, parts, i + 1);
      }
      current = it->second.get();
    }
    if (current->children.contains(parts.back())) return Conflict(path, parts, parts.size());
    auto leaf = std::make_unique<Node>();
    leaf->leaf = std::move(modifier);
    current->children.emplace(parts.back(), std::move(leaf));
    NoteSpecialChild(current, parts.back());
    return absl::OkStatus();
  }

  void NoteSpecialChild(Node* node, const std::string& part) {
    if (part == "$") {
      node->has_positional = true;
      plan_->uses_positional = true;
    } else if (IsArrayFilterComponent(part)) {
      node->has_array_children = true;
    }
  }

  absl::Status Conflict(absl::string_view path, const std::vector<std::string>& parts,
                        size_t prefix_length) {
    const std::string prefix =
        absl::StrJoin(parts.begin(), parts.begin() + static_cast<ptrdiff_t>(prefix_length), ".");
    return MongoError(
        ErrorCode::kConflictingUpdateOperators,
        absl::StrCat("Updating the path '", path, "' would create a conflict at '", prefix, "'"));
  }

  UpdatePlan::Impl* plan_;
  const UpdateParseOptions& options_;
  absl::flat_hash_set<std::string> used_identifiers_;
};

// Finds `name` among the elements `it` iterates (from its current position).
bool FindChild(bson_iter_t* it, absl::string_view name, bson_iter_t* out) {
  while (bson_iter_next(it)) {
    if (name == bson_iter_key(it)) {
      *out = *it;
      return true;
    }
  }
  return false;
}

// Resolves the source of a rename in the input document. Sources inside arrays are refused;
// so are destinations whose existing prefix is an array.
absl::StatusOr<std::optional<bson_iter_t>> ResolveRename(const bson_t* doc,
                                                         const internal::RenameSpec& rename,
                                                         const internal::ApplyState& state) {
  const std::vector<std::string> from = absl::StrSplit(rename.from, '.');
  bson_iter_t level;
  bson_iter_init(&level, doc);
  bson_iter_t found;
  std::string array_path;
  std::string walked;
  bool exists = true;
  for (size_t i = 0; i < from.size(); ++i) {
    if (!FindChild(&level, from[i], &found)) {
      exists = false;
      break;
    }
    if (!walked.empty()) walked.push_back('.');
    walked += from[i];
    if (i + 1 == from.size()) break;
    const bson_type_t type = bson_iter_type(&found);
    if (type == BSON_TYPE_ARRAY && array_path.empty()) array_path = walked;
    if ((type != BSON_TYPE_DOCUMENT && type != BSON_TYPE_ARRAY) ||
        !bson_iter_recurse(&found, &level)) {
      exists = false;
      break;
    }
  }
  if (!exists) return std::optional<bson_iter_t>();
  if (!array_path.empty()) {
    return BadValue(absl::StrCat("The source field cannot be an array element, '", rename.from,
                                 "' in doc with ", state.IdText(), " has an array field called '",
                                 array_path, "'"));
  }
  const std::vector<std::string> to = absl::StrSplit(rename.to, '.');
  bson_iter_init(&level, doc);
  walked.clear();
  for (size_t i = 0; i + 1 < to.size(); ++i) {
    bson_iter_t prefix;
    if (!FindChild(&level, to[i], &prefix)) break;
    if (!walked.empty()) walked.push_back('.');
    walked += to[i];
    if (bson_iter_type(&prefix) == BSON_TYPE_ARRAY) {
      return BadValue(absl::StrCat("The destination field cannot be an array element, '", rename.to,
                                   "' in doc with ", state.IdText(), " has an array field called '",
                                   walked, "'"));
    }
    if (bson_iter_type(&prefix) != BSON_TYPE_DOCUMENT || !bson_iter_recurse(&prefix, &level)) {
      break;
    }
  }
  return std::optional<bson_iter_t>(found);
}

bool FindTopLevel(const bson_t* doc, const char* name, bson_iter_t* out) {
  return bson_iter_init_find(out, doc, name);
}

absl::StatusOr<UpdateOutcome> ApplyReplacement(const UpdatePlan::Impl& plan, const bson_t* doc) {
  bson_iter_t original_id;
  const bool has_original_id = FindTopLevel(doc, "_id", &original_id);
  bson_iter_t new_id;
  const bool has_new_id = FindTopLevel(plan.update.bson(), "_id", &new_id);
  if (has_original_id && has_new_id && !internal::BinaryEqual(original_id, new_id)) {
    return MongoError(ErrorCode::kImmutableField,
                      absl::StrCat("After applying the update, the (immutable) field '_id' was "
                                   "found to have been altered to ",
                                   ElementToString(new_id)));
  }
  bson_t* out = bson_sized_new(plan.update.size() + 32);
  if (has_original_id) {
    internal::AppendIter(out, "_id", original_id);
  } else if (has_new_id) {
    internal::AppendIter(out, "_id", new_id);
  }
  bson_iter_t it;
  bson_iter_init(&it, plan.update.bson());
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == "_id") continue;
    internal::AppendIter(out, bson_iter_key(&it), it);
  }
  UpdateOutcome outcome{Document::Adopt(out), false};
  return outcome;
}

}  // namespace

UpdatePlan::UpdatePlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UpdatePlan::UpdatePlan(UpdatePlan&&) noexcept = default;
UpdatePlan& UpdatePlan::operator=(UpdatePlan&&) noexcept = default;
UpdatePlan::~UpdatePlan() = default;

bool UpdatePlan::is_replacement() const { return impl_->replacement; }
bool UpdatePlan::uses_positional() const { return impl_->uses_positional; }

namespace {
// A pipeline-style update of one document; `_id` is kept (see UpdateParseOptions::pipeline).
absl::StatusOr<UpdateOutcome> ApplyPipeline(const UpdatePlan::Impl& impl, DocumentView doc,
                                            const bson_t* input) {
  ASSIGN_OR_RETURN(Document result, impl.pipeline(doc));
  bson_iter_t old_id, new_id;
  const bool had_id = bson_iter_init_find(&old_id, input, "_id");
  if (had_id && !bson_iter_init_find(&new_id, result.bson(), "_id")) {
    Document with_id;
    bson_append_iter(with_id.mutable_bson(), "_id", 3, &old_id);
    bson_concat(with_id.mutable_bson(), result.bson());
    result = std::move(with_id);
  } else if (had_id && document::CompareValues(old_id, new_id) != 0) {
    return MongoError(ErrorCode::kImmutableField,
                      "After applying the update, the (immutable) field '_id' was found to have "
                      "been altered");
  }
  UpdateOutcome outcome;
  outcome.modified = !result.view().BytesEqual(doc);
  outcome.result = std::move(result);
  return outcome;
}
}  // namespace

absl::StatusOr<UpdatePlan> UpdatePlan::Parse(DocumentView update,
                                             const UpdateParseOptions& options) {
  auto plan = std::make_unique<Impl>();
  plan->update = Document::Copy(update);
  if (options.pipeline) {
    plan->pipeline = options.pipeline;
    return UpdatePlan(std::move(plan));
  }
  bson_iter_t it;
  if (!bson_iter_init(&it, plan->update.bson())) {
    return FailedToParse("the update is not a valid BSON document");
  }
  Parser parser(plan.get(), options);
  RETURN_IF_ERROR(parser.ParseArrayFilters());
  const bool first_is_operator =
      bson_iter_next(&it) && absl::string_view(bson_iter_key(&it)).substr(0, 1) == "$";
  if (first_is_operator) {
    RETURN_IF_ERROR(parser.ParseOperators());
  } else {
    plan->replacement = true;
    bson_iter_init(&it, plan->update.bson());
    while (bson_iter_next(&it)) {
      const absl::string_view key = bson_iter_key(&it);
      if (!key.empty() && key.front() == '$') {
        return MongoError(ErrorCode::kDollarPrefixedFieldName,
                          absl::StrCat("The dollar ($) prefixed field '", key, "' in '", key,
                                       "' is not allowed in the context of an update's "
                                       "replacement document. Consider using an aggregation "
                                       "pipeline with $replaceWith."));
      }
    }
    if (!plan->array_filters.empty()) {
      return FailedToParse(
          absl::StrCat("The array filter for identifier '", plan->array_filters.begin()->first,
                       "' was not used in the update ", DocumentText(plan->update.view())));
    }
  }
  return UpdatePlan(std::move(plan));
}

absl::StatusOr<UpdateOutcome> UpdatePlan::Apply(DocumentView doc, const ApplyContext& ctx) const {
  bson_t input;
  if (!doc.AsBson(&input)) return BadValue("invalid BSON document");
  if (impl_->pipeline) return ApplyPipeline(*impl_, doc, &input);
  absl::StatusOr<UpdateOutcome> outcome;
  if (impl_->replacement) {
    outcome = ApplyReplacement(*impl_, &input);
    if (!outcome.ok()) return outcome.status();
  } else {
    internal::ApplyState state;
    state.ctx = &ctx;
    state.has_id = FindTopLevel(&input, "_id", &state.id);
    const absl::Time now = ctx.now.has_value() ? *ctx.now : absl::Now();
    state.now_millis = absl::ToUnixMillis(now);
    state.now_seconds = static_cast<uint32_t>(absl::ToUnixSeconds(now));
    state.array_filters = &impl_->array_filters;
    state.rename_sources.reserve(impl_->renames.size());
    for (const internal::RenameSpec& rename : impl_->renames) {
      ASSIGN_OR_RETURN(std::optional<bson_iter_t> source, ResolveRename(&input, rename, state));
      state.rename_sources.push_back(source);
    }
    bson_t* out = bson_sized_new(doc.size() + 64);
    Document result = Document::Adopt(out);
    RETURN_IF_ERROR(internal::ApplyTree(impl_->root, doc, state, result.mutable_bson()));
    if (!impl_->id_path.empty() && state.has_id) {
      bson_iter_t new_id;
      const bool kept =
          FindTopLevel(result.bson(), "_id", &new_id) && internal::BinaryEqual(state.id, new_id);
      if (!kept) {
        return MongoError(ErrorCode::kImmutableField,
                          absl::StrCat("Performing an update on the path '", impl_->id_path,
                                       "' would modify the immutable field '_id'"));
      }
    }
    outcome = UpdateOutcome{std::move(result), false};
  }
  if (outcome->result.size() > document::kMaxUserDocumentSize) {
    return MongoError(ErrorCode::kBSONObjectTooLarge,
                      absl::StrCat("Resulting document after update is larger than ",
                                   document::kMaxUserDocumentSize));
  }
  if (impl_->check_depth) {
    document::ValidateOptions validate;
    validate.max_size = document::kMaxUserDocumentSize;
    validate.reject_duplicate_names = false;
    RETURN_IF_ERROR(document::ValidateBson(outcome->result.view(), validate));
  }
  outcome->modified = !outcome->result.view().BytesEqual(doc);
  return outcome;
}

}  // namespace strata::query::update
