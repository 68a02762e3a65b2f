// `strata restore`: mongorestore into a Strata data directory (tools/dump/restorer.h).
#include <iostream>

#include "absl/strings/str_format.h"
#include "db/database_impl.h"
#include "tools/dump/flags.h"
#include "tools/dump/restorer.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

constexpr const char* kUsage =
    "usage: strata restore --db DIR (--in DUMPDIR | --archive[=FILE]) [--drop]\n"
    "         [--nsInclude PATTERN]... [--nsExclude PATTERN]... [--nsFrom P --nsTo P]...\n"
    "         [--noIndexRestore] [--noOptionsRestore] [--maintainInsertionOrder]\n"
    "         [--stopOnError] [--bypassDocumentValidation] [--gzip] [--quiet]\n"
    "  DUMPDIR may also be given as the last argument. Compressed files (.gz, .zst) and\n"
    "  compressed archives are recognised by themselves; --gzip is accepted for mongorestore\n"
    "  compatibility.\n";

int Usage(const std::string& problem) {
  std::cerr << "strata restore: " << problem << "\n" << kUsage;
  return 2;
}

int RestoreMain(const std::vector<std::string>& raw_args) {
  using dump::Flags;
  const std::vector<std::string>& args = raw_args;
  dump::RestoreOptions options;
  std::string error;
  auto parsed = Flags(args).Parse(
      [](const std::string& name) {
        if (name == "db" || name == "in" || name == "nsInclude" || name == "nsExclude" ||
            name == "nsFrom" || name == "nsTo" || name == "dir") {
          return Flags::Kind::kValue;
        }
        if (name == "archive") return Flags::Kind::kOptionalValue;
        if (name == "drop" || name == "noIndexRestore" || name == "noOptionsRestore" ||
            name == "maintainInsertionOrder" || name == "stopOnError" ||
            name == "bypassDocumentValidation" || name == "gzip" || name == "quiet" ||
            name == "help") {
          return Flags::Kind::kBool;
        }
        return Flags::Kind::kUnknown;
      },
      &error);
  if (!parsed.has_value()) return Usage(error);
  std::string data_dir;
  bool quiet = false;
  for (const Flags::Parsed& flag : *parsed) {
    const std::string& n = flag.name;
    if (n == "help") {
      std::cout << kUsage;
      return 0;
    } else if (n == "db") {
      data_dir = *flag.value;
    } else if (n.empty() || n == "in" || n == "dir") {  // mongorestore's positional DUMPDIR too
      options.in_dir = *flag.value;
    } else if (n == "archive") {
      options.archive = flag.value.value_or("-");
    } else if (n == "nsInclude") {
      options.ns_include.push_back(*flag.value);
    } else if (n == "nsExclude") {
      options.ns_exclude.push_back(*flag.value);
    } else if (n == "nsFrom") {
      options.ns_from.push_back(*flag.value);
    } else if (n == "nsTo") {
      options.ns_to.push_back(*flag.value);
    } else if (n == "drop") {
      options.drop = true;
    } else if (n == "noIndexRestore") {
      options.no_index_restore = true;
    } else if (n == "noOptionsRestore") {
      options.no_options_restore = true;
    } else if (n == "maintainInsertionOrder") {
      options.maintain_insertion_order = true;
    } else if (n == "stopOnError") {
      options.stop_on_error = true;
    } else if (n == "bypassDocumentValidation") {
      options.bypass_document_validation = true;
    } else if (n == "quiet") {
      quiet = true;
    }
  }
  if (data_dir.empty()) return Usage("--db DIR is required");
  if (options.in_dir.has_value() == options.archive.has_value()) {
    return Usage("give exactly one of --in DUMPDIR and --archive[=FILE]");
  }
  if (options.ns_from.size() != options.ns_to.size()) {
    return Usage("--nsFrom and --nsTo must come in pairs");
  }
  DatabaseOptions db_options;
  // Batches commit to the WAL without an fsync; Close syncs once at the end (restorer.h).
  db_options.durability = Durability::kRelaxed;
  db_options.ttl_monitor_interval_seconds = 0;  // nothing expires while the data loads
  if (!quiet) db_options.progress = [](std::string_view line) { std::cerr << line << "\n"; };
  auto db = db::DatabaseImpl::Open(data_dir, db_options);
  if (!db.ok()) {
    std::cerr << "strata restore: cannot open " << data_dir << ": " << db.status().message()
              << "\n";
    return 1;
  }
  dump::Progress progress = dump::Progress::ForStderr(!quiet);
  dump::RestoreResult result = dump::Restore(**db, options, progress);
  absl::Status closed = (*db)->Close();  // syncs the WAL: the restore's one fsync
  std::cerr << absl::StrFormat(
      "%d document(s) restored successfully. %d document(s) failed to restore.\n", result.documents,
      result.failed);
  if (!result.status.ok()) {
    std::cerr << "strata restore: " << result.status.message() << "\n";
    return 1;
  }
  if (!closed.ok()) {
    std::cerr << "strata restore: " << closed.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace strata::tools

STRATA_SUBCOMMAND(restore,
                  "restore --db DIR --in DUMP | --archive[=FILE] [--drop] ...  mongorestore",
                  strata::tools::RestoreMain);
