// LeadingHistogram: how many entries of an index lie inside the bounds of its LEADING key part,
// estimated from the statistics `analyze` stored for the index (db/analyze_collection.h: entry
// count, an equi-depth histogram of at most 64 buckets over the leading values, and the first
// leading key). The planner (query_planner.h) uses it in place of an index dive when it is fresh
// and precise enough (cost_model.h says when).
//
// The model. In ascending value order the histogram is a sequence of BOUNDARY values (each
// bucket's largest value in index order, whose entry count analyze recorded exactly) and GAPS
// between consecutive boundaries (a bucket's other entries and distinct values, which lie
// strictly between its two boundaries; the outermost gap reaches the first or last value of the
// index). For one interval of leading values (index/index_bounds.h: ascending key strings):
//   - a boundary inside the interval contributes its exact count;
//   - a gap wholly inside contributes its exact count;
//   - a gap the interval cuts contributes  count × (pos(to) − pos(from)), where pos is the
//     position of a key between the gap's two ends: linear in the numeric value when the ends
//     and the key are finite numbers, else linear in the first 8 bytes after the common prefix
//     of the ends' key strings (dates, ObjectIds and strings are then interpolated in their
//     byte order, which is their value order);
//   - a point (equality) inside a gap, not on a boundary, contributes count / distinct of the
//     gap (the gap's entries spread evenly over its distinct values).
// Intervals are disjoint (IndexBounds), so their contributions add up. The result comes with
// the range the truth can lie in, as of the analysis: `low` counts only boundaries and whole
// gaps, `high` adds every cut gap in full. high − low is what the planner calls the
// histogram's coarseness.
//
// Descending leading parts: the stored keys are complemented; the constructor turns them back
// into ascending key strings (and reverses the bucket order), so estimates take the same
// ascending intervals as index::BuildScanRanges.
//
// Thread safety: immutable after construction; share it (the planner's statistics cache holds
// it in a shared_ptr).
#ifndef STRATA_QUERY_PLANNER_LEADING_HISTOGRAM_H_
#define STRATA_QUERY_PLANNER_LEADING_HISTOGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "index/index_bounds.h"

namespace strata::query::planner {

class LeadingHistogram {
 public:
  // One bucket as analyze stores it, in index order.
  struct Bucket {
    std::string upper;     // leading key bytes of its last value (complemented if descending)
    int64_t count = 0;     // entries, `upper`'s included
    int64_t distinct = 0;  // distinct leading values, `upper` included
    int64_t upper_count = 0;
  };

  // `first`: the leading key bytes of the index's first entry in index order (as stored; ""
  // when unknown: the outermost gap's far end is then unknown and a cut of it counts half).
  // `entries`: the index's entries at the analysis (the sum of the bucket counts).
  LeadingHistogram(bool descending, absl::string_view first, const std::vector<Bucket>& buckets,
                   int64_t entries);

  struct Estimate {
    double fraction = 0;  // best estimate: share of the index's entries inside the bounds
    double low = 0;       // share certainly inside (boundaries and whole gaps)
    double high = 0;      // share at most inside (low + every cut gap)
  };
  // The share of entries whose leading value lies in `intervals` (ascending, disjoint, ends as
  // ascending key strings or MinKeyString()/MaxKeyString()). 0 for an empty index.
  Estimate EstimateIntervals(const std::vector<index::Interval>& intervals) const;

  int64_t entries() const { return entries_; }
  size_t num_buckets() const { return boundaries_.size(); }

 private:
  struct Boundary {
    std::string key;  // ascending key string
    double count = 0;
  };
  struct Gap {
    double count = 0;
    double distinct = 0;
  };
  void AddInterval(const index::Interval& interval, Estimate* counts) const;

  int64_t entries_;
  std::vector<Boundary> boundaries_;  // ascending
  // gaps_[i] lies between boundaries_[i - 1] and boundaries_[i]; gaps_[0] below the first
  // boundary (down to lowest_), gaps_.back() above the last (up to highest_).
  std::vector<Gap> gaps_;
  std::string lowest_, highest_;  // smallest / largest leading key (ascending), "" unknown
};

// Where `key` lies between `low` and `high` (low < high), from 0 to 1 (clamped): linear in the
// value when all three are key strings of finite numbers, else linear in the 8 bytes following
// the common prefix of `low` and `high` read as a big-endian integer.
double KeyStringPosition(absl::string_view low, absl::string_view high, absl::string_view key);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_LEADING_HISTOGRAM_H_
