// QSaveFile gives the temp-file-and-rename; fsync of file and folder makes it survive power loss.
#include "io/AtomicWrite.h"

#include "Error.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fts {
namespace {

// Passes writes through to the save file and remembers any that did not go through whole, so a
// caller that ignores write()'s result cannot end up committing a truncated file.
class CheckedWriter : public QIODevice
{
public:
    explicit CheckedWriter(QIODevice& target) : m_target(target) { open(QIODevice::WriteOnly); }
    bool failed() const { return m_failed; }
    qint64 requested() const { return m_requested; }

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 len) override
    {
        m_requested += len;
        const qint64 written = m_target.write(data, len);
        if (written != len)
            m_failed = true;
        return written;
    }

private:
    QIODevice& m_target;
    bool m_failed = false;
    qint64 m_requested = 0;
};

} // namespace

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
    CheckedWriter checked(file);
    try {
        write(checked);
    } catch (...) {
        file.cancelWriting();
        throw;
    }
    // Compare what was written with what is on disk: a write stopped by a full disk or a file-size
    // limit can go unreported by QSaveFile (seen here under RLIMIT_FSIZE), leaving a truncated file.
    const bool flushed = file.flush();
    struct stat st {};
    const bool complete = !checked.failed() && ::fstat(file.handle(), &st) == 0 && st.st_size == checked.requested();
    if (file.error() != QFileDevice::NoError || !flushed || !complete || ::fsync(file.handle()) != 0) {
        const QString reason = complete ? file.errorString()
                                        : QStringLiteral("only %1 of %2 bytes could be written").arg(qint64(st.st_size)).arg(checked.requested());
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

void writeJsonAtomically(const QString& path, const QJsonObject& object)
{
    writeFileAtomically(path, [&](QIODevice& out) {
        out.write(QJsonDocument(object).toJson(QJsonDocument::Indented));
    });
}

} // namespace fts
