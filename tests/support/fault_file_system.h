// FaultFileSystem: a rocksdb::FileSystemWrapper (public API only) over the OS's file system
// that (1) remembers what was made durable, to simulate a power cut, and (2) fails chosen
// operations, to sweep I/O errors.
//
// Durability model (as RocksDB's own FaultInjectionTestFS, which Debian does not ship):
//   - a file's bytes are durable up to its size at its last Sync/Fsync (RangeSync does not
//     count);
//   - a file's creation, and a rename, are durable once its directory is fsynced afterwards;
//   - files that existed before this object saw them are durable as they are.
// PowerCut() makes every later file operation fail (the machine is "off"); after the database
// is destroyed, DropUnsyncedData() rewinds the real files to the durable state: it truncates
// every file to its synced size, deletes files whose creation was not made durable, and undoes
// renames that were not (restoring the overwritten target's old bytes).
//
// Fault injection: Arm(kind, nth, code, persistent) makes the nth later operation of `kind`
// (counted over all files) fail with IOError or NoSpace; persistent faults keep failing every
// later operation of that kind until Disarm().
// Thread safety: thread-safe (RocksDB calls it from its background threads).
#ifndef STRATA_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_
#define STRATA_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_

#include <rocksdb/file_system.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strata::testing {

enum class FaultKind { kAppend, kSync, kRename };
enum class FaultCode { kIOError, kNoSpace };

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "StrataFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // --- power cuts
  // From now on every write, sync, rename, create and delete fails.
  void PowerCut();
  // Rewinds the files to their durable state (see the file comment) and turns the power back
  // on, forgetting every record. Call after the database using this object is destroyed.
  void DropUnsyncedData();
  // Makes the power cut happen by itself at the nth later mutating operation (append, sync,
  // rename, create, delete), which then fails. 0 disarms.
  void PowerCutAfter(int64_t nth);
  bool power_off() const;

  // --- fault injection
  void Arm(FaultKind kind, int64_t nth, FaultCode code, bool persistent);
  void Disarm();
  // Faults injected so far (0 when the armed one has not fired yet), and the file of the first.
  int64_t faults_injected() const;
  std::string first_fault_file() const;
  int64_t operations(FaultKind kind) const;

  // --- the wrapped operations
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  // Called by the file wrappers.
  rocksdb::IOStatus BeforeOperation(FaultKind kind, const std::string& file);
  void Appended(const std::string& file, uint64_t new_size);
  void Synced(const std::string& file, uint64_t size);
  void DirectorySynced(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  // A directory change not yet made durable by an fsync of the directory.
  struct DirectoryChange {
    enum Kind { kCreate, kRename } kind;
    std::string path;                        // created file, or rename target
    std::string from;                        // rename source
    std::optional<std::string> overwritten;  // the target's old bytes (rename over a file)
  };
  rocksdb::IOStatus PowerOffError() const;
  rocksdb::IOStatus CheckPower(const std::string& file) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteCreated(const std::string& file) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool power_off_ ABSL_GUARDED_BY(mu_) = false;
  int64_t cut_countdown_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<DirectoryChange>> pending_ ABSL_GUARDED_BY(mu_);
  // Fault injection.
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  FaultKind fault_kind_ ABSL_GUARDED_BY(mu_) = FaultKind::kAppend;
  int64_t fault_countdown_ ABSL_GUARDED_BY(mu_) = 0;
  FaultCode fault_code_ ABSL_GUARDED_BY(mu_) = FaultCode::kIOError;
  bool persistent_ ABSL_GUARDED_BY(mu_) = false;
  int64_t faults_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_fault_file_ ABSL_GUARDED_BY(mu_);
  int64_t counts_[3] ABSL_GUARDED_BY(mu_) = {0, 0, 0};
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_
