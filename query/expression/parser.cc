// Parsing of expressions: field paths, variables, constants, arrays and objects of
// expressions, the operator table, and the core operators (variables and scoping, boolean,
// conditional, comparison).
#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/expression/expression.h"
#include "query/expression/internal.h"

namespace strata::query::expression {
namespace internal {

absl::Status Error(int code, absl::string_view message) {
  return MongoError(static_cast<ErrorCode>(code), message);
}

absl::StatusOr<std::vector<ExpressionPtr>> ParseArguments(const bson_iter_t& operand,
                                                          ParseContext& ctx) {
  std::vector<ExpressionPtr> out;
  if (BSON_ITER_HOLDS_ARRAY(&operand)) {
    bson_iter_t it;
    if (!bson_iter_recurse(&operand, &it)) return out;
    while (bson_iter_next(&it)) {
      ASSIGN_OR_RETURN(ExpressionPtr e, ParseExpression(it, ctx));
      out.push_back(std::move(e));
    }
    return out;
  }
  ASSIGN_OR_RETURN(ExpressionPtr e, ParseExpression(operand, ctx));
  out.push_back(std::move(e));
  return out;
}

absl::Status CheckArity(absl::string_view op, size_t n, size_t min, size_t max) {
  if (n >= min && n <= max) return absl::OkStatus();
  if (min == max) {
    return Error(16020, absl::StrCat("Expression ", op, " takes exactly ", min, " arguments. ", n,
                                     " were passed in."));
  }
  if (max == kUnbounded) {
    return Error(16020, absl::StrCat("Expression ", op, " takes at least ", min, " arguments, but ",
                                     n, " were passed in."));
  }
  return Error(28667,
               absl::StrCat("Expression ", op, " takes at least ", min, " arguments, and at most ",
                            max, ", but ", n, " were passed in."));
}

ExpressionPtr MakeNaryFromArgs(std::vector<ExpressionPtr> args, ValuesFn fn) {
  return std::make_unique<GenericExpression>(
      std::move(args),
      [fn = std::move(fn)](const std::vector<ExpressionPtr>& args,
                           EvalContext& ctx) -> absl::StatusOr<Value> {
        absl::InlinedVector<Value, 4> values;
        values.reserve(args.size());
        for (const ExpressionPtr& a : args) {
          ASSIGN_OR_RETURN(Value v, a->Evaluate(ctx));
          values.push_back(std::move(v));
        }
        return fn(absl::MakeConstSpan(values), ctx);
      });
}

absl::StatusOr<ExpressionPtr> MakeNary(absl::string_view op, const bson_iter_t& operand,
                                       ParseContext& ctx, size_t min, size_t max, ValuesFn fn) {
  ASSIGN_OR_RETURN(std::vector<ExpressionPtr> args, ParseArguments(operand, ctx));
  RETURN_IF_ERROR(CheckArity(op, args.size(), min, max));
  return MakeNaryFromArgs(std::move(args), std::move(fn));
}

std::optional<std::vector<std::pair<std::string, bson_iter_t>>> ObjectFields(
    const bson_iter_t& operand) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&operand)) return std::nullopt;
  std::vector<std::pair<std::string, bson_iter_t>> out;
  bson_iter_t it;
  if (!bson_iter_recurse(&operand, &it)) return out;
  while (bson_iter_next(&it)) {
    out.emplace_back(std::string(bson_iter_key(&it), bson_iter_key_len(&it)), it);
  }
  return out;
}

namespace {

// ---- nodes ---------------------------------------------------------------------------------

// "$a.b.c" over $$CURRENT, or "$$var.a.b". MongoDB's traversal: a document descends into
// the field; an array maps the rest of the path over its document elements (other elements
// and results that are missing are dropped); anything else ends in missing.
class FieldPathExpression final : public Expression {
 public:
  FieldPathExpression(VariableId var, std::vector<std::string> path)
      : var_(var), path_(std::move(path)) {}

