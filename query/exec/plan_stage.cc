#include "query/exec/plan_stage.h"

#include <chrono>

namespace strata::query::exec {

absl::StatusOr<StageState> PlanStage::Work() {
  ++stats_.works;
  std::chrono::steady_clock::time_point started;
  if (timing_) started = std::chrono::steady_clock::now();
  StageRow row;
  absl::StatusOr<StageState> state = DoWork(&row);
  if (timing_) {
    stats_.execution_nanos += std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
  }
  if (!state.ok()) return state;
  switch (*state) {
    case StageState::kAdvanced:
      ++stats_.advanced;
      row_ = row;
      break;
    case StageState::kNeedTime:
      ++stats_.need_time;
      break;
    case StageState::kEof:
      stats_.is_eof = true;
      break;
  }
  return state;
}

absl::StatusOr<bool> PlanStage::Next() {
  while (true) {
    absl::StatusOr<StageState> state = Work();
    if (!state.ok()) return state.status();
    if (*state == StageState::kAdvanced) return true;
    if (*state == StageState::kEof) return false;
  }
}

void PlanStage::SetTiming(bool on) {
  timing_ = on;
  for (auto& child : children_) child->SetTiming(on);
}

void PlanStage::Release() {
  row_ = StageRow();
  for (auto& child : children_) child->Release();
}

int64_t PlanStage::TotalKeysExamined() const {
  int64_t total = stats_.keys_examined;
  for (const auto& child : children_) total += child->TotalKeysExamined();
  return total;
}

int64_t PlanStage::TotalDocsExamined() const {
  int64_t total = stats_.docs_examined;
  for (const auto& child : children_) total += child->TotalDocsExamined();
  return total;
}

}  // namespace strata::query::exec
