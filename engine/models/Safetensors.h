// safetensors reading and writing, written from the published format; strict validation.
#pragma once

#include "models/SafetensorsHeader.h"

#include <ATen/core/Tensor.h>

#include <QMap>
#include <QString>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fts {

// Tensors by Hugging Face weight name; ordered, so written files are deterministic.
using TensorMap = std::map<std::string, at::Tensor>;

// Memory-maps the file, validates it and copies every tensor into an owned CPU tensor of the
// file's dtype (data in a safetensors file is not guaranteed aligned).
TensorMap loadSafetensors(const QString& path, QMap<QString, QString>* metadata = nullptr);

// Writes contiguous CPU copies of `tensors` atomically (temp file, fsync, rename).
void saveSafetensors(const QString& path, const TensorMap& tensors,
                     const QMap<QString, QString>& metadata = {});

} // namespace fts
