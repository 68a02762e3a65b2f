#include "db/explain_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "index/bounds_format.h"
#include "query/exec/transform_stages.h"

namespace strata::db {
namespace {

using query::planner::AccessKind;
using query::planner::CandidatePlan;
using query::planner::IndexInfo;

void AppendDoc(bson_t* out, const char* key, DocumentView doc) {
  bson_t b;
  doc.AsBson(&b);
  bson_append_document(out, key, -1, &b);
}

// The planner's estimate of `plan` (cost_model.h units), Strata's addition to explain.
void AppendEstimate(const CandidatePlan& plan, bson_t* b) {
  bson_t estimate;
  bson_append_document_begin(b, "strataEstimate", -1, &estimate);
  bson_append_double(&estimate, "rows", -1, plan.rows);
  bson_append_double(&estimate, "keysExamined", -1, plan.keys);
  bson_append_double(&estimate, "docsExamined", -1, plan.docs);
  bson_append_double(&estimate, "cost", -1, plan.cost);
  if (plan.hinted) bson_append_bool(&estimate, "hinted", -1, true);
  if (const char* from = query::planner::KeysFromName(plan.keys_from); *from != '\0') {
    bson_append_utf8(&estimate, "keysFrom", -1, from, -1);
  }
  bson_append_document_end(b, &estimate);
}

// Wraps `input` (the stage below, possibly empty) as `inputStage` of a new stage.
// (A template, not absl::FunctionRef: bson_t's alignment attribute is dropped from template
// arguments, which GCC warns about.)
template <typename AppendFields>
Document Stage(const char* name, const Document* input, AppendFields fields) {
  Document stage;
  bson_t* b = stage.mutable_bson();
  bson_append_utf8(b, "stage", -1, name, -1);
  fields(b);
  if (input != nullptr) bson_append_document(b, "inputStage", -1, input->bson());
  return stage;
}

}  // namespace

void AppendIndexScanFields(const CandidatePlan& plan, const IndexInfo& index, bson_t* b) {
  AppendDoc(b, "keyPattern", index.key_pattern.view());
  bson_append_utf8(b, "indexName", -1, index.name.c_str(), -1);
  bson_append_bool(b, "isMultiKey", -1, index.multikey);
  bson_t paths;
  bson_append_document_begin(b, "multiKeyPaths", -1, &paths);
  for (size_t part = 0; part < index.shape.key_parts.size(); ++part) {
    const std::string& path = index.shape.key_parts[part].path;
    bson_t components;
    bson_append_array_begin(&paths, path.c_str(), -1, &components);
    if (part < index.shape.multikey_paths.size()) {
      int i = 0;
      for (size_t component : index.shape.multikey_paths[part]) {
        // MongoDB lists the multikey prefixes of the path ("a", "a.b").
        std::vector<std::string> parts = absl::StrSplit(path, '.');
        parts.resize(std::min(parts.size(), component + 1));
        std::string prefix = absl::StrJoin(parts, ".");
        std::string key = std::to_string(i++);
        bson_append_utf8(&components, key.c_str(), -1, prefix.c_str(), -1);
      }
    }
    bson_append_array_end(&paths, &components);
  }
  bson_append_document_end(b, &paths);
  bson_append_bool(b, "isUnique", -1, index.unique);
  bson_append_bool(b, "isSparse", -1, index.sparse);
  bson_append_bool(b, "isPartial", -1, index.partial_filter.has_value());
  bson_append_int32(b, "indexVersion", -1, 2);
  bson_append_utf8(b, "direction", -1, plan.backward ? "backward" : "forward", -1);
  Document bounds =
      index::FormatIndexBounds(plan.bounds.bounds, index.shape.key_parts, plan.backward);
  bson_append_document(b, "indexBounds", -1, bounds.bson());
}

void AppendPlanStages(const CandidatePlan& plan, const std::vector<IndexInfo>& indexes,
                      const QuerySpec& spec, const ExecutionCounters* counters, const char* field,
                      bson_t* out) {
  const bool has_filter = !spec.filter.view().empty();
  Document current;
  switch (plan.kind) {
    case AccessKind::kIdPoint:
      current = Stage("IDHACK", nullptr, [&](bson_t* b) {
        if (counters != nullptr) {
          bson_append_int64(b, "keysExamined", -1, counters->keys_examined);
          bson_append_int64(b, "docsExamined", -1, counters->docs_examined);
        }
      });
      break;
    case AccessKind::kCollectionScan:
      current = Stage("COLLSCAN", nullptr, [&](bson_t* b) {
        if (has_filter) AppendDoc(b, "filter", spec.filter.view());
        bson_append_utf8(b, "direction", -1, plan.backward ? "backward" : "forward", -1);
        if (counters != nullptr) bson_append_int64(b, "docsExamined", -1, counters->docs_examined);
      });
      break;
    case AccessKind::kIdRange:
      // The documents are clustered by `_id`: MongoDB's clustered collection scan.
      current = Stage("CLUSTERED_IXSCAN", nullptr, [&](bson_t* b) {
        if (has_filter) AppendDoc(b, "filter", spec.filter.view());
        bson_append_utf8(b, "direction", -1, "forward", -1);
        Document bounds = index::FormatIndexBounds(
            plan.bounds.bounds, {index::KeyPart{"_id", false}}, /*backward_scan=*/false);
        bson_append_document(b, "indexBounds", -1, bounds.bson());
        if (counters != nullptr) bson_append_int64(b, "docsExamined", -1, counters->docs_examined);
      });
      break;
    case AccessKind::kIndexUnion: {
      Document union_stage;
      bson_t* b = union_stage.mutable_bson();
      bson_append_utf8(b, "stage", -1, "OR", -1);
      if (counters != nullptr) bson_append_int64(b, "keysExamined", -1, counters->keys_examined);
      bson_t inputs;
      bson_append_array_begin(b, "inputStages", -1, &inputs);
      for (size_t i = 0; i < plan.branches.size(); ++i) {
        Document scan = Stage("IXSCAN", nullptr, [&](bson_t* stage) {
          AppendIndexScanFields(plan.branches[i], indexes[plan.branches[i].index], stage);
        });
        std::string key = std::to_string(i);
        bson_append_document(&inputs, key.c_str(), -1, scan.bson());
      }
      bson_append_array_end(b, &inputs);
      current = Stage("FETCH", &union_stage, [&](bson_t* fetch) {
        if (has_filter) AppendDoc(fetch, "filter", spec.filter.view());
        if (counters != nullptr) {
          bson_append_int64(fetch, "docsExamined", -1, counters->docs_examined);
        }
      });
      break;
    }
    case AccessKind::kIndexScan: {
      if (plan.count_scan) {
        // Keys counted in exact bounds: no FETCH, no filter (MongoDB's COUNT_SCAN).
        current = Stage("COUNT_SCAN", nullptr, [&](bson_t* b) {
          AppendIndexScanFields(plan, indexes[plan.index], b);
          if (counters != nullptr) {
            bson_append_int64(b, "keysExamined", -1, counters->keys_examined);
          }
        });
        break;
      }
      if (plan.covered) {
        // The keys answer the query (covered_plan.h): the filter runs on the rebuilt keys, no
        // FETCH; PROJECTION_COVERED is added on top below.
        current = Stage("IXSCAN", nullptr, [&](bson_t* b) {
          if (has_filter) AppendDoc(b, "filter", spec.filter.view());
          AppendIndexScanFields(plan, indexes[plan.index], b);
          if (counters != nullptr) {
            bson_append_int64(b, "keysExamined", -1, counters->keys_examined);
            bson_append_int64(b, "docsExamined", -1, counters->docs_examined);
          }
        });
        break;
      }
      Document scan = Stage("IXSCAN", nullptr, [&](bson_t* b) {
        AppendIndexScanFields(plan, indexes[plan.index], b);
        if (counters != nullptr) bson_append_int64(b, "keysExamined", -1, counters->keys_examined);
      });
      current = Stage("FETCH", &scan, [&](bson_t* b) {
        if (has_filter) AppendDoc(b, "filter", spec.filter.view());
        if (counters != nullptr) bson_append_int64(b, "docsExamined", -1, counters->docs_examined);
      });
      break;
    }
  }
  const bool sorts = !spec.sort.view().empty() && !plan.provides_sort;
  if (sorts) {
    current = Stage("SORT", &current, [&](bson_t* b) {
      AppendDoc(b, "sortPattern", spec.sort.view());
      const size_t mem_limit =
          spec.sort_memory_bytes > 0 ? spec.sort_memory_bytes : size_t{100} << 20;
      bson_append_int64(b, "memLimit", -1, static_cast<int64_t>(mem_limit));
      if (spec.limit > 0) bson_append_int64(b, "limitAmount", -1, spec.skip + spec.limit);
      bson_append_utf8(b, "type", -1, "simple", -1);
    });
  }
  if (spec.skip > 0) {
    current = Stage("SKIP", &current,
                    [&](bson_t* b) { bson_append_int64(b, "skipAmount", -1, spec.skip); });
  }
  if (spec.limit > 0) {
    current = Stage("LIMIT", &current,
                    [&](bson_t* b) { bson_append_int64(b, "limitAmount", -1, spec.limit); });
  }
  if (plan.covered && plan.kind == AccessKind::kIndexScan) {
    current = Stage("PROJECTION_COVERED", &current,
                    [&](bson_t* b) { AppendDoc(b, "transformBy", spec.projection.view()); });
  } else if (!spec.projection.view().empty()) {
    const std::string name = query::exec::ProjectionStageName(spec.projection.view());
    current = Stage(name.c_str(), &current,
                    [&](bson_t* b) { AppendDoc(b, "transformBy", spec.projection.view()); });
  }
  if (spec.count_only) current = Stage("COUNT", &current, [](bson_t*) {});
  // The root carries the estimate (and the actual rows when executed).
  Document root;
  bson_t* b = root.mutable_bson();
  bson_iter_t it;
  bson_iter_init(&it, current.bson());
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == "inputStage") break;
    bson_append_iter(b, bson_iter_key(&it), -1, &it);
  }
  if (counters != nullptr) bson_append_int64(b, "nReturned", -1, counters->n_returned);
  AppendEstimate(plan, b);
  if (bson_iter_init_find(&it, current.bson(), "inputStage")) {
    bson_append_iter(b, "inputStage", -1, &it);
  }
  bson_append_document(out, field, -1, root.bson());
}

