// The sweep's runs are ordinary runs (the Train page's table lists them as they finish); this
// dialog only chooses what varies and shows how the metric responded.
#include "SweepDialog.h"
#include "ChartExport.h"

#include "Error.h"
#include "jobs/JobRunner.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>

namespace fts {
namespace {

enum AxisColumn { kKeyColumn, kValuesColumn, kLogColumn };

QStringList sweepableKeys()
{
    QStringList keys;
    for (const HyperparameterInfo& info : Hyperparameters::catalog())
        if (info.key != QLatin1String("task_weights") && info.key != QLatin1String("lora_targets"))
            keys << info.key;
    return keys;
}

bool isLearningRate(const QString& key)
{
    return key == QLatin1String("lr") || key == QLatin1String("head_lr");
}

} // namespace

SweepDialog::SweepDialog(QString projectPath, JobRunner* jobs, QString modelDir, QString task,
                         Hyperparameters base, QWidget* parent)
    : QDialog(parent), m_projectPath(std::move(projectPath)), m_jobs(jobs),
      m_modelDir(std::move(modelDir)), m_task(std::move(task)), m_base(std::move(base)),
      m_axes(new QTableWidget(0, 3, this)), m_search(new QComboBox(this)),
      m_budget(new QSpinBox(this)), m_seed(new QSpinBox(this)),
      m_prune(new QCheckBox(tr("Prune poor runs early"), this)),
      m_start(new QPushButton(tr("Start sweep"), this)), m_stop(new QPushButton(tr("Stop"), this)),
      m_useBest(new QPushButton(tr("Use best settings"), this)), m_status(new QLabel(this)),
      m_results(new QTableWidget(this)), m_chartAxis(new QComboBox(this)),
      m_chart(new QCustomPlot(this))
{
    setObjectName(QStringLiteral("sweepDialog"));
    setWindowTitle(tr("Hyperparameter sweep"));
    auto* intro = new QLabel(
        tr("Trains one run per setting, one after another, with everything else as in the editor; "
           "the best by the validation %1 is marked. Values: a list (<i>1e-5, 3e-5, 1e-4</i>) or, "
           "for random search, a range (<i>1e-5 .. 1e-3</i>; tick log scale for learning rates).")
            .arg(m_base.earlyStoppingMetric),
        this);
    intro->setWordWrap(true);

    m_axes->setObjectName(QStringLiteral("sweepAxes"));
    m_axes->setHorizontalHeaderLabels({tr("Setting"), tr("Values or range"), tr("Log scale")});
    m_axes->horizontalHeader()->setSectionResizeMode(kValuesColumn, QHeaderView::Stretch);
    m_axes->verticalHeader()->setVisible(false);
    m_axes->setMinimumHeight(90);
    m_axes->setMaximumHeight(150);
    auto* add = new QPushButton(tr("Add setting"), this);
    auto* remove = new QPushButton(tr("Remove"), this);
    connect(add, &QPushButton::clicked, this, [this] {
        SweepAxis axis;
        axis.key = QStringLiteral("batch_size");
        axis.values = {QStringLiteral("8"), QStringLiteral("16")};
        addAxisRow(axis);
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_axes->currentRow() >= 0)
            m_axes->removeRow(m_axes->currentRow());
    });

    m_search->setObjectName(QStringLiteral("sweepSearch"));
    m_search->addItem(tr("Grid: every combination"), int(SweepSearch::Grid));
    m_search->addItem(tr("Random: draw settings"), int(SweepSearch::Random));
    m_budget->setRange(1, 200);
    m_budget->setValue(8);
    m_budget->setToolTip(tr("At most this many runs (a grid is cut after them; random search "
                            "draws this many settings)."));
    m_seed->setRange(0, 1000000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("Random search draws the same settings for the same seed."));
    m_prune->setToolTip(tr("After its first evaluation, a run whose best score so far is worse "
                           "than the median of the earlier runs' at that point stops there (it "
                           "stays in the run table as stopped, and can be resumed)."));
    auto* searchRow = new QHBoxLayout;
    searchRow->addWidget(m_search);
    searchRow->addWidget(new QLabel(tr("Budget (runs):"), this));
    searchRow->addWidget(m_budget);
    searchRow->addWidget(new QLabel(tr("Seed:"), this));
    searchRow->addWidget(m_seed);
    searchRow->addWidget(m_prune);
    searchRow->addStretch();

