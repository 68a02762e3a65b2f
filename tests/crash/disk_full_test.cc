// Disk full for real: the data directory lives on a small tmpfs (mounted by the test, which
// needs root; when tmpfs cannot be mounted, a loop-mounted ext4 image; when neither works the
// test is SKIPPED and says so loudly). Documents are inserted until the file system is full:
//   - every failing insert reports a typed "disk full" error (kResourceExhausted), never a
//     crash; the test fills until five inserts in a row fail;
//   - after space is freed (a ballast file on the same file system is deleted) the SAME handle
//     writes again (the engine resumes RocksDB before the next write) — or, when the disk
//     filled up inside a write to the WAL, the handle refuses writes until it is reopened;
//   - after closing and reopening, every acknowledged insert is there and validate is clean.
// And a dump to a full disk fails with the system's "No space left" and leaves no file under
// its final name (files are written as `.partial` and renamed once whole).
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "db/internal/database_test_access.h"
#include "strata/database.h"
#include "tests/support/test_util.h"

namespace strata {
namespace {

using ::strata::testing::RunProcess;
using ::strata::testing::TempDir;

// A small file system mounted for the test's life. `how` says what was mounted, or why not.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(const std::string& base) : mount_point_(base + "/mnt") {
    std::filesystem::create_directories(mount_point_);
    if (mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=24m") == 0) {
      mounted_ = true;
      how_ = "tmpfs (24 MiB)";
      return;
    }
    const std::string tmpfs_error = std::strerror(errno);
    const std::string image = base + "/ext4.img";
    {
      std::ofstream out(image, std::ios::binary);
      out.seekp((32 << 20) - 1);
      out.put('\0');
    }
    auto mkfs = RunProcess({"/usr/sbin/mkfs.ext4", "-q", "-F", image});
    auto mounted = mkfs.exit_code == 0
                       ? RunProcess({"/usr/bin/mount", "-o", "loop", image, mount_point_})
                       : mkfs;
    if (mounted.exit_code == 0) {
      mounted_ = true;
      how_ = "loop-mounted ext4 (32 MiB)";
      return;
    }
    how_ = "cannot mount tmpfs (" + tmpfs_error + ") nor a loop ext4 image (" +
           mounted.stderr_text + ")";
  }
  ~SmallFileSystem() {
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& how() const { return how_; }
  const std::string& path() const { return mount_point_; }

 private:
  std::string mount_point_;
  bool mounted_ = false;
  std::string how_;
};

// {_id: i, payload: <3 KiB of incompressible bytes>}.
Document BigDoc(int64_t id, std::mt19937_64& rng) {
  std::string payload(3072, '\0');
  for (char& c : payload) c = static_cast<char>(rng());
  Document doc;
  bson_append_int64(doc.mutable_bson(), "_id", 3, id);
  bson_append_binary(doc.mutable_bson(), "payload", 7, BSON_SUBTYPE_BINARY,
                     reinterpret_cast<const uint8_t*>(payload.data()),
                     static_cast<uint32_t>(payload.size()));
  return doc;
}

TEST(DiskFull, TypedErrorNothingLostWritesWorkAfterSpaceIsFreed) {
  TempDir dir;
  SmallFileSystem fs(dir.path());
  if (!fs.mounted()) {
    std::cerr << "*** DISK-FULL TEST NOT RUN: " << fs.how() << " (run as root)" << std::endl;
    GTEST_SKIP() << "disk-full test NOT RUN: " << fs.how();
  }
  std::cout << "[ diskfull ] on " << fs.how() << std::endl;
  // A ballast file to delete once the disk is full.
  const std::string ballast = fs.path() + "/ballast";
  {
    std::ofstream out(ballast, std::ios::binary);
    std::string block(1 << 20, 'b');
    for (int i = 0; i < 6; ++i) out << block;
  }
  DatabaseOptions options;
  options.ttl_monitor_interval_seconds = 0;
  options.auto_analyze = false;  // no background analysis: deterministic writes
  options.compression = false;
  engine::StorageHooks hooks;
  hooks.write_buffer_bytes = 1 << 20;  // flushes and compactions need disk too
  const std::string path = fs.path() + "/db";
  std::mt19937_64 rng(7);
  std::set<int64_t> acked;
  int64_t next_id = 0, failures = 0;
  {
    auto db = db::DatabaseTestAccess::Open(path, options, hooks);
    ASSERT_OK(db);
    Collection docs = (*db)->GetCollection("full", "docs");
    // Fill until five inserts in a row fail. (RocksDB deletes the SST file whose flush failed,
    // so a write after a failure may succeed again for a while: the disk is full only when
    // nothing fits any more.) Every failure must be the typed "disk full" error; a failed
    // insert may or may not have landed, as any write that reported an error.
    int consecutive = 0;
    absl::Status first_failure;
    while (consecutive < 5 && next_id < 200000) {
      const int64_t id = next_id++;
      absl::Status status = docs.InsertOne(BigDoc(id, rng).view()).status();
      if (status.ok()) {
        acked.insert(id);
        consecutive = 0;
        continue;
      }
      if (first_failure.ok()) first_failure = status;
      ++failures;
      ++consecutive;
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted,
                                   ::testing::HasSubstr("disk full")));
    }
    ASSERT_EQ(consecutive, 5) << "the disk never filled up";
    std::cout << "[ diskfull ] " << acked.size() << " inserts acknowledged, " << failures
              << " refused; the first: " << first_failure << std::endl;
    // Free space: the same handle writes again (the first write after may still find the
    // database stopped, and resume it) — unless the disk filled up inside a write to the WAL
    // itself: then the handle refuses every write, typed, until it is reopened (RocksDB would
    // keep using the WAL writer that failed; engine/storage_engine.h), and the reopened one
    // writes.
    std::filesystem::remove(ballast);
    absl::Status status = docs.InsertOne(BigDoc(next_id, rng).view()).status();
    if (status.ok()) acked.insert(next_id);
    ++next_id;
    if (!status.ok()) {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
      status = docs.InsertOne(BigDoc(next_id, rng).view()).status();
      if (status.ok()) acked.insert(next_id);
      ++next_id;
    }
    std::unique_ptr<Database> reopened;
    if (!status.ok() && absl::StrContains(status.message(), "until it is reopened")) {
      std::cout << "[ diskfull ] the disk filled up inside a WAL write: reopening" << std::endl;
      (*db)->Close().IgnoreError();
      db->reset();
      auto again = db::DatabaseTestAccess::Open(path, options, hooks);
      ASSERT_OK(again);
      reopened = std::move(*again);
      docs = reopened->GetCollection("full", "docs");
      status = docs.InsertOne(BigDoc(next_id, rng).view()).status();
      if (status.ok()) acked.insert(next_id);
      ++next_id;
    } else {
      std::cout << "[ diskfull ] the same handle writes again" << std::endl;
    }
    ASSERT_OK(status) << "no write succeeds after space was freed";
    for (int i = 0; i < 50; ++i) {
      ASSERT_OK(docs.InsertOne(BigDoc(next_id, rng).view()));
      acked.insert(next_id++);
    }
    EXPECT_OK(reopened != nullptr ? reopened->Close() : (*db)->Close());
  }
  // Reopen: every acknowledged insert is there.
  auto db = Database::Open(path);
  ASSERT_OK(db);
  Collection docs = (*db)->GetCollection("full", "docs");
  std::set<int64_t> found;
  {
    auto cursor = docs.Find(DocumentView());
    ASSERT_OK(cursor);
    while (true) {
      auto next = cursor->Next();
      ASSERT_OK(next);
      if (!next->has_value()) break;
      bson_iter_t id;
      ASSERT_TRUE(bson_iter_init_find(&id, (*next)->bson(), "_id"));
      found.insert(bson_iter_int64(&id));
    }
  }
  for (int64_t id : acked) {
    ASSERT_TRUE(found.contains(id)) << "acknowledged insert " << id << " lost";
  }
  Document reply =
      (*db)->RunCommand(testing::Json(R"({"validate": "docs", "$db": "full"})").view());
  bson_iter_t valid;
  EXPECT_TRUE(bson_iter_init_find(&valid, reply.bson(), "valid") && BSON_ITER_HOLDS_BOOL(&valid) &&
              bson_iter_bool(&valid))
      << reply.ToJson();
  std::cout << "[ diskfull ] " << acked.size() << " acknowledged inserts, none lost" << std::endl;
  EXPECT_OK((*db)->Close());
}

