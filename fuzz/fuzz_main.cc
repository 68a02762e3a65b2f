// libFuzzer entry point; STRATA_FUZZ_TARGET names one function of fuzz/targets.h (CMake sets
// it per executable).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return strata::fuzz::STRATA_FUZZ_TARGET(data, size);
}
