#include "server/command_runner.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/error_codes.h"
#include "document/validate.h"
#include "server/server_errors.h"
#include "server/write_splitter.h"

namespace strata::server {
namespace {

constexpr int kMinWireVersion = 0;
// MongoDB 6.0's. pymongo 3.11 needs a range overlapping [2, 9], the Node.js driver 6 and
// mongosh 2 one overlapping [7, 25]: both hold.
constexpr int kMaxWireVersion = 17;
constexpr size_t kMaxLogLines = 1024;

std::string FirstKey(const bson_t& command) {
  bson_iter_t it;
  if (!bson_iter_init(&it, &command) || !bson_iter_next(&it)) return "";
  return std::string(bson_iter_key(&it), bson_iter_key_len(&it));
}

// The string value of field `name`, or nullopt.
std::optional<std::string> StringField(const bson_t& doc, const char* name) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, name) || !BSON_ITER_HOLDS_UTF8(&it)) return std::nullopt;
  uint32_t length = 0;
  const char* text = bson_iter_utf8(&it, &length);
  return std::string(text, length);
}

bool TrueField(const bson_t& doc, const char* name) {
  bson_iter_t it;
  return bson_iter_init_find(&it, &doc, name) && bson_iter_as_bool(&it);
}

// The bytes of a BinData or string field (SASL payloads come as either).
std::optional<std::string> PayloadField(const bson_t& doc) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, "payload")) return std::nullopt;
  if (BSON_ITER_HOLDS_BINARY(&it)) {
    bson_subtype_t subtype;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&it, &subtype, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
  }
  if (BSON_ITER_HOLDS_UTF8(&it)) {
    uint32_t length = 0;
    const char* text = bson_iter_utf8(&it, &length);
    return std::string(text, length);
  }
  return std::nullopt;
}

void AppendUtf8(bson_t* out, const char* key, std::string_view value) {
  bson_append_utf8(out, key, -1, value.data(), static_cast<int>(value.size()));
}

void AppendPayload(bson_t* out, std::string_view payload) {
  bson_append_binary(out, "payload", 7, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(payload.data()),
                     static_cast<uint32_t>(payload.size()));
}

// A command reply's `ok` is 1 and it has no writeErrors; otherwise the error it carries.
absl::Status ReplyStatus(const Document& reply) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0) {
    bson_iter_t first;
    if (bson_iter_init(&it, reply.bson()) &&
        bson_iter_find_descendant(&it, "writeErrors.0.code", &first)) {
      const int32_t code = static_cast<int32_t>(bson_iter_as_int64(&first));
      return MongoError(static_cast<ErrorCode>(code), "write error");
    }
    return absl::OkStatus();
  }
  std::optional<std::string> message = StringField(*reply.bson(), "errmsg");
  int32_t code = 8;
  if (bson_iter_init_find(&it, reply.bson(), "code")) {
    code = static_cast<int32_t>(bson_iter_as_int64(&it));
  }
  return MongoError(static_cast<ErrorCode>(code), message.value_or("command failed"));
}

}  // namespace

void ServerLog::Line(std::string_view text_view) {
  const absl::string_view text(text_view.data(), text_view.size());
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ", text);
  {
    absl::MutexLock lock(&mu_);
    lines_.push_back(line);
    if (lines_.size() > kMaxLogLines) lines_.pop_front();
    ++total_;
  }
  std::cerr << line << std::endl;
}

std::vector<std::string> ServerLog::Recent() const {
  absl::MutexLock lock(&mu_);
  return std::vector<std::string>(lines_.begin(), lines_.end());
}

int64_t ServerLog::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

