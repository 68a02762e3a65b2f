#include "index/index_bounds.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "index/key_string_skip.h"

namespace strata::index {
namespace {

// Sorts after every key byte (the MaxKeyString byte): appended to a prefix, it bounds every
// key that starts with that prefix (key parts never start with 0xFF).
constexpr char kAfterPrefix = '\xFF';

// One interval in key byte order.
struct ByteInterval {
  std::string low;
  std::string high;
  bool low_inclusive;
  bool high_inclusive;
  bool IsPoint() const { return low == high && low_inclusive && high_inclusive; }
};

std::string Complement(absl::string_view bytes) {
  std::string out(bytes);
  for (char& c : out) c = static_cast<char>(~c);
  return out;
}

// The interval as key bytes: a descending part's values are complemented, which reverses
// their order (the open-end bounds stay as they are: they bound both directions).
ByteInterval ToBytes(const Interval& interval, bool descending) {
  if (!descending) {
    return {interval.low, interval.high, interval.low_inclusive, interval.high_inclusive};
  }
  const std::string min_bound = document::MinKeyString();
  const std::string max_bound = document::MaxKeyString();
  return {interval.high == max_bound ? min_bound : Complement(interval.high),
          interval.low == min_bound ? max_bound : Complement(interval.low), interval.high_inclusive,
          interval.low_inclusive};
}

absl::Status CheckIntervals(const std::vector<Interval>& intervals, size_t part) {
  for (size_t i = 0; i < intervals.size(); ++i) {
    const Interval& interval = intervals[i];
    if (interval.low > interval.high ||
        (interval.low == interval.high && !(interval.low_inclusive && interval.high_inclusive))) {
      return absl::InvalidArgumentError(
          absl::StrCat("index bounds: interval ", i, " of key part ", part, " is empty"));
    }
    if (i > 0) {
      const Interval& previous = intervals[i - 1];
      if (previous.high > interval.low ||
          (previous.high == interval.low && previous.high_inclusive && interval.low_inclusive)) {
        return absl::InvalidArgumentError(absl::StrCat("index bounds: intervals of key part ", part,
                                                       " overlap or are out of order"));
      }
    }
  }
  return absl::OkStatus();
}

bool InInterval(const Interval& interval, absl::string_view value) {
  const int low = value.compare(interval.low);
  const int high = value.compare(interval.high);
  return (low > 0 || (low == 0 && interval.low_inclusive)) &&
         (high < 0 || (high == 0 && interval.high_inclusive));
}

}  // namespace

Interval Interval::Point(std::string value) {
  Interval interval;
  interval.high = value;
  interval.low = std::move(value);
  return interval;
}

Interval Interval::All() {
  Interval interval;
  interval.low = document::MinKeyString();
  interval.high = document::MaxKeyString();
  return interval;
}

bool Interval::IsAll() const {
  return low == document::MinKeyString() && high == document::MaxKeyString();
}

absl::StatusOr<ScanRanges> BuildScanRanges(const IndexBounds& bounds,
                                           const std::vector<bool>& descending,
                                           const ScanRangesOptions& options) {
  const size_t n = descending.size();
  if (bounds.fields.size() > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("index bounds name ", bounds.fields.size(), " key parts; the index has ", n));
  }
  ScanRanges result;
  std::vector<std::vector<ByteInterval>> parts(n);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<Interval> all = {Interval::All()};
    const std::vector<Interval>& intervals = i < bounds.fields.size() ? bounds.fields[i] : all;
    RETURN_IF_ERROR(CheckIntervals(intervals, i));
    if (intervals.empty()) return result;  // nothing matches
    for (const Interval& interval : intervals) parts[i].push_back(ToBytes(interval, descending[i]));
    if (descending[i]) std::reverse(parts[i].begin(), parts[i].end());
  }
  const size_t max_ranges = std::max<size_t>(options.max_ranges, 1);

  // The leading parts that are all points, as long as their product fits.
  size_t points = 0;
  size_t combinations = 1;
  while (points < n &&
         std::all_of(parts[points].begin(), parts[points].end(),
                     [](const ByteInterval& interval) { return interval.IsPoint(); }) &&
         combinations * parts[points].size() <= max_ranges) {
    combinations *= parts[points].size();
    ++points;
  }

  // The part scanned by range (if any): its own intervals, or their hull when too many.
  std::vector<ByteInterval> ranged;
  if (points < n) {
    ranged = parts[points];
    if (combinations * ranged.size() > max_ranges) {
      ranged = {ByteInterval{ranged.front().low, ranged.back().high, ranged.front().low_inclusive,
                             ranged.back().high_inclusive}};
      result.exact = false;
    }
    for (size_t i = points + 1; i < n; ++i) {
      if (parts[i].size() != 1 || !(parts[i][0].low == document::MinKeyString() &&
                                    parts[i][0].high == document::MaxKeyString())) {
        result.exact = false;
      }
    }
  }

  // Odometer over the point prefix, in key byte order.
  std::vector<size_t> digit(points, 0);
  while (true) {
    std::string prefix;
    for (size_t i = 0; i < points; ++i) prefix += parts[i][digit[i]].low;
    if (points == n) {
      result.ranges.push_back(KeyRange{prefix, prefix + kAfterPrefix});
    } else {
      for (const ByteInterval& interval : ranged) {
        KeyRange range{prefix + interval.low, prefix + interval.high};
        if (!interval.low_inclusive) range.start.push_back(kAfterPrefix);
        if (interval.high_inclusive) range.limit.push_back(kAfterPrefix);
        result.ranges.push_back(std::move(range));
      }
    }
    size_t i = points;
    while (i > 0) {
      --i;
      if (++digit[i] < parts[i].size()) break;
      digit[i] = 0;
      if (i == 0) return result;
    }
    if (points == 0) return result;
  }
}

absl::StatusOr<bool> KeySatisfiesBounds(const IndexBounds& bounds,
                                        const std::vector<bool>& descending,
                                        absl::string_view key) {
  size_t offset = 0;
  bool satisfied = true;
  for (size_t i = 0; i < descending.size(); ++i) {
    ASSIGN_OR_RETURN(const size_t size, KeyStringValueSize(key.substr(offset), descending[i]));
    const absl::string_view part = key.substr(offset, size);
    offset += size;
    if (!satisfied || i >= bounds.fields.size()) continue;
    const std::string ascending = descending[i] ? Complement(part) : std::string(part);
    satisfied =
        std::any_of(bounds.fields[i].begin(), bounds.fields[i].end(),
                    [&](const Interval& interval) { return InInterval(interval, ascending); });
  }
  if (offset != key.size()) return absl::DataLossError("index key has trailing bytes");
  return satisfied;
}

}  // namespace strata::index
