#include "query/planner/leading_histogram.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace strata::query::planner {
namespace {

// Key string tags and number classes (document/key_string.cc, a persistent format).
constexpr uint8_t kNumberTag = 0x1E;
constexpr uint8_t kNegative = 0x30;
constexpr uint8_t kZero = 0x40;
constexpr uint8_t kPositive = 0x50;
constexpr int kExponentBias = 0x8000;

// The value of a finite binary-range number's key string, or nullopt for anything else
// (other types, NaN, infinities, decimal-only magnitudes).
std::optional<double> DecodeNumber(absl::string_view key) {
  if (key.size() < 2 || static_cast<uint8_t>(key[0]) != kNumberTag) return std::nullopt;
  const uint8_t number_class = static_cast<uint8_t>(key[1]);
  if (number_class == kZero) return 0.0;
  if (number_class != kPositive && number_class != kNegative) return std::nullopt;
  const bool negative = number_class == kNegative;
  auto byte = [&](size_t i) -> int {
    if (i >= key.size()) return -1;
    const uint8_t b = static_cast<uint8_t>(key[i]);
    return negative ? static_cast<uint8_t>(~b) : b;
  };
  if (byte(2) < 0 || byte(3) < 0) return std::nullopt;
  const int exponent = ((byte(2) << 8) | byte(3)) - kExponentBias;
  double mantissa = 1.0;
  double scale = 0.5;
  for (size_t i = 4;; ++i) {
    const int b = byte(i);
    if (b < 0x80) break;  // the end marker (or a truncated key)
    for (int bit = 6; bit >= 0; --bit) {
      if ((b >> bit) & 1) mantissa += scale;
      scale /= 2;
    }
  }
  const double value = std::ldexp(mantissa, exponent);
  return negative ? -value : value;
}

// The 8 bytes of `key` from `offset` as a big-endian integer (missing bytes are 0).
double BytesAt(absl::string_view key, size_t offset) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) {
    value <<= 8;
    if (offset + i < key.size()) value |= static_cast<uint8_t>(key[offset + i]);
  }
  return static_cast<double>(value);
}

}  // namespace

double KeyStringPosition(absl::string_view low, absl::string_view high, absl::string_view key) {
  if (key <= low) return 0.0;
  if (key >= high) return 1.0;
  const std::optional<double> a = DecodeNumber(low);
  const std::optional<double> b = DecodeNumber(high);
  const std::optional<double> x = DecodeNumber(key);
  if (a.has_value() && b.has_value() && x.has_value() && *b > *a) {
    return std::clamp((*x - *a) / (*b - *a), 0.0, 1.0);
  }
  size_t prefix = 0;
  while (prefix < low.size() && prefix < high.size() && low[prefix] == high[prefix]) ++prefix;
  const double from = BytesAt(low, prefix);
  const double to = BytesAt(high, prefix);
  if (to <= from) return 0.5;
  return std::clamp((BytesAt(key, prefix) - from) / (to - from), 0.0, 1.0);
}

LeadingHistogram::LeadingHistogram(bool descending, absl::string_view first,
                                   const std::vector<Bucket>& buckets, int64_t entries)
    : entries_(entries) {
  auto ascending = [descending](absl::string_view bytes) {
    std::string key(bytes);
    if (descending) {
      for (char& c : key) c = static_cast<char>(~static_cast<uint8_t>(c));
    }
    return key;
  };
  auto gap_of = [](const Bucket& bucket) {
    return Gap{static_cast<double>(std::max<int64_t>(0, bucket.count - bucket.upper_count)),
               static_cast<double>(std::max<int64_t>(0, bucket.distinct - 1))};
  };
  const size_t k = buckets.size();
  boundaries_.reserve(k);
  gaps_.assign(k + 1, Gap{});
  if (!descending) {
    // Bucket i: its gap lies between the previous bucket's upper and its own.
    for (size_t i = 0; i < k; ++i) {
      boundaries_.push_back({buckets[i].upper, static_cast<double>(buckets[i].upper_count)});
      gaps_[i] = gap_of(buckets[i]);
    }
    lowest_ = std::string(first);
    if (k > 0) highest_ = boundaries_.back().key;
  } else {
    // In index order a bucket runs from just below the previous upper down to its own upper
    // (its smallest value): reversed, bucket k-1-j's upper is boundary j, and the gap between
    // boundaries j-1 and j is bucket k-j's; the last gap (above every boundary) is bucket 0's,
    // up to the first entry (the largest value).
    for (size_t j = 0; j < k; ++j) {
      const Bucket& bucket = buckets[k - 1 - j];
      boundaries_.push_back({ascending(bucket.upper), static_cast<double>(bucket.upper_count)});
    }
    for (size_t j = 1; j <= k; ++j) gaps_[j] = gap_of(buckets[k - j]);
    if (k > 0) lowest_ = boundaries_.front().key;
    if (!first.empty()) highest_ = ascending(first);
  }
}

