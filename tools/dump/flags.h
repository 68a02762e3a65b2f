// A small flag parser for the dump/restore subcommands: "--name value", "--name=value", and
// flags whose value is optional ("--archive" alone, or "--archive=FILE").
#ifndef STRATA_TOOLS_DUMP_FLAGS_H_
#define STRATA_TOOLS_DUMP_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

namespace strata::tools::dump {

class Flags {
 public:
  explicit Flags(const std::vector<std::string>& args) : args_(args) {}

  // How a flag takes a value (`kind_of(name)`, the name without dashes, tells).
  enum class Kind { kUnknown, kBool, kValue, kOptionalValue };
  struct Parsed {
    std::string name;
    std::optional<std::string> value;
  };
  // Parses with `kind_of(name)`; on error returns nullopt and sets *error.
  template <typename KindOf>
  std::optional<std::vector<Parsed>> Parse(KindOf kind_of, std::string* error) const {
    std::vector<Parsed> out;
    for (size_t i = 0; i < args_.size(); ++i) {
      const std::string& arg = args_[i];
      if (arg.rfind("--", 0) != 0) {
        out.push_back(Parsed{"", arg});  // a positional argument: empty name
        continue;
      }
      std::string name = arg.substr(2);
      std::optional<std::string> value;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      Kind kind = kind_of(name);
      if (kind == Kind::kUnknown) {
        *error = "unknown option '--" + name + "'";
        return std::nullopt;
      }
      if (kind == Kind::kBool && value.has_value()) {
        *error = "option '--" + name + "' takes no value";
        return std::nullopt;
      }
      if (kind == Kind::kValue && !value.has_value()) {
        if (i + 1 >= args_.size()) {
          *error = "option '--" + name + "' needs a value";
          return std::nullopt;
        }
        value = args_[++i];
      }
      out.push_back(Parsed{name, value});
    }
    return out;
  }

 private:
  const std::vector<std::string>& args_;
};

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_FLAGS_H_
