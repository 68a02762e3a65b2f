// StatsRefresher: keeps the planner's index statistics (analyze_collection.h) fresh without
// anyone running `analyze`, as PostgreSQL's autoanalyze does.
//
// The rule (AnalysisStale): a collection's analysis is stale when the documents modified since
// it — inserts, updates and deletes — exceed kStaleShare (10 %) of the documents it saw plus
// kStaleMinimum (1 000); an index never analyzed counts as analyzed at 0 documents (so a
// collection is first analyzed once it has more than 1 000 documents or writes). The
// modifications are counted cheaply (ModificationsSinceAnalysis): the larger of the engine's
// in-memory write counter since the analysis (engine::ChangeCounters; since the database
// opened when the analysis is older than that) and the drift of the persistent document
// counter from the count the analysis stored. A stale analysis is not used by the planner
// (it dives instead) until the new one is stored.
//
// Who asks: the planner's statistics lookup (PlannerIndexes) tells the caller the analysis is
// stale, and DatabaseImpl::PlanQuery calls Request — off the hot path: Request only queues the
// collection id under a short mutex and returns. One background thread runs the queued
// analyses one at a time (AnalyzeCollection: a snapshot scan of every ready index and one
// unlocked catalog write), so no write ever waits for it and no row lock is taken. A failed
// analysis is not retried for kRetryDelay.
//
// Lifetime: the thread starts in the constructor; Stop (also the destructor) cancels a running
// analysis at its next check (AnalyzeOptions::cancel), drops the queue and joins the thread.
// DatabaseImpl::Close stops it before closing the engine. DatabaseOptions::auto_analyze = false
// creates none (the crash and fault-injection tests, whose write counts must stay
// deterministic, turn it off).
//
// Thread safety: every method may be called from any thread.
#ifndef STRATA_DB_STATS_REFRESHER_H_
#define STRATA_DB_STATS_REFRESHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/change_counters.h"
#include "engine/key_layout.h"

namespace strata::db {

class DatabaseImpl;

inline constexpr double kStaleShare = 0.10;
inline constexpr int64_t kStaleMinimum = 1000;

// Documents modified since the analysis (see the file comment): max(writes since it,
// |documents_now - analyzed_documents|).
int64_t ModificationsSinceAnalysis(const engine::CollectionChanges& changes, int64_t documents_now,
                                   int64_t analyzed_documents);
// modifications > kStaleShare × analyzed_documents + kStaleMinimum.
bool AnalysisStale(int64_t modifications, int64_t analyzed_documents);

class StatsRefresher {
 public:
  static constexpr absl::Duration kRetryDelay = absl::Seconds(30);

  // Starts the thread. `db` must outlive the refresher (or Stop must be called first).
  explicit StatsRefresher(DatabaseImpl* db);
  ~StatsRefresher() { Stop(); }
  StatsRefresher(const StatsRefresher&) = delete;
  StatsRefresher& operator=(const StatsRefresher&) = delete;

  // Queues an analysis of collection `id` unless one is queued or running, a failed one is
  // less than kRetryDelay old, or the refresher is stopping. Never waits for an analysis.
  void Request(engine::CollectionId id);
  // Cancels the running analysis, forgets the queue, joins the thread. Idempotent.
  void Stop();
  // Blocks until nothing is queued or running (tests), or the refresher stops.
  void WaitIdle();

  int64_t completed() const { return completed_.load(); }  // analyses stored
  int64_t failed() const { return failed_.load(); }        // failed or cancelled analyses

 private:
  void Run();

  DatabaseImpl* const db_;
  std::atomic<bool> cancel_{false};
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> failed_{0};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;  // an analysis is in progress
  std::deque<engine::CollectionId> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<engine::CollectionId> queued_ ABSL_GUARDED_BY(mu_);  // queue_ + running
  absl::flat_hash_map<engine::CollectionId, absl::Time> failed_at_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace strata::db

#endif  // STRATA_DB_STATS_REFRESHER_H_
