#include "engine/data_directory_creation.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/rocks_status.h"

namespace strata::engine {
namespace {

std::string MarkerPath(const std::string& path) { return path + "/" + kCreationMarker; }

// Makes the directory's entries (a created or deleted marker) durable.
rocksdb::IOStatus SyncDirectory(rocksdb::FileSystem& fs, const std::string& path) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  rocksdb::IOStatus s = fs.NewDirectory(path, rocksdb::IOOptions(), &dir, nullptr);
  if (!s.ok()) return s;
  s = dir->Fsync(rocksdb::IOOptions(), nullptr);
  if (!s.ok()) return s;
  return dir->Close(rocksdb::IOOptions(), nullptr);
}

}  // namespace

bool CreationWasInterrupted(rocksdb::FileSystem& fs, const std::string& path) {
  return fs.FileExists(MarkerPath(path), rocksdb::IOOptions(), nullptr).ok();
}

absl::Status BeginCreation(rocksdb::FileSystem& fs, const std::string& path) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s =
      fs.NewWritableFile(MarkerPath(path), rocksdb::FileOptions(), &file, nullptr);
  if (s.ok()) {
    s = file->Append(
        "a Strata data directory is being created; if this file survives, the "
        "creation was interrupted and is started over\n",
        rocksdb::IOOptions(), nullptr);
  }
  if (s.ok()) s = file->Sync(rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = file->Close(rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = SyncDirectory(fs, path);
  return FromRocks(s, absl::StrCat("creating the data directory ", path));
}

absl::Status FinishCreation(rocksdb::FileSystem& fs, const std::string& path) {
  rocksdb::IOStatus s = fs.DeleteFile(MarkerPath(path), rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = SyncDirectory(fs, path);
  return FromRocks(s, absl::StrCat("finishing the creation of ", path));
}

absl::Status DiscardInterruptedCreation(rocksdb::Env* env, const std::string& path) {
  rocksdb::Options options;
  options.env = env;
  rocksdb::Status s = rocksdb::DestroyDB(path, options);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", path, " is locked by another process (", s.ToString(), ")"));
    }
    return FromRocks(s, absl::StrCat("discarding the interrupted creation of ", path));
  }
  // The marker stays: the creation that follows rewrites it and removes it at its end.
  return absl::OkStatus();
}

}  // namespace strata::engine
