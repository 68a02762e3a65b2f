#include "tests/support/raw_storage.h"

#include "absl/strings/str_cat.h"
#include "db/internal/database_test_access.h"
#include "document/key_string.h"
#include "document/stored_document.h"
#include "engine/collection_stats.h"
#include "engine/key_layout.h"
#include "engine/rocks_status.h"
#include "index/index_key_layout.h"

namespace strata::testing {
namespace {

struct Located {
  engine::CollectionHandle collection;
  std::shared_ptr<const db::CollectionIndexes> indexes;
};

absl::StatusOr<Located> Locate(db::DatabaseImpl& impl, std::string_view ns) {
  Located located;
  located.collection = impl.catalog().Find(absl::string_view(ns.data(), ns.size()));
  if (located.collection == nullptr)
    return absl::NotFoundError(absl::StrCat("no ", std::string(ns)));
  auto indexes = impl.index_cache().Get(located.collection);
  if (!indexes.ok()) return indexes.status();
  located.indexes = *indexes;
  return located;
}

absl::StatusOr<std::string> IdKey(DocumentView doc) {
  bson_iter_t id;
  if (!document::FindId(doc, &id)) return absl::InvalidArgumentError("no _id first");
  return document::EncodeKeyString(id);
}

// The entries (key, value) of `doc` in index `name`.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Entries(const Located& located,
                                                                         std::string_view name,
                                                                         DocumentView doc) {
  const db::CompiledIndex* index =
      located.indexes->FindByName(absl::string_view(name.data(), name.size()));
  if (index == nullptr) return absl::NotFoundError(absl::StrCat("no index ", std::string(name)));
  auto id_key = IdKey(doc);
  if (!id_key.ok()) return id_key.status();
  auto keys = index->Generate(doc);
  if (!keys.ok()) return keys.status();
  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t k = 0; k < keys->keys.size(); ++k) {
    const std::string& key = keys->keys[k];
    entries.emplace_back(
        index::IndexEntryKey(index->format(), key, *id_key),
        index::IndexEntryValue(index->format(), *id_key,
                               k < keys->key_types.size() ? keys->key_types[k] : std::string()));
  }
  return entries;
}

}  // namespace

absl::Status RawStorage::DeleteIndexEntry(std::string_view ns, std::string_view index_name,
                                          DocumentView doc) {
  db::DatabaseImpl& impl = db::DatabaseTestAccess::Impl(db_);
  auto located = Locate(impl, ns);
  if (!located.ok()) return located.status();
  auto entries = Entries(*located, index_name, doc);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return absl::NotFoundError("the document has no entry in that index");
  engine::StorageEngine& engine = impl.engine();
  return engine::FromRocks(
      engine.db()->Delete(engine.WriteOptions(), engine.indexes(), entries->front().first),
      "raw delete");
}

absl::Status RawStorage::AddOrphanEntries(std::string_view ns, std::string_view index_name,
                                          DocumentView doc) {
  db::DatabaseImpl& impl = db::DatabaseTestAccess::Impl(db_);
  auto located = Locate(impl, ns);
  if (!located.ok()) return located.status();
  auto entries = Entries(*located, index_name, doc);
  if (!entries.ok()) return entries.status();
  engine::StorageEngine& engine = impl.engine();
  for (const auto& [key, value] : *entries) {
    absl::Status put = engine::FromRocks(
        engine.db()->Put(engine.WriteOptions(), engine.indexes(), key, value), "raw put");
    if (!put.ok()) return put;
  }
  return absl::OkStatus();
}

absl::Status RawStorage::CorruptDocument(std::string_view ns, DocumentView id_doc) {
  db::DatabaseImpl& impl = db::DatabaseTestAccess::Impl(db_);
  auto located = Locate(impl, ns);
  if (!located.ok()) return located.status();
  auto id_key = IdKey(id_doc);
  if (!id_key.ok()) return id_key.status();
  engine::StorageEngine& engine = impl.engine();
  const std::string key = engine::RecordKey(located->collection->id, *id_key);
  std::string bytes;
  absl::Status got = engine::FromRocks(
      engine.db()->Get(rocksdb::ReadOptions(), engine.documents(), key, &bytes), "raw get");
  if (!got.ok()) return got;
  if (bytes.size() < 6) return absl::DataLossError("record too short");
  bytes[4] = 0x42;  // no BSON type has this number
  return engine::FromRocks(engine.db()->Put(engine.WriteOptions(), engine.documents(), key, bytes),
                           "raw put");
}

absl::Status RawStorage::AddToStoredCount(std::string_view ns, int64_t delta) {
  db::DatabaseImpl& impl = db::DatabaseTestAccess::Impl(db_);
  auto located = Locate(impl, ns);
  if (!located.ok()) return located.status();
  engine::StorageEngine& engine = impl.engine();
  return engine::FromRocks(engine.db()->Merge(engine.WriteOptions(), engine.catalog(),
                                              engine::StatsKey(located->collection->id),
                                              engine::EncodeStatsDelta(delta, 0)),
                           "raw merge");
}

}  // namespace strata::testing
