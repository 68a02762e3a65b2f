#include "server/server.h"

#include <array>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "asio.hpp"
#include "asio/ssl.hpp"
#include "server/command_runner.h"
#include "server/wire_protocol.h"
#include "strata/database.h"

namespace strata::server {

using asio::ip::tcp;

// What Server::Impl needs from a connection of either transport.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Close(const std::string& reason) = 0;
};

class Server::Impl {
 public:
  Impl(const ServerOptions& options, std::unique_ptr<Database> db)
      : options_(options),
        db_(std::move(db)),
        runner_(*db_, options_, log_),
        io_threads_(options.io_threads > 0
                        ? options.io_threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        workers_(options.worker_threads > 0
                     ? static_cast<size_t>(options.worker_threads)
                     : std::max<size_t>(8, 4 * std::max(1u, std::thread::hardware_concurrency()))),
        acceptor_(io_),
        signals_(io_, SIGINT, SIGTERM),
        tls_context_(asio::ssl::context::tls_server) {}

  absl::Status Bind();
  absl::Status Run();
  void Stop();
  int port() const { return port_; }

  // For connections.
  ServerLog& log() { return log_; }
  CommandRunner& runner() { return runner_; }
  asio::thread_pool& workers() { return workers_; }
  const ServerOptions& options() const { return options_; }
  void Forget(int64_t id) {
    absl::MutexLock lock(&mu_);
    connections_.erase(id);
  }

 private:
  void Accept();
  template <typename C, typename... Args>
  void StartConnection(int64_t id, Args&&... args);

  const ServerOptions options_;
  ServerLog log_;
  std::unique_ptr<Database> db_;
  CommandRunner runner_;
  const int io_threads_;
  asio::io_context io_;
  asio::thread_pool workers_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::ssl::context tls_context_;
  bool tls_ = false;
  int port_ = 0;
  std::atomic<int64_t> next_id_{1};
  absl::Notification stop_requested_;
  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, std::weak_ptr<ConnectionBase>> connections_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

// One client connection over `Stream` (a TCP socket, or a TLS stream over one). All socket
// and timer operations run on the connection's strand; commands run on the worker pool.
template <typename Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <typename... Args>
  Connection(Server::Impl& server, int64_t id, std::string remote, Args&&... args)
      : server_(server),
        stream_(std::forward<Args>(args)...),
        strand_(LowestSocket().get_executor()),
        timer_(LowestSocket().get_executor()) {
    state_.id = id;
    state_.remote = std::move(remote);
    state_.tls = !std::is_same_v<Stream, tcp::socket>;
  }

  void Start() {
    auto self = this->shared_from_this();
    asio::dispatch(strand_, [self] {
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        self->ReadNextMessage();
      } else {
        self->ArmTimer("TLS handshake timed out");
        self->stream_.async_handshake(
            asio::ssl::stream_base::server,
            asio::bind_executor(self->strand_, [self](const asio::error_code& ec) {
              self->timer_.cancel();
              if (ec) return self->Close(absl::StrCat("TLS handshake failed: ", ec.message()));
              self->ReadNextMessage();
            }));
      }
    });
  }

  void Close(const std::string& reason) override {
    auto self = this->shared_from_this();
    asio::dispatch(strand_, [self, reason] { self->CloseOnStrand(reason); });
  }

