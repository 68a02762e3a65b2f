// The kill -9 crash loop with an expected-state log (tests/support/crash_workload.h).
//
// Each cycle execs a child (this binary, CrashLoopChild.Run) that opens the data directory and
// runs the seeded random workload on three indexed collections, logging BEGIN/ACK lines with
// the full intended document values to a log file it fdatasyncs. The parent SIGKILLs it at a
// random moment (now and then before its first operation, i.e. during open and recovery),
// reopens the directory and checks: every acknowledged operation is visible, every document
// equals its last acknowledged value or the in-flight operation's value, the indexes likewise,
// `validate` is clean on every collection, no unique value appears twice, counts agree.
//
// What each durability mode promises against kill -9 (a process crash, the OS survives):
//   kDurable: every acknowledged operation survives.
//   kRelaxed: the same. The WAL record is written to the OS (write(2)) before the write is
//     acknowledged, only the fsync is skipped, and a process crash loses nothing the OS has.
//     (What relaxed mode may lose on power loss is checked by power_cut_test.cc.)
// So both modes are checked with the same rule, with no slack.
//
// Seeds: the run's seed is printed; STRATA_CRASH_SEED=<seed> replays it (the kill moments are
// timing-dependent, the workload is not). STRATA_CRASH_LOOP_CYCLES sets the kills per test
// (default 110 durable + 90 relaxed); STRATA_CRASH_LOOP_SECONDS=<n> instead runs each test for
// n seconds (the long mode: hours).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "strata/database.h"
#include "strata/options.h"
#include "tests/support/crash_workload.h"
#include "tests/support/test_util.h"

extern char** environ;

