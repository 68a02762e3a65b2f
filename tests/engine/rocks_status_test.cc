// How RocksDB's errors reach users: engine/rocks_status.h maps them to absl codes, and
// base/error_codes.h gives those MongoDB's codes in command replies.
#include "engine/rocks_status.h"

#include <rocksdb/status.h>

#include "base/error_codes.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

TEST(RocksStatusTest, NoSpaceIsDiskFullAndOutOfDiskSpaceInReplies) {
  absl::Status status = FromRocks(rocksdb::Status::NoSpace("write failed"), "inserting");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("disk full"));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("inserting"));
  EXPECT_EQ(ErrorCodeOf(status), ErrorCode::kOutOfDiskSpace);
  EXPECT_EQ(static_cast<int>(ErrorCodeOf(status)), 14031);
  EXPECT_EQ(ErrorCodeName(ErrorCodeOf(status)), "OutOfDiskSpace");
}

TEST(RocksStatusTest, OtherErrorsKeepTheirTypes) {
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("eio"), "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption("bad"), "x").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(FromRocks(rocksdb::Status::Busy(), "x").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorCodeOf(FromRocks(rocksdb::Status::Busy(), "x")), ErrorCode::kWriteConflict);
  EXPECT_OK(FromRocks(rocksdb::Status::OK(), "x"));
}

}  // namespace
}  // namespace strata::engine
