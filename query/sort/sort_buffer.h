// SortBuffer: the in-memory sort stage's container. Collects (sort key, document) pairs and
// returns the documents in key order; documents with equal keys keep the order they were
// added in (MongoDB promises nothing for ties; arrival order is the least surprising).
//
// With a limit (find's limit + skip, or a $sort followed by $limit), only the `limit`
// smallest entries are kept, in a bounded max-heap: O(n log limit) time, O(limit) memory.
// Keys come from SortSpec::SortKey (sort_spec.h).
//
// Thread safety: none; one buffer belongs to one query execution.
#ifndef STRATA_QUERY_SORT_SORT_BUFFER_H_
#define STRATA_QUERY_SORT_SORT_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/document.h"

namespace strata::query::sort {

class SortBuffer {
 public:
  // `limit`: keep at most this many (the smallest) entries; nullopt keeps everything.
  explicit SortBuffer(std::optional<size_t> limit = std::nullopt) : limit_(limit) {}

  // Adds a document with its sort key.
  void Add(std::string key, Document doc);

  // Entries currently held, and the bytes they use (keys plus documents), for the caller's
  // memory limit (MongoDB's 100 MB in-memory sort limit is the caller's to enforce).
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }

  // The documents in sort order. The buffer is left empty.
  std::vector<Document> Finish();

  // The entries in sort order, with their keys (for writing a sorted run). Left empty.
  struct KeyedDocument {
    std::string key;
    Document doc;
  };
  std::vector<KeyedDocument> FinishWithKeys();

 private:
  struct Entry {
    std::string key;
    uint64_t sequence;
    Document doc;
  };
  // Strict order on (key, sequence): the sort order with ties by arrival.
  static bool Less(const Entry& a, const Entry& b);

  std::optional<size_t> limit_;
  std::vector<Entry> entries_;  // a max-heap under Less when limit_ is set
  uint64_t next_sequence_ = 0;
  size_t bytes_ = 0;
};

}  // namespace strata::query::sort

#endif  // STRATA_QUERY_SORT_SORT_BUFFER_H_
