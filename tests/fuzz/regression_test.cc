// Runs every fuzz target (fuzz/targets.h) over its seed corpus (fuzz/corpus/<target>/) and its
// kept crashers (fuzz/regressions/<target>/) in the normal build: a crasher the fuzzer found
// and we fixed stays fixed, and the targets' invariants hold on the seeds without clang.
// A broken invariant aborts the test binary (FUZZ_CHECK), which ctest reports as a failure.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "tests/support/test_util.h"

namespace strata::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};

const Target kTargets[] = {
    {"bson_validate", BsonValidate},
    {"extended_json", ExtendedJson},
    {"key_string", KeyString},
    {"match", Match},
    {"update", Update},
    {"archive", Archive},
};

std::vector<fs::path> InputsOf(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"corpus", "regressions"}) {
    fs::path dir = fs::path(STRATA_FUZZ_DIR) / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().filename() != "README.md") {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

class FuzzRegressionTest : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzRegressionTest, SeedsAndKeptCrashersRunClean) {
  const Target& target = GetParam();
  std::vector<fs::path> inputs = InputsOf(target.name);
  EXPECT_FALSE(inputs.empty()) << "no seeds for " << target.name;
  for (const fs::path& path : inputs) {
    SCOPED_TRACE(path.string());
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressionTest, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace strata::fuzz
