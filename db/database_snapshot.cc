#include "db/database_snapshot.h"

#include "base/status_macros.h"
#include "index/index_spec.h"

namespace strata::db {

absl::StatusOr<DatabaseSnapshot> DatabaseSnapshot::Take(DatabaseImpl& db,
                                                        absl::string_view db_name) {
  DatabaseSnapshot view(&db, db.engine().GetSnapshot());
  ASSIGN_OR_RETURN(view.collections_, db.catalog().ListAt(*view.snapshot_, db_name));
  return view;
}

absl::StatusOr<std::vector<Document>> DatabaseSnapshot::IndexSpecs(
    const engine::CollectionInfo& collection) const {
  std::vector<Document> specs;
  specs.push_back(index::IndexSpec::IdIndex().ToListIndexesEntry());
  for (const engine::IndexEntry& entry : collection.indexes) {
    if (!entry.ready) continue;  // a build in progress at the snapshot has no complete entries
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    specs.push_back(spec.ToListIndexesEntry());
  }
  return specs;
}

absl::StatusOr<engine::CollectionStats> DatabaseSnapshot::Stats(
    const engine::CollectionInfo& collection) const {
  return engine::ReadCollectionStats(db_->engine(), collection.id, snapshot_.get());
}

std::unique_ptr<engine::RecordIterator> DatabaseSnapshot::Records(
    const engine::CollectionInfo& collection) const {
  auto it = std::make_unique<engine::RecordIterator>(db_->engine(), snapshot_, collection.id);
  it->SeekToFirst();
  return it;
}

}  // namespace strata::db
