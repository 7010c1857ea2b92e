// Small helpers shared by the test suites: writing fixture files and hashing them.
#pragma once

#include "Error.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
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

// Renders page 1 of a PDF with poppler's pdftoppm (as a reader would open it) to
// `outPrefix`.png; true when that worked and the page is not blank (a blank A4 page at 50 dpi is a
// PNG of a few hundred bytes).
inline bool renderPdfFirstPage(const QString& pdf, const QString& outPrefix)
{
    QProcess p;
    p.start(QStringLiteral("pdftoppm"), {QStringLiteral("-png"), QStringLiteral("-f"), QStringLiteral("1"),
                                         QStringLiteral("-l"), QStringLiteral("1"), QStringLiteral("-r"),
                                         QStringLiteral("50"), QStringLiteral("-singlefile"), pdf, outPrefix});
    if (!p.waitForStarted()) {
        qWarning("pdftoppm is missing: install poppler-utils (scripts/setup.sh does)");
        return false;
    }
    p.waitForFinished(60000);
    QFile png(outPrefix + QStringLiteral(".png"));
    if (p.exitCode() != 0 || !png.open(QIODevice::ReadOnly)) {
        qWarning("pdftoppm failed: %s", p.readAllStandardError().constData());
        return false;
    }
    const QByteArray bytes = png.readAll();
    return bytes.startsWith("\x89PNG") && bytes.size() > 3000;
}

} // namespace fts::test
