// `strata shell [--db DIR] [--eval JS]`: an interactive shell on a data directory
// (tools/transfer/shell_session.h). On a terminal it edits lines and keeps history with
// libedit (~/.strata_shell_history); from a pipe it reads statements without prompts or banner
// and exits 1 if any statement failed. A statement spans lines while a bracket is open.
#include <editline/readline.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "tools/subcommand.h"
#include "tools/transfer/flags.h"
#include "tools/transfer/shell_parser.h"
#include "tools/transfer/shell_session.h"
#include "tools/transfer/tool_support.h"

namespace {

using strata::tools::ShellSession;

const char kUsage[] = "usage: strata shell [--db DIR] [--eval STATEMENTS] [--quiet]\n";

// Set by Ctrl-C on a terminal: the line being typed is dropped instead of the shell dying.
volatile sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

enum class Input { kLine, kInterrupted, kEnd };

// Reads one line.
Input ReadLine(bool tty, const std::string& prompt, std::string* line) {
  if (!tty) return std::getline(std::cin, *line) ? Input::kLine : Input::kEnd;
  interrupted = 0;
  char* text = readline(prompt.c_str());
  if (interrupted) {
    std::free(text);
    return Input::kInterrupted;
  }
  if (text == nullptr) return Input::kEnd;
  *line = text;
  std::free(text);
  return Input::kLine;
}

int ShellMain(const std::vector<std::string>& args) {
  strata::tools::ParsedFlags flags;
  absl::Status parsed = strata::tools::ParseFlags(args, {"db", "eval"}, {"help", "quiet"}, &flags);
  if (!parsed.ok() || !flags.positional.empty()) {
    std::cerr << "strata shell: "
              << (parsed.ok() ? "unexpected argument " + flags.positional[0]
                              : std::string(parsed.message()))
              << "\n"
              << kUsage;
    return 2;
  }
  if (flags.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string dir = flags.Get("db", "./strata-data");
  auto db = strata::tools::OpenDataDirectory(dir, /*create=*/true, /*relaxed=*/false, std::cerr);
  if (!db.ok()) {
    std::cerr << "strata shell: " << db.status().message() << "\n";
    return 1;
  }
  ShellSession session(db->get(), std::cout, std::cerr);
  const bool tty = !flags.Has("eval") && isatty(STDIN_FILENO) != 0;
  std::string history_path;
  if (tty) {
    if (const char* home = std::getenv("HOME"))
      history_path = std::string(home) + "/.strata_shell_history";
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);  // no SA_RESTART: the read returns
    using_history();
    stifle_history(1000);
    if (!history_path.empty()) read_history(history_path.c_str());
    if (!flags.Has("quiet")) {
      std::cout << "strata shell on " << dir << " (type help for help, exit to leave)\n";
    }
  }
  if (flags.Has("eval")) {
    session.Run(flags.Get("eval"));
  } else {
    std::string buffer, line;
    while (true) {
      std::string prompt = buffer.empty() ? session.database() + "> " : "... ";
      Input got = ReadLine(tty, prompt, &line);
      if (got == Input::kEnd) break;
      if (got == Input::kInterrupted) {
        std::cout << "\n(Ctrl-C dropped the input; type exit or press Ctrl-D to leave)\n";
        buffer.clear();
        continue;
      }
      buffer += buffer.empty() ? line : "\n" + line;
      if (strata::tools::NeedsMoreInput(buffer)) continue;
      if (tty && buffer.find_first_not_of(" \t") != std::string::npos) {
        add_history(buffer.c_str());
      }
      std::string statement = std::move(buffer);
      buffer.clear();
      if (!session.Run(statement)) break;
    }
    if (!buffer.empty()) session.Run(buffer);  // an unfinished statement: report its error
  }
  if (tty && !history_path.empty()) write_history(history_path.c_str());
  absl::Status closed = (*db)->Close();
  if (!closed.ok()) {
    std::cerr << "strata shell: " << closed.message() << "\n";
    return 1;
  }
  return !tty && session.had_error() ? 1 : 0;
}

}  // namespace

STRATA_SUBCOMMAND(shell, "shell [--db DIR] [--eval JS]  interactive mongosh-style shell",
                  ShellMain);
