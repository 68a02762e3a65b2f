// Tests of index bounds → scan ranges (index/index_bounds.h): exact byte ranges for simple
// cases, and a randomized property test over compound indexes with mixed directions: every
// key satisfying the bounds lies in a range, and when the ranges are exact only those do.
#include "index/index_bounds.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "document/key_string.h"
#include "index/key_generator.h"
#include "tests/support/test_util.h"

namespace strata::index {
namespace {

using ::strata::testing::Json;
using ::testing::HasSubstr;

std::string Enc(const std::string& json_value) {
  const Document doc = Json("{\"v\": " + json_value + "}");
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, doc.bson(), "v"));
  return document::EncodeKeyString(it);
}

std::string Enc(int value) { return Enc(std::to_string(value)); }

std::string Complement(std::string bytes) {
  for (char& c : bytes) c = static_cast<char>(~c);
  return bytes;
}

Interval Range(std::string low, bool low_inclusive, std::string high, bool high_inclusive) {
  Interval interval;
  interval.low = std::move(low);
  interval.high = std::move(high);
  interval.low_inclusive = low_inclusive;
  interval.high_inclusive = high_inclusive;
  return interval;
}

bool InRanges(const ScanRanges& ranges, const std::string& key) {
  return std::any_of(ranges.ranges.begin(), ranges.ranges.end(), [&](const KeyRange& range) {
    return key >= range.start && key < range.limit;
  });
}

const std::string kFF(1, '\xFF');

TEST(IndexBoundsTest, PointOnAscendingField) {
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Enc(5))}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 1u);
  EXPECT_EQ(ranges->ranges[0].start, Enc(5));
  EXPECT_EQ(ranges->ranges[0].limit, Enc(5) + kFF);
  EXPECT_TRUE(ranges->exact);
}

TEST(IndexBoundsTest, InclusivityOnAscendingField) {
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(1), false, Enc(5), true)}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 1u);
  EXPECT_EQ(ranges->ranges[0].start, Enc(1) + kFF);
  EXPECT_EQ(ranges->ranges[0].limit, Enc(5) + kFF);
  bounds.fields = {{Range(Enc(1), true, Enc(5), false)}};
  ranges = BuildScanRanges(bounds, {false});
  ASSERT_OK(ranges);
  EXPECT_EQ(ranges->ranges[0].start, Enc(1));
  EXPECT_EQ(ranges->ranges[0].limit, Enc(5));
}

TEST(IndexBoundsTest, DescendingFieldSwapsAndComplementsEnds) {
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(1), true, Enc(5), false)}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {true});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 1u);
  // Values in [1, 5) are keys in (~5, ~1]: start after every key of 5, end after those of 1.
  EXPECT_EQ(ranges->ranges[0].start, Complement(Enc(5)) + kFF);
  EXPECT_EQ(ranges->ranges[0].limit, Complement(Enc(1)) + kFF);
}

TEST(IndexBoundsTest, OpenEndsUseMinAndMaxKeyStrings) {
  IndexBounds bounds;
  bounds.fields = {{Range(document::MinKeyString(), true, Enc(3), false)}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false});
  ASSERT_OK(ranges);
  EXPECT_EQ(ranges->ranges[0].start, document::MinKeyString());
  EXPECT_EQ(ranges->ranges[0].limit, Enc(3));
  // Descending: the open low end becomes the open high end, uncomplemented.
  ranges = BuildScanRanges(bounds, {true});
  ASSERT_OK(ranges);
  EXPECT_EQ(ranges->ranges[0].start, Complement(Enc(3)) + kFF);
  EXPECT_EQ(ranges->ranges[0].limit, document::MaxKeyString() + kFF);
}

TEST(IndexBoundsTest, UnboundedIndexIsOneExactRange) {
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(IndexBounds{}, {false, true});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 1u);
  EXPECT_TRUE(ranges->exact);
  EXPECT_EQ(ranges->ranges[0].start, document::MinKeyString());
}

TEST(IndexBoundsTest, CompoundPointsThenRange) {
  // {a: 1, b: -1}: a in {1, 3}, b in (2, 5]: one range per a, in key order.
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Enc(1)), Interval::Point(Enc(3))},
                   {Range(Enc(2), false, Enc(5), true)}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false, true});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 2u);
  EXPECT_TRUE(ranges->exact);
  EXPECT_EQ(ranges->ranges[0].start, Enc(1) + Complement(Enc(5)));
  EXPECT_EQ(ranges->ranges[0].limit, Enc(1) + Complement(Enc(2)));
  EXPECT_EQ(ranges->ranges[1].start, Enc(3) + Complement(Enc(5)));
  EXPECT_EQ(ranges->ranges[1].limit, Enc(3) + Complement(Enc(2)));
}

