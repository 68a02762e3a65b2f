// `strata import`: see tools/transfer/importer.h.
#include <iostream>

#include "tools/subcommand.h"
#include "tools/transfer/importer.h"

namespace {

int ImportMain(const std::vector<std::string>& args) {
  strata::tools::ImportOptions options;
  bool help = false;
  int parsed = strata::tools::ParseImportArgs(args, &options, &help);
  if (parsed != 0 || help) return parsed;
  return strata::tools::RunImport(options, std::cerr);
}

}  // namespace

STRATA_SUBCOMMAND(import,
                  "import --db DIR --collection C [--file F] [--type json|csv|tsv] …  "
                  "load documents as mongoimport",
                  ImportMain);
