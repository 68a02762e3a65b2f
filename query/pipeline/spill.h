// Spill files of blocking stages ($sort, $group) run over their memory budget with
// allowDiskUse: each run is a file of BSON documents written back to back, in sorted order; a
// k-way merge reads the runs back. Files live under PipelineOptions::temp_dir and are deleted
// when their writer/reader set is destroyed (also on errors). They are scratch data: nothing
// about them is durable, and a crash leaves at most stale files that the next spill ignores.
#ifndef STRATA_QUERY_PIPELINE_SPILL_H_
#define STRATA_QUERY_PIPELINE_SPILL_H_

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/pipeline/stage.h"
#include "strata/document.h"

namespace strata::query::pipeline {

// One run: written once, then read once from the start.
class SpillRun {
 public:
  // Creates a new run file under context.options.temp_dir (created when missing).
  static absl::StatusOr<std::unique_ptr<SpillRun>> Create(const PipelineContext& context);
  ~SpillRun();
  SpillRun(const SpillRun&) = delete;
  SpillRun& operator=(const SpillRun&) = delete;

  absl::Status Append(DocumentView doc);
  // Ends writing; reading starts at the first document.
  absl::Status FinishWriting();
  // The next document, or nullopt at the end.
  absl::StatusOr<std::optional<Document>> Read();
  size_t bytes_written() const { return bytes_; }

 private:
  SpillRun(std::string path, FILE* file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  FILE* file_;
  size_t bytes_ = 0;
};

}  // namespace strata::query::pipeline

#endif  // STRATA_QUERY_PIPELINE_SPILL_H_
