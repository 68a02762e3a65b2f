#include "server/write_splitter.h"

#include <cstring>
#include <string>
#include <vector>

#include "document/validate.h"

namespace strata::server {
namespace {

// Room left for the command's own fields next to the statements of one chunk.
constexpr size_t kChunkBytes = document::kMaxUserDocumentSize;

void AppendIndexed(bson_t* array, uint32_t* next, const bson_iter_t& item_in, int64_t offset) {
  bson_iter_t item = item_in, fields;
  char key_buffer[16];
  const char* key = nullptr;
  size_t key_length = bson_uint32_to_string((*next)++, &key, key_buffer, sizeof key_buffer);
  bson_t out;
  bson_append_document_begin(array, key, static_cast<int>(key_length), &out);
  if (BSON_ITER_HOLDS_DOCUMENT(&item) && bson_iter_recurse(&item, &fields)) {
    while (bson_iter_next(&fields)) {
      if (std::strcmp(bson_iter_key(&fields), "index") == 0) {
        bson_append_int32(&out, "index", 5,
                          static_cast<int32_t>(bson_iter_as_int64(&fields) + offset));
      } else {
        bson_append_iter(&out, bson_iter_key(&fields), -1, &fields);
      }
    }
  }
  bson_append_document_end(array, &out);
}

}  // namespace

std::optional<Document> RunSplitWrite(const bson_t& command, std::string_view name,
                                      const std::function<Document(DocumentView)>& run) {
  if (command.len <= document::kMaxCommandSize) return std::nullopt;
  const char* field = name == "insert"   ? "documents"
                      : name == "update" ? "updates"
                      : name == "delete" ? "deletes"
                                         : nullptr;
  if (field == nullptr) return std::nullopt;
  bson_iter_t it, items;
  if (!bson_iter_init_find(&it, &command, field) || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &items)) {
    return std::nullopt;
  }
  bool ordered = true;
  if (bson_iter_init_find(&it, &command, "ordered")) ordered = bson_iter_as_bool(&it);

  // The statements, as (data, length) of each element's document.
  struct Item {
    const uint8_t* data;
    uint32_t length;
  };
  std::vector<Item> all;
  while (bson_iter_next(&items)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&items)) return std::nullopt;  // let the command layer refuse
    Item item{};
    bson_iter_document(&items, &item.length, &item.data);
    all.push_back(item);
  }

  int64_t n = 0, modified = 0;
  Document upserted_doc, errors_doc;
  bson_t* upserted = upserted_doc.mutable_bson();
  bson_t* errors = errors_doc.mutable_bson();
  uint32_t upserted_count = 0, error_count = 0;
  size_t begin = 0;
  while (begin < all.size()) {
    size_t end = begin, bytes = 0;
    while (end < all.size() && (end == begin || bytes + all[end].length + 16 <= kChunkBytes)) {
      bytes += all[end].length + 16;
      ++end;
    }
    Document chunk;
    bson_t* out = chunk.mutable_bson();
    bson_iter_t fields;
    bson_iter_init(&fields, &command);
    while (bson_iter_next(&fields)) {
      if (std::strcmp(bson_iter_key(&fields), field) != 0) {
        bson_append_iter(out, bson_iter_key(&fields), -1, &fields);
      }
    }
    bson_t array;
    bson_append_array_begin(out, field, -1, &array);
    for (size_t i = begin; i < end; ++i) {
      char key_buffer[16];
      const char* key = nullptr;
      size_t key_length = bson_uint32_to_string(static_cast<uint32_t>(i - begin), &key, key_buffer,
                                                sizeof key_buffer);
      bson_t doc;
      bson_init_static(&doc, all[i].data, all[i].length);
      bson_append_document(&array, key, static_cast<int>(key_length), &doc);
    }
    bson_append_array_end(out, &array);
    Document reply = run(chunk.view());
    bson_iter_t r;
    if (!bson_iter_init_find(&r, reply.bson(), "ok") || bson_iter_as_double(&r) != 1.0) {
      return reply;  // a command-level error ends the batch, as it would have whole
    }
    if (bson_iter_init_find(&r, reply.bson(), "n")) n += bson_iter_as_int64(&r);
    if (bson_iter_init_find(&r, reply.bson(), "nModified")) modified += bson_iter_as_int64(&r);
    bson_iter_t list;
    if (bson_iter_init_find(&r, reply.bson(), "upserted") && bson_iter_recurse(&r, &list)) {
      while (bson_iter_next(&list)) {
        AppendIndexed(upserted, &upserted_count, list, static_cast<int64_t>(begin));
      }
    }
    bool failed = false;
    if (bson_iter_init_find(&r, reply.bson(), "writeErrors") && bson_iter_recurse(&r, &list)) {
      while (bson_iter_next(&list)) {
        AppendIndexed(errors, &error_count, list, static_cast<int64_t>(begin));
        failed = true;
      }
    }
    if (failed && ordered) break;
    begin = end;
  }
  Document merged;
  bson_t* out = merged.mutable_bson();
  bson_append_int64(out, "n", 1, n);
  if (name == "update") bson_append_int64(out, "nModified", 9, modified);
  if (upserted_count > 0) bson_append_array(out, "upserted", 8, upserted);
  if (error_count > 0) bson_append_array(out, "writeErrors", 11, errors);
  bson_append_double(out, "ok", 2, 1.0);
  return merged;
}

}  // namespace strata::server
