// How each predicate becomes intervals, and why the result is safe (see the CONTRACT in the
// header). Two properties of a predicate's bounds B on a key part matter:
//   complete: every document the predicate matches has a key value in B (always required);
//   exact:    complete, and a key value in B implies the document matches.
// Key values and the values the matcher reaches along a path (query/match/path.h) agree except
// in four places, which decide every "exact" flag below:
//   - a missing value is the key null, yet the matcher may reach nothing there (an array of
//     scalars on the way: {"a.b": {$lte: MaxKey}} does not match {a: [1]}), and
//     {$type: "null"} does not match missing;
//   - an empty array at the end of the path is the key undefined, not a reached undefined;
//   - the matcher also reaches a final array as a whole, which never is a key (its elements
//     are), so predicates an array satisfies as a whole (array operands, $type "array", $gt
//     MinKey on [MinKey]) need wider bounds;
//   - positional components ("a.0") follow different rules: such key parts stay unbounded.
// $not complements its child's bounds only when they are exact: then a document the child
// rejects has no key inside them, and every document has at least one key.
#include "query/planner/index_bounds_builder.h"

#include <bson/bson.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "document/key_string.h"
#include "query/match/expression_array.h"
#include "query/match/expression_leaf.h"
#include "query/match/path.h"
#include "query/planner/interval_set.h"

