#include "document/key_string.h"

#include <bson/bson.h>

#include <string>
#include <vector>

#include "document/compare.h"
#include "document/key_string_decode.h"
#include "fuzz/targets.h"
#include "fuzz/targets/common.h"

namespace strata::fuzz {
namespace {

std::vector<bson_iter_t> TopLevel(DocumentView view) {
  std::vector<bson_iter_t> values;
  bson_t b;
  bson_iter_t it;
  if (!view.AsBson(&b) || !bson_iter_init(&it, &b)) return values;
  while (bson_iter_next(&it) && values.size() < 16) values.push_back(it);
  return values;
}

int Memcmp(const std::string& a, const std::string& b) { return Sign(a.compare(b)); }

}  // namespace

int KeyString(const uint8_t* data, size_t size) {
  auto docs = SplitTwo(data, size);
  if (!docs) return 0;
  std::vector<bson_iter_t> a = TopLevel(docs->first);
  std::vector<bson_iter_t> b = TopLevel(docs->second);
  std::vector<bson_iter_t> all = a;
  all.insert(all.end(), b.begin(), b.end());
  std::vector<std::string> keys;
  for (const bson_iter_t& v : all) {
    std::string key = document::EncodeKeyString(v);
    // Decoding gives an equal value that re-encodes to the same bytes.
    auto decoded = document::DecodeKeyString(key);
    FUZZ_CHECK(decoded.ok());
    bson_iter_t back;
    FUZZ_CHECK(bson_iter_init_find(&back, decoded->bson(), "v"));
    FUZZ_CHECK(document::CompareValues(back, v) == 0);
    FUZZ_CHECK(document::EncodeKeyString(back) == key);
    keys.push_back(std::move(key));
  }
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      int order = Sign(document::CompareValues(all[i], all[j]));
      FUZZ_CHECK(order == Memcmp(keys[i], keys[j]));
      FUZZ_CHECK(order == -Sign(document::CompareValues(all[j], all[i])));
      std::string di;
      std::string dj;
      document::AppendKeyStringDescending(all[i], &di);
      document::AppendKeyStringDescending(all[j], &dj);
      FUZZ_CHECK(-order == Memcmp(di, dj));
    }
  }
  return 0;
}

}  // namespace strata::fuzz
