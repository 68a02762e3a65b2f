#include "tools/transfer/shell_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {
namespace {

// Walks `text` tracking strings, comments and bracket depth; calls on_top_semicolon(i) for a
// ';' at depth 0. Returns the final depth (or -1 inside an unterminated string/comment).
template <typename F>
int Scan(std::string_view text, F on_top_semicolon) {
  int depth = 0;
  char quote = 0;
  bool line_comment = false, block_comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (line_comment) {
      if (c == '\n') line_comment = false;
    } else if (block_comment) {
      if (c == '*' && next == '/') block_comment = false, ++i;
    } else if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '/' && next == '/') {
      line_comment = true;
    } else if (c == '/' && next == '*') {
      block_comment = true;
      ++i;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (c == ';' && depth == 0) {
      on_top_semicolon(i);
    }
  }
  return (quote != 0 || block_comment) ? -1 : depth;
}

absl::StatusOr<std::vector<JsonValue>> ParseArgs(RelaxedJsonParser& parser) {
  std::vector<JsonValue> args;
  if (!parser.Consume('(')) return parser.Error("expected '('");
  while (!parser.Consume(')')) {
    ASSIGN_OR_RETURN(JsonValue v, parser.ParseValue());
    args.push_back(std::move(v));
    if (!parser.Consume(',') && parser.Peek() != ')') {
      return parser.Error("expected ',' or ')' after an argument");
    }
  }
  return args;
}

absl::Status ParseChain(RelaxedJsonParser& parser, ShellStatement* statement) {
  while (parser.Consume('.')) {
    std::string method = parser.ParseIdentifier();
    if (method.empty()) return parser.Error("expected a method name after '.'");
    if (parser.Peek() != '(') {
      return parser.Error(
          absl::StrCat("expected '(' after ", method, " (call it: ", method, "())"));
    }
    ASSIGN_OR_RETURN(std::vector<JsonValue> args, ParseArgs(parser));
    statement->calls.push_back({std::move(method), std::move(args)});
  }
  return absl::OkStatus();
}

}  // namespace

bool NeedsMoreInput(std::string_view text) {
  return Scan(text, [](size_t) {}) != 0;
}

std::vector<std::string> SplitStatements(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  Scan(text, [&](size_t i) {
    parts.emplace_back(text.substr(start, i - start));
    start = i + 1;
  });
  parts.emplace_back(text.substr(start));
  return parts;
}

absl::StatusOr<ShellStatement> ParseShellStatement(std::string_view text) {
  ShellStatement statement;
  RelaxedJsonParser parser(text);
  if (parser.AtEnd()) return statement;
  if (parser.Peek() == '{') {
    ASSIGN_OR_RETURN(statement.document, parser.ParseValue());
    if (!parser.AtEnd()) return parser.Error("unexpected text after the command document");
    statement.kind = ShellStatement::Kind::kCommand;
    return statement;
  }
  std::string word = parser.ParseIdentifier();
  if (word.empty())
    return parser.Error(
        "expected db.<collection>.<method>(…), a command document, show, use, it, help or exit");
  if (word == "exit" || word == "quit" || word == "help" || word == "it") {
    if (parser.Consume('(') && !parser.Consume(')')) return parser.Error("expected ')'");
    if (!parser.AtEnd()) return parser.Error(absl::StrCat("unexpected text after ", word));
    statement.kind = word == "help" ? ShellStatement::Kind::kHelp
                     : word == "it" ? ShellStatement::Kind::kIt
                                    : ShellStatement::Kind::kExit;
    return statement;
  }
  if (word == "show" || word == "use") {
    parser.SkipSpace();
    size_t start = parser.pos();
    absl::string_view rest = absl::StripAsciiWhitespace(Sv(text.substr(start)));
    if (rest.empty() || rest.find_first_of(" \t\n") != absl::string_view::npos) {
      return parser.Error(absl::StrCat(word, " needs one name"));
    }
    statement.kind = word == "show" ? ShellStatement::Kind::kShow : ShellStatement::Kind::kUse;
    statement.word = std::string(rest);
    return statement;
  }
  if (word != "db") {
    return parser.Error(absl::StrCat("unknown name '", word,
                                     "' (statements start with db., show, use, it, help or exit)"));
  }
  if (parser.Consume('[')) {
    if (parser.Peek() != '"' && parser.Peek() != '\'')
      return parser.Error("expected a collection name string");
    ASSIGN_OR_RETURN(JsonValue name, parser.ParseValue());
    if (!parser.Consume(']')) return parser.Error("expected ']'");
    statement.kind = ShellStatement::Kind::kCollection;
    statement.collection = name.text;
  } else {
    if (!parser.Consume('.')) return parser.Error("expected '.' after db");
    std::string name = parser.ParseIdentifier();
    if (name.empty()) return parser.Error("expected a collection or method name after 'db.'");
    if (parser.Peek() == '(') {
      ASSIGN_OR_RETURN(std::vector<JsonValue> args, ParseArgs(parser));
      if (name == "getCollection") {
        if (args.size() != 1 || args[0].kind != JsonValue::Kind::kString) {
          return parser.Error("getCollection() needs a collection name");
        }
        statement.kind = ShellStatement::Kind::kCollection;
        statement.collection = args[0].text;
      } else {
        statement.kind = ShellStatement::Kind::kDatabase;
        statement.calls.push_back({name, std::move(args)});
      }
    } else {
      // Dotted collection names (db.system.profile.find()): every ".name" not called is part of it.
      statement.kind = ShellStatement::Kind::kCollection;
      statement.collection = name;
      while (true) {
        size_t save = parser.pos();
        if (!parser.Consume('.')) break;
        std::string part = parser.ParseIdentifier();
        if (part.empty() || parser.Peek() == '(') {
          parser.set_pos(save);
          break;
        }
        absl::StrAppend(&statement.collection, ".", part);
      }
    }
  }
  RETURN_IF_ERROR(ParseChain(parser, &statement));
  if (!parser.AtEnd()) return parser.Error("unexpected text (expected .method(…) or the end)");
  if (statement.kind == ShellStatement::Kind::kCollection && statement.calls.empty()) {
    return parser.Error(absl::StrCat("db.", statement.collection, " needs a method, e.g. db.",
                                     statement.collection, ".find()"));
  }
  return statement;
}

}  // namespace strata::tools
