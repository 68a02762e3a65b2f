// $group (hash aggregation, spilling sorted partial groups over the memory budget), and the
// stages built on it: $sortByCount, $bucket, $bucketAuto.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "document/key_string.h"
#include "query/pipeline/accumulator.h"
#include "query/pipeline/internal.h"
#include "query/pipeline/spill.h"

namespace strata::query::pipeline::internal {
namespace {

using expression::Value;

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

struct AccumulatorSpec {
  std::string field;
  std::string op;
  expression::ExpressionPtr arg;
};

// Computes a document's group key (the `_id` value).
using KeyFunction = std::function<absl::StatusOr<Value>(DocumentView doc)>;

struct Group {
  Value id;
  std::vector<std::unique_ptr<Accumulator>> accumulators;
};

class GroupStage final : public Stage {
 public:
  GroupStage(const PipelineContext& context, std::string name)
      : context_(context), scope_(context), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void AppendExplain(bson_t* out) const override {
    bson_t group;
    bson_append_document_begin(out, name_.c_str(), -1, &group);
    bson_append_int64(&group, "groups", -1, static_cast<int64_t>(groups_emitted_));
    bson_append_bool(&group, "usedDisk", -1, !runs_.empty());
    bson_append_int64(&group, "spills", -1, static_cast<int64_t>(runs_.size()));
    bson_append_document_end(out, &group);
  }

  ExpressionScope& scope() { return scope_; }
  void set_key(KeyFunction key) { key_ = std::move(key); }
  void set_sort_by_id(bool sort) { sort_by_id_ = sort; }
  std::vector<AccumulatorSpec>& accumulators() { return specs_; }

  absl::Status ParseAccumulators(const bson_iter_t& spec, bool allow_id) {
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    while (bson_iter_next(&it)) {
      std::string field = bson_iter_key(&it);
      if (allow_id && field == "_id") continue;
      RETURN_IF_ERROR(AddAccumulator(field, it));
    }
    return absl::OkStatus();
  }

  absl::Status AddAccumulator(const std::string& field, const bson_iter_t& it) {
    if (field.find('.') != std::string::npos) {
      return Error(40235, absl::StrCat("The field name '", field, "' cannot contain '.'"));
    }
    if (!field.empty() && field[0] == '$') {
      return Error(40236, absl::StrCat("The field name '", field, "' cannot be an operator name"));
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
      return Error(40234, absl::StrCat("The field '", field, "' must be an accumulator object"));
    }
    bson_iter_t acc;
    bson_iter_recurse(&it, &acc);
    int count = 0;
    std::string op;
    bson_iter_t arg;
    while (bson_iter_next(&acc)) {
      ++count;
      op = bson_iter_key(&acc);
      arg = acc;
    }
    if (count != 1) {
      return Error(40238, absl::StrCat("The field '", field, "' must specify one accumulator"));
    }
    if (!IsAccumulatorName(op)) {
      return Error(15952, absl::StrCat("unknown group operator '", op, "'"));
    }
    AccumulatorSpec spec{field, op, nullptr};
    if (op == "$count") {
      if (!BSON_ITER_HOLDS_DOCUMENT(&arg) || !Embedded(arg).empty()) {
        return Error(40237, "$count takes no arguments, i.e. $count:{}");
      }
      Document one;
      bson_append_int32(one.mutable_bson(), "v", 1, 1);
      bson_iter_t one_it;
      bson_iter_init_find(&one_it, one.bson(), "v");
      ASSIGN_OR_RETURN(spec.arg, scope_.Parse(one_it));
    } else {
      if (BSON_ITER_HOLDS_ARRAY(&arg)) {
        return Error(40237, absl::StrCat("The ", op, " accumulator is a unary operator"));
      }
      ASSIGN_OR_RETURN(spec.arg, scope_.Parse(arg));
    }
    specs_.push_back(std::move(spec));
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    if (!loaded_) {
      loaded_ = true;
      RETURN_IF_ERROR(Load());
    }
    if (runs_.empty()) {
      if (next_ >= order_.size()) return std::optional<Document>();
      Group& group = groups_[order_[next_++]];
      ++groups_emitted_;
      return std::optional<Document>(Output(group));
    }
    return NextMerged();
  }

