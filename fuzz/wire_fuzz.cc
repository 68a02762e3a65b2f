// libFuzzer target: server::ParseMessage (framing, OP_MSG sections and checksums, OP_QUERY,
// OP_COMPRESSED with every compressor) and, for what parses, the reply builders. Any crash,
// sanitizer report or out-of-bounds read is a bug; returned errors are the expected outcome.
//
//   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DSTRATA_FUZZ=ON
//   cmake --build build-fuzz --target wire_fuzz
//   mkdir -p /tmp/wire-corpus   # new inputs go to the first directory, seeds are read from the
//   second build-fuzz/server/wire_fuzz -max_total_time=60 /tmp/wire-corpus fuzz/corpus/wire
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/wire_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The server reads the header first and only then the body, of the claimed length.
  if (size >= strata::server::kHeaderSize) {
    strata::server::MessageHeader header = strata::server::ReadHeader(data);
    if (!strata::server::CheckHeader(header).ok()) return 0;
  }
  std::string message(reinterpret_cast<const char*>(data), size);
  if (size >= 4) {  // make the length field agree with the bytes, as the reader guarantees
    const uint32_t length = static_cast<uint32_t>(size);
    for (int i = 0; i < 4; ++i) message[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  }
  absl::StatusOr<strata::server::Request> request = strata::server::ParseMessage(message);
  if (request.ok() && request->error.ok()) {
    std::string reply =
        strata::server::BuildOpMsg(1, request->request_id, request->command.view(), true);
    absl::StatusOr<strata::server::Request> again = strata::server::ParseMessage(reply);
    if (!again.ok() || !again->error.ok()) __builtin_trap();  // what we build must parse
  }
  return 0;
}
