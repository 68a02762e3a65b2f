#include "tests/support/fault_file_system.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace strata::testing {
namespace {

std::string Normalize(const std::string& path) {
  std::string normal = std::filesystem::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

std::string DirectoryOf(const std::string& file) {
  return std::filesystem::path(Normalize(file)).parent_path().string();
}

std::optional<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A writable file that reports its appends and syncs to the file system.
class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target, std::string name,
                    FaultFileSystem* fs, uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(target)),
        name_(std::move(name)),
        fs_(fs),
        size_(size) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kAppend, name_);
    if (s.ok()) s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->Appended(name_, size_ += data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kAppend, name_);
    if (s.ok()) s = target()->Append(data, options, info, dbg);
    if (s.ok()) fs_->Appended(name_, size_ += data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kAppend, name_);
    if (s.ok()) s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) fs_->Appended(name_, size_ = std::max(size_, offset + data.size()));
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kAppend, name_);
    if (s.ok()) s = target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) fs_->Appended(name_, size_ = std::max(size_, offset + data.size()));
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kAppend, name_);
    if (s.ok()) s = target()->Truncate(size, options, dbg);
    if (s.ok()) fs_->Appended(name_, size_ = size);
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kSync, name_);
    if (s.ok()) s = target()->Sync(options, dbg);
    if (s.ok()) fs_->Synced(name_, size_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kSync, name_);
    if (s.ok()) s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->Synced(name_, size_);
    return s;
  }

 private:
  const std::string name_;
  FaultFileSystem* const fs_;
  uint64_t size_;
};

// A directory whose fsync makes the creations and renames inside it durable.
class FaultDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> target, std::string name,
                 FaultFileSystem* fs)
      : FSDirectoryWrapper(std::move(target)), name_(std::move(name)), fs_(fs) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kSync, name_);
    if (s.ok()) s = FSDirectoryWrapper::Fsync(options, dbg);
    if (s.ok()) fs_->DirectorySynced(name_);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* dbg,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    rocksdb::IOStatus s = fs_->BeforeOperation(FaultKind::kSync, name_);
    if (s.ok()) s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    if (s.ok()) fs_->DirectorySynced(name_);
    return s;
  }

 private:
  const std::string name_;
  FaultFileSystem* const fs_;
};

}  // namespace

void FaultFileSystem::PowerCut() {
  absl::MutexLock lock(&mu_);
  power_off_ = true;
}

bool FaultFileSystem::power_off() const {
  absl::MutexLock lock(&mu_);
  return power_off_;
}

void FaultFileSystem::PowerCutAfter(int64_t nth) {
  absl::MutexLock lock(&mu_);
  cut_countdown_ = nth;
}

void FaultFileSystem::DropUnsyncedData() {
  absl::MutexLock lock(&mu_);
  std::error_code ec;
  for (auto& [dir, changes] : pending_) {
    for (auto change = changes.rbegin(); change != changes.rend(); ++change) {
      if (change->kind == DirectoryChange::kCreate) {
        std::filesystem::remove(change->path, ec);
        files_.erase(change->path);
        continue;
      }
      // Undo a rename: the source gets its file back, the target its old bytes (if any).
      if (std::filesystem::exists(change->path, ec)) {
        std::filesystem::rename(change->path, change->from, ec);
        if (auto state = files_.find(change->path); state != files_.end()) {
          files_[change->from] = state->second;
          files_.erase(change->path);
        }
      }
      if (change->overwritten.has_value()) {
        std::ofstream out(change->path, std::ios::binary | std::ios::trunc);
        out << *change->overwritten;
      }
    }
  }
  for (const auto& [file, state] : files_) {
    if (state.size > state.synced && std::filesystem::exists(file, ec)) {
      std::filesystem::resize_file(file, state.synced, ec);
    }
  }
  files_.clear();
  pending_.clear();
  power_off_ = false;
  cut_countdown_ = 0;
  armed_ = false;
}

void FaultFileSystem::Arm(FaultKind kind, int64_t nth, FaultCode code, bool persistent) {
  absl::MutexLock lock(&mu_);
  armed_ = true;
  fault_kind_ = kind;
  fault_countdown_ = nth;
  fault_code_ = code;
  persistent_ = persistent;
  faults_ = 0;
  first_fault_file_.clear();
}

void FaultFileSystem::Disarm() {
  absl::MutexLock lock(&mu_);
  armed_ = false;
}

int64_t FaultFileSystem::faults_injected() const {
  absl::MutexLock lock(&mu_);
  return faults_;
}

std::string FaultFileSystem::first_fault_file() const {
  absl::MutexLock lock(&mu_);
  return first_fault_file_;
}

int64_t FaultFileSystem::operations(FaultKind kind) const {
  absl::MutexLock lock(&mu_);
  return counts_[static_cast<int>(kind)];
}

rocksdb::IOStatus FaultFileSystem::PowerOffError() const {
  return rocksdb::IOStatus::IOError("injected power cut: the machine is off");
}

