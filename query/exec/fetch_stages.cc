#include "query/exec/fetch_stages.h"

#include <utility>

#include "base/status_macros.h"
#include "engine/record_store.h"

namespace strata::query::exec {

absl::StatusOr<StageState> FetchStage::DoWork(StageRow* row) {
  ASSIGN_OR_RETURN(StageState state, child(0)->Work());
  if (state == StageState::kEof) {
    Release();
    return state;
  }
  if (state != StageState::kAdvanced) return state;
  *row = child(0)->row();
  if (!row->has_doc()) {
    engine::RecordStore store(source_.engine);
    ASSIGN_OR_RETURN(std::optional<std::string> found,
                     store.Get(*source_.snapshot, source_.collection, row->id_key));
    if (!found.has_value()) {
      return absl::DataLossError("an index entry names a document that does not exist");
    }
    value_ = std::move(*found);
    row->doc = value_;
  }
  ++stats_.docs_examined;
  ASSIGN_OR_RETURN(bool matches, filter_.Matches(row->doc));
  return matches ? StageState::kAdvanced : StageState::kNeedTime;
}

void FetchStage::Release() {
  source_.snapshot.reset();
  value_ = std::string();
  PlanStage::Release();
}

absl::StatusOr<StageState> OrStage::DoWork(StageRow* row) {
  if (current_ >= children().size()) return StageState::kEof;
  ASSIGN_OR_RETURN(StageState state, child(current_)->Work());
  if (state == StageState::kEof) {
    // The next child, on the next call (MongoDB's OR reports NEED_TIME between children).
    if (++current_ < children().size()) return StageState::kNeedTime;
    Release();
    return StageState::kEof;
  }
  if (state != StageState::kAdvanced) return state;
  *row = child(current_)->row();
  ++stats_.dups_tested;
  if (!seen_ids_.insert(std::string(row->id_key)).second) {
    ++stats_.dups_dropped;
    return StageState::kNeedTime;
  }
  return StageState::kAdvanced;
}

void OrStage::AppendStats(bson_t* out) const {
  bson_append_int64(out, "dupsTested", -1, stats_.dups_tested);
  bson_append_int64(out, "dupsDropped", -1, stats_.dups_dropped);
}

void OrStage::Release() {
  current_ = children().size();
  seen_ids_ = {};
  PlanStage::Release();
}

}  // namespace strata::query::exec
