// CRC-32C (Castagnoli), the checksum of OP_MSG's optional trailing checksum field.
#ifndef STRATA_SERVER_CRC32C_H_
#define STRATA_SERVER_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace strata::server {

// The CRC-32C of `size` bytes at `data` (reflected polynomial 0x82F63B78, initial and final
// XOR 0xFFFFFFFF, as RFC 3720 and MongoDB's OP_MSG checksum).
uint32_t Crc32c(const uint8_t* data, size_t size);

}  // namespace strata::server

#endif  // STRATA_SERVER_CRC32C_H_
