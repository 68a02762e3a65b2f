#include "server/wire_protocol.h"

#include <bson/bson.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/validate.h"
#include "server/crc32c.h"
#include "server/server_errors.h"

namespace strata::server {
namespace {

int32_t ReadInt32(const uint8_t* p) {
  uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return static_cast<int32_t>(v);
}

void AppendInt32(std::string& out, int32_t value) {
  uint32_t v = static_cast<uint32_t>(value);
  char bytes[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                   static_cast<char>((v >> 16) & 0xFF), static_cast<char>((v >> 24) & 0xFF)};
  out.append(bytes, 4);
}

void AppendInt64(std::string& out, int64_t value) {
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PatchLength(std::string& message) {
  uint32_t v = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) message[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

absl::Status Framing(absl::string_view what) { return absl::InvalidArgumentError(what); }

// Commands carry documents one or two levels down, as the command layer allows.
document::ValidateOptions CommandLimits() {
  document::ValidateOptions limits;
  limits.max_size = document::kMaxCommandSize;
  limits.max_depth = document::kMaxNestingDepth + 3;
  return limits;
}

// A BSON document starting at `p` with `available` bytes left: its claimed length, when it
// is at least 5 and fits. Structure inside is checked by the validator.
absl::StatusOr<size_t> DocumentLength(const uint8_t* p, size_t available, absl::string_view what) {
  if (available < 5) return Framing(absl::StrCat(what, ": truncated document"));
  int32_t length = ReadInt32(p);
  if (length < 5 || static_cast<size_t>(length) > available) {
    return Framing(absl::StrCat(what, ": document length ", length, " does not fit the ", available,
                                " bytes left in the message"));
  }
  return static_cast<size_t>(length);
}

struct Sequence {
  std::string identifier;
  std::vector<DocumentView> documents;
};

absl::Status Invalid(const absl::Status& status, absl::string_view where) {
  return MongoError(ErrorCodeOf(status) == ErrorCode::kBSONObjectTooLarge
                        ? ErrorCode::kBSONObjectTooLarge
                        : kInvalidBson,
                    absl::StrCat(where, ": ", status.message()));
}

absl::StatusOr<Request> ParseOpMsg(std::string_view message, const MessageHeader& header) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(message.data());
  if (message.size() < kHeaderSize + 4) return Framing("OP_MSG: no flag bits");
  Request request;
  request.request_id = header.request_id;
  request.op_code = kOpMsg;
  const uint32_t flags = static_cast<uint32_t>(ReadInt32(bytes + kHeaderSize));
  // Bits 0-15 are "required": a receiver must fail on one it does not know.
  const uint32_t unknown_required = flags & 0xFFFFu & ~(kChecksumPresent | kMoreToCome);
  if (unknown_required != 0) {
    return Framing(
        absl::StrCat("OP_MSG: unknown required flag bits 0x", absl::Hex(unknown_required)));
  }
  request.checksum_present = (flags & kChecksumPresent) != 0;
  request.more_to_come = (flags & kMoreToCome) != 0;
  request.exhaust_allowed = (flags & kExhaustAllowed) != 0;
  size_t end = message.size();
  if (request.checksum_present) {
    if (end < kHeaderSize + 4 + 4) return Framing("OP_MSG: checksum flag but no checksum");
    end -= 4;
    const uint32_t expected = static_cast<uint32_t>(ReadInt32(bytes + end));
    const uint32_t actual = Crc32c(bytes, end);
    if (expected != actual) return Framing("OP_MSG: checksum mismatch");
  }
  size_t pos = kHeaderSize + 4;
  std::optional<DocumentView> body;
  std::vector<Sequence> sequences;
  while (pos < end) {
    const uint8_t kind = bytes[pos++];
    if (kind == 0) {
      if (body.has_value()) return Framing("OP_MSG: more than one kind 0 section");
      ASSIGN_OR_RETURN(size_t length, DocumentLength(bytes + pos, end - pos, "OP_MSG body"));
      body = DocumentView(bytes + pos, length);
      pos += length;
    } else if (kind == 1) {
      if (end - pos < 4) return Framing("OP_MSG: truncated document sequence");
      const int32_t size = ReadInt32(bytes + pos);
      if (size < 5 || static_cast<size_t>(size) > end - pos) {
        return Framing(
            absl::StrCat("OP_MSG: document sequence size ", size, " does not fit the message"));
      }
      const size_t section_end = pos + static_cast<size_t>(size);
      size_t p = pos + 4;
      const void* nul = std::memchr(bytes + p, 0, section_end - p);
      if (nul == nullptr) return Framing("OP_MSG: document sequence identifier not terminated");
      Sequence sequence;
      sequence.identifier.assign(reinterpret_cast<const char*>(bytes + p),
                                 static_cast<const uint8_t*>(nul) - (bytes + p));
      if (!document::IsValidUtf8(sequence.identifier.data(), sequence.identifier.size()) ||
          sequence.identifier.empty()) {
        return Framing("OP_MSG: invalid document sequence identifier");
      }
      p = static_cast<const uint8_t*>(nul) - bytes + 1;
      while (p < section_end) {
        ASSIGN_OR_RETURN(size_t length,
                         DocumentLength(bytes + p, section_end - p, "OP_MSG document sequence"));
        sequence.documents.emplace_back(bytes + p, length);
        p += length;
      }
      sequences.push_back(std::move(sequence));
      pos = section_end;
    } else {
      return Framing(absl::StrCat("OP_MSG: unknown section kind ", kind));
    }
  }
  if (!body.has_value()) return Framing("OP_MSG: no kind 0 section");

  // Framing is sound from here: what remains are errors of the command, answered with a reply.
  if (absl::Status valid = document::ValidateBson(*body, CommandLimits()); !valid.ok()) {
    request.error = Invalid(valid, "OP_MSG body");
    return request;
  }
  if (sequences.empty()) {
    request.command = Document::Copy(*body);
    return request;
  }
  document::ValidateOptions item_limits = CommandLimits();
  item_limits.max_depth = document::kMaxNestingDepth + 2;
  bson_t body_bson;
  body->AsBson(&body_bson);
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Sequence& sequence = sequences[i];
    for (size_t j = 0; j < i; ++j) {
      if (sequences[j].identifier == sequence.identifier) {
        request.error = MongoError(
            kInvalidBson,
            absl::StrCat("OP_MSG: duplicate document sequence '", sequence.identifier, "'"));
        return request;
      }
    }
    bson_iter_t it;
    if (bson_iter_init_find(&it, &body_bson, sequence.identifier.c_str())) {
      request.error =
          MongoError(kInvalidBson, absl::StrCat("OP_MSG: document sequence '", sequence.identifier,
                                                "' repeats a field of the command body"));
      return request;
    }
    for (const DocumentView& doc : sequence.documents) {
      if (absl::Status valid = document::ValidateBson(doc, item_limits); !valid.ok()) {
        request.error =
            Invalid(valid, absl::StrCat("OP_MSG document sequence '", sequence.identifier, "'"));
        return request;
      }
    }
  }
  // body fields first (the command name stays first), then one array per sequence.
  Document merged;
  bson_t* out = merged.mutable_bson();
  bson_iter_t it;
  bson_iter_init(&it, &body_bson);
  while (bson_iter_next(&it)) bson_append_iter(out, bson_iter_key(&it), -1, &it);
  for (const Sequence& sequence : sequences) {
    bson_t array;
    bson_append_array_begin(out, sequence.identifier.c_str(),
                            static_cast<int>(sequence.identifier.size()), &array);
    char key_buffer[16];
    for (size_t k = 0; k < sequence.documents.size(); ++k) {
      const char* key = nullptr;
      size_t key_length =
          bson_uint32_to_string(static_cast<uint32_t>(k), &key, key_buffer, sizeof key_buffer);
      bson_t doc;
      sequence.documents[k].AsBson(&doc);
      bson_append_document(&array, key, static_cast<int>(key_length), &doc);
    }
    bson_append_array_end(out, &array);
  }
  request.command = std::move(merged);
  return request;
}

absl::StatusOr<Request> ParseOpQuery(std::string_view message, const MessageHeader& header) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(message.data());
  const size_t end = message.size();
  size_t pos = kHeaderSize + 4;  // flags
  if (end < pos) return Framing("OP_QUERY: truncated");
  const void* nul = std::memchr(bytes + pos, 0, end - pos);
  if (nul == nullptr) return Framing("OP_QUERY: collection name not terminated");
  std::string collection(reinterpret_cast<const char*>(bytes + pos),
                         static_cast<const uint8_t*>(nul) - (bytes + pos));
  pos = static_cast<const uint8_t*>(nul) - bytes + 1;
  if (end - pos < 8) return Framing("OP_QUERY: truncated");
  pos += 8;  // numberToSkip, numberToReturn
  ASSIGN_OR_RETURN(size_t length, DocumentLength(bytes + pos, end - pos, "OP_QUERY query"));
  DocumentView query(bytes + pos, length);
  pos += length;
  if (pos < end) {  // returnFieldsSelector
    ASSIGN_OR_RETURN(size_t fields_length,
                     DocumentLength(bytes + pos, end - pos, "OP_QUERY returnFieldsSelector"));
    pos += fields_length;
  }
  if (pos != end) return Framing("OP_QUERY: bytes after the last document");

