#include "tools/sample/sample_data.h"

#include <random>
#include <string>

namespace strata::tools {
namespace {

constexpr const char* kFirstNames[] = {
    "Ada",  "Alan", "Barbara",   "Claude", "Donald",   "Edsger",  "Frances", "Grace", "Hedy",
    "Ivan", "John", "Katherine", "Leslie", "Margaret", "Niklaus", "Radia",   "Shafi", "Tim"};
constexpr const char* kLastNames[] = {
    "Lovelace", "Turing",   "Liskov", "Shannon",    "Knuth",      "Dijkstra",
    "Allen",    "Hopper",   "Lamarr", "Sutherland", "Backus",     "Johnson",
    "Lamport",  "Hamilton", "Wirth",  "Perlman",    "Goldwasser", "Berners-Lee"};
constexpr const char* kCities[] = {"Oslo",   "Paris",   "Lagos", "Lima",   "Tokyo",
                                   "Austin", "Nairobi", "Pune",  "Berlin", "Quito"};
constexpr const char* kTags[] = {"admin", "beta", "mobile", "premium", "trial", "verified"};

template <typename T, size_t N>
const T& Pick(std::mt19937_64& rng, const T (&items)[N]) {
  return items[rng() % N];
}

}  // namespace

std::vector<Document> GenerateSamplePeople(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Document> people;
  people.reserve(static_cast<size_t>(count));
  const int64_t kEpoch2015Ms = 1420070400000;
  for (int i = 0; i < count; ++i) {
    Document doc;
    bson_t* b = doc.mutable_bson();
    // ObjectId: 4-byte time (2024-01-01 + i seconds), then 8 bytes from the seeded generator.
    uint8_t oid_bytes[12];
    uint32_t time = 1704067200u + static_cast<uint32_t>(i);
    oid_bytes[0] = static_cast<uint8_t>(time >> 24);
    oid_bytes[1] = static_cast<uint8_t>(time >> 16);
    oid_bytes[2] = static_cast<uint8_t>(time >> 8);
    oid_bytes[3] = static_cast<uint8_t>(time);
    uint64_t r = rng();
    for (int k = 0; k < 8; ++k) oid_bytes[4 + k] = static_cast<uint8_t>(r >> (8 * k));
    bson_oid_t oid;
    bson_oid_init_from_data(&oid, oid_bytes);
    bson_append_oid(b, "_id", 3, &oid);
    std::string name = std::string(Pick(rng, kFirstNames)) + " " + Pick(rng, kLastNames);
    bson_append_utf8(b, "name", 4, name.c_str(), -1);
    bson_append_int32(b, "age", 3, 18 + static_cast<int32_t>(rng() % 60));
    bson_append_utf8(b, "city", 4, Pick(rng, kCities), -1);
    bson_t tags;
    bson_append_array_begin(b, "tags", 4, &tags);
    int tag_count = static_cast<int>(rng() % 4);
    for (int t = 0; t < tag_count; ++t) {
      std::string key = std::to_string(t);
      bson_append_utf8(&tags, key.c_str(), -1, Pick(rng, kTags), -1);
    }
    bson_append_array_end(b, &tags);
    bson_append_date_time(
        b, "joined", 6, kEpoch2015Ms + static_cast<int64_t>(rng() % (10ull * 365 * 86400)) * 1000);
    bson_t scores;
    bson_append_document_begin(b, "scores", 6, &scores);
    bson_append_double(&scores, "math", 4, static_cast<double>(rng() % 1000) / 10.0);
    bson_append_double(&scores, "art", 3, static_cast<double>(rng() % 1000) / 10.0);
    bson_append_document_end(b, &scores);
    bson_append_bool(b, "active", 6, rng() % 4 != 0);
    people.push_back(std::move(doc));
  }
  return people;
}

}  // namespace strata::tools
