// $match, $limit, $skip, $count, $unwind, $replaceRoot/$replaceWith, $sample, $redact,
// $documents.
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "query/expression/expr_match.h"
#include "query/match/parser.h"
#include "query/pipeline/internal.h"
#include "query/validation/json_schema_match.h"

namespace strata::query::pipeline::internal {
namespace {

using expression::Value;

class MatchStage final : public Stage {
 public:
  MatchStage(Document filter, match::MatchExpressionPtr tree, bool can_fail)
      : filter_(std::move(filter)), tree_(std::move(tree)), can_fail_(can_fail) {}
  std::string name() const override { return "$match"; }
  void AppendExplain(bson_t* out) const override {
    bson_append_document(out, "$match", -1, filter_.bson());
  }

 protected:
  NextResult DoNext() override {
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) return doc;
      if (tree_->Matches(doc->view())) return doc;
      if (can_fail_) RETURN_IF_ERROR(expression::FirstEvaluationError(*tree_, doc->view()));
    }
  }

 private:
  Document filter_;  // the tree points into it
  match::MatchExpressionPtr tree_;
  bool can_fail_;
};

bool ContainsExpr(DocumentView filter) {
  // A cheap conservative test: any "$expr" key anywhere in the filter's bytes.
  absl::string_view bytes(reinterpret_cast<const char*>(filter.data()), filter.size());
  return bytes.find("$expr") != absl::string_view::npos;
}

class LimitStage final : public Stage {
 public:
  explicit LimitStage(int64_t limit) : remaining_(limit) {}
  std::string name() const override { return "$limit"; }

 protected:
  NextResult DoNext() override {
    if (remaining_ <= 0) return std::optional<Document>();
    --remaining_;
    return source_->Next();
  }

 private:
  int64_t remaining_;
};

class SkipStage final : public Stage {
 public:
  explicit SkipStage(int64_t skip) : to_skip_(skip) {}
  std::string name() const override { return "$skip"; }

 protected:
  NextResult DoNext() override {
    while (to_skip_ > 0) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) return doc;
      --to_skip_;
    }
    return source_->Next();
  }

 private:
  int64_t to_skip_;
};

class CountStage final : public Stage {
 public:
  explicit CountStage(std::string field) : field_(std::move(field)) {}
  std::string name() const override { return "$count"; }

 protected:
  NextResult DoNext() override {
    if (done_) return std::optional<Document>();
    done_ = true;
    int64_t n = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) break;
      ++n;
    }
    if (n == 0) return std::optional<Document>();
    Document out;
    if (n <= INT32_MAX) {
      bson_append_int32(out.mutable_bson(), field_.c_str(), -1, static_cast<int32_t>(n));
    } else {
      bson_append_int64(out.mutable_bson(), field_.c_str(), -1, n);
    }
    return std::optional<Document>(std::move(out));
  }

 private:
  std::string field_;
  bool done_ = false;
};

class UnwindStage final : public Stage {
 public:
  UnwindStage(std::string path, std::optional<std::string> index_field, bool preserve)
      : path_text_(std::move(path)),
        path_(SplitPath(path_text_)),
        index_field_(std::move(index_field)),
        preserve_(preserve) {}
  std::string name() const override { return "$unwind"; }

