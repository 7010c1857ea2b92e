// GGUF export of decoders (GPT-2 and Llama families) for llama.cpp and Ollama, written from the
// published GGUF specification (ggml/docs/gguf.md, version 3). Torch-free for the front ends.
#pragma once

#include <QString>

#include <cstdint>

namespace fts {

// ggml tensor types used here (values from the specification's ggml_type enum).
enum class GgufTensorType : uint32_t { F32 = 0, F16 = 1, Q8_0 = 8 };

struct GgufExportOptions
{
    GgufTensorType type = GgufTensorType::F16; // F16 or Q8_0 for matrices; vectors stay F32
    QString name;                              // general.name; default: the folder name
};

// Writes the decoder in `modelDir` (config.json, weights, tokenizer files) to `outFile`, with
// the tokenizer's vocabulary, special ids, merges and chat template in the metadata. Throws
// fts::Error for encoders, unsupported families or weights it cannot place.
void exportGguf(const QString& modelDir, const QString& outFile, const GgufExportOptions& options);

} // namespace fts
