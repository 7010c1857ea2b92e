// Where downloaded and recently used models live on this computer.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

// <app data>/models, e.g. ~/.local/share/FinetuneStudio/Finetune Studio/models; FTS_MODELS_DIR overrides.
QString modelsDir();
// The folder a Hub model is downloaded into: "owner--name" under modelsDir().
QString localDirForHubId(const QString& hubId);
// Recently used model folders (QSettings "recentModels"), existing ones only, newest first.
QStringList recentModels();
void addRecentModel(const QString& dir);

} // namespace fts
