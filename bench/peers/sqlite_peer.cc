// sqlite_peer: the `strata bench` workloads on SQLite 3 with JSON1 — what an embedded user
// would pick instead of Strata.
//
// Same documents (DocumentFactory's records as JSON text), same generators, timing and output
// as `strata bench`; only the Backend differs:
//   CREATE TABLE usertable(id INTEGER PRIMARY KEY, doc TEXT NOT NULL)   -- the rowid is _id
//   CREATE INDEX usertable_cat ON usertable(json_extract(doc, '$.cat'))  -- --indexes
//   CREATE TABLE categories(id INTEGER PRIMARY KEY, doc TEXT NOT NULL)
// Operations are single prepared statements: reads `SELECT doc … WHERE id = ?`, updates
// `json_set(doc, '$.fieldN', ?)`, scans `id >= ? ORDER BY id LIMIT ?`, the index workload
// `WHERE json_extract(doc, '$.cat') = ?` (uses the expression index), aggregate a GROUP BY
// over json_extract, lookup a LEFT JOIN with categories.
// Tuning (SQLite's documented recommendations for this use, https://sqlite.org/wal.html,
// https://sqlite.org/pragma.html): journal_mode=WAL; synchronous=NORMAL for --relaxed (in WAL
// mode: durable across a process crash, not a power loss — Strata's relaxed mode) and FULL for
// --durable (fsync of the WAL at every commit); cache_size 256 MiB (Strata's block cache);
// mmap_size 256 MiB; temp_store=MEMORY; busy_timeout 10 s; one connection per thread
// (SQLITE_OPEN_NOMUTEX), statements prepared once per connection. Writers serialise on
// SQLite's single write lock (WAL lets readers run meanwhile).
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/bench/backend.h"
#include "tools/bench/bench_main.h"

namespace strata::bench {
namespace {

// One connection and its prepared statements; used by one thread.
struct Connection {
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* read = nullptr;
  sqlite3_stmt* update = nullptr;
  sqlite3_stmt* scan = nullptr;
  sqlite3_stmt* index = nullptr;
  sqlite3_stmt* aggregate = nullptr;
  sqlite3_stmt* lookup = nullptr;
  ~Connection() {
    for (sqlite3_stmt* s : {insert, read, update, scan, index, aggregate, lookup}) {
      sqlite3_finalize(s);
    }
    sqlite3_close_v2(db);
  }
};

absl::Status Error(sqlite3* db, std::string_view what) {
  return absl::InternalError(absl::StrCat(std::string(what), ": ", sqlite3_errmsg(db)));
}

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "?";
    sqlite3_free(message);
    return absl::InternalError(absl::StrCat(sql, ": ", text));
  }
  return absl::OkStatus();
}

// Runs a reset statement to completion; the number of result rows (copying each row's text
// columns, as a caller reading the documents would).
absl::StatusOr<int64_t> Rows(sqlite3* db, sqlite3_stmt* stmt) {
  int64_t rows = 0;
  std::string copy;
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      sqlite3_reset(stmt);
      return Error(db, "step");
    }
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const unsigned char* text = sqlite3_column_text(stmt, c);
      if (text != nullptr)
        copy.assign(reinterpret_cast<const char*>(text),
                    static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
    }
    ++rows;
  }
  sqlite3_reset(stmt);
  return rows;
}

class SqliteBackend : public Backend {
 public:
  std::string name() const override { return "sqlite"; }
  std::string description() const override { return description_; }
  bool wants_json() const override { return true; }

  absl::Status Open(const std::string& dir, const BenchOptions& options, bool fresh) override {
    durable_ = options.durable;
    std::error_code ec;
    if (fresh) std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    path_ = (std::filesystem::path(dir) / "bench.sqlite").string();
    description_ = absl::StrCat(
        "SQLite ", sqlite3_libversion(), " JSON1, WAL, synchronous=", durable_ ? "FULL" : "NORMAL",
        ", 256 MiB cache, mmap 256 MiB",
        options.indexes ? ", expression index on json_extract(doc,'$.cat')" : ", no index");
    auto setup = NewConnection();
    if (!setup.ok()) return setup.status();
    sqlite3* db = (*setup)->db;
    if (fresh) {
      for (const std::string& sql :
           {std::string("CREATE TABLE usertable(id INTEGER PRIMARY KEY, doc TEXT NOT NULL)"),
            std::string("CREATE TABLE categories(id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")}) {
        if (absl::Status s = Exec(db, sql); !s.ok()) return s;
      }
      if (options.indexes) {
        if (absl::Status s = Exec(db,
                                  "CREATE INDEX usertable_cat ON "
                                  "usertable(json_extract(doc, '$.cat'))");
            !s.ok()) {
          return s;
        }
      }
      if (absl::Status s = Exec(db, "BEGIN"); !s.ok()) return s;
      sqlite3_stmt* insert = nullptr;
      if (sqlite3_prepare_v2(db, "INSERT INTO categories(id, doc) VALUES(?, ?)", -1, &insert,
                             nullptr) != SQLITE_OK) {
        return Error(db, "prepare");
      }
      for (int32_t c = 0; c < kCategories; ++c) {
        const std::string json = DocumentFactory::BuildCategoryJson(c);
        sqlite3_bind_int(insert, 1, c);
        sqlite3_bind_text(insert, 2, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE) {
          sqlite3_finalize(insert);
          return Error(db, "insert category");
        }
        sqlite3_reset(insert);
      }
      sqlite3_finalize(insert);
      if (absl::Status s = Exec(db, "COMMIT"); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> CountRecords() override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2((*conn)->db, "SELECT count(*) FROM usertable", -1, &stmt, nullptr) !=
        SQLITE_OK) {
      return Error((*conn)->db, "prepare");
    }
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return n;
  }

  absl::StatusOr<int64_t> Insert(const Record& record) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_stmt* s = (*conn)->insert;
    sqlite3_bind_int64(s, 1, record.id);
    sqlite3_bind_text(s, 2, record.json.data(), static_cast<int>(record.json.size()),
                      SQLITE_STATIC);
    return Changes((*conn)->db, s);
  }