 private:
  tcp::socket& LowestSocket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }

  void ArmTimer(const char* what) {
    auto self = this->shared_from_this();
    timer_.expires_after(std::chrono::milliseconds(server_.options().frame_timeout_ms));
    timer_.async_wait(asio::bind_executor(strand_, [self, what](const asio::error_code& ec) {
      if (!ec) self->CloseOnStrand(what);
    }));
  }

  // Waits (without a deadline: idle connections are kept) for the first bytes of a header,
  // then gives the rest of the frame frame_timeout_ms.
  void ReadNextMessage() {
    if (closed_) return;
    auto self = this->shared_from_this();
    stream_.async_read_some(
        asio::buffer(header_),
        asio::bind_executor(strand_, [self](const asio::error_code& ec, size_t n) {
          if (ec)
            return self->CloseOnStrand(ec == asio::error::eof ? "client closed" : ec.message());
          self->ArmTimer("timed out waiting for the rest of a message");
          if (n == kHeaderSize) return self->OnHeader();
          asio::async_read(
              self->stream_, asio::buffer(self->header_.data() + n, kHeaderSize - n),
              asio::bind_executor(self->strand_, [self](const asio::error_code& ec2, size_t) {
                if (ec2) {
                  return self->CloseOnStrand("truncated message header");
                }
                self->OnHeader();
              }));
        }));
  }

  void OnHeader() {
    MessageHeader header = server::ReadHeader(header_.data());
    if (absl::Status valid = CheckHeader(header); !valid.ok()) {
      return CloseOnStrand(std::string(valid.message()));
    }
    message_.resize(static_cast<size_t>(header.message_length));
    std::copy(header_.begin(), header_.end(), message_.begin());
    auto self = this->shared_from_this();
    asio::async_read(stream_,
                     asio::buffer(message_.data() + kHeaderSize, message_.size() - kHeaderSize),
                     asio::bind_executor(strand_, [self](const asio::error_code& ec, size_t) {
                       if (ec) return self->CloseOnStrand("truncated message body");
                       self->timer_.cancel();
                       if (self->closed_) return;
                       asio::post(self->server_.workers(), [self] { self->Handle(); });
                     }));
  }

  // On a worker thread: parse, run, answer.
  void Handle() {
    absl::StatusOr<Request> request = ParseMessage(message_);
    if (!request.ok()) return Close(std::string(request.status().message()));
    Document reply = server_.runner().Run(state_, *request);
    if (request->more_to_come) {  // w:0 and other fire-and-forget messages
      auto self = this->shared_from_this();
      return asio::dispatch(strand_, [self] { self->ReadNextMessage(); });
    }
    const int32_t reply_id = next_reply_id_++;
    std::string bytes =
        request->op_code == kOpQuery
            ? BuildOpReply(reply_id, request->request_id, reply.view())
            : BuildOpMsg(reply_id, request->request_id, reply.view(), request->checksum_present);
    // A compressed request gets its reply in the same compressor (MongoDB's rule).
    if (request->compressor.has_value() && *request->compressor != Compressor::kNoop) {
      absl::StatusOr<std::string> compressed = CompressMessage(bytes, *request->compressor);
      if (compressed.ok()) bytes = std::move(*compressed);
    }
    out_ = std::move(bytes);
    auto self = this->shared_from_this();
    asio::dispatch(strand_, [self] {
      if (self->closed_) return;
      asio::async_write(
          self->stream_, asio::buffer(self->out_),
          asio::bind_executor(self->strand_, [self](const asio::error_code& ec, size_t) {
            if (ec) return self->CloseOnStrand(ec.message());
            self->ReadNextMessage();
          }));
    });
  }

  void CloseOnStrand(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    asio::error_code ignored;
    LowestSocket().shutdown(tcp::socket::shutdown_both, ignored);
    LowestSocket().close(ignored);
    server_.runner().ConnectionClosed(state_);
    server_.Forget(state_.id);
    server_.log().Line(absl::StrCat("conn", state_.id, " closed (", state_.remote, "): ", reason));
  }

  Server::Impl& server_;
  Stream stream_;
  asio::strand<tcp::socket::executor_type> strand_;
  asio::steady_timer timer_;
  ConnectionState state_;
  std::array<uint8_t, kHeaderSize> header_{};
  std::string message_;
  std::string out_;
  int32_t next_reply_id_ = 1;
  bool closed_ = false;  // on the strand
};

}  // namespace

