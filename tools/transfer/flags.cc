#include "tools/transfer/flags.h"

#include "absl/strings/str_cat.h"

namespace strata::tools {

absl::Status ParseFlags(const std::vector<std::string>& args,
                        const std::set<std::string>& value_flags,
                        const std::set<std::string>& boolean_flags, ParsedFlags* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      out->positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (value_flags.count(name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("option --", name, " needs a value"));
        }
        value = args[++i];
      }
      out->values[name] = value;
    } else if (boolean_flags.count(name)) {
      if (has_value && value != "true") {
        if (value == "false") continue;
        return absl::InvalidArgumentError(absl::StrCat("option --", name, " takes no value"));
      }
      out->booleans.insert(name);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::tools
