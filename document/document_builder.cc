#include "strata/document_builder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strata {
namespace {

int KeyLength(std::string_view key) { return static_cast<int>(key.size()); }

absl::Status DateOnlyError(std::string_view key, std::string_view date) {
  return absl::InvalidArgumentError(absl::StrCat(
      "field '", absl::string_view(key.data(), key.size()),
      "': ", absl::string_view(date.data(), date.size()),
      " is a date without a time of day or time zone, and BSON dates are instants; convert it "
      "explicitly, e.g. absl::FromCivil(absl::CivilSecond(day), time_zone) or "
      "std::chrono::sys_days(ymd) for midnight UTC, and append the result"));
}

}  // namespace

bool DocumentBuilder::KeyOk(std::string_view key) {
  if (!status_.ok()) return false;
  if (std::memchr(key.data(), '\0', key.size()) != nullptr) {
    status_ = absl::InvalidArgumentError("a field name cannot contain a NUL byte");
    return false;
  }
  return true;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, int32_t value) {
  if (KeyOk(key)) bson_append_int32(doc_.mutable_bson(), key.data(), KeyLength(key), value);
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, int64_t value) {
  if (KeyOk(key)) bson_append_int64(doc_.mutable_bson(), key.data(), KeyLength(key), value);
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, double value) {
  if (KeyOk(key)) bson_append_double(doc_.mutable_bson(), key.data(), KeyLength(key), value);
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, bool value) {
  if (KeyOk(key)) bson_append_bool(doc_.mutable_bson(), key.data(), KeyLength(key), value);
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, std::string_view value) {
  if (KeyOk(key)) {
    bson_append_utf8(doc_.mutable_bson(), key.data(), KeyLength(key), value.data(),
                     static_cast<int>(value.size()));
  }
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, DocumentView value) {
  bson_t embedded;
  if (!KeyOk(key)) return *this;
  if (!value.AsBson(&embedded)) {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "field '", absl::string_view(key.data(), key.size()), "': not a valid BSON document"));
    return *this;
  }
  bson_append_document(doc_.mutable_bson(), key.data(), KeyLength(key), &embedded);
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, absl::Time value) {
  // Milliseconds since the epoch, rounded toward the past (as MongoDB's drivers do).
  if (KeyOk(key)) {
    bson_append_date_time(doc_.mutable_bson(), key.data(), KeyLength(key),
                          absl::ToUnixMillis(value));
  }
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key,
                                         std::chrono::system_clock::time_point value) {
  auto millis = std::chrono::floor<std::chrono::milliseconds>(value.time_since_epoch()).count();
  if (KeyOk(key)) {
    bson_append_date_time(doc_.mutable_bson(), key.data(), KeyLength(key),
                          static_cast<int64_t>(millis));
  }
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, absl::CivilDay value) {
  if (KeyOk(key)) {
    status_ = DateOnlyError(
        key, absl::StrFormat("%04d-%02d-%02d", value.year(), value.month(), value.day()));
  }
  return *this;
}

DocumentBuilder& DocumentBuilder::Append(std::string_view key, std::chrono::year_month_day value) {
  if (KeyOk(key)) {
    status_ = DateOnlyError(key, absl::StrFormat("%04d-%02u-%02u", static_cast<int>(value.year()),
                                                 static_cast<unsigned>(value.month()),
                                                 static_cast<unsigned>(value.day())));
  }
  return *this;
}

DocumentBuilder& DocumentBuilder::AppendNull(std::string_view key) {
  if (KeyOk(key)) bson_append_null(doc_.mutable_bson(), key.data(), KeyLength(key));
  return *this;
}

absl::StatusOr<Document> DocumentBuilder::Build() {
  if (!status_.ok()) return status_;
  return std::move(doc_);
}

}  // namespace strata
