// Extended JSON v2 output (relaxed and canonical), written by Strata rather than libbson:
// libbson 1.23 prints doubles with 20 significant digits ("14.400000000000000355") and spaces
// inside every brace; this writer prints the shortest text that round-trips ("14.4"), in the
// compact layout `{"a": 1, "b": [1, 2]}`, and never recurses (an explicit stack walks nesting).
//
// Output follows the MongoDB Extended JSON v2 specification: relaxed mode prints int32/int64 and
// finite doubles as JSON numbers (a double always shows a '.' or exponent, e.g. 1.0), dates
// between years 1970 and 9999 as ISO-8601 strings; canonical mode wraps every number and date.
#ifndef STRATA_DOCUMENT_EXTENDED_JSON_H_
#define STRATA_DOCUMENT_EXTENDED_JSON_H_

#include <bson/bson.h>

#include <string>

#include "strata/document.h"

namespace strata::document {

// Appends the document's Extended JSON to `*out`. Returns false (appending nothing useful)
// when the bytes are not valid BSON.
bool AppendExtendedJson(DocumentView doc, JsonMode mode, std::string* out);

// Appends `text` as a quoted JSON string: ", \ and control characters (and DEL) escaped.
void AppendJsonString(const char* text, size_t length, std::string* out);

// The Extended JSON of the single value at `it`.
std::string ValueToExtendedJson(const bson_iter_t& it, JsonMode mode);

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_EXTENDED_JSON_H_
