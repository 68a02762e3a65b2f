// ping, buildInfo, hello/isMaster, collStats, dbStats.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/validate.h"
#include "engine/collection_stats.h"
#include "index/index_spec.h"

namespace strata::db {
namespace {

constexpr char kVersion[] = "0.1.0";

absl::Status Ping(CommandContext&, const bson_t&, bson_t*) { return absl::OkStatus(); }

absl::Status BuildInfo(CommandContext&, const bson_t&, bson_t* reply) {
  bson_append_utf8(reply, "version", 7, kVersion, -1);
  bson_append_utf8(reply, "gitVersion", 10, "unknown", -1);
  bson_t version_array;
  bson_append_array_begin(reply, "versionArray", 12, &version_array);
  const int parts[] = {0, 1, 0, 0};
  for (int i = 0; i < 4; ++i) {
    std::string key = std::to_string(i);
    bson_append_int32(&version_array, key.c_str(), -1, parts[i]);
  }
  bson_append_array_end(reply, &version_array);
  bson_append_int32(reply, "bits", 4, 64);
  bson_append_bool(reply, "debug", 5, false);
  bson_append_int32(reply, "maxBsonObjectSize", 17,
                    static_cast<int32_t>(document::kMaxUserDocumentSize));
  bson_t engines;
  bson_append_array_begin(reply, "storageEngines", 14, &engines);
  bson_append_utf8(&engines, "0", 1, "rocksdb", -1);
  bson_append_array_end(reply, &engines);
  return absl::OkStatus();
}

absl::Status Hello(CommandContext& context, const bson_t&, bson_t* reply) {
  bson_append_bool(reply, context.command_name == "hello" ? "isWritablePrimary" : "ismaster", -1,
                   true);
  bson_append_int32(reply, "maxBsonObjectSize", 17,
                    static_cast<int32_t>(document::kMaxUserDocumentSize));
  bson_append_int32(reply, "maxMessageSizeBytes", 19, 48000000);
  bson_append_int32(reply, "maxWriteBatchSize", 17, 100000);
  bson_append_date_time(reply, "localTime", 9, absl::ToUnixMillis(absl::Now()));
  bson_append_int32(reply, "logicalSessionTimeoutMinutes", 28, 30);
  bson_append_int32(reply, "minWireVersion", 14, 0);
  bson_append_int32(reply, "maxWireVersion", 14, 17);
  bson_append_bool(reply, "readOnly", 8, false);
  return absl::OkStatus();
}

struct IndexSize {
  std::string name;
  int64_t bytes;
};

// The ready indexes of `info` with the bytes of their entries: the _id index as the record
// keys' share of the documents column family is not tracked (0); secondary indexes from their
// entry counters.
absl::StatusOr<std::vector<IndexSize>> IndexSizes(DatabaseImpl& db,
                                                  const engine::CollectionInfo& info) {
  std::vector<IndexSize> sizes{{"_id_", 0}};
  for (const engine::IndexEntry& entry : info.indexes) {
    if (!entry.ready) continue;
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    ASSIGN_OR_RETURN(engine::CollectionStats stats, engine::ReadIndexStats(db.engine(), entry.id));
    sizes.push_back({spec.name(), stats.data_bytes});
  }
  return sizes;
}

absl::Status CollStats(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "collStats");
  RETURN_IF_ERROR(args.CheckKnownFields({"scale"}));
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  if (!BSON_ITER_HOLDS_UTF8(&it)) return args.WrongType("collStats", it, "string");
  const std::string ns = context.Namespace(bson_iter_utf8(&it, nullptr));
  engine::CollectionHandle info = context.db.catalog().Find(ns);
  if (info == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound,
                      absl::StrCat("Collection [", ns, "] not found."));
  }
  ASSIGN_OR_RETURN(engine::CollectionStats stats,
                   engine::ReadCollectionStats(context.db.engine(), info->id));
  bson_append_utf8(reply, "ns", 2, ns.c_str(), static_cast<int>(ns.size()));
  bson_append_int64(reply, "size", 4, stats.data_bytes);
  bson_append_int64(reply, "count", 5, stats.count);
  bson_append_int64(reply, "avgObjSize", 10, stats.count > 0 ? stats.data_bytes / stats.count : 0);
  bson_append_int64(reply, "storageSize", 11, stats.data_bytes);
  ASSIGN_OR_RETURN(std::vector<IndexSize> index_sizes, IndexSizes(context.db, *info));
  int64_t total_index_size = 0;
  for (const IndexSize& index : index_sizes) total_index_size += index.bytes;
  bson_append_int32(reply, "nindexes", 8, static_cast<int32_t>(index_sizes.size()));
  bson_append_int64(reply, "totalIndexSize", 14, total_index_size);
  bson_t sizes;
  bson_append_document_begin(reply, "indexSizes", 10, &sizes);
  for (const IndexSize& index : index_sizes) {
    bson_append_int64(&sizes, index.name.c_str(), -1, index.bytes);
  }
  bson_append_document_end(reply, &sizes);
  bson_append_int32(reply, "scaleFactor", 11, 1);
  return absl::OkStatus();
}

absl::Status DbStats(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "dbStats");
  RETURN_IF_ERROR(args.CheckKnownFields({"scale", "freeStorage"}));
  int64_t objects = 0, data_size = 0, collections = 0, indexes = 0, index_size = 0;
  for (const auto& info : context.db.catalog().List(context.db_name)) {
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadCollectionStats(context.db.engine(), info->id));
    objects += stats.count;
    data_size += stats.data_bytes;
    ++collections;
    ASSIGN_OR_RETURN(std::vector<IndexSize> index_sizes, IndexSizes(context.db, *info));
    for (const IndexSize& index : index_sizes) {
      ++indexes;
      index_size += index.bytes;
    }
  }
  bson_append_utf8(reply, "db", 2, context.db_name.c_str(),
                   static_cast<int>(context.db_name.size()));
  bson_append_int64(reply, "collections", 11, collections);
  bson_append_int64(reply, "views", 5, 0);
  bson_append_int64(reply, "objects", 7, objects);
  bson_append_double(
      reply, "avgObjSize", 10,
      objects > 0 ? static_cast<double>(data_size) / static_cast<double>(objects) : 0);
  bson_append_int64(reply, "dataSize", 8, data_size);
  bson_append_int64(reply, "storageSize", 11, data_size);
  bson_append_int64(reply, "indexes", 7, indexes);
  bson_append_int64(reply, "indexSize", 9, index_size);
  bson_append_int64(reply, "totalSize", 9, data_size + index_size);
  bson_append_int32(reply, "scaleFactor", 11, 1);
  return absl::OkStatus();
}

}  // namespace

void RegisterAdminCommands(CommandRegistry& registry) {
  registry.Add("ping", &Ping);
  registry.Add("buildInfo", &BuildInfo);
  registry.Add("buildinfo", &BuildInfo);
  registry.Add("hello", &Hello);
  registry.Add("isMaster", &Hello);
  registry.Add("ismaster", &Hello);
  registry.Add("collStats", &CollStats);
  registry.Add("dbStats", &DbStats);
}

}  // namespace strata::db
