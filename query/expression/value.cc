#include "query/expression/value.h"

#include <cmath>
#include <cstring>

#include "document/compare.h"
#include "document/type_names.h"
#include "query/expression/decimal.h"

namespace strata::query::expression {
namespace {

std::shared_ptr<const std::string> CopyBytes(const uint8_t* data, size_t len) {
  return std::make_shared<const std::string>(reinterpret_cast<const char*>(data), len);
}

// A Value wrapping the single element of a one-element BSON document held in `bytes`.
Value FromSingleElement(std::shared_ptr<const std::string> bytes) {
  bson_t b;
  bson_iter_t it;
  if (!bson_init_static(&b, reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()) ||
      !bson_iter_init(&it, &b) || !bson_iter_next(&it)) {
    return Value();
  }
  return Value::FromIter(it, bytes);
}

}  // namespace

Value Value::Null() {
  Value v;
  v.v_.value_type = BSON_TYPE_NULL;
  return v;
}
Value Value::Undefined() {
  Value v;
  v.v_.value_type = BSON_TYPE_UNDEFINED;
  return v;
}
Value Value::MinKey() {
  Value v;
  v.v_.value_type = BSON_TYPE_MINKEY;
  return v;
}
Value Value::MaxKey() {
  Value v;
  v.v_.value_type = BSON_TYPE_MAXKEY;
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.v_.value_type = BSON_TYPE_BOOL;
  v.v_.value.v_bool = b;
  return v;
}
Value Value::Int32(int32_t i) {
  Value v;
  v.v_.value_type = BSON_TYPE_INT32;
  v.v_.value.v_int32 = i;
  return v;
}
Value Value::Int64(int64_t i) {
  Value v;
  v.v_.value_type = BSON_TYPE_INT64;
  v.v_.value.v_int64 = i;
  return v;
}
Value Value::Double(double d) {
  Value v;
  v.v_.value_type = BSON_TYPE_DOUBLE;
  v.v_.value.v_double = d;
  return v;
}
Value Value::Decimal(const bson_decimal128_t& d) {
  Value v;
  v.v_.value_type = BSON_TYPE_DECIMAL128;
  v.v_.value.v_decimal128 = d;
  return v;
}
Value Value::Date(int64_t millis) {
  Value v;
  v.v_.value_type = BSON_TYPE_DATE_TIME;
  v.v_.value.v_datetime = millis;
  return v;
}
Value Value::Timestamp(uint32_t t, uint32_t i) {
  Value v;
  v.v_.value_type = BSON_TYPE_TIMESTAMP;
  v.v_.value.v_timestamp.timestamp = t;
  v.v_.value.v_timestamp.increment = i;
  return v;
}
Value Value::ObjectId(const bson_oid_t& oid) {
  Value v;
  v.v_.value_type = BSON_TYPE_OID;
  bson_oid_copy(&oid, &v.v_.value.v_oid);
  return v;
}

Value Value::String(absl::string_view s) {
  Value v;
  auto bytes = std::make_shared<std::string>(s.data(), s.size());
  v.v_.value_type = BSON_TYPE_UTF8;
  v.v_.value.v_utf8.str = const_cast<char*>(bytes->c_str());
  v.v_.value.v_utf8.len = static_cast<uint32_t>(s.size());
  v.owner_ = std::move(bytes);
  return v;
}

Value Value::Regex(absl::string_view pattern, absl::string_view options) {
  bson_t b;
  bson_init(&b);
  const std::string p(pattern), o(options);
  bson_append_regex(&b, "", 0, p.c_str(), o.c_str());
  auto bytes = CopyBytes(bson_get_data(&b), b.len);
  bson_destroy(&b);
  return FromSingleElement(std::move(bytes));
}

Value Value::DocumentFrom(const bson_t* doc) {
  Value v;
  auto bytes = CopyBytes(bson_get_data(doc), doc->len);
  v.v_.value_type = BSON_TYPE_DOCUMENT;
  v.v_.value.v_doc.data = reinterpret_cast<uint8_t*>(const_cast<char*>(bytes->data()));
  v.v_.value.v_doc.data_len = static_cast<uint32_t>(bytes->size());
  v.owner_ = std::move(bytes);
  return v;
}

Value Value::DocumentFrom(DocumentView doc) {
  Value v;
  auto bytes = CopyBytes(doc.data(), doc.size());
  v.v_.value_type = BSON_TYPE_DOCUMENT;
  v.v_.value.v_doc.data = reinterpret_cast<uint8_t*>(const_cast<char*>(bytes->data()));
  v.v_.value.v_doc.data_len = static_cast<uint32_t>(bytes->size());
  v.owner_ = std::move(bytes);
  return v;
}

Value Value::BorrowDocument(DocumentView doc) {
  Value v;
  v.v_.value_type = BSON_TYPE_DOCUMENT;
  v.v_.value.v_doc.data = const_cast<uint8_t*>(doc.data());
  v.v_.value.v_doc.data_len = static_cast<uint32_t>(doc.size());
  return v;
}

Value Value::ArrayFrom(const bson_t* array) {
  Value v = DocumentFrom(array);
  v.v_.value_type = BSON_TYPE_ARRAY;
  return v;
}

Value Value::FromIter(const bson_iter_t& it, const std::shared_ptr<const std::string>& owner) {
  Value v;
  bson_iter_t copy = it;
  const bson_value_t* raw = bson_iter_value(&copy);
  if (raw == nullptr) return v;
  v.v_ = *raw;
  v.owner_ = owner;
  return v;
}

absl::string_view Value::str() const {
  if (v_.value_type == BSON_TYPE_SYMBOL) {
    return absl::string_view(v_.value.v_symbol.symbol, v_.value.v_symbol.len);
  }
  return absl::string_view(v_.value.v_utf8.str, v_.value.v_utf8.len);
}

double Value::ToDouble() const {
  switch (v_.value_type) {
    case BSON_TYPE_INT32:
      return v_.value.v_int32;
    case BSON_TYPE_INT64:
      return static_cast<double>(v_.value.v_int64);
    case BSON_TYPE_DOUBLE:
      return v_.value.v_double;
    case BSON_TYPE_DECIMAL128:
      return internal::DecToDouble(internal::DecodeDecimal(v_.value.v_decimal128));
    default:
      return 0;
  }
}

bool Value::InitIter(bson_iter_t* it) const {
  if (v_.value_type != BSON_TYPE_DOCUMENT && v_.value_type != BSON_TYPE_ARRAY) return false;
  return bson_iter_init_from_data(it, v_.value.v_doc.data, v_.value.v_doc.data_len);
}

std::vector<Value> Value::ArrayElements() const {
  std::vector<Value> out;
  bson_iter_t it;
  if (!InitIter(&it)) return out;
  while (bson_iter_next(&it)) out.push_back(Child(it));
  return out;
}

uint32_t Value::CountElements() const {
  bson_iter_t it;
  uint32_t n = 0;
  if (!InitIter(&it)) return 0;
  while (bson_iter_next(&it)) ++n;
  return n;
}

Value Value::GetField(absl::string_view name) const {
  if (v_.value_type != BSON_TYPE_DOCUMENT) return Value();
  bson_iter_t it;
  if (!InitIter(&it)) return Value();
  while (bson_iter_next(&it)) {
    if (absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it)) == name) return Child(it);
  }
  return Value();
}

