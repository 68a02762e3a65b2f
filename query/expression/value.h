// Value: one BSON value (or "missing") as aggregation expressions produce and consume it.
//
// A Value is a libbson bson_value_t plus an optional shared owner of the bytes it points to.
//   * Borrowed values (FromIter) point into someone else's bytes: the document being evaluated,
//     or a constant owned by the expression tree. Making one copies no bytes and allocates
//     nothing -- this is what field paths and literals return.
//   * Owned values (computed strings, arrays, documents) keep their bytes in a reference-counted
//     buffer, so copying a Value is cheap and a child value (an array element) shares its
//     parent's buffer.
// LIFETIME: a borrowed Value is valid while the bytes it points into are; Owned() makes a
// Value independent of everything else.
// THREAD SAFETY: a Value is immutable; distinct copies may be used from different threads.
#ifndef STRATA_QUERY_EXPRESSION_VALUE_H_
#define STRATA_QUERY_EXPRESSION_VALUE_H_

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::query::expression {

class Value {
 public:
  // Missing (BSON_TYPE_EOD): "no value", as a path that reaches nothing or $$REMOVE.
  Value() { v_.value_type = BSON_TYPE_EOD; }

  static Value Missing() { return Value(); }
  static Value Null();
  static Value Undefined();
  static Value Bool(bool b);
  static Value Int32(int32_t i);
  static Value Int64(int64_t i);
  static Value Double(double d);
  static Value Decimal(const bson_decimal128_t& d);
  static Value Date(int64_t millis);
  static Value Timestamp(uint32_t t, uint32_t i);
  static Value ObjectId(const bson_oid_t& oid);
  static Value MinKey();
  static Value MaxKey();
  // An owned copy of UTF-8 text.
  static Value String(absl::string_view s);
  // Owned regex (pattern and options copied).
  static Value Regex(absl::string_view pattern, absl::string_view options);
  // Takes the bytes of a finished document / array (copied into an owned buffer).
  static Value DocumentFrom(const bson_t* doc);
  static Value ArrayFrom(const bson_t* array);
  static Value DocumentFrom(DocumentView doc);
  // Borrows a document's bytes (no copy): keep them alive while the Value is used.
  static Value BorrowDocument(DocumentView doc);
  // Borrows the value at `it` (no copy). `owner` keeps the bytes alive when they belong to an
  // owned Value; pass null for bytes owned elsewhere.
  static Value FromIter(const bson_iter_t& it,
                        const std::shared_ptr<const std::string>& owner = nullptr);

  bson_type_t type() const { return v_.value_type; }
  bool missing() const { return v_.value_type == BSON_TYPE_EOD; }
  // Null, undefined or missing: what most operators treat as "no input" and answer null for.
  bool nullish() const {
    return v_.value_type == BSON_TYPE_NULL || v_.value_type == BSON_TYPE_UNDEFINED ||
           v_.value_type == BSON_TYPE_EOD;
  }
  bool is_number() const {
    return v_.value_type == BSON_TYPE_INT32 || v_.value_type == BSON_TYPE_INT64 ||
           v_.value_type == BSON_TYPE_DOUBLE || v_.value_type == BSON_TYPE_DECIMAL128;
  }
  bool is_string() const { return v_.value_type == BSON_TYPE_UTF8; }
  bool is_array() const { return v_.value_type == BSON_TYPE_ARRAY; }
  bool is_document() const { return v_.value_type == BSON_TYPE_DOCUMENT; }

  // Accessors; each requires the matching type.
  bool boolean() const { return v_.value.v_bool; }
  int32_t int32() const { return v_.value.v_int32; }
  int64_t int64() const { return v_.value.v_int64; }
  double dbl() const { return v_.value.v_double; }
  bson_decimal128_t decimal() const { return v_.value.v_decimal128; }
  int64_t date() const { return v_.value.v_datetime; }
  const bson_oid_t& oid() const { return v_.value.v_oid; }
  // UTF-8 text of a string or symbol.
  absl::string_view str() const;
  // Bytes of a document or array (a complete BSON document).
  DocumentView doc() const { return DocumentView(v_.value.v_doc.data, v_.value.v_doc.data_len); }
  const bson_value_t& raw() const { return v_; }
  const std::shared_ptr<const std::string>& owner() const { return owner_; }

  // Number as double (int32/int64/double; decimal rounds). Requires is_number().
  double ToDouble() const;

  // Iterates a document's or array's elements (requires is_document() or is_array()).
  // Child values share this value's owner.
  bool InitIter(bson_iter_t* it) const;
  Value Child(const bson_iter_t& it) const { return FromIter(it, owner_); }
  // Elements of an array, in order.
  std::vector<Value> ArrayElements() const;
  // Number of elements of an array/document.
  uint32_t CountElements() const;
  // The field `name` of a document value (missing when absent or not a document).
  Value GetField(absl::string_view name) const;

  // Appends under `key`; missing appends nothing, unless `missing_as_null`.
  void AppendTo(bson_t* out, absl::string_view key, bool missing_as_null = false) const;

  // An owned deep copy (no borrowed bytes).
  Value Owned() const;

  // Relaxed Extended JSON of the value ("missing" for missing), for messages and tests.
  std::string DebugString() const;

 private:
  bson_value_t v_;
  std::shared_ptr<const std::string> owner_;
};

// Builds an owned array Value element by element.
class ArrayBuilder {
 public:
  ArrayBuilder() { bson_init(&array_); }
  ~ArrayBuilder() { bson_destroy(&array_); }
  ArrayBuilder(const ArrayBuilder&) = delete;
  ArrayBuilder& operator=(const ArrayBuilder&) = delete;
  // Appends `v`; a missing value becomes null (MongoDB's rule for values inside arrays).
  void Append(const Value& v);
  uint32_t size() const { return count_; }
  Value Build() const { return Value::ArrayFrom(&array_); }

 private:
  bson_t array_;
  uint32_t count_ = 0;
};

// Builds an owned document Value field by field (missing values are skipped).
class DocumentBuilder {
 public:
  DocumentBuilder() { bson_init(&doc_); }
  ~DocumentBuilder() { bson_destroy(&doc_); }
  DocumentBuilder(const DocumentBuilder&) = delete;
  DocumentBuilder& operator=(const DocumentBuilder&) = delete;
  void Append(absl::string_view key, const Value& v) { v.AppendTo(&doc_, key); }
  bson_t* bson() { return &doc_; }
  Value Build() const { return Value::DocumentFrom(&doc_); }

 private:
  bson_t doc_;
};

// MongoDB's aggregation order of values (document::CompareValues, with missing ranked with
// undefined, below null). <0, 0, >0.
int CompareValues(const Value& a, const Value& b);

// Truthiness for $and/$or/$not/$cond/$filter/$expr: false for false, null, undefined, missing
// and numeric zero of every type; true for everything else.
bool IsTruthy(const Value& v);

// MongoDB's type name ("double", "string", …, "missing").
absl::string_view TypeName(const Value& v);

}  // namespace strata::query::expression

#endif  // STRATA_QUERY_EXPRESSION_VALUE_H_
