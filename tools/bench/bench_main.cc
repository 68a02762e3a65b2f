#include "tools/bench/bench_main.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "tools/bench/report.h"
#include "tools/bench/runner.h"

namespace strata::bench {
namespace {

// A fresh directory under $TMPDIR (else /tmp), or "" on failure.
std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/strata-bench-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

}  // namespace

int RunBenchMain(const std::vector<std::string>& args,
                 const std::function<std::unique_ptr<Backend>()>& make_backend,
                 const std::string& program) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << BenchUsage();
      return 0;
    }
  }
  absl::StatusOr<BenchOptions> parsed = ParseBenchOptions(args);
  if (!parsed.ok()) {
    std::cerr << program << ": " << parsed.status().message() << " (see '" << program
              << " --help')\n";
    return 2;
  }
  const BenchOptions& options = *parsed;
  const WorkloadSpec spec = *FindWorkload(options.workload);
  std::string dir = options.db_dir;
  const bool temporary = dir.empty();
  if (temporary) {
    dir = MakeTempDir();
    if (dir.empty()) {
      std::cerr << program << ": cannot create a temporary directory\n";
      return 1;
    }
  }
  std::unique_ptr<Backend> backend = make_backend();
  const DocumentFactory factory(options.fields, options.doc_size, options.seed);

  BenchResult result;
  result.backend = backend->name();
  result.options = options;
  result.spec = spec;
  result.records = options.records;
  result.document_bytes = static_cast<int64_t>(factory.Build(0).size());
  int exit_code = 0;
  auto fail = [&](const std::string& what, const absl::Status& status) {
    std::cerr << program << ": " << what << ": " << status << "\n";
    exit_code = 1;
  };
  if (absl::Status opened = backend->Open(dir, options, options.load); !opened.ok()) {
    fail(absl::StrCat("cannot open ", dir), opened);
  } else {
    result.description = backend->description();
    if (options.load) {
      result.phases.push_back(RunLoad(*backend, options, factory));
    } else if (!options.records_given) {
      absl::StatusOr<int64_t> count = backend->CountRecords();
      if (!count.ok()) {
        fail("cannot count the records", count.status());
      } else {
        result.records = *count;
      }
    }
    if (exit_code == 0 && options.run &&
        (result.phases.empty() || result.phases[0].errors() == 0)) {
      result.phases.push_back(RunWorkload(*backend, options, spec, factory, result.records));
    }
    if (absl::Status closed = backend->Close(); !closed.ok()) fail("close failed", closed);
  }
  for (const PhaseResult& p : result.phases) {
    if (p.errors() > 0) exit_code = 1;
  }
  if (options.json) {
    std::cout << FormatJson(result);
  } else {
    std::cout << FormatText(result);
  }
  if (!options.plot.empty() && !result.phases.empty()) {
    if (absl::Status plotted = WritePlot(result, options.plot); !plotted.ok()) {
      fail("cannot draw the plot", plotted);
    } else if (!options.quiet) {
      std::cerr << program << ": plot written to " << options.plot << "\n";
    }
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return exit_code;
}

}  // namespace strata::bench
