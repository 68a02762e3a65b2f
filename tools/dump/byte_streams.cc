#include "tools/dump/byte_streams.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/kill_point.h"

namespace strata::tools::dump {
namespace {

constexpr size_t kChunk = size_t{1} << 20;

absl::Status IoError(const std::string& path, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(path, ": ", what, ": ", std::strerror(errno)));
}

// An stdio file with a large buffer; stdout/stdin for "-".
// A named output file is written as `<path>.partial` and becomes `<path>` only in Close, after
// its bytes were fsynced (then the directory is fsynced too): a dump or export that is killed,
// runs out of disk or fails never leaves a file under its final name that looks whole. A file
// destroyed without Close (an error path) removes its `.partial`.
class File {
 public:
  File(FILE* f, bool owned, std::string final_path = "")
      : f_(f), owned_(owned), final_path_(std::move(final_path)) {}
  ~File() {
    if (f_ != nullptr && owned_) std::fclose(f_);
    if (f_ != nullptr && !final_path_.empty()) std::remove(TempPath().c_str());
  }
  FILE* get() const { return f_; }
  absl::Status Close(const std::string& path) {
    FILE* f = f_;
    f_ = nullptr;
    if (final_path_.empty()) {
      if (std::fflush(f) != 0) return IoError(path, "write failed");
      if (owned_ && std::fclose(f) != 0) return IoError(path, "close failed");
      return absl::OkStatus();
    }
    const std::string temp = TempPath();
    absl::Status status;
    if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) status = IoError(path, "write failed");
    if (std::fclose(f) != 0 && status.ok()) status = IoError(path, "close failed");
    if (!status.ok()) {
      std::remove(temp.c_str());
      return status;
    }
    MaybeKill("dump.before_rename");
    if (std::rename(temp.c_str(), final_path_.c_str()) != 0) {
      status = IoError(path, "rename failed");
      std::remove(temp.c_str());
      return status;
    }
    return SyncParentDirectory(path);
  }

 private:
  std::string TempPath() const { return final_path_ + ".partial"; }
  static absl::Status SyncParentDirectory(const std::string& path) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return IoError(dir, "cannot open directory");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return IoError(dir, "directory sync failed");
    return absl::OkStatus();
  }

  FILE* f_;
  bool owned_;
  std::string final_path_;  // named outputs: the name the `.partial` file gets in Close
};

absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, bool write) {
  if (path == "-") return std::make_unique<File>(write ? stdout : stdin, false);
  const std::string open_path = write ? path + ".partial" : path;
  FILE* f = std::fopen(open_path.c_str(), write ? "wb" : "rb");
  if (f == nullptr) return IoError(path, write ? "cannot create" : "cannot open");
  std::setvbuf(f, nullptr, _IOFBF, kChunk);
  return std::make_unique<File>(f, true, write ? path : "");
}

class PlainSink : public ByteSink {
 public:
  PlainSink(std::string path, std::unique_ptr<File> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  absl::Status Write(absl::string_view bytes) override {
    bytes_in_ += bytes.size();
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_->get()) != bytes.size()) {
      return IoError(path_, "write failed");
    }
    return absl::OkStatus();
  }
  absl::Status Close() override { return file_->Close(path_); }

 private:
  std::string path_;
  std::unique_ptr<File> file_;
};

class GzipSink : public ByteSink {
 public:
  GzipSink(std::string path, std::unique_ptr<File> file)
      : path_(std::move(path)), file_(std::move(file)), out_(kChunk) {
    std::memset(&z_, 0, sizeof(z_));
    // windowBits 15 + 16: a gzip wrapper, as Go's gzip writer (mongodump --gzip) produces.
    deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  }
  ~GzipSink() override { deflateEnd(&z_); }
  absl::Status Write(absl::string_view bytes) override {
    bytes_in_ += bytes.size();
    return Pump(bytes, Z_NO_FLUSH);
  }
  absl::Status Close() override {
    absl::Status s = Pump({}, Z_FINISH);
    absl::Status c = file_->Close(path_);
    return s.ok() ? c : s;
  }

