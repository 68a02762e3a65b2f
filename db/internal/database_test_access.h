// DatabaseTestAccess: what tests may do to a strata::Database that the public API does not
// offer: open it with engine hooks (a fault-injecting file system, tiny memtables), and reach
// the implementation behind a handle. Not part of the public API; never used by the library.
#ifndef STRATA_DB_INTERNAL_DATABASE_TEST_ACCESS_H_
#define STRATA_DB_INTERNAL_DATABASE_TEST_ACCESS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/database_impl.h"
#include "engine/storage_hooks.h"
#include "strata/database.h"

namespace strata::db {

class DatabaseTestAccess {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const DatabaseOptions& options,
                                                        const engine::StorageHooks& hooks) {
    auto impl = DatabaseImpl::Open(path, options, hooks);
    if (!impl.ok()) return impl.status();
    return std::unique_ptr<Database>(new Database(std::move(*impl)));
  }
  static DatabaseImpl& Impl(Database& db) { return *db.impl_; }
};

}  // namespace strata::db

#endif  // STRATA_DB_INTERNAL_DATABASE_TEST_ACCESS_H_
