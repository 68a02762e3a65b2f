// Renders BSON elements the way MongoDB's error messages print them (BSONElement::toString):
// `a: 5`, `s: "x"`, `d: 1.0`, `o: { b: 1 }`, `arr: [ 1, 2 ]`, `id: ObjectId('…')`.
// Only for error messages: the format is for people, never parsed back. Long values are cut
// (with "...") so a message stays small whatever the document holds.
#ifndef STRATA_QUERY_UPDATE_BSON_TEXT_H_
#define STRATA_QUERY_UPDATE_BSON_TEXT_H_

#include <bson/bson.h>

#include <string>

#include "absl/strings/string_view.h"

namespace strata::query::update {

// `name: value` for the element at `it`.
std::string ElementToString(const bson_iter_t& it);

// The value alone (`5`, `"x"`, `{ b: 1 }`).
std::string ValueToString(const bson_iter_t& it);

}  // namespace strata::query::update

#endif  // STRATA_QUERY_UPDATE_BSON_TEXT_H_
