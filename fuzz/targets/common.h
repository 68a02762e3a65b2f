// Helpers shared by the fuzz targets.
#ifndef STRATA_FUZZ_TARGETS_COMMON_H_
#define STRATA_FUZZ_TARGETS_COMMON_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "document/validate.h"
#include "strata/document.h"

// Aborts with a message when an invariant fails (the fuzzer saves the input as a crasher).
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace strata::fuzz {

struct TwoDocuments {
  DocumentView first;
  DocumentView second;
};

// Splits the input into two documents (see targets.h); nullopt unless both pass
// document::ValidateInput as documents.
inline std::optional<TwoDocuments> SplitTwo(const uint8_t* data, size_t size) {
  if (size < 10) return std::nullopt;
  uint32_t n = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
               (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
  if (n < 5 || n > size - 5) return std::nullopt;
  if (!document::ValidateInput(data, n, document::InputKind::kDocument).ok()) return std::nullopt;
  if (!document::ValidateInput(data + n, size - n, document::InputKind::kDocument).ok()) {
    return std::nullopt;
  }
  return TwoDocuments{DocumentView(data, n), DocumentView(data + n, size - n)};
}

inline int Sign(int v) { return (v > 0) - (v < 0); }

}  // namespace strata::fuzz

#endif  // STRATA_FUZZ_TARGETS_COMMON_H_
