// ChangeCounters: per collection, how many document writes this handle has committed, and how
// many times its index statistics were analyzed — the cheap, in-memory activity numbers the
// planner's statistics cache (db/collection_indexes.h) and the automatic `analyze`
// (db/stats_refresher.h) use to decide when what they know has gone stale.
//
// `writes` counts every document insert, replacement/update and delete a committed
// WriteTransaction made (one per engine::RecordStore Put/Remove, i.e. per statistics delta the
// transaction added) plus bulk inserts; it starts at 0 when the database opens (it is not
// persisted: after a restart the persistent document counter's drift stands in for it).
// `analyses` is a generation bumped whenever the collection's stored analyses (or counters)
// change outside the write path (analyze, repair); `writes_at_analysis` is `writes` when the
// newest analysis took its snapshot (-1: no analysis since the database opened).
//
// Thread safety: thread-safe. Add costs one short mutex hold per committed transaction (no
// I/O), so it never makes a writer wait on anything slow.
#ifndef STRATA_ENGINE_CHANGE_COUNTERS_H_
#define STRATA_ENGINE_CHANGE_COUNTERS_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "engine/key_layout.h"

namespace strata::engine {

struct CollectionChanges {
  int64_t writes = 0;
  int64_t analyses = 0;
  int64_t writes_at_analysis = -1;
};

class ChangeCounters {
 public:
  // `count` more committed document writes in collection `id`.
  void AddWrites(CollectionId id, int64_t count);
  // An analysis of `id` whose snapshot was taken when `writes` writes had been counted was
  // stored: bumps the generation.
  void NoteAnalysis(CollectionId id, int64_t writes);
  // The stored statistics of `id` changed some other way (repair): bumps the generation.
  void Invalidate(CollectionId id);
  CollectionChanges Get(CollectionId id) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<CollectionId, CollectionChanges> changes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CHANGE_COUNTERS_H_
