#include "query/pipeline/accumulator.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "query/expression/decimal.h"

namespace strata::query::pipeline {
namespace {

using expression::Value;
namespace dec = expression::internal;

// Key string of a value (MongoDB equality: 1 == 1.0 == NumberLong(1)).
std::string KeyOf(const Value& v) {
  bson_t tmp = BSON_INITIALIZER;
  v.AppendTo(&tmp, "k", /*missing_as_null=*/true);
  bson_iter_t it;
  bson_iter_init(&it, &tmp);
  bson_iter_next(&it);
  std::string key;
  document::AppendKeyString(it, &key);
  bson_destroy(&tmp);
  return key;
}

size_t SizeOf(const Value& v) {
  if (v.is_string()) return v.str().size() + 16;
  if (v.is_document() || v.is_array()) return v.doc().size() + 16;
  return 16;
}

// Numeric sum with MongoDB's widening: int32 → int64 (overflow of int32) → double (overflow
// of int64 or any double) → decimal (any decimal).
class NumberSum {
 public:
  void Add(const Value& v) {
    switch (v.type()) {
      case BSON_TYPE_INT32:
      case BSON_TYPE_INT64: {
        if (v.type() == BSON_TYPE_INT64) any_long_ = true;
        int64_t i = v.type() == BSON_TYPE_INT32 ? v.int32() : v.int64();
        if (!long_overflow_ && __builtin_add_overflow(long_total_, i, &long_total_)) {
          long_overflow_ = true;
          double_total_ += static_cast<double>(long_total_) + static_cast<double>(i);
          long_total_ = 0;
        } else if (long_overflow_) {
          double_total_ += static_cast<double>(i);
        }
        if (has_decimal_) decimal_ = dec::DecAdd(decimal_, dec::DecFromInt64(i));
        break;
      }
      case BSON_TYPE_DOUBLE:
        has_double_ = true;
        double_total_ += v.dbl();
        if (has_decimal_) decimal_ = dec::DecAdd(decimal_, dec::DecFromDouble(v.dbl()));
        break;
      case BSON_TYPE_DECIMAL128:
        if (!has_decimal_) {
          has_decimal_ = true;
          // Fold what came before into the decimal total.
          decimal_ = dec::DecAdd(dec::DecFromInt64(long_total_), dec::DecFromDouble(double_total_));
        }
        decimal_ = dec::DecAdd(decimal_, dec::DecodeDecimal(v.decimal()));
        break;
      default:
        break;
    }
  }
  Value Result() const {
    if (has_decimal_) return Value::Decimal(dec::EncodeDecimal(decimal_));
    if (has_double_ || long_overflow_) {
      return Value::Double(double_total_ + static_cast<double>(long_total_));
    }
    if (any_long_ || long_total_ > INT32_MAX || long_total_ < INT32_MIN) {
      return Value::Int64(long_total_);
    }
    return Value::Int32(static_cast<int32_t>(long_total_));
  }
  double AsDouble() const {
    if (has_decimal_) return dec::DecToDouble(decimal_);
    return double_total_ + static_cast<double>(long_total_);
  }
  bool has_decimal() const { return has_decimal_; }
  const dec::Dec& decimal() const { return decimal_; }

  // Partial state: {l, d, o, a, x?}.
  void AppendPartial(bson_t* out) const {
    bson_append_int64(out, "l", 1, long_total_);
    bson_append_double(out, "d", 1, double_total_);
    bson_append_bool(out, "o", 1, long_overflow_);
    bson_append_bool(out, "a", 1, any_long_);
    bson_append_bool(out, "h", 1, has_double_);
    if (has_decimal_) {
      bson_decimal128_t d = dec::EncodeDecimal(decimal_);
      bson_append_decimal128(out, "x", 1, &d);
    }
  }
  void MergePartial(const Value& p) {
    Value x = p.GetField("x");
    if (x.type() == BSON_TYPE_DECIMAL128) {
      Add(x);
      return;
    }
    const int64_t l = p.GetField("l").int64();
    const bool wide = p.GetField("a").boolean() || l > INT32_MAX || l < INT32_MIN;
    Add(wide ? Value::Int64(l) : Value::Int32(static_cast<int32_t>(l)));
    if (p.GetField("h").boolean() || p.GetField("o").boolean()) Add(p.GetField("d"));
  }

