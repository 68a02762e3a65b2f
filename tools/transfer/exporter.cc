#include "tools/transfer/exporter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/kill_point.h"
#include "document/extended_json.h"
#include "strata/database.h"
#include "tools/json_text.h"
#include "tools/transfer/flags.h"
#include "tools/transfer/relaxed_json.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {
namespace {

// Makes `partial` durable and gives it its final name, then makes the rename durable.
absl::Status PublishOutput(const std::string& partial, const std::string& final_path) {
  const int fd = ::open(partial.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot sync ", partial, ": ", std::strerror(errno)));
  }
  ::close(fd);
  MaybeKill("dump.before_rename");
  if (std::rename(partial.c_str(), final_path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", partial, " to ", final_path, ": ", std::strerror(errno)));
  }
  std::string dir = std::filesystem::path(final_path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

const char kUsage[] =
    "usage: strata export --db DIR --collection C [--database D] [--out F] [--type json|csv]\n"
    "         [--jsonArray] [--fields a,b | --fieldFile F] [--query J] [--sort J] [--skip N]\n"
    "         [--limit N] [--jsonFormat relaxed|canonical] [--pretty] [--noHeaderLine]\n";

// Strips the {"v": …} around a value printed by ValueToExtendedJson's caller.
std::string ValueJson(const bson_iter_t& it, JsonMode mode) {
  return document::ValueToExtendedJson(it, mode);
}

// The cursor reply's batch and id.
bool ReadCursor(const Document& reply, const char* batch_name, int64_t* id, bson_iter_t* batch) {
  bson_iter_t it, cursor;
  if (!bson_iter_init_find(&it, reply.bson(), "cursor") || !bson_iter_recurse(&it, &cursor)) {
    return false;
  }
  bson_iter_t field;
  *id = 0;
  if (bson_iter_recurse(&it, &field) && bson_iter_find(&field, "id")) {
    *id = bson_iter_as_int64(&field);
  }
  bson_iter_t b;
  if (!bson_iter_recurse(&it, &b) || !bson_iter_find(&b, batch_name)) return false;
  return bson_iter_recurse(&b, batch);
}

class Writer {
 public:
  Writer(const ExportOptions& options, std::ostream& out) : options_(options), out_(out) {}

  void Begin() {
    if (options_.csv) {
      if (!options_.no_header_line) {
        std::vector<std::string> quoted;
        for (const std::string& f : options_.fields) quoted.push_back(CsvQuote(f));
        out_ << absl::StrJoin(quoted, ",") << "\n";
      }
    } else if (options_.json_array) {
      out_ << "[";
    }
  }

  void Write(DocumentView doc) {
    if (options_.csv) {
      bson_t b;
      doc.AsBson(&b);
      std::vector<std::string> cells;
      for (const std::string& field : options_.fields) {
        bson_iter_t it, found;
        if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, field.c_str(), &found)) {
          cells.push_back(CsvQuote(CsvCell(found)));
        } else {
          cells.emplace_back();
        }
      }
      out_ << absl::StrJoin(cells, ",") << "\n";
    } else {
      std::string json = doc.ToJson(options_.json_format);
      if (options_.pretty) json = IndentJson(json);
      if (options_.json_array) out_ << (count_ == 0 ? "" : ",") << (options_.pretty ? "\n" : "");
      out_ << json;
      if (!options_.json_array) out_ << "\n";
    }
    ++count_;
  }

  void End() {
    if (!options_.csv && options_.json_array) out_ << (options_.pretty ? "\n]\n" : "]\n");
    out_.flush();
  }

  int64_t count() const { return count_; }

 private:
  const ExportOptions& options_;
  std::ostream& out_;
  int64_t count_ = 0;
};

}  // namespace

std::string CsvQuote(const std::string& field) {
  bool quote = !field.empty() && (field[0] == ' ' || field[0] == '\t');
  quote = quote || field.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvCell(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* s = bson_iter_utf8(&it, &length);
      return std::string(s, length);
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* s = bson_iter_symbol(&it, &length);
      return std::string(s, length);
    }
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
      return "";
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it) ? "true" : "false";
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(&it), hex);
      return absl::StrCat("ObjectId(", hex, ")");
    }
    case BSON_TYPE_DATE_TIME: {
      absl::Time t = absl::FromUnixMillis(bson_iter_date_time(&it));
      return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
    }
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
    default: {
      std::string json = ValueJson(it, JsonMode::kRelaxed);
      // Relaxed Extended JSON shows a double as 1.0; a CSV cell shows 1 (as mongoexport).
      if (bson_iter_type(&it) == BSON_TYPE_DOUBLE && absl::EndsWith(json, ".0")) {
        json.resize(json.size() - 2);
      }
      return json;
    }
  }
}

