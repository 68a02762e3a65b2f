// Typed index entries (entry format 1): one type code per key part, stored in the entry's value
// (index_key_layout.h), so that a key decodes back to the EXACT BSON values the document holds.
//
// Why: key strings (document/key_string.h) keep order and equality, not the type within a
// rank: int32 1, int64 1, double 1.0 and decimal "1.00" encode alike, -0.0 encodes as 0, a
// Symbol as a String. A covered query (query/planner/covered_plan.h) returns values rebuilt from
// the key instead of fetching the document, so it needs the type back.
//
// A type code is one byte (persistent format: NEVER renumber):
//   0x00         not rebuildable: the value cannot be rebuilt exactly from the key (a decimal
//                in a non-canonical cohort such as "1.00", a NaN with a payload, an array, a
//                document holding such values, any key of a document with several keys or a
//                multikey document); a reader must fetch the document.
//   0x01..0x7F   the BSON type byte of the value (bson_type_t), and 0xFF (MinKey).
//   0x81         a double -0.0 (the key holds 0).
//   0xC0 + k     the path is missing from the document (the key holds null); its first k
//                components (k <= 62) exist as embedded documents, so an inclusion projection
//                of the path rebuilds them as (possibly empty) documents, as MongoDB does.
//
// Contract: for every code KeyPartTypes produces other than 0x00, AppendRebuiltKeyPart on that
// key part gives the document's value byte for byte (types whose rebuild is not exact by
// construction are verified by rebuilding them at write time).
// Thread safety: pure functions.
#ifndef STRATA_INDEX_KEY_TYPES_H_
#define STRATA_INDEX_KEY_TYPES_H_

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/index_spec.h"
#include "strata/document.h"

namespace strata::index {

// Entry formats recorded in an index's catalog descriptor (`entryFormat`). Indexes whose
// descriptor has none are format 0 (values as before: empty or the `_id` key string) and are
// never read for covered queries. New indexes get kCurrentEntryFormat.
inline constexpr int kUntypedEntryFormat = 0;
inline constexpr int kTypedEntryFormat = 1;
inline constexpr int kCurrentEntryFormat = kTypedEntryFormat;

inline constexpr uint8_t kKeyPartNotRebuildable = 0x00;
inline constexpr uint8_t kKeyPartNegativeZero = 0x81;
inline constexpr uint8_t kKeyPartMissing = 0xC0;  // + number of existing document components
inline constexpr int kMaxMissingDepth = 62;

// Whether `code` says the key part's path is missing from the document; `*depth` gets k.
bool IsMissingCode(uint8_t code, int* depth);

// The type codes (one byte per key part) of `key`, the only key `doc` gives the index whose key
// parts are `parts`. `single_key` false (the document gave several keys or is multikey):
// every code is kKeyPartNotRebuildable. kDataLoss when `key` does not split into the parts.
absl::StatusOr<std::string> KeyPartTypes(const std::vector<KeyPart>& parts, DocumentView doc,
                                         absl::string_view key, bool single_key);

// Decodes the key part at the front of `*key` (complemented when `descending`), converts it to
// the type `code` names and appends it to `out` as `field_name`, advancing `*key` past it.
// A missing code appends nothing (the part's bytes are still skipped). kFailedPrecondition for
// kKeyPartNotRebuildable; kDataLoss for malformed bytes or a code that does not fit the value
// (then `out` may hold a partial element: discard it).
absl::Status AppendRebuiltKeyPart(absl::string_view* key, bool descending, uint8_t code,
                                  absl::string_view field_name, bson_t* out);

}  // namespace strata::index

#endif  // STRATA_INDEX_KEY_TYPES_H_
