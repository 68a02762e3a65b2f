// The state and execution of `strata shell`: the current database, the open cursor for "it",
// and every shorthand turned into the command document it stands for (find, aggregate, insert,
// update, delete, count, distinct, createIndexes, listIndexes, dropIndexes, explain, …), run
// through Database::RunCommand and printed as mongosh prints it. Writes have the atomicity and
// durability of the command they send. Not thread-safe (one shell, one thread).
#ifndef STRATA_TOOLS_TRANSFER_SHELL_SESSION_H_
#define STRATA_TOOLS_TRANSFER_SHELL_SESSION_H_

#include <iosfwd>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "strata/database.h"
#include "tools/transfer/shell_parser.h"

namespace strata::tools {

class ShellSession {
 public:
  // `db` must outlive the session. Results go to `out`, errors to `err`.
  ShellSession(Database* db, std::ostream& out, std::ostream& err)
      : db_(db), out_(out), err_(err) {}

  // Runs every ';'-separated statement of `input`. Returns false once one asked to exit.
  bool Run(std::string_view input);

  const std::string& database() const { return database_; }
  // True once any statement failed (the shell's exit code when reading a pipe).
  bool had_error() const { return had_error_; }
  // Documents printed per page (20, as mongosh).
  static constexpr int kPageSize = 20;

 private:
  // Executes one parsed statement; false to exit.
  bool Execute(const ShellStatement& statement);
  absl::Status RunCollection(const ShellStatement& statement);
  absl::Status RunDatabaseMethod(const ShellStatement& statement);
  absl::Status Show(const std::string& what);
  // Runs `command` in `db` (default: the current database); a reply with ok: 0 is an error.
  absl::StatusOr<Document> Command(const Document& command, const std::string& db = "");
  // Prints the first batch of a cursor reply and keeps the cursor for "it".
  absl::Status PrintCursor(const Document& reply, const std::string& collection, bool all);
  absl::Status More();
  void PrintValue(const Document& holder);  // prints holder's field "v"

  Database* db_;
  std::ostream& out_;
  std::ostream& err_;
  std::string database_ = "test";
  int64_t cursor_id_ = 0;  // the cursor "it" continues (0: none)
  std::string cursor_collection_;
  std::string cursor_database_;
  bool had_error_ = false;
};

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_SHELL_SESSION_H_
