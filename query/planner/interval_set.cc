#include "query/planner/interval_set.h"

#include <bson/bson.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "document/key_string.h"

namespace strata::query::planner {
namespace {

using index::Interval;

// The key string of the one value `append` adds to an empty document.
template <typename Append>
std::string EncodeValue(Append append) {
  bson_t doc = BSON_INITIALIZER;
  append(&doc);
  bson_iter_t it;
  std::string out;
  if (bson_iter_init(&it, &doc) && bson_iter_next(&it)) out = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return out;
}

// Key strings the operations compare against.
struct Ends {
  std::string min_bound = document::MinKeyString();
  std::string max_bound = document::MaxKeyString();
  std::string min_value = EncodeValue([](bson_t* doc) { bson_append_minkey(doc, "", 0); });
  std::string max_value = EncodeValue([](bson_t* doc) { bson_append_maxkey(doc, "", 0); });
  std::string undefined = EncodeValue([](bson_t* doc) { bson_append_undefined(doc, "", 0); });
  std::string null = EncodeValue([](bson_t* doc) { bson_append_null(doc, "", 0); });
  std::string nan = EncodeValue([](bson_t* doc) { bson_append_double(doc, "", 0, NAN); });
};

// One end of an interval. Lower ends order by value, an inclusive end before an exclusive one
// at the same value; upper ends by value, an exclusive end before an inclusive one.
struct Bound {
  absl::string_view value;
  bool inclusive;
};

int CompareLow(Bound a, Bound b) {
  const int c = a.value.compare(b.value);
  if (c != 0) return c;
  if (a.inclusive == b.inclusive) return 0;
  return a.inclusive ? -1 : 1;
}

int CompareHigh(Bound a, Bound b) {
  const int c = a.value.compare(b.value);
  if (c != 0) return c;
  if (a.inclusive == b.inclusive) return 0;
  return a.inclusive ? 1 : -1;
}

bool IsEmpty(const Interval& interval) {
  const int c = absl::string_view(interval.low).compare(interval.high);
  return c > 0 || (c == 0 && !(interval.low_inclusive && interval.high_inclusive));
}

// True for an open interval between two values with none between them, such as the gap that
// ($ne: null) leaves between undefined and null: MongoDB shows no such interval.
bool HoldsNoValue(const Ends& ends, const Interval& interval) {
  if (interval.low_inclusive || interval.high_inclusive) return false;
  return (interval.low == ends.min_value && interval.high == ends.undefined) ||
         (interval.low == ends.undefined && interval.high == ends.null) ||
         (interval.low == ends.null && interval.high == ends.nan);
}

// Open ends written as the MinKey/MaxKey values, so that comparisons see one form.
void ToValueEnds(const Ends& ends, Interval* interval) {
  if (interval->low <= ends.min_bound) {
    interval->low = ends.min_value;
    interval->low_inclusive = true;
  }
  if (interval->high >= ends.max_bound) {
    interval->high = ends.max_value;
    interval->high_inclusive = true;
  }
}

// The inverse, for non-point intervals.
void ToOpenEnds(const Ends& ends, Interval* interval) {
  if (interval->IsPoint()) return;
  if (interval->low == ends.min_value && interval->low_inclusive) {
    interval->low = ends.min_bound;
  }
  if (interval->high == ends.max_value && interval->high_inclusive) {
    interval->high = ends.max_bound;
  }
}

Interval Make(Bound low, Bound high) {
  Interval interval;
  interval.low = std::string(low.value);
  interval.high = std::string(high.value);
  interval.low_inclusive = low.inclusive;
  interval.high_inclusive = high.inclusive;
  return interval;
}

// Canonical lists in value-end form (sorted, merged, every value in [MinKey, MaxKey]).
IntervalList SortAndMerge(const Ends& ends, IntervalList intervals) {
  for (Interval& interval : intervals) ToValueEnds(ends, &interval);
  intervals.erase(std::remove_if(intervals.begin(), intervals.end(),
                                 [&ends](const Interval& interval) {
                                   return IsEmpty(interval) || HoldsNoValue(ends, interval);
                                 }),
                  intervals.end());
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    return CompareLow({a.low, a.low_inclusive}, {b.low, b.low_inclusive}) < 0;
  });
  IntervalList out;
  for (Interval& interval : intervals) {
    if (!out.empty()) {
      Interval& last = out.back();
      const int c = absl::string_view(interval.low).compare(last.high);
      if (c < 0 || (c == 0 && (interval.low_inclusive || last.high_inclusive))) {
        if (CompareHigh({interval.high, interval.high_inclusive},
                        {last.high, last.high_inclusive}) > 0) {
          last.high = std::move(interval.high);
          last.high_inclusive = interval.high_inclusive;
        }
        continue;
      }
    }
    out.push_back(std::move(interval));
  }
  return out;
}

IntervalList Finish(const Ends& ends, IntervalList intervals) {
  intervals.erase(
      std::remove_if(intervals.begin(), intervals.end(),
                     [&ends](const Interval& interval) { return HoldsNoValue(ends, interval); }),
      intervals.end());
  for (Interval& interval : intervals) ToOpenEnds(ends, &interval);
  return intervals;
}

}  // namespace

IntervalList NormalizeIntervals(IntervalList intervals) {
  const Ends ends;
  return Finish(ends, SortAndMerge(ends, std::move(intervals)));
}

IntervalList UnionIntervals(const IntervalList& a, const IntervalList& b) {
  IntervalList all = a;
  all.insert(all.end(), b.begin(), b.end());
  return NormalizeIntervals(std::move(all));
}

IntervalList IntersectIntervals(const IntervalList& a, const IntervalList& b) {
  const Ends ends;
  const IntervalList x = SortAndMerge(ends, a);
  const IntervalList y = SortAndMerge(ends, b);
  IntervalList out;
  size_t i = 0;
  size_t j = 0;
  while (i < x.size() && j < y.size()) {
    const Bound x_low{x[i].low, x[i].low_inclusive};
    const Bound y_low{y[j].low, y[j].low_inclusive};
    const Bound x_high{x[i].high, x[i].high_inclusive};
    const Bound y_high{y[j].high, y[j].high_inclusive};
    const Bound low = CompareLow(x_low, y_low) >= 0 ? x_low : y_low;
    const Bound high = CompareHigh(x_high, y_high) <= 0 ? x_high : y_high;
    Interval piece = Make(low, high);
    if (!IsEmpty(piece)) out.push_back(std::move(piece));
    if (CompareHigh(x_high, y_high) <= 0) {
      ++i;
    } else {
      ++j;
    }
  }
  return Finish(ends, std::move(out));
}

IntervalList ComplementIntervals(const IntervalList& a) {
  const Ends ends;
  const IntervalList x = SortAndMerge(ends, a);
  IntervalList out;
  Bound cursor{ends.min_value, true};
  for (const Interval& interval : x) {
    Interval gap = Make(cursor, {interval.low, !interval.low_inclusive});
    if (!IsEmpty(gap)) out.push_back(std::move(gap));
    cursor = {interval.high, !interval.high_inclusive};
  }
  Interval tail = Make(cursor, {ends.max_value, true});
  if (!IsEmpty(tail)) out.push_back(std::move(tail));
  return Finish(ends, std::move(out));
}

bool CoversAllValues(const IntervalList& intervals) {
  return intervals.size() == 1 && intervals[0].IsAll();
}

}  // namespace strata::query::planner
