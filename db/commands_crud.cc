// insert, find, getMore, killCursors, delete, update, count.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "db/cursor_batch.h"
#include "db/find_request.h"
#include "document/type_names.h"
#include "document/validate.h"
#include "engine/catalog.h"

namespace strata::db {
namespace {

absl::StatusOr<std::string> CollectionArgument(const bson_t& command, absl::string_view name) {
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  if (!BSON_ITER_HOLDS_UTF8(&it)) {
    return MongoError(ErrorCode::kInvalidNamespace,
                      absl::StrCat("collection name has invalid type ",
                                   document::BsonTypeName(bson_iter_type(&it))));
  }
  return std::string(bson_iter_utf8(&it, nullptr));
}

void AppendWriteErrors(const std::vector<WriteError>& errors, bson_t* reply) {
  if (errors.empty()) return;
  bson_t array;
  bson_append_array_begin(reply, "writeErrors", 11, &array);
  for (size_t i = 0; i < errors.size(); ++i) {
    std::string key = std::to_string(i);
    bson_t entry;
    bson_append_document_begin(&array, key.c_str(), static_cast<int>(key.size()), &entry);
    bson_append_int32(&entry, "index", 5, static_cast<int32_t>(errors[i].index));
    bson_append_int32(&entry, "code", 4, static_cast<int32_t>(ErrorCodeOf(errors[i].status)));
    std::string name = ErrorCodeName(ErrorCodeOf(errors[i].status));
    bson_append_utf8(&entry, "codeName", 8, name.data(), static_cast<int>(name.size()));
    absl::string_view message = errors[i].status.message();
    bson_append_utf8(&entry, "errmsg", 6, message.data(), static_cast<int>(message.size()));
    AppendErrorInfo(errors[i].status, &entry);
    bson_append_document_end(&array, &entry);
  }
  bson_append_array_end(reply, &array);
}

// MongoDB's maxWriteBatchSize (advertised by hello).
constexpr size_t kMaxWriteBatchSize = 100000;

absl::Status CheckBatchSize(size_t n) {
  if (n >= 1 && n <= kMaxWriteBatchSize) return absl::OkStatus();
  return MongoError(ErrorCode::kInvalidLength,
                    absl::StrCat("Write batch sizes must be between 1 and ", kMaxWriteBatchSize,
                                 ". Got ", n, " operations."));
}

void AppendCursorEnd(int64_t id, absl::string_view ns, bson_t* cursor_doc) {
  bson_append_int64(cursor_doc, "id", 2, id);
  bson_append_utf8(cursor_doc, "ns", 2, ns.data(), static_cast<int>(ns.size()));
}

absl::Status Insert(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "insert");
  RETURN_IF_ERROR(args.CheckKnownFields({"documents", "ordered"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "insert"));
  ASSIGN_OR_RETURN(bson_iter_t documents, args.RequiredArray("documents"));
  ASSIGN_OR_RETURN(std::optional<bool> ordered, args.Bool("ordered"));
  ASSIGN_OR_RETURN(std::optional<bool> bypass, args.Bool("bypassDocumentValidation"));
  std::vector<DocumentView> docs;
  std::vector<WriteError> type_errors;
  while (bson_iter_next(&documents)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&documents)) {
      return args.WrongType(absl::StrCat("documents.", docs.size()), documents, "object");
    }
    docs.push_back(EmbeddedView(documents));
  }
  RETURN_IF_ERROR(CheckBatchSize(docs.size()));
  ASSIGN_OR_RETURN(InsertResult result,
                   context.db.Insert(context.Namespace(collection), docs, ordered.value_or(true),
                                     bypass.value_or(false)));
  bson_append_int32(reply, "n", 1, static_cast<int32_t>(result.inserted));
  AppendWriteErrors(result.errors, reply);
  return absl::OkStatus();
}

