// MongoDB update documents: parsed once into an UpdatePlan, applied to many documents.
//
//   ASSIGN_OR_RETURN(UpdatePlan plan, UpdatePlan::Parse(update, options));
//   for each matched document:
//     ApplyContext ctx;  ctx.positional_index = <array index the filter matched, if any>;
//     ASSIGN_OR_RETURN(UpdateOutcome out, plan.Apply(doc, ctx));
//     if (out.modified) write out.result;
//
// Two kinds of update document are accepted:
//   - operator updates {$set: {...}, $inc: {...}, ...}: $set $unset $inc $mul $rename $min $max
//     $currentDate $setOnInsert $push ($each $position $slice $sort) $addToSet ($each) $pop
//     $pull $pullAll, with dotted paths, positional `$`, `$[]` and `$[<identifier>]`;
//   - replacement documents (no top-level `$` field): the result is the replacement with the
//     original `_id` kept first.
// Aggregation-pipeline updates (an array) are not handled here.
//
// Semantics follow MongoDB 5.0+: all operators of one update form one tree of paths; the
// paths are applied in MongoDB's field order (numeric names numerically, others bytewise), so
// new fields are appended in that order and `$set` of an existing field keeps its position;
// an operator with an empty operand ({$set: {}}) is a no-op. Errors carry MongoDB's codes
// (base/error_codes.h) and message shapes.
//
// Thread safety: a parsed plan is immutable; Apply may run concurrently from many threads
// provided the ElementPredicates the factory returned are safe to call concurrently.
#ifndef STRATA_QUERY_UPDATE_UPDATE_PLAN_H_
#define STRATA_QUERY_UPDATE_UPDATE_PLAN_H_

#include <bson/bson.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "strata/document.h"

namespace strata::query::update {

// A compiled filter condition evaluated against one value. Supplied by the caller (the db
// layer compiles it with query/match) so this module does not depend on the matcher.
class ElementPredicate {
 public:
  virtual ~ElementPredicate() = default;
  // True when the value at `element` (its current element) satisfies the condition.
  virtual bool Matches(const bson_iter_t& element) const = 0;
};

// What a predicate must evaluate.
struct PredicateSpec {
  enum class Target {
    // Evaluate `filter` against the one-field document {<root_name>: element}. Used for
    // arrayFilters (root_name is the identifier: filter {"x.a": {$gt: 1}} with root "x") and
    // for $pull conditions on values ({$pull: {a: {$gte: 6}}} gives filter {"v": {$gte: 6}},
    // root "v"; a regular expression gives {"v": /re/}).
    kWrapped,
    // The element matches when it is a document and `filter` matches that document. Used for
    // $pull with a plain document ({$pull: {a: {x: 1, y: {$gt: 2}}}} gives filter
    // {x: 1, y: {$gt: 2}}).
    kDocument,
  };
  Target target = Target::kWrapped;
  // Owned by the UpdatePlan and alive as long as it: the predicate may point into it.
  DocumentView filter;
  absl::string_view root_name;  // kWrapped only; lives as long as `filter`
};

// Compiles a predicate. Errors (bad filter) fail UpdatePlan::Parse with this status.
using ElementPredicateFactory =
    std::function<absl::StatusOr<std::unique_ptr<ElementPredicate>>(const PredicateSpec&)>;

struct UpdateParseOptions {
  // The `arrayFilters` option of the command. Each must be a one-identifier filter such as
  // {x: {$gt: 1}} or {"x.a": 1, "x.b": 2}. Read during Parse only (copied). Default: none.
  std::vector<DocumentView> array_filters;
  // Compiles arrayFilters and $pull conditions. Required when either is present (Parse fails
  // with NotImplemented otherwise). Default: none.
  ElementPredicateFactory predicate_factory;
  // An update with an aggregation pipeline (`u: [{$set: …}, …]`): when set, `update` holds the
  // pipeline's array bytes and Apply runs this function on each document instead of update
  // operators (db/ builds it with query/pipeline; this layer does not depend on it). Apply
  // keeps `_id`: a result without `_id` gets the original one back, a changed one fails with
  // ImmutableField (66). Default: none (operator or replacement updates).
  std::function<absl::StatusOr<Document>(DocumentView doc)> pipeline;
};

// Per-document inputs of Apply.
struct ApplyContext {
  // True when the document is the seed of an upsert that inserts (BuildUpsertSeed): then
  // $setOnInsert applies. Default: false.
  bool is_upsert_insert = false;
  // The array position the query matched (MongoDB's positional `$`), from the caller's
  // matcher. Required by updates whose paths contain `$`; absent → BadValue "The positional
  // operator did not find the match needed from the query.". Default: none.
  std::optional<size_t> positional_index;
  // The time $currentDate writes. Default: none → absl::Now() at Apply.
  std::optional<absl::Time> now;
  // The increment of the Timestamp $currentDate {$type: "timestamp"} writes (its seconds
  // come from `now`). Default 1.
  uint32_t timestamp_increment = 1;
};

struct UpdateOutcome {
  Document result;
  // False when `result` is byte-for-byte the input document (nModified counts only true).
  bool modified = false;
};

class UpdatePlan {
 public:
  // Parses `update` (operator or replacement form). The plan keeps its own copy of `update`
  // and of the array filters. Errors: FailedToParse (unknown modifier, bad operand shape,
  // unused array filter), BadValue (bad operator arguments), ConflictingUpdateOperators (40:
  // two paths overlap), EmptyFieldName (56), DollarPrefixedFieldName (52: replacement with a
  // `$` field), TypeMismatch ($inc/$mul argument not a number), NotImplemented (conditions
  // without a predicate factory).
  static absl::StatusOr<UpdatePlan> Parse(DocumentView update,
                                          const UpdateParseOptions& options = {});

  UpdatePlan(UpdatePlan&&) noexcept;
  UpdatePlan& operator=(UpdatePlan&&) noexcept;
  ~UpdatePlan();

  // Applies the update to `doc` (a stored document, or an upsert seed). `doc` is only read.
  // Errors: PathNotViable (28), TypeMismatch (14), BadValue (2), ImmutableField (66: `_id`
  // changed), ConflictingUpdateOperators (40: positional paths met at one element),
  // BSONObjectTooLarge (result over 16 MiB), Overflow (result nested deeper than 100).
  absl::StatusOr<UpdateOutcome> Apply(DocumentView doc, const ApplyContext& ctx) const;

  // True for a replacement document.
  bool is_replacement() const;
  // True when some path contains the positional `$` (the caller must supply
  // ApplyContext::positional_index from its match).
  bool uses_positional() const;

  struct Impl;

 private:
  explicit UpdatePlan(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The base document of an upsert that inserts: the equality conditions of `query` (top-level
// `field: value` and `field: {$eq: value}`, also inside `$and` and a one-clause `$or`), dotted
// paths creating embedded documents, `_id` first. Values that are regular expressions or
// operator documents other than $eq are not equalities and are skipped. Errors:
// NotSingleValueField (54) when two conditions name the same or overlapping paths.
absl::StatusOr<Document> BuildUpsertSeed(DocumentView query);

}  // namespace strata::query::update

#endif  // STRATA_QUERY_UPDATE_UPDATE_PLAN_H_
