// Our strict validator against libbson's bson_validate: on valid documents of every type
// (built by libbson, random shapes, depth up to 100) both accept; on byte-level mutations of
// them, whatever we accept libbson accepts too (ours is the stricter one, never the looser).
// libbson is only asked after ours passed, so it never sees a document deeper than 100.
#include <bson/bson.h>

#include <cstdint>
#include <random>
#include <string>

#include "document/validate.h"
#include "tests/limits/limits_util.h"

namespace strata {
namespace {

using document::ValidateBson;

constexpr bson_validate_flags_t kLibbsonFlags =
    static_cast<bson_validate_flags_t>(BSON_VALIDATE_UTF8 | BSON_VALIDATE_UTF8_ALLOW_NULL);

bool LibbsonAccepts(const uint8_t* data, size_t size) {
  bson_t b;
  if (!bson_init_static(&b, data, size)) return false;
  size_t offset = 0;
  return bson_validate(&b, kLibbsonFlags, &offset);
}

// Random valid documents: every BSON type, valid UTF-8 (with multi-byte characters and NULs
// in values), distinct names, nesting up to `max_depth`.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  Document Make(int max_depth) {
    Document doc;
    Fill(doc.mutable_bson(), 0, max_depth, false);
    return doc;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string Text() {
    static const char* const kPieces[] = {"a", "Z", "0",   " ", "é", "€", "𝄞", "\xF4\x8F\xBF\xBF",
                                          "$", ".", "日本"};
    std::string out;
    for (int i = Pick(6); i > 0; --i) out += kPieces[Pick(std::size(kPieces))];
    return out;
  }

  void Fill(bson_t* out, int depth, int max_depth, bool is_array) {
    const int n = Pick(6);
    for (int i = 0; i < n; ++i) {
      std::string key = is_array ? std::to_string(i) : Text() + "#" + std::to_string(i);
      const char* k = key.c_str();
      int len = static_cast<int>(key.size());
      std::string t = Text();
      switch (Pick(depth < max_depth ? 20 : 18)) {
        case 0:
          bson_append_double(out, k, len, 1.5 * Pick(1000));
          break;
        case 1:
          bson_append_utf8(out, k, len, t.data(), static_cast<int>(t.size()));
          break;
        case 2: {
          std::string with_nul = t + std::string(1, '\0') + t;
          bson_append_utf8(out, k, len, with_nul.data(), static_cast<int>(with_nul.size()));
          break;
        }
        case 3: {
          uint8_t bytes[7] = {1, 2, 3, 0, 255, 9, 8};
          bson_append_binary(out, k, len, BSON_SUBTYPE_BINARY, bytes, Pick(8));
          break;
        }
        case 4:
          bson_append_undefined(out, k, len);
          break;
        case 5: {
          bson_oid_t oid;
          bson_oid_init(&oid, nullptr);
          bson_append_oid(out, k, len, &oid);
          break;
        }
        case 6:
          bson_append_bool(out, k, len, Pick(2) == 1);
          break;
        case 7:
          bson_append_date_time(out, k, len, Pick(1 << 30));
          break;
        case 8:
          bson_append_null(out, k, len);
          break;
        case 9:
          bson_append_regex(out, k, len, t.c_str(), Pick(2) ? "imsx" : "");
          break;
        case 10: {
          bson_oid_t oid;
          bson_oid_init(&oid, nullptr);
          bson_append_dbpointer(out, k, len, t.c_str(), &oid);
          break;
        }
        case 11:
          bson_append_code(out, k, len, t.c_str());
          break;
        case 12:
          bson_append_symbol(out, k, len, t.data(), static_cast<int>(t.size()));
          break;
        case 13: {
          Document scope;
          bson_append_int32(scope.mutable_bson(), "x", 1, Pick(10));
          bson_append_code_with_scope(out, k, len, t.c_str(), scope.bson());
          break;
        }
        case 14:
          bson_append_int32(out, k, len, Pick(1 << 20) - (1 << 19));
          break;
        case 15:
          bson_append_timestamp(out, k, len, Pick(1000), Pick(1000));
          break;
        case 16:
          bson_append_int64(out, k, len, static_cast<int64_t>(Pick(1 << 30)) << 20);
          break;
        case 17: {
          bson_decimal128_t dec;
          bson_decimal128_from_string("-12.50E+3", &dec);
          if (Pick(2)) {
            bson_append_decimal128(out, k, len, &dec);
          } else {
            Pick(2) ? bson_append_minkey(out, k, len) : bson_append_maxkey(out, k, len);
          }
          break;
        }
        case 18: {
          bson_t child;
          bson_append_document_begin(out, k, len, &child);
          Fill(&child, depth + 1, max_depth, false);
          bson_append_document_end(out, &child);
          break;
        }
        default: {
          bson_t child;
          bson_append_array_begin(out, k, len, &child);
          Fill(&child, depth + 1, max_depth, true);
          bson_append_array_end(out, &child);
          break;
        }
      }
    }
  }

  std::mt19937 rng_;
};

TEST(DifferentialTest, RandomValidDocumentsPassBothValidators) {
  Generator gen(20261126);
  for (int i = 0; i < 3000; ++i) {
    Document doc = gen.Make(i % 10 == 0 ? 100 : 6);
    EXPECT_OK(ValidateBson(doc.view())) << doc.ToJson();
    EXPECT_TRUE(LibbsonAccepts(doc.view().data(), doc.size())) << doc.ToJson();
  }
}

TEST(DifferentialTest, WhatWeAcceptAfterAMutationLibbsonAcceptsToo) {
  Generator gen(7);
  std::mt19937 rng(11);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Document doc = gen.Make(5);
    std::string bytes(reinterpret_cast<const char*>(doc.view().data()), doc.size());
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
      size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
          break;
        default:
          bytes[at] = static_cast<char>(rng() % 2 ? 0 : 0x80);
          break;
      }
    }
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    if (!ValidateBson(data, bytes.size()).ok()) continue;
    ++accepted;
    ASSERT_TRUE(LibbsonAccepts(data, bytes.size()))
        << "we accept and libbson rejects: " << ::testing::PrintToString(bytes);
  }
  EXPECT_GT(accepted, 100);  // the mutations did leave some documents valid
}

}  // namespace
}  // namespace strata