 private:
  Group NewGroup(Value id) {
    Group group;
    group.id = id.missing() ? Value::Null() : id.Owned();
    for (const AccumulatorSpec& spec : specs_)
      group.accumulators.push_back(MakeAccumulator(spec.op));
    return group;
  }

  Document Output(const Group& group) {
    Document out;
    group.id.AppendTo(out.mutable_bson(), "_id", /*missing_as_null=*/true);
    for (size_t i = 0; i < specs_.size(); ++i) {
      group.accumulators[i]->Result().AppendTo(out.mutable_bson(), specs_[i].field, true);
    }
    return out;
  }

  absl::Status Load() {
    const size_t budget = context_.options.memory_limit_bytes;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      ASSIGN_OR_RETURN(Value id, key_(doc->view()));
      std::string key = KeyOf(id);
      auto found = index_.find(key);
      size_t slot;
      if (found == index_.end()) {
        slot = groups_.size();
        bytes_ += key.size() * 2 + 128 +
                  (id.is_document() || id.is_array() ? id.doc().size()
                   : id.is_string()                  ? id.str().size()
                                                     : 0);
        groups_.push_back(NewGroup(id));
        index_.emplace(std::move(key), slot);
        order_.push_back(slot);
      } else {
        slot = found->second;
      }
      Group& group = groups_[slot];
      for (size_t i = 0; i < specs_.size(); ++i) {
        size_t before = group.accumulators[i]->memory();
        ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*specs_[i].arg, doc->view()));
        RETURN_IF_ERROR(group.accumulators[i]->Process(v));
        bytes_ += group.accumulators[i]->memory() - before;
      }
      if (bytes_ > budget) {
        if (!context_.options.allow_disk_use) return MemoryLimitError("$group", budget);
        RETURN_IF_ERROR(Spill());
      }
    }
    if (!runs_.empty()) {
      if (!groups_.empty()) RETURN_IF_ERROR(Spill());
      for (size_t i = 0; i < runs_.size(); ++i) {
        RETURN_IF_ERROR(runs_[i]->FinishWriting());
        ASSIGN_OR_RETURN(heads_.emplace_back(), runs_[i]->Read());
      }
      return absl::OkStatus();
    }
    if (sort_by_id_) {
      std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
        return expression::CompareValues(groups_[a].id, groups_[b].id) < 0;
      });
    }
    return absl::OkStatus();
  }

  // Writes the groups as {k: key, i: _id, p: [partials]} in key order, and empties the table.
  absl::Status Spill() {
    std::vector<std::pair<std::string, size_t>> keys(index_.begin(), index_.end());
    std::sort(keys.begin(), keys.end());
    ASSIGN_OR_RETURN(std::unique_ptr<SpillRun> run, SpillRun::Create(context_));
    for (const auto& [key, slot] : keys) {
      Document record;
      bson_append_binary(record.mutable_bson(), "k", 1, BSON_SUBTYPE_BINARY,
                         reinterpret_cast<const uint8_t*>(key.data()),
                         static_cast<uint32_t>(key.size()));
      groups_[slot].id.AppendTo(record.mutable_bson(), "i", true);
      bson_t partials;
      bson_append_array_begin(record.mutable_bson(), "p", 1, &partials);
      for (size_t i = 0; i < specs_.size(); ++i) {
        std::string index = std::to_string(i);
        groups_[slot].accumulators[i]->Partial().AppendTo(&partials, index, true);
      }
      bson_append_array_end(record.mutable_bson(), &partials);
      RETURN_IF_ERROR(run->Append(record.view()));
    }
    runs_.push_back(std::move(run));
    groups_.clear();
    index_.clear();
    order_.clear();
    bytes_ = 0;
    return absl::OkStatus();
  }

  static std::string RecordKey(const Document& record) {
    bson_iter_t it;
    bson_iter_init_find(&it, record.bson(), "k");
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_subtype_t subtype;
    bson_iter_binary(&it, &subtype, &len, &data);
    return std::string(reinterpret_cast<const char*>(data), len);
  }

  // The next group of the k-way merge: every run's partials for the smallest key, in run
  // order (earlier input first).
  NextResult NextMerged() {
    std::optional<std::string> smallest;
    for (const auto& head : heads_) {
      if (!head.has_value()) continue;
      std::string key = RecordKey(*head);
      if (!smallest.has_value() || key < *smallest) smallest = std::move(key);
    }
    if (!smallest.has_value()) return std::optional<Document>();
    std::optional<Group> group;
    for (size_t r = 0; r < heads_.size(); ++r) {
      if (!heads_[r].has_value() || RecordKey(*heads_[r]) != *smallest) continue;
      Value record = Value::DocumentFrom(heads_[r]->view());
      if (!group.has_value()) group = NewGroup(record.GetField("i"));
      std::vector<Value> partials = record.GetField("p").ArrayElements();
      for (size_t i = 0; i < specs_.size() && i < partials.size(); ++i) {
        RETURN_IF_ERROR(group->accumulators[i]->MergePartial(partials[i]));
      }
      ASSIGN_OR_RETURN(heads_[r], runs_[r]->Read());
    }
    ++groups_emitted_;
    return std::optional<Document>(Output(*group));
  }

  const PipelineContext context_;
  ExpressionScope scope_;
  std::string name_;
  KeyFunction key_;
  bool sort_by_id_ = false;
  std::vector<AccumulatorSpec> specs_;
  bool loaded_ = false;
  std::vector<Group> groups_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<size_t> order_;  // first-seen order (or _id order for $bucket)
  size_t next_ = 0;
  size_t bytes_ = 0;
  size_t groups_emitted_ = 0;
  std::vector<std::unique_ptr<SpillRun>> runs_;
  std::vector<std::optional<Document>> heads_;
};