  Request request;
  request.request_id = header.request_id;
  request.op_code = kOpQuery;
  constexpr std::string_view kCmd = ".$cmd";
  if (collection.size() <= kCmd.size() ||
      collection.compare(collection.size() - kCmd.size(), kCmd.size(), kCmd) != 0 ||
      !document::IsValidUtf8(collection.data(), collection.size())) {
    request.error =
        MongoError(kUnsupportedOpQueryCommand,
                   "OP_QUERY is only served for commands on <db>.$cmd (the handshake); use OP_MSG");
    return request;
  }
  request.database = collection.substr(0, collection.size() - kCmd.size());
  if (absl::Status valid = document::ValidateBson(query, CommandLimits()); !valid.ok()) {
    request.error = Invalid(valid, "OP_QUERY query");
    return request;
  }
  bson_t query_bson;
  query.AsBson(&query_bson);
  bson_iter_t it;
  if (bson_iter_init(&it, &query_bson) && bson_iter_next(&it) &&
      (std::strcmp(bson_iter_key(&it), "$query") == 0 ||
       std::strcmp(bson_iter_key(&it), "query") == 0) &&
      BSON_ITER_HOLDS_DOCUMENT(&it)) {
    uint32_t inner_length = 0;
    const uint8_t* inner = nullptr;
    bson_iter_document(&it, &inner_length, &inner);
    request.command = Document::Copy(DocumentView(inner, inner_length));
  } else {
    request.command = Document::Copy(query);
  }
  return request;
}

}  // namespace