 private:
  int64_t long_total_ = 0;
  double double_total_ = 0;
  bool long_overflow_ = false;
  bool any_long_ = false;
  bool has_double_ = false;
  bool has_decimal_ = false;
  dec::Dec decimal_;
};

class SumAccumulator final : public Accumulator {
 public:
  absl::Status Process(const Value& v) override {
    sum_.Add(v);
    return absl::OkStatus();
  }
  Value Result() const override { return sum_.Result(); }
  Value Partial() const override {
    bson_t b = BSON_INITIALIZER;
    sum_.AppendPartial(&b);
    Value out = Value::DocumentFrom(&b);
    bson_destroy(&b);
    return out;
  }
  absl::Status MergePartial(const Value& p) override {
    sum_.MergePartial(p);
    return absl::OkStatus();
  }

 private:
  NumberSum sum_;
};

class AvgAccumulator final : public Accumulator {
 public:
  absl::Status Process(const Value& v) override {
    if (!v.is_number()) return absl::OkStatus();
    sum_.Add(v);
    ++count_;
    return absl::OkStatus();
  }
  Value Result() const override {
    if (count_ == 0) return Value::Null();
    if (sum_.has_decimal()) {
      return Value::Decimal(
          dec::EncodeDecimal(dec::DecDiv(sum_.decimal(), dec::DecFromInt64(count_))));
    }
    return Value::Double(sum_.AsDouble() / static_cast<double>(count_));
  }
  Value Partial() const override {
    bson_t b = BSON_INITIALIZER;
    sum_.AppendPartial(&b);
    bson_append_int64(&b, "n", 1, count_);
    Value out = Value::DocumentFrom(&b);
    bson_destroy(&b);
    return out;
  }
  absl::Status MergePartial(const Value& p) override {
    sum_.MergePartial(p);
    count_ += p.GetField("n").int64();
    return absl::OkStatus();
  }

 private:
  NumberSum sum_;
  int64_t count_ = 0;
};

class MinMaxAccumulator final : public Accumulator {
 public:
  explicit MinMaxAccumulator(bool max) : max_(max) {}
  absl::Status Process(const Value& v) override {
    if (v.nullish()) return absl::OkStatus();
    if (value_.missing() || (max_ ? expression::CompareValues(v, value_) > 0
                                  : expression::CompareValues(v, value_) < 0)) {
      value_ = v.Owned();
    }
    return absl::OkStatus();
  }
  Value Result() const override { return value_.missing() ? Value::Null() : value_; }
  Value Partial() const override { return value_; }
  absl::Status MergePartial(const Value& p) override { return Process(p); }
  size_t memory() const override { return SizeOf(value_); }

 private:
  bool max_;
  Value value_;
};

class FirstLastAccumulator final : public Accumulator {
 public:
  explicit FirstLastAccumulator(bool last) : last_(last) {}
  absl::Status Process(const Value& v) override {
    if (!set_ || last_) {
      value_ = v.missing() ? Value::Null() : v.Owned();
      set_ = true;
    }
    return absl::OkStatus();
  }
  Value Result() const override { return set_ ? value_ : Value::Null(); }
  Value Partial() const override { return value_; }
  absl::Status MergePartial(const Value& p) override { return Process(p); }
  size_t memory() const override { return SizeOf(value_); }

 private:
  bool last_;
  bool set_ = false;
  Value value_;
};

class PushAccumulator final : public Accumulator {
 public:
  explicit PushAccumulator(bool set) : set_(set) {}
  absl::Status Process(const Value& v) override {
    if (v.missing()) return absl::OkStatus();
    if (set_ && !seen_.insert(KeyOf(v)).second) return absl::OkStatus();
    values_.push_back(v.Owned());
    bytes_ += SizeOf(v);
    return absl::OkStatus();
  }
  Value Result() const override {
    expression::ArrayBuilder array;
    for (const Value& v : values_) array.Append(v);
    return array.Build();
  }
  Value Partial() const override { return Result(); }
  absl::Status MergePartial(const Value& p) override {
    for (const Value& v : p.ArrayElements()) RETURN_IF_ERROR(Process(v));
    return absl::OkStatus();
  }
  size_t memory() const override { return bytes_; }

