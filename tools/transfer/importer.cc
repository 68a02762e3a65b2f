#include "tools/transfer/importer.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "strata/database.h"
#include "tools/transfer/column_spec.h"
#include "tools/transfer/delimited_reader.h"
#include "tools/transfer/flags.h"
#include "tools/transfer/relaxed_json.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {
namespace {

constexpr size_t kBatchBytes = 8 << 20;  // well under the 16 MiB command limit

const char kUsage[] =
    "usage: strata import --db DIR --collection C [--database D] [--file F]\n"
    "         [--type json|csv|tsv] [--jsonArray] [--headerline | --fields a,b | --fieldFile F]\n"
    "         [--columnsHaveTypes] [--parseGrace autoCast|skipField|skipRow|stop]\n"
    "         [--ignoreBlanks] [--mode insert|upsert|merge] [--upsertFields a,b] [--drop]\n"
    "         [--stopOnError] [--relaxed] [--batchSize N]\n"
    "(--maintainInsertionOrder and --numInsertionWorkers are accepted; inserts keep file order)\n";

// Prints "<ns> <done>/<total> (<pct>%) <n> documents" at most once a second.
class Progress {
 public:
  Progress(std::ostream& err, std::string ns, size_t total)
      : err_(err), ns_(std::move(ns)), total_(total), last_(std::chrono::steady_clock::now()) {}
  void Report(size_t done, int64_t documents) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    double pct = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total_;
    err_ << absl::StrFormat("%s\t%.1f/%.1f MB (%.1f%%)\t%d documents\n", ns_, done / 1048576.0,
                            total_ / 1048576.0, pct, documents);
  }

 private:
  std::ostream& err_;
  std::string ns_;
  size_t total_;
  std::chrono::steady_clock::time_point last_;
};

// Batches documents into insert or update commands and counts the outcome.
class Loader {
 public:
  Loader(const ImportOptions& options, Database* db, std::ostream& err)
      : options_(options), db_(db), err_(err) {}

  // False when the import must stop (--stopOnError after a failure).
  bool Add(int line, Document doc) {
    Document query;
    if (options_.mode != ImportOptions::Mode::kInsert && BuildQuery(doc, &query)) {
      pending_bytes_ += doc.size() + query.size();
      updates_.push_back({line, std::move(doc), std::move(query)});
    } else {
      pending_bytes_ += doc.size();
      inserts_.push_back({line, std::move(doc), Document()});
    }
    if (inserts_.size() + updates_.size() >= options_.batch_documents ||
        pending_bytes_ >= kBatchBytes) {
      return Flush();
    }
    return true;
  }

  // Reports a record skipped on purpose (not a failure).
  void Note(absl::string_view message) { err_ << "strata import: " << message << "\n"; }

  // Reports one record that failed before reaching the database.
  bool Fail(absl::string_view message) {
    err_ << "strata import: " << message << "\n";
    ++failed_;
    return !options_.stop_on_error;
  }

  bool Flush() {
    bool go_on = FlushBatch(&inserts_, /*update=*/false);
    if (go_on) go_on = FlushBatch(&updates_, /*update=*/true);
    pending_bytes_ = 0;
    return go_on;
  }

  int64_t imported() const { return imported_; }
  int64_t failed() const { return failed_; }

 private:
  struct Pending {
    int line;
    Document doc;
    Document query;  // updates: the upsert fields' values
  };

  // The filter of an upsert: every --upsertFields value of `doc`. False when one is missing
  // (that document is inserted, as mongoimport does).
  bool BuildQuery(const Document& doc, Document* query) {
    bson_t* q = query->mutable_bson();
    for (const std::string& field : options_.upsert_fields) {
      bson_iter_t it, found;
      if (!bson_iter_init(&it, doc.bson()) ||
          !bson_iter_find_descendant(&it, field.c_str(), &found)) {
        return false;
      }
      bson_append_value(q, field.c_str(), static_cast<int>(field.size()), bson_iter_value(&found));
    }
    return true;
  }

  // The update document of a statement: the document itself (upsert: replace) or {$set: doc}
  // without the _id when the filter already pins it (merge).
  Document UpdateOf(const Pending& p) {
    if (options_.mode == ImportOptions::Mode::kUpsert) return p.doc.Clone();
    Document update;
    bson_t set;
    bson_append_document_begin(update.mutable_bson(), "$set", 4, &set);
    bson_iter_t it;
    bson_iter_init(&it, p.doc.bson());
    bson_iter_t in_query;
    bool id_in_query = bson_iter_init_find(&in_query, p.query.bson(), "_id");
    while (bson_iter_next(&it)) {
      if (id_in_query && std::string_view(bson_iter_key(&it)) == "_id") continue;
      bson_append_value(&set, bson_iter_key(&it), -1, bson_iter_value(&it));
    }
    bson_append_document_end(update.mutable_bson(), &set);
    return update;
  }

