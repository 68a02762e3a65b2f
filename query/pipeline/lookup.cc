// $lookup: localField/foreignField equality, `let` + `pipeline`, or both (the equality first,
// then the pipeline over the matches), on a collection of the same database.
//
// Equality semantics (MongoDB's): the local and foreign values are taken the way an index on
// that field would key them (array elements one by one, through arrays of documents for
// dotted paths; missing and null both key as null), and a foreign document matches when one of
// its keys equals one of the outer document's keys. Every strategy computes exactly this, and
// returns the matches in the foreign collection's `_id` order, so results never depend on the
// strategy:
//   INDEXED_NESTED_LOOP_JOIN  per outer document, a planned read {foreignField: {$in: keys}}
//                              (the planner probes the foreign field's index);
//   HASH_JOIN                  the foreign side read once into key → documents;
//   NESTED_LOOP_JOIN           the foreign side read once into memory, every document's key
//                              set tested per outer document;
//   PER_DOCUMENT_QUERY         as the indexed loop, without an index (a scan per document).
// The strategy is chosen by query/planner/join_planner.h (or forced by
// PipelineOptions::join_strategy); explain shows estimates, actuals and the rejected ones.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "document/key_string_decode.h"
#include "index/index_spec.h"
#include "index/key_generator.h"
#include "query/pipeline/internal.h"
#include "query/pipeline/pipeline.h"
#include "query/planner/join_planner.h"

namespace strata::query::pipeline::internal {
namespace {

using expression::Value;
using planner::JoinMethod;

absl::StatusOr<std::unique_ptr<index::KeyGenerator>> KeyGeneratorFor(const std::string& field) {
  Document spec;
  bson_t key;
  bson_append_document_begin(spec.mutable_bson(), "key", 3, &key);
  bson_append_int32(&key, field.c_str(), -1, 1);
  bson_append_document_end(spec.mutable_bson(), &key);
  bson_append_utf8(spec.mutable_bson(), "name", 4, "lookup", -1);
  ASSIGN_OR_RETURN(index::IndexSpec parsed, index::IndexSpec::Parse(spec.view()));
  return std::make_unique<index::KeyGenerator>(parsed);
}

// The `_id` key string of a document (to return matches in `_id` order).
std::string IdKey(const Document& doc) {
  bson_iter_t it;
  std::string key;
  if (bson_iter_init_find(&it, doc.bson(), "_id")) document::AppendKeyString(it, &key);
  return key;
}

bool IsUndefinedKey(const std::string& key) {
  static const std::string kUndefined = [] {
    bson_t b = BSON_INITIALIZER;
    bson_append_undefined(&b, "u", 1);
    bson_iter_t it;
    bson_iter_init(&it, &b);
    bson_iter_next(&it);
    std::string k;
    document::AppendKeyString(it, &k);
    bson_destroy(&b);
    return k;
  }();
  return key == kUndefined;
}

JoinMethod ToMethod(JoinStrategy s) {
  switch (s) {
    case JoinStrategy::kIndexedLoop:
      return JoinMethod::kIndexedLoop;
    case JoinStrategy::kHashJoin:
      return JoinMethod::kHashJoin;
    case JoinStrategy::kNestedLoopScan:
      return JoinMethod::kNestedLoopScan;
    default:
      return JoinMethod::kPerDocumentQuery;
  }
}

class LookupStage final : public Stage {
 public:
  explicit LookupStage(const PipelineContext& context) : context_(context), scope_(context) {}
  std::string name() const override { return "$lookup"; }