CommandRunner::CommandRunner(Database& db, const ServerOptions& options, ServerLog& log)
    : db_(db), options_(options), log_(log), started_(absl::Now()) {
  handlers_["hello"] = HandlerEntry{&CommandRunner::Hello};
  handlers_["isMaster"] = HandlerEntry{&CommandRunner::Hello};
  handlers_["ismaster"] = HandlerEntry{&CommandRunner::Hello};
  handlers_["getParameter"] = HandlerEntry{&CommandRunner::GetParameter};
  handlers_["getLog"] = HandlerEntry{&CommandRunner::GetLog};
  handlers_["hostInfo"] = HandlerEntry{&CommandRunner::HostInfo};
  handlers_["whatsmyuri"] = HandlerEntry{&CommandRunner::WhatsMyUri};
  handlers_["startSession"] = HandlerEntry{&CommandRunner::StartSession};
  handlers_["endSessions"] = HandlerEntry{&CommandRunner::EndSessions};
  handlers_["refreshSessions"] = HandlerEntry{&CommandRunner::EndSessions};
  handlers_["killSessions"] = HandlerEntry{&CommandRunner::EndSessions};
  handlers_["connectionStatus"] = HandlerEntry{&CommandRunner::ConnectionStatus};
  handlers_["getLastError"] = HandlerEntry{&CommandRunner::GetLastError};
  handlers_["getlasterror"] = HandlerEntry{&CommandRunner::GetLastError};
  handlers_["serverStatus"] = HandlerEntry{&CommandRunner::ServerStatus};
  handlers_["getCmdLineOpts"] = HandlerEntry{&CommandRunner::GetCmdLineOpts};
  handlers_["saslStart"] = HandlerEntry{&CommandRunner::SaslStart};
  handlers_["saslContinue"] = HandlerEntry{&CommandRunner::SaslContinue};
  handlers_["logout"] = HandlerEntry{&CommandRunner::Logout};
  handlers_["createUser"] = HandlerEntry{&CommandRunner::CreateUser};
  handlers_["dropUser"] = HandlerEntry{&CommandRunner::DropUser};
  handlers_["usersInfo"] = HandlerEntry{&CommandRunner::UsersInfo};
}

Document CommandRunner::Run(ConnectionState& connection, const Request& request) {
  if (!request.error.ok()) return ServerErrorReply(request.error);
  bson_t command;
  if (!request.command.view().AsBson(&command)) {
    return ServerErrorReply(MongoError(kInvalidBson, "invalid command document"));
  }
  const std::string name = FirstKey(command);
  std::string db = request.database;
  if (request.op_code == kOpQuery) {
    if (name != "hello" && name != "isMaster" && name != "ismaster") {
      return ServerErrorReply(MongoError(
          kUnsupportedOpQueryCommand,
          absl::StrCat("Unsupported OP_QUERY command: ", name,
                       ". The client driver may require an upgrade (OP_MSG is required)")));
    }
  } else {
    std::optional<std::string> db_field = StringField(command, "$db");
    if (!db_field.has_value()) {
      return ServerErrorReply(
          MongoError(static_cast<ErrorCode>(40571), "OP_MSG requests require a $db argument"));
    }
    db = *db_field;
  }
  return RunCommand(connection, command, db);
}

Document CommandRunner::RunCommand(ConnectionState& connection, const bson_t& command,
                                   const std::string& db) {
  const std::string name = FirstKey(command);
  if (name.empty()) return ServerErrorReply(MongoError(ErrorCode::kFailedToParse, "empty command"));
  if (options_.auth && !connection.authenticated && !AllowedWithoutAuth(name, db)) {
    return ServerErrorReply(MongoError(ErrorCode::kUnauthorized,
                                       absl::StrCat("command ", name, " requires authentication")));
  }
  auto handler = handlers_.find(name);
  if (handler != handlers_.end()) {
    Document reply;
    absl::Status status =
        (this->*(handler->second.handler))(connection, command, db, reply.mutable_bson());
    if (!status.ok()) return ServerErrorReply(status);
    bson_append_double(reply.mutable_bson(), "ok", 2, 1.0);
    return reply;
  }
  // The user store is the server's: reached only through createUser/dropUser/usersInfo.
  {
    std::optional<std::string> target = StringField(command, name.c_str());
    const std::string users_ns = absl::StrCat(kUsersDatabase, ".", kUsersCollection);
    if (target.has_value() &&
        ((db == kUsersDatabase && *target == kUsersCollection) || *target == users_ns)) {
      return ServerErrorReply(
          MongoError(ErrorCode::kUnauthorized,
                     absl::StrCat("not authorized on admin to run ", name, " on ", kUsersCollection,
                                  " (use createUser, dropUser and usersInfo)")));
    }
  }
  std::optional<Document> split =
      RunSplitWrite(command, name, [&](DocumentView chunk) { return db_.RunCommand(db, chunk); });
  if (split.has_value()) return std::move(*split);
  Document reply = db_.RunCommand(db, DocumentView(&command));
  bson_iter_t code;
  if (bson_iter_init_find(&code, reply.bson(), "code") &&
      bson_iter_as_int64(&code) == static_cast<int64_t>(ErrorCode::kCommandNotFound)) {
    log_.Line(absl::StrCat("conn", connection.id, " (", connection.remote,
                           ") asked for an unknown command: ", name));
  }
  if (name == "find" || name == "aggregate" || name == "getMore" || name == "killCursors" ||
      name == "listCollections" || name == "listIndexes") {
    TrackCursors(connection, name, command, reply);
  }
  return reply;
}

