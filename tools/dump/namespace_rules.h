// Which namespaces a restore takes and under which name, as mongorestore's --nsInclude,
// --nsExclude and --nsFrom/--nsTo:
//   --nsInclude 'test.*'  '*' matches any run of characters (dots included); '\' escapes.
//   --nsFrom 'src.$coll$' --nsTo 'dst.$coll$'  each $name$ in nsFrom matches any run of
//   characters and is substituted into nsTo; the first matching pair renames.
// Patterns are matched against the namespace in the dump ("db.collection").
#ifndef STRATA_TOOLS_DUMP_NAMESPACE_RULES_H_
#define STRATA_TOOLS_DUMP_NAMESPACE_RULES_H_

#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::tools::dump {

class NamespaceRules {
 public:
  // InvalidArgument on a malformed pattern or an nsTo variable nsFrom does not define.
  static absl::StatusOr<NamespaceRules> Make(const std::vector<std::string>& include,
                                             const std::vector<std::string>& exclude,
                                             const std::vector<std::string>& from,
                                             const std::vector<std::string>& to);

  // Whether the dump's namespace `ns` is restored.
  bool Includes(const std::string& ns) const;
  // The namespace `ns` is restored into.
  std::string Rename(const std::string& ns) const;

 private:
  struct RenameRule {
    std::regex from;
    std::vector<std::string> variables;  // names of the capture groups, in order
    std::string to;                      // with $name$ placeholders
  };
  std::vector<std::regex> include_, exclude_;
  std::vector<RenameRule> renames_;
};

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_NAMESPACE_RULES_H_