  absl::Status Parse(const bson_iter_t& spec) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
      return Error(9, "the $lookup specification must be an Object");
    }
    spec_ = Document::Copy(Embedded(spec));
    bson_iter_t it;
    bson_iter_init(&it, spec_.bson());
    bool has_local = false, has_foreign = false;
    while (bson_iter_next(&it)) {
      absl::string_view key = bson_iter_key(&it);
      if (key == "from") {
        if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
          return Error(static_cast<int>(ErrorCode::kNotImplemented),
                       "$lookup from another database is not supported");
        }
        if (!BSON_ITER_HOLDS_UTF8(&it)) {
          return Error(
              9, absl::StrCat("$lookup 'from' field must be a string, but found ", TypeNameOf(it)));
        }
        from_ = bson_iter_utf8(&it, nullptr);
      } else if (key == "as" || key == "localField" || key == "foreignField") {
        if (!BSON_ITER_HOLDS_UTF8(&it)) {
          return Error(9, absl::StrCat("$lookup argument '", key, "' must be a string, found ",
                                       TypeNameOf(it)));
        }
        std::string value = bson_iter_utf8(&it, nullptr);
        if (value.empty() || value[0] == '$') {
          return Error(16410,
                       "FieldPath field names may not start with '$'. Consider using "
                       "$getField or $setField.");
        }
        if (key == "as") as_ = SplitPath(value);
        if (key == "localField") local_ = value, has_local = true;
        if (key == "foreignField") foreign_ = value, has_foreign = true;
      } else if (key == "let") {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
          return Error(9, absl::StrCat("$lookup argument 'let' must be an object, is type ",
                                       TypeNameOf(it)));
        }
        bson_iter_t var;
        bson_iter_recurse(&it, &var);
        while (bson_iter_next(&var)) {
          std::string name = bson_iter_key(&var);
          RETURN_IF_ERROR(expression::ValidateVariableName(name));
          ASSIGN_OR_RETURN(auto expr, scope_.Parse(var));
          let_.emplace_back(std::move(name), std::move(expr));
        }
      } else if (key == "pipeline") {
        if (!BSON_ITER_HOLDS_ARRAY(&it)) {
          return Error(9, absl::StrCat("$lookup argument 'pipeline' must be an array, is type ",
                                       TypeNameOf(it)));
        }
        pipeline_doc_ = Document::Copy(Embedded(it));
        ASSIGN_OR_RETURN(std::vector<StageSpec> specs,
                         ParsePipeline(pipeline_doc_->view(), false, /*in_lookup=*/true));
        (void)specs;
      } else {
        return Error(9, absl::StrCat("unknown argument to $lookup: ", key));
      }
    }
    if (from_.empty()) {
      return Error(9, "missing 'from' option to $lookup stage specification");
    }
    if (as_.empty()) return Error(9, "must specify 'as' field for a $lookup");
    if (has_local != has_foreign) {
      return Error(9,
                   "$lookup requires both or neither of 'localField' and 'foreignField' to "
                   "be specified");
    }
    if (!has_local && !pipeline_doc_.has_value()) {
      return Error(9,
                   "$lookup requires either 'pipeline' or both 'localField' and "
                   "'foreignField' to be specified");
    }
    if (!let_.empty() && !pipeline_doc_.has_value()) {
      return Error(9, "$lookup with 'let' must also specify 'pipeline'");
    }
    if (has_local) {
      ASSIGN_OR_RETURN(local_keys_, KeyGeneratorFor(local_));
      ASSIGN_OR_RETURN(foreign_keys_, KeyGeneratorFor(foreign_));
    }
    if (context_.host == nullptr) {
      return Error(static_cast<int>(ErrorCode::kIllegalOperation),
                   "$lookup needs a database (no collection access here)");
    }
    return Plan();
  }

  void AppendExplain(bson_t* out) const override {
    bson_t lookup;
    bson_append_document_begin(out, "$lookup", -1, &lookup);
    bson_t in;
    bson_init_static(&in, spec_.data(), spec_.size());
    bson_concat(&lookup, &in);
    if (!local_.empty()) {
      bson_t strategy;
      bson_append_document_begin(&lookup, "joinStrategy", -1, &strategy);
      AppendCandidate(choice_.winner, &strategy);
      bson_append_bool(&strategy, "forced", -1,
                       context_.options.join_strategy != JoinStrategy::kAuto);
      bson_append_int64(&strategy, "actualOuterRows", -1, outer_rows_);
      bson_append_int64(&strategy, "actualRows", -1, joined_rows_);
      bson_append_int64(&strategy, "actualForeignDocsExamined", -1, foreign_examined_);
      bson_t rejected;
      bson_append_array_begin(&strategy, "rejectedStrategies", -1, &rejected);
      for (size_t i = 0; i < choice_.rejected.size(); ++i) {
        bson_t r;
        std::string key = std::to_string(i);
        bson_append_document_begin(&rejected, key.c_str(), -1, &r);
        AppendCandidate(choice_.rejected[i], &r);
        bson_append_utf8(&r, "reason", -1, choice_.rejected[i].rejected_reason.c_str(), -1);
        bson_append_document_end(&rejected, &r);
      }
      bson_append_array_end(&strategy, &rejected);
      bson_append_document_end(&lookup, &strategy);
    }
    bson_append_document_end(out, &lookup);
  }

 protected:
  NextResult DoNext() override {
    ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
    if (!doc.has_value()) return doc;
    if (!loaded_) {
      loaded_ = true;
      if (method_ == JoinMethod::kHashJoin || method_ == JoinMethod::kNestedLoopScan) {
        RETURN_IF_ERROR(LoadForeign());
      }
    }
    ++outer_rows_;
    std::vector<Document> matches;
    if (local_keys_ != nullptr) {
      ASSIGN_OR_RETURN(matches, EqualityMatches(doc->view()));
    }
    std::vector<Document> results;
    if (pipeline_doc_.has_value()) {
      ASSIGN_OR_RETURN(results, RunPipeline(doc->view(), std::move(matches)));
    } else {
      results = std::move(matches);
    }
    joined_rows_ += static_cast<int64_t>(results.size());
    expression::ArrayBuilder array;
    for (const Document& d : results) array.Append(Value::BorrowDocument(d.view()));
    return std::optional<Document>(SetPath(doc->view(), as_, array.Build()));
  }

 private:
  static void AppendCandidate(const planner::JoinCandidate& c, bson_t* out) {
    bson_append_utf8(out, "strategy", -1, planner::JoinMethodName(c.method), -1);
    bson_append_double(out, "estimatedCost", -1, c.cost);
    bson_append_double(out, "estimatedRows", -1, c.rows);
    bson_append_bool(out, "feasible", -1, c.feasible);
  }

  // Chooses the join strategy (at build time, so explain shows it without running).
  absl::Status Plan() {
    if (local_keys_ == nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(ForeignCollectionInfo info, context_.host->DescribeForeign(from_, foreign_));
    planner::JoinRequest request;
    request.outer_rows = context_.outer_rows_estimate >= 0 ? context_.outer_rows_estimate : 1000;
    request.foreign_documents = info.documents;
    request.foreign_bytes = info.documents * std::max<int64_t>(info.average_bytes, 16) * 2;
    request.foreign_field_indexed = info.field_indexed;
    request.memory_limit_bytes = context_.options.memory_limit_bytes;
    if (info.matches_per_key > 0) {
      request.foreign_distinct_keys = static_cast<double>(info.documents) / info.matches_per_key;
    }
    if (context_.options.join_strategy == JoinStrategy::kAuto) {
      choice_ = planner::ChooseJoin(request);
    } else {
      choice_ = planner::ChooseJoin(request);
      JoinMethod forced = ToMethod(context_.options.join_strategy);
      std::vector<planner::JoinCandidate> all = choice_.rejected;
      all.insert(all.begin(), choice_.winner);
      choice_.rejected.clear();
      for (auto& c : all) {
        if (c.method == forced) {
          choice_.winner = c;
        } else {
          if (c.rejected_reason.empty() || c.feasible)
            c.rejected_reason = "not the forced strategy";
          choice_.rejected.push_back(c);
        }
      }
    }
    method_ = choice_.winner.method;
    return absl::OkStatus();
  }

  // Reads the foreign collection (its pushed-down $match applies) into memory with each
  // document's key set; builds the hash table for a hash join.
  absl::Status LoadForeign() {
    ASSIGN_OR_RETURN(StagePtr read, context_.host->Read(from_, ReadRequest()));
    size_t bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, read->Next());
      if (!doc.has_value()) break;
      ++foreign_examined_;
      ASSIGN_OR_RETURN(index::IndexKeys keys, foreign_keys_->Generate(doc->view()));
      bytes += MemoryOf(*doc);
      if (bytes > context_.options.memory_limit_bytes) {
        return MemoryLimitError("$lookup", context_.options.memory_limit_bytes);
      }
      const size_t slot = foreign_docs_.size();
      if (method_ == JoinMethod::kHashJoin) {
        for (std::string& key : keys.keys) hash_[std::move(key)].push_back(slot);
      } else {
        foreign_key_sets_.push_back(std::move(keys.keys));
      }
      foreign_docs_.push_back(std::move(*doc));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Document>> EqualityMatches(DocumentView outer) {
    ASSIGN_OR_RETURN(index::IndexKeys local, local_keys_->Generate(outer));
    std::vector<std::string> keys;
    for (std::string& k : local.keys) {
      if (!IsUndefinedKey(k)) keys.push_back(std::move(k));
    }
    std::vector<Document> out;
    if (keys.empty()) return out;
    switch (method_) {
      case JoinMethod::kHashJoin: {
        std::vector<size_t> slots;
        for (const std::string& k : keys) {
          auto found = hash_.find(k);
          if (found != hash_.end())
            slots.insert(slots.end(), found->second.begin(), found->second.end());
        }
        std::sort(slots.begin(), slots.end());
        slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
        for (size_t s : slots) out.push_back(foreign_docs_[s].Clone());
        return out;
      }
      case JoinMethod::kNestedLoopScan: {
        // Both key lists are sorted (index order): a merge test per foreign document.
        std::sort(keys.begin(), keys.end());
        for (size_t s = 0; s < foreign_docs_.size(); ++s) {
          const std::vector<std::string>& fk = foreign_key_sets_[s];
          size_t i = 0, j = 0;
          bool hit = false;
          while (i < keys.size() && j < fk.size()) {
            int c = keys[i].compare(fk[j]);
            if (c == 0) {
              hit = true;
              break;
            }
            if (c < 0)
              ++i;
            else
              ++j;
          }
          if (hit) out.push_back(foreign_docs_[s].Clone());
        }
        return out;
      }
      case JoinMethod::kIndexedLoop:
      case JoinMethod::kPerDocumentQuery: {
        ReadRequest request;
        bson_t cond, in;
        bson_append_document_begin(request.filter.mutable_bson(), foreign_.c_str(), -1, &cond);
        bson_append_array_begin(&cond, "$in", 3, &in);
        for (size_t i = 0; i < keys.size(); ++i) {
          absl::string_view bytes = keys[i];
          std::string index = std::to_string(i);
          RETURN_IF_ERROR(document::AppendDecodedKeyString(&bytes, index, &in));
        }
        bson_append_array_end(&cond, &in);
        bson_append_document_end(request.filter.mutable_bson(), &cond);
        ASSIGN_OR_RETURN(StagePtr read, context_.host->Read(from_, std::move(request)));
        std::vector<std::pair<std::string, Document>> found;
        while (true) {
          ASSIGN_OR_RETURN(std::optional<Document> doc, read->Next());
          if (!doc.has_value()) break;
          ++foreign_examined_;
          std::string id = IdKey(*doc);
          found.emplace_back(std::move(id), std::move(*doc));
        }
        std::sort(found.begin(), found.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& [id, doc] : found) out.push_back(std::move(doc));
        return out;
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<Document>> RunPipeline(DocumentView outer,
                                                    std::vector<Document> matches) {
    const bool correlated = !let_.empty() || local_keys_ != nullptr;
    if (!correlated && cached_.has_value()) {
      std::vector<Document> copy;
      for (const Document& d : *cached_) copy.push_back(d.Clone());
      return copy;
    }
    PipelineContext sub = context_;
    for (const auto& [name, expr] : let_) {
      ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*expr, outer));
      sub.variables.emplace_back(name, v.missing() ? Value::Null() : v.Owned());
    }
    ASSIGN_OR_RETURN(std::vector<StageSpec> specs,
                     ParsePipeline(pipeline_doc_->view(), false, true));
    StagePtr source;
    if (local_keys_ != nullptr) {
      source = std::make_unique<BufferStage>(
          std::make_shared<const std::vector<Document>>(std::move(matches)));
    } else {
      OptimizePipeline(&specs);
      // A leading $match that uses variables stays in the pipeline (the planner cannot see
      // their values); others go to the foreign collection's own plan.
      ReadRequest read;
      bool pushable = true;
      if (!specs.empty() && specs[0].name == "$match") {
        absl::string_view bytes(reinterpret_cast<const char*>(specs[0].stage.data()),
                                specs[0].stage.size());
        pushable = bytes.find("$expr") == absl::string_view::npos;
      }
      if (pushable) read = ExtractPushdown(&specs, /*push_unbounded_sort=*/false);
      ASSIGN_OR_RETURN(source, context_.host->Read(from_, std::move(read)));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline,
                     Pipeline::Build(std::move(specs), std::move(source), sub));
    std::vector<Document> results;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, pipeline->Next());
      if (!doc.has_value()) break;
      results.push_back(std::move(*doc));
    }
    if (!correlated) {
      cached_.emplace();
      for (const Document& d : results) cached_->push_back(d.Clone());
    }
    return results;
  }

  const PipelineContext context_;
  ExpressionScope scope_;
  Document spec_;
  std::string from_;
  std::vector<std::string> as_;
  std::string local_, foreign_;
  std::vector<std::pair<std::string, expression::ExpressionPtr>> let_;
  std::optional<Document> pipeline_doc_;
  std::unique_ptr<index::KeyGenerator> local_keys_, foreign_keys_;

  bool loaded_ = false;
  planner::JoinChoice choice_;
  JoinMethod method_ = JoinMethod::kPerDocumentQuery;
  std::vector<Document> foreign_docs_;
  std::vector<std::vector<std::string>> foreign_key_sets_;
  absl::flat_hash_map<std::string, std::vector<size_t>> hash_;
  std::optional<std::vector<Document>> cached_;
  int64_t outer_rows_ = 0;
  int64_t joined_rows_ = 0;
  int64_t foreign_examined_ = 0;
};

