// The starter models that ship with the studio (resources/models/ in the source tree,
// share/finetune-studio/models/ when installed), so a first run needs no download.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

// The folder holding the bundled model folders, or an empty string when none is found.
// FTS_MODELS_DIR overrides the search (tests, relocated installs).
QString bundledModelsDir();

// Absolute paths of the bundled model folders (each with a config.json), sorted by name.
QStringList bundledModels();

// The bundled BERT-style classifier backbone, or an empty string when it is not installed.
QString starterEncoderDir();

} // namespace fts
