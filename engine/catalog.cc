#include "engine/catalog.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "engine/rocks_status.h"

namespace strata::engine {
namespace {

Document EncodeDescriptor(const CollectionInfo& info) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_utf8(b, "ns", 2, info.ns.data(), static_cast<int>(info.ns.size()));
  bson_append_int64(b, "id", 2, info.id);
  bson_append_binary(b, "uuid", 4, BSON_SUBTYPE_UUID,
                     reinterpret_cast<const uint8_t*>(info.uuid.data()),
                     static_cast<uint32_t>(info.uuid.size()));
  bson_append_document(b, "options", 7, info.options.bson());
  bson_t indexes;
  bson_append_array_begin(b, "indexes", 7, &indexes);
  for (size_t i = 0; i < info.indexes.size(); ++i) {
    std::string key = std::to_string(i);
    bson_t entry;
    bson_append_document_begin(&indexes, key.c_str(), static_cast<int>(key.size()), &entry);
    bson_append_int64(&entry, "id", 2, info.indexes[i].id);
    bson_append_bool(&entry, "ready", 5, info.indexes[i].ready);
    bson_append_document(&entry, "descriptor", 10, info.indexes[i].descriptor.bson());
    bson_append_document_end(&indexes, &entry);
  }
  bson_append_array_end(b, &indexes);
  return doc;
}

absl::StatusOr<std::shared_ptr<CollectionInfo>> DecodeDescriptor(absl::string_view bytes) {
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("corrupt collection descriptor: ", what));
  };
  bson_t b;
  if (!bson_init_static(&b, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    return corrupt("not BSON");
  }
  auto info = std::make_shared<CollectionInfo>();
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &b, "ns") || !BSON_ITER_HOLDS_UTF8(&it)) return corrupt("ns");
  uint32_t length = 0;
  const char* ns = bson_iter_utf8(&it, &length);
  info->ns.assign(ns, length);
  if (!bson_iter_init_find(&it, &b, "id") || !BSON_ITER_HOLDS_INT64(&it)) return corrupt("id");
  info->id = static_cast<CollectionId>(bson_iter_int64(&it));
  if (!bson_iter_init_find(&it, &b, "uuid") || !BSON_ITER_HOLDS_BINARY(&it)) {
    return corrupt("uuid");
  }
  bson_subtype_t subtype;
  const uint8_t* data = nullptr;
  bson_iter_binary(&it, &subtype, &length, &data);
  info->uuid.assign(reinterpret_cast<const char*>(data), length);
  if (!bson_iter_init_find(&it, &b, "options") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return corrupt("options");
  }
  bson_iter_document(&it, &length, &data);
  info->options = Document::Copy(DocumentView(data, length));
  if (bson_iter_init_find(&it, &b, "indexes")) {
    if (!BSON_ITER_HOLDS_ARRAY(&it)) return corrupt("indexes");
    bson_iter_t entry;
    bson_iter_recurse(&it, &entry);
    while (bson_iter_next(&entry)) {
      bson_iter_t field;
      if (!BSON_ITER_HOLDS_DOCUMENT(&entry) || !bson_iter_recurse(&entry, &field)) {
        return corrupt("index entry");
      }
      IndexEntry index;
      bool has_id = false, has_descriptor = false;
      while (bson_iter_next(&field)) {
        absl::string_view key = bson_iter_key(&field);
        if (key == "id" && BSON_ITER_HOLDS_INT64(&field)) {
          index.id = static_cast<IndexId>(bson_iter_int64(&field));
          has_id = true;
        } else if (key == "ready" && BSON_ITER_HOLDS_BOOL(&field)) {
          index.ready = bson_iter_bool(&field);
        } else if (key == "descriptor" && BSON_ITER_HOLDS_DOCUMENT(&field)) {
          bson_iter_document(&field, &length, &data);
          index.descriptor = Document::Copy(DocumentView(data, length));
          has_descriptor = true;
        }
      }
      if (!has_id || !has_descriptor) return corrupt("index entry");
      info->indexes.push_back(std::move(index));
    }
  }
  return info;
}

std::shared_ptr<CollectionInfo> CopyInfo(const CollectionInfo& info) {
  auto copy = std::make_shared<CollectionInfo>();
  copy->ns = info.ns;
  copy->id = info.id;
  copy->uuid = info.uuid;
  copy->options = info.options.Clone();
  for (const IndexEntry& index : info.indexes) copy->indexes.push_back(index.Clone());
  return copy;
}

