#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the CRC-32C instruction (x86-64 SSE4.2), else 0.
int weir_crc32c_hardware_available(void);

/// CRC-32C of `length` bytes with the hardware instruction, continuing from the register value
/// `crc` (already inverted by the caller). Call only when `weir_crc32c_hardware_available()`.
uint32_t weir_crc32c_hardware_update(uint32_t crc, const uint8_t *bytes, size_t length);

#endif
