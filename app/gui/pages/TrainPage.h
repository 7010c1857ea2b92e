// The Train page: method, presets and the hyperparameter editor on the left (checked against the
// project's data and model, saved with the project); on the right, starting, pausing and resuming
// runs on the engine thread with live curves, and the project's run history to compare and clone.
#pragma once

#include "align/AlignTypes.h"
#include "train/TrainTypes.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QTableWidget;
class QTimer;

namespace fts {

class HyperparameterEditor;
class JobRunner;
class Project;
class AlignJob;
class EvaluateRunJob;
class ParameterCountJob;
class TrainJob;
class RateChart;
class FewShotDialog;
class SweepDialog;
class SftTaskPanel;
class TrainingChart;
struct JobOutcome;

class TrainPage : public QWidget
{
    Q_OBJECT
public:
    explicit TrainPage(QWidget* parent = nullptr);
    void setProject(Project* project, JobRunner* jobs = nullptr);
    HyperparameterEditor* editor() const { return m_editor; }
    SftTaskPanel* sftPanel() const { return m_sft; }
    // "classification" (an encoder on the project's labeled rows), "chat" or "summarization" (a
    // decoder on a JSONL file, loss only on the answer or summary tokens).
    void setTask(const QString& task);
    QString task() const;
    // The label tasks a classification run trains: one (the first by default), or several for a
    // multi-task run (one shared model, a head per task; weights in the editor's task_weights).
    void setTrainTasks(const QStringList& tasks);
    QStringList trainTasks() const;
    void applyPreset(const QString& name);
    // Validates against the data and the chosen model; returns true when the settings can run.
    bool check();
    bool save();
    QString checkText() const;

    // Starts a run with the editor's settings; false (reason shown) when it cannot start.
    bool startTraining();
    // Holds the running run in memory between two steps (nothing is written); Continue goes on.
    void pauseTraining();
    void continueTraining();
    bool isPaused() const;
    // Stops the running run after saving a checkpoint; Resume run continues it exactly, later.
    void stopTraining();
    // Continues the selected paused, cancelled or failed run from its last checkpoint.
    bool resumeSelected();
    // Loads the selected run's hyperparameters into the editor (to change one knob and rerun).
    bool cloneSelected();
    // Evaluates run `runId` on the test split (a job) and writes its report to `file` (PDF when
    // it ends in .pdf, HTML otherwise); 2 to 6 runs give a comparison report.
    bool saveReport(qint64 runId, const QString& file);
    bool saveReport(const QList<qint64>& runIds, const QString& file);
    bool isTraining() const { return m_trainJobId != 0; }
    // Opens the sweep dialog on the editor's settings (refused, with the reason in the live line,
    // for decoder tasks, several label tasks, no model, or invalid settings); one at a time.
    SweepDialog* openSweep();
    // Few-shot prompting of a decoder on the task's labels, kept as a run beside the trained ones.
    FewShotDialog* openFewShot();
    bool isSweeping() const;
    void reloadRuns();
    QTableWidget* runTable() const { return m_runs; }
    TrainingChart* chart() const { return m_chart; }
    RateChart* rateChart() const { return m_rates; }
    QString liveText() const;
    // What the trainer said about the running or last run besides its progress: warnings such as
    // a label the train split lacks, early stopping.
    QString notesText() const;
    QString comparisonText() const;
    // "Trains 12,418 of 1,912,066 parameters (0.65%)…" for the editor's method on the chosen
    // model, counted by a job shortly after the method's settings change.
    QString parameterCountText() const;

Q_SIGNALS:
    // A run finished, paused or failed (the Evaluate page lists the new run).
    void runsChanged();
    void evaluateRunRequested(qint64 runId);
    void reportWritten(const QString& file);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onJobFinished(int id, const JobOutcome& outcome);
    void onSelectionChanged();
    void setTrainingState(bool training);
    void submitReportEvaluation();
    void writeReport();
    QList<qint64> selectedRunIds() const;
    void showProblem(const QString& text); // in the live line, in red
    void submit(TrainerOptions options, qint64 resumeRunId, const QString& chartName);
    void submitSft(AlignOptions options, qint64 resumeRunId, const QString& chartName);
    // Live chart, rate chart, progress line and trainer notes, fed from the engine thread.
    AlignCallbacks liveCallbacks(const QString& chartName);
    bool decoderTask() const;
    QString explainTask() const;
    void requestParameterCount();
    void setRunPaused(bool paused);
    void reloadLabelTasks();

    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    HyperparameterEditor* m_editor;
    QLabel* m_method;
    QLabel* m_check;
    QPushButton* m_start;
    QPushButton* m_pause;
    QPushButton* m_stop;
    QPushButton* m_resume;
    QPushButton* m_clone;
    QPushButton* m_evaluate;
    QPushButton* m_report;
    QLabel* m_live;
    QLabel* m_notes;
    TrainingChart* m_chart;
    RateChart* m_rates;
    QTableWidget* m_runs;
    QLabel* m_compare;
    QList<RunRecord> m_records;
    int m_trainJobId = 0;
    std::shared_ptr<TrainJob> m_trainJob;
    std::shared_ptr<AlignJob> m_alignJob; // a chat / summarization run (m_trainJobId is its id)
    QComboBox* m_task;
    QListWidget* m_labelTasks;
    QWidget* m_labelTasksRow;
    SftTaskPanel* m_sft;
    int m_reportJobId = 0;
    QList<qint64> m_reportRuns;
    // What the report evaluates, in order: (run, task); the task is set for a multi-task run's
    // heads, one entry each.
    QList<QPair<qint64, QString>> m_reportQueue;
    int m_reportEvaluated = 0; // how many of m_reportQueue have been evaluated
    QMap<qint64, Evaluation> m_reportEvaluations;
    QMap<qint64, QList<Evaluation>> m_reportTaskEvaluations;
    QString m_reportFile;
    std::shared_ptr<EvaluateRunJob> m_reportJob;
    QLabel* m_params;
    QPointer<SweepDialog> m_sweep;
    QPointer<FewShotDialog> m_fewShot;
    QTimer* m_countTimer;
    int m_countJobId = 0;
    std::shared_ptr<ParameterCountJob> m_countJob;
    QString m_countedKey; // model and method settings of the count shown
};

} // namespace fts
