// IndexWriter: adds the secondary-index side of document writes to the caller's
// WriteTransaction, so a document and every index entry it implies commit as ONE atomic
// RocksDB write (fsynced before acknowledgement in kDurable mode, like the document).
//
//   OnInsert  puts every key of the new document;
//   OnDelete  deletes every key of the old one;
//   OnUpdate  deletes the keys only the old version has, then puts the keys only the new one
//             has (an update that leaves indexed fields alone writes no index entry).
//
// Unique indexes: before putting a key, the writer reads its probe entry with GetForUpdate,
// which also row-locks it until commit, so of two concurrent writers of the same key exactly
// one commits and the other sees the entry (or a write conflict, retried by
// RunWriteTransaction) and fails with MongoDB's E11000 DuplicateKey error naming the index
// and key. Any error leaves the transaction to be rolled back by the caller: nothing of the
// document write lands.
//
// Also maintained in the same transaction: each index's entry counters
// (WriteTransaction::AddIndexStatsDelta) and its persisted multikey paths, written when a
// document first makes a path multikey.
// Thread safety: one IndexWriter per transaction attempt (per thread): it remembers which
// multikey records its transaction wrote, so it must not outlive a retry. The
// CollectionIndexes may be shared.
#ifndef STRATA_DB_INDEX_WRITER_H_
#define STRATA_DB_INDEX_WRITER_H_

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/collection_indexes.h"
#include "engine/write_transaction.h"
#include "strata/document.h"

namespace strata::db {

class IndexWriter {
 public:
  // Both must outlive the writer.
  IndexWriter(engine::WriteTransaction* txn, const CollectionIndexes* indexes)
      : txn_(txn), indexes_(indexes) {}

  // `id_key` is the document's `_id` key string. Errors: DuplicateKey (11000),
  // CannotIndexParallelArrays (171) and the other key generation errors, I/O.
  absl::Status OnInsert(DocumentView doc, absl::string_view id_key);
  absl::Status OnDelete(DocumentView doc, absl::string_view id_key);
  absl::Status OnUpdate(DocumentView old_doc, DocumentView new_doc, absl::string_view id_key);

  // The same for one index only (index builds and repairs).
  absl::Status InsertKeys(const CompiledIndex& index, DocumentView doc, absl::string_view id_key);

 private:
  // `key_types`: the key's type codes (typed indexes; ignored by untyped ones).
  absl::Status PutKey(const CompiledIndex& index, DocumentView doc, absl::string_view key,
                      absl::string_view key_types, absl::string_view id_key);
  absl::Status DeleteKey(const CompiledIndex& index, absl::string_view key,
                         absl::string_view id_key);
  absl::Status NoteMultikey(const CompiledIndex& index, const index::IndexKeys& keys);

  engine::WriteTransaction* const txn_;
  const CollectionIndexes* const indexes_;
  // Indexes whose multikey record this transaction has put (uncommitted): reading such a
  // record back must not mark it persisted in the shared MultikeyState, or a retry of this
  // transaction (or its failure) would skip writing a record that never committed.
  absl::flat_hash_set<index::IndexId> multikey_written_;
};

}  // namespace strata::db

#endif  // STRATA_DB_INDEX_WRITER_H_
