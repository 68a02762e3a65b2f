// Byte streams of the dump tools: files (or stdout/stdin for "-"), optionally gzip- or
// zstd-compressed, written and read in large sequential chunks with bounded memory.
//
// gzip output is a standard single-member gzip stream (what mongodump --gzip writes); gzip
// input may hold several members. zstd is one zstd frame (Strata's own --zstd option).
// Errors name the file. Not thread-safe: one stream belongs to one thread.
#ifndef STRATA_TOOLS_DUMP_BYTE_STREAMS_H_
#define STRATA_TOOLS_DUMP_BYTE_STREAMS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::tools::dump {

enum class Compression { kNone, kGzip, kZstd };

// The file-name suffix of a compression: "", ".gz", ".zst".
absl::string_view CompressionSuffix(Compression compression);

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(absl::string_view bytes) = 0;
  // Flushes the compressor and the file, fsyncs and closes it, and only then gives it its
  // name (it was written as `<path>.partial`; the directory is fsynced after the rename).
  // Must be called once; a sink destroyed without Close removes its `.partial` file, so an
  // output under its final name is always whole.
  virtual absl::Status Close() = 0;
  // Bytes given to Write so far (uncompressed).
  uint64_t bytes_in() const { return bytes_in_; }

 protected:
  uint64_t bytes_in_ = 0;
};

// Creates (truncates) `path`.partial, renamed to `path` by Close ("-": standard output).
absl::StatusOr<std::unique_ptr<ByteSink>> OpenSink(const std::string& path,
                                                   Compression compression);

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes; 0 only at the end of the stream.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
};

// Opens `path` ("-": standard input). With `detect`, the compression is recognised from the
// stream's first bytes (gzip 1f 8b, zstd 28 b5 2f fd) and `compression` is ignored.
absl::StatusOr<std::unique_ptr<ByteSource>> OpenSource(const std::string& path,
                                                       Compression compression,
                                                       bool detect = false);

// Reads a whole (small) file, decompressing by its suffix (.gz, .zst).
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_BYTE_STREAMS_H_
