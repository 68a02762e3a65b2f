#include "tools/transfer/column_spec.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {
namespace {

using Type = ColumnSpec::Type;

struct TypeName {
  const char* name;
  Type type;
};
constexpr TypeName kTypes[] = {
    {"auto", Type::kAuto},       {"string", Type::kString}, {"int32", Type::kInt32},
    {"int64", Type::kInt64},     {"double", Type::kDouble}, {"decimal", Type::kDecimal},
    {"boolean", Type::kBoolean}, {"binary", Type::kBinary}, {"date", Type::kDate},
    {"date_go", Type::kDate},    {"date_ms", Type::kDate},
};

// Replaces layout tokens by strftime conversions, longest token first.
std::string ConvertLayout(std::string_view layout,
                          const std::vector<std::pair<std::string_view, std::string_view>>& table,
                          bool go) {
  std::string out;
  size_t i = 0;
  while (i < layout.size()) {
    absl::string_view rest = Sv(layout.substr(i));
    // Fractional seconds: ".000"/".999" (Go) or ".fff" (Microsoft) right after the seconds.
    if ((rest[0] == '.' || rest[0] == ',') && rest.size() > 1 &&
        (go ? (rest[1] == '0' || rest[1] == '9') : rest[1] == 'f') && absl::EndsWith(out, "%S")) {
      size_t n = 1;
      while (n < rest.size() && rest[n] == rest[1]) ++n;
      out.replace(out.size() - 2, 2, "%E*S");
      i += n;
      continue;
    }
    bool matched = false;
    for (const auto& [token, format] : table) {
      if (absl::StartsWith(rest, Sv(token))) {
        out.append(format.data(), format.size());
        i += token.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (rest[0] == '%') out.push_back('%');
    out.push_back(rest[0]);
    ++i;
  }
  return out;
}

std::string_view TypeNameOf(Type type) {
  for (const TypeName& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "auto";
}

// An auto-typed cell: integer (int32 when it fits, else int64), else double, else string.
JsonValue AutoValue(const std::string& cell) {
  if (!cell.empty() && !absl::ascii_isspace(cell[0]) &&
      cell.find_first_of("xX") == std::string::npos) {
    char* end = nullptr;
    std::strtod(cell.c_str(), &end);
    if (end == cell.c_str() + cell.size()) {
      JsonValue v;
      v.kind = JsonValue::Kind::kNumber;
      v.text = cell;
      if (cell[0] == '+') v.text.erase(0, 1);
      // strtod also reads "inf"/"nan": keep them as doubles, as Go's ParseFloat does.
      std::string lower = absl::AsciiStrToLower(cell);
      if (absl::StrContains(lower, "inf") || absl::StrContains(lower, "nan")) {
        v.text = absl::StrContains(lower, "nan") ? "NaN"
                 : cell[0] == '-'                ? "-Infinity"
                                                 : "Infinity";
      }
      return v;
    }
  }
  return JsonValue::String(cell);
}

absl::StatusOr<JsonValue> TypedValue(const ColumnSpec& column, const std::string& cell) {
  auto failure = [&]() {
    return absl::InvalidArgumentError(absl::StrCat("could not parse token '", cell, "' to type ",
                                                   column.type_name, " for column '", column.name,
                                                   "'"));
  };
  switch (column.type) {
    case Type::kAuto:
      return AutoValue(cell);
    case Type::kString:
      return JsonValue::String(cell);
    case Type::kInt32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(cell, &v)) return failure();
      return JsonValue::Wrapper("$numberInt", JsonValue::String(absl::StrCat(v)));
    }
    case Type::kInt64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(cell, &v)) return failure();
      return JsonValue::Wrapper("$numberLong", JsonValue::String(absl::StrCat(v)));
    }
    case Type::kDouble: {
      char* end = nullptr;
      std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size()) return failure();
      return JsonValue::Wrapper("$numberDouble", JsonValue::String(cell));
    }
    case Type::kDecimal: {
      bson_decimal128_t dec;
      if (!bson_decimal128_from_string(cell.c_str(), &dec)) return failure();
      return JsonValue::Wrapper("$numberDecimal", JsonValue::String(cell));
    }
    case Type::kBoolean: {
      static constexpr const char* kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
      static constexpr const char* kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
      JsonValue v;
      v.kind = JsonValue::Kind::kBool;
      for (const char* t : kTrue) {
        if (cell == t) v.boolean = true;
      }
      bool known = v.boolean;
      for (const char* f : kFalse) known = known || cell == f;
      if (!known) return failure();
      return v;
    }
    case Type::kBinary: {
      std::string bytes;
      if (column.argument == "hex") {
        if (cell.size() % 2 != 0 || !std::all_of(cell.begin(), cell.end(),
                                                 [](char c) { return absl::ascii_isxdigit(c); })) {
          return failure();
        }
        bytes = absl::HexStringToBytes(cell);
      } else if (!absl::Base64Unescape(cell, &bytes)) {
        return failure();
      }
      JsonValue bin;
      bin.kind = JsonValue::Kind::kObject;
      bin.members.emplace_back("base64", JsonValue::String(absl::Base64Escape(bytes)));
      bin.members.emplace_back("subType", JsonValue::String("00"));
      return JsonValue::Wrapper("$binary", std::move(bin));
    }
    case Type::kDate: {
      absl::Time time;
      std::string error;
      if (!absl::ParseTime(column.argument, cell, absl::UTCTimeZone(), &time, &error)) {
        return failure();
      }
      return JsonValue::Wrapper(
          "$date", JsonValue::Wrapper("$numberLong",
                                      JsonValue::String(absl::StrCat(absl::ToUnixMillis(time)))));
    }
  }
  return failure();
}

}  // namespace

