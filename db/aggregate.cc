#include "db/aggregate.h"

#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/command_args.h"
#include "db/database_impl.h"
#include "db/explain_plan.h"
#include "engine/collection_stats.h"
#include "query/pipeline/internal.h"

namespace strata::db {
namespace {

namespace pl = query::pipeline;
using pl::StagePtr;

// The collection read at the head of a pipeline (and every read a stage makes): a planned
// QueryExecution, its documents copied out.
class ExecutionStage final : public pl::Stage {
 public:
  ExecutionStage(std::unique_ptr<QueryExecution> execution, std::string ns)
      : execution_(std::move(execution)), ns_(std::move(ns)) {}
  std::string name() const override { return "$cursor"; }
  void AppendExplain(bson_t* out) const override {}
  const QueryExecution& execution() const { return *execution_; }
  const std::string& ns() const { return ns_; }

 protected:
  absl::StatusOr<std::optional<Document>> DoNext() override {
    ASSIGN_OR_RETURN(std::optional<absl::string_view> next, execution_->Next());
    if (!next.has_value()) return std::optional<Document>();
    return std::optional<Document>(
        Document::Copy(DocumentView(reinterpret_cast<const uint8_t*>(next->data()), next->size())));
  }

 private:
  std::unique_ptr<QueryExecution> execution_;
  std::string ns_;
};

class DatabasePipelineHost final : public pl::PipelineHost {
 public:
  DatabasePipelineHost(DatabaseImpl& db, std::string db_name)
      : db_(db), db_name_(std::move(db_name)) {}

  std::string Namespace(absl::string_view collection) const {
    return absl::StrCat(db_name_, ".", collection);
  }

  absl::StatusOr<StagePtr> Read(absl::string_view collection, pl::ReadRequest request) override {
    QuerySpec spec;
    spec.filter = std::move(request.filter);
    spec.sort = std::move(request.sort);
    spec.projection = std::move(request.projection);
    spec.skip = request.skip;
    spec.limit = request.limit;
    bson_iter_t hint;
    if (bson_iter_init_find(&hint, request.hint.bson(), "hint")) {
      ASSIGN_OR_RETURN(spec.hint, query::planner::Hint::Parse(hint));
    }
    std::string ns = Namespace(collection);
    ASSIGN_OR_RETURN(std::unique_ptr<QueryExecution> execution, db_.Query(ns, std::move(spec)));
    return StagePtr(new ExecutionStage(std::move(execution), std::move(ns)));
  }

  absl::StatusOr<pl::ForeignCollectionInfo> DescribeForeign(absl::string_view collection,
                                                            absl::string_view field) override {
    pl::ForeignCollectionInfo info;
    engine::CollectionHandle handle = db_.catalog().Find(Namespace(collection));
    if (handle == nullptr) return info;
    info.exists = true;
    ASSIGN_OR_RETURN(engine::CollectionStats stats,
                     engine::ReadCollectionStats(db_.engine(), handle->id));
    info.documents = stats.count;
    info.average_bytes = stats.count > 0 ? stats.data_bytes / stats.count : 0;
    if (field == "_id") {
      info.field_indexed = true;  // documents are clustered by _id
      info.index_name = "_id_";
      info.matches_per_key = 1;
      return info;
    }
    if (!handle->indexes.empty()) {
      ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> compiled,
                       db_.index_cache().Get(handle));
      ASSIGN_OR_RETURN(std::vector<query::planner::IndexInfo> indexes,
                       PlannerIndexes(*compiled, db_.engine()));
      for (const auto& index : indexes) {
        if (!index.ready || index.hidden || index.partial_filter.has_value() || index.sparse) {
          continue;
        }
        if (!index.shape.key_parts.empty() && index.shape.key_parts[0].path == field) {
          info.field_indexed = true;
          info.index_multikey = index.multikey;
          info.index_name = index.name;
          break;
        }
      }
    }
    ASSIGN_OR_RETURN(info.matches_per_key,
                     SampleMatchesPerKey(collection, field, info.field_indexed));
    return info;
  }

