// The leaf operators of an update. Each is parsed once (MakeModifier) and applied per
// document through the Modifier interface of update_tree.h.
#include "query/update/modifiers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/compare.h"
#include "document/key_string.h"
#include "document/type_names.h"
#include "query/update/arithmetic.h"
#include "query/update/bson_text.h"

namespace strata::query::update::internal {
namespace {

using document::CompareValues;

absl::Status BadValue(absl::string_view message) {
  return MongoError(ErrorCode::kBadValue, message);
}

// Streams elements into a new array under a slot's key (keys renumbered from 0).
class ArrayWriter {
 public:
  explicit ArrayWriter(const Slot& slot) : slot_(slot) {
    bson_append_array_begin(slot.dst, slot.key.data(), static_cast<int>(slot.key.size()), &array_);
  }
  ~ArrayWriter() { bson_append_array_end(slot_.dst, &array_); }
  ArrayWriter(const ArrayWriter&) = delete;
  ArrayWriter& operator=(const ArrayWriter&) = delete;

  void Append(const bson_iter_t& value) {
    const char* key = nullptr;
    const size_t length = bson_uint32_to_string(next_, &key, buffer_, sizeof(buffer_));
    AppendIter(&array_, absl::string_view(key, length), value);
    ++next_;
  }
  template <typename Range>
  void AppendAll(const Range& values) {
    for (const bson_iter_t& value : values) Append(value);
  }

 private:
  const Slot& slot_;
  bson_t array_;
  uint32_t next_ = 0;
  char buffer_[24];
};

// Writes `values` as an array under the slot's key.
void WriteArray(const Slot& slot, const std::vector<bson_iter_t>& values) {
  ArrayWriter writer(slot);
  writer.AppendAll(values);
}

// Number of elements of the array at `it`.
size_t ArraySize(const bson_iter_t& it) {
  size_t count = 0;
  bson_iter_t child;
  if (bson_iter_recurse(&it, &child)) {
    while (bson_iter_next(&child)) ++count;
  }
  return count;
}

// The elements of the array at `it`.
std::vector<bson_iter_t> ArrayElements(const bson_iter_t& it) {
  std::vector<bson_iter_t> out;
  bson_iter_t child;
  if (bson_iter_recurse(&it, &child)) {
    while (bson_iter_next(&child)) out.push_back(child);
  }
  return out;
}

// Reads an integral number (int32, int64, or a double with an integral value).
bool ReadIntegral(const bson_iter_t& it, int64_t* out) {
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_INT32:
      *out = bson_iter_int32(&it);
      return true;
    case BSON_TYPE_INT64:
      *out = bson_iter_int64(&it);
      return true;
    case BSON_TYPE_DOUBLE: {
      const double value = bson_iter_double(&it);
      if (std::trunc(value) != value || std::fabs(value) > 9.0e15) return false;
      *out = static_cast<int64_t>(value);
      return true;
    }
    default:
      return false;
  }
}

// ---- $set, $setOnInsert ----

class SetModifier : public Modifier {
 public:
  SetModifier(const bson_iter_t& value, bool insert_only)
      : value_(value), insert_only_(insert_only) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState& state) const override {
    if (insert_only_ && !state.ctx->is_upsert_insert) return LeafResult::kKeep;
    if (BinaryEqual(current, value_)) return LeafResult::kKeep;
    AppendIter(slot.dst, slot.key, value_);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState& state) const override {
    return !insert_only_ || state.ctx->is_upsert_insert;
  }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState&) const override {
    AppendIter(slot.dst, slot.key, value_);
    return absl::OkStatus();
  }

 private:
  bson_iter_t value_;
  bool insert_only_;
};

// ---- $unset ----

class UnsetModifier : public Modifier {
 public:
  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t&, const Slot&,
                                           const ApplyState&) const override {
    return LeafResult::kRemove;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return false; }
  absl::Status ApplyMissing(const Slot&, const ApplyState&) const override {
    return absl::OkStatus();
  }
};

