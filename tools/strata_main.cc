// `strata`: the command-line front end. Arguments are parsed in full before the data
// directory is opened, so a bad option never touches the data.
#include <charconv>
#include <cstring>
#include <iostream>

#include "absl/strings/string_view.h"
#include "tools/cli.h"
#include "tools/subcommand.h"

namespace {

bool ParseInt(absl::string_view text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

int Usage(absl::string_view problem) {
  std::cerr << "strata: " << problem << " (see 'strata help')\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Tools with their own flags (dump, restore, import, …) register themselves.
  if (argc > 1) {
    if (const strata::tools::Subcommand* sub = strata::tools::FindSubcommand(argv[1])) {
      return sub->main(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  strata::tools::CliOptions options;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    auto value = [&](absl::string_view name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (arg == "--db" || arg == "--database" || arg == "--filter" || arg == "--projection" ||
        arg == "--sort" || arg == "--skip" || arg == "--limit") {
      const char* v = value(arg);
      if (v == nullptr) return Usage(std::string("option ") + std::string(arg) + " needs a value");
      if (arg == "--db") options.data_dir = v;
      if (arg == "--database") options.database = v;
      if (arg == "--filter") options.filter = v;
      if (arg == "--projection") options.projection = v;
      if (arg == "--sort") options.sort = v;
      if (arg == "--skip" && !ParseInt(v, &options.skip)) {
        return Usage(std::string("--skip needs an integer, got '") + v + "'");
      }
      if (arg == "--limit" && !ParseInt(v, &options.limit)) {
        return Usage(std::string("--limit needs an integer, got '") + v + "'");
      }
    } else if (arg == "--pretty") {
      options.pretty = true;
    } else if (arg == "--relaxed") {
      options.durability = strata::Durability::kRelaxed;
    } else if (arg == "--help" || arg == "-h") {
      strata::tools::PrintHelp();
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(std::string("unknown option '") + std::string(arg) + "'");
    } else {
      options.positional.emplace_back(arg);
    }
  }
  if (options.positional.empty()) return Usage("no subcommand given");
  const std::string& command = options.positional[0];
  if (command == "help") {
    strata::tools::PrintHelp();
    return 0;
  }
  if (command == "run") return strata::tools::RunCommands(options);
  if (command == "insert") return strata::tools::InsertShortcut(options);
  if (command == "find") return strata::tools::FindShortcut(options);
  if (command == "explain") return strata::tools::ExplainShortcut(options);
  if (command == "collections") return strata::tools::ListCollectionsShortcut(options);
  if (command == "demo") return strata::tools::Demo(options);
  return Usage("unknown subcommand '" + command + "'");
}
