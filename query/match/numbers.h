// Integer views of BSON numbers for the operators that work on integers ($mod, $size, $type
// codes, bit tests, $alwaysTrue). Local to query/match: document/compare.h orders numbers but
// does not convert them.
//
// Decimal128 values are decoded from their IEEE 754-2008 BID bits; a non-canonical
// coefficient (above 10^34 - 1) means zero, as the standard says.
#ifndef STRATA_QUERY_MATCH_NUMBERS_H_
#define STRATA_QUERY_MATCH_NUMBERS_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

namespace strata::query::match {

// True for BSON double, int32, int64 and decimal128.
bool IsNumber(const bson_iter_t& it);

// True for a double or decimal128 NaN.
bool IsNaN(const bson_iter_t& it);

// False for NaN and ±Infinity (double or decimal128); true for every other number.
bool IsFinite(const bson_iter_t& it);

// The number at `it` truncated toward zero. False (and *out untouched) for non-numbers, NaN,
// ±Infinity and values outside int64.
bool TruncateToInt64(const bson_iter_t& it, int64_t* out);

// The number at `it` when it is an integer that int64 holds exactly (1, 1.0, decimal "1.00"
// and "1E+2" qualify; 1.5 does not). False otherwise.
bool ExactInt64(const bson_iter_t& it, int64_t* out);

// MongoDB's truthiness of a value ($exists: <value>): false for false, null, undefined and
// numeric zero of any type (decimal "0E+3" too); true for everything else, NaN included.
bool IsTruthy(const bson_iter_t& it);

// A short text form of a value for error messages: numbers as numbers, strings quoted, other
// types by their MongoDB type name.
std::string ValueForMessage(const bson_iter_t& it);

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_NUMBERS_H_
