// Layout of the welcome screen.
#include "WelcomePage.h"

#include "RecentProjects.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace fts {

WelcomePage::WelcomePage(QWidget* parent) : QWidget(parent), m_recent(new QListWidget(this))
{
    setObjectName(QStringLiteral("welcomePage"));
    auto* title = new QLabel(tr("<h1>Finetune Studio</h1>"
                                "<p>Fine-tune language models on your own data, on this computer.</p>"),
                             this);
    title->setTextFormat(Qt::RichText);

    auto* sample = new QPushButton(tr("Open the sample project"), this);
    sample->setObjectName(QStringLiteral("openSampleButton"));
    sample->setToolTip(tr("A sentiment dataset of 840 short reviews, ready to label and train on."));
    auto* create = new QPushButton(tr("New project…"), this);
    auto* open = new QPushButton(tr("Open project…"), this);
    for (QPushButton* b : {sample, create, open})
        b->setMinimumHeight(36);
    connect(sample, &QPushButton::clicked, this, &WelcomePage::sampleProjectRequested);
    connect(create, &QPushButton::clicked, this, &WelcomePage::newProjectRequested);
    connect(open, &QPushButton::clicked, this, &WelcomePage::openProjectRequested);

    m_recent->setObjectName(QStringLiteral("recentList"));
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        const QString path = item->data(Qt::UserRole).toString();
        if (!path.isEmpty())
            Q_EMIT recentProjectChosen(path);
    });

    auto* column = new QVBoxLayout;
    column->addWidget(title);
    column->addSpacing(12);
    column->addWidget(sample);
    column->addWidget(create);
    column->addWidget(open);
    column->addSpacing(18);
    column->addWidget(new QLabel(tr("<b>Recent projects</b> (double-click or Enter to open)"), this));
    column->addWidget(m_recent, 1);

    auto* outer = new QHBoxLayout(this);
    outer->addStretch(1);
    outer->addLayout(column, 2);
    outer->addStretch(1);
    refreshRecent();
}

void WelcomePage::refreshRecent()
{
    m_recent->clear();
    for (const QString& path : RecentProjects::list()) {
        auto* item = new QListWidgetItem(
            QStringLiteral("%1\n%2").arg(QFileInfo(path).completeBaseName(),
                                         QDir::toNativeSeparators(QFileInfo(path).absolutePath())),
            m_recent);
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
    }
    if (m_recent->count() == 0)
        new QListWidgetItem(tr("No recent projects yet."), m_recent);
}

} // namespace fts
