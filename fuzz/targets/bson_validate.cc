#include <bson/bson.h>

#include <string>

#include "document/compare.h"
#include "document/extended_json.h"
#include "document/validate.h"
#include "fuzz/targets.h"
#include "fuzz/targets/common.h"

namespace strata::fuzz {

int BsonValidate(const uint8_t* data, size_t size) {
  document::ValidateOptions options;
  options.max_size = document::kMaxCommandSize;
  if (!document::ValidateBson(data, size, options).ok()) return 0;
  // Ours accepted: libbson must too (ours is stricter: UTF-8, duplicates, depth, size).
  bson_t b;
  FUZZ_CHECK(bson_init_static(&b, data, size));
  size_t offset = 0;
  FUZZ_CHECK(bson_validate(
      &b, static_cast<bson_validate_flags_t>(BSON_VALIDATE_UTF8 | BSON_VALIDATE_UTF8_ALLOW_NULL),
      &offset));
  DocumentView view(data, size);
  // Our recursive walkers are safe on it (depth ≤ 100) and consistent.
  FUZZ_CHECK(document::CompareDocuments(view, view) == 0);
  std::string json;
  FUZZ_CHECK(document::AppendExtendedJson(view, JsonMode::kCanonical, &json));
  json.clear();
  FUZZ_CHECK(document::AppendExtendedJson(view, JsonMode::kRelaxed, &json));
  return 0;
}

}  // namespace strata::fuzz
