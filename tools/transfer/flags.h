// A small parser for a tool's flags: `--name value`, `--name=value` and boolean `--name`.
#ifndef STRATA_TOOLS_TRANSFER_FLAGS_H_
#define STRATA_TOOLS_TRANSFER_FLAGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace strata::tools {

struct ParsedFlags {
  std::map<std::string, std::string> values;  // flags that take a value (name without "--")
  std::set<std::string> booleans;             // boolean flags given
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) || booleans.count(name); }
  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

// Errors: an unknown flag, a value flag without its value, a value given to a boolean flag.
absl::Status ParseFlags(const std::vector<std::string>& args,
                        const std::set<std::string>& value_flags,
                        const std::set<std::string>& boolean_flags, ParsedFlags* out);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_FLAGS_H_