// $unionWith: this pipeline's documents, then those of another collection (through its own
// optional pipeline).
class UnionWithStage final : public Stage {
 public:
  explicit UnionWithStage(const PipelineContext& context) : context_(context) {}
  std::string name() const override { return "$unionWith"; }

  absl::Status Parse(const bson_iter_t& spec) {
    if (BSON_ITER_HOLDS_UTF8(&spec)) {
      coll_ = bson_iter_utf8(&spec, nullptr);
    } else if (BSON_ITER_HOLDS_DOCUMENT(&spec)) {
      bson_iter_t it;
      bson_iter_recurse(&spec, &it);
      while (bson_iter_next(&it)) {
        absl::string_view key = bson_iter_key(&it);
        if (key == "coll" && BSON_ITER_HOLDS_UTF8(&it)) {
          coll_ = bson_iter_utf8(&it, nullptr);
        } else if (key == "pipeline" && BSON_ITER_HOLDS_ARRAY(&it)) {
          pipeline_doc_ = Document::Copy(Embedded(it));
          RETURN_IF_ERROR(ParsePipeline(pipeline_doc_->view(), false, true).status());
        } else {
          return Error(40415,
                       absl::StrCat("BSON field '$unionWith.", key, "' is an unknown field."));
        }
      }
    } else {
      return Error(40238 + 0 * 1, absl::StrCat("the $unionWith stage specification must be an "
                                               "object or string, but found ",
                                               TypeNameOf(spec)));
    }
    if (coll_.empty() && !pipeline_doc_.has_value()) {
      return Error(40414, "BSON field '$unionWith.coll' is missing but a required field");
    }
    if (context_.host == nullptr && !coll_.empty()) {
      return Error(static_cast<int>(ErrorCode::kIllegalOperation),
                   "$unionWith needs a database (no collection access here)");
    }
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    if (!source_done_) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (doc.has_value()) return doc;
      source_done_ = true;
      std::vector<StageSpec> specs;
      if (pipeline_doc_.has_value()) {
        ASSIGN_OR_RETURN(specs, ParsePipeline(pipeline_doc_->view(), false, true));
      }
      StagePtr source;
      if (!coll_.empty()) {
        OptimizePipeline(&specs);
        ReadRequest read = ExtractPushdown(&specs, /*push_unbounded_sort=*/false);
        ASSIGN_OR_RETURN(source, context_.host->Read(coll_, std::move(read)));
      }
      ASSIGN_OR_RETURN(other_, Pipeline::Build(std::move(specs), std::move(source), context_));
    }
    return other_->Next();
  }

 private:
  const PipelineContext context_;
  std::string coll_;
  std::optional<Document> pipeline_doc_;
  bool source_done_ = false;
  std::unique_ptr<Pipeline> other_;
};