absl::Status Find(CommandContext& context, const bson_t& command, bson_t* reply) {
  ASSIGN_OR_RETURN(FindRequest request, ParseFindRequest(context, command));
  const std::string ns = request.ns;
  const int64_t limit_value = request.spec.limit;
  const bool single = request.single_batch;
  const std::optional<int64_t> batch_size = request.batch_size;
  ASSIGN_OR_RETURN(std::unique_ptr<QueryExecution> execution,
                   context.db.Query(ns, std::move(request.spec)));
  int64_t first_batch = batch_size.value_or(kDefaultFirstBatchSize);
  if (single && limit_value > 0 && !batch_size.has_value()) first_batch = limit_value;
  bson_t cursor;
  bson_append_document_begin(reply, "cursor", 6, &cursor);
  // batchSize 0 asks for an empty first batch (cursor establishment only).
  bool exhausted = false;
  if (batch_size.has_value() && *batch_size == 0) {
    bson_t empty;
    bson_append_array_begin(&cursor, "firstBatch", 10, &empty);
    bson_append_array_end(&cursor, &empty);
    ASSIGN_OR_RETURN(bool more, execution->HasNext());
    exhausted = !more;
  } else {
    ASSIGN_OR_RETURN(exhausted, FillBatch(*execution, first_batch, "firstBatch", &cursor));
  }
  int64_t id = 0;
  if (!exhausted && !single) {
    auto server_cursor = std::make_unique<ServerCursor>();
    server_cursor->ns = ns;
    server_cursor->execution = std::move(execution);
    id = context.db.cursors().Register(std::move(server_cursor));
  }
  AppendCursorEnd(id, ns, &cursor);
  bson_append_document_end(reply, &cursor);
  return absl::OkStatus();
}

absl::Status GetMore(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "getMore");
  RETURN_IF_ERROR(args.CheckKnownFields(
      {"collection", "batchSize", "maxTimeMS", "term", "lastKnownCommittedOpTime"}));
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  if (!BSON_ITER_HOLDS_INT64(&it) && !BSON_ITER_HOLDS_INT32(&it)) {
    return args.WrongType("getMore", it, "long");
  }
  int64_t id = bson_iter_as_int64(&it);
  ASSIGN_OR_RETURN(std::string collection, args.RequiredString("collection"));
  ASSIGN_OR_RETURN(std::optional<int64_t> batch_size, args.Integer("batchSize"));
  if (batch_size.value_or(0) < 0) {
    return MongoError(ErrorCode::kLocation51024,
                      absl::StrCat("BSON field 'batchSize' value must be >= 0, actual value '",
                                   *batch_size, "'"));
  }
  const std::string ns = context.Namespace(collection);
  ASSIGN_OR_RETURN(std::unique_ptr<ServerCursor> cursor, context.db.cursors().CheckOut(id, ns));
  bson_t cursor_doc;
  bson_append_document_begin(reply, "cursor", 6, &cursor_doc);
  absl::StatusOr<bool> exhausted =
      cursor->stream != nullptr
          ? FillBatch(*cursor->stream, batch_size.value_or(0), "nextBatch", &cursor_doc)
          : FillBatch(*cursor->execution, batch_size.value_or(0), "nextBatch", &cursor_doc);
  if (!exhausted.ok() || *exhausted) {
    context.db.cursors().Kill(id);
    RETURN_IF_ERROR(exhausted.status());
    AppendCursorEnd(0, ns, &cursor_doc);
  } else {
    context.db.cursors().CheckIn(id, std::move(cursor));
    AppendCursorEnd(id, ns, &cursor_doc);
  }
  bson_append_document_end(reply, &cursor_doc);
  return absl::OkStatus();
}

absl::Status KillCursors(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "killCursors");
  RETURN_IF_ERROR(args.CheckKnownFields({"cursors"}));
  ASSIGN_OR_RETURN(bson_iter_t ids, args.RequiredArray("cursors"));
  std::vector<int64_t> killed, not_found;
  while (bson_iter_next(&ids)) {
    if (!BSON_ITER_HOLDS_INT64(&ids) && !BSON_ITER_HOLDS_INT32(&ids)) {
      return args.WrongType("cursors", ids, "long");
    }
    int64_t id = bson_iter_as_int64(&ids);
    (context.db.cursors().Kill(id) ? killed : not_found).push_back(id);
  }
  auto append = [&](const char* field, const std::vector<int64_t>& values) {
    bson_t array;
    bson_append_array_begin(reply, field, -1, &array);
    for (size_t i = 0; i < values.size(); ++i) {
      std::string key = std::to_string(i);
      bson_append_int64(&array, key.c_str(), -1, values[i]);
    }
    bson_append_array_end(reply, &array);
  };
  append("cursorsKilled", killed);
  append("cursorsNotFound", not_found);
  append("cursorsAlive", {});
  append("cursorsUnknown", {});
  return absl::OkStatus();
}

struct DeleteStatement {
  DocumentView filter;
  int64_t limit = 0;
};

