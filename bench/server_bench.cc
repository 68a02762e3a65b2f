// strata serve under load: N concurrent wire-protocol connections on loopback next to the
// embedded API (Database::RunCommand) doing the same commands on as many threads, in one run.
//
//   server_bench [--seconds S] [--connections N]       defaults: 10 s per phase, 32
//
// Workloads (each phase runs for S seconds, every thread in a closed loop):
//   insert : {insert: "load", documents: [{_id: <unique>, n, payload: 200 letters}]}, durable
//   find   : {find: "load", filter: {_id: <random existing>}, limit: 1}
// Every reply is checked (ok: 1, n: 1 / one document found); any error or wrong reply makes
// the program exit 1, so the ctest short mode (--seconds 1) asserts zero errors. The summary
// prints ops/s of both sides and the server/embedded ratio for each workload.
#include <arpa/inet.h>
#include <bson/bson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server/server.h"
#include "server/wire_protocol.h"
#include "strata/database.h"
#include "strata/document.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPreloaded = 20000;

struct Result {
  int64_t ops = 0;
  int64_t errors = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

strata::Document InsertCommand(int64_t id) {
  static const std::string payload(200, 'p');
  strata::Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_utf8(b, "insert", -1, "load", -1);
  bson_t docs, one;
  bson_append_array_begin(b, "documents", -1, &docs);
  bson_append_document_begin(&docs, "0", 1, &one);
  bson_append_int64(&one, "_id", -1, id);
  bson_append_int64(&one, "n", -1, id % 1000);
  bson_append_utf8(&one, "payload", -1, payload.c_str(), static_cast<int>(payload.size()));
  bson_append_document_end(&docs, &one);
  bson_append_array_end(b, &docs);
  bson_append_utf8(b, "$db", -1, "bench", -1);
  return doc;
}

strata::Document FindCommand(int64_t id) {
  strata::Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_utf8(b, "find", -1, "load", -1);
  bson_t filter;
  bson_append_document_begin(b, "filter", -1, &filter);
  bson_append_int64(&filter, "_id", -1, id);
  bson_append_document_end(b, &filter);
  bson_append_int32(b, "limit", -1, 1);
  bson_append_bool(b, "singleBatch", -1, true);
  bson_append_utf8(b, "$db", -1, "bench", -1);
  return doc;
}

// True when `reply` is {ok: 1} and did what the workload expects.
bool ReplyOk(const strata::Document& reply, bool insert) {
  bson_iter_t it, field;
  if (!bson_iter_init_find(&it, reply.bson(), "ok") || bson_iter_as_double(&it) != 1.0) {
    return false;
  }
  if (insert) {
    return bson_iter_init_find(&it, reply.bson(), "n") && bson_iter_as_int64(&it) == 1 &&
           !bson_iter_init_find(&it, reply.bson(), "writeErrors");
  }
  return bson_iter_init(&it, reply.bson()) &&
         bson_iter_find_descendant(&it, "cursor.firstBatch.0._id", &field);
}

// Runs `op(thread, i)` on `threads` threads for `seconds`; op returns false on an error.
Result RunPhase(int threads, double seconds, const std::function<bool(int, int64_t)>& op) {
  std::atomic<int64_t> ops{0}, errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      int64_t i = 0, mine = 0, bad = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (op(t, i++)) {
          ++mine;
        } else {
          ++bad;
        }
      }
      ops += mine;
      errors += bad;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : pool) thread.join();
  Result result;
  result.ops = ops;
  result.errors = errors;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

// A blocking wire-protocol client on one loopback connection.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }

  // Sends `command`, returns the reply (empty optional on any protocol error).
  std::optional<strata::Document> Run(const strata::Document& command) {
    std::string message = strata::server::BuildOpMsg(++request_id_, 0, command.view());
    if (!WriteAll(message)) return std::nullopt;
    std::string reply(strata::server::kHeaderSize, '\0');
    if (!ReadAll(reply.data(), reply.size())) return std::nullopt;
    auto header = strata::server::ReadHeader(reinterpret_cast<const uint8_t*>(reply.data()));
    if (header.response_to != request_id_ ||
        header.message_length < static_cast<int32_t>(strata::server::kHeaderSize)) {
      return std::nullopt;
    }
    reply.resize(static_cast<size_t>(header.message_length));
    if (!ReadAll(reply.data() + strata::server::kHeaderSize,
                 reply.size() - strata::server::kHeaderSize)) {
      return std::nullopt;
    }
    auto parsed = strata::server::ParseMessage(reply);
    if (!parsed.ok() || !parsed->error.ok()) return std::nullopt;
    return std::move(parsed->command);
  }

 private:
  bool WriteAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool ReadAll(char* out, size_t size) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = recv(fd_, out + done, size - done, 0);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
  int32_t request_id_ = 0;
};

