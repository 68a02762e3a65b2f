// Stages above index scans.
//
//   FETCH  reads the document of each row its child hands up (by the row's `_id` key string)
//          unless the row already carries one, counts it in docsExamined, and passes it on when
//          the residual filter accepts it. An index entry naming a missing document is kDataLoss.
//   OR     the rows of its children, child after child, each document once: a row whose `_id`
//          key string an earlier row had is dropped (dupsTested / dupsDropped). MongoDB's
//          index union for a top-level $or.
//
// Both borrow the engine and the filter's match tree (they must outlive the stage); FETCH holds
// the snapshot until Release(). Rows: see plan_stage.h.
#ifndef STRATA_QUERY_EXEC_FETCH_STAGES_H_
#define STRATA_QUERY_EXEC_FETCH_STAGES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "query/exec/plan_stage.h"
#include "query/exec/scan_stages.h"
#include "query/exec/stage_filter.h"

namespace strata::query::exec {

class FetchStage final : public PlanStage {
 public:
  FetchStage(std::unique_ptr<PlanStage> child, DocumentSource source, StageFilter filter)
      : PlanStage("FETCH"), source_(std::move(source)), filter_(filter) {
    AddChild(std::move(child));
  }
  bool ShowsDocsExamined() const override { return true; }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  DocumentSource source_;
  const StageFilter filter_;
  std::string value_;
};

class OrStage final : public PlanStage {
 public:
  explicit OrStage(std::vector<std::unique_ptr<PlanStage>> children) : PlanStage("OR") {
    for (auto& child : children) AddChild(std::move(child));
  }
  void AppendStats(bson_t* out) const override;
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  size_t current_ = 0;  // the child being read
  absl::flat_hash_set<std::string> seen_ids_;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_FETCH_STAGES_H_
