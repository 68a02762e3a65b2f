// Adapters that let query/update and query/projection evaluate filter conditions with the
// query matcher without depending on it (the stack has no upward arrows; db/ composes).
#ifndef STRATA_DB_MATCHER_ADAPTERS_H_
#define STRATA_DB_MATCHER_ADAPTERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "query/match/match_expression.h"
#include "query/projection/projection.h"
#include "query/update/update_plan.h"

namespace strata::db {

// Parses a query filter with every operator another layer supplies plugged in ($expr,
// $jsonSchema as they land). Every filter the database evaluates is parsed here.
absl::StatusOr<query::match::MatchExpressionPtr> ParseQueryFilter(DocumentView filter);

// True when the tree holds an operator another layer evaluates ($expr, $jsonSchema): those can
// fail on a document (e.g. $divide by zero), and the caller must surface the failure
// (query::expression::FirstEvaluationError) instead of treating it as "no match".
bool ContainsExternalOperator(const query::match::MatchExpression& tree);

// arrayFilters and $pull conditions of updates.
absl::StatusOr<std::unique_ptr<query::update::ElementPredicate>> CompileUpdatePredicate(
    const query::update::PredicateSpec& spec);

// $elemMatch conditions of projections: an element matches when {e: [element]} matches
// {e: {$elemMatch: condition}}, which gives the value and document forms MongoDB's semantics.
absl::StatusOr<std::unique_ptr<query::projection::ElementPredicate>> CompileElemMatchPredicate(
    DocumentView condition);

// Parses a find projection with the matcher plugged in (`filter` for positional projections).
absl::StatusOr<query::projection::Projection> ParseProjection(DocumentView projection,
                                                              std::optional<DocumentView> filter);

}  // namespace strata::db

#endif  // STRATA_DB_MATCHER_ADAPTERS_H_
