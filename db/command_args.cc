#include "db/command_args.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "document/type_names.h"

namespace strata::db {
namespace {

constexpr absl::string_view kGenericFields[] = {
    "$db",
    "lsid",
    "txnNumber",
    "autocommit",
    "startTransaction",
    "comment",
    "maxTimeMS",
    "writeConcern",
    "readConcern",
    "$readPreference",
    "apiVersion",
    "apiStrict",
    "apiDeprecationErrors",
    "$clusterTime",
    "bypassDocumentValidation",
    "let",
};

}  // namespace

absl::StatusOr<std::string> CollectionNameArg(const bson_t& command, absl::string_view what) {
  bson_iter_t it;
  bson_iter_init(&it, &command);
  bson_iter_next(&it);
  if (!BSON_ITER_HOLDS_UTF8(&it)) {
    return MongoError(
        ErrorCode::kInvalidNamespace,
        absl::StrCat(what, " must be a string, not ", document::BsonTypeName(bson_iter_type(&it))));
  }
  return std::string(bson_iter_utf8(&it, nullptr));
}

DocumentView EmbeddedView(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_document(&it, &length, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_array(&it, &length, &data);
  }
  return data != nullptr ? DocumentView(data, length) : DocumentView();
}

bool CommandArgs::Find(absl::string_view field, bson_iter_t* it) const {
  if (!bson_iter_init(it, &command_)) return false;
  while (bson_iter_next(it)) {
    if (absl::string_view(bson_iter_key(it), bson_iter_key_len(it)) == field) return true;
  }
  return false;
}

absl::Status CommandArgs::CheckKnownFields(std::initializer_list<absl::string_view> known) const {
  bson_iter_t it;
  if (!bson_iter_init(&it, &command_)) return absl::OkStatus();
  bool first = true;
  while (bson_iter_next(&it)) {
    absl::string_view key(bson_iter_key(&it), bson_iter_key_len(&it));
    if (first) {  // the command name itself
      first = false;
      continue;
    }
    bool ok = false;
    for (absl::string_view k : known) ok = ok || k == key;
    for (absl::string_view k : kGenericFields) ok = ok || k == key;
    if (!ok) {
      return MongoError(ErrorCode::kLocation40415,
                        absl::StrCat("BSON field '", name_, ".", key, "' is an unknown field."));
    }
  }
  return absl::OkStatus();
}

bool CommandArgs::Has(absl::string_view field) const {
  bson_iter_t it;
  return Find(field, &it);
}

absl::Status CommandArgs::WrongType(absl::string_view field, const bson_iter_t& value,
                                    absl::string_view expected) const {
  return MongoError(ErrorCode::kTypeMismatch,
                    absl::StrCat("BSON field '", name_, ".", field, "' is the wrong type '",
                                 document::BsonTypeName(bson_iter_type(&value)),
                                 "', expected type '", expected, "'"));
}

absl::Status CommandArgs::Missing(absl::string_view field) const {
  return MongoError(ErrorCode::kLocation40414, absl::StrCat("BSON field '", name_, ".", field,
                                                            "' is missing but a required field"));
}

absl::StatusOr<std::optional<std::string>> CommandArgs::String(absl::string_view field) const {
  bson_iter_t it;
  if (!Find(field, &it)) return std::optional<std::string>();
  if (!BSON_ITER_HOLDS_UTF8(&it)) return WrongType(field, it, "string");
  uint32_t length = 0;
  const char* text = bson_iter_utf8(&it, &length);
  return std::optional<std::string>(std::string(text, length));
}

absl::StatusOr<std::optional<bool>> CommandArgs::Bool(absl::string_view field) const {
  bson_iter_t it;
  if (!Find(field, &it)) return std::optional<bool>();
  // MongoDB's IDL accepts numbers for bool fields too ("ordered: 1").
  if (BSON_ITER_HOLDS_BOOL(&it)) return std::optional<bool>(bson_iter_bool(&it));
  if (BSON_ITER_HOLDS_NUMBER(&it)) return std::optional<bool>(bson_iter_as_double(&it) != 0);
  return WrongType(field, it, "bool");
}

absl::StatusOr<std::optional<int64_t>> CommandArgs::Integer(absl::string_view field) const {
  bson_iter_t it;
  if (!Find(field, &it)) return std::optional<int64_t>();
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) {
    return std::optional<int64_t>(bson_iter_as_int64(&it));
  }
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
      return std::optional<int64_t>(static_cast<int64_t>(d));
    }
    return MongoError(ErrorCode::kBadValue, absl::StrCat("BSON field '", name_, ".", field,
                                                         "' must be a whole number, not ", d));
  }
  return WrongType(field, it, "long");
}

absl::StatusOr<std::optional<DocumentView>> CommandArgs::Object(absl::string_view field) const {
  bson_iter_t it;
  if (!Find(field, &it)) return std::optional<DocumentView>();
  if (!BSON_ITER_HOLDS_DOCUMENT(&it)) return WrongType(field, it, "object");
  return std::optional<DocumentView>(EmbeddedView(it));
}

absl::StatusOr<std::optional<bson_iter_t>> CommandArgs::Array(absl::string_view field) const {
  bson_iter_t it;
  if (!Find(field, &it)) return std::optional<bson_iter_t>();
  if (!BSON_ITER_HOLDS_ARRAY(&it)) return WrongType(field, it, "array");
  bson_iter_t child;
  bson_iter_recurse(&it, &child);
  return std::optional<bson_iter_t>(child);
}

absl::StatusOr<std::string> CommandArgs::RequiredString(absl::string_view field) const {
  auto value = String(field);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Missing(field);
  return **value;
}

absl::StatusOr<bson_iter_t> CommandArgs::RequiredArray(absl::string_view field) const {
  auto value = Array(field);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Missing(field);
  return **value;
}

}  // namespace strata::db