// ---- $inc, $mul ----

class ArithmeticModifier : public Modifier {
 public:
  ArithmeticModifier(ArithmeticOp op, const Number& operand) : op_(op), operand_(operand) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState& state) const override {
    Number value;
    if (!ReadNumber(current, &value)) {
      return MongoError(
          ErrorCode::kTypeMismatch,
          absl::StrCat("Cannot apply ", Name(), " to a value of non-numeric type. {",
                       state.IdText(), "} has the field '", slot.key, "' of non-numeric type ",
                       document::BsonTypeName(bson_iter_type(&current))));
    }
    Number result;
    if (!Compute(op_, operand_, value, &result)) {
      return BadValue(absl::StrCat("Failed to apply ", Name(), " operations to current value (",
                                   NumberDebugString(value), ") for document {", state.IdText(),
                                   "}"));
    }
    if (Identical(result, value)) return LeafResult::kKeep;
    AppendNumber(slot.dst, slot.key, result);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return true; }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState&) const override {
    Number result = operand_;
    // $mul of a missing field gives a zero of the multiplier's type.
    if (op_ == ArithmeticOp::kMultiply) Compute(op_, operand_, Number::Int32(0), &result);
    AppendNumber(slot.dst, slot.key, result);
    return absl::OkStatus();
  }

 private:
  absl::string_view Name() const { return op_ == ArithmeticOp::kAdd ? "$inc" : "$mul"; }
  ArithmeticOp op_;
  Number operand_;
};

// ---- $min, $max ----

class CompareModifier : public Modifier {
 public:
  CompareModifier(const bson_iter_t& value, bool is_max) : value_(value), is_max_(is_max) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState&) const override {
    const int order = CompareValues(value_, current);
    if (is_max_ ? order <= 0 : order >= 0) return LeafResult::kKeep;
    AppendIter(slot.dst, slot.key, value_);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return true; }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState&) const override {
    AppendIter(slot.dst, slot.key, value_);
    return absl::OkStatus();
  }

 private:
  bson_iter_t value_;
  bool is_max_;
};

// ---- $currentDate ----

class CurrentDateModifier : public Modifier {
 public:
  explicit CurrentDateModifier(bool timestamp) : timestamp_(timestamp) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t&, const Slot& slot,
                                           const ApplyState& state) const override {
    Write(slot, state);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return true; }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState& state) const override {
    Write(slot, state);
    return absl::OkStatus();
  }

 private:
  void Write(const Slot& slot, const ApplyState& state) const {
    const int key_length = static_cast<int>(slot.key.size());
    if (timestamp_) {
      bson_append_timestamp(slot.dst, slot.key.data(), key_length, state.now_seconds,
                            state.ctx->timestamp_increment);
    } else {
      bson_append_date_time(slot.dst, slot.key.data(), key_length, state.now_millis);
    }
  }
  bool timestamp_;
};

// ---- $push ----

// A $sort specification of $push: the whole element, or fields of document elements.
struct SortSpec {
  bool whole = true;
  int direction = 1;                                // whole element
  std::vector<std::pair<std::string, int>> fields;  // path, direction
};

// The value used to sort `element` by `path`; `null_value` (a null) when absent.
bson_iter_t SortKey(const bson_iter_t& element, const std::string& path,
                    const bson_iter_t& null_value) {
  if (bson_iter_type(&element) == BSON_TYPE_DOCUMENT) {
    bson_iter_t child;
    bson_iter_t found;
    if (bson_iter_recurse(&element, &child) &&
        bson_iter_find_descendant(&child, path.c_str(), &found)) {
      return found;
    }
  }
  return null_value;
}

