// MongoDB's names for BSON types, as its error messages and $type print them.
#ifndef STRATA_DOCUMENT_TYPE_NAMES_H_
#define STRATA_DOCUMENT_TYPE_NAMES_H_

#include <bson/bson.h>

#include "absl/strings/string_view.h"

namespace strata::document {

// "double", "string", "object", "array", "binData", "undefined", "objectId", "bool", "date",
// "null", "regex", "dbPointer", "javascript", "symbol", "javascriptWithScope", "int",
// "timestamp", "long", "decimal", "minKey", "maxKey"; "missing" for BSON_TYPE_EOD (an absent
// value) and "unknown" for anything else.
absl::string_view BsonTypeName(bson_type_t type);

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_TYPE_NAMES_H_