    m_start->setObjectName(QStringLiteral("startSweep"));
    m_stop->setObjectName(QStringLiteral("stopSweep"));
    m_useBest->setObjectName(QStringLiteral("useBestSweepSettings"));
    m_useBest->setToolTip(tr("Load the best run's settings into the Train page's editor."));
    connect(m_start, &QPushButton::clicked, this, &SweepDialog::start);
    connect(m_stop, &QPushButton::clicked, this, &SweepDialog::stop);
    connect(m_useBest, &QPushButton::clicked, this, [this] {
        const int best = bestTrial();
        if (best >= 0 && best < m_trialSettings.size())
            Q_EMIT useSettings(m_trialSettings[best]);
    });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch();
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_useBest);

    m_status->setObjectName(QStringLiteral("sweepStatus"));
    m_status->setWordWrap(true);
    m_results->setObjectName(QStringLiteral("sweepResults"));
    m_results->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_results->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_results->verticalHeader()->setVisible(false);
    m_chart->setObjectName(QStringLiteral("sweepChart"));
    m_chart->setMinimumSize(360, 220);
    addChartExportMenu(m_chart, QStringLiteral("sweep"));
    m_chart->yAxis->setLabel(tr("validation %1").arg(m_base.earlyStoppingMetric));
    m_chart->setToolTip(tr("Each run's best validation score against the chosen setting; the "
                           "best run is ringed."));
    connect(m_chartAxis, &QComboBox::currentIndexChanged, this, &SweepDialog::drawChart);
    auto* chartRow = new QHBoxLayout;
    chartRow->addWidget(new QLabel(tr("Plot against:"), this));
    chartRow->addWidget(m_chartAxis, 1);
    auto* chartBox = new QVBoxLayout;
    chartBox->addLayout(chartRow);
    chartBox->addWidget(m_chart, 1);
    auto* resultsRow = new QHBoxLayout;
    resultsRow->addWidget(m_results, 1);
    resultsRow->addLayout(chartBox, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_axes);
    layout->addLayout(searchRow);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addLayout(resultsRow, 1);
    resize(900, 620);

    SweepAxis lr;
    lr.key = QStringLiteral("lr");
    lr.values = {QStringLiteral("1e-5"), QStringLiteral("3e-5"), QStringLiteral("1e-4")};
    addAxisRow(lr);
    connect(m_jobs, &JobRunner::jobFinished, this, &SweepDialog::onJobFinished);
    setRunning(false);
    showStatus(tr("Model: %1. Task: %2.").arg(m_modelDir, m_task.isEmpty() ? tr("the first") : m_task));
}

void SweepDialog::closeEvent(QCloseEvent* event)
{
    if (isRunning()) {
        event->ignore();
        hide();
        return;
    }
    QDialog::closeEvent(event);
}

void SweepDialog::addAxisRow(const SweepAxis& axis)
{
    const int row = m_axes->rowCount();
    m_axes->insertRow(row);
    auto* key = new QComboBox(m_axes);
    key->addItems(sweepableKeys());
    key->setCurrentText(axis.key);
    m_axes->setCellWidget(row, kKeyColumn, key);
    const QString values = axis.isRange ? QStringLiteral("%1 .. %2").arg(axis.low).arg(axis.high)
                                        : axis.values.join(QStringLiteral(", "));
    m_axes->setItem(row, kValuesColumn, new QTableWidgetItem(values));
    auto* log = new QTableWidgetItem;
    log->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    log->setCheckState(axis.logScale ? Qt::Checked : Qt::Unchecked);
    m_axes->setItem(row, kLogColumn, log);
}

void SweepDialog::setAxes(const QList<SweepAxis>& axes)
{
    m_axes->setRowCount(0);
    for (const SweepAxis& axis : axes)
        addAxisRow(axis);
}

QList<SweepAxis> SweepDialog::axes() const
{
    QList<SweepAxis> out;
    for (int row = 0; row < m_axes->rowCount(); ++row) {
        const auto* key = qobject_cast<QComboBox*>(m_axes->cellWidget(row, kKeyColumn));
        const QString values = m_axes->item(row, kValuesColumn)->text().trimmed();
        if (values.isEmpty())
            throw Error(tr("Row %1 (%2): give values to try, or a range.").arg(row + 1).arg(key->currentText()));
        QString text = key->currentText() + QLatin1Char('=') + values;
        if (values.contains(QStringLiteral("..")) &&
            m_axes->item(row, kLogColumn)->checkState() == Qt::Checked)
            text += QStringLiteral(":log");
        try {
            out << SweepAxis::parse(text);
        } catch (const Error& e) {
            throw Error(tr("Row %1: %2").arg(row + 1).arg(e.message()));
        }
    }
    return out;
}

void SweepDialog::setSearch(SweepSearch search, int budget, quint32 seed, bool prune)
{
    m_search->setCurrentIndex(m_search->findData(int(search)));
    m_budget->setValue(budget);
    m_seed->setValue(int(seed));
    m_prune->setChecked(prune);
}

