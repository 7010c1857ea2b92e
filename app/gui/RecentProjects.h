// The recent-projects list and the last opened project, kept in QSettings.
#pragma once

#include <QStringList>

namespace fts {

class RecentProjects
{
public:
    static constexpr int MaxEntries = 10;
    // Existing files only, most recent first.
    static QStringList list();
    static void add(const QString& path);
    static void remove(const QString& path);
    static QString last();
};

} // namespace fts