TEST(IndexBoundsTest, DescendingPointsComeInKeyOrder) {
  IndexBounds bounds;
  bounds.fields = {{Interval::Point(Enc(1)), Interval::Point(Enc(2)), Interval::Point(Enc(3))}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {true});
  ASSERT_OK(ranges);
  ASSERT_EQ(ranges->ranges.size(), 3u);
  EXPECT_EQ(ranges->ranges[0].start, Complement(Enc(3)));
  EXPECT_EQ(ranges->ranges[2].start, Complement(Enc(1)));
  for (size_t i = 1; i < ranges->ranges.size(); ++i) {
    EXPECT_LE(ranges->ranges[i - 1].limit, ranges->ranges[i].start);
  }
}

TEST(IndexBoundsTest, BoundedPartAfterARangeIsInexact) {
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(1), true, Enc(5), true)}, {Interval::Point(Enc(7))}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false, false});
  ASSERT_OK(ranges);
  EXPECT_FALSE(ranges->exact);
  bounds.fields = {{Range(Enc(1), true, Enc(5), true)}, {Interval::All()}};
  ranges = BuildScanRanges(bounds, {false, false});
  ASSERT_OK(ranges);
  EXPECT_TRUE(ranges->exact);
}

TEST(IndexBoundsTest, ExplosionIsCappedWithAHull) {
  IndexBounds bounds;
  std::vector<Interval> points;
  for (int i = 0; i < 10; ++i) points.push_back(Interval::Point(Enc(i)));
  bounds.fields = {points, points};
  ScanRangesOptions options;
  options.max_ranges = 20;
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false, false}, options);
  ASSERT_OK(ranges);
  EXPECT_EQ(ranges->ranges.size(), 10u);  // 10 points of a, each with the hull of b
  EXPECT_FALSE(ranges->exact);
  options.max_ranges = 100;
  ranges = BuildScanRanges(bounds, {false, false}, options);
  ASSERT_OK(ranges);
  EXPECT_EQ(ranges->ranges.size(), 100u);
  EXPECT_TRUE(ranges->exact);
}

TEST(IndexBoundsTest, NoIntervalMeansNoRange) {
  IndexBounds bounds;
  bounds.fields = {{Interval::All()}, {}};
  absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, {false, false});
  ASSERT_OK(ranges);
  EXPECT_TRUE(ranges->ranges.empty());
}

