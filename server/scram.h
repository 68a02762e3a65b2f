// SCRAM-SHA-256 (RFC 5802 / RFC 7677) as MongoDB speaks it over saslStart/saslContinue.
//
// Credentials are stored as MongoDB stores them: iteration count, salt, StoredKey = H(ClientKey)
// and ServerKey, where ClientKey/ServerKey = HMAC(SaltedPassword, "Client Key"/"Server Key") and
// SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations). The password itself is
// never stored. Passwords are used as given (no SASLprep): ASCII passwords behave exactly as
// with MongoDB; others must be sent identically by the client.
// Thread safety: ScramServer is one conversation, used by one connection at a time.
#ifndef STRATA_SERVER_SCRAM_H_
#define STRATA_SERVER_SCRAM_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::server {

struct ScramCredentials {
  int iterations = 15000;  // MongoDB's default scramSHA256IterationCount
  std::string salt;        // raw bytes
  std::string stored_key;  // raw 32 bytes
  std::string server_key;  // raw 32 bytes
};

// New credentials for `password` with a random 28-byte salt.
absl::StatusOr<ScramCredentials> MakeScramCredentials(std::string_view password,
                                                      int iterations = 15000);

// Server side of one SCRAM-SHA-256 conversation.
class ScramServer {
 public:
  // Looks a user name up; nullopt when there is no such user.
  using Lookup = std::function<std::optional<ScramCredentials>(std::string_view user)>;

  // client-first-message ("n,,n=user,r=nonce") → server-first-message. AuthenticationFailed on
  // an unknown user or a malformed message.
  absl::StatusOr<std::string> Start(std::string_view client_first, const Lookup& lookup);
  // client-final-message ("c=biws,r=…,p=proof") → server-final-message ("v=signature").
  // AuthenticationFailed when the proof is wrong.
  absl::StatusOr<std::string> Finish(std::string_view client_final);

  const std::string& user() const { return user_; }
  bool authenticated() const { return authenticated_; }

 private:
  std::string user_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  std::string gs2_header_;
  ScramCredentials credentials_;
  bool started_ = false;
  bool authenticated_ = false;
};

}  // namespace strata::server

#endif  // STRATA_SERVER_SCRAM_H_