int ParseExportArgs(const std::vector<std::string>& args, ExportOptions* options, bool* help) {
  *help = false;
  ParsedFlags flags;
  absl::Status parsed =
      ParseFlags(args,
                 {"db", "collection", "c", "database", "d", "out", "o", "type", "fields", "f",
                  "fieldFile", "query", "q", "sort", "skip", "limit", "jsonFormat"},
                 {"jsonArray", "pretty", "noHeaderLine", "help"}, &flags);
  auto usage = [&](absl::string_view problem) {
    std::cerr << "strata export: " << problem << "\n" << kUsage;
    return 2;
  };
  if (!parsed.ok()) return usage(parsed.message());
  if (flags.Has("help")) {
    std::cout << kUsage;
    *help = true;
    return 0;
  }
  if (!flags.positional.empty()) return usage("unexpected argument " + flags.positional[0]);
  options->data_dir = flags.Get("db", options->data_dir);
  options->database = flags.Get("database", flags.Get("d", options->database));
  options->collection = flags.Get("collection", flags.Get("c"));
  if (options->collection.empty()) return usage("--collection is required");
  options->out = flags.Get("out", flags.Get("o"));
  std::string type = flags.Get("type", "json");
  if (type != "json" && type != "csv") return usage("--type must be json or csv");
  options->csv = type == "csv";
  options->json_array = flags.Has("jsonArray");
  options->pretty = flags.Has("pretty");
  options->no_header_line = flags.Has("noHeaderLine");
  std::string fields = flags.Get("fields", flags.Get("f"));
  if (!fields.empty()) {
    for (absl::string_view f : absl::StrSplit(fields, ',')) {
      f = absl::StripAsciiWhitespace(f);
      if (!f.empty()) options->fields.emplace_back(f);
    }
  }
  if (flags.Has("fieldFile")) {
    auto text = ReadFileOrStdin(flags.Get("fieldFile"));
    if (!text.ok() || flags.Get("fieldFile").empty()) {
      return usage("cannot read --fieldFile " + flags.Get("fieldFile"));
    }
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (!line.empty()) options->fields.emplace_back(line);
    }
  }
  if (options->csv && options->fields.empty()) {
    return usage("CSV export needs --fields or --fieldFile");
  }
  if (options->csv && options->json_array) return usage("--jsonArray is for JSON output");
  options->query = flags.Get("query", flags.Get("q", "{}"));
  options->sort = flags.Get("sort");
  std::string format = flags.Get("jsonFormat", "relaxed");
  if (format != "relaxed" && format != "canonical") {
    return usage("--jsonFormat must be relaxed or canonical");
  }
  options->json_format = format == "canonical" ? JsonMode::kCanonical : JsonMode::kRelaxed;
  if (flags.Has("skip") &&
      (!absl::SimpleAtoi(flags.Get("skip"), &options->skip) || options->skip < 0)) {
    return usage("--skip needs a non-negative integer");
  }
  if (flags.Has("limit") &&
      (!absl::SimpleAtoi(flags.Get("limit"), &options->limit) || options->limit < 0)) {
    return usage("--limit needs a non-negative integer");
  }
  return 0;
}

