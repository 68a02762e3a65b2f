// The public API (include/strata/*.h) over DatabaseImpl.
#include "strata/database.h"

#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "db/command_dispatcher.h"
#include "db/database_impl.h"
#include "document/validate.h"
#include "index/index_spec.h"
#include "strata/error.h"

namespace strata {

namespace {

// The C++ API's filter, update, sort, projection, array filter and index arguments are untrusted
// input like a command's: the strict validator runs before any (recursive) parser reads them.
// Documents to store are checked by PrepareForStorage on the write path.
absl::Status CheckArguments(std::initializer_list<DocumentView> arguments) {
  for (DocumentView argument : arguments) {
    absl::Status valid = document::ValidateInput(argument, document::InputKind::kDocument);
    if (!valid.ok()) return valid;
  }
  return absl::OkStatus();
}

}  // namespace

int MongoErrorCode(const absl::Status& status) { return static_cast<int>(ErrorCodeOf(status)); }

std::string MongoErrorCodeName(const absl::Status& status) {
  return ErrorCodeName(ErrorCodeOf(status));
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const DatabaseOptions& options) {
  auto impl = db::DatabaseImpl::Open(path, options);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Database>(new Database(std::move(*impl)));
}

Database::Database(std::unique_ptr<db::DatabaseImpl> impl) : impl_(std::move(impl)) {}

Database::~Database() {
  if (impl_ != nullptr) impl_->Close().IgnoreError();
}

Document Database::RunCommand(DocumentView command) { return db::Dispatch(*impl_, command); }

Document Database::RunCommand(std::string_view db_name, DocumentView command) {
  return db::Dispatch(*impl_, command, absl::string_view(db_name.data(), db_name.size()));
}

Collection Database::GetCollection(std::string_view db_name, std::string_view collection) {
  return Collection(impl_.get(), std::string(db_name) + "." + std::string(collection));
}

absl::Status Database::Close() { return impl_->Close(); }

Cursor::Cursor(std::unique_ptr<db::QueryExecution> execution) : execution_(std::move(execution)) {}
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
Cursor::~Cursor() = default;

absl::StatusOr<std::optional<Document>> Cursor::Next() {
  auto next = execution_->Next();
  if (!next.ok()) return next.status();
  if (!next->has_value()) return std::optional<Document>();
  return std::optional<Document>(Document::Copy(
      DocumentView(reinterpret_cast<const uint8_t*>((*next)->data()), (*next)->size())));
}

absl::StatusOr<std::vector<Document>> Cursor::ToVector() {
  std::vector<Document> result;
  while (true) {
    auto next = Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return result;
    result.push_back(std::move(**next));
  }
}

absl::StatusOr<Document> Collection::InsertOne(DocumentView document) {
  auto result = InsertMany({document});
  if (!result.ok()) return result.status();
  return std::move(result->front());
}

absl::StatusOr<std::vector<Document>> Collection::InsertMany(
    const std::vector<DocumentView>& documents, bool ordered) {
  auto result = db_->Insert(ns_, documents, ordered);
  if (!result.ok()) return result.status();
  if (!result->errors.empty()) return result->errors.front().status;
  return std::move(result->inserted_ids);
}

absl::StatusOr<std::optional<Document>> Collection::FindOne(DocumentView filter) {
  auto cursor = Find(filter, FindOptions{.skip = 0, .limit = 1});
  if (!cursor.ok()) return cursor.status();
  return cursor->Next();
}

absl::StatusOr<Cursor> Collection::Find(DocumentView filter, const FindOptions& options) {
  if (options.skip < 0 || options.limit < 0) {
    return MongoError(ErrorCode::kBadValue, "skip and limit must be >= 0");
  }
  if (absl::Status valid = CheckArguments({filter, options.sort, options.projection});
      !valid.ok()) {
    return valid;
  }
  db::QuerySpec spec;
  spec.filter = Document::Copy(filter);
  spec.sort = Document::Copy(options.sort);
  spec.projection = Document::Copy(options.projection);
  spec.skip = options.skip;
  spec.limit = options.limit;
  auto execution = db_->Query(ns_, std::move(spec));
  if (!execution.ok()) return execution.status();
  return Cursor(std::move(*execution));
}

absl::StatusOr<int64_t> Collection::DeleteOne(DocumentView filter) {
  if (absl::Status valid = CheckArguments({filter}); !valid.ok()) return valid;
  return db_->Delete(ns_, filter, 1);
}

absl::StatusOr<int64_t> Collection::DeleteMany(DocumentView filter) {
  if (absl::Status valid = CheckArguments({filter}); !valid.ok()) return valid;
  return db_->Delete(ns_, filter, 0);
}

absl::StatusOr<UpdateResult> Collection::ReplaceOne(DocumentView filter, DocumentView replacement,
                                                    bool upsert) {
  if (absl::Status valid = CheckArguments({filter, replacement}); !valid.ok()) return valid;
  bson_t r;
  bson_iter_t first;
  if (replacement.AsBson(&r) && bson_iter_init(&first, &r) && bson_iter_next(&first) &&
      bson_iter_key(&first)[0] == '$') {
    return MongoError(ErrorCode::kFailedToParse,
                      "the replacement document must not contain update operators");
  }
  return Update(filter, replacement, false, UpdateOptions{.upsert = upsert});
}

absl::StatusOr<UpdateResult> Collection::UpdateOne(DocumentView filter, DocumentView update,
                                                   const UpdateOptions& options) {
  return Update(filter, update, false, options);
}

absl::StatusOr<UpdateResult> Collection::UpdateMany(DocumentView filter, DocumentView update,
                                                    const UpdateOptions& options) {
  return Update(filter, update, true, options);
}

absl::StatusOr<UpdateResult> Collection::Update(DocumentView filter, DocumentView update,
                                                bool multi, const UpdateOptions& options) {
  if (absl::Status valid = CheckArguments({filter, update}); !valid.ok()) return valid;
  for (DocumentView f : options.array_filters) {
    if (absl::Status valid = CheckArguments({f}); !valid.ok()) return valid;
  }
  db::UpdateSpec spec;
  spec.filter = Document::Copy(filter);
  spec.update = Document::Copy(update);
  spec.multi = multi;
  spec.upsert = options.upsert;
  for (DocumentView f : options.array_filters) spec.array_filters.push_back(Document::Copy(f));
  auto result = db_->Update(ns_, spec);
  if (!result.ok()) return result.status();
  return UpdateResult{result->matched, result->modified, std::move(result->upserted_id)};
}

absl::StatusOr<std::optional<Document>> Collection::FindOneAndUpdate(
    DocumentView filter, DocumentView update, const FindOneAndUpdateOptions& options) {
  if (absl::Status valid = CheckArguments({filter, update, options.sort, options.projection});
      !valid.ok()) {
    return valid;
  }
  db::UpdateSpec spec;
  spec.filter = Document::Copy(filter);
  spec.update = Document::Copy(update);
  spec.sort = Document::Copy(options.sort);
  spec.upsert = options.upsert;
  spec.return_images = true;
  auto result = db_->Update(ns_, spec);
  if (!result.ok()) return result.status();
  std::optional<Document> value =
      options.return_new ? std::move(result->after) : std::move(result->before);
  if (value.has_value() && !options.projection.empty()) {
    auto projected = db::ApplyProjection(options.projection, value->view());
    if (!projected.ok()) return projected.status();
    value = std::move(*projected);
  }
  return value;
}

absl::StatusOr<std::vector<Document>> Collection::Distinct(std::string_view key,
                                                           DocumentView filter) {
  if (absl::Status valid = CheckArguments({filter}); !valid.ok()) return valid;
  auto values = db_->Distinct(ns_, absl::string_view(key.data(), key.size()), filter);
  if (!values.ok()) return values.status();
  std::vector<Document> result;
  bson_iter_t it;
  bson_iter_init(&it, values->bson());
  while (bson_iter_next(&it)) {
    Document value;
    bson_append_iter(value.mutable_bson(), "v", 1, &it);
    result.push_back(std::move(value));
  }
  return result;
}

absl::StatusOr<int64_t> Collection::CountDocuments(DocumentView filter) {
  if (absl::Status valid = CheckArguments({filter}); !valid.ok()) return valid;
  return db_->Count(ns_, filter, 0, 0);
}

absl::StatusOr<std::string> Collection::CreateIndex(DocumentView keys, DocumentView options) {
  if (absl::Status valid = CheckArguments({keys, options}); !valid.ok()) return valid;
  Document spec;
  bson_append_document(spec.mutable_bson(), "key", 3, Document::Copy(keys).bson());
  bson_t options_bson;
  options.AsBson(&options_bson);
  bson_iter_t it;
  bson_iter_init(&it, &options_bson);
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == "key") continue;
    bson_append_iter(spec.mutable_bson(), bson_iter_key(&it), -1, &it);
  }
  std::string name;
  if (bson_iter_init_find(&it, &options_bson, "name") && BSON_ITER_HOLDS_UTF8(&it)) {
    name = bson_iter_utf8(&it, nullptr);
  } else {
    name = index::DefaultIndexName(keys);
    bson_append_utf8(spec.mutable_bson(), "name", 4, name.data(), static_cast<int>(name.size()));
  }
  absl::Status created = db_->CreateIndexes(ns_, {spec.view()}, /*require_names=*/true).status();
  if (!created.ok()) return created;
  return name;
}

absl::Status Collection::DropIndex(std::string_view name) {
  db::IndexSelector selector;
  selector.names.emplace_back(name);
  return db_->DropIndexes(ns_, selector).status();
}

absl::StatusOr<std::vector<Document>> Collection::ListIndexes() { return db_->ListIndexes(ns_); }

}  // namespace strata
