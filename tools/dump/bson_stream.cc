#include "tools/dump/bson_stream.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "document/validate.h"

namespace strata::tools::dump {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;
// mongodump's own bound on one document (BSONObjMaxInternalSize); ValidateBson then applies
// the stored-document limit of 16 MiB.
constexpr int64_t kMaxDocumentLength = int64_t{16} * 1024 * 1024 + 16 * 1024;

int32_t ReadInt32(const char* p) {
  uint32_t v = static_cast<uint8_t>(p[0]) |
               (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8) |
               (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16) |
               (static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24);
  return static_cast<int32_t>(v);
}

}  // namespace

absl::Status BsonStream::Corrupt(uint64_t offset, absl::string_view reason) const {
  return absl::DataLossError(absl::StrCat(name_, ": at byte offset ", offset, ": ", reason));
}

absl::StatusOr<size_t> BsonStream::Fill(size_t size) {
  while (limit_ - pos_ < size && !eof_) {
    // Compact, then grow to hold `size` bytes plus a read chunk.
    if (pos_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + pos_, limit_ - pos_);
      limit_ -= pos_;
      pos_ = 0;
    }
    size_t want = std::max(size, kReadChunk);
    if (buffer_.size() < want) buffer_.resize(want);
    auto n = source_->Read(buffer_.data() + limit_, buffer_.size() - limit_);
    if (!n.ok()) return n.status();
    if (*n == 0) eof_ = true;
    limit_ += *n;
  }
  return std::min(size, limit_ - pos_);
}

absl::Status BsonStream::ReadRaw(char* out, size_t size) {
  auto n = Fill(size);
  if (!n.ok()) return n.status();
  if (*n < size) return Corrupt(consumed_, "unexpected end of stream");
  std::memcpy(out, buffer_.data() + pos_, size);
  pos_ += size;
  consumed_ += size;
  return absl::OkStatus();
}

absl::StatusOr<BsonStream::Item> BsonStream::Next(bool terminator_allowed) {
  item_offset_ = consumed_;
  auto available = Fill(4);
  if (!available.ok()) return available.status();
  if (*available == 0) return Item::kEnd;
  if (*available < 4) {
    return Corrupt(consumed_, absl::StrCat("truncated document: only ", *available,
                                           " bytes left where a 4-byte length was expected"));
  }
  const int32_t length = ReadInt32(buffer_.data() + pos_);
  if (length == -1 && terminator_allowed) {
    pos_ += 4;
    consumed_ += 4;
    return Item::kTerminator;
  }
  if (length < 5) {
    return Corrupt(consumed_, absl::StrCat("invalid document length ", length,
                                           " (a BSON document has at least 5 bytes)"));
  }
  if (length > kMaxDocumentLength) {
    return Corrupt(consumed_, absl::StrCat("document length ", length, " exceeds the maximum of ",
                                           kMaxDocumentLength));
  }
  auto got = Fill(static_cast<size_t>(length));
  if (!got.ok()) return got.status();
  if (*got < static_cast<size_t>(length)) {
    return Corrupt(consumed_, absl::StrCat("truncated document: its length is ", length,
                                           " bytes but the file ends after ", *got));
  }
  const uint8_t* data = reinterpret_cast<const uint8_t*>(buffer_.data() + pos_);
  absl::Status valid = document::ValidateBson(data, static_cast<size_t>(length));
  if (!valid.ok()) {
    absl::string_view reason = valid.message();
    return Corrupt(consumed_, absl::StartsWith(reason, "invalid BSON")
                                  ? std::string(reason)
                                  : absl::StrCat("invalid BSON: ", reason));
  }
  doc_begin_ = pos_;
  doc_size_ = static_cast<size_t>(length);
  pos_ += doc_size_;
  consumed_ += doc_size_;
  return Item::kDocument;
}

}  // namespace strata::tools::dump
