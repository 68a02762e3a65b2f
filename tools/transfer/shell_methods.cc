#include "tools/transfer/shell_methods.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace strata::tools {
namespace {

using Kind = JsonValue::Kind;

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

absl::StatusOr<int64_t> IntArg(const ShellCall& call, size_t i) {
  const JsonValue* v = Arg(call, i);
  int64_t n = 0;
  if (v == nullptr || v->kind != Kind::kNumber || !absl::SimpleAtoi(v->text, &n)) {
    return Invalid(absl::StrCat(call.method, "() needs an integer"));
  }
  return n;
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

absl::StatusOr<Document> JsonValueHolder(const JsonValue& value) {
  JsonValue holder;
  holder.kind = Kind::kObject;
  holder.members.emplace_back("v", value);
  return JsonToBson(holder);
}

CommandBuilder::CommandBuilder(const char* name, const std::string& collection) {
  bson_append_utf8(b(), name, -1, collection.data(), static_cast<int>(collection.size()));
}

absl::Status CommandBuilder::Add(const char* key, const JsonValue& value) {
  ASSIGN_OR_RETURN(Document holder, JsonValueHolder(value));
  bson_iter_t it;
  if (bson_iter_init_find(&it, holder.bson(), "v")) {
    bson_append_value(b(), key, -1, bson_iter_value(&it));
  }
  return absl::OkStatus();
}

void CommandBuilder::AddDocument(const char* key, const Document& doc) {
  bson_append_document(b(), key, -1, doc.bson());
}

void CommandBuilder::AddInt64(const char* key, int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) {
    bson_append_int32(b(), key, -1, static_cast<int32_t>(v));
  } else {
    bson_append_int64(b(), key, -1, v);
  }
}

void CommandBuilder::AddBool(const char* key, bool v) { bson_append_bool(b(), key, -1, v); }

void CommandBuilder::AddString(const char* key, const std::string& v) {
  bson_append_utf8(b(), key, -1, v.c_str(), -1);
}

void CommandBuilder::AddValue(const char* key, const bson_iter_t& it) {
  bson_iter_t copy = it;
  bson_append_value(b(), key, -1, bson_iter_value(&copy));
}

absl::StatusOr<ShellCommand> BuildCollectionCommand(const std::string& collection,
                                                    const std::vector<ShellCall>& statement_calls,
                                                    int page_size) {
  const std::string& coll = collection;
  std::vector<ShellCall> calls = statement_calls;
  ShellCommand result_command;
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
  CommandBuilder command;
  ShellOutput output = ShellOutput::kReply;
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
      ASSIGN_OR_RETURN(Document holder, JsonValueHolder(value));
      bson_iter_t it;
      if (bson_iter_init_find(&it, holder.bson(), "v"))
        bson_append_value(into, key.c_str(), -1, bson_iter_value(&it));
    }
    return absl::OkStatus();
  };

  if (m == "find" || m == "findOne") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", true));
    RETURN_IF_ERROR(ExpectObject(call, 1, "the projection", true));
    CommandBuilder find("find", coll);
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
      output = ShellOutput::kOne;
    } else if (count && !explain) {
      // cursor.count(): the count command with the same filter.
      CommandBuilder c("count", coll);
      if (const JsonValue* filter = Arg(call, 0)) RETURN_IF_ERROR(c.Add("query", *filter));
      command = std::move(c);
      output = ShellOutput::kCount;
    } else {
      if (!all) find.AddInt64("batchSize", page_size);
      output = ShellOutput::kCursor;
    }
    if (output != ShellOutput::kCount) command = std::move(find);
  } else if (m == "aggregate") {
    const JsonValue* pipeline = Arg(call, 0);
    if (pipeline == nullptr || pipeline->kind != Kind::kArray)
      return Invalid("aggregate() needs a pipeline array");
    command = CommandBuilder("aggregate", coll);
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
    if (!all) bson_append_int32(&cursor, "batchSize", -1, page_size);
    bson_append_document_end(command.b(), &cursor);
    output = ShellOutput::kCursor;
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
    command = CommandBuilder("insert", coll);
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
    output = ShellOutput::kInsert;
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
    command = CommandBuilder("update", coll);
    bson_t array, statement_doc;
    bson_append_array_begin(command.b(), "updates", -1, &array);
    bson_append_document_begin(&array, "0", -1, &statement_doc);
    {
      CommandBuilder s;
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
    output = ShellOutput::kUpdate;
  } else if (m == "deleteOne" || m == "deleteMany") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", false));
    command = CommandBuilder("delete", coll);
    bson_t array, statement_doc;
    bson_append_array_begin(command.b(), "deletes", -1, &array);
    bson_append_document_begin(&array, "0", -1, &statement_doc);
    CommandBuilder s;
    absl::Status st = s.Add("q", call.args[0]);
    bson_append_int32(s.b(), "limit", -1, m == "deleteOne" ? 1 : 0);
    Document sd = s.Take();
    bson_concat(&statement_doc, sd.bson());
    if (st.ok()) st = add_options(Arg(call, 1), {"hint", "collation"}, &statement_doc);
    bson_append_document_end(&array, &statement_doc);
    bson_append_array_end(command.b(), &array);
    RETURN_IF_ERROR(st);
    output = ShellOutput::kDelete;
  } else if (m == "countDocuments" || m == "count" || m == "estimatedDocumentCount") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the filter", true));
    command = CommandBuilder("count", coll);
    if (m != "estimatedDocumentCount") {
      if (const JsonValue* filter = Arg(call, 0)) RETURN_IF_ERROR(command.Add("query", *filter));
      RETURN_IF_ERROR(
          add_options(Arg(call, 1), {"limit", "skip", "hint", "collation"}, command.b()));
    }
    output = ShellOutput::kCount;
  } else if (m == "distinct") {
    const JsonValue* key = Arg(call, 0);
    if (key == nullptr || key->kind != Kind::kString)
      return Invalid("distinct() needs a field name");
    RETURN_IF_ERROR(ExpectObject(call, 1, "the filter", true));
    command = CommandBuilder("distinct", coll);
    command.AddString("key", key->text);
    if (const JsonValue* filter = Arg(call, 1)) RETURN_IF_ERROR(command.Add("query", *filter));
    output = ShellOutput::kDistinct;
  } else if (m == "createIndex") {
    RETURN_IF_ERROR(ExpectObject(call, 0, "the key pattern", false));
    RETURN_IF_ERROR(ExpectObject(call, 1, "the options", true));
    ASSIGN_OR_RETURN(Document keys, JsonToBson(call.args[0]));
    command = CommandBuilder("createIndexes", coll);
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
        auto holder = JsonValueHolder(v);
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
    output = ShellOutput::kIndexName;
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
    command = CommandBuilder("listIndexes", coll);
    output = ShellOutput::kIndexes;
  } else if (m == "dropIndex" || m == "dropIndexes") {
    command = CommandBuilder("dropIndexes", coll);
    const JsonValue* index = Arg(call, 0);
    if (index == nullptr) {
      if (m == "dropIndex") return Invalid("dropIndex() needs an index name or key pattern");
      command.AddString("index", "*");
    } else {
      RETURN_IF_ERROR(command.Add("index", *index));
    }
  } else if (m == "drop") {
    command = CommandBuilder("drop", coll);
    output = ShellOutput::kBool;
  } else if (m == "stats") {
    command = CommandBuilder("collStats", coll);
  } else {
    return Invalid(absl::StrCat("unknown method db.", coll, ".", m, "() (type help)"));
  }

  result_command.output = output;
  result_command.all = all;
  result_command.single_id = m == "insertOne";
  result_command.extra = std::move(inserted_ids);
  result_command.command = command.Take();
  if (explain) {
    CommandBuilder wrapper;
    wrapper.AddDocument("explain", result_command.command);
    RETURN_IF_ERROR(wrapper.Add("verbosity", verbosity));
    result_command.command = wrapper.Take();
    result_command.explain = true;
  }
  return result_command;
}

}  // namespace strata::tools
