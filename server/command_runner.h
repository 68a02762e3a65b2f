// CommandRunner: what the server does with one parsed request. Server-only commands (the
// handshake, sessions, authentication and users, diagnostics drivers and shells call) run
// here; every other command goes to the library's command layer through
// strata::Database::RunCommand, unchanged.
//
// Cursors are owned per connection: each cursor id a reply hands out is recorded against the
// connection that last used it, and ConnectionClosed kills that connection's open cursors.
// With `auth`, a connection must authenticate (SCRAM-SHA-256) before any command other than
// the handshake, ping, buildInfo, saslStart/saslContinue and logout; while no user exists,
// createUser is allowed from anywhere the server listens (MongoDB's localhost exception).
// Thread safety: Run may be called concurrently for different connections; one connection's
// requests are run one at a time (ConnectionState is not synchronised).
#ifndef STRATA_SERVER_COMMAND_RUNNER_H_
#define STRATA_SERVER_COMMAND_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/compression.h"
#include "server/scram.h"
#include "server/server_options.h"
#include "server/wire_protocol.h"
#include "strata/database.h"
#include "strata/document.h"

namespace strata::server {

// What the server knows about one connection.
struct ConnectionState {
  int64_t id = 0;
  std::string remote;  // "ip:port"
  bool tls = false;
  std::vector<Compressor> compressors;  // negotiated by hello's `compression`
  bool authenticated = false;
  std::string user, user_db;
  std::unique_ptr<ScramServer> sasl;  // the conversation in progress
  std::string sasl_db;
  bool sasl_skip_empty_exchange = false;  // saslStart's options.skipEmptyExchange
};

// Log lines to stderr, the last ones kept for getLog.
class ServerLog {
 public:
  void Line(std::string_view text);
  std::vector<std::string> Recent() const;
  int64_t total() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

class CommandRunner {
 public:
  CommandRunner(Database& db, const ServerOptions& options, ServerLog& log);

  // The reply document to `request` (never fails: errors are {ok: 0} replies).
  Document Run(ConnectionState& connection, const Request& request);

  // Counts a new connection (serverStatus.connections).
  void ConnectionOpened() {
    ++connections_current_;
    ++connections_total_;
  }
  // Kills the cursors `connection` owns (call once, when it closes).
  void ConnectionClosed(const ConnectionState& connection);

 private:
  struct OwnedCursor {
    int64_t connection_id;
    std::string ns;
  };
  using Handler = absl::Status (CommandRunner::*)(ConnectionState&, const bson_t&,
                                                  const std::string& db, bson_t* reply);

  Document RunCommand(ConnectionState& connection, const bson_t& command, const std::string& db);
  bool AllowedWithoutAuth(std::string_view name, const std::string& db);
  void TrackCursors(const ConnectionState& connection, std::string_view name, const bson_t& command,
                    const Document& reply);
  std::optional<ScramCredentials> FindCredentials(const std::string& user_db,
                                                  std::string_view user);
  bool AnyUserExists();

  absl::Status Hello(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status GetParameter(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status GetLog(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status HostInfo(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status WhatsMyUri(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status StartSession(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status EndSessions(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status ConnectionStatus(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status GetLastError(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status ServerStatus(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status GetCmdLineOpts(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status SaslStart(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status SaslContinue(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status Logout(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status CreateUser(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status DropUser(ConnectionState&, const bson_t&, const std::string&, bson_t*);
  absl::Status UsersInfo(ConnectionState&, const bson_t&, const std::string&, bson_t*);

  Database& db_;
  const ServerOptions options_;
  ServerLog& log_;
  const absl::Time started_;
  // A struct, not the bare pointer: absl::Status's [[nodiscard]] on a template argument warns.
  struct HandlerEntry {
    Handler handler = nullptr;
  };
  absl::flat_hash_map<std::string, HandlerEntry> handlers_;  // constant after construction
  std::atomic<int64_t> connections_current_{0};
  std::atomic<int64_t> connections_total_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, OwnedCursor> cursors_ ABSL_GUARDED_BY(mu_);
};

// Where users live: collection `strata.users` of database `admin`, one document per user with
// MongoDB's shape ({_id: "<db>.<user>", user, db, roles, credentials: {SCRAM-SHA-256: …}}).
inline constexpr char kUsersDatabase[] = "admin";
inline constexpr char kUsersCollection[] = "strata.users";

}  // namespace strata::server

#endif  // STRATA_SERVER_COMMAND_RUNNER_H_
