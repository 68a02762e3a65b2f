#include <string>
#include <string_view>

#include "document/validate.h"
#include "fuzz/targets.h"
#include "fuzz/targets/common.h"

namespace strata::fuzz {

int ExtendedJson(const uint8_t* data, size_t size) {
  auto doc = Document::FromJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc.ok()) return 0;
  // FromJson promises a document that passed the strict validator (repeated names allowed).
  document::ValidateOptions limits;
  limits.max_size = document::kMaxCommandSize;
  limits.max_depth = document::kMaxCommandDepth;
  limits.reject_duplicate_names = false;
  FUZZ_CHECK(document::ValidateBson(doc->view(), limits).ok());
  std::string canonical = doc->ToJson(JsonMode::kCanonical);
  std::string relaxed = doc->ToJson(JsonMode::kRelaxed);
  // Our output parses again (it may not be the same document: a field named "$oid" reads back
  // as an ObjectId, as in MongoDB's own tools).
  (void)Document::FromJson(canonical);
  (void)Document::FromJson(relaxed);
  return 0;
}

}  // namespace strata::fuzz