// $facet: the input read once, each named sub-pipeline run over it; one output document.
class FacetStage final : public Stage {
 public:
  explicit FacetStage(const PipelineContext& context) : context_(context) {}
  std::string name() const override { return "$facet"; }

  absl::Status Parse(const bson_iter_t& spec) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&spec) || Embedded(spec).empty()) {
      return Error(40169, "the $facet specification must be a non-empty object");
    }
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    while (bson_iter_next(&it)) {
      std::string name = bson_iter_key(&it);
      if (name.empty() || name[0] == '$' || name.find('.') != std::string::npos) {
        return Error(40352 + 0, absl::StrCat("facet field names must not be empty, start with '$' "
                                             "or contain '.': ",
                                             name));
      }
      if (!BSON_ITER_HOLDS_ARRAY(&it)) {
        return Error(40170, absl::StrCat("arguments to $facet must be arrays, ", name, " is type ",
                                         TypeNameOf(it)));
      }
      Document pipeline = Document::Copy(Embedded(it));
      ASSIGN_OR_RETURN(std::vector<StageSpec> specs,
                       ParsePipeline(pipeline.view(), /*in_facet=*/true));
      if (specs.empty()) {
        return Error(40171, "sub-pipeline in $facet stage cannot be empty");
      }
      facets_.emplace_back(std::move(name), std::move(specs));
    }
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    if (done_) return std::optional<Document>();
    done_ = true;
    auto input = std::make_shared<std::vector<Document>>();
    size_t bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      bytes += MemoryOf(*doc);
      if (bytes > context_.options.memory_limit_bytes) {
        return MemoryLimitError("$facet", context_.options.memory_limit_bytes);
      }
      input->push_back(std::move(*doc));
    }
    std::shared_ptr<const std::vector<Document>> shared = input;
    Document out;
    for (auto& [name, specs] : facets_) {
      std::vector<StageSpec> copy;
      for (const StageSpec& s : specs) copy.push_back(StageSpec{s.name, s.stage.Clone()});
      ASSIGN_OR_RETURN(
          std::unique_ptr<Pipeline> pipeline,
          Pipeline::Build(std::move(copy), std::make_unique<BufferStage>(shared), context_));
      bson_t array;
      bson_append_array_begin(out.mutable_bson(), name.c_str(), -1, &array);
      uint32_t i = 0;
      while (true) {
        ASSIGN_OR_RETURN(std::optional<Document> doc, pipeline->Next());
        if (!doc.has_value()) break;
        std::string key = std::to_string(i++);
        bson_append_document(&array, key.c_str(), -1, doc->bson());
      }
      bson_append_array_end(out.mutable_bson(), &array);
    }
    return std::optional<Document>(std::move(out));
  }

 private:
  const PipelineContext context_;
  std::vector<std::pair<std::string, std::vector<StageSpec>>> facets_;
  bool done_ = false;
};

