#include "query/pipeline/spill.h"

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"

namespace strata::query::pipeline {

absl::StatusOr<std::unique_ptr<SpillRun>> SpillRun::Create(const PipelineContext& context) {
  if (context.options.temp_dir.empty()) {
    return MongoError(ErrorCode::kInternalError, "no directory for spill files was configured");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<sort::SpillFile> file,
                   sort::SpillFile::Create(context.options.temp_dir, "pipeline"));
  return std::unique_ptr<SpillRun>(new SpillRun(std::move(file)));
}

absl::Status SpillRun::Append(DocumentView doc) {
  return file_->Append(absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size()));
}

absl::StatusOr<std::optional<Document>> SpillRun::Read() {
  ASSIGN_OR_RETURN(std::optional<absl::string_view> record, file_->Read());
  if (!record.has_value()) return std::optional<Document>();
  if (record->size() < 5) return absl::DataLossError("corrupt pipeline spill record");
  return std::optional<Document>(Document::Copy(
      DocumentView(reinterpret_cast<const uint8_t*>(record->data()), record->size())));
}

}  // namespace strata::query::pipeline
