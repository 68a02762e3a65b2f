// Strict BSON validation, in front of every entry point (commands, restore, import, wire).
//
// libbson trusts its input: bson_validate recurses (a few thousand nested levels overflow
// the stack), lets invalid UTF-8 in string values through and accepts duplicate keys and
// documents over 16 MiB. ValidateBson walks the bytes itself, without recursion, and checks:
//   - structure: every length prefix, terminator and element type is consistent and in bounds;
//   - size: at most `max_size` bytes (16 MiB for stored documents) → BSONObjectTooLarge;
//   - depth: at most `max_depth` levels of embedded documents/arrays (100 for stored documents);
//   - UTF-8: every field name and every string/symbol/code/regex text is valid UTF-8
//     (no overlong forms, surrogates or code points above U+10FFFF);
//   - duplicate field names within one (sub)document;
//   - booleans are 0 or 1.
// Errors name the problem and the dotted path of the field where it was found, with MongoDB's
// codes: BSONObjectTooLarge (10334) for size, Overflow (15, "BSONObj exceeds maximum nested
// object depth") for depth, InvalidBSON (22) for everything else.
//
// ValidateInput is THE entry-point check: every path that accepts bytes from outside (commands,
// the C++ API's arguments, Extended JSON, restore, import, the wire server) calls it first, so
// no recursive code (libbson's, the match parser, compare, key encoding) ever sees a document
// deeper than kMaxCommandDepth. Stored documents then also pass PrepareForStorage
// (stored_document.h: `_id` and top-level `$` rules).
#ifndef STRATA_DOCUMENT_VALIDATE_H_
#define STRATA_DOCUMENT_VALIDATE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "strata/document.h"

namespace strata::document {

// MongoDB's limits.
inline constexpr size_t kMaxUserDocumentSize = 16 * 1024 * 1024;  // BSONObjMaxUserSize
// Commands may carry a maximal document plus their own fields (BSONObjMaxInternalSize).
inline constexpr size_t kMaxCommandSize = kMaxUserDocumentSize + 16 * 1024;
inline constexpr int kMaxNestingDepth = 100;
// A command wraps user documents in up to three levels ({update: …, updates: [{u: {…}}]}).
inline constexpr int kMaxCommandDepth = kMaxNestingDepth + 3;

struct ValidateOptions {
  // Largest accepted document in bytes. Default: 16 MiB.
  size_t max_size = kMaxUserDocumentSize;
  // Deepest accepted nesting of embedded documents and arrays (top level is 0). Default 100.
  int max_depth = kMaxNestingDepth;
  // Reject repeated field names inside one document (arrays are not checked). Default: on.
  bool reject_duplicate_names = true;
};

// Validates `size` bytes at `data` as one complete BSON document.
absl::Status ValidateBson(const uint8_t* data, size_t size, const ValidateOptions& options = {});
inline absl::Status ValidateBson(DocumentView view, const ValidateOptions& options = {}) {
  return ValidateBson(view.data(), view.size(), options);
}

// What an input is, which picks its limits.
enum class InputKind {
  kDocument,  // a document to store, a filter, an update, a pipeline stage: 16 MiB, depth 100
  kCommand,   // a whole command: 16 MiB + 16 KiB, depth 100 + 3
};

// Validates untrusted bytes (`size` bytes at `data`, or a view) with the limits of `kind` and
// duplicate names rejected. Thread-safe, no allocation beyond the walker's stack of frames.
absl::Status ValidateInput(const uint8_t* data, size_t size, InputKind kind);
inline absl::Status ValidateInput(DocumentView view, InputKind kind) {
  return ValidateInput(view.data(), view.size(), kind);
}

// Strict UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
// NUL bytes are allowed in values; field names cannot contain them by construction.
bool IsValidUtf8(const char* text, size_t length);

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_VALIDATE_H_
