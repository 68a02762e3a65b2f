#include "engine/collection_stats.h"

#include <cstring>

#include "engine/rocks_status.h"

namespace strata::engine {
namespace {

constexpr size_t kStatsSize = 16;

void Put64(int64_t v, char* out) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(u >> (8 * i));
}

int64_t Get64(const char* in) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return static_cast<int64_t>(u);
}

CollectionStats Decode(const rocksdb::Slice& value) {
  if (value.size() != kStatsSize) return {};
  return {Get64(value.data()), Get64(value.data() + 8)};
}

class StatsMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    CollectionStats sum = existing_value != nullptr ? Decode(*existing_value) : CollectionStats{};
    CollectionStats delta = Decode(value);
    *new_value = EncodeStatsDelta(sum.count + delta.count, sum.data_bytes + delta.data_bytes);
    return true;
  }
  const char* Name() const override { return "strata.CollectionStatsAdd"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewStatsMergeOperator() {
  return std::make_shared<StatsMergeOperator>();
}

std::string EncodeStatsDelta(int64_t count, int64_t bytes) {
  std::string out(kStatsSize, '\0');
  Put64(count, out.data());
  Put64(bytes, out.data() + 8);
  return out;
}

namespace {
absl::StatusOr<CollectionStats> ReadCounters(const StorageEngine& engine, const std::string& key,
                                             const Snapshot* snapshot) {
  rocksdb::ReadOptions read =
      snapshot != nullptr ? snapshot->ReadOptions() : rocksdb::ReadOptions();
  std::string value;
  rocksdb::Status s = engine.db()->Get(read, engine.catalog(), key, &value);
  if (s.IsNotFound()) return CollectionStats{};
  if (!s.ok()) return FromRocks(s, "reading statistics");
  return Decode(value);
}
}  // namespace

absl::StatusOr<CollectionStats> ReadCollectionStats(const StorageEngine& engine, CollectionId id,
                                                    const Snapshot* snapshot) {
  return ReadCounters(engine, StatsKey(id), snapshot);
}

absl::StatusOr<CollectionStats> ReadIndexStats(const StorageEngine& engine, IndexId id,
                                               const Snapshot* snapshot) {
  return ReadCounters(engine, IndexStatsKey(id), snapshot);
}

}  // namespace strata::engine
