// Array and object operators.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {
namespace {

absl::Status CheckIndexArg(const Value& v, absl::string_view op, absl::string_view what,
                           int64_t* out) {
  if (!ToInt64Exact(v, out)) {
    return Error(40096, absl::StrCat(op, " requires an integral ", what,
                                     ", found a value of type: ", TypeName(v),
                                     ", with value: ", v.DebugString()));
  }
  if (*out < 0) {
    return Error(40097, absl::StrCat(op, " requires a nonnegative ", what, ", found: ", *out));
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Size(absl::Span<const Value> v, EvalContext&) {
  if (!v[0].is_array()) {
    return Error(17124, absl::StrCat("The argument to $size must be an array, but was of "
                                     "type: ",
                                     TypeName(v[0])));
  }
  return Value::Int32(static_cast<int32_t>(v[0].CountElements()));
}

// $arrayElemAt and its aliases $first / $last.
absl::StatusOr<Value> ElemAt(const Value& array, const Value& index, absl::string_view op,
                             bool one_arg) {
  if (array.nullish() || index.nullish()) return Value::Null();
  if (!array.is_array()) {
    return Error(
        28689,
        one_arg ? absl::StrCat(op, "'s argument must be an array, but is ", TypeName(array))
                : absl::StrCat(op, "'s first argument must be an array, but is ", TypeName(array)));
  }
  if (!index.is_number()) {
    return Error(28690, absl::StrCat(op, "'s second argument must be a numeric value, but is ",
                                     TypeName(index)));
  }
  int32_t i;
  if (!ToInt32Exact(index, &i)) {
    return Error(28691, absl::StrCat(op,
                                     "'s second argument must be representable as a 32-bit "
                                     "integer: ",
                                     index.DebugString()));
  }
  const std::vector<Value> elements = array.ArrayElements();
  const int64_t n = static_cast<int64_t>(elements.size());
  const int64_t pos = i < 0 ? n + i : i;
  if (pos < 0 || pos >= n) return Value();
  return elements[static_cast<size_t>(pos)];
}

absl::StatusOr<Value> In(absl::Span<const Value> v, EvalContext&) {
  if (!v[1].is_array()) {
    return Error(
        40081, absl::StrCat("$in requires an array as a second argument, found: ", TypeName(v[1])));
  }
  bson_iter_t it;
  v[1].InitIter(&it);
  while (bson_iter_next(&it)) {
    if (CompareValues(v[1].Child(it), v[0]) == 0) return Value::Bool(true);
  }
  return Value::Bool(false);
}

absl::StatusOr<Value> Slice(absl::Span<const Value> v, EvalContext&) {
  for (const Value& a : v) {
    if (a.nullish()) return Value::Null();
  }
  if (!v[0].is_array()) {
    return Error(28724, absl::StrCat("First argument to $slice must be an array, but is of "
                                     "type: ",
                                     TypeName(v[0])));
  }
  if (!v[1].is_number()) {
    return Error(28725, absl::StrCat("Second argument to $slice must be a numeric value, but is "
                                     "of type: ",
                                     TypeName(v[1])));
  }
  int32_t second;
  if (!ToInt32Exact(v[1], &second)) {
    return Error(28726, absl::StrCat("Second argument to $slice can't be represented as a 32-bit "
                                     "integer: ",
                                     v[1].DebugString()));
  }
  const std::vector<Value> elements = v[0].ArrayElements();
  const int64_t n = static_cast<int64_t>(elements.size());
  int64_t start, count;
  if (v.size() == 2) {
    if (second >= 0) {
      start = 0;
      count = second;
    } else {
      start = std::max<int64_t>(0, n + second);
      count = n;
    }
  } else {
    if (!v[2].is_number()) {
      return Error(28727, absl::StrCat("Third argument to $slice must be numeric, but is of type: ",
                                       TypeName(v[2])));
    }
    int32_t third;
    if (!ToInt32Exact(v[2], &third)) {
      return Error(28728, absl::StrCat("Third argument to $slice can't be represented as a 32-bit "
                                       "integer: ",
                                       v[2].DebugString()));
    }
    if (third <= 0) {
      return Error(28729,
                   absl::StrCat("Third argument to $slice must be positive: ", v[2].DebugString()));
    }
    start = second < 0 ? std::max<int64_t>(0, n + second) : second;
    count = third;
  }
  ArrayBuilder out;
  for (int64_t i = start; i < n && i < start + count; ++i)
    out.Append(elements[static_cast<size_t>(i)]);
  return out.Build();
}

absl::StatusOr<Value> ConcatArrays(absl::Span<const Value> v, EvalContext&) {
  ArrayBuilder out;
  for (const Value& a : v) {
    if (a.nullish()) return Value::Null();
    if (!a.is_array()) {
      return Error(28664, absl::StrCat("$concatArrays only supports arrays, not ", TypeName(a)));
    }
    bson_iter_t it;
    a.InitIter(&it);
    while (bson_iter_next(&it)) out.Append(a.Child(it));
  }
  return out.Build();
}

absl::StatusOr<Value> ReverseArray(absl::Span<const Value> v, EvalContext&) {
  if (v[0].nullish()) return Value::Null();
  if (!v[0].is_array()) {
    return Error(34435, absl::StrCat("The argument to $reverseArray must be an array, but was of "
                                     "type: ",
                                     TypeName(v[0])));
  }
  std::vector<Value> elements = v[0].ArrayElements();
  ArrayBuilder out;
  for (size_t i = elements.size(); i-- > 0;) out.Append(elements[i]);
  return out.Build();
}

absl::StatusOr<Value> Range(absl::Span<const Value> v, EvalContext&) {
  const char* names[3] = {"starting", "ending", "step"};
  const int type_codes[3] = {34443, 34445, 34447};
  const int int_codes[3] = {34444, 34446, 34448};
  int32_t vals[3] = {0, 0, 1};
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number()) {
      return Error(type_codes[i], absl::StrCat("$range requires a numeric ", names[i],
                                               " value, found value of type: ", TypeName(v[i])));
    }
    if (!ToInt32Exact(v[i], &vals[i])) {
      return Error(int_codes[i],
                   absl::StrCat("$range requires a", i == 1 ? "n " : " ", names[i],
                                " value that can be represented as a 32-bit integer, found "
                                "value: ",
                                v[i].DebugString()));
    }
  }
  if (vals[2] == 0) return Error(34449, "$range requires a non-zero step value");
  ArrayBuilder out;
  for (int64_t x = vals[0]; vals[2] > 0 ? x < vals[1] : x > vals[1]; x += vals[2]) {
    out.Append(Value::Int32(static_cast<int32_t>(x)));
  }
  return out.Build();
}

absl::StatusOr<Value> IndexOfArray(absl::Span<const Value> v, EvalContext&) {
  if (v[0].nullish()) return Value::Null();
  if (!v[0].is_array()) {
    return Error(40090, absl::StrCat("$indexOfArray requires an array as a first argument, "
                                     "found: ",
                                     TypeName(v[0])));
  }
  const std::vector<Value> elements = v[0].ArrayElements();
  int64_t start = 0, end = static_cast<int64_t>(elements.size());
  if (v.size() > 2) RETURN_IF_ERROR(CheckIndexArg(v[2], "$indexOfArray", "starting index", &start));
  if (v.size() > 3) {
    RETURN_IF_ERROR(CheckIndexArg(v[3], "$indexOfArray", "ending index", &end));
    end = std::min<int64_t>(end, static_cast<int64_t>(elements.size()));
  }
  for (int64_t i = start; i < end; ++i) {
    if (CompareValues(elements[static_cast<size_t>(i)], v[1]) == 0)
      return Value::Int32(static_cast<int32_t>(i));
  }
  return Value::Int32(-1);
}

absl::StatusOr<Value> ArrayToObject(absl::Span<const Value> v, EvalContext&) {
  const Value& input = v[0];
  if (input.nullish()) return Value::Null();
  if (!input.is_array()) {
    return Error(40386,
                 absl::StrCat("$arrayToObject requires an array input, found: ", TypeName(input)));
  }
  std::vector<std::pair<std::string, Value>> fields;
  const std::vector<Value> elements = input.ArrayElements();
  if (elements.empty()) return DocumentBuilder().Build();
  const bool pairs = elements[0].is_array();
  if (!pairs && !elements[0].is_document()) {
    return Error(40398, absl::StrCat("Unrecognised input type format for $arrayToObject: ",
                                     TypeName(elements[0])));
  }
  for (const Value& e : elements) {
    Value key, value;
    if (pairs) {
      if (!e.is_array()) {
        return Error(40391, absl::StrCat("$arrayToObject requires a consistent input format. "
                                         "Elements must all be arrays or all be objects. Array "
                                         "was detected, now found: ",
                                         TypeName(e)));
      }
      std::vector<Value> kv = e.ArrayElements();
      if (kv.size() != 2) {
        return Error(40395, absl::StrCat("$arrayToObject requires an array of key-value pairs, "
                                         "where each pair is an array of size 2. Found array of "
                                         "size: ",
                                         kv.size()));
      }
      if (!kv[0].is_string()) {
        return Error(40396, absl::StrCat("$arrayToObject requires an array of size 2 arrays,"
                                         "where the value of the first element is of type "
                                         "'string'. Found type: ",
                                         TypeName(kv[0])));
      }
      key = kv[0];
      value = kv[1];
    } else {
      if (!e.is_document()) {
        return Error(40391, absl::StrCat("$arrayToObject requires a consistent input format. "
                                         "Elements must all be arrays or all be objects. Object "
                                         "was detected, now found: ",
                                         TypeName(e)));
      }
      const uint32_t n = e.CountElements();
      if (n != 2) {
        return Error(40392, absl::StrCat("$arrayToObject requires an object keys of 'k' and 'v'. "
                                         "Found incorrect number of keys:",
                                         n));
      }
      key = e.GetField("k");
      value = e.GetField("v");
      if (key.missing() || value.missing()) {
        return Error(40393, absl::StrCat("$arrayToObject requires an object with keys 'k' and "
                                         "'v'. Missing either or both keys from: ",
                                         e.DebugString()));
      }
      if (!key.is_string()) {
        return Error(40394, absl::StrCat("$arrayToObject requires an object with keys 'k' and "
                                         "'v', where the value of 'k' is of type 'string'. Found "
                                         "type: ",
                                         TypeName(key)));
      }
    }
    const std::string name(key.str());
    if (name.find('\0') != std::string::npos) {
      return Error(4940400, "Key field cannot contain an embedded null byte");
    }
    auto existing =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
    if (existing != fields.end()) {
      existing->second = value;
    } else {
      fields.emplace_back(name, value);
    }
  }
  DocumentBuilder out;
  for (const auto& [name, value] : fields) out.Append(name, value);
  return out.Build();
}

absl::StatusOr<Value> ObjectToArray(absl::Span<const Value> v, EvalContext&) {
  const Value& input = v[0];
  if (input.nullish()) return Value::Null();
  if (!input.is_document()) {
    return Error(
        40390, absl::StrCat("$objectToArray requires a document input, found: ", TypeName(input)));
  }
  ArrayBuilder out;
  bson_iter_t it;
  input.InitIter(&it);
  while (bson_iter_next(&it)) {
    DocumentBuilder kv;
    kv.Append("k", Value::String(absl::string_view(bson_iter_key(&it), bson_iter_key_len(&it))));
    kv.Append("v", input.Child(it));
    out.Append(kv.Build());
  }
  return out.Build();
}

absl::StatusOr<ExpressionPtr> ParseZip(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(34460, absl::StrCat("$zip only supports an object as an argument, found ",
                                     TypeName(Value::FromIter(operand))));
  }
  std::vector<ExpressionPtr> inputs, defaults;
  bool longest = false, has_inputs = false, has_defaults = false;
  for (auto& [name, it] : *fields) {
    if (name == "inputs" || name == "defaults") {
      if (!BSON_ITER_HOLDS_ARRAY(&it)) {
        return Error(name == "inputs" ? 34461 : 34462,
                     absl::StrCat(name, " must be an array of expressions, found ",
                                  TypeName(Value::FromIter(it))));
      }
      ASSIGN_OR_RETURN(auto list, ParseArguments(it, ctx));
      (name == "inputs" ? inputs : defaults) = std::move(list);
      (name == "inputs" ? has_inputs : has_defaults) = true;
    } else if (name == "useLongestLength") {
      if (!BSON_ITER_HOLDS_BOOL(&it)) {
        return Error(34463, absl::StrCat("useLongestLength must be a bool, found ",
                                         TypeName(Value::FromIter(it))));
      }
      longest = bson_iter_bool(&it);
    } else {
      return Error(34464, absl::StrCat("$zip found an unknown argument: ", name));
    }
  }
  if (!has_inputs) return Error(34465, "$zip requires at least one input array");
  if (has_defaults && !longest) {
    return Error(34466, "cannot specify defaults unless useLongestLength is true");
  }
  if (has_defaults && defaults.size() != inputs.size()) {
    return Error(34467, "defaults and inputs must have the same length");
  }
  const size_t n = inputs.size();
  std::vector<ExpressionPtr> args = std::move(inputs);
  for (auto& d : defaults) args.push_back(std::move(d));
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [n, longest](const std::vector<ExpressionPtr>& args,
                   EvalContext& ctx) -> absl::StatusOr<Value> {
        std::vector<std::vector<Value>> arrays;
        size_t min_len = SIZE_MAX, max_len = 0;
        for (size_t i = 0; i < n; ++i) {
          ASSIGN_OR_RETURN(Value a, args[i]->Evaluate(ctx));
          if (a.nullish()) return Value::Null();
          if (!a.is_array()) {
            return Error(34468, absl::StrCat("$zip found a non-array expression in input: ",
                                             a.DebugString()));
          }
          arrays.push_back(a.ArrayElements());
          min_len = std::min(min_len, arrays.back().size());
          max_len = std::max(max_len, arrays.back().size());
        }
        std::vector<Value> defaults(n, Value::Null());
        for (size_t i = n; i < args.size(); ++i) {
          ASSIGN_OR_RETURN(defaults[i - n], args[i]->Evaluate(ctx));
        }
        const size_t len = n == 0 ? 0 : (longest ? max_len : min_len);
        ArrayBuilder out;
        for (size_t r = 0; r < len; ++r) {
          ArrayBuilder row;
          for (size_t i = 0; i < n; ++i) {
            row.Append(r < arrays[i].size() ? arrays[i][r] : defaults[i]);
          }
          out.Append(row.Build());
        }
        return out.Build();
      }));
}

