// Path predicates: a test of the values a dotted path reaches (see path.h for which values).
// A document matches a path predicate when ANY reached value passes the test; "missing" is
// one possible reached value (null pointer in MatchesValue).
//
// Operands borrow the filter document's bytes: keep the filter alive (match_expression.h).
#ifndef STRATA_QUERY_MATCH_EXPRESSION_LEAF_H_
#define STRATA_QUERY_MATCH_EXPRESSION_LEAF_H_

#include <bson/bson.h>

#include <bitset>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "query/match/match_expression.h"
#include "query/match/path.h"
#include "query/match/regex.h"

namespace strata::query::match {

// Base of every predicate on a path: Matches() walks the path and asks MatchesValue() about
// each reached value, recording the array position in `details` on success.
class PathMatchExpression : public MatchExpression {
 public:
  const FieldPath& path() const { return path_; }
  LeafArrays leaf_arrays() const { return leaf_arrays_; }

  bool Matches(DocumentView doc, MatchDetails* details = nullptr) const final;

 protected:
  PathMatchExpression(MatchType type, FieldPath path, LeafArrays leaf_arrays)
      : MatchExpression(type), path_(std::move(path)), leaf_arrays_(leaf_arrays) {}

  // "<path> " or "" for the pathless children of a value-form $elemMatch.
  std::string PathPrefix() const;

 private:
  const FieldPath path_;
  const LeafArrays leaf_arrays_;
};

// $eq $lt $lte $gt $gte with MongoDB's type bracketing: values of different canonical types
// (document/compare.h) never compare, except
//   - null, undefined and missing are one class for $eq/$lte/$gte against null;
//   - MinKey/MaxKey operands: every other value is $gt MinKey and $lt MaxKey;
// NaN equals NaN and is neither below nor above any number ($lt 5 does not match NaN).
// Arrays and documents compare as wholes (document/compare.h order).
class ComparisonMatchExpression final : public PathMatchExpression {
 public:
  // `type` is one of kEq, kLt, kLte, kGt, kGte. `operand` points into the filter document and
  // must not be undefined (the parser rejects it).
  ComparisonMatchExpression(MatchType type, FieldPath path, const bson_iter_t& operand);

  const bson_iter_t& operand() const { return operand_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  const bson_iter_t operand_;
  // Derived from operand_ once, at parse time.
  const bson_type_t operand_type_;
  const int operand_rank_;
  const bool operand_nan_;
};

// Regular-expression match on strings and symbols; a stored BSON regex value matches when its
// pattern and options are byte-for-byte the same. Other types never match.
class RegexMatchExpression final : public PathMatchExpression {
 public:
  RegexMatchExpression(FieldPath path, std::string pattern, std::string options,
                       std::unique_ptr<Regex> regex)
      : PathMatchExpression(MatchType::kRegex, std::move(path), LeafArrays::kTraverse),
        pattern_(std::move(pattern)),
        options_(std::move(options)),
        regex_(std::move(regex)) {}

  const std::string& pattern() const { return pattern_; }
  const std::string& options() const { return options_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  const std::string pattern_;
  const std::string options_;
  const std::unique_ptr<Regex> regex_;
};

// $in: equal (as $eq) to one of the listed values, or matched by one of the listed regexes.
// A null in the list also matches missing and undefined. $nin is $not of this.
class InMatchExpression final : public PathMatchExpression {
 public:
  // `equalities` point into the filter (no regex, no undefined); they are sorted and
  // de-duplicated here for binary search.
  InMatchExpression(FieldPath path, std::vector<bson_iter_t> equalities,
                    std::vector<std::unique_ptr<RegexMatchExpression>> regexes);

  const std::vector<bson_iter_t>& equalities() const { return equalities_; }
  size_t num_regexes() const { return regexes_.size(); }
  const RegexMatchExpression& regex(size_t i) const { return *regexes_[i]; }
  bool has_null() const { return has_null_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  std::vector<bson_iter_t> equalities_;  // sorted by document::CompareValues, unique
  std::vector<std::unique_ptr<RegexMatchExpression>> regexes_;
  bool has_null_ = false;
};

// $mod: [divisor, remainder] on numbers truncated toward zero to int64 (NaN, ±Infinity and
// out-of-range values never match). The remainder takes the dividend's sign, as in C.
class ModMatchExpression final : public PathMatchExpression {
 public:
  ModMatchExpression(FieldPath path, int64_t divisor, int64_t remainder)
      : PathMatchExpression(MatchType::kMod, std::move(path), LeafArrays::kTraverse),
        divisor_(divisor),
        remainder_(remainder) {}

  int64_t divisor() const { return divisor_; }
  int64_t remainder() const { return remainder_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  const int64_t divisor_;  // never 0
  const int64_t remainder_;
};

// $exists: true (the parser builds $exists: false as $not of this).
class ExistsMatchExpression final : public PathMatchExpression {
 public:
  explicit ExistsMatchExpression(FieldPath path)
      : PathMatchExpression(MatchType::kExists, std::move(path), LeafArrays::kTraverse) {}
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override {
    return value != nullptr;
  }
  std::string DebugString() const override { return PathPrefix() + "$exists"; }
};

// The set of BSON types a $type operand names.
struct TypeSet {
  bool all_numbers = false;  // the "number" alias: double, int, long, decimal
  std::bitset<256> types;    // by bson_type_t value (MinKey is 0xFF, MaxKey 0x7F)

  bool Contains(bson_type_t type) const;
  bool empty() const { return !all_numbers && types.none(); }
};

// $type: the value's BSON type is in the set. An array matches "array" itself and, through
// traversal, its elements' types.
class TypeMatchExpression final : public PathMatchExpression {
 public:
  TypeMatchExpression(FieldPath path, TypeSet types)
      : PathMatchExpression(MatchType::kType, std::move(path), LeafArrays::kTraverse),
        types_(types) {}

  const TypeSet& types() const { return types_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  const TypeSet types_;
};

// $bitsAllSet $bitsAllClear $bitsAnySet $bitsAnyClear on integral numbers (as 64-bit two's
// complement, sign-extended beyond bit 63) and BinData (little-endian bit order, zero-extended).
// Non-integral numbers, NaN and out-of-range doubles never match.
class BitTestMatchExpression final : public PathMatchExpression {
 public:
  // `type` is one of the four kBits* types; `positions` are the bit positions tested.
  BitTestMatchExpression(MatchType type, FieldPath path, std::vector<uint32_t> positions);

  const std::vector<uint32_t>& positions() const { return positions_; }
  bool MatchesValue(const bson_iter_t* value, MatchDetails* details = nullptr) const override;
  std::string DebugString() const override;

 private:
  bool TestInteger(int64_t value) const;
  bool TestBytes(const uint8_t* data, uint32_t length) const;

  std::vector<uint32_t> positions_;
  uint64_t mask_ = 0;  // positions ≥ 63 fold into bit 63 (sign extension)
};

// The operator name of a comparison or bit-test type ("$eq", "$bitsAllSet", …).
const char* OperatorName(MatchType type);

}  // namespace strata::query::match

#endif  // STRATA_QUERY_MATCH_EXPRESSION_LEAF_H_