  // Documents per distinct value of `field` in a sample of kSample documents: the first ones
  // in the field's order when an index provides it (runs of equal values are then contiguous),
  // else the first in `_id` order (an underestimate of duplication).
  absl::StatusOr<double> SampleMatchesPerKey(absl::string_view collection, absl::string_view field,
                                             bool indexed) {
    constexpr int64_t kSample = 1000;
    QuerySpec spec;
    if (indexed) {
      bson_append_int32(spec.sort.mutable_bson(), field.data(), static_cast<int>(field.size()), 1);
    }
    spec.limit = kSample;
    ASSIGN_OR_RETURN(std::unique_ptr<QueryExecution> read,
                     db_.Query(Namespace(collection), std::move(spec)));
    absl::flat_hash_set<std::string> keys;
    int64_t n = 0;
    const std::vector<std::string> path = pl::internal::SplitPath(field);
    while (true) {
      ASSIGN_OR_RETURN(std::optional<absl::string_view> next, read->Next());
      if (!next.has_value()) break;
      ++n;
      query::expression::Value v = pl::internal::GetPathNoArrays(
          DocumentView(reinterpret_cast<const uint8_t*>(next->data()), next->size()), path);
      keys.insert(v.missing() ? std::string("missing") : v.DebugString());
    }
    if (n == 0 || keys.empty()) return 0.0;
    return static_cast<double>(n) / static_cast<double>(keys.size());
  }

  // $out's write: the documents go into a temporary collection (with the target's indexes),
  // which is then renamed over the target in one catalog write. ATOMICITY: readers see the old
  // target or the new one, never a mix; a failure before the rename leaves the target as it
  // was (the temporary collection is dropped). The inserts are durable as every insert; the
  // rename commits through the WAL like every DDL change. Collection options (validators) of
  // the old target are not carried over.
  absl::Status ReplaceCollection(absl::string_view collection,
                                 std::vector<Document> docs) override {
    const std::string target = Namespace(collection);
    RETURN_IF_ERROR(engine::ValidateNamespace(target));
    std::mt19937_64 random(std::random_device{}());
    const std::string temp = Namespace(absl::StrFormat("tmp.agg_out.%016x", random()));
    RETURN_IF_ERROR(db_.CreateCollection(temp, DocumentView()));
    absl::Status status = FillTemporary(target, temp, docs);
    if (status.ok()) status = db_.RenameCollection(temp, target, /*drop_target=*/true);
    if (!status.ok()) {
      db_.DropCollection(temp).IgnoreError();
      return status;
    }
    return absl::OkStatus();
  }