// $sortArray: {input, sortBy: 1 | -1 | {path: ±1, …}}.
absl::StatusOr<ExpressionPtr> ParseSortArray(const bson_iter_t& operand, ParseContext& ctx) {
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(2942500, absl::StrCat("$sortArray requires an object as an argument, found: ",
                                       TypeName(Value::FromIter(operand))));
  }
  ExpressionPtr input;
  std::vector<std::pair<std::vector<std::string>, int>> keys;  // empty path: whole value
  bool has_sort = false;
  for (auto& [name, it] : *fields) {
    if (name == "input") {
      ASSIGN_OR_RETURN(input, ParseExpression(it, ctx));
    } else if (name == "sortBy") {
      has_sort = true;
      Value spec = Value::FromIter(it);
      int32_t dir;
      if (spec.is_number() && ToInt32Exact(spec, &dir) && (dir == 1 || dir == -1)) {
        keys.push_back({{}, dir});
      } else if (spec.is_document() && spec.CountElements() > 0) {
        bson_iter_t k;
        spec.InitIter(&k);
        while (bson_iter_next(&k)) {
          Value d = spec.Child(k);
          if (!d.is_number() || !ToInt32Exact(d, &dir) || (dir != 1 && dir != -1)) {
            return Error(2942506, "The $sort element value must be either 1 or -1");
          }
          std::vector<std::string> path =
              absl::StrSplit(absl::string_view(bson_iter_key(&k), bson_iter_key_len(&k)), '.');
          keys.push_back({std::move(path), dir});
        }
      } else {
        return Error(2942505,
                     "$sortArray requires sortBy to be either 1, -1 or a sort "
                     "specification object");
      }
    } else {
      return Error(2942501, absl::StrCat("$sortArray found an unknown argument: ", name));
    }
  }
  if (!input) return Error(2942502, "$sortArray requires 'input' to be specified");
  if (!has_sort) return Error(2942503, "$sortArray requires 'sortBy' to be specified");
  std::vector<ExpressionPtr> args;
  args.push_back(std::move(input));
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [keys](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[0]->Evaluate(ctx));
        if (input.nullish()) return Value::Null();
        if (!input.is_array()) {
          return Error(2942504, absl::StrCat("The input argument to $sortArray must be an array, "
                                             "but was of type: ",
                                             TypeName(input)));
        }
        std::vector<Value> elements = input.ArrayElements();
        auto key_of = [](const Value& v, const std::vector<std::string>& path) {
          Value cur = v;
          for (const std::string& p : path) cur = cur.GetField(p);
          return cur;
        };
        std::stable_sort(elements.begin(), elements.end(), [&](const Value& a, const Value& b) {
          for (const auto& [path, dir] : keys) {
            const int c = CompareValues(path.empty() ? a : key_of(a, path),
                                        path.empty() ? b : key_of(b, path));
            if (c != 0) return dir > 0 ? c < 0 : c > 0;
          }
          return false;
        });
        ArrayBuilder out;
        for (const Value& e : elements) out.Append(e);
        return out.Build();
      }));
}