 private:
  bool set_;
  std::vector<Value> values_;
  absl::flat_hash_set<std::string> seen_;
  size_t bytes_ = 0;
};

class MergeObjectsAccumulator final : public Accumulator {
 public:
  absl::Status Process(const Value& v) override {
    if (v.nullish()) return absl::OkStatus();
    if (!v.is_document()) {
      return MongoError(static_cast<ErrorCode>(40400),
                        absl::StrCat("$mergeObjects requires object inputs, but input ",
                                     v.DebugString(), " is of type ", expression::TypeName(v)));
    }
    Value owned = v.Owned();
    bson_iter_t it;
    owned.InitIter(&it);
    while (bson_iter_next(&it)) {
      std::string key = bson_iter_key(&it);
      Value field = owned.Child(it);
      bool replaced = false;
      for (auto& [name, value] : fields_) {
        if (name == key) {
          value = field;
          replaced = true;
          break;
        }
      }
      if (!replaced) fields_.emplace_back(std::move(key), field);
    }
    bytes_ += SizeOf(v);
    return absl::OkStatus();
  }
  Value Result() const override {
    expression::DocumentBuilder out;
    for (const auto& [name, value] : fields_) out.Append(name, value);
    return out.Build();
  }
  Value Partial() const override { return Result(); }
  absl::Status MergePartial(const Value& p) override { return Process(p); }
  size_t memory() const override { return bytes_; }

 private:
  std::vector<std::pair<std::string, Value>> fields_;
  size_t bytes_ = 0;
};

// Welford's running mean and sum of squared deviations.
class StdDevAccumulator final : public Accumulator {
 public:
  explicit StdDevAccumulator(bool sample) : sample_(sample) {}
  absl::Status Process(const Value& v) override {
    if (!v.is_number()) return absl::OkStatus();
    Add(1, v.ToDouble(), 0);
    return absl::OkStatus();
  }
  Value Result() const override {
    const int64_t n = sample_ ? count_ - 1 : count_;
    if (n <= 0) return Value::Null();
    return Value::Double(std::sqrt(m2_ / static_cast<double>(n)));
  }
  Value Partial() const override {
    bson_t b = BSON_INITIALIZER;
    bson_append_int64(&b, "n", 1, count_);
    bson_append_double(&b, "m", 1, mean_);
    bson_append_double(&b, "q", 1, m2_);
    Value out = Value::DocumentFrom(&b);
    bson_destroy(&b);
    return out;
  }
  absl::Status MergePartial(const Value& p) override {
    Add(p.GetField("n").int64(), p.GetField("m").dbl(), p.GetField("q").dbl());
    return absl::OkStatus();
  }

 private:
  // Chan et al.'s combination of (count, mean, m2) sets.
  void Add(int64_t n, double mean, double m2) {
    if (n == 0) return;
    const int64_t total = count_ + n;
    const double delta = mean - mean_;
    mean_ += delta * static_cast<double>(n) / static_cast<double>(total);
    m2_ += m2 + delta * delta * static_cast<double>(count_) * static_cast<double>(n) /
                    static_cast<double>(total);
    count_ = total;
  }
  bool sample_;
  int64_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;
};

}  // namespace

bool IsAccumulatorName(absl::string_view op) {
  return op == "$sum" || op == "$avg" || op == "$min" || op == "$max" || op == "$first" ||
         op == "$last" || op == "$push" || op == "$addToSet" || op == "$count" ||
         op == "$mergeObjects" || op == "$stdDevPop" || op == "$stdDevSamp";
}

std::unique_ptr<Accumulator> MakeAccumulator(absl::string_view op) {
  if (op == "$sum" || op == "$count") return std::make_unique<SumAccumulator>();
  if (op == "$avg") return std::make_unique<AvgAccumulator>();
  if (op == "$min") return std::make_unique<MinMaxAccumulator>(false);
  if (op == "$max") return std::make_unique<MinMaxAccumulator>(true);
  if (op == "$first") return std::make_unique<FirstLastAccumulator>(false);
  if (op == "$last") return std::make_unique<FirstLastAccumulator>(true);
  if (op == "$push") return std::make_unique<PushAccumulator>(false);
  if (op == "$addToSet") return std::make_unique<PushAccumulator>(true);
  if (op == "$mergeObjects") return std::make_unique<MergeObjectsAccumulator>();
  if (op == "$stdDevPop") return std::make_unique<StdDevAccumulator>(false);
  if (op == "$stdDevSamp") return std::make_unique<StdDevAccumulator>(true);
  return nullptr;
}

}  // namespace strata::query::pipeline
