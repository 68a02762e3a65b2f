// Server: `strata serve`, the MongoDB wire protocol over TCP (optionally TLS) in front of one
// Strata data directory.
//
// Sockets are served by an Asio io_context on `io_threads` threads; each request's command runs
// on a separate worker pool (commands block on fsync and row locks, which must not stall the
// sockets). A connection handles one request at a time, as drivers use connections; many
// connections run concurrently. Every message is framed and validated by wire_protocol.h before
// use; a framing error, a stalled partial frame (frame_timeout_ms) or a failed TLS handshake
// closes that connection with a log line and nothing else.
//
// Durability: the database is opened in the default durable mode, so every write is fsynced
// before its reply is sent (j:true is always honoured; w:0 writes are applied just the same,
// only not answered). Stop (and SIGINT/SIGTERM inside Run) stops accepting, closes the
// connections, waits for running commands to finish, then closes the database (syncing the WAL).
// Thread safety: Run on one thread; Stop from any thread.
#ifndef STRATA_SERVER_SERVER_H_
#define STRATA_SERVER_SERVER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/server_options.h"

namespace strata::server {

class Server {
 public:
  // Opens the data directory and binds the listening socket (no connection is served yet).
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  // The bound port (the chosen one when options.port was 0).
  int port() const;

  // Serves until Stop or SIGINT/SIGTERM; then shuts down as described above.
  absl::Status Run();
  void Stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_SERVER_H_