 protected:
  NextResult DoNext() override {
    while (true) {
      if (current_.has_value() && next_index_ < elements_.size()) {
        size_t i = next_index_++;
        Document out = SetPath(current_->view(), path_, elements_[i]);
        if (index_field_.has_value()) {
          out = SetPath(out.view(), *index_field_path_, Value::Int64(static_cast<int64_t>(i)));
        }
        return std::optional<Document>(std::move(out));
      }
      current_.reset();
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) return doc;
      Value v = GetPathNoArrays(doc->view(), path_);
      if (v.is_array() && v.CountElements() > 0) {
        current_ = std::move(doc);
        // Re-read from the owned document (the Value above borrowed the moved-from bytes).
        elements_ = GetPathNoArrays(current_->view(), path_).ArrayElements();
        next_index_ = 0;
        if (index_field_.has_value() && !index_field_path_.has_value()) {
          index_field_path_ = SplitPath(*index_field_);
        }
        continue;
      }
      if (!v.is_array() && !v.nullish()) {
        // A non-array value unwinds to itself.
        if (!index_field_.has_value()) return doc;
        return std::optional<Document>(
            SetPath(doc->view(), SplitPath(*index_field_), Value::Null()));
      }
      if (!preserve_) continue;
      Document out = v.is_array() ? SetPath(doc->view(), path_, Value()) : std::move(*doc);
      if (index_field_.has_value()) {
        out = SetPath(out.view(), SplitPath(*index_field_), Value::Null());
      }
      return std::optional<Document>(std::move(out));
    }
  }

 private:
  std::string path_text_;
  std::vector<std::string> path_;
  std::optional<std::string> index_field_;
  std::optional<std::vector<std::string>> index_field_path_;
  bool preserve_;
  std::optional<Document> current_;
  std::vector<Value> elements_;  // borrow current_
  size_t next_index_ = 0;
};

class ReplaceRootStage final : public Stage {
 public:
  ReplaceRootStage(const PipelineContext& context, std::string stage_name)
      : scope_(context), stage_name_(std::move(stage_name)) {}
  std::string name() const override { return stage_name_; }
  absl::Status Init(const bson_iter_t& it) {
    ASSIGN_OR_RETURN(expr_, scope_.Parse(it));
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
    if (!doc.has_value()) return doc;
    ASSIGN_OR_RETURN(Value v, scope_.Evaluate(*expr_, doc->view()));
    if (!v.is_document()) {
      return Error(40228,
                   absl::StrCat("'newRoot' expression must evaluate to an object, but "
                                "resulting value was: ",
                                v.DebugString(), ". Type of resulting value: '",
                                expression::TypeName(v), "'. Input document: ", doc->ToJson()));
    }
    return std::optional<Document>(DocumentOfValue(v));
  }

 private:
  ExpressionScope scope_;
  std::string stage_name_;
  expression::ExpressionPtr expr_;
};

class SampleStage final : public Stage {
 public:
  explicit SampleStage(int64_t size) : size_(size) {}
  std::string name() const override { return "$sample"; }

 protected:
  NextResult DoNext() override {
    if (!filled_) {
      filled_ = true;
      // Reservoir sampling: every document has the same chance to be among `size_`.
      std::mt19937_64 random(std::random_device{}());
      int64_t seen = 0;
      while (true) {
        ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
        if (!doc.has_value()) break;
        ++seen;
        if (static_cast<int64_t>(sample_.size()) < size_) {
          sample_.push_back(std::move(*doc));
        } else {
          std::uniform_int_distribution<int64_t> pick(0, seen - 1);
          int64_t slot = pick(random);
          if (slot < size_) sample_[static_cast<size_t>(slot)] = std::move(*doc);
        }
      }
      std::shuffle(sample_.begin(), sample_.end(), random);
    }
    if (next_ >= sample_.size()) return std::optional<Document>();
    return std::optional<Document>(std::move(sample_[next_++]));
  }

 private:
  int64_t size_;
  bool filled_ = false;
  std::vector<Document> sample_;
  size_t next_ = 0;
};

// $$DESCEND / $$PRUNE / $$KEEP become the strings the stage compares against.
void RewriteRedactVariables(const bson_iter_t& it, const char* key, bson_t* out) {
  if (BSON_ITER_HOLDS_UTF8(&it)) {
    absl::string_view s = bson_iter_utf8(&it, nullptr);
    if (s == "$$DESCEND" || s == "$$PRUNE" || s == "$$KEEP") {
      bson_t literal;
      bson_append_document_begin(out, key, -1, &literal);
      std::string text(s.substr(2));
      bson_append_utf8(&literal, "$literal", -1, text.c_str(), -1);
      bson_append_document_end(out, &literal);
      return;
    }
  }
  if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
    bool array = BSON_ITER_HOLDS_ARRAY(&it);
    bson_t child;
    if (array) {
      bson_append_array_begin(out, key, -1, &child);
    } else {
      bson_append_document_begin(out, key, -1, &child);
    }
    bson_iter_t inner;
    bson_iter_recurse(&it, &inner);
    while (bson_iter_next(&inner)) RewriteRedactVariables(inner, bson_iter_key(&inner), &child);
    if (array) {
      bson_append_array_end(out, &child);
    } else {
      bson_append_document_end(out, &child);
    }
    return;
  }
  bson_append_iter(out, key, -1, &it);
}

