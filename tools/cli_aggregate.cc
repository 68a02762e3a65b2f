// strata aggregate COLL --pipeline J [--db DIR] [--database NAME] [--allow-disk-use]
//                       [--explain] [--batch N]
// Runs the aggregate command (the same path as `strata run`) and prints each result document
// as one line of relaxed Extended JSON, following the cursor with getMore; --explain prints the
// explain reply (stages, the pushed-down plan, $lookup join strategies) instead.
#include <iostream>
#include <string>
#include <vector>

#include "strata/database.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

int Usage(const std::string& problem) {
  std::cerr << "strata aggregate: " << problem
            << "\nusage: strata aggregate COLL --pipeline '[{\"$match\": …}, …]' [--db DIR] "
               "[--database NAME] [--allow-disk-use] [--explain]\n";
  return 2;
}

bool Field(const Document& reply, const char* dotted, bson_iter_t* value) {
  bson_iter_t it;
  return bson_iter_init(&it, reply.bson()) && bson_iter_find_descendant(&it, dotted, value);
}

// Prints the documents of the array at `dotted`.
void PrintBatch(const Document& reply, const char* dotted) {
  bson_iter_t batch, doc;
  if (!Field(reply, dotted, &batch) || !BSON_ITER_HOLDS_ARRAY(&batch)) return;
  bson_iter_recurse(&batch, &doc);
  while (bson_iter_next(&doc)) {
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&doc, &len, &data);
    std::cout << DocumentView(data, len).ToJson() << "\n";
  }
}

int AggregateMain(const std::vector<std::string>& args) {
  std::string dir = "./strata-data", database = "test", collection, pipeline;
  bool allow_disk_use = false, explain = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto next = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "--db" || arg == "--database" || arg == "--pipeline") {
      const std::string* value = next();
      if (value == nullptr) return Usage(arg + " needs a value");
      (arg == "--db" ? dir : arg == "--database" ? database : pipeline) = *value;
    } else if (arg == "--allow-disk-use") {
      allow_disk_use = true;
    } else if (arg == "--explain") {
      explain = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage("unknown option " + arg);
    } else if (collection.empty()) {
      collection = arg;
    } else {
      return Usage("unexpected argument " + arg);
    }
  }
  if (collection.empty()) return Usage("no collection given");
  if (pipeline.empty()) return Usage("no --pipeline given");
  auto parsed = Document::FromJson("{\"p\": " + pipeline + "}");
  if (!parsed.ok())
    return Usage("--pipeline is not JSON: " + std::string(parsed.status().message()));
  bson_iter_t p;
  if (!bson_iter_init_find(&p, parsed->bson(), "p") || !BSON_ITER_HOLDS_ARRAY(&p)) {
    return Usage("--pipeline must be a JSON array of stages");
  }
  Document command;
  bson_append_utf8(command.mutable_bson(), "aggregate", -1, collection.c_str(), -1);
  bson_append_iter(command.mutable_bson(), "pipeline", -1, &p);
  bson_t cursor;
  bson_append_document_begin(command.mutable_bson(), "cursor", -1, &cursor);
  bson_append_document_end(command.mutable_bson(), &cursor);
  if (allow_disk_use) bson_append_bool(command.mutable_bson(), "allowDiskUse", -1, true);

  DatabaseOptions options;
  auto db = Database::Open(dir, options);
  if (!db.ok()) {
    std::cerr << "strata aggregate: " << db.status().message() << "\n";
    return 1;
  }
  if (explain) {
    Document wrapped;
    bson_append_document(wrapped.mutable_bson(), "explain", -1, command.bson());
    bson_append_utf8(wrapped.mutable_bson(), "verbosity", -1, "executionStats", -1);
    Document reply = (*db)->RunCommand(database, wrapped.view());
    std::cout << reply.ToJson() << "\n";
    bson_iter_t ok;
    return Field(reply, "ok", &ok) && bson_iter_as_double(&ok) == 1.0 ? 0 : 1;
  }
  Document reply = (*db)->RunCommand(database, command.view());
  while (true) {
    bson_iter_t errmsg;
    if (Field(reply, "errmsg", &errmsg)) {
      std::cerr << "strata aggregate: " << reply.ToJson() << "\n";
      return 1;
    }
    PrintBatch(reply, "cursor.firstBatch");
    PrintBatch(reply, "cursor.nextBatch");
    bson_iter_t id;
    if (!Field(reply, "cursor.id", &id) || bson_iter_as_int64(&id) == 0) break;
    Document get_more;
    bson_append_int64(get_more.mutable_bson(), "getMore", -1, bson_iter_as_int64(&id));
    std::string coll = collection;
    bson_append_utf8(get_more.mutable_bson(), "collection", -1, coll.c_str(), -1);
    reply = (*db)->RunCommand(database, get_more.view());
  }
  return 0;
}

}  // namespace

STRATA_SUBCOMMAND(
    aggregate,
    "aggregate COLL --pipeline J [--db DIR] [--database NAME] [--allow-disk-use] "
    "[--explain]\n                  runs an aggregation pipeline, one result per line",
    AggregateMain);

}  // namespace strata::tools