  absl::StatusOr<Value> Evaluate(EvalContext& ctx) const override {
    const Value& base = ctx.GetVariable(var_);
    if (path_.empty()) return base;
    if (base.is_document()) return EvalPath(0, base);
    if (base.is_array()) return EvalPathArray(0, base);
    return Value();
  }

 private:
  Value EvalPath(size_t i, const Value& doc) const {
    Value v = doc.GetField(path_[i]);
    if (i + 1 == path_.size()) return v;
    if (v.is_document()) return EvalPath(i + 1, v);
    if (v.is_array()) return EvalPathArray(i + 1, v);
    return Value();
  }
  Value EvalPathArray(size_t i, const Value& array) const {
    ArrayBuilder out;
    bson_iter_t it;
    if (array.InitIter(&it)) {
      while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&it)) continue;
        Value nested = EvalPath(i, array.Child(it));
        if (!nested.missing()) out.Append(nested);
      }
    }
    return out.Build();
  }

  const VariableId var_;
  const std::vector<std::string> path_;
};

class NowExpression final : public Expression {
 public:
  absl::StatusOr<Value> Evaluate(EvalContext& ctx) const override {
    return Value::Date(ctx.now_millis());
  }
};

class ArrayExpression final : public Expression {
 public:
  explicit ArrayExpression(std::vector<ExpressionPtr> elements) : elements_(std::move(elements)) {}
  absl::StatusOr<Value> Evaluate(EvalContext& ctx) const override {
    ArrayBuilder out;
    for (const ExpressionPtr& e : elements_) {
      ASSIGN_OR_RETURN(Value v, e->Evaluate(ctx));
      out.Append(v);
    }
    return out.Build();
  }

 private:
  std::vector<ExpressionPtr> elements_;
};

class ObjectExpression final : public Expression {
 public:
  explicit ObjectExpression(std::vector<std::pair<std::string, ExpressionPtr>> fields)
      : fields_(std::move(fields)) {}
  absl::StatusOr<Value> Evaluate(EvalContext& ctx) const override {
    DocumentBuilder out;
    for (const auto& [name, e] : fields_) {
      ASSIGN_OR_RETURN(Value v, e->Evaluate(ctx));
      out.Append(name, v);
    }
    return out.Build();
  }

 private:
  std::vector<std::pair<std::string, ExpressionPtr>> fields_;
};

const OperatorTable& Operators() {
  static const OperatorTable* const table = [] {
    auto* t = new OperatorTable();
    AddCoreOperators(t);
    AddArithmeticOperators(t);
    AddStringOperators(t);
    AddArrayOperators(t);
    AddObjectOperators(t);
    AddTypeOperators(t);
    AddDateOperators(t);
    AddAccumulatorOperators(t);
    return t;
  }();
  return *table;
}

absl::Status CheckFieldName(absl::string_view name) {
  if (name.empty()) return Error(15998, "FieldPath field names may not be empty strings.");
  if (name[0] == '$') {
    return Error(16410,
                 "FieldPath field names may not start with '$'. Consider using $getField or "
                 "$setField.");
  }
  if (name.find('\0') != absl::string_view::npos) {
    return Error(16411, "FieldPath field names may not contain '\\0'.");
  }
  return absl::OkStatus();
}