void SortElements(const SortSpec& sort, std::vector<bson_iter_t>* elements) {
  if (sort.whole) {
    std::stable_sort(elements->begin(), elements->end(),
                     [&](const bson_iter_t& a, const bson_iter_t& b) {
                       return CompareValues(a, b) * sort.direction < 0;
                     });
    return;
  }
  struct Keyed {
    bson_iter_t element;
    std::vector<bson_iter_t> keys;
  };
  Document null_holder;
  bson_append_null(null_holder.mutable_bson(), "", 0);
  bson_iter_t null_value;
  bson_iter_init(&null_value, null_holder.bson());
  bson_iter_next(&null_value);
  std::vector<Keyed> keyed;
  keyed.reserve(elements->size());
  for (const bson_iter_t& element : *elements) {
    Keyed k{element, {}};
    for (const auto& [path, direction] : sort.fields) {
      k.keys.push_back(SortKey(element, path, null_value));
    }
    keyed.push_back(std::move(k));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    for (size_t i = 0; i < sort.fields.size(); ++i) {
      const int order = CompareValues(a.keys[i], b.keys[i]) * sort.fields[i].second;
      if (order != 0) return order < 0;
    }
    return false;
  });
  for (size_t i = 0; i < keyed.size(); ++i) (*elements)[i] = keyed[i].element;
}

absl::StatusOr<int> ParseSortDirection(const bson_iter_t& it) {
  Number n;
  if (ReadNumber(it, &n)) {
    double value = n.type == BSON_TYPE_DOUBLE ? n.floating : static_cast<double>(n.integer);
    if (n.type == BSON_TYPE_DECIMAL128) value = 0;
    if (value == 1 || value == -1) return static_cast<int>(value);
  }
  return BadValue("The $sort element value must be either 1 or -1");
}

absl::StatusOr<SortSpec> ParseSort(const bson_iter_t& it) {
  SortSpec spec;
  if (bson_iter_type(&it) == BSON_TYPE_DOCUMENT) {
    spec.whole = false;
    bson_iter_t child;
    if (!bson_iter_recurse(&it, &child)) return BadValue("invalid $sort");
    while (bson_iter_next(&child)) {
      const std::string path = bson_iter_key(&child);
      if (path.empty() || path.front() == '.' || path.back() == '.' ||
          path.find("..") != std::string::npos) {
        return BadValue("The $sort field is a dotted field but has an empty part: " + path);
      }
      if (path.front() == '$') {
        return BadValue(absl::StrCat("The $sort field cannot start with '$': ", path));
      }
      ASSIGN_OR_RETURN(int direction, ParseSortDirection(child));
      spec.fields.emplace_back(path, direction);
    }
    if (spec.fields.empty()) {
      return BadValue("The $sort pattern is empty when it should be a set of fields.");
    }
    return spec;
  }
  Number n;
  if (!ReadNumber(it, &n)) {
    return BadValue(
        "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort "
        "embedded fields");
  }
  ASSIGN_OR_RETURN(spec.direction, ParseSortDirection(it));
  return spec;
}