TEST(DiskFull, DumpToAFullDiskFailsWithoutAFileThatLooksWhole) {
  TempDir dir;
  SmallFileSystem small(dir.path());
  if (!small.mounted()) {
    std::cerr << "*** DISK-FULL TEST NOT RUN: " << small.how() << " (run as root)" << std::endl;
    GTEST_SKIP() << "disk-full test NOT RUN: " << small.how();
  }
  // ~3 MiB of incompressible documents in a database on the ordinary disk.
  {
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_OK(db);
    Collection docs = (*db)->GetCollection("test", "c");
    std::mt19937_64 rng(11);
    for (int64_t i = 0; i < 1000; ++i) ASSERT_OK(docs.InsertOne(BigDoc(i, rng).view()));
    ASSERT_OK((*db)->Close());
  }
  // Leave about 1 MiB free on the small file system.
  struct statvfs stats;
  ASSERT_EQ(statvfs(small.path().c_str(), &stats), 0);
  const uint64_t free_bytes = static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
  const std::string ballast = small.path() + "/ballast";
  {
    std::ofstream out(ballast, std::ios::binary);
    std::string block(1 << 16, 'b');
    for (uint64_t written = 0; written + (1 << 20) < free_bytes; written += block.size()) {
      out << block;
    }
  }
  const std::string out = small.path() + "/dump";
  auto failed = RunProcess({STRATA_CLI_PATH, "dump", "--db", dir.Sub("db"), "--out", out});
  EXPECT_EQ(failed.exit_code, 1) << failed.stderr_text;
  EXPECT_THAT(failed.stderr_text, ::testing::HasSubstr("No space left on device"));
  // Nothing under a final name, and the partial file was removed.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    EXPECT_FALSE(entry.is_regular_file()) << entry.path() << " left behind by a failed dump";
  }
  // With the space back, the same dump completes.
  std::filesystem::remove(ballast);
  auto dumped = RunProcess({STRATA_CLI_PATH, "dump", "--db", dir.Sub("db"), "--out", out});
  EXPECT_EQ(dumped.exit_code, 0) << dumped.stderr_text;
  EXPECT_TRUE(std::filesystem::exists(out + "/test/c.bson"));
  EXPECT_TRUE(std::filesystem::exists(out + "/test/c.metadata.json"));
  EXPECT_GT(std::filesystem::file_size(out + "/test/c.bson"), 3000u * 1000u);
}

}  // namespace
}  // namespace strata
