#include "query/sort/spill_file.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace strata::query::sort {
namespace {

// Buffer of each open spill file: big enough that a run is written and read in large I/Os.
constexpr size_t kBufferBytes = 256 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<SpillFile>> SpillFile::Create(const std::string& directory,
                                                             absl::string_view prefix) {
  if (directory.empty()) {
    return absl::InternalError("no directory for spill files was configured");
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create spill directory ", directory, ": ", ec.message()));
  }
  std::string path = absl::StrCat(directory, "/", prefix, "-XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create spill file ", path, ": ", std::strerror(errno)));
  }
  FILE* file = fdopen(fd, "w+b");
  if (file == nullptr) {
    const int error = errno;
    close(fd);
    std::remove(path.c_str());
    return absl::InternalError(
        absl::StrCat("cannot open spill file ", path, ": ", std::strerror(error)));
  }
  std::setvbuf(file, nullptr, _IOFBF, kBufferBytes);
  return std::unique_ptr<SpillFile>(new SpillFile(std::move(path), file));
}

SpillFile::~SpillFile() {
  if (file_ != nullptr) std::fclose(file_);
  std::remove(path_.c_str());
}

absl::Status SpillFile::Write(const void* data, size_t size) {
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    return absl::InternalError(
        absl::StrCat("cannot write spill file ", path_, ": ", std::strerror(errno)));
  }
  bytes_ += size;
  return absl::OkStatus();
}

absl::Status SpillFile::Append(absl::string_view record) { return Append(record, {}); }

absl::Status SpillFile::Append(absl::string_view first, absl::string_view second) {
  const uint32_t length = static_cast<uint32_t>(first.size() + second.size());
  const uint8_t header[4] = {static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
                             static_cast<uint8_t>(length >> 16),
                             static_cast<uint8_t>(length >> 24)};
  absl::Status status = Write(header, 4);
  if (status.ok()) status = Write(first.data(), first.size());
  if (status.ok()) status = Write(second.data(), second.size());
  return status;
}

absl::Status SpillFile::FinishWriting() {
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot rewind spill file ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::string_view>> SpillFile::Read() {
  uint8_t header[4];
  const size_t got = std::fread(header, 1, 4, file_);
  if (got == 0) {
    if (std::ferror(file_)) {
      return absl::InternalError(
          absl::StrCat("cannot read spill file ", path_, ": ", std::strerror(errno)));
    }
    return std::optional<absl::string_view>();
  }
  if (got != 4) return absl::DataLossError(absl::StrCat("truncated spill file ", path_));
  const uint32_t length = uint32_t{header[0]} | uint32_t{header[1]} << 8 |
                          uint32_t{header[2]} << 16 | uint32_t{header[3]} << 24;
  record_.resize(length);
  if (length > 0 && std::fread(record_.data(), 1, length, file_) != length) {
    return absl::DataLossError(absl::StrCat("truncated spill file ", path_));
  }
  return std::optional<absl::string_view>(record_);
}

}  // namespace strata::query::sort
