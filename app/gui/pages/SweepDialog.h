// A hyperparameter sweep from the Train page: which settings to vary (value lists, or ranges with
// an optional log scale), grid or random search within a budget of runs, optional pruning of poor
// runs; the runs train one after another on the engine thread, and the dialog fills a results
// table and a chart of the validation metric against each varied setting, the best run marked.
#pragma once

#include "train/Sweep.h"

#include <QDialog>

#include <memory>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace fts {

class JobRunner;
struct JobOutcome;

class SweepDialog : public QDialog
{
    Q_OBJECT
public:
    // `base` holds every setting the sweep does not vary (the Train page's editor).
    SweepDialog(QString projectPath, JobRunner* jobs, QString modelDir, QString task,
                Hyperparameters base, QWidget* parent = nullptr);

    // One row per varied setting: key, values ("1e-5, 3e-5" or "1e-5 .. 1e-3"), log scale.
    void setAxes(const QList<SweepAxis>& axes);
    QList<SweepAxis> axes() const; // throws fts::Error naming the row that does not read
    void setSearch(SweepSearch search, int budget, quint32 seed, bool prune);
    // Checks the settings (the message shown when refused) and submits the sweep job.
    bool start();
    void stop();
    bool isRunning() const { return m_jobId != 0; }
    const QList<SweepTrial>& trials() const { return m_trials; }
    int bestTrial() const; // index into trials(), -1 before a scored run
    QString statusText() const;
    QTableWidget* resultsTable() const { return m_results; }
    QCustomPlot* metricChart() const { return m_chart; }
    QComboBox* chartAxisChoice() const { return m_chartAxis; }

Q_SIGNALS:
    // A sweep run ended (the Train page reloads its run table).
    void runRecorded(qint64 runId);
    // "Use best settings": the best run's settings, for the Train page's editor.
    void useSettings(const fts::Hyperparameters& settings);
    void started();
    void finished(); // the sweep ended: done, stopped or failed

protected:
    // Closing while a sweep runs only hides the dialog: the sweep goes on, and Sweep… on the
    // Train page shows it again.
    void closeEvent(QCloseEvent* event) override;

private:
    void addAxisRow(const SweepAxis& axis);
    void onTrial(const SweepTrial& trial);
    void onJobFinished(int id, const JobOutcome& outcome);
    void refreshResults();
    void drawChart();
    void setRunning(bool running);
    void showStatus(const QString& text, bool error = false);

    QString m_projectPath;
    JobRunner* m_jobs;
    QString m_modelDir;
    QString m_task;
    Hyperparameters m_base;
    SweepOptions m_options; // of the sweep running or last run
    std::shared_ptr<SweepJob> m_job;
    int m_jobId = 0;
    QList<SweepTrial> m_trials;
    QList<Hyperparameters> m_trialSettings; // each trial's full settings, for "Use best settings"

    QTableWidget* m_axes;
    QComboBox* m_search;
    QSpinBox* m_budget;
    QSpinBox* m_seed;
    QCheckBox* m_prune;
    QPushButton* m_start;
    QPushButton* m_stop;
    QPushButton* m_useBest;
    QLabel* m_status;
    QTableWidget* m_results;
    QComboBox* m_chartAxis;
    QCustomPlot* m_chart;
};

} // namespace fts
