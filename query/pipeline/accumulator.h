// $group accumulators: $sum $avg $min $max $first $last $push $addToSet $count $mergeObjects
// $stdDevPop $stdDevSamp.
//
// Each accumulator folds the values of one group. For spilling, its state can be written as
// a partial Value and merged back (partials of earlier input first, so $first/$last/$push keep
// input order). Values handed to Process may be borrowed: accumulators keep owned copies.
#ifndef STRATA_QUERY_PIPELINE_ACCUMULATOR_H_
#define STRATA_QUERY_PIPELINE_ACCUMULATOR_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/expression/value.h"

namespace strata::query::pipeline {

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  virtual absl::Status Process(const expression::Value& value) = 0;
  virtual expression::Value Result() const = 0;
  // The state as a value (for spill runs), and folding such a state in.
  virtual expression::Value Partial() const = 0;
  virtual absl::Status MergePartial(const expression::Value& partial) = 0;
  // Bytes held beyond the object itself (arrays of $push/$addToSet, objects, strings).
  virtual size_t memory() const { return 0; }
};

// Creates the accumulator named `op` ("$sum", …); nullptr when unknown.
std::unique_ptr<Accumulator> MakeAccumulator(absl::string_view op);
bool IsAccumulatorName(absl::string_view op);

}  // namespace strata::query::pipeline

#endif  // STRATA_QUERY_PIPELINE_ACCUMULATOR_H_
