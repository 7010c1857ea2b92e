// Fuzzes the safetensors header parser: any bytes may come in; only fts::Error may come out.
#include "Error.h"
#include "models/SafetensorsHeader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        // Claim a few file sizes around the real one: the offsets checks depend on it.
        for (uint64_t extra : {uint64_t(0), uint64_t(1) << 20})
            fts::parseSafetensorsHeader(data, size, size + extra, QStringLiteral("fuzz.safetensors"));
    } catch (const fts::Error&) {
    }
    return 0;
}
