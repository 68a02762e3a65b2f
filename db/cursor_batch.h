// Filling one cursor batch (find, aggregate, getMore): shared by every command that returns
// a cursor, so batches obey the same count and size limits whatever produced them.
#ifndef STRATA_DB_CURSOR_BATCH_H_
#define STRATA_DB_CURSOR_BATCH_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "document/validate.h"

namespace strata::db {

// MongoDB's default first batch size (documents) of find and aggregate.
inline constexpr int64_t kDefaultFirstBatchSize = 101;

// A batch stops after the document that brings it to 16 MiB (MongoDB's reply size budget).
inline constexpr size_t kMaxCursorBatchBytes = document::kMaxUserDocumentSize;

// Moves up to `batch_size` documents (0 = no count limit) of at most kMaxCursorBatchBytes from
// `execution` into the array `field` of `cursor_doc`. Returns true when no document is left.
template <typename Source>  // QueryExecution or CursorStream
absl::StatusOr<bool> FillBatch(Source& execution, int64_t batch_size, const char* field,
                               bson_t* cursor_doc) {
  bson_t array;
  bson_append_array_begin(cursor_doc, field, -1, &array);
  int64_t count = 0;
  size_t bytes = 0;
  absl::Status status;
  while (batch_size == 0 || count < batch_size) {
    auto has_next = execution.HasNext();
    if (!has_next.ok()) {
      status = has_next.status();
      break;
    }
    if (!*has_next) break;
    // Always at least one document per batch; then stop before the reply would grow too big.
    auto next = execution.Next();
    if (!next.ok()) {
      status = next.status();
      break;
    }
    const absl::string_view bytes_view = **next;
    std::string key = std::to_string(count);
    bson_t doc;
    bson_init_static(&doc, reinterpret_cast<const uint8_t*>(bytes_view.data()), bytes_view.size());
    bson_append_document(&array, key.c_str(), static_cast<int>(key.size()), &doc);
    ++count;
    bytes += bytes_view.size();
    if (bytes >= kMaxCursorBatchBytes) break;
  }
  bson_append_array_end(cursor_doc, &array);
  RETURN_IF_ERROR(status);
  ASSIGN_OR_RETURN(bool more, execution.HasNext());
  return !more;
}

}  // namespace strata::db

#endif  // STRATA_DB_CURSOR_BATCH_H_
