// The lexicon baseline is evaluated on the GUI thread (microseconds per row); a trained run is
// evaluated by an EvaluateRunJob on the engine thread and shown through the same widgets.
#include "EvaluatePage.h"
#include "ChartExport.h"

#include "ConfusionMatrixWidget.h"
#include "Error.h"
#include "label/LabelSchema.h"
#include "label/Labeling.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"
#include "align/SftEvaluation.h"
#include "train/EvaluateRunJob.h"
#include "train/MultiTaskTrainer.h"
#include "train/RunStore.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QSettings>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>

namespace fts {

namespace {
// The predictor list's role for a multi-task run's task (its entries share the run id).
constexpr int kTaskRole = Qt::UserRole + 1;
// The run's method: chat and summarization runs are evaluated by what they write.
constexpr int kMethodRole = Qt::UserRole + 2;

bool isGenerationMethod(const QString& method)
{
    return method.startsWith(QLatin1String("sft-"));
}

// Reward, DPO and PPO runs are judged on the Feedback page, not here.
bool isEvaluatedHere(const QString& method)
{
    return !method.startsWith(QLatin1String("reward")) && method != QLatin1String("dpo") &&
           method != QLatin1String("ppo");
}
} // namespace

EvaluatePage::EvaluatePage(QWidget* parent)
    : QWidget(parent), m_predictor(new QComboBox(this)), m_split(new QComboBox(this)), m_summary(new QLabel(this)), m_confusion(new ConfusionMatrixWidget(this)),
      m_bars(new QCustomPlot(this)), m_calibration(new QCustomPlot(this)), m_errors(new QTableWidget(this))
{
    setObjectName(QStringLiteral("evaluatePage"));
    m_split->setObjectName(QStringLiteral("splitChoice"));
    m_split->addItem(tr("Test split"), QStringLiteral("test"));
    m_split->addItem(tr("Validation split"), QStringLiteral("val"));
    auto* run = new QPushButton(tr("Evaluate"), this);
    connect(run, &QPushButton::clicked, this, &EvaluatePage::evaluate);
    m_summary->setObjectName(QStringLiteral("evaluationSummary"));
    m_summary->setWordWrap(true);
    m_bars->setMinimumHeight(180);
    addChartExportMenu(m_bars, QStringLiteral("per-class"));
    addChartExportMenu(m_calibration, QStringLiteral("calibration"));
    m_calibration->setObjectName(QStringLiteral("calibrationPlot"));
    m_calibration->setMinimumHeight(180);
    m_calibration->setToolTip(tr("Reliability: of the rows predicted with about this confidence, the "
                                 "share that was right. Bars on the dashed diagonal mean the model's "
                                 "confidence can be taken at face value; bars below it, over-confidence."));
    m_errors->setObjectName(QStringLiteral("errorTable"));
    m_errors->setColumnCount(5);
    m_errors->setHorizontalHeaderLabels({tr("Row"), tr("Text"), tr("True"), tr("Predicted"), tr("Confidence")});
    m_errors->verticalHeader()->setVisible(false);
    m_errors->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_errors->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_errors->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    connect(m_confusion, &ConfusionMatrixWidget::cellClicked, this, &EvaluatePage::filterErrors);

    auto* top = new QHBoxLayout;
    m_predictor->setObjectName(QStringLiteral("predictorChoice"));
    m_predictor->setToolTip(tr("A trained run, or the word-lexicon baseline to compare against"));
    top->addWidget(new QLabel(tr("Predictor:"), this));
    top->addWidget(m_predictor);
    top->addWidget(m_split);
    top->addWidget(run);
    top->addStretch(1);
    m_charts = new QWidget(this);
    auto* charts = new QHBoxLayout(m_charts);
    charts->setContentsMargins(0, 0, 0, 0);
    charts->addWidget(m_confusion, 1);
    charts->addWidget(m_bars, 1);
    charts->addWidget(m_calibration, 1);
    m_tableTitle = new QLabel(this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_summary);
    layout->addWidget(m_charts, 1);
    layout->addWidget(m_tableTitle);
    layout->addWidget(m_errors, 1);
    setTableMode(false);
}

void EvaluatePage::setProject(Project* project)
{
    m_project = project;
    m_evaluation = Evaluation();
    m_summary->setText(project ? tr("Choose a run (or the baseline) and press Evaluate.") : QString());
    reloadPredictors();
    m_confusion->setMatrix({}, {});
    m_errors->setRowCount(0);
}

QString EvaluatePage::summaryText() const
{
    return m_summary->text();
}

void EvaluatePage::setJobRunner(JobRunner* jobs)
{
    m_jobs = jobs;
    connect(m_jobs, &JobRunner::jobFinished, this, [this](int id, const JobOutcome& outcome) {
        if (id != m_jobId)
            return;
        m_jobId = 0;
        const std::shared_ptr<EvaluateRunJob> job = std::move(m_job);
        const std::shared_ptr<EvaluateSftRunJob> sftJob = std::move(m_sftJob);
        if (outcome.status != JobStatus::Succeeded) {
            m_summary->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                   .arg(outcome.message.toHtmlEscaped()));
            return;
        }
        if (sftJob) {
            m_shownKey = m_pendingKey;
            showGeneration(sftJob->result(), sftJob->stored());
            return;
        }
        m_evaluation = job->result();
        m_shownKey = m_pendingKey; // what was asked for, even if the choice changed meanwhile
        showEvaluation();
        if (job->stored() && m_project)
            m_summary->setText(m_summary->text() + keptNote(job->runId()));
    });
}

