// CursorManager: the server-side cursors of find/aggregate replies, by id, so a later getMore
// (or killCursors) can continue (or end) them. Ids are random, non-zero and never repeat within
// a process. A cursor idle longer than the timeout (10 minutes, as MongoDB) is reaped on the
// next access to the manager.
// Thread safety: thread-safe. A cursor is checked out while a getMore runs on it; a second
// concurrent getMore on the same id gets CursorInUse-style BadValue.
#ifndef STRATA_DB_CURSOR_MANAGER_H_
#define STRATA_DB_CURSOR_MANAGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/query_execution.h"

namespace strata::db {

// The documents of a cursor that is not a find (aggregate): the same two calls as
// QueryExecution. Next's bytes stay valid until the following call.
class CursorStream {
 public:
  virtual ~CursorStream() = default;
  virtual absl::StatusOr<bool> HasNext() = 0;
  virtual absl::StatusOr<std::optional<absl::string_view>> Next() = 0;
};

struct ServerCursor {
  std::string ns;
  std::unique_ptr<QueryExecution> execution;
  std::unique_ptr<CursorStream> stream;  // set instead of `execution` for aggregate cursors
};

class CursorManager {
 public:
  explicit CursorManager(absl::Duration idle_timeout = absl::Minutes(10))
      : idle_timeout_(idle_timeout) {}

  // Registers a cursor; returns its id.
  int64_t Register(std::unique_ptr<ServerCursor> cursor);

  // Takes the cursor out for a getMore. CursorNotFound when unknown (or killed, or reaped);
  // also when `ns` differs from the cursor's namespace.
  absl::StatusOr<std::unique_ptr<ServerCursor>> CheckOut(int64_t id, absl::string_view ns);
  // Puts a checked-out cursor back (when it is not exhausted).
  void CheckIn(int64_t id, std::unique_ptr<ServerCursor> cursor);

  // Kills a cursor. False when no such cursor exists.
  bool Kill(int64_t id);

  // Kills the cursors of namespace `ns`, or of every namespace of database `db` (drop, rename).
  void KillNamespace(absl::string_view ns);
  void KillDatabase(absl::string_view db);

  // Kills every cursor (before the database closes: cursors pin RocksDB iterators).
  void KillAll();

  size_t size() const;

 private:
  struct Entry {
    std::unique_ptr<ServerCursor> cursor;  // null while checked out
    std::string ns;                        // kept here too: `cursor` is null while checked out
    absl::Time last_used;
  };
  void ReapIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration idle_timeout_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int64_t, Entry> cursors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::db

#endif  // STRATA_DB_CURSOR_MANAGER_H_