rocksdb::IOStatus FaultFileSystem::CheckPower(const std::string& file) {
  if (power_off_) return PowerOffError();
  if (cut_countdown_ > 0 && --cut_countdown_ == 0) {
    power_off_ = true;
    return PowerOffError();
  }
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus FaultFileSystem::BeforeOperation(FaultKind kind, const std::string& file) {
  absl::MutexLock lock(&mu_);
  rocksdb::IOStatus power = CheckPower(file);
  if (!power.ok()) return power;
  ++counts_[static_cast<int>(kind)];
  if (armed_ && kind == fault_kind_) {
    if (fault_countdown_ > 1) {
      --fault_countdown_;
    } else {
      fault_countdown_ = 0;
      if (faults_++ == 0) first_fault_file_ = file;
      if (!persistent_) armed_ = false;
      return fault_code_ == FaultCode::kNoSpace
                 ? rocksdb::IOStatus::NoSpace("injected fault: no space left on device")
                 : rocksdb::IOStatus::IOError("injected fault: input/output error");
    }
  }
  return rocksdb::IOStatus::OK();
}

void FaultFileSystem::Appended(const std::string& file, uint64_t new_size) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[file];
  state.size = new_size;
  state.synced = std::min(state.synced, new_size);
}

void FaultFileSystem::Synced(const std::string& file, uint64_t size) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[file];
  state.size = std::max(state.size, size);
  state.synced = size;
}

void FaultFileSystem::DirectorySynced(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  pending_.erase(Normalize(dir));
}

void FaultFileSystem::NoteCreated(const std::string& file) {
  files_[file] = FileState{};
  pending_[DirectoryOf(file)].push_back(DirectoryChange{DirectoryChange::kCreate, file, "", {}});
}

rocksdb::IOStatus FaultFileSystem::NewWritableFile(const std::string& f,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                   rocksdb::IODebugContext* dbg) {
  const std::string name = Normalize(f);
  {
    absl::MutexLock lock(&mu_);
    rocksdb::IOStatus power = CheckPower(name);
    if (!power.ok()) return power;
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(f, options, &file, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    NoteCreated(name);
  }
  *r = std::make_unique<FaultWritableFile>(std::move(file), name, this, 0);
  return s;
}

rocksdb::IOStatus FaultFileSystem::ReopenWritableFile(const std::string& f,
                                                      const rocksdb::FileOptions& options,
                                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                      rocksdb::IODebugContext* dbg) {
  const std::string name = Normalize(f);
  {
    absl::MutexLock lock(&mu_);
    rocksdb::IOStatus power = CheckPower(name);
    if (!power.ok()) return power;
  }
  std::error_code ec;
  const bool existed = std::filesystem::exists(f, ec);
  uint64_t size = existed ? std::filesystem::file_size(f, ec) : 0;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->ReopenWritableFile(f, options, &file, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    if (!existed) {
      NoteCreated(name);
    } else if (!files_.contains(name)) {
      files_[name] = FileState{size, size};
    }
  }
  *r = std::make_unique<FaultWritableFile>(std::move(file), name, this, size);
  return s;
}

rocksdb::IOStatus FaultFileSystem::ReuseWritableFile(const std::string& f, const std::string& old,
                                                     const rocksdb::FileOptions& options,
                                                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                     rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = RenameFile(old, f, rocksdb::IOOptions(), dbg);
  if (!s.ok()) return s;
  return NewWritableFile(f, options, r, dbg);
}

rocksdb::IOStatus FaultFileSystem::NewDirectory(const std::string& name,
                                                const rocksdb::IOOptions& options,
                                                std::unique_ptr<rocksdb::FSDirectory>* r,
                                                rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  rocksdb::IOStatus s = target()->NewDirectory(name, options, &dir, dbg);
  if (!s.ok()) return s;
  *r = std::make_unique<FaultDirectory>(std::move(dir), Normalize(name), this);
  return s;
}

rocksdb::IOStatus FaultFileSystem::RenameFile(const std::string& src, const std::string& dst,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* dbg) {
  const std::string from = Normalize(src);
  const std::string to = Normalize(dst);
  rocksdb::IOStatus s = BeforeOperation(FaultKind::kRename, to);
  if (!s.ok()) return s;
  std::optional<std::string> overwritten = ReadWhole(to);
  s = target()->RenameFile(src, dst, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (auto state = files_.find(from); state != files_.end()) {
    files_[to] = state->second;
    files_.erase(state);
  } else {
    files_.erase(to);
  }
  pending_[DirectoryOf(to)].push_back(
      DirectoryChange{DirectoryChange::kRename, to, from, std::move(overwritten)});
  return s;
}

rocksdb::IOStatus FaultFileSystem::LinkFile(const std::string& src, const std::string& dst,
                                            const rocksdb::IOOptions& options,
                                            rocksdb::IODebugContext* dbg) {
  const std::string to = Normalize(dst);
  {
    absl::MutexLock lock(&mu_);
    rocksdb::IOStatus power = CheckPower(to);
    if (!power.ok()) return power;
  }
  rocksdb::IOStatus s = target()->LinkFile(src, dst, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  pending_[DirectoryOf(to)].push_back(DirectoryChange{DirectoryChange::kCreate, to, "", {}});
  return s;
}

rocksdb::IOStatus FaultFileSystem::DeleteFile(const std::string& f,
                                              const rocksdb::IOOptions& options,
                                              rocksdb::IODebugContext* dbg) {
  const std::string name = Normalize(f);
  {
    absl::MutexLock lock(&mu_);
    rocksdb::IOStatus power = CheckPower(name);
    if (!power.ok()) return power;
  }
  rocksdb::IOStatus s = target()->DeleteFile(f, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  files_.erase(name);
  // A deletion is treated as durable at once (lenient: a real power cut might bring the file
  // back, which RocksDB tolerates for obsolete files). Its pending creation needs no undo.
  auto& changes = pending_[DirectoryOf(name)];
  std::erase_if(changes, [&](const DirectoryChange& change) {
    return change.kind == DirectoryChange::kCreate && change.path == name;
  });
  return s;
}

}  // namespace strata::testing
