// strata::Database: an embedded, durable document database on one data directory.
//
//   auto db = strata::Database::Open("./strata-data");          // StatusOr<unique_ptr<…>>
//   strata::Document reply = (*db)->RunCommand(command);         // MongoDB command → reply
//   strata::Collection users = (*db)->GetCollection("app", "users");
//
// Every operation is a MongoDB-style command; RunCommand answers with MongoDB's reply shapes
// ({ok: 1, …} or {ok: 0, errmsg, code, codeName}). Collection is a typed layer over the same
// code. Writes are durable when acknowledged (DatabaseOptions::durability, default kDurable).
// Thread safety: a Database may be shared by any number of threads. One directory can be open
// in one Database at a time; a second Open (in this or another process) fails with
// kFailedPrecondition "… locked by another process".
#ifndef STRATA_DATABASE_H_
#define STRATA_DATABASE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "strata/collection.h"
#include "strata/document.h"
#include "strata/options.h"

namespace strata {

namespace db {
class DatabaseImpl;
class DatabaseTestAccess;  // db/internal/database_test_access.h (tests only)
}  // namespace db

class Database {
 public:
  // Opens (creating when allowed) the data directory at `path`.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const DatabaseOptions& options = {});
  // Closes if still open (syncing the WAL).
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one command document. Its `$db` field names the database ("test" when absent).
  Document RunCommand(DocumentView command);
  // Runs one command document in database `db_name` (a `$db` field in it still wins).
  Document RunCommand(std::string_view db_name, DocumentView command);

  // A handle on collection `collection` of database `db_name` (created on first insert).
  // The handle is valid while this Database is.
  Collection GetCollection(std::string_view db_name, std::string_view collection);

  // Syncs the WAL and closes. Further calls on this object are invalid. Every Cursor obtained
  // from a Collection must be destroyed before (server cursors of commands are killed here).
  absl::Status Close();

 private:
  friend class db::DatabaseTestAccess;
  explicit Database(std::unique_ptr<db::DatabaseImpl> impl);
  std::unique_ptr<db::DatabaseImpl> impl_;
};

}  // namespace strata

#endif  // STRATA_DATABASE_H_
