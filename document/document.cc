#include "strata/document.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "document/extended_json.h"

namespace strata {
namespace {
// The five bytes of the empty document {}.
constexpr uint8_t kEmptyDocument[5] = {5, 0, 0, 0, 0};
}  // namespace

DocumentView::DocumentView() : data_(kEmptyDocument), size_(sizeof(kEmptyDocument)) {}

DocumentView::DocumentView(const bson_t* doc) : data_(bson_get_data(doc)), size_(doc->len) {}

bool DocumentView::AsBson(bson_t* out) const { return bson_init_static(out, data_, size_); }

std::string DocumentView::ToJson(JsonMode mode) const {
  std::string json;
  json.reserve(size_ * 2);
  if (!document::AppendExtendedJson(*this, mode, &json)) return "<invalid BSON>";
  return json;
}

bool DocumentView::BytesEqual(DocumentView other) const {
  return size_ == other.size_ && std::memcmp(data_, other.data_, size_) == 0;
}

Document::Document() : doc_(nullptr) {}

const bson_t* Document::EmptyBson() {
  static const bson_t empty = BSON_INITIALIZER;
  return &empty;
}

Document Document::Adopt(bson_t* doc) { return Document(doc); }

Document Document::Copy(DocumentView view) {
  if (view.empty()) return Document();
  bson_t* doc = bson_new_from_data(view.data(), view.size());
  return doc != nullptr ? Document(doc) : Document();
}

absl::StatusOr<Document> Document::FromJson(std::string_view json) {
  bson_error_t error;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                   static_cast<ssize_t>(json.size()), &error);
  if (doc == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", error.message));
  }
  return Document(doc);
}

Document::Document(Document&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}

Document& Document::operator=(Document&& other) noexcept {
  std::swap(doc_, other.doc_);
  return *this;
}

Document::~Document() {
  if (doc_ != nullptr) bson_destroy(doc_);
}

}  // namespace strata
