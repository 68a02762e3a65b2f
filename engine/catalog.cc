#include "engine/catalog.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
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
  return info;
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
  const std::string prefix = CollectionDescriptorPrefix();
  std::unique_ptr<rocksdb::Iterator> it(
      engine->db()->NewIterator(rocksdb::ReadOptions(), engine->catalog()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(auto info,
                     DecodeDescriptor(absl::string_view(it->value().data(), it->value().size())));
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
  for (const OwnedRange& range : extra) {
    batch->DeleteRange(range.cf, range.begin, range.end).PermitUncheckedError();
  }
}

absl::Status Catalog::Drop(absl::string_view ns, const std::vector<OwnedRange>& extra) {
  absl::MutexLock lock(&mu_);
  auto it = collections_.find(ns);
  if (it == collections_.end()) return MongoError(ErrorCode::kNamespaceNotFound, "ns not found");
  rocksdb::WriteBatch batch;
  AddDropToBatch(*it->second, extra, &batch);
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
  auto renamed = std::make_shared<CollectionInfo>();
  renamed->ns = std::string(to);
  renamed->id = source->second->id;
  renamed->uuid = source->second->uuid;
  renamed->options = source->second->options.Clone();
  RETURN_IF_ERROR(FromRocks(batch.Delete(engine_->catalog(), CollectionDescriptorKey(from)),
                            "building a catalog write"));
  RETURN_IF_ERROR(PutDescriptor(*renamed, &batch));
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