class PushModifier : public Modifier {
 public:
  static absl::StatusOr<std::unique_ptr<Modifier>> Make(const bson_iter_t& operand) {
    auto push = std::make_unique<PushModifier>();
    bool modifier_form = false;
    if (bson_iter_type(&operand) == BSON_TYPE_DOCUMENT) {
      bson_iter_t child;
      if (bson_iter_recurse(&operand, &child) && bson_iter_find(&child, "$each")) {
        modifier_form = true;
      }
    }
    if (!modifier_form) {
      push->values_.push_back(operand);
      return push;
    }
    bson_iter_t clause;
    bson_iter_recurse(&operand, &clause);
    while (bson_iter_next(&clause)) {
      const absl::string_view name = bson_iter_key(&clause);
      const bson_type_t type = bson_iter_type(&clause);
      if (name == "$each") {
        if (type != BSON_TYPE_ARRAY) {
          return BadValue(
              absl::StrCat("The argument to $each in $push must be an array but it was of type: ",
                           document::BsonTypeName(type)));
        }
        push->values_ = ArrayElements(clause);
      } else if (name == "$slice") {
        int64_t slice = 0;
        if (!ReadIntegral(clause, &slice)) {
          return BadValue(
              absl::StrCat("The value for $slice must be an integer value but was given type: ",
                           document::BsonTypeName(type)));
        }
        push->slice_ = slice;
      } else if (name == "$position") {
        int64_t position = 0;
        if (!ReadIntegral(clause, &position)) {
          return BadValue(
              absl::StrCat("The value for $position must be an integer value, not of type: ",
                           document::BsonTypeName(type)));
        }
        push->position_ = position;
      } else if (name == "$sort") {
        ASSIGN_OR_RETURN(SortSpec sort, ParseSort(clause));
        push->sort_ = std::move(sort);
      } else {
        return BadValue(absl::StrCat("Unrecognized clause in $push: ", name));
      }
    }
    return push;
  }

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState& state) const override {
    if (bson_iter_type(&current) != BSON_TYPE_ARRAY) {
      return BadValue(absl::StrCat("The field '", slot.key, "' must be an array but is of type ",
                                   document::BsonTypeName(bson_iter_type(&current)),
                                   " in document {", state.IdText(), "}"));
    }
    if (values_.empty() && !sort_.has_value() && !slice_.has_value()) return LeafResult::kKeep;
    if (!sort_.has_value() && !slice_.has_value()) {
      // The common case, no reordering: stream the old elements with the new ones spliced in.
      int64_t at = -1;  // append
      if (position_.has_value()) {
        const int64_t size = static_cast<int64_t>(ArraySize(current));
        at = *position_ >= 0 ? std::min(*position_, size) : std::max<int64_t>(0, size + *position_);
        if (at == size) at = -1;
      }
      ArrayWriter writer(slot);
      bson_iter_t element;
      int64_t index = 0;
      if (bson_iter_recurse(&current, &element)) {
        while (bson_iter_next(&element)) {
          if (index++ == at) writer.AppendAll(values_);
          writer.Append(element);
        }
      }
      if (at < 0) writer.AppendAll(values_);
      return LeafResult::kWritten;
    }
    std::vector<bson_iter_t> elements = ArrayElements(current);
    const int64_t size = static_cast<int64_t>(elements.size());
    int64_t at = size;
    if (position_.has_value()) {
      at = *position_ >= 0 ? std::min(*position_, size) : std::max<int64_t>(0, size + *position_);
    }
    elements.insert(elements.begin() + at, values_.begin(), values_.end());
    Finish(&elements);
    WriteArray(slot, elements);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return true; }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState&) const override {
    std::vector<bson_iter_t> elements = values_;
    Finish(&elements);
    WriteArray(slot, elements);
    return absl::OkStatus();
  }

 private:
  // $sort, then $slice (after $each and $position).
  void Finish(std::vector<bson_iter_t>* elements) const {
    if (sort_.has_value()) SortElements(*sort_, elements);
    if (slice_.has_value()) {
      const size_t size = elements->size();
      if (*slice_ >= 0) {
        if (static_cast<uint64_t>(*slice_) < size) elements->resize(static_cast<size_t>(*slice_));
      } else {
        const uint64_t keep = *slice_ == std::numeric_limits<int64_t>::min()
                                  ? std::numeric_limits<uint64_t>::max()
                                  : static_cast<uint64_t>(-*slice_);
        if (keep < size) {
          elements->erase(elements->begin(),
                          elements->begin() + static_cast<ptrdiff_t>(size - keep));
        }
      }
    }
  }

  std::vector<bson_iter_t> values_;
  std::optional<int64_t> slice_;
  std::optional<int64_t> position_;
  std::optional<SortSpec> sort_;
};

// ---- $addToSet ----