 private:
  absl::Status Pump(absl::string_view bytes, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(bytes.size());
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return absl::InternalError(path_ + ": gzip compression failed");
      size_t produced = out_.size() - z_.avail_out;
      if (produced > 0 && std::fwrite(out_.data(), 1, produced, file_->get()) != produced) {
        return IoError(path_, "write failed");
      }
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
    }
    return absl::OkStatus();
  }

  std::string path_;
  std::unique_ptr<File> file_;
  z_stream z_;
  std::vector<char> out_;
};

class ZstdSink : public ByteSink {
 public:
  ZstdSink(std::string path, std::unique_ptr<File> file)
      : path_(std::move(path)), file_(std::move(file)), out_(ZSTD_CStreamOutSize()) {
    z_ = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z_, ZSTD_c_compressionLevel, 3);
  }
  ~ZstdSink() override { ZSTD_freeCCtx(z_); }
  absl::Status Write(absl::string_view bytes) override {
    bytes_in_ += bytes.size();
    return Pump(bytes, ZSTD_e_continue);
  }
  absl::Status Close() override {
    absl::Status s = Pump({}, ZSTD_e_end);
    absl::Status c = file_->Close(path_);
    return s.ok() ? c : s;
  }

 private:
  absl::Status Pump(absl::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t remaining = ZSTD_compressStream2(z_, &out, &in, mode);
      if (ZSTD_isError(remaining)) {
        return absl::InternalError(
            absl::StrCat(path_, ": zstd compression failed: ", ZSTD_getErrorName(remaining)));
      }
      if (out.pos > 0 && std::fwrite(out_.data(), 1, out.pos, file_->get()) != out.pos) {
        return IoError(path_, "write failed");
      }
      if (mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size) break;
    }
    return absl::OkStatus();
  }

  std::string path_;
  std::unique_ptr<File> file_;
  ZSTD_CCtx* z_;
  std::vector<char> out_;
};

// Reads raw bytes, first from a peeked prefix, then from the file.
class FileReader {
 public:
  FileReader(std::string path, std::unique_ptr<File> file, std::string prefix)
      : path_(std::move(path)), file_(std::move(file)), prefix_(std::move(prefix)) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) {
    if (prefix_pos_ < prefix_.size()) {
      size_t n = std::min(size, prefix_.size() - prefix_pos_);
      std::memcpy(buffer, prefix_.data() + prefix_pos_, n);
      prefix_pos_ += n;
      return n;
    }
    size_t n = std::fread(buffer, 1, size, file_->get());
    if (n == 0 && std::ferror(file_->get())) return IoError(path_, "read failed");
    return n;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<File> file_;
  std::string prefix_;
  size_t prefix_pos_ = 0;
};

class PlainSource : public ByteSource {
 public:
  explicit PlainSource(FileReader reader) : reader_(std::move(reader)) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    return reader_.Read(buffer, size);
  }

 private:
  FileReader reader_;
};

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(FileReader reader) : reader_(std::move(reader)), in_(kChunk) {
    std::memset(&z_, 0, sizeof(z_));
    inflateInit2(&z_, 15 + 32);  // gzip or zlib header, detected
  }
  ~GzipSource() override { inflateEnd(&z_); }
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    z_.next_out = reinterpret_cast<Bytef*>(buffer);
    z_.avail_out = static_cast<uInt>(size);
    while (z_.avail_out == size) {
      if (z_.avail_in == 0) {
        if (eof_) break;
        auto n = reader_.Read(in_.data(), in_.size());
        if (!n.ok()) return n.status();
        if (*n == 0) {
          eof_ = true;
          if (in_member_) {
            return absl::DataLossError(reader_.path() + ": truncated gzip stream");
          }
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(*n);
      }
      in_member_ = true;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&z_);  // a following member (concatenated gzip) continues the stream
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::DataLossError(absl::StrCat(
            reader_.path(), ": corrupt gzip data: ", z_.msg != nullptr ? z_.msg : "error"));
      }
    }
    return size - z_.avail_out;
  }

 private:
  FileReader reader_;
  std::vector<char> in_;
  z_stream z_;
  bool eof_ = false;
  bool in_member_ = false;
};

