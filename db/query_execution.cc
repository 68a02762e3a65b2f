#include "db/query_execution.h"

#include "absl/strings/string_view.h"

namespace strata::db {

QueryExecution::QueryExecution(const engine::StorageEngine& engine,
                               engine::CollectionHandle collection, IdFilter filter, int64_t skip,
                               int64_t limit)
    : engine_(engine),
      collection_(std::move(collection)),
      filter_(std::move(filter)),
      to_skip_(skip),
      remaining_(limit > 0 ? limit : -1) {
  if (collection_ == nullptr) {
    exhausted_ = true;
    return;
  }
  snapshot_ = engine_.GetSnapshot();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::NextMatch() {
  if (filter_.id_key.has_value()) {
    if (started_) return std::optional<absl::string_view>();
    started_ = true;
    engine::RecordStore store(&engine_);
    auto found = store.Get(*snapshot_, collection_->id, *filter_.id_key);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::optional<absl::string_view>();
    point_value_ = std::move(**found);
    return std::optional<absl::string_view>(point_value_);
  }
  if (!started_) {
    started_ = true;
    iterator_ = std::make_unique<engine::RecordIterator>(engine_, snapshot_, collection_->id);
    iterator_->SeekToFirst();
  } else {
    iterator_->Next();
  }
  if (!iterator_->Valid()) {
    absl::Status status = iterator_->status();
    if (!status.ok()) return status;
    return std::optional<absl::string_view>();
  }
  return std::optional<absl::string_view>(iterator_->value());
}

absl::StatusOr<bool> QueryExecution::HasNext() {
  if (peeked_.has_value()) return true;
  auto next = Advance();
  if (!next.ok()) return next.status();
  if (!next->has_value()) return false;
  peeked_ = std::string(**next);
  return true;
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::Next() {
  if (peeked_.has_value()) {
    returned_ = std::move(*peeked_);
    peeked_.reset();
    return std::optional<absl::string_view>(returned_);
  }
  return Advance();
}

absl::StatusOr<std::optional<absl::string_view>> QueryExecution::Advance() {
  while (!exhausted_) {
    if (remaining_ == 0) break;
    auto next = NextMatch();
    if (!next.ok()) {
      exhausted_ = true;
      return next.status();
    }
    if (!next->has_value()) break;
    if (to_skip_ > 0) {
      --to_skip_;
      continue;
    }
    if (remaining_ > 0) --remaining_;
    return next;
  }
  exhausted_ = true;
  iterator_.reset();
  snapshot_.reset();
  return std::optional<absl::string_view>();
}

}  // namespace strata::db