absl::StatusOr<ExpressionPtr> ParseFieldPath(absl::string_view text, ParseContext& ctx) {
  // text starts with '$'.
  if (text.size() >= 2 && text[1] == '$') {
    const absl::string_view rest = text.substr(2);
    const size_t dot = rest.find('.');
    const absl::string_view name = rest.substr(0, dot);
    std::vector<std::string> path;
    if (dot != absl::string_view::npos) {
      for (absl::string_view part : absl::StrSplit(rest.substr(dot + 1), '.')) {
        RETURN_IF_ERROR(CheckFieldName(part));
        path.emplace_back(part);
      }
    }
    if (name.empty()) return Error(16869, "empty variable names are not allowed");
    if (name == "REMOVE") return ExpressionPtr(std::make_unique<ConstantExpression>(Value()));
    if (name == "NOW") {
      if (!path.empty()) return ExpressionPtr(std::make_unique<ConstantExpression>(Value()));
      return ExpressionPtr(std::make_unique<NowExpression>());
    }
    std::optional<VariableId> id = ctx.Lookup(name);
    if (!id.has_value()) {
      return Error(17276, absl::StrCat("Use of undefined variable: ", name));
    }
    return ExpressionPtr(std::make_unique<FieldPathExpression>(*id, std::move(path)));
  }
  const absl::string_view rest = text.substr(1);
  if (rest.empty()) return Error(16872, "'$' by itself is not a valid FieldPath");
  std::vector<std::string> path;
  for (absl::string_view part : absl::StrSplit(rest, '.')) {
    RETURN_IF_ERROR(CheckFieldName(part));
    path.emplace_back(part);
  }
  std::optional<VariableId> current = ctx.Lookup("CURRENT");
  return ExpressionPtr(
      std::make_unique<FieldPathExpression>(current.value_or(kCurrentVariable), std::move(path)));
}

absl::StatusOr<ExpressionPtr> ParseObject(const bson_iter_t& value, ParseContext& ctx) {
  auto fields = ObjectFields(value);
  if (!fields.has_value() || fields->empty()) {
    return ExpressionPtr(std::make_unique<ConstantExpression>(Value::FromIter(value)));
  }
  const std::string& first = fields->front().first;
  if (!first.empty() && first[0] == '$') {
    if (fields->size() != 1) {
      return Error(
          15983, absl::StrCat("an expression specification must contain exactly one "
                              "field, the name of the expression. Found ",
                              fields->size(), " fields in ", Value::FromIter(value).DebugString()));
    }
    const auto& table = Operators();
    auto op = table.find(first);
    if (op == table.end()) {
      return Error(168, absl::StrCat("Unrecognized expression '", first, "'"));
    }
    return op->second(fields->front().second, ctx);
  }
  std::vector<std::pair<std::string, ExpressionPtr>> out;
  for (auto& [name, it] : *fields) {
    RETURN_IF_ERROR(CheckFieldName(name));
    if (name.find('.') != std::string::npos) {
      return Error(16412,
                   "FieldPath field names may not contain '.'. Consider using $getField or "
                   "$setField.");
    }
    ASSIGN_OR_RETURN(ExpressionPtr e, ParseExpression(it, ctx));
    out.emplace_back(name, std::move(e));
  }
  return ExpressionPtr(std::make_unique<ObjectExpression>(std::move(out)));
}

// ---- core operators --------------------------------------------------------------------------

absl::StatusOr<ExpressionPtr> ParseLiteral(const bson_iter_t& operand, ParseContext&) {
  return ExpressionPtr(std::make_unique<ConstantExpression>(Value::FromIter(operand)));
}

absl::StatusOr<ExpressionPtr> ParseLet(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) return Error(16874, "$let only supports an object as its argument");
  const bson_iter_t* vars = nullptr;
  const bson_iter_t* in = nullptr;
  for (auto& [name, it] : *fields) {
    if (name == "vars") {
      vars = &it;
    } else if (name == "in") {
      in = &it;
    } else {
      return Error(16875, absl::StrCat("Unrecognized parameter to $let: ", name));
    }
  }
  if (vars == nullptr) return Error(16876, "Missing 'vars' parameter to $let");
  if (in == nullptr) return Error(16877, "Missing 'in' parameter to $let");
  auto var_fields = ObjectFields(*vars);
  if (!var_fields) return Error(10065, "invalid parameter: expected an object (vars)");
  // Variable expressions are parsed in the outer scope: they cannot see each other.
  std::vector<std::pair<std::string, ExpressionPtr>> defs;
  for (auto& [name, it] : *var_fields) {
    if (name != "CURRENT") RETURN_IF_ERROR(ValidateVariableName(name));
    ASSIGN_OR_RETURN(ExpressionPtr e, ParseExpression(it, ctx));
    defs.emplace_back(name, std::move(e));
  }
  const size_t mark = ctx.scope_size();
  std::vector<VariableId> ids;
  for (auto& def : defs) ids.push_back(ctx.PushScoped(def.first));
  auto body = ParseExpression(*in, ctx);
  ctx.PopScopeTo(mark);
  if (!body.ok()) return body.status();
  std::vector<ExpressionPtr> args;
  for (auto& def : defs) args.push_back(std::move(def.second));
  args.push_back(std::move(body).value());
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [ids](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        absl::InlinedVector<Value, 4> values;
        for (size_t i = 0; i < ids.size(); ++i) {
          ASSIGN_OR_RETURN(Value v, args[i]->Evaluate(ctx));
          values.push_back(std::move(v));
        }
        for (size_t i = 0; i < ids.size(); ++i) ctx.SetVariable(ids[i], std::move(values[i]));
        return args.back()->Evaluate(ctx);
      }));
}

