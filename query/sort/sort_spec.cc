#include "query/sort/sort_spec.h"

#include <bson/bson.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/key_string.h"

namespace strata::query::sort {
namespace {

absl::Status Error(int code, absl::string_view message) {
  return MongoError(static_cast<ErrorCode>(code), message);
}

absl::string_view Key(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

absl::string_view Before(absl::string_view s, char c) { return s.substr(0, s.find(c)); }

// `name: value` for messages (the value as relaxed Extended JSON).
std::string ElementText(const bson_iter_t& it) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_iter(&doc, "v", 1, &it);
  size_t length = 0;
  char* json = bson_as_relaxed_extended_json(&doc, &length);
  std::string value = json != nullptr ? std::string(json, length) : std::string("?");
  bson_free(json);
  bson_destroy(&doc);
  size_t colon = value.find(':');
  if (colon != std::string::npos && value.size() >= colon + 4) {
    value = value.substr(colon + 2, value.size() - colon - 4);
  }
  return absl::StrCat(Key(it), ": ", value);
}

bool IsNumber(const bson_iter_t& it) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
      return true;
    default:
      return false;
  }
}

// MongoDB's safeNumberLong(): doubles truncate (NaN is 0) and saturate; decimals round to
// nearest, ties to even.
int64_t SafeNumberLong(const bson_iter_t& it) {
  double value = 0;
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(&it);
    case BSON_TYPE_INT64:
      return bson_iter_int64(&it);
    case BSON_TYPE_DOUBLE:
      value = std::trunc(bson_iter_double(&it));
      break;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t dec;
      bson_iter_decimal128(&it, &dec);
      char text[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&dec, text);
      if (absl::StrContains(text, "NaN")) return 0;
      value = std::nearbyint(std::strtod(text, nullptr));
      break;
    }
    default:
      return 0;
  }
  if (std::isnan(value)) return 0;
  if (value >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (value <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

absl::Status ValidateFieldPath(absl::string_view path) {
  if (path.empty()) return Error(40352, "FieldPath cannot be constructed with empty string");
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (part.empty()) return Error(15998, "FieldPath field names may not be empty strings.");
    if (part[0] == '$' && part != "$id" && part != "$ref" && part != "$db") {
      return Error(16410,
                   "FieldPath field names may not start with '$'. Consider using $getField or "
                   "$setField.");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseMeta(const bson_iter_t& elem) {
  bson_iter_t it;
  if (!bson_iter_recurse(&elem, &it) || !bson_iter_next(&it) || Key(it) != "$meta") {
    return Error(17312, "$meta is the only expression supported by $sort right now");
  }
  bson_iter_t meta = it;
  if (bson_iter_next(&it)) {
    return MongoError(ErrorCode::kFailedToParse,
                      "Cannot have additional keys in a $meta sort specification");
  }
  static const auto* const kMetaSorts = new absl::flat_hash_set<absl::string_view>{
      "textScore", "randVal", "geoNearDistance", "searchScore", "vectorSearchScore", "score"};
  absl::string_view name;
  if (BSON_ITER_HOLDS_UTF8(&meta)) {
    uint32_t length = 0;
    const char* data = bson_iter_utf8(&meta, &length);
    name = absl::string_view(data, length);
  }
  if (!kMetaSorts->contains(name)) {
    return Error(31138, absl::StrCat("Illegal $meta sort: ", ElementText(meta)));
  }
  return MongoError(ErrorCode::kNotImplemented,
                    absl::StrCat("sorting by {$meta: \"", name, "\"} is not supported"));
}

// ---- Sort key generation ---------------------------------------------------------------------
//
// The keys an index on the sort pattern would hold for a document (MongoDB's BtreeKeyGenerator,
// not sparse): each path is followed through embedded documents until it ends or meets an
// array; every path that meets an array must meet the same one, which is then expanded one
// element at a time (paths ending at it take the element; longer paths go on inside the
// element, or at the element a numeric component selects); an empty array gives `undefined`
// to paths ending at it and null to longer ones; a missing value is null.

// Iterators over constant one-element documents {"": null}, {"": undefined} and over {}.
const uint8_t kNullDoc[] = {7, 0, 0, 0, BSON_TYPE_NULL, 0, 0};
const uint8_t kUndefinedDoc[] = {7, 0, 0, 0, BSON_TYPE_UNDEFINED, 0, 0};
const uint8_t kEmptyDoc[] = {5, 0, 0, 0, 0};

bson_iter_t FirstElement(const uint8_t* data, size_t size) {
  bson_t doc;
  bson_iter_t it;
  bson_init_static(&doc, data, size);
  bson_iter_init(&it, &doc);
  bson_iter_next(&it);
  return it;
}

bson_iter_t EmptyDocumentBegin() {
  bson_t doc;
  bson_iter_t it;
  bson_init_static(&doc, kEmptyDoc, sizeof(kEmptyDoc));
  bson_iter_init(&it, &doc);
  return it;
}

bool FindField(const bson_iter_t& begin, absl::string_view name, bson_iter_t* out) {
  *out = begin;
  while (bson_iter_next(out)) {
    if (Key(*out) == name) return true;
  }
  return false;
}

// What following a dotted path through embedded documents reaches.
struct Reach {
  enum class Kind { kMissing, kValue, kArray };
  Kind kind = Kind::kMissing;
  bson_iter_t it{};
  absl::string_view rest;  // for kArray: the path after the array ("" when it ends there)
};

// MongoDB's extractElementAtPathOrArrayAlongPath over the fields `begin` iterates.
Reach Follow(const bson_iter_t& begin, absl::string_view path) {
  Reach reach;
  bson_iter_t current = begin;
  while (true) {
    absl::string_view part = Before(path, '.');
    absl::string_view rest =
        part.size() < path.size() ? path.substr(part.size() + 1) : absl::string_view();
    bson_iter_t field;
    if (!FindField(current, part, &field)) return reach;
    if (BSON_ITER_HOLDS_ARRAY(&field)) {
      reach.kind = Reach::Kind::kArray;
      reach.it = field;
      reach.rest = rest;
      return reach;
    }
    if (rest.empty()) {
      reach.kind = Reach::Kind::kValue;
      reach.it = field;
      return reach;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&field) || !bson_iter_recurse(&field, &current)) return reach;
    path = rest;
  }
}

const uint8_t* ArrayData(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_array(&it, &length, &data);
  return data;
}

struct FieldState {
  absl::string_view rest;  // the path still to follow, while !done
  bool done = false;
  bson_iter_t value{};  // the key part, once done
  // Set by an enclosing array expansion when the path's next component selects an element
  // by position ("a.0.b"): what following the path from the array reaches.
  bool has_positional = false;
  bool positional_nested = false;  // the selected element is itself an array
  Reach positional;
};

class KeyGenerator {
 public:
  explicit KeyGenerator(const std::vector<SortSpec::Field>& fields) : fields_(fields) {}

  absl::Status Generate(const bson_iter_t& begin, std::vector<FieldState> state) {
    bson_iter_t array{};
    bool have_array = false;
    bool may_expand = true;
    std::vector<size_t> at_array;
    for (size_t i = 0; i < state.size(); ++i) {
      FieldState& field = state[i];
      if (field.done) continue;
      Reach reach;
      bool nested = false;
      bson_iter_t probe;
      if (FindField(begin, Before(field.rest, '.'), &probe)) {
        reach = Follow(begin, field.rest);
      } else if (field.has_positional) {
        reach = field.positional;
        nested = field.positional_nested;
      }
      field.has_positional = false;
      switch (reach.kind) {
        case Reach::Kind::kMissing:
          field.value = FirstElement(kNullDoc, sizeof(kNullDoc));
          field.done = true;
          break;
        case Reach::Kind::kValue:
          field.value = reach.it;
          field.done = true;
          break;
        case Reach::Kind::kArray:
          if (!have_array) {
            array = reach.it;
            have_array = true;
          } else if (ArrayData(reach.it) != ArrayData(array)) {
            return MongoError(ErrorCode::kBadValue,
                              "cannot sort with keys that are parallel arrays");
          }
          if (nested) may_expand = false;
          field.rest = reach.rest;
          at_array.push_back(i);
          break;
      }
    }

    if (!have_array) {
      Emit(state);
      return absl::OkStatus();
    }

    bson_iter_t elements;
    const bool has_elements = bson_iter_recurse(&array, &elements) && [&] {
      bson_iter_t probe = elements;
      return bson_iter_next(&probe);
    }();
    if (!has_elements) {
      for (size_t i : at_array) {
        state[i].value = state[i].rest.empty() ? FirstElement(kUndefinedDoc, sizeof(kUndefinedDoc))
                                               : FirstElement(kNullDoc, sizeof(kNullDoc));
        state[i].done = true;
      }
      Emit(state);
      return absl::OkStatus();
    }

    // Paths whose next component selects an element by position.
    for (size_t i : at_array) {
      FieldState& field = state[i];
      if (field.rest.empty()) continue;
      bson_iter_t selected;
      if (!FindField(elements, Before(field.rest, '.'), &selected)) continue;
      field.has_positional = true;
      field.positional_nested = BSON_ITER_HOLDS_ARRAY(&selected);
      field.positional = Follow(elements, field.rest);
    }

    bson_iter_t element = elements;
    while (bson_iter_next(&element)) {
      std::vector<FieldState> next = state;
      for (size_t i : at_array) {
        if (!next[i].rest.empty()) continue;
        next[i].value = may_expand ? element : array;
        next[i].done = true;
      }
      bson_iter_t inner;
      if (!BSON_ITER_HOLDS_DOCUMENT(&element) || !bson_iter_recurse(&element, &inner)) {
        inner = EmptyDocumentBegin();
      }
      RETURN_IF_ERROR(Generate(inner, std::move(next)));
    }
    return absl::OkStatus();
  }

  const std::string& best() const { return best_; }

 private:
  void Emit(const std::vector<FieldState>& state) {
    std::string key;
    for (size_t i = 0; i < state.size(); ++i) {
      if (fields_[i].ascending) {
        document::AppendKeyString(state[i].value, &key);
      } else {
        document::AppendKeyStringDescending(state[i].value, &key);
      }
    }
    if (!have_best_ || key < best_) {
      best_ = std::move(key);
      have_best_ = true;
    }
  }

  const std::vector<SortSpec::Field>& fields_;
  std::string best_;
  bool have_best_ = false;
};

}  // namespace

absl::StatusOr<SortSpec> SortSpec::Parse(DocumentView sort) {
  SortSpec spec;
  bson_t sort_bson;
  bson_iter_t it;
  if (!sort.AsBson(&sort_bson) || !bson_iter_init(&it, &sort_bson)) {
    return MongoError(ErrorCode::kFailedToParse, "sort is not a valid BSON document");
  }
  absl::flat_hash_set<std::string> seen;
  bool natural = false;
  while (bson_iter_next(&it)) {
    absl::string_view name = Key(it);
    if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
      RETURN_IF_ERROR(ParseMeta(it));
      continue;
    }
    if (!IsNumber(it)) {
      return Error(15974, absl::StrCat("Illegal key in $sort specification: ", ElementText(it)));
    }
    const int64_t direction = SafeNumberLong(it);
    if (direction != 1 && direction != -1) {
      return Error(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    }
    if (name == "$natural") {
      natural = true;
      spec.natural_direction_ = static_cast<int>(direction);
      continue;
    }
    RETURN_IF_ERROR(ValidateFieldPath(name));
    if (!seen.insert(std::string(name)).second) {
      return Error(7472500, absl::StrCat("$sort key must not contain duplicate keys (duplicate: '",
                                         name, "')"));
    }
    spec.fields_.push_back(Field{std::string(name), direction == 1});
  }
  if (natural && !spec.fields_.empty()) {
    return MongoError(ErrorCode::kNotImplemented,
                      "$natural cannot be combined with other sort fields in this build");
  }
  return spec;
}

absl::StatusOr<std::string> SortSpec::SortKey(DocumentView doc) const {
  if (fields_.empty()) return std::string();
  bson_t doc_bson;
  bson_iter_t begin;
  if (!doc.AsBson(&doc_bson) || !bson_iter_init(&begin, &doc_bson)) {
    return absl::InvalidArgumentError("sort input is not a valid BSON document");
  }
  std::vector<FieldState> state(fields_.size());
  for (size_t i = 0; i < fields_.size(); ++i) state[i].rest = fields_[i].path;
  KeyGenerator generator(fields_);
  RETURN_IF_ERROR(generator.Generate(begin, std::move(state)));
  return generator.best();
}

}  // namespace strata::query::sort
