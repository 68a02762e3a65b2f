// RawStorage: a test-only handle that damages a database under its own feet, bypassing every
// check, to prove that `validate` reports exactly what was done and that {repair: true} fixes
// it. Each method is one direct RocksDB write.
#ifndef STRATA_TESTS_SUPPORT_RAW_STORAGE_H_
#define STRATA_TESTS_SUPPORT_RAW_STORAGE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "strata/database.h"
#include "strata/document.h"

namespace strata::testing {

class RawStorage {
 public:
  explicit RawStorage(Database& db) : db_(db) {}

  // Deletes the first entry that `doc` (as stored) has in index `index_name` of `ns`.
  absl::Status DeleteIndexEntry(std::string_view ns, std::string_view index_name, DocumentView doc);
  // Adds the entries `doc` would have in index `index_name`, although no such document exists.
  absl::Status AddOrphanEntries(std::string_view ns, std::string_view index_name, DocumentView doc);
  // Overwrites the stored bytes of the document with `_id` of `id_doc` ({_id: v}) with the
  // same number of bytes that are not valid BSON (the first element's type byte is 0x42).
  absl::Status CorruptDocument(std::string_view ns, DocumentView id_doc);
  // Adds `delta` to the collection's stored document count (a catalog record).
  absl::Status AddToStoredCount(std::string_view ns, int64_t delta);

 private:
  Database& db_;
};

}  // namespace strata::testing

#endif  // STRATA_TESTS_SUPPORT_RAW_STORAGE_H_
