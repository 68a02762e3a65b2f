// PlanStage: one node of an executable query plan (MongoDB's db/exec/plan_stage.h model).
// A plan is a tree of stages; the root is pulled with Work() until it reports EOF. Each Work()
// does one bounded unit of work and reports one of:
//   kAdvanced  — row() now holds a result for the parent;
//   kNeedTime  — work was done (a key or document examined and rejected, a row buffered by a
//                blocking stage) but nothing is ready yet; call again;
//   kEof       — no more results (every later call reports kEof again).
// Errors are returned as a Status; after an error the stage must not be worked again.
//
// Rows: a stage hands its parent a StageRow of views. A scan of the documents fills `doc`
// (and `id_key`); an index scan fills `index_key` and `id_key` but no document, so a parent
// can use the key alone (COUNT, covered projections) or FETCH the document. The views stay
// valid until the producing stage's next Work() or its destruction; a parent that keeps a row
// longer copies it.
//
// Counters (MongoDB's explain names): works (calls to Work), advanced (= nReturned), needTime,
// isEOF, keysExamined and docsExamined for the stages that read keys and documents,
// dupsTested/dupsDropped for deduplicating stages, and the time spent inside Work (including
// the children's) when timing is on (SetTiming: explain turns it on; off by default, as two
// clock reads per Work per stage are measurable on a scan).
//
// Explain: a stage carries its name, an opaque document of descriptive fields set by whoever
// built the tree (`details`: index bounds, filter, sort pattern, …), and appends its own
// execution fields with AppendStats (SORT: usedDisk, spills, …).
//
// Release(): frees what the stage holds (iterators, snapshots, buffered rows, spill files)
// while keeping its counters; the tree's owner calls it when the plan is done, so a finished
// cursor's counters stay readable without pinning a snapshot. Recurses into the children.
//
// Thread safety: a tree belongs to one operation; not thread-safe.
#ifndef STRATA_QUERY_EXEC_PLAN_STAGE_H_
#define STRATA_QUERY_EXEC_PLAN_STAGE_H_

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::query::exec {

// What a stage hands its parent (see above for which fields each kind of stage fills).
struct StageRow {
  absl::string_view doc;        // BSON bytes; empty when the row carries no document
  absl::string_view index_key;  // index entry key (no index prefix), when from an index
  absl::string_view id_key;     // the document's `_id` key string, when known
  bool has_doc() const { return !doc.empty(); }
};

enum class StageState { kAdvanced, kNeedTime, kEof };

// MongoDB's common stage counters plus the per-kind ones explain shows.
struct StageStats {
  int64_t works = 0;
  int64_t advanced = 0;  // nReturned
  int64_t need_time = 0;
  bool is_eof = false;
  int64_t keys_examined = 0;  // index scans
  int64_t docs_examined = 0;  // collection scans, point reads, fetches
  int64_t dups_tested = 0;    // deduplicating stages (multikey IXSCAN, OR)
  int64_t dups_dropped = 0;
  int64_t execution_nanos = 0;  // only with timing on
};

class PlanStage {
 public:
  explicit PlanStage(std::string name) : name_(std::move(name)) {}
  virtual ~PlanStage() = default;
  PlanStage(const PlanStage&) = delete;
  PlanStage& operator=(const PlanStage&) = delete;

  // One unit of work (see above); counts it.
  absl::StatusOr<StageState> Work();
  // Works until a row is ready (true; see row()) or the end (false).
  absl::StatusOr<bool> Next();
  // The row of the last Work that reported kAdvanced.
  const StageRow& row() const { return row_; }

  // MongoDB's explain name: "COLLSCAN", "IXSCAN", "FETCH", "SORT", …
  const std::string& name() const { return name_; }
  const StageStats& stats() const { return stats_; }
  const std::vector<std::unique_ptr<PlanStage>>& children() const { return children_; }
  PlanStage* child(size_t i) const { return children_[i].get(); }

  // Descriptive explain fields (whole BSON document; its fields follow "stage").
  void set_details(Document details) { details_ = std::move(details); }
  const Document& details() const { return details_; }
  // Appends the stage's own execution fields (beyond the common counters) for explain.
  virtual void AppendStats(bson_t* /*out*/) const {}
  // Whether explain shows keysExamined / docsExamined for this kind of stage.
  virtual bool ShowsKeysExamined() const { return false; }
  virtual bool ShowsDocsExamined() const { return false; }

  // Time the Work calls of this stage and of every stage below it.
  void SetTiming(bool on);
  // Frees resources, keeps counters (see above). Recurses.
  virtual void Release();

  // Sums over this stage and every stage below it.
  int64_t TotalKeysExamined() const;
  int64_t TotalDocsExamined() const;

 protected:
  // The stage's unit of work: fill *row and return kAdvanced, or return kNeedTime / kEof.
  virtual absl::StatusOr<StageState> DoWork(StageRow* row) = 0;
  PlanStage* AddChild(std::unique_ptr<PlanStage> child) {
    children_.push_back(std::move(child));
    return children_.back().get();
  }

  StageStats stats_;

 private:
  const std::string name_;
  std::vector<std::unique_ptr<PlanStage>> children_;
  Document details_;
  StageRow row_;
  bool timing_ = false;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_PLAN_STAGE_H_
