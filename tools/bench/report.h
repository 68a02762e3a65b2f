// The results of one `strata bench` invocation and their three renderings: a table for
// people, one JSON document for programs (bench/peers/run.sh reads it), and a PNG plot.
//
// JSON shape (latencies in microseconds; "unavailable" only when the store cannot run the
// workload, e.g. "aggregate command not available"):
//   {"backend", "description", "workload", "workload_description", "distribution", "records",
//    "threads", "durable", "indexes", "doc_size", "document_bytes", "fields", "seed",
//    "phases": [{"phase": "load"|"run", "operations", "seconds", "ops_per_sec", "errors",
//                "unavailable"?, "tick_seconds", "throughput": [ops/s per tick…],
//                "operations_by_type": {"READ": {"count", "ops_per_sec", "not_found", "errors",
//                   "latency_us": {"p50", "p95", "p99", "p99_9", "max", "mean"}}, …}}]}
#ifndef STRATA_TOOLS_BENCH_REPORT_H_
#define STRATA_TOOLS_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/bench/runner.h"
#include "tools/bench/workload.h"

namespace strata::bench {

struct BenchResult {
  std::string backend;
  std::string description;
  BenchOptions options;
  WorkloadSpec spec;
  int64_t records = 0;
  int64_t document_bytes = 0;  // BSON size of record 0
  std::vector<PhaseResult> phases;
};

std::string FormatText(const BenchResult& result);
std::string FormatJson(const BenchResult& result);
// Renders throughput over time and latency by percentile to `png_path` with gnuplot.
absl::Status WritePlot(const BenchResult& result, const std::string& png_path);

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_REPORT_H_
