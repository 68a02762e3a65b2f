// DocumentBuilder: builds a BSON document from C++ values, the typed way into Strata.
//
//   absl::StatusOr<strata::Document> doc = strata::DocumentBuilder()
//       .Append("name", "Ada")
//       .Append("born", absl::FromCivil(absl::CivilSecond(1815, 12, 10, 0, 0, 0),
//       absl::UTCTimeZone())) .Append("when", std::chrono::system_clock::now()) .Build();
//
// Instants (absl::Time, std::chrono::system_clock::time_point) become BSON dates (milliseconds
// since the epoch, truncated toward the past). A date without a time of day (absl::CivilDay,
// std::chrono::year_month_day) is not an instant: it is rejected, and Build() fails with a
// message that says how to convert it (choose the time zone and time of day yourself) — there
// is no silent conversion. Other errors (a key containing NUL) are reported the same way; the
// first error wins. Not thread-safe.
#ifndef STRATA_DOCUMENT_BUILDER_H_
#define STRATA_DOCUMENT_BUILDER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "strata/document.h"

namespace strata {

class DocumentBuilder {
 public:
  DocumentBuilder& Append(std::string_view key, int32_t value);
  DocumentBuilder& Append(std::string_view key, int64_t value);
  DocumentBuilder& Append(std::string_view key, double value);
  DocumentBuilder& Append(std::string_view key, bool value);
  DocumentBuilder& Append(std::string_view key, std::string_view value);
  DocumentBuilder& Append(std::string_view key, const char* value) {
    return Append(key, std::string_view(value));
  }
  // An embedded document.
  DocumentBuilder& Append(std::string_view key, DocumentView value);
  // Instants: BSON dates.
  DocumentBuilder& Append(std::string_view key, absl::Time value);
  DocumentBuilder& Append(std::string_view key, std::chrono::system_clock::time_point value);
  // Date-only values are rejected (see the class comment).
  DocumentBuilder& Append(std::string_view key, absl::CivilDay value);
  DocumentBuilder& Append(std::string_view key, std::chrono::year_month_day value);
  DocumentBuilder& AppendNull(std::string_view key);

  // The document, or the first error.
  absl::StatusOr<Document> Build();

 private:
  bool KeyOk(std::string_view key);
  Document doc_;
  absl::Status status_;
};

}  // namespace strata

#endif  // STRATA_DOCUMENT_BUILDER_H_
