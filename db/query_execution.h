// QueryExecution: produces the documents a read returns, one at a time, on one snapshot.
//
// This build executes an IdFilter (every document in `_id` order, or one `_id` point read) with
// skip and limit. The planner and plan stages of query/ take this class's place as they land;
// the cursor and command code only see Next().
// Thread safety: one execution belongs to one caller at a time.
#ifndef STRATA_DB_QUERY_EXECUTION_H_
#define STRATA_DB_QUERY_EXECUTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/id_filter.h"
#include "engine/catalog.h"
#include "engine/record_store.h"

namespace strata::db {

class QueryExecution {
 public:
  // `collection` may be null (a missing collection reads as empty).
  QueryExecution(const engine::StorageEngine& engine, engine::CollectionHandle collection,
                 IdFilter filter, int64_t skip, int64_t limit);

  // The next document's BSON bytes, or nullopt at the end. The bytes stay valid until the
  // next call.
  absl::StatusOr<std::optional<absl::string_view>> Next();

  // True when a following Next would return a document (reads one ahead and keeps it).
  absl::StatusOr<bool> HasNext();

  // True once Next has returned nullopt (or an error).
  bool exhausted() const { return exhausted_ && !peeked_.has_value(); }

 private:
  absl::StatusOr<std::optional<absl::string_view>> NextMatch();
  absl::StatusOr<std::optional<absl::string_view>> Advance();

  const engine::StorageEngine& engine_;
  engine::CollectionHandle collection_;
  IdFilter filter_;
  int64_t to_skip_;
  int64_t remaining_;  // documents still to return; < 0 means unlimited
  std::shared_ptr<engine::Snapshot> snapshot_;
  std::unique_ptr<engine::RecordIterator> iterator_;  // collection scans
  std::string point_value_;                           // point reads
  std::optional<std::string> peeked_;                 // read ahead by HasNext
  std::string returned_;  // the bytes a peeked document is returned from
  bool started_ = false;
  bool exhausted_ = false;
};

}  // namespace strata::db

#endif  // STRATA_DB_QUERY_EXECUTION_H_
