// $sort: query/sort's ExternalSorter (the one find's SORT stage uses): in memory up to the
// budget, a top-k heap with a following $limit; over the budget, sorted runs spilled to files
// under the pipeline's temp_dir and merged (allowDiskUse) or MongoDB's error 292.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/pipeline/internal.h"
#include "query/sort/external_sorter.h"
#include "query/sort/sort_spec.h"

namespace strata::query::pipeline::internal {
namespace {

class SortStage final : public Stage {
 public:
  SortStage(const PipelineContext& context, Document spec_doc, sort::SortSpec spec,
            std::optional<int64_t> limit)
      : context_(context), spec_doc_(std::move(spec_doc)), spec_(std::move(spec)), limit_(limit) {
    sort::ExternalSorterOptions options;
    if (limit_.has_value()) options.limit = static_cast<size_t>(*limit_);
    options.memory_limit_bytes = context_.options.memory_limit_bytes;
    options.allow_disk_use = context_.options.allow_disk_use;
    options.temp_dir = context_.options.temp_dir;
    sorter_ = std::make_unique<sort::ExternalSorter>(std::move(options));
  }
  std::string name() const override { return "$sort"; }
  void AppendExplain(bson_t* out) const override {
    bson_t sort;
    bson_append_document_begin(out, "$sort", -1, &sort);
    bson_append_document(&sort, "sortKey", -1, spec_doc_.bson());
    if (limit_.has_value()) bson_append_int64(&sort, "limit", -1, *limit_);
    bson_append_bool(&sort, "usedDisk", -1, sorter_->used_disk());
    bson_append_int64(&sort, "spills", -1, sorter_->spills());
    bson_append_document_end(out, &sort);
  }

 protected:
  NextResult DoNext() override {
    if (!loaded_) {
      loaded_ = true;
      RETURN_IF_ERROR(Load());
    }
    return sorter_->NextDocument();
  }

 private:
  absl::Status Load() {
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      ASSIGN_OR_RETURN(std::string key, spec_.SortKey(doc->view()));
      absl::Status added = sorter_->Add(std::move(key), doc->view());
      if (ErrorCodeOf(added) == ErrorCode::kQueryExceededMemoryLimitNoDiskUseAllowed) {
        return MemoryLimitError("$sort", context_.options.memory_limit_bytes);
      }
      RETURN_IF_ERROR(added);
    }
    return sorter_->Finish();
  }

  const PipelineContext context_;
  Document spec_doc_;
  sort::SortSpec spec_;
  std::optional<int64_t> limit_;
  std::unique_ptr<sort::ExternalSorter> sorter_;  // keeps its spill counters after the end
  bool loaded_ = false;
};

}  // namespace

absl::StatusOr<StagePtr> MakeSort(const bson_iter_t& spec, const PipelineContext& context,
                                  std::optional<int64_t> limit) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(15973, "the $sort key specification must be an object");
  }
  Document spec_doc = Document::Copy(Embedded(spec));
  if (spec_doc.view().empty()) return Error(15976, "$sort stage must have at least one sort key");
  ASSIGN_OR_RETURN(sort::SortSpec parsed, sort::SortSpec::Parse(spec_doc.view()));
  return StagePtr(new SortStage(context, std::move(spec_doc), std::move(parsed), limit));
}

}  // namespace strata::query::pipeline::internal
