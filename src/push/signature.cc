#include "push/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cronq::push {

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string SignatureHeader(int64_t unix_seconds, std::string_view body, const std::vector<std::string>& secrets) {
  const std::string t = std::to_string(unix_seconds);
  std::string message;
  message.reserve(t.size() + 1 + body.size());
  message.append(t).append(1, '.').append(body);
  std::string out = "t=" + t;
  for (const std::string& s : secrets) out += ",v1=" + HmacSha256Hex(s, message);
  return out;
}

}  // namespace cronq::push
