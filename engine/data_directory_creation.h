// Data directory creation, made atomic.
//
// RocksDB creates a new database in several durable steps (MANIFEST, CURRENT, then one
// MANIFEST record per column family). A crash or power cut between them leaves a directory
// that has a CURRENT file but not every column family, which StorageEngine::Open must refuse
// as corruption in a directory that once held data. To tell the two apart, creation is
// bracketed by a marker file:
//
//   BeginCreation   writes `STRATA_CREATING` (synced, directory synced) before RocksDB
//                   creates anything;
//   FinishCreation  removes it (directory synced) once the open succeeded, so before any
//                   write can be acknowledged;
//   CreationWasInterrupted  on the next open: the marker is still there, so the directory
//                   holds no acknowledged data, and DiscardInterruptedCreation wipes the
//                   RocksDB files (rocksdb::DestroyDB, which takes the directory's LOCK and so
//                   fails with "locked" rather than wipe a directory another process has open)
//                   and creation starts over.
//
// Every file operation goes through the given rocksdb::FileSystem (the fault-injecting one in
// power-cut tests), so a simulated power cut drops the marker exactly as it would drop data.
// Thread safety: stateless functions; callers serialize opens of one directory.
#ifndef STRATA_ENGINE_DATA_DIRECTORY_CREATION_H_
#define STRATA_ENGINE_DATA_DIRECTORY_CREATION_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <string>

#include "absl/status/status.h"

namespace strata::engine {

inline constexpr char kCreationMarker[] = "STRATA_CREATING";

// Whether `path` holds the marker of a creation that never finished.
bool CreationWasInterrupted(rocksdb::FileSystem& fs, const std::string& path);

// Writes the marker durably; `path` must exist.
absl::Status BeginCreation(rocksdb::FileSystem& fs, const std::string& path);

// Removes the marker durably.
absl::Status FinishCreation(rocksdb::FileSystem& fs, const std::string& path);

// Deletes the RocksDB files an interrupted creation left; the marker stays until the
// creation that follows finishes.
// kFailedPrecondition "locked by another process" when the directory is open elsewhere.
absl::Status DiscardInterruptedCreation(rocksdb::Env* env, const std::string& path);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_DATA_DIRECTORY_CREATION_H_
