#include "tools/transfer/shell_session.h"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "tools/transfer/shell_format.h"
#include "tools/transfer/shell_methods.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {
namespace {

using Kind = JsonValue::Kind;

const char kHelp[] = R"(strata shell: commands on the open data directory (mongosh syntax)
  use <db>                           switch database          show dbs | show collections
  db.<coll>.find(filter, projection) .sort({…}).skip(n).limit(n).toArray() .count() .explain()
  db.<coll>.findOne(filter, projection)
  db.<coll>.insertOne(doc)           db.<coll>.insertMany([doc, …])
  db.<coll>.updateOne(filter, update, {upsert, arrayFilters})   updateMany(…)   replaceOne(…)
  db.<coll>.deleteOne(filter)        db.<coll>.deleteMany(filter)
  db.<coll>.countDocuments(filter)   db.<coll>.distinct(field, filter)
  db.<coll>.aggregate([stage, …])    db.<coll>.explain("executionStats").find(…)
  db.<coll>.createIndex(keys, opts)  db.<coll>.getIndexes()   db.<coll>.dropIndex(name)
  db.<coll>.drop()                   db.getCollectionNames()  db.createCollection(name, opts)
  db.runCommand({…}) or a bare command document {…}; db.dropDatabase(); db.stats()
  it                                 next page of the last cursor ("Type "it" for more")
  exit | quit
Values: relaxed JSON (unquoted keys, 'single quotes', trailing commas), ObjectId("…"),
ISODate("…"), new Date(…), NumberLong(…), NumberInt(…), NumberDecimal("…"), /regex/i.
)";

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

const JsonValue* Arg(const ShellCall& call, size_t i) {
  return i < call.args.size() ? &call.args[i] : nullptr;
}

absl::Status ExpectObject(const ShellCall& call, size_t i, const char* what, bool optional) {
  const JsonValue* v = Arg(call, i);
  if (v == nullptr && optional) return absl::OkStatus();
  if (v == nullptr || v->kind != Kind::kObject) {
    return Invalid(absl::StrCat(call.method, "(): ", what, " must be an object"));
  }
  return absl::OkStatus();
}

int64_t Int(const Document& doc, const char* key) {
  bson_iter_t it;
  return bson_iter_init_find(&it, doc.bson(), key) && BSON_ITER_HOLDS_NUMBER(&it)
             ? bson_iter_as_int64(&it)
             : 0;
}

// The first writeError's message, when the reply has one.
std::string WriteError(const Document& reply) {
  bson_iter_t it, errors, first;
  if (bson_iter_init_find(&it, reply.bson(), "writeErrors") && bson_iter_recurse(&it, &errors) &&
      bson_iter_next(&errors) && bson_iter_recurse(&errors, &first) &&
      bson_iter_find(&first, "errmsg")) {
    return bson_iter_utf8(&first, nullptr);
  }
  return "";
}

}  // namespace

bool ShellSession::Run(std::string_view input) {
  for (const std::string& text : SplitStatements(input)) {
    auto statement = ParseShellStatement(text);
    if (!statement.ok()) {
      err_ << "SyntaxError: " << statement.status().message() << "\n";
      had_error_ = true;
      continue;
    }
    if (!Execute(*statement)) return false;
  }
  return true;
}

bool ShellSession::Execute(const ShellStatement& statement) {
  absl::Status status;
  switch (statement.kind) {
    case ShellStatement::Kind::kEmpty:
      return true;
    case ShellStatement::Kind::kExit:
      return false;
    case ShellStatement::Kind::kHelp:
      out_ << kHelp;
      return true;
    case ShellStatement::Kind::kUse:
      database_ = statement.word;
      out_ << "switched to db " << database_ << "\n";
      return true;
    case ShellStatement::Kind::kShow:
      status = Show(statement.word);
      break;
    case ShellStatement::Kind::kIt:
      status = More();
      break;
    case ShellStatement::Kind::kCommand: {
      auto command = JsonToBson(statement.document);
      if (!command.ok()) {
        status = command.status();
        break;
      }
      auto reply = Command(*command);
      if (reply.ok()) out_ << FormatShellDocument(reply->view()) << "\n";
      status = reply.status();
      break;
    }
    case ShellStatement::Kind::kCollection:
      status = RunCollection(statement);
      break;
    case ShellStatement::Kind::kDatabase:
      status = RunDatabaseMethod(statement);
      break;
  }
  if (!status.ok()) {
    err_ << (absl::IsInvalidArgument(status) ? "Error: " : "MongoServerError: ") << status.message()
         << "\n";
    had_error_ = true;
  }
  out_.flush();
  return true;
}

