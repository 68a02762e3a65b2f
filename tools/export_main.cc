// `strata export`: see tools/transfer/exporter.h.
#include <iostream>

#include "tools/subcommand.h"
#include "tools/transfer/exporter.h"

namespace {

int ExportMain(const std::vector<std::string>& args) {
  strata::tools::ExportOptions options;
  bool help = false;
  int parsed = strata::tools::ParseExportArgs(args, &options, &help);
  if (parsed != 0 || help) return parsed;
  return strata::tools::RunExport(options, std::cerr);
}

}  // namespace

STRATA_SUBCOMMAND(export,
                  "export --db DIR --collection C [--out F] [--type json|csv] [--query J] …  "
                  "write documents as mongoexport",
                  ExportMain);