// ---- objects ----

absl::StatusOr<Value> MergeObjects(absl::Span<const Value> v, EvalContext&) {
  std::vector<std::pair<std::string, Value>> fields;
  for (const Value& d : v) {
    if (d.nullish()) continue;
    if (!d.is_document()) {
      return Error(40400, absl::StrCat("$mergeObjects requires object inputs, but input ",
                                       d.DebugString(), " is of type ", TypeName(d)));
    }
    bson_iter_t it;
    d.InitIter(&it);
    while (bson_iter_next(&it)) {
      std::string name(bson_iter_key(&it), bson_iter_key_len(&it));
      auto existing = std::find_if(fields.begin(), fields.end(),
                                   [&](const auto& f) { return f.first == name; });
      if (existing != fields.end()) {
        existing->second = d.Child(it);
      } else {
        fields.emplace_back(std::move(name), d.Child(it));
      }
    }
  }
  DocumentBuilder out;
  for (const auto& [name, value] : fields) out.Append(name, value);
  return out.Build();
}

absl::StatusOr<ExpressionPtr> ParseGetField(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args(2);
  auto fields = ObjectFields(operand);
  // {$getField: "name"} or {$getField: {$literal: "$name"}}: the field alone.
  if (!fields ||
      (!fields->empty() && !fields->front().first.empty() && fields->front().first[0] == '$')) {
    ASSIGN_OR_RETURN(args[0], ParseExpression(operand, ctx));
  } else {
    for (auto& [name, it] : *fields) {
      int slot = name == "field" ? 0 : name == "input" ? 1 : -1;
      if (slot < 0)
        return Error(3041701, absl::StrCat("$getField found an unknown argument: ", name));
      ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
    }
    if (!args[0]) return Error(3041702, "$getField requires 'field' to be specified");
  }
  const VariableId current = ctx.Lookup("CURRENT").value_or(kCurrentVariable);
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [current](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value field, args[0]->Evaluate(ctx));
        if (!field.is_string()) {
          return Error(3041704, absl::StrCat("$getField requires 'field' to evaluate to type "
                                             "String, but got ",
                                             TypeName(field)));
        }
        Value input;
        if (args[1] == nullptr) {
          input = ctx.GetVariable(current);
        } else {
          ASSIGN_OR_RETURN(input, args[1]->Evaluate(ctx));
        }
        if (input.nullish()) return Value::Null();
        if (!input.is_document()) {
          return Error(3041705, absl::StrCat("$getField requires 'input' to evaluate to type "
                                             "Object, but got ",
                                             TypeName(input)));
        }
        return input.GetField(field.str());
      }));
}

