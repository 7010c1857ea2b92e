// The prompting runs on the engine thread as a FewShotJob (progress per row, Stop between tokens);
// the dialog only collects the settings and shows the result.
#include "FewShotDialog.h"

#include "Error.h"
#include "JobStatusWidget.h"
#include "deploy/FewShotJob.h"
#include "jobs/JobRunner.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fts {

FewShotDialog::FewShotDialog(QString projectPath, JobRunner* jobs, QString task,
                             QList<FewShotModelChoice> models, QWidget* parent)
    : QDialog(parent), m_projectPath(std::move(projectPath)), m_jobs(jobs), m_task(std::move(task)),
      m_models(std::move(models)), m_model(new QComboBox(this)), m_k(new QSpinBox(this)),
      m_selection(new QComboBox(this)), m_split(new QComboBox(this)), m_maxRows(new QSpinBox(this)),
      m_seed(new QSpinBox(this)), m_start(new QPushButton(tr("Start"), this)),
      m_stop(new QPushButton(tr("Stop"), this)), m_progress(new QProgressBar(this)),
      m_status(new QLabel(this)), m_prompt(new QPlainTextEdit(this)), m_answers(new QTableWidget(this))
{
    setObjectName(QStringLiteral("fewShotDialog"));
    setWindowTitle(tr("Few-shot prompting"));
    resize(900, 640);
    for (const FewShotModelChoice& m : std::as_const(m_models))
        m_model->addItem(m.name);
    m_model->setToolTip(tr("A model that writes text (GPT-2 or Llama style). A fine-tuned chat run "
                           "can be prompted too."));
    m_k->setRange(0, 32);
    m_k->setValue(4);
    m_k->setSpecialValueText(tr("0 (zero-shot)"));
    m_k->setToolTip(tr("Labeled examples from the training split placed in each prompt (0–32). "
                       "More examples help until the prompt no longer fits the model's context."));
    m_selection->addItem(tr("Balanced (each label in turn)"), QStringLiteral("balanced"));
    m_selection->addItem(tr("Random"), QStringLiteral("random"));
    m_selection->addItem(tr("Most similar to the text"), QStringLiteral("similar"));
    m_selection->setToolTip(tr("How the examples are picked for each text: balanced shows every label "
                               "when k allows; most similar picks the training texts sharing the most "
                               "words with it (often the strongest)."));
    m_split->addItem(tr("Validation"), QStringLiteral("val"));
    m_split->addItem(tr("Test"), QStringLiteral("test"));
    m_split->setToolTip(tr("The rows whose labels the model is asked for. Compare with fine-tuned "
                           "runs on the same split: the run table shows their validation scores."));
    m_maxRows->setRange(0, 1'000'000);
    m_maxRows->setSpecialValueText(tr("all"));
    m_maxRows->setToolTip(tr("Ask about only the first N rows of the split (0: all): a quick look on "
                             "a slow model."));
    m_seed->setRange(0, 1'000'000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("Seeds the choice of examples; the same seed gives the same prompts."));

    auto* form = new QFormLayout;
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("Examples per prompt (k)"), m_k);
    form->addRow(tr("Choose examples"), m_selection);
    form->addRow(tr("Ask about"), m_split);
    form->addRow(tr("At most rows"), m_maxRows);
    form->addRow(tr("Seed"), m_seed);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    m_stop->setEnabled(false);
    connect(m_start, &QPushButton::clicked, this, &FewShotDialog::start);
    connect(m_stop, &QPushButton::clicked, this, &FewShotDialog::stop);
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_status->setObjectName(QStringLiteral("fewShotStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_prompt->setObjectName(QStringLiteral("fewShotPrompt"));
    m_prompt->setReadOnly(true);
    m_prompt->setPlaceholderText(tr("The first prompt the model reads appears here."));
    m_answers->setObjectName(QStringLiteral("fewShotAnswers"));
    m_answers->setColumnCount(4);
    m_answers->setHorizontalHeaderLabels({tr("Text"), tr("Gold label"), tr("Model's answer"), tr("Read as")});
    m_answers->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_answers->verticalHeader()->setVisible(false);
    m_answers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_prompt);
    split->addWidget(m_answers);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("Prompting instead of training: the model reads k labeled examples and is "
                                "asked for the label of each text; its answer is read back as a label. "
                                "The score is kept as a run of method few_shot, so it can be compared "
                                "with fine-tuned runs in the run table."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);
    if (m_models.isEmpty()) {
        m_start->setEnabled(false);
        setStatus(tr("No model that writes text is available: train a chat run, or download a GPT-2 "
                     "or Llama-style model on the Model page."), true);
    }
}

void FewShotDialog::chooseModel(int index)
{
    m_model->setCurrentIndex(index);
}

QString FewShotDialog::modelName() const
{
    return m_model->currentText();
}