  absl::StatusOr<int64_t> Read(int64_t id) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_bind_int64((*conn)->read, 1, id);
    return Rows((*conn)->db, (*conn)->read);
  }

  absl::StatusOr<int64_t> Update(int64_t id, std::string_view field,
                                 std::string_view value) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_stmt* s = (*conn)->update;
    const std::string path = absl::StrCat("$.", std::string(field));
    sqlite3_bind_text(s, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, id);
    return Changes((*conn)->db, s);
  }

  absl::StatusOr<int64_t> Scan(int64_t start, int count) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_bind_int64((*conn)->scan, 1, start);
    sqlite3_bind_int((*conn)->scan, 2, count);
    return Rows((*conn)->db, (*conn)->scan);
  }

  absl::StatusOr<int64_t> IndexFind(int32_t category) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_bind_int((*conn)->index, 1, category);
    return Rows((*conn)->db, (*conn)->index);
  }

  absl::StatusOr<int64_t> Aggregate(int32_t category) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_bind_int((*conn)->aggregate, 1, category);
    return Rows((*conn)->db, (*conn)->aggregate);
  }

  absl::StatusOr<int64_t> Lookup(int64_t start, int count) override {
    auto conn = Local();
    if (!conn.ok()) return conn.status();
    sqlite3_bind_int64((*conn)->lookup, 1, start);
    sqlite3_bind_int64((*conn)->lookup, 2, start + count);
    return Rows((*conn)->db, (*conn)->lookup);
  }

  absl::Status Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!connections_.empty()) {
      // A checkpoint so the database file holds everything (and the WAL is fsynced).
      sqlite3_wal_checkpoint_v2(connections_.front()->db, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                nullptr, nullptr);
    }
    connections_.clear();
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<int64_t> Changes(sqlite3* db, sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Error(db, "write");
    return sqlite3_changes64(db);
  }

  absl::StatusOr<Connection*> NewConnection() {
    auto conn = std::make_unique<Connection>();
    if (sqlite3_open_v2(path_.c_str(), &conn->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      return Error(conn->db, absl::StrCat("open ", path_));
    }
    sqlite3_busy_timeout(conn->db, 10000);
    for (const std::string& pragma :
         {std::string("PRAGMA journal_mode=WAL"),
          absl::StrCat("PRAGMA synchronous=", durable_ ? "FULL" : "NORMAL"),
          std::string("PRAGMA cache_size=-262144"), std::string("PRAGMA mmap_size=268435456"),
          std::string("PRAGMA temp_store=MEMORY")}) {
      if (absl::Status s = Exec(conn->db, pragma); !s.ok()) return s;
    }
    Connection* raw = conn.get();
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(std::move(conn));
    return raw;
  }

  absl::Status Prepare(Connection* c) {
    struct {
      sqlite3_stmt** stmt;
      const char* sql;
    } statements[] = {
        {&c->insert, "INSERT INTO usertable(id, doc) VALUES(?, ?)"},
        {&c->read, "SELECT doc FROM usertable WHERE id = ?"},
        {&c->update, "UPDATE usertable SET doc = json_set(doc, ?, ?) WHERE id = ?"},
        {&c->scan, "SELECT doc FROM usertable WHERE id >= ? ORDER BY id LIMIT ?"},
        {&c->index, "SELECT doc FROM usertable WHERE json_extract(doc, '$.cat') = ?"},
        {&c->aggregate,
         "SELECT json_extract(doc, '$.grp') AS g, count(*), sum(json_extract(doc, '$.num')) "
         "FROM usertable WHERE json_extract(doc, '$.cat') = ? GROUP BY g"},
        {&c->lookup,
         "SELECT u.doc, c.doc FROM usertable u LEFT JOIN categories c "
         "ON c.id = json_extract(u.doc, '$.cat') WHERE u.id >= ? AND u.id < ? ORDER BY u.id"},
    };
    for (auto& s : statements) {
      if (sqlite3_prepare_v3(c->db, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
          SQLITE_OK) {
        return Error(c->db, s.sql);
      }
    }
    return absl::OkStatus();
  }

  // This thread's connection (opened and prepared on its first use).
  absl::StatusOr<Connection*> Local() {
    thread_local const SqliteBackend* owner = nullptr;
    thread_local Connection* connection = nullptr;
    if (owner != this || connection == nullptr) {
      auto conn = NewConnection();
      if (!conn.ok()) return conn.status();
      if (absl::Status s = Prepare(*conn); !s.ok()) return s;
      owner = this;
      connection = *conn;
    }
    return connection;
  }

  bool durable_ = false;
  std::string path_;
  std::string description_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by mu_
};

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return strata::bench::RunBenchMain(
      args, [] { return std::make_unique<strata::bench::SqliteBackend>(); }, "sqlite_peer");
}