bool SweepDialog::start()
{
    if (isRunning())
        return false;
    SweepOptions o;
    o.modelDir = m_modelDir;
    o.task = m_task;
    o.base = m_base;
    o.search = SweepSearch(m_search->currentData().toInt());
    o.maxRuns = m_budget->value();
    o.seed = quint32(m_seed->value());
    o.prune = m_prune->isChecked();
    QList<SweepPoint> settings;
    try {
        o.grid = axes();
        settings = sweepSettings(o); // refused here, with the reason, before anything trains
    } catch (const Error& e) {
        showStatus(e.message(), true);
        return false;
    }
    m_options = o;
    m_trials.clear();
    m_trialSettings.clear();
    for (const SweepPoint& p : settings)
        m_trialSettings << p.hp;
    m_job = std::make_shared<SweepJob>(m_projectPath, o);
    // The job calls back on the engine thread; the dialog may be gone when a queued call runs.
    QPointer<SweepDialog> self(this);
    const int total = int(settings.size());
    m_job->onTrialStarted = [self, total](int index, const QJsonObject& values) {
        QMetaObject::invokeMethod(qApp, [self, index, total, values] {
            if (!self)
                return;
            QStringList parts;
            for (auto it = values.begin(); it != values.end(); ++it)
                parts << QStringLiteral("%1=%2").arg(it.key(), it.value().toString());
            self->showStatus(tr("Training run %1 of %2 (%3)…").arg(index + 1).arg(total)
                                 .arg(parts.join(QStringLiteral(", "))));
        }, Qt::QueuedConnection);
    };
    m_job->onTrialFinished = [self](const SweepTrial& trial) {
        QMetaObject::invokeMethod(qApp, [self, trial] {
            if (self)
                self->onTrial(trial);
        }, Qt::QueuedConnection);
    };
    m_jobId = m_jobs->submit(m_job);
    refreshResults();
    setRunning(true);
    showStatus(tr("Sweep of %1 runs queued…").arg(total));
    Q_EMIT started();
    return true;
}

void SweepDialog::stop()
{
    if (!isRunning())
        return;
    showStatus(tr("Stopping: the run under way saves a checkpoint and the sweep ends…"));
    m_jobs->cancel(m_jobId);
}

void SweepDialog::onTrial(const SweepTrial& trial)
{
    m_trials << trial;
    refreshResults();
    Q_EMIT runRecorded(trial.runId);
}

void SweepDialog::onJobFinished(int id, const JobOutcome& outcome)
{
    if (id == 0 || id != m_jobId)
        return;
    m_jobId = 0;
    m_job.reset();
    setRunning(false);
    if (outcome.status == JobStatus::Failed)
        showStatus(tr("The sweep stopped: %1").arg(outcome.message), true);
    else if (outcome.status == JobStatus::Cancelled)
        showStatus(tr("Sweep stopped after %1 runs.").arg(m_trials.size()));
    else
        showStatus(statusText());
    Q_EMIT finished();
}

int SweepDialog::bestTrial() const
{
    return bestSweepTrial(m_trials, m_options.base.earlyStoppingMetric);
}

QString SweepDialog::statusText() const
{
    const int best = bestTrial();
    if (best < 0)
        return tr("%1 runs, none with a validation score (does the project have a validation "
                  "split?).").arg(m_trials.size());
    const SweepTrial& b = m_trials[best];
    int pruned = 0;
    for (const SweepTrial& t : m_trials)
        pruned += t.status == QLatin1String("pruned");
    return tr("%1 runs (%2 pruned); the best is run %3 with validation %4 %5.")
        .arg(m_trials.size())
        .arg(pruned)
        .arg(b.runId)
        .arg(m_options.base.earlyStoppingMetric)
        .arg(b.score, 0, 'f', 4);
}

void SweepDialog::refreshResults()
{
    const int best = bestTrial();
    QStringList keys;
    for (const SweepAxis& axis : std::as_const(m_options.grid))
        keys << axis.key;
    QStringList headers{tr("Run")};
    headers << keys << tr("Status") << m_options.base.earlyStoppingMetric;
    m_results->clear();
    m_results->setColumnCount(int(headers.size()));
    m_results->setHorizontalHeaderLabels(headers);
    m_results->setRowCount(int(m_trials.size()));
    for (int row = 0; row < m_trials.size(); ++row) {
        const SweepTrial& t = m_trials[row];
        QStringList cells{row == best ? QStringLiteral("★ %1").arg(t.runId) : QString::number(t.runId)};
        for (const QString& k : keys)
            cells << t.values.value(k).toString();
        cells << t.status << (t.scored ? QString::number(t.score, 'f', 4) : QStringLiteral("–"));
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (row == best) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
                item->setToolTip(tr("The best run of the sweep"));
            }
            m_results->setItem(row, c, item);
        }
    }
    m_results->resizeColumnsToContents();
    const QString chosen = m_chartAxis->currentText();
    {
        const QSignalBlocker block(m_chartAxis);
        m_chartAxis->clear();
        m_chartAxis->addItems(keys);
        if (keys.contains(chosen))
            m_chartAxis->setCurrentText(chosen);
    }
    m_useBest->setEnabled(!isRunning() && best >= 0);
    drawChart();
}

