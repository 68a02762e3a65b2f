#include "query/exec/transform_stages.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace strata::query::exec {
namespace {

DocumentView ViewOf(absl::string_view bytes) {
  return DocumentView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

// ---- SORT

absl::Status SortStage::Fail(absl::Status status) {
  Release();
  if (error_context_.empty() || status.ok()) return status;
  absl::Status wrapped(status.code(), absl::StrCat(error_context_, status.message()));
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { wrapped.SetPayload(url, payload); });
  return wrapped;
}

absl::StatusOr<StageState> SortStage::DoWork(StageRow* row) {
  if (sorter_ == nullptr) return StageState::kEof;
  if (!loaded_) {
    ASSIGN_OR_RETURN(StageState state, child(0)->Work());
    if (state == StageState::kNeedTime) return state;
    if (state == StageState::kAdvanced) {
      const DocumentView doc = ViewOf(child(0)->row().doc);
      absl::StatusOr<std::string> key = spec_->SortKey(doc);
      if (!key.ok()) return Fail(key.status());
      absl::Status added = sorter_->Add(*std::move(key), doc);
      data_bytes_ = sorter_->data_bytes_sorted();
      spills_ = sorter_->spills();
      if (!added.ok()) return Fail(added);
      return StageState::kNeedTime;
    }
    loaded_ = true;
    absl::Status finished = sorter_->Finish();
    spills_ = sorter_->spills();
    if (!finished.ok()) return Fail(finished);
    return StageState::kNeedTime;
  }
  absl::StatusOr<std::optional<DocumentView>> next = sorter_->Next();
  if (!next.ok()) return Fail(next.status());
  if (!next->has_value()) {
    Release();
    return StageState::kEof;
  }
  row->doc = absl::string_view(reinterpret_cast<const char*>((*next)->data()), (*next)->size());
  return StageState::kAdvanced;
}

void SortStage::AppendStats(bson_t* out) const {
  bson_append_int64(out, "totalDataSizeSorted", -1, data_bytes_);
  bson_append_bool(out, "usedDisk", -1, spills_ > 0);
  bson_append_int64(out, "spills", -1, spills_);
}

void SortStage::Release() {
  sorter_.reset();  // deletes the spill files
  PlanStage::Release();
}

// ---- SKIP / LIMIT

absl::StatusOr<StageState> SkipStage::DoWork(StageRow* row) {
  ASSIGN_OR_RETURN(StageState state, child(0)->Work());
  if (state != StageState::kAdvanced) return state;
  if (to_skip_ > 0) {
    --to_skip_;
    return StageState::kNeedTime;
  }
  *row = child(0)->row();
  return StageState::kAdvanced;
}

absl::StatusOr<StageState> LimitStage::DoWork(StageRow* row) {
  if (remaining_ == 0) return StageState::kEof;
  ASSIGN_OR_RETURN(StageState state, child(0)->Work());
  if (state != StageState::kAdvanced) return state;
  --remaining_;
  *row = child(0)->row();
  return StageState::kAdvanced;
}

// ---- PROJECTION

absl::StatusOr<StageState> ProjectionStage::DoWork(StageRow* row) {
  ASSIGN_OR_RETURN(StageState state, child(0)->Work());
  if (state != StageState::kAdvanced) return state;
  *row = child(0)->row();
  const DocumentView doc = ViewOf(row->doc);
  std::optional<size_t> positional;
  if (projection_->has_positional() && filter_ != nullptr) {
    // The array position the filter matched, for "a.$".
    match::MatchDetails details;
    details.RequestElemMatchKey();
    filter_->Matches(doc, &details);
    size_t index = 0;
    if (details.has_elem_match_key() && absl::SimpleAtoi(details.elem_match_key(), &index)) {
      positional = index;
    }
  }
  ASSIGN_OR_RETURN(Document projected, projection_->Apply(doc, positional));
  projected_.assign(reinterpret_cast<const char*>(projected.data()), projected.size());
  row->doc = projected_;
  return StageState::kAdvanced;
}

void ProjectionStage::Release() {
  projected_ = std::string();
  PlanStage::Release();
}

std::string ProjectionStageName(DocumentView spec) {
  bson_t b;
  bson_iter_t it;
  if (!spec.AsBson(&b) || !bson_iter_init(&it, &b)) return "PROJECTION_DEFAULT";
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)).find('.') != absl::string_view::npos) {
      return "PROJECTION_DEFAULT";
    }
    if (!BSON_ITER_HOLDS_BOOL(&it) && !BSON_ITER_HOLDS_NUMBER(&it)) return "PROJECTION_DEFAULT";
  }
  return "PROJECTION_SIMPLE";
}

}  // namespace strata::query::exec