std::string NewUuid() {
  absl::BitGen gen;
  std::string uuid(16, '\0');
  for (char& c : uuid) c = static_cast<char>(absl::Uniform<uint8_t>(gen));
  uuid[6] = static_cast<char>((uuid[6] & 0x0F) | 0x40);  // version 4
  uuid[8] = static_cast<char>((uuid[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return uuid;
}

}  // namespace

absl::Status ValidateDatabaseName(absl::string_view db) {
  auto invalid = [&](absl::string_view why) {
    return MongoError(ErrorCode::kInvalidNamespace,
                      absl::StrCat("Invalid database name: '", db, "': ", why));
  };
  if (db.empty()) return invalid("empty database name");
  if (db.size() > 63) return invalid("database name is longer than 63 bytes");
  if (db.find_first_of(absl::string_view("/\\. \"$\0", 7)) != absl::string_view::npos) {
    return invalid("database names cannot contain / \\ . \" $, spaces or NUL");
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespace(absl::string_view ns) {
  auto invalid = [&](absl::string_view why) {
    return MongoError(ErrorCode::kInvalidNamespace,
                      absl::StrCat("Invalid namespace specified '", ns, "': ", why));
  };
  size_t dot = ns.find('.');
  if (dot == absl::string_view::npos) return invalid("expected database.collection");
  absl::string_view db = ns.substr(0, dot);
  absl::string_view coll = ns.substr(dot + 1);
  RETURN_IF_ERROR(ValidateDatabaseName(db));
  if (coll.empty()) return invalid("empty collection name");
  if (coll.find('\0') != absl::string_view::npos)
    return invalid("collection names cannot contain NUL");
  if (coll.find('$') != absl::string_view::npos)
    return invalid("collection names cannot contain '$'");
  if (coll.substr(0, 7) == "system.") return invalid("the system.* namespace is reserved");
  if (ns.size() > 255) return invalid("namespace is longer than 255 bytes");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Load(StorageEngine* engine) {
  std::unique_ptr<Catalog> catalog(new Catalog(engine));
  absl::MutexLock lock(&catalog->mu_);
  std::string value;
  rocksdb::Status s =
      engine->db()->Get(rocksdb::ReadOptions(), engine->catalog(), NextCollectionIdKey(), &value);
  if (s.ok()) {
    if (value.size() != 4) return absl::DataLossError("corrupt collection id counter");
    catalog->next_id_ = ReadBigEndian32(value);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the collection id counter");
  }
  s = engine->db()->Get(rocksdb::ReadOptions(), engine->catalog(), NextIndexIdKey(), &value);
  if (s.ok()) {
    if (value.size() != 4) return absl::DataLossError("corrupt index id counter");
    catalog->next_index_id_ = ReadBigEndian32(value);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the index id counter");
  }
  const std::string prefix = CollectionDescriptorPrefix();
  std::unique_ptr<rocksdb::Iterator> it(
      engine->db()->NewIterator(rocksdb::ReadOptions(), engine->catalog()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(auto info,
                     DecodeDescriptor(absl::string_view(it->value().data(), it->value().size())));
    for (const IndexEntry& index : info->indexes) {
      if (index.id >= catalog->next_index_id_) {
        return absl::DataLossError(
            absl::StrCat("index ", index.id, " of ", info->ns, " is beyond the index id counter"));
      }
    }
    if (info->id >= catalog->next_id_) {
      return absl::DataLossError(absl::StrCat("collection ", info->ns, " has id ", info->id,
                                              " beyond the id counter ", catalog->next_id_));
    }
    catalog->collections_.emplace(info->ns, std::move(info));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the catalog"));
  return catalog;
}

CollectionHandle Catalog::Find(absl::string_view ns) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = collections_.find(ns);
  return it == collections_.end() ? nullptr : it->second;
}

absl::Status Catalog::PutDescriptor(const CollectionInfo& info, rocksdb::WriteBatch* batch) const {
  Document descriptor = EncodeDescriptor(info);
  return FromRocks(batch->Put(engine_->catalog(), CollectionDescriptorKey(info.ns),
                              rocksdb::Slice(reinterpret_cast<const char*>(descriptor.data()),
                                             descriptor.size())),
                   "building a catalog write");
}

absl::StatusOr<CollectionHandle> Catalog::Create(absl::string_view ns, DocumentView options) {
  RETURN_IF_ERROR(ValidateNamespace(ns));
  absl::MutexLock lock(&mu_);
  if (collections_.contains(ns)) {
    return MongoError(ErrorCode::kNamespaceExists,
                      absl::StrCat("Collection ", ns, " already exists."));
  }
  auto info = std::make_shared<CollectionInfo>();
  info->ns = std::string(ns);
  info->id = next_id_;
  info->uuid = NewUuid();
  info->options = Document::Copy(options);
  // Descriptor and counter in one durable write: an id is never handed out twice.
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(PutDescriptor(*info, &batch));
  std::string counter;
  AppendBigEndian32(next_id_ + 1, &counter);
  RETURN_IF_ERROR(FromRocks(batch.Put(engine_->catalog(), NextCollectionIdKey(), counter),
                            "building a catalog write"));
  MaybeKill("catalog.create_collection");
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "creating a collection"));
  ++next_id_;
  collections_.emplace(info->ns, info);
  return CollectionHandle(info);
}

absl::StatusOr<CollectionHandle> Catalog::FindOrCreate(absl::string_view ns) {
  if (CollectionHandle found = Find(ns)) return found;
  auto created = Create(ns, DocumentView());
  if (ErrorCodeOf(created.status()) == ErrorCode::kNamespaceExists) {
    if (CollectionHandle found = Find(ns)) return found;  // another thread created it first
  }
  return created;
}

void Catalog::AddDropToBatch(const CollectionInfo& info, const std::vector<OwnedRange>& extra,
                             rocksdb::WriteBatch* batch) const {
  batch->Delete(engine_->catalog(), CollectionDescriptorKey(info.ns)).PermitUncheckedError();
  batch->Delete(engine_->catalog(), StatsKey(info.id)).PermitUncheckedError();
  batch->DeleteRange(engine_->documents(), CollectionPrefix(info.id), CollectionPrefix(info.id + 1))
      .PermitUncheckedError();
  for (const IndexEntry& index : info.indexes) {
    batch->DeleteRange(engine_->indexes(), IndexPrefix(index.id), IndexPrefix(index.id + 1))
        .PermitUncheckedError();
    for (const std::string& key : IndexMetadataKeys(index.id)) {
      batch->Delete(engine_->catalog(), key).PermitUncheckedError();
    }
  }
  for (const OwnedRange& range : extra) {
    batch->DeleteRange(range.cf, range.begin, range.end).PermitUncheckedError();
  }
}

absl::StatusOr<CollectionHandle> Catalog::SetOptions(absl::string_view ns, DocumentView options) {
  absl::MutexLock lock(&mu_);
  auto it = collections_.find(ns);
  if (it == collections_.end())
    return MongoError(ErrorCode::kNamespaceNotFound, "ns does not exist");
  std::shared_ptr<CollectionInfo> updated = CopyInfo(*it->second);
  updated->options = Document::Copy(options);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(PutDescriptor(*updated, &batch));
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "changing collection options"));
  it->second = updated;
  return CollectionHandle(updated);
}

absl::StatusOr<CollectionHandle> Catalog::SetIndexes(absl::string_view ns,
                                                     std::vector<IndexEntry> indexes) {
  absl::MutexLock lock(&mu_);
  auto it = collections_.find(ns);
  if (it == collections_.end()) return MongoError(ErrorCode::kNamespaceNotFound, "ns not found");
  std::shared_ptr<CollectionInfo> updated = CopyInfo(*it->second);
  IndexId next_index_id = next_index_id_;
  for (IndexEntry& index : indexes) {
    if (index.id == 0) index.id = next_index_id++;
  }
  rocksdb::WriteBatch batch;
  // Entries of dropped indexes vanish in the same write as their catalog entry.
  for (const IndexEntry& old_index : it->second->indexes) {
    bool kept = std::any_of(indexes.begin(), indexes.end(),
                            [&](const IndexEntry& index) { return index.id == old_index.id; });
    if (!kept) {
      RETURN_IF_ERROR(FromRocks(batch.DeleteRange(engine_->indexes(), IndexPrefix(old_index.id),
                                                  IndexPrefix(old_index.id + 1)),
                                "building a catalog write"));
      for (const std::string& key : IndexMetadataKeys(old_index.id)) {
        RETURN_IF_ERROR(
            FromRocks(batch.Delete(engine_->catalog(), key), "building a catalog write"));
      }
    }
  }
  updated->indexes = std::move(indexes);
  RETURN_IF_ERROR(PutDescriptor(*updated, &batch));
  if (next_index_id != next_index_id_) {
    std::string counter;
    AppendBigEndian32(next_index_id, &counter);
    RETURN_IF_ERROR(FromRocks(batch.Put(engine_->catalog(), NextIndexIdKey(), counter),
                              "building a catalog write"));
  }
  MaybeKill("catalog.set_indexes");
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "changing a collection's indexes"));
  next_index_id_ = next_index_id;
  it->second = updated;
  return CollectionHandle(updated);
}