  bool FlushBatch(std::vector<Pending>* batch, bool update) {
    if (batch->empty()) return true;
    Document command;
    bson_t* c = command.mutable_bson();
    const std::string& coll = options_.collection;
    bson_append_utf8(c, update ? "update" : "insert", -1, coll.data(),
                     static_cast<int>(coll.size()));
    bson_t array;
    bson_append_array_begin(c, update ? "updates" : "documents", -1, &array);
    for (size_t i = 0; i < batch->size(); ++i) {
      std::string key = absl::StrCat(i);
      const Pending& p = (*batch)[i];
      if (!update) {
        bson_append_document(&array, key.c_str(), -1, p.doc.bson());
        continue;
      }
      Document u = UpdateOf(p);
      bson_t statement;
      bson_append_document_begin(&array, key.c_str(), -1, &statement);
      bson_append_document(&statement, "q", 1, p.query.bson());
      bson_append_document(&statement, "u", 1, u.bson());
      bson_append_bool(&statement, "upsert", 6, true);
      bson_append_document_end(&array, &statement);
    }
    bson_append_array_end(c, &array);
    bson_append_bool(c, "ordered", 7, options_.stop_on_error);
    Document reply = db_->RunCommand(options_.database, command.view());
    size_t attempted = batch->size();
    int64_t errors = 0;
    if (!CommandOk(reply.view())) {
      err_ << "strata import: lines " << batch->front().line << "-" << batch->back().line << ": "
           << CommandError(reply.view()) << "\n";
      errors = static_cast<int64_t>(attempted);
    } else {
      bson_iter_t it, we;
      if (bson_iter_init_find(&it, reply.bson(), "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
          bson_iter_recurse(&it, &we)) {
        while (bson_iter_next(&we)) {
          bson_t error_doc;
          uint32_t len = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&we, &len, &data);
          if (!bson_init_static(&error_doc, data, len)) continue;
          bson_iter_t f;
          int64_t index = bson_iter_init_find(&f, &error_doc, "index") ? bson_iter_as_int64(&f) : 0;
          std::string message = CommandError(DocumentView(data, len));
          int line = index >= 0 && static_cast<size_t>(index) < attempted
                         ? (*batch)[static_cast<size_t>(index)].line
                         : 0;
          err_ << "strata import: line " << line << ": " << message << "\n";
          ++errors;
        }
      }
      // An ordered batch stops at its first error: the statements after it were not tried.
      if (options_.stop_on_error && errors > 0) {
        int64_t first_error = 0;
        bson_iter_t it2, we2, f;
        if (bson_iter_init_find(&it2, reply.bson(), "writeErrors") &&
            bson_iter_recurse(&it2, &we2) && bson_iter_next(&we2) && bson_iter_recurse(&we2, &f) &&
            bson_iter_find(&f, "index")) {
          first_error = bson_iter_as_int64(&f);
        }
        imported_ += first_error;
        failed_ += static_cast<int64_t>(attempted) - first_error;
        batch->clear();
        return false;
      }
    }
    imported_ += static_cast<int64_t>(attempted) - errors;
    failed_ += errors;
    batch->clear();
    return errors == 0 || !options_.stop_on_error;
  }

  const ImportOptions& options_;
  Database* db_;
  std::ostream& err_;
  std::vector<Pending> inserts_, updates_;
  size_t pending_bytes_ = 0;
  int64_t imported_ = 0;
  int64_t failed_ = 0;
};

void ImportJson(std::string_view text, const ImportOptions& options, Loader* loader,
                Progress* progress) {
  RelaxedJsonParser parser(text);
  if (options.json_array) {
    if (!parser.Consume('[')) {
      loader->Fail(parser.Error("--jsonArray input must start with '['").message());
      return;
    }
  }
  while (!parser.AtEnd()) {
    if (options.json_array && parser.Consume(']')) {
      if (!parser.AtEnd()) loader->Fail(parser.Error("text after the closing ']'").message());
      return;
    }
    size_t start = parser.pos();
    int line = parser.LineOf(start);
    bool is_object = parser.Peek() == '{';
    auto value = parser.ParseValue();
    absl::Status status = value.status();
    if (status.ok() && !is_object) {
      status = absl::InvalidArgumentError(
          absl::StrCat("line ", line, ": not a JSON object",
                       value->kind == JsonValue::Kind::kArray && !options.json_array
                           ? " (a JSON array of documents needs --jsonArray)"
                           : ""));
    }
    if (status.ok() && options.json_array && !parser.Consume(',') && parser.Peek() != ']') {
      status = parser.Error("expected ',' or ']' after an array element");
    }
    if (!status.ok()) {
      std::string message(status.message());
      if (parser.LineOf(parser.pos()) != line) {
        absl::StrAppend(&message, " (in the document starting on line ", line, ")");
      }
      if (!loader->Fail(message)) return;
      if (options.json_array) {
        loader->Fail("stopped reading the JSON array after its malformed element");
        return;
      }
      // Resynchronise on the line after the error.
      size_t resume = text.find('\n', std::max(parser.pos(), start));
      parser.set_pos(resume == std::string_view::npos ? text.size() : resume + 1);
      continue;
    }
    auto doc = JsonToBson(*value);
    if (!doc.ok()) {
      if (!loader->Fail(absl::StrCat("line ", line, ": ", doc.status().message()))) return;
      continue;
    }
    if (!loader->Add(line, std::move(*doc))) return;
    progress->Report(parser.pos(), loader->imported());
  }
  if (options.json_array) loader->Fail(parser.Error("missing the closing ']'").message());
}