// Shared by $map and $filter: input, as, and one body expression (+ $filter's limit).
struct IterationSpec {
  ExpressionPtr input;
  ExpressionPtr body;
  ExpressionPtr limit;
  VariableId var = 0;
};

absl::StatusOr<ExpressionPtr> ParseMap(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) return Error(16878, "$map only supports an object as its argument");
  const bson_iter_t *input = nullptr, *as = nullptr, *in = nullptr;
  for (auto& [name, it] : *fields) {
    if (name == "input") {
      input = &it;
    } else if (name == "as") {
      as = &it;
    } else if (name == "in") {
      in = &it;
    } else {
      return Error(16879, absl::StrCat("Unrecognized parameter to $map: ", name));
    }
  }
  if (input == nullptr) return Error(16880, "Missing 'input' parameter to $map");
  if (in == nullptr) return Error(16882, "Missing 'in' parameter to $map");
  std::string var_name = "this";
  if (as != nullptr) {
    if (!BSON_ITER_HOLDS_UTF8(as)) return Error(16866, "empty variable names are not allowed");
    var_name = bson_iter_utf8(as, nullptr);
    RETURN_IF_ERROR(ValidateVariableName(var_name));
  }
  ASSIGN_OR_RETURN(ExpressionPtr input_expr, ParseExpression(*input, ctx));
  const size_t mark = ctx.scope_size();
  const VariableId id = ctx.PushScoped(var_name);
  auto body = ParseExpression(*in, ctx);
  ctx.PopScopeTo(mark);
  if (!body.ok()) return body.status();
  std::vector<ExpressionPtr> args;
  args.push_back(std::move(input_expr));
  args.push_back(std::move(body).value());
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [id](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        if (input.nullish()) return Value::Null();
        if (!input.is_array()) {
          return Error(16883, absl::StrCat("input to $map must be an array not ", TypeName(input)));
        }
        ArrayBuilder out;
        bson_iter_t it;
        input.InitIter(&it);
        while (bson_iter_next(&it)) {
          ctx.SetVariable(id, input.Child(it));
          ASSIGN_OR_RETURN(Value v, args[1]->Evaluate(ctx));
          out.Append(v);
        }
        return out.Build();
      }));
}