MessageHeader ReadHeader(const uint8_t* data) {
  MessageHeader header;
  header.message_length = ReadInt32(data);
  header.request_id = ReadInt32(data + 4);
  header.response_to = ReadInt32(data + 8);
  header.op_code = ReadInt32(data + 12);
  return header;
}

absl::Status CheckHeader(const MessageHeader& header) {
  if (header.message_length < static_cast<int32_t>(kHeaderSize) ||
      header.message_length > kMaxMessageSize) {
    return absl::InvalidArgumentError(absl::StrCat("message length ", header.message_length,
                                                   " is outside [16, ", kMaxMessageSize,
                                                   "] bytes (maxMessageSizeBytes)"));
  }
  if (header.op_code != kOpMsg && header.op_code != kOpQuery && header.op_code != kOpCompressed) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported opcode ", header.op_code));
  }
  return absl::OkStatus();
}

absl::StatusOr<Request> ParseMessage(std::string_view message) {
  if (message.size() < kHeaderSize) return Framing("message shorter than its header");
  const auto* bytes = reinterpret_cast<const uint8_t*>(message.data());
  MessageHeader header = ReadHeader(bytes);
  RETURN_IF_ERROR(CheckHeader(header));
  if (static_cast<size_t>(header.message_length) != message.size()) {
    return Framing("message length does not match the bytes received");
  }
  if (header.op_code == kOpMsg) return ParseOpMsg(message, header);
  if (header.op_code == kOpQuery) return ParseOpQuery(message, header);
  // OP_COMPRESSED.
  if (message.size() < kHeaderSize + 9) return Framing("OP_COMPRESSED: truncated");
  const int32_t original_op = ReadInt32(bytes + kHeaderSize);
  const int32_t uncompressed_size = ReadInt32(bytes + kHeaderSize + 4);
  const uint8_t compressor_id = bytes[kHeaderSize + 8];
  if (original_op != kOpMsg && original_op != kOpQuery) {
    return Framing(absl::StrCat("OP_COMPRESSED: cannot carry opcode ", original_op));
  }
  if (uncompressed_size < 0 ||
      uncompressed_size > kMaxMessageSize - static_cast<int32_t>(kHeaderSize)) {
    return Framing(absl::StrCat("OP_COMPRESSED: uncompressed size ", uncompressed_size,
                                " exceeds the message size limit"));
  }
  std::optional<Compressor> compressor = CompressorById(compressor_id);
  if (!compressor.has_value()) {
    return Framing(absl::StrCat("OP_COMPRESSED: unknown compressor id ", compressor_id));
  }
  ASSIGN_OR_RETURN(std::string inflated, Decompress(*compressor, message.substr(kHeaderSize + 9),
                                                    static_cast<size_t>(uncompressed_size)));
  std::string original;
  original.reserve(kHeaderSize + inflated.size());
  AppendInt32(original, 0);
  AppendInt32(original, header.request_id);
  AppendInt32(original, header.response_to);
  AppendInt32(original, original_op);
  original += inflated;
  PatchLength(original);
  absl::StatusOr<Request> request =
      original_op == kOpMsg ? ParseOpMsg(original, header) : ParseOpQuery(original, header);
  if (request.ok()) request->compressor = *compressor;
  return request;
}

