// LatencyHistogram: every percentile within the documented relative error of the exact one.
#include "tools/bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace strata::bench {
namespace {

// The exact value at `percentile` by the histogram's rank rule.
uint64_t Exact(std::vector<uint64_t> values, double percentile) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(percentile / 100.0 * values.size()));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void ExpectAccurate(const std::vector<uint64_t>& values) {
  LatencyHistogram h;
  for (uint64_t v : values) h.Record(v);
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  for (double p : {1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = Exact(values, p);
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got),
              static_cast<double>(exact) * (1 + LatencyHistogram::kRelativeError) + 1)
        << "p" << p;
  }
}

TEST(LatencyHistogramTest, EmptyIsAllZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < LatencyHistogram::kSubBuckets; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), LatencyHistogram::kSubBuckets / 2 - 1);
  EXPECT_EQ(h.ValueAtPercentile(100), LatencyHistogram::kSubBuckets - 1);
}

TEST(LatencyHistogramTest, BucketsCoverEveryValueWithBoundedWidth) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = random() >> (random() % 64);
    const size_t b = LatencyHistogram::BucketOf(v);
    const uint64_t highest = LatencyHistogram::BucketHighest(b);
    ASSERT_GE(highest, v);
    ASSERT_LE(static_cast<double>(highest - v),
              static_cast<double>(v) * LatencyHistogram::kRelativeError)
        << v;
    if (b > 0) {
      ASSERT_LT(LatencyHistogram::BucketHighest(b - 1), v) << v;
    }
  }
  EXPECT_EQ(LatencyHistogram::BucketHighest(LatencyHistogram::BucketOf(UINT64_MAX)), UINT64_MAX);
}

TEST(LatencyHistogramTest, PercentilesOfUniformValuesWithinErrorBound) {
  std::mt19937_64 random(1);
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) values.push_back(1000 + random() % 1000000);
  ExpectAccurate(values);
}

TEST(LatencyHistogramTest, PercentilesOfLongTailValuesWithinErrorBound) {
  // Log-normal-ish latencies: 10 µs typical, rare 50 ms stalls (in ns).
  std::mt19937_64 random(2);
  std::lognormal_distribution<double> typical(std::log(10000.0), 0.5);
  std::vector<uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    values.push_back(i % 1000 == 0 ? 50000000 + random() % 1000
                                   : static_cast<uint64_t>(typical(random)));
  }
  ExpectAccurate(values);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 random(3);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = random() % 100000000;
    (i % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p));
}

}  // namespace
}  // namespace strata::bench
