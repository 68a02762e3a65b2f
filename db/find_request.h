// The find command's arguments, parsed once for `find` and for `explain` of a find.
#ifndef STRATA_DB_FIND_REQUEST_H_
#define STRATA_DB_FIND_REQUEST_H_

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "db/command_dispatcher.h"
#include "db/query_execution.h"

namespace strata::db {

struct FindRequest {
  std::string ns;
  QuerySpec spec;                     // filter, sort, projection, skip, limit, hint
  std::optional<int64_t> batch_size;  // batchSize, when given
  bool single_batch = false;          // singleBatch, or a negative limit (legacy form)
};

// Parses a find command document with MongoDB's field checks and errors (unknown fields
// 40415, wrong types 14, negative skip/batchSize 51024, bad hint 2).
absl::StatusOr<FindRequest> ParseFindRequest(const CommandContext& context, const bson_t& command);

}  // namespace strata::db

#endif  // STRATA_DB_FIND_REQUEST_H_
