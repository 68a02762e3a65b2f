// The main program of `strata bench` and of the peer programs (bench/peers/): parses the
// options, opens the backend, runs the load and run phases, prints the results (text or
// --json) and draws --plot. Returns the exit code: 0 done (also when the store reports the
// workload unavailable, which the output says), 1 a failure, 2 bad usage.
#ifndef STRATA_TOOLS_BENCH_BENCH_MAIN_H_
#define STRATA_TOOLS_BENCH_BENCH_MAIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/bench/backend.h"

namespace strata::bench {

int RunBenchMain(const std::vector<std::string>& args,
                 const std::function<std::unique_ptr<Backend>()>& make_backend,
                 const std::string& program);

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_BENCH_MAIN_H_
