// Index bounds → byte ranges to scan. The planner (query/planner) describes, per key part,
// the intervals its values may lie in; this file turns that into the [start, limit) ranges
// of index keys (index_key_layout.h adds the index prefix) an index scan must read.
//
// Intervals are over VALUES, in ascending value order, with each end given as the ascending
// key string of the value (document::AppendKeyString) or MinKeyString()/MaxKeyString() for an
// open end. Descending key parts are handled here (their bytes are complemented in keys), so
// the planner never deals with byte order.
//
// A compound index is scanned as the cartesian product of the leading key parts whose
// intervals are all points, each followed by one range per interval of the next part. Key
// parts after that one cannot narrow a contiguous range, so the ranges are exact only when
// every later part is unbounded; otherwise ScanRanges::exact is false and the scan must check
// each key with KeySatisfiesBounds (MongoDB's IndexBoundsChecker does the same job).
//
// Thread safety: pure functions.
#ifndef STRATA_INDEX_INDEX_BOUNDS_H_
#define STRATA_INDEX_INDEX_BOUNDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/index_key_layout.h"

namespace strata::index {

// An interval of one key part's values.
struct Interval {
  std::string low;   // ascending key string of the low end, or MinKeyString()
  std::string high;  // ascending key string of the high end, or MaxKeyString()
  bool low_inclusive = true;
  bool high_inclusive = true;

  // [value, value]; `value` is an ascending key string.
  static Interval Point(std::string value);
  // [MinKey bound, MaxKey bound]: every value.
  static Interval All();
  bool IsPoint() const { return low == high && low_inclusive && high_inclusive; }
  bool IsAll() const;
};

// Per key part, in key pattern order: its intervals, ascending by value and non-overlapping
// (MongoDB's OrderedIntervalList). Parts past the end of `fields` are unbounded; a part with
// no interval matches nothing.
struct IndexBounds {
  std::vector<std::vector<Interval>> fields;
};

struct ScanRanges {
  std::vector<KeyRange> ranges;  // ascending and disjoint, over index keys (no index prefix)
  bool exact = true;             // every key inside the ranges satisfies the bounds
};

struct ScanRangesOptions {
  // Most ranges to produce. When the point prefix would explode past it, the remaining
  // parts are covered by one hull range per combination and `exact` is false. Default 4096.
  size_t max_ranges = 4096;
};

// The ranges covering every index key that satisfies `bounds`, for an index whose key parts
// are descending where `descending` says so. A backward scan reads the ranges in reverse.
// kInvalidArgument when bounds name more parts than the index has, or an interval is
// inverted/empty or out of order.
absl::StatusOr<ScanRanges> BuildScanRanges(const IndexBounds& bounds,
                                           const std::vector<bool>& descending,
                                           const ScanRangesOptions& options = {});

// True when index key `key` satisfies `bounds` (each part inside one of its intervals).
// kDataLoss when `key` is not a well-formed key of that many parts.
absl::StatusOr<bool> KeySatisfiesBounds(const IndexBounds& bounds,
                                        const std::vector<bool>& descending, absl::string_view key);

}  // namespace strata::index

#endif  // STRATA_INDEX_INDEX_BOUNDS_H_
