// kill -9 crash tests: a forked child writes through the public API and reports every
// acknowledged write through a pipe; the parent SIGKILLs it at a random moment, reopens the
// directory and checks that every acknowledged write is there with exactly its content, that
// nothing else is (apart from the one write that was in flight), and that no document is
// corrupt. Each cycle's child continues where the recovered directory left off.
//
// Randomness comes from one seed, printed with the output. Replay a run with
// STRATA_CRASH_SEED=<seed>; change the number of durable cycles with STRATA_CRASH_CYCLES
// (default 25; the relaxed-mode tests run 2/5 of that).
#include <bson/bson.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "strata/database.h"
#include "strata/error.h"
#include "strata/options.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::TempDir;

constexpr char kDbName[] = "crash";
constexpr char kCollectionName[] = "docs";

// ---------------------------------------------------------------------------------------------
// Deterministic document contents: the document of (id, version) is a pure function of both,
// so the parent can tell the exact expected bytes of any id in any state.

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

// 10..2000 bytes of letters, different for every (id, version).
std::string Payload(int64_t id, int64_t version) {
  uint64_t state = Mix(static_cast<uint64_t>(id) * 1000003u + static_cast<uint64_t>(version));
  std::string payload(10 + state % 1991, '\0');
  for (char& c : payload) {
    state = Mix(state);
    c = static_cast<char>('a' + state % 26);
  }
  return payload;
}

// {_id: id, v: version, payload: <Payload(id, version)>, sum: <checksum of the rest>}.
Document ExpectedDoc(int64_t id, int64_t version) {
  std::string payload = Payload(id, version);
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_int64(b, "_id", 3, id);
  bson_append_int64(b, "v", 1, version);
  bson_append_utf8(b, "payload", 7, payload.data(), static_cast<int>(payload.size()));
  bson_append_int64(b, "sum", 3,
                    static_cast<int64_t>(Fnv1a(payload) ^ Mix(static_cast<uint64_t>(id)) ^
                                         static_cast<uint64_t>(version)));
  return doc;
}

Document IdFilter(int64_t id) {
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  return doc;
}

std::optional<int64_t> Int64Field(DocumentView doc, const char* name) {
  bson_t b;
  bson_iter_t it;
  if (!doc.AsBson(&b) || !bson_iter_init_find(&it, &b, name) || !BSON_ITER_HOLDS_INT64(&it)) {
    return std::nullopt;
  }
  return bson_iter_int64(&it);
}

// The stored state: id → version of every document. A document whose bytes are not exactly
// ExpectedDoc(id, v) is corruption and reported in `corrupt`.
struct Observed {
  std::map<int64_t, int64_t> versions;
  std::vector<std::string> corrupt;
  int64_t count = -1;  // CountDocuments (the statistics counter)
  // The validate command's verdict after recovery: every index entry re-derived from the
  // documents, counters checked. Empty when valid, else the reply.
  std::string invalid;
  std::vector<std::string> index_names;  // listIndexes, after the _id index
};

absl::StatusOr<Observed> ReadAll(Collection& collection) {
  Observed observed;
  auto cursor = collection.Find(DocumentView());
  if (!cursor.ok()) return cursor.status();
  while (true) {
    auto next = cursor->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const Document& doc = **next;
    std::optional<int64_t> id = Int64Field(doc.view(), "_id");
    std::optional<int64_t> version = Int64Field(doc.view(), "v");
    if (!id.has_value() || !version.has_value() ||
        !doc.view().BytesEqual(ExpectedDoc(*id, *version).view())) {
      observed.corrupt.push_back(doc.ToJson(JsonMode::kCanonical).substr(0, 200));
      continue;
    }
    if (!observed.versions.emplace(*id, *version).second) {
      observed.corrupt.push_back("_id " + std::to_string(*id) + " returned twice");
    }
  }
  auto count = collection.CountDocuments();
  if (!count.ok()) return count.status();
  observed.count = *count;
  return observed;
}

// ---------------------------------------------------------------------------------------------
// The pipe protocol. Every record is one write(2) of at most PIPE_BUF bytes, so it is atomic:
// the parent sees whole records only, even when the writer dies mid-loop.