absl::StatusOr<ExpressionPtr> ParseFilter(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) return Error(28646, "$filter only supports an object as its argument");
  const bson_iter_t *input = nullptr, *as = nullptr, *cond = nullptr, *limit = nullptr;
  for (auto& [name, it] : *fields) {
    if (name == "input") {
      input = &it;
    } else if (name == "as") {
      as = &it;
    } else if (name == "cond") {
      cond = &it;
    } else if (name == "limit") {
      limit = &it;
    } else {
      return Error(28647, absl::StrCat("Unrecognized parameter to $filter: ", name));
    }
  }
  if (input == nullptr) return Error(28648, "Missing 'input' parameter to $filter");
  if (cond == nullptr) return Error(28650, "Missing 'cond' parameter to $filter");
  std::string var_name = "this";
  if (as != nullptr) {
    if (!BSON_ITER_HOLDS_UTF8(as)) return Error(16866, "empty variable names are not allowed");
    var_name = bson_iter_utf8(as, nullptr);
    RETURN_IF_ERROR(ValidateVariableName(var_name));
  }
  std::vector<ExpressionPtr> args;
  ASSIGN_OR_RETURN(ExpressionPtr input_expr, ParseExpression(*input, ctx));
  args.push_back(std::move(input_expr));
  ExpressionPtr limit_expr;
  if (limit != nullptr) {
    ASSIGN_OR_RETURN(limit_expr, ParseExpression(*limit, ctx));
  }
  const size_t mark = ctx.scope_size();
  const VariableId id = ctx.PushScoped(var_name);
  auto body = ParseExpression(*cond, ctx);
  ctx.PopScopeTo(mark);
  if (!body.ok()) return body.status();
  args.push_back(std::move(body).value());
  args.push_back(std::move(limit_expr));
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [id](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        int64_t limit = -1;
        if (args[2] != nullptr) {
          ASSIGN_OR_RETURN(Value l, args[2]->Evaluate(ctx));
          if (!l.nullish()) {
            int32_t n;
            if (!ToInt32Exact(l, &n)) {
              return Error(327391, absl::StrCat("$filter: limit must be represented as a 32-bit "
                                                "integral value: ",
                                                l.DebugString()));
            }
            if (n < 1) {
              return Error(327392, absl::StrCat("$filter: limit must be greater than 0: ", n));
            }
            limit = n;
          }
        }
        if (input.nullish()) return Value::Null();
        if (!input.is_array()) {
          return Error(28651,
                       absl::StrCat("input to $filter must be an array not ", TypeName(input)));
        }
        ArrayBuilder out;
        bson_iter_t it;
        input.InitIter(&it);
        while (bson_iter_next(&it)) {
          if (limit >= 0 && out.size() >= static_cast<uint64_t>(limit)) break;
          Value element = input.Child(it);
          ctx.SetVariable(id, element);
          ASSIGN_OR_RETURN(Value keep, args[1]->Evaluate(ctx));
          if (IsTruthy(keep)) out.Append(element);
        }
        return out.Build();
      }));
}

absl::StatusOr<ExpressionPtr> ParseReduce(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(40075, absl::StrCat("$reduce requires an object as an argument, found: ",
                                     TypeName(Value::FromIter(operand))));
  }
  const bson_iter_t *input = nullptr, *initial = nullptr, *in = nullptr;
  for (auto& [name, it] : *fields) {
    if (name == "input") {
      input = &it;
    } else if (name == "initialValue") {
      initial = &it;
    } else if (name == "in") {
      in = &it;
    } else {
      return Error(40076, absl::StrCat("$reduce found an unknown argument: ", name));
    }
  }
  if (input == nullptr) return Error(40077, "$reduce requires 'input' to be specified");
  if (initial == nullptr) return Error(40078, "$reduce requires 'initialValue' to be specified");
  if (in == nullptr) return Error(40079, "$reduce requires 'in' to be specified");
  std::vector<ExpressionPtr> args;
  ASSIGN_OR_RETURN(ExpressionPtr input_expr, ParseExpression(*input, ctx));
  ASSIGN_OR_RETURN(ExpressionPtr initial_expr, ParseExpression(*initial, ctx));
  const size_t mark = ctx.scope_size();
  const VariableId this_id = ctx.PushScoped("this");
  const VariableId value_id = ctx.PushScoped("value");
  auto body = ParseExpression(*in, ctx);
  ctx.PopScopeTo(mark);
  if (!body.ok()) return body.status();
  args.push_back(std::move(input_expr));
  args.push_back(std::move(initial_expr));
  args.push_back(std::move(body).value());
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [this_id, value_id](const std::vector<ExpressionPtr>& args,
                          EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        if (input.nullish()) return Value::Null();
        if (!input.is_array()) {
          return Error(40080, absl::StrCat("$reduce requires that 'input' be an array, found: ",
                                           TypeName(input)));
        }
        ASSIGN_OR_RETURN(Value acc, args[1]->Evaluate(ctx));
        bson_iter_t it;
        input.InitIter(&it);
        while (bson_iter_next(&it)) {
          ctx.SetVariable(this_id, input.Child(it));
          ctx.SetVariable(value_id, acc);
          ASSIGN_OR_RETURN(acc, args[2]->Evaluate(ctx));
        }
        return acc;
      }));
}

