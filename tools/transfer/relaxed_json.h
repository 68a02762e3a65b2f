// Relaxed JSON as mongosh and mongoimport accept it, turned into BSON.
//
// The parser reads strict JSON and Extended JSON v2 (canonical and relaxed) plus the shell's
// conveniences: unquoted keys, single-quoted strings, trailing commas, // and /* */ comments,
// /regex/flags, and the constructors ObjectId("…"), ISODate("…"), new Date(…), Date(…),
// NumberInt(…), NumberLong(…), NumberDecimal("…"), Decimal128("…"), Timestamp(t, i),
// BinData(sub, "base64"), UUID("…"), RegExp("p", "f"), MinKey, MaxKey, undefined, Infinity, NaN.
// Constructors are desugared into Extended JSON wrapper objects ({"$oid": …}) in the tree, so
// one converter (JsonToBson) decides every type.
//
// BSON is built by Strata, not by libbson's JSON reader: libbson reads {"$type": …} as legacy
// binary and {"$regex": …} as a regex value, which breaks query documents. Here an object is an
// Extended JSON wrapper only when its keys are exactly one of the specification's wrapper shapes;
// any other $-keyed object ({"$gt": 1}, {"$type": "string"}) stays a plain document.
// Numbers: integers become int32 when they fit, else int64, else double; others double.
// Nothing here is shared between threads; every function is reentrant.
#ifndef STRATA_TOOLS_TRANSFER_RELAXED_JSON_H_
#define STRATA_TOOLS_TRANSFER_RELAXED_JSON_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::tools {

// One parsed JSON value (a small tree; wrapper objects are still objects here).
struct JsonValue {
  enum class Kind { kNull, kUndefined, kBool, kNumber, kString, kObject, kArray, kRegex };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;     // kNumber: the literal; kString: decoded UTF-8; kRegex: the pattern
  std::string options;  // kRegex flags
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in order
  std::vector<JsonValue> elements;                         // kArray

  // User-provided: clang-14 (with libstdc++ 12) checks the pair's completeness too early for
  // an implicitly declared constructor of a struct that holds pairs of itself.
  JsonValue() {}

  static JsonValue String(std::string s);
  static JsonValue Wrapper(std::string key, JsonValue value);  // {key: value}
};

// A cursor over relaxed JSON text. Errors carry the 1-based line and column of the problem.
class RelaxedJsonParser {
 public:
  explicit RelaxedJsonParser(std::string_view text) : text_(text) {}

  // Parses one value at the current position (after whitespace and comments).
  absl::StatusOr<JsonValue> ParseValue();
  // Skips whitespace and comments.
  void SkipSpace();
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  // The next character after whitespace (0 at the end).
  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  // Consumes `c` when it is next (after whitespace).
  bool Consume(char c);
  // An identifier (letters, digits, _ and $) at the current position, or "" (nothing consumed).
  std::string ParseIdentifier();

  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  // 1-based line number of byte offset `offset` (fast when offsets only grow).
  int LineOf(size_t offset) const;
  // An InvalidArgument error "line L, column C: message" at the current position.
  absl::Status Error(absl::string_view message) const;

 private:
  absl::StatusOr<JsonValue> ParseObject(int depth);
  absl::StatusOr<JsonValue> ParseArray(int depth);
  absl::StatusOr<JsonValue> ParseValueAt(int depth);
  absl::StatusOr<std::string> ParseString();
  absl::StatusOr<JsonValue> ParseNumber();
  absl::StatusOr<JsonValue> ParseRegex();
  absl::StatusOr<JsonValue> ParseConstructor(const std::string& name, int depth);
  absl::StatusOr<std::vector<JsonValue>> ParseArguments(int depth);

  std::string_view text_;
  size_t pos_ = 0;
  // LineOf's cache: the line of byte offset line_offset_.
  mutable size_t line_offset_ = 0;
  mutable int line_ = 1;
};

// Converts an object (with Extended JSON wrappers anywhere inside) into a BSON document.
// Errors name the field path and what was wrong ("a.b: $numberInt needs a 32-bit integer").
absl::StatusOr<Document> JsonToBson(const JsonValue& object);

// Parses exactly one relaxed-JSON object from `text` (nothing but whitespace after it).
absl::StatusOr<Document> ParseRelaxedDocument(std::string_view text);

// Milliseconds since the epoch of an ISO-8601 date-time ("2000-07-20T00:00:00Z", with
// optional fraction and offset; a date alone or a time without a zone is UTC).
absl::StatusOr<int64_t> ParseIsoDate(std::string_view text);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_RELAXED_JSON_H_
