// BsonStream: reads concatenated BSON documents (a mongodump .bson file, or the body of an
// archive) from a ByteSource, one at a time, with memory bounded by the largest document.
//
// Every document passes the library's strict validator (document/validate.h: structure, 16 MiB,
// depth 100, UTF-8, duplicate names) before the caller sees it. A corrupt or truncated input
// fails with kDataLoss naming the stream, the byte offset of the bad document (in the
// uncompressed stream) and the reason; every complete document before it has been returned.
// Not thread-safe.
#ifndef STRATA_TOOLS_DUMP_BSON_STREAM_H_
#define STRATA_TOOLS_DUMP_BSON_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "strata/document.h"
#include "tools/dump/byte_streams.h"

namespace strata::tools::dump {

class BsonStream {
 public:
  enum class Item {
    kDocument,    // document() holds it
    kTerminator,  // the 4 bytes ff ff ff ff (archives only; see Next)
    kEnd,         // the stream ended cleanly, between documents
  };

  BsonStream(std::unique_ptr<ByteSource> source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {}

  // The next item. `terminator_allowed`: a length of -1 is an archive terminator (else it is
  // a corrupt length).
  absl::StatusOr<Item> Next(bool terminator_allowed = false);
  // The last document returned; valid until the next call.
  DocumentView document() const {
    return DocumentView(reinterpret_cast<const uint8_t*>(buffer_.data() + doc_begin_), doc_size_);
  }
  // Byte offset of the last item's first byte, and of the next unread byte.
  uint64_t item_offset() const { return item_offset_; }
  uint64_t offset() const { return consumed_; }
  // Reads exactly `size` raw bytes (the archive's magic number).
  absl::Status ReadRaw(char* out, size_t size);
  const std::string& name() const { return name_; }

 private:
  // Makes at least `size` bytes available at buffer_[pos_]; returns how many are (fewer only
  // at the end of the stream).
  absl::StatusOr<size_t> Fill(size_t size);
  absl::Status Corrupt(uint64_t offset, absl::string_view reason) const;

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  std::string buffer_;
  size_t pos_ = 0;    // first unread byte in buffer_
  size_t limit_ = 0;  // end of valid bytes in buffer_
  size_t doc_begin_ = 0, doc_size_ = 0;
  uint64_t consumed_ = 0;  // stream offset of buffer_[pos_]
  uint64_t item_offset_ = 0;
  bool eof_ = false;
};

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_BSON_STREAM_H_
