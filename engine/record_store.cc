#include "engine/record_store.h"

#include "absl/strings/string_view.h"
#include "engine/collection_stats.h"
#include "engine/rocks_status.h"

namespace strata::engine {

absl::StatusOr<std::optional<std::string>> RecordStore::Get(const Snapshot& snapshot,
                                                            CollectionId id,
                                                            absl::string_view id_key) const {
  std::string value;
  rocksdb::Status s = engine_->db()->Get(snapshot.ReadOptions(), engine_->documents(),
                                         RecordKey(id, id_key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading a document");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<std::string>> RecordStore::GetForUpdate(
    WriteTransaction& txn, CollectionId id, absl::string_view id_key) const {
  return txn.GetForUpdate(engine_->documents(), RecordKey(id, id_key));
}

absl::Status RecordStore::Put(WriteTransaction& txn, CollectionId id, absl::string_view id_key,
                              absl::string_view bson, std::optional<size_t> old_size) const {
  absl::Status s = txn.Put(engine_->documents(), RecordKey(id, id_key), bson);
  if (!s.ok()) return s;
  int64_t count_delta = old_size.has_value() ? 0 : 1;
  int64_t bytes_delta =
      static_cast<int64_t>(bson.size()) - static_cast<int64_t>(old_size.value_or(0));
  txn.AddStatsDelta(id, count_delta, bytes_delta);
  return absl::OkStatus();
}

absl::Status RecordStore::Remove(WriteTransaction& txn, CollectionId id, absl::string_view id_key,
                                 size_t old_size) const {
  absl::Status s = txn.Delete(engine_->documents(), RecordKey(id, id_key));
  if (!s.ok()) return s;
  txn.AddStatsDelta(id, -1, -static_cast<int64_t>(old_size));
  return absl::OkStatus();
}

RecordIterator::RecordIterator(const StorageEngine& engine, std::shared_ptr<Snapshot> snapshot,
                               CollectionId id)
    : snapshot_(std::move(snapshot)),
      lower_(CollectionPrefix(id)),
      upper_(CollectionPrefix(id + 1)) {
  rocksdb::ReadOptions read = snapshot_->ReadOptions();
  lower_slice_ = rocksdb::Slice(lower_);
  upper_slice_ = rocksdb::Slice(upper_);
  read.iterate_lower_bound = &lower_slice_;
  read.iterate_upper_bound = &upper_slice_;
  it_.reset(engine.db()->NewIterator(read, engine.documents()));
}

void RecordIterator::Seek(absl::string_view id_key) { it_->Seek(lower_ + std::string(id_key)); }

void RecordIterator::SeekToFirst() { it_->Seek(lower_); }

// The bounds keep SeekToLast inside this collection's prefix.
void RecordIterator::SeekToLast() { it_->SeekToLast(); }

absl::Status RecordIterator::status() const {
  return FromRocks(it_->status(), "scanning documents");
}

}  // namespace strata::engine