absl::Status AddDefaultCount(GroupStage* stage) {
  Document spec;
  bson_t acc;
  bson_append_document_begin(spec.mutable_bson(), "count", 5, &acc);
  bson_append_int32(&acc, "$sum", 4, 1);
  bson_append_document_end(spec.mutable_bson(), &acc);
  bson_iter_t it;
  bson_iter_init_find(&it, spec.bson(), "count");
  return stage->AddAccumulator("count", it);
}

// {$sort: {count: -1}} as a stage.
absl::StatusOr<StagePtr> CountDescendingSort(const PipelineContext& context) {
  Document sort;
  bson_t spec;
  bson_append_document_begin(sort.mutable_bson(), "s", 1, &spec);
  bson_append_int32(&spec, "count", 5, -1);
  bson_append_document_end(sort.mutable_bson(), &spec);
  bson_iter_t it;
  bson_iter_init_find(&it, sort.bson(), "s");
  return MakeSort(it, context, std::nullopt);
}

}  // namespace

absl::StatusOr<StagePtr> MakeGroup(const bson_iter_t& spec, const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(15947, "a group's fields must be specified in an object");
  }
  auto stage = std::make_unique<GroupStage>(context, "$group");
  bson_iter_t id;
  bson_iter_t inner;
  bson_iter_recurse(&spec, &inner);
  if (!bson_iter_find(&inner, "_id")) {
    return Error(15955, "a group specification must include an _id");
  }
  id = inner;
  ASSIGN_OR_RETURN(std::shared_ptr<expression::Expression> id_expr, stage->scope().Parse(id));
  GroupStage* raw = stage.get();
  stage->set_key([raw, id_expr](DocumentView doc) -> absl::StatusOr<Value> {
    ASSIGN_OR_RETURN(Value v, raw->scope().Evaluate(*id_expr, doc));
    return v.Owned();
  });
  RETURN_IF_ERROR(stage->ParseAccumulators(spec, /*allow_id=*/true));
  return StagePtr(std::move(stage));
}

absl::StatusOr<std::vector<StagePtr>> MakeSortByCount(const bson_iter_t& spec,
                                                      const PipelineContext& context) {
  const bool path = BSON_ITER_HOLDS_UTF8(&spec) && bson_iter_utf8(&spec, nullptr)[0] == '$';
  bool object = false;
  if (BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    bson_iter_t inner;
    bson_iter_recurse(&spec, &inner);
    object = bson_iter_next(&inner) && bson_iter_key(&inner)[0] == '$';
  }
  if (!path && !object) {
    return Error(40148,
                 "the sortByCount field must be defined as a $-prefixed path or an "
                 "expression");
  }
  auto group = std::make_unique<GroupStage>(context, "$sortByCount");
  ASSIGN_OR_RETURN(std::shared_ptr<expression::Expression> id_expr, group->scope().Parse(spec));
  GroupStage* raw = group.get();
  group->set_key([raw, id_expr](DocumentView doc) -> absl::StatusOr<Value> {
    ASSIGN_OR_RETURN(Value v, raw->scope().Evaluate(*id_expr, doc));
    return v.Owned();
  });
  RETURN_IF_ERROR(AddDefaultCount(group.get()));
  std::vector<StagePtr> stages;
  stages.push_back(std::move(group));
  ASSIGN_OR_RETURN(StagePtr sort, CountDescendingSort(context));
  stages.push_back(std::move(sort));
  return stages;
}

