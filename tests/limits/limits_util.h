// Byte builders and matchers shared by the limits tests: documents of an exact size or depth,
// built as raw bytes (libbson's JSON reader stops at 100 levels and the builders would copy).
#ifndef STRATA_TESTS_LIMITS_LIMITS_UTIL_H_
#define STRATA_TESTS_LIMITS_LIMITS_UTIL_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

#include "strata/document.h"
#include "strata/error.h"
#include "tests/support/test_util.h"

namespace strata::testing {

MATCHER_P(HasMongoCode, code, "") {
  absl::Status status;
  if constexpr (requires { arg.status(); }) {
    status = arg.status();
  } else {
    status = arg;
  }
  *result_listener << "status is " << status;
  return MongoErrorCode(status) == code;
}

inline std::string Le32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

inline Document FromBytes(const std::string& bytes) {
  return Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// {_id: <id>, a: {a: … {} …}}: `depth` levels of embedded documents under the top level
// (the top level is depth 0, so {_id: 1, a: {}} has depth 1). Linear time in `depth`.
inline Document NestedDocument(int depth, int32_t id = 1) {
  std::string elements = std::string("\x10_id\0", 5) + Le32(static_cast<uint32_t>(id));
  if (depth >= 1) {
    // The value of "a": V(depth - 1), where V(0) = {} and V(k) = {a: V(k - 1)} (5 + 8k bytes).
    elements += std::string(
        "\x03"
        "a\0",
        3);
    for (int k = depth - 1; k >= 1; --k) {
      elements += Le32(static_cast<uint32_t>(5 + 8 * k));
      elements += std::string(
          "\x03"
          "a\0",
          3);
    }
    elements += Le32(5);
    elements += '\0';
    elements.append(static_cast<size_t>(depth - 1), '\0');
  }
  return FromBytes(Le32(static_cast<uint32_t>(4 + elements.size() + 1)) + elements + '\0');
}

// {_id: <id>, b: BinData(0, …)} of exactly `total_size` bytes (at least 22).
inline Document DocumentOfSize(size_t total_size, int32_t id = 1) {
  const size_t payload = total_size - 22;
  std::string bytes;
  bytes.reserve(total_size);
  bytes += Le32(static_cast<uint32_t>(total_size));
  bytes += std::string("\x10_id\0", 5) + Le32(static_cast<uint32_t>(id));
  bytes += std::string(
               "\x05"
               "b\0",
               3) +
           Le32(static_cast<uint32_t>(payload)) + '\0';
  bytes.append(payload, 'x');
  bytes += '\0';
  return FromBytes(bytes);
}

}  // namespace strata::testing

#endif  // STRATA_TESTS_LIMITS_LIMITS_UTIL_H_
