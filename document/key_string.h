// Order-preserving byte encoding of BSON values ("key strings").
//
// INVARIANT: for any two values a and b,
//   sign(memcmp(Encode(a), Encode(b))) == sign(CompareValues(a, b))   (document/compare.h)
// and equal values encode to identical bytes (int32 1, int64 1, double 1.0 and decimal "1.00"
// all encode the same; -0.0 encodes as 0). Encodings are prefix-free, so compound keys are
// plain concatenations; a descending key part is the bitwise complement of its encoding.
//
// These bytes are stored on disk (record keys, index keys): the type tags and the body
// layouts, documented at the top of key_string.cc, are a persistent format. NEVER renumber or
// change them.
//
// The encoding is one-way: it keeps value order and equality, not the BSON type within a
// rank (int32 1 and double 1.0, String and Symbol, encode alike). Whoever needs the original
// values (covered queries) stores them beside the key.
//
// Sizes: an int32/int64/double takes 5 to 14 bytes (int 1 takes 5), a decimal128 at most 34,
// a string its length + 3 (+1 per NUL byte), ObjectId 13. Encoding only appends to `*out`
// (no other allocation); it recurses once per nesting level, which ValidateInput bounds.
// Thread safety: pure functions.
#ifndef STRATA_DOCUMENT_KEY_STRING_H_
#define STRATA_DOCUMENT_KEY_STRING_H_

#include <bson/bson.h>

#include <string>

namespace strata::document {

// Appends the encoding of the value at `it` (its current element) to `*out`.
void AppendKeyString(const bson_iter_t& it, std::string* out);

// Appends the complement of the encoding (for descending index key parts).
void AppendKeyStringDescending(const bson_iter_t& it, std::string* out);

// The encoding of the value at `it`.
std::string EncodeKeyString(const bson_iter_t& it);

// Encodings of the two ends of the type order, for open-ended range bounds. Each is one byte
// (0x01 and 0xFF) that sorts before (after) every ascending AND every descending encoding, so
// use them as they are, never complemented, for descending key parts too. They are bounds
// only: no value encodes to them (the MinKey and MaxKey values have their own tags).
std::string MinKeyString();  // sorts before every value's encoding
std::string MaxKeyString();  // sorts after every value's encoding

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_KEY_STRING_H_
