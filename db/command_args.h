// Reading a command document's fields with MongoDB's error shapes:
//   wrong type → TypeMismatch "BSON field 'insert.ordered' is the wrong type 'string', expected
//                 type 'bool'";
//   missing    → Location40414 "BSON field 'insert.documents' is missing but a required field";
//   unknown    → Location40415 "BSON field 'find.foo' is an unknown field."
// Generic fields every command accepts ($db, lsid, comment, maxTimeMS, writeConcern, …) are
// allowed everywhere.
#ifndef STRATA_DB_COMMAND_ARGS_H_
#define STRATA_DB_COMMAND_ARGS_H_

#include <bson/bson.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/document.h"

namespace strata::db {

// The command's name is its first field; `command_name` prefixes field names in errors.
class CommandArgs {
 public:
  CommandArgs(const bson_t& command, absl::string_view command_name)
      : command_(command), name_(command_name) {}

  // Fails with Location40415 on a field that is neither in `known` nor generic.
  absl::Status CheckKnownFields(std::initializer_list<absl::string_view> known) const;

  bool Has(absl::string_view field) const;
  // Each getter: nullopt when absent; TypeMismatch on the wrong type.
  absl::StatusOr<std::optional<std::string>> String(absl::string_view field) const;
  absl::StatusOr<std::optional<bool>> Bool(absl::string_view field) const;
  // Any numeric type holding an integral value (doubles must be whole numbers).
  absl::StatusOr<std::optional<int64_t>> Integer(absl::string_view field) const;
  absl::StatusOr<std::optional<DocumentView>> Object(absl::string_view field) const;
  // An array's iterator (positioned before its first element).
  absl::StatusOr<std::optional<bson_iter_t>> Array(absl::string_view field) const;

  // Required variants: Location40414 when missing.
  absl::StatusOr<std::string> RequiredString(absl::string_view field) const;
  absl::StatusOr<bson_iter_t> RequiredArray(absl::string_view field) const;

  // Error builders with the shapes above.
  absl::Status WrongType(absl::string_view field, const bson_iter_t& value,
                         absl::string_view expected) const;
  absl::Status Missing(absl::string_view field) const;

 private:
  bool Find(absl::string_view field, bson_iter_t* it) const;

  const bson_t& command_;
  std::string name_;
};

// The command's first value as a collection name: InvalidNamespace "<what> must be a string,
// not <type>" when it is not a string.
absl::StatusOr<std::string> CollectionNameArg(const bson_t& command, absl::string_view what);

// A view of the embedded document or array at `it`.
DocumentView EmbeddedView(const bson_iter_t& it);

}  // namespace strata::db

#endif  // STRATA_DB_COMMAND_ARGS_H_
