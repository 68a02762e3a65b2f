// LatencyHistogram: an HDR-style log-linear histogram of non-negative integers (nanoseconds in
// `strata bench`), with bounded relative error and constant memory.
//
// Values below 2^kSubBits are counted exactly; above, each power-of-two range [2^e, 2^(e+1)) is
// split into 2^kSubBits equal buckets, so a bucket's width is at most 2^-kSubBits of its lower
// bound. ValueAtPercentile returns the highest value equivalent to the bucket holding that rank
// (HDR's convention), capped at the largest value recorded: for a true percentile value v the
// answer r satisfies v <= r <= v * (1 + 2^-kSubBits) (0.79 % with kSubBits = 7). Min, max,
// count and mean are exact.
// Thread safety: none; give each thread its own and Merge them.
#ifndef STRATA_TOOLS_BENCH_HISTOGRAM_H_
#define STRATA_TOOLS_BENCH_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;
  // The relative error bound of ValueAtPercentile.
  static constexpr double kRelativeError = 1.0 / static_cast<double>(kSubBuckets);

  LatencyHistogram();

  void Record(uint64_t value);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The value at `percentile` (0..100]: the smallest bucket value v such that at least
  // percentile% of the recorded values are <= v (within the error bound). 0 when empty.
  uint64_t ValueAtPercentile(double percentile) const;

  // The bucket index of `value` and the highest value a bucket holds (exposed for tests).
  static size_t BucketOf(uint64_t value);
  static uint64_t BucketHighest(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace strata::bench

#endif  // STRATA_TOOLS_BENCH_HISTOGRAM_H_