std::string BuildOpMsg(int32_t request_id, int32_t response_to, DocumentView body, bool checksum) {
  std::string out;
  out.reserve(kHeaderSize + 5 + body.size() + 4);
  AppendInt32(out, 0);
  AppendInt32(out, request_id);
  AppendInt32(out, response_to);
  AppendInt32(out, kOpMsg);
  AppendInt32(out, checksum ? static_cast<int32_t>(kChecksumPresent) : 0);
  out.push_back('\0');
  out.append(reinterpret_cast<const char*>(body.data()), body.size());
  if (checksum) {
    AppendInt32(out, 0);  // the length must be final before the checksum covers it
    PatchLength(out);
    out.resize(out.size() - 4);
    AppendInt32(out, static_cast<int32_t>(
                         Crc32c(reinterpret_cast<const uint8_t*>(out.data()), out.size())));
  } else {
    PatchLength(out);
  }
  return out;
}

std::string BuildOpReply(int32_t request_id, int32_t response_to, DocumentView document) {
  std::string out;
  AppendInt32(out, 0);
  AppendInt32(out, request_id);
  AppendInt32(out, response_to);
  AppendInt32(out, kOpReply);
  AppendInt32(out, 8);  // responseFlags: AwaitCapable
  AppendInt64(out, 0);  // cursorID
  AppendInt32(out, 0);  // startingFrom
  AppendInt32(out, 1);  // numberReturned
  out.append(reinterpret_cast<const char*>(document.data()), document.size());
  PatchLength(out);
  return out;
}

absl::StatusOr<std::string> CompressMessage(std::string_view message, Compressor compressor) {
  if (message.size() < kHeaderSize) return absl::InvalidArgumentError("not a message");
  const auto* bytes = reinterpret_cast<const uint8_t*>(message.data());
  MessageHeader header = ReadHeader(bytes);
  ASSIGN_OR_RETURN(std::string compressed, Compress(compressor, message.substr(kHeaderSize)));
  std::string out;
  out.reserve(kHeaderSize + 9 + compressed.size());
  AppendInt32(out, 0);
  AppendInt32(out, header.request_id);
  AppendInt32(out, header.response_to);
  AppendInt32(out, kOpCompressed);
  AppendInt32(out, header.op_code);
  AppendInt32(out, static_cast<int32_t>(message.size() - kHeaderSize));
  out.push_back(static_cast<char>(compressor));
  out += compressed;
  PatchLength(out);
  return out;
}

}  // namespace strata::server
