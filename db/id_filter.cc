#include "db/id_filter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "document/key_string.h"

namespace strata::db {

absl::StatusOr<IdFilter> IdFilter::Parse(DocumentView filter) {
  IdFilter result;
  bson_t b;
  if (!filter.AsBson(&b)) return MongoError(ErrorCode::kBadValue, "filter is not a valid document");
  bson_iter_t it;
  bson_iter_init(&it, &b);
  if (!bson_iter_next(&it)) return result;  // {}: every document
  absl::string_view key(bson_iter_key(&it), bson_iter_key_len(&it));
  bson_iter_t value = it;
  if (bson_iter_next(&it) || key != "_id") {
    return MongoError(ErrorCode::kNotImplemented,
                      absl::StrCat("unsupported filter ", filter.ToJson(),
                                   ": this build evaluates only {} and equality on _id"));
  }
  if (BSON_ITER_HOLDS_DOCUMENT(&value)) {
    bson_iter_t inner;
    bson_iter_recurse(&value, &inner);
    if (bson_iter_next(&inner) && bson_iter_key(&inner)[0] == '$') {
      bson_iter_t operand = inner;
      if (absl::string_view(bson_iter_key(&inner)) != "$eq" || bson_iter_next(&inner)) {
        return MongoError(ErrorCode::kNotImplemented,
                          absl::StrCat("unsupported filter ", filter.ToJson(),
                                       ": this build evaluates only {} and equality on _id"));
      }
      value = operand;
    }
  }
  if (BSON_ITER_HOLDS_REGEX(&value) || BSON_ITER_HOLDS_ARRAY(&value)) {
    return MongoError(ErrorCode::kNotImplemented,
                      absl::StrCat("unsupported filter ", filter.ToJson(),
                                   ": regex and array matches on _id need the query language"));
  }
  result.id_key = document::EncodeKeyString(value);
  bson_append_iter(result.id_document.mutable_bson(), "_id", 3, &value);
  return result;
}

}  // namespace strata::db