absl::StatusOr<ExpressionPtr> ParseAndOr(const bson_iter_t& operand, ParseContext& ctx,
                                         bool is_and) {
  ASSIGN_OR_RETURN(std::vector<ExpressionPtr> args, ParseArguments(operand, ctx));
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [is_and](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        for (const ExpressionPtr& a : args) {
          ASSIGN_OR_RETURN(Value v, a->Evaluate(ctx));
          const bool t = IsTruthy(v);
          if (is_and && !t) return Value::Bool(false);
          if (!is_and && t) return Value::Bool(true);
        }
        return Value::Bool(is_and);
      }));
}

absl::StatusOr<ExpressionPtr> ParseCond(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;
  if (BSON_ITER_HOLDS_DOCUMENT(&operand)) {
    auto fields = ObjectFields(operand);
    ExpressionPtr parts[3];
    for (auto& [name, it] : *fields) {
      int slot = name == "if" ? 0 : name == "then" ? 1 : name == "else" ? 2 : -1;
      if (slot < 0) return Error(17083, absl::StrCat("Unrecognized parameter to $cond: ", name));
      ASSIGN_OR_RETURN(parts[slot], ParseExpression(it, ctx));
    }
    if (!parts[0]) return Error(17080, "Missing 'if' parameter to $cond");
    if (!parts[1]) return Error(17081, "Missing 'then' parameter to $cond");
    if (!parts[2]) return Error(17082, "Missing 'else' parameter to $cond");
    for (auto& p : parts) args.push_back(std::move(p));
  } else {
    ASSIGN_OR_RETURN(args, ParseArguments(operand, ctx));
    RETURN_IF_ERROR(CheckArity("$cond", args.size(), 3, 3));
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value c, args[0]->Evaluate(ctx));
        return args[IsTruthy(c) ? 1 : 2]->Evaluate(ctx);
      }));
}

absl::StatusOr<ExpressionPtr> ParseIfNull(const bson_iter_t& operand, ParseContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<ExpressionPtr> args, ParseArguments(operand, ctx));
  if (args.size() < 2) {
    return Error(1257300, absl::StrCat("$ifNull needs at least two arguments, had: ", args.size()));
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        for (size_t i = 0; i + 1 < args.size(); ++i) {
          ASSIGN_OR_RETURN(Value v, args[i]->Evaluate(ctx));
          if (!v.nullish()) return v;
        }
        return args.back()->Evaluate(ctx);
      }));
}