namespace strata {
namespace {

using ::strata::testing::RunProcess;
using ::strata::testing::TempDir;

uint64_t SeedFromEnvironment() {
  if (const char* text = std::getenv("STRATA_CRASH_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 0);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoll(text, nullptr, 10) : fallback;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Forks and execs this binary as the workload child; returns its pid. The environment is ours
// plus `extra` (built before fork: only async-signal-safe calls in the child).
pid_t SpawnChild(const std::vector<std::string>& extra) {
  std::vector<std::string> strings = {"/proc/self/exe", "--gtest_filter=CrashLoopChild.Run"};
  std::vector<char*> argv = {strings[0].data(), strings[1].data(), nullptr};
  std::vector<std::string> env_strings = extra;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);  // gtest's chatter; stderr stays for the child's complaints
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::string DescribeWait(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

// The child: open, run the workload until killed. Exit 3 = open failed, 4 = workload failed.
TEST(CrashLoopChild, Run) {
  const char* dir = std::getenv("STRATA_LOOP_DIR");
  if (dir == nullptr) GTEST_SKIP() << "only runs as a crash-loop child";
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  alarm(120);
  DatabaseOptions options;
  options.durability =
      EnvInt("STRATA_LOOP_DURABLE", 1) == 1 ? Durability::kDurable : Durability::kRelaxed;
  options.ttl_monitor_interval_seconds = 0;
  options.auto_analyze = false;  // no background analysis: deterministic writes
  // Small index-build batches, so builds have many phases to be killed between.
  options.index_build_memory_bytes =
      static_cast<size_t>(EnvInt("STRATA_LOOP_INDEX_MEMORY", 64 << 20));
  auto db = Database::Open(dir, options);
  if (!db.ok()) {
    std::fprintf(stderr, "child: open failed: %s\n", db.status().ToString().c_str());
    _exit(3);
  }
  const std::string log = std::getenv("STRATA_LOOP_LOG");
  testing::WorkloadOptions workload;
  workload.seed = std::strtoull(std::getenv("STRATA_LOOP_SEED"), nullptr, 10);
  workload.first_seq = testing::LastLogSeq(log) + 1;
  workload.max_ops = EnvInt("STRATA_LOOP_MAX_OPS", -1);
  workload.fsync_log = EnvInt("STRATA_LOOP_LOG_FSYNC", 1) == 1;
  auto done = testing::RunWorkload(**db, log, workload);
  if (!done.ok()) {
    std::fprintf(stderr, "child: workload failed: %s\n", done.status().ToString().c_str());
    _exit(4);
  }
  _exit(0);  // max_ops reached (kill point tests): exit without closing, like a crash
}

// The parent side: cycles of spawn, kill, reopen, check. The expected state carries over.
class CrashLoop {
 public:
  CrashLoop(uint64_t seed, Durability durability) : rng_(seed), durability_(durability) {}

  // One cycle. `extra_env` goes to the child. With `self_kill` the child must SIGKILL itself
  // (a kill point) instead of being killed by us.
  void Cycle(const std::vector<std::string>& extra_env = {}, bool self_kill = false) {
    // A torn last line (the child died inside write(2)) would glue onto the next child's.
    if (truncate(log_.c_str(), static_cast<off_t>(offset_)) != 0 && errno != ENOENT) {
      ADD_FAILURE() << "truncate log: " << std::strerror(errno);
    }
    std::vector<std::string> env = {
        "STRATA_LOOP_DIR=" + dir_.path() + "/db", "STRATA_LOOP_LOG=" + log_,
        std::string("STRATA_LOOP_DURABLE=") + (durability_ == Durability::kDurable ? "1" : "0"),
        "STRATA_LOOP_SEED=" + std::to_string(rng_())};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = SpawnChild(env);
    ASSERT_GT(pid, 0);
    int status = 0;
    if (self_kill) {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the kill point was not reached: the child " << DescribeWait(status);
    } else {
      // Mostly: wait for the first logged operation, then a random while. Sometimes: kill
      // early, during open and recovery.
      const bool early = rng_() % 10 == 0;
      bool exited = false;
      if (!early) {
        while (FileSize(log_) <= offset_ &&
               std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
          if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      if (!exited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(rng_() % (early ? 40 : 120)));
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
      }
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child " << DescribeWait(status);
    }
    ++kills_;
    Check();
  }

  // Starts a child, waits until it has logged an operation, runs `while_running(db dir)`,
  // then SIGKILLs the child and checks as Cycle does (the reopen proves the lock was freed).
  template <typename Fn>
  void CycleWhileRunning(Fn while_running) {
    if (truncate(log_.c_str(), static_cast<off_t>(offset_)) != 0 && errno != ENOENT) {
      ADD_FAILURE() << "truncate log: " << std::strerror(errno);
    }
    const pid_t pid =
        SpawnChild({"STRATA_LOOP_DIR=" + dir_.path() + "/db", "STRATA_LOOP_LOG=" + log_,
                    "STRATA_LOOP_DURABLE=1", "STRATA_LOOP_SEED=" + std::to_string(rng_())});
    ASSERT_GT(pid, 0);
    const auto start = std::chrono::steady_clock::now();
    while (FileSize(log_) <= offset_ &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    while_running(dir_.path() + "/db");
    int status = 0;
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child " << DescribeWait(status);
    ++kills_;
    Check();
  }

  std::string dir() const { return dir_.path() + "/db"; }

  // Reads the new log records, reopens the directory and compares.
  void Check() {
    uint64_t end = 0;
    auto records = testing::ReadLog(log_, offset_, &end);
    ASSERT_TRUE(records.ok()) << records.status();
    offset_ = end;
    std::optional<testing::LogRecord> in_flight;
    for (const testing::LogRecord& record : *records) {
      if (record.acked) {
        testing::ApplyRecord(record, &expected_);
        ++acked_;
      } else {
        in_flight = record;
      }
    }
    auto db = Database::Open(dir_.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    auto observed = testing::ReadWorkloadState(**db);
    ASSERT_TRUE(observed.ok()) << observed.status();
    EXPECT_THAT(observed->problems, ::testing::IsEmpty());
    std::vector<std::string> differences =
        testing::CompareWorkloadState(observed->state, expected_, in_flight);
    EXPECT_THAT(differences, ::testing::IsEmpty()) << "after kill " << kills_;
    if (in_flight.has_value() && !(observed->state == expected_)) ++in_flight_landed_;
    EXPECT_OK((*db)->Close());
    expected_ = std::move(observed->state);
  }

  std::string Summary() const {
    size_t docs = 0;
    for (const auto& collection : expected_.docs) docs += collection.size();
    return std::to_string(kills_) + " kills, " + std::to_string(acked_) +
           " acknowledged operations, " + std::to_string(in_flight_landed_) +
           " in-flight operations landed, " + std::to_string(docs) + " documents at the end";
  }
  int64_t kills() const { return kills_; }

 private:
  TempDir dir_;
  const std::string log_ = dir_.path() + "/expected.log";
  std::mt19937_64 rng_;
  const Durability durability_;
  uint64_t offset_ = 0;
  testing::WorkloadState expected_;
  int64_t kills_ = 0, acked_ = 0, in_flight_landed_ = 0;
};

void RunLoop(Durability durability, int64_t default_cycles) {
  const uint64_t seed = SeedFromEnvironment();
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::cout << "[ crash    ] " << name << " seed=" << seed << " (replay: STRATA_CRASH_SEED=" << seed
            << ")" << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  CrashLoop loop(seed, durability);
  const int64_t seconds = EnvInt("STRATA_CRASH_LOOP_SECONDS", 0);
  const int64_t cycles = EnvInt("STRATA_CRASH_LOOP_CYCLES", default_cycles);
  const auto start = std::chrono::steady_clock::now();
  while (seconds > 0 ? std::chrono::steady_clock::now() - start < std::chrono::seconds(seconds)
                     : loop.kills() < cycles) {
    loop.Cycle();
    if (::testing::Test::HasFailure()) break;
    if (seconds > 0 && loop.kills() % 100 == 0) std::cout << loop.Summary() << std::endl;
  }
  std::cout << "[ crash    ] " << name << ": " << loop.Summary() << std::endl;
}

// Kill points (base/kill_point.h): the child runs the workload with STRATA_KILL_POINT set and
// SIGKILLs itself at the n-th pass of one named point; the same checks follow, and an index
// whose build was cut short is either complete (validate checks every ready index's entries)
// or absent after reopen, never listed half-built.
TEST(CrashLoop, KillPoints) {
  const uint64_t seed = SeedFromEnvironment();
  std::cout << "[ crash    ] KillPoints seed=" << seed << " (replay: STRATA_CRASH_SEED=" << seed
            << ")" << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  CrashLoop loop(seed, Durability::kDurable);
  const char* points[] = {
      "write.before_commit",       "write.after_commit",     "batch.before_write",
      "catalog.create_collection", "catalog.set_indexes",    "catalog.allocate_index_id",
      "catalog.drop_collection",   "index_build.registered", "index_build.after_batch",
      "index_build.before_ready",  "index_build.after_ready"};
  const int rounds = static_cast<int>(EnvInt("STRATA_KILL_POINT_ROUNDS", 2));
  int fired = 0;
  for (int round = 0; round < rounds; ++round) {
    for (const char* point : points) {
      SCOPED_TRACE(point);
      // The first pass of a point is often at startup; later passes land mid-workload.
      const int n = round == 0 ? 1 : 2 + static_cast<int>(rng() % 3);
      loop.Cycle({"STRATA_KILL_POINT=" + std::string(point) + ":" + std::to_string(n),
                  "STRATA_LOOP_MAX_OPS=3000", "STRATA_LOOP_INDEX_MEMORY=4096",
                  // kill -9 keeps what write(2) gave the OS: no need to sync the log.
                  "STRATA_LOOP_LOG_FSYNC=0"},
                 /*self_kill=*/true);
      if (::testing::Test::HasFailure()) return;
      ++fired;
    }
  }
  std::cout << "[ crash    ] KillPoints: " << fired << " kill points fired; " << loop.Summary()
            << std::endl;
}

// Two processes: while a child writes, a second writer (this process) gets "locked by
// another process" (RocksDB's LOCK file, fcntl-locked); once the child is SIGKILLed the kernel
// releases its lock and the directory opens, with every acknowledged write in it.
TEST(CrashLoop, SecondWriterIsLockedOutAndAKilledHoldersLockIsReleased) {
  const uint64_t seed = SeedFromEnvironment();
  CrashLoop loop(seed, Durability::kDurable);
  loop.Cycle();  // creates the directory and some data
  ASSERT_FALSE(::testing::Test::HasFailure());
  loop.CycleWhileRunning([](const std::string& dir) {
    auto second = Database::Open(dir);
    ASSERT_FALSE(second.ok()) << "a second writer opened a directory another process has open";
    EXPECT_THAT(second.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          ::testing::HasSubstr("locked by another process")));
  });
}

// Dump and export from another process while a writer runs: they fail at once with a clear
// "locked by another process" (they open the directory read-write, as the writer does), exit
// non-zero, and leave no output file under its final name; once the writer is gone, both work.
TEST(CrashLoop, DumpAndExportFromAnotherProcessFailClearlyWhileAWriterRuns) {
  const uint64_t seed = SeedFromEnvironment();
  CrashLoop loop(seed, Durability::kDurable);
  loop.Cycle();
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string cli = STRATA_CLI_PATH;
  std::string out_base;
  loop.CycleWhileRunning([&](const std::string& dir) {
    out_base = dir + ".out";
    auto dumped = RunProcess({cli, "dump", "--db", dir, "--out", out_base + "/dump"});
    EXPECT_NE(dumped.exit_code, 0);
    EXPECT_THAT(dumped.stderr_text, ::testing::HasSubstr("locked by another process"));
    auto exported = RunProcess({cli, "export", "--db", dir, "--database", "loop", "--collection",
                                "c0", "--out", out_base + "/c0.json"});
    EXPECT_NE(exported.exit_code, 0);
    EXPECT_THAT(exported.stderr_text, ::testing::HasSubstr("locked by another process"));
    EXPECT_FALSE(std::filesystem::exists(out_base + "/c0.json"));
    EXPECT_FALSE(std::filesystem::exists(out_base + "/c0.json.partial"));
  });
  ASSERT_FALSE(::testing::Test::HasFailure());
  // The writer was killed: the lock is released and both tools work.
  auto dumped =
      RunProcess({cli, "dump", "--db", loop.dir(), "--out", out_base + "/dump", "--quiet"});
  EXPECT_EQ(dumped.exit_code, 0) << dumped.stderr_text;
  auto exported = RunProcess({cli, "export", "--db", loop.dir(), "--database", "loop",
                              "--collection", "c0", "--out", out_base + "/c0.json"});
  EXPECT_EQ(exported.exit_code, 0) << exported.stderr_text;
  EXPECT_TRUE(std::filesystem::exists(out_base + "/c0.json"));
}

TEST(CrashLoop, DurableKill9Loop) { RunLoop(Durability::kDurable, 110); }

TEST(CrashLoop, RelaxedKill9Loop) { RunLoop(Durability::kRelaxed, 90); }

}  // namespace
}  // namespace strata
