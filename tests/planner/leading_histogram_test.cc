// Tests of LeadingHistogram (query/planner/leading_histogram.h) on histograms built here the
// way `analyze` builds them (equi-depth, a value never split, boundaries = each bucket's last
// value in index order): every estimate lies in its [low, high] range and that range holds the
// true count; uniform ranges are estimated within 2 % of the entries; boundary equalities and
// whole-bucket ranges are exact; descending indexes estimate like ascending ones; exclusive
// ends; numeric and byte interpolation (KeyStringPosition).
#include "query/planner/leading_histogram.h"

#include <bson/bson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "document/key_string.h"
#include "tests/support/test_util.h"

namespace strata::query::planner {
namespace {

std::string IntKey(int64_t v) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_int64(&doc, "v", 1, v);
  bson_iter_t it;
  bson_iter_init_find(&it, &doc, "v");
  std::string key = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return key;
}

std::string StringKey(const std::string& v) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_utf8(&doc, "v", 1, v.data(), static_cast<int>(v.size()));
  bson_iter_t it;
  bson_iter_init_find(&it, &doc, "v");
  std::string key = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return key;
}

std::string Complement(std::string key) {
  for (char& c : key) c = static_cast<char>(~static_cast<uint8_t>(c));
  return key;
}

// analyze's bucketing over (ascending key → count), in index order (reversed and complemented
// when `descending`).
LeadingHistogram Build(const std::map<std::string, int64_t>& values, bool descending,
                       int max_buckets = 64) {
  std::vector<std::pair<std::string, int64_t>> ordered(values.begin(), values.end());
  if (descending) {
    std::reverse(ordered.begin(), ordered.end());
    for (auto& [key, count] : ordered) key = Complement(key);
  }
  int64_t total = 0;
  for (const auto& [key, count] : ordered) total += count;
  const int64_t depth = std::max<int64_t>(1, (total + max_buckets - 1) / max_buckets);
  std::vector<LeadingHistogram::Bucket> buckets;
  LeadingHistogram::Bucket open;
  for (const auto& [key, count] : ordered) {
    open.count += count;
    open.distinct += 1;
    open.upper = key;
    open.upper_count = count;
    if (open.count >= depth) {
      buckets.push_back(open);
      open = {};
    }
  }
  if (open.count > 0) buckets.push_back(open);
  return LeadingHistogram(descending, ordered.empty() ? "" : ordered.front().first, buckets, total);
}

int64_t Actual(const std::map<std::string, int64_t>& values, const index::Interval& interval) {
  int64_t n = 0;
  for (const auto& [key, count] : values) {
    const bool above = key > interval.low || (key == interval.low && interval.low_inclusive);
    const bool below = key < interval.high || (key == interval.high && interval.high_inclusive);
    if (above && below) n += count;
  }
  return n;
}

index::Interval Range(std::string low, std::string high, bool low_inclusive = true,
                      bool high_inclusive = true) {
  index::Interval interval;
  interval.low = std::move(low);
  interval.high = std::move(high);
  interval.low_inclusive = low_inclusive;
  interval.high_inclusive = high_inclusive;
  return interval;
}

// Checks low <= actual <= high and low <= estimate <= high; returns |estimate - actual| / total.
double CheckOne(const LeadingHistogram& h, const std::map<std::string, int64_t>& values,
                const index::Interval& interval) {
  const double total = static_cast<double>(h.entries());
  const LeadingHistogram::Estimate e = h.EstimateIntervals({interval});
  const double actual = static_cast<double>(Actual(values, interval)) / total;
  const double eps = 1e-9;
  EXPECT_LE(e.low, actual + eps);
  EXPECT_GE(e.high, actual - eps);
  EXPECT_LE(e.low, e.fraction + eps);
  EXPECT_GE(e.high, e.fraction - eps);
  return std::abs(e.fraction - actual);
}

TEST(KeyStringPositionTest, NumbersInterpolateByValue) {
  EXPECT_DOUBLE_EQ(KeyStringPosition(IntKey(0), IntKey(100), IntKey(50)), 0.5);
  EXPECT_DOUBLE_EQ(KeyStringPosition(IntKey(-100), IntKey(100), IntKey(0)), 0.5);
  EXPECT_NEAR(KeyStringPosition(IntKey(1000), IntKey(2000), IntKey(1250)), 0.25, 1e-9);
  EXPECT_NEAR(KeyStringPosition(IntKey(-2000), IntKey(-1000), IntKey(-1250)), 0.75, 1e-9);
  EXPECT_EQ(KeyStringPosition(IntKey(0), IntKey(100), IntKey(-5)), 0.0);
  EXPECT_EQ(KeyStringPosition(IntKey(0), IntKey(100), IntKey(500)), 1.0);
}

TEST(KeyStringPositionTest, StringsInterpolateByBytes) {
  EXPECT_NEAR(KeyStringPosition(StringKey("a"), StringKey("c"), StringKey("b")), 0.5, 0.01);
  // After the common prefix "user": '5' is 5/9 of the way from '0' to '9'.
  EXPECT_NEAR(
      KeyStringPosition(StringKey("user0000"), StringKey("user9999"), StringKey("user5000")),
      5.0 / 9, 0.01);
}

