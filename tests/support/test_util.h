// Shared test helpers: temporary directories, Status matchers, JSON document literals.
#ifndef STRATA_TESTS_SUPPORT_TEST_UTIL_H_
#define STRATA_TESTS_SUPPORT_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(std::string_view name) const;

 private:
  std::string path_;
};

// Parses Extended JSON or fails the test.
Document Json(std::string_view json);

// Result of running a program: exit code (or -signal) and captured output.
struct ProcessResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};
// Runs argv[0] with arguments, feeding `stdin_text`; waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view stdin_text = "");

}  // namespace strata::testing

// Matchers on absl::Status / absl::StatusOr.
MATCHER(IsOk, "is OK") {
  if constexpr (requires { arg.status(); }) {
    return arg.status().ok();
  } else {
    return arg.ok();
  }
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  absl::Status status;
  if constexpr (requires { arg.status(); }) {
    status = arg.status();
  } else {
    status = arg;
  }
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

#define ASSERT_OK(expr) ASSERT_THAT((expr), IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), IsOk())

#endif  // STRATA_TESTS_SUPPORT_TEST_UTIL_H_