absl::StatusOr<StagePtr> MakeBucket(const bson_iter_t& spec, const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(40201,
                 absl::StrCat("Argument to $bucket stage must be an object, but found type: ",
                              TypeNameOf(spec), "."));
  }
  auto stage = std::make_unique<GroupStage>(context, "$bucket");
  std::shared_ptr<expression::Expression> group_by;
  std::vector<Value> boundaries;
  Document boundaries_owner;
  std::optional<Value> default_value;
  Document default_owner;
  std::optional<bson_iter_t> output;
  bson_iter_t it;
  bson_iter_recurse(&spec, &it);
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key == "groupBy") {
      if (!(BSON_ITER_HOLDS_UTF8(&it) && bson_iter_utf8(&it, nullptr)[0] == '$') &&
          !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        return Error(40202, absl::StrCat("The $bucket 'groupBy' field must be defined as a "
                                         "$-prefixed path or an expression, but found: ",
                                         Value::FromIter(it).DebugString(), "."));
      }
      ASSIGN_OR_RETURN(group_by, stage->scope().Parse(it));
    } else if (key == "boundaries") {
      if (!BSON_ITER_HOLDS_ARRAY(&it)) {
        return Error(40200, absl::StrCat("The $bucket 'boundaries' field must be an array, but "
                                         "found type: ",
                                         TypeNameOf(it), "."));
      }
      boundaries_owner = Document::Copy(Embedded(it));
      bson_iter_t b;
      bson_iter_init(&b, boundaries_owner.bson());
      while (bson_iter_next(&b)) boundaries.push_back(Value::FromIter(b));
    } else if (key == "default") {
      bson_append_iter(default_owner.mutable_bson(), "d", 1, &it);
      bson_iter_t d;
      bson_iter_init_find(&d, default_owner.bson(), "d");
      default_value = Value::FromIter(d);
    } else if (key == "output") {
      if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
        return Error(40196, absl::StrCat("The $bucket 'output' field must be an object, but "
                                         "found type: ",
                                         TypeNameOf(it), "."));
      }
      output = it;
    } else {
      return Error(40197, absl::StrCat("Unrecognized option to $bucket: ", key, "."));
    }
  }
  if (group_by == nullptr || boundaries_owner.view().empty()) {
    if (group_by == nullptr || boundaries.empty()) {
      return Error(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.");
    }
  }
  if (boundaries.size() < 2) {
    return Error(40192, absl::StrCat("The $bucket 'boundaries' field must have at least 2 "
                                     "values, but found ",
                                     boundaries.size(), " value(s)."));
  }
  for (size_t i = 0; i < boundaries.size(); ++i) {
    if (i > 0) {
      const bool same_type = boundaries[i].type() == boundaries[0].type() ||
                             (boundaries[i].is_number() && boundaries[0].is_number());
      if (!same_type) {
        return Error(40193, absl::StrCat("All values in the the 'boundaries' option to $bucket "
                                         "must have the same type. Found conflicting types ",
                                         expression::TypeName(boundaries[0]), " and ",
                                         expression::TypeName(boundaries[i]), "."));
      }
      if (expression::CompareValues(boundaries[i - 1], boundaries[i]) >= 0) {
        return Error(40194, absl::StrCat("The 'boundaries' option to $bucket must be sorted, but "
                                         "elements ",
                                         i - 1, " and ", i, " are not in ascending order (",
                                         boundaries[i - 1].DebugString(), " is not less than ",
                                         boundaries[i].DebugString(), ")."));
      }
    }
  }
  if (default_value.has_value()) {
    const bool inside = expression::CompareValues(*default_value, boundaries.front()) >= 0 &&
                        expression::CompareValues(*default_value, boundaries.back()) < 0;
    if (inside && (default_value->type() == boundaries[0].type() ||
                   (default_value->is_number() && boundaries[0].is_number()))) {
      return Error(40199,
                   "The $bucket 'default' field must be less than the lowest boundary or "
                   "greater than or equal to the highest boundary.");
    }
  }
  if (output.has_value()) {
    RETURN_IF_ERROR(stage->ParseAccumulators(*output, /*allow_id=*/false));
  } else {
    RETURN_IF_ERROR(AddDefaultCount(stage.get()));
  }
  GroupStage* raw = stage.get();
  auto shared_bounds = std::make_shared<std::pair<Document, std::vector<Value>>>(
      std::move(boundaries_owner), std::vector<Value>());
  for (const Value& b : boundaries) shared_bounds->second.push_back(b.Owned());
  std::optional<Value> owned_default;
  if (default_value.has_value()) owned_default = default_value->Owned();
  stage->set_key(
      [raw, group_by, shared_bounds, owned_default](DocumentView doc) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value v, raw->scope().Evaluate(*group_by, doc));
        const std::vector<Value>& bounds = shared_bounds->second;
        // Bucket i holds [bounds[i], bounds[i+1]); values of another type never fall in one.
        const bool comparable =
            (v.type() == bounds[0].type()) || (v.is_number() && bounds[0].is_number());
        if (comparable && expression::CompareValues(v, bounds.front()) >= 0 &&
            expression::CompareValues(v, bounds.back()) < 0) {
          auto upper = std::upper_bound(
              bounds.begin(), bounds.end(), v,
              [](const Value& a, const Value& b) { return expression::CompareValues(a, b) < 0; });
          return *(upper - 1);
        }
        if (owned_default.has_value()) return *owned_default;
        return Error(40066,
                     "$switch could not find a matching branch for an input, and no default "
                     "was specified.");
      });
  stage->set_sort_by_id(true);
  return StagePtr(std::move(stage));
}

