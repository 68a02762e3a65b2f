// `strata import`: mongoimport for a data directory.
//
// Reads JSON (one document after another, usually one per line, or one array with
// --jsonArray; Extended JSON v2 canonical or relaxed and the shell's relaxed syntax), CSV or TSV
// (--headerline, --fields, --fieldFile, --columnsHaveTypes; dotted names make nested documents).
// Documents go in batches through the command layer: `insert` (mode insert), or `update` with
// upsert: true (mode upsert replaces the document matching --upsertFields, default _id; mode
// merge $sets the new fields into it). Each batch is one command: every document of it is
// atomic on its own, and durable when the command returns (fsync per batch unless --relaxed).
// A bad record (malformed JSON, wrong column count, a typed value that does not parse, a write
// error such as a duplicate key) is reported on stderr with its line and reason and counted as
// failed; the import continues unless --stopOnError. Progress and the summary
// "N document(s) imported successfully. M document(s) failed to import." go to stderr.
#ifndef STRATA_TOOLS_TRANSFER_IMPORTER_H_
#define STRATA_TOOLS_TRANSFER_IMPORTER_H_

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/transfer/column_spec.h"

namespace strata::tools {

struct ImportOptions {
  enum class Type { kJson, kCsv, kTsv };
  enum class Mode { kInsert, kUpsert, kMerge };
  std::string data_dir = "./strata-data";  // --db
  std::string database = "test";           // --database
  std::string collection;                  // --collection (default: the file's base name)
  std::string file;                        // --file; empty or "-" reads stdin
  Type type = Type::kJson;                 // --type
  bool json_array = false;                 // --jsonArray
  bool headerline = false;                 // --headerline
  std::vector<std::string> fields;         // --fields a,b / --fieldFile
  bool columns_have_types = false;         // --columnsHaveTypes
  bool ignore_blanks = false;              // --ignoreBlanks (CSV/TSV: skip empty cells)
  // --parseGrace autoCast|skipField|skipRow|stop: a typed cell that does not parse. Default
  // stop fails that record (mongoimport's stop ends the whole import; --stopOnError does here).
  ParseGrace parse_grace = ParseGrace::kStop;
  Mode mode = Mode::kInsert;               // --mode
  std::vector<std::string> upsert_fields;  // --upsertFields (default {"_id"})
  bool drop = false;                       // --drop the collection first
  bool stop_on_error = false;              // --stopOnError
  bool relaxed = false;                    // --relaxed durability (no fsync per batch)
  size_t batch_documents = 1000;           // documents per command
};

// Parses the arguments after `strata import`. Returns 0 and fills *options, or prints the
// problem on stderr and returns 2 (bad usage). Also handles --help (returns 1 after printing,
// with *help set).
int ParseImportArgs(const std::vector<std::string>& args, ImportOptions* options, bool* help);

// Runs the import; messages go to `err`. Exit code: 0 every document imported, 1 some failed
// (or the directory could not be opened).
int RunImport(const ImportOptions& options, std::ostream& err);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_IMPORTER_H_
