// Kill points: named places in Strata's write paths where a crash test can SIGKILL the
// process, to prove that a crash exactly there loses nothing acknowledged and leaves nothing
// half done (tests/crash/crash_loop_test.cc, "KillPoints").
//
// Disabled (the default) unless the environment variable STRATA_KILL_POINT is set when the
// process first reaches a kill point: "name" kills at the first MaybeKill("name"), "name:n" at
// the n-th. A disabled kill point costs one atomic load. The variable is read once per process.
//
// The points (keep this list and the README's in step when adding one):
//   write.before_commit       a document write transaction, before its one RocksDB write
//   write.after_commit        after that write, before the caller hears of it
//   batch.before_write        every catalog/index-build batch (StorageEngine::WriteBatchUnlocked)
//   catalog.create_collection catalog.set_indexes  catalog.allocate_index_id
//   catalog.drop_collection   catalog.rename_collection          (before each catalog write)
//   index_build.registered    the new index is in the catalog, not ready, no entries yet
//   index_build.after_batch   after each sorted batch of entries is written
//   index_build.before_ready  every entry written, the index not yet marked ready
//   index_build.after_ready   the index marked ready, createIndexes not yet returned
//   dump.before_rename        a dump or export file is whole and fsynced as `<name>.partial`,
//                             not yet renamed to its name (tools/dump/byte_streams.cc, export)
//   restore.after_batch       restore inserted one batch of documents (indexes come after)
// Thread safety: thread-safe.
#ifndef STRATA_BASE_KILL_POINT_H_
#define STRATA_BASE_KILL_POINT_H_

#include <string_view>

namespace strata {

// SIGKILLs this process when STRATA_KILL_POINT selects this call (see above); else returns.
void MaybeKill(std::string_view name);

}  // namespace strata

#endif  // STRATA_BASE_KILL_POINT_H_