namespace {

// $bucketAuto: sorts the groupBy values, then cuts them into `buckets` runs of about equal
// size without splitting equal values; _id is {min, max} with max the next bucket's min (the
// last bucket's own max).
class BucketAutoStage final : public Stage {
 public:
  explicit BucketAutoStage(const PipelineContext& context) : context_(context), scope_(context) {}
  std::string name() const override { return "$bucketAuto"; }

  absl::Status Parse(const bson_iter_t& spec) {
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    std::optional<bson_iter_t> output;
    bool has_buckets = false;
    while (bson_iter_next(&it)) {
      absl::string_view key = bson_iter_key(&it);
      if (key == "groupBy") {
        if (!(BSON_ITER_HOLDS_UTF8(&it) && bson_iter_utf8(&it, nullptr)[0] == '$') &&
            !BSON_ITER_HOLDS_DOCUMENT(&it)) {
          return Error(40239, absl::StrCat("The $bucketAuto 'groupBy' field must be defined as a "
                                           "$-prefixed path or an expression object, but found: ",
                                           Value::FromIter(it).DebugString()));
        }
        ASSIGN_OR_RETURN(group_by_, scope_.Parse(it));
      } else if (key == "buckets") {
        int64_t n = 0;
        if (!(BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it) ||
              BSON_ITER_HOLDS_DOUBLE(&it)) ||
            (n = bson_iter_as_int64(&it)) <= 0 ||
            static_cast<double>(n) != Value::FromIter(it).ToDouble() || n > INT32_MAX) {
          return Error(40243, absl::StrCat("The $bucketAuto 'buckets' field must be greater than "
                                           "0, but found: ",
                                           Value::FromIter(it).DebugString()));
        }
        buckets_ = n;
        has_buckets = true;
      } else if (key == "output") {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
          return Error(40244, absl::StrCat("The $bucketAuto 'output' field must be an object, but "
                                           "found type: ",
                                           TypeNameOf(it)));
        }
        output = it;
      } else if (key == "granularity") {
        return Error(static_cast<int>(ErrorCode::kNotImplemented),
                     "$bucketAuto granularity is not supported by this build");
      } else {
        return Error(40245, absl::StrCat("Unrecognized option to $bucketAuto: ", key, "."));
      }
    }
    if (group_by_ == nullptr || !has_buckets) {
      return Error(40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified");
    }
    if (output.has_value()) {
      bson_iter_t acc;
      bson_iter_recurse(&*output, &acc);
      while (bson_iter_next(&acc)) {
        std::string field = bson_iter_key(&acc);
        bson_iter_t op;
        if (!BSON_ITER_HOLDS_DOCUMENT(&acc)) {
          return Error(40234,
                       absl::StrCat("The field '", field, "' must be an accumulator object"));
        }
        bson_iter_recurse(&acc, &op);
        if (!bson_iter_next(&op) || !IsAccumulatorName(bson_iter_key(&op))) {
          return Error(15952, absl::StrCat("unknown group operator '", bson_iter_key(&op), "'"));
        }
        ASSIGN_OR_RETURN(auto expr, scope_.Parse(op));
        outputs_.push_back({field, bson_iter_key(&op), std::move(expr)});
      }
    } else {
      Document one;
      bson_append_int32(one.mutable_bson(), "v", 1, 1);
      bson_iter_t one_it;
      bson_iter_init_find(&one_it, one.bson(), "v");
      ASSIGN_OR_RETURN(auto expr, scope_.Parse(one_it));
      outputs_.push_back({"count", "$sum", std::move(expr)});
    }
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    if (!loaded_) {
      loaded_ = true;
      RETURN_IF_ERROR(Load());
    }
    if (next_ >= results_.size()) return std::optional<Document>();
    return std::optional<Document>(std::move(results_[next_++]));
  }