class RedactStage final : public Stage {
 public:
  explicit RedactStage(const PipelineContext& context) : scope_(context) {}
  std::string name() const override { return "$redact"; }
  absl::Status Init(const bson_iter_t& it) {
    RewriteRedactVariables(it, "e", spec_.mutable_bson());
    bson_iter_t e;
    bson_iter_init_find(&e, spec_.bson(), "e");
    ASSIGN_OR_RETURN(expr_, scope_.Parse(e));
    return absl::OkStatus();
  }

 protected:
  NextResult DoNext() override {
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Document> doc, source_->Next());
      if (!doc.has_value()) return doc;
      Document out;
      ASSIGN_OR_RETURN(bool keep, Redact(doc->view(), doc->view(), out.mutable_bson()));
      if (keep) return std::optional<Document>(std::move(out));
    }
  }

 private:
  // Writes the redacted `current` into `out`; false when it is pruned.
  absl::StatusOr<bool> Redact(DocumentView root, DocumentView current, bson_t* out) {
    expression::EvalContext& ctx = scope_.eval();
    ctx.SetVariable(expression::kRootVariable, Value::BorrowDocument(root));
    ctx.SetVariable(expression::kCurrentVariable, Value::BorrowDocument(current));
    ASSIGN_OR_RETURN(Value v, expr_->Evaluate(ctx));
    absl::string_view action = v.is_string() ? v.str() : "";
    if (action == "PRUNE") return false;
    if (action == "KEEP") {
      bson_t in;
      current.AsBson(&in);
      bson_concat(out, &in);
      return true;
    }
    if (action != "DESCEND") {
      return Error(17053, absl::StrCat("$redact's expression should not return anything aside "
                                       "from the variables $$KEEP, $$DESCEND, and $$PRUNE, but "
                                       "returned ",
                                       v.DebugString()));
    }
    bson_t in;
    current.AsBson(&in);
    bson_iter_t it;
    bson_iter_init(&it, &in);
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t child = BSON_INITIALIZER;
        ASSIGN_OR_RETURN(bool keep, Redact(root, Embedded(it), &child));
        if (keep) bson_append_document(out, key, -1, &child);
        bson_destroy(&child);
      } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_t array;
        bson_append_array_begin(out, key, -1, &array);
        RETURN_IF_ERROR(RedactArray(root, Embedded(it), &array));
        bson_append_array_end(out, &array);
      } else {
        bson_append_iter(out, key, -1, &it);
      }
    }
    return true;
  }
  absl::Status RedactArray(DocumentView root, DocumentView array, bson_t* out) {
    bson_t in;
    array.AsBson(&in);
    bson_iter_t it;
    bson_iter_init(&it, &in);
    uint32_t index = 0;
    while (bson_iter_next(&it)) {
      std::string key = std::to_string(index);
      if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t child = BSON_INITIALIZER;
        ASSIGN_OR_RETURN(bool keep, Redact(root, Embedded(it), &child));
        if (keep) {
          bson_append_document(out, key.c_str(), -1, &child);
          ++index;
        }
        bson_destroy(&child);
      } else if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_t child;
        bson_append_array_begin(out, key.c_str(), -1, &child);
        RETURN_IF_ERROR(RedactArray(root, Embedded(it), &child));
        bson_append_array_end(out, &child);
        ++index;
      } else {
        bson_append_iter(out, key.c_str(), -1, &it);
        ++index;
      }
    }
    return absl::OkStatus();
  }

  ExpressionScope scope_;
  Document spec_;
  expression::ExpressionPtr expr_;
};

class DocumentsStage final : public Stage {
 public:
  explicit DocumentsStage(std::vector<Document> docs) : docs_(std::move(docs)) {}
  std::string name() const override { return "$documents"; }