bool CommandRunner::AllowedWithoutAuth(std::string_view name, const std::string& db) {
  if (name == "hello" || name == "isMaster" || name == "ismaster" || name == "saslStart" ||
      name == "saslContinue" || name == "ping" || name == "buildInfo" || name == "buildinfo" ||
      name == "logout" || name == "endSessions" || name == "whatsmyuri") {
    return true;
  }
  // MongoDB's localhost exception: the first user may be created before anyone can log in.
  return name == "createUser" && !AnyUserExists();
}

void CommandRunner::TrackCursors(const ConnectionState& connection, std::string_view name,
                                 const bson_t& command, const Document& reply) {
  bson_iter_t it;
  if (name == "killCursors") {
    absl::MutexLock lock(&mu_);
    bson_iter_t array;
    if (bson_iter_init_find(&it, reply.bson(), "cursorsKilled") && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &array)) {
      while (bson_iter_next(&array)) cursors_.erase(bson_iter_as_int64(&array));
    }
    return;
  }
  int64_t id = 0;
  std::string ns;
  bson_iter_t field;
  if (bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, "cursor.id", &field)) {
    id = bson_iter_as_int64(&field);
  } else {
    return;
  }
  if (bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, "cursor.ns", &field) &&
      BSON_ITER_HOLDS_UTF8(&field)) {
    ns = bson_iter_utf8(&field, nullptr);
  }
  absl::MutexLock lock(&mu_);
  if (name == "getMore") {
    bson_iter_t request_id;
    if (bson_iter_init(&request_id, &command) && bson_iter_next(&request_id)) {
      const int64_t requested = bson_iter_as_int64(&request_id);
      if (id == 0) {
        cursors_.erase(requested);
      } else {
        cursors_[requested] = OwnedCursor{connection.id, ns};
      }
    }
    return;
  }
  if (id != 0) cursors_[id] = OwnedCursor{connection.id, ns};
}

void CommandRunner::ConnectionClosed(const ConnectionState& connection) {
  --connections_current_;
  std::vector<std::pair<int64_t, std::string>> owned;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      if (it->second.connection_id == connection.id) {
        owned.emplace_back(it->first, it->second.ns);
        cursors_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [id, ns] : owned) {
    size_t dot = ns.find('.');
    if (dot == std::string::npos) continue;
    const std::string db = ns.substr(0, dot), collection = ns.substr(dot + 1);
    bson_t* kill =
        BCON_NEW("killCursors", BCON_UTF8(collection.c_str()), "cursors", "[", BCON_INT64(id), "]");
    Document command = Document::Adopt(kill);
    db_.RunCommand(db, command.view());
  }
}

absl::Status CommandRunner::Hello(ConnectionState& connection, const bson_t& command,
                                  const std::string&, bson_t* reply) {
  const std::string name = FirstKey(command);
  bson_append_bool(reply, name == "hello" ? "isWritablePrimary" : "ismaster", -1, true);
  if (TrueField(command, "helloOk")) bson_append_bool(reply, "helloOk", 7, true);
  bson_append_int32(reply, "maxBsonObjectSize", -1,
                    static_cast<int32_t>(document::kMaxUserDocumentSize));
  bson_append_int32(reply, "maxMessageSizeBytes", -1, kMaxMessageSize);
  bson_append_int32(reply, "maxWriteBatchSize", -1, 100000);
  bson_append_date_time(reply, "localTime", -1, absl::ToUnixMillis(absl::Now()));
  bson_append_int32(reply, "logicalSessionTimeoutMinutes", -1, 30);
  bson_append_int64(reply, "connectionId", -1, connection.id);
  bson_append_int32(reply, "minWireVersion", -1, kMinWireVersion);
  bson_append_int32(reply, "maxWireVersion", -1, kMaxWireVersion);
  bson_append_bool(reply, "readOnly", -1, false);
  bson_iter_t it, array;
  if (bson_iter_init_find(&it, &command, "compression") && BSON_ITER_HOLDS_ARRAY(&it) &&
      bson_iter_recurse(&it, &array)) {
    connection.compressors.clear();
    bson_t names;
    bson_append_array_begin(reply, "compression", -1, &names);
    int index = 0;
    while (bson_iter_next(&array)) {
      if (!BSON_ITER_HOLDS_UTF8(&array)) continue;
      std::optional<Compressor> compressor = CompressorByName(bson_iter_utf8(&array, nullptr));
      if (!compressor.has_value()) continue;
      connection.compressors.push_back(*compressor);
      std::string key = std::to_string(index++);
      bson_append_utf8(&names, key.c_str(), -1, CompressorName(*compressor), -1);
    }
    bson_append_array_end(reply, &names);
  }
  // Speculative authentication: the first SCRAM step rides on the handshake (drivers fall back
  // to saslStart when the reply has no speculativeAuthenticate).
  if (bson_iter_init_find(&it, &command, "speculativeAuthenticate") &&
      BSON_ITER_HOLDS_DOCUMENT(&it)) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&it, &length, &data);
    bson_t start;
    if (bson_init_static(&start, data, length) && FirstKey(start) == "saslStart") {
      Document first;
      const std::string auth_db = StringField(start, "db").value_or("admin");
      if (SaslStart(connection, start, auth_db, first.mutable_bson()).ok()) {
        bson_append_document(reply, "speculativeAuthenticate", -1, first.bson());
      }
    }
  }
  if (std::optional<std::string> mechs_for = StringField(command, "saslSupportedMechs")) {
    size_t dot = mechs_for->find('.');
    if (dot != std::string::npos &&
        FindCredentials(mechs_for->substr(0, dot), mechs_for->substr(dot + 1)).has_value()) {
      bson_t mechs;
      bson_append_array_begin(reply, "saslSupportedMechs", -1, &mechs);
      bson_append_utf8(&mechs, "0", 1, "SCRAM-SHA-256", -1);
      bson_append_array_end(reply, &mechs);
    }
  }
  return absl::OkStatus();
}

