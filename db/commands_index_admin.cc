// validate and analyze: checking a collection against its indexes, and gathering index
// statistics for the planner.
//
// validate — {validate: <coll>, full?, background?, repair?, metadata?, checkBSONConformance?,
// enforceFastCount?}. Options are read as MongoDB does (truthiness, unknown fields ignored) and
// checked for MongoDB's conflicts (InvalidOptions); `repair: true` removes invalid documents,
// resets the counters and rebuilds every secondary index (DatabaseImpl::RepairCollection), then
// replies with a second validation plus repaired: true, numRemovedCorruptRecords,
// numRemovedExtraIndexEntries, numInsertedMissingIndexEntries, numIndexesRebuilt; `background`
// and `metadata` are otherwise accepted and the full check
// runs (it reads a snapshot, so it never blocks writers). Reply (MongoDB 8's shape):
//   {ns, uuid, nInvalidDocuments, nNonCompliantDocuments: 0, nrecords, nIndexes,
//    keysPerIndex: {_id_: n, <name>: n, …}, indexDetails: {<name>: {valid}}, valid,
//    repaired: false, warnings, errors, extraIndexEntries, missingIndexEntries, corruptRecords,
//    [advice when not valid], ok: 1}
// (db/validate_collection.h describes the checks and the entry documents.)
//
// analyze — {analyze: <coll>, key?: <path>, numberBuckets?: <int>}. MongoDB's analyze is
// experimental; Strata's builds statistics from the collection's ready secondary indexes
// (db/analyze_collection.h) and stores them for the planner. `key` restricts it to indexes whose
// leading field is that path (IndexNotFound when there is none); `numberBuckets` (> 0, capped at
// 64) sets the histogram size. MongoDB's sampling options (sampleRate, sampleSize, mode,
// samplingMethod, numChunks) are NotImplemented: every entry is read. Reply (Strata's own shape):
//   {indexes: [{name, entries, distinct, buckets: <number of buckets>}, …], ok: 1}
#include <bson/bson.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/analyze_collection.h"
#include "db/command_args.h"
#include "db/command_dispatcher.h"
#include "db/validate_collection.h"
#include "engine/catalog.h"
#include "query/planner/plan_cache.h"

namespace strata::db {
namespace {

// MongoDB's BSONElement::trueValue: absent, false, 0, null and undefined are false.
bool TrueValue(const bson_t& command, const char* field) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &command, field)) return false;
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_BOOL:
      return bson_iter_bool(&it);
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
      return bson_iter_as_double(&it) != 0.0;
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
      return false;
    default:
      return true;
  }
}

bool Present(const bson_t& command, const char* field) {
  bson_iter_t it;
  return bson_iter_init_find(&it, &command, field);
}

absl::Status InvalidOptions(absl::string_view message) {
  return MongoError(ErrorCode::kInvalidOptions, message);
}

// MongoDB's option checks, in its order.
absl::Status CheckValidateOptions(const bson_t& command) {
  const bool background = TrueValue(command, "background");
  const bool full = TrueValue(command, "full");
  const bool enforce_fast_count = TrueValue(command, "enforceFastCount");
  const bool check_bson = TrueValue(command, "checkBSONConformance");
  const bool repair = TrueValue(command, "repair");
  const bool metadata = TrueValue(command, "metadata");
  if (background && full) {
    return InvalidOptions(
        "Running the validate command with both { background: true } and { full: true } is not "
        "supported.");
  }
  if (background && enforce_fast_count) {
    return InvalidOptions(
        "Running the validate command with both { background: true } and { enforceFastCount: "
        "true } is not supported.");
  }
  if (Present(command, "checkBSONConformance") && !check_bson && (full || enforce_fast_count)) {
    return InvalidOptions(
        "Cannot explicitly set 'checkBSONConformance: false' with full validation set.");
  }
  if (background && repair) {
    return InvalidOptions(
        "Running the validate command with both { background: true } and { repair: true } is not "
        "supported.");
  }
  if (enforce_fast_count && repair) {
    return InvalidOptions(
        "Running the validate command with both { enforceFastCount: true } and { repair: true } "
        "is not supported.");
  }
  if (check_bson && repair) {
    return InvalidOptions(
        "Running the validate command with both { checkBSONConformance: true } and { repair: "
        "true } is not supported.");
  }
  if (metadata && (background || full || enforce_fast_count || check_bson || repair)) {
    return InvalidOptions(
        "Running the validate command with { metadata: true } is not supported with any other "
        "options");
  }
  return absl::OkStatus();
}