enum class Op : uint8_t { kInsert = 1, kReplace = 2, kDelete = 3 };
enum class Phase : uint8_t { kIntent = 1, kAck = 2 };

// The mixed workload's record: "INTENT op" before the call, "ACK op" after it returned OK.
struct OpRecord {
  Phase phase;
  Op op;
  uint16_t unused;
  uint32_t version;  // the version the op writes (insert, replace)
  int64_t id;
};
static_assert(sizeof(OpRecord) == 16);

// Child exit codes (a child that is not SIGKILLed has failed).
constexpr int kExitOpenFailed = 10;
constexpr int kExitWriteFailed = 11;
constexpr int kExitPipeFailed = 12;
constexpr int kExitCorruptAtStart = 13;
constexpr int kExitUnexpectedResult = 14;

std::string DescribeExit(int wstatus) {
  if (WIFSIGNALED(wstatus)) return "killed by signal " + std::to_string(WTERMSIG(wstatus));
  if (!WIFEXITED(wstatus)) return "status " + std::to_string(wstatus);
  switch (WEXITSTATUS(wstatus)) {
    case kExitOpenFailed:
      return "exited: Database::Open failed (see stderr)";
    case kExitWriteFailed:
      return "exited: a write failed (see stderr)";
    case kExitPipeFailed:
      return "exited: the ack pipe failed";
    case kExitCorruptAtStart:
      return "exited: found a corrupt document at start (see stderr)";
    case kExitUnexpectedResult:
      return "exited: a write had an unexpected result (see stderr)";
    default:
      return "exited with " + std::to_string(WEXITSTATUS(wstatus));
  }
}

void WriteRecordOrDie(int fd, const void* data, size_t size) {
  while (true) {
    ssize_t n = write(fd, data, size);
    if (n == static_cast<ssize_t>(size)) return;
    if (n < 0 && errno == EINTR) continue;
    _exit(kExitPipeFailed);
  }
}

// Children run in a fresh process image (fork + exec of this test binary), never in a plain
// fork: a child forked from a parent that has used RocksDB inherits Env::Default()'s records
// of background threads that do not exist in the child, so its flushes would never run.
// The exec'd binary runs only CrashChild.Run, which reads what to do from the environment.
constexpr int kChildPipeFd = 100;

// argv/envp for the child, built before fork (only async-signal-safe calls after it).
struct ChildCommand {
  std::vector<std::string> strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ChildCommand MakeChildCommand(const char* kind, const std::string& dir, Durability durability,
                              uint64_t arg) {
  ChildCommand command;
  command.strings = {
      "/proc/self/exe",
      "--gtest_filter=CrashChild.Run",
      std::string("STRATA_CRASH_CHILD=") + kind,
      "STRATA_CRASH_DIR=" + dir,
      std::string("STRATA_CRASH_DURABLE=") + (durability == Durability::kDurable ? "1" : "0"),
      "STRATA_CRASH_ARG=" + std::to_string(arg)};
  for (size_t i = 0; i < command.strings.size(); ++i) {
    (i < 2 ? command.argv : command.envp).push_back(command.strings[i].data());
  }
  command.argv.push_back(nullptr);
  command.envp.push_back(nullptr);
  return command;
}

[[noreturn]] void ExecChild(const ChildCommand& command, int fd) {
  if (dup2(fd, kChildPipeFd) < 0) _exit(kExitPipeFailed);
  execve(command.argv[0], command.argv.data(), command.envp.data());
  _exit(127);
}

// Common start of every child: die with the parent, never outlive the test, open the database.
std::unique_ptr<Database> ChildOpen(const std::string& dir, Durability durability) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  alarm(60);
  DatabaseOptions options;
  options.durability = durability;
  options.auto_analyze = false;  // no background analysis: deterministic writes
  auto db = Database::Open(dir, options);
  if (!db.ok()) {
    std::fprintf(stderr, "child: open failed: %s\n", db.status().ToString().c_str());
    _exit(kExitOpenFailed);
  }
  return std::move(*db);
}

