// The command layer: MongoDB-style command documents in, MongoDB-shaped replies out.
//
// Every operation of the CLI, the tools, the C++ API's RunCommand and any future wire front
// end goes through Dispatch. A reply is {…, ok: 1} on success and
// {ok: 0, errmsg, code, codeName} on failure, with MongoDB's codes. The command's first field
// names it (case-sensitive, as MongoDB); `$db` names the database (default given by caller).
// Write commands report per-document failures in `writeErrors` with ok: 1, as MongoDB does.
// Thread safety: Dispatch is thread-safe.
#ifndef STRATA_DB_COMMAND_DISPATCHER_H_
#define STRATA_DB_COMMAND_DISPATCHER_H_

#include <bson/bson.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/database_impl.h"
#include "strata/document.h"

namespace strata::db {

// What a command handler gets besides its command document.
struct CommandContext {
  DatabaseImpl& db;
  std::string db_name;  // from `$db`
  std::string command_name;
  std::string Namespace(absl::string_view collection) const {
    return db_name + "." + std::string(collection);
  }
};

// Appends the reply's fields (without `ok`) to `reply`; returns an error for {ok: 0} replies.
using CommandHandler = absl::Status (*)(CommandContext& context, const bson_t& command,
                                        bson_t* reply);

class CommandRegistry {
 public:
  void Add(absl::string_view name, CommandHandler handler) { handlers_[name] = Entry{handler}; }
  CommandHandler Find(absl::string_view name) const {
    auto it = handlers_.find(name);
    return it == handlers_.end() ? nullptr : it->second.handler;
  }

 private:
  // A struct, not the bare pointer: absl::Status's [[nodiscard]] on a template argument warns.
  struct Entry {
    CommandHandler handler;
  };
  absl::flat_hash_map<std::string, Entry> handlers_;
};

// Each command family registers its commands (one file per family).
void RegisterCrudCommands(CommandRegistry& registry);        // commands_crud.cc
void RegisterDdlCommands(CommandRegistry& registry);         // commands_ddl.cc
void RegisterAdminCommands(CommandRegistry& registry);       // commands_admin.cc
void RegisterIndexCommands(CommandRegistry& registry);       // commands_index.cc
void RegisterIndexAdminCommands(CommandRegistry& registry);  // commands_index_admin.cc
void RegisterExplainCommands(CommandRegistry& registry);     // commands_explain.cc
void RegisterAggregateCommands(CommandRegistry& registry);   // commands_aggregate.cc

// Runs one command document against `db`.
Document Dispatch(DatabaseImpl& db, DocumentView command, absl::string_view default_db = "test");

// Appends the extra reply fields `status` carries (a duplicate key's keyPattern and keyValue)
// and `errInfo` when it carries one (DocumentValidationFailure).
void AppendErrorInfo(const absl::Status& status, bson_t* out);

// {ok: 0, errmsg, code, codeName[, errInfo]} for `status`.
Document ErrorReply(const absl::Status& status);

}  // namespace strata::db

#endif  // STRATA_DB_COMMAND_DISPATCHER_H_
