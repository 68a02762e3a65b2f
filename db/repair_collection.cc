// DatabaseImpl::RepairCollection: `validate` with {repair: true}.
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/database_impl.h"
#include "db/index_builder.h"
#include "document/key_string.h"
#include "document/stored_document.h"
#include "document/validate.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "engine/rocks_status.h"
#include "index/index_key_layout.h"
#include "index/key_types.h"

namespace strata::db {
namespace {

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// What validate calls a valid record (validate_collection.h, step 1).
bool ValidRecord(absl::string_view id_key, absl::string_view bson) {
  if (!document::ValidateBson(ViewOf(bson)).ok()) return false;
  bson_iter_t id;
  return document::FindId(ViewOf(bson), &id) && document::EncodeKeyString(id) == id_key;
}

}  // namespace

absl::StatusOr<RepairResult> DatabaseImpl::RepairCollection(absl::string_view ns) {
  absl::WriterMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound,
                      absl::StrCat("Collection '", ns, "' does not exist to validate."));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes, index_cache_->Get(collection));
  RepairResult result;
  // 1. One write: remove the invalid records, set the counters to what the scan found, and
  // empty every secondary index (entries and entry counters). Writers are excluded (ddl_mu_),
  // so the snapshot is the state the write applies to.
  rocksdb::WriteBatch batch;
  {
    std::shared_ptr<engine::Snapshot> snapshot = engine_->GetSnapshot();
    engine::RecordIterator records(*engine_, snapshot, collection->id);
    int64_t count = 0, bytes = 0;
    for (records.SeekToFirst(); records.Valid(); records.Next()) {
      if (ValidRecord(records.id_key(), records.value())) {
        ++count;
        bytes += static_cast<int64_t>(records.value().size());
        continue;
      }
      ++result.removed_corrupt_records;
      RETURN_IF_ERROR(engine::FromRocks(
          batch.Delete(engine_->documents(), engine::RecordKey(collection->id, records.id_key())),
          "removing a corrupt record"));
    }
    RETURN_IF_ERROR(records.status());
    const std::string stats_key = engine::StatsKey(collection->id);
    RETURN_IF_ERROR(
        engine::FromRocks(batch.Delete(engine_->catalog(), stats_key), "resetting counters"));
    RETURN_IF_ERROR(engine::FromRocks(
        batch.Merge(engine_->catalog(), stats_key, engine::EncodeStatsDelta(count, bytes)),
        "resetting counters"));
    result.records = count;
  }
  std::vector<const CompiledIndex*> targets;
  for (const auto& index : indexes->all()) {
    if (!index->ready()) continue;
    const index::KeyRange range = index::IndexEntryRange(index->id());
    RETURN_IF_ERROR(engine::FromRocks(
        batch.DeleteRange(engine_->indexes(), range.start, range.limit), "emptying an index"));
    RETURN_IF_ERROR(
        engine::FromRocks(batch.Delete(engine_->catalog(), engine::IndexStatsKey(index->id())),
                          "resetting index counters"));
    targets.push_back(index.get());
  }
  // Atomicity/durability: one RocksDB write (durable per the database's mode); the rebuild
  // below is a normal index build of the emptied indexes. A crash between the two leaves ready
  // indexes with missing entries, which validate reports and a new repair fixes.
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "repairing a collection"));
  // 2. The emptied indexes are rebuilt in the current entry format (typed entries,
  // index/key_types.h): an index created before it can then cover queries. The descriptors
  // change only now that the old entries are gone, so no index ever holds entries of another
  // format than its descriptor says.
  bool upgrade = false;
  for (const CompiledIndex* target : targets) {
    upgrade |= target->spec().entry_format() != index::kCurrentEntryFormat;
  }
  if (upgrade) {
    std::vector<engine::IndexEntry> entries;
    for (const engine::IndexEntry& entry : collection->indexes) {
      engine::IndexEntry copy = entry.Clone();
      if (entry.ready) {
        ASSIGN_OR_RETURN(index::IndexSpec spec,
                         index::IndexSpec::FromDescriptor(entry.descriptor.view(), nullptr));
        spec.set_id(entry.id);
        spec.set_entry_format(index::kCurrentEntryFormat);
        copy.descriptor = spec.ToDescriptor();
      }
      entries.push_back(std::move(copy));
    }
    ASSIGN_OR_RETURN(collection, catalog_->SetIndexes(ns, std::move(entries)));
    ASSIGN_OR_RETURN(indexes, index_cache_->Get(collection));
    targets.clear();
    for (const auto& index : indexes->all()) {
      if (index->ready()) targets.push_back(index.get());
    }
  }
  // 3. Rebuild every secondary index from the remaining documents. (Multikey path records are
  // kept: they may only be wider than needed, which validate accepts.)
  IndexBuilder builder(engine_.get(), engine_->options().index_build_memory_bytes, progress_);
  RETURN_IF_ERROR(builder.Build(*indexes, targets));
  // The counters changed outside the write path: the planner's cached statistics reload.
  engine_->change_counters().Invalidate(collection->id);
  result.indexes_rebuilt = static_cast<int64_t>(targets.size());
  return result;
}

}  // namespace strata::db