// Child: inserts ExpectedDoc(id, 0) for id = first_id, first_id + 1, … and writes each
// acknowledged id (8 bytes) to `ack_fd`. Runs until killed.
[[noreturn]] void InsertWriter(const std::string& dir, Durability durability, int64_t first_id,
                               int ack_fd) {
  std::unique_ptr<Database> db = ChildOpen(dir, durability);
  Collection collection = db->GetCollection(kDbName, kCollectionName);
  for (int64_t id = first_id;; ++id) {
    Document doc = ExpectedDoc(id, 0);
    auto inserted = collection.InsertOne(doc.view());
    if (!inserted.ok()) {
      std::fprintf(stderr, "child: insert %lld failed: %s\n", static_cast<long long>(id),
                   inserted.status().ToString().c_str());
      _exit(kExitWriteFailed);
    }
    WriteRecordOrDie(ack_fd, &id, sizeof(id));
  }
}

Document JsonOrDie(const char* json) {
  auto doc = Document::FromJson(json);
  if (!doc.ok()) _exit(kExitUnexpectedResult);
  return *std::move(doc);
}

void CreateCrashIndexesOrDie(Collection& collection) {
  const char* specs[][2] = {{R"({"v": 1, "sum": -1})", "{}"},
                            {R"({"sum": 1})", R"({"unique": true})"},
                            {R"({"payload": 1})", "{}"}};
  for (const auto& [keys, options] : specs) {
    auto created = collection.CreateIndex(JsonOrDie(keys).view(), JsonOrDie(options).view());
    if (!created.ok()) {
      std::fprintf(stderr, "child: createIndex failed: %s\n", created.status().ToString().c_str());
      _exit(kExitUnexpectedResult);
    }
  }
}

// Child: loads `arg` documents when the collection is empty, acknowledges that (one byte 'L'),
// then builds and drops an index over them in a loop, acknowledging each step ('B', 'D'), so
// kills land in the middle of index builds. Runs until killed.
[[noreturn]] void IndexBuildWriter(const std::string& dir, uint64_t documents, int ack_fd) {
  std::unique_ptr<Database> db = ChildOpen(dir, Durability::kRelaxed);
  Collection collection = db->GetCollection(kDbName, kCollectionName);
  auto count = collection.CountDocuments();
  if (!count.ok()) _exit(kExitUnexpectedResult);
  for (int64_t id = *count; id < static_cast<int64_t>(documents);) {
    std::vector<Document> batch;
    std::vector<DocumentView> views;
    for (int i = 0; i < 1000 && id < static_cast<int64_t>(documents); ++i, ++id) {
      batch.push_back(ExpectedDoc(id, 0));
    }
    for (const Document& doc : batch) views.push_back(doc.view());
    if (!collection.InsertMany(views).ok()) _exit(kExitWriteFailed);
  }
  char loaded = 'L';
  WriteRecordOrDie(ack_fd, &loaded, 1);
  const Document keys = JsonOrDie(R"({"payload": 1, "v": -1})");
  while (true) {
    auto created = collection.CreateIndex(keys.view());
    if (!created.ok()) _exit(kExitUnexpectedResult);
    char built = 'B';
    WriteRecordOrDie(ack_fd, &built, 1);
    if (!collection.DropIndex(*created).ok()) _exit(kExitUnexpectedResult);
    char dropped = 'D';
    WriteRecordOrDie(ack_fd, &dropped, 1);
  }
}