namespace strata::query::planner {
namespace {

using index::Interval;
using match::MatchExpression;
using match::MatchType;

// ----- Key strings of the values that bound type brackets.

// The key string of the one value `append` adds to an empty document.
template <typename Append>
std::string EncodeValue(Append append) {
  bson_t doc = BSON_INITIALIZER;
  append(&doc);
  bson_iter_t it;
  std::string out;
  if (bson_iter_init(&it, &doc) && bson_iter_next(&it)) out = document::EncodeKeyString(it);
  bson_destroy(&doc);
  return out;
}

std::string DoubleKey(double value) {
  return EncodeValue([value](bson_t* doc) { bson_append_double(doc, "", 0, value); });
}

std::string StringKey(absl::string_view text) {
  return EncodeValue([text](bson_t* doc) {
    bson_append_utf8(doc, "", 0, text.data(), static_cast<int>(text.size()));
  });
}

std::string NullKey() {
  return EncodeValue([](bson_t* doc) { bson_append_null(doc, "", 0); });
}

std::string UndefinedKey() {
  return EncodeValue([](bson_t* doc) { bson_append_undefined(doc, "", 0); });
}

std::string ObjectIdKey(uint8_t fill) {
  return EncodeValue([fill](bson_t* doc) {
    uint8_t bytes[12];
    std::memset(bytes, fill, sizeof(bytes));
    bson_oid_t oid;
    bson_oid_init_from_data(&oid, bytes);
    bson_append_oid(doc, "", 0, &oid);
  });
}

// A regex value with exactly these pattern and option bytes (bson_append_regex would sort the
// options; the matcher compares them as written).
std::string RegexKey(absl::string_view pattern, absl::string_view options) {
  std::string bytes(4, '\0');
  bytes.push_back(static_cast<char>(BSON_TYPE_REGEX));
  bytes.push_back('\0');  // the empty field name
  bytes.append(pattern.data(), pattern.size());
  bytes.push_back('\0');
  bytes.append(options.data(), options.size());
  bytes.push_back('\0');
  bytes.push_back('\0');  // end of document
  const uint32_t length = static_cast<uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  bson_iter_t it;
  if (!bson_iter_init_from_data(&it, reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()) ||
      !bson_iter_next(&it)) {
    return StringKey(pattern);  // unreachable: patterns have no NUL byte
  }
  return document::EncodeKeyString(it);
}

// The values of one canonical type, as [low, high] with the given inclusivity.
struct Bracket {
  std::string low;
  bool low_inclusive;
  std::string high;
  bool high_inclusive;
};

Interval MakeInterval(std::string low, bool low_inclusive, std::string high, bool high_inclusive) {
  Interval interval;
  interval.low = std::move(low);
  interval.high = std::move(high);
  interval.low_inclusive = low_inclusive;
  interval.high_inclusive = high_inclusive;
  return interval;
}

Interval BracketInterval(const Bracket& bracket) {
  return MakeInterval(bracket.low, bracket.low_inclusive, bracket.high, bracket.high_inclusive);
}

Bracket StringBracket() {
  return {StringKey(""), true, EncodeValue([](bson_t* doc) {
            bson_t child;
            bson_append_document_begin(doc, "", 0, &child);
            bson_append_document_end(doc, &child);
          }),
          false};
}

// The bracket a comparison with an operand of `type` stays in ({$gt: 5} → (5, +Infinity]).
// Numbers start at -Infinity: NaN sorts below it but is never $lt anything. Types without a
// bracket here (regex, code, DBPointer, …) leave comparisons unbounded.
std::optional<Bracket> ComparisonBracket(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128:
      return Bracket{DoubleKey(-INFINITY), true, DoubleKey(INFINITY), true};
    case BSON_TYPE_UTF8:
    case BSON_TYPE_SYMBOL:
      return StringBracket();
    case BSON_TYPE_DOCUMENT:
      return Bracket{EncodeValue([](bson_t* doc) {
                       bson_t child;
                       bson_append_document_begin(doc, "", 0, &child);
                       bson_append_document_end(doc, &child);
                     }),
                     true, EncodeValue([](bson_t* doc) {
                       bson_t child;
                       bson_append_array_begin(doc, "", 0, &child);
                       bson_append_array_end(doc, &child);
                     }),
                     false};
    case BSON_TYPE_BINARY:
      return Bracket{EncodeValue([](bson_t* doc) {
                       bson_append_binary(doc, "", 0, BSON_SUBTYPE_BINARY, nullptr, 0);
                     }),
                     true, ObjectIdKey(0x00), false};
    case BSON_TYPE_OID:
      return Bracket{ObjectIdKey(0x00), true, ObjectIdKey(0xFF), true};
    case BSON_TYPE_BOOL:
      return Bracket{EncodeValue([](bson_t* doc) { bson_append_bool(doc, "", 0, false); }), true,
                     EncodeValue([](bson_t* doc) { bson_append_bool(doc, "", 0, true); }), true};
    case BSON_TYPE_DATE_TIME:
      return Bracket{EncodeValue([](bson_t* doc) {
                       bson_append_date_time(doc, "", 0, std::numeric_limits<int64_t>::min());
                     }),
                     true, EncodeValue([](bson_t* doc) {
                       bson_append_date_time(doc, "", 0, std::numeric_limits<int64_t>::max());
                     }),
                     true};
    case BSON_TYPE_TIMESTAMP:
      return Bracket{EncodeValue([](bson_t* doc) { bson_append_timestamp(doc, "", 0, 0, 0); }),
                     true, EncodeValue([](bson_t* doc) {
                       bson_append_timestamp(doc, "", 0, UINT32_MAX, UINT32_MAX);
                     }),
                     true};
    default:
      return std::nullopt;
  }
}

// ----- Bounds of one predicate.

struct PathBounds {
  IntervalList intervals;
  bool exact = false;
};

PathBounds Unbounded() { return {{Interval::All()}, false}; }
PathBounds Nothing() { return {{}, true}; }

// Equality with `value` ($eq, or one $in entry), on a path whose key part is multikey or not.
PathBounds EqualityBounds(const bson_iter_t& value, bool multikey) {
  switch (bson_iter_type(&value)) {
    case BSON_TYPE_NULL:
      // Null also matches undefined and missing (the key null); an empty array is the key
      // undefined without matching.
      return {{Interval::Point(UndefinedKey()), Interval::Point(NullKey())}, !multikey};
    case BSON_TYPE_ARRAY: {
      // The array equals an element (nested arrays are keyed whole) or the whole final array
      // (keyed by its elements, the first among them; an empty one as undefined).
      IntervalList intervals = {Interval::Point(document::EncodeKeyString(value))};
      bson_iter_t child;
      if (bson_iter_recurse(&value, &child) && bson_iter_next(&child)) {
        intervals.push_back(Interval::Point(document::EncodeKeyString(child)));
      } else {
        intervals.push_back(Interval::Point(UndefinedKey()));
      }
      return {NormalizeIntervals(std::move(intervals)), false};
    }
    default:
      return {{Interval::Point(document::EncodeKeyString(value))}, true};
  }
}

PathBounds ComparisonBounds(const match::ComparisonMatchExpression& node, bool multikey) {
  const bson_iter_t& operand = node.operand();
  const bson_type_t type = bson_iter_type(&operand);
  const MatchType op = node.type();
  if (op == MatchType::kEq) return EqualityBounds(operand, multikey);
  std::string key = document::EncodeKeyString(operand);
  const bool lower = op == MatchType::kLt || op == MatchType::kLte;
  const bool inclusive = op == MatchType::kLte || op == MatchType::kGte;
  switch (type) {
    case BSON_TYPE_MINKEY:
      // Everything but MinKey is above it, a final array holding MinKey too.
      if (lower) return inclusive ? PathBounds{{Interval::Point(key)}, true} : Nothing();
      // Every value, but a path through arrays may reach none at all (its key is null).
      if (inclusive) return {{Interval::All()}, !multikey};
      if (multikey) return Unbounded();
      return {{MakeInterval(key, false, document::MaxKeyString(), true)}, true};
    case BSON_TYPE_MAXKEY:
      if (!lower) return inclusive ? PathBounds{{Interval::Point(key)}, true} : Nothing();
      if (inclusive) return {{Interval::All()}, !multikey};
      if (multikey) return Unbounded();
      return {{MakeInterval(document::MinKeyString(), true, key, false)}, true};
    case BSON_TYPE_NULL:
      // Only null-ish values compare with null, and none is above or below it.
      if (!inclusive) return Nothing();
      return EqualityBounds(operand, multikey);
    case BSON_TYPE_ARRAY:
      // A final array compares as a whole, which no key is.
      return Unbounded();
    default:
      break;
  }
  if (key == DoubleKey(NAN)) {
    // NaN is only equal to NaN, neither above nor below anything.
    return inclusive ? PathBounds{{Interval::Point(key)}, true} : Nothing();
  }
  std::optional<Bracket> bracket = ComparisonBracket(type);
  if (!bracket.has_value()) return Unbounded();
  Interval interval = lower ? MakeInterval(bracket->low, bracket->low_inclusive, key, inclusive)
                            : MakeInterval(key, inclusive, bracket->high, bracket->high_inclusive);
  return {NormalizeIntervals({std::move(interval)}), true};
}

// The literal text every string matching `pattern` starts with, when the pattern is anchored
// at the start of the text ("^abc", "\Aabc"); nullopt when that cannot be told from the
// pattern alone (case-insensitive, multi-line or extended options, alternation). A literal
// followed by a quantifier that allows zero repetitions is left out.
std::optional<std::string> RegexPrefix(absl::string_view pattern, absl::string_view options) {
  if (options.find_first_of("imx") != absl::string_view::npos) return std::nullopt;
  if (pattern.find('|') != absl::string_view::npos) return std::nullopt;
  size_t pos = 0;
  if (absl::StartsWith(pattern, "^")) {
    pos = 1;
  } else if (absl::StartsWith(pattern, "\\A")) {
    pos = 2;
  } else {
    return std::nullopt;
  }
  static constexpr absl::string_view kSpecial = ".[]()^$|*+?{}";
  std::string prefix;
  while (pos < pattern.size()) {
    const unsigned char c = static_cast<unsigned char>(pattern[pos]);
    std::string atom;
    size_t end = pos;
    if (c == '\\') {
      if (pos + 1 >= pattern.size()) break;
      const unsigned char next = static_cast<unsigned char>(pattern[pos + 1]);
      // Only an escaped ASCII punctuation character is a literal (\d, \Q, \x41 … are not).
      if (next >= 0x80 || std::isalnum(next) || std::isspace(next)) break;
      atom.assign(1, static_cast<char>(next));
      end = pos + 2;
    } else if (kSpecial.find(static_cast<char>(c)) != absl::string_view::npos) {
      break;
    } else if (c >= 0x80) {
      // One whole UTF-8 sequence, so that a quantifier after it drops all of it.
      end = pos + 1;
      while (end < pattern.size() && (static_cast<unsigned char>(pattern[end]) & 0xC0) == 0x80) {
        ++end;
      }
      atom = std::string(pattern.substr(pos, end - pos));
    } else {
      atom.assign(1, static_cast<char>(c));
      end = pos + 1;
    }
    if (end < pattern.size()) {
      const char after = pattern[end];
      if (after == '*' || after == '?' || after == '{') break;
      if (after == '+') {
        prefix += atom;
        break;
      }
    }
    prefix += atom;
    pos = end;
  }
  return prefix;
}

// The bounds of a regex: the strings starting with its literal prefix (all strings when it
// has none), plus stored regex values with the same pattern and options. Never exact.
PathBounds RegexBounds(const std::string& pattern, const std::string& options) {
  IntervalList intervals = {Interval::Point(RegexKey(pattern, options))};
  const Bracket strings = StringBracket();
  const std::optional<std::string> prefix = RegexPrefix(pattern, options);
  if (!prefix.has_value() || prefix->empty()) {
    intervals.push_back(BracketInterval(strings));
  } else {
    // The first string above every string with this prefix: the prefix with its last byte
    // below 0xFF incremented (and what follows dropped), else the end of the strings.
    std::string successor = *prefix;
    while (!successor.empty() && static_cast<unsigned char>(successor.back()) == 0xFF) {
      successor.pop_back();
    }
    if (successor.empty()) {
      intervals.push_back(MakeInterval(StringKey(*prefix), true, strings.high, false));
    } else {
      successor.back() = static_cast<char>(static_cast<unsigned char>(successor.back()) + 1);
      intervals.push_back(MakeInterval(StringKey(*prefix), true, StringKey(successor), false));
    }
  }
  return {NormalizeIntervals(std::move(intervals)), false};
}

PathBounds InBounds(const match::InMatchExpression& node, bool multikey) {
  PathBounds out = Nothing();
  for (const bson_iter_t& value : node.equalities()) {
    PathBounds one = EqualityBounds(value, multikey);
    out.intervals.insert(out.intervals.end(), one.intervals.begin(), one.intervals.end());
    out.exact = out.exact && one.exact;
  }
  for (size_t i = 0; i < node.num_regexes(); ++i) {
    PathBounds one = RegexBounds(node.regex(i).pattern(), node.regex(i).options());
    out.intervals.insert(out.intervals.end(), one.intervals.begin(), one.intervals.end());
    out.exact = false;
  }
  out.intervals = NormalizeIntervals(std::move(out.intervals));
  return out;
}

PathBounds TypeBounds(const match::TypeSet& types, bool multikey) {
  // An array matches "array" as a whole, and its elements are the keys.
  if (types.Contains(BSON_TYPE_ARRAY)) return Unbounded();
  for (bson_type_t type :
       {BSON_TYPE_REGEX, BSON_TYPE_DBPOINTER, BSON_TYPE_CODE, BSON_TYPE_CODEWSCOPE}) {
    if (types.Contains(type)) return Unbounded();
  }
  PathBounds out = Nothing();
  // A bracket holds every type of its canonical rank: exact only when all of them are asked.
  const auto add_bracket = [&](std::initializer_list<bson_type_t> rank, Interval interval) {
    bool any = false;
    bool all = true;
    for (bson_type_t type : rank) {
      if (types.Contains(type)) {
        any = true;
      } else {
        all = false;
      }
    }
    if (!any) return;
    if (!all) out.exact = false;
    out.intervals.push_back(std::move(interval));
  };
  add_bracket({BSON_TYPE_DOUBLE, BSON_TYPE_INT32, BSON_TYPE_INT64, BSON_TYPE_DECIMAL128},
              MakeInterval(DoubleKey(NAN), true, DoubleKey(INFINITY), true));
  add_bracket({BSON_TYPE_UTF8, BSON_TYPE_SYMBOL}, BracketInterval(StringBracket()));
  for (bson_type_t type : {BSON_TYPE_DOCUMENT, BSON_TYPE_BINARY, BSON_TYPE_OID, BSON_TYPE_BOOL,
                           BSON_TYPE_DATE_TIME, BSON_TYPE_TIMESTAMP}) {
    add_bracket({type}, BracketInterval(*ComparisonBracket(type)));
  }
  if (types.Contains(BSON_TYPE_MINKEY)) {
    out.intervals.push_back(
        Interval::Point(EncodeValue([](bson_t* doc) { bson_append_minkey(doc, "", 0); })));
  }
  if (types.Contains(BSON_TYPE_MAXKEY)) {
    out.intervals.push_back(
        Interval::Point(EncodeValue([](bson_t* doc) { bson_append_maxkey(doc, "", 0); })));
  }
  if (types.Contains(BSON_TYPE_UNDEFINED)) {
    // An empty final array is the key undefined too.
    out.intervals.push_back(Interval::Point(UndefinedKey()));
    if (multikey) out.exact = false;
  }
  if (types.Contains(BSON_TYPE_NULL)) {
    // A missing value is the key null but is not of type null.
    out.intervals.push_back(Interval::Point(NullKey()));
    out.exact = false;
  }
  out.intervals = NormalizeIntervals(std::move(out.intervals));
  return out;
}

PathBounds PredicateBounds(const MatchExpression& node, bool multikey);

// Children that all constrain one value (an $and under $not, or the operators of a value-form
// $elemMatch, which all test one element): their bounds intersect when `intersect`, else the
// first child's bounds stand for all.
PathBounds ConjunctionBounds(const MatchExpression& node, bool multikey, bool intersect) {
  if (node.num_children() == 0) return {{Interval::All()}, true};
  PathBounds out = PredicateBounds(*node.child(0), multikey);
  for (size_t i = 1; i < node.num_children(); ++i) {
    if (!intersect) {
      out.exact = false;
      break;
    }
    PathBounds next = PredicateBounds(*node.child(i), multikey);
    out.intervals = IntersectIntervals(out.intervals, next.intervals);
    out.exact = out.exact && next.exact;
  }
  return out;
}

PathBounds NotBounds(const MatchExpression& child, bool multikey) {
  if (child.type() == MatchType::kExists) {
    // Nothing reached: the key is null (a null value is too).
    return {{Interval::Point(NullKey())}, false};
  }
  const MatchExpression* inner = &child;
  if (child.type() == MatchType::kAnd && child.num_children() == 1) inner = child.child(0);
  if (inner->type() == MatchType::kExists) return NotBounds(*inner, multikey);
  const PathBounds positive = PredicateBounds(child, multikey);
  if (!positive.exact) return Unbounded();
  // Keys of a multikey document may lie on both sides.
  return {ComplementIntervals(positive.intervals), !multikey};
}

// The bounds of a predicate on the values at the key part's path (`node` may be pathless, as
// under $not or a value-form $elemMatch). Unknown predicates are unbounded.
PathBounds PredicateBounds(const MatchExpression& node, bool multikey) {
  switch (node.type()) {
    case MatchType::kEq:
    case MatchType::kLt:
    case MatchType::kLte:
    case MatchType::kGt:
    case MatchType::kGte:
      return ComparisonBounds(static_cast<const match::ComparisonMatchExpression&>(node), multikey);
    case MatchType::kIn:
      return InBounds(static_cast<const match::InMatchExpression&>(node), multikey);
    case MatchType::kRegex: {
      const auto& regex = static_cast<const match::RegexMatchExpression&>(node);
      return RegexBounds(regex.pattern(), regex.options());
    }
    case MatchType::kExists:
      // A missing value is the key null, as a null value is.
      return Unbounded();
    case MatchType::kType:
      return TypeBounds(static_cast<const match::TypeMatchExpression&>(node).types(), multikey);
    case MatchType::kNot:
      return NotBounds(*node.child(0), multikey);
    case MatchType::kAnd:
      return ConjunctionBounds(node, multikey, /*intersect=*/!multikey);
    case MatchType::kElemMatchValue: {
      // Every operator tests the same element, which is one key (nested arrays whole). The
      // array itself is not checked by the bounds, so never exact.
      PathBounds out = ConjunctionBounds(node, multikey, /*intersect=*/true);
      out.exact = false;
      return out;
    }
    case MatchType::kAlwaysTrue:
      return {{Interval::All()}, true};
    case MatchType::kAlwaysFalse:
      return Nothing();
    default:
      return Unbounded();
  }
}

// ----- The filter's predicates, by path.

// One path predicate of the filter, reachable through $and and $elemMatch (object form) only.
struct Predicate {
  const MatchExpression* node;
  std::string path;      // full dotted path from the document root
  size_t context;        // 0: outside any $elemMatch; else which $elemMatch object holds it
  size_t context_depth;  // path components of that $elemMatch's array (0 outside)
  bool used_exactly = false;
};

std::string JoinPath(const std::string& prefix, const std::string& path) {
  return prefix.empty() ? path : absl::StrCat(prefix, ".", path);
}

// The path a $not node constrains, when all of it is about one path.
std::optional<std::string> NotPath(const MatchExpression& node) {
  const MatchExpression* child = node.child(0);
  if (child == nullptr) return std::nullopt;
  std::optional<std::string> path;
  const auto visit = [&path](const MatchExpression& leaf) {
    const auto* path_node = dynamic_cast<const match::PathMatchExpression*>(&leaf);
    if (path_node == nullptr) return false;
    if (path.has_value() && *path != path_node->path().dotted()) return false;
    path = path_node->path().dotted();
    return true;
  };
  if (child->type() == MatchType::kAnd) {
    for (size_t i = 0; i < child->num_children(); ++i) {
      if (!visit(*child->child(i))) return std::nullopt;
    }
  } else if (!visit(*child)) {
    return std::nullopt;
  }
  return path;
}

struct Collector {
  std::vector<Predicate> predicates;
  bool inexact = false;       // some part of the filter is not expressed by bounds
  bool always_false = false;  // the filter can match nothing
  size_t next_context = 1;