absl::StatusOr<IndexId> Catalog::AllocateIndexId() {
  absl::MutexLock lock(&mu_);
  std::string counter;
  AppendBigEndian32(next_index_id_ + 1, &counter);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(engine_->catalog(), NextIndexIdKey(), counter),
                            "building a catalog write"));
  MaybeKill("catalog.allocate_index_id");
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "allocating an index id"));
  return next_index_id_++;
}

absl::Status Catalog::Drop(absl::string_view ns, const std::vector<OwnedRange>& extra) {
  absl::MutexLock lock(&mu_);
  auto it = collections_.find(ns);
  if (it == collections_.end()) return MongoError(ErrorCode::kNamespaceNotFound, "ns not found");
  rocksdb::WriteBatch batch;
  AddDropToBatch(*it->second, extra, &batch);
  MaybeKill("catalog.drop_collection");
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "dropping a collection"));
  collections_.erase(it);
  return absl::OkStatus();
}

absl::Status Catalog::Rename(absl::string_view from, absl::string_view to, bool drop_target,
                             const std::vector<OwnedRange>& target_extra) {
  RETURN_IF_ERROR(ValidateNamespace(to));
  absl::MutexLock lock(&mu_);
  auto source = collections_.find(from);
  if (source == collections_.end()) {
    return MongoError(ErrorCode::kNamespaceNotFound,
                      absl::StrCat("Source collection ", from, " does not exist"));
  }
  if (from == to) {
    return MongoError(ErrorCode::kIllegalOperation, "Can't rename a collection to itself");
  }
  auto target = collections_.find(to);
  rocksdb::WriteBatch batch;
  if (target != collections_.end()) {
    if (!drop_target) return MongoError(ErrorCode::kNamespaceExists, "target namespace exists");
    AddDropToBatch(*target->second, target_extra, &batch);
  }
  std::shared_ptr<CollectionInfo> renamed = CopyInfo(*source->second);
  renamed->ns = std::string(to);
  RETURN_IF_ERROR(FromRocks(batch.Delete(engine_->catalog(), CollectionDescriptorKey(from)),
                            "building a catalog write"));
  RETURN_IF_ERROR(PutDescriptor(*renamed, &batch));
  MaybeKill("catalog.rename_collection");
  RETURN_IF_ERROR(engine_->WriteBatchUnlocked(&batch, "renaming a collection"));
  if (target != collections_.end()) collections_.erase(target);
  collections_.erase(collections_.find(from));
  collections_.emplace(renamed->ns, std::move(renamed));
  return absl::OkStatus();
}

std::vector<CollectionHandle> Catalog::List(absl::string_view db) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<CollectionHandle> result;
  for (const auto& [ns, info] : collections_) {
    if (db.empty() || info->db_name() == db) result.push_back(info);
  }
  return result;
}

absl::StatusOr<std::vector<CollectionHandle>> Catalog::ListAt(const Snapshot& snapshot,
                                                              absl::string_view db) const {
  const std::string prefix = CollectionDescriptorPrefix();
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(snapshot.ReadOptions(), engine_->catalog()));
  std::vector<CollectionHandle> result;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(std::shared_ptr<CollectionInfo> info,
                     DecodeDescriptor(absl::string_view(it->value().data(), it->value().size())));
    if (db.empty() || info->db_name() == db) result.push_back(std::move(info));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the catalog"));
  return result;
}

std::vector<std::string> Catalog::ListDatabases() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> result;
  for (const auto& [ns, info] : collections_) {
    std::string db(info->db_name());
    if (result.empty() || result.back() != db) result.push_back(std::move(db));
  }
  // Namespaces sort "a!b.x" before "a.y", so database names need their own sort.
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

}  // namespace strata::engine
