#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "strata/database.h"
#include "tools/cli.h"
#include "tools/json_text.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

std::unique_ptr<Database> OpenOrReport(const CliOptions& options, bool create) {
  DatabaseOptions db_options;
  db_options.durability = options.durability;
  // Long operations (index builds) report progress on stderr, keeping stdout for results.
  db_options.progress = [](std::string_view line) { std::cerr << line << "\n"; };
  db_options.create_if_missing = create;
  auto db = Database::Open(options.data_dir, db_options);
  if (!db.ok()) {
    std::cerr << "strata: cannot open " << options.data_dir << ": " << db.status().message()
              << "\n";
    return nullptr;
  }
  return std::move(*db);
}

// Reads FILE (positional[index]) or stdin. False (with a message) when FILE is unreadable.
bool ReadInput(const CliOptions& options, size_t index, std::string* text) {
  if (options.positional.size() > index && options.positional[index] != "-") {
    std::ifstream in(options.positional[index], std::ios::binary);
    if (!in) {
      std::cerr << "strata: cannot read " << options.positional[index] << "\n";
      return false;
    }
    *text = ReadAll(in);
  } else {
    *text = ReadAll(std::cin);
  }
  return true;
}

bool ReplyOk(const Document& reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.bson(), "ok") && bson_iter_as_double(&it) == 1.0;
}

}  // namespace

void PrintHelp() {
  std::cout <<
      R"(strata: an embedded MongoDB-style document database on one data directory.

usage: strata [--db DIR] [--relaxed] SUBCOMMAND [ARGS]

  --db DIR        data directory (default ./strata-data; created on first write)
  --relaxed       acknowledge writes before the WAL is fsynced (bulk loads)
  --database NAME database of the shortcuts below (default test)

subcommands:
  run [FILE]      command documents as Extended JSON, one per line, from FILE or stdin;
                  prints one reply per line. A command's "$db" picks its database.
                  Example: echo '{"insert": "c", "documents": [{"a": 1}]}' | strata run
  insert COLL [FILE]
                  inserts documents (JSON lines or one JSON array) from FILE or stdin
  find COLL [--filter J] [--projection J] [--sort J] [--skip N] [--limit N] [--pretty]
                  prints matching documents, one per line
  explain COLL [--filter J] [--projection J] [--sort J] [--skip N] [--limit N]
                  runs the find and prints the chosen plan as a tree, each stage with the
                  planner's estimate next to what execution measured, then the rejected plans
  collections     lists every collection with its document count and size
  demo            loads the bundled sample data into demo.people and runs a few commands
  help            this text

exit status: 0 success, 1 a command failed, 2 bad usage.
)";
  const std::vector<Subcommand> tools = AllSubcommands();
  if (!tools.empty()) {
    std::cout << "\ntools (each takes its own options; 'strata TOOL --help'):\n";
    for (const Subcommand& tool : tools) std::cout << "  " << tool.usage << "\n";
  }
}

int RunCommands(const CliOptions& options) {
  std::string text;
  if (!ReadInput(options, 1, &text)) return 1;
  // Parse every line before running any: a malformed input changes nothing.
  std::vector<Document> commands;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto command = Document::FromJson(std::string_view(line.data(), line.size()));
    if (!command.ok()) {
      std::cerr << "strata: line " << line_number << ": " << command.status().message()
                << " (nothing was run)\n";
      return 1;
    }
    commands.push_back(std::move(*command));
  }
  std::unique_ptr<Database> db = OpenOrReport(options, true);
  if (db == nullptr) return 1;
  int exit_code = 0;
  for (const Document& command : commands) {
    Document reply = db->RunCommand(options.database, command.view());
    if (!ReplyOk(reply)) exit_code = 1;
    std::cout << reply.ToJson() << "\n";
    std::cout.flush();
  }
  absl::Status closed = db->Close();
  if (!closed.ok()) {
    std::cerr << "strata: " << closed.message() << "\n";
    return 1;
  }
  return exit_code;
}

