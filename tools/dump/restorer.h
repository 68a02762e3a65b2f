// Restore: loads a dump in mongodump's layout (directory or archive; Strata's or MongoDB's own
// mongodump's) into a data directory, as mongorestore does.
//
// Per collection: --drop drops it first; it is created with the dump's options (validator,
// validationLevel, validationAction, …) unless it exists; the documents stream in (strict
// BSON validation of each, bson_stream.h) and are inserted in large batches
// (DatabaseImpl::BulkInsert: one write batch each while the collection has no index); then the
// dump's indexes are built from the loaded documents by the index builder (sorted, memory-bounded
// bulk), unless --noIndexRestore.
//
// Durability and crashes: the caller opens the database in kRelaxed mode, so each batch
// commits (atomically: documents, index entries, statistics) to the WAL without an fsync, and
// closes it at the end, which syncs the WAL once. A crash (kill -9) mid-restore keeps every
// committed batch, loses at most the batch in flight, and an index build it cut short is
// dropped on the next open (never half-visible); a power loss may also lose the unsynced tail.
// A restore is therefore not atomic: re-run it with --drop after a crash.
//
// Errors: a per-document insert failure (duplicate key, validation) is counted and reported,
// and the restore continues unless `stop_on_error`. A corrupt or truncated .bson (or archive)
// stops the restore with the file, byte offset and reason, after every complete document
// before it has been inserted. Options that cannot be applied skip that collection; indexes
// that cannot be built are reported; both make the result not ok.
#ifndef STRATA_TOOLS_DUMP_RESTORER_H_
#define STRATA_TOOLS_DUMP_RESTORER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "db/database_impl.h"
#include "tools/dump/progress.h"

namespace strata::tools::dump {

struct RestoreOptions {
  std::optional<std::string> in_dir;   // a dump directory (OUT of strata dump / mongodump)
  std::optional<std::string> archive;  // or an archive ("-": standard input)
  bool drop = false;                   // drop each collection before restoring it
  std::vector<std::string> ns_include, ns_exclude;  // namespace_rules.h
  std::vector<std::string> ns_from, ns_to;
  bool no_index_restore = false;
  bool no_options_restore = false;
  bool maintain_insertion_order = false;  // ordered inserts, in file order
  bool stop_on_error = false;             // stop at the first failed document
  bool bypass_document_validation = false;
  // A batch is inserted when it holds this many documents or bytes. Defaults: 10000, 16 MiB.
  size_t batch_documents = 10000;
  size_t batch_bytes = size_t{16} << 20;
};

struct CollectionRestoreResult {
  std::string source_ns;            // in the dump
  std::string ns;                   // restored into
  int64_t documents = 0;            // inserted
  int64_t failed = 0;               // rejected (duplicate key, validation, …)
  int64_t bytes = 0;                // of inserted documents
  int indexes = 0;                  // secondary indexes built
  std::vector<std::string> errors;  // options/index problems
};

struct RestoreResult {
  std::vector<CollectionRestoreResult> collections;
  int64_t documents = 0, failed = 0;
  // Not ok when the restore stopped early (corrupt input, --stopOnError, I/O) or a collection's
  // options or indexes could not be restored.
  absl::Status status;
};

RestoreResult Restore(db::DatabaseImpl& db, const RestoreOptions& options, Progress& progress);

}  // namespace strata::tools::dump

#endif  // STRATA_TOOLS_DUMP_RESTORER_H_