// The target collection of $out / $merge: a string, or {db, coll} of this database only.
absl::StatusOr<std::string> TargetCollection(const bson_iter_t& it, absl::string_view stage,
                                             absl::string_view coll_field) {
  if (BSON_ITER_HOLDS_UTF8(&it)) return std::string(bson_iter_utf8(&it, nullptr));
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_t f;
    bson_iter_recurse(&it, &f);
    std::string coll;
    while (bson_iter_next(&f)) {
      absl::string_view key = bson_iter_key(&f);
      if (key == coll_field && BSON_ITER_HOLDS_UTF8(&f)) {
        coll = bson_iter_utf8(&f, nullptr);
      } else if (key == "db") {
        return Error(static_cast<int>(ErrorCode::kNotImplemented),
                     absl::StrCat(stage, " into another database is not supported"));
      } else {
        return Error(40415,
                     absl::StrCat("BSON field '", stage, ".", key, "' is an unknown field."));
      }
    }
    if (coll.empty()) {
      return Error(40414, absl::StrCat("BSON field '", stage, ".", coll_field,
                                       "' is missing but a required field"));
    }
    return coll;
  }
  return Error(13111,
               absl::StrCat(stage, " target must be a string or an object, not ", TypeNameOf(it)));
}

// $out: collects every document, then hands them to the host, which replaces the target
// collection (db/ writes a temporary collection and renames it over the target).
class OutStage final : public Stage {
 public:
  OutStage(const PipelineContext& context, std::string target)
      : context_(context), target_(std::move(target)) {}
  std::string name() const override { return "$out"; }

