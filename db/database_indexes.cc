// DatabaseImpl's index DDL: createIndexes, dropIndexes, listIndexes, and the removal of
// builds a crash interrupted. (The data paths that maintain index entries are in
// database_impl.cc, through IndexWriter.)
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/kill_point.h"
#include "base/status_macros.h"
#include "db/database_impl.h"
#include "db/index_builder.h"
#include "document/compare.h"
#include "index/index_spec.h"
#include "index/internal/shell_format.h"
#include "index/key_types.h"

namespace strata::db {
namespace {

// The catalog entries of `collection` as a new list to edit.
std::vector<engine::IndexEntry> CopyEntries(const engine::CollectionInfo& collection) {
  std::vector<engine::IndexEntry> entries;
  for (const engine::IndexEntry& entry : collection.indexes) entries.push_back(entry.Clone());
  return entries;
}

absl::StatusOr<std::vector<index::IndexSpec>> ExistingSpecs(
    const engine::CollectionInfo& collection) {
  std::vector<index::IndexSpec> specs{index::IndexSpec::IdIndex()};
  for (const engine::IndexEntry& entry : collection.indexes) {
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    spec.set_id(entry.id);
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace

absl::Status DatabaseImpl::DropUnfinishedIndexBuilds() {
  for (const engine::CollectionHandle& collection : catalog_->List()) {
    std::vector<engine::IndexEntry> kept;
    for (const engine::IndexEntry& entry : collection->indexes) {
      if (entry.ready) kept.push_back(entry.Clone());
    }
    if (kept.size() == collection->indexes.size()) continue;
    // One write: the catalog change and the range delete of the partial entries.
    RETURN_IF_ERROR(catalog_->SetIndexes(collection->ns, std::move(kept)).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<CreateIndexesResult> DatabaseImpl::CreateIndexes(
    absl::string_view ns, const std::vector<DocumentView>& specs, bool require_names) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  if (specs.empty()) {
    return MongoError(ErrorCode::kBadValue, "Must specify at least one index to create");
  }
  std::vector<index::IndexSpec> requested;
  index::IndexSpecParseOptions parse_options;
  parse_options.require_name = require_names;
  for (DocumentView spec : specs) {
    ASSIGN_OR_RETURN(index::IndexSpec parsed, index::IndexSpec::Parse(spec, parse_options));
    if (std::optional<DocumentView> filter = parsed.partial_filter_expression()) {
      absl::Status compiled = CompilePartialFilter(*filter).status();
      if (!compiled.ok()) {
        return MongoError(
            ErrorCodeOf(compiled),
            absl::StrCat("Error in specification ", index::internal::ShellString(spec),
                         " :: caused by :: ", compiled.message()));
      }
    }
    requested.push_back(std::move(parsed));
  }

  // Exclusive: no document write may slip between the build's snapshot and the index
  // becoming ready (it would miss the index). Readers do not take this lock.
  absl::WriterMutexLock ddl(&ddl_mu_);
  CreateIndexesResult result;
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    ASSIGN_OR_RETURN(collection, catalog_->FindOrCreate(ns));
    result.created_collection = true;
  }
  ASSIGN_OR_RETURN(std::vector<index::IndexSpec> existing, ExistingSpecs(*collection));
  result.num_indexes_before = static_cast<int>(existing.size());
  std::vector<engine::IndexEntry> entries = CopyEntries(*collection);
  size_t first_new = entries.size();
  for (index::IndexSpec& spec : requested) {
    ASSIGN_OR_RETURN(index::CreateDecision decision, index::DecideCreate(spec, existing));
    if (decision == index::CreateDecision::kAlreadyExists) continue;
    if (existing.size() >= static_cast<size_t>(index::kMaxIndexesPerCollection)) {
      return MongoError(ErrorCode::kCannotCreateIndex,
                        absl::StrCat("add index fails, too many indexes for ", ns,
                                     " key:", index::internal::ShellString(spec.key_pattern())));
    }
    ASSIGN_OR_RETURN(engine::IndexId id, catalog_->AllocateIndexId());
    spec.set_id(id);
    spec.set_entry_format(index::kCurrentEntryFormat);  // typed entries (index/key_types.h)
    entries.push_back(engine::IndexEntry{id, spec.ToDescriptor(), /*ready=*/false});
    existing.push_back(std::move(spec));
  }
  result.num_indexes_after = static_cast<int>(existing.size());
  if (entries.size() == first_new) return result;

  // 1. The new indexes enter the catalog not ready (ids allocated, durable).
  ASSIGN_OR_RETURN(engine::CollectionHandle building, catalog_->SetIndexes(ns, std::move(entries)));
  MaybeKill("index_build.registered");
  // 2. Their entries are built from the documents; 3. they become ready: from that durable
  // write on, queries may use them. On any failure in between the new indexes leave the
  // catalog again, their partial entries range-deleted in that same write (a not-ready index
  // left behind would be maintained but never listed, and would make a retry a no-op).
  auto build = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::shared_ptr<const CollectionIndexes> compiled,
                     index_cache_->Get(building));
    std::vector<const CompiledIndex*> targets;
    for (const auto& index : compiled->all()) {
      if (!index->ready()) targets.push_back(index.get());
    }
    IndexBuilder builder(engine_.get(), engine_->options().index_build_memory_bytes, progress_);
    RETURN_IF_ERROR(builder.Build(*compiled, targets));
    std::vector<engine::IndexEntry> ready = CopyEntries(*building);
    for (engine::IndexEntry& entry : ready) entry.ready = true;
    MaybeKill("index_build.before_ready");
    RETURN_IF_ERROR(catalog_->SetIndexes(ns, std::move(ready)).status());
    MaybeKill("index_build.after_ready");
    return absl::OkStatus();
  };
  if (absl::Status built = build(); !built.ok()) {
    RETURN_IF_ERROR(catalog_->SetIndexes(ns, CopyEntries(*collection)).status());
    return built;
  }
  return result;
}

absl::StatusOr<int> DatabaseImpl::DropIndexes(absl::string_view ns, const IndexSelector& selector) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  absl::WriterMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound, absl::StrCat("ns not found ", ns));
  }
  ASSIGN_OR_RETURN(std::vector<index::IndexSpec> existing, ExistingSpecs(*collection));
  const int before = static_cast<int>(existing.size());
  // existing[i + 1] describes collection->indexes[i] (existing[0] is the _id index).
  std::vector<bool> drop(collection->indexes.size(), false);
  if (selector.all) {
    drop.assign(drop.size(), true);
  } else if (selector.key.has_value()) {
    std::vector<size_t> matches;
    for (size_t i = 0; i < existing.size(); ++i) {
      // As MongoDB's findIndexesByKeyPattern: BSON equality, so {a: 1.0} names {a: 1}.
      if (document::CompareDocuments(existing[i].key_pattern(), selector.key->view()) == 0) {
        matches.push_back(i);
      }
    }
    if (matches.empty()) {
      return MongoError(ErrorCode::kIndexNotFound,
                        absl::StrCat("can't find index with key: ",
                                     index::internal::ShellString(selector.key->view())));
    }
    if (matches.size() > 1) {
      std::string names;
      for (size_t i : matches)
        absl::StrAppend(&names, names.empty() ? "" : ", ", existing[i].name());
      return MongoError(ErrorCode::kAmbiguousIndexKeyPattern,
                        absl::StrCat(matches.size(), " indexes found for key: ",
                                     index::internal::ShellString(selector.key->view()),
                                     ", identify by name instead. Conflicting indexes: ", names));
    }
    if (matches[0] == 0) return MongoError(ErrorCode::kInvalidOptions, "cannot drop _id index");
    drop[matches[0] - 1] = true;
  } else {
    for (const std::string& name : selector.names) {
      if (name == "_id_") return MongoError(ErrorCode::kInvalidOptions, "cannot drop _id index");
      auto it = std::find_if(existing.begin() + 1, existing.end(),
                             [&](const index::IndexSpec& spec) { return spec.name() == name; });
      if (it == existing.end()) {
        return MongoError(ErrorCode::kIndexNotFound,
                          absl::StrCat("index not found with name [", name, "]"));
      }
      drop[static_cast<size_t>(it - existing.begin()) - 1] = true;
    }
  }
  std::vector<engine::IndexEntry> kept;
  for (size_t i = 0; i < collection->indexes.size(); ++i) {
    if (!drop[i]) kept.push_back(collection->indexes[i].Clone());
  }
  if (kept.size() != collection->indexes.size()) {
    // One durable write: the catalog change and the range delete of the dropped entries.
    RETURN_IF_ERROR(catalog_->SetIndexes(ns, std::move(kept)).status());
  }
  return before;
}

absl::StatusOr<std::vector<Document>> DatabaseImpl::ListIndexes(absl::string_view ns) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound, absl::StrCat("ns does not exist: ", ns));
  }
  std::vector<Document> result;
  result.push_back(index::IndexSpec::IdIndex().ToListIndexesEntry());
  for (const engine::IndexEntry& entry : collection->indexes) {
    if (!entry.ready) continue;
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    result.push_back(spec.ToListIndexesEntry());
  }
  return result;
}

}  // namespace strata::db
