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

// A document holding `value` under "v" (how a JsonValue of any kind becomes BSON).
absl::StatusOr<Document> Holder(const JsonValue& value) {
  JsonValue holder;
  holder.kind = Kind::kObject;
  holder.members.emplace_back("v", value);
  return JsonToBson(holder);
}

// Builds a command document field by field.
class Builder {
 public:
  Builder() = default;
  Builder(const char* name, const std::string& collection) {
    bson_append_utf8(b(), name, -1, collection.data(), static_cast<int>(collection.size()));
  }
  absl::Status Add(const char* key, const JsonValue& value) {
    ASSIGN_OR_RETURN(Document holder, Holder(value));
    bson_iter_t it;
    if (bson_iter_init_find(&it, holder.bson(), "v")) {
      bson_append_value(b(), key, -1, bson_iter_value(&it));
    }
    return absl::OkStatus();
  }
  void AddDocument(const char* key, const Document& doc) {
    bson_append_document(b(), key, -1, doc.bson());
  }
  // A number as int32 when it fits (as mongosh sends and prints it), else int64.
  void AddInt64(const char* key, int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
      bson_append_int32(b(), key, -1, static_cast<int32_t>(v));
    } else {
      bson_append_int64(b(), key, -1, v);
    }
  }
  void AddBool(const char* key, bool v) { bson_append_bool(b(), key, -1, v); }
  void AddString(const char* key, const std::string& v) {
    bson_append_utf8(b(), key, -1, v.c_str(), -1);
  }
  void AddValue(const char* key, const bson_iter_t& it) {
    bson_iter_t copy = it;
    bson_append_value(b(), key, -1, bson_iter_value(&copy));
  }
  bson_t* b() { return doc_.mutable_bson(); }
  Document Take() { return std::move(doc_); }

 private:
  Document doc_;
};

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