void EvaluatePage::reloadPredictors()
{
    const qint64 chosen = m_predictor->currentData().toLongLong();
    const QString chosenTask = m_predictor->currentData(kTaskRole).toString();
    const QSignalBlocker block(m_predictor);
    m_predictor->clear();
    if (m_project) {
        QList<RunRecord> runs = listRuns(*m_project);
        std::reverse(runs.begin(), runs.end()); // newest first: usually the one to look at
        for (const RunRecord& r : runs) {
            if (!hasCheckpoint(r) || !isEvaluatedHere(r.method))
                continue;
            if (!isMultiTaskRun(r)) {
                m_predictor->addItem(tr("Run %1 (%2, %3)").arg(r.id).arg(r.method, r.status), r.id);
                m_predictor->setItemData(m_predictor->count() - 1, r.method, kMethodRole);
                continue;
            }
            // A multi-task run is evaluated one task (one head) at a time.
            for (const QString& task : multiTaskRunTasks(r)) {
                m_predictor->addItem(tr("Run %1 (%2, %3) · task %4").arg(r.id).arg(r.method, r.status, task), r.id);
                m_predictor->setItemData(m_predictor->count() - 1, task, kTaskRole);
            }
        }
    }
    m_predictor->addItem(tr("Word-lexicon baseline"), qint64(0));
    int index = -1;
    for (int i = 0; i < m_predictor->count() && index < 0; ++i)
        if (m_predictor->itemData(i).toLongLong() == chosen && m_predictor->itemData(i, kTaskRole).toString() == chosenTask)
            index = i;
    if (index < 0)
        index = m_predictor->findData(chosen);
    m_predictor->setCurrentIndex(chosen != 0 && index >= 0 ? index : 0);
}

bool EvaluatePage::chooseRun(qint64 runId)
{
    reloadPredictors();
    const int index = m_predictor->findData(runId);
    if (index < 0)
        return false;
    m_predictor->setCurrentIndex(index);
    return true;
}

bool EvaluatePage::showRun(qint64 runId)
{
    return chooseRun(runId) && evaluate();
}

QString EvaluatePage::choiceKey() const
{
    return QStringLiteral("%1/%2/%3")
        .arg(m_predictor->currentData().toLongLong())
        .arg(m_split->currentData().toString(), m_predictor->currentData(kTaskRole).toString());
}

