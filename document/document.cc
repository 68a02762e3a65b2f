#include "strata/document.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "document/extended_json.h"
#include "document/validate.h"

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
  Document result(doc);
  // libbson's reader lets escaped invalid UTF-8 (lone surrogates) through and has its own depth
  // cap; JSON text carries whole commands (the CLI's `run`), so the command limits apply.
  // Repeated names stay allowed here, as in MongoDB's shell and filters ({a: 1, a: 2}); the
  // write path and the command dispatcher reject them.
  document::ValidateOptions limits;
  limits.max_size = document::kMaxCommandSize;
  limits.max_depth = document::kMaxCommandDepth;
  limits.reject_duplicate_names = false;
  if (absl::Status valid = document::ValidateBson(result.view(), limits); !valid.ok()) {
    return valid;
  }
  return result;
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