void Value::AppendTo(bson_t* out, absl::string_view key, bool missing_as_null) const {
  if (missing()) {
    if (missing_as_null) bson_append_null(out, key.data(), static_cast<int>(key.size()));
    return;
  }
  bson_append_value(out, key.data(), static_cast<int>(key.size()), &v_);
}

Value Value::Owned() const {
  switch (v_.value_type) {
    case BSON_TYPE_EOD:
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_BOOL:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128:
    case BSON_TYPE_DATE_TIME:
    case BSON_TYPE_TIMESTAMP:
    case BSON_TYPE_OID:
    case BSON_TYPE_MINKEY:
    case BSON_TYPE_MAXKEY: {
      Value v;
      v.v_ = v_;
      return v;
    }
    default:
      break;
  }
  bson_t b;
  bson_init(&b);
  bson_append_value(&b, "", 0, &v_);
  auto bytes = CopyBytes(bson_get_data(&b), b.len);
  bson_destroy(&b);
  return FromSingleElement(std::move(bytes));
}

std::string Value::DebugString() const {
  if (missing()) return "missing";
  bson_t b;
  bson_init(&b);
  AppendTo(&b, "v");
  std::string json = DocumentView(&b).ToJson();
  bson_destroy(&b);
  // {"v" : X} / {"v": X}: strip the wrapper.
  const size_t colon = json.find(':');
  if (colon == std::string::npos || json.size() < colon + 3) return json;
  std::string inner = json.substr(colon + 1, json.size() - colon - 2);
  while (!inner.empty() && inner.front() == ' ') inner.erase(0, 1);
  while (!inner.empty() && inner.back() == ' ') inner.pop_back();
  return inner;
}