bool EvaluatePage::evaluateIfStale()
{
    if (isEvaluating() || m_shownKey == choiceKey())
        return false;
    return evaluate();
}

bool EvaluatePage::isEvaluating() const
{
    return m_jobId != 0;
}

bool EvaluatePage::evaluate()
{
    if (!m_project)
        return false;
    if (isGenerationMethod(m_predictor->currentData(kMethodRole).toString())) {
        if (!m_jobs || isEvaluating())
            return false;
        const qint64 runId = m_predictor->currentData().toLongLong();
        m_summary->setText(tr("Run %1 is answering the %2 records of its data file…")
                               .arg(runId)
                               .arg(m_split->currentData().toString()));
        m_sftJob = std::make_shared<EvaluateSftRunJob>(m_project->path(), runId,
                                                       m_split->currentData().toString());
        m_pendingKey = choiceKey();
        m_jobId = m_jobs->submit(m_sftJob);
        return true;
    }
    const QStringList tasks = m_project->tasks();
    if (tasks.isEmpty()) {
        m_summary->setText(tr("There are no labels yet: import labeled data or label some rows first."));
        return false;
    }
    const qint64 runId = m_predictor->currentData().toLongLong();
    if (runId > 0) {
        if (!m_jobs || isEvaluating())
            return false;
        m_summary->setText(tr("Evaluating run %1…").arg(runId));
        m_job = std::make_shared<EvaluateRunJob>(m_project->path(), runId,
                                                 m_split->currentData().toString(),
                                                 m_predictor->currentData(kTaskRole).toString());
        m_pendingKey = choiceKey();
        m_jobId = m_jobs->submit(m_job);
        return true;
    }
    try {
        const QStringList labels = loadLabelSchema(*m_project, tasks.first()).names();
        m_evaluation = evaluateOnSplit(*m_project, tasks.first(), m_split->currentData().toString(), labels,
                                       tr("lexicon baseline"), lexiconPredictor(labels));
        m_shownKey = choiceKey();
    } catch (const Error& e) {
        m_summary->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(e.message().toHtmlEscaped()));
        return false;
    }
    showEvaluation();
    return true;
}

QString EvaluatePage::keptNote(qint64 runId) const
{
    return tr("<br><i>Kept with run %1 (evaluations kept: %2).</i>")
        .arg(runId)
        .arg(runEvaluations(*m_project, runId).size());
}

// A classifier's errors (with its charts), or a generator's answers (no charts: they are about
// labels).
void EvaluatePage::setTableMode(bool answers)
{
    m_charts->setVisible(!answers);
    m_tableTitle->setText(answers ? tr("<b>Answers</b> to the held-out records, beside their references "
                                       "(hover a cell for all of it)")
                                  : tr("<b>Errors</b>, most confident first (click a matrix cell to filter; "
                                       "select a row and press a number key 1-9 to relabel it)"));
    m_errors->setHorizontalHeaderLabels(answers ? QStringList{tr("Line"), tr("Prompt"), tr("Reference"), tr("Generated"), tr("ROUGE-L")}
                                                : QStringList{tr("Row"), tr("Text"), tr("True"), tr("Predicted"), tr("Confidence")});
    for (int c = 2; c <= 3; ++c)
        m_errors->horizontalHeader()->setSectionResizeMode(c, answers ? QHeaderView::Stretch : QHeaderView::Interactive);
}

