#include "tools/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace strata::bench {
namespace {

// kSubBuckets exact values, then kSubBuckets buckets for each exponent kSubBits..63.
constexpr size_t kBucketCount = LatencyHistogram::kSubBuckets +
                                (64 - LatencyHistogram::kSubBits) * LatencyHistogram::kSubBuckets;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int exponent = 63 - std::countl_zero(value);  // value in [2^e, 2^(e+1))
  const int shift = exponent - kSubBits;
  const uint64_t sub = (value >> shift) - kSubBuckets;  // 0 .. kSubBuckets-1
  return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

uint64_t LatencyHistogram::BucketHighest(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const uint64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  const uint64_t lowest = (kSubBuckets + sub) << shift;
  return lowest + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank (1-based) of the value asked for: at least percentile% of values are <= it.
  uint64_t rank =
      static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(i), max_);
  }
  return max_;
}

}  // namespace strata::bench
