#include "tools/bench/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"

namespace strata::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTickSeconds = 0.25;
constexpr int kTicksPerProgressLine = 4;
constexpr int64_t kMaxErrors = 1000;

struct alignas(64) ThreadCounter {
  std::atomic<int64_t> done{0};
};

// What one thread does per operation: returns false when there is no more work. It times
// and records its operation into `stats` itself (so generation stays outside the timing).
using Step =
    std::function<bool(int thread, Random& random, std::array<OpStats, kOpTypeCount>& stats)>;

struct SharedState {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::mutex mu;
  std::string unavailable;  // guarded by mu
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

PhaseResult RunThreads(const std::string& phase, const BenchOptions& options, SharedState& shared,
                       const Step& step) {
  PhaseResult result;
  result.phase = phase;
  result.tick_seconds = kTickSeconds;
  const int threads = options.threads;
  std::vector<ThreadCounter> counters(static_cast<size_t>(threads));
  std::vector<std::array<OpStats, kOpTypeCount>> stats(static_cast<size_t>(threads));
  const Clock::time_point start = Clock::now();

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Random random(Mix64(options.seed * 1000003 + static_cast<uint64_t>(t) +
                          (phase == "load" ? 0 : 0x5eed)));
      auto& mine = stats[static_cast<size_t>(t)];
      while (!shared.stop.load(std::memory_order_relaxed)) {
        if (!step(t, random, mine)) break;
        counters[static_cast<size_t>(t)].done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  // Progress: sample the counters every tick until every worker is done.
  std::atomic<int> running{threads};
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::thread joiner([&] {
    for (std::thread& w : workers) w.join();
    std::lock_guard<std::mutex> lock(done_mu);
    running = 0;
    done_cv.notify_all();
  });
  int64_t last_total = 0;
  Clock::time_point last_time = start;
  int tick = 0;
  while (true) {
    bool finished;
    {
      std::unique_lock<std::mutex> lock(done_mu);
      finished = done_cv.wait_until(lock,
                                    last_time + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(kTickSeconds)),
                                    [&] { return running.load() == 0; });
    }
    const Clock::time_point now = Clock::now();
    int64_t total = 0;
    for (const ThreadCounter& c : counters) total += c.done.load(std::memory_order_relaxed);
    const double interval = Seconds(now - last_time);
    if (interval > 0 && (!finished || total > last_total)) {
      result.throughput.push_back(static_cast<double>(total - last_total) / interval);
    }
    ++tick;
    if (!options.quiet && !finished && tick % kTicksPerProgressLine == 0) {
      std::fprintf(stderr, "[%s] %6.1f s  %10lld operations  %10.0f ops/s now\n", phase.c_str(),
                   Seconds(now - start), static_cast<long long>(total),
                   result.throughput.empty() ? 0.0 : result.throughput.back());
    }
    last_total = total;
    last_time = now;
    if (finished) break;
  }
  joiner.join();
  result.seconds = Seconds(Clock::now() - start);
  for (const auto& thread_stats : stats) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      OpStats& into = result.ops[static_cast<size_t>(i)];
      const OpStats& from = thread_stats[static_cast<size_t>(i)];
      into.latency_ns.Merge(from.latency_ns);
      into.not_found += from.not_found;
      into.errors += from.errors;
      if (into.first_error.empty()) into.first_error = from.first_error;
    }
  }
  for (const OpStats& s : result.ops)
    result.operations += static_cast<int64_t>(s.latency_ns.count());
  std::lock_guard<std::mutex> lock(shared.mu);
  result.unavailable = shared.unavailable;
  if (!result.unavailable.empty()) result.throughput.clear();
  return result;
}

// Times `op` and records its outcome under `type`.
template <typename Op>
void Timed(OpType type, SharedState& shared, std::array<OpStats, kOpTypeCount>& stats, Op&& op) {
  OpStats& s = stats[static_cast<size_t>(type)];
  const Clock::time_point begin = Clock::now();
  absl::StatusOr<int64_t> result = op();
  const Clock::time_point end = Clock::now();
  if (result.ok()) {
    s.latency_ns.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - begin).count()));
    if (*result == 0 &&
        (type == OpType::kRead || type == OpType::kUpdate || type == OpType::kReadModifyWrite)) {
      ++s.not_found;
    }
    return;
  }
  if (absl::IsUnimplemented(result.status())) {
    std::lock_guard<std::mutex> lock(shared.mu);
    if (shared.unavailable.empty()) shared.unavailable = std::string(result.status().message());
    shared.stop = true;
    return;
  }
  ++s.errors;
  if (s.first_error.empty()) s.first_error = result.status().ToString();
  if (shared.errors.fetch_add(1) + 1 >= kMaxErrors) shared.stop = true;
}

