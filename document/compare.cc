// MongoDB's BSON value order. See compare.h for the contract.
//
// The key-string encoder (key_string.cc) must produce exactly this order; both take numbers
// from exact_number.h and BinData bytes from BinDataForOrdering, and the property test in
// tests/document/key_string_test.cc checks the two against each other.
#include "document/compare.h"

#include <cstring>

#include "document/exact_number.h"

namespace strata::document {
namespace {

int CompareBytes(const void* a, size_t a_length, const void* b, size_t b_length) {
  const size_t common = a_length < b_length ? a_length : b_length;
  if (common > 0) {
    const int bytes = std::memcmp(a, b, common);
    if (bytes != 0) return bytes < 0 ? -1 : 1;
  }
  return (a_length > b_length) - (a_length < b_length);
}

template <typename T>
int CompareScalars(T a, T b) {
  return (a > b) - (a < b);
}

// The bytes of a String or Symbol value.
const char* StringBytes(const bson_iter_t& it, uint32_t* length) {
  return bson_iter_type(&it) == BSON_TYPE_SYMBOL ? bson_iter_symbol(&it, length)
                                                 : bson_iter_utf8(&it, length);
}

// Compares the elements of two embedded documents (or arrays) positioned before their first
// element (null: no elements). Field names take part unless `with_names` is false (arrays:
// keys are positions).
int CompareElements(bson_iter_t* a, bson_iter_t* b, bool with_names);

int CompareSameRank(const bson_iter_t& a, const bson_iter_t& b) {
  switch (bson_iter_type(&a)) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      return internal::CompareNumbers(a, b);
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL: {
      uint32_t a_length = 0;
      uint32_t b_length = 0;
      const char* a_bytes = StringBytes(a, &a_length);
      const char* b_bytes = StringBytes(b, &b_length);
      return CompareBytes(a_bytes, a_length, b_bytes, b_length);
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bson_iter_t a_child;
      bson_iter_t b_child;
      // Unreadable bytes (never past validation) count as empty, as in the key encoder.
      return CompareElements(bson_iter_recurse(&a, &a_child) ? &a_child : nullptr,
                             bson_iter_recurse(&b, &b_child) ? &b_child : nullptr,
                             bson_iter_type(&a) == BSON_TYPE_DOCUMENT);
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t a_subtype;
      bson_subtype_t b_subtype;
      uint32_t a_length;
      uint32_t b_length;
      const uint8_t* a_data;
      const uint8_t* b_data;
      BinDataForOrdering(a, &a_subtype, &a_length, &a_data);
      BinDataForOrdering(b, &b_subtype, &b_length, &b_data);
      if (a_length != b_length) return a_length < b_length ? -1 : 1;
      if (a_subtype != b_subtype) return a_subtype < b_subtype ? -1 : 1;
      return CompareBytes(a_data, a_length, b_data, b_length);
    }
    case BSON_TYPE_OID:
      return CompareBytes(bson_iter_oid(&a)->bytes, 12, bson_iter_oid(&b)->bytes, 12);
    case BSON_TYPE_BOOL:
      return CompareScalars(bson_iter_bool(&a), bson_iter_bool(&b));
    case BSON_TYPE_DATE_TIME:
      return CompareScalars(bson_iter_date_time(&a), bson_iter_date_time(&b));
    case BSON_TYPE_TIMESTAMP: {
      uint32_t a_t, a_i, b_t, b_i;
      bson_iter_timestamp(&a, &a_t, &a_i);
      bson_iter_timestamp(&b, &b_t, &b_i);
      if (a_t != b_t) return a_t < b_t ? -1 : 1;
      return CompareScalars(a_i, b_i);
    }
    case BSON_TYPE_REGEX: {
      const char* a_options = nullptr;
      const char* b_options = nullptr;
      const char* a_pattern = bson_iter_regex(&a, &a_options);
      const char* b_pattern = bson_iter_regex(&b, &b_options);
      if (int c =
              CompareBytes(a_pattern, std::strlen(a_pattern), b_pattern, std::strlen(b_pattern));
          c != 0) {
        return c;
      }
      return CompareBytes(a_options, std::strlen(a_options), b_options, std::strlen(b_options));
    }
    case BSON_TYPE_DBPOINTER: {
      uint32_t a_length = 0;
      uint32_t b_length = 0;
      const char* a_ns = nullptr;
      const char* b_ns = nullptr;
      const bson_oid_t* a_oid = nullptr;
      const bson_oid_t* b_oid = nullptr;
      bson_iter_dbpointer(&a, &a_length, &a_ns, &a_oid);
      bson_iter_dbpointer(&b, &b_length, &b_ns, &b_oid);
      if (a_length != b_length) return a_length < b_length ? -1 : 1;
      if (int c = CompareBytes(a_ns, a_length, b_ns, b_length); c != 0) return c;
      return CompareBytes(a_oid->bytes, 12, b_oid->bytes, 12);
    }
    case BSON_TYPE_CODE: {
      uint32_t a_length = 0;
      uint32_t b_length = 0;
      const char* a_code = bson_iter_code(&a, &a_length);
      const char* b_code = bson_iter_code(&b, &b_length);
      return CompareBytes(a_code, a_length, b_code, b_length);
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t a_length = 0;
      uint32_t b_length = 0;
      uint32_t a_scope_length = 0;
      uint32_t b_scope_length = 0;
      const uint8_t* a_scope = nullptr;
      const uint8_t* b_scope = nullptr;
      const char* a_code = bson_iter_codewscope(&a, &a_length, &a_scope_length, &a_scope);
      const char* b_code = bson_iter_codewscope(&b, &b_length, &b_scope_length, &b_scope);
      if (int c = CompareBytes(a_code, a_length, b_code, b_length); c != 0) return c;
      return CompareDocuments(DocumentView(a_scope, a_scope_length),
                              DocumentView(b_scope, b_scope_length));
    }
    default:
      // MinKey, MaxKey, Undefined, Null (and EOO / unknown types): one value each.
      return 0;
  }
}

int CompareElements(bson_iter_t* a, bson_iter_t* b, bool with_names) {
  while (true) {
    const bool a_more = a != nullptr && bson_iter_next(a);
    const bool b_more = b != nullptr && bson_iter_next(b);
    if (!a_more || !b_more) return CompareScalars(a_more, b_more);  // fewer elements first
    const int a_rank = CanonicalTypeRank(bson_iter_type(a));
    const int b_rank = CanonicalTypeRank(bson_iter_type(b));
    if (a_rank != b_rank) return a_rank < b_rank ? -1 : 1;
    if (with_names) {
      const char* a_key = bson_iter_key(a);
      const char* b_key = bson_iter_key(b);
      if (int c = CompareBytes(a_key, bson_iter_key_len(a), b_key, bson_iter_key_len(b)); c != 0) {
        return c;
      }
    }
    if (int c = CompareSameRank(*a, *b); c != 0) return c;
  }
}

}  // namespace

