// create, drop, dropDatabase, renameCollection, listCollections, listDatabases, collMod.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/type_names.h"
#include "engine/collection_stats.h"

namespace strata::db {
namespace {

absl::Status Create(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "create");
  RETURN_IF_ERROR(args.CheckKnownFields({"capped", "size", "max", "validator", "validationLevel",
                                         "validationAction", "storageEngine", "indexOptionDefaults",
                                         "collation", "autoIndexId", "idIndex", "flags"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  ASSIGN_OR_RETURN(std::optional<bool> capped, args.Bool("capped"));
  if (capped.value_or(false)) {
    return MongoError(ErrorCode::kNotImplemented, "capped collections are not supported");
  }
  // The options are kept as given (minus the command's own and generic fields).
  Document options;
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key == "$db" || key == "lsid" || key == "writeConcern" || key == "comment" ||
        key == "$readPreference" || key == "maxTimeMS") {
      continue;
    }
    bson_append_iter(options.mutable_bson(), key.data(), static_cast<int>(key.size()), &it);
  }
  return context.db.CreateCollection(context.Namespace(collection), options.view());
}

// collMod's `index` option: {name | keyPattern, hidden, expireAfterSeconds}.
absl::StatusOr<IndexModification> ParseIndexModification(const CommandArgs& args,
                                                         DocumentView spec) {
  IndexModification change;
  bson_t bson;
  spec.AsBson(&bson);
  bson_iter_t it;
  bson_iter_init(&it, &bson);
  while (bson_iter_next(&it)) {
    absl::string_view field = bson_iter_key(&it);
    if (field == "name") {
      if (!BSON_ITER_HOLDS_UTF8(&it)) return args.WrongType("index.name", it, "string");
      change.name = std::string(bson_iter_utf8(&it, nullptr));
    } else if (field == "keyPattern") {
      if (!BSON_ITER_HOLDS_DOCUMENT(&it)) return args.WrongType("index.keyPattern", it, "object");
      change.key_pattern = Document::Copy(EmbeddedView(it));
    } else if (field == "hidden") {
      if (!BSON_ITER_HOLDS_BOOL(&it)) return args.WrongType("index.hidden", it, "bool");
      change.hidden = bson_iter_bool(&it);
    } else if (field == "expireAfterSeconds") {
      if (!BSON_ITER_HOLDS_NUMBER(&it)) {
        return args.WrongType("index.expireAfterSeconds", it, "long");
      }
      change.expire_after_seconds = bson_iter_as_int64(&it);
    } else {
      return MongoError(
          static_cast<ErrorCode>(40415),
          absl::StrCat("BSON field 'collMod.index.", field, "' is an unknown field."));
    }
  }
  return change;
}

absl::Status CollMod(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "collMod");
  RETURN_IF_ERROR(
      args.CheckKnownFields({"validator", "validationLevel", "validationAction", "index"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  const std::string ns = context.Namespace(collection);
  ASSIGN_OR_RETURN(std::optional<DocumentView> index_spec, args.Object("index"));
  std::optional<IndexModification> index_change;
  if (index_spec.has_value()) {
    ASSIGN_OR_RETURN(index_change, ParseIndexModification(args, *index_spec));
  }
  Document changes;
  for (const char* option : {"validator", "validationLevel", "validationAction"}) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, &command, option)) {
      bson_append_iter(changes.mutable_bson(), option, -1, &it);
    }
  }
  if (!changes.view().empty() || !index_change.has_value()) {
    RETURN_IF_ERROR(context.db.ModifyCollection(ns, changes.view()));
  }
  if (index_change.has_value()) {
    ASSIGN_OR_RETURN(IndexModificationResult result, context.db.ModifyIndex(ns, *index_change));
    if (result.hidden_old.has_value()) BSON_APPEND_BOOL(reply, "hidden_old", *result.hidden_old);
    if (result.hidden_new.has_value()) BSON_APPEND_BOOL(reply, "hidden_new", *result.hidden_new);
    if (result.expire_after_seconds_old.has_value()) {
      BSON_APPEND_INT64(reply, "expireAfterSeconds_old", *result.expire_after_seconds_old);
    }
    if (result.expire_after_seconds_new.has_value()) {
      BSON_APPEND_INT64(reply, "expireAfterSeconds_new", *result.expire_after_seconds_new);
    }
  }
  return absl::OkStatus();
}

absl::Status Drop(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "drop");
  RETURN_IF_ERROR(args.CheckKnownFields({}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(context.db.DropCollection(ns));
  bson_append_int32(reply, "nIndexesWas", 11, 1);
  bson_append_utf8(reply, "ns", 2, ns.c_str(), static_cast<int>(ns.size()));
  return absl::OkStatus();
}

absl::Status DropDatabase(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "dropDatabase");
  RETURN_IF_ERROR(args.CheckKnownFields({}));
  RETURN_IF_ERROR(context.db.DropDatabase(context.db_name));
  bson_append_utf8(reply, "dropped", 7, context.db_name.c_str(),
                   static_cast<int>(context.db_name.size()));
  return absl::OkStatus();
}

absl::Status RenameCollection(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "renameCollection");
  RETURN_IF_ERROR(args.CheckKnownFields({"to", "dropTarget", "stayTemp"}));
  ASSIGN_OR_RETURN(std::string from, CollectionNameArg(command, "renameCollection"));
  ASSIGN_OR_RETURN(std::string to, args.RequiredString("to"));
  ASSIGN_OR_RETURN(std::optional<bool> drop_target, args.Bool("dropTarget"));
  return context.db.RenameCollection(from, to, drop_target.value_or(false));
}

