// DatabaseImpl::ModifyIndex: collMod's index options (hidden, expireAfterSeconds).
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "db/database_impl.h"
#include "index/index_spec.h"
#include "index/internal/shell_format.h"

namespace strata::db {
namespace {

// `descriptor` with `field` set to the value appended by `append` (in place when present,
// at the end otherwise).
template <typename AppendFn>
Document WithField(DocumentView descriptor, absl::string_view field, AppendFn append) {
  Document out;
  bson_t bson;
  descriptor.AsBson(&bson);
  bson_iter_t it;
  bson_iter_init(&it, &bson);
  bool replaced = false;
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it)) == field) {
      append(out.mutable_bson());
      replaced = true;
    } else {
      bson_append_iter(out.mutable_bson(), bson_iter_key(&it), -1, &it);
    }
  }
  if (!replaced) append(out.mutable_bson());
  return out;
}

}  // namespace

absl::StatusOr<IndexModificationResult> DatabaseImpl::ModifyIndex(absl::string_view ns,
                                                                  const IndexModification& change) {
  RETURN_IF_ERROR(engine::ValidateNamespace(ns));
  if (change.name.has_value() == change.key_pattern.has_value()) {
    return MongoError(ErrorCode::kInvalidOptions,
                      "must specify exactly one of 'name' or 'keyPattern' in 'index'");
  }
  if (!change.hidden.has_value() && !change.expire_after_seconds.has_value()) {
    return MongoError(ErrorCode::kInvalidOptions,
                      "no expireAfterSeconds or hidden field to update");
  }
  absl::WriterMutexLock ddl(&ddl_mu_);
  engine::CollectionHandle collection = catalog_->Find(ns);
  if (collection == nullptr) {
    return MongoError(ErrorCode::kNamespaceNotFound, "ns does not exist");
  }
  const bool is_id =
      change.name.has_value()
          ? *change.name == "_id_"
          : index::IndexSpec::IdIndex().key_pattern().BytesEqual(change.key_pattern->view());
  if (is_id) {
    return MongoError(ErrorCode::kBadValue, "can't hide _id index or change its TTL");
  }
  std::vector<engine::IndexEntry> entries;
  IndexModificationResult result;
  bool found = false;
  for (const engine::IndexEntry& entry : collection->indexes) {
    entries.push_back(entry.Clone());
    ASSIGN_OR_RETURN(index::IndexSpec spec,
                     index::IndexSpec::FromDescriptor(entry.descriptor.view()));
    bool selected = change.name.has_value()
                        ? spec.name() == *change.name
                        : spec.key_pattern().BytesEqual(change.key_pattern->view());
    if (!selected || !entry.ready) continue;
    found = true;
    Document descriptor = entry.descriptor.Clone();
    if (change.hidden.has_value()) {
      result.hidden_old = spec.hidden();
      result.hidden_new = *change.hidden;
      descriptor = WithField(descriptor.view(), "hidden", [&](bson_t* out) {
        if (*change.hidden) BSON_APPEND_BOOL(out, "hidden", true);
      });
    }
    if (change.expire_after_seconds.has_value()) {
      if (spec.num_key_parts() != 1) {
        return MongoError(ErrorCode::kInvalidOptions,
                          "TTL indexes are single-field indexes, compound indexes do not "
                          "support TTL");
      }
      if (spec.expire_after_seconds().has_value()) {
        result.expire_after_seconds_old = *spec.expire_after_seconds();
      }
      result.expire_after_seconds_new = *change.expire_after_seconds;
      if (*change.expire_after_seconds < 0 ||
          *change.expire_after_seconds > std::numeric_limits<int32_t>::max()) {
        return MongoError(ErrorCode::kBadValue,
                          "TTL index 'expireAfterSeconds' option must be within the range of a "
                          "32-bit non-negative integer");
      }
      descriptor = WithField(descriptor.view(), "expireAfterSeconds", [&](bson_t* out) {
        BSON_APPEND_INT32(out, "expireAfterSeconds",
                          static_cast<int32_t>(*change.expire_after_seconds));
      });
    }
    // The changed descriptor must still be a valid index (kDataLoss would mean a bug here).
    RETURN_IF_ERROR(index::IndexSpec::FromDescriptor(descriptor.view()).status());
    entries.back().descriptor = std::move(descriptor);
  }
  if (!found) {
    return MongoError(ErrorCode::kIndexNotFound,
                      absl::StrCat("cannot find index ",
                                   change.name.has_value()
                                       ? *change.name
                                       : index::internal::ShellString(change.key_pattern->view()),
                                   " for ns ", ns));
  }
  RETURN_IF_ERROR(catalog_->SetIndexes(ns, std::move(entries)).status());
  return result;
}

}  // namespace strata::db
