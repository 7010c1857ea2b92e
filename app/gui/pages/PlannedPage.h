// A workflow page whose feature has not landed yet: says so plainly and what it will do.
#pragma once

#include <QWidget>

namespace fts {

class PlannedPage : public QWidget
{
    Q_OBJECT
public:
    PlannedPage(const QString& title, const QString& purpose, const QString& status,
                QWidget* parent = nullptr);
};

} // namespace fts