absl::StatusOr<ExpressionPtr> ParseSwitch(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(40060, absl::StrCat("$switch requires an object as an argument, found: ",
                                     TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> args;  // case, then, case, then, …, default (maybe null)
  ExpressionPtr default_expr;
  bool saw_branches = false;
  for (auto& [name, it] : *fields) {
    if (name == "branches") {
      saw_branches = true;
      if (!BSON_ITER_HOLDS_ARRAY(&it)) {
        return Error(40061, absl::StrCat("$switch expected an array for 'branches', found: ",
                                         TypeName(Value::FromIter(it))));
      }
      bson_iter_t b;
      bson_iter_recurse(&it, &b);
      while (bson_iter_next(&b)) {
        auto branch = ObjectFields(b);
        if (!branch) {
          return Error(40062, absl::StrCat("$switch expected each branch to be an object, found: ",
                                           TypeName(Value::FromIter(b))));
        }
        ExpressionPtr c, t;
        for (auto& [bn, bit] : *branch) {
          if (bn == "case") {
            ASSIGN_OR_RETURN(c, ParseExpression(bit, ctx));
          } else if (bn == "then") {
            ASSIGN_OR_RETURN(t, ParseExpression(bit, ctx));
          } else {
            return Error(40063,
                         absl::StrCat("$switch found an unknown argument to a branch: ", bn));
          }
        }
        if (!c) return Error(40064, "$switch requires each branch have a 'case' expression");
        if (!t) return Error(40065, "$switch requires each branch have a 'then' expression.");
        args.push_back(std::move(c));
        args.push_back(std::move(t));
      }
    } else if (name == "default") {
      ASSIGN_OR_RETURN(default_expr, ParseExpression(it, ctx));
    } else {
      return Error(40067, absl::StrCat("$switch found an unknown argument: ", name));
    }
  }
  if (!saw_branches || args.empty()) return Error(40068, "$switch requires at least one branch");
  args.push_back(std::move(default_expr));
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        for (size_t i = 0; i + 1 < args.size(); i += 2) {
          ASSIGN_OR_RETURN(Value c, args[i]->Evaluate(ctx));
          if (IsTruthy(c)) return args[i + 1]->Evaluate(ctx);
        }
        if (args.back() == nullptr) {
          return Error(40066,
                       "$switch could not find a matching branch for an input, and no default "
                       "was specified.");
        }
        return args.back()->Evaluate(ctx);
      }));
}

enum class CmpOp { kCmp, kEq, kNe, kGt, kGte, kLt, kLte };

void AddComparison(OperatorTable* t, const char* name, CmpOp op) {
  (*t)[name] = [name, op](const bson_iter_t& operand, ParseContext& ctx) {
    return MakeNary(name, operand, ctx, 2, 2,
                    [op](absl::Span<const Value> v, EvalContext&) -> absl::StatusOr<Value> {
                      const int c = CompareValues(v[0], v[1]);
                      switch (op) {
                        case CmpOp::kCmp:
                          return Value::Int32(c);
                        case CmpOp::kEq:
                          return Value::Bool(c == 0);
                        case CmpOp::kNe:
                          return Value::Bool(c != 0);
                        case CmpOp::kGt:
                          return Value::Bool(c > 0);
                        case CmpOp::kGte:
                          return Value::Bool(c >= 0);
                        case CmpOp::kLt:
                          return Value::Bool(c < 0);
                        case CmpOp::kLte:
                          return Value::Bool(c <= 0);
                      }
                      return Value();
                    });
  };
}

}  // namespace

void AddCoreOperators(OperatorTable* t) {
  (*t)["$literal"] = ParseLiteral;
  (*t)["$let"] = ParseLet;
  (*t)["$map"] = ParseMap;
  (*t)["$filter"] = ParseFilter;
  (*t)["$reduce"] = ParseReduce;
  (*t)["$and"] = [](const bson_iter_t& o, ParseContext& c) { return ParseAndOr(o, c, true); };
  (*t)["$or"] = [](const bson_iter_t& o, ParseContext& c) { return ParseAndOr(o, c, false); };
  (*t)["$not"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$not", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return absl::StatusOr<Value>(Value::Bool(!IsTruthy(v[0])));
    });
  };
  (*t)["$cond"] = ParseCond;
  (*t)["$ifNull"] = ParseIfNull;
  (*t)["$switch"] = ParseSwitch;
  AddComparison(t, "$cmp", CmpOp::kCmp);
  AddComparison(t, "$eq", CmpOp::kEq);
  AddComparison(t, "$ne", CmpOp::kNe);
  AddComparison(t, "$gt", CmpOp::kGt);
  AddComparison(t, "$gte", CmpOp::kGte);
  AddComparison(t, "$lt", CmpOp::kLt);
  AddComparison(t, "$lte", CmpOp::kLte);
}

}  // namespace internal

// ---- public API ----------------------------------------------------------------------------

