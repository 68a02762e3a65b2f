// IndexSpec: one secondary index's definition, parsed and validated from a createIndexes entry
// ({key: {a: 1, "b.c": -1}, name: "a_1_b.c_-1", unique: true, ...}) with MongoDB's rules,
// messages and codes, and its catalog descriptor form.
//
// What Strata supports: ascending/descending (compound, multikey) indexes with the options
// unique, sparse, partialFilterExpression, expireAfterSeconds (TTL) and hidden. Everything
// MongoDB accepts but Strata does not implement yet (text, 2d, 2dsphere, hashed and wildcard
// key types, non-simple collation, clustered, prepareUnique, storageEngine, …) fails with
// NotImplemented (238) AFTER MongoDB's own validation, so an invalid spec gets MongoDB's error.
//
// Error codes (MongoDB's, via base/error_codes.h MongoError): FailedToParse 9, TypeMismatch 14,
// BadValue 2, CannotCreateIndex 67, InvalidIndexSpecificationOption 197, NotImplemented 238;
// IndexOptionsConflict 85 / IndexKeySpecsConflict 86 from the conflict checks. Messages are
// MongoDB 8's, including the "Error in specification <spec> :: caused by :: …" wrapping that
// createIndexes adds, so db/ can reply with Status::message() unchanged.
//
// The partialFilterExpression is stored and compared as a document only: index/ does not
// know the query language (ARCHITECTURE.md). db/ must compile it with query/match (rejecting
// what MongoDB rejects in partial filters) before creating the index, and hands key
// generation the compiled predicate (key_generator.h, DocumentPredicate).
//
// Thread safety: IndexSpec is a value type (copyable, immutable after parsing apart from
// set_id); distinct objects may be used concurrently, const methods are safe to share.
#ifndef STRATA_INDEX_INDEX_SPEC_H_
#define STRATA_INDEX_INDEX_SPEC_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "strata/document.h"

namespace strata::index {

// Identifies an index in the `indexes` column family (index_key_layout.h). Allocated by the
// caller from a persistent counter and NEVER reused (a pending range delete of a dropped
// index would eat a new index's entries). 0 means "not assigned".
using IndexId = uint32_t;

// Per key part, the path components (0-based) whose array values made the index multikey
// (MongoDB's MultikeyPaths): {a.b: 1} over {a: [{b: 1}, {b: 2}]} gives {{0}}.
using MultikeyPaths = std::vector<std::set<size_t>>;

// One field of the key pattern.
struct KeyPart {
  std::string path;         // dotted path exactly as written: "b.c", "a.0.b"
  bool descending = false;  // the key pattern value is < 0
};

// MongoDB caps a collection at 64 indexes, the _id index included (kMaxNumIndexesAllowed):
// creating one more fails with CannotCreateIndex "add index fails, too many indexes for
// <ns> key:<key pattern>", which db/ (knowing the namespace) reports.
inline constexpr int kMaxIndexesPerCollection = 64;

struct IndexSpecParseOptions {
  // createIndexes requires "name" (FailedToParse "The 'name' field is a required property of
  // an index specification"). When false, a missing name is generated with DefaultIndexName,
  // as the shells and drivers do before sending the command. Default: false.
  bool require_name = false;
};

class IndexSpec {
 public:
  // How createIndexes compares a requested index with an existing one (MongoDB's
  // IndexDescriptor::Comparison). Identifying options: key pattern (by value: {a: 1} equals
  // {a: 1.0} but not {a: 2}), unique, sparse, partialFilterExpression (by document value),
  // collation. Non-identifying: expireAfterSeconds, hidden.
  enum class Comparison {
    kDifferent,   // may coexist (under different names)
    kEquivalent,  // same identifying options, other options differ
    kIdentical,   // same everything except perhaps the name
  };

  // Parses and validates one createIndexes entry. `spec` must have passed the entry-point
  // validator (document/validate.h); it is copied, not retained.
  // A spec whose key pattern is {_id: 1} (or {_id: -1}) is the _id index: it is validated
  // with MongoDB's _id rules and returned with is_id_index() true; createIndexes treats it as
  // already existing (DecideCreate).
  static absl::StatusOr<IndexSpec> Parse(DocumentView spec,
                                         const IndexSpecParseOptions& options = {});

