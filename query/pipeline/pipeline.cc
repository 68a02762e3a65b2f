#include "query/pipeline/pipeline.h"

#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "document/type_names.h"
#include "query/pipeline/internal.h"

namespace strata::query::pipeline {

using expression::Value;

namespace internal {

absl::Status Error(int code, absl::string_view message) {
  return MongoError(static_cast<ErrorCode>(code), message);
}

std::string TypeNameOf(const bson_iter_t& it) {
  return std::string(document::BsonTypeName(bson_iter_type(&it)));
}

DocumentView Embedded(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &length, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_array(&it, &length, &data);
  } else {
    return DocumentView();
  }
  return DocumentView(data, length);
}

std::vector<std::string> SplitPath(absl::string_view path) { return absl::StrSplit(path, '.'); }

namespace {
void SetPathInto(DocumentView doc, const std::vector<std::string>& path, size_t depth,
                 const Value& value, bson_t* out) {
  bson_t in;
  bool found = false;
  if (doc.AsBson(&in)) {
    bson_iter_t it;
    bson_iter_init(&it, &in);
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      if (path[depth] != key) {
        bson_append_iter(out, key, -1, &it);
        continue;
      }
      found = true;
      if (depth + 1 == path.size()) {
        value.AppendTo(out, key);
        continue;
      }
      bson_t child;
      bson_append_document_begin(out, key, -1, &child);
      SetPathInto(BSON_ITER_HOLDS_DOCUMENT(&it) ? Embedded(it) : DocumentView(), path, depth + 1,
                  value, &child);
      bson_append_document_end(out, &child);
    }
  }
  if (found) return;
  if (depth + 1 == path.size()) {
    value.AppendTo(out, path[depth]);
    return;
  }
  if (value.missing()) return;
  bson_t child;
  bson_append_document_begin(out, path[depth].c_str(), -1, &child);
  SetPathInto(DocumentView(), path, depth + 1, value, &child);
  bson_append_document_end(out, &child);
}
}  // namespace

Document SetPath(DocumentView doc, const std::vector<std::string>& path, const Value& value) {
  Document out;
  SetPathInto(doc, path, 0, value, out.mutable_bson());
  return out;
}

Value GetPathNoArrays(DocumentView doc, const std::vector<std::string>& path) {
  Value current = Value::BorrowDocument(doc);
  for (const std::string& part : path) {
    if (!current.is_document()) return Value();
    current = current.GetField(part);
    if (current.missing()) return current;
  }
  return current;
}

Document DocumentOfValue(const Value& v) { return Document::Copy(v.doc()); }

absl::Status MemoryLimitError(absl::string_view what, size_t limit) {
  if (what == "$sort") {
    return MongoError(ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed,
                      absl::StrCat("Sort exceeded memory limit of ", limit,
                                   " bytes, but did not opt in to external sorting."));
  }
  return MongoError(ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed,
                    absl::StrCat("Exceeded memory limit for ", what,
                                 ", but didn't allow external sort. Pass allowDiskUse:true to "
                                 "opt in."));
}

namespace {
template <typename T>
absl::StatusOr<std::vector<StagePtr>> One(absl::StatusOr<T> stage) {
  if (!stage.ok()) return stage.status();
  std::vector<StagePtr> out;
  out.push_back(std::move(*stage));
  return out;
}
}  // namespace

absl::StatusOr<std::vector<StagePtr>> MakeStage(absl::string_view name, const bson_iter_t& spec,
                                                const PipelineContext& context) {
  if (name == "$match") return One(MakeMatch(spec, context));
  if (name == "$project") return One(MakeProject(spec, context));
  if (name == "$addFields" || name == "$set") return One(MakeAddFields(name, spec, context));
  if (name == "$unset") return One(MakeUnset(spec, context));
  if (name == "$group") return One(MakeGroup(spec, context));
  if (name == "$sort") return One(MakeSort(spec, context, std::nullopt));
  if (name == "$limit") return One(MakeLimit(spec));
  if (name == "$skip") return One(MakeSkip(spec));
  if (name == "$unwind") return One(MakeUnwind(spec));
  if (name == "$count") return One(MakeCount(spec));
  if (name == "$replaceRoot" || name == "$replaceWith") {
    return One(MakeReplaceRoot(name, spec, context));
  }
  if (name == "$sortByCount") return MakeSortByCount(spec, context);
  if (name == "$bucket") return One(MakeBucket(spec, context));
  if (name == "$bucketAuto") return One(MakeBucketAuto(spec, context));
  if (name == "$facet") return One(MakeFacet(spec, context));
  if (name == "$sample") return One(MakeSample(spec));
  if (name == "$redact") return One(MakeRedact(spec, context));
  if (name == "$lookup") return One(MakeLookup(spec, context));
  if (name == "$unionWith") return One(MakeUnionWith(spec, context));
  if (name == "$out") return One(MakeOut(spec, context));
  if (name == "$merge") return One(MakeMerge(spec, context));
  if (name == "$documents") return One(MakeDocuments(spec, context));
  return Error(40324, absl::StrCat("Unrecognized pipeline stage name: '", name, "'"));
}

}  // namespace internal