  // $merge: one document at a time (each write atomic and durable on its own; the stage as a
  // whole is not atomic, as in MongoDB).
  absl::Status MergeInto(absl::string_view collection, const MergeSpec& spec,
                         DocumentView doc) override {
    const std::string ns = Namespace(collection);
    Document filter;
    bool id_missing = false;
    for (const std::string& field : spec.on) {
      query::expression::Value v =
          pl::internal::GetPathNoArrays(doc, pl::internal::SplitPath(field));
      if (v.missing() && field == "_id") {
        id_missing = true;
        continue;
      }
      if (v.nullish() || v.is_array()) {
        return MongoError(static_cast<ErrorCode>(51132),
                          "$merge write error: 'on' field cannot be missing, null, undefined or "
                          "an array");
      }
      v.AppendTo(filter.mutable_bson(), field);
    }
    std::optional<Document> existing;
    if (!id_missing) {
      QuerySpec spec_read;
      spec_read.filter = filter.Clone();
      spec_read.limit = 1;
      ASSIGN_OR_RETURN(std::unique_ptr<QueryExecution> read, db_.Query(ns, std::move(spec_read)));
      ASSIGN_OR_RETURN(std::optional<absl::string_view> found, read->Next());
      if (found.has_value()) {
        existing = Document::Copy(
            DocumentView(reinterpret_cast<const uint8_t*>(found->data()), found->size()));
      }
    }
    if (!existing.has_value()) {
      if (spec.when_not_matched == "discard") return absl::OkStatus();
      if (spec.when_not_matched == "fail") {
        return MongoError(static_cast<ErrorCode>(13113),
                          "$merge could not find a matching document in the target collection "
                          "for at least one document in the source collection");
      }
      ASSIGN_OR_RETURN(InsertResult result, db_.Insert(ns, {doc}, true));
      if (!result.errors.empty()) return result.errors[0].status;
      return absl::OkStatus();
    }
    if (spec.when_matched == "keepExisting") return absl::OkStatus();
    if (spec.when_matched == "fail") {
      return MongoError(ErrorCode::kDuplicateKey,
                        absl::StrCat("$merge failed: a document with the same 'on' fields "
                                     "already exists in ",
                                     ns));
    }
    UpdateSpec update;
    bson_iter_t id;
    bson_iter_init_find(&id, existing->bson(), "_id");
    bson_append_iter(update.filter.mutable_bson(), "_id", 3, &id);
    if (spec.when_matched == "replace") {
      update.update = Document::Copy(doc);
    } else {
      bson_t set;
      bson_append_document_begin(update.update.mutable_bson(), "$set", 4, &set);
      bson_t in;
      doc.AsBson(&in);
      bson_iter_t it;
      bson_iter_init(&it, &in);
      int fields = 0;
      while (bson_iter_next(&it)) {
        if (std::string_view(bson_iter_key(&it)) == "_id") continue;
        bson_append_iter(&set, bson_iter_key(&it), -1, &it);
        ++fields;
      }
      bson_append_document_end(update.update.mutable_bson(), &set);
      if (fields == 0) return absl::OkStatus();
    }
    return db_.Update(ns, update).status();
  }

 private:
  absl::Status FillTemporary(const std::string& target, const std::string& temp,
                             const std::vector<Document>& docs) {
    // The target's secondary indexes, so the new collection answers queries the same way.
    if (db_.catalog().Find(target) != nullptr) {
      ASSIGN_OR_RETURN(std::vector<Document> indexes, db_.ListIndexes(target));
      std::vector<Document> specs;
      std::vector<DocumentView> views;
      for (const Document& index : indexes) {
        bson_iter_t name;
        if (bson_iter_init_find(&name, index.bson(), "name") && BSON_ITER_HOLDS_UTF8(&name) &&
            std::string_view(bson_iter_utf8(&name, nullptr)) == "_id_") {
          continue;
        }
        Document spec;
        bson_iter_t it;
        bson_iter_init(&it, index.bson());
        while (bson_iter_next(&it)) {
          std::string_view key = bson_iter_key(&it);
          if (key == "ns" || key == "v") continue;
          bson_append_iter(spec.mutable_bson(), key.data(), static_cast<int>(key.size()), &it);
        }
        specs.push_back(std::move(spec));
      }
      for (const Document& s : specs) views.push_back(s.view());
      if (!views.empty()) RETURN_IF_ERROR(db_.CreateIndexes(temp, views, false).status());
    }
    constexpr size_t kChunk = 1000;
    for (size_t begin = 0; begin < docs.size(); begin += kChunk) {
      std::vector<DocumentView> views;
      for (size_t i = begin; i < std::min(docs.size(), begin + kChunk); ++i) {
        views.push_back(docs[i].view());
      }
      ASSIGN_OR_RETURN(InsertResult result, db_.Insert(temp, views, true));
      if (!result.errors.empty()) return result.errors[0].status;
    }
    return absl::OkStatus();
  }

