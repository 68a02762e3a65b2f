#include "query/match/expression_array.h"

#include "absl/strings/str_cat.h"

namespace strata::query::match {
namespace {

// Positions `*element` before the first element of the array at `value`; false if `value` is
// not a readable array.
bool ArrayElements(const bson_iter_t* value, bson_iter_t* element) {
  return value != nullptr && bson_iter_type(value) == BSON_TYPE_ARRAY &&
         bson_iter_recurse(value, element);
}

}  // namespace

bool SizeMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  bson_iter_t element;
  if (!ArrayElements(value, &element)) return false;
  int32_t count = 0;
  while (bson_iter_next(&element)) {
    if (++count > size_) return false;
  }
  return count == size_;
}

std::string SizeMatchExpression::DebugString() const {
  return absl::StrCat(PathPrefix(), "$size ", size_);
}

bool ElemMatchObjectMatchExpression::MatchesElement(const bson_iter_t& element) const {
  const bson_type_t type = bson_iter_type(&element);
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (type == BSON_TYPE_DOCUMENT) {
    bson_iter_document(&element, &length, &data);
  } else if (type == BSON_TYPE_ARRAY) {
    bson_iter_array(&element, &length, &data);
  }
  return data != nullptr && sub_->Matches(DocumentView(data, length), nullptr);
}

bool ElemMatchObjectMatchExpression::MatchesValue(const bson_iter_t* value,
                                                  MatchDetails* details) const {
  bson_iter_t element;
  if (!ArrayElements(value, &element)) return false;
  while (bson_iter_next(&element)) {
    if (MatchesElement(element)) {
      if (details != nullptr && details->elem_match_key_requested()) {
        details->SetElemMatchKey(IterKey(element));
      }
      return true;
    }
  }
  return false;
}

std::string ElemMatchObjectMatchExpression::DebugString() const {
  return absl::StrCat(PathPrefix(), "$elemMatch(", sub_->DebugString(), ")");
}

bool ElemMatchValueMatchExpression::MatchesElement(const bson_iter_t& element) const {
  for (const auto& child : children_) {
    if (!child->MatchesValue(&element, nullptr)) return false;
  }
  return true;
}

bool ElemMatchValueMatchExpression::MatchesValue(const bson_iter_t* value,
                                                 MatchDetails* details) const {
  bson_iter_t element;
  if (!ArrayElements(value, &element)) return false;
  while (bson_iter_next(&element)) {
    if (MatchesElement(element)) {
      if (details != nullptr && details->elem_match_key_requested()) {
        details->SetElemMatchKey(IterKey(element));
      }
      return true;
    }
  }
  return false;
}

std::string ElemMatchValueMatchExpression::DebugString() const {
  std::string out = absl::StrCat(PathPrefix(), "$elemMatch(");
  for (size_t i = 0; i < children_.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", children_[i]->DebugString());
  }
  out += ")";
  return out;
}

}  // namespace strata::query::match