void LeadingHistogram::AddInterval(const index::Interval& interval, Estimate* counts) const {
  const absl::string_view lo = interval.low;
  const absl::string_view hi = interval.high;
  if (hi < lo) return;
  auto key_less = [](const Boundary& boundary, absl::string_view value) {
    return absl::string_view(boundary.key) < value;
  };
  auto value_less = [](absl::string_view value, const Boundary& boundary) {
    return value < absl::string_view(boundary.key);
  };
  const size_t k = boundaries_.size();
  // Boundaries [first_in, first_above) lie in [lo, hi].
  const size_t first_in =
      std::lower_bound(boundaries_.begin(), boundaries_.end(), lo, key_less) - boundaries_.begin();
  const size_t first_above =
      std::upper_bound(boundaries_.begin(), boundaries_.end(), hi, value_less) -
      boundaries_.begin();
  for (size_t j = first_in; j < first_above; ++j) {
    const absl::string_view key = boundaries_[j].key;
    if ((key == lo && !interval.low_inclusive) || (key == hi && !interval.high_inclusive)) continue;
    counts->fraction += boundaries_[j].count;
    counts->low += boundaries_[j].count;
    counts->high += boundaries_[j].count;
  }
  const bool point = lo == hi && interval.low_inclusive && interval.high_inclusive;
  // Gaps first_in..first_above: the ones in between are whole, the two ends may be cut.
  for (size_t g = first_in; g <= first_above && g <= k; ++g) {
    const Gap& gap = gaps_[g];
    if (gap.count <= 0) continue;
    // The gap's ends: the neighbouring boundaries (exclusive), or the index's first/last
    // value (inclusive) for the outermost gaps.
    const bool outer_low = g == 0;
    const bool outer_high = g == k;
    const absl::string_view gap_low =
        outer_low ? absl::string_view(lowest_) : absl::string_view(boundaries_[g - 1].key);
    const absl::string_view gap_high =
        outer_high ? absl::string_view(highest_) : absl::string_view(boundaries_[g].key);
    const bool low_known = !outer_low || !lowest_.empty();
    const bool high_known = !outer_high || !highest_.empty();
    // Nothing of an outer gap lies beyond the index's first/last value.
    if (outer_low && low_known && (hi < gap_low || (hi == gap_low && !interval.high_inclusive))) {
      continue;
    }
    if (outer_high && high_known &&
        (lo > gap_high || (lo == gap_high && !interval.low_inclusive))) {
      continue;
    }
    const bool covers_low =
        g > first_in ||
        (outer_low && low_known && (lo < gap_low || (lo == gap_low && interval.low_inclusive)));
    const bool covers_high =
        g < first_above || (outer_high && high_known &&
                            (hi > gap_high || (hi == gap_high && interval.high_inclusive)));
    if (covers_low && covers_high) {
      counts->fraction += gap.count;
      counts->low += gap.count;
      counts->high += gap.count;
      continue;
    }
    counts->high += gap.count;
    if (point) {
      counts->fraction += gap.count / std::max(1.0, gap.distinct);
      continue;
    }
    if (!low_known || !high_known) {
      counts->fraction += gap.count / 2;
      continue;
    }
    const absl::string_view from = covers_low ? gap_low : std::max(lo, gap_low);
    const absl::string_view to = covers_high ? gap_high : std::min(hi, gap_high);
    const double share = gap_high > gap_low ? KeyStringPosition(gap_low, gap_high, to) -
                                                  KeyStringPosition(gap_low, gap_high, from)
                                            : 1.0;
    counts->fraction += gap.count * std::clamp(share, 0.0, 1.0);
  }
}

LeadingHistogram::Estimate LeadingHistogram::EstimateIntervals(
    const std::vector<index::Interval>& intervals) const {
  Estimate counts;
  if (entries_ <= 0) return counts;
  for (const index::Interval& interval : intervals) AddInterval(interval, &counts);
  const double total = static_cast<double>(entries_);
  Estimate shares;
  shares.fraction = std::min(1.0, counts.fraction / total);
  shares.low = std::min(1.0, counts.low / total);
  shares.high = std::min(1.0, counts.high / total);
  return shares;
}

}  // namespace strata::query::planner
