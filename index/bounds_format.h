// MongoDB's text form of index bounds, for explain's `indexBounds` and diagnostics:
//   "[5, 5]"  "(5, inf.0]"  "[-inf.0, 5)"  "[MinKey, MaxKey]"  "[\"abc\", \"abd\")"
//   "[null, null]"  "[ObjectId('…'), ObjectId('…')]"  "[new Date(0), new Date(1000)]"
// as MongoDB's Interval::toString prints them ('[' / '(' by inclusiveness, each end as
// BSONElement::toString without its field name).
//
// Each end is a key string (index_bounds.h), decoded with document/key_string_decode.h, so a
// value prints in its most natural type (the encoding does not keep int32 vs double): 5, 5.5,
// 1e+300.0 (MongoDB's appendDoubleNice: doubles without '.' or 'E' get ".0"), inf.0, -inf.0,
// nan.0, 1E+400 (decimal128); strings in double quotes, unescaped, cut after 150 bytes
// (at a UTF-8 character boundary) when 160 or longer, as MongoDB does; { a: 1 }, [ 1, 2 ],
// BinData(0, 0AFF), UUID("…"), ObjectId('…'), true, new Date(ms), Timestamp(t, i), /re/i,
// DBRef('ns',oid), code as is, CodeWScope( code, { … }), MinKey, MaxKey, null, undefined.
//
// Ends that are not whole encodings:
//   - MinKeyString() (and anything below the MinKey tag, or empty) prints MinKey;
//     MaxKeyString() (anything above the MaxKey tag) prints MaxKey.
//   - A type boundary between two types A < B (a bare type tag, which sorts before every value
//     of its type, or a byte between two tags): printed as the smallest value of B with '['
//     at a low end; at a high end as the largest value of A with ']' when A has one, else as
//     the smallest value of B with ')'. So MongoDB's type brackets come out as MongoDB prints
//     them: strings ["", {}), objects [{}, []), arrays [[], BinData(0, )), numbers
//     [nan.0, inf.0], binary [BinData(0, ), ObjectId('000000000000000000000000')), dates
//     [new Date(-9223372036854775808), new Date(9223372036854775807)], and a number tag
//     followed by a class byte past +Infinity (below NaN) is the end (start) of numbers.
//   - A whole encoding V followed by more bytes (just above V): "(V" low, "V]" high.
//   - A proper prefix P of encodings (e.g. a string without its terminator): the gap just
//     below the smallest value whose encoding starts with P (found by padding P with zero
//     bytes), printed "[V" low, "V)" high; so "\x28abc" is the gap before "abc".
//   - Anything else prints as KeyString(<hex bytes>) so nothing is hidden.
//
// Thread safety: pure functions.
#ifndef STRATA_INDEX_BOUNDS_FORMAT_H_
#define STRATA_INDEX_BOUNDS_FORMAT_H_

#include <bson/bson.h>

#include <string>
#include <vector>

#include "index/index_bounds.h"
#include "index/index_spec.h"
#include "strata/document.h"

namespace strata::index {

// Which way an interval list is printed. MongoDB's explain lists the bounds of a key part in
// the order its index scan reads them: a descending key part in a forward scan (or an
// ascending one in a backward scan) prints its intervals reversed, high end first:
// "[inf.0, 5)" instead of "(5, inf.0]".
enum class BoundsOrder {
  kAscending,
  kDescending,
};

// "[5, 5]", "(5, inf.0]", "[MinKey, MaxKey]", …; with kDescending, "[inf.0, 5)".
std::string FormatInterval(const Interval& interval, BoundsOrder order = BoundsOrder::kAscending);

// One string per interval; kDescending also reverses the list.
std::vector<std::string> FormatIntervals(const std::vector<Interval>& intervals,
                                         BoundsOrder order = BoundsOrder::kAscending);

// Explain's indexBounds document: {<path>: ["[5, 5]", …], …}, one field per key part in key
// pattern order; parts past the end of bounds.fields print "[MinKey, MaxKey]". A descending
// part prints reversed in a forward scan, an ascending part in a backward one.
Document FormatIndexBounds(const IndexBounds& bounds, const std::vector<KeyPart>& key_parts,
                           bool backward_scan = false);

// The text of one value (the element at `it`, field name left out), as MongoDB's
// BSONElement::toString(false) prints it inside an interval.
std::string FormatBoundValue(const bson_iter_t& it);

}  // namespace strata::index

#endif  // STRATA_INDEX_BOUNDS_FORMAT_H_
