#include "server/compression.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "absl/strings/str_cat.h"

namespace strata::server {

std::optional<Compressor> CompressorByName(std::string_view name) {
  if (name == "snappy") return Compressor::kSnappy;
  if (name == "zlib") return Compressor::kZlib;
  if (name == "zstd") return Compressor::kZstd;
  if (name == "noop") return Compressor::kNoop;
  return std::nullopt;
}

std::optional<Compressor> CompressorById(uint8_t id) {
  if (id <= 3) return static_cast<Compressor>(id);
  return std::nullopt;
}

const char* CompressorName(Compressor compressor) {
  switch (compressor) {
    case Compressor::kNoop:
      return "noop";
    case Compressor::kSnappy:
      return "snappy";
    case Compressor::kZlib:
      return "zlib";
    case Compressor::kZstd:
      return "zstd";
  }
  return "unknown";
}

absl::StatusOr<std::string> Compress(Compressor compressor, std::string_view input) {
  std::string out;
  switch (compressor) {
    case Compressor::kNoop:
      return std::string(input);
    case Compressor::kSnappy: {
      size_t size = snappy_max_compressed_length(input.size());
      out.resize(size);
      if (snappy_compress(input.data(), input.size(), out.data(), &size) != SNAPPY_OK) {
        return absl::InternalError("snappy compression failed");
      }
      out.resize(size);
      return out;
    }
    case Compressor::kZlib: {
      uLongf size = compressBound(static_cast<uLong>(input.size()));
      out.resize(size);
      if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                    reinterpret_cast<const Bytef*>(input.data()), static_cast<uLong>(input.size()),
                    6) != Z_OK) {
        return absl::InternalError("zlib compression failed");
      }
      out.resize(size);
      return out;
    }
    case Compressor::kZstd: {
      out.resize(ZSTD_compressBound(input.size()));
      size_t size = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 1);
      if (ZSTD_isError(size)) return absl::InternalError("zstd compression failed");
      out.resize(size);
      return out;
    }
  }
  return absl::InvalidArgumentError("unknown compressor");
}

absl::StatusOr<std::string> Decompress(Compressor compressor, std::string_view input,
                                       size_t expected_size) {
  std::string out(expected_size, '\0');
  auto mismatch = [&](size_t got) {
    return absl::InvalidArgumentError(absl::StrCat(CompressorName(compressor), " data inflates to ",
                                                   got, " bytes, the message claims ",
                                                   expected_size));
  };
  switch (compressor) {
    case Compressor::kNoop:
      if (input.size() != expected_size) return mismatch(input.size());
      return std::string(input);
    case Compressor::kSnappy: {
      size_t size = 0;
      if (snappy_uncompressed_length(input.data(), input.size(), &size) != SNAPPY_OK) {
        return absl::InvalidArgumentError("invalid snappy data");
      }
      if (size != expected_size) return mismatch(size);
      if (snappy_uncompress(input.data(), input.size(), out.data(), &size) != SNAPPY_OK) {
        return absl::InvalidArgumentError("invalid snappy data");
      }
      return out;
    }
    case Compressor::kZlib: {
      // Inflate with a stream so a bomb stops at the buffer's end instead of growing it.
      z_stream stream{};
      if (inflateInit(&stream) != Z_OK) return absl::InternalError("zlib init failed");
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      stream.avail_in = static_cast<uInt>(input.size());
      stream.next_out = reinterpret_cast<Bytef*>(out.data());
      stream.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&stream, Z_FINISH);
      size_t produced = out.size() - stream.avail_out;
      inflateEnd(&stream);
      if (rc != Z_STREAM_END) {
        if (rc == Z_BUF_ERROR && stream.avail_out == 0) return mismatch(expected_size + 1);
        return absl::InvalidArgumentError("invalid zlib data");
      }
      if (produced != expected_size) return mismatch(produced);
      return out;
    }
    case Compressor::kZstd: {
      size_t size = ZSTD_decompress(out.data(), out.size(), input.data(), input.size());
      if (ZSTD_isError(size)) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid zstd data: ", ZSTD_getErrorName(size)));
      }
      if (size != expected_size) return mismatch(size);
      return out;
    }
  }
  return absl::InvalidArgumentError("unknown compressor");
}

}  // namespace strata::server