Record MakeRecord(const Backend& backend, const DocumentFactory& factory, int64_t id) {
  Record record;
  record.id = id;
  record.bson = factory.Build(id);
  if (backend.wants_json()) record.json = factory.BuildJson(id);
  return record;
}

}  // namespace

int64_t PhaseResult::errors() const {
  int64_t n = 0;
  for (const OpStats& s : ops) n += s.errors;
  return n;
}

PhaseResult RunLoad(Backend& backend, const BenchOptions& options, const DocumentFactory& factory) {
  SharedState shared;
  std::atomic<int64_t> next{0};
  return RunThreads("load", options, shared,
                    [&](int, Random&, std::array<OpStats, kOpTypeCount>& stats) {
                      const int64_t id = next.fetch_add(1);
                      if (id >= options.records) return false;
                      const Record record = MakeRecord(backend, factory, id);
                      Timed(OpType::kInsert, shared, stats, [&] { return backend.Insert(record); });
                      return true;
                    });
}

PhaseResult RunWorkload(Backend& backend, const BenchOptions& options, const WorkloadSpec& spec,
                        const DocumentFactory& factory, int64_t records) {
  SharedState shared;
  const Distribution distribution = options.distribution.value_or(spec.distribution);
  const bool timed = options.duration_seconds > 0;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(timed ? options.duration_seconds : 0));
  std::atomic<int64_t> remaining{options.ops};
  KeySequence keys(records);
  const double insert_share = spec.proportions[static_cast<size_t>(OpType::kInsert)];
  const auto expected_inserts = static_cast<uint64_t>(
      (timed ? static_cast<double>(records) : static_cast<double>(options.ops)) * insert_share *
      2.0);
  const OperationChooser chooser(spec);
  // Per-thread key choosers (a latest chooser keeps zeta state), built before the clock starts.
  std::vector<std::unique_ptr<KeyChooser>> key_choosers;
  for (int t = 0; t < options.threads; ++t) {
    key_choosers.push_back(std::make_unique<KeyChooser>(
        distribution, static_cast<uint64_t>(records), expected_inserts, &keys));
  }
  return RunThreads(
      "run", options, shared,
      [&](int thread, Random& random, std::array<OpStats, kOpTypeCount>& stats) {
        if (timed) {
          if (Clock::now() >= deadline) return false;
        } else if (remaining.fetch_sub(1, std::memory_order_relaxed) <= 0) {
          return false;
        }
        KeyChooser& key_chooser = *key_choosers[static_cast<size_t>(thread)];
        const OpType type = chooser.Next(random);
        switch (type) {
          case OpType::kInsert: {
            const int64_t id = keys.Next();
            const Record record = MakeRecord(backend, factory, id);
            Timed(type, shared, stats, [&] { return backend.Insert(record); });
            keys.Acknowledge(id);
            break;
          }
          case OpType::kRead: {
            const int64_t id = key_chooser.Next(random);
            Timed(type, shared, stats, [&] { return backend.Read(id); });
            break;
          }
          case OpType::kUpdate:
          case OpType::kReadModifyWrite: {
            const int64_t id = key_chooser.Next(random);
            const std::string& field = factory.FieldName(
                static_cast<int>(random.Uniform(static_cast<uint64_t>(factory.fields()))));
            const std::string value = factory.RandomValue(random);
            Timed(type, shared, stats, [&] {
              return type == OpType::kUpdate ? backend.Update(id, field, value)
                                             : backend.ReadModifyWrite(id, field, value);
            });
            break;
          }
          case OpType::kScan: {
            const int64_t start = key_chooser.Next(random);
            const int length =
                1 + static_cast<int>(random.Uniform(static_cast<uint64_t>(spec.max_scan_length)));
            Timed(type, shared, stats, [&] { return backend.Scan(start, length); });
            break;
          }
          case OpType::kIndex:
          case OpType::kAggregate: {
            const auto category = static_cast<int32_t>(random.Uniform(kCategories));
            Timed(type, shared, stats, [&] {
              return type == OpType::kIndex ? backend.IndexFind(category)
                                            : backend.Aggregate(category);
            });
            break;
          }
          case OpType::kLookup: {
            const int64_t start = key_chooser.Next(random);
            Timed(type, shared, stats, [&] { return backend.Lookup(start, kLookupDocuments); });
            break;
          }
        }
        return true;
      });
}

}  // namespace strata::bench
