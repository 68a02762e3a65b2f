// CoveredDocumentBuilder: rebuilds, from one typed index entry (index/key_types.h), the part of
// its document a covered query reads — the PROJECTION_COVERED stage's input. The filter, sort
// and projection then run on this document exactly as they would on the fetched one, because
// the planner only covers queries that read nothing else (query/planner/covered_plan.h).
//
// The document holds the wanted key parts in key pattern order; a dotted path becomes nested
// documents ({"a.b": 1, "a.c": 2} → {a: {b: 1, c: 2}}), as MongoDB returns covered results; a
// part whose path is missing from the document is left out, its existing leading components
// kept as (possibly empty) documents, so an inclusion projection answers as on the original.
//
// CoveredIndexScanStage: the IXSCAN of a covered plan. For each index entry in the scan ranges
// it hands up the rebuilt document (row.doc, with the key and `_id` key string), after the
// query's whole filter accepted it; an entry that cannot be rebuilt has its document fetched
// instead (counted in docsExamined, which is 0 when every entry rebuilds). keysExamined counts
// every key read. The index is not multikey (the planner's rule), so no deduplication.
//
// Thread safety: the builder is immutable after construction and Build may run concurrently;
// a stage belongs to one operation (plan_stage.h).
#ifndef STRATA_QUERY_EXEC_COVERED_PROJECTION_H_
#define STRATA_QUERY_EXEC_COVERED_PROJECTION_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/index_spec.h"
#include "query/exec/index_cursor.h"
#include "query/exec/plan_stage.h"
#include "query/exec/scan_stages.h"
#include "query/exec/stage_filter.h"
#include "strata/document.h"

namespace strata::query::exec {

class CoveredDocumentBuilder {
 public:
  // `parts`: the index's key parts; `wanted`: which of them to rebuild (same size).
  CoveredDocumentBuilder(std::vector<index::KeyPart> parts, std::vector<bool> wanted);

  // The document of the entry with index key `key` and type codes `key_types` (one per part).
  // nullopt when a wanted part is not rebuildable: the caller fetches the document instead.
  // kDataLoss for a malformed key or codes.
  absl::StatusOr<std::optional<Document>> Build(absl::string_view key,
                                                absl::string_view key_types) const;

 private:
  const std::vector<index::KeyPart> parts_;
  const std::vector<bool> wanted_;
  bool flat_ = true;  // no wanted path is dotted: values go straight into the result
};

class CoveredIndexScanStage final : public PlanStage {
 public:
  // `source`: where to fetch a document whose entry cannot be rebuilt; the engine and the
  // filter's match tree are borrowed (they must outlive the stage).
  CoveredIndexScanStage(std::unique_ptr<IndexCursor> cursor, CoveredDocumentBuilder builder,
                        DocumentSource source, StageFilter filter)
      : PlanStage("IXSCAN"),
        cursor_(std::move(cursor)),
        builder_(std::move(builder)),
        source_(std::move(source)),
        filter_(filter) {}
  bool ShowsKeysExamined() const override { return true; }
  bool ShowsDocsExamined() const override { return true; }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  std::unique_ptr<IndexCursor> cursor_;
  const CoveredDocumentBuilder builder_;
  DocumentSource source_;
  const StageFilter filter_;
  std::string value_;  // the last row's document bytes
  bool done_ = false;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_COVERED_PROJECTION_H_
