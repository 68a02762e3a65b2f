#include "engine/key_layout.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata::engine {
namespace {
constexpr absl::string_view kDescriptorTag("c\0", 2);
constexpr absl::string_view kMetaTag("m\0", 2);
constexpr absl::string_view kStatsTag("s\0", 2);
constexpr absl::string_view kIndexStatsTag("x\0", 2);
constexpr absl::string_view kMultikeyTag("k\0", 2);
constexpr absl::string_view kAnalysisTag("h\0", 2);

std::string TaggedId(absl::string_view tag, uint32_t id) {
  std::string key(tag);
  AppendBigEndian32(id, &key);
  return key;
}
}  // namespace

void AppendBigEndian32(uint32_t value, std::string* out) {
  char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                   static_cast<char>(value >> 8), static_cast<char>(value)};
  out->append(bytes, 4);
}

uint32_t ReadBigEndian32(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string CollectionPrefix(CollectionId id) {
  std::string key;
  AppendBigEndian32(id, &key);
  return key;
}

std::string RecordKey(CollectionId id, absl::string_view id_key_string) {
  std::string key;
  key.reserve(4 + id_key_string.size());
  AppendBigEndian32(id, &key);
  key.append(id_key_string.data(), id_key_string.size());
  return key;
}

std::string CollectionDescriptorKey(absl::string_view ns) {
  return absl::StrCat(kDescriptorTag, ns);
}
std::string CollectionDescriptorPrefix() { return std::string(kDescriptorTag); }
std::string NextCollectionIdKey() { return absl::StrCat(kMetaTag, "next_collection_id"); }
std::string NextIndexIdKey() { return absl::StrCat(kMetaTag, "next_index_id"); }

std::string IndexPrefix(IndexId id) {
  std::string key;
  AppendBigEndian32(id, &key);
  return key;
}

std::string StatsKey(CollectionId id) { return TaggedId(kStatsTag, id); }
std::string IndexStatsKey(IndexId id) { return TaggedId(kIndexStatsTag, id); }
std::string MultikeyPathsKey(IndexId id) { return TaggedId(kMultikeyTag, id); }
std::string IndexAnalysisKey(IndexId id) { return TaggedId(kAnalysisTag, id); }
std::vector<std::string> IndexMetadataKeys(IndexId id) {
  return {IndexStatsKey(id), MultikeyPathsKey(id), IndexAnalysisKey(id)};
}

}  // namespace strata::engine
