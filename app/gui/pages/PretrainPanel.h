// The Model page's pre-training panel: continue pre-training the shown model on the user's own
// text (or make a small one from scratch), watch loss and perplexity, stop, resume, finish, use it.
#pragma once

#include "pretrain/Pretrainer.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace fts {

class JobRunner;
class PretrainChart;
class PretrainJob;
class Project;
struct JobOutcome;
struct JobProgress;

class PretrainPanel : public QWidget
{
    Q_OBJECT
public:
    explicit PretrainPanel(QWidget* parent = nullptr);
    ~PretrainPanel() override;

    void setContext(Project* project, JobRunner* jobs);
    // The model shown on the Model page: what continued pre-training starts from ("" = none).
    void setBaseModel(const QString& dir);
    void setSources(const QStringList& paths); // text files and folders
    QStringList sources() const;
    void setUseProjectText(bool use);
    void setFromScratch(bool scratch);
    void setOutputFolder(const QString& dir);
    QString outputFolder() const;
    // Documents in the chosen text, as counted after the last change; -1 when it cannot be read.
    int documentCount() const { return m_documentCount; }

    // Each returns false, with the reason shown on the panel, when nothing was started.
    bool start();
    bool resume();
    bool finishNow();
    void stop();
    bool isRunning() const { return m_jobId != 0; }
    bool canResume() const;
    // What the panel would run now; throws fts::Error (as a refused start shows) when incomplete.
    PretrainOptions options() const;

    QString messageText() const;
    QString statusText() const;
    QString summaryText() const;
    PretrainChart* chart() const { return m_chart; }
    QString finishedModel() const { return m_finished; }

Q_SIGNALS:
    // "Use this model": the Model page shows `dir` and makes it the project's model.
    void useModelRequested(const QString& dir);
    void stepShown(qint64 step, qint64 total);
    void runEnded(bool finished);

private:
    QWidget* buildTextBox();
    QWidget* buildStartBox();
    QWidget* buildSettingsBox();
    QWidget* buildRunBox();
    QWidget* buildOutputRow();
    void countDocuments();
    QStringList readDocuments() const;
    bool submit(PretrainOptions options, const QString& what);
    void showStep(const PretrainProgress& p);
    void onProgress(int id, const JobProgress& p);
    void onLog(int id, const QString& line);
    void onFinished(int id, const JobOutcome& outcome);
    void showMessage(const QString& text, bool error);
    void suggestOutputFolder();
    void updateButtons();

    Project* m_project = nullptr;
    QPointer<JobRunner> m_jobs;
    QString m_baseModel;
    int m_documentCount = -1;
    bool m_outputEdited = false;
    int m_jobId = 0;
    std::shared_ptr<PretrainJob> m_job;
    QString m_finished;
    QString m_eta;
    QString m_stepText; // the last step's status line, without the time left

    QListWidget* m_sources;
    QCheckBox* m_projectText;
    QCheckBox* m_paragraphs;
    QLabel* m_documents;
    QRadioButton* m_continue;
    QRadioButton* m_scratch;
    QGroupBox* m_scratchBox;
    QComboBox* m_family;
    QComboBox* m_size;
    QComboBox* m_tokenizer;
    QSpinBox* m_vocab;
    QSpinBox* m_steps;
    QSpinBox* m_batch;
    QSpinBox* m_block;
    QLineEdit* m_lr;
    QDoubleSpinBox* m_warmup;
    QSpinBox* m_seed;
    QSpinBox* m_checkpointEvery;
    QSpinBox* m_evalEvery;
    QLineEdit* m_output;
    QWidget* m_outputRow; // locked with the settings while a job runs
    QWidget* m_settings;  // everything a resume must not change; locked while a job runs
    PretrainChart* m_chart;
    QProgressBar* m_bar;
    QLabel* m_status;
    QLabel* m_message;
    QLabel* m_summary;
    QPushButton* m_start;
    QPushButton* m_stop;
    QPushButton* m_resume;
    QPushButton* m_finishNow;
    QPushButton* m_use;
};

} // namespace fts
