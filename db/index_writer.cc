#include "db/index_writer.h"

#include <algorithm>
#include <string>

#include "base/status_macros.h"
#include "engine/key_layout.h"
#include "index/index_key_layout.h"

namespace strata::db {
namespace {

// The type codes of `key` (one of `keys.keys`), or "" for untyped indexes.
absl::string_view TypesOf(const index::IndexKeys& keys, absl::string_view key) {
  if (keys.key_types.size() != keys.keys.size()) return {};
  auto it = std::lower_bound(keys.keys.begin(), keys.keys.end(), key);
  if (it == keys.keys.end() || *it != key) return {};
  return keys.key_types[it - keys.keys.begin()];
}

}  // namespace

absl::Status IndexWriter::OnInsert(DocumentView doc, absl::string_view id_key) {
  for (const auto& index : indexes_->all()) RETURN_IF_ERROR(InsertKeys(*index, doc, id_key));
  return absl::OkStatus();
}

absl::Status IndexWriter::InsertKeys(const CompiledIndex& index, DocumentView doc,
                                     absl::string_view id_key) {
  ASSIGN_OR_RETURN(index::IndexKeys keys, index.Generate(doc));
  for (const std::string& key : keys.keys) {
    RETURN_IF_ERROR(PutKey(index, doc, key, TypesOf(keys, key), id_key));
  }
  return NoteMultikey(index, keys);
}

absl::Status IndexWriter::OnDelete(DocumentView doc, absl::string_view id_key) {
  for (const auto& index : indexes_->all()) {
    ASSIGN_OR_RETURN(index::IndexKeys keys, index->Generate(doc));
    for (const std::string& key : keys.keys) RETURN_IF_ERROR(DeleteKey(*index, key, id_key));
  }
  return absl::OkStatus();
}

absl::Status IndexWriter::OnUpdate(DocumentView old_doc, DocumentView new_doc,
                                   absl::string_view id_key) {
  for (const auto& index : indexes_->all()) {
    ASSIGN_OR_RETURN(index::IndexKeys old_keys, index->Generate(old_doc));
    ASSIGN_OR_RETURN(index::IndexKeys new_keys, index->Generate(new_doc));
    index::KeyDelta delta = index::KeyDiff(old_keys, new_keys);
    // Removals first: a key that moves between documents' versions must be free before the
    // unique check of the additions reads it.
    for (const std::string& key : delta.removed) RETURN_IF_ERROR(DeleteKey(*index, key, id_key));
    for (const std::string& key : delta.added) {
      RETURN_IF_ERROR(PutKey(*index, new_doc, key, TypesOf(new_keys, key), id_key));
    }
    // Same key, other value types: rewrite the value in place (same size, same counters).
    for (size_t i = 0; i < delta.retyped.size(); ++i) {
      const index::IndexEntryFormat& format = index->format();
      RETURN_IF_ERROR(txn_->Put(txn_->engine()->indexes(),
                                index::IndexEntryKey(format, delta.retyped[i], id_key),
                                index::IndexEntryValue(format, id_key, delta.retyped_types[i])));
    }
    RETURN_IF_ERROR(NoteMultikey(*index, new_keys));
  }
  return absl::OkStatus();
}

absl::Status IndexWriter::PutKey(const CompiledIndex& index, DocumentView doc,
                                 absl::string_view key, absl::string_view key_types,
                                 absl::string_view id_key) {
  const index::IndexEntryFormat& format = index.format();
  rocksdb::ColumnFamilyHandle* cf = txn_->engine()->indexes();
  if (format.unique) {
    ASSIGN_OR_RETURN(std::optional<std::string> holder,
                     txn_->GetForUpdate(cf, index::UniqueProbeKey(format.index_id, key)));
    if (holder.has_value()) {
      ASSIGN_OR_RETURN(const absl::string_view holder_id, index::UniqueEntryIdKey(format, *holder));
      if (holder_id == id_key) return absl::OkStatus();  // already this document's entry
      ASSIGN_OR_RETURN(Document values,
                       index.generator().KeyValues(doc, key, index.partial_filter()));
      return index::DuplicateKeyError(indexes_->collection().ns, index.spec(), values.view());
    }
  }
  std::string entry = index::IndexEntryKey(format, key, id_key);
  std::string value = index::IndexEntryValue(format, id_key, key_types);
  RETURN_IF_ERROR(txn_->Put(cf, entry, value));
  txn_->AddIndexStatsDelta(format.index_id, 1, static_cast<int64_t>(entry.size() + value.size()));
  return absl::OkStatus();
}

absl::Status IndexWriter::DeleteKey(const CompiledIndex& index, absl::string_view key,
                                    absl::string_view id_key) {
  const index::IndexEntryFormat& format = index.format();
  std::string entry = index::IndexEntryKey(format, key, id_key);
  RETURN_IF_ERROR(txn_->Delete(txn_->engine()->indexes(), entry));
  // Every typed value holds one code per key part, so its size needs no read.
  size_t value_size = index::IndexEntryValue(format, id_key, "").size() +
                      (format.typed ? format.descending.size() : 0);
  txn_->AddIndexStatsDelta(format.index_id, -1, -static_cast<int64_t>(entry.size() + value_size));
  return absl::OkStatus();
}

absl::Status IndexWriter::NoteMultikey(const CompiledIndex& index, const index::IndexKeys& keys) {
  if (!keys.multikey()) return absl::OkStatus();
  MultikeyState& state = index.multikey_state();
  // Readers see the widening before the commit (see collection_indexes.h): early is safe.
  state.Widen(keys.multikey_paths);
  if (state.PersistedCovers(keys.multikey_paths)) return absl::OkStatus();
  // The record is read and rewritten under its row lock, so concurrent widenings serialize
  // and none is lost; it commits (or not) together with the entries that need it.
  std::string key = engine::MultikeyPathsKey(index.id());
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   txn_->GetForUpdate(txn_->engine()->catalog(), key));
  index::MultikeyPaths merged(keys.multikey_paths.size());
  if (stored.has_value()) {
    ASSIGN_OR_RETURN(
        merged, DecodeMultikeyPaths(DocumentView(reinterpret_cast<const uint8_t*>(stored->data()),
                                                 stored->size())));
    // Committed by an earlier writer, unless this transaction wrote it: that one commits (or
    // not) with this transaction.
    if (!multikey_written_.contains(index.id())) state.NotePersisted(merged);
  }
  if (!index::MergeMultikeyPaths(keys.multikey_paths, &merged)) return absl::OkStatus();
  Document record = EncodeMultikeyPaths(merged);
  RETURN_IF_ERROR(
      txn_->Put(txn_->engine()->catalog(), key,
                absl::string_view(reinterpret_cast<const char*>(record.data()), record.size())));
  multikey_written_.insert(index.id());
  return absl::OkStatus();
}

}  // namespace strata::db