// Inserts ids [0, kPreloaded) so find phases hit existing documents.
bool Preload(const std::function<std::optional<strata::Document>(const strata::Document&)>& run) {
  for (int64_t id = 0; id < kPreloaded; id += 1000) {
    strata::Document command;
    bson_t* b = command.mutable_bson();
    bson_append_utf8(b, "insert", -1, "load", -1);
    bson_t docs;
    bson_append_array_begin(b, "documents", -1, &docs);
    for (int64_t k = 0; k < 1000; ++k) {
      std::string key = std::to_string(k);
      bson_t one;
      bson_append_document_begin(&docs, key.c_str(), -1, &one);
      bson_append_int64(&one, "_id", -1, id + k);
      bson_append_document_end(&docs, &one);
    }
    bson_append_array_end(b, &docs);
    bson_append_utf8(b, "$db", -1, "bench", -1);
    std::optional<strata::Document> reply = run(command);
    if (!reply.has_value()) return false;
    bson_iter_t it;
    if (!bson_iter_init_find(&it, reply->bson(), "n") || bson_iter_as_int64(&it) != 1000) {
      return false;
    }
  }
  return true;
}

int Fail(const char* what) {
  std::fprintf(stderr, "server_bench: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  int connections = 32;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--connections" && i + 1 < argc) {
      connections = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: server_bench [--seconds S] [--connections N]\n");
      return 2;
    }
  }
  if (seconds <= 0 || connections < 1) return Fail("bad --seconds or --connections");
  const char* tmp = std::getenv("TMPDIR");
  std::filesystem::path root = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
                               ("strata-server-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);

  // Embedded: the same commands through Database::RunCommand.
  Result embedded_insert, embedded_find;
  {
    auto db = strata::Database::Open((root / "embedded").string());
    if (!db.ok()) return Fail("cannot open the embedded database");
    auto run = [&](const strata::Document& command) -> std::optional<strata::Document> {
      return (*db)->RunCommand(command.view());
    };
    if (!Preload(run)) return Fail("embedded preload failed");
    std::atomic<int64_t> next_id{kPreloaded};
    embedded_insert = RunPhase(connections, seconds, [&](int, int64_t) {
      return ReplyOk((*db)->RunCommand(InsertCommand(next_id++).view()), true);
    });
    embedded_find = RunPhase(connections, seconds, [&](int t, int64_t i) {
      const int64_t id =
          static_cast<int64_t>((static_cast<uint64_t>(t) * 2654435761u + i * 40503u) % kPreloaded);
      return ReplyOk((*db)->RunCommand(FindCommand(id).view()), false);
    });
    if (!(*db)->Close().ok()) return Fail("embedded close failed");
  }

  // Server: the same commands over N loopback connections to an in-process strata serve.
  Result server_insert, server_find;
  {
    strata::server::ServerOptions options;
    options.data_dir = (root / "served").string();
    options.port = 0;
    options.max_connections = connections + 8;
    auto server = strata::server::Server::Create(options);
    if (!server.ok()) return Fail("cannot start the server");
    std::thread serving([&] { (void)(*server)->Run(); });
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < connections; ++i) {
      clients.push_back(std::make_unique<Client>((*server)->port()));
      if (!clients.back()->connected()) return Fail("cannot connect");
    }
    if (!Preload([&](const strata::Document& c) { return clients[0]->Run(c); })) {
      return Fail("server preload failed");
    }
    std::atomic<int64_t> next_id{kPreloaded};
    server_insert = RunPhase(connections, seconds, [&](int t, int64_t) {
      auto reply = clients[static_cast<size_t>(t)]->Run(InsertCommand(next_id++));
      return reply.has_value() && ReplyOk(*reply, true);
    });
    server_find = RunPhase(connections, seconds, [&](int t, int64_t i) {
      const int64_t id =
          static_cast<int64_t>((static_cast<uint64_t>(t) * 2654435761u + i * 40503u) % kPreloaded);
      auto reply = clients[static_cast<size_t>(t)]->Run(FindCommand(id));
      return reply.has_value() && ReplyOk(*reply, false);
    });
    clients.clear();
    (*server)->Stop();
    serving.join();
  }
  std::filesystem::remove_all(root);

  std::printf("%d concurrent clients, %.1f s per phase (durable writes)\n", connections, seconds);
  std::printf("%-8s %16s %16s %10s %8s\n", "workload", "embedded ops/s", "server ops/s",
              "server/emb", "errors");
  auto row = [](const char* name, const Result& e, const Result& s) {
    std::printf("%-8s %16.0f %16.0f %10.2f %8lld\n", name, e.rate(), s.rate(),
                e.rate() > 0 ? s.rate() / e.rate() : 0.0,
                static_cast<long long>(e.errors + s.errors));
  };
  row("insert", embedded_insert, server_insert);
  row("find", embedded_find, server_find);
  const int64_t errors =
      embedded_insert.errors + embedded_find.errors + server_insert.errors + server_find.errors;
  if (errors != 0) return Fail("errors during the load test");
  if (server_insert.ops == 0 || server_find.ops == 0) return Fail("the server served nothing");
  std::printf("server_bench: 2 passed, 0 failed\n");
  return 0;
}
