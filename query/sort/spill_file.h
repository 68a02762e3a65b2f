// SpillFile: one scratch file of records (byte strings), written once front to back, then read
// once front to back. Blocking stages that run over their memory budget with allowDiskUse
// (find's SORT, aggregation's $sort and $group) write their sorted runs to such files.
//
// The file is created under a directory (made when missing) with a unique name (mkstemp) and is
// deleted when the SpillFile is destroyed, on success and on error alike. Nothing about it is
// durable: a crash leaves at most a stale file, which nothing reads again.
// Record format: a 4-byte little-endian length, then the bytes. Reads and writes are buffered.
//
// Errors: creation, write and read failures → kInternal with the path and errno text; a
// truncated record → kDataLoss. Not thread-safe.
#ifndef STRATA_QUERY_SORT_SPILL_FILE_H_
#define STRATA_QUERY_SORT_SPILL_FILE_H_

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::query::sort {

class SpillFile {
 public:
  // A new empty file under `directory`, named `<prefix>-XXXXXX`.
  static absl::StatusOr<std::unique_ptr<SpillFile>> Create(const std::string& directory,
                                                           absl::string_view prefix);
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // Appends one record (writing phase only).
  absl::Status Append(absl::string_view record);
  // Appends one record made of two parts (read back as their concatenation).
  absl::Status Append(absl::string_view first, absl::string_view second);
  // Ends writing; reading starts at the first record.
  absl::Status FinishWriting();
  // The next record, or nullopt at the end. The view is valid until the next Read.
  absl::StatusOr<std::optional<absl::string_view>> Read();

  const std::string& path() const { return path_; }
  size_t bytes_written() const { return bytes_; }

 private:
  SpillFile(std::string path, FILE* file) : path_(std::move(path)), file_(file) {}
  absl::Status Write(const void* data, size_t size);

  const std::string path_;
  FILE* file_;
  size_t bytes_ = 0;
  std::string record_;  // the last record read
};

}  // namespace strata::query::sort

#endif  // STRATA_QUERY_SORT_SPILL_FILE_H_