absl::Status CommandRunner::GetParameter(ConnectionState&, const bson_t& command,
                                         const std::string&, bson_t* reply) {
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  bool all = false;
  if (BSON_ITER_HOLDS_UTF8(&it)) {
    all = std::strcmp(bson_iter_utf8(&it, nullptr), "*") == 0;
  } else if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_t inner;
    all = bson_iter_recurse(&it, &inner) && bson_iter_find(&inner, "allParameters") &&
          bson_iter_as_bool(&inner);
  }
  auto wanted = [&](const char* parameter) {
    bson_iter_t field;
    return all || bson_iter_init_find(&field, &command, parameter);
  };
  int found = 0;
  if (wanted("featureCompatibilityVersion")) {
    bson_t fcv;
    bson_append_document_begin(reply, "featureCompatibilityVersion", -1, &fcv);
    bson_append_utf8(&fcv, "version", -1, "6.0", -1);
    bson_append_document_end(reply, &fcv);
    ++found;
  }
  if (wanted("authenticationMechanisms")) {
    bson_t mechs;
    bson_append_array_begin(reply, "authenticationMechanisms", -1, &mechs);
    bson_append_utf8(&mechs, "0", 1, "SCRAM-SHA-256", -1);
    bson_append_array_end(reply, &mechs);
    ++found;
  }
  if (wanted("maxBSONDepth")) {
    bson_append_int32(reply, "maxBSONDepth", -1, document::kMaxNestingDepth);
    ++found;
  }
  if (wanted("requireApiVersion")) {
    bson_append_bool(reply, "requireApiVersion", -1, false);
    ++found;
  }
  if (wanted("scramSHA256IterationCount")) {
    bson_append_int32(reply, "scramSHA256IterationCount", -1, 15000);
    ++found;
  }
  if (found == 0) return MongoError(ErrorCode::kInvalidOptions, "no option found to get");
  return absl::OkStatus();
}

absl::Status CommandRunner::GetLog(ConnectionState&, const bson_t& command, const std::string&,
                                   bson_t* reply) {
  std::optional<std::string> which = StringField(command, "getLog");
  if (!which.has_value()) {
    return MongoError(ErrorCode::kTypeMismatch, "Argument to getLog must be of type String");
  }
  if (*which == "*") {
    bson_t names;
    bson_append_array_begin(reply, "names", -1, &names);
    bson_append_utf8(&names, "0", 1, "global", -1);
    bson_append_utf8(&names, "1", 1, "startupWarnings", -1);
    bson_append_array_end(reply, &names);
    return absl::OkStatus();
  }
  std::vector<std::string> lines;
  int64_t total = 0;
  if (*which == "global") {
    lines = log_.Recent();
    total = log_.total();
  } else if (*which != "startupWarnings") {
    return MongoError(ErrorCode::kBadValue, absl::StrCat("no RecentEntries named: ", *which));
  }
  bson_append_int64(reply, "totalLinesWritten", -1, total);
  bson_t log;
  bson_append_array_begin(reply, "log", -1, &log);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string key = std::to_string(i);
    AppendUtf8(&log, key.c_str(), lines[i]);
  }
  bson_append_array_end(reply, &log);
  return absl::OkStatus();
}

