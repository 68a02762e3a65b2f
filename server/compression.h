// The compressors of OP_COMPRESSED: snappy (id 1), zlib (id 2), zstd (id 3); noop (id 0).
// Each decompresses into exactly the size the message claims (never more: a message that
// inflates past its claimed size, or that claims more than the 48 MB message limit, is refused
// before any allocation of that size).
// Thread safety: pure functions.
#ifndef STRATA_SERVER_COMPRESSION_H_
#define STRATA_SERVER_COMPRESSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::server {

enum class Compressor : uint8_t { kNoop = 0, kSnappy = 1, kZlib = 2, kZstd = 3 };

// "snappy", "zlib", "zstd", "noop" ↔ the enum; nullopt for a name or id this server lacks.
std::optional<Compressor> CompressorByName(std::string_view name);
std::optional<Compressor> CompressorById(uint8_t id);
const char* CompressorName(Compressor compressor);

// Compresses `input` (zlib level 6 and zstd level 1 as MongoDB's defaults).
absl::StatusOr<std::string> Compress(Compressor compressor, std::string_view input);
// Decompresses `input`, which must inflate to exactly `expected_size` bytes.
absl::StatusOr<std::string> Decompress(Compressor compressor, std::string_view input,
                                       size_t expected_size);

}  // namespace strata::server

#endif  // STRATA_SERVER_COMPRESSION_H_
