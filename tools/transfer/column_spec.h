// The columns of a CSV/TSV import: names (dotted paths make nested documents) and, with
// --columnsHaveTypes, mongoimport's types: name.auto(), .string(), .int32(), .int64(),
// .double(), .decimal(), .boolean(), .binary(base64|hex), .date(GO_LAYOUT) (= .date_go),
// .date_ms(MS_LAYOUT) with Go's reference-time layouts ("2006-01-02T15:04:05Z07:00").
#ifndef STRATA_TOOLS_TRANSFER_COLUMN_SPEC_H_
#define STRATA_TOOLS_TRANSFER_COLUMN_SPEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/document.h"
#include "tools/transfer/relaxed_json.h"

namespace strata::tools {

struct ColumnSpec {
  enum class Type { kAuto, kString, kInt32, kInt64, kDouble, kDecimal, kBoolean, kBinary, kDate };
  std::string name;               // the dotted path
  std::vector<std::string> path;  // its parts
  Type type = Type::kAuto;
  std::string type_name;  // as written: "int32", "date_go"…
  std::string argument;   // binary encoding; date: the strftime format (converted)
};

// Parses one column header ("a.b" or, with `typed`, "a.b.int32()").
absl::StatusOr<ColumnSpec> ParseColumnSpec(std::string_view header, bool typed);

// Converts a Go reference-time layout ("2006-01-02 15:04:05") into absl::ParseTime's format.
std::string GoLayoutToFormat(std::string_view layout);
// Converts a Microsoft-style layout ("yyyy-MM-dd HH:mm:ss") into absl::ParseTime's format.
std::string MsLayoutToFormat(std::string_view layout);

// What a typed cell that does not parse does (mongoimport's --parseGrace).
enum class ParseGrace {
  kStop,       // the record fails (reported; the import goes on unless --stopOnError)
  kAutoCast,   // the cell is typed as auto() instead
  kSkipField,  // the field is left out
  kSkipRow,    // the record is skipped (RecordToDocument returns kNotFound)
};

// Builds the document of one record: cell i goes to columns[i] (nested by the dotted path).
// Empty cells are skipped when `ignore_blanks`. More cells than columns is an error; fewer
// leaves the remaining fields out. Errors name the column and the token.
absl::StatusOr<Document> RecordToDocument(const std::vector<ColumnSpec>& columns,
                                          const std::vector<std::string>& cells, bool ignore_blanks,
                                          ParseGrace grace = ParseGrace::kStop);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_COLUMN_SPEC_H_
