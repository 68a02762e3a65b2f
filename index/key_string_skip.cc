#include "index/key_string_skip.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata::index {
namespace {

// Type tags and number classes of document/key_string.cc (persistent; never renumbered).
enum Tag : uint8_t {
  kEnd = 0x00,
  kMinKey = 0x0A,
  kUndefined = 0x0F,
  kNull = 0x14,
  kNumber = 0x1E,
  kString = 0x28,
  kObject = 0x32,
  kArray = 0x3C,
  kBinData = 0x46,
  kObjectId = 0x50,
  kBool = 0x5A,
  kDate = 0x64,
  kTimestamp = 0x6E,
  kRegex = 0x78,
  kDBPointer = 0x82,
  kCode = 0x8C,
  kCodeWScope = 0x96,
  kMaxKey = 0xF0,
};
constexpr uint8_t kNumberNaN = 0x10;
constexpr uint8_t kNumberNegativeInfinity = 0x20;
constexpr uint8_t kNumberNegativeHuge = 0x28;
constexpr uint8_t kNumberNegative = 0x30;
constexpr uint8_t kNumberNegativeTiny = 0x38;
constexpr uint8_t kNumberZero = 0x40;
constexpr uint8_t kNumberPositiveTiny = 0x48;
constexpr uint8_t kNumberPositive = 0x50;
constexpr uint8_t kNumberPositiveHuge = 0x58;
constexpr uint8_t kNumberPositiveInfinity = 0x60;
constexpr uint8_t kNumberExact = 0x00;
constexpr uint8_t kNumberInexact = 0x01;
constexpr int kMaxBitGroups = 9;  // 63 bits, 7 per byte

class Reader {
 public:
  Reader(absl::string_view bytes, bool descending)
      : bytes_(bytes), mask_(descending ? 0xFF : 0x00) {}

  size_t position() const { return position_; }

  // The next byte, un-complemented for descending input; false at the end.
  bool Next(uint8_t* byte, uint8_t extra_mask = 0) {
    if (position_ >= bytes_.size()) return false;
    *byte = static_cast<uint8_t>(bytes_[position_++]) ^ mask_ ^ extra_mask;
    return true;
  }

  bool Skip(size_t count) {
    if (bytes_.size() - position_ < count) return false;
    position_ += count;
    return true;
  }

  bool ReadBigEndian32(uint32_t* value) {
    uint32_t result = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t byte;
      if (!Next(&byte)) return false;
      result = (result << 8) | byte;
    }
    *value = result;
    return true;
  }

  // The string form: 0x00 0xFF is an escaped NUL, 0x00 0x00 ends it.
  bool SkipString() {
    while (true) {
      uint8_t byte;
      if (!Next(&byte)) return false;
      if (byte != 0x00) continue;
      if (!Next(&byte)) return false;
      if (byte == 0x00) return true;
      if (byte != 0xFF) return false;
    }
  }

  // Exponent (2 bytes), digit pairs in [1, 100], then 0x00. `extra_mask` is 0xFF inside a
  // negative number (whose body bytes are complemented).
  bool SkipDecimalMagnitude(uint8_t extra_mask) {
    if (!Skip(2)) return false;
    while (true) {
      uint8_t byte;
      if (!Next(&byte, extra_mask)) return false;
      if (byte == 0x00) return true;
      if (byte > 100) return false;
    }
  }

  bool SkipNumber() {
    uint8_t number_class;
    if (!Next(&number_class)) return false;
    switch (number_class) {
      case kNumberNaN:
      case kNumberNegativeInfinity:
      case kNumberZero:
      case kNumberPositiveInfinity:
        return true;
      case kNumberPositiveTiny:
      case kNumberPositiveHuge:
        return SkipDecimalMagnitude(0x00);
      case kNumberNegativeTiny:
      case kNumberNegativeHuge:
        return SkipDecimalMagnitude(0xFF);
      case kNumberPositive:
      case kNumberNegative: {
        const uint8_t extra_mask = number_class == kNumberNegative ? 0xFF : 0x00;
        if (!Skip(2)) return false;
        for (int groups = 0;; ++groups) {
          uint8_t byte;
          if (!Next(&byte, extra_mask)) return false;
          if (byte >= 0x80) {
            if (groups == kMaxBitGroups) return false;
            continue;
          }
          if (byte == kNumberExact) return true;
          if (byte == kNumberInexact) return SkipDecimalMagnitude(extra_mask);
          return false;
        }
      }
      default:
        return false;
    }
  }

 private:
  absl::string_view bytes_;
  uint8_t mask_;
  size_t position_ = 0;
};

}  // namespace

absl::StatusOr<size_t> KeyStringValueSize(absl::string_view bytes, bool descending) {
  Reader reader(bytes, descending);
  // Open objects (true) and arrays (false) whose end marker is still ahead.
  std::vector<bool> open;
  auto corrupt = [&]() {
    return absl::DataLossError(
        absl::StrCat("malformed key string at byte ", reader.position(), " of ", bytes.size()));
  };
  // Reads the body of a value of type `tag`; containers are pushed, not read.
  auto body = [&](uint8_t tag) -> bool {
    switch (tag) {
      case kMinKey:
      case kUndefined:
      case kNull:
      case kMaxKey:
        return true;
      case kNumber:
        return reader.SkipNumber();
      case kString:
      case kCode:
        return reader.SkipString();
      case kObject:
        open.push_back(true);
        return true;
      case kArray:
        open.push_back(false);
        return true;
      case kBinData: {
        uint32_t length;
        return reader.ReadBigEndian32(&length) && reader.Skip(1) && reader.Skip(length);
      }
      case kObjectId:
        return reader.Skip(12);
      case kBool:
        return reader.Skip(1);
      case kDate:
      case kTimestamp:
        return reader.Skip(8);
      case kRegex:
        return reader.SkipString() && reader.SkipString();
      case kDBPointer: {
        uint32_t length;
        return reader.ReadBigEndian32(&length) && reader.Skip(length) && reader.Skip(12);
      }
      case kCodeWScope:
        if (!reader.SkipString()) return false;
        open.push_back(true);
        return true;
      default:
        return false;
    }
  };

  uint8_t tag;
  if (!reader.Next(&tag) || !body(tag)) return corrupt();
  while (!open.empty()) {
    if (!reader.Next(&tag)) return corrupt();
    if (tag == kEnd) {
      open.pop_back();
      continue;
    }
    if (open.back() && !reader.SkipString()) return corrupt();  // the field name
    if (!body(tag)) return corrupt();
  }
  return reader.position();
}

}  // namespace strata::index
