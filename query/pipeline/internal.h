// Shared machinery of the stage implementations (internal to query/pipeline).
#ifndef STRATA_QUERY_PIPELINE_INTERNAL_H_
#define STRATA_QUERY_PIPELINE_INTERNAL_H_

#include <bson/bson.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "query/expression/value.h"
#include "query/pipeline/stage.h"
#include "strata/document.h"

namespace strata::query::pipeline::internal {

using NextResult = absl::StatusOr<std::optional<Document>>;

// A Status with MongoDB code `code`.
absl::Status Error(int code, absl::string_view message);

// MongoDB's name of the value's BSON type ("double", "string", …).
std::string TypeNameOf(const bson_iter_t& it);

// A document view of the embedded document/array at `it`.
DocumentView Embedded(const bson_iter_t& it);

// Splits "a.b.c" into components.
std::vector<std::string> SplitPath(absl::string_view path);

// A copy of `doc` with the value at `path` set to `value` (removed when `value` is missing).
// Missing intermediate documents are created; non-document values on the way are replaced.
Document SetPath(DocumentView doc, const std::vector<std::string>& path,
                 const expression::Value& value);

// The value at a dotted path through embedded documents only (no array traversal), as
// $unwind reads it. Missing when absent.
expression::Value GetPathNoArrays(DocumentView doc, const std::vector<std::string>& path);

// A document built from one value (owned copy of its bytes).
Document DocumentOfValue(const expression::Value& v);

// The bytes a document costs in memory accounting.
inline size_t MemoryOf(const Document& d) { return d.size() + 64; }

// QueryExceededMemoryLimitNoDiskUseAllowed for stage `what`.
absl::Status MemoryLimitError(absl::string_view what, size_t limit);

// Builds the stages of one stage document ({$name: spec}); most stages give one, desugared
// ones ($sortByCount, $bucket) several. `is_last`: the stage ends the pipeline.
absl::StatusOr<std::vector<StagePtr>> MakeStage(absl::string_view name, const bson_iter_t& spec,
                                                const PipelineContext& context);

// Factories, one per file.
absl::StatusOr<StagePtr> MakeMatch(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeProject(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeAddFields(absl::string_view name, const bson_iter_t& spec,
                                       const PipelineContext& context);
absl::StatusOr<StagePtr> MakeUnset(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeGroup(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeSort(const bson_iter_t& spec, const PipelineContext& context,
                                  std::optional<int64_t> limit);
absl::StatusOr<StagePtr> MakeLimit(const bson_iter_t& spec);
absl::StatusOr<StagePtr> MakeSkip(const bson_iter_t& spec);
absl::StatusOr<StagePtr> MakeUnwind(const bson_iter_t& spec);
absl::StatusOr<StagePtr> MakeCount(const bson_iter_t& spec);
absl::StatusOr<StagePtr> MakeReplaceRoot(absl::string_view name, const bson_iter_t& spec,
                                         const PipelineContext& context);
absl::StatusOr<std::vector<StagePtr>> MakeSortByCount(const bson_iter_t& spec,
                                                      const PipelineContext& context);
absl::StatusOr<StagePtr> MakeBucket(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeBucketAuto(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeFacet(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeSample(const bson_iter_t& spec);
absl::StatusOr<StagePtr> MakeRedact(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeLookup(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeUnionWith(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeOut(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeMerge(const bson_iter_t& spec, const PipelineContext& context);
absl::StatusOr<StagePtr> MakeDocuments(const bson_iter_t& spec, const PipelineContext& context);

// A stage replaying documents it owns (the source of $facet's sub-pipelines and of tests).
class BufferStage final : public Stage {
 public:
  explicit BufferStage(std::shared_ptr<const std::vector<Document>> docs)
      : docs_(std::move(docs)) {}
  std::string name() const override { return "$buffer"; }

 protected:
  NextResult DoNext() override {
    if (next_ >= docs_->size()) return std::optional<Document>();
    return std::optional<Document>((*docs_)[next_++].Clone());
  }

 private:
  std::shared_ptr<const std::vector<Document>> docs_;
  size_t next_ = 0;
};

// An empty source (collection-less pipelines start from it, $documents replaces it).
class EmptyStage final : public Stage {
 public:
  std::string name() const override { return "$empty"; }

 protected:
  NextResult DoNext() override { return std::optional<Document>(); }
};

}  // namespace strata::query::pipeline::internal

#endif  // STRATA_QUERY_PIPELINE_INTERNAL_H_
