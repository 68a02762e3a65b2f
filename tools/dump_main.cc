// `strata dump`: mongodump for a Strata data directory (tools/dump/dumper.h).
#include <iostream>

#include "absl/strings/str_format.h"
#include "db/database_impl.h"
#include "tools/dump/dumper.h"
#include "tools/dump/flags.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

constexpr const char* kUsage =
    "usage: strata dump --db DIR [--out OUTDIR | --archive[=FILE]] [--database NAME]\n"
    "                   [--collection NAME] [--query JSON] [--gzip | --zstd] [--quiet]\n";

int Usage(const std::string& problem) {
  std::cerr << "strata dump: " << problem << "\n" << kUsage;
  return 2;
}

int DumpMain(const std::vector<std::string>& args) {
  using dump::Flags;
  std::string error;
  auto parsed = Flags(args).Parse(
      [](const std::string& name) {
        if (name == "db" || name == "out" || name == "database" || name == "collection" ||
            name == "query" || name == "d" || name == "c" || name == "o" || name == "q") {
          return Flags::Kind::kValue;
        }
        if (name == "archive") return Flags::Kind::kOptionalValue;
        if (name == "gzip" || name == "zstd" || name == "quiet" || name == "help") {
          return Flags::Kind::kBool;
        }
        return Flags::Kind::kUnknown;
      },
      &error);
  if (!parsed.has_value()) return Usage(error);
  std::string data_dir;
  bool quiet = false;
  dump::DumpOptions options;
  for (const Flags::Parsed& flag : *parsed) {
    const std::string& n = flag.name;
    if (n.empty()) {
      return Usage("unexpected argument '" + *flag.value + "'");
    } else if (n == "help") {
      std::cout << kUsage;
      return 0;
    } else if (n == "db") {
      data_dir = *flag.value;
    } else if (n == "out" || n == "o") {
      options.out_dir = *flag.value;
    } else if (n == "database" || n == "d") {
      options.database = *flag.value;
    } else if (n == "collection" || n == "c") {
      options.collection = *flag.value;
    } else if (n == "query" || n == "q") {
      auto query = Document::FromJson(*flag.value);
      if (!query.ok()) return Usage("--query: " + std::string(query.status().message()));
      options.query = std::move(*query);
    } else if (n == "archive") {
      options.archive = flag.value.value_or("-");
    } else if (n == "gzip" || n == "zstd") {
      if (options.compression != dump::Compression::kNone) {
        return Usage("--gzip and --zstd exclude each other");
      }
      options.compression = n == "gzip" ? dump::Compression::kGzip : dump::Compression::kZstd;
    } else if (n == "quiet") {
      quiet = true;
    }
  }
  if (data_dir.empty()) return Usage("--db DIR is required");
  if (!options.collection.empty() && options.database.empty()) {
    return Usage("--collection needs --database");
  }
  DatabaseOptions db_options;
  db_options.create_if_missing = false;
  db_options.ttl_monitor_interval_seconds = 0;  // a dump never deletes
  db_options.auto_analyze = false;              // nor writes statistics
  auto db = db::DatabaseImpl::Open(data_dir, db_options);
  if (!db.ok()) {
    std::cerr << "strata dump: cannot open " << data_dir << ": " << db.status().message() << "\n";
    return 1;
  }
  dump::Progress progress = dump::Progress::ForStderr(!quiet);
  auto result = dump::Dump(**db, options, progress);
  absl::Status closed = (*db)->Close();
  if (!result.ok()) {
    std::cerr << "strata dump: " << result.status().message() << "\n";
    return 1;
  }
  if (!closed.ok()) {
    std::cerr << "strata dump: " << closed.message() << "\n";
    return 1;
  }
  int64_t documents = 0;
  for (const auto& collection : *result) documents += collection.documents;
  if (!quiet) {
    std::cerr << absl::StrFormat("dumped %d collections, %d documents\n", result->size(),
                                 documents);
  }
  return 0;
}

}  // namespace
}  // namespace strata::tools

STRATA_SUBCOMMAND(dump, "dump --db DIR --out OUT | --archive[=FILE] [--gzip|--zstd] ...  mongodump",
                  strata::tools::DumpMain);
