// Drawing of job progress; the widget holds no job state beyond what it shows.
#include "JobStatusWidget.h"

#include "jobs/Job.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

namespace fts {

JobStatusWidget::JobStatusWidget(QWidget* parent)
    : QWidget(parent), m_title(new QLabel(this)), m_bar(new QProgressBar(this)),
      m_eta(new QLabel(this)), m_cancel(new QPushButton(tr("Cancel"), this))
{
    setObjectName(QStringLiteral("jobStatus"));
    m_bar->setObjectName(QStringLiteral("jobProgressBar"));
    m_eta->setObjectName(QStringLiteral("jobEta"));
    m_cancel->setObjectName(QStringLiteral("jobCancel"));
    m_cancel->setToolTip(tr("Stop the running job (Esc). Nothing it did is kept half-done."));
    m_bar->setFixedWidth(220);
    m_bar->setTextVisible(true);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_bar);
    layout->addWidget(m_eta);
    layout->addWidget(m_cancel);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_cancel->setEnabled(false);
        m_cancel->setText(tr("Cancelling…"));
        Q_EMIT cancelRequested();
    });
    showIdle();
}

void JobStatusWidget::showStarted(const QString& title)
{
    m_title->setText(title);
    m_bar->setRange(0, 0); // busy indicator until the job reports a total
    m_eta->clear();
    m_cancel->setEnabled(true);
    m_cancel->setText(tr("Cancel"));
    setVisible(true);
}

void JobStatusWidget::showProgress(const JobProgress& p)
{
    if (!p.stage.isEmpty())
        m_title->setText(p.stage);
    if (p.total > 0) {
        m_bar->setRange(0, 1000);
        m_bar->setValue(int(1000.0 * double(std::min(p.done, p.total)) / double(p.total)));
        m_bar->setFormat(QStringLiteral("%p%"));
    } else {
        m_bar->setRange(0, 0);
    }
    m_eta->setText(formatEta(p.etaSeconds));
}

void JobStatusWidget::showIdle()
{
    setVisible(false);
}

QString JobStatusWidget::formatDuration(double seconds)
{
    if (seconds < 10)
        return tr("%1 s").arg(seconds, 0, 'f', 1);
    const qint64 s = qRound64(seconds);
    if (s < 60)
        return tr("%1 s").arg(s);
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QString JobStatusWidget::formatEta(double seconds)
{
    if (seconds < 0)
        return {};
    if (seconds < 1)
        return tr("almost done");
    if (seconds < 90)
        return tr("about %1 s left").arg(qRound(seconds));
    if (seconds < 90 * 60)
        return tr("about %1 min left").arg(qRound(seconds / 60));
    return tr("about %1 h %2 min left").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

} // namespace fts