// Child: reads the recovered state, then inserts new ids, replaces and deletes existing ones at
// random (seeded), writing "INTENT op" before and "ACK op" after each call. Runs until killed.
// With `indexed`, the collection first gets secondary indexes (compound, unique, on the large
// payload), so every write also maintains their entries.
[[noreturn]] void MixedWriter(const std::string& dir, Durability durability, uint64_t seed,
                              int ack_fd, bool indexed) {
  std::unique_ptr<Database> db = ChildOpen(dir, durability);
  Collection collection = db->GetCollection(kDbName, kCollectionName);
  if (indexed) CreateCrashIndexesOrDie(collection);
  auto observed = ReadAll(collection);
  if (!observed.ok() || !observed->corrupt.empty()) {
    std::fprintf(
        stderr, "child: bad start state: %s\n",
        observed.ok() ? observed->corrupt.front().c_str() : observed.status().ToString().c_str());
    _exit(kExitCorruptAtStart);
  }
  std::map<int64_t, int64_t> versions = std::move(observed->versions);
  std::vector<int64_t> live;
  for (const auto& [id, version] : versions) live.push_back(id);
  int64_t next_id = versions.empty() ? 0 : versions.rbegin()->first + 1;
  std::mt19937_64 rng(seed);
  auto fail = [](const char* what, int64_t id, const std::string& detail) {
    std::fprintf(stderr, "child: %s %lld: %s\n", what, static_cast<long long>(id), detail.c_str());
    _exit(kExitUnexpectedResult);
  };
  while (true) {
    const uint64_t dice = rng() % 100;
    OpRecord record{Phase::kIntent, Op::kInsert, 0, 0, 0};
    size_t victim = 0;
    if (live.size() < 16 || dice < 40) {
      record.op = Op::kInsert;
      record.id = next_id++;
    } else {
      victim = rng() % live.size();
      record.id = live[victim];
      if (dice < 80) {
        record.op = Op::kReplace;
        record.version = static_cast<uint32_t>(versions[record.id] + 1);
      } else {
        record.op = Op::kDelete;
      }
    }
    WriteRecordOrDie(ack_fd, &record, sizeof(record));
    switch (record.op) {
      case Op::kInsert: {
        auto inserted = collection.InsertOne(ExpectedDoc(record.id, 0).view());
        if (!inserted.ok()) fail("insert", record.id, inserted.status().ToString());
        versions[record.id] = 0;
        live.push_back(record.id);
        break;
      }
      case Op::kReplace: {
        // The replacement has no _id: ReplaceOne keeps the stored one, first, as ExpectedDoc.
        Document full = ExpectedDoc(record.id, record.version);
        Document body;
        bson_iter_t it;
        bson_iter_init(&it, full.bson());
        while (bson_iter_next(&it)) {
          if (std::string_view(bson_iter_key(&it)) == "_id") continue;
          bson_append_iter(body.mutable_bson(), bson_iter_key(&it), -1, &it);
        }
        auto replaced = collection.ReplaceOne(IdFilter(record.id).view(), body.view());
        if (!replaced.ok()) fail("replace", record.id, replaced.status().ToString());
        if (replaced->matched != 1 || replaced->modified != 1) {
          fail("replace", record.id, "matched/modified != 1");
        }
        versions[record.id] = record.version;
        break;
      }
      case Op::kDelete: {
        auto deleted = collection.DeleteOne(IdFilter(record.id).view());
        if (!deleted.ok()) fail("delete", record.id, deleted.status().ToString());
        if (*deleted != 1) fail("delete", record.id, "deleted != 1");
        versions.erase(record.id);
        live[victim] = live.back();
        live.pop_back();
        break;
      }
    }
    record.phase = Phase::kAck;
    WriteRecordOrDie(ack_fd, &record, sizeof(record));
  }
}

// ---------------------------------------------------------------------------------------------
// The parent side.

