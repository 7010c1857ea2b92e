// The screen shown with no project open: new, open, the sample project, and recent projects.
#pragma once

#include <QWidget>

class QListWidget;

namespace fts {

class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget* parent = nullptr);
    void refreshRecent();

Q_SIGNALS:
    void newProjectRequested();
    void openProjectRequested();
    void sampleProjectRequested();
    void recentProjectChosen(const QString& path);

private:
    QListWidget* m_recent;
};

} // namespace fts
