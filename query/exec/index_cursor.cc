#include "query/exec/index_cursor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/rocks_status.h"

namespace strata::query::exec {
namespace {

absl::Status CheckRanges(const std::vector<index::KeyRange>& ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].start > ranges[i].limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("index scan range ", i, " is inverted (start > limit)"));
    }
    if (i > 0 && ranges[i - 1].limit > ranges[i].start) {
      return absl::InvalidArgumentError(
          absl::StrCat("index scan ranges ", i - 1, " and ", i, " are not ascending and disjoint"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<IndexCursor>> IndexCursor::Create(
    const engine::StorageEngine& engine, std::shared_ptr<engine::Snapshot> snapshot,
    index::IndexEntryFormat format, index::ScanRanges ranges,
    std::optional<index::IndexBounds> bounds, bool backward) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("index cursor needs a snapshot");
  if (!ranges.exact) {
    if (!bounds.has_value()) {
      return absl::InvalidArgumentError("an inexact index scan needs the bounds to check keys");
    }
    if (bounds->fields.size() > format.descending.size()) {
      return absl::InvalidArgumentError(absl::StrCat("index bounds name ", bounds->fields.size(),
                                                     " key parts; index ", format.index_id, " has ",
                                                     format.descending.size()));
    }
  } else {
    bounds.reset();
  }
  const absl::Status checked = CheckRanges(ranges.ranges);
  if (!checked.ok()) return checked;
  std::vector<index::KeyRange> entry_ranges;
  entry_ranges.reserve(ranges.ranges.size());
  for (const index::KeyRange& range : ranges.ranges) {
    if (range.start == range.limit) continue;  // empty
    entry_ranges.push_back(index::IndexEntryRangeFor(format.index_id, range));
  }
  return std::unique_ptr<IndexCursor>(new IndexCursor(engine, std::move(snapshot),
                                                      std::move(format), std::move(entry_ranges),
                                                      std::move(bounds), backward));
}

absl::StatusOr<std::unique_ptr<IndexCursor>> IndexCursor::FullScan(
    const engine::StorageEngine& engine, std::shared_ptr<engine::Snapshot> snapshot,
    index::IndexEntryFormat format, bool backward) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("index cursor needs a snapshot");
  std::vector<index::KeyRange> entry_ranges = {index::IndexEntryRange(format.index_id)};
  return std::unique_ptr<IndexCursor>(new IndexCursor(engine, std::move(snapshot),
                                                      std::move(format), std::move(entry_ranges),
                                                      std::nullopt, backward));
}

IndexCursor::IndexCursor(const engine::StorageEngine& engine,
                         std::shared_ptr<engine::Snapshot> snapshot, index::IndexEntryFormat format,
                         std::vector<index::KeyRange> entry_ranges,
                         std::optional<index::IndexBounds> bounds, bool backward)
    : db_(engine.db()),
      column_family_(engine.indexes()),
      format_(std::move(format)),
      entry_ranges_(std::move(entry_ranges)),
      filter_(std::move(bounds)),
      backward_(backward),
      snapshot_(std::move(snapshot)) {
  read_options_ = snapshot_->ReadOptions();
  read_options_.iterate_lower_bound = &lower_;
  read_options_.iterate_upper_bound = &upper_;
}

IndexCursor::~IndexCursor() {
  it_.reset();  // before the bounds and the snapshot it reads (also guaranteed by the order)
}

bool IndexCursor::OpenNextRange() {
  it_.reset();  // the bounds below belong to the old iterator until it is gone
  if (ranges_opened_ == entry_ranges_.size()) return false;
  const size_t i = backward_ ? entry_ranges_.size() - 1 - ranges_opened_ : ranges_opened_;
  ++ranges_opened_;
  lower_ = rocksdb::Slice(entry_ranges_[i].start);
  upper_ = rocksdb::Slice(entry_ranges_[i].limit);
  it_.reset(db_->NewIterator(read_options_, column_family_));
  if (backward_) {
    it_->SeekToLast();  // the last entry below iterate_upper_bound
  } else {
    it_->Seek(lower_);
  }
  return true;
}

void IndexCursor::Finish(absl::Status status) {
  finished_ = true;
  status_ = std::move(status);
  it_.reset();
  snapshot_.reset();
}

absl::StatusOr<std::optional<IndexCursor::Entry>> IndexCursor::Next() {
  if (finished_) {
    if (!status_.ok()) return status_;
    return std::optional<Entry>();
  }
  while (true) {
    if (it_ == nullptr) {
      if (!OpenNextRange()) {
        Finish(absl::OkStatus());
        return std::optional<Entry>();
      }
    } else if (backward_) {
      it_->Prev();
    } else {
      it_->Next();
    }
    if (!it_->Valid()) {
      const rocksdb::Status status = it_->status();
      if (!status.ok()) {
        Finish(engine::FromRocks(status, absl::StrCat("scanning index ", format_.index_id)));
        return status_;
      }
      it_.reset();  // this range is done
      continue;
    }
    ++keys_examined_;
    const rocksdb::Slice key = it_->key();
    const rocksdb::Slice value = it_->value();
    absl::StatusOr<Entry> entry =
        index::DecodeIndexEntry(format_, absl::string_view(key.data(), key.size()),
                                absl::string_view(value.data(), value.size()));
    if (!entry.ok()) {
      Finish(entry.status());
      return status_;
    }
    if (filter_.has_value()) {
      absl::StatusOr<bool> satisfied =
          index::KeySatisfiesBounds(*filter_, format_.descending, entry->key);
      if (!satisfied.ok()) {
        Finish(absl::DataLossError(absl::StrCat("index ", format_.index_id,
                                                " entry key: ", satisfied.status().message())));
        return status_;
      }
      if (!*satisfied) continue;
    }
    return std::optional<Entry>(*entry);
  }
}

}  // namespace strata::query::exec