class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(FileReader reader) : reader_(std::move(reader)), in_(ZSTD_DStreamInSize()) {
    z_ = ZSTD_createDCtx();
  }
  ~ZstdSource() override { ZSTD_freeDCtx(z_); }
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    ZSTD_outBuffer out{buffer, size, 0};
    while (out.pos == 0) {
      if (input_.pos == input_.size) {
        if (eof_) break;
        auto n = reader_.Read(in_.data(), in_.size());
        if (!n.ok()) return n.status();
        if (*n == 0) {
          eof_ = true;
          if (frame_open_) return absl::DataLossError(reader_.path() + ": truncated zstd stream");
          break;
        }
        input_ = ZSTD_inBuffer{in_.data(), *n, 0};
      }
      size_t rc = ZSTD_decompressStream(z_, &out, &input_);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(
            absl::StrCat(reader_.path(), ": corrupt zstd data: ", ZSTD_getErrorName(rc)));
      }
      frame_open_ = rc != 0;
    }
    return out.pos;
  }

 private:
  FileReader reader_;
  std::vector<char> in_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  ZSTD_DCtx* z_;
  bool eof_ = false;
  bool frame_open_ = false;
};

}  // namespace

absl::string_view CompressionSuffix(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return ".gz";
    case Compression::kZstd:
      return ".zst";
    case Compression::kNone:
      break;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<ByteSink>> OpenSink(const std::string& path,
                                                   Compression compression) {
  auto file = OpenFile(path, /*write=*/true);
  if (!file.ok()) return file.status();
  switch (compression) {
    case Compression::kGzip:
      return std::make_unique<GzipSink>(path, std::move(*file));
    case Compression::kZstd:
      return std::make_unique<ZstdSink>(path, std::move(*file));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainSink>(path, std::move(*file));
}

absl::StatusOr<std::unique_ptr<ByteSource>> OpenSource(const std::string& path,
                                                       Compression compression, bool detect) {
  auto file = OpenFile(path, /*write=*/false);
  if (!file.ok()) return file.status();
  std::string prefix;
  if (detect) {
    // Peek at the first bytes (stdin cannot seek, so they are replayed by FileReader).
    char head[4];
    size_t n = std::fread(head, 1, sizeof(head), (*file)->get());
    prefix.assign(head, n);
    compression = Compression::kNone;
    if (n >= 2 && static_cast<uint8_t>(head[0]) == 0x1f && static_cast<uint8_t>(head[1]) == 0x8b) {
      compression = Compression::kGzip;
    } else if (n == 4 && std::memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) {
      compression = Compression::kZstd;
    }
  }
  FileReader reader(path, std::move(*file), std::move(prefix));
  switch (compression) {
    case Compression::kGzip:
      return std::make_unique<GzipSource>(std::move(reader));
    case Compression::kZstd:
      return std::make_unique<ZstdSource>(std::move(reader));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainSource>(std::move(reader));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  Compression compression = Compression::kNone;
  if (absl::EndsWith(path, ".gz")) compression = Compression::kGzip;
  if (absl::EndsWith(path, ".zst")) compression = Compression::kZstd;
  auto source = OpenSource(path, compression);
  if (!source.ok()) return source.status();
  std::string text;
  char buffer[65536];
  while (true) {
    auto n = (*source)->Read(buffer, sizeof(buffer));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    text.append(buffer, *n);
  }
  return text;
}

}  // namespace strata::tools::dump
