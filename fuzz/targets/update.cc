#include "absl/time/time.h"
#include "document/validate.h"
#include "fuzz/targets.h"
#include "fuzz/targets/common.h"
#include "query/update/update_plan.h"

namespace strata::fuzz {

int Update(const uint8_t* data, size_t size) {
  auto docs = SplitTwo(data, size);
  if (!docs) return 0;
  auto plan = query::update::UpdatePlan::Parse(docs->first);
  if (!plan.ok()) return 0;
  query::update::ApplyContext context;
  context.now = absl::FromUnixSeconds(1700000000);
  if (plan->uses_positional()) context.positional_index = 0;
  auto outcome = plan->Apply(docs->second, context);
  if (!outcome.ok()) return 0;
  // An update never produces a document the validator would refuse.
  FUZZ_CHECK(document::ValidateInput(outcome->result.view(), document::InputKind::kDocument).ok());
  FUZZ_CHECK(outcome->modified == !outcome->result.view().BytesEqual(docs->second));
  return 0;
}

}  // namespace strata::fuzz