using internal::Error;

absl::string_view JoinStrategyName(JoinStrategy strategy) {
  switch (strategy) {
    case JoinStrategy::kAuto:
      return "auto";
    case JoinStrategy::kIndexedLoop:
      return "INDEXED_NESTED_LOOP_JOIN";
    case JoinStrategy::kHashJoin:
      return "HASH_JOIN";
    case JoinStrategy::kNestedLoopScan:
      return "NESTED_LOOP_JOIN";
    case JoinStrategy::kPerDocumentQuery:
      return "PER_DOCUMENT_QUERY";
  }
  return "unknown";
}

ExpressionScope::ExpressionScope(const PipelineContext& context) : eval_(context.now_millis) {
  for (const auto& [name, value] : context.variables) {
    auto id = parse_.DefineVariable(name);
    if (id.ok()) eval_.SetVariable(*id, value);
  }
}

void StageSpec::Value(bson_iter_t* it) const {
  bson_iter_init(it, stage.bson());
  bson_iter_next(it);
}

namespace {
const absl::flat_hash_set<std::string>& KnownStages() {
  static const auto* kStages = new absl::flat_hash_set<std::string>{
      "$match",       "$project",     "$addFields", "$set",        "$unset", "$group",
      "$sort",        "$limit",       "$skip",      "$unwind",     "$count", "$replaceRoot",
      "$replaceWith", "$sortByCount", "$bucket",    "$bucketAuto", "$facet", "$sample",
      "$redact",      "$lookup",      "$unionWith", "$out",        "$merge", "$documents"};
  return *kStages;
}
}  // namespace

absl::StatusOr<std::vector<StageSpec>> ParsePipeline(DocumentView pipeline_array, bool in_facet,
                                                     bool in_lookup) {
  bson_t array;
  if (!pipeline_array.AsBson(&array)) return Error(14, "pipeline must be an array");
  std::vector<StageSpec> specs;
  bson_iter_t it;
  bson_iter_init(&it, &array);
  while (bson_iter_next(&it)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return Error(14, "Each element of the 'pipeline' array must be an object");
    }
    DocumentView stage = internal::Embedded(it);
    bson_t stage_bson;
    stage.AsBson(&stage_bson);
    if (bson_count_keys(&stage_bson) != 1) {
      return Error(40323, "A pipeline stage specification object must contain exactly one field.");
    }
    bson_iter_t field;
    bson_iter_init(&field, &stage_bson);
    bson_iter_next(&field);
    std::string name = bson_iter_key(&field);
    if (!KnownStages().contains(name)) {
      return Error(40324, absl::StrCat("Unrecognized pipeline stage name: '", name, "'"));
    }
    specs.push_back(StageSpec{name, Document::Copy(stage)});
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string& name = specs[i].name;
    if (name == "$out" || name == "$merge") {
      if (in_facet) {
        return Error(40600, absl::StrCat(name, " is not allowed to be used within a $facet stage"));
      }
      if (in_lookup) {
        return Error(51047, absl::StrCat(name, " is not allowed within a $lookup's sub-pipeline"));
      }
      if (i + 1 != specs.size()) {
        return Error(40601, absl::StrCat(name, " can only be the final stage in the pipeline"));
      }
    }
    if (in_facet && name == "$facet") {
      return Error(40600, "$facet is not allowed to be used within a $facet stage");
    }
    if (name == "$documents" && i != 0) {
      return Error(40602, "$documents is only valid as the first stage in a pipeline");
    }
  }
  return specs;
}

