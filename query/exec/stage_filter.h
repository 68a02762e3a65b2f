// StageFilter: the residual filter a scan or FETCH applies to each document it reads.
// Wraps a borrowed match tree (the owner of the plan keeps it alive). When the tree contains
// operators whose evaluation can fail ($expr: a division by zero, a type error), a document
// that does not match is checked for such an error and the error fails the query, as
// MongoDB does; otherwise a non-match is just false. A null tree matches everything.
#ifndef STRATA_QUERY_EXEC_STAGE_FILTER_H_
#define STRATA_QUERY_EXEC_STAGE_FILTER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/match/match_expression.h"

namespace strata::query::exec {

class StageFilter {
 public:
  StageFilter() = default;
  StageFilter(const match::MatchExpression* tree, bool can_fail)
      : tree_(tree), can_fail_(can_fail) {}

  absl::StatusOr<bool> Matches(absl::string_view doc) const;
  bool empty() const { return tree_ == nullptr; }

 private:
  const match::MatchExpression* tree_ = nullptr;
  bool can_fail_ = false;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_STAGE_FILTER_H_