void EvaluatePage::showGeneration(const GenerationEvaluation& g, bool stored)
{
    setTableMode(true); // hides the charts; showEvaluation() draws them again
    m_evaluation = Evaluation(); // nothing to relabel or filter: the answers are not labels
    QString text = tr("<b>Run %1 (%2) on %3 %4 records</b>: loss %5 per answer token (perplexity "
                      "%6); its greedy answers against the references: ROUGE-1 %7, ROUGE-2 %8, "
                      "ROUGE-L %9, exact match %10.")
                       .arg(g.runId)
                       .arg(g.task)
                       .arg(g.records)
                       .arg(g.split)
                       .arg(g.loss, 0, 'f', 3)
                       .arg(g.perplexity, 0, 'f', 2)
                       .arg(g.rouge.rouge1.f1, 0, 'f', 3)
                       .arg(g.rouge.rouge2.f1, 0, 'f', 3)
                       .arg(g.rouge.rougeL.f1, 0, 'f', 3)
                       .arg(g.exactMatch, 0, 'f', 3);
    if (stored && m_project)
        text += keptNote(g.runId);
    m_summary->setText(text);
    m_errors->setRowCount(int(g.answers.size()));
    for (int i = 0; i < g.answers.size(); ++i) {
        const GeneratedAnswer& a = g.answers[i];
        const QStringList cells = {QString::number(a.line), a.prompt.simplified(), a.reference,
                                   a.generated, QString::number(a.rougeL, 'f', 3)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(cells[c]);
            m_errors->setItem(i, c, item);
        }
    }
}

void EvaluatePage::showEvaluation()
{
    setTableMode(false);
    const ClassificationReport& r = m_evaluation.report;
    QStringList perClass;
    for (const ClassMetrics& c : r.perClass)
        perClass << tr("%1: P %2, R %3, F1 %4 (%5 rows)").arg(c.label).arg(c.precision, 0, 'f', 2)
                        .arg(c.recall, 0, 'f', 2).arg(c.f1, 0, 'f', 2).arg(c.support);
    m_summary->setText(tr("<b>%1 on %2 rows of the %3 split</b>: accuracy %4, macro F1 %5, weighted F1 %6, loss %7, "
                          "calibration error %8.<br>%9")
                           .arg(m_evaluation.predictor).arg(r.total).arg(m_evaluation.split)
                           .arg(r.accuracy, 0, 'f', 3).arg(r.macroF1, 0, 'f', 3).arg(r.weightedF1, 0, 'f', 3)
                           .arg(r.loss, 0, 'f', 3).arg(r.ece, 0, 'f', 3).arg(perClass.join(QStringLiteral("; "))));
    m_confusion->setMatrix(r.labels, r.confusion);
    drawClassBars();
    drawCalibration();
    filterErrors(-1, -1);
}

void EvaluatePage::drawCalibration()
{
    m_calibration->clearPlottables();
    m_calibration->clearItems();
    const ClassificationReport& r = m_evaluation.report;
    auto* bars = new QCPBars(m_calibration->xAxis, m_calibration->yAxis);
    bars->setName(tr("share correct"));
    bars->setBrush(QColor(0x1f, 0x77, 0xb4, 170));
    bars->setPen(Qt::NoPen);
    QVector<double> keys, values;
    double width = 0.1;
    for (const CalibrationBin& b : r.calibration) {
        width = b.upper - b.lower;
        if (b.count == 0)
            continue;
        keys << (b.lower + b.upper) / 2;
        values << b.accuracy;
        auto* count = new QCPItemText(m_calibration);
        count->position->setCoords((b.lower + b.upper) / 2, b.accuracy);
        count->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        count->setText(QString::number(b.count));
    }
    bars->setWidth(width * 0.9);
    bars->setData(keys, values);
    QCPGraph* diagonal = m_calibration->addGraph();
    diagonal->setName(tr("perfectly calibrated"));
    diagonal->setPen(QPen(QColor(0xd6, 0x27, 0x28), 1.4, Qt::DashLine));
    diagonal->setData({0, 1}, {0, 1});
    m_calibration->xAxis->setLabel(r.ece >= 0 ? tr("confidence (calibration error %1)").arg(r.ece, 0, 'f', 3)
                                              : tr("confidence"));
    m_calibration->yAxis->setLabel(tr("share correct"));
    m_calibration->xAxis->setRange(0, 1);
    m_calibration->yAxis->setRange(0, 1.12); // room for the counts above full bars
    m_calibration->replot();
}

