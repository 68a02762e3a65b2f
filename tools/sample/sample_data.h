// The bundled sample data set of the demo: people with names, ages, cities, tags, join dates
// and scores, generated deterministically from a seed (the same seed gives the same bytes,
// including the ObjectIds, which are derived from the seed rather than the clock).
#ifndef STRATA_TOOLS_SAMPLE_SAMPLE_DATA_H_
#define STRATA_TOOLS_SAMPLE_SAMPLE_DATA_H_

#include <cstdint>
#include <vector>

#include "strata/document.h"

namespace strata::tools {

std::vector<Document> GenerateSamplePeople(int count, uint64_t seed = 42);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_SAMPLE_SAMPLE_DATA_H_
