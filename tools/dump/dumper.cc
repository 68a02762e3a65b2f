#include "tools/dump/dumper.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "db/database_snapshot.h"
#include "db/matcher_adapters.h"
#include "tools/dump/archive.h"
#include "tools/dump/metadata.h"

namespace strata::tools::dump {
namespace {

constexpr absl::string_view kVersion = "strata 0.1.0";

bool KeepsAsIs(unsigned char c) {
  // Go's url.PathEscape (what mongodump uses) keeps unreserved characters and "$&+:=@".
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '$' ||
         c == '&' || c == '+' || c == ':' || c == '=' || c == '@';
}

struct Selected {
  engine::CollectionHandle collection;
  std::string metadata;
  engine::CollectionStats stats;
};

// Streams the matching documents of one collection to `write`.
absl::Status StreamCollection(const db::DatabaseSnapshot& snapshot, const Selected& selected,
                              const query::match::MatchExpression* filter, Progress& progress,
                              const std::function<absl::Status(DocumentView)>& write,
                              CollectionDumpResult* result) {
  auto it = snapshot.Records(*selected.collection);
  for (; it->Valid(); it->Next()) {
    absl::string_view value = it->value();
    DocumentView doc(reinterpret_cast<const uint8_t*>(value.data()), value.size());
    progress.Add(1, static_cast<int64_t>(value.size()));
    if (filter != nullptr && !filter->Matches(doc)) continue;
    RETURN_IF_ERROR(write(doc));
    ++result->documents;
    result->bytes += static_cast<int64_t>(value.size());
  }
  return it->status();
}

std::string Summary(const CollectionDumpResult& result) {
  return absl::StrFormat("done dumping %s (%d documents, %.1f MB)", result.ns, result.documents,
                         result.bytes / 1e6);
}

}  // namespace

std::string EscapeCollectionName(absl::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (KeepsAsIs(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::optional<std::string> UnescapeCollectionName(absl::string_view file_name) {
  std::string out;
  for (size_t i = 0; i < file_name.size(); ++i) {
    if (file_name[i] != '%') {
      out.push_back(file_name[i]);
      continue;
    }
    if (i + 2 >= file_name.size() || !absl::ascii_isxdigit(file_name[i + 1]) ||
        !absl::ascii_isxdigit(file_name[i + 2])) {
      return std::nullopt;
    }
    out.push_back(
        static_cast<char>(std::stoi(std::string(file_name.substr(i + 1, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

absl::StatusOr<std::vector<CollectionDumpResult>> Dump(db::DatabaseImpl& db,
                                                       const DumpOptions& options,
                                                       Progress& progress) {
  if (!options.collection.empty() && options.database.empty()) {
    return absl::InvalidArgumentError("--collection needs --database");
  }
  query::match::MatchExpressionPtr filter;
  if (options.query.has_value()) {
    auto parsed = db::ParseQueryFilter(options.query->view());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--query: ", parsed.status().message()));
    }
    filter = std::move(*parsed);
  }
  // The one instant the whole dump shows.
  ASSIGN_OR_RETURN(db::DatabaseSnapshot snapshot, db::DatabaseSnapshot::Take(db, options.database));
  std::vector<Selected> selected;
  for (const engine::CollectionHandle& collection : snapshot.collections()) {
    if (!options.collection.empty() && collection->collection_name() != options.collection) {
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<Document> indexes, snapshot.IndexSpecs(*collection));
    ASSIGN_OR_RETURN(engine::CollectionStats stats, snapshot.Stats(*collection));
    selected.push_back(Selected{collection, BuildMetadataJson(*collection, indexes), stats});
  }
  if (!options.collection.empty() && selected.empty()) {
    progress.Line(absl::StrCat("warning: collection ", options.database, ".", options.collection,
                               " does not exist; nothing to dump"));
  }

  std::vector<CollectionDumpResult> results;
  if (options.archive.has_value()) {
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> sink,
                     OpenSink(*options.archive, options.compression));
    ArchiveWriter writer(sink.get());
    std::vector<ArchivePreludeEntry> prelude;
    for (const Selected& s : selected) {
      prelude.push_back(ArchivePreludeEntry{std::string(s.collection->db_name()),
                                            std::string(s.collection->collection_name()),
                                            s.metadata, s.stats.data_bytes});
    }
    RETURN_IF_ERROR(writer.WriteHeader(prelude, kVersion, kVersion));
    for (const Selected& s : selected) {
      CollectionDumpResult result{s.collection->ns};
      std::string db_name(s.collection->db_name());
      std::string coll_name(s.collection->collection_name());
      progress.Begin(result.ns, s.stats.count, s.stats.data_bytes);
      RETURN_IF_ERROR(StreamCollection(
          snapshot, s, filter.get(), progress,
          [&](DocumentView doc) { return writer.WriteDocument(db_name, coll_name, doc); },
          &result));
      RETURN_IF_ERROR(writer.EndNamespace(db_name, coll_name));
      progress.End(Summary(result));
      results.push_back(std::move(result));
    }
    RETURN_IF_ERROR(sink->Close());
    return results;
  }

  const std::string suffix(CompressionSuffix(options.compression));
  for (const Selected& s : selected) {
    CollectionDumpResult result{s.collection->ns};
    std::filesystem::path dir =
        std::filesystem::path(options.out_dir) / std::string(s.collection->db_name());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat(dir.string(), ": cannot create: ", ec.message()));
    std::string base = (dir / EscapeCollectionName(s.collection->collection_name())).string();
    // The documents first, then the metadata: each file appears under its name only when
    // whole (byte_streams.h), and a collection's metadata file only after its documents.
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> bson,
                     OpenSink(base + ".bson" + suffix, options.compression));
    progress.Begin(result.ns, s.stats.count, s.stats.data_bytes);
    RETURN_IF_ERROR(StreamCollection(
        snapshot, s, filter.get(), progress,
        [&](DocumentView doc) {
          return bson->Write(
              absl::string_view(reinterpret_cast<const char*>(doc.data()), doc.size()));
        },
        &result));
    RETURN_IF_ERROR(bson->Close());
    {
      ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> meta,
                       OpenSink(base + ".metadata.json" + suffix, options.compression));
      RETURN_IF_ERROR(meta->Write(s.metadata));
      RETURN_IF_ERROR(meta->Close());
    }
    progress.End(Summary(result));
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace strata::tools::dump
