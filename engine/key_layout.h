// The key layout of Strata's RocksDB instance: every on-disk key is built here.
//
// Column families (a missing one on open is corruption, never silently created):
//   catalog   : "c\x00" + namespace        → collection descriptor (BSON)
//               "m\x00next_collection_id"  → next collection id (4 bytes, big-endian)
//               "m\x00next_index_id"       → next index id (4 bytes, big-endian)
//               "s\x00" + collection id    → statistics counters (merge operands, 16 bytes)
//               "x\x00" + index id         → index entry counters (merge operands, 16 bytes)
//               "k\x00" + index id         → multikey paths of the index (BSON, db/ owns it)
//               "h\x00" + index id         → analyze statistics of the index (BSON, db/ owns it)
//   documents : collection id (4 bytes BE) + key string of `_id` → document BSON
//   indexes   : index id (4 bytes BE) + key strings of the key values + key string of `_id`
//
// Collection ids come from a counter in the catalog and are never reused, so a range delete of
// a dropped collection (not yet compacted away) can never hide a newer collection's keys.
// The tags and layouts here are a persistent format: NEVER renumber or change them.
#ifndef STRATA_ENGINE_KEY_LAYOUT_H_
#define STRATA_ENGINE_KEY_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata::engine {

using CollectionId = uint32_t;
using IndexId = uint32_t;

inline constexpr absl::string_view kCatalogColumnFamily = "catalog";
inline constexpr absl::string_view kDocumentsColumnFamily = "documents";
inline constexpr absl::string_view kIndexesColumnFamily = "indexes";

// Ids start at 1; 0 is never allocated.
inline constexpr CollectionId kFirstCollectionId = 1;

void AppendBigEndian32(uint32_t value, std::string* out);
uint32_t ReadBigEndian32(absl::string_view bytes);

// documents column family.
std::string CollectionPrefix(CollectionId id);  // 4 bytes; all records of the collection
std::string RecordKey(CollectionId id, absl::string_view id_key_string);
// The key-string part of a record key.
inline absl::string_view RecordIdPart(absl::string_view record_key) { return record_key.substr(4); }

// catalog column family.
std::string CollectionDescriptorKey(absl::string_view ns);
std::string CollectionDescriptorPrefix();  // all descriptors
std::string NextCollectionIdKey();
std::string NextIndexIdKey();

// indexes column family: every entry of index `id` starts with these 4 bytes.
std::string IndexPrefix(IndexId id);
std::string StatsKey(CollectionId id);

// catalog column family, per secondary index: the keys that live and die with the index
// (dropping an index or its collection deletes them in the same write).
std::string IndexStatsKey(IndexId id);
std::string MultikeyPathsKey(IndexId id);
std::string IndexAnalysisKey(IndexId id);
std::vector<std::string> IndexMetadataKeys(IndexId id);  // all of the above

}  // namespace strata::engine

#endif  // STRATA_ENGINE_KEY_LAYOUT_H_