 private:
  struct Item {
    Value key;
    Document doc;
  };

  absl::Status Load() {
    std::vector<Item> items;
    size_t bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*group_by_, doc->view()));
      bytes += MemoryOf(*doc);
      if (bytes > context_.options.memory_limit_bytes) {
        return MemoryLimitError("$bucketAuto", context_.options.memory_limit_bytes);
      }
      items.push_back(Item{v.missing() ? Value::Null() : v.Owned(), std::move(*doc)});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return expression::CompareValues(a.key, b.key) < 0;
    });
    if (items.empty()) return absl::OkStatus();
    const size_t approx = static_cast<size_t>(std::max<double>(
        1.0, std::round(static_cast<double>(items.size()) / static_cast<double>(buckets_))));
    size_t begin = 0;
    std::vector<std::pair<size_t, size_t>> ranges;
    while (begin < items.size()) {
      size_t end = std::min(items.size(), begin + approx);
      if (static_cast<int64_t>(ranges.size()) + 1 == buckets_) end = items.size();
      while (end < items.size() &&
             expression::CompareValues(items[end].key, items[end - 1].key) == 0) {
        ++end;
      }
      ranges.emplace_back(begin, end);
      begin = end;
    }
    for (size_t r = 0; r < ranges.size(); ++r) {
      auto [b, e] = ranges[r];
      std::vector<std::unique_ptr<Accumulator>> accs;
      for (const auto& o : outputs_) accs.push_back(MakeAccumulator(o.op));
      for (size_t i = b; i < e; ++i) {
        for (size_t a = 0; a < outputs_.size(); ++a) {
          ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*outputs_[a].arg, items[i].doc.view()));
          RETURN_IF_ERROR(accs[a]->Process(v));
        }
      }
      Document out;
      bson_t id;
      bson_append_document_begin(out.mutable_bson(), "_id", 3, &id);
      items[b].key.AppendTo(&id, "min", true);
      (r + 1 < ranges.size() ? items[ranges[r + 1].first].key : items[e - 1].key)
          .AppendTo(&id, "max", true);
      bson_append_document_end(out.mutable_bson(), &id);
      for (size_t a = 0; a < outputs_.size(); ++a) {
        accs[a]->Result().AppendTo(out.mutable_bson(), outputs_[a].field, true);
      }
      results_.push_back(std::move(out));
    }
    return absl::OkStatus();
  }

  const PipelineContext context_;
  ExpressionScope scope_;
  expression::ExpressionPtr group_by_;
  int64_t buckets_ = 0;
  std::vector<AccumulatorSpec> outputs_;
  bool loaded_ = false;
  std::vector<Document> results_;
  size_t next_ = 0;
};

}  // namespace

absl::StatusOr<StagePtr> MakeBucketAuto(const bson_iter_t& spec, const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(40240, absl::StrCat("The argument to $bucketAuto must be an object, but found "
                                     "type: ",
                                     TypeNameOf(spec)));
  }
  auto stage = std::make_unique<BucketAutoStage>(context);
  RETURN_IF_ERROR(stage->Parse(spec));
  return StagePtr(std::move(stage));
}

}  // namespace strata::query::pipeline::internal
