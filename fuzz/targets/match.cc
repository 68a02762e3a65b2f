#include "fuzz/targets.h"
#include "fuzz/targets/common.h"
#include "query/match/parser.h"

namespace strata::fuzz {

int Match(const uint8_t* data, size_t size) {
  auto docs = SplitTwo(data, size);
  if (!docs) return 0;
  auto filter = query::match::ParseFilter(docs->first);
  if (!filter.ok()) return 0;
  bool matches = (*filter)->Matches(docs->second);
  // Evaluation is a pure function of its inputs.
  FUZZ_CHECK(matches == (*filter)->Matches(docs->second));
  (void)(*filter)->DebugString();
  return 0;
}

}  // namespace strata::fuzz
