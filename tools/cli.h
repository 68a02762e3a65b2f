// The `strata` command-line tool's subcommands. Each returns the process exit code:
// 0 success, 1 a command failed (a reply with ok: 0, an invalid document), 2 bad usage.
// Errors go to stderr as one line naming the problem.
#ifndef STRATA_TOOLS_CLI_H_
#define STRATA_TOOLS_CLI_H_

#include <optional>
#include <string>
#include <vector>

#include "strata/document.h"
#include "strata/options.h"

namespace strata::tools {

struct CliOptions {
  std::string data_dir = "./strata-data";               // --db DIR
  std::string database = "test";                        // --database NAME (shortcuts)
  Durability durability = Durability::kDurable;         // --relaxed
  std::optional<std::string> filter, projection, sort;  // find
  int64_t skip = 0, limit = 0;                          // find
  bool pretty = false;                                  // find --pretty
  std::vector<std::string> positional;                  // subcommand and its arguments
};

int RunCommands(const CliOptions& options);      // strata run [FILE]
int InsertShortcut(const CliOptions& options);   // strata insert COLL [FILE]
int FindShortcut(const CliOptions& options);     // strata find COLL …
int ExplainShortcut(const CliOptions& options);  // strata explain COLL … (cli_explain.cc)
// The find command of `strata find`/`explain` options (positional[1] is the collection);
// nullopt, after reporting on stderr, when a JSON option does not parse.
std::optional<Document> BuildFindCommand(const CliOptions& options);
int ListCollectionsShortcut(const CliOptions& options);  // strata collections
int Demo(const CliOptions& options);                     // strata demo
void PrintHelp();

}  // namespace strata::tools

#endif  // STRATA_TOOLS_CLI_H_