void SweepDialog::drawChart()
{
    const int best = bestTrial();
    m_chart->clearGraphs();
    const QString key = m_chartAxis->currentText();
    const auto axis = std::find_if(m_options.grid.cbegin(), m_options.grid.cend(),
                                   [&](const SweepAxis& a) { return a.key == key; });
    if (key.isEmpty() || axis == m_options.grid.cend()) {
        m_chart->replot();
        return;
    }
    // Numbers on a (log) value axis; text values (schedule, method) as categories.
    bool numeric = true;
    for (const SweepTrial& t : std::as_const(m_trials)) {
        bool ok = false;
        t.values.value(key).toString().toDouble(&ok);
        numeric = numeric && ok;
    }
    const bool logX = numeric && (axis->logScale || isLearningRate(key));
    QStringList categories;
    QVector<double> xs, ys, bestX, bestY;
    for (int i = 0; i < m_trials.size(); ++i) {
        const SweepTrial& t = m_trials[i];
        if (!t.scored)
            continue;
        const QString v = t.values.value(key).toString();
        double x = 0;
        if (numeric) {
            x = v.toDouble();
        } else {
            if (!categories.contains(v))
                categories << v;
            x = double(categories.indexOf(v));
        }
        xs << x;
        ys << t.score;
        if (i == best) {
            bestX << x;
            bestY << t.score;
        }
    }
    QCPGraph* runs = m_chart->addGraph();
    runs->setName(tr("runs"));
    runs->setLineStyle(QCPGraph::lsNone);
    runs->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0x1f, 0x77, 0xb4), 8));
    runs->setData(xs, ys, false);
    QCPGraph* ring = m_chart->addGraph();
    ring->setName(tr("best"));
    ring->setLineStyle(QCPGraph::lsNone);
    ring->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(0xd6, 0x27, 0x28), 2),
                                          Qt::NoBrush, 16));
    ring->setData(bestX, bestY, false);
    m_chart->xAxis->setLabel(key);
    if (numeric) {
        m_chart->xAxis->setScaleType(logX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (logX)
            m_chart->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        else
            m_chart->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_chart->rescaleAxes();
        const QCPRange r = m_chart->xAxis->range();
        if (logX)
            m_chart->xAxis->setRange(r.lower / 1.5, r.upper * 1.5);
        else {
            const double margin = r.size() > 0 ? r.size() * 0.1 : std::max(1.0, std::abs(r.lower) * 0.2);
            m_chart->xAxis->setRange(r.lower - margin, r.upper + margin);
        }
    } else {
        m_chart->xAxis->setScaleType(QCPAxis::stLinear);
        QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
        for (int c = 0; c < categories.size(); ++c)
            ticks->addTick(c, categories[c]);
        m_chart->xAxis->setTicker(ticks);
        m_chart->xAxis->setRange(-0.5, std::max<double>(0.5, categories.size() - 0.5));
    }
    // The scores' own span with a margin, so close scores stay apart; scores other than the loss
    // stay within 0..1.
    if (!ys.isEmpty()) {
        const auto [lo, hi] = std::minmax_element(ys.cbegin(), ys.cend());
        const double pad = std::max(0.02, (*hi - *lo) * 0.15);
        double y0 = *lo - pad, y1 = *hi + pad;
        if (higherIsBetter(m_options.base.earlyStoppingMetric)) {
            y0 = std::max(0.0, y0);
            y1 = std::min(1.02, y1);
        }
        m_chart->yAxis->setRange(y0, y1);
    }
    m_chart->replot();
}

void SweepDialog::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    m_axes->setEnabled(!running);
    m_search->setEnabled(!running);
    m_budget->setEnabled(!running);
    m_seed->setEnabled(!running);
    m_prune->setEnabled(!running);
    m_useBest->setEnabled(!running && bestTrial() >= 0);
}

void SweepDialog::showStatus(const QString& text, bool error)
{
    m_status->setText(error ? QStringLiteral("<span style='color:#b00020'>%1</span>").arg(text.toHtmlEscaped())
                            : text.toHtmlEscaped());
}

} // namespace fts
