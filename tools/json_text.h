// Text helpers of the CLI: reading Extended JSON documents (one per line, or one JSON array)
// and indenting Extended JSON for people.
#ifndef STRATA_TOOLS_JSON_TEXT_H_
#define STRATA_TOOLS_JSON_TEXT_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::tools {

// Reads all of `in`.
std::string ReadAll(std::istream& in);

// Parses `text` as either one JSON array of objects or JSON objects one per line (blank lines
// skipped). Errors name the line (or array element) that failed.
absl::StatusOr<std::vector<Document>> ParseDocuments(absl::string_view text);

// Re-indents compact Extended JSON (2 spaces per level).
std::string IndentJson(absl::string_view json);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_JSON_TEXT_H_
