#include "query/sort/distinct.h"

#include <bson/bson.h>

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/key_string.h"

namespace strata::query::sort {
namespace {

absl::string_view Key(const bson_iter_t& it) {
  return absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it));
}

bool FindField(const bson_iter_t& begin, absl::string_view name, bson_iter_t* out) {
  *out = begin;
  while (bson_iter_next(out)) {
    if (Key(*out) == name) return true;
  }
  return false;
}

// Whether the path starts with an all-digit component ("0", "12.b").
bool StartsWithIndex(absl::string_view path) {
  size_t i = 0;
  while (i < path.size() && absl::ascii_isdigit(static_cast<unsigned char>(path[i]))) ++i;
  return i > 0 && (i == path.size() || path[i] == '.');
}

// MongoDB's extractAllElementsAlongPath (expanding a trailing array), over the fields that
// `begin` iterates (a document's, or an array's when an array is searched like a document).
absl::Status Extract(const bson_iter_t& begin, absl::string_view path, DistinctSet* out) {
  bson_iter_t field;
  if (FindField(begin, path, &field)) {
    bson_iter_t element;
    if (BSON_ITER_HOLDS_ARRAY(&field)) {
      if (!bson_iter_recurse(&field, &element)) return absl::OkStatus();
      while (bson_iter_next(&element)) RETURN_IF_ERROR(out->Add(element));
      return absl::OkStatus();
    }
    return out->Add(field);
  }
  const size_t dot = path.find('.');
  if (dot == absl::string_view::npos) return absl::OkStatus();
  absl::string_view left = path.substr(0, dot);
  absl::string_view next = path.substr(dot + 1);
  if (!FindField(begin, left, &field)) return absl::OkStatus();
  bson_iter_t inner;
  if (BSON_ITER_HOLDS_DOCUMENT(&field)) {
    if (bson_iter_recurse(&field, &inner)) RETURN_IF_ERROR(Extract(inner, next, out));
  } else if (BSON_ITER_HOLDS_ARRAY(&field)) {
    if (StartsWithIndex(next)) {
      if (bson_iter_recurse(&field, &inner)) RETURN_IF_ERROR(Extract(inner, next, out));
    } else {
      bson_iter_t element;
      if (!bson_iter_recurse(&field, &element)) return absl::OkStatus();
      while (bson_iter_next(&element)) {
        if ((BSON_ITER_HOLDS_DOCUMENT(&element) || BSON_ITER_HOLDS_ARRAY(&element)) &&
            bson_iter_recurse(&element, &inner)) {
          RETURN_IF_ERROR(Extract(inner, next, out));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DistinctSet::Add(const bson_iter_t& value) {
  std::string key = document::EncodeKeyString(value);
  if (values_.contains(key)) return absl::OkStatus();
  Document holder;
  bson_append_iter(holder.mutable_bson(), "", 0, &value);
  bytes_ += holder.size();
  values_.emplace(std::move(key), std::move(holder));
  if (bytes_ > max_bytes_) {
    return MongoError(static_cast<ErrorCode>(17217), "distinct too big, 16mb cap");
  }
  return absl::OkStatus();
}

void DistinctSet::AppendArray(bson_t* out, absl::string_view field) const {
  bson_t array;
  bson_append_array_begin(out, field.data(), static_cast<int>(field.size()), &array);
  uint32_t index = 0;
  for (const auto& [key, holder] : values_) {
    bson_iter_t it;
    if (!bson_iter_init(&it, holder.bson()) || !bson_iter_next(&it)) continue;
    char buffer[16];
    const char* index_key = nullptr;
    const size_t length = bson_uint32_to_string(index++, &index_key, buffer, sizeof(buffer));
    bson_append_iter(&array, index_key, static_cast<int>(length), &it);
  }
  bson_append_array_end(out, &array);
}

Document DistinctSet::ToArrayDocument() const {
  Document out;
  uint32_t index = 0;
  for (const auto& [key, holder] : values_) {
    bson_iter_t it;
    if (!bson_iter_init(&it, holder.bson()) || !bson_iter_next(&it)) continue;
    char buffer[16];
    const char* index_key = nullptr;
    const size_t length = bson_uint32_to_string(index++, &index_key, buffer, sizeof(buffer));
    bson_append_iter(out.mutable_bson(), index_key, static_cast<int>(length), &it);
  }
  return out;
}

absl::Status CollectDistinctValues(DocumentView doc, absl::string_view path, DistinctSet* out) {
  bson_t doc_bson;
  bson_iter_t begin;
  if (!doc.AsBson(&doc_bson) || !bson_iter_init(&begin, &doc_bson)) {
    return absl::InvalidArgumentError("distinct input is not a valid BSON document");
  }
  return Extract(begin, path, out);
}

}  // namespace strata::query::sort
