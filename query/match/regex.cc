#include "query/match/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/error_codes.h"

namespace strata::query::match {
namespace {

// One match-data block per thread, created on first use and freed at thread exit. A single
// ovector pair is enough: we only ask whether there is a match.
class ThreadMatchData {
 public:
  ThreadMatchData() : data_(pcre2_match_data_create(1, nullptr)) {}
  ~ThreadMatchData() { pcre2_match_data_free(data_); }
  pcre2_match_data* get() const { return data_; }

 private:
  pcre2_match_data* data_;
};

pcre2_match_data* MatchData() {
  thread_local ThreadMatchData data;
  return data.get();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Regex>> Regex::Compile(absl::string_view pattern,
                                                      absl::string_view options) {
  // PCRE2_MATCH_INVALID_UTF: subjects need no UTF validity check and stay safe if one slips by.
  uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  for (char c : options) {
    switch (c) {
      case 'i':
        flags |= PCRE2_CASELESS;
        break;
      case 'm':
        flags |= PCRE2_MULTILINE;
        break;
      case 's':
        flags |= PCRE2_DOTALL;
        break;
      case 'x':
        flags |= PCRE2_EXTENDED;
        break;
      case 'u':
        break;
      default:
        return MongoError(ErrorCode::kBadValue, absl::StrCat("invalid flag in regex options: ",
                                                             absl::string_view(&c, 1)));
    }
  }
  if (pattern.find('\0') != absl::string_view::npos) {
    return MongoError(ErrorCode::kBadValue,
                      "Regular expression cannot contain an embedded null byte");
  }
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   flags, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    if (pcre2_get_error_message(error, message, sizeof(message)) < 0) message[0] = 0;
    // MongoDB reports a pattern PCRE cannot compile as Location51091.
    return MongoError(
        static_cast<ErrorCode>(51091),
        absl::StrCat("Regular expression is invalid: ", reinterpret_cast<const char*>(message)));
  }
  // JIT is an optimisation: where it is unavailable pcre2_match interprets the pattern.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::unique_ptr<Regex>(new Regex(code));
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::Matches(absl::string_view subject) const {
  auto* code = static_cast<pcre2_code*>(code_);
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = pcre2_match(code, bytes, subject.size(), 0, 0, MatchData(), nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The JIT's default stack (32 KiB) is too small for this subject: use the interpreter,
    // whose memory comes from the heap.
    rc = pcre2_match(code, bytes, subject.size(), 0, PCRE2_NO_JIT, MatchData(), nullptr);
  }
  return rc >= 0;  // 0: matched, ovector too small to hold every group (we asked for none)
}

}  // namespace strata::query::match