absl::StatusOr<Document> ShellSession::Command(const Document& command, const std::string& db) {
  Document reply = db_->RunCommand(db.empty() ? database_ : db, command.view());
  if (!CommandOk(reply.view())) {
    bson_iter_t it;
    std::string code_name =
        bson_iter_init_find(&it, reply.bson(), "codeName") && BSON_ITER_HOLDS_UTF8(&it)
            ? absl::StrCat("[", bson_iter_utf8(&it, nullptr), "] ")
            : "";
    return absl::FailedPreconditionError(absl::StrCat(code_name, CommandError(reply.view())));
  }
  return reply;
}

void ShellSession::PrintValue(const Document& holder) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, holder.bson(), "v")) out_ << FormatShellValue(it) << "\n";
}

absl::Status ShellSession::PrintCursor(const Document& first_reply, const std::string& collection,
                                       bool all) {
  Document reply = first_reply.Clone();
  const char* batch_name = "firstBatch";
  std::vector<std::string> lines;
  int64_t id = 0;
  while (true) {
    bson_iter_t it, cursor, batch;
    if (!bson_iter_init_find(&it, reply.bson(), "cursor") || !bson_iter_recurse(&it, &cursor)) {
      return absl::InternalError("reply without a cursor");
    }
    id = 0;
    bson_iter_t field;
    if (bson_iter_recurse(&it, &field) && bson_iter_find(&field, "id"))
      id = bson_iter_as_int64(&field);
    if (bson_iter_recurse(&it, &field) && bson_iter_find(&field, batch_name) &&
        bson_iter_recurse(&field, &batch)) {
      while (bson_iter_next(&batch)) lines.push_back(FormatShellValue(batch, 2));
    }
    if (!all || id == 0) break;
    CommandBuilder more;
    bson_append_int64(more.b(), "getMore", -1, id);
    more.AddString("collection", collection);
    ASSIGN_OR_RETURN(reply,
                     Command(more.Take(), cursor_database_.empty() ? database_ : cursor_database_));
    batch_name = "nextBatch";
  }
  if (!lines.empty()) out_ << "[\n  " << absl::StrJoin(lines, ",\n  ") << "\n]\n";
  cursor_id_ = id;
  cursor_collection_ = collection;
  if (id != 0) out_ << "Type \"it\" for more\n";
  return absl::OkStatus();
}

absl::Status ShellSession::More() {
  if (cursor_id_ == 0) return Invalid("no cursor (run a find or aggregate first)");
  CommandBuilder more;
  bson_append_int64(more.b(), "getMore", -1, cursor_id_);
  more.AddString("collection", cursor_collection_);
  more.AddInt64("batchSize", kPageSize);
  cursor_id_ = 0;
  ASSIGN_OR_RETURN(Document reply, Command(more.Take(), cursor_database_));
  // Present the next batch as a first batch.
  bson_iter_t it, cursor;
  CommandBuilder shaped;
  bson_t c;
  bson_append_document_begin(shaped.b(), "cursor", -1, &c);
  if (bson_iter_init_find(&it, reply.bson(), "cursor") && bson_iter_recurse(&it, &cursor)) {
    while (bson_iter_next(&cursor)) {
      const char* key = bson_iter_key(&cursor);
      bson_append_value(&c, std::string_view(key) == "nextBatch" ? "firstBatch" : key, -1,
                        bson_iter_value(&cursor));
    }
  }
  bson_append_document_end(shaped.b(), &c);
  return PrintCursor(shaped.Take(), cursor_collection_, false);
}

