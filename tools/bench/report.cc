#include "tools/bench/report.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace strata::bench {
namespace {

double Micros(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) { return absl::StrFormat("%.6g", value); }

}  // namespace

std::string FormatText(const BenchResult& r) {
  const BenchOptions& o = r.options;
  std::string out = absl::StrFormat(
      "%s bench: workload %s (%s), %s, %d records of %d bytes (%d fields), %d thread%s, %s, %s\n"
      "store: %s\n",
      r.backend, r.spec.name, r.spec.description,
      DistributionName(o.distribution.value_or(r.spec.distribution)), r.records, r.document_bytes,
      o.fields, o.threads, o.threads == 1 ? "" : "s", o.durable ? "durable" : "relaxed",
      o.indexes ? "with the cat index" : "no secondary index", r.description);
  for (const PhaseResult& p : r.phases) {
    absl::StrAppendFormat(&out, "[%s] %d operations in %.2f s: %.0f ops/s", p.phase, p.operations,
                          p.seconds, p.ops_per_second());
    if (p.errors() > 0) absl::StrAppendFormat(&out, ", %d errors", p.errors());
    out += "\n";
    if (!p.unavailable.empty()) absl::StrAppend(&out, "[", p.phase, "] ", p.unavailable, "\n");
  }
  absl::StrAppendFormat(&out, "%-6s %-18s %10s %10s %9s %9s %9s %9s %9s\n", "phase", "operation",
                        "count", "ops/s", "p50 us", "p95 us", "p99 us", "p99.9 us", "max us");
  for (const PhaseResult& p : r.phases) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      const OpStats& s = p.ops[static_cast<size_t>(i)];
      if (s.latency_ns.count() == 0 && s.errors == 0) continue;
      const LatencyHistogram& h = s.latency_ns;
      absl::StrAppendFormat(&out, "%-6s %-18s %10d %10.0f %9.1f %9.1f %9.1f %9.1f %9.1f\n", p.phase,
                            OpTypeName(static_cast<OpType>(i)), h.count(),
                            p.seconds > 0 ? static_cast<double>(h.count()) / p.seconds : 0,
                            Micros(h.ValueAtPercentile(50)), Micros(h.ValueAtPercentile(95)),
                            Micros(h.ValueAtPercentile(99)), Micros(h.ValueAtPercentile(99.9)),
                            Micros(h.max()));
      if (s.not_found > 0) absl::StrAppendFormat(&out, "       (%d not found)\n", s.not_found);
      if (s.errors > 0) {
        absl::StrAppendFormat(&out, "       (%d errors, first: %s)\n", s.errors, s.first_error);
      }
    }
  }
  return out;
}

std::string FormatJson(const BenchResult& r) {
  const BenchOptions& o = r.options;
  std::string out = absl::StrCat(
      "{\"backend\":", JsonString(r.backend), ",\"description\":", JsonString(r.description),
      ",\"workload\":", JsonString(r.spec.name),
      ",\"workload_description\":", JsonString(r.spec.description), ",\"distribution\":",
      JsonString(DistributionName(o.distribution.value_or(r.spec.distribution))),
      ",\"records\":", r.records, ",\"threads\":", o.threads,
      ",\"durable\":", o.durable ? "true" : "false", ",\"indexes\":", o.indexes ? "true" : "false",
      ",\"doc_size\":", o.doc_size, ",\"document_bytes\":", r.document_bytes,
      ",\"fields\":", o.fields, ",\"seed\":", o.seed, ",\"phases\":[");
  bool first_phase = true;
  for (const PhaseResult& p : r.phases) {
    if (!first_phase) out += ",";
    first_phase = false;
    absl::StrAppend(&out, "{\"phase\":", JsonString(p.phase), ",\"operations\":", p.operations,
                    ",\"seconds\":", JsonNumber(p.seconds),
                    ",\"ops_per_sec\":", JsonNumber(p.ops_per_second()),
                    ",\"errors\":", p.errors());
    if (!p.unavailable.empty())
      absl::StrAppend(&out, ",\"unavailable\":", JsonString(p.unavailable));
    absl::StrAppend(&out, ",\"tick_seconds\":", JsonNumber(p.tick_seconds), ",\"throughput\":[");
    for (size_t i = 0; i < p.throughput.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ",", JsonNumber(p.throughput[i]));
    }
    out += "],\"operations_by_type\":{";
    bool first_op = true;
    for (int i = 0; i < kOpTypeCount; ++i) {
      const OpStats& s = p.ops[static_cast<size_t>(i)];
      if (s.latency_ns.count() == 0 && s.errors == 0) continue;
      if (!first_op) out += ",";
      first_op = false;
      const LatencyHistogram& h = s.latency_ns;
      absl::StrAppend(&out, JsonString(OpTypeName(static_cast<OpType>(i))),
                      ":{\"count\":", h.count(), ",\"ops_per_sec\":",
                      JsonNumber(p.seconds > 0 ? static_cast<double>(h.count()) / p.seconds : 0),
                      ",\"not_found\":", s.not_found, ",\"errors\":", s.errors,
                      ",\"latency_us\":{\"p50\":", JsonNumber(Micros(h.ValueAtPercentile(50))),
                      ",\"p95\":", JsonNumber(Micros(h.ValueAtPercentile(95))),
                      ",\"p99\":", JsonNumber(Micros(h.ValueAtPercentile(99))),
                      ",\"p99_9\":", JsonNumber(Micros(h.ValueAtPercentile(99.9))),
                      ",\"max\":", JsonNumber(Micros(h.max())),
                      ",\"mean\":", JsonNumber(h.mean() / 1000.0), "}}");
    }
    out += "}}";
  }
  out += "]}\n";
  return out;
}