absl::StatusOr<ExpressionPtr> ParseSetField(const bson_iter_t& operand, ParseContext& ctx,
                                            bool unset) {
  const absl::string_view op = unset ? "$unsetField" : "$setField";
  auto fields = ObjectFields(operand);
  if (!fields) {
    return Error(4161100, absl::StrCat(op, " only supports an object as its argument"));
  }
  std::vector<ExpressionPtr> args(3);
  for (auto& [name, it] : *fields) {
    int slot = name == "field" ? 0 : name == "input" ? 1 : (!unset && name == "value") ? 2 : -1;
    if (slot < 0) return Error(4161101, absl::StrCat(op, " found an unknown argument: ", name));
    ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
  }
  if (!args[0]) return Error(4161102, absl::StrCat(op, " requires 'field' to be specified"));
  if (!unset && !args[2]) {
    return Error(4161103, absl::StrCat(op, " requires 'value' to be specified"));
  }
  if (!args[1]) return Error(4161109, absl::StrCat(op, " requires 'input' to be specified"));
  const Value* field = args[0]->constant();
  if (field == nullptr || !field->is_string()) {
    return Error(4161106, absl::StrCat(op, " requires 'field' to evaluate to type String"));
  }
  const std::string name(field->str());
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [name, unset, op](const std::vector<ExpressionPtr>& args,
                        EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value input, args[1]->Evaluate(ctx));
        Value value;
        if (!unset) {
          ASSIGN_OR_RETURN(value, args[2]->Evaluate(ctx));
        }
        if (input.nullish()) return Value::Null();
        if (!input.is_document()) {
          return Error(4161105, absl::StrCat(op, " requires 'input' to evaluate to type Object"));
        }
        DocumentBuilder out;
        bool replaced = false;
        bson_iter_t it;
        input.InitIter(&it);
        while (bson_iter_next(&it)) {
          const absl::string_view key(bson_iter_key(&it), bson_iter_key_len(&it));
          if (key == name) {
            replaced = true;
            out.Append(key, value);  // missing ($$REMOVE) drops the field
          } else {
            out.Append(key, input.Child(it));
          }
        }
        if (!replaced) out.Append(name, value);
        return out.Build();
      }));
}

}  // namespace

