// Internal to query/update: the leaf operators ($set, $inc, $push, …) of an update tree.
#ifndef STRATA_QUERY_UPDATE_MODIFIERS_H_
#define STRATA_QUERY_UPDATE_MODIFIERS_H_

#include <bson/bson.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/update/update_plan.h"
#include "query/update/update_tree.h"

namespace strata::query::update::internal {

enum class ModifierKind {
  kSet,
  kSetOnInsert,
  kUnset,
  kInc,
  kMul,
  kMin,
  kMax,
  kCurrentDate,
  kPush,
  kAddToSet,
  kPop,
  kPull,
  kPullAll,
};

// The kind for an operator name ("$set" → kSet); false for unknown names and $rename (which
// the plan parses itself).
bool LookupModifier(absl::string_view name, ModifierKind* kind);

// Builds the modifier for one `path: operand` field of an operator. `operand` points into a
// document the plan owns for its whole life; the modifier may keep iterators into it.
// `factory` compiles $pull conditions (may be empty when none are needed).
absl::StatusOr<std::unique_ptr<Modifier>> MakeModifier(ModifierKind kind,
                                                       const bson_iter_t& operand,
                                                       const ElementPredicateFactory& factory);

// The two halves of {$rename: {from: to}}: the destination writes the source's value (when
// the source exists in the input document), the source is removed. `rename_index` indexes
// ApplyState::rename_sources.
std::unique_ptr<Modifier> MakeRenameDestination(size_t rename_index);
std::unique_ptr<Modifier> MakeRenameSource(size_t rename_index);

}  // namespace strata::query::update::internal

#endif  // STRATA_QUERY_UPDATE_MODIFIERS_H_