absl::Status ValidateVariableName(absl::string_view name) {
  if (name.empty()) return internal::Error(16866, "empty variable names are not allowed");
  const unsigned char first = static_cast<unsigned char>(name[0]);
  if (!((first >= 'a' && first <= 'z') || first >= 0x80)) {
    return internal::Error(16867, absl::StrCat("'", name,
                                               "' starts with an invalid character for a user "
                                               "variable name"));
  }
  for (char ch : name.substr(1)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c >= 0x80)) {
      return internal::Error(16868, absl::StrCat("'", name,
                                                 "' contains an invalid character for a "
                                                 "variable name: '",
                                                 absl::string_view(&ch, 1), "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<VariableId> ParseContext::DefineVariable(absl::string_view name) {
  RETURN_IF_ERROR(ValidateVariableName(name));
  return PushScoped(name);
}

std::optional<VariableId> ParseContext::Lookup(absl::string_view name) const {
  for (size_t i = scope_.size(); i-- > 0;) {
    if (scope_[i].first == name) return scope_[i].second;
  }
  if (name == "ROOT") return kRootVariable;
  if (name == "CURRENT") return kCurrentVariable;
  return std::nullopt;
}

VariableId ParseContext::PushScoped(absl::string_view name) {
  const VariableId id = next_id_++;
  scope_.emplace_back(std::string(name), id);
  return id;
}

EvalContext::EvalContext()
    : now_millis_(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) {}

absl::StatusOr<ExpressionPtr> ParseExpression(const bson_iter_t& value, ParseContext& ctx) {
  switch (bson_iter_type(&value)) {
    case BSON_TYPE_UTF8: {
      uint32_t len = 0;
      const char* s = bson_iter_utf8(&value, &len);
      if (len > 0 && s[0] == '$') {
        return internal::ParseFieldPath(absl::string_view(s, len), ctx);
      }
      break;
    }
    case BSON_TYPE_DOCUMENT:
      return internal::ParseObject(value, ctx);
    case BSON_TYPE_ARRAY: {
      ASSIGN_OR_RETURN(std::vector<ExpressionPtr> elements, internal::ParseArguments(value, ctx));
      return ExpressionPtr(std::make_unique<internal::ArrayExpression>(std::move(elements)));
    }
    default:
      break;
  }
  return ExpressionPtr(std::make_unique<internal::ConstantExpression>(Value::FromIter(value)));
}

absl::StatusOr<ExpressionPtr> ParseObjectExpression(DocumentView spec, ParseContext& ctx) {
  bson_t b;
  bson_t wrapper;
  bson_init(&wrapper);
  if (!spec.AsBson(&b)) {
    bson_destroy(&wrapper);
    return internal::Error(2, "invalid BSON for an object expression");
  }
  bson_append_document(&wrapper, "o", 1, &b);
  bson_iter_t it;
  bson_iter_init(&it, &wrapper);
  bson_iter_next(&it);
  auto fields = internal::ObjectFields(it);
  absl::StatusOr<ExpressionPtr> result;
  std::vector<std::pair<std::string, ExpressionPtr>> out;
  for (auto& [name, field] : *fields) {
    absl::Status s = internal::CheckFieldName(name);
    if (!s.ok()) {
      bson_destroy(&wrapper);
      return s;
    }
    auto e = ParseExpression(field, ctx);
    if (!e.ok()) {
      bson_destroy(&wrapper);
      return e.status();
    }
    out.emplace_back(name, std::move(e).value());
  }
  bson_destroy(&wrapper);
  return ExpressionPtr(std::make_unique<internal::ObjectExpression>(std::move(out)));
}

absl::StatusOr<Value> Evaluate(const Expression& expr, DocumentView root, EvalContext& ctx) {
  Value doc = Value::BorrowDocument(root);
  ctx.SetVariable(kRootVariable, doc);
  ctx.SetVariable(kCurrentVariable, doc);
  return expr.Evaluate(ctx);
}

}  // namespace strata::query::expression
