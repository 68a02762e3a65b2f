// strata serve: the MongoDB wire protocol in front of a data directory (server/server.h).
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "server/server.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

int Usage(const std::string& problem) {
  std::cerr << "strata serve: " << problem << "\n"
            << "usage: strata serve --db DIR [--bind 127.0.0.1] [--port 27017]\n"
            << "         [--max-connections N] [--auth] [--tls-cert PEM --tls-key PEM]\n"
            << "         [--frame-timeout-ms 30000] [--port-file FILE]\n";
  return 2;
}

int ServeMain(const std::vector<std::string>& args) {
  server::ServerOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    auto number = [&](auto* out) {
      std::string text;
      return value(&text) && absl::SimpleAtoi(text, out);
    };
    bool ok = true;
    if (arg == "--db") {
      ok = value(&options.data_dir);
    } else if (arg == "--bind") {
      ok = value(&options.bind_address);
    } else if (arg == "--port") {
      ok = number(&options.port);
    } else if (arg == "--max-connections") {
      ok = number(&options.max_connections);
    } else if (arg == "--auth") {
      options.auth = true;
    } else if (arg == "--tls-cert") {
      ok = value(&options.tls_cert_file);
    } else if (arg == "--tls-key") {
      ok = value(&options.tls_key_file);
    } else if (arg == "--frame-timeout-ms") {
      ok = number(&options.frame_timeout_ms) && options.frame_timeout_ms > 0;
    } else if (arg == "--port-file") {
      ok = value(&options.port_file);
    } else if (arg == "--io-threads") {
      ok = number(&options.io_threads);
    } else if (arg == "--worker-threads") {
      ok = number(&options.worker_threads);
    } else {
      return Usage("unknown option " + arg);
    }
    if (!ok) return Usage("missing or invalid value for " + arg);
  }
  if (options.data_dir.empty()) return Usage("--db DIR is required");
  absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Create(options);
  if (!server.ok()) {
    std::cerr << "strata serve: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "strata serve: listening on " << options.bind_address << ":" << (*server)->port()
            << std::endl;
  if (!options.port_file.empty()) {
    // Written to a temporary name, then renamed, so a reader never sees a partial number.
    const std::string temporary = options.port_file + ".tmp";
    std::ofstream(temporary) << (*server)->port() << "\n";
    std::rename(temporary.c_str(), options.port_file.c_str());
  }
  absl::Status done = (*server)->Run();
  if (!done.ok()) {
    std::cerr << "strata serve: " << done.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

STRATA_SUBCOMMAND(serve,
                  "serve --db DIR [--bind ADDR] [--port N] [--auth] [--tls-cert F --tls-key F]  "
                  "serve the MongoDB wire protocol",
                  ServeMain);

}  // namespace strata::tools
