// The on-disk layout of secondary index entries in the `indexes` column family
// (engine/key_layout.h names the column family; this file owns the bytes inside it).
//
//   non-unique index:  key   = index id (4 bytes BE) + index key + `_id` key string
//                      value = empty                       (entry format 0)
//                              type codes, one per key part (entry format 1)
//   unique index:      key   = index id (4 bytes BE) + index key
//                      value = `_id` key string            (entry format 0)
//                              `_id` key string + type codes (entry format 1)
//
// The entry format is recorded in the index's catalog descriptor (IndexSpec::entry_format);
// type codes (key_types.h) let a covered query rebuild the exact key values.
//
// "index key" is what key_generator.h produces (the key strings of the key parts, descending
// parts complemented); the `_id` key string is the ascending key string of the document's
// `_id` (the record key minus its collection id: engine::RecordIdPart).
//
// INVARIANTS
//   - Entries of one index are exactly the keys with its 4-byte prefix, ordered by index key
//     and then (non-unique) by `_id`: memcmp order == MongoDB order, because key strings
//     are prefix-free and the 4 bytes are fixed-width.
//   - Every index key byte string starts with a type tag (or its complement) in
//     [0x0A, 0xF5], never 0x00 or 0xFF, so prefix + "\xFF" is above every entry of the index.
//   - Unique index: at most one entry per index key. Why this layout: the uniqueness check is
//     one point read (GetForUpdate of UniqueProbeKey, which also locks the key against a
//     concurrent inserter) instead of a prefix scan, and the lock covers exactly the
//     contended key. The writer MUST read the probe key before putting: a Put over an entry
//     holding another `_id` would silently replace it (db/ reports DuplicateKey instead).
//   - Non-unique index: one entry per (index key, `_id`), so identical keys of different
//     documents coexist and an entry can be deleted without reading.
//   - Index ids are never reused (see IndexId): dropping an index is one DeleteRange over
//     IndexEntryRange(id) plus the catalog change, in the same write batch.
// The layout is a persistent format: NEVER change it for existing indexes.
// Thread safety: pure functions.
#ifndef STRATA_INDEX_INDEX_KEY_LAYOUT_H_
#define STRATA_INDEX_INDEX_KEY_LAYOUT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/index_spec.h"

namespace strata::index {

inline constexpr size_t kIndexIdSize = 4;

// A half-open byte range [start, limit).
struct KeyRange {
  std::string start;
  std::string limit;
};

// What decoding and building an index's entries needs to know about the index.
struct IndexEntryFormat {
  IndexId index_id = 0;
  bool unique = false;
  bool typed = false;            // entry format 1: values carry per-part type codes
  std::vector<bool> descending;  // per key part

  static IndexEntryFormat For(const IndexSpec& spec);
};

// The 4-byte prefix of every entry of index `id`.
std::string IndexPrefix(IndexId id);
IndexId IndexIdOf(absl::string_view entry_key);  // requires entry_key.size() >= 4

// Every entry of index `id`, for dropping it (DeleteRange) or scanning it whole.
KeyRange IndexEntryRange(IndexId id);

// A range over index keys (no prefix; index_bounds.h builds them) as a range of entries.
KeyRange IndexEntryRangeFor(IndexId id, const KeyRange& key_range);

// The entry of one key of one document.
std::string IndexEntryKey(const IndexEntryFormat& format, absl::string_view key,
                          absl::string_view id_key_string);
// `key_types` (one code per key part, key_types.h) is stored only when `format.typed`.
std::string IndexEntryValue(const IndexEntryFormat& format, absl::string_view id_key_string,
                            absl::string_view key_types);

// The `_id` key string held by a unique index entry's value (GetForUpdate of the probe key).
// kDataLoss when malformed.
absl::StatusOr<absl::string_view> UniqueEntryIdKey(const IndexEntryFormat& format,
                                                   absl::string_view entry_value);

// Unique indexes: the entry key whose presence means "`key` is taken"; read it (GetForUpdate)
// and compare its value with the writer's `_id` key string.
std::string UniqueProbeKey(IndexId id, absl::string_view key);

// An entry split back into its parts (views into the inputs: keep them alive).
struct IndexEntry {
  absl::string_view key;            // the index key (all key parts)
  absl::string_view id_key_string;  // the document's `_id` key string
  absl::string_view key_types;      // typed formats: one code per key part; else empty
};

// Splits an entry of the index described by `format`. The key parts are skipped one by one
// (key_string_skip.h) to find where the `_id` part starts; exactly one `_id` value must
// follow. kDataLoss on malformed entries (wrong prefix, truncated or trailing bytes, a typed
// value without exactly one type code per key part).
absl::StatusOr<IndexEntry> DecodeIndexEntry(const IndexEntryFormat& format,
                                            absl::string_view entry_key,
                                            absl::string_view entry_value);

}  // namespace strata::index

#endif  // STRATA_INDEX_INDEX_KEY_LAYOUT_H_
