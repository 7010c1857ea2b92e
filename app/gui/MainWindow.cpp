// Main window wiring: menus and shortcuts, project open/create/save-as, jobs to the engine thread.
#include "MainWindow.h"

#include "Error.h"
#include "ImportDialog.h"
#include "JobStatusWidget.h"
#include "ProjectWorkspace.h"
#include "RecentProjects.h"
#include "WelcomePage.h"
#include "data/Importer.h"
#include "jobs/JobRunner.h"
#include "pages/DataPage.h"
#include "project/Project.h"
#include "project/ProjectLock.h"
#include "project/SampleProject.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>

// The resources live in a static library: reference them so the linker keeps them.
static void initStudioResources()
{
    Q_INIT_RESOURCE(studio);
}

namespace fts {
namespace {
const QString kProjectFilter = QStringLiteral("Finetune Studio projects (*.ftproj)");
const QString kSampleDataset = QStringLiteral(":/datasets/sentiment.csv");
const QString kSampleFeedback = QStringLiteral(":/datasets/house-style.jsonl");
// Beside the sample project: the Train page's chat and summarization templates start from them.
const QStringList kSampleSideFiles = {QStringLiteral(":/datasets/chat.jsonl"),
                                      QStringLiteral(":/datasets/summaries.jsonl")};
constexpr int kStatusMessageMs = 8000;
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_jobs(new JobRunner(this)), m_stack(new QStackedWidget(this)),
      m_welcome(new WelcomePage(this)), m_workspace(new ProjectWorkspace(m_jobs, this)),
      m_jobStatus(new JobStatusWidget(this))
{
    initStudioResources();
    setObjectName(QStringLiteral("mainWindow"));
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_workspace);
    setCentralWidget(m_stack);
    statusBar()->addPermanentWidget(m_jobStatus);
    buildMenus();

    connect(m_welcome, &WelcomePage::sampleProjectRequested, this, &MainWindow::openSampleProject);
    connect(m_welcome, &WelcomePage::recentProjectChosen, this, &MainWindow::openProject);
    connect(m_workspace, &ProjectWorkspace::importRequested, this, [this] {
        ImportDialog dialog(this);
        if (dialog.exec() == QDialog::Accepted)
            startImport(dialog.options());
    });
    connect(m_jobStatus, &JobStatusWidget::cancelRequested, m_jobs, &JobRunner::cancelAll);
    connect(m_jobs, &JobRunner::jobStarted, m_jobStatus, [this](int, const QString& title) {
        m_jobStatus->showStarted(title);
    });
    connect(m_jobs, &JobRunner::jobProgress, m_jobStatus,
            [this](int, const JobProgress& p) { m_jobStatus->showProgress(p); });
    connect(m_jobs, &JobRunner::jobFinished, this, &MainWindow::onJobFinished);
    connect(m_jobs, &JobRunner::idle, m_jobStatus, &JobStatusWidget::showIdle);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1180, 760);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateTitle();
}

MainWindow::~MainWindow() = default;

QString MainWindow::sampleFolder()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/samples");
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Project…"), QKeySequence::New, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("New project"), QString(), kProjectFilter);
        if (!path.isEmpty())
            createProject(QFileInfo(path).suffix().isEmpty() ? path + QStringLiteral(".ftproj") : path);
    });
    file->addAction(tr("&Open Project…"), QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open project"), QString(),
                                                          kProjectFilter + QStringLiteral(";;All files (*)"));
        if (!path.isEmpty())
            openProject(path);
    });
    QMenu* recent = file->addMenu(tr("Open &Recent"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] {
        recent->clear();
        for (const QString& p : RecentProjects::list())
            recent->addAction(QDir::toNativeSeparators(p), this, [this, p] { openProject(p); });
        if (recent->isEmpty())
            recent->addAction(tr("No recent projects"))->setEnabled(false);
    });
    file->addAction(tr("Open the &Sample Project"), this, &MainWindow::openSampleProject);
    file->addSeparator();
    QAction* save = file->addAction(tr("&Save"), QKeySequence::Save, this, [this] {
        statusBar()->showMessage(tr("Every change is saved the moment it is made; nothing to save."),
                                 kStatusMessageMs);
    });
    QAction* saveAs = file->addAction(tr("Save Project &As…"), QKeySequence::SaveAs, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save project as"), QString(), kProjectFilter);
        if (!path.isEmpty())
            saveProjectAs(QFileInfo(path).suffix().isEmpty() ? path + QStringLiteral(".ftproj") : path);
    });
    file->addSeparator();
    QAction* import = m_importAction = file->addAction(tr("&Import Data…"), QKeySequence(tr("Ctrl+I")), m_workspace,
                                      &ProjectWorkspace::importRequested);
    file->addSeparator();
    QAction* close = file->addAction(tr("&Close Project"), QKeySequence::Close, this, &MainWindow::closeProject);
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList pages = {tr("&Data"), tr("&Label"), tr("&Model"), tr("&Train"), tr("&Evaluate"), tr("De&ploy"),
                               tr("&Feedback")};
    for (int i = 0; i < pages.size(); ++i)
        m_projectActions << view->addAction(pages[i], QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                                            [this, i] { m_workspace->showPage(ProjectWorkspace::Page(i)); });
    QAction* search = view->addAction(tr("&Find Rows"), QKeySequence::Find, this, [this] {
        m_workspace->showPage(ProjectWorkspace::Data);
        if (auto* box = m_workspace->dataPage()->findChild<QLineEdit*>(QStringLiteral("dataSearch")))
            box->setFocus();
    });
    QAction* cancel = new QAction(tr("Cancel Running Job"), this);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(cancel, &QAction::triggered, m_jobs, &JobRunner::cancelAll);
    addAction(cancel);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Finetune Studio"), this, [this] {
        QMessageBox::about(this, tr("About Finetune Studio"),
                           tr("<h3>Finetune Studio %1</h3><p>Fine-tune pre-trained language models on "
                              "your own data, offline.</p>").arg(QStringLiteral(FTS_VERSION)));
    });
    m_projectActions << save << saveAs << close << search;
}

