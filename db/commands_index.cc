// createIndexes, dropIndexes, listIndexes.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "document/type_names.h"

namespace strata::db {
namespace {

absl::Status CreateIndexes(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "createIndexes");
  RETURN_IF_ERROR(args.CheckKnownFields({"indexes", "commitQuorum"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  ASSIGN_OR_RETURN(bson_iter_t indexes, args.RequiredArray("indexes"));
  std::vector<DocumentView> specs;
  int position = 0;
  while (bson_iter_next(&indexes)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&indexes)) {
      return args.WrongType(absl::StrCat("indexes.", position), indexes, "object");
    }
    specs.push_back(EmbeddedView(indexes));
    ++position;
  }
  ASSIGN_OR_RETURN(CreateIndexesResult result,
                   context.db.CreateIndexes(context.Namespace(collection), specs,
                                            /*require_names=*/true));
  // MongoDB's reply (create_indexes_cmd.cpp): createdCollectionAutomatically unless nothing
  // was to be done on an existing collection; a note when some or all specs already existed.
  const bool all_exist = result.num_indexes_before == result.num_indexes_after;
  bson_append_int32(reply, "numIndexesBefore", -1, result.num_indexes_before);
  bson_append_int32(reply, "numIndexesAfter", -1, result.num_indexes_after);
  if (!all_exist || result.created_collection) {
    bson_append_bool(reply, "createdCollectionAutomatically", -1, result.created_collection);
  }
  if (all_exist) {
    bson_append_utf8(reply, "note", -1, "all indexes already exist", -1);
  } else if (static_cast<size_t>(result.num_indexes_after) <
             static_cast<size_t>(result.num_indexes_before) + specs.size()) {
    bson_append_utf8(reply, "note", -1, "index already exists", -1);
  }
  return absl::OkStatus();
}

absl::Status DropIndexes(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "dropIndexes");
  RETURN_IF_ERROR(args.CheckKnownFields({"index"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  bson_iter_t index;
  if (!bson_iter_init_find(&index, &command, "index")) return args.Missing("index");
  IndexSelector selector;
  if (BSON_ITER_HOLDS_UTF8(&index)) {
    std::string name = bson_iter_utf8(&index, nullptr);
    if (name == "*") {
      selector.all = true;
    } else {
      selector.names.push_back(std::move(name));
    }
  } else if (BSON_ITER_HOLDS_DOCUMENT(&index)) {
    selector.key = Document::Copy(EmbeddedView(index));
  } else if (BSON_ITER_HOLDS_ARRAY(&index)) {
    bson_iter_t name;
    bson_iter_recurse(&index, &name);
    int position = 0;
    while (bson_iter_next(&name)) {
      if (!BSON_ITER_HOLDS_UTF8(&name)) {
        return args.WrongType(absl::StrCat("index.", position), name, "string");
      }
      selector.names.emplace_back(bson_iter_utf8(&name, nullptr));
      ++position;
    }
  } else {
    return args.WrongType("index", index, "[string, object, array]");
  }
  ASSIGN_OR_RETURN(int before, context.db.DropIndexes(context.Namespace(collection), selector));
  bson_append_int32(reply, "nIndexesWas", -1, before);
  if (selector.all) {
    bson_append_utf8(reply, "msg", -1, "non-_id indexes dropped for collection", -1);
  }
  return absl::OkStatus();
}

absl::Status ListIndexes(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "listIndexes");
  RETURN_IF_ERROR(args.CheckKnownFields({"cursor", "includeBuildUUIDs", "includeIndexBuildInfo"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  const std::string ns = context.Namespace(collection);
  ASSIGN_OR_RETURN(std::vector<Document> entries, context.db.ListIndexes(ns));
  bson_t cursor, batch;
  bson_append_document_begin(reply, "cursor", 6, &cursor);
  bson_append_array_begin(&cursor, "firstBatch", 10, &batch);
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string key = std::to_string(i);
    bson_append_document(&batch, key.c_str(), -1, entries[i].bson());
  }
  bson_append_array_end(&cursor, &batch);
  bson_append_int64(&cursor, "id", 2, 0);
  bson_append_utf8(&cursor, "ns", 2, ns.c_str(), static_cast<int>(ns.size()));
  bson_append_document_end(reply, &cursor);
  return absl::OkStatus();
}

}  // namespace

void RegisterIndexCommands(CommandRegistry& registry) {
  registry.Add("createIndexes", &CreateIndexes);
  registry.Add("dropIndexes", &DropIndexes);
  registry.Add("deleteIndexes", &DropIndexes);
  registry.Add("listIndexes", &ListIndexes);
}

}  // namespace strata::db
