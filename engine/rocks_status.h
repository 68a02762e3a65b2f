// The one place where rocksdb::Status becomes absl::Status.
#ifndef STRATA_ENGINE_ROCKS_STATUS_H_
#define STRATA_ENGINE_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::engine {

// Maps a RocksDB status to an absl::Status whose message starts with `context`.
// Busy/TryAgain/TimedOut (lock or write conflicts) → kAborted with WriteConflict, which the
// write path retries; NoSpace → kResourceExhausted; Corruption → kDataLoss;
// NotFound → kNotFound; IOError → kUnavailable; anything else → kInternal.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context);

// True for errors a write transaction may retry from the start (write conflicts, lock timeouts).
bool IsRetryableWriteError(const absl::Status& status);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_ROCKS_STATUS_H_