int RunExport(const ExportOptions& options, std::ostream& err) {
  // Parse before opening anything: a bad option never touches the data.
  auto filter = ParseRelaxedDocument(options.query);
  if (!filter.ok()) {
    err << "strata export: --query: " << filter.status().message() << "\n";
    return 1;
  }
  Document sort;
  if (!options.sort.empty()) {
    auto parsed = ParseRelaxedDocument(options.sort);
    if (!parsed.ok()) {
      err << "strata export: --sort: " << parsed.status().message() << "\n";
      return 1;
    }
    sort = std::move(*parsed);
  }
  auto db = OpenDataDirectory(options.data_dir, /*create=*/false, /*relaxed=*/false, err);
  if (!db.ok()) {
    err << "strata export: " << db.status().message() << "\n";
    return 1;
  }
  // A named output is written as `<out>.partial` and renamed only once it is whole and
  // fsynced (PublishOutput): a failed or killed export never leaves a file that looks whole.
  std::ofstream file;
  const std::string partial = options.out + ".partial";
  if (!options.out.empty() && options.out != "-") {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "strata export: cannot write " << options.out << "\n";
      return 1;
    }
  }
  std::ostream& out = file.is_open() ? file : std::cout;

  Document find;
  bson_t* f = find.mutable_bson();
  BSON_APPEND_UTF8(f, "find", options.collection.c_str());
  BSON_APPEND_DOCUMENT(f, "filter", filter->bson());
  if (!sort.view().empty()) BSON_APPEND_DOCUMENT(f, "sort", sort.bson());
  if (options.skip > 0) BSON_APPEND_INT64(f, "skip", options.skip);
  if (options.limit > 0) BSON_APPEND_INT64(f, "limit", options.limit);
  if (!options.csv && !options.fields.empty()) {
    bson_t projection;
    BSON_APPEND_DOCUMENT_BEGIN(f, "projection", &projection);
    for (const std::string& field : options.fields)
      BSON_APPEND_INT32(&projection, field.c_str(), 1);
    bson_append_document_end(f, &projection);
  }
  BSON_APPEND_INT32(f, "batchSize", 1000);

  Writer writer(options, out);
  writer.Begin();
  Document reply = (*db)->RunCommand(options.database, find.view());
  const char* batch_name = "firstBatch";
  int exit_code = 0;
  while (true) {
    if (!CommandOk(reply.view())) {
      err << "strata export: " << CommandError(reply.view()) << "\n";
      exit_code = 1;
      break;
    }
    int64_t cursor_id = 0;
    bson_iter_t batch;
    if (!ReadCursor(reply, batch_name, &cursor_id, &batch)) {
      err << "strata export: unexpected reply " << reply.ToJson() << "\n";
      exit_code = 1;
      break;
    }
    while (bson_iter_next(&batch)) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&batch, &length, &data);
      writer.Write(DocumentView(data, length));
    }
    if (cursor_id == 0) break;
    Document more;
    BSON_APPEND_INT64(more.mutable_bson(), "getMore", cursor_id);
    BSON_APPEND_UTF8(more.mutable_bson(), "collection", options.collection.c_str());
    BSON_APPEND_INT32(more.mutable_bson(), "batchSize", 1000);
    reply = (*db)->RunCommand(options.database, more.view());
    batch_name = "nextBatch";
  }
  writer.End();
  if (!out) {
    err << "strata export: write failed\n";
    exit_code = 1;
  }
  if (file.is_open()) {
    file.close();
    if (exit_code == 0 && !file) {
      err << "strata export: write failed\n";
      exit_code = 1;
    }
    if (exit_code == 0) {
      absl::Status published = PublishOutput(partial, options.out);
      if (!published.ok()) {
        err << "strata export: " << published.message() << "\n";
        exit_code = 1;
      }
    }
    if (exit_code != 0) std::remove(partial.c_str());
  }
  absl::Status closed = (*db)->Close();
  if (!closed.ok()) {
    err << "strata export: " << closed.message() << "\n";
    exit_code = 1;
  }
  err << "exported " << writer.count() << " record" << (writer.count() == 1 ? "" : "s") << "\n";
  return exit_code;
}

}  // namespace strata::tools
