// IdFilter: the filters this build's reads and writes can evaluate without the query
// language: the empty filter (every document) and equality on `_id` ({_id: v} or
// {_id: {$eq: v}}). Anything else is NotImplemented with a message naming what was given,
// never a silently wrong answer. The query language (query/match) replaces this.
#ifndef STRATA_DB_ID_FILTER_H_
#define STRATA_DB_ID_FILTER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "strata/document.h"

namespace strata::db {

struct IdFilter {
  // Key string of the `_id` to match; nullopt means "every document".
  std::optional<std::string> id_key;
  // The `_id` value as a one-field document {_id: v} (for upserts); empty for "every".
  Document id_document;

  static absl::StatusOr<IdFilter> Parse(DocumentView filter);
};

}  // namespace strata::db

#endif  // STRATA_DB_ID_FILTER_H_