void FewShotDialog::setOptions(const FewShotOptions& options, const QString& split, int maxRows)
{
    m_k->setValue(options.k);
    m_selection->setCurrentIndex(m_selection->findData(shotSelectionName(options.selection)));
    m_seed->setValue(int(options.seed));
    m_split->setCurrentIndex(std::max(0, m_split->findData(split)));
    m_maxRows->setValue(maxRows);
}

FewShotRequest FewShotDialog::request() const
{
    FewShotRequest r;
    r.task = m_task;
    r.split = m_split->currentData().toString();
    const FewShotModelChoice m = m_models.value(m_model->currentIndex());
    r.modelDir = m.runId > 0 ? QString() : m.modelDir;
    r.decoderRunId = m.runId;
    r.options.k = m_k->value();
    r.options.selection = shotSelectionFromName(m_selection->currentData().toString());
    r.options.seed = quint64(m_seed->value());
    r.maxRows = m_maxRows->value();
    r.keepAsRun = true;
    return r;
}

bool FewShotDialog::start()
{
    if (isRunning() || !m_jobs)
        return false;
    if (m_model->currentIndex() < 0) {
        setStatus(tr("Choose a model to prompt."), true);
        return false;
    }
    const FewShotRequest r = request();
    try {
        r.options.validate();
    } catch (const Error& e) {
        setStatus(e.message(), true);
        return false;
    }
    // A rerun's results replace the last ones; none may stay beside a new status.
    m_result = {};
    m_prompt->clear();
    m_answers->setRowCount(0);
    auto job = std::make_shared<FewShotJob>(m_projectPath, r);
    const int id = m_jobs->submit(job);
    m_jobId = id;
    m_start->setEnabled(false);
    m_stop->setEnabled(true);
    m_progress->setValue(0);
    setStatus(tr("Prompting %1…").arg(m_model->currentText()));
    auto* context = new QObject(this); // both connections end with the job
    connect(m_jobs, &JobRunner::jobProgress, context, [this, id](int job, const JobProgress& p) {
        if (job != id || p.total <= 0)
            return;
        m_progress->setValue(int(100 * p.done / p.total));
        QString line = tr("Prompting: %1 of %2 rows").arg(p.done).arg(p.total);
        if (p.etaSeconds >= 0)
            line += tr(", about %1 left").arg(JobStatusWidget::formatEta(p.etaSeconds));
        setStatus(line);
    });
    connect(m_jobs, &JobRunner::jobFinished, context,
            [this, id, job, context](int finished, const JobOutcome& outcome) {
                if (finished != id)
                    return;
                context->deleteLater();
                done(job, outcome);
            });
    return true;
}

void FewShotDialog::stop()
{
    if (m_jobId != 0)
        m_jobs->cancel(m_jobId);
}

void FewShotDialog::done(const std::shared_ptr<FewShotJob>& job, const JobOutcome& outcome)
{
    m_jobId = 0;
    m_start->setEnabled(true);
    m_stop->setEnabled(false);
    if (outcome.status != JobStatus::Succeeded) {
        setStatus(outcome.status == JobStatus::Cancelled ? tr("Stopped; nothing was kept.") : outcome.message,
                  outcome.status == JobStatus::Failed);
        Q_EMIT finished(false);
        return;
    }
    m_result = job->result();
    m_progress->setValue(100);
    setStatus(fewShotSummary(job->request(), m_result));
    m_prompt->setPlainText(m_result.examplePrompt);
    const Evaluation& e = m_result.evaluation;
    const QStringList& labels = e.report.labels;
    m_answers->setRowCount(int(e.rows.size()));
    for (int i = 0; i < e.rows.size(); ++i) {
        const RowPrediction& row = e.rows[i];
        const bool right = row.predicted == row.truth;
        const QStringList cells = {row.text, labels.value(row.truth), m_result.answers.value(i).trimmed(),
                                   row.predicted >= 0 ? labels.value(row.predicted) : tr("— (not a label)")};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 3)
                item->setForeground(right ? QColor(46, 125, 50) : QColor(176, 0, 32));
            m_answers->setItem(i, c, item);
        }
    }
    if (m_result.runId > 0)
        Q_EMIT runRecorded(m_result.runId);
    Q_EMIT finished(true);
}

void FewShotDialog::setStatus(const QString& text, bool error)
{
    m_statusPlain = text;
    m_status->setText(error ? QStringLiteral("<span style='color:#b00020'>%1</span>").arg(text.toHtmlEscaped())
                            : text.toHtmlEscaped());
}

QString FewShotDialog::statusText() const
{
    return m_statusPlain;
}

QString FewShotDialog::promptText() const
{
    return m_prompt->toPlainText();
}

void FewShotDialog::closeEvent(QCloseEvent* event)
{
    hide(); // a running job goes on; Few-shot… shows the dialog again
    event->ignore();
}

} // namespace fts
