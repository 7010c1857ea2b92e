// "Train from feedback": a reward model, DPO or PPO on the project's judgements, as a job on the
// engine thread, with each method explained in plain words and its curves drawn live.
#pragma once

#include "align/AlignTypes.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace fts {

class AlignJob;
class JobRunner;
class MetricPanelsChart;
class RewardDistributionJob;
class ScoreHistogram;
class Project;
struct JobOutcome;

class FeedbackTrainPanel : public QWidget
{
    Q_OBJECT
public:
    enum class Method { Reward, Dpo, Ppo };

    explicit FeedbackTrainPanel(QWidget* parent = nullptr);
    void setContext(Project* project, JobRunner* jobs);
    void reload(); // models and reward runs

    void setMethod(Method method);
    Method method() const;
    void setModelDir(const QString& dir);
    // A hyperparameter by its editor name (lr, max_steps, batch_size, max_length, ...), a method
    // knob (beta, kl_coef, clip_epsilon, max_new_tokens, rollout_prompts) or "lora" (true/false).
    void setField(const QString& key, const QString& value);
    void setRewardRun(qint64 runId);
    // Starts the run (a job); false, with the reason in statusText(), when something is missing
    // or a value is out of range.
    bool start();
    void stop();
    // Continues a stopped (cancelled or failed) reward-model, DPO or PPO run from its last
    // checkpoint, exactly as if it had not stopped; its stored curves are drawn first.
    bool resume(qint64 runId);
    bool isRunning() const { return m_jobId != 0; }
    QString statusText() const;
    QString explanation() const;
    // A tuned run (DPO, PPO, SFT) and its starting model answer the held-out prompts (a job); the
    // pairs go to the Collect tab for blind judging, and the chosen reward model judges them too.
    bool compareWithStart(qint64 runId);
    bool isComparing() const { return m_compareJobId != 0; }
    QString verdictText() const; // people's blind verdicts so far on the chosen run's pairs
    // Scores the held-out pairs of a reward run (a job) and draws preferred vs other answers.
    bool showScoreDistribution(qint64 rewardRunId);
    bool isScoring() const { return m_scoreJobId != 0; }
    ScoreHistogram* histogram() const { return m_histogram; }
    MetricPanelsChart* chart() const { return m_chart; }

Q_SIGNALS:
    void runsChanged();
    void feedbackChanged(); // new candidate answers were stored

private:
    void onMethodChanged();
    // Submits a new run (resumeRunId 0) or a resumed one, and sets the panel to "running".
    void submit(Method m, AlignOptions options, qint64 resumeRunId, const QString& loading);
    void applyRecommendedLearningRate();
    void onJobFinished(int id, const JobOutcome& outcome);
    void report(const QString& message, bool error = false);

    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    int m_jobId = 0;
    Method m_jobMethod = Method::Reward; // of the run in progress
    int m_compareJobId = 0;
    int m_scoreJobId = 0;
    std::shared_ptr<RewardDistributionJob> m_scoreJob;
    std::shared_ptr<AlignJob> m_job;

    QComboBox* m_method;
    QLabel* m_explain;
    QComboBox* m_model;
    QComboBox* m_form;
    QComboBox* m_rewardRun;
    QCheckBox* m_lora;
    QLineEdit* m_lr;
    QLineEdit* m_epochs;
    QLineEdit* m_maxSteps;
    QLineEdit* m_batch;
    QLineEdit* m_maxLength;
    QLineEdit* m_beta;
    QLineEdit* m_klCoef;
    QLineEdit* m_clip;
    QLineEdit* m_maxNew;
    QLineEdit* m_rollout;
    QPushButton* m_start;
    QPushButton* m_stop;
    QProgressBar* m_progress;
    QLabel* m_status;
    MetricPanelsChart* m_chart;
    QComboBox* m_compareRun;
    QPushButton* m_compare;
    QLabel* m_verdicts;
    ScoreHistogram* m_histogram;
    QPushButton* m_scoreButton;
    QComboBox* m_resumeRun;
    QPushButton* m_resume;
};

} // namespace fts