// Parses every statement first: a malformed statement fails the whole command (ok: 0), as
// MongoDB's command parser does; only execution failures become writeErrors.
absl::StatusOr<std::vector<DeleteStatement>> ParseDeletes(const CommandArgs& args) {
  ASSIGN_OR_RETURN(bson_iter_t deletes, args.RequiredArray("deletes"));
  std::vector<DeleteStatement> statements;
  for (int index = 0; bson_iter_next(&deletes); ++index) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&deletes)) {
      return args.WrongType(absl::StrCat("deletes.", index), deletes, "object");
    }
    bson_t statement;
    EmbeddedView(deletes).AsBson(&statement);
    CommandArgs statement_args(statement, "delete.deletes");
    RETURN_IF_ERROR(statement_args.CheckKnownFields({"q", "limit", "collation", "hint"}));
    ASSIGN_OR_RETURN(std::optional<DocumentView> q, statement_args.Object("q"));
    if (!q.has_value()) return statement_args.Missing("q");
    ASSIGN_OR_RETURN(std::optional<int64_t> limit, statement_args.Integer("limit"));
    if (!limit.has_value()) return statement_args.Missing("limit");
    if (*limit != 0 && *limit != 1) {
      return MongoError(
          ErrorCode::kFailedToParse,
          absl::StrCat("The limit field in delete objects must be 0 or 1. Got ", *limit));
    }
    statements.push_back(DeleteStatement{*q, *limit});
  }
  RETURN_IF_ERROR(CheckBatchSize(statements.size()));
  return statements;
}

absl::Status Delete(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "delete");
  RETURN_IF_ERROR(args.CheckKnownFields({"deletes", "ordered"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "delete"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(std::optional<bool> ordered, args.Bool("ordered"));
  ASSIGN_OR_RETURN(std::vector<DeleteStatement> statements, ParseDeletes(args));
  int64_t n = 0;
  std::vector<WriteError> errors;
  for (size_t i = 0; i < statements.size(); ++i) {
    absl::StatusOr<int64_t> deleted =
        context.db.Delete(ns, statements[i].filter, statements[i].limit);
    if (deleted.ok()) {
      n += *deleted;
      continue;
    }
    errors.push_back(WriteError{static_cast<int64_t>(i), deleted.status()});
    if (ordered.value_or(true)) break;
  }
  bson_append_int32(reply, "n", 1, static_cast<int32_t>(n));
  AppendWriteErrors(errors, reply);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UpdateSpec>> ParseUpdates(const CommandArgs& args) {
  ASSIGN_OR_RETURN(bson_iter_t updates, args.RequiredArray("updates"));
  std::vector<UpdateSpec> specs;
  for (int index = 0; bson_iter_next(&updates); ++index) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&updates)) {
      return args.WrongType(absl::StrCat("updates.", index), updates, "object");
    }
    bson_t statement;
    EmbeddedView(updates).AsBson(&statement);
    CommandArgs statement_args(statement, "update.updates");
    RETURN_IF_ERROR(statement_args.CheckKnownFields(
        {"q", "u", "upsert", "multi", "arrayFilters", "collation", "hint", "c", "sort"}));
    ASSIGN_OR_RETURN(std::optional<DocumentView> q, statement_args.Object("q"));
    if (!q.has_value()) return statement_args.Missing("q");
    bson_iter_t u;
    if (!bson_iter_init_find(&u, &statement, "u")) return statement_args.Missing("u");
    if (!BSON_ITER_HOLDS_DOCUMENT(&u) && !BSON_ITER_HOLDS_ARRAY(&u)) {
      return statement_args.WrongType("u", u, "object");
    }
    UpdateSpec spec;
    spec.pipeline = BSON_ITER_HOLDS_ARRAY(&u);  // an aggregation pipeline (db/aggregate.h)
    spec.filter = Document::Copy(*q);
    spec.update = Document::Copy(EmbeddedView(u));
    ASSIGN_OR_RETURN(std::optional<bool> upsert, statement_args.Bool("upsert"));
    ASSIGN_OR_RETURN(std::optional<bool> multi, statement_args.Bool("multi"));
    ASSIGN_OR_RETURN(std::optional<bson_iter_t> filters, statement_args.Array("arrayFilters"));
    spec.upsert = upsert.value_or(false);
    spec.multi = multi.value_or(false);
    if (filters.has_value()) {
      while (bson_iter_next(&*filters)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&*filters)) {
          return statement_args.WrongType("arrayFilters", *filters, "object");
        }
        spec.array_filters.push_back(Document::Copy(EmbeddedView(*filters)));
      }
    }
    specs.push_back(std::move(spec));
  }
  RETURN_IF_ERROR(CheckBatchSize(specs.size()));
  return specs;
}

