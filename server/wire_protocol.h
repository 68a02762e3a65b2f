// MongoDB's wire protocol: framing, parsing and building of the messages `strata serve` speaks.
//
//   header      int32 messageLength (header included), requestID, responseTo, opCode
//   OP_MSG      (2013) uint32 flagBits; sections: kind 0 = one BSON body, kind 1 = int32 size,
//               cstring identifier, BSON documents; optional CRC-32C (flag bit 0)
//   OP_QUERY    (2004) legacy; only the handshake (hello/isMaster on <db>.$cmd) is served
//   OP_REPLY    (1) the answer to OP_QUERY
//   OP_COMPRESSED (2012) int32 originalOpcode, int32 uncompressedSize, uint8 compressorId, data
//
// ParseMessage never trusts a length: every read is bounds-checked against the bytes given, and
// every document is validated strictly (document/validate.h) before it is used. A framing error
// (the connection can no longer be trusted) is returned as an error Status and closes the
// connection; a well-framed message whose command is invalid (a document over 16 MiB, too
// deep, duplicate sequence names) comes back as a Request with `error` set, answered with an
// {ok: 0} reply on a connection that stays open.
// Thread safety: pure functions.
#ifndef STRATA_SERVER_WIRE_PROTOCOL_H_
#define STRATA_SERVER_WIRE_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/compression.h"
#include "strata/document.h"

namespace strata::server {

inline constexpr int32_t kOpReply = 1;
inline constexpr int32_t kOpQuery = 2004;
inline constexpr int32_t kOpCompressed = 2012;
inline constexpr int32_t kOpMsg = 2013;

inline constexpr size_t kHeaderSize = 16;
// MongoDB's maxMessageSizeBytes.
inline constexpr int32_t kMaxMessageSize = 48'000'000;

// OP_MSG flag bits.
inline constexpr uint32_t kChecksumPresent = 1u << 0;
inline constexpr uint32_t kMoreToCome = 1u << 1;
inline constexpr uint32_t kExhaustAllowed = 1u << 16;

struct MessageHeader {
  int32_t message_length = 0;
  int32_t request_id = 0;
  int32_t response_to = 0;
  int32_t op_code = 0;
};

// Reads the 16 header bytes at `data` (little-endian).
MessageHeader ReadHeader(const uint8_t* data);
// InvalidArgument when the claimed length is below 16 or above kMaxMessageSize, or the opcode
// is not one this server speaks. Checked before the body is read, so a huge claimed size is
// refused without allocating it.
absl::Status CheckHeader(const MessageHeader& header);

struct Request {
  int32_t request_id = 0;
  int32_t op_code = 0;  // kOpMsg or kOpQuery (after decompression)
  // The compressor the client used, when the message came in OP_COMPRESSED: the reply uses it.
  std::optional<Compressor> compressor;
  bool checksum_present = false;  // OP_MSG: the client sent (and so wants) a CRC-32C
  bool more_to_come = false;      // OP_MSG: the client wants no reply
  bool exhaust_allowed = false;
  // The command: OP_MSG's body with its document sequences merged in as arrays; OP_QUERY's
  // query (unwrapped from {$query: …}).
  Document command;
  // OP_QUERY: the database of "<db>.$cmd". OP_MSG: empty (the command's `$db` names it).
  std::string database;
  // Set when the message is well framed but its command cannot be run (the reason).
  absl::Status error;
};

// Parses one complete message (header included, `message.size()` == its messageLength).
absl::StatusOr<Request> ParseMessage(std::string_view message);

// An OP_MSG reply (kind 0 body), with a CRC-32C when `checksum`.
std::string BuildOpMsg(int32_t request_id, int32_t response_to, DocumentView body,
                       bool checksum = false);
// An OP_REPLY with one document.
std::string BuildOpReply(int32_t request_id, int32_t response_to, DocumentView document);
// Wraps a complete message in OP_COMPRESSED (keeping its request ids).
absl::StatusOr<std::string> CompressMessage(std::string_view message, Compressor compressor);

}  // namespace strata::server

#endif  // STRATA_SERVER_WIRE_PROTOCOL_H_
