// Stages that transform the rows of their one child (each row must carry a document).
//
//   SORT        blocking: reads every row of its child (one per Work, reporting kNeedTime),
//               sorts by the sort spec's keys (ExternalSorter: top-k with a limit, spilling
//               past the memory budget with allowDiskUse, else error 292), then hands the
//               documents up in order. Explain stats: totalDataSizeSorted, usedDisk, spills.
//               Spill files are deleted at its end, by Release(), or with the stage.
//   SKIP        drops the first n rows.
//   LIMIT       passes the first n rows, then reports kEof without working its child again.
//   PROJECTION  applies a find projection (PROJECTION_SIMPLE / PROJECTION_DEFAULT); for a
//               positional projection ("a.$") it asks the filter which array element matched.
//
// The sort spec, projection and filter tree are borrowed and must outlive the stage.
// Rows: see plan_stage.h; a SORT's and a PROJECTION's rows point into the stage itself.
#ifndef STRATA_QUERY_EXEC_TRANSFORM_STAGES_H_
#define STRATA_QUERY_EXEC_TRANSFORM_STAGES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "query/exec/plan_stage.h"
#include "query/match/match_expression.h"
#include "query/projection/projection.h"
#include "query/sort/external_sorter.h"
#include "query/sort/sort_spec.h"

namespace strata::query::exec {

class SortStage final : public PlanStage {
 public:
  // `error_context` prefixes the message of a memory-limit error (e.g. "Executor error during
  // find command :: caused by :: ").
  SortStage(std::unique_ptr<PlanStage> child, const sort::SortSpec* spec,
            sort::ExternalSorterOptions options, std::string error_context = "")
      : PlanStage("SORT"),
        spec_(spec),
        sorter_(std::make_unique<sort::ExternalSorter>(std::move(options))),
        error_context_(std::move(error_context)) {
    AddChild(std::move(child));
  }
  void AppendStats(bson_t* out) const override;
  void Release() override;
  bool used_disk() const { return spills_ > 0; }
  int64_t spills() const { return spills_; }

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  absl::Status Fail(absl::Status status);

  const sort::SortSpec* const spec_;
  std::unique_ptr<sort::ExternalSorter> sorter_;
  const std::string error_context_;
  bool loaded_ = false;
  // Kept past Release for explain.
  int64_t spills_ = 0;
  int64_t data_bytes_ = 0;
};

class SkipStage final : public PlanStage {
 public:
  SkipStage(std::unique_ptr<PlanStage> child, int64_t skip) : PlanStage("SKIP"), to_skip_(skip) {
    AddChild(std::move(child));
  }

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  int64_t to_skip_;
};

class LimitStage final : public PlanStage {
 public:
  LimitStage(std::unique_ptr<PlanStage> child, int64_t limit)
      : PlanStage("LIMIT"), remaining_(limit) {
    AddChild(std::move(child));
  }

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  int64_t remaining_;
};

class ProjectionStage final : public PlanStage {
 public:
  // `name`: "PROJECTION_SIMPLE" or "PROJECTION_DEFAULT" (ProjectionStageName).
  // `filter`: the query's filter, read for positional projections (may be null otherwise).
  ProjectionStage(std::unique_ptr<PlanStage> child, const projection::Projection* projection,
                  const match::MatchExpression* filter, std::string name)
      : PlanStage(std::move(name)), projection_(projection), filter_(filter) {
    AddChild(std::move(child));
  }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  const projection::Projection* const projection_;
  const match::MatchExpression* const filter_;
  std::string projected_;
};

// MongoDB's name for the projection stage of `spec`: PROJECTION_SIMPLE when every field is a
// top-level name (no dots) with a boolean or numeric value, else PROJECTION_DEFAULT.
std::string ProjectionStageName(DocumentView spec);

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_TRANSFORM_STAGES_H_
