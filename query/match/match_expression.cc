#include "query/match/match_expression.h"

#include "absl/strings/str_cat.h"

namespace strata::query::match {
namespace {

const char* ListName(MatchType type) {
  switch (type) {
    case MatchType::kAnd:
      return "$and";
    case MatchType::kOr:
      return "$or";
    default:
      return "$nor";
  }
}

}  // namespace

std::string ListMatchExpression::DebugString() const {
  std::string out = absl::StrCat(ListName(type()), "(");
  for (size_t i = 0; i < children_.size(); ++i) {
    if (i > 0) out += ", ";
    out += children_[i]->DebugString();
  }
  out += ")";
  return out;
}

bool AndMatchExpression::Matches(DocumentView doc, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (!child->Matches(doc, details)) {
      if (details != nullptr) details->ResetOutput();
      return false;
    }
  }
  return true;
}

bool AndMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (!child->MatchesValue(value, details)) {
      if (details != nullptr) details->ResetOutput();
      return false;
    }
  }
  return true;
}

bool OrMatchExpression::Matches(DocumentView doc, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (child->Matches(doc, nullptr)) return true;
  }
  return false;
}

bool OrMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (child->MatchesValue(value, nullptr)) return true;
  }
  return false;
}

bool NorMatchExpression::Matches(DocumentView doc, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (child->Matches(doc, nullptr)) return false;
  }
  return true;
}

bool NorMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  for (const auto& child : children_) {
    if (child->MatchesValue(value, nullptr)) return false;
  }
  return true;
}

bool NotMatchExpression::Matches(DocumentView doc, MatchDetails* details) const {
  return !child_->Matches(doc, nullptr);
}

bool NotMatchExpression::MatchesValue(const bson_iter_t* value, MatchDetails* details) const {
  return !child_->MatchesValue(value, nullptr);
}

std::string NotMatchExpression::DebugString() const {
  return absl::StrCat("$not(", child_->DebugString(), ")");
}

std::string ValueDebugString(const bson_iter_t& it) {
  bson_t wrapper = BSON_INITIALIZER;
  bson_append_iter(&wrapper, "", 0, &it);
  std::string json = DocumentView(&wrapper).ToJson();
  bson_destroy(&wrapper);
  // {"": <value>} → <value>
  const size_t colon = json.find(':');
  const size_t close = json.rfind('}');
  if (colon == std::string::npos || close == std::string::npos || close <= colon) return json;
  std::string value = json.substr(colon + 1, close - colon - 1);
  const size_t begin = value.find_first_not_of(' ');
  const size_t end = value.find_last_not_of(' ');
  return begin == std::string::npos ? value : value.substr(begin, end - begin + 1);
}

}  // namespace strata::query::match