TEST(IndexBoundsTest, InvalidBounds) {
  IndexBounds bounds;
  bounds.fields = {{Range(Enc(5), true, Enc(1), true)}};
  EXPECT_THAT(BuildScanRanges(bounds, {false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  bounds.fields = {{Range(Enc(5), false, Enc(5), true)}};
  EXPECT_THAT(BuildScanRanges(bounds, {false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  bounds.fields = {{Range(Enc(1), true, Enc(5), true), Range(Enc(4), true, Enc(9), true)}};
  EXPECT_THAT(BuildScanRanges(bounds, {false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overlap")));
  bounds.fields = {{Interval::All()}, {Interval::All()}};
  EXPECT_THAT(BuildScanRanges(bounds, {false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key parts")));
}

TEST(IndexBoundsTest, KeySatisfiesBoundsRejectsMalformedKeys) {
  IndexBounds bounds;
  EXPECT_THAT(KeySatisfiesBounds(bounds, {false}, Enc(1) + "\x14"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("trailing")));
  EXPECT_FALSE(KeySatisfiesBounds(bounds, {false, false}, Enc(1)).ok());
}

// --- Property test ---

struct RandomInterval {
  int low;  // kNone: open
  int high;
  bool low_inclusive;
  bool high_inclusive;
};
constexpr int kNone = -1000;

// Random sorted, non-overlapping intervals over small ints (sometimes open-ended or All).
std::vector<RandomInterval> RandomIntervals(std::mt19937& rng) {
  std::vector<RandomInterval> out;
  const int kind = static_cast<int>(rng() % 4);
  if (kind == 0) return {{kNone, kNone, true, true}};  // All
  int cursor = -2;
  const int count = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < count; ++i) {
    const int low = cursor + 1 + static_cast<int>(rng() % 3);
    if (kind == 1) {  // points
      out.push_back({low, low, true, true});
      cursor = low;
    } else {
      const int high = low + static_cast<int>(rng() % 4);
      const bool low_inclusive = rng() % 2;
      const bool high_inclusive = low == high ? low_inclusive : static_cast<bool>(rng() % 2);
      out.push_back(
          {low, high, low == high ? true : low_inclusive, low == high ? true : high_inclusive});
      cursor = high + 1;
    }
  }
  if (kind == 3 && rng() % 2) out.front().low = kNone;  // open low end
  if (kind == 3 && rng() % 2) out.back().high = kNone;
  return out;
}

bool Satisfies(const std::vector<RandomInterval>& intervals, int value, bool missing) {
  for (const RandomInterval& interval : intervals) {
    // A missing field is null, which sorts below every number: only open low ends hold it.
    if (missing) {
      if (interval.low == kNone) return true;
      continue;
    }
    const bool above = interval.low == kNone || value > interval.low ||
                       (value == interval.low && interval.low_inclusive);
    const bool below = interval.high == kNone || value < interval.high ||
                       (value == interval.high && interval.high_inclusive);
    if (above && below) return true;
  }
  return false;
}

Interval ToInterval(const RandomInterval& interval) {
  return Range(interval.low == kNone ? document::MinKeyString() : Enc(interval.low),
               interval.low_inclusive,
               interval.high == kNone ? document::MaxKeyString() : Enc(interval.high),
               interval.high_inclusive);
}

TEST(IndexBoundsTest, RandomBoundsCoverExactlyTheMatchingKeys) {
  std::mt19937 rng(1234);
  const char* const kFields[] = {"a", "b", "c"};
  int exact_rounds = 0;
  int inexact_rounds = 0;
  int matched = 0;
  int unmatched = 0;
  for (int round = 0; round < 400; ++round) {
    const size_t parts = 1 + rng() % 3;
    std::vector<bool> descending;
    std::string pattern = "{";
    for (size_t i = 0; i < parts; ++i) {
      descending.push_back(rng() % 2);
      pattern +=
          std::string(i ? ", " : "") + "\"" + kFields[i] + "\": " + (descending[i] ? "-1" : "1");
    }
    pattern += "}";
    absl::StatusOr<IndexSpec> spec = IndexSpec::Parse(Json("{\"key\": " + pattern + "}").view());
    ASSERT_OK(spec);
    std::vector<std::vector<RandomInterval>> random_bounds;
    IndexBounds bounds;
    for (size_t i = 0; i < parts; ++i) {
      random_bounds.push_back(RandomIntervals(rng));
      std::vector<Interval> intervals;
      for (const RandomInterval& interval : random_bounds.back()) {
        intervals.push_back(ToInterval(interval));
      }
      bounds.fields.push_back(std::move(intervals));
    }
    ScanRangesOptions options;
    options.max_ranges = 1 + rng() % 12;
    absl::StatusOr<ScanRanges> ranges = BuildScanRanges(bounds, descending, options);
    ASSERT_OK(ranges) << pattern;
    (ranges->exact ? exact_rounds : inexact_rounds)++;
    for (size_t i = 1; i < ranges->ranges.size(); ++i) {
      ASSERT_LE(ranges->ranges[i - 1].limit, ranges->ranges[i].start) << "ranges out of order";
    }
    for (int doc_round = 0; doc_round < 60; ++doc_round) {
      std::string json = "{\"_id\": " + std::to_string(doc_round);
      std::vector<int> values(parts);
      std::vector<bool> missing(parts);
      bool satisfies = true;
      for (size_t i = 0; i < parts; ++i) {
        missing[i] = rng() % 8 == 0;
        values[i] = -1 + static_cast<int>(rng() % 14);
        if (!missing[i])
          json += ", \"" + std::string(kFields[i]) + "\": " + std::to_string(values[i]);
        satisfies = satisfies && Satisfies(random_bounds[i], values[i], missing[i]);
      }
      json += "}";
      const Document doc = Json(json);
      absl::StatusOr<IndexKeys> keys = GenerateKeys(*spec, doc.view());
      ASSERT_OK(keys);
      ASSERT_EQ(keys->keys.size(), 1u);
      const std::string& key = keys->keys[0];
      const bool in_ranges = InRanges(*ranges, key);
      if (satisfies) {
        EXPECT_TRUE(in_ranges) << pattern << " " << json;
      }
      if (ranges->exact) {
        EXPECT_EQ(in_ranges, satisfies) << pattern << " " << json;
      }
      (satisfies ? matched : unmatched)++;
      // A non-unique entry (key + _id key string) is in the same ranges as its key.
      EXPECT_EQ(InRanges(*ranges, key + Enc(doc_round)), in_ranges);
      absl::StatusOr<bool> checked = KeySatisfiesBounds(bounds, descending, key);
      ASSERT_OK(checked);
      EXPECT_EQ(*checked, satisfies) << pattern << " " << json;
    }
  }
  // The random cases reach both kinds of range sets and both outcomes.
  EXPECT_GT(exact_rounds, 50);
  EXPECT_GT(inexact_rounds, 50);
  EXPECT_GT(matched, 1000);
  EXPECT_GT(unmatched, 1000);
}

}  // namespace
}  // namespace strata::index
