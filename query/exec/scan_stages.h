// Leaf stages: they read the documents or an index on one snapshot.
//
//   COLLSCAN          every document of a collection in `_id` order, forward or backward;
//                     docsExamined counts each; the residual filter decides which advance.
//   CLUSTERED_IXSCAN  the documents whose `_id` key string lies in a list of ranges (the
//                     documents are clustered by `_id`), ranges in order; filtered likewise.
//   IDHACK            the one document with a given `_id` key string (a point read); filtered.
//   IXSCAN            the entries of one index over its scan ranges (IndexCursor), handing up
//                     the key and the `_id` key string, no document: a FETCH above reads the
//                     document, a covered projection or a count uses the key alone.
//                     keysExamined counts every key read; with `dedup` (multikey index) an
//                     entry whose document was already returned is dropped (dupsTested /
//                     dupsDropped).
//   COUNT_SCAN        an IXSCAN for counts over exact bounds: every entry is one match.
//
// Every stage holds a reference to the snapshot until Release() or its own end; the engine
// and the filter's match tree are borrowed and must outlive the stage. Rows: see plan_stage.h.
#ifndef STRATA_QUERY_EXEC_SCAN_STAGES_H_
#define STRATA_QUERY_EXEC_SCAN_STAGES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/record_store.h"
#include "engine/storage_engine.h"
#include "index/index_bounds.h"
#include "index/index_key_layout.h"
#include "query/exec/index_cursor.h"
#include "query/exec/plan_stage.h"
#include "query/exec/stage_filter.h"

namespace strata::query::exec {

// Where a leaf reads documents from.
struct DocumentSource {
  const engine::StorageEngine* engine = nullptr;
  std::shared_ptr<engine::Snapshot> snapshot;
  engine::CollectionId collection = 0;
};

class CollectionScanStage final : public PlanStage {
 public:
  CollectionScanStage(DocumentSource source, bool backward, StageFilter filter)
      : PlanStage("COLLSCAN"), source_(std::move(source)), backward_(backward), filter_(filter) {}
  bool ShowsDocsExamined() const override { return true; }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  DocumentSource source_;
  const bool backward_;
  const StageFilter filter_;
  std::unique_ptr<engine::RecordIterator> iterator_;
  bool done_ = false;
};

class ClusteredScanStage final : public PlanStage {
 public:
  // `ranges`: ascending, disjoint ranges of `_id` key strings.
  ClusteredScanStage(DocumentSource source, std::vector<index::KeyRange> ranges, StageFilter filter)
      : PlanStage("CLUSTERED_IXSCAN"),
        source_(std::move(source)),
        ranges_(std::move(ranges)),
        filter_(filter) {}
  bool ShowsDocsExamined() const override { return true; }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  DocumentSource source_;
  const std::vector<index::KeyRange> ranges_;
  const StageFilter filter_;
  std::unique_ptr<engine::RecordIterator> iterator_;
  int current_ = -1;  // the range being read; -1 before the first
  bool done_ = false;
};

class IdHackStage final : public PlanStage {
 public:
  IdHackStage(DocumentSource source, std::string id_key, StageFilter filter)
      : PlanStage("IDHACK"),
        source_(std::move(source)),
        id_key_(std::move(id_key)),
        filter_(filter) {}
  bool ShowsKeysExamined() const override { return true; }
  bool ShowsDocsExamined() const override { return true; }
  void Release() override;

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  DocumentSource source_;
  const std::string id_key_;
  const StageFilter filter_;
  std::string value_;
  bool done_ = false;
};

class IndexScanStage final : public PlanStage {
 public:
  // `name`: "IXSCAN", or "COUNT_SCAN" for the counting form (CountScanStage below).
  IndexScanStage(std::unique_ptr<IndexCursor> cursor, bool dedup, std::string name = "IXSCAN")
      : PlanStage(std::move(name)),
        format_(cursor->format()),
        cursor_(std::move(cursor)),
        dedup_(dedup) {}
  bool ShowsKeysExamined() const override { return true; }
  void AppendStats(bson_t* out) const override;
  void Release() override;
  // The index's entry format (key parts, directions): a covered projection decodes keys by it.
  const index::IndexEntryFormat& format() const { return format_; }

 protected:
  absl::StatusOr<StageState> DoWork(StageRow* row) override;

 private:
  const index::IndexEntryFormat format_;
  std::unique_ptr<IndexCursor> cursor_;
  const bool dedup_;
  absl::flat_hash_set<std::string> seen_ids_;
  bool done_ = false;
};

// COUNT_SCAN: the keys of exact bounds on a non-multikey index, one row (no document) each.
inline std::unique_ptr<IndexScanStage> MakeCountScanStage(std::unique_ptr<IndexCursor> cursor) {
  return std::make_unique<IndexScanStage>(std::move(cursor), /*dedup=*/false, "COUNT_SCAN");
}

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_SCAN_STAGES_H_
