// Options of `strata serve`. Every field states its default.
#ifndef STRATA_SERVER_SERVER_OPTIONS_H_
#define STRATA_SERVER_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>

namespace strata::server {

struct ServerOptions {
  std::string data_dir;                    // --db DIR (required)
  std::string bind_address = "127.0.0.1";  // --bind: loopback unless asked otherwise
  int port = 27017;                        // --port; 0 picks a free port (printed at start)
  int max_connections = 1000;              // --max-connections; more are closed at once
  bool auth = false;                       // --auth: every command but handshake/auth needs a user
  std::string tls_cert_file;  // --tls-cert PEM (with --tls-key: TLS on every connection)
  std::string tls_key_file;   // --tls-key PEM
  // A frame (header or body) that has started arriving must be complete within this time, or
  // the connection is closed (stalled partial frames). Idle connections between messages are
  // kept. Default: 30 s.
  int64_t frame_timeout_ms = 30'000;
  // Threads serving sockets: 0 = one per core.
  int io_threads = 0;
  // Threads running commands (which block on fsync and locks): 0 = max(8, 4 × cores).
  int worker_threads = 0;
  // When non-empty, the bound port is written to this file once listening (for tests).
  std::string port_file;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_SERVER_OPTIONS_H_
