// Fuzz targets: each takes arbitrary bytes, must never crash, hang, leak or trip a sanitizer,
// and aborts (FUZZ_CHECK) when an invariant of the code under test is broken. The same
// functions run under libFuzzer (fuzz/fuzz_main.cc, built with STRATA_FUZZ=ON by scripts/fuzz)
// and over the kept crashers and seeds in a normal gtest (tests/fuzz/regression_test.cc).
//
// Inputs of the two-document targets are two BSON documents back to back: the first by its
// length prefix, the second is the rest. Only inputs that pass the strict validator go further,
// as at every real entry point.
#ifndef STRATA_FUZZ_TARGETS_H_
#define STRATA_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

namespace strata::fuzz {

// document::ValidateBson, differential: whatever it accepts libbson's bson_validate (UTF-8
// flags) accepts too; an accepted document compares equal to itself, prints as Extended JSON.
int BsonValidate(const uint8_t* data, size_t size);

// Document::FromJson (libbson's reader + our validator) and Extended JSON output of the result.
int ExtendedJson(const uint8_t* data, size_t size);

// document/key_string: for every pair of top-level values of the two documents,
// sign(memcmp(Encode(a), Encode(b))) == sign(CompareValues(a, b)); descending reverses it;
// DecodeKeyString(Encode(a)) compares equal to a and re-encodes to the same bytes.
int KeyString(const uint8_t* data, size_t size);

// query/match: parse the first document as a filter, evaluate it on the second.
int Match(const uint8_t* data, size_t size);

// query/update: parse the first document as an update, apply it to the second; a result is
// always valid BSON within the limits (16 MiB, depth 100, no duplicate names, UTF-8).
int Update(const uint8_t* data, size_t size);

// tools/dump/archive.h: read the input as a mongodump archive to its end or first error; every
// document yielded is valid BSON, and the reader always ends. Only in builds with the whole
// library (not the fuzz core): tests, and scripts/sanitize's build.
int Archive(const uint8_t* data, size_t size);

}  // namespace strata::fuzz

#endif  // STRATA_FUZZ_TARGETS_H_
