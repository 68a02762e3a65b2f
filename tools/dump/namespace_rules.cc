#include "tools/dump/namespace_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace strata::tools::dump {
namespace {

void AppendLiteral(char c, std::string* regex) {
  if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) regex->push_back('\\');
  regex->push_back(c);
}

// '*' → ".*", "\x" → literal x, `$name$` → a capture group when `variables` is given.
absl::StatusOr<std::regex> Compile(const std::string& pattern,
                                   std::vector<std::string>* variables) {
  std::string regex;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      AppendLiteral(pattern[++i], &regex);
    } else if (c == '*') {
      regex += ".*";
    } else if (c == '$' && variables != nullptr) {
      size_t end = pattern.find('$', i + 1);
      if (end == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("namespace pattern '", pattern, "': unterminated $variable$"));
      }
      variables->push_back(pattern.substr(i + 1, end - i - 1));
      regex += "(.*)";
      i = end;
    } else {
      AppendLiteral(c, &regex);
    }
  }
  return std::regex(regex);
}

}  // namespace

absl::StatusOr<NamespaceRules> NamespaceRules::Make(const std::vector<std::string>& include,
                                                    const std::vector<std::string>& exclude,
                                                    const std::vector<std::string>& from,
                                                    const std::vector<std::string>& to) {
  NamespaceRules rules;
  for (const std::string& pattern : include) {
    auto regex = Compile(pattern, nullptr);
    if (!regex.ok()) return regex.status();
    rules.include_.push_back(std::move(*regex));
  }
  for (const std::string& pattern : exclude) {
    auto regex = Compile(pattern, nullptr);
    if (!regex.ok()) return regex.status();
    rules.exclude_.push_back(std::move(*regex));
  }
  if (from.size() != to.size()) {
    return absl::InvalidArgumentError("--nsFrom and --nsTo must come in pairs");
  }
  for (size_t i = 0; i < from.size(); ++i) {
    RenameRule rule;
    auto regex = Compile(from[i], &rule.variables);
    if (!regex.ok()) return regex.status();
    rule.from = std::move(*regex);
    rule.to = to[i];
    // Every $name$ of nsTo must be defined by nsFrom.
    for (size_t p = rule.to.find('$'); p != std::string::npos;) {
      size_t end = rule.to.find('$', p + 1);
      if (end == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("--nsTo '", to[i], "': unterminated $variable$"));
      }
      std::string name = rule.to.substr(p + 1, end - p - 1);
      if (std::find(rule.variables.begin(), rule.variables.end(), name) == rule.variables.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--nsTo '", to[i], "' uses $", name, "$, which --nsFrom does not define"));
      }
      p = rule.to.find('$', end + 1);
    }
    rules.renames_.push_back(std::move(rule));
  }
  return rules;
}

bool NamespaceRules::Includes(const std::string& ns) const {
  for (const std::regex& regex : exclude_) {
    if (std::regex_match(ns, regex)) return false;
  }
  if (include_.empty()) return true;
  for (const std::regex& regex : include_) {
    if (std::regex_match(ns, regex)) return true;
  }
  return false;
}

std::string NamespaceRules::Rename(const std::string& ns) const {
  for (const RenameRule& rule : renames_) {
    std::smatch match;
    if (!std::regex_match(ns, match, rule.from)) continue;
    std::string out = rule.to;
    for (size_t v = 0; v < rule.variables.size(); ++v) {
      out = absl::StrReplaceAll(out,
                                {{absl::StrCat("$", rule.variables[v], "$"), match[v + 1].str()}});
    }
    return out;
  }
  return ns;
}

}  // namespace strata::tools::dump
