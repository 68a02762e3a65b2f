#include "query/match/expression_leaf.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "document/compare.h"
#include "document/type_names.h"
#include "query/match/numbers.h"

namespace strata::query::match {
namespace {

bool IsNumberType(bson_type_t type) {
  return type == BSON_TYPE_DOUBLE || type == BSON_TYPE_INT32 || type == BSON_TYPE_INT64 ||
         type == BSON_TYPE_DECIMAL128;
}

// The canonical ranks of null and undefined/missing add up to this (5 + 0): the one pair of
// different ranks that compares equal for $eq, $lte and $gte against null.
constexpr int kNullAndUndefinedRanks = 5;

}  // namespace

const char* OperatorName(MatchType type) {
  switch (type) {
    case MatchType::kEq:
      return "$eq";
    case MatchType::kLt:
      return "$lt";
    case MatchType::kLte:
      return "$lte";
    case MatchType::kGt:
      return "$gt";
    case MatchType::kGte:
      return "$gte";
    case MatchType::kIn:
      return "$in";
    case MatchType::kRegex:
      return "$regex";
    case MatchType::kMod:
      return "$mod";
    case MatchType::kExists:
      return "$exists";
    case MatchType::kType:
      return "$type";
    case MatchType::kBitsAllSet:
      return "$bitsAllSet";
    case MatchType::kBitsAllClear:
      return "$bitsAllClear";
    case MatchType::kBitsAnySet:
      return "$bitsAnySet";
    case MatchType::kBitsAnyClear:
      return "$bitsAnyClear";
    case MatchType::kSize:
      return "$size";
    case MatchType::kElemMatchObject:
    case MatchType::kElemMatchValue:
      return "$elemMatch";
    case MatchType::kAnd:
      return "$and";
    case MatchType::kOr:
      return "$or";
    case MatchType::kNor:
      return "$nor";
    case MatchType::kNot:
      return "$not";
    case MatchType::kAlwaysTrue:
      return "$alwaysTrue";
    case MatchType::kAlwaysFalse:
      return "$alwaysFalse";
    case MatchType::kExternal:
      return "$external";
  }
  return "?";
}

// ----- PathMatchExpression

bool PathMatchExpression::Matches(DocumentView doc, MatchDetails* details) const {
  return AnyPathValue(
      doc, path_, leaf_arrays_, [this, details](const bson_iter_t* value, const char* array_index) {
        if (!MatchesValue(value, details)) return false;
        // The outermost implicit array position wins over any inner one an
        // $elemMatch recorded.
        if (details != nullptr && array_index != nullptr && details->elem_match_key_requested()) {
          details->SetElemMatchKey(array_index);
        }
        return true;
      });
}

std::string PathMatchExpression::PathPrefix() const {
  if (path_.size() == 1 && path_.part(0).empty()) return "";
  return absl::StrCat(path_.dotted(), " ");
}

// ----- ComparisonMatchExpression

ComparisonMatchExpression::ComparisonMatchExpression(MatchType type, FieldPath path,
                                                     const bson_iter_t& operand)
    : PathMatchExpression(type, std::move(path), LeafArrays::kTraverse),
      operand_(operand),
      operand_type_(bson_iter_type(&operand)),
      operand_rank_(document::CanonicalTypeRank(bson_iter_type(&operand))),
      operand_nan_(IsNaN(operand)) {}

bool ComparisonMatchExpression::MatchesValue(const bson_iter_t* value,
                                             MatchDetails* details) const {
  const bson_type_t operand_type = operand_type_;
  const int value_rank = value != nullptr ? document::CanonicalTypeRank(bson_iter_type(value)) : 0;
  const int operand_rank = operand_rank_;
  const MatchType op = type();
  if (value_rank != operand_rank) {
    if (value_rank + operand_rank == kNullAndUndefinedRanks) {
      return op == MatchType::kEq || op == MatchType::kLte || op == MatchType::kGte;
    }
    if (operand_type == BSON_TYPE_MAXKEY) return op == MatchType::kLt || op == MatchType::kLte;
    if (operand_type == BSON_TYPE_MINKEY) return op == MatchType::kGt || op == MatchType::kGte;
    return false;  // type bracketing
  }
  if (value == nullptr) return false;  // unreachable: operands are never undefined

  if (op == MatchType::kEq) {
    // Cheap rejection of strings of different lengths before the full comparison.
    if (operand_type == BSON_TYPE_UTF8 && bson_iter_type(value) == BSON_TYPE_UTF8) {
      uint32_t a = 0;
      uint32_t b = 0;
      bson_iter_utf8(value, &a);
      bson_iter_utf8(&operand_, &b);
      if (a != b) return false;
    }
    return document::CompareValues(*value, operand_) == 0;
  }

  // NaN is equal to NaN but neither below nor above anything (the type order puts it below
  // every number, which is right for sorting, not for $lt).
  const bool value_nan = IsNaN(*value);
  const bool operand_nan = operand_nan_;
  if (value_nan || operand_nan) {
    if (op == MatchType::kLt || op == MatchType::kGt) return false;
    return value_nan && operand_nan;  // $lte, $gte
  }

  const int c = document::CompareValues(*value, operand_);
  switch (op) {
    case MatchType::kLt:
      return c < 0;
    case MatchType::kLte:
      return c <= 0;
    case MatchType::kGt:
      return c > 0;
    case MatchType::kGte:
      return c >= 0;
    default:
      return false;
  }
}

std::string ComparisonMatchExpression::DebugString() const {
  return absl::StrCat(PathPrefix(), OperatorName(type()), " ", ValueDebugString(operand_));
}

// ----- RegexMatchExpression

bool RegexMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  if (value == nullptr) return false;
  switch (bson_iter_type(value)) {
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(value, &length);
      return regex_->Matches(absl::string_view(text, length));
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t length = 0;
      const char* text = bson_iter_symbol(value, &length);
      return regex_->Matches(absl::string_view(text, length));
    }
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(value, &options);
      return pattern_ == pattern && options_ == (options != nullptr ? options : "");
    }
    default:
      return false;
  }
}