void ImportDelimited(std::string_view text, const ImportOptions& options, Loader* loader,
                     Progress* progress) {
  DelimitedReader reader(text, options.type == ImportOptions::Type::kTsv);
  DelimitedRecord record;
  absl::Status error;
  std::vector<ColumnSpec> columns;
  std::vector<std::string> names = options.fields;
  if (options.headerline) {
    if (!reader.Next(&record, &error)) return;
    if (!error.ok()) {
      loader->Fail(absl::StrCat("header: ", error.message()));
      return;
    }
    names = record.fields;
  }
  for (const std::string& name : names) {
    auto spec = ParseColumnSpec(name, options.columns_have_types);
    if (!spec.ok()) {
      loader->Fail(spec.status().message());
      return;
    }
    columns.push_back(std::move(*spec));
  }
  while (reader.Next(&record, &error)) {
    if (!error.ok()) {
      if (!loader->Fail(error.message())) return;
      continue;
    }
    auto doc = RecordToDocument(columns, record.fields, options.ignore_blanks, options.parse_grace);
    if (absl::IsNotFound(doc.status())) {  // --parseGrace skipRow
      loader->Note(absl::StrCat("line ", record.line, ": skipped: ", doc.status().message()));
      continue;
    }
    if (!doc.ok()) {
      if (!loader->Fail(absl::StrCat("line ", record.line, ": ", doc.status().message()))) return;
      continue;
    }
    if (doc->view().empty()) continue;  // a row of blanks under --ignoreBlanks
    if (!loader->Add(record.line, std::move(*doc))) return;
    progress->Report(reader.offset(), loader->imported());
  }
}

}  // namespace