namespace {

// Appends `stage` and the stages below it (explain executionStages form); the root also gets
// the plan's estimate.
void AppendStage(const query::exec::PlanStage& stage, const CandidatePlan* estimate, bson_t* out) {
  const query::exec::StageStats& stats = stage.stats();
  bson_append_utf8(out, "stage", -1, stage.name().c_str(), -1);
  bson_iter_t it;
  if (bson_iter_init(&it, stage.details().bson())) {
    while (bson_iter_next(&it)) bson_append_iter(out, bson_iter_key(&it), -1, &it);
  }
  bson_append_int64(out, "nReturned", -1, stats.advanced);
  bson_append_int64(out, "executionTimeMillisEstimate", -1, stats.execution_nanos / 1000000);
  bson_append_int64(out, "works", -1, stats.works);
  bson_append_int64(out, "advanced", -1, stats.advanced);
  bson_append_int64(out, "needTime", -1, stats.need_time);
  bson_append_bool(out, "isEOF", -1, stats.is_eof);
  if (stage.ShowsKeysExamined()) bson_append_int64(out, "keysExamined", -1, stats.keys_examined);
  if (stage.ShowsDocsExamined()) bson_append_int64(out, "docsExamined", -1, stats.docs_examined);
  stage.AppendStats(out);
  if (estimate != nullptr) AppendEstimate(*estimate, out);
  const auto& children = stage.children();
  if (children.size() == 1 && stage.name() != "OR") {
    bson_t input;
    bson_append_document_begin(out, "inputStage", -1, &input);
    AppendStage(*children[0], nullptr, &input);
    bson_append_document_end(out, &input);
  } else if (!children.empty()) {
    bson_t inputs;
    bson_append_array_begin(out, "inputStages", -1, &inputs);
    for (size_t i = 0; i < children.size(); ++i) {
      const std::string key = std::to_string(i);
      bson_t input;
      bson_append_document_begin(&inputs, key.c_str(), -1, &input);
      AppendStage(*children[i], nullptr, &input);
      bson_append_document_end(&inputs, &input);
    }
    bson_append_array_end(out, &inputs);
  }
}

}  // namespace

void AppendExecutionStages(const query::exec::PlanStage& root,
                           const query::planner::CandidatePlan& plan, bool count_only,
                           const char* field, bson_t* out) {
  bson_t doc;
  bson_append_document_begin(out, field, -1, &doc);
  if (count_only) {
    // MongoDB's COUNT stage returns nothing; it counts its input's results.
    bson_append_utf8(&doc, "stage", -1, "COUNT", -1);
    bson_append_int64(&doc, "nReturned", -1, 0);
    bson_append_int64(&doc, "executionTimeMillisEstimate", -1,
                      root.stats().execution_nanos / 1000000);
    bson_append_int64(&doc, "nCounted", -1, root.stats().advanced);
    AppendEstimate(plan, &doc);
    bson_t input;
    bson_append_document_begin(&doc, "inputStage", -1, &input);
    AppendStage(root, nullptr, &input);
    bson_append_document_end(&doc, &input);
  } else {
    AppendStage(root, &plan, &doc);
  }
  bson_append_document_end(out, &doc);
}

}  // namespace strata::db
