// MongoDB's BSON type order and value comparison: the one comparison every layer uses
// (sort, filters, index keys, unique checks).
//
// Order of types (canonical ranks, as MongoDB's canonicalizeBSONType):
//   MinKey < Undefined < Null < Numbers < String/Symbol < Object < Array < BinData
//   < ObjectId < Bool < Date < Timestamp < Regex < DBPointer < Code < CodeWScope < MaxKey
// Within a type:
//   numbers  by exact mathematical value across int32/int64/double/decimal128; NaN equals NaN
//            and sorts below every other number; -0 == 0;
//   strings  binary (memcmp of UTF-8 bytes, then length); Symbol compares as String;
//   objects  element by element: canonical type rank, then field name, then value; fewer
//            elements first;
//   arrays   element by element (as objects with keys "0", "1", …);
//   bindata  length, then subtype, then bytes;  ObjectId bytes;  bool false < true;
//   date     signed milliseconds;  timestamp unsigned (t, i);  regex pattern then flags;
//   dbpointer namespace length, namespace, oid;  code by text;  codewscope code then scope.
// Documents reaching this code passed ValidateInput (depth ≤ 100), so recursion is bounded.
#ifndef STRATA_DOCUMENT_COMPARE_H_
#define STRATA_DOCUMENT_COMPARE_H_

#include <bson/bson.h>

#include "strata/document.h"

namespace strata::document {

// MongoDB's canonical rank of a BSON type (MinKey -1 … MaxKey 127). Numbers share 10,
// String and Symbol share 15, Undefined is 0, Null 5.
int CanonicalTypeRank(bson_type_t type);

// Compares the values at two iterators (their current elements; field names are ignored).
// Returns <0, 0 or >0.
int CompareValues(const bson_iter_t& a, const bson_iter_t& b);

// Compares two documents as MongoDB compares embedded objects (field names included).
int CompareDocuments(DocumentView a, DocumentView b);

// The bytes of the BinData value at `it` as MongoDB orders them (length, subtype, bytes).
// Unlike bson_iter_binary, the deprecated subtype 2 keeps its inner 4-byte length prefix as
// part of the bytes (MongoDB compares the raw value). Shared with the key-string encoder.
void BinDataForOrdering(const bson_iter_t& it, bson_subtype_t* subtype, uint32_t* length,
                        const uint8_t** data);

// True when the two values compare equal (e.g. int32 1 == double 1.0 == decimal "1.0").
inline bool ValuesEqual(const bson_iter_t& a, const bson_iter_t& b) {
  return CompareValues(a, b) == 0;
}

}  // namespace strata::document

#endif  // STRATA_DOCUMENT_COMPARE_H_