void ArrayBuilder::Append(const Value& v) {
  char buf[16];
  const char* key;
  const size_t len = bson_uint32_to_string(count_, &key, buf, sizeof(buf));
  v.AppendTo(&array_, absl::string_view(key, len), /*missing_as_null=*/true);
  ++count_;
}

int CompareValues(const Value& a, const Value& b) {
  const bson_type_t ta = a.type(), tb = b.type();
  // Fast paths for the common scalar cases.
  if (ta == tb) {
    switch (ta) {
      case BSON_TYPE_INT32:
        return a.int32() < b.int32() ? -1 : (a.int32() > b.int32() ? 1 : 0);
      case BSON_TYPE_INT64:
        return a.int64() < b.int64() ? -1 : (a.int64() > b.int64() ? 1 : 0);
      case BSON_TYPE_BOOL:
        return static_cast<int>(a.boolean()) - static_cast<int>(b.boolean());
      case BSON_TYPE_DATE_TIME:
        return a.date() < b.date() ? -1 : (a.date() > b.date() ? 1 : 0);
      case BSON_TYPE_EOD:
      case BSON_TYPE_NULL:
        return 0;
      case BSON_TYPE_UTF8: {
        const absl::string_view x = a.str(), y = b.str();
        const int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
        if (c != 0) return c < 0 ? -1 : 1;
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
      }
      default:
        break;
    }
  }
  // Missing ranks with undefined (below null).
  bson_t b2;
  bson_init(&b2);
  if (a.missing()) {
    bson_append_undefined(&b2, "a", 1);
  } else {
    a.AppendTo(&b2, "a");
  }
  if (b.missing()) {
    bson_append_undefined(&b2, "b", 1);
  } else {
    b.AppendTo(&b2, "b");
  }
  bson_iter_t x, y;
  bson_iter_init(&x, &b2);
  bson_iter_next(&x);
  y = x;
  bson_iter_next(&y);
  const int c = document::CompareValues(x, y);
  bson_destroy(&b2);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool IsTruthy(const Value& v) {
  switch (v.type()) {
    case BSON_TYPE_BOOL:
      return v.boolean();
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_EOD:
      return false;
    case BSON_TYPE_INT32:
      return v.int32() != 0;
    case BSON_TYPE_INT64:
      return v.int64() != 0;
    case BSON_TYPE_DOUBLE:
      return v.dbl() != 0.0;
    case BSON_TYPE_DECIMAL128:
      return !internal::DecodeDecimal(v.decimal()).is_zero();
    default:
      return true;
  }
}

absl::string_view TypeName(const Value& v) { return document::BsonTypeName(v.type()); }

}  // namespace strata::query::expression