absl::Status CommandRunner::HostInfo(ConnectionState&, const bson_t&, const std::string&,
                                     bson_t* reply) {
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  struct utsname uts {};
  uname(&uts);
  const int64_t memory_mb =
      static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / (1024 * 1024);
  bson_t system, os, extra;
  bson_append_document_begin(reply, "system", -1, &system);
  bson_append_date_time(&system, "currentTime", -1, absl::ToUnixMillis(absl::Now()));
  bson_append_utf8(&system, "hostname", -1, hostname, -1);
  bson_append_int32(&system, "cpuAddrSize", -1, 64);
  bson_append_int64(&system, "memSizeMB", -1, memory_mb);
  bson_append_int64(&system, "memLimitMB", -1, memory_mb);
  bson_append_int32(&system, "numCores", -1,
                    static_cast<int32_t>(std::thread::hardware_concurrency()));
  bson_append_utf8(&system, "cpuArch", -1, uts.machine, -1);
  bson_append_bool(&system, "numaEnabled", -1, false);
  bson_append_document_end(reply, &system);
  bson_append_document_begin(reply, "os", -1, &os);
  bson_append_utf8(&os, "type", -1, uts.sysname, -1);
  bson_append_utf8(&os, "name", -1, uts.sysname, -1);
  bson_append_utf8(&os, "version", -1, uts.release, -1);
  bson_append_document_end(reply, &os);
  bson_append_document_begin(reply, "extra", -1, &extra);
  bson_append_document_end(reply, &extra);
  return absl::OkStatus();
}

absl::Status CommandRunner::WhatsMyUri(ConnectionState& connection, const bson_t&,
                                       const std::string&, bson_t* reply) {
  AppendUtf8(reply, "you", connection.remote);
  return absl::OkStatus();
}

absl::Status CommandRunner::StartSession(ConnectionState&, const bson_t&, const std::string&,
                                         bson_t* reply) {
  uint8_t uuid[16];
  bson_oid_t a, b;  // 24 random-ish bytes; the UUID's version/variant bits are set below
  bson_oid_init(&a, nullptr);
  bson_oid_init(&b, nullptr);
  std::memcpy(uuid, a.bytes, 12);
  std::memcpy(uuid + 12, b.bytes + 8, 4);
  uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0F) | 0x40);
  uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3F) | 0x80);
  bson_t id;
  bson_append_document_begin(reply, "id", -1, &id);
  bson_append_binary(&id, "id", -1, BSON_SUBTYPE_UUID, uuid, sizeof uuid);
  bson_append_document_end(reply, &id);
  bson_append_int32(reply, "timeoutMinutes", -1, 30);
  return absl::OkStatus();
}

absl::Status CommandRunner::EndSessions(ConnectionState&, const bson_t&, const std::string&,
                                        bson_t*) {
  return absl::OkStatus();  // sessions carry no server state here
}

absl::Status CommandRunner::ConnectionStatus(ConnectionState& connection, const bson_t&,
                                             const std::string&, bson_t* reply) {
  bson_t info, users, roles;
  bson_append_document_begin(reply, "authInfo", -1, &info);
  bson_append_array_begin(&info, "authenticatedUsers", -1, &users);
  if (connection.authenticated) {
    bson_t user;
    bson_append_document_begin(&users, "0", 1, &user);
    AppendUtf8(&user, "user", connection.user);
    AppendUtf8(&user, "db", connection.user_db);
    bson_append_document_end(&users, &user);
  }
  bson_append_array_end(&info, &users);
  bson_append_array_begin(&info, "authenticatedUserRoles", -1, &roles);
  if (connection.authenticated) {
    bson_t role;
    bson_append_document_begin(&roles, "0", 1, &role);
    bson_append_utf8(&role, "role", -1, "root", -1);
    bson_append_utf8(&role, "db", -1, "admin", -1);
    bson_append_document_end(&roles, &role);
  }
  bson_append_array_end(&info, &roles);
  bson_append_document_end(reply, &info);
  return absl::OkStatus();
}

absl::Status CommandRunner::GetLastError(ConnectionState& connection, const bson_t&,
                                         const std::string&, bson_t* reply) {
  // Every write is acknowledged (and durable) before its reply, so there is never a pending
  // error to report.
  bson_append_int64(reply, "connectionId", -1, connection.id);
  bson_append_int32(reply, "n", -1, 0);
  bson_append_int32(reply, "syncMillis", -1, 0);
  bson_append_null(reply, "err", -1);
  return absl::OkStatus();
}

