#include "tools/subcommand.h"

#include <algorithm>
#include <cstring>

namespace strata::tools {
namespace {

// A function-local static: registrars in other files run during static initialisation,
// in an unspecified order, so the table must exist before the first of them.
std::vector<Subcommand>& Table() {
  static std::vector<Subcommand> table;
  return table;
}

}  // namespace

bool RegisterSubcommand(const Subcommand& subcommand) {
  Table().push_back(subcommand);
  return true;
}

const Subcommand* FindSubcommand(const std::string& name) {
  for (const Subcommand& s : Table()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::vector<Subcommand> AllSubcommands() {
  std::vector<Subcommand> all = Table();
  std::sort(all.begin(), all.end(), [](const Subcommand& a, const Subcommand& b) {
    return std::strcmp(a.name, b.name) < 0;
  });
  return all;
}

}  // namespace strata::tools