int ParseImportArgs(const std::vector<std::string>& args, ImportOptions* options, bool* help) {
  *help = false;
  ParsedFlags flags;
  absl::Status parsed = ParseFlags(
      args,
      {"db", "collection", "c", "database", "d", "file", "type", "fields", "f", "fieldFile", "mode",
       "upsertFields", "batchSize", "parseGrace", "numInsertionWorkers", "j"},
      {"jsonArray", "headerline", "columnsHaveTypes", "ignoreBlanks", "drop", "stopOnError",
       "relaxed", "help", "upsert", "maintainInsertionOrder"},
      &flags);
  auto usage = [&](absl::string_view problem) {
    std::cerr << "strata import: " << problem << "\n" << kUsage;
    return 2;
  };
  if (!parsed.ok()) return usage(parsed.message());
  if (flags.Has("help")) {
    std::cout << kUsage;
    *help = true;
    return 0;
  }
  if (flags.positional.size() > 1) return usage("more than one input file given");
  options->data_dir = flags.Get("db", options->data_dir);
  options->database = flags.Get("database", flags.Get("d", options->database));
  options->file = flags.Get("file", flags.positional.empty() ? "" : flags.positional[0]);
  options->collection = flags.Get("collection", flags.Get("c"));
  if (options->collection.empty() && !options->file.empty() && options->file != "-") {
    // mongoimport's default: the file's name without its directory and extension.
    std::string base = options->file.substr(options->file.find_last_of('/') + 1);
    options->collection = base.substr(0, base.find('.'));
  }
  if (options->collection.empty()) return usage("--collection is required when reading stdin");
  std::string type = flags.Get("type", "json");
  if (type == "json") {
    options->type = ImportOptions::Type::kJson;
  } else if (type == "csv") {
    options->type = ImportOptions::Type::kCsv;
  } else if (type == "tsv") {
    options->type = ImportOptions::Type::kTsv;
  } else {
    return usage(absl::StrCat("--type must be json, csv or tsv, not '", type, "'"));
  }
  options->json_array = flags.Has("jsonArray");
  options->headerline = flags.Has("headerline");
  options->columns_have_types = flags.Has("columnsHaveTypes");
  options->ignore_blanks = flags.Has("ignoreBlanks");
  std::string grace = flags.Get("parseGrace", "stop");
  if (grace == "stop") {
    options->parse_grace = ParseGrace::kStop;
  } else if (grace == "autoCast") {
    options->parse_grace = ParseGrace::kAutoCast;
  } else if (grace == "skipField") {
    options->parse_grace = ParseGrace::kSkipField;
  } else if (grace == "skipRow") {
    options->parse_grace = ParseGrace::kSkipRow;
  } else {
    return usage("--parseGrace must be autoCast, skipField, skipRow or stop");
  }
  options->drop = flags.Has("drop");
  options->stop_on_error = flags.Has("stopOnError");
  options->relaxed = flags.Has("relaxed");
  std::string fields = flags.Get("fields", flags.Get("f"));
  if (!fields.empty()) options->fields = absl::StrSplit(fields, ',');
  if (flags.Has("fieldFile")) {
    auto text = ReadFileOrStdin(flags.Get("fieldFile"));
    if (!text.ok() || flags.Get("fieldFile").empty() || flags.Get("fieldFile") == "-") {
      return usage(absl::StrCat("cannot read --fieldFile ", flags.Get("fieldFile")));
    }
    options->fields.clear();
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (!line.empty()) options->fields.emplace_back(line);
    }
  }
  const bool delimited = options->type != ImportOptions::Type::kJson;
  int header_sources = options->headerline + !fields.empty() + flags.Has("fieldFile");
  if (delimited && header_sources != 1) {
    return usage("CSV and TSV need exactly one of --headerline, --fields, --fieldFile");
  }
  if (!delimited && (header_sources > 0 || options->columns_have_types)) {
    return usage("--headerline, --fields, --fieldFile and --columnsHaveTypes are for CSV/TSV");
  }
  if (options->json_array && delimited) return usage("--jsonArray is for --type json");
  std::string upsert_fields = flags.Get("upsertFields");
  if (!upsert_fields.empty()) options->upsert_fields = absl::StrSplit(upsert_fields, ',');
  std::string mode = flags.Get("mode");
  if (mode.empty()) {
    // --upsertFields (or the legacy --upsert) alone means mode upsert, as in mongoimport.
    mode = (!upsert_fields.empty() || flags.Has("upsert")) ? "upsert" : "insert";
  }
  if (mode == "insert") {
    options->mode = ImportOptions::Mode::kInsert;
    if (!upsert_fields.empty()) return usage("--upsertFields needs --mode upsert or merge");
  } else if (mode == "upsert") {
    options->mode = ImportOptions::Mode::kUpsert;
  } else if (mode == "merge") {
    options->mode = ImportOptions::Mode::kMerge;
  } else {
    return usage(absl::StrCat("--mode must be insert, upsert or merge, not '", mode, "'"));
  }
  if (options->upsert_fields.empty()) options->upsert_fields = {"_id"};
  if (flags.Has("batchSize")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(flags.Get("batchSize"), &n) || n <= 0) {
      return usage("--batchSize needs a positive integer");
    }
    options->batch_documents = static_cast<size_t>(n);
  }
  return 0;
}

int RunImport(const ImportOptions& options, std::ostream& err) {
  auto input = InputText::Open(options.file);
  if (!input.ok()) {
    err << "strata import: " << input.status().message() << "\n";
    return 1;
  }
  std::string_view text = input->text();
  auto db = OpenDataDirectory(options.data_dir, /*create=*/true, options.relaxed, err);
  if (!db.ok()) {
    err << "strata import: " << db.status().message() << "\n";
    return 1;
  }
  const std::string ns = absl::StrCat(options.database, ".", options.collection);
  if (options.drop) {
    Document drop;
    bson_append_utf8(drop.mutable_bson(), "drop", 4, options.collection.c_str(), -1);
    Document reply = (*db)->RunCommand(options.database, drop.view());
    if (CommandOk(reply.view())) err << "dropped collection " << ns << "\n";
  }
  err << "connected to: " << options.data_dir << "\n";
  Loader loader(options, db->get(), err);
  Progress progress(err, ns, text.size());
  if (options.type == ImportOptions::Type::kJson) {
    ImportJson(text, options, &loader, &progress);
  } else {
    ImportDelimited(text, options, &loader, &progress);
  }
  loader.Flush();
  absl::Status closed = (*db)->Close();
  if (!closed.ok()) err << "strata import: " << closed.message() << "\n";
  err << loader.imported() << " document(s) imported successfully. " << loader.failed()
      << " document(s) failed to import.\n";
  return loader.failed() == 0 && closed.ok() ? 0 : 1;
}

}  // namespace strata::tools