  DatabaseImpl& db_;
  std::string db_name_;
};

absl::StatusOr<pl::JoinStrategy> ParseJoinStrategy(absl::string_view name) {
  if (name == "auto") return pl::JoinStrategy::kAuto;
  if (name == "hash") return pl::JoinStrategy::kHashJoin;
  if (name == "indexedLoop") return pl::JoinStrategy::kIndexedLoop;
  if (name == "nestedLoop") return pl::JoinStrategy::kNestedLoopScan;
  if (name == "perDocument") return pl::JoinStrategy::kPerDocumentQuery;
  return MongoError(ErrorCode::kBadValue, absl::StrCat("unknown join strategy: ", name));
}

// Stages that may start a pipeline without a collection ({aggregate: 1}).
bool CollectionlessStage(absl::string_view name) { return name == "$documents"; }

}  // namespace

absl::StatusOr<AggregateRequest> ParseAggregateRequest(const CommandContext& context,
                                                       const bson_t& command) {
  CommandArgs args(command, "aggregate");
  RETURN_IF_ERROR(
      args.CheckKnownFields({"pipeline", "cursor", "allowDiskUse", "let", "hint", "explain",
                             "collation", "bypassDocumentValidation", "readConcern",
                             "$_internalJoinStrategy", "$_internalMemoryLimitBytes"}));
  AggregateRequest request;
  request.db_name = context.db_name;
  bson_iter_t first;
  bson_iter_init(&first, &command);
  bson_iter_next(&first);
  if (BSON_ITER_HOLDS_UTF8(&first)) {
    request.collection = bson_iter_utf8(&first, nullptr);
    if (request.collection.empty()) {
      return MongoError(ErrorCode::kInvalidNamespace,
                        absl::StrCat("Invalid namespace specified '", context.db_name, ".'"));
    }
  } else if (!((BSON_ITER_HOLDS_INT32(&first) || BSON_ITER_HOLDS_INT64(&first) ||
                BSON_ITER_HOLDS_DOUBLE(&first)) &&
               bson_iter_as_int64(&first) == 1)) {
    return MongoError(ErrorCode::kFailedToParse,
                      "Invalid command format: the 'aggregate' field must specify a collection "
                      "name or 1");
  }
  RETURN_IF_ERROR(args.RequiredArray("pipeline").status());
  bson_iter_t pipeline;
  bson_iter_init_find(&pipeline, &command, "pipeline");
  request.pipeline = Document::Copy(EmbeddedView(pipeline));
  ASSIGN_OR_RETURN(std::optional<bool> explain, args.Bool("explain"));
  request.explain = explain.value_or(false);
  ASSIGN_OR_RETURN(std::optional<DocumentView> cursor, args.Object("cursor"));
  if (!cursor.has_value() && !request.explain) {
    return MongoError(ErrorCode::kFailedToParse,
                      "The 'cursor' option is required, except for aggregate with the explain "
                      "argument");
  }
  if (cursor.has_value()) {
    bson_t cursor_bson;
    cursor->AsBson(&cursor_bson);
    bson_iter_t it;
    bson_iter_init(&it, &cursor_bson);
    while (bson_iter_next(&it)) {
      absl::string_view key = bson_iter_key(&it);
      if (key != "batchSize") {
        return MongoError(ErrorCode::kLocation40415, absl::StrCat("BSON field 'aggregate.cursor.",
                                                                  key, "' is an unknown field."));
      }
      if (!BSON_ITER_HOLDS_INT32(&it) && !BSON_ITER_HOLDS_INT64(&it) &&
          !BSON_ITER_HOLDS_DOUBLE(&it)) {
        return args.WrongType("cursor.batchSize", it, "int");
      }
      int64_t n = bson_iter_as_int64(&it);
      if (n < 0) {
        return MongoError(
            ErrorCode::kLocation51024,
            absl::StrCat("BSON field 'batchSize' value must be >= 0, actual value '", n, "'"));
      }
      request.batch_size = n;
    }
  }
  ASSIGN_OR_RETURN(std::optional<bool> allow_disk_use, args.Bool("allowDiskUse"));
  request.options.allow_disk_use = allow_disk_use.value_or(false);
  ASSIGN_OR_RETURN(std::optional<DocumentView> let, args.Object("let"));
  if (let.has_value()) request.let = Document::Copy(*let);
  bson_iter_t hint;
  if (bson_iter_init_find(&hint, &command, "hint")) {
    bson_append_iter(request.hint.mutable_bson(), "hint", 4, &hint);
  }
  request.options.memory_limit_bytes = context.db.engine().options().aggregation_memory_bytes;
  ASSIGN_OR_RETURN(std::optional<int64_t> limit, args.Integer("$_internalMemoryLimitBytes"));
  if (limit.has_value() && *limit > 0)
    request.options.memory_limit_bytes = static_cast<size_t>(*limit);
  ASSIGN_OR_RETURN(std::optional<std::string> strategy, args.String("$_internalJoinStrategy"));
  if (strategy.has_value()) {
    ASSIGN_OR_RETURN(request.options.join_strategy, ParseJoinStrategy(*strategy));
  }
  request.options.temp_dir = context.db.engine().path() + "/_tmp";
  return request;
}

