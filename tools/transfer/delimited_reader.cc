#include "tools/transfer/delimited_reader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/transfer/tool_support.h"

namespace strata::tools {

DelimitedReader::DelimitedReader(std::string_view text, bool tsv) : text_(text), tsv_(tsv) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool DelimitedReader::Next(DelimitedRecord* record, absl::Status* error) {
  *error = absl::OkStatus();
  record->fields.clear();
  // Skip empty lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  record->line = line_;
  if (!tsv_) return NextCsv(record, error);
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  std::string_view line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  for (absl::string_view field : absl::StrSplit(Sv(line), '\t')) record->fields.emplace_back(field);
  pos_ = end < text_.size() ? end + 1 : end;
  ++line_;
  return true;
}

bool DelimitedReader::NextCsv(DelimitedRecord* record, absl::Status* error) {
  std::string field;
  auto fail = [&](std::string_view message) {
    *error = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", Sv(message)));
    // Resume after the line that went wrong.
    size_t end = text_.find('\n', pos_);
    pos_ = end == std::string_view::npos ? text_.size() : end + 1;
    ++line_;
    return true;
  };
  while (true) {
    field.clear();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) return fail("unterminated quoted field");
        char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field.push_back('"');
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      if (pos_ < text_.size() && text_[pos_] == '\r' && pos_ + 1 < text_.size() &&
          text_[pos_ + 1] == '\n') {
        ++pos_;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
        return fail("extraneous or missing \" in quoted field");
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
        char c = text_[pos_];
        if (c == '"') return fail("bare \" in non-quoted field");
        field.push_back(c);
        ++pos_;
      }
      if (!field.empty() && field.back() == '\r' && (pos_ >= text_.size() || text_[pos_] == '\n')) {
        field.pop_back();
      }
    }
    record->fields.push_back(field);
    if (pos_ >= text_.size()) return true;
    char separator = text_[pos_++];
    if (separator == '\n') {
      ++line_;
      return true;
    }
  }
}

}  // namespace strata::tools
