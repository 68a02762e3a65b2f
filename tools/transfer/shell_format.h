// Prints BSON the way mongosh does: unquoted keys, single-quoted strings, type constructors
// (ObjectId('…'), ISODate('…'), Long('…'), Decimal128('…'), Timestamp({ t, i }), …),
// `{ a: 1 }` on one line when it fits in 76 columns, else one field per line, 2-space indent.
// The output parses back with RelaxedJsonParser (except Binary and Code values).
#ifndef STRATA_TOOLS_TRANSFER_SHELL_FORMAT_H_
#define STRATA_TOOLS_TRANSFER_SHELL_FORMAT_H_

#include <bson/bson.h>

#include <string>

#include "strata/document.h"

namespace strata::tools {

// A whole document, starting at column `indent`.
std::string FormatShellDocument(DocumentView doc, int indent = 0);
// The value at `it`.
std::string FormatShellValue(const bson_iter_t& it, int indent = 0);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_SHELL_FORMAT_H_