// A count as MongoDB's appendNumber shows it: int32 when it fits.
void AppendCount(bson_t* out, const char* key, int64_t value) {
  if (value >= INT32_MIN && value <= INT32_MAX) {
    bson_append_int32(out, key, -1, static_cast<int32_t>(value));
  } else {
    bson_append_int64(out, key, -1, value);
  }
}

void AppendStrings(bson_t* out, const char* key, const std::vector<std::string>& values) {
  bson_t array;
  bson_append_array_begin(out, key, -1, &array);
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string position = std::to_string(i);
    bson_append_utf8(&array, position.c_str(), -1, values[i].data(),
                     static_cast<int>(values[i].size()));
  }
  bson_append_array_end(out, &array);
}

void AppendDocuments(bson_t* out, const char* key, const std::vector<Document>& values) {
  bson_t array;
  bson_append_array_begin(out, key, -1, &array);
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string position = std::to_string(i);
    bson_append_document(&array, position.c_str(), -1, values[i].bson());
  }
  bson_append_array_end(out, &array);
}

void AppendValidateReply(const ValidateResult& result, bson_t* reply, bool repaired = false) {
  bson_append_utf8(reply, "ns", 2, result.ns.data(), static_cast<int>(result.ns.size()));
  if (result.uuid.size() == 16) {
    bson_append_binary(reply, "uuid", 4, BSON_SUBTYPE_UUID,
                       reinterpret_cast<const uint8_t*>(result.uuid.data()), 16);
  }
  AppendCount(reply, "nInvalidDocuments", result.invalid_documents);
  AppendCount(reply, "nNonCompliantDocuments", 0);
  AppendCount(reply, "nrecords", result.records);
  AppendCount(reply, "nIndexes", static_cast<int64_t>(result.indexes.size()));
  bson_t keys, details;
  bson_append_document_begin(reply, "keysPerIndex", -1, &keys);
  for (const IndexValidateResult& index : result.indexes) {
    AppendCount(&keys, index.name.c_str(), index.keys);
  }
  bson_append_document_end(reply, &keys);
  bson_append_document_begin(reply, "indexDetails", -1, &details);
  for (const IndexValidateResult& index : result.indexes) {
    bson_t detail;
    bson_append_document_begin(&details, index.name.c_str(), -1, &detail);
    bson_append_bool(&detail, "valid", 5, index.valid);
    bson_append_document_end(&details, &detail);
  }
  bson_append_document_end(reply, &details);
  bson_append_bool(reply, "valid", 5, result.valid);
  bson_append_bool(reply, "repaired", 8, repaired);
  AppendStrings(reply, "warnings", result.warnings);
  AppendStrings(reply, "errors", result.errors);
  AppendDocuments(reply, "extraIndexEntries", result.extra_index_entries);
  AppendDocuments(reply, "missingIndexEntries", result.missing_index_entries);
  bson_t corrupt;
  bson_append_array_begin(reply, "corruptRecords", -1, &corrupt);
  for (size_t i = 0; i < result.corrupt_records.size(); ++i) {
    const std::string position = std::to_string(i);
    const std::string& id = result.corrupt_records[i];
    bson_append_binary(&corrupt, position.c_str(), -1, BSON_SUBTYPE_BINARY,
                       reinterpret_cast<const uint8_t*>(id.data()),
                       static_cast<uint32_t>(id.size()));
  }
  bson_append_array_end(reply, &corrupt);
  if (!result.valid) {
    bson_append_utf8(reply, "advice", 6,
                     "A corrupt namespace has been detected. See "
                     "http://dochub.mongodb.org/core/data-recovery for recovery steps.",
                     -1);
  }
}

