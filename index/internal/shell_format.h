// MongoDB's own text form of BSON ("{ key: { a: 1 }, name: \"a_1\" }", as BSONObj::toString
// prints it), used only to reproduce MongoDB's error messages byte for byte where they quote a
// document (index specifications, key patterns, arrays in key-generation errors).
//
// This is not Extended JSON: field names are unquoted, doubles always show a fraction
// ("1.0"), int64 prints bare, dates print as new Date(ms). Values of types an index
// specification never holds are printed in a readable, MongoDB-like form.
//
// Internal to index/ (candidates to move to document/ when another layer needs them).
// Thread safety: pure functions. Depth: recursion follows document nesting, which the
// entry-point validator bounds (100).
#ifndef STRATA_INDEX_INTERNAL_SHELL_FORMAT_H_
#define STRATA_INDEX_INTERNAL_SHELL_FORMAT_H_

#include <bson/bson.h>

#include <string>

#include "strata/document.h"

namespace strata::index::internal {

// "{ a: 1, b: \"x\" }"; the empty document is "{}".
std::string ShellString(DocumentView doc);

// The value at `it` alone ("1", "\"x\"", "[ 1, 2 ]").
std::string ShellValueString(const bson_iter_t& it);

// "name: value" for the element at `it` (BSONElement::toString).
std::string ShellElementString(const bson_iter_t& it);

}  // namespace strata::index::internal

#endif  // STRATA_INDEX_INTERNAL_SHELL_FORMAT_H_
