#include "db/stats_refresher.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "db/analyze_collection.h"
#include "db/database_impl.h"

namespace strata::db {

int64_t ModificationsSinceAnalysis(const engine::CollectionChanges& changes, int64_t documents_now,
                                   int64_t analyzed_documents) {
  const int64_t writes = changes.writes_at_analysis >= 0
                             ? changes.writes - changes.writes_at_analysis
                             : changes.writes;
  return std::max(writes, std::abs(documents_now - analyzed_documents));
}

bool AnalysisStale(int64_t modifications, int64_t analyzed_documents) {
  return static_cast<double>(modifications) >
         kStaleShare * static_cast<double>(analyzed_documents) + static_cast<double>(kStaleMinimum);
}

StatsRefresher::StatsRefresher(DatabaseImpl* db) : db_(db) {
  thread_ = std::thread([this] { Run(); });
}

void StatsRefresher::Request(engine::CollectionId id) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queued_.contains(id)) return;
  auto failed = failed_at_.find(id);
  if (failed != failed_at_.end()) {
    if (absl::Now() - failed->second < kRetryDelay) return;
    failed_at_.erase(failed);
  }
  queued_.insert(id);
  queue_.push_back(id);
}

void StatsRefresher::Stop() {
  cancel_.store(true);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();
  }
  if (thread_.joinable()) thread_.join();
}

void StatsRefresher::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](StatsRefresher* self) {  // called with mu_ held
        return self->stopping_ || (self->queue_.empty() && !self->running_);
      },
      this));
}

void StatsRefresher::Run() {
  while (true) {
    engine::CollectionId id;
    {
      absl::MutexLock lock(&mu_);
      running_ = false;
      mu_.Await(absl::Condition(
          +[](StatsRefresher* self) {  // called with mu_ held
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      running_ = true;
    }
    // The collection as the catalog has it now (it may have been dropped meanwhile).
    engine::CollectionHandle collection;
    for (const engine::CollectionHandle& candidate : db_->catalog().List()) {
      if (candidate->id == id) collection = candidate;
    }
    absl::Status status;
    if (collection != nullptr && !collection->indexes.empty()) {
      absl::StatusOr<std::shared_ptr<const CollectionIndexes>> indexes =
          db_->index_cache().Get(collection);
      status = indexes.status();
      if (indexes.ok()) {
        AnalyzeOptions options;
        options.cancel = &cancel_;
        status = AnalyzeCollection(db_->engine(), db_->catalog(), **indexes, options).status();
      }
    }
    absl::MutexLock lock(&mu_);
    queued_.erase(id);
    if (status.ok()) {
      completed_.fetch_add(1);
    } else {
      failed_.fetch_add(1);
      failed_at_[id] = absl::Now();
    }
  }
}

}  // namespace strata::db
