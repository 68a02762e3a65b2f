// `strata export`: mongoexport for a data directory.
//
// Runs one `find` (with --query, --sort, --skip, --limit; --fields as a projection for JSON)
// and its getMores through the command layer on one snapshot-consistent cursor, and writes
// JSON lines (Extended JSON v2, --jsonFormat relaxed (default) or canonical; --pretty
// indents; --jsonArray writes one array) or CSV (--fields or --fieldFile required; a header
// line unless --noHeaderLine; dotted paths reach into documents and arrays; documents and
// arrays print as relaxed Extended JSON in one cell; missing fields are empty cells).
// Read-only: the data directory is never changed. "exported N record(s)" goes to stderr.
#ifndef STRATA_TOOLS_TRANSFER_EXPORTER_H_
#define STRATA_TOOLS_TRANSFER_EXPORTER_H_

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "strata/document.h"

namespace strata::tools {

struct ExportOptions {
  std::string data_dir = "./strata-data";     // --db
  std::string database = "test";              // --database
  std::string collection;                     // --collection (required)
  std::string out;                            // --out; empty or "-" writes stdout
  bool csv = false;                           // --type csv (default json)
  bool json_array = false;                    // --jsonArray
  std::vector<std::string> fields;            // --fields / --fieldFile
  std::string query = "{}";                   // --query (relaxed JSON)
  std::string sort;                           // --sort (relaxed JSON)
  int64_t skip = 0;                           // --skip
  int64_t limit = 0;                          // --limit (0: all)
  JsonMode json_format = JsonMode::kRelaxed;  // --jsonFormat
  bool pretty = false;                        // --pretty
  bool no_header_line = false;                // --noHeaderLine
};

// Parses the arguments after `strata export`: 0 ok (or --help printed, *help set), 2 bad usage.
int ParseExportArgs(const std::vector<std::string>& args, ExportOptions* options, bool* help);

// Runs the export. Exit code 0 ok, 1 failed (message on `err`).
int RunExport(const ExportOptions& options, std::ostream& err);

// One CSV cell for the value at `it` (exposed for tests): strings as they are, numbers as
// text, dates as ISO-8601, ObjectIds as ObjectId(hex), documents and arrays as JSON.
std::string CsvCell(const bson_iter_t& it);
// Quotes a CSV field when it holds a comma, quote, CR or LF, or starts with a space.
std::string CsvQuote(const std::string& field);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_EXPORTER_H_
