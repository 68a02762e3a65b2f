// The phases of `strata bench`: load (insert `records` documents) and run (the workload's
// operation mix), each on `threads` client threads against one Backend, with per-operation
// latency histograms, throughput sampled over time and a progress line on stderr.
#ifndef STRATA_TOOLS_BENCH_RUNNER_H_
#define STRATA_TOOLS_BENCH_RUNNER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/backend.h"
#include "tools/bench/histogram.h"
#include "tools/bench/workload.h"

namespace strata::bench {

struct OpStats {
  LatencyHistogram latency_ns;  // one value per operation, errors excluded
  int64_t not_found = 0;        // reads/updates of a key that was not there
  int64_t errors = 0;
  std::string first_error;
};

struct PhaseResult {
  std::string phase;       // "load" or "run"
  int64_t operations = 0;  // completed, errors excluded
  double seconds = 0;      // wall clock of the phase
  std::array<OpStats, kOpTypeCount> ops;
  double tick_seconds = 0;  // throughput samples: operations per second in each tick
  std::vector<double> throughput;
  // Non-empty when the store cannot run the workload ("aggregate command not available").
  std::string unavailable;
  int64_t errors() const;
  double ops_per_second() const { return seconds > 0 ? operations / seconds : 0; }
};

// Inserts documents 0 .. options.records-1.
PhaseResult RunLoad(Backend& backend, const BenchOptions& options, const DocumentFactory& factory);
// Runs options.ops operations (or options.duration_seconds) of `spec` over `records` records.
PhaseResult RunWorkload(Backend& backend, const BenchOptions& options, const WorkloadSpec& spec,
                        const DocumentFactory& factory, int64_t records);

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_RUNNER_H_
