// Every model folder this computer has ready: the bundled starters, downloads in the models folder
// and recently used folders, each once, with what its config.json says it is.
#pragma once

#include <QList>
#include <QString>

namespace fts {

struct LocalModel
{
    QString dir;
    QString modelType; // config.json "model_type"
    bool decoder = false;
};

// Folders whose config.json cannot be read are left out.
QList<LocalModel> localModels();

} // namespace fts
