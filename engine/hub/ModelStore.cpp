// Model folders on disk; names avoid '/' so a Hub id maps to one folder.
#include "hub/ModelStore.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace fts {
namespace {
const QString kRecentKey = QStringLiteral("recentModels");
constexpr int kMaxRecent = 10;
} // namespace

QString modelsDir()
{
    const QString fromEnv = qEnvironmentVariable("FTS_MODELS_DIR");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/models");
}

QString localDirForHubId(const QString& hubId)
{
    return QDir(modelsDir()).filePath(QString(hubId).replace('/', QLatin1String("--")));
}

QStringList recentModels()
{
    QStringList out;
    for (const QString& d : QSettings().value(kRecentKey).toStringList())
        if (QFileInfo(QDir(d).filePath(QStringLiteral("config.json"))).exists())
            out << d;
    return out;
}

void addRecentModel(const QString& dir)
{
    const QString abs = QFileInfo(dir).absoluteFilePath();
    QStringList l = QSettings().value(kRecentKey).toStringList();
    l.removeAll(abs);
    l.prepend(abs);
    while (l.size() > kMaxRecent)
        l.removeLast();
    QSettings().setValue(kRecentKey, l);
}

} // namespace fts
