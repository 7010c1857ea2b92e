// The safetensors header: entries, validation and dtype sizes (Qt only, no libtorch).
#pragma once

#include <QMap>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace fts {

struct SafetensorsEntry
{
    std::string name;
    std::string dtype; // "F32", "BF16", ... as in the file
    std::vector<int64_t> shape;
    uint64_t begin = 0; // offsets relative to the start of the data buffer
    uint64_t end = 0;
};

struct SafetensorsHeader
{
    std::vector<SafetensorsEntry> tensors; // in file order (by begin offset)
    QMap<QString, QString> metadata;
    uint64_t dataStart = 0; // 8 + header length
};

// The format allows headers up to 100 MB; anything larger is refused before it is read.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// Validates the header of a file of `fileSize` bytes whose first `available` bytes are at `data`:
// length field, JSON, dtypes, shapes, offsets inside the data and neither overlapping nor leaving
// gaps, shape x dtype = byte length. Throws fts::Error naming `label` and the tensor at fault.
SafetensorsHeader parseSafetensorsHeader(const uint8_t* data, uint64_t available, uint64_t fileSize,
                                         const QString& label);

// The dtype names this reader supports, for messages: "F64, F32, ...".
QString supportedSafetensorsDtypes();

// Bytes per element of a safetensors dtype name ("F32" -> 4); 0 for names this reader does not know.
int safetensorsDtypeBytes(const std::string& name);

} // namespace fts
