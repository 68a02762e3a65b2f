// A compiled regular expression for $regex and /re/ filters, on PCRE2 (UTF mode, JIT).
//
// Patterns are compiled once, when the filter is parsed; matching allocates nothing (each
// thread keeps one reusable match-data block). Options follow MongoDB's $options:
//   i  case-insensitive      m  ^ and $ match at line breaks
//   s  dot matches newline   x  extended (whitespace and # comments ignored)
//   u  accepted, no effect (UTF is always on)
// Any other option character is an error.
//
// Thread safety: a Regex is immutable after Compile; Matches may be called concurrently.
#ifndef STRATA_QUERY_MATCH_REGEX_H_
#define STRATA_QUERY_MATCH_REGEX_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::query::match {

class Regex {
 public:
  // Compiles `pattern` with MongoDB `options`. Errors (BadValue, via base/error_codes.h):
  //   "invalid flag in regex options: <c>"
  //   "Regular expression cannot contain an embedded null byte"
  //   "Regular expression is invalid: <PCRE2's message>"
  static absl::StatusOr<std::unique_ptr<Regex>> Compile(absl::string_view pattern,
                                                        absl::string_view options);

  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex();

  // True when the pattern matches somewhere in `subject` (UTF-8; invalid sequences never
  // match any part of the pattern but are otherwise safe).
  bool Matches(absl::string_view subject) const;

 private:
  explicit Regex(void* code) : code_(code) {}
  void* code_;  // pcre2_code_8*, owned
};

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_REGEX_H_