void EvaluatePage::drawClassBars()
{
    m_bars->clearPlottables();
    const ClassificationReport& r = m_evaluation.report;
    auto* group = new QCPBarsGroup(m_bars);
    const QList<QPair<QString, QColor>> series = {{tr("precision"), QColor("#4c72b0")}, {tr("recall"), QColor("#dd8452")},
                                                  {tr("F1"), QColor("#55a868")}};
    for (int s = 0; s < series.size(); ++s) {
        auto* bars = new QCPBars(m_bars->xAxis, m_bars->yAxis);
        bars->setName(series[s].first);
        bars->setBrush(series[s].second);
        bars->setPen(Qt::NoPen);
        bars->setWidth(0.25);
        bars->setBarsGroup(group);
        QVector<double> keys, values;
        for (int c = 0; c < r.perClass.size(); ++c) {
            keys << c;
            values << (s == 0 ? r.perClass[c].precision : s == 1 ? r.perClass[c].recall : r.perClass[c].f1);
        }
        bars->setData(keys, values);
    }
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    for (int c = 0; c < r.labels.size(); ++c)
        ticks->addTick(c, r.labels[c]);
    m_bars->xAxis->setTicker(ticks);
    m_bars->xAxis->setRange(-0.6, r.labels.size() - 0.4);
    m_bars->yAxis->setRange(0, 1.05);
    m_bars->legend->setVisible(true);
    m_bars->replot();
}

void EvaluatePage::filterErrors(int truth, int predicted)
{
    QList<const RowPrediction*> rows;
    for (const RowPrediction& p : std::as_const(m_evaluation.rows))
        if (p.truth != p.predicted && (truth < 0 || (p.truth == truth && p.predicted == predicted)))
            rows << &p;
    // A cell on the diagonal lists the correct rows of that class instead.
    if (truth >= 0 && truth == predicted)
        for (const RowPrediction& p : std::as_const(m_evaluation.rows))
            if (p.truth == truth && p.predicted == truth)
                rows << &p;
    std::stable_sort(rows.begin(), rows.end(), [](const RowPrediction* a, const RowPrediction* b) {
        return a->probabilities[a->predicted] > b->probabilities[b->predicted];
    });
    const QStringList& labels = m_evaluation.report.labels;
    m_errors->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        const RowPrediction& p = *rows[i];
        const QStringList cells = {QString::number(p.rowId), p.text, labels[p.truth], labels[p.predicted],
                                   QStringLiteral("%1%").arg(qRound(p.probabilities[p.predicted] * 100))};
        for (int c = 0; c < cells.size(); ++c)
            m_errors->setItem(i, c, new QTableWidgetItem(cells[c]));
    }
}

void EvaluatePage::keyPressEvent(QKeyEvent* event)
{
    // 1-9 relabel the selected error with that label of the schema, as on the Label page.
    const int index = event->text().toInt() - 1;
    const QStringList& labels = m_evaluation.report.labels;
    if (!event->text().isEmpty() && index >= 0 && index < labels.size()) {
        relabelSelected(labels[index], QSettings().value(QStringLiteral("label/annotator"),
                                                         qEnvironmentVariable("USER", QStringLiteral("annotator"))).toString());
        return;
    }
    QWidget::keyPressEvent(event);
}

bool EvaluatePage::relabelSelected(const QString& label, const QString& annotator)
{
    if (!m_project || m_errors->currentRow() < 0)
        return false;
    const qint64 row = m_errors->item(m_errors->currentRow(), 0)->text().toLongLong();
    try {
        setLabel(*m_project, row, m_evaluation.task, label, annotator);
    } catch (const Error& e) {
        m_summary->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(e.message().toHtmlEscaped()));
        return false;
    }
    m_errors->item(m_errors->currentRow(), 2)->setText(label + tr(" (relabeled)"));
    return true;
}

} // namespace fts
