// MongoDB error codes on the absl::Status values the C++ API returns.
//
//   absl::Status s = users.InsertOne(doc).status();
//   if (strata::MongoErrorCode(s) == 11000) { /* duplicate key */ }
#ifndef STRATA_ERROR_H_
#define STRATA_ERROR_H_

#include <string>

#include "absl/status/status.h"

namespace strata {

// MongoDB's numeric code for `status` (0 for OK), e.g. 11000 DuplicateKey, 26 NamespaceNotFound.
int MongoErrorCode(const absl::Status& status);
// MongoDB's codeName for `status` ("DuplicateKey", "BadValue", …).
std::string MongoErrorCodeName(const absl::Status& status);

}  // namespace strata

#endif  // STRATA_ERROR_H_
