#include "engine/change_counters.h"

namespace strata::engine {

void ChangeCounters::AddWrites(CollectionId id, int64_t count) {
  if (count == 0) return;
  absl::MutexLock lock(&mu_);
  changes_[id].writes += count;
}

void ChangeCounters::NoteAnalysis(CollectionId id, int64_t writes) {
  absl::MutexLock lock(&mu_);
  CollectionChanges& changes = changes_[id];
  changes.analyses += 1;
  changes.writes_at_analysis = writes;
}

void ChangeCounters::Invalidate(CollectionId id) {
  absl::MutexLock lock(&mu_);
  changes_[id].analyses += 1;
}

CollectionChanges ChangeCounters::Get(CollectionId id) const {
  absl::MutexLock lock(&mu_);
  auto it = changes_.find(id);
  return it == changes_.end() ? CollectionChanges{} : it->second;
}

}  // namespace strata::engine