void MainWindow::showError(const QString& title, const QString& message)
{
    m_lastError = message;
    statusBar()->showMessage(message, kStatusMessageMs);
    // Window-modal but non-blocking, so the engine's signals keep flowing (and tests never hang).
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::updateTitle()
{
    Project* p = m_workspace->project();
    setWindowTitle(!p ? tr("Finetune Studio")
                      : p->isReadOnly() ? tr("%1 (read-only) — Finetune Studio").arg(p->name())
                                        : tr("%1 — Finetune Studio").arg(p->name()));
    for (QAction* a : std::as_const(m_projectActions))
        a->setEnabled(p != nullptr);
    m_importAction->setEnabled(p && !p->isReadOnly());
    m_stack->setCurrentWidget(p ? static_cast<QWidget*>(m_workspace) : m_welcome);
}

bool MainWindow::refuseWhileBusy()
{
    if (!m_jobs->isBusy())
        return false;
    showError(tr("A job is running"),
              tr("Wait for the running job to finish, or cancel it (Esc), before switching projects."));
    return true;
}

bool MainWindow::openProject(const QString& path)
{
    return openProjectWith(path, false);
}

bool MainWindow::openProjectReadOnly(const QString& path)
{
    return openProjectWith(path, true);
}

void MainWindow::offerReadOnly(const QString& path, const QString& reason)
{
    m_lastError = reason;
    auto* box = new QMessageBox(QMessageBox::Question, tr("The project is in use"),
                                reason + tr("\n\nOpen it read-only? You can look at everything but "
                                            "change nothing."),
                                QMessageBox::Open | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("readOnlyOffer"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, path](int result) {
        if (result == QMessageBox::Open)
            openProjectReadOnly(path);
    });
    box->open();
}

bool MainWindow::openProjectWith(const QString& path, bool readOnly)
{
    if (refuseWhileBusy())
        return false;
    try {
        auto project = Project::open(path, readOnly ? Project::Access::ReadOnly : Project::Access::ReadWrite);
        // A sample project made before the starter model was installed gets it now.
        if (QFileInfo(path).fileName() == QLatin1String(SampleProjectFileName))
            useStarterModel(*project);
        m_workspace->setProject(std::move(project));
    } catch (const ProjectLockedError& e) {
        offerReadOnly(path, e.message());
        return false;
    } catch (const Error& e) {
        showError(tr("Could not open the project"), e.message());
        return false;
    }
    RecentProjects::add(path);
    QSettings().setValue(QStringLiteral("lastProject"), QFileInfo(path).absoluteFilePath());
    m_lastError.clear();
    updateTitle();
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(path)), kStatusMessageMs);
    return true;
}

bool MainWindow::createProject(const QString& path)
{
    if (refuseWhileBusy())
        return false;
    try {
        Project::create(path);
    } catch (const Error& e) {
        showError(tr("Could not create the project"), e.message());
        return false;
    }
    return openProject(path);
}

bool MainWindow::saveProjectAs(const QString& path)
{
    Project* p = m_workspace->project();
    if (!p || refuseWhileBusy())
        return false;
    try {
        p->saveCopyAs(path);
    } catch (const Error& e) {
        showError(tr("Could not save the project"), e.message());
        return false;
    }
    return openProject(path);
}

void MainWindow::closeProject()
{
    if (refuseWhileBusy())
        return;
    m_workspace->setProject(nullptr);
    QSettings().remove(QStringLiteral("lastProject"));
    m_welcome->refreshRecent();
    updateTitle();
}

void MainWindow::openSampleProject()
{
    const QString path = QDir(sampleFolder()).absoluteFilePath(QLatin1String(SampleProjectFileName));
    if (QFileInfo::exists(path)) {
        openProject(path);
        return;
    }
    if (refuseWhileBusy())
        return;
    m_sampleJobObject = std::make_shared<SampleProjectJob>(sampleFolder(), kSampleDataset, kSampleFeedback,
                                                            kSampleSideFiles);
    m_sampleJob = m_jobs->submit(m_sampleJobObject);
}

int MainWindow::startImport(const ImportOptions& options)
{
    Project* p = m_workspace->project();
    if (!p) {
        showError(tr("No project is open"), tr("Open or create a project before importing data."));
        return 0;
    }
    if (p->isReadOnly()) {
        showError(tr("The project is read-only"),
                  tr("This project is open read-only because another window has it open; close it "
                     "there and reopen it here to import."));
        return 0;
    }
    return m_jobs->submit(std::make_shared<ImportJob>(p->path(), options));
}

void MainWindow::onJobFinished(int id, const JobOutcome& outcome)
{
    if (outcome.status == JobStatus::Failed)
        showError(tr("The job failed"), outcome.message);
    else
        statusBar()->showMessage(outcome.message, kStatusMessageMs);
    if (id == m_sampleJob) {
        const QString path = m_sampleJobObject ? m_sampleJobObject->path() : QString();
        m_sampleJob = 0;
        m_sampleJobObject.reset();
        if (outcome.status == JobStatus::Succeeded && !path.isEmpty())
            openProject(path);
        return;
    }
    m_workspace->refresh();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_jobs->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("A job is running"),
            tr("A job is still running. Quit anyway? It will be cancelled and its partial work discarded."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_jobs->cancelAll();
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace fts
