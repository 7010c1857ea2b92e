// Recent projects in QSettings ("recentProjects"), pruned of files that no longer exist.
#include "RecentProjects.h"

#include <QFileInfo>
#include <QSettings>

namespace fts {
namespace {
const QString kKey = QStringLiteral("recentProjects");
}

QStringList RecentProjects::list()
{
    QStringList out;
    for (const QString& p : QSettings().value(kKey).toStringList())
        if (QFileInfo::exists(p))
            out << p;
    return out;
}

void RecentProjects::add(const QString& path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList l = QSettings().value(kKey).toStringList();
    l.removeAll(abs);
    l.prepend(abs);
    while (l.size() > MaxEntries)
        l.removeLast();
    QSettings().setValue(kKey, l);
}

void RecentProjects::remove(const QString& path)
{
    QStringList l = QSettings().value(kKey).toStringList();
    l.removeAll(QFileInfo(path).absoluteFilePath());
    QSettings().setValue(kKey, l);
}

QString RecentProjects::last()
{
    const QStringList l = list();
    return l.isEmpty() ? QString() : l.first();
}

} // namespace fts