struct AggregateExecution::State {
  std::unique_ptr<DatabasePipelineHost> host;
  pl::PipelineContext context;
  std::unique_ptr<pl::Pipeline> pipeline;
  const ExecutionStage* source = nullptr;  // the pushed-down read (null without a collection)
  QuerySpec pushed;                        // what was pushed down (explain)
  std::optional<Document> peeked;
  Document current;
  bool done = false;
};

AggregateExecution::~AggregateExecution() = default;

absl::StatusOr<std::unique_ptr<AggregateExecution>> AggregateExecution::Create(
    DatabaseImpl& db, AggregateRequest request) {
  auto execution = std::unique_ptr<AggregateExecution>(new AggregateExecution());
  execution->state_ = std::make_unique<State>();
  State& state = *execution->state_;
  state.host = std::make_unique<DatabasePipelineHost>(db, request.db_name);
  state.context.host = state.host.get();
  state.context.options = request.options;
  state.context.now_millis = request.options.now_millis.value_or(absl::ToUnixMillis(absl::Now()));
  RETURN_IF_ERROR(pl::SetLetVariables(request.let.view(), &state.context));

  ASSIGN_OR_RETURN(std::vector<pl::StageSpec> specs, pl::ParsePipeline(request.pipeline.view()));
  StagePtr source;
  if (request.collection.empty()) {
    if (specs.empty() || !CollectionlessStage(specs[0].name)) {
      return MongoError(
          ErrorCode::kInvalidNamespace,
          absl::StrCat("{aggregate: 1} is not valid for '",
                       specs.empty() ? std::string("an empty pipeline") : specs[0].name,
                       "'; a collection is required."));
    }
  } else {
    RETURN_IF_ERROR(engine::ValidateNamespace(request.ns()));
    if (!specs.empty() && specs[0].name == "$documents") {
      return MongoError(ErrorCode::kInvalidNamespace,
                        "$documents' is not allowed in user requests with a collection");
    }
    pl::OptimizePipeline(&specs);
    // A leading $match with $expr stays a stage: the planner's filter parser does not see the
    // command's `let` variables.
    bool pushable = true;
    if (!specs.empty() && specs[0].name == "$match") {
      absl::string_view bytes(reinterpret_cast<const char*>(specs[0].stage.data()),
                              specs[0].stage.size());
      pushable = bytes.find("$expr") == absl::string_view::npos || request.let.view().empty();
    }
    pl::ReadRequest read;
    const bool find_sort_budget = !request.options.allow_disk_use &&
                                  request.options.memory_limit_bytes == (size_t{100} << 20);
    if (pushable) read = pl::ExtractPushdown(&specs, find_sort_budget);
    read.hint = request.hint.Clone();
    state.pushed.filter = read.filter.Clone();
    state.pushed.sort = read.sort.Clone();
    state.pushed.skip = read.skip;
    state.pushed.limit = read.limit;
    ASSIGN_OR_RETURN(source, state.host->Read(request.collection, std::move(read)));
    state.source = static_cast<const ExecutionStage*>(source.get());
    if (const query::planner::PlanChoice* plan = state.source->execution().plan()) {
      state.context.outer_rows_estimate = plan->winner.rows;
    } else {
      state.context.outer_rows_estimate = 0;
    }
  }
  ASSIGN_OR_RETURN(state.pipeline,
                   pl::Pipeline::Build(std::move(specs), std::move(source), state.context));
  return execution;
}