class AddToSetModifier : public Modifier {
 public:
  static absl::StatusOr<std::unique_ptr<Modifier>> Make(const bson_iter_t& operand) {
    auto add = std::make_unique<AddToSetModifier>();
    std::vector<bson_iter_t> values;
    bson_iter_t child;
    if (bson_iter_type(&operand) == BSON_TYPE_DOCUMENT && bson_iter_recurse(&operand, &child) &&
        bson_iter_next(&child) && absl::string_view(bson_iter_key(&child)) == "$each") {
      const bson_iter_t each = child;
      if (bson_iter_next(&child)) {
        return BadValue(absl::StrCat("Found unexpected fields after $each in $addToSet: ",
                                     ValueToString(operand)));
      }
      if (bson_iter_type(&each) != BSON_TYPE_ARRAY) {
        return BadValue(
            absl::StrCat("The argument to $each in $addToSet must be an array but it was of type ",
                         document::BsonTypeName(bson_iter_type(&each))));
      }
      values = ArrayElements(each);
    } else {
      values.push_back(operand);
    }
    // Equal values in $each are added once (the first).
    absl::flat_hash_set<std::string> seen;
    for (const bson_iter_t& value : values) {
      std::string key = document::EncodeKeyString(value);
      if (seen.insert(key).second) {
        add->values_.push_back(value);
        add->keys_.push_back(std::move(key));
      }
    }
    return add;
  }

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState&) const override {
    if (bson_iter_type(&current) != BSON_TYPE_ARRAY) {
      return BadValue(absl::StrCat("Cannot apply $addToSet to non-array field. Field named '",
                                   slot.key, "' has non-array type ",
                                   document::BsonTypeName(bson_iter_type(&current))));
    }
    // The values not in the array yet: one scan for a single value, a hash set of key strings
    // (equal values have equal key strings) for $each.
    std::vector<size_t> missing;
    bson_iter_t element;
    if (values_.size() == 1) {
      bool present = false;
      if (bson_iter_recurse(&current, &element)) {
        while (!present && bson_iter_next(&element)) {
          present = CompareValues(element, values_[0]) == 0;
        }
      }
      if (!present) missing.push_back(0);
    } else if (!values_.empty()) {
      absl::flat_hash_set<std::string> existing;
      if (bson_iter_recurse(&current, &element)) {
        while (bson_iter_next(&element)) existing.insert(document::EncodeKeyString(element));
      }
      for (size_t i = 0; i < values_.size(); ++i) {
        if (!existing.contains(keys_[i])) missing.push_back(i);
      }
    }
    if (missing.empty()) return LeafResult::kKeep;
    ArrayWriter writer(slot);
    if (bson_iter_recurse(&current, &element)) {
      while (bson_iter_next(&element)) writer.Append(element);
    }
    for (size_t i : missing) writer.Append(values_[i]);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return true; }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState&) const override {
    WriteArray(slot, values_);
    return absl::OkStatus();
  }

 private:
  std::vector<bson_iter_t> values_;  // distinct, in $each order
  std::vector<std::string> keys_;    // their key strings (equal values, equal bytes)
};

// ---- $pop ----

class PopModifier : public Modifier {
 public:
  explicit PopModifier(bool from_front) : from_front_(from_front) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState&) const override {
    if (bson_iter_type(&current) != BSON_TYPE_ARRAY) {
      return MongoError(
          ErrorCode::kTypeMismatch,
          absl::StrCat("Path '", *slot.path, "' contains an element of non-array type '",
                       document::BsonTypeName(bson_iter_type(&current)), "'"));
    }
    const size_t size = ArraySize(current);
    if (size == 0) return LeafResult::kKeep;
    const size_t skip = from_front_ ? 0 : size - 1;
    ArrayWriter writer(slot);
    bson_iter_t element;
    size_t index = 0;
    if (bson_iter_recurse(&current, &element)) {
      while (bson_iter_next(&element)) {
        if (index++ != skip) writer.Append(element);
      }
    }
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return false; }
  absl::Status ApplyMissing(const Slot&, const ApplyState&) const override {
    return absl::OkStatus();
  }

 private:
  bool from_front_;
};

