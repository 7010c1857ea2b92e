// Reading GGUF files and the Q8_0 block format, for checking exports (see GgufExport.h).
#pragma once

#include "deploy/GgufExport.h"

#include <ATen/core/Tensor.h>

#include <QString>
#include <QVariant>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fts {

struct GgufTensorInfo
{
    std::string name;
    std::vector<uint64_t> dims; // ggml order: dims[0] is the innermost (row length)
    GgufTensorType type = GgufTensorType::F32;
    uint64_t offset = 0; // from the start of the tensor data section
};

struct GgufFile
{
    uint32_t version = 0;
    // Values: QString, qint64 / quint64 / double / bool by GGUF type, QVariantList for arrays.
    std::map<std::string, QVariant> metadata;
    std::map<std::string, uint32_t> metadataTypes; // the GGUF value type of each key
    std::vector<GgufTensorInfo> tensors;
    uint64_t dataOffset = 0; // file offset of the tensor data section
};

// Reads header, metadata and tensor infos; throws fts::Error for anything malformed.
GgufFile readGguf(const QString& path);
// One tensor dequantised to fp32 in PyTorch order ([rows, row length] for matrices).
at::Tensor readGgufTensor(const QString& path, const GgufFile& file, const std::string& name);

// Q8_0 (ggml): blocks of 32 values, each an fp16 scale d = max|x| / 127 and 32 int8 round(x / d).
QByteArray quantizeQ8_0(const at::Tensor& rowMajor); // numel a multiple of 32
at::Tensor dequantizeQ8_0(const QByteArray& blocks, int64_t numel);

} // namespace fts
