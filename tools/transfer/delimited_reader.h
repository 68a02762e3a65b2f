// Splits CSV or TSV text into records, as mongoimport reads them.
// CSV follows RFC 4180: fields separated by commas, a field in double quotes may hold commas,
// newlines and "" (one quote); a quote inside an unquoted field is an error, as in mongoimport.
// TSV splits each line on tabs with no quoting. Both drop a trailing \r, skip empty lines and
// a leading UTF-8 byte order mark. The reader borrows `text`: keep it alive.
#ifndef STRATA_TOOLS_TRANSFER_DELIMITED_READER_H_
#define STRATA_TOOLS_TRANSFER_DELIMITED_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace strata::tools {

struct DelimitedRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

class DelimitedReader {
 public:
  DelimitedReader(std::string_view text, bool tsv);

  // Reads the next record into *record. Returns false at the end of the input. A malformed
  // record returns true with *error set ("line 2: bare \" in non-quoted field"); reading then
  // continues on the line after it.
  bool Next(DelimitedRecord* record, absl::Status* error);

  // Bytes consumed so far (for progress).
  size_t offset() const { return pos_; }

 private:
  bool NextCsv(DelimitedRecord* record, absl::Status* error);

  std::string_view text_;
  bool tsv_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_DELIMITED_READER_H_
