// The archive reader (tools/dump/archive.h) over arbitrary bytes: it must return an error or
// events, never crash, hang or read out of bounds; every document it yields passes the strict
// BSON validator, and the reader stops at its clean end.
#include "tools/dump/archive.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "document/validate.h"
#include "fuzz/targets.h"
#include "fuzz/targets/common.h"
#include "tools/dump/byte_streams.h"

namespace strata::fuzz {
namespace {

// The input bytes as a stream, handed out in small uneven pieces (as a pipe would).
class MemorySource : public tools::dump::ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    const size_t n = std::min({size, size_ - position_, size_t{1} + position_ % 4093});
    std::memcpy(buffer, data_ + position_, n);
    position_ += n;
    return n;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

}  // namespace

int Archive(const uint8_t* data, size_t size) {
  auto reader =
      tools::dump::ArchiveReader::Open(std::make_unique<MemorySource>(data, size), "fuzz.archive");
  if (!reader.ok()) return 0;
  // Each event consumes input, so the reader ends within size + 1 events.
  for (size_t events = 0; events <= size + 1; ++events) {
    auto event = (*reader)->Next();
    if (!event.ok()) return 0;
    if (event->kind == tools::dump::ArchiveReader::Event::kEnd) return 0;
    if (event->kind == tools::dump::ArchiveReader::Event::kDocument) {
      FUZZ_CHECK(document::ValidateBson(event->document).ok());
    }
  }
  FUZZ_CHECK(false && "the archive reader did not end");
  return 0;
}

}  // namespace strata::fuzz
