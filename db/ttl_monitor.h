// TTL: documents expired by TTL indexes ({expireAfterSeconds: n} on a date field) are removed,
// with their index entries, by a background thread, as MongoDB's TTL monitor does.
//
// A document expires when some date its TTL index holds for it (the earliest, for an array of
// dates) is at least expireAfterSeconds in the past. Documents whose field is missing or not a
// date never expire. Only ready, single-field TTL indexes count (MongoDB ignores the option on
// compound indexes). Partial TTL indexes expire only the documents they index.
//
// ExpireDocuments is one pass: for each TTL index, an index scan over the dates up to
// now - expireAfterSeconds finds the candidates on a snapshot; each is re-read under its row
// lock and removed only if it still expires (a concurrent update may have moved its date), in
// transactions of bounded size, each one atomic and durable like any delete.
//
// TtlMonitor runs ExpireDocuments every `interval` on its own thread until destroyed or
// stopped. Thread safety: ExpireDocuments is thread-safe (DatabaseImpl's write rules apply);
// TtlMonitor's methods may be called from any thread.
#ifndef STRATA_DB_TTL_MONITOR_H_
#define STRATA_DB_TTL_MONITOR_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata::db {

class DatabaseImpl;

class TtlMonitor {
 public:
  // Starts the thread. `db` must outlive the monitor (or Stop must be called first).
  TtlMonitor(DatabaseImpl* db, absl::Duration interval);
  ~TtlMonitor() { Stop(); }
  TtlMonitor(const TtlMonitor&) = delete;
  TtlMonitor& operator=(const TtlMonitor&) = delete;

  // Stops the thread after its current pass. Idempotent.
  void Stop();

  int64_t passes() const { return passes_.load(); }
  int64_t deleted() const { return deleted_.load(); }

 private:
  void Run();

  DatabaseImpl* const db_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> passes_{0};
  std::atomic<int64_t> deleted_{0};
  std::thread thread_;
};

}  // namespace strata::db

#endif  // STRATA_DB_TTL_MONITOR_H_