absl::StatusOr<int64_t> IntArg(const ShellCall& call, size_t i) {
  const JsonValue* v = Arg(call, i);
  int64_t n = 0;
  if (v == nullptr || v->kind != Kind::kNumber || !absl::SimpleAtoi(v->text, &n)) {
    return Invalid(absl::StrCat(call.method, "() needs an integer"));
  }
  return n;
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

// mongosh's default index name: a_1_b_-1.
std::string IndexName(const Document& keys) {
  std::vector<std::string> parts;
  bson_iter_t it;
  bson_iter_init(&it, keys.bson());
  while (bson_iter_next(&it)) {
    std::string value = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, nullptr)
                                                  : absl::StrCat(bson_iter_as_int64(&it));
    parts.push_back(absl::StrCat(bson_iter_key(&it), "_", value));
  }
  return absl::StrJoin(parts, "_");
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
    Builder more;
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
  Builder more;
  bson_append_int64(more.b(), "getMore", -1, cursor_id_);
  more.AddString("collection", cursor_collection_);
  more.AddInt64("batchSize", kPageSize);
  cursor_id_ = 0;
  ASSIGN_OR_RETURN(Document reply, Command(more.Take(), cursor_database_));
  // Present the next batch as a first batch.
  bson_iter_t it, cursor;
  Builder shaped;
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
    Builder list;
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
    Builder list;
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
  Builder command;
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
  std::vector<ShellCall> calls = statement.calls;
  // db.c.explain(verbosity).find(…) or db.c.find(…).explain(verbosity).
  bool explain = false;
  JsonValue verbosity = JsonValue::String("queryPlanner");
  auto take_explain = [&](size_t index) {
    explain = true;
    if (const JsonValue* v = Arg(calls[index], 0)) {
      verbosity = v->kind == Kind::kBool
                      ? JsonValue::String(v->boolean ? "allPlansExecution" : "queryPlanner")
                      : *v;
    }
    calls.erase(calls.begin() + static_cast<long>(index));
  };
  if (calls[0].method == "explain") take_explain(0);
  if (calls.empty()) return Invalid("explain() needs a method after it, e.g. .explain().find({})");
  for (size_t i = 1; i < calls.size(); ++i) {
    if (calls[i].method == "explain") {
      take_explain(i);
      break;
    }
  }
  const ShellCall& call = calls[0];
  const std::string& m = call.method;
  Builder command;
  enum class Output {
    kCursor,
    kOne,
    kInsert,
    kUpdate,
    kDelete,
    kCount,
    kDistinct,
    kIndexName,
    kIndexes,
    kReply,
    kBool
  } output = Output::kReply;
  bool all = false;
  Document inserted_ids;  // insertOne/insertMany: the _ids sent

  auto add_options = [&](const JsonValue* options, std::initializer_list<const char*> allowed,
                         bson_t* into) -> absl::Status {
    if (options == nullptr) return absl::OkStatus();
    if (options->kind != Kind::kObject)
      return Invalid(absl::StrCat(m, "(): options must be an object"));
    for (const auto& [key, value] : options->members) {
      bool known = false;
      for (const char* a : allowed) known = known || key == a;
      if (!known) return Invalid(absl::StrCat(m, "(): unknown option '", key, "'"));
      ASSIGN_OR_RETURN(Document holder, Holder(value));
      bson_iter_t it;
      if (bson_iter_init_find(&it, holder.bson(), "v"))
        bson_append_value(into, key.c_str(), -1, bson_iter_value(&it));
    }
    return absl::OkStatus();
  };

  if (m == "find" || m == "findOne") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", true));
    RETURN_IF_ERROR(ExpectObject(call, 1, "the projection", true));
    Builder find("find", coll);
    if (const JsonValue* filter = Arg(call, 0)) RETURN_IF_ERROR(find.Add("filter", *filter));
    if (const JsonValue* projection = Arg(call, 1))
      RETURN_IF_ERROR(find.Add("projection", *projection));
    bool count = false;
    bool has_limit = false;
    for (size_t i = 1; i < calls.size(); ++i) {
      const ShellCall& mod = calls[i];
      if (mod.method == "sort" || mod.method == "hint" || mod.method == "projection" ||
          mod.method == "collation" || mod.method == "min" || mod.method == "max") {
        if (mod.args.size() != 1) return Invalid(absl::StrCat(mod.method, "() needs one argument"));
        RETURN_IF_ERROR(find.Add(mod.method.c_str(), mod.args[0]));
      } else if (mod.method == "limit" || mod.method == "skip" || mod.method == "batchSize") {
        ASSIGN_OR_RETURN(int64_t n, IntArg(mod, 0));
        find.AddInt64(mod.method.c_str(), n);
        has_limit = has_limit || mod.method == "limit";
      } else if (mod.method == "toArray") {
        all = true;
      } else if (mod.method == "count" || mod.method == "itcount" || mod.method == "size") {
        count = true;
      } else if (mod.method != "pretty") {
        return Invalid(absl::StrCat("unknown cursor method .", mod.method, "()"));
      }
    }
    if (m == "findOne") {
      if (!has_limit) find.AddInt64("limit", 1);
      find.AddBool("singleBatch", true);
      output = Output::kOne;
    } else if (count && !explain) {
      // cursor.count(): the count command with the same filter.
      Builder c("count", coll);
      if (const JsonValue* filter = Arg(call, 0)) RETURN_IF_ERROR(c.Add("query", *filter));
      command = std::move(c);
      output = Output::kCount;
    } else {
      if (!all) find.AddInt64("batchSize", kPageSize);
      output = Output::kCursor;
    }
    if (output != Output::kCount) command = std::move(find);
  } else if (m == "aggregate") {
    const JsonValue* pipeline = Arg(call, 0);
    if (pipeline == nullptr || pipeline->kind != Kind::kArray)
      return Invalid("aggregate() needs a pipeline array");
    command = Builder("aggregate", coll);
    RETURN_IF_ERROR(command.Add("pipeline", *pipeline));
    RETURN_IF_ERROR(add_options(
        Arg(call, 1), {"allowDiskUse", "collation", "hint", "let", "maxTimeMS", "comment"},
        command.b()));
    for (size_t i = 1; i < calls.size(); ++i) {
      if (calls[i].method == "toArray")
        all = true;
      else if (calls[i].method != "pretty")
        return Invalid(absl::StrCat("unknown cursor method .", calls[i].method, "()"));
    }
    bson_t cursor;
    bson_append_document_begin(command.b(), "cursor", -1, &cursor);
    if (!all) bson_append_int32(&cursor, "batchSize", -1, kPageSize);
    bson_append_document_end(command.b(), &cursor);
    output = Output::kCursor;
  } else if (m == "insertOne" || m == "insertMany") {
    const JsonValue* arg = Arg(call, 0);
    std::vector<const JsonValue*> docs;
    if (m == "insertOne") {
      RETURN_IF_ERROR(ExpectObject(call, 0, "the document", false));
      docs.push_back(arg);
    } else {
      if (arg == nullptr || arg->kind != Kind::kArray)
        return Invalid("insertMany() needs an array of documents");
      for (const JsonValue& d : arg->elements) {
        if (d.kind != Kind::kObject)
          return Invalid("insertMany(): every element must be a document");
        docs.push_back(&d);
      }
    }
    command = Builder("insert", coll);
    bson_t array;
    bson_append_array_begin(command.b(), "documents", -1, &array);
    bson_t* ids = inserted_ids.mutable_bson();
    for (size_t i = 0; i < docs.size(); ++i) {
      ASSIGN_OR_RETURN(Document doc, JsonToBson(*docs[i]));
      bson_iter_t id;
      std::string key = absl::StrCat(i);
      if (!bson_iter_init_find(&id, doc.bson(), "_id")) {
        // Give the document its _id here so the result can show it, as mongosh does.
        Document with_id;
        bson_oid_t oid;
        bson_oid_init(&oid, nullptr);
        bson_append_oid(with_id.mutable_bson(), "_id", 3, &oid);
        bson_concat(with_id.mutable_bson(), doc.bson());
        doc = std::move(with_id);
        bson_iter_init_find(&id, doc.bson(), "_id");
      }
      bson_append_value(ids, key.c_str(), -1, bson_iter_value(&id));
      bson_append_document(&array, key.c_str(), -1, doc.bson());
    }
    bson_append_array_end(command.b(), &array);
    RETURN_IF_ERROR(add_options(Arg(call, 1), {"ordered"}, command.b()));
    output = Output::kInsert;
  } else if (m == "updateOne" || m == "updateMany" || m == "replaceOne") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", false));
    const JsonValue* update = Arg(call, 1);
    if (update == nullptr ||
        (update->kind != Kind::kObject && !(update->kind == Kind::kArray && m != "replaceOne"))) {
      return Invalid(absl::StrCat(
          m, "() needs ",
          m == "replaceOne" ? "a replacement document" : "an update document or pipeline"));
    }
    bool is_operator_update = update->kind == Kind::kArray ||
                              (!update->members.empty() && !update->members[0].first.empty() &&
                               update->members[0].first[0] == '$');
    if (m == "replaceOne" && is_operator_update)
      return Invalid("replaceOne(): the replacement must not contain update operators");
    if (m != "replaceOne" && !is_operator_update)
      return Invalid(
          absl::StrCat(m, "(): the update must use operators ($set, …) or be a pipeline"));
    command = Builder("update", coll);
    bson_t array, statement_doc;
    bson_append_array_begin(command.b(), "updates", -1, &array);
    bson_append_document_begin(&array, "0", -1, &statement_doc);
    {
      Builder s;
      RETURN_IF_ERROR(s.Add("q", call.args[0]));
      RETURN_IF_ERROR(s.Add("u", *update));
      s.AddBool("multi", m == "updateMany");
      Document sd = s.Take();
      bson_concat(&statement_doc, sd.bson());
    }
    absl::Status options =
        add_options(Arg(call, 2), {"upsert", "arrayFilters", "hint", "collation"}, &statement_doc);
    bson_append_document_end(&array, &statement_doc);
    bson_append_array_end(command.b(), &array);
    RETURN_IF_ERROR(options);
    output = Output::kUpdate;
  } else if (m == "deleteOne" || m == "deleteMany") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", false));
    command = Builder("delete", coll);
    bson_t array, statement_doc;
    bson_append_array_begin(command.b(), "deletes", -1, &array);
    bson_append_document_begin(&array, "0", -1, &statement_doc);
    Builder s;
    absl::Status st = s.Add("q", call.args[0]);
    bson_append_int32(s.b(), "limit", -1, m == "deleteOne" ? 1 : 0);
    Document sd = s.Take();
    bson_concat(&statement_doc, sd.bson());
    if (st.ok()) st = add_options(Arg(call, 1), {"hint", "collation"}, &statement_doc);
    bson_append_document_end(&array, &statement_doc);
    bson_append_array_end(command.b(), &array);
    RETURN_IF_ERROR(st);
    output = Output::kDelete;
  } else if (m == "countDocuments" || m == "count" || m == "estimatedDocumentCount") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", true));
    command = Builder("count", coll);
    if (m != "estimatedDocumentCount") {
      if (const JsonValue* filter = Arg(call, 0)) RETURN_IF_ERROR(command.Add("query", *filter));
      RETURN_IF_ERROR(
          add_options(Arg(call, 1), {"limit", "skip", "hint", "collation"}, command.b()));
    }
    output = Output::kCount;
  } else if (m == "distinct") {
    const JsonValue* key = Arg(call, 0);
    if (key == nullptr || key->kind != Kind::kString)
      return Invalid("distinct() needs a field name");
    RETURN_IF_ERROR(ExpectObject(call, 1, "the filter", true));
    command = Builder("distinct", coll);
    command.AddString("key", key->text);
    if (const JsonValue* filter = Arg(call, 1)) RETURN_IF_ERROR(command.Add("query", *filter));
    output = Output::kDistinct;
  } else if (m == "createIndex") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the key pattern", false));
    RETURN_IF_ERROR(ExpectObject(call, 1, "the options", true));
    ASSIGN_OR_RETURN(Document keys, JsonToBson(call.args[0]));
    command = Builder("createIndexes", coll);
    bson_t array, spec;
    bson_append_array_begin(command.b(), "indexes", -1, &array);
    bson_append_document_begin(&array, "0", -1, &spec);
    bson_append_document(&spec, "key", -1, keys.bson());
    const JsonValue* options = Arg(call, 1);
    bool named = false;
    absl::Status st;
    if (options != nullptr) {
      for (const auto& [k, v] : options->members) {
        named = named || k == "name";
        auto holder = Holder(v);
        if (!holder.ok()) {
          st = holder.status();
          break;
        }
        bson_iter_t it;
        if (bson_iter_init_find(&it, holder->bson(), "v"))
          bson_append_value(&spec, k.c_str(), -1, bson_iter_value(&it));
      }
    }
    if (!named) bson_append_utf8(&spec, "name", -1, IndexName(keys).c_str(), -1);
    bson_append_document_end(&array, &spec);
    bson_append_array_end(command.b(), &array);
    RETURN_IF_ERROR(st);
    output = Output::kIndexName;
    inserted_ids = Document();
    bson_append_utf8(inserted_ids.mutable_bson(), "v", -1, named ? "" : IndexName(keys).c_str(),
                     -1);
    if (named) {
      for (const auto& [k, v] : options->members) {
        if (k == "name" && v.kind == Kind::kString) {
          inserted_ids = Document();
          bson_append_utf8(inserted_ids.mutable_bson(), "v", -1, v.text.c_str(), -1);
        }
      }
    }
  } else if (m == "getIndexes") {
    command = Builder("listIndexes", coll);
    output = Output::kIndexes;
  } else if (m == "dropIndex" || m == "dropIndexes") {
    command = Builder("dropIndexes", coll);
    const JsonValue* index = Arg(call, 0);
    if (index == nullptr) {
      if (m == "dropIndex") return Invalid("dropIndex() needs an index name or key pattern");
      command.AddString("index", "*");
    } else {
      RETURN_IF_ERROR(command.Add("index", *index));
    }
  } else if (m == "drop") {
    command = Builder("drop", coll);
    output = Output::kBool;
  } else if (m == "stats") {
    command = Builder("collStats", coll);
  } else {
    return Invalid(absl::StrCat("unknown method db.", coll, ".", m, "() (type help)"));
  }

  Document built = command.Take();
  if (explain) {
    Builder wrapper;
    wrapper.AddDocument("explain", built);
    RETURN_IF_ERROR(wrapper.Add("verbosity", verbosity));
    ASSIGN_OR_RETURN(Document reply, Command(wrapper.Take()));
    out_ << FormatShellDocument(reply.view()) << "\n";
    return absl::OkStatus();
  }
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
  Builder result;
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
      if (m == "insertOne" && bson_iter_init(&first, inserted_ids.bson()) &&
          bson_iter_next(&first)) {
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
