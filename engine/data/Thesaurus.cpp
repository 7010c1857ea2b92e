// MyThes format: .idx lines "word|offset" into .dat, where "word|n" is followed by n lines
// "(pos)|synonym|synonym (qualifier)|...".
#include "data/Thesaurus.h"

#include "Error.h"

#include <QFile>

namespace fts {

QString Thesaurus::defaultPath()
{
    return QStringLiteral("/usr/share/mythes/th_en_US_v2.dat");
}

Thesaurus::Thesaurus(const QString& datPath) : m_datPath(datPath)
{
    QString idxPath = datPath;
    idxPath.replace(QLatin1String(".dat"), QLatin1String(".idx"));
    QFile idx(idxPath);
    if (!QFile::exists(datPath) || !idx.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("The thesaurus %1 is missing; synonym replacement needs it. Install the "
                                   "Debian package mythes-en-us (scripts/setup.sh does).").arg(datPath));
    idx.readLine(); // encoding
    idx.readLine(); // count
    while (!idx.atEnd()) {
        const QByteArray line = idx.readLine().trimmed();
        const qsizetype bar = line.lastIndexOf('|');
        if (bar > 0)
            m_offsets.insert(QString::fromUtf8(line.left(bar)), line.mid(bar + 1).toLongLong());
    }
}

QStringList Thesaurus::synonyms(const QString& word)
{
    const QString key = word.toLower();
    const auto cached = m_cache.constFind(key);
    if (cached != m_cache.constEnd())
        return *cached;
    QStringList out;
    const auto offset = m_offsets.constFind(key);
    QFile dat(m_datPath);
    if (offset != m_offsets.constEnd() && dat.open(QIODevice::ReadOnly) && dat.seek(*offset)) {
        const QList<QByteArray> head = dat.readLine().trimmed().split('|');
        const int senses = head.size() == 2 ? head[1].toInt() : 0;
        for (int s = 0; s < senses && !dat.atEnd(); ++s) {
            const QList<QByteArray> fields = dat.readLine().trimmed().split('|');
            for (int i = 1; i < fields.size(); ++i) {
                QString term = QString::fromUtf8(fields[i]);
                if (term.endsWith(QLatin1String(" (similar term)")))
                    term.chop(15);
                else if (term.contains(QLatin1Char('(')))
                    continue; // antonym, generic, related: may change the meaning
                if (!term.contains(QLatin1Char(' ')) && term.compare(key, Qt::CaseInsensitive) != 0 &&
                    !out.contains(term))
                    out << term;
            }
        }
    }
    m_cache.insert(key, out);
    return out;
}

} // namespace fts
