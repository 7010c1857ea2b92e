// The studio's main window: menus, the welcome screen or an open project, and the job status bar.
#pragma once

#include <QMainWindow>

#include <memory>

class QStackedWidget;

namespace fts {

class JobRunner;
class JobStatusWidget;
class ProjectWorkspace;
class SampleProjectJob;
class WelcomePage;
struct ImportOptions;
struct JobOutcome;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Each returns false and shows the reason (also kept in lastError()) when it fails.
    bool openProject(const QString& path);
    // Opens without the write lock (another studio has the project open); nothing can be changed.
    bool openProjectReadOnly(const QString& path);
    bool createProject(const QString& path);
    bool saveProjectAs(const QString& path);
    void closeProject();
    // Builds the sample project on first use (on the engine thread), then opens it.
    void openSampleProject();
    // Runs the import on the engine thread; the Data page refreshes when it finishes.
    int startImport(const ImportOptions& options);

    JobRunner* jobs() const { return m_jobs; }
    ProjectWorkspace* workspace() const { return m_workspace; }
    WelcomePage* welcomePage() const { return m_welcome; }
    QString lastError() const { return m_lastError; }
    static QString sampleFolder();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void showError(const QString& title, const QString& message);
    void updateTitle();
    bool refuseWhileBusy();
    void onJobFinished(int id, const JobOutcome& outcome);
    bool openProjectWith(const QString& path, bool readOnly);
    void offerReadOnly(const QString& path, const QString& reason);

    JobRunner* m_jobs;
    QStackedWidget* m_stack;
    WelcomePage* m_welcome;
    ProjectWorkspace* m_workspace;
    JobStatusWidget* m_jobStatus;
    QString m_lastError;
    int m_sampleJob = 0;
    std::shared_ptr<SampleProjectJob> m_sampleJobObject;
    QList<QAction*> m_projectActions;
    QAction* m_importAction = nullptr;
};

} // namespace fts
