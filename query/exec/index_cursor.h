// IndexCursor: reads the entries of ONE secondary index from the `indexes` column family on a
// snapshot, restricted to the key ranges an index scan must read (index/index_bounds.h), and
// yields each entry split into its index key and its `_id` key string (index_key_layout.h).
//
// Ordering: forward reads the ranges in order, each from its start up, so entries come in
// ascending (index key, `_id`) memcmp order, which is MongoDB's index order. Backward reads the
// ranges in reverse order, each from its end down: the exact reverse of the forward sequence.
// Ranges are over index keys WITHOUT the 4-byte index prefix (ScanRanges from BuildScanRanges);
// the cursor adds the prefix, so entries of other indexes never appear. Each range is read by
// its own RocksDB iterator bounded by iterate_lower_bound/iterate_upper_bound, so a scan never
// reads (or steps over deleted entries) past the range it is in. One iterator is created per
// non-empty range, lazily, when the scan reaches it.
//
// Filtering: when ScanRanges::exact is false, a key inside the ranges may still violate the
// bounds (a bounded key part after a range part), so every key is checked with
// KeySatisfiesBounds and the failing ones are skipped. Exact ranges are never checked.
//
// Errors: an entry that does not decode (index::DecodeIndexEntry) or a key the bounds check
// cannot parse → kDataLoss; RocksDB errors → engine::FromRocks's mapping (Corruption →
// kDataLoss, IOError → kUnavailable, …). Errors are sticky: once Next has failed it returns the
// same error on every later call. After the end or an error the cursor releases its RocksDB
// iterator and its reference to the snapshot.
//
// Lifetime: the cursor shares ownership of the snapshot (it stays valid while the cursor lives),
// but borrows the engine, which must outlive the cursor. The views in an Entry point into the
// RocksDB iterator and are valid until the next call to Next or the cursor's destruction; copy
// them to keep them longer.
//
// Thread safety: not thread-safe; a cursor belongs to one operation at a time. Cursors on the
// same snapshot in different threads are fine.
#ifndef STRATA_QUERY_EXEC_INDEX_CURSOR_H_
#define STRATA_QUERY_EXEC_INDEX_CURSOR_H_

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/storage_engine.h"
#include "index/index_bounds.h"
#include "index/index_key_layout.h"

namespace strata::query::exec {

class IndexCursor {
 public:
  // One index entry: `key` is the index key (every key part, descending parts complemented,
  // no index prefix), `id_key_string` the document's `_id` key string (engine::RecordKey takes
  // it to fetch the document). Views valid until the next Next (see above).
  using Entry = index::IndexEntry;

  // A scan of the index `format` describes over `ranges` (index keys, ascending and disjoint,
  // as BuildScanRanges makes them; an empty list scans nothing), forward or `backward`.
  // `bounds` are the bounds `ranges` were built from: required when `ranges.exact` is false
  // (each key is then checked against them), ignored when it is true.
  // kInvalidArgument when `snapshot` is null, when the ranges are inexact and `bounds` is
  // missing or names more key parts than the index has, or when a range is inverted
  // (start > limit) or the ranges are not ascending and disjoint.
  static absl::StatusOr<std::unique_ptr<IndexCursor>> Create(
      const engine::StorageEngine& engine, std::shared_ptr<engine::Snapshot> snapshot,
      index::IndexEntryFormat format, index::ScanRanges ranges,
      std::optional<index::IndexBounds> bounds, bool backward);

  // Every entry of the index (index::IndexEntryRange), forward or `backward`, unfiltered.
  // kInvalidArgument when `snapshot` is null.
  static absl::StatusOr<std::unique_ptr<IndexCursor>> FullScan(
      const engine::StorageEngine& engine, std::shared_ptr<engine::Snapshot> snapshot,
      index::IndexEntryFormat format, bool backward);

  IndexCursor(const IndexCursor&) = delete;
  IndexCursor& operator=(const IndexCursor&) = delete;
  ~IndexCursor();

  // The next entry in scan order that lies in the ranges (and satisfies the bounds when they
  // are inexact), or nullopt at the end (and on every later call).
  absl::StatusOr<std::optional<Entry>> Next();

  // Entries read from the index so far, including those the bounds check skipped and a
  // corrupt one (MongoDB's keysExamined, without its per-seek extra).
  int64_t keys_examined() const { return keys_examined_; }

  const index::IndexEntryFormat& format() const { return format_; }

 private:
  IndexCursor(const engine::StorageEngine& engine, std::shared_ptr<engine::Snapshot> snapshot,
              index::IndexEntryFormat format, std::vector<index::KeyRange> entry_ranges,
              std::optional<index::IndexBounds> bounds, bool backward);

  // Replaces the iterator with one over the next range in scan order, positioned at its first
  // entry in scan order. False when no range is left.
  bool OpenNextRange();
  // Ends the scan with `status` (OK at the end), releasing the iterator and the snapshot.
  void Finish(absl::Status status);

  // Constant after construction.
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const column_family_;
  const index::IndexEntryFormat format_;
  const std::vector<index::KeyRange> entry_ranges_;  // ranges of entry keys, ascending
  const std::optional<index::IndexBounds> filter_;   // set when every key must be checked
  const bool backward_;

  // Scan state. Declaration order matters: the iterator is destroyed first, then the bound
  // slices and read options it points to, then the snapshot it reads.
  std::shared_ptr<engine::Snapshot> snapshot_;
  rocksdb::Slice lower_;  // views of entry_ranges_[current range]
  rocksdb::Slice upper_;
  rocksdb::ReadOptions read_options_;
  std::unique_ptr<rocksdb::Iterator> it_;
  size_t ranges_opened_ = 0;  // ranges whose iterator has been created, in scan order
  bool finished_ = false;
  absl::Status status_;  // sticky error
  int64_t keys_examined_ = 0;
};

}  // namespace strata::query::exec

#endif  // STRATA_QUERY_EXEC_INDEX_CURSOR_H_
