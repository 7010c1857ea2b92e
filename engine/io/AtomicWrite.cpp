// QSaveFile gives the temp-file-and-rename; fsync of file and folder makes it survive power loss.
#include "io/AtomicWrite.h"

#include "Error.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <fcntl.h>
#include <unistd.h>

namespace fts {

void writeFileAtomically(const QString& path, const std::function<void(QIODevice&)>& write)
{
    const QFileInfo info(path);
    if (!info.absoluteDir().exists())
        throw Error(QStringLiteral("The folder %1 does not exist.")
                        .arg(QDir::toNativeSeparators(info.absolutePath())));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw Error(QStringLiteral("Could not write %1: %2")
                        .arg(QDir::toNativeSeparators(path), file.errorString()));
    try {
        write(file);
    } catch (...) {
        file.cancelWriting();
        throw;
    }
    if (file.error() != QFileDevice::NoError || !file.flush() || ::fsync(file.handle()) != 0) {
        const QString reason = file.errorString();
        file.cancelWriting();
        throw Error(QStringLiteral("Could not write %1 (%2). The previous version, if any, is kept. "
                                   "Check that the disk has free space.")
                        .arg(QDir::toNativeSeparators(path), reason));
    }
    if (!file.commit())
        throw Error(QStringLiteral("Could not save %1 (%2). The previous version, if any, is kept.")
                        .arg(QDir::toNativeSeparators(path), file.errorString()));
    const int dir = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir); // make the rename itself durable
        ::close(dir);
    }
}

} // namespace fts
