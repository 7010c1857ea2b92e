// Few-shot prompting from the Train page: a decoder is shown k labeled training examples and asked
// for the label of each held-out row; the score is kept as a run, so "prompting vs fine-tuning" is
// one comparison in the run table. The dialog shows the prompt the model read and every answer.
#pragma once

#include "deploy/FewShot.h"

#include <QDialog>

#include <memory>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace fts {

class FewShotJob;
class JobRunner;
struct JobOutcome;

// A decoder to prompt: a model folder (runId 0) or a decoder run of the project.
struct FewShotModelChoice
{
    QString name;
    QString modelDir;
    qint64 runId = 0;
};

class FewShotDialog : public QDialog
{
    Q_OBJECT
public:
    FewShotDialog(QString projectPath, JobRunner* jobs, QString task,
                  QList<FewShotModelChoice> models, QWidget* parent = nullptr);

    void chooseModel(int index);
    QString modelName() const;
    void setOptions(const FewShotOptions& options, const QString& split, int maxRows);
    FewShotRequest request() const;
    // Checks the settings (the message shown when refused) and submits the job.
    bool start();
    void stop();
    bool isRunning() const { return m_jobId != 0; }
    QString statusText() const;
    const FewShotEvaluation& result() const { return m_result; }
    QTableWidget* answersTable() const { return m_answers; }
    QString promptText() const;

Q_SIGNALS:
    void runRecorded(qint64 runId);
    void finished(bool ok);

protected:
    void closeEvent(QCloseEvent* event) override; // closing while it runs only hides it

private:
    void done(const std::shared_ptr<FewShotJob>& job, const JobOutcome& outcome);
    void setStatus(const QString& text, bool error = false);

    QString m_projectPath;
    JobRunner* m_jobs;
    QString m_task;
    QList<FewShotModelChoice> m_models;
    int m_jobId = 0;
    FewShotEvaluation m_result;
    QString m_statusPlain;

    QComboBox* m_model;
    QSpinBox* m_k;
    QComboBox* m_selection;
    QComboBox* m_split;
    QSpinBox* m_maxRows;
    QSpinBox* m_seed;
    QPushButton* m_start;
    QPushButton* m_stop;
    QProgressBar* m_progress;
    QLabel* m_status;
    QPlainTextEdit* m_prompt;
    QTableWidget* m_answers;
};

} // namespace fts