namespace {

// Top-level field names a $match filter reads; nullopt when it cannot say (operators such as
// $expr, $where, $text, or a malformed filter).
std::optional<std::set<std::string>> MatchFields(DocumentView filter) {
  bson_t doc;
  if (!filter.AsBson(&doc)) return std::nullopt;
  std::set<std::string> fields;
  bson_iter_t it;
  bson_iter_init(&it, &doc);
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key == "$and" || key == "$or" || key == "$nor") {
      if (!BSON_ITER_HOLDS_ARRAY(&it)) return std::nullopt;
      bson_iter_t branch;
      bson_iter_recurse(&it, &branch);
      while (bson_iter_next(&branch)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&branch)) return std::nullopt;
        auto inner = MatchFields(internal::Embedded(branch));
        if (!inner.has_value()) return std::nullopt;
        fields.insert(inner->begin(), inner->end());
      }
      continue;
    }
    if (!key.empty() && key[0] == '$') return std::nullopt;
    fields.insert(std::string(key.substr(0, key.find('.'))));
  }
  return fields;
}

// Top-level field names a stage writes (adds, changes or removes); nullopt when the stage may
// change any field (or the set cannot be told).
std::optional<std::set<std::string>> WrittenFields(const StageSpec& spec) {
  bson_iter_t it;
  spec.Value(&it);
  std::set<std::string> fields;
  if (spec.name == "$addFields" || spec.name == "$set") {
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) return std::nullopt;
    bson_iter_t child;
    bson_iter_recurse(&it, &child);
    while (bson_iter_next(&child)) {
      absl::string_view key = bson_iter_key(&child);
      fields.insert(std::string(key.substr(0, key.find('.'))));
    }
    return fields;
  }
  if (spec.name == "$unset") {
    if (BSON_ITER_HOLDS_UTF8(&it)) {
      absl::string_view key = bson_iter_utf8(&it, nullptr);
      fields.insert(std::string(key.substr(0, key.find('.'))));
      return fields;
    }
    if (!BSON_ITER_HOLDS_ARRAY(&it)) return std::nullopt;
    bson_iter_t child;
    bson_iter_recurse(&it, &child);
    while (bson_iter_next(&child)) {
      if (!BSON_ITER_HOLDS_UTF8(&child)) return std::nullopt;
      absl::string_view key = bson_iter_utf8(&child, nullptr);
      fields.insert(std::string(key.substr(0, key.find('.'))));
    }
    return fields;
  }
  return std::nullopt;
}

bool Disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const std::string& x : a) {
    if (b.contains(x)) return false;
  }
  return true;
}

StageSpec MergeMatches(const StageSpec& first, const StageSpec& second) {
  bson_iter_t a, b;
  first.Value(&a);
  second.Value(&b);
  Document stage;
  bson_t match, conjunction;
  bson_append_document_begin(stage.mutable_bson(), "$match", 6, &match);
  bson_append_array_begin(&match, "$and", 4, &conjunction);
  bson_append_iter(&conjunction, "0", 1, &a);
  bson_append_iter(&conjunction, "1", 1, &b);
  bson_append_array_end(&match, &conjunction);
  bson_append_document_end(stage.mutable_bson(), &match);
  return StageSpec{"$match", std::move(stage)};
}

}  // namespace

void OptimizePipeline(std::vector<StageSpec>* specs) {
  // Move each $match as far forward as it may go (bubble), then merge neighbours.
  for (size_t i = 1; i < specs->size(); ++i) {
    if ((*specs)[i].name != "$match") continue;
    bson_iter_t it;
    (*specs)[i].Value(&it);
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) continue;
    std::optional<std::set<std::string>> reads = MatchFields(internal::Embedded(it));
    size_t j = i;
    while (j > 0) {
      const StageSpec& before = (*specs)[j - 1];
      bool can_swap = false;
      if (before.name == "$sort") {
        can_swap = true;
      } else if (reads.has_value()) {
        std::optional<std::set<std::string>> writes = WrittenFields(before);
        can_swap = writes.has_value() && Disjoint(*reads, *writes);
      }
      if (!can_swap) break;
      std::swap((*specs)[j - 1], (*specs)[j]);
      --j;
    }
  }
  for (size_t i = 0; i + 1 < specs->size();) {
    if ((*specs)[i].name == "$match" && (*specs)[i + 1].name == "$match") {
      bson_iter_t a, b;
      (*specs)[i].Value(&a);
      (*specs)[i + 1].Value(&b);
      if (BSON_ITER_HOLDS_DOCUMENT(&a) && BSON_ITER_HOLDS_DOCUMENT(&b)) {
        (*specs)[i] = MergeMatches((*specs)[i], (*specs)[i + 1]);
        specs->erase(specs->begin() + static_cast<std::ptrdiff_t>(i) + 1);
        continue;
      }
    }
    ++i;
  }
}

