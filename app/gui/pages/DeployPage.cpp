// Every model operation goes to the engine thread as a job; the page only draws the results.
// The HTTP server runs its own inference threads, so it is owned here and not a job.
#include "DeployPage.h"
#include "ChartExport.h"
#include "GeneratePanel.h"

#include "Error.h"
#include "align/AlignTypes.h"
#include "deploy/DeployJobs.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"
#include "serve/InferenceServer.h"
#include "train/MultiTaskTrainer.h"
#include "train/RunStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace fts {

DeployPage::DeployPage(QWidget* parent)
    : QWidget(parent), m_runs(new QComboBox(this)), m_taskLabel(new QLabel(tr("Task:"), this)),
      m_task(new QComboBox(this)), m_status(new QLabel(this)), m_try(new QStackedWidget(this)),
      m_generate(new GeneratePanel(this)),
      m_input(new QPlainTextEdit(this)), m_result(new QLabel(this)), m_chart(new QCustomPlot(this)),
      m_table(new QTableWidget(this)), m_batchIn(new QLineEdit(this)),
      m_batchOut(new QLineEdit(this)), m_progress(new QProgressBar(this)),
      m_batchChat(new QCheckBox(tr("Each row is a chat message"), this)),
      m_exportDir(new QLineEdit(this)),
      m_adapterOnly(new QCheckBox(tr("Adapter only (LoRA)"), this)), m_port(new QSpinBox(this)),
      m_token(new QLineEdit(this)), m_serve(new QPushButton(this))
{
    setObjectName(QStringLiteral("deployPage"));
    m_runs->setObjectName(QStringLiteral("deployRuns"));
    m_status->setObjectName(QStringLiteral("deployStatus"));
    m_status->setWordWrap(true);
    connect(m_runs, &QComboBox::activated, this,
            [this](int index) { selectRun(m_runs->itemData(index).toLongLong()); });
    m_task->setObjectName(QStringLiteral("deployTask"));
    m_task->setToolTip(tr("A multi-task run has one head per label column: choose the one to use."));
    connect(m_task, &QComboBox::activated, this,
            [this](int index) { selectRun(m_runId, m_task->itemText(index)); });
    m_taskLabel->hide();
    m_task->hide();
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Run:"), this));
    top->addWidget(m_runs, 1);
    top->addWidget(m_taskLabel);
    top->addWidget(m_task);
    m_try->addWidget(buildPlayground());
    auto* generatorBox = new QGroupBox(tr("Try it"), this);
    auto* generatorLayout = new QVBoxLayout(generatorBox);
    generatorLayout->addWidget(m_generate);
    m_try->addWidget(generatorBox);
    auto* body = new QHBoxLayout;
    body->addWidget(m_try, 3);
    body->addWidget(buildTools(), 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_status);
    layout->addLayout(body, 1);
    setStatus(tr("Open a project with a trained run to try it here."));
}

DeployPage::~DeployPage()
{
    stopServer();
}

