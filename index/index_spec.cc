// Parsing follows the order in which MongoDB 8 checks a createIndexes entry, so that a spec
// with several problems reports the same one:
//   0. TTL options (validateIndexSpecTTL), quoting the spec as given;
//   1. field names, field types and the key pattern (validateIndexSpec), wrapped in
//      "Error in specification <spec> :: caused by :: ";
//   2. the _id index rules, or the reserved names "_id_" and "*";
//   3. catalog checks (IndexCatalogImpl::_isSpecOk), wrapped with the spec plus its "v";
//   4. Strata's NotImplemented for what MongoDB accepts but Strata does not build yet.
#include "index/index_spec.h"

#include <bson/bson.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "document/compare.h"
#include "document/type_names.h"
#include "index/internal/index_error_codes.h"
#include "index/internal/shell_format.h"

namespace strata::index {
namespace {

using internal::kCannotCreateIndex;
using internal::kInvalidIndexSpecificationOption;
using internal::ShellElementString;
using internal::ShellString;

constexpr size_t kMaxKeyPatternSize = 2048;

// Every top-level field MongoDB accepts in an index specification (allowedFieldNames).
bool IsKnownSpecField(absl::string_view name) {
  static constexpr absl::string_view kFields[] = {"key",
                                                  "name",
                                                  "v",
                                                  "unique",
                                                  "sparse",
                                                  "background",
                                                  "partialFilterExpression",
                                                  "expireAfterSeconds",
                                                  "hidden",
                                                  "collation",
                                                  "storageEngine",
                                                  "weights",
                                                  "default_language",
                                                  "language_override",
                                                  "textIndexVersion",
                                                  "2dsphereIndexVersion",
                                                  "bits",
                                                  "min",
                                                  "max",
                                                  "bucketSize",
                                                  "wildcardProjection",
                                                  "columnstoreProjection",
                                                  "columnstoreCompressor",
                                                  "ns",
                                                  "dropDups",
                                                  "clustered",
                                                  "prepareUnique",
                                                  "originalSpec",
                                                  "coarsestIndexedLevel",
                                                  "finestIndexedLevel"};
  for (absl::string_view field : kFields) {
    if (name == field) return true;
  }
  return false;
}

// The fields an _id index specification may have (allowedIdIndexFieldNames).
bool IsAllowedIdSpecField(absl::string_view name) {
  return name == "collation" || name == "name" || name == "v" || name == "key" || name == "ns" ||
         name == "_id";
}

absl::string_view Key(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

bool IsNumber(const bson_iter_t& it) {
  const bson_type_t type = bson_iter_type(&it);
  return type == BSON_TYPE_INT32 || type == BSON_TYPE_INT64 || type == BSON_TYPE_DOUBLE ||
         type == BSON_TYPE_DECIMAL128;
}

// BSONElement::number(): the value as a double (decimal128 through its text form).
double NumberValue(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
      return static_cast<double>(bson_iter_int64(&it));
    case BSON_TYPE_DOUBLE:
      return bson_iter_double(&it);
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      return std::strtod(text, nullptr);
    }
    default:
      return 0;
  }
}

// BSONElement::trueValue() for the types the bool options accept (numbers and bools).
bool TrueValue(const bson_iter_t& it) {
  if (bson_iter_type(&it) == BSON_TYPE_BOOL) return bson_iter_bool(&it);
  if (IsNumber(it)) {
    const double value = NumberValue(it);
    return value != 0 || std::isnan(value);
  }
  return bson_iter_type(&it) != BSON_TYPE_NULL && bson_iter_type(&it) != BSON_TYPE_UNDEFINED &&
         bson_iter_type(&it) != BSON_TYPE_EOD;
}

// safeNumberLong / safeNumberInt: truncation toward zero, clamped, NaN → 0.
int64_t SafeNumberLong(const bson_iter_t& it) {
  if (bson_iter_type(&it) == BSON_TYPE_INT32) return bson_iter_int32(&it);
  if (bson_iter_type(&it) == BSON_TYPE_INT64) return bson_iter_int64(&it);
  const double value = NumberValue(it);
  if (std::isnan(value)) return 0;
  if (value >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  if (value < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

int32_t SafeNumberInt(const bson_iter_t& it) {
  if (bson_iter_type(&it) == BSON_TYPE_INT32) return bson_iter_int32(&it);
  if (bson_iter_type(&it) == BSON_TYPE_INT64) {
    const int64_t value = bson_iter_int64(&it);
    if (value > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
    if (value < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
    return static_cast<int32_t>(value);
  }
  const double value = NumberValue(it);
  if (std::isnan(value)) return 0;
  if (value >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  if (value <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(value);
}

bool IsNaNNumber(const bson_iter_t& it) {
  return (bson_iter_type(&it) == BSON_TYPE_DOUBLE || bson_iter_type(&it) == BSON_TYPE_DECIMAL128) &&
         std::isnan(NumberValue(it));
}

bool InitIter(DocumentView doc, bson_iter_t* it) {
  return bson_iter_init_from_data(it, doc.data(), doc.size());
}

// A view of the embedded document/array at `it`.
DocumentView SubDocument(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (bson_iter_type(&it) == BSON_TYPE_ARRAY) {
    bson_iter_array(&it, &length, &data);
  } else {
    bson_iter_document(&it, &length, &data);
  }
  return data != nullptr ? DocumentView(data, length) : DocumentView();
}

bool FindField(DocumentView doc, absl::string_view name, bson_iter_t* out) {
  bson_iter_t it;
  if (!InitIter(doc, &it)) return false;
  while (bson_iter_next(&it)) {
    if (Key(it) == name) {
      *out = it;
      return true;
    }
  }
  return false;
}

size_t CountFields(DocumentView doc) {
  bson_iter_t it;
  size_t count = 0;
  if (!InitIter(doc, &it)) return 0;
  while (bson_iter_next(&it)) ++count;
  return count;
}

// IndexNames::findPluginName: the first string value, or "wildcard" for a "$**" field;
// "" (btree) otherwise.
std::string FindPluginName(DocumentView key) {
  bson_iter_t it;
  if (!InitIter(key, &it)) return "";
  while (bson_iter_next(&it)) {
    const absl::string_view field = Key(it);
    if (bson_iter_type(&it) == BSON_TYPE_UTF8) {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      return std::string(text, length);
    }
    if (field == "$**" || absl::EndsWith(field, ".$**")) return "wildcard";
  }
  return "";
}

bool IsKnownPlugin(absl::string_view name) {
  return name.empty() || name == "2d" || name == "2dsphere" || name == "2dsphere_bucket" ||
         name == "text" || name == "hashed" || name == "wildcard" || name == "columnstore";
}

std::string StringValue(const bson_iter_t& it) {
  if (bson_iter_type(&it) != BSON_TYPE_UTF8) return "";
  uint32_t length = 0;
  const char* text = bson_iter_utf8(&it, &length);
  return std::string(text, length);
}

// index_key_validate::validateKeyPattern for index version 2. Returns the reason only; the
// caller wraps it.
absl::Status ValidateKeyPattern(DocumentView key) {
  auto fail = [](absl::string_view reason) { return MongoError(kCannotCreateIndex, reason); };
  if (key.size() > kMaxKeyPatternSize) return fail("Index key pattern too large.");
  if (key.empty()) return fail("Index keys cannot be empty.");

  const std::string plugin = FindPluginName(key);
  if (!plugin.empty()) {
    if (plugin == "geoHaystack") {
      return fail("GeoHaystack indexes cannot be created in version 5.0 and above");
    }
    if (!IsKnownPlugin(plugin)) return fail(absl::StrCat("Unknown index plugin '", plugin, "'"));
  }

  bson_iter_t it;
  InitIter(key, &it);
  while (bson_iter_next(&it)) {
    if (IsNumber(it)) {
      const double value = NumberValue(it);
      if (std::isnan(value)) return fail("Values in the index key pattern cannot be NaN.");
      if (value == 0.0) return fail("Values in the index key pattern cannot be 0.");
    } else if (bson_iter_type(&it) != BSON_TYPE_UTF8) {
      return fail(absl::StrCat("Values in v:2 index key pattern cannot be of type ",
                               document::BsonTypeName(bson_iter_type(&it)),
                               ". Only numbers > 0, numbers < 0, and strings are allowed."));
    }
    const bool is_string = bson_iter_type(&it) == BSON_TYPE_UTF8;
    const std::string text = StringValue(it);
    if (is_string && plugin != text) {
      return fail("Can't use more than one index plugin for a single index.");
    }
    if (is_string && text == "wildcard") {
      return fail(
          "The key pattern value for an 'wildcard' index must be a non-zero number, not a "
          "string.");
    }

    const absl::string_view field = Key(it);
    if (field.empty()) return fail("Index keys cannot be an empty field.");
    if (field == "$**" && (!is_string || text == "text" || text == "columnstore")) continue;
    if (field == "_fts" && text != "text") {
      return fail("Index key contains an illegal field name: '_fts'");
    }
    const std::vector<absl::string_view> parts = absl::StrSplit(field, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      const absl::string_view part = parts[i];
      if (part.empty()) return fail("Index keys cannot contain an empty field.");
      if (part[0] != '$') continue;
      const bool might_be_dbref = i != 0 && (part == "$db" || part == "$id" || part == "$ref");
      const bool wildcard_tail = i + 1 == parts.size() && part == "$**" &&
                                 (plugin == "wildcard" || plugin == "columnstore");
      if (!might_be_dbref && !wildcard_tail) {
        return fail("Index key contains an illegal field name: field name starts with '$'.");
      }
    }
  }
  return absl::OkStatus();
}

// IndexDescriptor::isIdIndexPattern: exactly {_id: 1} or {_id: -1} (by safeNumberInt).
bool IsIdIndexPattern(DocumentView key) {
  bson_iter_t it;
  if (!InitIter(key, &it) || !bson_iter_next(&it)) return false;
  if (Key(it) != "_id") return false;
  const int32_t value = IsNumber(it) ? SafeNumberInt(it) : 0;
  if (value != 1 && value != -1) return false;
  return !bson_iter_next(&it);
}

Document IdKeyPattern() {
  Document doc;
  BSON_APPEND_INT32(doc.mutable_bson(), "_id", 1);
  return doc;
}

// The spec as createIndexes sees it after defaults: the given fields, then "v" if absent.
std::string SpecWithVersionString(DocumentView raw) {
  bson_iter_t ignored;
  if (FindField(raw, "v", &ignored)) return ShellString(raw);
  Document with_v = Document::Copy(raw);
  BSON_APPEND_INT32(with_v.mutable_bson(), "v", 2);
  return ShellString(with_v.view());
}

absl::Status Wrap(const absl::Status& status, absl::string_view spec_text) {
  return MongoError(ErrorCodeOf(status), absl::StrCat("Error in specification ", spec_text,
                                                      " :: caused by :: ", status.message()));
}

absl::Status NotImplemented(absl::string_view what) {
  return MongoError(ErrorCode::kNotImplemented, what);
}

// index_key_validate::validateIndexSpecTTL, with its ". Index spec: …" context.
absl::Status ValidateTtl(DocumentView raw, const bson_iter_t& seconds, DocumentView key) {
  const std::string spec_text = ShellString(raw);
  auto fail = [&](absl::string_view reason) {
    return MongoError(kCannotCreateIndex,
                      absl::StrCat(". Index spec: ", spec_text, " :: caused by :: ", reason));
  };
  if (!IsNumber(seconds)) {
    // MongoDB's message lacks the closing quote.
    return fail(absl::StrCat(
        "TTL index 'expireAfterSeconds' option must be numeric, but received a type of '",
        document::BsonTypeName(bson_iter_type(&seconds))));
  }
  if (IsNaNNumber(seconds)) return fail("TTL index 'expireAfterSeconds' option must not be NaN");
  if (SafeNumberInt(seconds) != SafeNumberLong(seconds)) {
    return fail("TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer");
  }
  if (SafeNumberLong(seconds) < 0) {
    return fail("TTL index 'expireAfterSeconds' option cannot be less than 0");
  }
  if (CountFields(key) != 1) {
    return MongoError(kCannotCreateIndex,
                      absl::StrCat("TTL indexes are single-field indexes, compound indexes do "
                                   "not support TTL. Index spec: ",
                                   spec_text));
  }
  return absl::OkStatus();
}

// True for {locale: "simple"}: MongoDB's explicit simple collation, which it drops.
bool IsSimpleCollation(DocumentView collation) {
  bson_iter_t it;
  if (!InitIter(collation, &it) || !bson_iter_next(&it)) return false;
  if (Key(it) != "locale" || StringValue(it) != "simple") return false;
  return !bson_iter_next(&it);
}

std::string NumberText(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return absl::StrCat(bson_iter_int32(&it));
    case BSON_TYPE_INT64:
      return absl::StrCat(bson_iter_int64(&it));
    case BSON_TYPE_DOUBLE: {
      const double value = bson_iter_double(&it);
      if (std::trunc(value) == value && std::fabs(value) < 1e15) {
        return absl::StrCat(static_cast<int64_t>(value));
      }
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", value);
      return buffer;
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t value;
      bson_iter_decimal128(&it, &value);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&value, text);
      return text;
    }
    default:
      return "";
  }
}

void AppendDocument(bson_t* out, const char* name, DocumentView doc) {
  bson_t sub;
  if (bson_init_static(&sub, doc.data(), doc.size())) bson_append_document(out, name, -1, &sub);
}

}  // namespace

// Builds IndexSpecs; a friend of IndexSpec.
class IndexSpecParser {
 public:
  static absl::StatusOr<IndexSpec> Parse(DocumentView raw, const IndexSpecParseOptions& options);
};

absl::StatusOr<IndexSpec> IndexSpecParser::Parse(DocumentView raw,
                                                 const IndexSpecParseOptions& options) {
  bson_iter_t it;
  if (!InitIter(raw, &it)) return MongoError(ErrorCode::kBadValue, "invalid index specification");

  // 0. TTL.
  bson_iter_t key_it;
  bson_iter_t ttl_it;
  const bool has_key_doc =
      FindField(raw, "key", &key_it) && bson_iter_type(&key_it) == BSON_TYPE_DOCUMENT;
  if (has_key_doc && FindField(raw, "expireAfterSeconds", &ttl_it)) {
    if (absl::Status status = ValidateTtl(raw, ttl_it, SubDocument(key_it)); !status.ok()) {
      return status;
    }
  }

  // 1. Field names, then each field.
  const std::string raw_text = ShellString(raw);
  while (bson_iter_next(&it)) {
    if (!IsKnownSpecField(Key(it))) {
      return Wrap(MongoError(kInvalidIndexSpecificationOption,
                             absl::StrCat("The field '", Key(it),
                                          "' is not valid for an index specification. "
                                          "Specification: ",
                                          raw_text)),
                  raw_text);
    }
  }

  IndexSpec spec;
  std::optional<DocumentView> key;
  std::optional<std::string> name;
  bool has_weights = false;
  bool has_collation = false;
  bool has_partial = false;
  bool sparse_true = false;
  DocumentView collation;
  std::optional<bson_iter_t> storage_engine;
  std::string plugin;
  InitIter(raw, &it);
  while (bson_iter_next(&it)) {
    const absl::string_view field = Key(it);
    const bson_type_t type = bson_iter_type(&it);
    auto type_error = [&](absl::string_view expected) {
      return Wrap(MongoError(ErrorCode::kTypeMismatch,
                             absl::StrCat("The field '", field, "' must be ", expected,
                                          ", but got ", document::BsonTypeName(type))),
                  raw_text);
    };
    if (field == "key") {
      if (type != BSON_TYPE_DOCUMENT) return type_error("an object");
      const DocumentView pattern = SubDocument(it);
      bson_iter_t a;
      InitIter(pattern, &a);
      std::vector<absl::string_view> seen;
      while (bson_iter_next(&a)) {
        for (absl::string_view previous : seen) {
          if (previous == Key(a)) {
            return Wrap(MongoError(ErrorCode::kBadValue,
                                   absl::StrCat("The field '", Key(a),
                                                "' appears multiple times in the index key "
                                                "pattern ",
                                                ShellString(pattern))),
                        raw_text);
          }
        }
        seen.push_back(Key(a));
      }
      plugin = FindPluginName(pattern);
      if (absl::Status status = ValidateKeyPattern(pattern); !status.ok()) {
        return Wrap(status, raw_text);
      }
      InitIter(pattern, &a);
      while (bson_iter_next(&a)) {
        if (bson_iter_type(&a) == BSON_TYPE_UTF8 && StringValue(a).empty()) {
          return Wrap(MongoError(kCannotCreateIndex,
                                 "Values in the index key pattern cannot be empty strings"),
                      raw_text);
        }
      }
      key = pattern;
    } else if (field == "name") {
      if (type != BSON_TYPE_UTF8) return type_error("a string");
      name = StringValue(it);
    } else if (field == "hidden") {
      // MongoDB names the wrong field in this message ('name'); kept for compatibility.
      if (type != BSON_TYPE_BOOL) {
        return Wrap(MongoError(ErrorCode::kTypeMismatch,
                               absl::StrCat("The field 'name' must be a bool, but got ",
                                            document::BsonTypeName(type))),
                    raw_text);
      }
      spec.hidden_ = bson_iter_bool(&it);
    } else if (field == "v") {
      if (!IsNumber(it)) return type_error("a number");
      const double value = NumberValue(it);
      if (!(std::trunc(value) == value && value >= -2147483648.0 && value <= 2147483647.0)) {
        return Wrap(MongoError(ErrorCode::kBadValue,
                               absl::StrCat("Index version must be representable as a 32-bit "
                                            "integer, but got ",
                                            internal::ShellValueString(it))),
                    raw_text);
      }
      const int version = static_cast<int>(value);
      if (version != 1 && version != 2) {
        return Wrap(MongoError(kCannotCreateIndex,
                               absl::StrCat("Invalid index specification ", raw_text,
                                            "; cannot create an index with v=", version)),
                    raw_text);
      }
      spec.version_ = version;
    } else if (field == "originalSpec") {
      if (type != BSON_TYPE_DOCUMENT) return type_error("an object");
    } else if (field == "collation") {
      if (type != BSON_TYPE_DOCUMENT) return type_error("an object");
      collation = SubDocument(it);
      if (collation.empty()) {
        return Wrap(
            MongoError(ErrorCode::kBadValue, "The field 'collation' cannot be an empty object."),
            raw_text);
      }
      has_collation = true;
    } else if (field == "partialFilterExpression") {
      if (type != BSON_TYPE_DOCUMENT) return type_error("an object");
      const DocumentView filter = SubDocument(it);
      spec.partial_filter_.emplace(reinterpret_cast<const char*>(filter.data()), filter.size());
      has_partial = true;
    } else if (field == "wildcardProjection" || field == "columnstoreProjection") {
      const bool wildcard = field == "wildcardProjection";
      const char* kind = wildcard ? "wildcard" : "columnstore";
      bson_iter_t k;
      const std::string key_plugin =
          FindField(raw, "key", &k) && bson_iter_type(&k) == BSON_TYPE_DOCUMENT
              ? FindPluginName(SubDocument(k))
              : "";
      if (key_plugin != kind) {
        return Wrap(MongoError(wildcard ? ErrorCode::kBadValue : kInvalidIndexSpecificationOption,
                               absl::StrCat("The field '", field, "' is only allowed in '", kind,
                                            "' indexes")),
                    raw_text);
      }
    } else if (field == "weights") {
      if (type != BSON_TYPE_DOCUMENT && type != BSON_TYPE_ARRAY && type != BSON_TYPE_UTF8) {
        return type_error("an object");
      }
      has_weights = true;
    } else if (field == "background" || field == "unique" || field == "sparse" ||
               field == "dropDups" || field == "prepareUnique" || field == "clustered") {
      if (!IsNumber(it) && type != BSON_TYPE_BOOL) {
        // MongoDB's message lacks the quote after the field name.
        return Wrap(
            MongoError(ErrorCode::kTypeMismatch,
                       absl::StrCat("The field '", field, " has value ", ShellElementString(it),
                                    ", which is not convertible to bool")),
            raw_text);
      }
      if (field == "unique") spec.unique_ = TrueValue(it);
      if (field == "sparse") spec.sparse_ = sparse_true = TrueValue(it);
    } else if (field == "default_language" || field == "language_override") {
      if (type != BSON_TYPE_UTF8) return type_error("a string");
    } else if (field == "2dsphereIndexVersion" || field == "textIndexVersion" || field == "bits" ||
               field == "min" || field == "max" || field == "coarsestIndexedLevel" ||
               field == "finestIndexedLevel") {
      if (!IsNumber(it)) return type_error("a number");
    } else if (field == "expireAfterSeconds") {
      // Validated in step 0 (a spec without a key document fails below first).
      if (IsNumber(it) && !IsNaNNumber(it) && SafeNumberInt(it) == SafeNumberLong(it) &&
          SafeNumberLong(it) >= 0) {
        spec.expire_after_seconds_ = SafeNumberInt(it);
      }
    } else if (field == "storageEngine") {
      storage_engine = it;
    }
  }
  if (!key.has_value()) {
    return Wrap(MongoError(ErrorCode::kFailedToParse,
                           "The 'key' field is a required property of an index specification"),
                raw_text);
  }
  if (!name.has_value() && options.require_name) {
    return Wrap(MongoError(ErrorCode::kFailedToParse,
                           "The 'name' field is a required property of an index specification"),
                raw_text);
  }
  if (plugin != "text" && has_weights) {
    return Wrap(MongoError(kCannotCreateIndex,
                           absl::StrCat("Invalid index specification ", raw_text,
                                        "; the field 'weights' can only be specified with text "
                                        "indexes")),
                raw_text);
  }
  if (!name.has_value()) name = DefaultIndexName(*key);

  // 2. The _id index, and the names reserved for it.
  const std::string with_v_text = SpecWithVersionString(raw);
  if (IsIdIndexPattern(*key)) {
    InitIter(raw, &it);
    while (bson_iter_next(&it)) {
      if (!IsAllowedIdSpecField(Key(it))) {
        return MongoError(kInvalidIndexSpecificationOption,
                          absl::StrCat("The field '", Key(it),
                                       "' is not valid for an _id index specification. "
                                       "Specification: ",
                                       with_v_text));
      }
    }
    if (document::CompareDocuments(*key, IdKeyPattern().view()) != 0) {
      return MongoError(ErrorCode::kBadValue,
                        absl::StrCat("The field 'key' for an _id index must be {_id: 1}, but got ",
                                     ShellString(*key)));
    }
    spec.is_id_index_ = true;
  } else if (*name == "_id_") {
    bson_iter_t k;
    FindField(raw, "key", &k);
    return MongoError(ErrorCode::kBadValue,
                      absl::StrCat("The index name '_id_' is reserved for the _id index, which "
                                   "must have key pattern {_id: 1}, found ",
                                   ShellElementString(k)));
  } else if (*name == "*") {
    return MongoError(ErrorCode::kBadValue, "The index name '*' is not valid.");
  }

  // 3. Catalog checks.
  auto catalog_error = [&](absl::string_view reason) {
    return Wrap(MongoError(kCannotCreateIndex, reason), with_v_text);
  };
  if (name->find('\0') != std::string::npos) {
    return catalog_error("index name cannot contain NUL bytes");
  }
  if (name->empty()) return catalog_error("index name cannot be empty");
  if (has_partial && sparse_true) {
    return catalog_error("cannot mix \"partialFilterExpression\" and \"sparse\" options");
  }
  if (storage_engine.has_value()) {
    if (bson_iter_type(&*storage_engine) != BSON_TYPE_DOCUMENT) {
      return catalog_error("\"storageEngine\" options must be a document if present");
    }
    if (SubDocument(*storage_engine).empty()) {
      return catalog_error(
          "Empty \"storageEngine\" options are invalid. Please remove the field or include "
          "valid options.");
    }
  }

  // 4. What Strata does not build yet.
  if (!plugin.empty()) {
    return NotImplemented(absl::StrCat("Strata does not support '", plugin, "' indexes yet"));
  }
  if (has_collation && !IsSimpleCollation(collation)) {
    return NotImplemented("Strata does not support index collations yet (only the simple one)");
  }
  InitIter(raw, &it);
  while (bson_iter_next(&it)) {
    const absl::string_view field = Key(it);
    const bool enabled_flag = (field == "clustered" || field == "prepareUnique") && TrueValue(it);
    if (enabled_flag || field == "storageEngine" || field == "originalSpec" ||
        field == "columnstoreCompressor") {
      return NotImplemented(
          absl::StrCat("Strata does not support the index option '", field, "' yet"));
    }
  }

  spec.name_ = std::move(*name);
  spec.key_pattern_.assign(reinterpret_cast<const char*>(key->data()), key->size());
  bson_iter_t part;
  InitIter(*key, &part);
  while (bson_iter_next(&part)) {
    spec.key_parts_.push_back(KeyPart{std::string(Key(part)), NumberValue(part) < 0});
  }
  if (spec.is_id_index_) {
    spec.unique_ = true;
  }
  return spec;
}

absl::StatusOr<IndexSpec> IndexSpec::Parse(DocumentView spec,
                                           const IndexSpecParseOptions& options) {
  return IndexSpecParser::Parse(spec, options);
}

IndexSpec IndexSpec::IdIndex() {
  IndexSpec spec;
  const Document key = IdKeyPattern();
  spec.name_ = "_id_";
  spec.key_pattern_.assign(reinterpret_cast<const char*>(key.data()), key.size());
  spec.key_parts_.push_back(KeyPart{"_id", false});
  spec.unique_ = true;
  spec.is_id_index_ = true;
  return spec;
}

DocumentView IndexSpec::key_pattern() const {
  return DocumentView(reinterpret_cast<const uint8_t*>(key_pattern_.data()), key_pattern_.size());
}

std::optional<DocumentView> IndexSpec::partial_filter_expression() const {
  if (!partial_filter_.has_value()) return std::nullopt;
  return DocumentView(reinterpret_cast<const uint8_t*>(partial_filter_->data()),
                      partial_filter_->size());
}

Document IndexSpec::ToListIndexesEntry() const {
  Document doc;
  bson_t* out = doc.mutable_bson();
  BSON_APPEND_INT32(out, "v", version_);
  AppendDocument(out, "key", key_pattern());
  bson_append_utf8(out, "name", -1, name_.data(), static_cast<int>(name_.size()));
  if (unique_ && !is_id_index_) BSON_APPEND_BOOL(out, "unique", true);
  if (sparse_) BSON_APPEND_BOOL(out, "sparse", true);
  if (auto filter = partial_filter_expression()) {
    AppendDocument(out, "partialFilterExpression", *filter);
  }
  if (expire_after_seconds_.has_value()) {
    BSON_APPEND_INT32(out, "expireAfterSeconds", *expire_after_seconds_);
  }
  if (hidden_) BSON_APPEND_BOOL(out, "hidden", true);
  return doc;
}

Document IndexSpec::ToDescriptor(const MultikeyPaths* multikey) const {
  Document doc;
  bson_t* out = doc.mutable_bson();
  BSON_APPEND_INT64(out, "id", id_);
  const Document entry = ToListIndexesEntry();
  bson_iter_t it;
  InitIter(entry.view(), &it);
  while (bson_iter_next(&it)) {
    bson_append_iter(out, bson_iter_key(&it), -1, &it);
  }
  if (multikey != nullptr) {
    bson_t paths;
    bson_append_array_begin(out, "multikeyPaths", -1, &paths);
    for (size_t i = 0; i < multikey->size(); ++i) {
      const std::string index = absl::StrCat(i);
      bson_t components;
      bson_append_array_begin(&paths, index.c_str(), -1, &components);
      size_t j = 0;
      for (size_t component : (*multikey)[i]) {
        const std::string position = absl::StrCat(j++);
        BSON_APPEND_INT32(&components, position.c_str(), static_cast<int32_t>(component));
      }
      bson_append_array_end(&paths, &components);
    }
    bson_append_array_end(out, &paths);
  }
  if (entry_format_ != 0) BSON_APPEND_INT32(out, "entryFormat", entry_format_);
  return doc;
}

absl::StatusOr<IndexSpec> IndexSpec::FromDescriptor(DocumentView descriptor,
                                                    MultikeyPaths* multikey) {
  bson_iter_t it;
  if (!InitIter(descriptor, &it)) return absl::DataLossError("index descriptor: invalid BSON");
  Document spec_doc;
  std::optional<int64_t> id;
  std::optional<bson_iter_t> paths;
  int entry_format = 0;
  while (bson_iter_next(&it)) {
    const absl::string_view field = Key(it);
    if (field == "entryFormat") {
      if (bson_iter_type(&it) != BSON_TYPE_INT32 || bson_iter_int32(&it) < 0) {
        return absl::DataLossError("index descriptor: entryFormat is not a non-negative int32");
      }
      entry_format = bson_iter_int32(&it);
    } else if (field == "id") {
      if (bson_iter_type(&it) != BSON_TYPE_INT64) break;
      id = bson_iter_int64(&it);
    } else if (field == "multikeyPaths") {
      paths = it;
    } else {
      bson_append_iter(spec_doc.mutable_bson(), bson_iter_key(&it), -1, &it);
    }
  }
  if (!id.has_value() || *id <= 0 || *id > std::numeric_limits<IndexId>::max()) {
    return absl::DataLossError(
        absl::StrCat("index descriptor without a valid id: ", ShellString(descriptor)));
  }
  IndexSpecParseOptions options;
  options.require_name = true;
  absl::StatusOr<IndexSpec> spec = IndexSpec::Parse(spec_doc.view(), options);
  if (!spec.ok()) {
    return absl::DataLossError(absl::StrCat("index descriptor ", ShellString(descriptor),
                                            " does not parse: ", spec.status().message()));
  }
  spec->set_id(static_cast<IndexId>(*id));
  spec->set_entry_format(entry_format);
  if (multikey != nullptr) {
    multikey->assign(spec->num_key_parts(), {});
    if (paths.has_value()) {
      bson_iter_t parts;
      size_t i = 0;
      if (bson_iter_type(&*paths) != BSON_TYPE_ARRAY || !bson_iter_recurse(&*paths, &parts)) {
        return absl::DataLossError("index descriptor: multikeyPaths is not an array");
      }
      while (bson_iter_next(&parts)) {
        bson_iter_t components;
        if (i >= multikey->size() || bson_iter_type(&parts) != BSON_TYPE_ARRAY ||
            !bson_iter_recurse(&parts, &components)) {
          return absl::DataLossError("index descriptor: malformed multikeyPaths");
        }
        while (bson_iter_next(&components)) {
          if (bson_iter_type(&components) != BSON_TYPE_INT32 || bson_iter_int32(&components) < 0) {
            return absl::DataLossError("index descriptor: malformed multikeyPaths");
          }
          (*multikey)[i].insert(static_cast<size_t>(bson_iter_int32(&components)));
        }
        ++i;
      }
    }
  }
  return spec;
}

IndexSpec::Comparison IndexSpec::Compare(const IndexSpec& other) const {
  if (document::CompareDocuments(key_pattern(), other.key_pattern()) != 0) {
    return Comparison::kDifferent;
  }
  if (unique_ != other.unique_ || sparse_ != other.sparse_) return Comparison::kDifferent;
  const auto filter = partial_filter_expression();
  const auto other_filter = other.partial_filter_expression();
  if (filter.has_value() != other_filter.has_value()) return Comparison::kDifferent;
  if (filter.has_value() && document::CompareDocuments(*filter, *other_filter) != 0) {
    return Comparison::kDifferent;
  }
  if (expire_after_seconds_ != other.expire_after_seconds_ || hidden_ != other.hidden_) {
    return Comparison::kEquivalent;
  }
  return Comparison::kIdentical;
}

bool IndexSpec::EquivalentTo(const IndexSpec& existing) const {
  return name_ == existing.name_ && Compare(existing) == Comparison::kIdentical;
}

absl::Status IndexSpec::ConflictsWith(const IndexSpec& existing) const {
  const Comparison comparison = Compare(existing);
  const std::string requested_text = ShellString(ToListIndexesEntry().view());
  const std::string existing_text = ShellString(existing.ToListIndexesEntry().view());
  if (name_ == existing.name_) {
    if (comparison == Comparison::kDifferent) {
      return MongoError(
          ErrorCode::kIndexKeySpecsConflict,
          absl::StrCat("An existing index has the same name as the requested index. When index "
                       "names are not specified, they are auto generated and can cause "
                       "conflicts. Please refer to our documentation. Requested index: ",
                       requested_text, ", existing index: ", existing_text));
    }
    if (comparison == Comparison::kEquivalent) {
      return MongoError(ErrorCode::kIndexOptionsConflict,
                        absl::StrCat("An equivalent index already exists with the same name but "
                                     "different options. Requested index: ",
                                     requested_text, ", existing index: ", existing_text));
    }
    return absl::OkStatus();
  }
  if (comparison == Comparison::kEquivalent) {
    return MongoError(ErrorCode::kIndexOptionsConflict,
                      absl::StrCat("An equivalent index already exists with a different name "
                                   "and options. Requested index: ",
                                   requested_text, ", existing index: ", existing_text));
  }
  if (comparison == Comparison::kIdentical) {
    return MongoError(ErrorCode::kIndexOptionsConflict,
                      absl::StrCat("Index already exists with a different name: ", existing.name_));
  }
  return absl::OkStatus();
}

absl::StatusOr<CreateDecision> DecideCreate(const IndexSpec& requested,
                                            absl::Span<const IndexSpec> existing) {
  if (requested.is_id_index()) return CreateDecision::kAlreadyExists;
  for (const IndexSpec& index : existing) {
    if (index.name() != requested.name()) continue;
    if (requested.EquivalentTo(index)) return CreateDecision::kAlreadyExists;
    absl::Status status = requested.ConflictsWith(index);
    if (status.ok()) status = absl::InternalError("index name conflict without a reason");
    return status;
  }
  for (const IndexSpec& index : existing) {
    if (absl::Status status = requested.ConflictsWith(index); !status.ok()) return status;
  }
  return CreateDecision::kCreate;
}

std::string DefaultIndexName(DocumentView key_pattern) {
  std::string name;
  bson_iter_t it;
  if (!InitIter(key_pattern, &it)) return name;
  while (bson_iter_next(&it)) {
    if (!name.empty()) name.push_back('_');
    absl::StrAppend(&name, Key(it), "_");
    if (bson_iter_type(&it) == BSON_TYPE_UTF8) {
      name += StringValue(it);
    } else if (IsNumber(it)) {
      name += NumberText(it);
    } else {
      name += internal::ShellValueString(it);
    }
  }
  return name;
}

}  // namespace strata::index