absl::Status CommandRunner::ServerStatus(ConnectionState&, const bson_t&, const std::string&,
                                         bson_t* reply) {
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  const absl::Duration uptime = absl::Now() - started_;
  bson_append_utf8(reply, "host", -1, hostname, -1);
  bson_append_utf8(reply, "version", -1, "0.1.0", -1);
  bson_append_utf8(reply, "process", -1, "strata", -1);
  bson_append_int64(reply, "pid", -1, static_cast<int64_t>(getpid()));
  bson_append_double(reply, "uptime", -1, absl::ToDoubleSeconds(uptime));
  bson_append_int64(reply, "uptimeMillis", -1, absl::ToInt64Milliseconds(uptime));
  bson_append_int64(reply, "uptimeEstimate", -1, absl::ToInt64Seconds(uptime));
  bson_append_date_time(reply, "localTime", -1, absl::ToUnixMillis(absl::Now()));
  bson_t connections;
  bson_append_document_begin(reply, "connections", -1, &connections);
  const int64_t current = connections_current_.load();
  bson_append_int64(&connections, "current", -1, current);
  bson_append_int64(&connections, "available", -1,
                    std::max<int64_t>(0, options_.max_connections - current));
  bson_append_int64(&connections, "totalCreated", -1, connections_total_.load());
  bson_append_document_end(reply, &connections);
  return absl::OkStatus();
}

absl::Status CommandRunner::GetCmdLineOpts(ConnectionState&, const bson_t&, const std::string&,
                                           bson_t* reply) {
  bson_t argv, parsed, net, storage;
  bson_append_array_begin(reply, "argv", -1, &argv);
  bson_append_utf8(&argv, "0", 1, "strata", -1);
  bson_append_utf8(&argv, "1", 1, "serve", -1);
  bson_append_array_end(reply, &argv);
  bson_append_document_begin(reply, "parsed", -1, &parsed);
  bson_append_document_begin(&parsed, "net", -1, &net);
  AppendUtf8(&net, "bindIp", options_.bind_address);
  bson_append_int32(&net, "port", -1, options_.port);
  bson_append_document_end(&parsed, &net);
  bson_append_document_begin(&parsed, "storage", -1, &storage);
  AppendUtf8(&storage, "dbPath", options_.data_dir);
  bson_append_document_end(&parsed, &storage);
  bson_append_document_end(reply, &parsed);
  return absl::OkStatus();
}

std::optional<ScramCredentials> CommandRunner::FindCredentials(const std::string& user_db,
                                                               std::string_view user) {
  const std::string id = absl::StrCat(user_db, ".", absl::string_view(user.data(), user.size()));
  Document find = Document::Adopt(BCON_NEW("find", BCON_UTF8(kUsersCollection), "filter", "{",
                                           "_id", BCON_UTF8(id.c_str()), "}", "limit",
                                           BCON_INT32(1), "singleBatch", BCON_BOOL(true)));
  Document reply = db_.RunCommand(kUsersDatabase, find.view());
  bson_iter_t it, field;
  auto find_field = [&](const char* path) {
    return bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, path, &field);
  };
  const std::string prefix = "cursor.firstBatch.0.credentials.SCRAM-SHA-256.";
  ScramCredentials credentials;
  if (!find_field((prefix + "iterationCount").c_str())) return std::nullopt;
  credentials.iterations = static_cast<int>(bson_iter_as_int64(&field));
  auto decode = [&](const char* name, std::string* out) {
    return find_field((prefix + name).c_str()) && BSON_ITER_HOLDS_UTF8(&field) &&
           absl::Base64Unescape(bson_iter_utf8(&field, nullptr), out);
  };
  if (!decode("salt", &credentials.salt) || !decode("storedKey", &credentials.stored_key) ||
      !decode("serverKey", &credentials.server_key)) {
    return std::nullopt;
  }
  return credentials;
}

bool CommandRunner::AnyUserExists() {
  Document count = Document::Adopt(BCON_NEW("count", BCON_UTF8(kUsersCollection)));
  Document reply = db_.RunCommand(kUsersDatabase, count.view());
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "n") && bson_iter_as_int64(&it) > 0;
}