absl::Status Validate(CommandContext& context, const bson_t& command, bson_t* reply) {
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  RETURN_IF_ERROR(CheckValidateOptions(command));
  engine::CollectionHandle info = context.db.catalog().Find(ns);
  if (info == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound,
                      absl::StrCat("Collection '", ns, "' does not exist to validate."));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes,
                   context.db.index_cache().Get(info));
  ValidateOptions options;
  options.full = TrueValue(command, "full");
  // The same memory budget as an index build of this database.
  if (const size_t budget = context.db.engine().options().index_build_memory_bytes; budget > 0) {
    options.memory_budget_bytes = budget;
  }
  ASSIGN_OR_RETURN(
      ValidateResult result,
      ValidateCollection(context.db.engine(), context.db.catalog(), *indexes, options));
  if (!TrueValue(command, "repair")) {
    AppendValidateReply(result, reply);
    return absl::OkStatus();
  }
  // repair: fix what the first pass found, then report a second pass (MongoDB's repair mode
  // fields: what was repaired, then the state after it).
  ASSIGN_OR_RETURN(RepairResult repaired, context.db.RepairCollection(ns));
  info = context.db.catalog().Find(ns);
  ASSIGN_OR_RETURN(indexes, context.db.index_cache().Get(info));
  ASSIGN_OR_RETURN(
      ValidateResult after,
      ValidateCollection(context.db.engine(), context.db.catalog(), *indexes, options));
  AppendValidateReply(after, reply, /*repaired=*/true);
  AppendCount(reply, "numRemovedCorruptRecords", repaired.removed_corrupt_records);
  AppendCount(reply, "numRemovedExtraIndexEntries", result.extra_count);
  AppendCount(reply, "numInsertedMissingIndexEntries", result.missing_count);
  AppendCount(reply, "numIndexesRebuilt", repaired.indexes_rebuilt);
  return absl::OkStatus();
}

// MongoDB's checks of analyze's `key` path.
absl::Status CheckKeyPath(absl::string_view key) {
  if (key.empty()) return MongoError(static_cast<ErrorCode>(6799703), "Key path is empty");
  for (absl::string_view part : absl::StrSplit(key, '.')) {
    if (part.empty()) {
      return MongoError(static_cast<ErrorCode>(15998),
                        "FieldPath field names may not be empty strings.");
    }
    if (part.front() == '$') {
      return MongoError(static_cast<ErrorCode>(16410),
                        absl::StrCat("FieldPath field names may not start with '$'. Consider "
                                     "using $getField or $setField."));
    }
  }
  for (absl::string_view part : absl::StrSplit(key, '.')) {
    if (std::all_of(part.begin(), part.end(), [](char c) { return absl::ascii_isdigit(c); })) {
      return MongoError(static_cast<ErrorCode>(6799704),
                        absl::StrCat("Key path contains numeric component ", part));
    }
  }
  return absl::OkStatus();
}

