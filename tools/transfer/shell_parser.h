// Parsing of `strata shell` input: mongosh's shorthand (db.users.find({…}).sort({…}).limit(5),
// db.runCommand({…}), show collections, use otherdb, it, exit, help) and bare command documents,
// with arguments in relaxed JSON (see relaxed_json.h).
#ifndef STRATA_TOOLS_TRANSFER_SHELL_PARSER_H_
#define STRATA_TOOLS_TRANSFER_SHELL_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/transfer/relaxed_json.h"

namespace strata::tools {

struct ShellCall {
  std::string method;
  std::vector<JsonValue> args;
};

struct ShellStatement {
  enum class Kind {
    kEmpty,       // nothing (blank line, comment)
    kCommand,     // a command document: {"ping": 1}
    kCollection,  // db.<collection>.<calls…>
    kDatabase,    // db.<method>(…)<.calls…>
    kShow,        // show <word>
    kUse,         // use <word>
    kIt,          // it
    kExit,        // exit, quit, exit(), quit()
    kHelp,        // help
  };
  Kind kind = Kind::kEmpty;
  std::string collection;
  std::vector<ShellCall> calls;  // in order; the first is the method
  std::string word;
  JsonValue document;
};

// Parses one statement (no top-level ';'). Errors say what was expected where.
absl::StatusOr<ShellStatement> ParseShellStatement(std::string_view text);

// True while `text` has an unclosed (, [, { or string: the shell reads another line.
bool NeedsMoreInput(std::string_view text);

// Splits `text` at top-level ';' (outside strings, brackets and comments).
std::vector<std::string> SplitStatements(std::string_view text);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_SHELL_PARSER_H_
