#include "index/index_key_layout.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/key_layout.h"
#include "index/key_string_skip.h"

namespace strata::index {
namespace {

// The size of `count` consecutive key parts at the start of `bytes`.
absl::StatusOr<size_t> KeyPartsSize(absl::string_view bytes, const std::vector<bool>& descending) {
  size_t offset = 0;
  for (bool part_descending : descending) {
    ASSIGN_OR_RETURN(const size_t size, KeyStringValueSize(bytes.substr(offset), part_descending));
    offset += size;
  }
  return offset;
}

}  // namespace

IndexEntryFormat IndexEntryFormat::For(const IndexSpec& spec) {
  IndexEntryFormat format;
  format.index_id = spec.id();
  format.unique = spec.unique();
  format.typed = spec.entry_format() >= 1;
  for (const KeyPart& part : spec.key_parts()) format.descending.push_back(part.descending);
  return format;
}

std::string IndexPrefix(IndexId id) { return engine::IndexPrefix(id); }

IndexId IndexIdOf(absl::string_view entry_key) {
  const auto* p = reinterpret_cast<const uint8_t*>(entry_key.data());
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

KeyRange IndexEntryRange(IndexId id) {
  KeyRange range{IndexPrefix(id), ""};
  range.limit =
      id == std::numeric_limits<IndexId>::max() ? range.start + "\xFF" : IndexPrefix(id + 1);
  return range;
}

KeyRange IndexEntryRangeFor(IndexId id, const KeyRange& key_range) {
  const std::string prefix = IndexPrefix(id);
  return KeyRange{prefix + key_range.start, prefix + key_range.limit};
}

std::string IndexEntryKey(const IndexEntryFormat& format, absl::string_view key,
                          absl::string_view id_key_string) {
  std::string entry = IndexPrefix(format.index_id);
  entry.reserve(kIndexIdSize + key.size() + (format.unique ? 0 : id_key_string.size()));
  entry.append(key.data(), key.size());
  if (!format.unique) entry.append(id_key_string.data(), id_key_string.size());
  return entry;
}

std::string IndexEntryValue(const IndexEntryFormat& format, absl::string_view id_key_string,
                            absl::string_view key_types) {
  std::string value = format.unique ? std::string(id_key_string) : std::string();
  if (format.typed) value.append(key_types.data(), key_types.size());
  return value;
}

absl::StatusOr<absl::string_view> UniqueEntryIdKey(const IndexEntryFormat& format,
                                                   absl::string_view entry_value) {
  if (!format.typed) return entry_value;
  absl::StatusOr<size_t> size = KeyStringValueSize(entry_value, false);
  if (!size.ok()) {
    return absl::DataLossError(
        absl::StrCat("index ", format.index_id, " entry has a malformed _id part"));
  }
  return entry_value.substr(0, *size);
}

std::string UniqueProbeKey(IndexId id, absl::string_view key) {
  std::string probe = IndexPrefix(id);
  probe.append(key.data(), key.size());
  return probe;
}

absl::StatusOr<IndexEntry> DecodeIndexEntry(const IndexEntryFormat& format,
                                            absl::string_view entry_key,
                                            absl::string_view entry_value) {
  if (entry_key.size() < kIndexIdSize || IndexIdOf(entry_key) != format.index_id) {
    return absl::DataLossError(
        absl::StrCat("index entry does not belong to index ", format.index_id));
  }
  const absl::string_view rest = entry_key.substr(kIndexIdSize);
  absl::StatusOr<size_t> key_size = KeyPartsSize(rest, format.descending);
  if (!key_size.ok()) {
    return absl::DataLossError(
        absl::StrCat("index ", format.index_id, " entry key: ", key_size.status().message()));
  }
  IndexEntry entry;
  entry.key = rest.substr(0, *key_size);
  entry.id_key_string = format.unique ? entry_value : rest.substr(*key_size);
  if (format.typed) {
    absl::string_view types = entry_value;
    if (format.unique) {
      ASSIGN_OR_RETURN(entry.id_key_string, UniqueEntryIdKey(format, entry_value));
      types.remove_prefix(entry.id_key_string.size());
    }
    if (types.size() != format.descending.size()) {
      return absl::DataLossError(absl::StrCat("index ", format.index_id,
                                              " entry value does not hold one type per key part"));
    }
    entry.key_types = types;
  }
  if (format.unique && *key_size != rest.size()) {
    return absl::DataLossError(
        absl::StrCat("index ", format.index_id, " entry key has trailing bytes"));
  }
  absl::StatusOr<size_t> id_size = KeyStringValueSize(entry.id_key_string, false);
  if (!id_size.ok() || *id_size != entry.id_key_string.size()) {
    return absl::DataLossError(
        absl::StrCat("index ", format.index_id, " entry has a malformed _id part"));
  }
  return entry;
}

}  // namespace strata::index