 protected:
  NextResult DoNext() override {
    if (done_) return std::optional<Document>();
    done_ = true;
    std::vector<Document> docs;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      docs.push_back(std::move(*doc));
    }
    RETURN_IF_ERROR(context_.host->ReplaceCollection(target_, std::move(docs)));
    return std::optional<Document>();
  }

 private:
  const PipelineContext context_;
  std::string target_;
  bool done_ = false;
};

class MergeStage final : public Stage {
 public:
  MergeStage(const PipelineContext& context, std::string target, PipelineHost::MergeSpec spec)
      : context_(context), target_(std::move(target)), spec_(std::move(spec)) {}
  std::string name() const override { return "$merge"; }

 protected:
  NextResult DoNext() override {
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) return doc;
      RETURN_IF_ERROR(context_.host->MergeInto(target_, spec_, doc->view()));
    }
  }

 private:
  const PipelineContext context_;
  std::string target_;
  PipelineHost::MergeSpec spec_;
};

}  // namespace

absl::StatusOr<StagePtr> MakeLookup(const bson_iter_t& spec, const PipelineContext& context) {
  auto stage = std::make_unique<LookupStage>(context);
  RETURN_IF_ERROR(stage->Parse(spec));
  return StagePtr(std::move(stage));
}

absl::StatusOr<StagePtr> MakeUnionWith(const bson_iter_t& spec, const PipelineContext& context) {
  auto stage = std::make_unique<UnionWithStage>(context);
  RETURN_IF_ERROR(stage->Parse(spec));
  return StagePtr(std::move(stage));
}

