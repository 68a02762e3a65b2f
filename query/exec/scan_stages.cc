#include "query/exec/scan_stages.h"

#include <utility>

#include "base/status_macros.h"

namespace strata::query::exec {

// ---- COLLSCAN

absl::StatusOr<StageState> CollectionScanStage::DoWork(StageRow* row) {
  if (done_) return StageState::kEof;
  if (iterator_ == nullptr) {
    iterator_ = std::make_unique<engine::RecordIterator>(*source_.engine, source_.snapshot,
                                                         source_.collection);
    if (backward_) {
      iterator_->SeekToLast();
    } else {
      iterator_->SeekToFirst();
    }
  } else if (backward_) {
    iterator_->Prev();
  } else {
    iterator_->Next();
  }
  if (!iterator_->Valid()) {
    RETURN_IF_ERROR(iterator_->status());
    Release();
    return StageState::kEof;
  }
  ++stats_.docs_examined;
  const absl::string_view doc = iterator_->value();
  ASSIGN_OR_RETURN(bool matches, filter_.Matches(doc));
  if (!matches) return StageState::kNeedTime;
  row->doc = doc;
  row->id_key = iterator_->id_key();
  return StageState::kAdvanced;
}

void CollectionScanStage::Release() {
  done_ = true;
  iterator_.reset();
  source_.snapshot.reset();
  PlanStage::Release();
}

// ---- CLUSTERED_IXSCAN

absl::StatusOr<StageState> ClusteredScanStage::DoWork(StageRow* row) {
  if (done_) return StageState::kEof;
  if (iterator_ == nullptr) {
    iterator_ = std::make_unique<engine::RecordIterator>(*source_.engine, source_.snapshot,
                                                         source_.collection);
  } else if (current_ >= 0) {
    iterator_->Next();
  }
  // Move to the next range when this one is done.
  while (current_ < 0 || !iterator_->Valid() || iterator_->id_key() >= ranges_[current_].limit) {
    RETURN_IF_ERROR(iterator_->status());
    if (++current_ >= static_cast<int>(ranges_.size())) {
      Release();
      return StageState::kEof;
    }
    iterator_->Seek(ranges_[current_].start);
  }
  ++stats_.docs_examined;
  const absl::string_view doc = iterator_->value();
  ASSIGN_OR_RETURN(bool matches, filter_.Matches(doc));
  if (!matches) return StageState::kNeedTime;
  row->doc = doc;
  row->id_key = iterator_->id_key();
  return StageState::kAdvanced;
}

void ClusteredScanStage::Release() {
  done_ = true;
  iterator_.reset();
  source_.snapshot.reset();
  PlanStage::Release();
}

// ---- IDHACK

absl::StatusOr<StageState> IdHackStage::DoWork(StageRow* row) {
  if (done_) {
    Release();
    return StageState::kEof;
  }
  done_ = true;  // one point read at most
  engine::RecordStore store(source_.engine);
  ASSIGN_OR_RETURN(std::optional<std::string> found,
                   store.Get(*source_.snapshot, source_.collection, id_key_));
  if (!found.has_value()) {
    Release();
    return StageState::kEof;
  }
  ++stats_.docs_examined;
  value_ = std::move(*found);
  ASSIGN_OR_RETURN(bool matches, filter_.Matches(value_));
  if (!matches) return StageState::kNeedTime;
  row->doc = value_;
  row->id_key = id_key_;
  return StageState::kAdvanced;
}

void IdHackStage::Release() {
  done_ = true;
  source_.snapshot.reset();
  PlanStage::Release();
}

// ---- IXSCAN / COUNT_SCAN

absl::StatusOr<StageState> IndexScanStage::DoWork(StageRow* row) {
  if (done_) return StageState::kEof;
  absl::StatusOr<std::optional<IndexCursor::Entry>> entry = cursor_->Next();
  stats_.keys_examined = cursor_->keys_examined();
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) {
    Release();
    return StageState::kEof;
  }
  const IndexCursor::Entry& e = **entry;
  if (dedup_) {
    ++stats_.dups_tested;
    if (!seen_ids_.insert(std::string(e.id_key_string)).second) {
      ++stats_.dups_dropped;
      return StageState::kNeedTime;
    }
  }
  row->index_key = e.key;
  row->id_key = e.id_key_string;
  return StageState::kAdvanced;
}

void IndexScanStage::AppendStats(bson_t* out) const {
  if (name() != "IXSCAN") return;
  bson_append_int64(out, "dupsTested", -1, stats_.dups_tested);
  bson_append_int64(out, "dupsDropped", -1, stats_.dups_dropped);
}

void IndexScanStage::Release() {
  done_ = true;
  cursor_.reset();
  seen_ids_ = {};
  PlanStage::Release();
}

}  // namespace strata::query::exec
