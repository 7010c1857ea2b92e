// Process-wide reference-counted QLockFile per project path.
#include "project/ProjectLock.h"

#include <QDir>
#include <QFileInfo>
#include <map>
#include <QLockFile>
#include <QMutex>

#include <memory>

namespace fts {
namespace {

struct Held
{
    std::unique_ptr<QLockFile> file;
    int users = 0;
};

QMutex& registryMutex()
{
    static QMutex m;
    return m;
}

std::map<QString, Held>& registry()
{
    static std::map<QString, Held> r;
    return r;
}

} // namespace

ProjectLock::ProjectLock(const QString& projectPath)
    : m_key(QFileInfo(projectPath).absoluteFilePath())
{
    QMutexLocker lock(&registryMutex());
    Held& held = registry()[m_key];
    if (held.users == 0) {
        auto file = std::make_unique<QLockFile>(m_key + QStringLiteral(".lock"));
        // Stale = its process is gone; a live owner keeps the lock however long it runs.
        file->setStaleLockTime(0);
        if (!file->tryLock(0)) {
            qint64 pid = 0;
            QString host, app;
            file->getLockInfo(&pid, &host, &app);
            registry().erase(m_key);
            if (file->error() == QLockFile::LockFailedError)
                throw ProjectLockedError(
                    QStringLiteral("%1 is open in another Finetune Studio window (%2, process %3 on %4). "
                                   "Close it there, or open this project read-only.")
                        .arg(QDir::toNativeSeparators(m_key), app.isEmpty() ? QStringLiteral("unknown program") : app)
                        .arg(pid)
                        .arg(host.isEmpty() ? QStringLiteral("this computer") : host));
            throw Error(QStringLiteral("Could not lock %1 for writing: the folder is not writable. "
                                       "Open the project read-only, or copy it somewhere writable.")
                            .arg(QDir::toNativeSeparators(m_key)));
        }
        held.file = std::move(file);
    }
    ++held.users;
}

ProjectLock::~ProjectLock()
{
    QMutexLocker lock(&registryMutex());
    auto it = registry().find(m_key);
    if (it != registry().end() && --it->second.users == 0)
        registry().erase(it); // QLockFile's destructor unlocks
}

} // namespace fts
