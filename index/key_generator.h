// Index key generation: the set of keys one document contributes to one index, by MongoDB's
// rules (btree_key_generator), and the difference between two such sets for updates.
//
// A key is the concatenation of the key strings (document/key_string.h) of the values at each
// key part's path, a descending part's bytes complemented (AppendKeyStringDescending). Key
// strings are prefix-free, so keys compare part by part under memcmp, in MongoDB's order. A
// key does NOT include the record id: index_key_layout.h appends the `_id` key string.
//
// Rules (MongoDB's, checked against its key generator tests):
//   - Dotted paths descend through embedded documents; through an array, each element is
//     visited (elements that are not documents have no fields: the rest of the path is
//     missing there). One key per array element: the index becomes multikey.
//   - A missing field is null. An empty array is undefined when the path ends at it, and
//     makes the rest of the path missing (null) when it does not.
//   - Arrays nested directly in an array are indexed whole ({a: [[1, 2]]} → key [1, 2]).
//   - A numeric path component ("a.0") indexes that element of an array when the array has
//     it; otherwise it is an ordinary field name looked up in each element. A document in
//     such an array that also has that field name is ambiguous: Location16746.
//   - At most one array per key per document: two different arrays along the indexed paths
//     fail with CannotIndexParallelArrays (171) "cannot index parallel arrays [b] [a]" (the
//     later field's array first). Paths sharing one array ("a.b", "a.c") are fine.
//   - Sparse: a document none of whose indexed paths exist (null values exist) gets no key;
//     a compound sparse index keeps a document having at least one. Non-sparse: a document
//     always gets at least one key (all null when nothing matched).
//   - Partial: a document the partial filter rejects gets no key at all.
//   - Keys are deduplicated: {a: [1, 1.0, NumberLong(1)]} gives one key.
// Multikey paths (for the planner's bounds): for each key part, the path components (0-based)
// at which an array was expanded; an empty or single-element array counts too.
//
// Thread safety: KeyGenerator is immutable after construction; share it freely.
// Recursion: one level per array traversed, bounded by the document depth (100, validated at
// every entry point) and the key pattern length.
#ifndef STRATA_INDEX_KEY_GENERATOR_H_
#define STRATA_INDEX_KEY_GENERATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "index/index_spec.h"
#include "strata/document.h"

namespace strata::index {

// A compiled partialFilterExpression, supplied by db/ (built with query/match): index/ never
// sees the query language. Must be thread-safe if the generator is shared across threads.
class DocumentPredicate {
 public:
  virtual ~DocumentPredicate() = default;
  virtual bool Matches(DocumentView doc) const = 0;
};

// The keys of one document for one index.
struct IndexKeys {
  std::vector<std::string> keys;  // ascending memcmp order (index order), no duplicates
  // Typed indexes (IndexSpec::entry_format() >= 1): per key, its type codes (key_types.h),
  // stored in the entry's value. Empty for untyped indexes.
  std::vector<std::string> key_types;
  MultikeyPaths multikey_paths;  // one set per key part
  bool multikey() const;         // some key part traversed an array
};

class KeyGenerator {
 public:
  // Copies what it needs from `spec`.
  explicit KeyGenerator(const IndexSpec& spec);

  // The keys of `doc` (a stored document). `partial_filter` must be the compiled filter when
  // the index is partial (FailedPrecondition otherwise) and is ignored when it is not.
  // Errors: CannotIndexParallelArrays (171), Location16746 (ambiguous positional path).
  absl::StatusOr<IndexKeys> Generate(DocumentView doc,
                                     const DocumentPredicate* partial_filter = nullptr) const;

  // The values `doc` puts into index key `key`, as {<path>: <value>, …} in key pattern order
  // (what MongoDB's duplicate key error shows: { a: 1 }, { a: null }). kNotFound when `doc`
  // does not produce `key`. For error paths only: it regenerates every key of `doc`.
  absl::StatusOr<Document> KeyValues(DocumentView doc, absl::string_view key,
                                     const DocumentPredicate* partial_filter = nullptr) const;

  size_t num_key_parts() const { return parts_.size(); }

 private:
  struct Part {
    std::string path;
    bool descending;
    size_t num_components;
  };
  class Run;

  absl::StatusOr<IndexKeys> GenerateImpl(
      DocumentView doc, const DocumentPredicate* partial_filter,
      std::vector<std::pair<std::string, Document>>* values) const;

  std::vector<Part> parts_;
  std::vector<KeyPart> key_parts_;
  bool sparse_;
  bool partial_;
  bool typed_;
};

// One-shot form of KeyGenerator(spec).Generate(doc, partial_filter).
absl::StatusOr<IndexKeys> GenerateKeys(const IndexSpec& spec, DocumentView doc,
                                       const DocumentPredicate* partial_filter = nullptr);

// MongoDB's duplicate key error (DuplicateKey, 11000) for a unique index of collection `ns`
// ("db.coll"): "E11000 duplicate key error collection: db.coll index: a_1 dup key: { a: 1 }".
// `key_values` comes from KeyGenerator::KeyValues. The Status carries MongoDB's keyPattern and
// keyValue reply fields (base/error_codes.h SetErrorReplyFields).
absl::Status DuplicateKeyError(absl::string_view ns, const IndexSpec& spec,
                               DocumentView key_values);

// The index entries an update changes: keys of the old document not in the new one (delete)
// and keys of the new one not in the old one (insert). Both inputs sorted and unique (as
// Generate returns them); the outputs are too. An update leaving the indexed fields alone
// gives two empty lists, so it writes no index entry.
struct KeyDelta {
  std::vector<std::string> removed;
  std::vector<std::string> added;
  // Typed indexes: keys of both versions whose type codes changed (int32 1 → double 1.0):
  // the entry stays, its value is rewritten with `retyped_types[i]`.
  std::vector<std::string> retyped;
  std::vector<std::string> retyped_types;
  bool empty() const { return removed.empty() && added.empty() && retyped.empty(); }
};
KeyDelta KeyDiff(absl::Span<const std::string> old_keys, absl::Span<const std::string> new_keys);
// The same, also filling `retyped` when both carry key_types.
KeyDelta KeyDiff(const IndexKeys& old_keys, const IndexKeys& new_keys);

// Adds `from`'s components to `*into` (resized to match if smaller). Returns true when
// `*into` changed, i.e. when the catalog's multikey state must be rewritten.
bool MergeMultikeyPaths(const MultikeyPaths& from, MultikeyPaths* into);

}  // namespace strata::index

#endif  // STRATA_INDEX_KEY_GENERATOR_H_
