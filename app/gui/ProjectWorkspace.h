// An open project: the workflow sidebar (Data, Label, Model, Train, Evaluate, Deploy, Feedback) and
// its pages.
#pragma once

#include <QWidget>

#include <memory>

class QListWidget;
class QStackedWidget;

namespace fts {

class DataPage;
class LabelPage;
class ModelPage;
class TrainPage;
class EvaluatePage;
class FeedbackPage;
class JobRunner;
class Project;

class ProjectWorkspace : public QWidget
{
    Q_OBJECT
public:
    enum Page { Data, Label, Model, Train, Evaluate, Deploy, Feedback, PageCount };

    explicit ProjectWorkspace(JobRunner* jobs, QWidget* parent = nullptr);
    ~ProjectWorkspace() override;

    // Takes the GUI thread's connection to the project (nullptr closes).
    void setProject(std::unique_ptr<Project> project);
    Project* project() const { return m_project.get(); }
    void showPage(Page page);
    Page currentPage() const;
    QWidget* page(Page page) const;
    DataPage* dataPage() const { return m_dataPage; }
    LabelPage* labelPage() const { return m_labelPage; }
    ModelPage* modelPage() const { return m_modelPage; }
    TrainPage* trainPage() const { return m_trainPage; }
    EvaluatePage* evaluatePage() const { return m_evaluatePage; }
    FeedbackPage* feedbackPage() const { return m_feedbackPage; }
    // Re-reads the project after the engine changed it (an import finished, say).
    void refresh();

Q_SIGNALS:
    void importRequested();

private:
    std::unique_ptr<Project> m_project;
    QListWidget* m_nav;
    QStackedWidget* m_pages;
    DataPage* m_dataPage;
    LabelPage* m_labelPage;
    ModelPage* m_modelPage;
    TrainPage* m_trainPage;
    EvaluatePage* m_evaluatePage;
    FeedbackPage* m_feedbackPage;
    JobRunner* m_jobs;
};

} // namespace fts
