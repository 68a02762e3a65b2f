// Set operations on ordered interval lists (MongoDB's OrderedIntervalList) of one key part's
// values, as index::Interval takes them: each end is the ascending key string of a value
// (document/key_string.h), or MinKeyString()/MaxKeyString() for an open end. Key strings
// compare as bytes in value order, so every operation here is plain byte comparison.
//
// Canonical form (what every function returns): intervals non-empty, ascending,
// non-overlapping and non-adjacent (touching intervals are merged); an end at the MinKey
// (MaxKey) value, inclusive, of a non-point interval is written as MinKeyString()
// (MaxKeyString()), so the list covering every value is exactly {Interval::All()}; and no
// interval holds only a gap without values (between MinKeyString() and the MinKey value, MaxKey
// and MaxKeyString(), or open between the adjacent values MinKey, undefined, null and NaN).
//
// Thread safety: pure functions.
#ifndef STRATA_QUERY_PLANNER_INTERVAL_SET_H_
#define STRATA_QUERY_PLANNER_INTERVAL_SET_H_

#include <vector>

#include "index/index_bounds.h"

namespace strata::query::planner {

using IntervalList = std::vector<index::Interval>;

// Any list (unordered, overlapping, with empty intervals) in canonical form.
IntervalList NormalizeIntervals(IntervalList intervals);

// The values in `a` or in `b`. Inputs need not be canonical.
IntervalList UnionIntervals(const IntervalList& a, const IntervalList& b);

// The values in both `a` and `b`. Inputs need not be canonical.
IntervalList IntersectIntervals(const IntervalList& a, const IntervalList& b);

// The values not in `a` (within [MinKey, MaxKey]). Input need not be canonical.
IntervalList ComplementIntervals(const IntervalList& a);

// True when the (canonical) list holds every value.
bool CoversAllValues(const IntervalList& intervals);

}  // namespace strata::query::planner

#endif  // STRATA_QUERY_PLANNER_INTERVAL_SET_H_
