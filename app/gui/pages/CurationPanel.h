// The Data page's cleaning tools: one button per curation step (with preview), and the recipe with undo.
#pragma once

#include <QJsonObject>
#include <QWidget>

#include <functional>
#include <memory>

class QLabel;
class QListWidget;
class QPushButton;

namespace fts {

class CurationJob;
class CurationStepDialog;
class JobRunner;
class Project;

class CurationPanel : public QWidget
{
    Q_OBJECT
public:
    explicit CurationPanel(QWidget* parent = nullptr);
    void setContext(Project* project, JobRunner* jobs);
    void refreshRecipe();
    // Opens the step's dialog (what its button does); returns it for tests.
    CurationStepDialog* openStep(const QString& kind);
    void undoLast();

Q_SIGNALS:
    void dataChanged();

private:
    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    QListWidget* m_recipe;
    QPushButton* m_undo;
};

// Parameters of one step, Preview (nothing changes) and Apply, both run on the engine thread.
class CurationStepDialog : public QWidget
{
    Q_OBJECT
public:
    CurationStepDialog(const QString& kind, const QString& projectPath, JobRunner* jobs, QWidget* parent);
    QJsonObject params() const;
    void setParam(const QString& key, const QVariant& value);
    void preview();
    void apply();
    QString resultText() const;

Q_SIGNALS:
    void applied();

private:
    void run(bool preview);

    QString m_kind;
    QString m_projectPath;
    JobRunner* m_jobs;
    QList<std::pair<QString, QWidget*>> m_fields;
    QLabel* m_result;
    QPushButton* m_previewButton;
    QPushButton* m_applyButton;
    int m_job = 0;
    bool m_runningPreview = false;
    std::shared_ptr<CurationJob> m_running;
};

} // namespace fts
