// Status-bar widget for the running job: title, progress bar, time left, and a Cancel button.
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace fts {
struct JobProgress;

class JobStatusWidget : public QWidget
{
    Q_OBJECT
public:
    explicit JobStatusWidget(QWidget* parent = nullptr);

    void showStarted(const QString& title);
    void showProgress(const JobProgress& progress);
    void showIdle();

    // "about 2 min left", "about 12 s left", "" when unknown: what the ETA label shows.
    static QString formatEta(double seconds);
    // How long something took: "0.4 s", "42 s", "3 min 5 s", "2 h 10 min".
    static QString formatDuration(double seconds);

Q_SIGNALS:
    void cancelRequested();

private:
    QLabel* m_title;
    QProgressBar* m_bar;
    QLabel* m_eta;
    QPushButton* m_cancel;
};

} // namespace fts