std::string GoLayoutToFormat(std::string_view layout) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kGo = {
      {"January", "%B"}, {"Jan", "%b"},   {"Monday", "%A"},  {"Mon", "%a"},   {"2006", "%Y"},
      {"Z07:00", "%Ez"}, {"Z0700", "%z"}, {"-07:00", "%Ez"}, {"-0700", "%z"}, {"002", "%j"},
      {"15", "%H"},      {"01", "%m"},    {"02", "%d"},      {"03", "%I"},    {"04", "%M"},
      {"05", "%S"},      {"06", "%y"},    {"_2", "%e"},      {"PM", "%p"},    {"pm", "%p"},
      {"1", "%m"},       {"2", "%d"},     {"3", "%I"},       {"4", "%M"},     {"5", "%S"},
  };
  return ConvertLayout(layout, kGo, /*go=*/true);
}

std::string MsLayoutToFormat(std::string_view layout) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kMs = {
      {"yyyy", "%Y"}, {"yy", "%y"},   {"MMMM", "%B"}, {"MMM", "%b"}, {"MM", "%m"},
      {"M", "%m"},    {"dddd", "%A"}, {"ddd", "%a"},  {"dd", "%d"},  {"d", "%d"},
      {"HH", "%H"},   {"H", "%H"},    {"hh", "%I"},   {"h", "%I"},   {"mm", "%M"},
      {"m", "%M"},    {"ss", "%S"},   {"s", "%S"},    {"tt", "%p"},  {"zzz", "%Ez"},
  };
  return ConvertLayout(layout, kMs, /*go=*/false);
}

absl::StatusOr<ColumnSpec> ParseColumnSpec(std::string_view header, bool typed) {
  ColumnSpec spec;
  absl::string_view name = absl::StripAsciiWhitespace(Sv(header));
  if (typed) {
    // The type is the last ".type(…)" whose argument runs to the end of the header.
    bool found = false;
    for (const TypeName& t : kTypes) {
      std::string marker = absl::StrCat(".", t.name, "(");
      size_t at = name.rfind(marker);
      if (at == absl::string_view::npos || name.back() != ')') continue;
      absl::string_view argument =
          name.substr(at + marker.size(), name.size() - 1 - at - marker.size());
      spec.type = t.type;
      spec.type_name = t.name;
      if (t.type == Type::kDate) {
        if (argument.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("column '", Sv(header), "': ", t.name, "() needs a layout"));
        }
        std::string_view layout(argument.data(), argument.size());
        spec.argument = std::string_view(t.name) == "date_ms" ? MsLayoutToFormat(layout)
                                                              : GoLayoutToFormat(layout);
      } else if (t.type == Type::kBinary) {
        spec.argument = argument.empty() ? "base64" : std::string(argument);
        if (spec.argument != "base64" && spec.argument != "hex") {
          return absl::InvalidArgumentError(
              absl::StrCat("column '", Sv(header), "': binary() encoding must be base64 or hex"));
        }
      } else if (!argument.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("column '", Sv(header), "': ", t.name, "() takes no argument"));
      }
      name = name.substr(0, at);
      found = true;
      break;
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", Sv(header),
          "' has no type (with --columnsHaveTypes every column is name.type(), e.g. age.int32())"));
    }
  } else {
    spec.type_name = std::string(TypeNameOf(Type::kAuto));
  }
  spec.name = std::string(name);
  spec.path = absl::StrSplit(spec.name, '.');
  if (spec.name.empty() || std::any_of(spec.path.begin(), spec.path.end(),
                                       [](const std::string& p) { return p.empty(); })) {
    return absl::InvalidArgumentError(absl::StrCat("bad field name '", Sv(header), "'"));
  }
  return spec;
}

absl::StatusOr<Document> RecordToDocument(const std::vector<ColumnSpec>& columns,
                                          const std::vector<std::string>& cells, bool ignore_blanks,
                                          ParseGrace grace) {
  if (cells.size() > columns.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cells.size(), " fields, but ", columns.size(), " column names"));
  }
  JsonValue root;
  root.kind = JsonValue::Kind::kObject;
  for (size_t i = 0; i < cells.size(); ++i) {
    const ColumnSpec& column = columns[i];
    if (ignore_blanks && cells[i].empty()) continue;
    absl::StatusOr<JsonValue> typed = TypedValue(column, cells[i]);
    if (!typed.ok()) {
      switch (grace) {
        case ParseGrace::kStop:
          return typed.status();
        case ParseGrace::kAutoCast:
          typed = AutoValue(cells[i]);
          break;
        case ParseGrace::kSkipField:
          continue;
        case ParseGrace::kSkipRow:
          return absl::NotFoundError(typed.status().message());
      }
    }
    JsonValue value = std::move(*typed);
    JsonValue* node = &root;
    for (size_t p = 0; p < column.path.size(); ++p) {
      const std::string& part = column.path[p];
      JsonValue* child = nullptr;
      for (auto& [key, v] : node->members) {
        if (key == part) child = &v;
      }
      bool last = p + 1 == column.path.size();
      if (child != nullptr && (last || child->kind != JsonValue::Kind::kObject)) {
        return absl::InvalidArgumentError(
            absl::StrCat("field '", column.name, "' conflicts with an earlier column"));
      }
      if (last) {
        node->members.emplace_back(part, std::move(value));
        break;
      }
      if (child == nullptr) {
        JsonValue object;
        object.kind = JsonValue::Kind::kObject;
        node->members.emplace_back(part, std::move(object));
        child = &node->members.back().second;
      }
      node = child;
    }
  }
  return JsonToBson(root);
}

}  // namespace strata::tools
