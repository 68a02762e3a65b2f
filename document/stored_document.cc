#include "document/stored_document.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/validate.h"

namespace strata::document {
namespace {

absl::Status CheckIdType(const bson_iter_t& id) {
  switch (bson_iter_type(&id)) {
    case BSON_TYPE_ARRAY:
      return MongoError(ErrorCode::kBadValue, "The '_id' value cannot be of type array");
    case BSON_TYPE_REGEX:
      return MongoError(ErrorCode::kBadValue, "The '_id' value cannot be of type regex");
    case BSON_TYPE_UNDEFINED:
      return MongoError(ErrorCode::kBadValue, "The '_id' value cannot be of type undefined");
    case BSON_TYPE_DOCUMENT: {
      // An _id document's own field names may not start with '$' (they would read as operators).
      bson_iter_t child;
      if (!bson_iter_recurse(&id, &child)) return absl::OkStatus();
      while (bson_iter_next(&child)) {
        absl::string_view key(bson_iter_key(&child), bson_iter_key_len(&child));
        if (!key.empty() && key[0] == '$') {
          return MongoError(ErrorCode::kDollarPrefixedFieldName,
                            absl::StrCat("_id fields may not contain '$'-prefixed fields: ", key,
                                         " is not valid for storage."));
        }
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

// Checks top-level names and copies `input` with `id` (if given) or its own `_id` first.
absl::StatusOr<Document> Normalize(DocumentView input, const bson_iter_t* supplied_id,
                                   bool generate_id) {
  RETURN_IF_ERROR(ValidateBson(input));
  bson_t in;
  if (!input.AsBson(&in)) return MongoError(ErrorCode::kBadValue, "invalid BSON document");
  bson_iter_t it;
  bson_iter_t own_id;
  bool has_id = false;
  bool id_first = false;
  bool first = true;
  bson_iter_init(&it, &in);
  while (bson_iter_next(&it)) {
    absl::string_view key(bson_iter_key(&it), bson_iter_key_len(&it));
    if (!key.empty() && key[0] == '$') {
      return MongoError(ErrorCode::kDollarPrefixedFieldName,
                        absl::StrCat("Document can't have $ prefixed field names: ", key));
    }
    if (key == "_id") {
      own_id = it;
      has_id = true;
      id_first = first;
    }
    first = false;
  }
  if (has_id) RETURN_IF_ERROR(CheckIdType(own_id));
  if (has_id && supplied_id != nullptr) {
    // The caller compares the ids (ImmutableField); here the document's own `_id` wins.
    supplied_id = nullptr;
  }
  if (has_id && id_first) return Document::Copy(input);

  bson_t* out = bson_sized_new(input.size() + 32);
  if (has_id) {
    bson_append_iter(out, "_id", 3, &own_id);
  } else if (supplied_id != nullptr) {
    bson_append_iter(out, "_id", 3, supplied_id);
  } else if (generate_id) {
    bson_oid_t oid = NewObjectId();
    bson_append_oid(out, "_id", 3, &oid);
  }
  bson_iter_init(&it, &in);
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it)) == "_id") continue;
    bson_append_iter(out, bson_iter_key(&it), static_cast<int>(bson_iter_key_len(&it)), &it);
  }
  Document result = Document::Adopt(out);
  if (result.size() > kMaxUserDocumentSize) {
    return MongoError(ErrorCode::kBSONObjectTooLarge,
                      absl::StrCat("document is too large: ", result.size(),
                                   " bytes, the maximum is ", kMaxUserDocumentSize));
  }
  return result;
}

}  // namespace

bson_oid_t NewObjectId() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  return oid;
}

absl::StatusOr<Document> PrepareForStorage(DocumentView input) {
  return Normalize(input, nullptr, /*generate_id=*/true);
}

absl::StatusOr<Document> PrepareReplacement(DocumentView input, const bson_iter_t& id) {
  return Normalize(input, &id, /*generate_id=*/false);
}

bool FindId(DocumentView doc, bson_iter_t* id) {
  bson_t b;
  if (!doc.AsBson(&b)) return false;
  if (!bson_iter_init(id, &b)) return false;
  // Stored documents keep `_id` first; fall back to a search for other inputs.
  if (bson_iter_next(id) && absl::string_view(bson_iter_key(id)) == "_id") return true;
  return bson_iter_init_find(id, &b, "_id");
}

}  // namespace strata::document
