// Reading back the extent of key strings (document/key_string.h): how many bytes the first
// encoded value of a byte string takes, without decoding it. Index entries are plain
// concatenations (key parts, then the `_id` key string), and the encoding is prefix-free, so
// skipping the key parts one by one finds where the `_id` part begins.
//
// Follows the persistent format documented at the top of document/key_string.cc; a test
// checks it against the encoder on random values (tests/index/key_string_skip_test.cc).
// Iterative (an explicit stack for nested objects/arrays), so corrupt or deeply nested input
// cannot overflow the call stack. Thread safety: pure functions.
#ifndef STRATA_INDEX_KEY_STRING_SKIP_H_
#define STRATA_INDEX_KEY_STRING_SKIP_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::index {

// The size in bytes of the encoded value at the start of `bytes`: ascending (AppendKeyString)
// or descending (AppendKeyStringDescending, every byte complemented). kDataLoss when the
// bytes are not a well-formed encoding (truncated, unknown tag, malformed body).
absl::StatusOr<size_t> KeyStringValueSize(absl::string_view bytes, bool descending);

}  // namespace strata::index

#endif  // STRATA_INDEX_KEY_STRING_SKIP_H_
