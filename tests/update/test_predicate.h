// A deliberately small filter evaluator for the update tests: the real one is query/match,
// which the db layer plugs into UpdateParseOptions::predicate_factory. This one knows field
// equality (with array-element matching), $eq $ne $gt $gte $lt $lte $in $nin $exists,
// $and/$or, dotted paths and regular expressions (std::regex, option "i") — enough to drive
// arrayFilters and $pull conditions.
#ifndef STRATA_TESTS_UPDATE_TEST_PREDICATE_H_
#define STRATA_TESTS_UPDATE_TEST_PREDICATE_H_

#include <bson/bson.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "document/compare.h"
#include "query/update/update_plan.h"
#include "strata/document.h"

namespace strata::query::update::testing {

class TestPredicate : public ElementPredicate {
 public:
  explicit TestPredicate(const PredicateSpec& spec)
      : filter_(Document::Copy(spec.filter)),
        wrapped_(spec.target == PredicateSpec::Target::kWrapped),
        root_(spec.root_name) {}

  bool Matches(const bson_iter_t& element) const override {
    if (wrapped_) {
      Document holder;
      bson_append_iter(holder.mutable_bson(), root_.data(), static_cast<int>(root_.size()),
                       &element);
      return MatchDocument(filter_.bson(), holder.bson());
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&element)) return false;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&element, &length, &data);
    bson_t doc;
    bson_init_static(&doc, data, length);
    return MatchDocument(filter_.bson(), &doc);
  }

 private:
  static bool MatchDocument(const bson_t* filter, const bson_t* doc) {
    bson_iter_t it;
    bson_iter_init(&it, filter);
    while (bson_iter_next(&it)) {
      const std::string key = bson_iter_key(&it);
      if (key == "$and" || key == "$or") {
        bool any = false;
        bool all = true;
        bson_iter_t clauses;
        bson_iter_recurse(&it, &clauses);
        while (bson_iter_next(&clauses)) {
          uint32_t length = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&clauses, &length, &data);
          bson_t clause;
          bson_init_static(&clause, data, length);
          const bool matched = MatchDocument(&clause, doc);
          any = any || matched;
          all = all && matched;
        }
        if (key == "$and" ? !all : !any) return false;
        continue;
      }
      std::vector<bson_iter_t> values;
      Collect(doc, key, &values);
      if (!MatchCondition(it, values)) return false;
    }
    return true;
  }

  // The values at `path` (arrays along the way are traversed element by element).
  static void CollectFrom(const bson_iter_t& value, const std::vector<std::string>& parts, size_t i,
                          std::vector<bson_iter_t>* out) {
    if (i == parts.size()) {
      out->push_back(value);
      return;
    }
    const bson_type_t type = bson_iter_type(&value);
    if (type != BSON_TYPE_DOCUMENT && type != BSON_TYPE_ARRAY) return;
    bson_iter_t child;
    bson_iter_recurse(&value, &child);
    while (bson_iter_next(&child)) {
      if (parts[i] == bson_iter_key(&child)) {
        CollectFrom(child, parts, i + 1, out);
      } else if (type == BSON_TYPE_ARRAY && BSON_ITER_HOLDS_DOCUMENT(&child)) {
        CollectFrom(child, parts, i, out);
      }
    }
  }

  static void Collect(const bson_t* doc, const std::string& path, std::vector<bson_iter_t>* out) {
    const std::vector<std::string> parts = absl::StrSplit(path, '.');
    bson_iter_t it;
    bson_iter_init(&it, doc);
    while (bson_iter_next(&it)) {
      if (parts[0] == bson_iter_key(&it)) CollectFrom(it, parts, 1, out);
    }
  }

  // True when `value` (or, for arrays, one of its elements) satisfies `test`.
  template <typename Test>
  static bool AnyValue(const std::vector<bson_iter_t>& values, Test test) {
    for (const bson_iter_t& value : values) {
      if (test(value)) return true;
      if (BSON_ITER_HOLDS_ARRAY(&value)) {
        bson_iter_t child;
        bson_iter_recurse(&value, &child);
        while (bson_iter_next(&child)) {
          if (test(child)) return true;
        }
      }
    }
    return false;
  }

  static bool Equal(const bson_iter_t& a, const bson_iter_t& b) {
    return document::CompareValues(a, b) == 0;
  }

  static bool RegexMatch(const bson_iter_t& re, const bson_iter_t& value) {
    if (!BSON_ITER_HOLDS_UTF8(&value)) return false;
    const char* options = nullptr;
    const char* pattern = bson_iter_regex(&re, &options);
    auto flags = std::regex::ECMAScript;
    if (options != nullptr && std::string(options).find('i') != std::string::npos) {
      flags |= std::regex::icase;
    }
    return std::regex_search(bson_iter_utf8(&value, nullptr), std::regex(pattern, flags));
  }

  static bool MatchCondition(const bson_iter_t& condition, const std::vector<bson_iter_t>& values) {
    if (BSON_ITER_HOLDS_REGEX(&condition)) {
      return AnyValue(values, [&](const bson_iter_t& v) { return RegexMatch(condition, v); });
    }
    bson_iter_t op;
    if (BSON_ITER_HOLDS_DOCUMENT(&condition) && bson_iter_recurse(&condition, &op) &&
        bson_iter_next(&op) && bson_iter_key(&op)[0] == '$') {
      bson_iter_recurse(&condition, &op);
      while (bson_iter_next(&op)) {
        if (!MatchOperator(bson_iter_key(&op), op, values)) return false;
      }
      return true;
    }
    return AnyValue(values, [&](const bson_iter_t& v) { return Equal(v, condition); });
  }

  static bool MatchOperator(const std::string& name, const bson_iter_t& operand,
                            const std::vector<bson_iter_t>& values) {
    auto same_bracket = [&](const bson_iter_t& v) {
      return document::CanonicalTypeRank(bson_iter_type(&v)) ==
             document::CanonicalTypeRank(bson_iter_type(&operand));
    };
    auto compare = [&](auto accept) {
      return AnyValue(values, [&](const bson_iter_t& v) {
        return same_bracket(v) && accept(document::CompareValues(v, operand));
      });
    };
    if (name == "$eq")
      return AnyValue(values, [&](const bson_iter_t& v) { return Equal(v, operand); });
    if (name == "$ne")
      return !AnyValue(values, [&](const bson_iter_t& v) { return Equal(v, operand); });
    if (name == "$gt") return compare([](int c) { return c > 0; });
    if (name == "$gte") return compare([](int c) { return c >= 0; });
    if (name == "$lt") return compare([](int c) { return c < 0; });
    if (name == "$lte") return compare([](int c) { return c <= 0; });
    if (name == "$exists") return values.empty() != bson_iter_as_bool(&operand);
    if (name == "$in" || name == "$nin") {
      bool found = false;
      bson_iter_t candidates;
      bson_iter_recurse(&operand, &candidates);
      while (bson_iter_next(&candidates)) {
        const bson_iter_t candidate = candidates;
        if (BSON_ITER_HOLDS_REGEX(&candidate)) {
          found = found ||
                  AnyValue(values, [&](const bson_iter_t& v) { return RegexMatch(candidate, v); });
        } else {
          found =
              found || AnyValue(values, [&](const bson_iter_t& v) { return Equal(v, candidate); });
        }
      }
      return name == "$in" ? found : !found;
    }
    return false;  // unknown operators never match in this test matcher
  }

  Document filter_;
  bool wrapped_;
  std::string root_;
};

inline ElementPredicateFactory TestPredicateFactory() {
  return [](const PredicateSpec& spec) -> absl::StatusOr<std::unique_ptr<ElementPredicate>> {
    return std::unique_ptr<ElementPredicate>(new TestPredicate(spec));
  };
}

}  // namespace strata::query::update::testing

#endif  // STRATA_TESTS_UPDATE_TEST_PREDICATE_H_
