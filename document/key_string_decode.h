// Decoding key strings (document/key_string.h) back into BSON values, for explain output
// (index bounds), index dumps and diagnostics.
//
// The encoding keeps value order and equality, not the BSON type within a rank, so decoding
// gives a value that compares EQUAL to the original (CompareValues == 0) and re-encodes to the
// SAME bytes, in the most natural type:
//   numbers   an integral value in int32 range → int32, else in int64 range → int64, else a
//             double when exactly representable, else decimal128 (exact, with the shortest
//             coefficient: "1E+400", not "1.0E+400", unless the exponent needs padding as
//             in "1.000000000000000000000000000000000E+6144"); a non-integral value → double
//             when exactly representable, else decimal128; NaN and ±Infinity → double;
//             every zero (-0.0, decimal "0E+10") → int32 0.
//   strings   String and Symbol → String (UTF-8).
//   objects, arrays (keys "0", "1", …), BinData (subtype 2 with its inner length rebuilt),
//   ObjectId, bool, Date, Timestamp, Regex, DBPointer, Code, CodeWScope, MinKey, MaxKey,
//   null, undefined → themselves.
// Decoding is strict: whatever it accepts re-encodes to exactly the bytes it read. Malformed
// input (truncated, an unknown tag or number class, a non-canonical number form such as a
// trailing zero bit group, a bool byte other than 0/1, invalid UTF-8, a NUL in a field name or
// regex, an old-style BinData whose inner length is wrong, nesting deeper than
// kMaxNestingDepth (validate.h)) → kDataLoss naming the byte offset.
//
// Meant for explain output and diagnostics, not hot paths: each number is re-encoded to
// check it is canonical, and every value is built in a scratch document before being copied.
//
// The decoder is iterative (an explicit stack), so corrupt input cannot overflow the call stack.
// Thread safety: pure functions.
#ifndef STRATA_DOCUMENT_KEY_STRING_DECODE_H_
#define STRATA_DOCUMENT_KEY_STRING_DECODE_H_

#include <bson/bson.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::document {

// Decodes the one value encoded (AppendKeyString) at the front of `*bytes`, appends it to `out`
// under `field_name`, and advances `*bytes` past it (so a compound index key decodes by calling
// this once per key part). `out` may be a document or an array being built (the caller names
// array elements "0", "1", …). On error neither `*bytes` nor `out` changes: kDataLoss for
// malformed bytes, kInvalidArgument when `field_name` holds a NUL byte.
absl::Status AppendDecodedKeyString(absl::string_view* bytes, absl::string_view field_name,
                                    bson_t* out);

// The same for a descending key part (AppendKeyStringDescending: every byte complemented).
absl::Status AppendDecodedKeyStringDescending(absl::string_view* bytes,
                                              absl::string_view field_name, bson_t* out);

// {v: <value>} for `bytes` holding exactly one ascending encoding. kDataLoss when malformed or
// when bytes follow the value.
absl::StatusOr<Document> DecodeKeyString(absl::string_view bytes);

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_KEY_STRING_DECODE_H_