absl::Status Analyze(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "analyze");
  RETURN_IF_ERROR(args.CheckKnownFields(
      {"key", "numberBuckets", "sampleRate", "sampleSize", "mode", "samplingMethod", "numChunks"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  const std::string ns = context.Namespace(collection);
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  AnalyzeOptions options;
  ASSIGN_OR_RETURN(options.key, args.String("key"));
  ASSIGN_OR_RETURN(std::optional<int64_t> buckets, args.Integer("numberBuckets"));
  for (const char* unsupported :
       {"sampleRate", "sampleSize", "mode", "samplingMethod", "numChunks"}) {
    if (args.Has(unsupported)) {
      return MongoError(ErrorCode::kNotImplemented,
                        absl::StrCat("analyze: '", unsupported,
                                     "' is not supported: Strata reads every index entry"));
    }
  }
  if (buckets.has_value()) {
    if (*buckets <= 0) {
      return MongoError(ErrorCode::kLocation51024,
                        absl::StrCat("BSON field 'numberBuckets' value must be > 0, actual value '",
                                     *buckets, "'"));
    }
    options.max_buckets = static_cast<int>(std::min<int64_t>(*buckets, kMaxHistogramBuckets));
  }
  engine::CollectionHandle info = context.db.catalog().Find(ns);
  if (info == nullptr) {
    return MongoError(static_cast<ErrorCode>(6799700),
                      absl::StrCat("Couldn't find collection ", ns));
  }
  if (options.key.has_value()) RETURN_IF_ERROR(CheckKeyPath(*options.key));
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes,
                   context.db.index_cache().Get(info));
  ASSIGN_OR_RETURN(std::vector<IndexAnalysis> analyses,
                   AnalyzeCollection(context.db.engine(), context.db.catalog(), *indexes, options));
  bson_t array;
  bson_append_array_begin(reply, "indexes", 7, &array);
  for (size_t i = 0; i < analyses.size(); ++i) {
    const IndexAnalysis& analysis = analyses[i];
    const std::string position = std::to_string(i);
    bson_t item;
    bson_append_document_begin(&array, position.c_str(), -1, &item);
    bson_append_utf8(&item, "name", 4, analysis.index_name.data(),
                     static_cast<int>(analysis.index_name.size()));
    bson_append_int64(&item, "entries", 7, analysis.entries);
    bson_append_int64(&item, "distinct", 8, analysis.distinct);
    bson_append_int32(&item, "buckets", 7, static_cast<int32_t>(analysis.buckets.size()));
    bson_append_document_end(&array, &item);
  }
  bson_append_array_end(reply, &array);
  return absl::OkStatus();
}

// {planCacheClear: <coll>[, query, sort, projection]}: forgets the collection's cached plans,
// or only the shape of the given query. A missing collection has nothing cached: ok.
absl::Status PlanCacheClear(CommandContext& context, const bson_t& command, bson_t* reply) {
  CommandArgs args(command, "planCacheClear");
  RETURN_IF_ERROR(args.CheckKnownFields({"query", "sort", "projection", "comment"}));
  ASSIGN_OR_RETURN(std::string collection, CollectionNameArg(command, "collection name"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> query, args.Object("query"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> sort, args.Object("sort"));
  ASSIGN_OR_RETURN(std::optional<DocumentView> projection, args.Object("projection"));
  if (!query.has_value() && (sort.has_value() || projection.has_value())) {
    return MongoError(ErrorCode::kBadValue, "sort or projection provided without query");
  }
  engine::CollectionHandle info = context.db.catalog().Find(context.Namespace(collection));
  if (info == nullptr || info->indexes.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> indexes,
                   context.db.index_cache().Get(info));
  if (!query.has_value()) {
    indexes->plan_cache().Clear();
    return absl::OkStatus();
  }
  // Every size class of skip + limit shares the filter, sort and projection: forget them all.
  const Document empty;
  const DocumentView sort_view = sort.value_or(empty.view());
  const DocumentView projection_view = projection.value_or(empty.view());
  for (int64_t wanted : {int64_t{0}, int64_t{1}}) {
    for (int size_class = 0; size_class < 64; ++size_class) {
      const int64_t limit = wanted == 0 ? 0 : (int64_t{1} << size_class);
      query::planner::QueryShape shape =
          query::planner::QueryShapeOf(*query, sort_view, projection_view, 0, limit);
      indexes->plan_cache().Forget(shape.key);
      if (wanted == 0) break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterIndexAdminCommands(CommandRegistry& registry) {
  registry.Add("validate", &Validate);
  registry.Add("analyze", &Analyze);
  registry.Add("planCacheClear", &PlanCacheClear);
}

}  // namespace strata::db
