// strata explain COLL …: the plan of a find as a readable tree, estimates next to actuals.
//
//   FETCH  filter {"a": 5}                  est. rows 1  cost 5.3   actual: 1 returned, 1 docs
//     IXSCAN a_1 forward {a: [5, 5]}                                actual: 1 returned, 1 keys
//   rejected:
//     COLLSCAN                              est. rows 1  cost 2000
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "strata/database.h"
#include "tools/cli.h"

namespace strata::tools {
namespace {

std::string FieldJson(const bson_iter_t& it) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_iter(&doc, "v", 1, &it);
  std::string json = DocumentView(&doc).ToJson();
  bson_destroy(&doc);
  // {"v": <value>} → <value>
  return json.substr(6, json.size() - 7);
}

// One line per stage, children indented below their parent.
void PrintStage(const bson_t* stage, int depth, std::ostream& out) {
  std::string line(static_cast<size_t>(depth) * 2, ' ');
  std::string estimate;
  int64_t returned = -1, keys = -1, docs = -1;
  bson_iter_t it;
  const bson_t* input = nullptr;
  bson_t input_doc;
  // An OR stage's inputs: views into `stage` (bson_t itself must not be copied).
  std::vector<std::pair<const uint8_t*, uint32_t>> children;
  bson_iter_init(&it, stage);
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key == "stage") {
      absl::StrAppend(&line, bson_iter_utf8(&it, nullptr));
    } else if (key == "indexName" || key == "direction") {
      absl::StrAppend(&line, " ", bson_iter_utf8(&it, nullptr));
    } else if (key == "indexBounds" || key == "filter" || key == "sortPattern") {
      absl::StrAppend(&line, " ", key == "indexBounds" ? "" : absl::StrCat(key, " "),
                      FieldJson(it));
    } else if (key == "limitAmount" || key == "skipAmount") {
      absl::StrAppend(&line, key == "skipAmount" ? " skip " : " limit ", bson_iter_as_int64(&it));
    } else if (key == "strataEstimate") {
      bson_iter_t field;
      bson_iter_recurse(&it, &field);
      double rows = 0, cost = 0;
      while (bson_iter_next(&field)) {
        absl::string_view name = bson_iter_key(&field);
        if (name == "rows") rows = bson_iter_as_double(&field);
        if (name == "cost") cost = bson_iter_as_double(&field);
      }
      estimate = absl::StrFormat("est. rows %.0f  cost %.1f", rows, cost);
    } else if (key == "nReturned") {
      returned = bson_iter_as_int64(&it);
    } else if (key == "keysExamined") {
      keys = bson_iter_as_int64(&it);
    } else if (key == "docsExamined") {
      docs = bson_iter_as_int64(&it);
    } else if (key == "inputStages" && BSON_ITER_HOLDS_ARRAY(&it)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_array(&it, &length, &data);
      bson_t array;
      if (bson_init_static(&array, data, length)) {
        bson_iter_t child;
        bson_iter_init(&child, &array);
        while (bson_iter_next(&child)) {
          uint32_t child_length = 0;
          const uint8_t* child_data = nullptr;
          bson_iter_document(&child, &child_length, &child_data);
          children.emplace_back(child_data, child_length);
        }
      }
    } else if (key == "inputStage" && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&it, &length, &data);
      if (bson_init_static(&input_doc, data, length)) input = &input_doc;
    }
  }
  // Each stage's own counters (executionStages), in a fixed order.
  std::vector<std::string> counts;
  if (returned >= 0) counts.push_back(absl::StrCat(returned, " returned"));
  if (keys >= 0) counts.push_back(absl::StrCat(keys, " keys"));
  if (docs >= 0) counts.push_back(absl::StrCat(docs, " docs"));
  const std::string actual = absl::StrJoin(counts, ", ");
  out << line;
  if (!estimate.empty()) out << "    " << estimate;
  if (!actual.empty()) out << "    actual: " << actual;
  out << "\n";
  for (const auto& [data, length] : children) {
    bson_t child;
    if (bson_init_static(&child, data, length)) PrintStage(&child, depth + 1, out);
  }
  if (input != nullptr) PrintStage(input, depth + 1, out);
}

bool SubDocument(const bson_t* parent, const char* path, bson_t* out) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, parent) || !bson_iter_find_descendant(&it, path, &found) ||
      !(BSON_ITER_HOLDS_DOCUMENT(&found) || BSON_ITER_HOLDS_ARRAY(&found))) {
    return false;
  }
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&found)) {
    bson_iter_document(&found, &length, &data);
  } else {
    bson_iter_array(&found, &length, &data);
  }
  return bson_init_static(out, data, length);
}

}  // namespace

int ExplainShortcut(const CliOptions& options) {
  if (options.positional.size() != 2) {
    std::cerr << "strata: explain needs exactly one collection name (see 'strata help')\n";
    return 2;
  }
  std::optional<Document> find = BuildFindCommand(options);
  if (!find.has_value()) return 2;
  Document command;
  bson_append_document(command.mutable_bson(), "explain", -1, find->bson());
  bson_append_utf8(command.mutable_bson(), "verbosity", -1, "executionStats", -1);
  auto opened = Database::Open(options.data_dir, DatabaseOptions());
  if (!opened.ok()) {
    std::cerr << "strata: cannot open " << options.data_dir << ": " << opened.status().message()
              << "\n";
    return 1;
  }
  Document reply = (*opened)->RunCommand(options.database, command.view());
  bson_iter_t ok;
  if (!bson_iter_init_find(&ok, reply.bson(), "ok") || bson_iter_as_double(&ok) != 1.0) {
    bson_iter_t message;
    std::cerr << "strata: explain failed: "
              << (bson_iter_init_find(&message, reply.bson(), "errmsg")
                      ? bson_iter_utf8(&message, nullptr)
                      : reply.ToJson().c_str())
              << "\n";
    return 1;
  }
  bson_t stages, rejected;
  bson_iter_t total;
  std::cout << "plan for " << options.database << "." << options.positional[1];
  if (bson_iter_init(&total, reply.bson()) &&
      bson_iter_find_descendant(&total, "executionStats.executionTimeMillis", &total)) {
    std::cout << " (" << bson_iter_as_int64(&total) << " ms)";
  }
  std::cout << ":\n";
  if (SubDocument(reply.bson(), "executionStats.executionStages", &stages)) {
    PrintStage(&stages, 1, std::cout);
  } else if (SubDocument(reply.bson(), "queryPlanner.winningPlan", &stages)) {
    PrintStage(&stages, 1, std::cout);
  }
  if (SubDocument(reply.bson(), "queryPlanner.rejectedPlans", &rejected)) {
    bson_iter_t plan;
    bson_iter_init(&plan, &rejected);
    bool any = false;
    while (bson_iter_next(&plan)) {
      if (!any) std::cout << "rejected:\n";
      any = true;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&plan, &length, &data);
      bson_t doc;
      if (bson_init_static(&doc, data, length)) PrintStage(&doc, 1, std::cout);
    }
  }
  return (*opened)->Close().ok() ? 0 : 1;
}

}  // namespace strata::tools