absl::StatusOr<bool> AggregateExecution::HasNext() {
  State& s = *state_;
  if (s.peeked.has_value()) return true;
  if (s.done) return false;
  ASSIGN_OR_RETURN(std::optional<Document> next, s.pipeline->Next());
  if (!next.has_value()) {
    s.done = true;
    return false;
  }
  s.peeked = std::move(next);
  return true;
}

absl::StatusOr<std::optional<absl::string_view>> AggregateExecution::Next() {
  ASSIGN_OR_RETURN(bool more, HasNext());
  if (!more) return std::optional<absl::string_view>();
  State& s = *state_;
  s.current = std::move(*s.peeked);
  s.peeked.reset();
  return std::optional<absl::string_view>(
      absl::string_view(reinterpret_cast<const char*>(s.current.data()), s.current.size()));
}

void AggregateExecution::AppendExplain(bson_t* out, bool executed) const {
  const State& s = *state_;
  bson_t stages;
  bson_append_array_begin(out, "stages", -1, &stages);
  int index = 0;
  for (const StagePtr& stage : s.pipeline->stages()) {
    std::string key = std::to_string(index++);
    bson_t entry;
    bson_append_document_begin(&stages, key.c_str(), -1, &entry);
    if (stage.get() == s.source) {
      bson_t cursor, planner;
      bson_append_document_begin(&entry, "$cursor", -1, &cursor);
      bson_append_document_begin(&cursor, "queryPlanner", -1, &planner);
      bson_append_utf8(&planner, "namespace", -1, s.source->ns().c_str(), -1);
      bson_append_document(&planner, "parsedQuery", -1, s.pushed.filter.bson());
      const QueryExecution& execution = s.source->execution();
      const query::planner::PlanChoice* choice = execution.plan();
      if (choice != nullptr) {
        ExecutionCounters counters{execution.n_returned(), execution.keys_examined(),
                                   execution.docs_examined()};
        AppendPlanStages(choice->winner, execution.indexes(), s.pushed,
                         executed ? &counters : nullptr, "winningPlan", &planner);
        bson_t rejected;
        bson_append_array_begin(&planner, "rejectedPlans", -1, &rejected);
        for (size_t i = 0; i < choice->rejected.size(); ++i) {
          std::string k = std::to_string(i);
          AppendPlanStages(choice->rejected[i], execution.indexes(), s.pushed, nullptr, k.c_str(),
                           &rejected);
        }
        bson_append_array_end(&planner, &rejected);
      } else {
        bson_t eof;
        bson_append_document_begin(&planner, "winningPlan", -1, &eof);
        bson_append_utf8(&eof, "stage", -1, "EOF", -1);
        bson_append_document_end(&planner, &eof);
      }
      bson_append_document_end(&cursor, &planner);
      if (executed && choice != nullptr && execution.root_stage() != nullptr) {
        // MongoDB's $cursor executionStats: the executed stage tree with its own counters.
        bson_t stats;
        bson_append_document_begin(&cursor, "executionStats", -1, &stats);
        bson_append_int64(&stats, "nReturned", -1, execution.n_returned());
        bson_append_int64(&stats, "totalKeysExamined", -1, execution.keys_examined());
        bson_append_int64(&stats, "totalDocsExamined", -1, execution.docs_examined());
        AppendExecutionStages(*execution.root_stage(), choice->winner, /*count_only=*/false,
                              "executionStages", &stats);
        bson_append_document_end(&cursor, &stats);
      }
      bson_append_document_end(&entry, &cursor);
    } else {
      bson_t details = BSON_INITIALIZER;
      stage->AppendExplain(&details);
      if (bson_empty(&details)) {
        bson_t empty;
        bson_append_document_begin(&entry, stage->name().c_str(), -1, &empty);
        bson_append_document_end(&entry, &empty);
      } else {
        bson_concat(&entry, &details);
      }
      bson_destroy(&details);
    }
    if (executed) bson_append_int64(&entry, "nReturned", -1, stage->n_returned());
    bson_append_document_end(&stages, &entry);
  }
  bson_append_array_end(out, &stages);
}