  // The implicit _id index: {v: 2, key: {_id: 1}, name: "_id_"}.
  static IndexSpec IdIndex();

  // Catalog descriptor: {id: <int64>, v, key, name, [unique: true], [sparse: true],
  // [partialFilterExpression], [expireAfterSeconds: <int32>], [hidden: true],
  // [multikeyPaths: [[components of part 0], [part 1], …]], [entryFormat: <int32>]}
  // (entryFormat only when not 0: key_types.h). FromDescriptor re-validates
  // (a corrupt descriptor fails with kDataLoss) and restores the id and, when `multikey` is
  // given, the recorded multikey paths (all empty when the descriptor has none).
  Document ToDescriptor(const MultikeyPaths* multikey = nullptr) const;
  static absl::StatusOr<IndexSpec> FromDescriptor(DocumentView descriptor,
                                                  MultikeyPaths* multikey = nullptr);

  // listIndexes form: {v, key, name, [unique], [sparse], [partialFilterExpression],
  // [expireAfterSeconds], [hidden]} (options only when set).
  Document ToListIndexesEntry() const;

  IndexId id() const { return id_; }
  void set_id(IndexId id) { id_ = id; }
  // The layout of the index's entry values (index/key_types.h: 0 untyped, 1 typed). Not an
  // index option: createIndexes and listIndexes never see it; equivalence ignores it.
  int entry_format() const { return entry_format_; }
  void set_entry_format(int format) { entry_format_ = format; }

  const std::string& name() const { return name_; }
  // The key pattern as given ({a: 1, "b.c": -1}).
  DocumentView key_pattern() const;
  const std::vector<KeyPart>& key_parts() const { return key_parts_; }
  size_t num_key_parts() const { return key_parts_.size(); }
  bool unique() const { return unique_; }
  bool sparse() const { return sparse_; }
  bool hidden() const { return hidden_; }
  bool is_id_index() const { return is_id_index_; }
  int version() const { return version_; }
  // The partialFilterExpression document, if any.
  std::optional<DocumentView> partial_filter_expression() const;
  // TTL: seconds after the indexed date at which a document expires (0 ..= 2^31 - 1).
  std::optional<int32_t> expire_after_seconds() const { return expire_after_seconds_; }

  Comparison Compare(const IndexSpec& other) const;

  // True when creating `this` while `existing` exists is a no-op ("all indexes already
  // exist"): same name and identical options.
  bool EquivalentTo(const IndexSpec& existing) const;

  // OK when `this` may be created beside `existing`, or is EquivalentTo it (check that
  // first). Otherwise MongoDB's error:
  //   same name, different key or identifying options → IndexKeySpecsConflict (86);
  //   same name, other options differ                → IndexOptionsConflict (85);
  //   other name, same key and identifying options     → IndexOptionsConflict (85).
  absl::Status ConflictsWith(const IndexSpec& existing) const;

 private:
  IndexSpec() = default;

  IndexId id_ = 0;
  int entry_format_ = 0;
  std::string name_;
  std::string key_pattern_;  // BSON bytes of the key pattern document
  std::vector<KeyPart> key_parts_;
  bool unique_ = false;
  bool sparse_ = false;
  bool hidden_ = false;
  bool is_id_index_ = false;
  int version_ = 2;
  std::optional<std::string> partial_filter_;  // BSON bytes
  std::optional<int32_t> expire_after_seconds_;

  friend class IndexSpecParser;
};

// What createIndexes does with one parsed request, given the collection's existing indexes
// (with or without IndexSpec::IdIndex() among them).
enum class CreateDecision {
  kCreate,         // build it
  kAlreadyExists,  // no-op (the _id index, or an identical index of the same name)
};
absl::StatusOr<CreateDecision> DecideCreate(const IndexSpec& requested,
                                            absl::Span<const IndexSpec> existing);

// The name shells and drivers give an index: each key field and its value joined by '_'
// ({a: 1, "b.c": -1} → "a_1_b.c_-1"; {t: "text"} → "t_text").
std::string DefaultIndexName(DocumentView key_pattern);

}  // namespace strata::index

#endif  // STRATA_INDEX_INDEX_SPEC_H_