 protected:
  NextResult DoNext() override {
    if (next_ >= docs_.size()) return std::optional<Document>();
    return std::optional<Document>(std::move(docs_[next_++]));
  }

 private:
  std::vector<Document> docs_;
  size_t next_ = 0;
};

// A $limit/$skip/$sample size argument: an integral number.
absl::StatusOr<int64_t> IntegralArg(const bson_iter_t& it, int not_number_code,
                                    absl::string_view not_number_message) {
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) return bson_iter_as_int64(&it);
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    return Error(2, absl::StrCat("invalid argument: cannot represent ", d, " as an integer"));
  }
  if (BSON_ITER_HOLDS_DECIMAL128(&it)) {
    Value v = Value::FromIter(it);
    double d = v.ToDouble();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  return Error(not_number_code, not_number_message);
}

}  // namespace

absl::StatusOr<StagePtr> MakeMatch(const bson_iter_t& spec, const PipelineContext& context) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(15959, "the match filter must be an expression in an object");
  }
  Document filter = Document::Copy(Embedded(spec));
  match::ParseOptions options;
  expression::ExprParserOptions expr_options;
  expr_options.now_millis = context.now_millis;
  expr_options.variables = context.variables;
  options.expr_parser = expression::MakeExprParser(std::move(expr_options));
  options = validation::WithJsonSchema(options);
  ASSIGN_OR_RETURN(match::MatchExpressionPtr tree, match::ParseFilter(filter.view(), options));
  const bool can_fail = ContainsExpr(filter.view());
  return StagePtr(new MatchStage(std::move(filter), std::move(tree), can_fail));
}

absl::StatusOr<StagePtr> MakeLimit(const bson_iter_t& spec) {
  ASSIGN_OR_RETURN(int64_t n, IntegralArg(spec, 15957, "the limit must be specified as a number"));
  if (n <= 0) {
    return Error(15958, "the limit must be positive");
  }
  return StagePtr(new LimitStage(n));
}

absl::StatusOr<StagePtr> MakeSkip(const bson_iter_t& spec) {
  ASSIGN_OR_RETURN(int64_t n, IntegralArg(spec, 15972, "Argument to $skip must be a number"));
  if (n < 0) return Error(15956, "Argument to $skip cannot be negative");
  return StagePtr(new SkipStage(n));
}

absl::StatusOr<StagePtr> MakeCount(const bson_iter_t& spec) {
  if (!BSON_ITER_HOLDS_UTF8(&spec)) {
    return Error(40156, "the count field must be a non-empty string");
  }
  std::string field = bson_iter_utf8(&spec, nullptr);
  if (field.empty()) return Error(40156, "the count field must be a non-empty string");
  if (field[0] == '$') return Error(40158, "the count field cannot be a $-prefixed path");
  if (field.find('.') != std::string::npos) {
    return Error(40160, "the count field cannot contain '.'");
  }
  return StagePtr(new CountStage(std::move(field)));
}

