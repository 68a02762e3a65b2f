#include "db/index_builder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/record_store.h"
#include "engine/rocks_status.h"
#include "index/index_key_layout.h"

namespace strata::db {
namespace {

// Bookkeeping bytes per buffered entry (two std::strings and the vector slot).
constexpr size_t kEntryOverhead = 2 * sizeof(std::string);
constexpr absl::Duration kProgressInterval = absl::Seconds(1);

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

absl::Status IndexBuilder::Build(const CollectionIndexes& indexes,
                                 const std::vector<const CompiledIndex*>& targets) {
  stats_ = {};
  if (targets.empty()) return absl::OkStatus();
  const engine::CollectionInfo& collection = indexes.collection();
  std::shared_ptr<engine::Snapshot> snapshot = engine_->GetSnapshot();
  ASSIGN_OR_RETURN(engine::CollectionStats collection_stats,
                   engine::ReadCollectionStats(*engine_, collection.id, snapshot.get()));
  std::vector<Pending> pending;
  for (const CompiledIndex* index : targets) {
    pending.push_back(Pending{index, {}, index::MultikeyPaths(index->spec().num_key_parts())});
  }
  size_t buffered_bytes = 0;
  absl::Time last_report = absl::Now();
  engine::RecordIterator records(*engine_, snapshot, collection.id);
  for (records.SeekToFirst(); records.Valid(); records.Next()) {
    DocumentView doc = ViewOf(records.value());
    absl::string_view id_key = records.id_key();
    for (Pending& target : pending) {
      ASSIGN_OR_RETURN(index::IndexKeys keys, target.index->Generate(doc));
      index::MergeMultikeyPaths(keys.multikey_paths, &target.multikey);
      for (size_t k = 0; k < keys.keys.size(); ++k) {
        const std::string& key = keys.keys[k];
        std::string entry = index::IndexEntryKey(target.index->format(), key, id_key);
        std::string value = index::IndexEntryValue(
            target.index->format(), id_key,
            k < keys.key_types.size() ? absl::string_view(keys.key_types[k]) : "");
        buffered_bytes += entry.size() + value.size() + kEntryOverhead;
        target.entries.emplace_back(std::move(entry), std::move(value));
      }
    }
    ++stats_.documents;
    if (buffered_bytes >= memory_budget_) {
      RETURN_IF_ERROR(Flush(indexes, *snapshot, &pending));
      buffered_bytes = 0;
    }
    if (progress_ && absl::Now() - last_report >= kProgressInterval) {
      Report(indexes, pending, collection_stats.count, false);
      last_report = absl::Now();
    }
  }
  RETURN_IF_ERROR(records.status());
  RETURN_IF_ERROR(Flush(indexes, *snapshot, &pending));

  // The counters and multikey paths of the new indexes, in one write.
  rocksdb::WriteBatch batch;
  for (Pending& target : pending) {
    const index::IndexId id = target.index->id();
    RETURN_IF_ERROR(engine::FromRocks(
        batch.Merge(engine_->catalog(), engine::IndexStatsKey(id),
                    engine::EncodeStatsDelta(target.written, target.written_bytes)),
        "building index statistics"));
    target.index->multikey_state().Widen(target.multikey);
    target.index->multikey_state().NotePersisted(target.multikey);
    bool multikey = std::any_of(target.multikey.begin(), target.multikey.end(),
                                [](const auto& part) { return !part.empty(); });
    if (multikey) {
      Document record = EncodeMultikeyPaths(target.multikey);
      RETURN_IF_ERROR(engine::FromRocks(
          batch.Put(engine_->catalog(), engine::MultikeyPathsKey(id),
                    rocksdb::Slice(reinterpret_cast<const char*>(record.data()), record.size())),
          "recording multikey paths"));
    }
  }
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "finishing an index build"));
  if (progress_) Report(indexes, pending, stats_.documents, true);
  return absl::OkStatus();
}

absl::Status IndexBuilder::Flush(const CollectionIndexes& indexes, const engine::Snapshot& snapshot,
                                 std::vector<Pending>* pending) {
  for (Pending& target : *pending) {
    if (target.entries.empty()) continue;
    std::sort(target.entries.begin(), target.entries.end());
    if (target.index->format().unique) RETURN_IF_ERROR(CheckUnique(indexes, snapshot, target));
    // One atomic batch of sorted entries (see the header for why a build need not be one).
    rocksdb::WriteBatch batch;
    for (const auto& [entry, value] : target.entries) {
      RETURN_IF_ERROR(engine::FromRocks(batch.Put(engine_->indexes(), entry, value),
                                        "building an index batch"));
      ++target.written;
      target.written_bytes += static_cast<int64_t>(entry.size() + value.size());
    }
    RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "writing index entries"));
    MaybeKill("index_build.after_batch");
    stats_.keys += static_cast<int64_t>(target.entries.size());
    ++stats_.batches;
    target.entries.clear();
    target.entries.shrink_to_fit();
  }
  return absl::OkStatus();
}

absl::Status IndexBuilder::CheckUnique(const CollectionIndexes& indexes,
                                       const engine::Snapshot& snapshot, Pending& target) {
  // A unique index's entry key is its probe key: equal neighbours are duplicates, and an
  // entry already on disk came from an earlier batch.
  const size_t prefix = index::kIndexIdSize;
  for (size_t i = 0; i < target.entries.size(); ++i) {
    const auto& [entry, value] = target.entries[i];
    ASSIGN_OR_RETURN(const absl::string_view id_key,
                     index::UniqueEntryIdKey(target.index->format(), value));
    if (i > 0 && target.entries[i - 1].first == entry) {
      return DuplicateError(indexes, snapshot, *target.index,
                            absl::string_view(entry).substr(prefix), id_key);
    }
    std::string existing;
    rocksdb::Status s =
        engine_->db()->Get(rocksdb::ReadOptions(), engine_->indexes(), entry, &existing);
    if (s.ok()) {
      return DuplicateError(indexes, snapshot, *target.index,
                            absl::string_view(entry).substr(prefix), id_key);
    }
    if (!s.IsNotFound()) return engine::FromRocks(s, "checking a unique index key");
  }
  return absl::OkStatus();
}

absl::Status IndexBuilder::DuplicateError(const CollectionIndexes& indexes,
                                          const engine::Snapshot& snapshot,
                                          const CompiledIndex& index, absl::string_view key,
                                          absl::string_view id_key) {
  engine::RecordStore records(engine_);
  ASSIGN_OR_RETURN(std::optional<std::string> doc,
                   records.Get(snapshot, indexes.collection().id, id_key));
  if (!doc.has_value()) return absl::DataLossError("an indexed document vanished during a build");
  ASSIGN_OR_RETURN(Document values,
                   index.generator().KeyValues(ViewOf(*doc), key, index.partial_filter()));
  return index::DuplicateKeyError(indexes.collection().ns, index.spec(), values.view());
}

void IndexBuilder::Report(const CollectionIndexes& indexes, const std::vector<Pending>& pending,
                          int64_t total, bool done) {
  std::string names;
  for (const Pending& target : pending) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", target.index->name());
  }
  int64_t percent = total > 0 ? std::min<int64_t>(100, stats_.documents * 100 / total) : 100;
  std::string line =
      absl::StrCat("Index build: ", indexes.collection().ns, " ", names, ": ", stats_.documents,
                   "/", std::max(total, stats_.documents), " documents (", done ? 100 : percent,
                   "%), ", stats_.keys, " keys", done ? ", done" : "");
  progress_(std::string_view(line));
}

}  // namespace strata::db
