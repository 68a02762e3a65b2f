#include "query/pipeline/spill.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"

namespace strata::query::pipeline {

absl::StatusOr<std::unique_ptr<SpillRun>> SpillRun::Create(const PipelineContext& context) {
  if (context.options.temp_dir.empty()) {
    return MongoError(ErrorCode::kInternalError, "no directory for spill files was configured");
  }
  std::error_code ec;
  std::filesystem::create_directories(context.options.temp_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create spill directory ",
                                            context.options.temp_dir, ": ", ec.message()));
  }
  const int64_t n = ++*context.spill_counter;
  std::string path =
      absl::StrCat(context.options.temp_dir, "/pipeline-", getpid(), "-",
                   reinterpret_cast<uintptr_t>(context.spill_counter.get()), "-", n, ".run");
  FILE* file = std::fopen(path.c_str(), "w+b");
  if (file == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create spill file ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<SpillRun>(new SpillRun(std::move(path), file));
}

SpillRun::~SpillRun() {
  if (file_ != nullptr) std::fclose(file_);
  std::remove(path_.c_str());
}

absl::Status SpillRun::Append(DocumentView doc) {
  if (std::fwrite(doc.data(), 1, doc.size(), file_) != doc.size()) {
    return absl::InternalError(
        absl::StrCat("cannot write spill file ", path_, ": ", std::strerror(errno)));
  }
  bytes_ += doc.size();
  return absl::OkStatus();
}

absl::Status SpillRun::FinishWriting() {
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
    return absl::InternalError(absl::StrCat("cannot rewind spill file ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Document>> SpillRun::Read() {
  uint8_t header[4];
  size_t got = std::fread(header, 1, 4, file_);
  if (got == 0) return std::optional<Document>();
  if (got != 4) return absl::DataLossError(absl::StrCat("truncated spill file ", path_));
  int32_t length;
  std::memcpy(&length, header, 4);
  if (length < 5) return absl::DataLossError(absl::StrCat("corrupt spill file ", path_));
  std::string bytes(static_cast<size_t>(length), '\0');
  std::memcpy(bytes.data(), header, 4);
  if (std::fread(bytes.data() + 4, 1, bytes.size() - 4, file_) != bytes.size() - 4) {
    return absl::DataLossError(absl::StrCat("truncated spill file ", path_));
  }
  return std::optional<Document>(
      Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
}

}  // namespace strata::query::pipeline
