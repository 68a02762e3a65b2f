// The <collection>.metadata.json of mongodump's layout (also the `metadata` string of an
// archive's prelude): canonical Extended JSON
//   {"options": {...create options: validator, validationLevel, validationAction, ...},
//    "indexes": [{v, key, name, unique, sparse, partialFilterExpression, expireAfterSeconds,
//                 hidden, ...}, ...],                 (listIndexes form, the _id index first)
//    "uuid": "<32 hex digits>", "collectionName": "<name>", "type": "collection"}
// Parsing accepts what every mongodump version wrote: missing options/uuid/collectionName/type,
// legacy index fields ("ns"), relaxed or legacy Extended JSON, and an empty file (no metadata).
//
// Query operators inside validators and partial filters ($type, $regex, $options) collide
// with libbson's legacy Extended JSON keys ({"$type": …} is legacy binary, {"$regex": …} a
// regex): the parser hides them from libbson and restores them, so a validator such as
// {"a": {"$type": ["int", "string"]}} comes back byte for byte.
#ifndef STRATA_TOOLS_DUMP_METADATA_H_
#define STRATA_TOOLS_DUMP_METADATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/catalog.h"
#include "strata/document.h"

namespace strata::tools::dump {

struct CollectionMetadata {
  Document options;               // {} when absent
  std::vector<Document> indexes;  // as listed (the _id index included when present)
  std::string uuid;               // hex, "" when absent
  std::string collection_name;    // "" when absent
  std::string type = "collection";
};

// The metadata.json text of `collection` with its listIndexes entries.
std::string BuildMetadataJson(const engine::CollectionInfo& collection,
                              const std::vector<Document>& indexes);

// Parses metadata.json text. InvalidArgument naming the problem.
absl::StatusOr<CollectionMetadata> ParseMetadataJson(absl::string_view text);

// Extended JSON → BSON with the operator keys above preserved (exposed for tests).
absl::StatusOr<Document> ParseJsonKeepingOperators(absl::string_view json);

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_METADATA_H_