// ---- $pull, $pullAll ----

class PullModifier : public Modifier {
 public:
  // Removes elements equal to one of `values` (compared as MongoDB compares values).
  static std::unique_ptr<PullModifier> ForValues(std::vector<bson_iter_t> values) {
    auto pull = std::make_unique<PullModifier>();
    for (const bson_iter_t& value : values) pull->keys_.insert(document::EncodeKeyString(value));
    if (values.size() == 1) pull->single_ = values[0];
    return pull;
  }
  // Removes elements the predicate matches. `filter` is kept alive for the predicate.
  static std::unique_ptr<PullModifier> ForPredicate(Document filter,
                                                    std::unique_ptr<ElementPredicate> predicate) {
    auto pull = std::make_unique<PullModifier>();
    pull->filter_ = std::move(filter);
    pull->predicate_ = std::move(predicate);
    return pull;
  }

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState&) const override {
    if (bson_iter_type(&current) != BSON_TYPE_ARRAY) {
      return BadValue("Cannot apply $pull to a non-array value");
    }
    // First pass: which elements go (one bit each); second pass: copy the others.
    std::vector<bool> remove;
    bool removed = false;
    bson_iter_t element;
    if (bson_iter_recurse(&current, &element)) {
      while (bson_iter_next(&element)) {
        const bool match = Matches(element);
        remove.push_back(match);
        removed = removed || match;
      }
    }
    if (!removed) return LeafResult::kKeep;
    ArrayWriter writer(slot);
    size_t index = 0;
    if (bson_iter_recurse(&current, &element)) {
      while (bson_iter_next(&element)) {
        if (!remove[index++]) writer.Append(element);
      }
    }
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return false; }
  absl::Status ApplyMissing(const Slot&, const ApplyState&) const override {
    return absl::OkStatus();
  }

 private:
  bool Matches(const bson_iter_t& element) const {
    if (predicate_ != nullptr) return predicate_->Matches(element);
    if (single_.has_value()) return CompareValues(element, *single_) == 0;
    return keys_.contains(document::EncodeKeyString(element));
  }

  Document filter_;  // before predicate_: the predicate may point into it
  std::unique_ptr<ElementPredicate> predicate_;
  std::optional<bson_iter_t> single_;
  absl::flat_hash_set<std::string> keys_;
};

// Top-level operators of a filter that are not conditions on a value: an object starting
// with one of them is a query on document elements.
bool IsTopLevelQueryOperator(absl::string_view name) {
  return name == "$and" || name == "$or" || name == "$nor" || name == "$expr" || name == "$where" ||
         name == "$text" || name == "$comment" || name == "$jsonSchema";
}

absl::StatusOr<std::unique_ptr<Modifier>> MakePull(const bson_iter_t& operand,
                                                   const ElementPredicateFactory& factory) {
  const bson_type_t type = bson_iter_type(&operand);
  if (type != BSON_TYPE_DOCUMENT && type != BSON_TYPE_REGEX) {
    return std::unique_ptr<Modifier>(PullModifier::ForValues(std::vector<bson_iter_t>(1, operand)));
  }
  if (!factory) {
    return MongoError(ErrorCode::kNotImplemented,
                      "$pull with a condition needs a filter matcher (no predicate factory "
                      "was configured)");
  }
  PredicateSpec spec;
  Document filter;
  bool wrapped = type == BSON_TYPE_REGEX;
  if (type == BSON_TYPE_DOCUMENT) {
    bson_iter_t child;
    if (bson_iter_recurse(&operand, &child) && bson_iter_next(&child)) {
      const absl::string_view first = bson_iter_key(&child);
      wrapped = !first.empty() && first.front() == '$' && !IsTopLevelQueryOperator(first);
    }
  }
  if (wrapped) {
    static constexpr absl::string_view kRoot = "v";
    bson_append_iter(filter.mutable_bson(), kRoot.data(), static_cast<int>(kRoot.size()), &operand);
    spec.target = PredicateSpec::Target::kWrapped;
    spec.root_name = kRoot;
  } else {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&operand, &length, &data);
    filter = Document::Copy(DocumentView(data, length));
    spec.target = PredicateSpec::Target::kDocument;
  }
  spec.filter = filter.view();
  ASSIGN_OR_RETURN(std::unique_ptr<ElementPredicate> predicate, factory(spec));
  return std::unique_ptr<Modifier>(
      PullModifier::ForPredicate(std::move(filter), std::move(predicate)));
}