absl::StatusOr<StagePtr> MakeUnwind(const bson_iter_t& spec) {
  std::string path;
  std::optional<std::string> index_field;
  bool preserve = false;
  if (BSON_ITER_HOLDS_UTF8(&spec)) {
    path = bson_iter_utf8(&spec, nullptr);
  } else if (BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    bson_iter_t it;
    bson_iter_recurse(&spec, &it);
    bool has_path = false;
    while (bson_iter_next(&it)) {
      absl::string_view key = bson_iter_key(&it);
      if (key == "path") {
        if (!BSON_ITER_HOLDS_UTF8(&it)) {
          return Error(28808, absl::StrCat("expected a string as the path for $unwind stage, got ",
                                           TypeNameOf(it)));
        }
        path = bson_iter_utf8(&it, nullptr);
        has_path = true;
      } else if (key == "includeArrayIndex") {
        if (!BSON_ITER_HOLDS_UTF8(&it) || *bson_iter_utf8(&it, nullptr) == '\0') {
          return Error(28810,
                       "expected a non-empty string for the includeArrayIndex option to $unwind "
                       "stage");
        }
        index_field = bson_iter_utf8(&it, nullptr);
        if ((*index_field)[0] == '$') {
          return Error(28822, absl::StrCat("includeArrayIndex option to $unwind stage should not "
                                           "be prefixed with a '$': ",
                                           *index_field));
        }
      } else if (key == "preserveNullAndEmptyArrays") {
        if (!BSON_ITER_HOLDS_BOOL(&it)) {
          return Error(28809,
                       "expected a boolean for the preserveNullAndEmptyArrays option to $unwind "
                       "stage");
        }
        preserve = bson_iter_bool(&it);
      } else {
        return Error(28811, absl::StrCat("unrecognized option to $unwind stage: ", key));
      }
    }
    if (!has_path) return Error(28812, "no path specified to $unwind stage");
  } else {
    return Error(15981, absl::StrCat("expected either a string or an object as specification "
                                     "for $unwind stage, got ",
                                     TypeNameOf(spec)));
  }
  if (path.empty() || path[0] != '$') {
    return Error(
        28818, absl::StrCat("path option to $unwind stage should be prefixed with a '$': ", path));
  }
  path = path.substr(1);
  if (path.empty()) return Error(40352, "FieldPath cannot be constructed with empty string");
  return StagePtr(new UnwindStage(std::move(path), std::move(index_field), preserve));
}

absl::StatusOr<StagePtr> MakeReplaceRoot(absl::string_view name, const bson_iter_t& spec,
                                         const PipelineContext& context) {
  auto stage = std::make_unique<ReplaceRootStage>(context, std::string(name));
  if (name == "$replaceWith") {
    RETURN_IF_ERROR(stage->Init(spec));
    return StagePtr(std::move(stage));
  }
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(40229, absl::StrCat("expected an object as specification for $replaceRoot "
                                     "stage, got ",
                                     TypeNameOf(spec)));
  }
  bson_iter_t it;
  bson_iter_recurse(&spec, &it);
  bool found = false;
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key != "newRoot") {
      return Error(40415, absl::StrCat("BSON field '$replaceRoot.", key, "' is an unknown field."));
    }
    RETURN_IF_ERROR(stage->Init(it));
    found = true;
  }
  if (!found) {
    return Error(40414, "BSON field '$replaceRoot.newRoot' is missing but a required field");
  }
  return StagePtr(std::move(stage));
}

absl::StatusOr<StagePtr> MakeSample(const bson_iter_t& spec) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&spec)) {
    return Error(28745, "the $sample stage specification must be an object");
  }
  bson_iter_t it;
  bson_iter_recurse(&spec, &it);
  std::optional<int64_t> size;
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key != "size") return Error(28748, absl::StrCat("unrecognized option to $sample: ", key));
    ASSIGN_OR_RETURN(size, IntegralArg(it, 28746, "size argument to $sample must be a number"));
    if (*size < 0) return Error(28747, "size argument to $sample must not be negative");
  }
  if (!size.has_value()) return Error(28749, "$sample stage must specify a size");
  return StagePtr(new SampleStage(*size));
}

absl::StatusOr<StagePtr> MakeRedact(const bson_iter_t& spec, const PipelineContext& context) {
  auto stage = std::make_unique<RedactStage>(context);
  RETURN_IF_ERROR(stage->Init(spec));
  return StagePtr(std::move(stage));
}

absl::StatusOr<StagePtr> MakeDocuments(const bson_iter_t& spec, const PipelineContext& context) {
  ExpressionScope scope(context);
  ASSIGN_OR_RETURN(expression::ExpressionPtr expr, scope.Parse(spec));
  ASSIGN_OR_RETURN(Value v, scope.Evaluate(*expr, DocumentView()));
  if (!v.is_array()) {
    return Error(5858203, "an array is expected");
  }
  std::vector<Document> docs;
  for (const Value& element : v.ArrayElements()) {
    if (!element.is_document()) return Error(5858203, "an array of objects is expected");
    docs.push_back(DocumentOfValue(element));
  }
  return StagePtr(new DocumentsStage(std::move(docs)));
}

}  // namespace strata::query::pipeline::internal
