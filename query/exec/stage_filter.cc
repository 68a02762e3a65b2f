#include "query/exec/stage_filter.h"

#include "base/status_macros.h"
#include "query/expression/expr_match.h"

namespace strata::query::exec {

absl::StatusOr<bool> StageFilter::Matches(absl::string_view doc) const {
  if (tree_ == nullptr) return true;
  const DocumentView view(reinterpret_cast<const uint8_t*>(doc.data()), doc.size());
  if (tree_->Matches(view)) return true;
  // MongoDB fails the whole query when an expression cannot be evaluated.
  if (can_fail_) RETURN_IF_ERROR(expression::FirstEvaluationError(*tree_, view));
  return false;
}

}  // namespace strata::query::exec