absl::Status Update(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "update");
  RETURN_IF_ERROR(args.CheckKnownFields({"updates", "ordered"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "update"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(std::optional<bool> ordered, args.Bool("ordered"));
  ASSIGN_OR_RETURN(std::vector<UpdateSpec> specs, ParseUpdates(args));
  ASSIGN_OR_RETURN(std::optional<bool> bypass, args.Bool("bypassDocumentValidation"));
  int64_t matched = 0, modified = 0;
  std::vector<WriteError> errors;
  std::vector<std::pair<int64_t, Document>> upserted;
  for (size_t i = 0; i < specs.size(); ++i) {
    specs[i].bypass_validation = bypass.value_or(false);
    absl::StatusOr<UpdateResult> result = context.db.Update(ns, specs[i]);
    if (result.ok()) {
      matched += result->matched;
      modified += result->modified;
      if (result->upserted_id.has_value()) {
        upserted.emplace_back(static_cast<int64_t>(i), std::move(*result->upserted_id));
      }
      continue;
    }
    errors.push_back(WriteError{static_cast<int64_t>(i), result.status()});
    if (ordered.value_or(true)) break;
  }
  bson_append_int32(reply, "n", 1, static_cast<int32_t>(matched + upserted.size()));
  bson_append_int32(reply, "nModified", 9, static_cast<int32_t>(modified));
  if (!upserted.empty()) {
    bson_t array;
    bson_append_array_begin(reply, "upserted", 8, &array);
    for (size_t i = 0; i < upserted.size(); ++i) {
      std::string key = std::to_string(i);
      bson_t entry;
      bson_append_document_begin(&array, key.c_str(), -1, &entry);
      bson_append_int32(&entry, "index", 5, static_cast<int32_t>(upserted[i].first));
      bson_iter_t id;
      bson_iter_init_find(&id, upserted[i].second.bson(), "_id");
      bson_append_iter(&entry, "_id", 3, &id);
      bson_append_document_end(&array, &entry);
    }
    bson_append_array_end(reply, &array);
  }
  AppendWriteErrors(errors, reply);
  return absl::OkStatus();
}

absl::Status Count(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "count");
  RETURN_IF_ERROR(args.CheckKnownFields({"query", "limit", "skip", "hint", "collation", "fields"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "count"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> query, args.Object("query"));
  ASSIGN_OR_RETURN(std::optional<int64_t> skip, args.Integer("skip"));
  ASSIGN_OR_RETURN(std::optional<int64_t> limit, args.Integer("limit"));
  if (skip.value_or(0) < 0) {
    return MongoError(
        ErrorCode::kLocation51024,
        absl::StrCat("BSON field 'skip' value must be >= 0, actual value '", *skip, "'"));
  }
  // count treats a negative limit as its absolute value, as MongoDB does.
  int64_t limit_value = limit.value_or(0) < 0 ? -*limit : limit.value_or(0);
  query::planner::Hint hint;
  bson_iter_t hint_value;
  if (bson_iter_init_find(&hint_value, &command, "hint")) {
    ASSIGN_OR_RETURN(hint, query::planner::Hint::Parse(hint_value));
  }
  ASSIGN_OR_RETURN(int64_t n,
                   context.db.Count(context.Namespace(collection), query.value_or(DocumentView()),
                                    skip.value_or(0), limit_value, std::move(hint)));
  bson_append_int32(reply, "n", 1, static_cast<int32_t>(n));
  return absl::OkStatus();
}

absl::Status Distinct(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "distinct");
  RETURN_IF_ERROR(args.CheckKnownFields({"key", "query", "collation", "hint", "readConcern"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "distinct"));
  ASSIGN_OR_RETURN(std::string key, args.RequiredString("key"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> query, args.Object("query"));
  ASSIGN_OR_RETURN(Document values, context.db.Distinct(context.Namespace(collection), key,
                                                        query.value_or(DocumentView())));
  bson_append_array(reply, "values", 6, values.bson());
  return absl::OkStatus();
}

absl::Status FindAndModify(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "findAndModify");
  RETURN_IF_ERROR(
      args.CheckKnownFields({"query", "sort", "remove", "update", "new", "fields", "upsert",
                             "arrayFilters", "collation", "hint", "maxTimeMS"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionArgument(command, "findAndModify"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  ASSIGN_OR_RETURN(std::optional<DocumentView> query, args.Object("query"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> sort, args.Object("sort"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> fields, args.Object("fields"));
  ASSIGN_OR_RETURN(std::optional<bool> remove, args.Bool("remove"));
  ASSIGN_OR_RETURN(std::optional<bool> return_new, args.Bool("new"));
  ASSIGN_OR_RETURN(std::optional<bool> upsert, args.Bool("upsert"));
  ASSIGN_OR_RETURN(std::optional<bson_iter_t> array_filters, args.Array("arrayFilters"));
  bson_iter_t update;
  bool has_update = bson_iter_init_find(&update, &command, "update");
  if (has_update && !BSON_ITER_HOLDS_DOCUMENT(&update) && !BSON_ITER_HOLDS_ARRAY(&update)) {
    return args.WrongType("update", update, "object");
  }
  if (remove.value_or(false)) {
    if (has_update) {
      return MongoError(ErrorCode::kFailedToParse, "Cannot specify both an update and remove=true");
    }
    if (upsert.value_or(false)) {
      return MongoError(ErrorCode::kFailedToParse,
                        "Cannot specify both upsert=true and remove=true");
    }
    if (return_new.value_or(false)) {
      return MongoError(ErrorCode::kFailedToParse,
                        "Cannot specify both new=true and remove=true; 'remove' always returns "
                        "the deleted document");
    }
  } else if (!has_update) {
    return MongoError(ErrorCode::kFailedToParse,
                      "Either an update or remove=true must be specified");
  }
  std::optional<Document> value;
  bson_t last_error;
  bson_append_document_begin(reply, "lastErrorObject", 15, &last_error);
  if (remove.value_or(false)) {
    ASSIGN_OR_RETURN(FindAndRemoveResult removed,
                     context.db.FindAndRemove(ns, query.value_or(DocumentView()),
                                              sort.value_or(DocumentView())));
    bson_append_int32(&last_error, "n", 1, removed.removed.has_value() ? 1 : 0);
    value = std::move(removed.removed);
  } else {
    UpdateSpec spec;
    spec.filter = Document::Copy(query.value_or(DocumentView()));
    spec.update = Document::Copy(EmbeddedView(update));
    spec.pipeline = BSON_ITER_HOLDS_ARRAY(&update);
    spec.sort = Document::Copy(sort.value_or(DocumentView()));
    spec.upsert = upsert.value_or(false);
    spec.return_images = true;
    ASSIGN_OR_RETURN(std::optional<bool> bypass, args.Bool("bypassDocumentValidation"));
    spec.bypass_validation = bypass.value_or(false);
    if (array_filters.has_value()) {
      while (bson_iter_next(&*array_filters)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&*array_filters)) {
          return args.WrongType("arrayFilters", *array_filters, "object");
        }
        spec.array_filters.push_back(Document::Copy(EmbeddedView(*array_filters)));
      }
    }
    ASSIGN_OR_RETURN(UpdateResult result, context.db.Update(ns, spec));
    bool upserted = result.upserted_id.has_value();
    bson_append_int32(&last_error, "n", 1, (result.matched > 0 || upserted) ? 1 : 0);
    bson_append_bool(&last_error, "updatedExisting", 15, result.matched > 0);
    if (upserted) {
      bson_iter_t id;
      bson_iter_init_find(&id, result.upserted_id->bson(), "_id");
      bson_append_iter(&last_error, "upserted", 8, &id);
    }
    value = return_new.value_or(false) ? std::move(result.after) : std::move(result.before);
  }
  bson_append_document_end(reply, &last_error);
  if (value.has_value() && fields.has_value() && !fields->empty()) {
    ASSIGN_OR_RETURN(value, ApplyProjection(*fields, value->view()));
  }
  if (value.has_value()) {
    bson_append_document(reply, "value", 5, value->bson());
  } else {
    bson_append_null(reply, "value", 5);
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterCrudCommands(CommandRegistry& registry) {
  registry.Add("insert", &Insert);
  registry.Add("find", &Find);
  registry.Add("getMore", &GetMore);
  registry.Add("killCursors", &KillCursors);
  registry.Add("delete", &Delete);
  registry.Add("update", &Update);
  registry.Add("count", &Count);
  registry.Add("findAndModify", &FindAndModify);
  registry.Add("distinct", &Distinct);
  registry.Add("findandmodify", &FindAndModify);
}

}  // namespace strata::db
