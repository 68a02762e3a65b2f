// ValidateCollection: the `validate` command's checks of one collection's documents, secondary
// index entries and stored counters, all read from ONE snapshot (so concurrent writers neither
// block nor disturb it: the result describes exactly the state at the snapshot).
//
// Checks, in order:
//   1. Documents (one scan of the collection in `_id` order): each record is strict BSON
//      (document/validate.h: 16 MiB, depth 100, UTF-8, no duplicate names) whose first field is
//      `_id` and whose `_id` key string equals the record key. A failing record is an invalid
//      document: counted (nInvalidDocuments), listed in `corrupt_records`, described in a
//      warning, and left out of the index checks (so entries pointing at it show up as extra).
//   2. Counters: the collection's stored count and data size (engine/collection_stats.h) must
//      equal what the scan found ("fast count … does not match number of records …").
//   3. Each READY secondary index (indexes still being built are skipped with a warning): the
//      entries every valid document implies (CompiledIndex::Generate → IndexEntryKey +
//      IndexEntryValue) are compared with the entries actually in the index column family.
//      Expected-but-absent entries are missing, present-but-unexpected entries are extra (this
//      includes entries whose `_id` has no document, entries of a unique index naming the wrong
//      `_id`, and malformed entries). The index's stored entry counters and its persisted
//      multikey paths (which must cover every document's) are checked too.
//
// How an index is compared, and the memory bound: the documents are read in `_id` order and the
// expected entries of a run of them are collected in memory until they reach
// `ValidateOptions::memory_budget_bytes`; that run's entries are sorted and merge-compared with
// one ordered scan of the whole index, in which only entries whose `_id` falls in the run's
// `_id` interval take part. So memory stays below the budget plus one document's entries,
// whatever the collection's size, at the cost of one index scan per run (one run, hence one
// scan, when an index's entries fit the budget). Reported entries are capped at
// `max_reported_bytes` per list (MongoDB's "Not all … are listed due to size limitations.").
// Documents are read 1 + (number of indexes) times in all.
//
// Never writes; the command's {repair: true} is DatabaseImpl::RepairCollection, run after it.
// Thread safety: thread-safe (reads only; the engine and indexes may be shared).
#ifndef STRATA_DB_VALIDATE_COLLECTION_H_
#define STRATA_DB_VALIDATE_COLLECTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/collection_indexes.h"
#include "engine/catalog.h"
#include "engine/storage_engine.h"
#include "strata/document.h"

namespace strata::db {

struct ValidateOptions {
  // MongoDB's `full`. Strata has no cheaper mode: every check runs either way. Default: false.
  bool full = false;
  // Memory for one run of expected index entries (see the file comment), in bytes. Must be
  // > 0. Default: 64 MiB.
  size_t memory_budget_bytes = size_t{64} << 20;
  // Cap on the BSON bytes of each of the missing/extra entry lists; the first entry of each
  // list is always reported. Default: 1 MiB (MongoDB's).
  size_t max_reported_bytes = size_t{1} << 20;
  // Cap on the per-document warnings describing invalid documents. Default: 100.
  int max_document_warnings = 100;
};

// The outcome for one index (the `_id` index first).
struct IndexValidateResult {
  std::string name;
  int64_t keys = 0;  // entries found in the index (keysPerIndex); nrecords for `_id_`
  bool valid = true;
};

struct ValidateResult {
  std::string ns;
  std::string uuid;               // the collection's 16 uuid bytes
  int64_t records = 0;            // nrecords: documents found, valid or not
  int64_t invalid_documents = 0;  // nInvalidDocuments
  std::vector<IndexValidateResult> indexes;
  bool valid = true;
  std::vector<std::string> warnings;
  std::vector<std::string> errors;
  // MongoDB's entry descriptions (see ValidateCollection); capped by max_reported_bytes.
  std::vector<Document> extra_index_entries;
  std::vector<Document> missing_index_entries;
  int64_t extra_count = 0;  // all extra entries found, reported or not
  int64_t missing_count = 0;
  // The record ids (= `_id` key strings) of invalid documents.
  std::vector<std::string> corrupt_records;
};

// Validates `indexes.collection()` on a fresh snapshot of `engine`. `indexes` must have been
// compiled (IndexCache::Get) from `catalog`'s descriptor BEFORE the call, so every index it calls
// ready has all its entries in the snapshot; an index `catalog` no longer lists once the snapshot
// is taken (dropped meanwhile) is skipped with a warning instead of being reported empty.
//
// Reported entries: a missing entry is {indexName, recordId: <_id>, idKey: {_id: <_id>},
// indexKey: {<path>: <value>, …}} (MongoDB's shape; Strata's record id is the `_id`; when the
// values cannot be regenerated, indexKey holds key-string bytes as for extra entries). An extra
// entry is {indexName, recordId, indexKey}: `recordId` is the `_id` of the document the entry
// names when that document exists and is valid, else the entry's `_id` key string as BinData
// (key strings cannot be decoded); `indexKey` holds each key part's key-string bytes as BinData
// under its path (subtype 0). A malformed entry is {indexName, entryKey: BinData, entryValue:
// BinData}.
//
// Errors (the Status, not the report): I/O and RocksDB errors, an unreadable catalog record
// (kDataLoss). Corruption of documents and entries is reported in the result, never as a Status.
absl::StatusOr<ValidateResult> ValidateCollection(const engine::StorageEngine& engine,
                                                  const engine::Catalog& catalog,
                                                  const CollectionIndexes& indexes,
                                                  const ValidateOptions& options = {});

}  // namespace strata::db

#endif  // STRATA_DB_VALIDATE_COLLECTION_H_
