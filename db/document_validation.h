// A collection's document validation (validator, validationLevel, validationAction), read from
// its catalog options, and the check every write path runs before it writes anything.
//
// Levels: strict (every insert and update), moderate (inserts, and updates of documents that
// were valid before), off. Actions: error (the write fails with 121 DocumentValidationFailure,
// errInfo {failingDocumentId, details}, and nothing is written), warn (the write proceeds and the
// failure is logged to stderr). `bypassDocumentValidation` skips the check.
#ifndef STRATA_DB_DOCUMENT_VALIDATION_H_
#define STRATA_DB_DOCUMENT_VALIDATION_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "query/validation/validator.h"
#include "strata/document.h"

namespace strata::db {

enum class ValidationLevel { kStrict, kModerate, kOff };
enum class ValidationAction { kError, kWarn };

class DocumentValidation {
 public:
  // Reads validator/validationLevel/validationAction from collection options (create/collMod
  // form). Errors name the bad option. No validator → a policy that accepts everything.
  static absl::StatusOr<DocumentValidation> FromOptions(DocumentView options);

  // Checks the options of create/collMod: the validator parses, level and action are known.
  static absl::Status CheckOptions(DocumentView options);

  bool active() const { return validator_ != nullptr && level_ != ValidationLevel::kOff; }

  // Checks `new_doc` (with `old_doc` the version it replaces, for moderate). OK to write, or
  // DocumentValidationFailure carrying errInfo.
  absl::Status Check(DocumentView new_doc, std::optional<DocumentView> old_doc) const;

 private:
  std::shared_ptr<const query::validation::Validator> validator_;
  ValidationLevel level_ = ValidationLevel::kStrict;
  ValidationAction action_ = ValidationAction::kError;
};

}  // namespace strata::db

#endif  // STRATA_DB_DOCUMENT_VALIDATION_H_