void AddArrayOperators(OperatorTable* t) {
  (*t)["$size"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$size", o, c, 1, 1, Size);
  };
  (*t)["$arrayElemAt"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$arrayElemAt", o, c, 2, 2, [](absl::Span<const Value> v, EvalContext&) {
      return ElemAt(v[0], v[1], "$arrayElemAt", false);
    });
  };
  (*t)["$first"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$first", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return ElemAt(v[0], Value::Int32(0), "$first", true);
    });
  };
  (*t)["$last"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$last", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return ElemAt(v[0], Value::Int32(-1), "$last", true);
    });
  };
  (*t)["$in"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$in", o, c, 2, 2, In);
  };
  (*t)["$slice"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$slice", o, c, 2, 3, Slice);
  };
  (*t)["$concatArrays"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$concatArrays", o, c, 0, kUnbounded, ConcatArrays);
  };
  (*t)["$reverseArray"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$reverseArray", o, c, 1, 1, ReverseArray);
  };
  (*t)["$range"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$range", o, c, 2, 3, Range);
  };
  (*t)["$indexOfArray"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$indexOfArray", o, c, 2, 4, IndexOfArray);
  };
  (*t)["$isArray"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$isArray", o, c, 1, 1, [](absl::Span<const Value> v, EvalContext&) {
      return absl::StatusOr<Value>(Value::Bool(v[0].is_array()));
    });
  };
  (*t)["$arrayToObject"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$arrayToObject", o, c, 1, 1, ArrayToObject);
  };
  (*t)["$objectToArray"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$objectToArray", o, c, 1, 1, ObjectToArray);
  };
  (*t)["$zip"] = ParseZip;
  (*t)["$sortArray"] = ParseSortArray;
}

void AddObjectOperators(OperatorTable* t) {
  (*t)["$mergeObjects"] = [](const bson_iter_t& o, ParseContext& c) {
    return MakeNary("$mergeObjects", o, c, 0, kUnbounded, MergeObjects);
  };
  (*t)["$getField"] = ParseGetField;
  (*t)["$setField"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseSetField(o, c, false);
  };
  (*t)["$unsetField"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseSetField(o, c, true);
  };
}

}  // namespace strata::query::expression::internal
