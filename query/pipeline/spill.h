// Spill files of blocking stages ($sort, $group) run over their memory budget with
// allowDiskUse: each run is a file of BSON documents written back to back, in sorted order; a
// k-way merge reads the runs back. A run is a query/sort/spill_file.h file (the scratch file
// find's external sort uses too) under PipelineOptions::temp_dir, deleted when the run is
// destroyed (also on errors). Nothing about it is durable: a crash leaves at most stale files
// that no later spill reads.
#ifndef STRATA_QUERY_PIPELINE_SPILL_H_
#define STRATA_QUERY_PIPELINE_SPILL_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "query/pipeline/stage.h"
#include "query/sort/spill_file.h"
#include "strata/document.h"

namespace strata::query::pipeline {

// One run: written once, then read once from the start.
class SpillRun {
 public:
  // Creates a new run file under context.options.temp_dir (created when missing).
  static absl::StatusOr<std::unique_ptr<SpillRun>> Create(const PipelineContext& context);

  absl::Status Append(DocumentView doc);
  // Ends writing; reading starts at the first document.
  absl::Status FinishWriting() { return file_->FinishWriting(); }
  // The next document, or nullopt at the end.
  absl::StatusOr<std::optional<Document>> Read();
  size_t bytes_written() const { return file_->bytes_written(); }

 private:
  explicit SpillRun(std::unique_ptr<sort::SpillFile> file) : file_(std::move(file)) {}
  std::unique_ptr<sort::SpillFile> file_;
};

}  // namespace strata::query::pipeline

#endif  // STRATA_QUERY_PIPELINE_SPILL_H_