absl::Status ShellSession::Show(const std::string& what) {
  if (what == "collections" || what == "tables") {
    CommandBuilder list;
    bson_append_int32(list.b(), "listCollections", -1, 1);
    list.AddBool("nameOnly", true);
    ASSIGN_OR_RETURN(Document reply, Command(list.Take()));
    bson_iter_t it, batch;
    std::vector<std::string> names;
    if (bson_iter_init(&it, reply.bson()) &&
        bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
        bson_iter_recurse(&batch, &it)) {
      while (bson_iter_next(&it)) {
        bson_iter_t name;
        if (bson_iter_recurse(&it, &name) && bson_iter_find(&name, "name")) {
          names.push_back(bson_iter_utf8(&name, nullptr));
        }
      }
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) out_ << name << "\n";
    return absl::OkStatus();
  }
  if (what == "dbs" || what == "databases") {
    CommandBuilder list;
    bson_append_int32(list.b(), "listDatabases", -1, 1);
    ASSIGN_OR_RETURN(Document reply, Command(list.Take(), "admin"));
    bson_iter_t it, dbs;
    if (bson_iter_init_find(&it, reply.bson(), "databases") && bson_iter_recurse(&it, &dbs)) {
      while (bson_iter_next(&dbs)) {
        bson_iter_t f;
        std::string name;
        int64_t size = 0;
        if (bson_iter_recurse(&dbs, &f) && bson_iter_find(&f, "name"))
          name = bson_iter_utf8(&f, nullptr);
        if (bson_iter_recurse(&dbs, &f) && bson_iter_find(&f, "sizeOnDisk"))
          size = bson_iter_as_int64(&f);
        out_ << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ')
             << absl::StrFormat("%.2f KiB", static_cast<double>(size) / 1024.0) << "\n";
      }
    }
    return absl::OkStatus();
  }
  return Invalid(absl::StrCat("show ", what, ": use 'show dbs' or 'show collections'"));
}

absl::Status ShellSession::RunDatabaseMethod(const ShellStatement& statement) {
  const ShellCall& call = statement.calls[0];
  if (statement.calls.size() > 1) {
    return Invalid(absl::StrCat("db.", call.method, "() cannot be followed by .",
                                statement.calls[1].method, "()"));
  }
  if (call.method == "runCommand" || call.method == "adminCommand") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the command", false));
    ASSIGN_OR_RETURN(Document command, JsonToBson(call.args[0]));
    ASSIGN_OR_RETURN(Document reply,
                     Command(command, call.method == "adminCommand" ? "admin" : ""));
    out_ << FormatShellDocument(reply.view()) << "\n";
    return absl::OkStatus();
  }
  if (call.method == "getName") {
    out_ << database_ << "\n";
    return absl::OkStatus();
  }
  if (call.method == "getCollectionNames") {
    std::ostringstream names;
    ShellSession inner(db_, names, err_);
    inner.database_ = database_;
    RETURN_IF_ERROR(inner.Show("collections"));
    std::vector<std::string> quoted;
    for (absl::string_view n : absl::StrSplit(names.str(), '\n', absl::SkipEmpty())) {
      quoted.push_back(absl::StrCat("'", n, "'"));
    }
    out_ << (quoted.empty() ? "[]" : absl::StrCat("[ ", absl::StrJoin(quoted, ", "), " ]")) << "\n";
    return absl::OkStatus();
  }
  CommandBuilder command;
  if (call.method == "dropDatabase") {
    bson_append_int32(command.b(), "dropDatabase", -1, 1);
  } else if (call.method == "stats") {
    bson_append_int32(command.b(), "dbStats", -1, 1);
  } else if (call.method == "createCollection") {
    const JsonValue* name = Arg(call, 0);
    if (name == nullptr || name->kind != Kind::kString)
      return Invalid("createCollection() needs a name");
    command.AddString("create", name->text);
    RETURN_IF_ERROR(ExpectObject(call, 1, "the options", true));
    if (const JsonValue* options = Arg(call, 1)) {
      for (const auto& [key, value] : options->members)
        RETURN_IF_ERROR(command.Add(key.c_str(), value));
    }
  } else {
    return Invalid(absl::StrCat("unknown method db.", call.method, "() (type help)"));
  }
  ASSIGN_OR_RETURN(Document reply, Command(command.Take()));
  out_ << FormatShellDocument(reply.view()) << "\n";
  return absl::OkStatus();
}

