#include "hub/LocalModels.h"

#include "Error.h"
#include "hub/BundledModels.h"
#include "hub/ModelStore.h"
#include "models/ModelConfig.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>

namespace fts {

QList<LocalModel> localModels()
{
    QStringList candidates = bundledModels();
    const QDir store(modelsDir());
    for (const QString& name : store.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        candidates << store.filePath(name);
    candidates << recentModels();
    QList<LocalModel> out;
    QSet<QString> seen;
    for (const QString& dir : candidates) {
        const QString canonical = QFileInfo(dir).canonicalFilePath();
        if (canonical.isEmpty() || seen.contains(canonical))
            continue;
        seen.insert(canonical);
        try {
            const ModelConfig config = ModelConfig::load(dir);
            out.push_back({dir, config.modelType, config.isDecoder()});
        } catch (const Error&) {
            // Not a model folder (or a broken one): the Model page explains those.
        }
    }
    return out;
}

} // namespace fts
