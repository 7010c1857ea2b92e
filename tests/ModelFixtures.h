// The model fixtures under tests/fixtures/models (tiny checkpoints with outputs computed by the
// reference implementation) and the comparison the model suites make against them.
#pragma once

#include "models/Safetensors.h"

#include <ATen/ATen.h>

#include <QString>

namespace fts::test {

inline QString encoderFixtureDir(const QString& family)
{
    return QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/") + family;
}

inline QString decoderFixtureDir(const QString& family)
{
    return QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/") + family;
}

// The reference implementation's inputs and outputs for the fixture.
inline TensorMap encoderReference(const QString& family)
{
    return loadSafetensors(encoderFixtureDir(family) + QStringLiteral("/reference.safetensors"));
}

inline TensorMap decoderReference(const QString& family)
{
    return loadSafetensors(decoderFixtureDir(family) + QStringLiteral("/reference.safetensors"));
}

// In double precision, so a half-precision result is compared without rounding it again.
inline double maxAbsDiff(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

} // namespace fts::test