// ---- $rename ----

class RenameDestination : public Modifier {
 public:
  explicit RenameDestination(size_t index) : index_(index) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t& current, const Slot& slot,
                                           const ApplyState& state) const override {
    const std::optional<bson_iter_t>& source = state.rename_sources[index_];
    if (!source.has_value()) return LeafResult::kKeep;
    AppendIter(slot.dst, slot.key, *source);
    return LeafResult::kWritten;
  }
  bool CreatesWhenMissing(const ApplyState& state) const override {
    return state.rename_sources[index_].has_value();
  }
  absl::Status ApplyMissing(const Slot& slot, const ApplyState& state) const override {
    AppendIter(slot.dst, slot.key, *state.rename_sources[index_]);
    return absl::OkStatus();
  }

 private:
  size_t index_;
};

class RenameSource : public Modifier {
 public:
  explicit RenameSource(size_t index) : index_(index) {}

  absl::StatusOr<LeafResult> ApplyExisting(const bson_iter_t&, const Slot&,
                                           const ApplyState& state) const override {
    return state.rename_sources[index_].has_value() ? LeafResult::kRemove : LeafResult::kKeep;
  }
  bool CreatesWhenMissing(const ApplyState&) const override { return false; }
  absl::Status ApplyMissing(const Slot&, const ApplyState&) const override {
    return absl::OkStatus();
  }

 private:
  size_t index_;
};

}  // namespace

