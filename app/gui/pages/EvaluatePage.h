// The Evaluate page: a predictor's metrics on a split, the confusion matrix (click a cell to list
// those rows), per-class precision/recall/F1 bars, and the errors sorted by confidence with relabel.
#pragma once

#include "train/Evaluation.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace fts {

class ConfusionMatrixWidget;
class EvaluateRunJob;
class EvaluateSftRunJob;
struct GenerationEvaluation;
class JobRunner;
class Project;

class EvaluatePage : public QWidget
{
    Q_OBJECT
public:
    explicit EvaluatePage(QWidget* parent = nullptr);
    void setProject(Project* project);
    void setJobRunner(JobRunner* jobs);
    // Lists the project's runs that have a checkpoint, newest first, then the lexicon baseline.
    void reloadPredictors();
    // Evaluates the chosen predictor on the chosen split; false with the reason shown on failure.
    // A run is evaluated by a job: true means it was started, the page fills in when it ends.
    bool evaluate();
    // Chooses run `runId` (false when it has no checkpoint); showRun also evaluates it.
    bool chooseRun(qint64 runId);
    bool showRun(qint64 runId);
    // Evaluates unless the shown result is already for the chosen predictor, split and task;
    // true when it started (or made) an evaluation.
    bool evaluateIfStale();
    bool isEvaluating() const;
    // Shows only the rows with this (true, predicted) pair; (-1, -1) shows every error.
    void filterErrors(int truth, int predicted);
    // Gives the selected error row its correct label (recorded in the label history).
    bool relabelSelected(const QString& label, const QString& annotator);
    QString summaryText() const;
    QTableWidget* errorTable() const { return m_errors; }
    ConfusionMatrixWidget* confusion() const { return m_confusion; }
    // The reliability diagram: a bar per non-empty confidence bin, the diagonal as a graph.
    QCustomPlot* calibrationPlot() const { return m_calibration; }

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void drawClassBars();
    void drawCalibration();
    void showEvaluation();
    void showGeneration(const GenerationEvaluation& evaluation, bool stored);
    void setTableMode(bool answers);
    QString keptNote(qint64 runId) const; // "Kept with run N…" after a stored evaluation
    QString choiceKey() const;

    Project* m_project = nullptr;
    Evaluation m_evaluation;
    JobRunner* m_jobs = nullptr;
    int m_jobId = 0;
    QString m_shownKey;   // choiceKey() of the result on screen
    QString m_pendingKey; // choiceKey() of the evaluation being made
    std::shared_ptr<EvaluateRunJob> m_job;
    std::shared_ptr<EvaluateSftRunJob> m_sftJob; // a chat or summarization run
    QComboBox* m_predictor;
    QComboBox* m_split;
    QLabel* m_summary;
    ConfusionMatrixWidget* m_confusion;
    QCustomPlot* m_bars;
    QCustomPlot* m_calibration;
    QWidget* m_charts;     // the three charts of a classifier's evaluation
    QLabel* m_tableTitle;
    QTableWidget* m_errors;
};

} // namespace fts