absl::StatusOr<std::function<absl::StatusOr<Document>(DocumentView)>> MakePipelineUpdate(
    DocumentView pipeline_array) {
  ASSIGN_OR_RETURN(std::vector<pl::StageSpec> specs, pl::ParsePipeline(pipeline_array));
  for (const pl::StageSpec& spec : specs) {
    if (spec.name != "$addFields" && spec.name != "$set" && spec.name != "$project" &&
        spec.name != "$unset" && spec.name != "$replaceRoot" && spec.name != "$replaceWith") {
      return MongoError(ErrorCode::kInvalidOptions,
                        absl::StrCat(spec.name, " is not allowed to be used within an update"));
    }
  }
  auto context = std::make_shared<pl::PipelineContext>();
  context->now_millis = absl::ToUnixMillis(absl::Now());
  // Build once now so that stage errors surface when the update is parsed.
  {
    std::vector<pl::StageSpec> copy;
    for (const pl::StageSpec& s : specs) copy.push_back(pl::StageSpec{s.name, s.stage.Clone()});
    RETURN_IF_ERROR(pl::Pipeline::Build(std::move(copy), nullptr, *context).status());
  }
  auto shared = std::make_shared<const std::vector<pl::StageSpec>>(std::move(specs));
  return std::function<absl::StatusOr<Document>(DocumentView)>(
      [shared, context](DocumentView doc) -> absl::StatusOr<Document> {
        std::vector<pl::StageSpec> copy;
        for (const pl::StageSpec& s : *shared) {
          copy.push_back(pl::StageSpec{s.name, s.stage.Clone()});
        }
        auto input = std::make_shared<std::vector<Document>>();
        input->push_back(Document::Copy(doc));
        ASSIGN_OR_RETURN(
            std::unique_ptr<pl::Pipeline> pipeline,
            pl::Pipeline::Build(std::move(copy), std::make_unique<pl::internal::BufferStage>(input),
                                *context));
        ASSIGN_OR_RETURN(std::optional<Document> out, pipeline->Next());
        if (!out.has_value()) return Document();
        return std::move(*out);
      });
}

absl::Status ExplainAggregate(CommandContext& context, const bson_t& aggregate_command,
                              absl::string_view verbosity, bson_t* reply) {
  ASSIGN_OR_RETURN(AggregateRequest request, ParseAggregateRequest(context, aggregate_command));
  // Explain never writes: $out/$merge are shown but not run.
  bool writes = false;
  {
    ASSIGN_OR_RETURN(std::vector<pl::StageSpec> specs, pl::ParsePipeline(request.pipeline.view()));
    writes = !specs.empty() && (specs.back().name == "$out" || specs.back().name == "$merge");
  }
  const bool execute = verbosity != "queryPlanner" && !writes;
  ASSIGN_OR_RETURN(std::unique_ptr<AggregateExecution> execution,
                   AggregateExecution::Create(context.db, std::move(request)));
  if (execute) {
    while (true) {
      ASSIGN_OR_RETURN(std::optional<absl::string_view> next, execution->Next());
      if (!next.has_value()) break;
    }
  }
  bson_append_utf8(reply, "explainVersion", -1, "1", -1);
  execution->AppendExplain(reply, execute);
  bson_append_document(reply, "command", -1, &aggregate_command);
  return absl::OkStatus();
}

}  // namespace strata::db
