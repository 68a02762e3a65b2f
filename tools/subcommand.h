// Self-registering `strata` subcommands with their own option parsing.
//
// A subcommand file (compiled straight into the `strata` executable, so its static registrar
// is never dropped by the linker) declares
//   STRATA_SUBCOMMAND(dump, "dump --db DIR --out DIR …  write a mongodump-layout dump", DumpMain);
// where `int DumpMain(const std::vector<std::string>& args)` gets the arguments after the
// subcommand's name and returns the exit code (0 ok, 1 failed, 2 bad usage). strata_main.cc
// looks a subcommand up here before the shared options of the older shortcuts are parsed, so
// every tool owns its flags and no two tools edit the same dispatch code.
#ifndef STRATA_TOOLS_SUBCOMMAND_H_
#define STRATA_TOOLS_SUBCOMMAND_H_

#include <string>
#include <vector>

namespace strata::tools {

using SubcommandMain = int (*)(const std::vector<std::string>& args);

struct Subcommand {
  const char* name;
  const char* usage;  // one line for `strata help`
  SubcommandMain main;
};

// Adds `subcommand` to the table; returns true so it can initialise a static.
bool RegisterSubcommand(const Subcommand& subcommand);
// nullptr when no subcommand has that name.
const Subcommand* FindSubcommand(const std::string& name);
// Every registered subcommand, sorted by name.
std::vector<Subcommand> AllSubcommands();

}  // namespace strata::tools

#define STRATA_SUBCOMMAND(name, usage, main_function)                      \
  [[maybe_unused]] static const bool strata_subcommand_registered_##name = \
      ::strata::tools::RegisterSubcommand(                                 \
          ::strata::tools::Subcommand{#name, usage, main_function})

#endif  // STRATA_TOOLS_SUBCOMMAND_H_
