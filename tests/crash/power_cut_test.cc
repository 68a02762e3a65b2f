// Simulated power loss (tests/support/fault_file_system.h): the crash workload runs on a
// database whose file system cuts the power at a random file operation (sometimes during open
// and recovery); everything RocksDB had not made durable (unsynced bytes, file creations and
// renames whose directory was not fsynced) is dropped; the directory is reopened and checked.
//
// What each durability mode promises against a power cut:
//   kDurable: every acknowledged operation survives (the in-flight one may or may not).
//   kRelaxed: the recovered state is the state after an exact prefix of the operations, in
//     order (no holes: an operation never survives when an earlier one is lost), possibly
//     followed by the in-flight one; everything acknowledged before a clean Close survives
//     (Close syncs the WAL).
// Memtables are tiny (64 KiB), so flushes, SST files, MANIFEST updates and compactions happen
// within a cycle and are cut too.
//
// STRATA_CRASH_SEED replays; STRATA_POWER_CUTS sets the cuts per test (default 40 / 30).
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "db/internal/database_test_access.h"
#include "strata/database.h"
#include "tests/support/crash_workload.h"
#include "tests/support/fault_file_system.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::FaultFileSystem;
using ::strata::testing::TempDir;

uint64_t Seed() {
  if (const char* text = std::getenv("STRATA_CRASH_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 0);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

int Cuts(int fallback) {
  const char* text = std::getenv("STRATA_POWER_CUTS");
  return text != nullptr && *text != '\0' ? std::atoi(text) : fallback;
}

class PowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::cout << "[ crash    ] " << name << " seed=" << seed_
              << " (replay: STRATA_CRASH_SEED=" << seed_ << ")" << std::endl;
    rng_.seed(seed_);
    hooks_.file_system = fs_;
    hooks_.write_buffer_bytes = 64 << 10;
    options_.ttl_monitor_interval_seconds = 0;
    options_.auto_analyze = false;  // no background analysis: deterministic writes
  }

  absl::StatusOr<std::unique_ptr<Database>> OpenFaulty() {
    return db::DatabaseTestAccess::Open(db_path_, options_, hooks_);
  }

  // Runs up to `max_ops` workload operations on the faulty file system; returns how many
  // were acknowledged. Stops at the first failure (the power cut).
  int64_t RunOps(Database& db, int64_t max_ops) {
    testing::WorkloadOptions workload;
    workload.seed = rng_();
    workload.max_ops = max_ops;
    workload.fsync_log = false;  // the log is on the real file system: the cut spares it
    workload.first_seq = testing::LastLogSeq(log_) + 1;
    workload.keep_going = [this](int64_t) { return !fs_->power_off(); };
    auto done = testing::RunWorkload(db, log_, workload);
    return done.ok() ? *done : -1;
  }

  // The log records since the last check: the acknowledged ones, and the one in flight.
  void NewRecords(std::vector<testing::LogRecord>* acked,
                  std::optional<testing::LogRecord>* in_flight) {
    uint64_t end = 0;
    auto records = testing::ReadLog(log_, offset_, &end);
    ASSERT_TRUE(records.ok()) << records.status();
    offset_ = end;
    for (testing::LogRecord& record : *records) {
      if (record.acked) {
        acked->push_back(std::move(record));
      } else {
        *in_flight = std::move(record);
      }
    }
  }

  // Reopens on the real file system; returns the observed state after the generic checks.
  std::optional<testing::WorkloadState> Recover() {
    auto db = Database::Open(db_path_);
    EXPECT_TRUE(db.ok()) << "reopen after a power cut: " << db.status();
    if (!db.ok()) return std::nullopt;
    auto observed = testing::ReadWorkloadState(**db);
    EXPECT_TRUE(observed.ok()) << observed.status();
    if (!observed.ok()) return std::nullopt;
    EXPECT_THAT(observed->problems, ::testing::IsEmpty());
    EXPECT_OK((*db)->Close());
    return std::move(observed->state);
  }

  // One cycle: open, run, the power goes at a random file operation (or after the run), the
  // unsynced data is dropped.
  void CutCycle(int64_t max_ops, int64_t max_file_ops) {
    // The first cycle's cut may hit the creation of the directory itself (made atomic by
    // engine/data_directory_creation.h): the next open must still succeed.
    fs_->PowerCutAfter(1 + static_cast<int64_t>(rng_() % max_file_ops));
    {
      auto db = OpenFaulty();
      if (db.ok()) RunOps(**db, max_ops);
      fs_->PowerCut();
    }  // destroyed with the power off: its Close fails and writes nothing
    fs_->DropUnsyncedData();
    ++cuts_;
  }

  std::shared_ptr<FaultFileSystem> fs_ = std::make_shared<FaultFileSystem>();
  engine::StorageHooks hooks_;
  DatabaseOptions options_;
  TempDir dir_;
  std::string db_path_ = dir_.path() + "/db";
  const std::string log_ = dir_.path() + "/expected.log";
  uint64_t offset_ = 0;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  int64_t cuts_ = 0;
};

TEST_F(PowerCutTest, DurableKeepsEveryAcknowledgedWrite) {
  options_.durability = Durability::kDurable;
  testing::WorkloadState expected;
  int64_t acked_total = 0;
  const int cuts = Cuts(40);
  for (int cycle = 0; cycle < cuts; ++cycle) {
    SCOPED_TRACE("seed " + std::to_string(seed_) + ", cut " + std::to_string(cycle));
    CutCycle(150, 600);
    std::vector<testing::LogRecord> acked;
    std::optional<testing::LogRecord> in_flight;
    NewRecords(&acked, &in_flight);
    for (const testing::LogRecord& record : acked) testing::ApplyRecord(record, &expected);
    acked_total += static_cast<int64_t>(acked.size());
    std::optional<testing::WorkloadState> observed = Recover();
    ASSERT_TRUE(observed.has_value());
    EXPECT_THAT(testing::CompareWorkloadState(*observed, expected, in_flight),
                ::testing::IsEmpty());
    if (HasFailure()) return;
    expected = std::move(*observed);
  }
  std::cout << "[ crash    ] " << cuts_ << " power cuts, " << acked_total
            << " acknowledged operations, none lost" << std::endl;
}

TEST_F(PowerCutTest, RelaxedRecoversAnExactPrefix) {
  options_.durability = Durability::kRelaxed;
  testing::WorkloadState expected;
  int64_t acked_total = 0, lost_total = 0;
  const int cuts = Cuts(30);
  for (int cycle = 0; cycle < cuts; ++cycle) {
    SCOPED_TRACE("seed " + std::to_string(seed_) + ", cut " + std::to_string(cycle));
    // Long enough runs that memtables flush (which syncs the WALs before it) now and then.
    CutCycle(600, 2000);
    std::vector<testing::LogRecord> acked;
    std::optional<testing::LogRecord> in_flight;
    NewRecords(&acked, &in_flight);
    acked_total += static_cast<int64_t>(acked.size());
    std::optional<testing::WorkloadState> observed = Recover();
    ASSERT_TRUE(observed.has_value());
    // Which prefix is it? prefix[k] = the state after the first k acknowledged operations.
    testing::WorkloadState prefix = expected;
    std::optional<size_t> matched;
    for (size_t k = 0;; ++k) {
      if (*observed == prefix) matched = k;
      if (k == acked.size()) break;
      testing::ApplyRecord(acked[k], &prefix);
    }
    if (!matched.has_value() && in_flight.has_value()) {
      testing::ApplyRecord(*in_flight, &prefix);
      if (*observed == prefix) matched = acked.size();
    }
    EXPECT_TRUE(matched.has_value())
        << "not a prefix of the operations; against all acknowledged ones: "
        << ::testing::PrintToString(testing::CompareWorkloadState(*observed, prefix, in_flight));
    if (HasFailure()) return;
    lost_total += static_cast<int64_t>(acked.size() - std::min(*matched, acked.size()));
    if (std::getenv("STRATA_POWER_CUT_VERBOSE"))
      std::cout << "cut " << cycle << ": " << *matched << "/" << acked.size() << std::endl;
    expected = std::move(*observed);
  }
  std::cout << "[ crash    ] " << cuts_ << " power cuts, " << acked_total
            << " acknowledged operations, " << lost_total
            << " lost as relaxed mode allows (always a suffix)" << std::endl;
}

// A power cut at every file operation of a new directory's creation (and of the first writes
// after it): the directory always opens again, with every acknowledged write, never "missing a
// column family" (creation is bracketed by a marker: engine/data_directory_creation.h).
TEST_F(PowerCutTest, PowerCutDuringCreationLeavesADirectoryThatOpens) {
  options_.durability = Durability::kDurable;
  int64_t reopened_fresh = 0;
  for (int64_t nth = 1; nth <= 80; ++nth) {
    SCOPED_TRACE("power cut at file operation " + std::to_string(nth));
    db_path_ = dir_.path() + "/db" + std::to_string(nth);
    fs_->PowerCutAfter(nth);
    {
      auto db = OpenFaulty();
      if (db.ok()) RunOps(**db, 5);
      fs_->PowerCut();
    }
    fs_->DropUnsyncedData();
    std::vector<testing::LogRecord> acked;
    std::optional<testing::LogRecord> in_flight;
    NewRecords(&acked, &in_flight);
    testing::WorkloadState expected;
    for (const testing::LogRecord& record : acked) testing::ApplyRecord(record, &expected);
    if (std::filesystem::exists(db_path_ + "/STRATA_CREATING")) ++reopened_fresh;
    std::optional<testing::WorkloadState> observed = Recover();
    ASSERT_TRUE(observed.has_value());
    EXPECT_THAT(testing::CompareWorkloadState(*observed, expected, in_flight),
                ::testing::IsEmpty());
    EXPECT_FALSE(std::filesystem::exists(db_path_ + "/STRATA_CREATING"));
    if (HasFailure()) return;
  }
  // The sweep must have hit creation itself, not only the writes after it.
  EXPECT_GT(reopened_fresh, 0);
  std::cout << "[ crash    ] 80 power cuts around creation, " << reopened_fresh
            << " interrupted creations started over" << std::endl;
}

// Relaxed-mode writes acknowledged before a clean Close survive a power cut right after it:
// Close syncs the WAL (RocksDB's own Close does not).
TEST_F(PowerCutTest, CloseSyncsTheWal) {
  options_.durability = Durability::kRelaxed;
  testing::WorkloadState expected;
  for (int cycle = 0; cycle < 5; ++cycle) {
    SCOPED_TRACE("seed " + std::to_string(seed_) + ", cycle " + std::to_string(cycle));
    {
      auto db = OpenFaulty();
      ASSERT_OK(db);
      // At least the 40 asked for: re-creating a dropped collection's base indexes adds
      // acknowledged operations of its own.
      ASSERT_GE(RunOps(**db, 40), 40);
      ASSERT_OK((*db)->Close());
      fs_->PowerCut();
    }
    fs_->DropUnsyncedData();
    std::vector<testing::LogRecord> acked;
    std::optional<testing::LogRecord> in_flight;
    NewRecords(&acked, &in_flight);
    ASSERT_FALSE(in_flight.has_value());
    for (const testing::LogRecord& record : acked) testing::ApplyRecord(record, &expected);
    std::optional<testing::WorkloadState> observed = Recover();
    ASSERT_TRUE(observed.has_value());
    EXPECT_THAT(testing::CompareWorkloadState(*observed, expected, std::nullopt),
                ::testing::IsEmpty());
  }
}

}  // namespace
}  // namespace strata
