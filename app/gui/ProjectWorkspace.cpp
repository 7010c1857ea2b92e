// Builds the workflow pages; pages whose issue has not landed say so instead of pretending.
#include "ProjectWorkspace.h"

#include "pages/DataPage.h"
#include "pages/DeployPage.h"
#include "pages/LabelPage.h"
#include "pages/ModelPage.h"
#include "pages/EvaluatePage.h"
#include "pages/FeedbackPage.h"
#include "pages/TrainPage.h"
#include "pages/PlannedPage.h"
#include "project/Project.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QStackedWidget>

namespace fts {

ProjectWorkspace::ProjectWorkspace(JobRunner* jobs, QWidget* parent)
    : QWidget(parent), m_nav(new QListWidget(this)), m_pages(new QStackedWidget(this)),
      m_dataPage(new DataPage(this)), m_labelPage(new LabelPage(this)), m_modelPage(new ModelPage(this)), m_trainPage(new TrainPage(this)), m_evaluatePage(new EvaluatePage(this)), m_feedbackPage(new FeedbackPage(this)), m_jobs(jobs)
{
    setObjectName(QStringLiteral("projectWorkspace"));
    m_dataPage->setJobRunner(jobs);
    m_evaluatePage->setJobRunner(jobs);
    m_labelPage->setJobRunner(jobs);
    connect(m_trainPage, &TrainPage::evaluateRunRequested, this, [this](qint64 runId) {
        m_evaluatePage->chooseRun(runId);
        m_nav->setCurrentRow(Evaluate); // evaluates the chosen run
    });
    connect(m_trainPage, &TrainPage::runsChanged, m_evaluatePage, &EvaluatePage::reloadPredictors);
    connect(m_trainPage, &TrainPage::runsChanged, m_labelPage, &LabelPage::refreshModelSuggestions);
    m_nav->setObjectName(QStringLiteral("workflowNav"));
    m_nav->setFixedWidth(150);
    m_nav->setSpacing(2);
    QFont navFont = m_nav->font();
    navFont.setPointSizeF(navFont.pointSizeF() * 1.15);
    m_nav->setFont(navFont);

    struct Entry { QString name; QWidget* page; };
    const QList<Entry> entries = {
        {tr("Data"), m_dataPage},
        {tr("Label"), m_labelPage},
        {tr("Model"), m_modelPage},
        {tr("Train"), m_trainPage},
        {tr("Evaluate"), m_evaluatePage},
        {tr("Deploy"), new DeployPage(this)},
        {tr("Feedback"), m_feedbackPage},
    };
    for (const Entry& e : entries) {
        auto* item = new QListWidgetItem(e.name, m_nav);
        item->setSizeHint(QSize(0, 36));
        m_pages->addWidget(e.page);
    }
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    connect(m_nav, &QListWidget::currentRowChanged, this, [this](int row) {
        // Pages show what other pages changed (labels from the Data page's import, say).
        if (row == Data)
            m_dataPage->refresh();
        else if (row == Evaluate && m_project)
            m_evaluatePage->evaluateIfStale(); // the newest run (a job) or the instant baseline
        else if (row == Deploy && m_project)
            findChild<DeployPage*>()->reloadRuns(); // runs may have finished since
        else if (row == Feedback && m_project)
            m_feedbackPage->reload();
        else if (row == Label && m_project) {
            m_labelPage->reload();
            m_labelPage->setFocus();
        }
    });
    connect(m_dataPage, &DataPage::importRequested, this, &ProjectWorkspace::importRequested);
    m_nav->setCurrentRow(Data);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_nav);
    layout->addWidget(m_pages, 1);
}

ProjectWorkspace::~ProjectWorkspace()
{
    // Pages hold models over the connection: detach them before the connection closes.
    m_dataPage->setProject(nullptr);
    m_feedbackPage->setContext(nullptr, nullptr);
}

void ProjectWorkspace::setProject(std::unique_ptr<Project> project)
{
    m_dataPage->setProject(nullptr);
    m_labelPage->setProject(nullptr);
    m_project = std::move(project);
    m_dataPage->setProject(m_project.get());
    m_labelPage->setProject(m_project.get());
    m_modelPage->setContext(m_project.get(), m_jobs);
    m_trainPage->setProject(m_project.get(), m_jobs);
    m_evaluatePage->setProject(m_project.get());
    findChild<DeployPage*>()->setContext(m_project.get(), m_jobs);
    m_feedbackPage->setContext(m_project.get(), m_jobs);
    showPage(Data);
}

void ProjectWorkspace::showPage(Page page)
{
    m_nav->setCurrentRow(page);
}

ProjectWorkspace::Page ProjectWorkspace::currentPage() const
{
    return Page(m_nav->currentRow());
}

QWidget* ProjectWorkspace::page(Page page) const
{
    return m_pages->widget(page);
}

void ProjectWorkspace::refresh()
{
    m_dataPage->refresh();
    if (currentPage() == Label)
        m_labelPage->reload();
}

} // namespace fts
