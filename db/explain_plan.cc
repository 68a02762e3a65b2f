#include "db/explain_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "index/bounds_format.h"

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

}  // namespace

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
      bson_append_int64(b, "memLimit", -1, 100 * 1024 * 1024);
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
  if (!spec.projection.view().empty()) {
    current = Stage("PROJECTION_DEFAULT", &current,
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
  if (bson_iter_init_find(&it, current.bson(), "inputStage")) {
    bson_append_iter(b, "inputStage", -1, &it);
  }
  bson_append_document(out, field, -1, root.bson());
}

}  // namespace strata::db