QWidget* DeployPage::buildPlayground()
{
    auto* box = new QGroupBox(tr("Try it"), this);
    m_input->setObjectName(QStringLiteral("deployInput"));
    m_input->setPlaceholderText(tr("Type or paste text; one line per example."));
    m_input->setMaximumHeight(110);
    auto* predict = new QPushButton(tr("Predict"), box);
    connect(predict, &QPushButton::clicked, this, [this] { predictText(m_input->toPlainText()); });
    m_result->setObjectName(QStringLiteral("deployResult"));
    QFont big = m_result->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    m_result->setFont(big);
    m_chart->setObjectName(QStringLiteral("deployChart"));
    m_chart->setMinimumHeight(160);
    addChartExportMenu(m_chart, QStringLiteral("probabilities"));
    m_chart->yAxis->setRange(0, 1);
    m_chart->yAxis->setLabel(tr("probability"));
    m_table->setObjectName(QStringLiteral("deployTable"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Text"), tr("Label"), tr("Probability")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* layout = new QVBoxLayout(box);
    layout->addWidget(m_input);
    layout->addWidget(predict, 0, Qt::AlignLeft);
    layout->addWidget(m_result);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_table, 1);
    return box;
}

QWidget* DeployPage::buildTools()
{
    auto* panel = new QWidget(this);
    auto* batch = new QGroupBox(tr("Predict a file (CSV or JSON Lines)"), panel);
    auto* browse = new QPushButton(tr("Choose…"), batch);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString in = QFileDialog::getOpenFileName(this, tr("File to predict"), {},
                                                        tr("Tables (*.csv *.tsv *.jsonl)"));
        if (in.isEmpty())
            return;
        m_batchIn->setText(in);
        const QFileInfo info(in);
        m_batchOut->setText(
            info.dir().filePath(info.completeBaseName() + "_predicted." + info.suffix()));
    });
    auto* run = new QPushButton(tr("Predict file"), batch);
    connect(run, &QPushButton::clicked, this,
            [this] { predictFile(m_batchIn->text(), m_batchOut->text()); });
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    auto* bform = new QFormLayout(batch);
    auto* inRow = new QHBoxLayout;
    inRow->addWidget(m_batchIn, 1);
    inRow->addWidget(browse);
    bform->addRow(tr("Input"), inRow);
    bform->addRow(tr("Output"), m_batchOut);
    m_batchChat->setToolTip(tr("Checked: each row is answered as a user's message in the model's chat "
                               "format. Unchecked: each row is a prompt the model continues. The chat "
                               "panel's sampling settings apply."));
    m_batchChat->setChecked(true);
    m_batchChat->hide();
    bform->addRow(m_batchChat);
    bform->addRow(run, m_progress);

    auto* exp = new QGroupBox(tr("Export as a Hugging Face folder"), panel);
    m_exportDir->setPlaceholderText(tr("an empty folder"));
    auto* exportButton = new QPushButton(tr("Export"), exp);
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportTo(m_exportDir->text(), m_adapterOnly->isChecked()); });
    auto* eform = new QFormLayout(exp);
    eform->addRow(tr("Folder"), m_exportDir);
    eform->addRow(m_adapterOnly, exportButton);

    auto* srv = new QGroupBox(tr("Local server (this computer only)"), panel);
    m_port->setRange(1024, 65535);
    m_port->setValue(8080);
    m_token->setPlaceholderText(tr("optional token"));
    m_token->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_serve->setText(tr("Start server"));
    connect(m_serve, &QPushButton::clicked, this, [this] {
        if (isServing())
            stopServer();
        else
            startServer(quint16(m_port->value()), m_token->text());
    });
    auto* sform = new QFormLayout(srv);
    sform->addRow(tr("Port"), m_port);
    sform->addRow(tr("Token"), m_token);
    sform->addRow(m_serve);

    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(batch);
    layout->addWidget(exp);
    layout->addWidget(srv);
    layout->addStretch(1);
    return panel;
}

void DeployPage::setContext(Project* project, JobRunner* jobs)
{
    stopServer();
    m_project = project;
    m_jobs = jobs;
    m_generate->setJobRunner(jobs);
    m_generate->setGenerator(nullptr, {}, {});
    m_try->setCurrentIndex(0);
    m_model = {};
    m_runId = 0;
    reloadRuns();
}

void DeployPage::setStatus(const QString& text)
{
    m_status->setText(text);
}

QString DeployPage::statusText() const
{
    return m_status->text();
}

QString DeployPage::resultText() const
{
    return m_result->text();
}

int DeployPage::batchProgress() const
{
    return m_progress->value();
}

void DeployPage::reloadRuns()
{
    m_runs->clear();
    if (!m_project)
        return;
    try {
        for (const RunRecord& r : listRuns(*m_project)) {
            // Reward models score answers; they neither classify nor write, so nothing to try here.
            if (!hasCheckpoint(r) || isRewardRunMethod(r.method))
                continue;
            m_runs->insertItem(0,
                               tr("Run %1 — %2, %3 (%4)")
                                   .arg(r.id)
                                   .arg(r.method, QFileInfo(r.modelDir).fileName(), r.status),
                               r.id);
        }
    } catch (const Error& e) {
        setStatus(e.message());
        return;
    }
    if (m_runs->count() == 0) {
        setStatus(tr("No trained run yet: train one on the Train page, then come back here."));
        return;
    }
    m_runs->setCurrentIndex(0);
    if (m_runs->itemData(0).toLongLong() != m_runId)
        selectRun(m_runs->itemData(0).toLongLong());
}

int DeployPage::runCount() const
{
    return m_runs->count();
}

void DeployPage::submit(std::shared_ptr<Job> job, std::function<void(const JobOutcome&)> done)
{
    const int id = m_jobs->submit(std::move(job));
    auto* context = new QObject(this); // disconnects itself after the job's one outcome
    connect(m_jobs, &JobRunner::jobFinished, context,
            [id, context, done = std::move(done)](int finished, const JobOutcome& outcome) {
                if (finished != id)
                    return;
                done(outcome);
                context->deleteLater();
            });
}

