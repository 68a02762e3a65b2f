// strata bench: YCSB-style load generator against a Strata data directory (tools/bench/).
#include <string>
#include <vector>

#include "tools/bench/backend.h"
#include "tools/bench/bench_main.h"
#include "tools/subcommand.h"

namespace strata::tools {
namespace {

int BenchMain(const std::vector<std::string>& args) {
  return bench::RunBenchMain(args, bench::MakeStrataBackend, "strata bench");
}

}  // namespace

STRATA_SUBCOMMAND(bench,
                  "bench [--workload A..F|index|aggregate|lookup] [--records N] [--ops N] …  "
                  "YCSB-style load benchmark (--help for every option)",
                  BenchMain);

}  // namespace strata::tools
