// Strata's document types: an owning BSON document and a cheap non-owning view.
//
// Documents are BSON (libbson's bson_t). `Document` owns one (move-only, RAII);
// `DocumentView` borrows bytes owned elsewhere: keep the owner alive while the view is used.
// Neither validates on construction; strata::document::ValidateInput (document/validate.h) does,
// and every entry point of the database runs it before anything else reads the bytes.
// Thread safety: distinct objects may be used concurrently; one object is not synchronised.
#ifndef STRATA_DOCUMENT_H_
#define STRATA_DOCUMENT_H_

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

// How documents are printed as Extended JSON v2.
enum class JsonMode {
  kRelaxed,    // {"a": 1, "d": {"$date": "2020-01-01T00:00:00Z"}}: what people read
  kCanonical,  // {"a": {"$numberInt": "1"}}: type-exact
};

// A non-owning view of one BSON document's bytes. Cheap to copy.
class DocumentView {
 public:
  // The empty document {}.
  DocumentView();
  // Bytes of a complete BSON document (length prefix included). Not copied.
  DocumentView(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  // A view of `doc`'s bytes (doc must outlive the view and not change).
  explicit DocumentView(const bson_t* doc);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ <= 5; }

  // Initialises `*out` as a read-only bson_t over these bytes (no copy, nothing to destroy).
  // Returns false when the bytes are not a structurally valid BSON header.
  bool AsBson(bson_t* out) const;

  // Extended JSON v2 text. Invalid bytes print as "<invalid BSON>".
  std::string ToJson(JsonMode mode = JsonMode::kRelaxed) const;

  // Byte-wise equality (same fields, same order, same types and values).
  bool BytesEqual(DocumentView other) const;

 private:
  const uint8_t* data_;
  size_t size_;
};

// An owned BSON document. Move-only.
class Document {
 public:
  // The empty document {}.
  Document();
  // Takes ownership of a heap bson_t (from bson_new() and friends). Must not be null.
  static Document Adopt(bson_t* doc);
  // A copy of `view`'s bytes.
  static Document Copy(DocumentView view);
  // Parses one Extended JSON v2 (or legacy MongoDB JSON) object. Errors name the problem; the
  // result passed the strict validator (command limits: 16 MiB + 16 KiB, depth 103, valid
  // UTF-8; repeated names are kept, as MongoDB's filters allow them), else InvalidBSON /
  // Overflow / BSONObjectTooLarge.
  static absl::StatusOr<Document> FromJson(std::string_view json);

  Document(Document&& other) noexcept;
  Document& operator=(Document&& other) noexcept;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  ~Document();

  // An explicit deep copy.
  Document Clone() const { return Copy(view()); }

  const bson_t* bson() const { return doc_ != nullptr ? doc_ : EmptyBson(); }
  // For building: append with libbson's bson_append_* functions.
  bson_t* mutable_bson() {
    if (doc_ == nullptr) doc_ = bson_new();
    return doc_;
  }
  DocumentView view() const { return DocumentView(bson()); }
  const uint8_t* data() const { return bson_get_data(bson()); }
  size_t size() const { return bson()->len; }
  std::string ToJson(JsonMode mode = JsonMode::kRelaxed) const { return view().ToJson(mode); }

 private:
  explicit Document(bson_t* doc) : doc_(doc) {}
  static const bson_t* EmptyBson();
  bson_t* doc_;  // null means the empty document (allocated on the first append)
};

}  // namespace strata

#endif  // STRATA_DOCUMENT_H_