std::string RegexMatchExpression::DebugString() const {
  return absl::StrCat(PathPrefix(), "$regex /", pattern_, "/", options_);
}

// ----- InMatchExpression

InMatchExpression::InMatchExpression(FieldPath path, std::vector<bson_iter_t> equalities,
                                     std::vector<std::unique_ptr<RegexMatchExpression>> regexes)
    : PathMatchExpression(MatchType::kIn, std::move(path), LeafArrays::kTraverse),
      equalities_(std::move(equalities)),
      regexes_(std::move(regexes)) {
  const auto less = [](const bson_iter_t& a, const bson_iter_t& b) {
    return document::CompareValues(a, b) < 0;
  };
  std::stable_sort(equalities_.begin(), equalities_.end(), less);
  equalities_.erase(std::unique(equalities_.begin(), equalities_.end(),
                                [](const bson_iter_t& a, const bson_iter_t& b) {
                                  return document::CompareValues(a, b) == 0;
                                }),
                    equalities_.end());
  for (const bson_iter_t& it : equalities_) {
    if (bson_iter_type(&it) == BSON_TYPE_NULL) has_null_ = true;
  }
}

bool InMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  // Like {$eq: null}, a null in the list matches missing and undefined.
  if (value == nullptr || bson_iter_type(value) == BSON_TYPE_UNDEFINED) return has_null_;
  // Binary search in the type order: equal under CompareValues means equal under $eq (same
  // canonical type; NaN equals NaN in both).
  size_t low = 0;
  size_t high = equalities_.size();
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    const int c = document::CompareValues(equalities_[mid], *value);
    if (c == 0) return true;
    if (c < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  for (const auto& regex : regexes_) {
    if (regex->MatchesValue(value, nullptr)) return true;
  }
  return false;
}

