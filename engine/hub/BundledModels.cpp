// The installed location is tried before the source tree so a packaged studio never picks up a
// developer checkout that happens to sit at the path the build was made from.
#include "hub/BundledModels.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace fts {
namespace {

bool hasModels(const QString& dir)
{
    return !dir.isEmpty() && QFileInfo(dir).isDir() &&
           !QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty();
}

} // namespace

QString bundledModelsDir()
{
    const QString fromEnv = qEnvironmentVariable("FTS_MODELS_DIR");
    if (!fromEnv.isEmpty())
        return QFileInfo(fromEnv).isDir() ? QDir(fromEnv).absolutePath() : QString();
    QStringList candidates;
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() +
                          QStringLiteral("/../share/finetune-studio/models");
#ifdef FTS_SOURCE_MODELS_DIR
    candidates << QStringLiteral(FTS_SOURCE_MODELS_DIR);
#endif
    for (const QString& c : candidates)
        if (hasModels(c))
            return QDir(c).absolutePath();
    return {};
}

QStringList bundledModels()
{
    const QString root = bundledModelsDir();
    if (root.isEmpty())
        return {};
    QStringList out;
    const QDir dir(root);
    for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (QFileInfo::exists(dir.filePath(name + QStringLiteral("/config.json"))))
            out << dir.filePath(name);
    return out;
}

QString starterEncoderDir()
{
    for (const QString& m : bundledModels())
        if (QFileInfo(m).fileName() == QLatin1String("starter-encoder"))
            return m;
    return {};
}

} // namespace fts
