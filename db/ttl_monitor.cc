#include "db/ttl_monitor.h"

#include <limits>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "db/database_impl.h"
#include "document/key_string.h"
#include "index/index_bounds.h"
#include "query/exec/index_cursor.h"

namespace strata::db {

using query::exec::IndexCursor;
namespace {

// The ascending key string of the date `millis` (ms since the epoch).
std::string DateKeyString(int64_t millis) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_date_time(&doc, "d", 1, millis);
  bson_iter_t it;
  bson_iter_init_find(&it, &doc, "d");
  std::string key = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return key;
}

// Every date at or before `cutoff_millis`, as bounds of a one-field index.
index::IndexBounds ExpiredDates(int64_t cutoff_millis) {
  index::Interval dates;
  dates.low = DateKeyString(std::numeric_limits<int64_t>::min());
  dates.high = DateKeyString(cutoff_millis);
  return index::IndexBounds{{{dates}}};
}

}  // namespace

absl::StatusOr<int64_t> DatabaseImpl::ExpireDocuments(absl::Time now) {
  absl::ReaderMutexLock ddl(&ddl_mu_);
  int64_t deleted = 0;
  for (const engine::CollectionHandle& collection : catalog_->List()) {
    if (collection->indexes.empty()) continue;
    ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes,
                     index_cache_->Get(collection));
    for (const auto& ttl : indexes->all()) {
      std::optional<int32_t> seconds = ttl->spec().expire_after_seconds();
      if (!seconds.has_value() || !ttl->ready() || ttl->spec().num_key_parts() != 1) continue;
      const int64_t cutoff = absl::ToUnixMillis(now - absl::Seconds(*seconds));
      const index::IndexBounds bounds = ExpiredDates(cutoff);
      const std::vector<bool>& descending = ttl->format().descending;
      ASSIGN_OR_RETURN(index::ScanRanges ranges, index::BuildScanRanges(bounds, descending));
      ASSIGN_OR_RETURN(std::unique_ptr<IndexCursor> cursor,
                       IndexCursor::Create(*engine_, engine_->GetSnapshot(), ttl->format(),
                                           std::move(ranges), bounds, /*backward=*/false));
      std::vector<std::string> candidates;
      while (true) {
        ASSIGN_OR_RETURN(std::optional<IndexCursor::Entry> entry, cursor->Next());
        if (!entry.has_value()) break;
        candidates.emplace_back(entry->id_key_string);
      }
      // A multikey document appears once per expired date: remove it once.
      std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
      // Under the row lock: does the current version still hold an expired date?
      auto still_expired = [&](DocumentView doc) {
        absl::StatusOr<index::IndexKeys> keys = ttl->Generate(doc);
        if (!keys.ok()) return false;
        for (const std::string& key : keys->keys) {
          absl::StatusOr<bool> expired = index::KeySatisfiesBounds(bounds, descending, key);
          if (expired.ok() && *expired) return true;
        }
        return false;
      };
      ASSIGN_OR_RETURN(int64_t removed, RemoveRecords(*indexes, candidates, still_expired));
      deleted += removed;
    }
  }
  return deleted;
}

TtlMonitor::TtlMonitor(DatabaseImpl* db, absl::Duration interval)
    : db_(db), interval_(interval), thread_([this] { Run(); }) {}

void TtlMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TtlMonitor::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
      if (stopping_) return;
    }
    // A failed pass (I/O, a collection dropped under it) is retried at the next interval,
    // as MongoDB's monitor does; nothing it did is half-applied (each chunk is atomic).
    absl::StatusOr<int64_t> removed = db_->ExpireDocuments(absl::Now());
    if (removed.ok()) deleted_ += *removed;
    ++passes_;
  }
}

}  // namespace strata::db