  void Collect(const MatchExpression& node, const std::string& prefix, size_t context,
               size_t depth) {
    switch (node.type()) {
      case MatchType::kAnd:
        for (size_t i = 0; i < node.num_children(); ++i) {
          Collect(*node.child(i), prefix, context, depth);
        }
        return;
      case MatchType::kAlwaysTrue:
        return;
      case MatchType::kAlwaysFalse:
        always_false = true;
        return;
      case MatchType::kEq:
      case MatchType::kLt:
      case MatchType::kLte:
      case MatchType::kGt:
      case MatchType::kGte:
      case MatchType::kIn:
      case MatchType::kRegex:
      case MatchType::kExists:
      case MatchType::kType:
        Add(node, static_cast<const match::PathMatchExpression&>(node).path().dotted(), prefix,
            context, depth);
        return;
      case MatchType::kNot: {
        const std::optional<std::string> path = NotPath(node);
        if (!path.has_value()) {
          inexact = true;
          return;
        }
        Add(node, *path, prefix, context, depth);
        return;
      }
      case MatchType::kElemMatchValue:
        inexact = true;
        Add(node, static_cast<const match::PathMatchExpression&>(node).path().dotted(), prefix,
            context, depth);
        return;
      case MatchType::kElemMatchObject: {
        inexact = true;
        const std::string path =
            JoinPath(prefix, static_cast<const match::PathMatchExpression&>(node).path().dotted());
        Collect(*node.child(0), path, next_context++, match::FieldPath(path).size());
        return;
      }
      default:
        inexact = true;
        return;
    }
  }

