// Dump: writes the collections of a data directory in mongodump's layout, from ONE consistent
// snapshot (db/database_snapshot.h) while other threads may keep writing.
//
//   directory: OUT/<db>/<collection>.bson          concatenated BSON documents, `_id` order
//              OUT/<db>/<collection>.metadata.json  options (validators), indexes, uuid, …
//              (+ ".gz" with gzip, as mongodump --gzip; + ".zst" with zstd, Strata's own)
//   archive:   mongodump's --archive format (archive.h), optionally gzip/zstd as a whole.
// Collection names are escaped in file names as mongodump does (URL path-segment escaping:
// "cafés" → "caf%C3%A9s"). Memory is bounded: documents stream from the snapshot to the file.
#ifndef STRATA_TOOLS_DUMP_DUMPER_H_
#define STRATA_TOOLS_DUMP_DUMPER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database_impl.h"
#include "strata/document.h"
#include "tools/dump/byte_streams.h"
#include "tools/dump/progress.h"

namespace strata::tools::dump {

struct DumpOptions {
  // Root of the directory layout (ignored with `archive`). Default "dump", as mongodump.
  std::string out_dir = "dump";
  // Write one archive to this path instead ("-": standard output). Default: none.
  std::optional<std::string> archive;
  // Only this database / only this collection of it ("" = all).
  std::string database;
  std::string collection;
  // Only documents matching this filter (any find filter). Default: all.
  std::optional<Document> query;
  Compression compression = Compression::kNone;
};

struct CollectionDumpResult {
  std::string ns;
  int64_t documents = 0;
  int64_t bytes = 0;
};

// Dumps what `options` selects. Errors: the query does not parse, a file cannot be written,
// storage errors. Files of a failed dump are left as they are (incomplete).
absl::StatusOr<std::vector<CollectionDumpResult>> Dump(db::DatabaseImpl& db,
                                                       const DumpOptions& options,
                                                       Progress& progress);

// mongodump's escaping of a collection name for a file name, and its inverse (which fails on a
// malformed escape).
std::string EscapeCollectionName(absl::string_view name);
std::optional<std::string> UnescapeCollectionName(absl::string_view file_name);

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_DUMPER_H_