bool DeployPage::selectRun(qint64 runId, const QString& task)
{
    if (!m_project || !m_jobs || runId <= 0)
        return false;
    RunRecord record;
    try {
        record = loadRun(*m_project, runId);
    } catch (const Error& e) {
        setStatus(e.message());
        return false;
    }
    // The task list belongs to the run: refilled when another run is chosen.
    const QStringList tasks = isMultiTaskRun(record) ? multiTaskRunTasks(record) : QStringList();
    if (runId != m_runId || taskChoices() != tasks) {
        m_task->clear();
        m_task->addItems(tasks);
    }
    QString head = task;
    if (!tasks.isEmpty()) {
        if (head.isEmpty() || !tasks.contains(head))
            head = m_task->currentIndex() >= 0 ? m_task->currentText() : tasks.first();
        m_task->setCurrentText(head);
    }
    m_taskLabel->setVisible(!tasks.isEmpty());
    m_task->setVisible(!tasks.isEmpty());
    m_runId = runId;
    m_model = {};
    // Nothing answers for the previous run while this one loads (or if it fails to).
    m_generate->setGenerator(nullptr, {}, {});
    setStatus(tr("Loading run %1…").arg(runId));
    auto job = std::make_shared<LoadRunModelJob>(m_project->path(), runId, head);
    submit(job, [this, job, runId, record](const JobOutcome& outcome) {
        if (runId != m_runId)
            return; // another run was chosen meanwhile
        if (outcome.status != JobStatus::Succeeded) {
            setStatus(tr("Could not load run %1: %2").arg(runId).arg(outcome.message));
            return;
        }
        m_model = job->model();
        if (m_model.generator) {
            m_try->setCurrentIndex(1);
            // The base model shows what fine-tuning changed; other decoder runs what their
            // settings changed.
            QList<CompareChoice> choices;
            choices << CompareChoice{tr("Base model %1 (before fine-tuning)").arg(QFileInfo(record.modelDir).fileName()),
                                     record.modelDir, 0};
            try {
                for (const RunRecord& r : listRuns(*m_project))
                    if (r.id != runId && isDecoderRunMethod(r.method) && hasCheckpoint(r))
                        choices << CompareChoice{tr("Run %1 (%2)").arg(r.id).arg(r.method), m_project->path(), r.id};
            } catch (const Error&) {
                // The list only offers comparisons; the run itself is loaded and usable.
            }
            m_generate->setGenerator(m_model.generator, tr("Run %1").arg(runId), choices);
            m_batchChat->show();
            setStatus(tr("Ready: %1 writes text. Chat with it below, or summarize a document.")
                          .arg(m_model.description()));
        } else {
            m_try->setCurrentIndex(0);
            m_batchChat->hide();
            setStatus(tr("Ready: %1. Labels: %2.")
                          .arg(m_model.description(), m_model.classifier->labels().join(", ")));
        }
        Q_EMIT modelLoaded();
    });
    return true;
}

QStringList DeployPage::taskChoices() const
{
    QStringList tasks;
    for (int i = 0; i < m_task->count(); ++i)
        tasks << m_task->itemText(i);
    return tasks;
}

void DeployPage::predictText(const QString& text)
{
    if (!m_model.classifier) {
        setStatus(tr("Choose a run first (it loads in a moment)."));
        return;
    }
    QStringList lines;
    for (const QString& line : text.split(QLatin1Char('\n')))
        if (!line.trimmed().isEmpty())
            lines << line.trimmed();
    if (lines.isEmpty())
        return;
    auto job = std::make_shared<ClassifyJob>(m_model.classifier, lines);
    submit(job, [this, job](const JobOutcome& outcome) {
        if (outcome.status != JobStatus::Succeeded) {
            setStatus(outcome.message);
            return;
        }
        showPredictions(job->texts(), job->predictions());
    });
}

void DeployPage::showPredictions(const QStringList& texts,
                                 const std::vector<ClassPrediction>& predictions)
{
    if (predictions.empty())
        return;
    const ClassPrediction& first = predictions.front();
    m_result->setText(tr("%1  (%2%)")
                          .arg(first.label)
                          .arg(100.0 * first.probabilities[size_t(first.index)], 0, 'f', 1));
    drawBars(first);
    m_table->setRowCount(int(predictions.size()));
    for (size_t i = 0; i < predictions.size(); ++i) {
        const ClassPrediction& p = predictions[i];
        const int row = int(i);
        m_table->setItem(row, 0, new QTableWidgetItem(texts.value(row)));
        m_table->setItem(row, 1, new QTableWidgetItem(p.label));
        m_table->setItem(
            row, 2,
            new QTableWidgetItem(QString::number(p.probabilities[size_t(p.index)], 'f', 3)));
    }
    Q_EMIT predictionShown();
}