bool LookupModifier(absl::string_view name, ModifierKind* kind) {
  static const std::pair<absl::string_view, ModifierKind> kTable[] = {
      {"$set", ModifierKind::kSet},         {"$setOnInsert", ModifierKind::kSetOnInsert},
      {"$unset", ModifierKind::kUnset},     {"$inc", ModifierKind::kInc},
      {"$mul", ModifierKind::kMul},         {"$min", ModifierKind::kMin},
      {"$max", ModifierKind::kMax},         {"$currentDate", ModifierKind::kCurrentDate},
      {"$push", ModifierKind::kPush},       {"$addToSet", ModifierKind::kAddToSet},
      {"$pop", ModifierKind::kPop},         {"$pull", ModifierKind::kPull},
      {"$pullAll", ModifierKind::kPullAll},
  };
  for (const auto& [entry_name, entry_kind] : kTable) {
    if (entry_name == name) {
      *kind = entry_kind;
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Modifier>> MakeModifier(ModifierKind kind,
                                                       const bson_iter_t& operand,
                                                       const ElementPredicateFactory& factory) {
  const bson_type_t type = bson_iter_type(&operand);
  switch (kind) {
    case ModifierKind::kSet:
      return std::unique_ptr<Modifier>(new SetModifier(operand, /*insert_only=*/false));
    case ModifierKind::kSetOnInsert:
      return std::unique_ptr<Modifier>(new SetModifier(operand, /*insert_only=*/true));
    case ModifierKind::kUnset:
      return std::unique_ptr<Modifier>(new UnsetModifier());
    case ModifierKind::kInc:
    case ModifierKind::kMul: {
      Number number;
      if (!ReadNumber(operand, &number)) {
        return MongoError(
            ErrorCode::kTypeMismatch,
            absl::StrCat("Cannot ", kind == ModifierKind::kInc ? "increment" : "multiply",
                         " with non-numeric argument: {", ElementToString(operand), "}"));
      }
      return std::unique_ptr<Modifier>(new ArithmeticModifier(
          kind == ModifierKind::kInc ? ArithmeticOp::kAdd : ArithmeticOp::kMultiply, number));
    }
    case ModifierKind::kMin:
    case ModifierKind::kMax:
      return std::unique_ptr<Modifier>(new CompareModifier(operand, kind == ModifierKind::kMax));
    case ModifierKind::kCurrentDate: {
      if (type == BSON_TYPE_BOOL) {
        return std::unique_ptr<Modifier>(new CurrentDateModifier(/*timestamp=*/false));
      }
      if (type != BSON_TYPE_DOCUMENT) {
        return BadValue(absl::StrCat(document::BsonTypeName(type),
                                     " is not valid type for $currentDate. Please use a boolean "
                                     "('true') or a $type expression ({$type: "
                                     "'timestamp/date'})."));
      }
      bson_iter_t child;
      bson_iter_recurse(&operand, &child);
      std::optional<bool> timestamp;
      while (bson_iter_next(&child)) {
        const absl::string_view name = bson_iter_key(&child);
        if (name != "$type") {
          return BadValue(absl::StrCat("Unrecognized $currentDate option: ", name));
        }
        const absl::string_view value =
            BSON_ITER_HOLDS_UTF8(&child) ? bson_iter_utf8(&child, nullptr) : "";
        if (value == "date") {
          timestamp = false;
        } else if (value == "timestamp") {
          timestamp = true;
        } else {
          timestamp.reset();
          break;
        }
      }
      if (!timestamp.has_value()) {
        return BadValue(
            "The '$type' string field is required to be 'date' or 'timestamp': "
            "{$currentDate: {field : {$type: 'date'}}}");
      }
      return std::unique_ptr<Modifier>(new CurrentDateModifier(*timestamp));
    }
    case ModifierKind::kPush:
      return PushModifier::Make(operand);
    case ModifierKind::kAddToSet:
      return AddToSetModifier::Make(operand);
    case ModifierKind::kPop: {
      Number number;
      if (!ReadNumber(operand, &number)) {
        return MongoError(ErrorCode::kFailedToParse,
                          absl::StrCat("Expected a number in: ", ElementToString(operand)));
      }
      double value =
          number.type == BSON_TYPE_DOUBLE ? number.floating : static_cast<double>(number.integer);
      if (number.type == BSON_TYPE_DECIMAL128) {
        char text[BSON_DECIMAL128_STRING];
        bson_decimal128_to_string(&number.decimal, text);
        value = std::strtod(text, nullptr);
      }
      if (value != 1 && value != -1) {
        return MongoError(ErrorCode::kFailedToParse,
                          absl::StrCat("$pop expects 1 or -1, found: ", ValueToString(operand)));
      }
      return std::unique_ptr<Modifier>(new PopModifier(/*from_front=*/value < 0));
    }
    case ModifierKind::kPull:
      return MakePull(operand, factory);
    case ModifierKind::kPullAll:
      if (type != BSON_TYPE_ARRAY) {
        return BadValue(absl::StrCat("$pullAll requires an array argument but was given a ",
                                     document::BsonTypeName(type)));
      }
      return std::unique_ptr<Modifier>(PullModifier::ForValues(ArrayElements(operand)));
  }
  return MongoError(ErrorCode::kInternalError, "unknown modifier kind");
}

std::unique_ptr<Modifier> MakeRenameDestination(size_t rename_index) {
  return std::make_unique<RenameDestination>(rename_index);
}

std::unique_ptr<Modifier> MakeRenameSource(size_t rename_index) {
  return std::make_unique<RenameSource>(rename_index);
}

}  // namespace strata::query::update::internal