absl::Status ShellSession::RunCollection(const ShellStatement& statement) {
  const std::string& coll = statement.collection;
  ASSIGN_OR_RETURN(ShellCommand sc, BuildCollectionCommand(coll, statement.calls, kPageSize));
  using Output = ShellOutput;
  const Output output = sc.output;
  if (sc.explain) {
    ASSIGN_OR_RETURN(Document reply, Command(sc.command));
    out_ << FormatShellDocument(reply.view()) << "\n";
    return absl::OkStatus();
  }
  const Document& built = sc.command;
  const bool all = sc.all;
  const Document& inserted_ids = sc.extra;
  auto reply_or = Command(built);
  if (!reply_or.ok()) {
    if (output == Output::kBool &&
        absl::StrContains(reply_or.status().message(), "NamespaceNotFound")) {
      out_ << "false\n";
      return absl::OkStatus();
    }
    return reply_or.status();
  }
  Document reply = std::move(*reply_or);
  std::string write_error = WriteError(reply);
  if (!write_error.empty()) return absl::FailedPreconditionError(write_error);
  CommandBuilder result;
  switch (output) {
    case Output::kCursor:
      cursor_database_ = database_;
      return PrintCursor(reply, coll, all);
    case Output::kOne: {
      bson_iter_t it, batch;
      if (bson_iter_init(&it, reply.bson()) &&
          bson_iter_find_descendant(&it, "cursor.firstBatch.0", &batch)) {
        out_ << FormatShellValue(batch) << "\n";
      } else {
        out_ << "null\n";
      }
      return absl::OkStatus();
    }
    case Output::kInsert: {
      result.AddBool("acknowledged", true);
      bson_iter_t first;
      if (sc.single_id && bson_iter_init(&first, inserted_ids.bson()) && bson_iter_next(&first)) {
        result.AddValue("insertedId", first);
      } else {
        bson_append_document(result.b(), "insertedIds", -1, inserted_ids.bson());
      }
      break;
    }
    case Output::kUpdate: {
      result.AddBool("acknowledged", true);
      bson_iter_t it, up;
      bool upserted = bson_iter_init(&it, reply.bson()) &&
                      bson_iter_find_descendant(&it, "upserted.0._id", &up);
      if (upserted) {
        result.AddValue("insertedId", up);
      } else {
        bson_append_null(result.b(), "insertedId", -1);
      }
      int64_t n = Int(reply, "n");
      result.AddInt64("matchedCount", upserted ? 0 : n);
      result.AddInt64("modifiedCount", Int(reply, "nModified"));
      result.AddInt64("upsertedCount", upserted ? 1 : 0);
      break;
    }
    case Output::kDelete:
      result.AddBool("acknowledged", true);
      result.AddInt64("deletedCount", Int(reply, "n"));
      break;
    case Output::kCount:
      out_ << Int(reply, "n") << "\n";
      return absl::OkStatus();
    case Output::kDistinct: {
      bson_iter_t it;
      if (bson_iter_init_find(&it, reply.bson(), "values")) out_ << FormatShellValue(it) << "\n";
      return absl::OkStatus();
    }
    case Output::kIndexName:
      PrintValue(inserted_ids);
      return absl::OkStatus();
    case Output::kIndexes: {
      bson_iter_t it, batch;
      std::vector<std::string> lines;
      if (bson_iter_init(&it, reply.bson()) &&
          bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
          bson_iter_recurse(&batch, &it)) {
        while (bson_iter_next(&it)) lines.push_back(FormatShellValue(it, 2));
      }
      out_ << (lines.empty() ? "[]" : absl::StrCat("[\n  ", absl::StrJoin(lines, ",\n  "), "\n]"))
           << "\n";
      return absl::OkStatus();
    }
    case Output::kBool:
      out_ << "true\n";
      return absl::OkStatus();
    case Output::kReply:
      out_ << FormatShellDocument(reply.view()) << "\n";
      return absl::OkStatus();
  }
  Document printed = result.Take();
  out_ << FormatShellDocument(printed.view()) << "\n";
  return absl::OkStatus();
}

}  // namespace strata::tools