void DeployPage::drawBars(const ClassPrediction& prediction)
{
    m_chart->clearPlottables();
    auto* bars = new QCPBars(m_chart->xAxis, m_chart->yAxis);
    QVector<double> keys, values;
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    const QStringList& labels = m_model.classifier->labels();
    for (int k = 0; k < int(prediction.probabilities.size()); ++k) {
        keys << k + 1;
        values << prediction.probabilities[size_t(k)];
        ticks->addTick(k + 1, labels.value(k));
    }
    bars->setData(keys, values);
    bars->setBrush(QColor(70, 130, 180));
    m_chart->xAxis->setTicker(ticks);
    m_chart->xAxis->setRange(0.4, keys.size() + 0.6);
    m_chart->replot();
}

void DeployPage::predictFile(const QString& input, const QString& output)
{
    if (!isModelLoaded() || input.isEmpty() || output.isEmpty()) {
        setStatus(tr("Choose a run, an input file and an output file first."));
        return;
    }
    BatchPredictOptions o;
    o.input = input;
    o.output = output;
    m_progress->setValue(0);
    std::shared_ptr<BatchPredictJob> job;
    if (m_model.generator) {
        // A handful of rows per batch: answers are slow, and progress and Cancel come per batch.
        o.batchSize = 4;
        o.chat = m_batchChat->isChecked();
        job = std::make_shared<BatchPredictJob>(m_model.generator, m_generate->sampling(), o);
    } else {
        job = std::make_shared<BatchPredictJob>(m_model.classifier, o);
    }
    const int id = m_jobs->submit(job);
    m_batchJob = id;
    auto* context = new QObject(this); // both connections end with the job
    connect(m_jobs, &JobRunner::jobProgress, context, [this, id](int job, const JobProgress& p) {
        if (job == id && p.total > 0)
            m_progress->setValue(int(100 * p.done / p.total));
    });
    connect(m_jobs, &JobRunner::jobFinished, context,
            [this, id, context](int finished, const JobOutcome& outcome) {
                if (finished != id)
                    return;
                const bool ok = outcome.status == JobStatus::Succeeded;
                if (ok)
                    m_progress->setValue(100);
                setStatus(outcome.message);
                Q_EMIT batchFinished(ok);
                context->deleteLater();
            });
}

void DeployPage::setBatchChat(bool chat)
{
    m_batchChat->setChecked(chat);
}

void DeployPage::exportTo(const QString& dir, bool adapterOnly)
{
    if (!m_project || m_runId <= 0 || dir.isEmpty()) {
        setStatus(tr("Choose a run and a folder to export to."));
        return;
    }
    ExportOptions o;
    o.outDir = dir;
    o.adapterOnly = adapterOnly;
    submit(std::make_shared<ExportJob>(m_project->path(), m_runId, o),
           [this](const JobOutcome& outcome) {
               setStatus(outcome.message);
               Q_EMIT exportFinished(outcome.status == JobStatus::Succeeded);
           });
}

bool DeployPage::startServer(quint16 port, const QString& token)
{
    if (!m_model.classifier && !m_model.generator) {
        setStatus(tr("Choose a run first; the server serves the loaded model."));
        return false;
    }
    ServerOptions o;
    o.port = port;
    o.token = token;
    auto server = std::make_unique<InferenceServer>(m_model, o);
    try {
        server->start();
    } catch (const Error& e) {
        setStatus(e.message());
        return false;
    }
    m_server = std::move(server);
    m_serve->setText(tr("Stop server"));
    const QString endpoint = m_model.generator
                                 ? QStringLiteral("POST /v1/chat/completions {\"messages\": [...]}")
                                 : QStringLiteral("POST /v1/classify {\"text\": \"...\"}");
    setStatus(tr("Serving %1 at %2 — %3%4")
                  .arg(m_model.description(), m_server->url(), endpoint,
                       token.isEmpty() ? QString() : tr(" (token required)")));
    return true;
}

void DeployPage::stopServer()
{
    if (!m_server)
        return;
    m_server.reset();
    m_serve->setText(tr("Start server"));
    setStatus(tr("Server stopped."));
}

bool DeployPage::isServing() const
{
    return m_server && m_server->isRunning();
}

QString DeployPage::serverUrl() const
{
    return m_server ? m_server->url() : QString();
}

} // namespace fts