int CanonicalTypeRank(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_MINKEY:
      return -1;
    case BSON_TYPE_EOD:
    case BSON_TYPE_UNDEFINED:
      return 0;
    case BSON_TYPE_NULL:
      return 5;
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      return 10;
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
      return 15;
    case BSON_TYPE_DOCUMENT:
      return 20;
    case BSON_TYPE_ARRAY:
      return 25;
    case BSON_TYPE_BINARY:
      return 30;
    case BSON_TYPE_OID:
      return 35;
    case BSON_TYPE_BOOL:
      return 40;
    case BSON_TYPE_DATE_TIME:
      return 45;
    case BSON_TYPE_TIMESTAMP:
      return 47;
    case BSON_TYPE_REGEX:
      return 50;
    case BSON_TYPE_DBPOINTER:
      return 55;
    case BSON_TYPE_CODE:
      return 60;
    case BSON_TYPE_CODEWSCOPE:
      return 65;
    case BSON_TYPE_MAXKEY:
      return 127;
  }
  return 0;  // not a BSON type (rejected by validation): treated like Undefined
}

void BinDataForOrdering(const bson_iter_t& it, bson_subtype_t* subtype, uint32_t* length,
                        const uint8_t** data) {
  bson_iter_binary(&it, subtype, length, data);
  if (*subtype == BSON_SUBTYPE_BINARY_DEPRECATED && *data != nullptr) {
    // libbson skips the inner length of subtype 2; MongoDB orders the raw value.
    *data -= sizeof(int32_t);
    *length += sizeof(int32_t);
  }
}

int CompareValues(const bson_iter_t& a, const bson_iter_t& b) {
  const int a_rank = CanonicalTypeRank(bson_iter_type(&a));
  const int b_rank = CanonicalTypeRank(bson_iter_type(&b));
  if (a_rank != b_rank) return a_rank < b_rank ? -1 : 1;
  return CompareSameRank(a, b);
}

int CompareDocuments(DocumentView a, DocumentView b) {
  bson_iter_t a_iter;
  bson_iter_t b_iter;
  return CompareElements(bson_iter_init_from_data(&a_iter, a.data(), a.size()) ? &a_iter : nullptr,
                         bson_iter_init_from_data(&b_iter, b.data(), b.size()) ? &b_iter : nullptr,
                         /*with_names=*/true);
}

}  // namespace strata::document
