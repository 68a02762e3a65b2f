#include "server/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/server_errors.h"

namespace strata::server {
namespace {

absl::Status Failed() { return MongoError(kAuthenticationFailed, "Authentication failed."); }

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("no random bytes from OpenSSL");
  }
  return out;
}

// "a=x,b=y" attribute lookup (the value of the first attribute named `name`).
std::optional<std::string> Attribute(absl::string_view message, char name) {
  for (absl::string_view part : absl::StrSplit(message, ',')) {
    if (part.size() >= 2 && part[0] == name && part[1] == '=') return std::string(part.substr(2));
  }
  return std::nullopt;
}

// RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed.
std::optional<std::string> DecodeSaslName(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '=') {
      out.push_back(name[i]);
      continue;
    }
    if (name.substr(i, 3) == "=2C") {
      out.push_back(',');
    } else if (name.substr(i, 3) == "=3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

}  // namespace

absl::StatusOr<ScramCredentials> MakeScramCredentials(std::string_view password, int iterations) {
  ScramCredentials credentials;
  credentials.iterations = iterations;
  absl::StatusOr<std::string> salt = RandomBytes(28);
  if (!salt.ok()) return salt.status();
  credentials.salt = *salt;
  unsigned char salted[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(credentials.salt.data()),
                        static_cast<int>(credentials.salt.size()), iterations, EVP_sha256(),
                        sizeof salted, salted) != 1) {
    return absl::InternalError("PBKDF2 failed");
  }
  std::string salted_password(reinterpret_cast<char*>(salted), sizeof salted);
  credentials.stored_key = Sha256(Hmac(salted_password, "Client Key"));
  credentials.server_key = Hmac(salted_password, "Server Key");
  OPENSSL_cleanse(salted, sizeof salted);
  return credentials;
}

absl::StatusOr<std::string> ScramServer::Start(std::string_view client_first_message,
                                               const Lookup& lookup) {
  const absl::string_view client_first(client_first_message.data(), client_first_message.size());
  if (started_) return Failed();
  started_ = true;
  // gs2-header: "n,," (no channel binding) or "y,,"; an authzid "a=…" is tolerated.
  size_t first_comma = client_first.find(',');
  if (first_comma == absl::string_view::npos) return Failed();
  size_t second_comma = client_first.find(',', first_comma + 1);
  if (second_comma == absl::string_view::npos) return Failed();
  absl::string_view cb_flag = client_first.substr(0, first_comma);
  if (cb_flag != "n" && cb_flag != "y") {
    return MongoError(kMechanismUnavailable, "SCRAM channel binding is not supported");
  }
  gs2_header_ = std::string(client_first.substr(0, second_comma + 1));
  client_first_bare_ = std::string(client_first.substr(second_comma + 1));
  if (!absl::StartsWith(client_first_bare_, "n=")) return Failed();
  std::optional<std::string> name = Attribute(client_first_bare_, 'n');
  std::optional<std::string> client_nonce = Attribute(client_first_bare_, 'r');
  if (!name.has_value() || !client_nonce.has_value() || client_nonce->empty()) return Failed();
  std::optional<std::string> user = DecodeSaslName(*name);
  if (!user.has_value()) return Failed();
  std::optional<ScramCredentials> credentials = lookup(*user);
  if (!credentials.has_value()) return Failed();
  user_ = *user;
  credentials_ = *credentials;
  absl::StatusOr<std::string> random = RandomBytes(24);
  if (!random.ok()) return random.status();
  nonce_ = *client_nonce + absl::Base64Escape(*random);
  server_first_ = absl::StrCat("r=", nonce_, ",s=", absl::Base64Escape(credentials_.salt),
                               ",i=", credentials_.iterations);
  return server_first_;
}

absl::StatusOr<std::string> ScramServer::Finish(std::string_view client_final_message) {
  const absl::string_view client_final(client_final_message.data(), client_final_message.size());
  if (!started_ || server_first_.empty() || authenticated_) return Failed();
  size_t proof_at = client_final.rfind(",p=");
  if (proof_at == absl::string_view::npos) return Failed();
  absl::string_view without_proof = client_final.substr(0, proof_at);
  std::optional<std::string> binding = Attribute(without_proof, 'c');
  std::optional<std::string> nonce = Attribute(without_proof, 'r');
  if (!binding.has_value() || *binding != absl::Base64Escape(gs2_header_)) return Failed();
  if (!nonce.has_value() || *nonce != nonce_) return Failed();
  std::string proof;
  if (!absl::Base64Unescape(client_final.substr(proof_at + 3), &proof) || proof.size() != 32) {
    return Failed();
  }
  const std::string auth_message =
      absl::StrCat(client_first_bare_, ",", server_first_, ",", without_proof);
  const std::string client_signature = Hmac(credentials_.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>(proof[i] ^ client_signature[i]);
  const std::string stored_key = Sha256(client_key);
  if (CRYPTO_memcmp(stored_key.data(), credentials_.stored_key.data(), 32) != 0 ||
      credentials_.stored_key.size() != 32) {
    return Failed();
  }
  authenticated_ = true;
  return absl::StrCat("v=", absl::Base64Escape(Hmac(credentials_.server_key, auth_message)));
}

}  // namespace strata::server
