// Helpers shared by the import, export and shell tools.
#ifndef STRATA_TOOLS_TRANSFER_TOOL_SUPPORT_H_
#define STRATA_TOOLS_TRANSFER_TOOL_SUPPORT_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strata/database.h"

namespace strata::tools {

// Debian's Abseil has its own string_view type: convert at the boundary.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Opens `dir` (creating it when `create`), progress lines to `err`.
absl::StatusOr<std::unique_ptr<Database>> OpenDataDirectory(const std::string& dir, bool create,
                                                            bool relaxed, std::ostream& err);

// The bytes of an input: a regular file is memory-mapped (pages load on demand and the kernel
// may drop them again, so a large import does not hold the file in memory); stdin and other
// streams are read into memory. Move-only.
class InputText {
 public:
  // "" or "-" is stdin.
  static absl::StatusOr<InputText> Open(const std::string& path);
  InputText(InputText&& other) noexcept;
  InputText& operator=(InputText&&) = delete;
  InputText(const InputText&) = delete;
  ~InputText();
  std::string_view text() const { return text_; }

 private:
  InputText() = default;
  std::string owned_;
  void* mapping_ = nullptr;
  size_t mapped_size_ = 0;
  std::string_view text_;
};

// Reads a whole file ("" or "-" is stdin).
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path);

// True when the reply says {ok: 1}.
bool CommandOk(DocumentView reply);
// The reply's errmsg (or its JSON when it has none).
std::string CommandError(DocumentView reply);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TRANSFER_TOOL_SUPPORT_H_
