// MongoDB error codes index/ reports that base/error_codes.h does not list yet. Until they are
// added there (with their codeNames), ErrorCodeName() names them "Location<code>".
#ifndef STRATA_INDEX_INTERNAL_INDEX_ERROR_CODES_H_
#define STRATA_INDEX_INTERNAL_INDEX_ERROR_CODES_H_

#include "base/error_codes.h"

namespace strata::index::internal {

// src/mongo/base/error_codes.yml. Never renumber.
inline constexpr ErrorCode kCannotCreateIndex = ErrorCode::kCannotCreateIndex;
inline constexpr ErrorCode kCannotIndexParallelArrays = ErrorCode::kCannotIndexParallelArrays;
inline constexpr ErrorCode kInvalidIndexSpecificationOption =
    ErrorCode::kInvalidIndexSpecificationOption;
// Assertion location of "Ambiguous field name found in array" in key generation.
inline constexpr ErrorCode kLocation16746 = static_cast<ErrorCode>(16746);

}  // namespace strata::index::internal

#endif  // STRATA_INDEX_INTERNAL_INDEX_ERROR_CODES_H_
