// The Deploy page: pick a finished run, try it (a classifier: text in, label and probability bars
// out, many lines make a table; a decoder: a chat or a summary, streamed, beside the base model on
// request), predict a whole file, export it, and serve it over local HTTP.
#pragma once

#include "deploy/DeployModel.h"

#include <QWidget>

#include <functional>
#include <memory>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace fts {

class GeneratePanel;
class InferenceServer;
class Job;
class JobRunner;
class Project;
struct JobOutcome;
struct JobProgress;

class DeployPage : public QWidget
{
    Q_OBJECT
public:
    explicit DeployPage(QWidget* parent = nullptr);
    ~DeployPage() override;
    void setContext(Project* project, JobRunner* jobs);

    // Lists the runs that have a checkpoint; the newest is chosen and loaded.
    void reloadRuns();
    int runCount() const;
    // Loads it on the engine thread (modelLoaded when done); a multi-task run's head is `task`
    // (empty: the one chosen in the task list, else its first task).
    bool selectRun(qint64 runId, const QString& task = {});
    bool isModelLoaded() const { return m_model.classifier != nullptr || m_model.generator != nullptr; }
    bool isGeneratorLoaded() const { return m_model.generator != nullptr; }
    GeneratePanel* generatePanel() const { return m_generate; }
    QStringList taskChoices() const; // a multi-task run's tasks (empty for other runs)

    // The playground: one line -> label and bar chart; several lines -> the table as well.
    void predictText(const QString& text);
    QString resultText() const;
    QTableWidget* predictionTable() const { return m_table; }
    QCustomPlot* chart() const { return m_chart; }

    // A classifier adds the label and probabilities; a decoder answers each row (as a chat message
    // when setBatchChat(true), the default for a chat run) with the chat panel's sampling settings.
    void predictFile(const QString& input, const QString& output);
    void setBatchChat(bool chat);
    void exportTo(const QString& dir, bool adapterOnly);
    bool startServer(quint16 port, const QString& token); // false with the reason in statusText()
    void stopServer();
    bool isServing() const;
    QString serverUrl() const;
    QString statusText() const;
    int batchProgress() const;

Q_SIGNALS:
    void modelLoaded();
    void predictionShown();
    void batchFinished(bool ok);
    void exportFinished(bool ok);

private:
    QWidget* buildPlayground();
    QWidget* buildTools();
    void showPredictions(const QStringList& texts, const std::vector<ClassPrediction>& predictions);
    void drawBars(const ClassPrediction& prediction);
    void setStatus(const QString& text);
    // Submits a job and calls `done(outcome)` on the GUI thread when it finishes.
    void submit(std::shared_ptr<Job> job, std::function<void(const JobOutcome&)> done);

    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    DeployModel m_model;
    qint64 m_runId = 0;
    std::unique_ptr<InferenceServer> m_server;
    int m_batchJob = 0;

    QComboBox* m_runs;
    QLabel* m_taskLabel;
    QComboBox* m_task; // a multi-task run's head
    QLabel* m_status;
    QStackedWidget* m_try; // the classifier's playground, or the generator's
    GeneratePanel* m_generate;
    QPlainTextEdit* m_input;
    QLabel* m_result;
    QCustomPlot* m_chart;
    QTableWidget* m_table;
    QLineEdit* m_batchIn;
    QLineEdit* m_batchOut;
    QProgressBar* m_progress;
    QCheckBox* m_batchChat;
    QLineEdit* m_exportDir;
    QCheckBox* m_adapterOnly;
    QSpinBox* m_port;
    QLineEdit* m_token;
    QPushButton* m_serve;
};

} // namespace fts
