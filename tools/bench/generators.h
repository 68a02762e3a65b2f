// Random number and key generators of `strata bench`, following YCSB's core workload
// (site.ycsb.generator): uniform, zipfian (Gray et al.'s "Quickly generating billion-record
// synthetic databases" with YCSB's constant 0.99), scrambled zipfian (zipfian ranks over 10^10
// items hashed with FNV-64 onto the key range, so the hot keys are spread out), and skewed
// latest (zipfian distance back from the most recently inserted key).
// Thread safety: Random and the choosers are per thread; KeySequence is shared and thread-safe.
#ifndef STRATA_TOOLS_BENCH_GENERATORS_H_
#define STRATA_TOOLS_BENCH_GENERATORS_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>

namespace strata::bench {

// xoshiro256** seeded by SplitMix64: fast, deterministic for a seed.
class Random {
 public:
  explicit Random(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  uint64_t Uniform(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_[4];
};

// SplitMix64's finaliser: a well-mixed 64-bit hash of x.
uint64_t Mix64(uint64_t x);
// YCSB's fnvhash64 (FNV-1 over the 8 little-endian bytes, then Java's Math.abs).
int64_t FnvHash64(int64_t value);

// sum_{i=1..n} 1 / i^theta.
double Zeta(uint64_t n, double theta);

inline constexpr double kZipfianConstant = 0.99;

// Zipfian ranks in [0, items): rank 0 is the most popular. Items may grow between calls to
// Next (zeta is extended incrementally, as YCSB does).
class ZipfianGenerator {
 public:
  ZipfianGenerator(uint64_t items, double theta = kZipfianConstant);
  // With a precomputed zeta(items, theta) (YCSB's constant for 10^10 items).
  ZipfianGenerator(uint64_t items, double theta, double zetan);
  uint64_t Next(Random& random) { return Next(random, items_); }
  // A rank in [0, items); items must not shrink below the largest value used so far.
  uint64_t Next(Random& random, uint64_t items);

 private:
  void SetEta();
  uint64_t items_;
  double theta_, alpha_, zeta2theta_, zetan_, eta_;
};

// Zipfian popularity over [0, items), hot keys scattered by FNV-64 (YCSB's default chooser).
class ScrambledZipfianGenerator {
 public:
  static constexpr uint64_t kItemCount = 10000000000ULL;  // YCSB's ITEM_COUNT
  static constexpr double kZetan = 26.46902820178302;     // zeta(kItemCount, 0.99)
  explicit ScrambledZipfianGenerator(uint64_t items);
  uint64_t Next(Random& random);

 private:
  uint64_t items_;
  ZipfianGenerator ranks_;
};

// The keys inserted so far: Next hands out the next key to insert, Acknowledge marks it
// written, Last is the highest key below which every key is written (YCSB's
// AcknowledgedCounterGenerator), so readers never pick a key still being inserted.
class KeySequence {
 public:
  // Keys 0 .. start-1 exist.
  explicit KeySequence(int64_t start) : next_(start), last_(start - 1) {}
  int64_t Next() { return next_.fetch_add(1, std::memory_order_relaxed); }
  void Acknowledge(int64_t key);
  int64_t Last() const { return last_.load(std::memory_order_acquire); }

 private:
  std::atomic<int64_t> next_;
  std::atomic<int64_t> last_;
  std::mutex mu_;
  std::set<int64_t> pending_;  // acknowledged keys above last_ + 1, guarded by mu_
};

// YCSB's SkewedLatestGenerator: Last() - zipfian rank, so the newest keys are the hottest.
class SkewedLatestGenerator {
 public:
  explicit SkewedLatestGenerator(const KeySequence* keys);
  uint64_t Next(Random& random);

 private:
  const KeySequence* keys_;
  ZipfianGenerator ranks_;
};

enum class Distribution { kUniform, kZipfian, kLatest };

// A key chooser for reads/updates/scans over the records: YCSB's CoreWorkload.nextKeynum.
// uniform: [0, records); zipfian: scrambled zipfian over records + expected inserts, retried
// while above keys->Last(); latest: skewed latest.
class KeyChooser {
 public:
  KeyChooser(Distribution distribution, uint64_t records, uint64_t expected_inserts,
             const KeySequence* keys);
  int64_t Next(Random& random);

 private:
  Distribution distribution_;
  uint64_t records_;
  const KeySequence* keys_;
  ScrambledZipfianGenerator zipfian_;
  SkewedLatestGenerator latest_;
};

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_GENERATORS_H_