absl::Status WritePlot(const BenchResult& r, const std::string& png_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(png_path).parent_path().empty()
                           ? fs::temp_directory_path(ec) / "strata-bench-plot"
                           : fs::path(png_path).parent_path() / ".strata-bench-plot";
  fs::create_directories(dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  // Throughput: one file, one block per phase, time running on across phases.
  std::string throughput_plot, latency_plot;
  double offset = 0;
  int block = 0;
  {
    std::ofstream tl(dir / "throughput.dat");
    for (const PhaseResult& p : r.phases) {
      tl << "# " << p.phase << "\n";
      for (size_t i = 0; i < p.throughput.size(); ++i) {
        tl << offset + p.tick_seconds * static_cast<double>(i + 1) << " " << p.throughput[i]
           << "\n";
      }
      tl << "\n\n";
      absl::StrAppend(&throughput_plot, throughput_plot.empty() ? "" : ", ", "'",
                      (dir / "throughput.dat").string(), "' index ", block++,
                      " using 1:2 with linespoints title '", p.phase, "'");
      offset += p.seconds;
    }
  }
  static const double kPercentiles[] = {0,     10,     25,     50,     75,      90,     95,
                                        98,    99,     99.5,   99.8,   99.9,    99.95,  99.98,
                                        99.99, 99.995, 99.998, 99.999, 99.9995, 99.9999};
  int file = 0;
  for (const PhaseResult& p : r.phases) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      const LatencyHistogram& h = p.ops[static_cast<size_t>(i)].latency_ns;
      if (h.count() == 0) continue;
      const fs::path data = dir / absl::StrCat("latency", file++, ".dat");
      std::ofstream out(data);
      for (double pct : kPercentiles) {
        // Past the last value's rank the curve would be flat: stop at max.
        if (pct > 0 && 1.0 / (1.0 - pct / 100.0) > static_cast<double>(h.count()) * 2) break;
        out << pct << " " << Micros(h.ValueAtPercentile(pct)) << "\n";
      }
      out << 100.0 * (1.0 - 0.5 / static_cast<double>(h.count())) << " " << Micros(h.max()) << "\n";
      absl::StrAppend(&latency_plot, latency_plot.empty() ? "" : ", ", "'", data.string(),
                      "' using (1/(1-$1/100)):2 with linespoints title '", p.phase, " ",
                      OpTypeName(static_cast<OpType>(i)), "'");
    }
  }
  const std::string title = absl::StrReplaceAll(
      absl::StrFormat("%s: workload %s (%s), %d records, %d thread(s), %s", r.backend, r.spec.name,
                      r.spec.description, r.records, r.options.threads,
                      r.options.durable ? "durable" : "relaxed"),
      {{"'", ""}});
  const fs::path script = dir / "plot.gp";
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 1000,900 noenhanced\n"
       << "set output '" << png_path << "'\n"
       << "set multiplot layout 2,1 title '" << title << "'\n"
       << "set title 'Throughput over time'\nset xlabel 'seconds'\nset ylabel 'operations/s'\n"
       << "set yrange [0:*]\nset grid\nset key bottom right\n"
       << "plot " << (throughput_plot.empty() ? "0 notitle" : throughput_plot) << "\n"
       << "set title 'Latency by percentile'\nset xlabel 'percentile'\nset ylabel 'microseconds'\n"
       << "set logscale x\nset logscale y\nset yrange [*:*]\nset key top left\n"
       << "set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, "
          "'99.999%%' 100000, '99.9999%%' 1000000)\n"
       << "plot " << (latency_plot.empty() ? "1 notitle" : latency_plot) << "\n"
       << "unset multiplot\n";
  }
  const std::string command =
      absl::StrCat("gnuplot '", script.string(), "' 2>'", (dir / "gnuplot.err").string(), "'");
  const int rc = std::system(command.c_str());
  std::string errors;
  {
    std::ifstream err(dir / "gnuplot.err");
    errors.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  }
  fs::remove_all(dir, ec);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("gnuplot failed (exit ", rc, "): ", errors));
  }
  return absl::OkStatus();
}

}  // namespace strata::bench
