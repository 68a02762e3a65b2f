#include "tools/dump/metadata.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "document/extended_json.h"
#include "document/validate.h"

namespace strata::tools::dump {
namespace {

// Stand-ins for operator keys while libbson parses (see the header).
struct HiddenKey {
  absl::string_view key;
  absl::string_view placeholder;
};
constexpr HiddenKey kHiddenKeys[] = {
    {"$type", "__strata_hidden_op_type__"},
    {"$regex", "__strata_hidden_op_regex__"},
    {"$options", "__strata_hidden_op_options__"},
};

struct Edit {
  size_t pos, length;  // of the quoted key text, quotes included
  absl::string_view replacement;
  bool is_type;
};

// Rewrites the operator keys of `json` to placeholders. A "$type" beside "$binary" in the same
// object is legacy binary and stays. Strings are skipped with their escapes; the JSON's
// validity is libbson's business.
std::string HideOperatorKeys(absl::string_view json) {
  struct Frame {
    bool object;
    bool expect_key;
    bool has_binary = false;
    std::vector<Edit> edits;
  };
  std::vector<Frame> stack;
  std::vector<Edit> edits;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') {
      size_t start = i;
      for (++i; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\') ++i;
      }
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        Frame& frame = stack.back();
        frame.expect_key = false;
        absl::string_view key = json.substr(start + 1, i - start - 1);
        if (key == "$binary") frame.has_binary = true;
        for (const HiddenKey& hidden : kHiddenKeys) {
          if (key == hidden.key) {
            frame.edits.push_back(Edit{start, i - start + 1, hidden.placeholder, key == "$type"});
          }
        }
      }
    } else if (c == '{' || c == '[') {
      stack.push_back(Frame{c == '{', c == '{'});
    } else if (c == '}' || c == ']') {
      if (stack.empty()) break;
      Frame& frame = stack.back();
      for (const Edit& edit : frame.edits) {
        if (!(edit.is_type && frame.has_binary)) edits.push_back(edit);
      }
      stack.pop_back();
    } else if (c == ',' && !stack.empty() && stack.back().object) {
      stack.back().expect_key = true;
    }
  }
  if (edits.empty()) return std::string(json);
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.pos < b.pos; });
  std::string out;
  size_t at = 0;
  for (const Edit& edit : edits) {
    absl::StrAppend(&out, json.substr(at, edit.pos - at), "\"", edit.replacement, "\"");
    at = edit.pos + edit.length;
  }
  absl::StrAppend(&out, json.substr(at));
  return out;
}

absl::string_view RealKey(absl::string_view key) {
  for (const HiddenKey& hidden : kHiddenKeys) {
    if (key == hidden.placeholder) return hidden.key;
  }
  return key;
}

// Copies the elements at `it` into `out`, renaming placeholders back. Depth is bounded by the
// validation done before (100 levels).
void CopyRestoringKeys(bson_iter_t* it, bson_t* out) {
  while (bson_iter_next(it)) {
    absl::string_view key = RealKey(bson_iter_key(it));
    int key_length = static_cast<int>(key.size());
    if (BSON_ITER_HOLDS_DOCUMENT(it) || BSON_ITER_HOLDS_ARRAY(it)) {
      bool array = BSON_ITER_HOLDS_ARRAY(it);
      bson_iter_t child;
      bson_iter_recurse(it, &child);
      bson_t sub;
      if (array) {
        bson_append_array_begin(out, key.data(), key_length, &sub);
        CopyRestoringKeys(&child, &sub);
        bson_append_array_end(out, &sub);
      } else {
        bson_append_document_begin(out, key.data(), key_length, &sub);
        CopyRestoringKeys(&child, &sub);
        bson_append_document_end(out, &sub);
      }
    } else {
      bson_append_iter(out, key.data(), key_length, it);
    }
  }
}

std::string HexOf(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

// The embedded document or array at `it`.
DocumentView SubView(const bson_iter_t& it) {
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_array(&it, &length, &data);
  } else {
    bson_iter_document(&it, &length, &data);
  }
  return DocumentView(data, length);
}

}  // namespace

absl::StatusOr<Document> ParseJsonKeepingOperators(absl::string_view json) {
  std::string hidden = HideOperatorKeys(json);
  auto parsed = Document::FromJson(hidden);
  if (!parsed.ok()) return parsed.status();
  document::ValidateOptions options;
  options.reject_duplicate_names = false;
  if (absl::Status valid = document::ValidateBson(parsed->view(), options); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metadata: ", valid.message()));
  }
  if (hidden.size() == json.size() && hidden == json) return parsed;
  Document restored;
  bson_iter_t it;
  bson_iter_init(&it, parsed->bson());
  CopyRestoringKeys(&it, restored.mutable_bson());
  return restored;
}

std::string BuildMetadataJson(const engine::CollectionInfo& collection,
                              const std::vector<Document>& indexes) {
  Document doc;
  bson_t* b = doc.mutable_bson();
  bson_append_document(b, "options", 7, collection.options.bson());
  bson_t array;
  bson_append_array_begin(b, "indexes", 7, &array);
  for (size_t i = 0; i < indexes.size(); ++i) {
    std::string key = std::to_string(i);
    bson_append_document(&array, key.c_str(), static_cast<int>(key.size()), indexes[i].bson());
  }
  bson_append_array_end(b, &array);
  std::string uuid = HexOf(collection.uuid);
  bson_append_utf8(b, "uuid", 4, uuid.data(), static_cast<int>(uuid.size()));
  absl::string_view name = collection.collection_name();
  bson_append_utf8(b, "collectionName", 14, name.data(), static_cast<int>(name.size()));
  BSON_APPEND_UTF8(b, "type", "collection");
  std::string json;
  document::AppendExtendedJson(doc.view(), JsonMode::kCanonical, &json);
  return json;
}

absl::StatusOr<CollectionMetadata> ParseMetadataJson(absl::string_view text) {
  CollectionMetadata metadata;
  if (absl::StripAsciiWhitespace(text).empty()) return metadata;  // an empty file: none
  auto parsed = ParseJsonKeepingOperators(text);
  if (!parsed.ok()) return parsed.status();
  bson_iter_t it;
  bson_iter_init(&it, parsed->bson());
  while (bson_iter_next(&it)) {
    absl::string_view key = bson_iter_key(&it);
    if (key == "options") {
      if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return absl::InvalidArgumentError("options: not an object");
      metadata.options = Document::Copy(SubView(it));
    } else if (key == "indexes") {
      if (!BSON_ITER_HOLDS_ARRAY(&it)) return absl::InvalidArgumentError("indexes: not an array");
      bson_iter_t entry;
      bson_iter_recurse(&it, &entry);
      while (bson_iter_next(&entry)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&entry)) {
          return absl::InvalidArgumentError("indexes: an entry is not an object");
        }
        metadata.indexes.push_back(Document::Copy(SubView(entry)));
      }
    } else if (key == "uuid" && BSON_ITER_HOLDS_UTF8(&it)) {
      metadata.uuid = bson_iter_utf8(&it, nullptr);
    } else if (key == "collectionName" && BSON_ITER_HOLDS_UTF8(&it)) {
      metadata.collection_name = bson_iter_utf8(&it, nullptr);
    } else if (key == "type" && BSON_ITER_HOLDS_UTF8(&it)) {
      metadata.type = bson_iter_utf8(&it, nullptr);
    }
  }
  return metadata;
}

}  // namespace strata::tools::dump