namespace {
// The value of a $skip/$limit stage when it is a valid non-negative (positive) integer.
std::optional<int64_t> IntegralArgument(const StageSpec& spec) {
  bson_iter_t it;
  spec.Value(&it);
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) return bson_iter_as_int64(&it);
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}
}  // namespace

ReadRequest ExtractPushdown(std::vector<StageSpec>* specs, bool push_unbounded_sort) {
  ReadRequest request;
  size_t taken = 0;
  if (taken < specs->size() && (*specs)[taken].name == "$match") {
    bson_iter_t it;
    (*specs)[taken].Value(&it);
    if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
      request.filter = Document::Copy(internal::Embedded(it));
      ++taken;
    }
  }
  const bool bounded_sort = taken + 1 < specs->size() && (*specs)[taken + 1].name == "$limit" &&
                            IntegralArgument((*specs)[taken + 1]).value_or(0) > 0;
  if (taken < specs->size() && (*specs)[taken].name == "$sort" &&
      (push_unbounded_sort || bounded_sort)) {
    bson_iter_t it;
    (*specs)[taken].Value(&it);
    if (BSON_ITER_HOLDS_DOCUMENT(&it) && !internal::Embedded(it).empty()) {
      request.sort = Document::Copy(internal::Embedded(it));
      ++taken;
    }
  }
  // $skip then $limit (find's order); a $limit first is taken alone.
  if (taken < specs->size() && (*specs)[taken].name == "$skip") {
    std::optional<int64_t> n = IntegralArgument((*specs)[taken]);
    if (n.has_value() && *n >= 0) {
      request.skip = *n;
      ++taken;
    }
  }
  if (taken < specs->size() && (*specs)[taken].name == "$limit") {
    std::optional<int64_t> n = IntegralArgument((*specs)[taken]);
    if (n.has_value() && *n > 0) {
      request.limit = *n;
      ++taken;
    }
  }
  specs->erase(specs->begin(), specs->begin() + static_cast<std::ptrdiff_t>(taken));
  return request;
}

absl::Status BuildChain(const std::vector<StageSpec>& specs, const PipelineContext& context,
                        std::vector<StagePtr>* chain) {
  for (size_t i = 0; i < specs.size(); ++i) {
    bson_iter_t value;
    specs[i].Value(&value);
    std::vector<StagePtr> built;
    if (specs[i].name == "$sort" && i + 1 < specs.size() && specs[i + 1].name == "$limit") {
      // $sort + $limit: a top-k sort (the $limit stage stays, harmlessly).
      std::optional<int64_t> limit = IntegralArgument(specs[i + 1]);
      ASSIGN_OR_RETURN(StagePtr sort,
                       internal::MakeSort(value, context,
                                          limit.has_value() && *limit > 0 ? limit : std::nullopt));
      built.push_back(std::move(sort));
    } else {
      ASSIGN_OR_RETURN(built, internal::MakeStage(specs[i].name, value, context));
    }
    for (StagePtr& stage : built) {
      stage->set_source(chain->empty() ? nullptr : chain->back().get());
      chain->push_back(std::move(stage));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Build(std::vector<StageSpec> specs,
                                                          StagePtr source,
                                                          const PipelineContext& context) {
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline());
  if (source == nullptr) source = std::make_unique<internal::EmptyStage>();
  pipeline->stages_.push_back(std::move(source));
  RETURN_IF_ERROR(BuildChain(specs, context, &pipeline->stages_));
  return pipeline;
}

absl::Status SetLetVariables(DocumentView let, PipelineContext* context) {
  bson_t doc;
  if (!let.AsBson(&doc)) return absl::OkStatus();
  // Each value is an expression evaluated once, against an empty document.
  ExpressionScope scope(*context);
  bson_iter_t it;
  bson_iter_init(&it, &doc);
  while (bson_iter_next(&it)) {
    std::string name = bson_iter_key(&it);
    RETURN_IF_ERROR(expression::ValidateVariableName(name));
    ASSIGN_OR_RETURN(expression::ExpressionPtr expr, scope.Parse(it));
    ASSIGN_OR_RETURN(Value v, scope.Evaluate(*expr, DocumentView()));
    context->variables.emplace_back(name, v.Owned());
  }
  return absl::OkStatus();
}

}  // namespace strata::query::pipeline