absl::StatusOr<StagePtr> MakeFacet(const bson_iter_t& spec, const PipelineContext& context) {
  auto stage = std::make_unique<FacetStage>(context);
  RETURN_IF_ERROR(stage->Parse(spec));
  return StagePtr(std::move(stage));
}

absl::StatusOr<StagePtr> MakeOut(const bson_iter_t& spec, const PipelineContext& context) {
  ASSIGN_OR_RETURN(std::string target, TargetCollection(spec, "$out", "coll"));
  if (context.host == nullptr) {
    return Error(static_cast<int>(ErrorCode::kIllegalOperation), "$out needs a database");
  }
  return StagePtr(new OutStage(context, std::move(target)));
}

absl::StatusOr<StagePtr> MakeMerge(const bson_iter_t& spec, const PipelineContext& context) {
  PipelineHost::MergeSpec merge{{"_id"}, "merge", "insert"};
  std::string target;
  if (BSON_ITER_HOLDS_UTF8(&spec)) {
    target = bson_iter_utf8(&spec, nullptr);
  } else if (BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    while (bson_iter_next(&it)) {
      absl::string_view key = bson_iter_key(&it);
      if (key == "into") {
        ASSIGN_OR_RETURN(target, TargetCollection(it, "$merge.into", "coll"));
      } else if (key == "on") {
        merge.on.clear();
        if (BSON_ITER_HOLDS_UTF8(&it)) {
          merge.on.push_back(bson_iter_utf8(&it, nullptr));
        } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
          bson_iter_t f;
          bson_iter_recurse(&it, &f);
          while (bson_iter_next(&f)) {
            if (!BSON_ITER_HOLDS_UTF8(&f)) {
              return Error(51134, "$merge 'on' array elements must be strings");
            }
            merge.on.push_back(bson_iter_utf8(&f, nullptr));
          }
          if (merge.on.empty())
            return Error(51187,
                         "If explicitly specifying $merge 'on', it "
                         "must include at least one field");
        } else {
          return Error(51186, "$merge 'on' field must be either a string or an array of strings");
        }
      } else if (key == "whenMatched") {
        if (BSON_ITER_HOLDS_ARRAY(&it)) {
          return Error(static_cast<int>(ErrorCode::kNotImplemented),
                       "$merge whenMatched with a pipeline is not supported by this build");
        }
        std::string mode = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, nullptr) : "";
        if (mode != "replace" && mode != "keepExisting" && mode != "merge" && mode != "fail") {
          return Error(2, absl::StrCat("Enumeration value '", mode,
                                       "' for field 'whenMatched' is not a valid value."));
        }
        merge.when_matched = mode;
      } else if (key == "whenNotMatched") {
        std::string mode = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, nullptr) : "";
        if (mode != "insert" && mode != "discard" && mode != "fail") {
          return Error(2, absl::StrCat("Enumeration value '", mode,
                                       "' for field 'whenNotMatched' is not a valid value."));
        }
        merge.when_not_matched = mode;
      } else if (key == "let") {
        return Error(static_cast<int>(ErrorCode::kNotImplemented),
                     "$merge let is not supported by this build");
      } else {
        return Error(40415, absl::StrCat("BSON field '$merge.", key, "' is an unknown field."));
      }
    }
    if (target.empty()) {
      return Error(40414, "BSON field '$merge.into' is missing but a required field");
    }
  } else {
    return Error(51182, absl::StrCat("$merge requires a string or object argument, but found ",
                                     TypeNameOf(spec)));
  }
  if (context.host == nullptr) {
    return Error(static_cast<int>(ErrorCode::kIllegalOperation), "$merge needs a database");
  }
  return StagePtr(new MergeStage(context, std::move(target), std::move(merge)));
}

}  // namespace strata::query::pipeline::internal