uint64_t SeedFromEnvironment() {
  if (const char* text = std::getenv("STRATA_CRASH_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 0);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

int CyclesFromEnvironment(int default_cycles) {
  if (const char* text = std::getenv("STRATA_CRASH_CYCLES"); text != nullptr && *text != '\0') {
    return std::max(1, std::atoi(text));
  }
  return default_cycles;
}

// One child's life: what it reported before dying, and how it died.
struct ChildRun {
  std::string bytes;  // every record received, in order
  int wait_status = 0;
  int delay_ms = 0;
  bool first_ack_seen = false;
};

// Forks `child_body(write_fd)`, waits until the child has acknowledged its first write (a
// record for which `is_ack` holds), lets it run `delay_ms` more, SIGKILLs it, reaps it and
// collects every record it wrote. The caller must not have a database open.
template <typename ChildBody, typename IsAck>
ChildRun RunAndKill(ChildBody child_body, size_t record_size, IsAck is_ack, int delay_ms) {
  ChildRun run;
  run.delay_ms = delay_ms;
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return run;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return run;
  }
  if (pid == 0) {
    close(fds[0]);
    child_body(fds[1]);  // never returns
    _exit(1);
  }
  close(fds[1]);
  using Clock = std::chrono::steady_clock;
  // Reads whatever is available until `deadline` (or EOF). Returns false on EOF.
  auto drain_until = [&](Clock::time_point deadline, bool stop_at_first_ack) {
    char buffer[4096];
    while (true) {
      if (stop_at_first_ack && !run.first_ack_seen) {
        for (size_t at = 0; at + record_size <= run.bytes.size(); at += record_size) {
          if (is_ack(run.bytes.data() + at)) {
            run.first_ack_seen = true;
            break;
          }
        }
        if (run.first_ack_seen) return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return true;
      pollfd p{fds[0], POLLIN, 0};
      int ready = poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return true;
      ssize_t n = read(fds[0], buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      run.bytes.append(buffer, static_cast<size_t>(n));
    }
  };
  bool open = drain_until(Clock::now() + std::chrono::seconds(30), /*stop_at_first_ack=*/true);
  if (open && run.first_ack_seen) {
    open = drain_until(Clock::now() + std::chrono::milliseconds(delay_ms), false);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &run.wait_status, 0) < 0 && errno == EINTR) {
  }
  // The write end closed with the child: read every record it wrote before dying.
  if (open) drain_until(Clock::now() + std::chrono::seconds(30), false);
  close(fds[0]);
  return run;
}

// Checks one child's death: it must have acknowledged something and died by our SIGKILL.
void ExpectKilledAfterAcks(const ChildRun& run, size_t record_size) {
  EXPECT_TRUE(run.first_ack_seen) << "the child acknowledged nothing within 30 s";
  EXPECT_TRUE(WIFSIGNALED(run.wait_status) && WTERMSIG(run.wait_status) == SIGKILL)
      << "the child " << DescribeExit(run.wait_status);
  EXPECT_EQ(run.bytes.size() % record_size, 0u) << "a torn pipe record";
}

absl::StatusOr<Observed> OpenAndRead(const std::string& dir) {
  auto db = Database::Open(dir);  // default (durable) options; recovery happens here
  if (!db.ok()) return db.status();
  Collection collection = (*db)->GetCollection(kDbName, kCollectionName);
  auto observed = ReadAll(collection);
  if (observed.ok()) {
    Document command;
    bson_append_utf8(command.mutable_bson(), "validate", -1, kCollectionName, -1);
    bson_append_bool(command.mutable_bson(), "full", -1, true);
    bson_append_utf8(command.mutable_bson(), "$db", -1, kDbName, -1);
    Document reply = (*db)->RunCommand(command.view());
    bson_iter_t it;
    bool namespace_missing = reply.ToJson().find("NamespaceNotFound") != std::string::npos;
    if (!namespace_missing && (!bson_iter_init_find(&it, reply.bson(), "valid") ||
                               !BSON_ITER_HOLDS_BOOL(&it) || !bson_iter_bool(&it))) {
      observed->invalid = reply.ToJson().substr(0, 2000);
    }
    auto indexes = collection.ListIndexes();
    if (indexes.ok()) {
      for (size_t i = 1; i < indexes->size(); ++i) {
        bson_iter_t name;
        if (bson_iter_init_find(&name, (*indexes)[i].bson(), "name")) {
          observed->index_names.emplace_back(bson_iter_utf8(&name, nullptr));
        }
      }
    }
  }
  absl::Status closed = (*db)->Close();
  if (!observed.ok()) return observed.status();
  if (!closed.ok()) return closed;
  return observed;
}

std::string Sample(const std::vector<int64_t>& ids) {
  std::string text;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) text += std::to_string(ids[i]) + " ";
  if (ids.size() > 10) text += "… (" + std::to_string(ids.size()) + ")";
  return text;
}

// The first differences between two id → version states, as "_id: got …, want …".
std::string DiffStates(const std::map<int64_t, int64_t>& got,
                       const std::map<int64_t, int64_t>& want) {
  auto describe = [](const std::map<int64_t, int64_t>& state, int64_t id) {
    auto it = state.find(id);
    return it == state.end() ? std::string("absent") : "v" + std::to_string(it->second);
  };
  std::vector<int64_t> ids;
  for (const auto& [id, version] : got) {
    if (describe(want, id) != describe(got, id)) ids.push_back(id);
  }
  for (const auto& [id, version] : want) {
    if (!got.contains(id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  std::string text;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) {
    text += "_id " + std::to_string(ids[i]) + ": got " + describe(got, ids[i]) + ", want " +
            describe(want, ids[i]) + "; ";
  }
  return text + std::to_string(ids.size()) + " in all";
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = SeedFromEnvironment();
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::cout << "[ crash    ] " << name << " seed=" << seed_
              << " (replay: STRATA_CRASH_SEED=" << seed_ << ")" << std::endl;
    RecordProperty("seed", std::to_string(seed_));
    // Each test draws from its own stream, so a seed replays any one test alone.
    rng_.seed(seed_ ^ Fnv1a(name));
  }

  int Delay() { return std::uniform_int_distribution<int>(5, 60)(rng_); }

  // Insert-only cycles: the kill must lose no acknowledged insert and invent no document.
  void RunInsertCycles(Durability durability, int cycles) {
    SCOPED_TRACE("seed " + std::to_string(seed_));
    std::map<int64_t, int64_t> known;  // every id seen present so far (version 0)
    int64_t total_acked = 0, in_flight_landed = 0;
    for (int cycle = 0; cycle < cycles; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      const int64_t first_id = known.empty() ? 0 : known.rbegin()->first + 1;
      const std::string dir = dir_.path();
      const ChildCommand command =
          MakeChildCommand("insert", dir, durability, static_cast<uint64_t>(first_id));
      ChildRun run = RunAndKill([&](int fd) { ExecChild(command, fd); }, sizeof(int64_t),
                                [](const char*) { return true; }, Delay());
      ExpectKilledAfterAcks(run, sizeof(int64_t));
      std::vector<int64_t> acked(run.bytes.size() / sizeof(int64_t));
      std::memcpy(acked.data(), run.bytes.data(), acked.size() * sizeof(int64_t));
      for (size_t i = 0; i < acked.size(); ++i) {
        ASSERT_EQ(acked[i], first_id + static_cast<int64_t>(i)) << "acks out of order";
      }
      total_acked += static_cast<int64_t>(acked.size());

      auto observed = OpenAndRead(dir);
      ASSERT_OK(observed);
      EXPECT_THAT(observed->corrupt, ::testing::IsEmpty());
      EXPECT_EQ(observed->invalid, "") << "validate after recovery";
      EXPECT_EQ(observed->count, static_cast<int64_t>(observed->versions.size()))
          << "CountDocuments disagrees with the documents after recovery";
      // Acknowledged before this cycle, or now: every one must be there.
      std::vector<int64_t> lost;
      for (const auto& [id, version] : known) {
        if (!observed->versions.contains(id)) lost.push_back(id);
      }
      for (int64_t id : acked) {
        if (!observed->versions.contains(id)) lost.push_back(id);
      }
      EXPECT_TRUE(lost.empty()) << "acknowledged inserts lost: " << Sample(lost);
      // Nothing else, except the one insert in flight when the child died.
      const int64_t in_flight = first_id + static_cast<int64_t>(acked.size());
      std::vector<int64_t> unexpected;
      for (const auto& [id, version] : observed->versions) {
        if (id < first_id) {
          if (!known.contains(id)) unexpected.push_back(id);
        } else if (id > in_flight) {
          unexpected.push_back(id);
        }
        if (version != 0) unexpected.push_back(id);
      }
      EXPECT_TRUE(unexpected.empty()) << "documents nobody wrote: " << Sample(unexpected);
      if (observed->versions.contains(in_flight)) ++in_flight_landed;
      known = std::move(observed->versions);
      if (::testing::Test::HasFailure()) return;
    }
    std::cout << "[ crash    ] " << cycles << " cycles, " << total_acked
              << " acknowledged inserts, " << known.size() << " documents, " << in_flight_landed
              << " unacknowledged in-flight inserts landed" << std::endl;
  }

  // Mixed cycles: inserts, replaces and deletes; after each kill every id is in its last
  // acknowledged state, except the id of the op in flight, which may also be in its new state.
  void RunMixedCycles(Durability durability, int cycles, bool indexed = false) {
    SCOPED_TRACE("seed " + std::to_string(seed_));
    std::map<int64_t, int64_t> known;  // id → version, as recovered after the last cycle
    int64_t total_acked = 0, in_flight_landed = 0;
    int64_t acked_by_op[4] = {0, 0, 0, 0};
    for (int cycle = 0; cycle < cycles; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      const std::string dir = dir_.path();
      const uint64_t child_seed = rng_();
      const ChildCommand command =
          MakeChildCommand(indexed ? "mixed-indexed" : "mixed", dir, durability, child_seed);
      ChildRun run = RunAndKill([&](int fd) { ExecChild(command, fd); }, sizeof(OpRecord),
                                [](const char* bytes) {
                                  OpRecord record;
                                  std::memcpy(&record, bytes, sizeof(record));
                                  return record.phase == Phase::kAck;
                                },
                                Delay());
      ExpectKilledAfterAcks(run, sizeof(OpRecord));
      std::vector<OpRecord> records(run.bytes.size() / sizeof(OpRecord));
      std::memcpy(records.data(), run.bytes.data(), records.size() * sizeof(OpRecord));

      // Replay the log on the recovered state: INTENT, ACK pairs, possibly one last INTENT.
      std::map<int64_t, int64_t> expected = known;
      std::optional<OpRecord> in_flight;
      for (size_t i = 0; i < records.size(); ++i) {
        const OpRecord& record = records[i];
        if (record.phase == Phase::kIntent) {
          ASSERT_FALSE(in_flight.has_value()) << "two INTENTs without an ACK at record " << i;
          in_flight = record;
          continue;
        }
        ASSERT_TRUE(in_flight.has_value() && in_flight->op == record.op &&
                    in_flight->id == record.id && in_flight->version == record.version)
            << "ACK without its INTENT at record " << i;
        in_flight.reset();
        ++total_acked;
        ++acked_by_op[static_cast<int>(record.op)];
        switch (record.op) {
          case Op::kInsert:
            ASSERT_FALSE(expected.contains(record.id)) << "insert of existing " << record.id;
            expected[record.id] = record.version;
            break;
          case Op::kReplace:
            ASSERT_TRUE(expected.contains(record.id)) << "replace of missing " << record.id;
            expected[record.id] = record.version;
            break;
          case Op::kDelete:
            ASSERT_TRUE(expected.contains(record.id)) << "delete of missing " << record.id;
            expected.erase(record.id);
            break;
        }
      }
      // The state the in-flight op would have produced, when it did land.
      std::map<int64_t, int64_t> alternative = expected;
      if (in_flight.has_value()) {
        if (in_flight->op == Op::kDelete) {
          alternative.erase(in_flight->id);
        } else {
          alternative[in_flight->id] = in_flight->version;
        }
      }

      auto observed = OpenAndRead(dir);
      ASSERT_OK(observed);
      EXPECT_THAT(observed->corrupt, ::testing::IsEmpty());
      EXPECT_EQ(observed->invalid, "") << "validate after recovery";
      EXPECT_EQ(observed->count, static_cast<int64_t>(observed->versions.size()))
          << "CountDocuments disagrees with the documents after recovery";
      if (observed->versions != expected) {
        EXPECT_TRUE(observed->versions == alternative)
            << "neither the last acknowledged state nor that state with the in-flight op "
            << (in_flight.has_value() ? "(op " + std::to_string(static_cast<int>(in_flight->op)) +
                                            " on _id " + std::to_string(in_flight->id) + ")"
                                      : "(nothing was in flight)")
            << "; differences from the acknowledged state: "
            << DiffStates(observed->versions, expected);
        if (in_flight.has_value() && observed->versions == alternative) ++in_flight_landed;
      }
      known = std::move(observed->versions);
      if (::testing::Test::HasFailure()) return;
    }
    std::cout << "[ crash    ] " << cycles << " cycles, " << total_acked
              << " acknowledged ops (insert " << acked_by_op[1] << ", replace " << acked_by_op[2]
              << ", delete " << acked_by_op[3] << "), " << known.size() << " documents, "
              << in_flight_landed << " unacknowledged in-flight ops landed" << std::endl;
  }

  TempDir dir_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// The child side of every crash cycle (see ExecChild); skipped when run by ctest directly.
TEST(CrashChild, Run) {
  const char* kind = std::getenv("STRATA_CRASH_CHILD");
  if (kind == nullptr) GTEST_SKIP() << "only runs as a crash-test child";
  const std::string dir = std::getenv("STRATA_CRASH_DIR");
  const Durability durability = std::string(std::getenv("STRATA_CRASH_DURABLE")) == "1"
                                    ? Durability::kDurable
                                    : Durability::kRelaxed;
  const uint64_t arg = std::strtoull(std::getenv("STRATA_CRASH_ARG"), nullptr, 10);
  if (std::string(kind) == "insert") {
    InsertWriter(dir, durability, static_cast<int64_t>(arg), kChildPipeFd);
  }
  if (std::string(kind) == "build") IndexBuildWriter(dir, arg, kChildPipeFd);
  MixedWriter(dir, durability, arg, kChildPipeFd, std::string(kind) == "mixed-indexed");
}

TEST_F(CrashTest, DurableInsertsSurviveKill9) {
  RunInsertCycles(Durability::kDurable, CyclesFromEnvironment(25));
}

TEST_F(CrashTest, DurableReplacesAndDeletesSurviveKill9) {
  RunMixedCycles(Durability::kDurable, CyclesFromEnvironment(25));
}

// The same with three secondary indexes: after each kill, validate finds every index entry
// exactly as the recovered documents imply (document and entries commit as one write).
TEST_F(CrashTest, IndexedWritesSurviveKill9WithConsistentIndexes) {
  RunMixedCycles(Durability::kDurable, std::max(1, CyclesFromEnvironment(25) * 2 / 5),
                 /*indexed=*/true);
}

// kill -9 during index builds: after recovery the documents are intact, a half-built index
// never survives (it is dropped on open), and validate is clean.
TEST_F(CrashTest, KilledIndexBuildLeavesNoHalfBuiltIndex) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  constexpr uint64_t kDocuments = 20000;
  const int cycles = std::max(1, CyclesFromEnvironment(25) * 2 / 5);
  int with_index = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    const ChildCommand command =
        MakeChildCommand("build", dir_.path(), Durability::kRelaxed, kDocuments);
    ChildRun run = RunAndKill([&](int fd) { ExecChild(command, fd); }, 1,
                              [](const char*) { return true; }, Delay());
    ExpectKilledAfterAcks(run, 1);
    auto observed = OpenAndRead(dir_.path());
    ASSERT_OK(observed);
    EXPECT_THAT(observed->corrupt, ::testing::IsEmpty());
    EXPECT_EQ(observed->versions.size(), kDocuments);
    EXPECT_EQ(observed->invalid, "") << "validate after recovery";
    EXPECT_LE(observed->index_names.size(), 1u);
    with_index += observed->index_names.empty() ? 0 : 1;
    if (::testing::Test::HasFailure()) return;
  }
  std::cout << "[ crash    ] " << cycles << " index-build cycles, " << with_index
            << " recovered with the finished index" << std::endl;
}

// kRelaxed skips the fsync, but the WAL write itself happens before acknowledgement, so a
// process crash (not a power loss) loses nothing acknowledged either.
TEST_F(CrashTest, RelaxedInsertsSurviveKill9) {
  RunInsertCycles(Durability::kRelaxed, std::max(1, CyclesFromEnvironment(25) * 2 / 5));
}

TEST_F(CrashTest, RelaxedReplacesAndDeletesSurviveKill9) {
  RunMixedCycles(Durability::kRelaxed, std::max(1, CyclesFromEnvironment(25) * 2 / 5));
}

}  // namespace
}  // namespace strata