  void Add(const MatchExpression& node, const std::string& path, const std::string& prefix,
           size_t context, size_t depth) {
    if (context != 0) inexact = true;
    predicates.push_back(Predicate{&node, JoinPath(prefix, path), context, depth});
  }
};

// The bounds of one key part and where they came from.
struct PartBounds {
  IntervalList intervals = {Interval::All()};
  std::vector<size_t> sources;  // indexes into Collector::predicates
  std::set<size_t> contexts;
};

bool AllPoints(const IntervalList& intervals) {
  for (const Interval& interval : intervals) {
    if (!interval.IsPoint()) return false;
  }
  return true;
}

// Of several candidate bounds that may not be intersected, the one to keep: the first made of
// points only (equalities select best), else the first.
size_t ChooseOne(const std::vector<PathBounds>& candidates) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (AllPoints(candidates[i].intervals)) return i;
  }
  return 0;
}

PartBounds BoundsForPart(const index::KeyPart& part, const std::set<size_t>& multikey,
                         Collector* collector) {
  PartBounds out;
  const match::FieldPath path(part.path);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path.is_index(i)) return out;  // positional paths: see the file comment
  }
  const bool part_multikey = !multikey.empty();

  // Per context (in order of appearance): the predicates on this path.
  std::vector<std::pair<size_t, std::vector<size_t>>> groups;
  for (size_t p = 0; p < collector->predicates.size(); ++p) {
    const Predicate& predicate = collector->predicates[p];
    if (predicate.path != part.path) continue;
    auto group = groups.begin();
    while (group != groups.end() && group->first != predicate.context) ++group;
    if (group == groups.end()) {
      groups.push_back({predicate.context, {}});
      group = groups.end() - 1;
    }
    group->second.push_back(p);
  }
  if (groups.empty()) return out;

  // Within one context, predicates intersect unless an array inside the context's element
  // lets different elements satisfy them.
  std::vector<PathBounds> group_bounds;
  std::vector<std::vector<size_t>> group_sources;
  for (const auto& [context, members] : groups) {
    const size_t depth = collector->predicates[members[0]].context_depth;
    const bool intersect = multikey.lower_bound(depth) == multikey.end();
    std::vector<PathBounds> each;
    for (size_t p : members) {
      each.push_back(PredicateBounds(*collector->predicates[p].node, part_multikey));
    }
    if (intersect) {
      PathBounds merged = {{Interval::All()}, true};
      for (const PathBounds& one : each) {
        merged.intervals = IntersectIntervals(merged.intervals, one.intervals);
        merged.exact = merged.exact && one.exact;
      }
      group_bounds.push_back(std::move(merged));
      group_sources.push_back(members);
    } else {
      const size_t chosen = ChooseOne(each);
      group_bounds.push_back(std::move(each[chosen]));
      group_sources.push_back({members[chosen]});
    }
  }

  // Across contexts, only a path without arrays intersects.
  std::vector<size_t> kept;
  if (!part_multikey) {
    for (size_t g = 0; g < groups.size(); ++g) kept.push_back(g);
  } else {
    kept.push_back(ChooseOne(group_bounds));
  }
  bool exact = true;
  for (size_t g : kept) {
    out.intervals = IntersectIntervals(out.intervals, group_bounds[g].intervals);
    exact = exact && group_bounds[g].exact;
    out.sources.insert(out.sources.end(), group_sources[g].begin(), group_sources[g].end());
    out.contexts.insert(groups[g].first);
  }
  for (size_t p : out.sources) collector->predicates[p].used_exactly = exact;
  return out;
}