TEST(LeadingHistogramTest, UniformRangesWithinTwoPercent) {
  std::map<std::string, int64_t> values;
  for (int v = 0; v < 10000; ++v) values[IntKey(v * 3)] += 1;
  for (bool descending : {false, true}) {
    SCOPED_TRACE(descending ? "descending" : "ascending");
    const LeadingHistogram h = Build(values, descending);
    EXPECT_EQ(h.num_buckets(), 64u);
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) {
      int a = static_cast<int>(rng() % 31000) - 500, b = static_cast<int>(rng() % 31000) - 500;
      if (a > b) std::swap(a, b);
      EXPECT_LE(CheckOne(h, values, Range(IntKey(a), IntKey(b), rng() % 2, rng() % 2)), 0.02)
          << a << ".." << b;
    }
    // Everything, and nothing.
    EXPECT_DOUBLE_EQ(h.EstimateIntervals({index::Interval::All()}).fraction, 1.0);
    EXPECT_DOUBLE_EQ(h.EstimateIntervals({Range(IntKey(40000), IntKey(50000))}).high, 0.0);
    EXPECT_DOUBLE_EQ(h.EstimateIntervals({Range(IntKey(-9), IntKey(-1))}).high, 0.0);
  }
}

TEST(LeadingHistogramTest, SkewedEqualitiesExactOnFrequentValues) {
  // Zipf(1) over 2000 values, 100 000 entries.
  std::map<std::string, int64_t> values;
  std::map<int, int64_t> counts;
  double norm = 0;
  for (int k = 1; k <= 2000; ++k) norm += 1.0 / k;
  for (int k = 1; k <= 2000; ++k) {
    counts[k] = std::max<int64_t>(1, std::llround(100000.0 / k / norm));
    values[IntKey(k)] = counts[k];
  }
  for (bool descending : {false, true}) {
    SCOPED_TRACE(descending ? "descending" : "ascending");
    const LeadingHistogram h = Build(values, descending);
    const double total = static_cast<double>(h.entries());
    // The frequent values fill buckets alone: exact.
    for (int k : {1, 2, 3, 5}) {
      const LeadingHistogram::Estimate e = h.EstimateIntervals({index::Interval::Point(IntKey(k))});
      EXPECT_NEAR(e.fraction * total, static_cast<double>(counts[k]), 0.5) << k;
      EXPECT_NEAR(e.high, e.low, 1e-12) << k;
    }
    // Rare values: inside [low, high], and the estimate within a bucket's depth of the truth.
    for (int k : {150, 777, 1999}) {
      EXPECT_LE(CheckOne(h, values, index::Interval::Point(IntKey(k))), 1.0 / 64) << k;
    }
    for (int i = 1; i < 2000; i += 97) {
      CheckOne(h, values, Range(IntKey(i), IntKey(i + 300)));
    }
  }
}

TEST(LeadingHistogramTest, AllEqualAndStringsAndMixedTypes) {
  std::map<std::string, int64_t> same{{IntKey(42), 5000}};
  const LeadingHistogram one = Build(same, false);
  EXPECT_DOUBLE_EQ(one.EstimateIntervals({index::Interval::Point(IntKey(42))}).fraction, 1.0);
  EXPECT_DOUBLE_EQ(one.EstimateIntervals({index::Interval::Point(IntKey(41))}).high, 0.0);
  EXPECT_DOUBLE_EQ(one.EstimateIntervals({Range(IntKey(43), IntKey(100))}).high, 0.0);

  std::map<std::string, int64_t> strings;
  for (int i = 0; i < 5000; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "user%05d", i * 7);
    strings[StringKey(name)] += 1;
  }
  const LeadingHistogram s = Build(strings, false);
  EXPECT_LE(CheckOne(s, strings, Range(StringKey("user10000"), StringKey("user20000"))), 0.02);
  EXPECT_LE(CheckOne(s, strings, Range(StringKey("user"), StringKey("user05000"))), 0.02);

  // Numbers, then strings (the type order), 3000 each: a range over all numbers is about half.
  std::map<std::string, int64_t> mixed;
  for (int i = 0; i < 3000; ++i) {
    mixed[IntKey(i)] += 1;
    mixed[StringKey("s" + std::to_string(i))] += 1;
  }
  for (bool descending : {false, true}) {
    const LeadingHistogram m = Build(mixed, descending);
    EXPECT_LE(CheckOne(m, mixed, Range(IntKey(0), IntKey(1000000))), 0.02);
    EXPECT_LE(CheckOne(m, mixed, Range(StringKey(""), StringKey("s2"))), 0.05);
    EXPECT_LE(CheckOne(m, mixed, Range(IntKey(500), StringKey("s1"))), 0.05);
  }
}

TEST(LeadingHistogramTest, ExclusiveEndsAndSeveralIntervals) {
  std::map<std::string, int64_t> values;
  for (int v = 0; v < 64; ++v) values[IntKey(v)] = 100;  // one value per bucket: all exact
  const LeadingHistogram h = Build(values, false);
  EXPECT_DOUBLE_EQ(
      h.EstimateIntervals({Range(IntKey(5), IntKey(10), false, false)}).fraction * 6400, 400);
  EXPECT_DOUBLE_EQ(h.EstimateIntervals({Range(IntKey(5), IntKey(10))}).fraction * 6400, 600);
  EXPECT_DOUBLE_EQ(
      h.EstimateIntervals({index::Interval::Point(IntKey(3)), index::Interval::Point(IntKey(9)),
                           Range(IntKey(20), IntKey(29))})
              .fraction *
          6400,
      1200);
}

TEST(LeadingHistogramTest, UnknownFirstKeyCountsHalfOfACutOuterGap) {
  std::vector<LeadingHistogram::Bucket> buckets{{IntKey(100), 100, 50, 2}};
  const LeadingHistogram h(false, "", buckets, 100);
  const LeadingHistogram::Estimate e = h.EstimateIntervals({Range(IntKey(10), IntKey(20))});
  EXPECT_DOUBLE_EQ(e.fraction, 0.49);
  EXPECT_DOUBLE_EQ(e.low, 0.0);
  EXPECT_DOUBLE_EQ(e.high, 0.98);
}

}  // namespace
}  // namespace strata::query::planner
