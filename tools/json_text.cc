#include "tools/json_text.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace strata::tools {

std::string ReadAll(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::vector<Document>> ParseDocuments(absl::string_view text) {
  std::vector<Document> docs;
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(trimmed, "\xEF\xBB\xBF")) trimmed.remove_prefix(3);  // UTF-8 BOM
  if (absl::StartsWith(trimmed, "[")) {
    // libbson parses objects only: wrap the array in one and walk its elements.
    auto wrapped = Document::FromJson(absl::StrCat("{\"a\": ", trimmed, "}"));
    if (!wrapped.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid JSON array: ", wrapped.status().message()));
    }
    bson_iter_t it, child;
    if (!bson_iter_init_find(&it, wrapped->bson(), "a") || !BSON_ITER_HOLDS_ARRAY(&it)) {
      return absl::InvalidArgumentError("invalid JSON array");
    }
    bson_iter_recurse(&it, &child);
    int index = 0;
    while (bson_iter_next(&child)) {
      if (!BSON_ITER_HOLDS_DOCUMENT(&child)) {
        return absl::InvalidArgumentError(
            absl::StrCat("array element ", index, " is not a JSON object"));
      }
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&child, &length, &data);
      docs.push_back(Document::Copy(DocumentView(data, length)));
      ++index;
    }
    return docs;
  }
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line_number == 1 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.empty()) continue;
    auto doc = Document::FromJson(std::string_view(line.data(), line.size()));
    if (!doc.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": ", doc.status().message()));
    }
    docs.push_back(std::move(*doc));
  }
  return docs;
}

std::string IndentJson(absl::string_view json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  auto newline = [&] {
    out.push_back('\n');
    out.append(static_cast<size_t>(depth) * 2, ' ');
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out.push_back(c);
        break;
      case '{':
      case '[': {
        // Keep empty {} and [] on one line.
        size_t next = json.find_first_not_of(' ', i + 1);
        if (next != absl::string_view::npos && (json[next] == '}' || json[next] == ']')) {
          out.push_back(c);
          out.push_back(json[next]);
          i = next;
          break;
        }
        out.push_back(c);
        ++depth;
        newline();
        break;
      }
      case '}':
      case ']':
        --depth;
        newline();
        out.push_back(c);
        break;
      case ',':
        out.push_back(c);
        newline();
        break;
      case ' ':
        if (!out.empty() && out.back() == ':') out.push_back(' ');
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace strata::tools