void AppendCollectionEntry(const engine::CollectionInfo& info, bool name_only, bson_t* array,
                           int index) {
  std::string key = std::to_string(index);
  bson_t entry;
  bson_append_document_begin(array, key.c_str(), -1, &entry);
  absl::string_view name = info.collection_name();
  bson_append_utf8(&entry, "name", 4, name.data(), static_cast<int>(name.size()));
  bson_append_utf8(&entry, "type", 4, "collection", 10);
  if (!name_only) {
    bson_append_document(&entry, "options", 7, info.options.bson());
    bson_t details;
    bson_append_document_begin(&entry, "info", 4, &details);
    bson_append_bool(&details, "readOnly", 8, false);
    bson_append_binary(&details, "uuid", 4, BSON_SUBTYPE_UUID,
                       reinterpret_cast<const uint8_t*>(info.uuid.data()),
                       static_cast<uint32_t>(info.uuid.size()));
    bson_append_document_end(&entry, &details);
    bson_t id_index, id_key;
    bson_append_document_begin(&entry, "idIndex", 7, &id_index);
    bson_append_int32(&id_index, "v", 1, 2);
    bson_append_document_begin(&id_index, "key", 3, &id_key);
    bson_append_int32(&id_key, "_id", 3, 1);
    bson_append_document_end(&id_index, &id_key);
    bson_append_utf8(&id_index, "name", 4, "_id_", 4);
    bson_append_document_end(&entry, &id_index);
  }
  bson_append_document_end(array, &entry);
}

absl::Status ListCollections(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "listCollections");
  RETURN_IF_ERROR(args.CheckKnownFields({"filter", "nameOnly", "authorizedCollections", "cursor"}));
  ASSIGN_OR_RETURN(std::optional<DocumentView> filter, args.Object("filter"));
  ASSIGN_OR_RETURN(std::optional<bool> name_only, args.Bool("nameOnly"));
  // Until the query language lands, the filter may only select by exact name.
  std::optional<std::string> name_filter;
  if (filter.has_value() && !filter->empty()) {
    bson_t f;
    filter->AsBson(&f);
    bson_iter_t it;
    if (bson_count_keys(&f) != 1 || !bson_iter_init_find(&it, &f, "name") ||
        !BSON_ITER_HOLDS_UTF8(&it)) {
      return MongoError(ErrorCode::kNotImplemented,
                        "listCollections filters other than {name: \"…\"} are not supported yet");
    }
    name_filter = bson_iter_utf8(&it, nullptr);
  }
  bson_t cursor, batch;
  bson_append_document_begin(reply, "cursor", 6, &cursor);
  bson_append_array_begin(&cursor, "firstBatch", 10, &batch);
  int index = 0;
  for (const engine::CollectionHandle& info : context.db.catalog().List(context.db_name)) {
    if (name_filter.has_value() && info->collection_name() != *name_filter) continue;
    AppendCollectionEntry(*info, name_only.value_or(false), &batch, index++);
  }
  bson_append_array_end(&cursor, &batch);
  bson_append_int64(&cursor, "id", 2, 0);
  std::string ns = context.db_name + ".$cmd.listCollections";
  bson_append_utf8(&cursor, "ns", 2, ns.c_str(), static_cast<int>(ns.size()));
  bson_append_document_end(reply, &cursor);
  return absl::OkStatus();
}

absl::Status ListDatabases(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "listDatabases");
  RETURN_IF_ERROR(args.CheckKnownFields({"filter", "nameOnly", "authorizedDatabases"}));
  ASSIGN_OR_RETURN(std::optional<bool> name_only, args.Bool("nameOnly"));
  bson_t array;
  bson_append_array_begin(reply, "databases", 9, &array);
  int64_t total = 0;
  int index = 0;
  for (const std::string& name : context.db.catalog().ListDatabases()) {
    int64_t size = 0;
    for (const auto& info : context.db.catalog().List(name)) {
      auto stats = engine::ReadCollectionStats(context.db.engine(), info->id);
      if (stats.ok()) size += stats->data_bytes;
    }
    total += size;
    std::string key = std::to_string(index++);
    bson_t entry;
    bson_append_document_begin(&array, key.c_str(), -1, &entry);
    bson_append_utf8(&entry, "name", 4, name.c_str(), static_cast<int>(name.size()));
    if (!name_only.value_or(false)) {
      bson_append_int64(&entry, "sizeOnDisk", 10, size);
      bson_append_bool(&entry, "empty", 5, size == 0);
    }
    bson_append_document_end(&array, &entry);
  }
  bson_append_array_end(reply, &array);
  if (!name_only.value_or(false)) {
    bson_append_int64(reply, "totalSize", 9, total);
    bson_append_int64(reply, "totalSizeMb", 11, total >> 20);
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterDdlCommands(CommandRegistry& registry) {
  registry.Add("create", &Create);
  registry.Add("drop", &Drop);
  registry.Add("collMod", &CollMod);
  registry.Add("dropDatabase", &DropDatabase);
  registry.Add("renameCollection", &RenameCollection);
  registry.Add("listCollections", &ListCollections);
  registry.Add("listDatabases", &ListDatabases);
}

}  // namespace strata::db