std::string InMatchExpression::DebugString() const {
  std::string out = absl::StrCat(PathPrefix(), "$in [");
  bool first = true;
  for (const bson_iter_t& it : equalities_) {
    absl::StrAppend(&out, first ? "" : ", ", ValueDebugString(it));
    first = false;
  }
  for (const auto& regex : regexes_) {
    absl::StrAppend(&out, first ? "" : ", ", "/", regex->pattern(), "/", regex->options());
    first = false;
  }
  out += "]";
  return out;
}

// ----- ModMatchExpression

bool ModMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  int64_t dividend = 0;
  if (value == nullptr || !TruncateToInt64(*value, &dividend)) return false;
  // INT64_MIN % -1 overflows in C++; mathematically it is 0, as is every x % ±1.
  const int64_t result = (divisor_ == -1 || divisor_ == 1) ? 0 : dividend % divisor_;
  return result == remainder_;
}

std::string ModMatchExpression::DebugString() const {
  return absl::StrCat(PathPrefix(), "$mod [", divisor_, ", ", remainder_, "]");
}

// ----- TypeMatchExpression

bool TypeSet::Contains(bson_type_t type) const {
  if (all_numbers && IsNumberType(type)) return true;
  return types.test(static_cast<uint8_t>(type));
}

bool TypeMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  return value != nullptr && types_.Contains(bson_iter_type(value));
}

std::string TypeMatchExpression::DebugString() const {
  std::string out = absl::StrCat(PathPrefix(), "$type [");
  bool first = true;
  if (types_.all_numbers) {
    out += "number";
    first = false;
  }
  for (int t = 0; t < 256; ++t) {
    if (types_.types.test(t)) {
      absl::StrAppend(&out, first ? "" : ", ", document::BsonTypeName(static_cast<bson_type_t>(t)));
      first = false;
    }
  }
  out += "]";
  return out;
}

// ----- BitTestMatchExpression

BitTestMatchExpression::BitTestMatchExpression(MatchType type, FieldPath path,
                                               std::vector<uint32_t> positions)
    : PathMatchExpression(type, std::move(path), LeafArrays::kTraverse),
      positions_(std::move(positions)) {
  for (uint32_t position : positions_) mask_ |= uint64_t{1} << std::min<uint32_t>(position, 63);
}

bool BitTestMatchExpression::TestInteger(int64_t value) const {
  const uint64_t bits = static_cast<uint64_t>(value);
  switch (type()) {
    case MatchType::kBitsAllSet:
      return (bits & mask_) == mask_;
    case MatchType::kBitsAllClear:
      return (~bits & mask_) == mask_;
    case MatchType::kBitsAnySet:
      return (bits & mask_) != 0;
    case MatchType::kBitsAnyClear:
      return (~bits & mask_) != 0;
    default:
      return false;
  }
}

bool BitTestMatchExpression::TestBytes(const uint8_t* data, uint32_t length) const {
  const MatchType op = type();
  for (uint32_t position : positions_) {
    const bool set = position / 8 < length && ((data[position / 8] >> (position % 8)) & 1) != 0;
    switch (op) {
      case MatchType::kBitsAllSet:
        if (!set) return false;
        break;
      case MatchType::kBitsAllClear:
        if (set) return false;
        break;
      case MatchType::kBitsAnySet:
        if (set) return true;
        break;
      case MatchType::kBitsAnyClear:
        if (!set) return true;
        break;
      default:
        return false;
    }
  }
  return op == MatchType::kBitsAllSet || op == MatchType::kBitsAllClear;
}

bool BitTestMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  if (value == nullptr) return false;
  if (bson_iter_type(value) == BSON_TYPE_BINARY) {
    bson_subtype_t subtype;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(value, &subtype, &length, &data);
    return TestBytes(data, data != nullptr ? length : 0);
  }
  int64_t number = 0;
  if (!IsNumber(*value) || !ExactInt64(*value, &number)) return false;
  return TestInteger(number);
}

std::string BitTestMatchExpression::DebugString() const {
  std::string out = absl::StrCat(PathPrefix(), OperatorName(type()), " [");
  for (size_t i = 0; i < positions_.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", positions_[i]);
  }
  out += "]";
  return out;
}

}  // namespace strata::query::match
