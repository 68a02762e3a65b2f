#include "engine/write_transaction.h"

#include <chrono>
#include <thread>

#include "absl/strings/string_view.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/rocks_status.h"

namespace strata::engine {

WriteTransaction::WriteTransaction(StorageEngine* engine) : engine_(engine) {
  rocksdb::TransactionOptions options;
  options.deadlock_detect = true;
  options.lock_timeout = engine->options().lock_timeout_ms;
  txn_.reset(engine->db()->BeginTransaction(engine->WriteOptions(), options));
}

WriteTransaction::~WriteTransaction() {
  if (!finished_) txn_->Rollback().PermitUncheckedError();
}

absl::StatusOr<std::optional<std::string>> WriteTransaction::GetForUpdate(
    rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
  std::string value;
  rocksdb::Status s = txn_->GetForUpdate(rocksdb::ReadOptions(), cf,
                                         rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading for update");
  return std::optional<std::string>(std::move(value));
}

absl::Status WriteTransaction::Put(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                                   absl::string_view value) {
  return FromRocks(txn_->Put(cf, rocksdb::Slice(key.data(), key.size()),
                             rocksdb::Slice(value.data(), value.size())),
                   "writing");
}

absl::Status WriteTransaction::Delete(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
  return FromRocks(txn_->Delete(cf, rocksdb::Slice(key.data(), key.size())), "deleting");
}

absl::Status WriteTransaction::Merge(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                                     absl::string_view value) {
  return FromRocks(txn_->Merge(cf, rocksdb::Slice(key.data(), key.size()),
                               rocksdb::Slice(value.data(), value.size())),
                   "merging");
}

void WriteTransaction::AddStatsDelta(uint32_t id, int64_t count, int64_t bytes) {
  AddDelta(false, id, count, bytes);
}

void WriteTransaction::AddIndexStatsDelta(uint32_t id, int64_t entries, int64_t bytes) {
  AddDelta(true, id, entries, bytes);
}

void WriteTransaction::AddDelta(bool index, uint32_t id, int64_t count, int64_t bytes) {
  for (PendingDelta& delta : stats_) {
    if (delta.index == index && delta.id == id) {
      delta.count += count;
      delta.bytes += bytes;
      delta.writes += 1;
      return;
    }
  }
  stats_.push_back({index, id, count, bytes, 1});
}

void WriteTransaction::SetSavePoint() {
  txn_->SetSavePoint();
  saved_stats_.push_back(stats_);
}

absl::Status WriteTransaction::RollbackToSavePoint() {
  if (saved_stats_.empty()) return absl::FailedPreconditionError("no savepoint to roll back to");
  RETURN_IF_ERROR(FromRocks(txn_->RollbackToSavePoint(), "rolling back to a savepoint"));
  stats_ = std::move(saved_stats_.back());
  saved_stats_.pop_back();
  return absl::OkStatus();
}

absl::Status WriteTransaction::PopSavePoint() {
  if (saved_stats_.empty()) return absl::FailedPreconditionError("no savepoint to pop");
  RETURN_IF_ERROR(FromRocks(txn_->PopSavePoint(), "popping a savepoint"));
  saved_stats_.pop_back();
  return absl::OkStatus();
}

absl::Status WriteTransaction::Commit() {
  for (const PendingDelta& delta : stats_) {
    if (delta.count == 0 && delta.bytes == 0) continue;  // (its writes are still counted)
    RETURN_IF_ERROR(Merge(engine_->catalog(),
                          delta.index ? IndexStatsKey(delta.id) : StatsKey(delta.id),
                          EncodeStatsDelta(delta.count, delta.bytes)));
  }
  finished_ = true;
  RETURN_IF_ERROR(engine_->ResumeIfStopped());
  MaybeKill("write.before_commit");
  rocksdb::Status s = txn_->Commit();
  engine_->NoteWriteStatus(s);
  RETURN_IF_ERROR(FromRocks(s, "committing"));
  for (const PendingDelta& delta : stats_) {
    if (!delta.index) engine_->change_counters().AddWrites(delta.id, delta.writes);
  }
  MaybeKill("write.after_commit");
  return absl::OkStatus();
}

absl::Status RunWriteTransaction(StorageEngine* engine,
                                 absl::FunctionRef<absl::Status(WriteTransaction&)> body,
                                 int max_attempts) {
  absl::Status status;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    WriteTransaction txn(engine);
    status = body(txn);
    if (status.ok()) status = txn.Commit();
    if (!IsRetryableWriteError(status)) return status;
    // Back off a little so the lock holder can finish.
    std::this_thread::sleep_for(std::chrono::microseconds(50 << std::min(attempt, 8)));
  }
  return status;
}

}  // namespace strata::engine
