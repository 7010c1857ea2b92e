// Small helpers shared by the test suites: writing fixture files and hashing them.
#pragma once

#include "Error.h"

#include <QCryptographicHash>
#include <QFile>
#include <QString>
#include <QSysInfo>

#include <functional>

namespace fts::test {

// English text every Debian has (a few thousand lines): the corpus tokenizer tests train on.
inline const QString kLicenseCorpus = QStringLiteral("/usr/share/common-licenses/GPL-3");

inline void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(bytes);
}

inline QByteArray fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
}

// Makes '<project>.lock' look held by the live process `pid` running `program` (QLockFile's format:
// pid, program name, host), as if another studio had the project open.
inline void writeLockHeldBy(const QString& projectPath, qint64 pid, const QByteArray& program)
{
    writeFile(projectPath + QStringLiteral(".lock"),
              QByteArray::number(pid) + '\n' + program + '\n' + QSysInfo::machineHostName().toUtf8() + '\n');
}

// The message of the fts::Error that `f` throws, or an empty string when it throws none.
inline QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.message();
    }
    return {};
}

} // namespace fts::test
