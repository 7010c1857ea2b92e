// The Label page: keyboard-first card mode. Number keys label and advance, Backspace/Ctrl+Z undo,
// S skips, arrows move, F flags, C comments; every label is on disk before the next card shows.
#pragma once

#include "label/LabelIssues.h"
#include "label/LabelSchema.h"
#include "label/Labeling.h"
#include "label/ModelSuggestions.h"

#include <QElapsedTimer>
#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QTabWidget;

namespace fts {

class JobRunner;
class LabelTablePanel;
class Project;
struct JobOutcome;

class LabelPage : public QWidget
{
    Q_OBJECT
public:
    explicit LabelPage(QWidget* parent = nullptr);
    void setProject(Project* project);
    void setJobRunner(JobRunner* jobs);
    void reload();
    // Trains the project's model with its saved settings on the labels so far (a job), then
    // refreshes the suggestions from the new run while labeling goes on.
    bool retrainSuggestions();
    // Re-predicts every row with the newest run (a job); false when there is no run.
    bool refreshModelSuggestions();
    const ModelSuggestions& modelSuggestions() const { return m_modelSuggestions; }
    // Cross-validates a classifier on the labels so far (a job) and, when it ends, shows the rows
    // whose label looks wrong as cards, most suspicious first. False when it cannot start.
    bool findLabelIssues();
    const LabelIssueReport& labelIssues() const { return m_issues; }
    // Chooses what the cards show: "unlabeled", "uncertain", "diverse", "issues" or "all".
    void setQueueMode(const QString& mode);
    QList<qint64> queue() const { return m_queue; }
    bool isBusyWithModel() const
    {
        return m_suggestJobId != 0 || m_retrainJobId != 0 || m_issueJobId != 0;
    }

    // What the keys do, callable from tests and menus as well.
    bool labelCurrent(int labelIndex);
    bool undo();
    void next();
    void previous();
    void toggleFlag();
    qint64 currentRow() const;
    int suggestedLabel() const { return m_suggested; }
    QString annotator() const;
    void setAnnotator(const QString& name);
    QString statusText() const;
    LabelTablePanel* tablePanel() const { return m_tablePanel; }
    void showTableMode(bool table);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void showCard();
    void syncTasks();
    void rebuildButtons();
    void updateProgress();
    void reportError(const QString& message);
    void onJobFinished(int id, const JobOutcome& outcome);
    void onIssuesFound(const JobOutcome& outcome);
    void orderQueue(const QString& mode);
    // The probabilities for `row`: the trained run's when it has them, else the word lexicon's
    // (empty when neither applies). `source` names where they came from.
    std::vector<double> suggestionFor(qint64 row, const QString& text, QString* source) const;

    Project* m_project = nullptr;
    LabelSchema m_schema;
    QList<qint64> m_queue;
    int m_position = 0;
    QList<LabelChange> m_undo;
    int m_sessionLabels = 0;
    bool m_schemaSaved = false;
    int m_suggested = -1; // label index the card suggests, -1 for none
    QElapsedTimer m_sessionClock;
    JobRunner* m_jobs = nullptr;
    ModelSuggestions m_modelSuggestions;
    int m_suggestJobId = 0, m_retrainJobId = 0, m_issueJobId = 0;
    std::shared_ptr<SuggestJob> m_suggestJob;
    std::shared_ptr<LabelIssueJob> m_issueJob;
    LabelIssueReport m_issues;
    QLabel* m_modelState;

    QComboBox* m_task;
    QComboBox* m_filter;
    QLineEdit* m_annotator;
    QLabel* m_text;
    QLabel* m_state;
    QLabel* m_guide;
    QHBoxLayout* m_buttons;
    QLineEdit* m_comment;
    QProgressBar* m_progress;
    QLabel* m_status;
    QTabWidget* m_modes;
    LabelTablePanel* m_tablePanel;
};

} // namespace fts