// True when key parts `a` and `b` may both keep bounds: they share no array, or share only
// arrays whose elements one $elemMatch picks for both.
bool MayCompound(const index::KeyPart& a, const std::set<size_t>& a_multikey,
                 const PartBounds& a_bounds, const index::KeyPart& b,
                 const std::set<size_t>& b_multikey, const PartBounds& b_bounds,
                 const Collector& collector) {
  const match::FieldPath a_path(a.path);
  const match::FieldPath b_path(b.path);
  size_t common = 0;
  while (common < a_path.size() && common < b_path.size() &&
         a_path.part(common) == b_path.part(common)) {
    ++common;
  }
  size_t deepest_shared = 0;
  bool shares_array = false;
  for (size_t c = 0; c < common; ++c) {
    if (a_multikey.count(c) != 0 || b_multikey.count(c) != 0) {
      shares_array = true;
      deepest_shared = c;
    }
  }
  if (!shares_array) return true;
  if (a_bounds.contexts.size() != 1 || a_bounds.contexts != b_bounds.contexts) return false;
  const size_t context = *a_bounds.contexts.begin();
  if (context == 0) return false;
  const size_t depth = collector.predicates[a_bounds.sources.front()].context_depth;
  return deepest_shared < depth;
}

}  // namespace

absl::StatusOr<IndexBoundsResult> BuildIndexBounds(const match::MatchExpression& filter,
                                                   const IndexShape& shape) {
  const size_t n = shape.key_parts.size();
  if (n == 0) return absl::InvalidArgumentError("index bounds: the index has no key parts");
  IndexBoundsResult result;
  result.bounds.fields.assign(n, {Interval::All()});

  Collector collector;
  collector.Collect(filter, "", 0, 0);
  if (collector.always_false) {
    result.bounds.fields[0].clear();
    result.bounded_prefix = 1;
    result.exact = true;
    return result;
  }

  const std::set<size_t> no_arrays;
  const auto multikey_of = [&](size_t i) -> const std::set<size_t>& {
    return i < shape.multikey_paths.size() ? shape.multikey_paths[i] : no_arrays;
  };
  std::vector<PartBounds> parts;
  parts.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    parts.push_back(BoundsForPart(shape.key_parts[i], multikey_of(i), &collector));
  }

  // Two parts over one array: without a shared $elemMatch their predicates may hold for
  // different elements, while each key takes both values from one element.
  for (size_t j = 1; j < n; ++j) {
    if (CoversAllValues(parts[j].intervals)) continue;
    for (size_t i = 0; i < j; ++i) {
      if (CoversAllValues(parts[i].intervals)) continue;
      if (MayCompound(shape.key_parts[i], multikey_of(i), parts[i], shape.key_parts[j],
                      multikey_of(j), parts[j], collector)) {
        continue;
      }
      for (size_t p : parts[j].sources) collector.predicates[p].used_exactly = false;
      parts[j] = PartBounds();
      break;
    }
  }

  bool exact = !collector.inexact;
  for (const Predicate& predicate : collector.predicates) {
    exact = exact && predicate.used_exactly;
  }
  result.exact = exact;
  for (size_t i = 0; i < n; ++i) result.bounds.fields[i] = std::move(parts[i].intervals);
  while (result.bounded_prefix < n &&
         !CoversAllValues(result.bounds.fields[result.bounded_prefix])) {
    ++result.bounded_prefix;
  }
  return result;
}

}  // namespace strata::query::planner
