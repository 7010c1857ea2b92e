// Synonyms from a MyThes thesaurus (Debian's mythes-en-us: OpenOffice/WordNet-derived, BSD-style licence).
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

namespace fts {

class Thesaurus
{
public:
    static QString defaultPath(); // /usr/share/mythes/th_en_US_v2.dat
    // Opens the .dat file and its .idx; throws fts::Error naming the package to install.
    explicit Thesaurus(const QString& datPath = defaultPath());
    // Single-word synonyms that keep the meaning: plain entries and "(similar term)", never
    // antonyms or broader "(generic term)"s, which could change a sentiment label.
    QStringList synonyms(const QString& word);

private:
    QString m_datPath;
    QHash<QString, qint64> m_offsets;
    QHash<QString, QStringList> m_cache;
};

} // namespace fts