absl::Status CommandRunner::SaslStart(ConnectionState& connection, const bson_t& command,
                                      const std::string& db, bson_t* reply) {
  std::optional<std::string> mechanism = StringField(command, "mechanism");
  if (!mechanism.has_value() || *mechanism != "SCRAM-SHA-256") {
    return MongoError(
        kMechanismUnavailable,
        absl::StrCat("Received authentication for mechanism ", mechanism.value_or("(none)"),
                     " which is not enabled (only SCRAM-SHA-256 is)"));
  }
  std::optional<std::string> payload = PayloadField(command);
  if (!payload.has_value()) return MongoError(ErrorCode::kBadValue, "saslStart needs a payload");
  bson_iter_t it, option;
  connection.sasl_skip_empty_exchange =
      bson_iter_init_find(&it, &command, "options") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
      bson_iter_recurse(&it, &option) && bson_iter_find(&option, "skipEmptyExchange") &&
      bson_iter_as_bool(&option);
  connection.sasl = std::make_unique<ScramServer>();
  connection.sasl_db = db;
  absl::StatusOr<std::string> server_first = connection.sasl->Start(
      *payload, [&](std::string_view user) { return FindCredentials(db, user); });
  if (!server_first.ok()) {
    log_.Line(absl::StrCat("conn", connection.id, " authentication failed (", connection.remote,
                           ", database ", db, ")"));
    connection.sasl.reset();
    return server_first.status();
  }
  bson_append_int32(reply, "conversationId", -1, 1);
  bson_append_bool(reply, "done", -1, false);
  AppendPayload(reply, *server_first);
  return absl::OkStatus();
}

absl::Status CommandRunner::SaslContinue(ConnectionState& connection, const bson_t& command,
                                         const std::string&, bson_t* reply) {
  if (connection.sasl == nullptr) {
    return MongoError(static_cast<ErrorCode>(17), "No SASL session state found");
  }
  bson_append_int32(reply, "conversationId", -1, 1);
  if (connection.sasl->authenticated()) {  // the client's empty last step
    bson_append_bool(reply, "done", -1, true);
    AppendPayload(reply, "");
    connection.sasl.reset();
    return absl::OkStatus();
  }
  std::optional<std::string> payload = PayloadField(command);
  if (!payload.has_value()) {
    return MongoError(ErrorCode::kBadValue, "saslContinue needs a payload");
  }
  absl::StatusOr<std::string> server_final = connection.sasl->Finish(*payload);
  if (!server_final.ok()) {
    log_.Line(absl::StrCat("conn", connection.id, " authentication failed for ",
                           connection.sasl->user(), "@", connection.sasl_db, " (",
                           connection.remote, ")"));
    connection.sasl.reset();
    return server_final.status();
  }
  connection.authenticated = true;
  connection.user = connection.sasl->user();
  connection.user_db = connection.sasl_db;
  log_.Line(absl::StrCat("conn", connection.id, " authenticated as ", connection.user, "@",
                         connection.user_db, " (", connection.remote, ")"));
  bson_append_bool(reply, "done", -1, connection.sasl_skip_empty_exchange);
  AppendPayload(reply, *server_final);
  if (connection.sasl_skip_empty_exchange) connection.sasl.reset();
  return absl::OkStatus();
}

absl::Status CommandRunner::Logout(ConnectionState& connection, const bson_t&, const std::string&,
                                   bson_t*) {
  connection.authenticated = false;
  connection.user.clear();
  connection.user_db.clear();
  return absl::OkStatus();
}

