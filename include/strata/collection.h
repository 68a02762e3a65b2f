// strata::Collection and strata::Cursor: the typed C++ API over one collection, a thin layer
// over the same code the commands run (errors carry the same MongoDB codes; see
// strata/error.h). Handles are cheap to copy and valid while their Database is open.
// Thread safety: a Collection may be used from many threads; a Cursor from one at a time.
#ifndef STRATA_COLLECTION_H_
#define STRATA_COLLECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata {

namespace db {
class DatabaseImpl;
class QueryExecution;
}  // namespace db

struct FindOptions {
  // Sort order, e.g. {age: -1, name: 1}. Default {}: `_id` order.
  DocumentView sort;
  // Projection, e.g. {name: 1, _id: 0}. Default {}: whole documents.
  DocumentView projection;
  // Documents to skip first. Default 0; must be >= 0.
  int64_t skip = 0;
  // Most documents to return; 0 (default) means no limit. Must be >= 0.
  int64_t limit = 0;
};

struct AggregateOptions {
  // Let $sort/$group spill to files over the memory budget. Default: false (they fail with
  // QueryExceededMemoryLimitNoDiskUseAllowed instead).
  bool allow_disk_use = false;
  // Variables for $$name in every expression ({x: 1} → $$x), the command's `let`. Default: none.
  DocumentView let;
  // Memory budget of each blocking stage, bytes. Default 0: DatabaseOptions'.
  size_t memory_limit_bytes = 0;
  // $lookup join strategy: "" (chosen by cost), "hash", "indexedLoop", "nestedLoop",
  // "perDocument" (tests and benchmarks). Default: "".
  std::string_view join_strategy;
};

struct UpdateOptions {
  // Insert a document built from the filter's equality fields and the update when nothing
  // matches. Default: false.
  bool upsert = false;
  // Filters for `$[identifier]` positional updates. Default: none. Views must outlive the call.
  std::vector<DocumentView> array_filters;
};

struct UpdateResult {
  int64_t matched = 0;
  int64_t modified = 0;
  // {_id: v} of the inserted document when an upsert inserted one.
  std::optional<Document> upserted_id;
};

struct FindOneAndUpdateOptions {
  DocumentView sort;        // which match is updated first. Default {}: `_id` order
  DocumentView projection;  // of the returned document. Default {}: whole document
  bool upsert = false;      // Default: false
  bool return_new = false;  // return the document after the update. Default: before
};

// Documents of one read, in order, on one consistent snapshot.
class Cursor {
 public:
  explicit Cursor(std::unique_ptr<db::QueryExecution> execution);
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  ~Cursor();

  // The next document, or nullopt when there are no more.
  absl::StatusOr<std::optional<Document>> Next();
  // Every remaining document.
  absl::StatusOr<std::vector<Document>> ToVector();

 private:
  std::unique_ptr<db::QueryExecution> execution_;
};

class Collection {
 public:
  Collection(db::DatabaseImpl* db, std::string ns) : db_(db), ns_(std::move(ns)) {}

  // "db.collection".
  const std::string& ns() const { return ns_; }

  // Inserts one document (an ObjectId `_id` is generated when missing); returns {_id: v}.
  // Errors: DuplicateKey, BSONObjectTooLarge, BadValue (invalid document), I/O.
  absl::StatusOr<Document> InsertOne(DocumentView document);
  // Inserts documents in order, stopping at the first failure when `ordered`; returns the
  // {_id: v} of each inserted document. The first failure is the error (others are dropped).
  absl::StatusOr<std::vector<Document>> InsertMany(const std::vector<DocumentView>& documents,
                                                   bool ordered = true);

  // The first document matching `filter`, or nullopt.
  absl::StatusOr<std::optional<Document>> FindOne(DocumentView filter);
  absl::StatusOr<Cursor> Find(DocumentView filter, const FindOptions& options = {});

  // Runs an aggregation pipeline (`pipeline`: a BSON array of stage documents) over this
  // collection, exactly as the aggregate command does (same parser, planner pushdown, errors);
  // returns every result document. Stages ending in $out/$merge return nothing.
  absl::StatusOr<std::vector<Document>> Aggregate(DocumentView pipeline,
                                                  const AggregateOptions& options = {});

  // Deletes the first document matching `filter`; returns 0 or 1.
  absl::StatusOr<int64_t> DeleteOne(DocumentView filter);
  // Deletes every document matching `filter`; returns how many.
  absl::StatusOr<int64_t> DeleteMany(DocumentView filter);

  // Replaces the first document matching `filter` (keeping its `_id`). `replacement` must not
  // contain update operators.
  absl::StatusOr<UpdateResult> ReplaceOne(DocumentView filter, DocumentView replacement,
                                          bool upsert = false);

  // Applies update operators ({$set: …, $inc: …}) to the first / every matching document.
  // Each document's update is atomic; UpdateMany as a whole is not.
  absl::StatusOr<UpdateResult> UpdateOne(DocumentView filter, DocumentView update,
                                         const UpdateOptions& options = {});
  absl::StatusOr<UpdateResult> UpdateMany(DocumentView filter, DocumentView update,
                                          const UpdateOptions& options = {});

  // Updates the first match (in `options.sort` order) and returns it (before or after the
  // update); nullopt when nothing matched and nothing was upserted.
  absl::StatusOr<std::optional<Document>> FindOneAndUpdate(
      DocumentView filter, DocumentView update, const FindOneAndUpdateOptions& options = {});

  // The distinct values at dotted path `key` among the matching documents (arrays unwound one
  // level, as MongoDB's distinct), each as a one-field document {v: value}, in BSON order.
  absl::StatusOr<std::vector<Document>> Distinct(std::string_view key,
                                                 DocumentView filter = DocumentView());

  // Number of documents matching `filter`.
  absl::StatusOr<int64_t> CountDocuments(DocumentView filter = DocumentView());

  // Creates a secondary index, as createIndexes with one spec: `keys` is the key pattern
  // ({a: 1, "b.c": -1}); `options` holds the other spec fields (name, unique, sparse,
  // partialFilterExpression, expireAfterSeconds, hidden). A missing name is derived from the
  // keys ("a_1_b.c_-1"). Returns the index name. An identical existing index is not an error.
  // Errors: MongoDB's index spec errors, IndexOptionsConflict, DuplicateKey (a unique index
  // over duplicate values), CannotIndexParallelArrays.
  absl::StatusOr<std::string> CreateIndex(DocumentView keys, DocumentView options = DocumentView());
  // Drops the index named `name`. IndexNotFound when there is none.
  absl::Status DropIndex(std::string_view name);
  // The indexes as listIndexes shows them, the _id index first.
  absl::StatusOr<std::vector<Document>> ListIndexes();

 private:
  absl::StatusOr<UpdateResult> Update(DocumentView filter, DocumentView update, bool multi,
                                      const UpdateOptions& options);

  db::DatabaseImpl* db_;
  std::string ns_;
};

}  // namespace strata

#endif  // STRATA_COLLECTION_H_