template <typename C, typename... Args>
void Server::Impl::StartConnection(int64_t id, Args&&... args) {
  auto connection = std::make_shared<C>(*this, id, std::forward<Args>(args)...);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    connections_[id] = connection;
  }
  runner_.ConnectionOpened();
  connection->Start();
}

absl::Status Server::Impl::Bind() {
  asio::error_code ec;
  const std::string host =
      options_.bind_address == "localhost" ? std::string("127.0.0.1") : options_.bind_address;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--bind: ", ec.message()));
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError("--port must be in [0, 65535]");
  }
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.bind_address, ":",
                                               options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint(ec).port();
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    tls_context_.set_options(asio::ssl::context::default_workarounds |
                                 asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                                 asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                             ec);
    tls_context_.use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-cert ", options_.tls_cert_file, ": ", ec.message()));
    }
    tls_context_.use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-key ", options_.tls_key_file, ": ", ec.message()));
    }
    tls_ = true;
  }
  return absl::OkStatus();
}

void Server::Impl::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      log_.Line(absl::StrCat("accept failed: ", ec.message()));
      return Accept();
    }
    asio::error_code ignored;
    tcp::endpoint remote = socket.remote_endpoint(ignored);
    std::string remote_text = absl::StrCat(remote.address().to_string(), ":", remote.port());
    size_t open = 0;
    {
      absl::MutexLock lock(&mu_);
      open = connections_.size();
    }
    if (static_cast<int>(open) >= options_.max_connections) {
      log_.Line(absl::StrCat("connection from ", remote_text, " refused: ", open,
                             " connections open (--max-connections ", options_.max_connections,
                             ")"));
      socket.close(ignored);
      return Accept();
    }
    socket.set_option(tcp::no_delay(true), ignored);
    const int64_t id = next_id_++;
    log_.Line(absl::StrCat("conn", id, " accepted from ", remote_text, tls_ ? " (TLS)" : "", " (",
                           open + 1, " open)"));
    if (tls_) {
      StartConnection<Connection<asio::ssl::stream<tcp::socket>>>(id, remote_text,
                                                                  std::move(socket), tls_context_);
    } else {
      StartConnection<Connection<tcp::socket>>(id, remote_text, std::move(socket));
    }
    Accept();
  });
}

absl::Status Server::Impl::Run() {
  signals_.async_wait([this](const asio::error_code& ec, int signal) {
    if (ec) return;
    log_.Line(absl::StrCat("received signal ", signal, ", shutting down"));
    Stop();
  });
  Accept();
  log_.Line(absl::StrCat("listening on ", options_.bind_address, ":", port_, tls_ ? " (TLS)" : "",
                         options_.auth ? " (auth required)" : "", ", data directory ",
                         options_.data_dir));
  std::vector<std::thread> threads;
  for (int i = 0; i < io_threads_; ++i) threads.emplace_back([this] { io_.run(); });

  stop_requested_.WaitForNotification();
  // 1. No new connections; close the open ones (each kills its cursors on its strand).
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    signals_.cancel(ignored);
  });
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) connection->Close("server shutting down");
  open.clear();
  // 2. Let running commands finish (their replies go nowhere) and the closes run.
  workers_.join();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      if (connections_.empty()) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  io_.stop();
  for (std::thread& thread : threads) thread.join();
  // 3. Every acknowledged write was already fsynced; Close syncs the WAL once more.
  absl::Status closed = db_->Close();
  log_.Line(closed.ok() ? "database closed cleanly"
                        : absl::StrCat("closing the database failed: ", closed.message()));
  return closed;
}

void Server::Impl::Stop() {
  if (!stop_requested_.HasBeenNotified()) stop_requested_.Notify();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--db DIR is required");
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("--max-connections must be at least 1");
  }
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options.data_dir);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(options, std::move(*db));
  if (absl::Status bound = impl->Bind(); !bound.ok()) return bound;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
int Server::port() const { return impl_->port(); }
absl::Status Server::Run() { return impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace strata::server