absl::Status CommandRunner::CreateUser(ConnectionState& connection, const bson_t& command,
                                       const std::string& db, bson_t*) {
  std::optional<std::string> user = StringField(command, "createUser");
  if (!user.has_value() || user->empty()) {
    return MongoError(ErrorCode::kBadValue, "createUser needs a non-empty user name");
  }
  std::optional<std::string> password = StringField(command, "pwd");
  if (!password.has_value() || password->empty()) {
    return MongoError(ErrorCode::kBadValue, "createUser needs a non-empty pwd (a string)");
  }
  bson_iter_t it, item;
  if (bson_iter_init_find(&it, &command, "mechanisms")) {
    if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &item)) {
      return MongoError(ErrorCode::kBadValue, "mechanisms must be an array");
    }
    while (bson_iter_next(&item)) {
      if (!BSON_ITER_HOLDS_UTF8(&item) ||
          std::strcmp(bson_iter_utf8(&item, nullptr), "SCRAM-SHA-256") != 0) {
        return MongoError(ErrorCode::kBadValue, "only the SCRAM-SHA-256 mechanism is supported");
      }
    }
  }
  absl::StatusOr<ScramCredentials> credentials = MakeScramCredentials(*password);
  if (!credentials.ok()) return credentials.status();
  const std::string id = absl::StrCat(db, ".", *user);
  Document user_doc;
  bson_t* out = user_doc.mutable_bson();
  AppendUtf8(out, "_id", id);
  AppendUtf8(out, "user", *user);
  AppendUtf8(out, "db", db);
  bson_t creds, scram;
  bson_append_document_begin(out, "credentials", -1, &creds);
  bson_append_document_begin(&creds, "SCRAM-SHA-256", -1, &scram);
  bson_append_int32(&scram, "iterationCount", -1, credentials->iterations);
  AppendUtf8(&scram, "salt", absl::Base64Escape(credentials->salt));
  AppendUtf8(&scram, "storedKey", absl::Base64Escape(credentials->stored_key));
  AppendUtf8(&scram, "serverKey", absl::Base64Escape(credentials->server_key));
  bson_append_document_end(&creds, &scram);
  bson_append_document_end(out, &creds);
  if (bson_iter_init_find(&it, &command, "roles") && BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_append_iter(out, "roles", -1, &it);
  } else {
    bson_t roles;
    bson_append_array_begin(out, "roles", -1, &roles);
    bson_append_array_end(out, &roles);
  }
  Document insert;
  bson_t* cmd = insert.mutable_bson();
  bson_append_utf8(cmd, "insert", -1, kUsersCollection, -1);
  bson_t docs;
  bson_append_array_begin(cmd, "documents", -1, &docs);
  bson_append_document(&docs, "0", 1, user_doc.bson());
  bson_append_array_end(cmd, &docs);
  // One durable insert (the catalog's WAL is fsynced before the reply), like any write.
  absl::Status status = ReplyStatus(db_.RunCommand(kUsersDatabase, insert.view()));
  if (ErrorCodeOf(status) == ErrorCode::kDuplicateKey) {
    return MongoError(kUserAlreadyExists,
                      absl::StrCat("User \"", *user, "@", db, "\" already exists"));
  }
  if (status.ok()) {
    log_.Line(absl::StrCat("conn", connection.id, " created user ", *user, "@", db));
  }
  return status;
}

absl::Status CommandRunner::DropUser(ConnectionState& connection, const bson_t& command,
                                     const std::string& db, bson_t*) {
  std::optional<std::string> user = StringField(command, "dropUser");
  if (!user.has_value()) return MongoError(ErrorCode::kBadValue, "dropUser needs a user name");
  const std::string id = absl::StrCat(db, ".", *user);
  Document remove = Document::Adopt(BCON_NEW("delete", BCON_UTF8(kUsersCollection), "deletes", "[",
                                             "{", "q", "{", "_id", BCON_UTF8(id.c_str()), "}",
                                             "limit", BCON_INT32(1), "}", "]"));
  Document reply = db_.RunCommand(kUsersDatabase, remove.view());
  if (absl::Status status = ReplyStatus(reply); !status.ok()) return status;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, reply.bson(), "n") || bson_iter_as_int64(&it) == 0) {
    return MongoError(kUserNotFound, absl::StrCat("User '", *user, "@", db, "' not found"));
  }
  log_.Line(absl::StrCat("conn", connection.id, " dropped user ", *user, "@", db));
  return absl::OkStatus();
}

absl::Status CommandRunner::UsersInfo(ConnectionState&, const bson_t& command,
                                      const std::string& db, bson_t* reply) {
  Document filter;
  if (std::optional<std::string> user = StringField(command, "usersInfo")) {
    AppendUtf8(filter.mutable_bson(), "_id", absl::StrCat(db, ".", *user));
  } else {
    AppendUtf8(filter.mutable_bson(), "db", db);
  }
  Document find;
  bson_t* cmd = find.mutable_bson();
  bson_append_utf8(cmd, "find", -1, kUsersCollection, -1);
  bson_append_document(cmd, "filter", -1, filter.bson());
  bson_t projection;
  bson_append_document_begin(cmd, "projection", -1, &projection);
  bson_append_int32(&projection, "credentials", -1, 0);
  bson_append_document_end(cmd, &projection);
  bson_append_int32(cmd, "batchSize", -1, 100000);
  bson_append_bool(cmd, "singleBatch", -1, true);
  Document found = db_.RunCommand(kUsersDatabase, find.view());
  if (absl::Status status = ReplyStatus(found); !status.ok()) return status;
  bson_iter_t it, batch;
  bson_t users;
  bson_append_array_begin(reply, "users", -1, &users);
  if (bson_iter_init(&it, found.bson()) &&
      bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
      BSON_ITER_HOLDS_ARRAY(&batch)) {
    bson_iter_t item;
    bson_iter_recurse(&batch, &item);
    while (bson_iter_next(&item)) bson_append_iter(&users, bson_iter_key(&item), -1, &item);
  }
  bson_append_array_end(reply, &users);
  return absl::OkStatus();
}

}  // namespace strata::server