int InsertShortcut(const CliOptions& options) {
  if (options.positional.size() < 2) {
    std::cerr << "strata: insert needs a collection name (see 'strata help')\n";
    return 2;
  }
  std::string text;
  if (!ReadInput(options, 2, &text)) return 1;
  // Parse everything first: bad input leaves the data directory untouched.
  auto docs = ParseDocuments(text);
  if (!docs.ok()) {
    std::cerr << "strata: " << docs.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<Database> db = OpenOrReport(options, true);
  if (db == nullptr) return 1;
  std::vector<DocumentView> views;
  for (const Document& doc : *docs) views.push_back(doc.view());
  Collection collection = db->GetCollection(options.database, options.positional[1]);
  auto inserted = collection.InsertMany(views, /*ordered=*/true);
  if (!inserted.ok()) {
    std::cerr << "strata: " << inserted.status().message() << "\n";
    return 1;
  }
  std::cout << "inserted " << inserted->size() << " documents into " << collection.ns() << "\n";
  return db->Close().ok() ? 0 : 1;
}

std::optional<Document> BuildFindCommand(const CliOptions& options) {
  // Each JSON option is parsed first, before anything is opened.
  Document command;
  bson_t* b = command.mutable_bson();
  bson_append_utf8(b, "find", 4, options.positional[1].c_str(), -1);
  struct JsonOption {
    const char* name;
    const std::optional<std::string>& text;
  };
  for (const JsonOption& option :
       {JsonOption{"filter", options.filter}, JsonOption{"projection", options.projection},
        JsonOption{"sort", options.sort}}) {
    if (!option.text.has_value()) continue;
    auto doc = Document::FromJson(*option.text);
    if (!doc.ok()) {
      std::cerr << "strata: --" << option.name << ": " << doc.status().message() << "\n";
      return std::nullopt;
    }
    bson_append_document(b, option.name, -1, doc->bson());
  }
  if (options.skip != 0) bson_append_int64(b, "skip", 4, options.skip);
  if (options.limit != 0) bson_append_int64(b, "limit", 5, options.limit);
  return command;
}

int FindShortcut(const CliOptions& options) {
  if (options.positional.size() != 2) {
    std::cerr << "strata: find needs exactly one collection name (see 'strata help')\n";
    return 2;
  }
  std::optional<Document> built = BuildFindCommand(options);
  if (!built.has_value()) return 2;
  const Document command = std::move(*built);
  std::unique_ptr<Database> db = OpenOrReport(options, false);
  if (db == nullptr) return 1;
  Document reply = db->RunCommand(options.database, command.view());
  const char* batch_field = "firstBatch";
  while (true) {
    if (!ReplyOk(reply)) {
      bson_iter_t it;
      std::string message = bson_iter_init_find(&it, reply.bson(), "errmsg")
                                ? bson_iter_utf8(&it, nullptr)
                                : reply.ToJson();
      std::cerr << "strata: find failed: " << message << "\n";
      return 1;
    }
    bson_iter_t cursor, field;
    bson_iter_init_find(&cursor, reply.bson(), "cursor");
    bson_iter_recurse(&cursor, &field);
    int64_t id = 0;
    while (bson_iter_next(&field)) {
      absl::string_view key = bson_iter_key(&field);
      if (key == batch_field) {
        bson_iter_t doc;
        bson_iter_recurse(&field, &doc);
        while (bson_iter_next(&doc)) {
          uint32_t length = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&doc, &length, &data);
          std::string json = DocumentView(data, length).ToJson();
          std::cout << (options.pretty ? IndentJson(json) : json) << "\n";
        }
      } else if (key == "id") {
        id = bson_iter_as_int64(&field);
      }
    }
    if (id == 0) break;
    Document get_more;
    bson_append_int64(get_more.mutable_bson(), "getMore", 7, id);
    bson_append_utf8(get_more.mutable_bson(), "collection", 10, options.positional[1].c_str(), -1);
    reply = db->RunCommand(options.database, get_more.view());
    batch_field = "nextBatch";
  }
  return 0;
}

int ListCollectionsShortcut(const CliOptions& options) {
  std::unique_ptr<Database> db = OpenOrReport(options, false);
  if (db == nullptr) return 1;
  Document list_databases = *Document::FromJson(R"({"listDatabases": 1, "nameOnly": true})");
  Document databases = db->RunCommand("admin", list_databases.view());
  bson_iter_t it, entry;
  if (!bson_iter_init_find(&it, databases.bson(), "databases")) return 1;
  bson_iter_recurse(&it, &entry);
  while (bson_iter_next(&entry)) {
    bson_iter_t name;
    bson_iter_t db_doc;
    bson_iter_recurse(&entry, &db_doc);
    if (!bson_iter_find(&db_doc, "name")) continue;
    std::string db_name = bson_iter_utf8(&db_doc, nullptr);
    Document list = *Document::FromJson(R"({"listCollections": 1, "nameOnly": true})");
    Document collections = db->RunCommand(db_name, list.view());
    bson_iter_t root, batch;
    if (!bson_iter_init(&root, collections.bson()) ||
        !bson_iter_find_descendant(&root, "cursor.firstBatch", &batch)) {
      continue;
    }
    bson_iter_t coll;
    bson_iter_recurse(&batch, &coll);
    while (bson_iter_next(&coll)) {
      bson_iter_t coll_doc;
      bson_iter_recurse(&coll, &coll_doc);
      if (!bson_iter_find(&coll_doc, "name")) continue;
      std::string coll_name = bson_iter_utf8(&coll_doc, nullptr);
      Document stats_cmd;
      bson_append_utf8(stats_cmd.mutable_bson(), "collStats", 9, coll_name.c_str(), -1);
      Document stats = db->RunCommand(db_name, stats_cmd.view());
      int64_t count = 0, size = 0;
      if (bson_iter_init_find(&name, stats.bson(), "count")) count = bson_iter_as_int64(&name);
      if (bson_iter_init_find(&name, stats.bson(), "size")) size = bson_iter_as_int64(&name);
      std::cout << db_name << "." << coll_name << "\t" << count << " documents\t" << size
                << " bytes\n";
    }
  }
  return 0;
}

}  // namespace strata::tools
