// ExternalSorter: sorts documents by their sort keys (SortSpec::SortKey) within a memory budget.
// Documents are buffered in memory (sort_buffer.h; a bounded top-k heap when a limit is given).
// When the buffered keys and documents pass the budget:
//   - without disk use: Add fails with QueryExceededMemoryLimitNoDiskUseAllowed (292);
//   - with disk use: the buffer is sorted and written as one run (spill_file.h) under
//     `temp_dir`, and buffering starts again. At the end the runs (the last buffer spilled too)
//     are merged k ways. With a limit, each run holds at most `limit` entries and the merge
//     stops after `limit` documents, so the result is the same top-k. At most
//     `max_open_runs` runs (open files) exist at once: reaching it, the runs are merged into
//     one run first (a cascade, as in any external merge sort).
// Order: ascending memcmp order of the keys; equal keys keep their arrival order, with and
// without spilling (runs are written in arrival order and the merge breaks ties by run).
// The run files are deleted by Release() or the destructor, whichever comes first, and also
// when the sorter fails.
//
// Use: Add every document, Finish once, then Next until nullopt. Not thread-safe.
#ifndef STRATA_QUERY_SORT_EXTERNAL_SORTER_H_
#define STRATA_QUERY_SORT_EXTERNAL_SORTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/sort/sort_buffer.h"
#include "query/sort/spill_file.h"
#include "strata/document.h"

namespace strata::query::sort {

struct ExternalSorterOptions {
  // Keep only the `limit` smallest entries (top-k); nullopt keeps all. Default: nullopt.
  std::optional<size_t> limit;
  // Budget of the buffered keys plus documents, bytes. Default: 100 MiB (MongoDB's
  // internalQueryMaxBlockingSortMemoryUsageBytes).
  size_t memory_limit_bytes = size_t{100} << 20;
  // Spill to disk past the budget instead of failing. Default: false.
  bool allow_disk_use = false;
  // Directory of the run files (created when missing); required when allow_disk_use is set.
  std::string temp_dir;
  // Most runs kept at once (each holds an open file): when a spill reaches it, the runs are
  // merged into one first. >= 2. Default: 128.
  size_t max_open_runs = 128;
};

class ExternalSorter {
 public:
  explicit ExternalSorter(ExternalSorterOptions options);
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  // Adds one document under `key`. Errors: 292 (see above), spill I/O errors (kInternal).
  absl::Status Add(std::string key, DocumentView doc);
  // Ends the input; the first Next follows.
  absl::Status Finish();
  // The next document in order, or nullopt at the end. Valid until the next call.
  absl::StatusOr<std::optional<DocumentView>> Next();
  // Next as an owned document (moved out of memory when nothing was spilled, else copied).
  absl::StatusOr<std::optional<Document>> NextDocument();
  // Drops every buffered document and run file; later Next calls return nullopt.
  void Release();

  int64_t spills() const { return spills_; }
  bool used_disk() const { return spills_ > 0; }
  // Bytes of keys plus documents given to Add (MongoDB's totalDataSizeSorted).
  int64_t data_bytes_sorted() const { return data_bytes_; }
  size_t memory_limit_bytes() const { return options_.memory_limit_bytes; }

 private:
  struct Run {
    std::unique_ptr<SpillFile> file;
    absl::string_view key;  // the current record's parts (views into the file's buffer)
    absl::string_view doc;
  };
  absl::Status Spill();
  // Merges every run into one new run (still being written).
  absl::Status MergeRuns();
  // Reads the next record of run `i`; false at its end.
  absl::StatusOr<bool> Advance(size_t i);
  // Heap order: the run with the smaller (key, run index) on top.
  bool HeapGreater(size_t a, size_t b) const;

  const ExternalSorterOptions options_;
  SortBuffer buffer_;
  int64_t spills_ = 0;
  int64_t data_bytes_ = 0;
  bool finished_ = false;
  bool released_ = false;
  // In-memory result (no spill).
  std::vector<Document> sorted_;
  size_t next_ = 0;
  // Merge state.
  std::vector<Run> runs_;
  std::vector<size_t> heap_;        // run indexes
  std::optional<size_t> last_run_;  // the run whose record Next returned last
  size_t returned_ = 0;
};

}  // namespace strata::query::sort

#endif  // STRATA_QUERY_SORT_EXTERNAL_SORTER_H_
