// Settings live in the project (meta "hyperparameters"), so they travel with it and a later run
// starts from them. Training runs as a TrainJob on the engine thread; its metric points come back
// to this page through queued calls and are also committed to the project by the trainer, so the
// chart after a restart is the same as the live one.
#include "TrainPage.h"

#include "Error.h"
#include "align/AlignTypes.h"
#include "HyperparameterEditor.h"
#include "SftTaskPanel.h"
#include "align/AlignJob.h"
#include "JobStatusWidget.h"
#include "RateChart.h"
#include "TrainingChart.h"
#include "jobs/JobRunner.h"
#include "hub/BundledModels.h"
#include "models/ModelConfig.h"
#include "project/Project.h"
#include "io/AtomicWrite.h"
#include "train/EvaluateRunJob.h"
#include "train/MultiTaskTrainer.h"
#include "train/ParameterCountJob.h"
#include "report/RunReport.h"
#include "FewShotDialog.h"
#include "SweepDialog.h"
#include "train/TrainJob.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <optional>

namespace fts {
namespace {

// Runs of the decoder trainers (the Feedback page's, and SFT): not classifiers.
bool isFeedbackRunMethod(const QString& method)
{
    return isDecoderRunMethod(method) || isRewardRunMethod(method);
}

// Chat and summarization runs, which this page starts and resumes itself.
bool isSftRunMethod(const QString& method)
{
    return method.startsWith(QLatin1String("sft-"));
}

// What a run's best checkpoint was chosen by (a few-shot run: what its score is).
QString selectionMetricOf(const RunRecord& r, const Hyperparameters& hp)
{
    if (isFewShotRunMethod(r.method)) // scored once, on the split it was asked about
        return QStringLiteral("%1 macro_f1").arg(r.hyperparameters.value(QLatin1String("split")).toString());
    if (isRewardRunMethod(r.method))
        return QStringLiteral("pairwise_accuracy");
    if (isDecoderRunMethod(r.method))
        return QStringLiteral("val loss");
    return hp.earlyStoppingMetric;
}

QString explainMethod(const QString& method)
{
    if (method == QLatin1String("frozen"))
        return QObject::tr("<b>Feature extraction</b>: the pre-trained model stays as it is and only a small new "
                           "classifier on top learns. Fastest, needs little data, usually a little less accurate.");
    if (method == QLatin1String("freeze"))
        return QObject::tr("<b>Layer freezing</b>: the embeddings and the first layers stay fixed, the upper layers and "
                           "the classifier learn. A middle ground in speed and accuracy.");
    if (method == QLatin1String("lora"))
        return QObject::tr("<b>LoRA</b>: the model stays fixed and small adapter matrices beside some layers learn. "
                           "Nearly the accuracy of full fine-tuning with a fraction of the trainable parameters.");
    return QObject::tr("<b>Full fine-tuning</b>: every weight of the model learns. Usually the most accurate, and the "
                       "slowest; needs a small learning rate.");
}

QString explainTemplate(const QString& task)
{
    if (task == QLatin1String("chat"))
        return QObject::tr("<b>Chat fine-tuning</b>: a decoder reads each conversation in its chat format and learns "
                           "to write the assistant's turns; the loss counts only the assistant's tokens, never the "
                           "user's. ");
    if (task == QLatin1String("summarization"))
        return QObject::tr("<b>Summarization</b>: a decoder reads each document after an instruction and learns to "
                           "write its summary; the loss counts only the summary's tokens. ");
    return {};
}

qint64 trainRows(Project& p)
{
    SqlQuery q(p.db(), QStringLiteral("SELECT COUNT(*) FROM rows r JOIN gold_labels g ON g.row_id = r.id "
                                      "WHERE r.split = 'train' AND r.removed_by_step IS NULL"));
    q.exec("count training rows");
    return q.next() ? q.value(0).toLongLong() : 0;
}


QString statusText(const QString& status)
{
    if (status == QLatin1String("cancelled"))
        return QObject::tr("stopped");
    return status;
}

// The knobs in which two runs' settings differ, as "lr 2e-05 → 5e-05".
QStringList settingDifferences(const QJsonObject& a, const QJsonObject& b)
{
    QStringList keys = a.keys() + b.keys();
    keys.removeDuplicates();
    keys.sort();
    QStringList out;
    const auto show = [](const QJsonValue& v) {
        return v.isDouble() ? QString::number(v.toDouble(), 'g', 4)
               : v.isBool() ? (v.toBool() ? QStringLiteral("on") : QStringLiteral("off"))
                            : v.toVariant().toString();
    };
    for (const QString& k : keys)
        if (a.value(k) != b.value(k))
            out << QStringLiteral("%1 %2 → %3").arg(k, show(a.value(k)), show(b.value(k)));
    return out;
}

} // namespace

TrainPage::TrainPage(QWidget* parent)
    : QWidget(parent), m_editor(new HyperparameterEditor(this)), m_method(new QLabel(this)),
      m_check(new QLabel(this)), m_start(new QPushButton(tr("Start training"), this)),
      m_pause(new QPushButton(tr("Pause"), this)), m_stop(new QPushButton(tr("Stop"), this)), m_resume(new QPushButton(tr("Resume run"), this)),
      m_clone(new QPushButton(tr("Use its settings"), this)),
      m_evaluate(new QPushButton(tr("Evaluate run"), this)),
      m_report(new QPushButton(tr("Save report…"), this)), m_live(new QLabel(this)),
      m_notes(new QLabel(this)), m_chart(new TrainingChart(this)), m_rates(new RateChart(this)), m_runs(new QTableWidget(this)), m_compare(new QLabel(this)),
      m_params(new QLabel(this)), m_countTimer(new QTimer(this)), m_task(new QComboBox(this)),
      m_sft(new SftTaskPanel(this)), m_labelTasks(new QListWidget(this)), m_labelTasksRow(new QWidget(this))
{
    m_labelTasks->setObjectName(QStringLiteral("trainTasks"));
    m_labelTasks->setFlow(QListView::LeftToRight);
    m_labelTasks->setMaximumHeight(m_labelTasks->fontMetrics().height() * 2 + 8);
    m_labelTasks->setToolTip(tr("Tick one task for an ordinary run, or several for one multi-task run: a shared "
                                "model with a head per task (each task's weight in the loss: task_weights)"));
    {
        auto* row = new QHBoxLayout(m_labelTasksRow);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(new QLabel(tr("Label tasks:"), m_labelTasksRow));
        row->addWidget(m_labelTasks, 1);
    }
    connect(m_labelTasks, &QListWidget::itemChanged, this, [this] {
        m_method->setText(explainTask());
        m_countTimer->start(); // each task adds a head
    });
    m_task->setObjectName(QStringLiteral("trainTask"));
    m_task->addItem(tr("Text classification (encoder, the project's labeled rows)"), QStringLiteral("classification"));
    m_task->addItem(tr("Chat fine-tuning (decoder, conversations from a JSONL file)"), QStringLiteral("chat"));
    m_task->addItem(tr("Summarization (decoder, documents and summaries from a JSONL file)"), QStringLiteral("summarization"));
    m_task->setToolTip(tr("What the model learns: to sort texts into the project's labels, to answer like the "
                          "assistant turns of your conversations, or to write the summary of a document"));
    m_sft->hide();
    connect(m_task, &QComboBox::currentIndexChanged, this, [this] {
        const bool decoder = decoderTask();
        m_sft->setVisible(decoder);
        m_labelTasksRow->setVisible(!decoder && m_labelTasks->count() > 1);
        if (decoder && m_project)
            m_sft->setProject(m_project, task());
        m_method->setText(explainTask());
        m_countedKey.clear();
        m_countTimer->start();
    });
    connect(m_sft, &SftTaskPanel::modelChanged, this, [this] { m_countTimer->start(); });
    setObjectName(QStringLiteral("trainPage"));
    m_method->setWordWrap(true);
    m_method->setObjectName(QStringLiteral("methodExplanation"));
    m_check->setWordWrap(true);
    m_check->setObjectName(QStringLiteral("trainCheck"));
    m_params->setWordWrap(true);
    m_params->setObjectName(QStringLiteral("parameterCount"));
    m_params->setToolTip(tr("Parameters the optimizer updates for this method on the chosen model, "
                            "out of all the model holds (LoRA adapters included)"));
    m_countTimer->setSingleShot(true);
    m_countTimer->setInterval(300); // a burst of edits (typing a rank) counts once
    connect(m_countTimer, &QTimer::timeout, this, &TrainPage::requestParameterCount);
    connect(m_editor, &HyperparameterEditor::changed, this, [this] {
        m_method->setText(explainTask());
        m_countTimer->start();
    });
    auto* presets = new QHBoxLayout;
    presets->addWidget(new QLabel(tr("Presets:"), this));
    for (const auto& [name, title] : {std::pair{"quick", "Quick look"}, {"balanced", "Balanced"}, {"careful", "Careful"}}) {
        auto* b = new QPushButton(tr(title), this);
        b->setObjectName(QStringLiteral("preset-%1").arg(QLatin1String(name)));
        connect(b, &QPushButton::clicked, this, [this, n = QString::fromLatin1(name)] { applyPreset(n); });
        presets->addWidget(b);
    }
    presets->addStretch(1);
    auto* checkButton = new QPushButton(tr("Check settings"), this);
    auto* saveButton = new QPushButton(tr("Save as the project's settings"), this);
    connect(checkButton, &QPushButton::clicked, this, &TrainPage::check);
    connect(saveButton, &QPushButton::clicked, this, &TrainPage::save);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_editor);
    scroll->setWidgetResizable(true);
    auto* buttons = new QHBoxLayout;
    auto* sweepButton = new QPushButton(tr("Sweep…"), this);
    sweepButton->setObjectName(QStringLiteral("openSweep"));
    sweepButton->setToolTip(tr("Try several values of some settings (grid or random search), one "
                               "run each, and find the best"));
    connect(sweepButton, &QPushButton::clicked, this, &TrainPage::openSweep);
    auto* fewShotButton = new QPushButton(tr("Few-shot…"), this);
    fewShotButton->setObjectName(QStringLiteral("openFewShot"));
    fewShotButton->setToolTip(tr("Prompt a text-writing model with a few labeled examples instead of "
                                 "training, and compare its score with the trained runs"));
    connect(fewShotButton, &QPushButton::clicked, this, &TrainPage::openFewShot);
    buttons->addWidget(checkButton);
    buttons->addWidget(saveButton);
    buttons->addWidget(sweepButton);
    buttons->addWidget(fewShotButton);
    buttons->addStretch(1);
    auto* settings = new QWidget(this);
    auto* left = new QVBoxLayout(settings);
    left->setContentsMargins(0, 0, 0, 0);
    auto* taskRow = new QHBoxLayout;
    taskRow->addWidget(new QLabel(tr("Task:"), this));
    taskRow->addWidget(m_task, 1);
    left->addLayout(taskRow);
    left->addWidget(m_labelTasksRow);
    left->addWidget(m_sft);
    left->addWidget(m_method);
    left->addWidget(m_params);
    left->addLayout(presets);
    left->addWidget(scroll, 1);
    left->addWidget(m_check);
    left->addLayout(buttons);

    m_start->setObjectName(QStringLiteral("startTraining"));
    m_start->setToolTip(tr("Train a new run with these settings (Ctrl+Return)"));
    m_start->setDefault(true);
    m_pause->setObjectName(QStringLiteral("pauseTraining"));
    m_pause->setToolTip(tr("Hold the run in memory between two steps; Continue goes on at once (Ctrl+Space)"));
    m_stop->setObjectName(QStringLiteral("stopTraining"));
    m_stop->setToolTip(tr("Save a checkpoint and end the run; Resume run continues it exactly, later"));
    m_resume->setObjectName(QStringLiteral("resumeRun"));
    m_clone->setToolTip(tr("Load the selected run's settings into the editor to change one and train again"));
    m_evaluate->setObjectName(QStringLiteral("evaluateRun"));
    m_evaluate->setToolTip(tr("Open the selected run on the Evaluate page"));
    connect(m_report, &QPushButton::clicked, this, [this] {
        const QList<qint64> ids = selectedRunIds();
        if (ids.isEmpty() || ids.size() > 6)
            return;
        QString selectedFilter;
        const QString file = QFileDialog::getSaveFileName(
            this, ids.size() == 1 ? tr("Save run report") : tr("Save comparison report"),
            ids.size() == 1 ? QStringLiteral("run-%1.html").arg(ids.first())
                            : QStringLiteral("runs-comparison.html"),
            tr("Web page (*.html);;PDF (*.pdf)"), &selectedFilter);
        if (file.isEmpty())
            return;
        // The dialog does not add the extension of the chosen type by itself everywhere.
        const bool pdf = selectedFilter.contains(QLatin1String("pdf"));
        const QString suffix = QFileInfo(file).suffix().toLower();
        saveReport(ids, suffix == QLatin1String("pdf") || suffix == QLatin1String("html") ||
                                suffix == QLatin1String("htm")
                            ? file
                            : file + (pdf ? QStringLiteral(".pdf") : QStringLiteral(".html")));
    });
    connect(m_start, &QPushButton::clicked, this, &TrainPage::startTraining);
    connect(m_pause, &QPushButton::clicked, this, [this] { isPaused() ? continueTraining() : pauseTraining(); });
    connect(m_stop, &QPushButton::clicked, this, &TrainPage::stopTraining);
    auto* pauseKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Space), this);
    connect(pauseKey, &QShortcut::activated, this, [this] { isPaused() ? continueTraining() : pauseTraining(); });
    connect(m_resume, &QPushButton::clicked, this, &TrainPage::resumeSelected);
    connect(m_clone, &QPushButton::clicked, this, &TrainPage::cloneSelected);
    connect(m_evaluate, &QPushButton::clicked, this, [this] {
        const QList<qint64> ids = selectedRunIds();
        if (ids.size() == 1)
            Q_EMIT evaluateRunRequested(ids.first());
    });
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    connect(shortcut, &QShortcut::activated, this, [this] {
        if (m_start->isEnabled())
            startTraining();
    });
    m_live->setObjectName(QStringLiteral("trainLive"));
    m_live->setWordWrap(true);
    m_notes->setObjectName(QStringLiteral("trainNotes"));
    m_notes->setWordWrap(true);
    m_notes->setTextFormat(Qt::PlainText);
    m_notes->setStyleSheet(QStringLiteral("color: #8a5a00"));
    m_notes->hide();
    m_compare->setObjectName(QStringLiteral("runComparison"));
    m_compare->setWordWrap(true);
    m_compare->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_runs->setObjectName(QStringLiteral("runTable"));
    m_runs->setColumnCount(7);
    m_runs->setHorizontalHeaderLabels({tr("Run"), tr("Status"), tr("Method"), tr("Model"),
                                       tr("Best"), tr("Best at step"), tr("Time")});
    m_runs->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_runs->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runs->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_runs->verticalHeader()->hide();
    m_runs->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_runs->setToolTip(tr("Select one run to see its curves, several to compare them"));
    connect(m_runs, &QTableWidget::itemSelectionChanged, this, &TrainPage::onSelectionChanged);

    auto* actions = new QHBoxLayout;
    for (QPushButton* b : {m_start, m_pause, m_stop, m_resume, m_clone, m_evaluate, m_report})
        actions->addWidget(b);
    actions->addStretch(1);
    auto* runsPane = new QWidget(this);
    auto* right = new QVBoxLayout(runsPane);
    right->setContentsMargins(0, 0, 0, 0);
    right->addLayout(actions);
    right->addWidget(m_live);
    right->addWidget(m_notes);
    right->addWidget(m_chart, 3);
    right->addWidget(m_rates, 1);
    right->addWidget(new QLabel(tr("<b>Runs</b> (select several to compare)"), this));
    right->addWidget(m_runs, 2);
    right->addWidget(m_compare);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(settings);
    split->addWidget(runsPane);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
    m_method->setText(explainTask());
    setTrainingState(false);
}

void TrainPage::setProject(Project* project, JobRunner* jobs)
{
    // The few-shot dialog belongs to the project it was opened on (its path, task and models).
    if (m_fewShot) {
        m_fewShot->stop();
        m_fewShot->deleteLater();
        m_fewShot = nullptr;
    }
    m_project = project;
    if (jobs && jobs != m_jobs) {
        if (m_jobs)
            disconnect(m_jobs, nullptr, this, nullptr);
        m_jobs = jobs;
        connect(m_jobs, &JobRunner::jobFinished, this, &TrainPage::onJobFinished);
    }
    Hyperparameters h;
    if (m_project) {
        const QString saved = m_project->metaValue(QStringLiteral("hyperparameters"));
        try {
            h = saved.isEmpty() ? Hyperparameters::preset(QStringLiteral("balanced"), trainRows(*m_project))
                                : Hyperparameters::fromJson(QJsonDocument::fromJson(saved.toUtf8()).object());
        } catch (const Error& e) {
            m_check->setText(tr("The saved settings could not be read (%1); the defaults are shown.").arg(e.message()));
        }
    }
    m_editor->setValues(h);
    const QString savedTask = m_project ? m_project->metaValue(QStringLiteral("train/task")) : QString();
    {
        const QSignalBlocker block(m_task);
        m_task->setCurrentIndex(std::max(0, m_task->findData(savedTask)));
    }
    m_sft->setVisible(decoderTask());
    m_sft->setProject(m_project, task());
    m_labelTasks->clear();
    reloadLabelTasks();
    m_method->setText(explainTask());
    m_countedKey.clear();
    m_countTimer->start();
    m_chart->clear();
    m_rates->clear();
    m_live->clear();
    reloadRuns();
}

QString TrainPage::task() const
{
    return m_task->currentData().toString();
}

bool TrainPage::decoderTask() const
{
    return task() != QLatin1String("classification");
}

void TrainPage::setTask(const QString& name)
{
    const int i = m_task->findData(name);
    if (i >= 0)
        m_task->setCurrentIndex(i);
}

void TrainPage::reloadLabelTasks()
{
    const QStringList all = m_project ? m_project->tasks() : QStringList();
    QStringList shown;
    for (int i = 0; i < m_labelTasks->count(); ++i)
        shown << m_labelTasks->item(i)->text();
    if (shown != all) {
        // The ticks on screen win over the saved ones (an import may just have added a task).
        QStringList chosen = shown.isEmpty() && m_project
                                 ? m_project->metaValue(QStringLiteral("train/label_tasks"))
                                       .split(QLatin1Char(','), Qt::SkipEmptyParts)
                                 : trainTasks();
        chosen.removeIf([&](const QString& t) { return !all.contains(t); });
        if (chosen.isEmpty() && !all.isEmpty())
            chosen = {all.first()};
        const QSignalBlocker block(m_labelTasks);
        m_labelTasks->clear();
        for (const QString& t : all) {
            auto* item = new QListWidgetItem(t, m_labelTasks);
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(chosen.contains(t) ? Qt::Checked : Qt::Unchecked);
        }
    }
    m_labelTasksRow->setVisible(!decoderTask() && m_labelTasks->count() > 1);
    m_method->setText(explainTask());
}

void TrainPage::setTrainTasks(const QStringList& tasks)
{
    for (int i = 0; i < m_labelTasks->count(); ++i)
        m_labelTasks->item(i)->setCheckState(tasks.contains(m_labelTasks->item(i)->text()) ? Qt::Checked
                                                                                          : Qt::Unchecked);
}

QStringList TrainPage::trainTasks() const
{
    QStringList out;
    for (int i = 0; i < m_labelTasks->count(); ++i)
        if (m_labelTasks->item(i)->checkState() == Qt::Checked)
            out << m_labelTasks->item(i)->text();
    return out;
}

QString TrainPage::explainTask() const
{
    const QString method = m_editor->values().method;
    if (decoderTask() && method == QLatin1String("frozen"))
        return explainTemplate(task()) +
               tr("<span style='color:#b00020'>Feature extraction trains a classifier head, which a decoder "
                  "writing text does not have: choose full, freeze or lora.</span>");
    QString multi;
    if (!decoderTask() && trainTasks().size() > 1)
        multi = tr(" <b>Multi-task</b>: %1 share one model, each with its own head; the loss adds each "
                   "task's, weighted by task_weights.").arg(trainTasks().join(QStringLiteral(", ")).toHtmlEscaped());
    return explainTemplate(task()) + explainMethod(method) + multi;
}

void TrainPage::applyPreset(const QString& name)
{
    Hyperparameters h = Hyperparameters::preset(name, m_project ? trainRows(*m_project) : 0);
    h.method = m_editor->values().method; // a preset changes the knobs, not the method
    m_editor->setValues(h);
}

void TrainPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_countTimer->start(); // the model may have changed on the Model page
    reloadLabelTasks();    // ... and an import may have added a label task
}

bool TrainPage::check()
{
    if (!m_project)
        return false;
    TrainingContext c;
    QString model = m_project->metaValue(QStringLiteral("model_dir"));
    QString note;
    if (decoderTask()) {
        try {
            c.trainRows = m_sft->trainRecords(task());
            const ModelConfig config = ModelConfig::load(m_sft->modelDir());
            c.hiddenSize = int(config.hiddenSize);
            c.numLayers = int(config.numLayers);
            Hyperparameters h = m_editor->values();
            if (h.method == QLatin1String("frozen"))
                throw Error(tr("Feature extraction (method frozen) applies to classification only; choose "
                               "full, freeze or lora for a decoder."));
            h.validate(c);
        } catch (const Error& e) {
            m_check->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                 .arg(e.message().toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
            return false;
        }
        m_check->setText(tr("These settings fit the %1 training records of %2.")
                             .arg(c.trainRows).arg(QFileInfo(m_sft->dataFile()).fileName()));
        return true;
    }
    c.trainRows = trainRows(*m_project);
    if (m_labelTasks->count() > 1 && trainTasks().isEmpty()) {
        m_check->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                             .arg(tr("Tick at least one label task to train.")));
        return false;
    }
    if (model.isEmpty()) {
        note = tr(" No model is chosen yet (Model page), so model-dependent limits were not checked.");
    } else {
        try {
            const ModelConfig config = ModelConfig::load(model);
            c.hiddenSize = int(config.hiddenSize);
            c.numLayers = int(config.numLayers);
        } catch (const Error& e) {
            note = tr(" The chosen model could not be read: %1").arg(e.message());
        }
    }
    try {
        m_editor->values().validate(c);
    } catch (const Error& e) {
        m_check->setText(QStringLiteral("<span style='color:#b00020'>%1</span>%2")
                             .arg(e.message().toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")), note.toHtmlEscaped()));
        return false;
    }
    m_check->setText(tr("These settings fit the %1 labeled training rows.%2").arg(c.trainRows).arg(note));
    return true;
}

bool TrainPage::save()
{
    if (!m_project || m_project->isReadOnly())
        return false;
    m_project->setMetaValue(QStringLiteral("hyperparameters"),
                            QString::fromUtf8(QJsonDocument(m_editor->values().toJson()).toJson(QJsonDocument::Compact)));
    m_project->setMetaValue(QStringLiteral("train/task"), task());
    m_project->setMetaValue(QStringLiteral("train/label_tasks"), trainTasks().join(QLatin1Char(',')));
    if (decoderTask())
        m_sft->save(*m_project, task());
    m_check->setText(tr("Saved with the project."));
    return true;
}

QString TrainPage::checkText() const
{
    return m_check->text();
}

QString TrainPage::notesText() const
{
    return m_notes->text();
}

QString TrainPage::liveText() const
{
    return m_live->text();
}

void TrainPage::showProblem(const QString& text)
{
    m_live->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(text.toHtmlEscaped()));
}

QString TrainPage::comparisonText() const
{
    return m_compare->text();
}

bool TrainPage::startTraining()
{
    if (!m_project || !m_jobs || isTraining())
        return false;
    if (m_project->isReadOnly()) {
        m_live->setText(tr("This project is open read-only, so runs cannot be recorded."));
        return false;
    }
    if (decoderTask()) {
        if (!check())
            return false;
        save();
        AlignOptions options;
        options.modelDir = m_sft->modelDir();
        options.dataFile = m_sft->dataFile();
        options.task = task();
        options.hp = m_editor->values();
        submitSft(options, 0, tr("new run"));
        return true;
    }
    const QString model = m_project->metaValue(QStringLiteral("model_dir"));
    if (model.isEmpty()) {
        m_live->setText(tr("<span style='color:#b00020'>Choose a pre-trained model on the Model page "
                           "first.</span>"));
        return false;
    }
    if (!check())
        return false;
    save(); // the next session starts from the settings this run used
    TrainerOptions options;
    options.modelDir = model;
    options.hp = m_editor->values();
    const QStringList tasks = trainTasks();
    if (tasks.size() > 1)
        options.tasks = tasks;
    else if (tasks.size() == 1)
        options.task = tasks.first();
    submit(options, 0, tr("new run"));
    return true;
}

AlignCallbacks TrainPage::liveCallbacks(const QString& chartName)
{
    // The trainer calls back on the engine thread; the page may be gone by the time a queued call
    // runs, hence the QPointer checked on the GUI thread.
    QPointer<TrainPage> self(this);
    constexpr qint64 kLive = -1;
    m_chart->setRun(kLive, chartName, {});
    m_rates->clear();
    m_notes->clear();
    m_notes->hide();
    AlignCallbacks cb;
    cb.onMetric = [self, chartName](const MetricPoint& p) {
        QMetaObject::invokeMethod(qApp, [self, chartName, p] {
            if (self)
                self->m_chart->addPoint(kLive, chartName, p);
        }, Qt::QueuedConnection);
    };
    cb.onStep = [self](const TrainProgress& p) {
        QMetaObject::invokeMethod(qApp, [self, p] {
            if (!self)
                return;
            self->m_rates->addStep(p.step, p.lr, p.tokensPerSecond);
            if (self->isPaused())
                return; // the step that was under way when Pause was pressed: keep saying so
            self->m_live->setText(tr("Step %1 of %2 · epoch %3 · loss %4 · learning rate %5 · %6 tokens/s")
                                          .arg(p.step).arg(p.totalSteps).arg(p.epoch, 0, 'f', 2)
                                          .arg(p.loss, 0, 'f', 4).arg(p.lr, 0, 'g', 3)
                                          .arg(qint64(p.tokensPerSecond)));
        }, Qt::QueuedConnection);
    };
    cb.onLog = [self](const QString& line) {
        QMetaObject::invokeMethod(qApp, [self, line] {
            if (!self)
                return;
            const QString before = self->m_notes->text();
            self->m_notes->setText(before.isEmpty() ? line : before + QLatin1Char('\n') + line);
            self->m_notes->show();
        }, Qt::QueuedConnection);
    };
    return cb;
}

void TrainPage::submit(TrainerOptions options, qint64 resumeRunId, const QString& chartName)
{
    const AlignCallbacks cb = liveCallbacks(chartName);
    options.onMetric = cb.onMetric;
    options.onStep = cb.onStep;
    options.onLog = cb.onLog;
    m_trainJob = std::make_shared<TrainJob>(m_project->path(), options, resumeRunId);
    m_trainJobId = m_jobs->submit(m_trainJob);
    m_live->setText(tr("Preparing the data and the model…"));
    setTrainingState(true);
}

void TrainPage::submitSft(AlignOptions options, qint64 resumeRunId, const QString& chartName)
{
    options.callbacks = liveCallbacks(chartName);
    m_alignJob = std::make_shared<AlignJob>(AlignKind::Sft, m_project->path(), std::move(options), resumeRunId);
    m_trainJobId = m_jobs->submit(m_alignJob);
    m_live->setText(tr("Reading the data and loading the decoder…"));
    setTrainingState(true);
}

void TrainPage::setRunPaused(bool paused)
{
    if (m_trainJob)
        m_trainJob->setPaused(paused);
    if (m_alignJob)
        m_alignJob->setPaused(paused);
    m_pause->setText(paused ? tr("Continue") : tr("Pause"));
}

void TrainPage::pauseTraining()
{
    if (!isTraining() || isPaused())
        return;
    setRunPaused(true);
    m_live->setText(tr("Paused after the step under way: the run waits in memory. Continue goes on at once; "
                       "Stop saves a checkpoint and ends it."));
}

void TrainPage::continueTraining()
{
    if (!isTraining() || !isPaused())
        return;
    setRunPaused(false);
    m_live->setText(tr("Continuing…"));
}

bool TrainPage::isPaused() const
{
    return (m_trainJob && m_trainJob->isPaused()) || (m_alignJob && m_alignJob->isPaused());
}

void TrainPage::stopTraining()
{
    if (!isTraining())
        return;
    m_live->setText(tr("Stopping: saving a checkpoint to resume from…"));
    m_jobs->cancel(m_trainJobId); // also ends a pause: the trainer's wait watches the same flag
    m_pause->setText(tr("Pause"));
}

bool TrainPage::resumeSelected()
{
    const QList<qint64> ids = selectedRunIds();
    if (!m_project || !m_jobs || isTraining() || ids.size() != 1)
        return false;
    const qint64 id = ids.first();
    for (const RunRecord& r : m_records) {
        if (r.id != id)
            continue;
        if (r.status == QLatin1String("finished") || r.lastCheckpoint.isEmpty()) {
            m_live->setText(r.lastCheckpoint.isEmpty()
                                ? tr("Run %1 has no checkpoint to resume from.").arg(id)
                                : tr("Run %1 has already finished.").arg(id));
            return false;
        }
        if (isSftRunMethod(r.method)) {
            submitSft(AlignOptions(), id, tr("run %1").arg(id)); // model, data, settings: its record
        } else {
            TrainerOptions options;
            options.modelDir = r.modelDir;
            options.hp = Hyperparameters::fromJson(r.hyperparameters);
            submit(options, id, tr("run %1").arg(id));
        }
        // The resumed run's stored history is drawn first; live points extend it.
        m_chart->setRun(id, tr("run %1 (before)").arg(id), runMetrics(*m_project, id));
        return true;
    }
    return false;
}

bool TrainPage::cloneSelected()
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.size() != 1)
        return false;
    for (const RunRecord& r : m_records) {
        if (r.id != ids.first())
            continue;
        if (isFewShotRunMethod(r.method)) {
            m_check->setText(tr("Run %1 is a few-shot evaluation, not training: open Few-shot… to "
                                "prompt again with other settings.").arg(r.id));
            return false;
        }
        try {
            m_editor->setValues(Hyperparameters::fromJson(r.hyperparameters));
            if (isSftRunMethod(r.method)) {
                setTask(r.task);
                m_sft->setModelDir(r.modelDir);
                m_sft->setDataFile(r.snapshot.value(QStringLiteral("data_file")).toString());
            } else {
                setTask(QStringLiteral("classification"));
                setTrainTasks(isMultiTaskRun(r) ? multiTaskRunTasks(r) : QStringList{r.task});
            }
        } catch (const Error& e) {
            m_check->setText(tr("Run %1's settings could not be read: %2").arg(r.id).arg(e.message()));
            return false;
        }
        m_check->setText(tr("Loaded the settings of run %1; change what you want to try and start "
                            "a new run.").arg(r.id));
        return true;
    }
    return false;
}

namespace {

// Only the settings that change what trains; the rest must not trigger a recount.
QString countKey(const QString& modelDir, const Hyperparameters& h, const QStringList& tasks)
{
    QString key = modelDir + QLatin1Char('|') + tasks.join(QLatin1Char(',')) + QLatin1Char('|') + h.method;
    if (h.method == QLatin1String("freeze"))
        key += QStringLiteral("|%1").arg(h.freezeLayers);
    if (h.method == QLatin1String("lora"))
        key += QStringLiteral("|%1|%2").arg(h.loraRank).arg(h.loraTargets.join(QLatin1Char(',')));
    return key;
}

QString whatTrains(const Hyperparameters& h, bool decoder)
{
    if (decoder) {
        if (h.method == QLatin1String("freeze"))
            return QObject::tr("the layers after the first %1").arg(h.freezeLayers);
        if (h.method == QLatin1String("lora"))
            return QObject::tr("the rank-%1 LoRA adapters").arg(h.loraRank);
        return QObject::tr("every layer");
    }
    if (h.method == QLatin1String("frozen"))
        return QObject::tr("only the new classifier head");
    if (h.method == QLatin1String("freeze"))
        return QObject::tr("the layers after the first %1, and the head").arg(h.freezeLayers);
    if (h.method == QLatin1String("lora"))
        return QObject::tr("the rank-%1 LoRA adapters and the head").arg(h.loraRank);
    return QObject::tr("every layer and the head");
}

} // namespace

void TrainPage::requestParameterCount()
{
    if (!m_project || !m_jobs)
        return;
    const QString model = decoderTask() ? m_sft->modelDir() : m_project->metaValue(QStringLiteral("model_dir"));
    if (decoderTask() && m_editor->values().method == QLatin1String("frozen")) {
        m_params->clear();
        return;
    }
    if (model.isEmpty()) {
        m_params->setText(decoderTask() ? tr("Choose a decoder to see how many parameters this method trains.")
                                        : tr("Choose a model on the Model page to see how many parameters this method trains."));
        m_countedKey.clear();
        return;
    }
    const Hyperparameters h = m_editor->values();
    const QStringList tasks = decoderTask() ? QStringList() : trainTasks();
    if (m_countJobId != 0 || countKey(model, h, tasks) == m_countedKey)
        return; // the finished job asks again if the settings moved on meanwhile
    m_countJob = std::make_shared<ParameterCountJob>(m_project->path(), model, h, tasks);
    m_countJobId = m_jobs->submit(m_countJob);
    m_params->setText(tr("Counting the parameters %1 trains…").arg(h.method));
}

QString TrainPage::parameterCountText() const
{
    return m_params->text();
}

void TrainPage::onJobFinished(int id, const JobOutcome& outcome)
{
    if (id != 0 && id == m_countJobId) {
        m_countJobId = 0;
        const std::shared_ptr<ParameterCountJob> job = std::move(m_countJob);
        m_countedKey = countKey(job->modelDir(), job->hyperparameters(), job->tasks());
        if (outcome.status == JobStatus::Succeeded) {
            const MethodParameterCounts& c = job->result();
            const QLocale locale;
            m_params->setText(tr("Trains %1 of %2 parameters (%3%): %4.")
                                  .arg(locale.toString(c.trainable), locale.toString(c.total))
                                  .arg(100.0 * double(c.trainable) / double(std::max<qint64>(1, c.total)), 0, 'g', 3)
                                  .arg(whatTrains(job->hyperparameters(), c.labels == 0) +
                                       (job->tasks().size() > 1 ? tr(", one head per task") : QString())));
        } else {
            m_params->setText(tr("Could not count the parameters: %1").arg(outcome.message));
        }
        requestParameterCount(); // the settings may have changed while it counted
        return;
    }
    if (id != 0 && id == m_reportJobId) {
        m_reportJobId = 0;
        const std::shared_ptr<EvaluateRunJob> job = std::move(m_reportJob);
        // A run without test rows (or without a checkpoint) still gets its report, without scores.
        if (outcome.status == JobStatus::Succeeded) {
            const auto& [runId, task] = m_reportQueue[m_reportEvaluated];
            if (task.isEmpty()) {
                m_reportEvaluations.insert(runId, job->result());
            } else {
                Evaluation e = job->result();
                e.task = task;
                m_reportTaskEvaluations[runId] << e;
            }
        }
        ++m_reportEvaluated;
        submitReportEvaluation(); // the next run, or the report when it was the last
        return;
    }
    if (id != m_trainJobId)
        return;
    m_trainJobId = 0;
    const qint64 runId = m_trainJob ? m_trainJob->result().runId
                         : m_alignJob ? m_alignJob->result().runId
                                      : 0;
    m_trainJob.reset();
    m_alignJob.reset();
    setTrainingState(false);
    if (outcome.status == JobStatus::Succeeded)
        m_live->setText(outcome.message);
    else if (outcome.status == JobStatus::Cancelled)
        m_live->setText(tr("Stopped with a checkpoint. Select the run and press Resume run to continue it."));
    else
        showProblem(outcome.message);
    reloadRuns();
    // Show the stored curves of the run that just ended, selected, instead of the live series.
    for (int row = 0; row < m_runs->rowCount(); ++row)
        if (runId > 0 && m_runs->item(row, 0)->data(Qt::UserRole).toLongLong() == runId)
            m_runs->selectRow(row);
    if (runId <= 0 && m_runs->rowCount() > 0)
        m_runs->selectRow(0);
    Q_EMIT runsChanged();
}

SweepDialog* TrainPage::openSweep()
{
    if (!m_project || !m_jobs)
        return nullptr;
    if (m_sweep) {
        m_sweep->show();
        m_sweep->raise();
        return m_sweep;
    }
    const auto refuse = [this](const QString& why) {
        showProblem(why);
        return nullptr;
    };
    if (m_project->isReadOnly())
        return refuse(tr("This project is open read-only, so sweep runs cannot be recorded."));
    if (decoderTask())
        return refuse(tr("Sweeps train text classifiers; choose the text classification task."));
    const QString model = m_project->metaValue(QStringLiteral("model_dir"));
    if (model.isEmpty())
        return refuse(tr("Choose a pre-trained model on the Model page first."));
    const QStringList tasks = trainTasks();
    if (tasks.size() > 1)
        return refuse(tr("A sweep trains one label task at a time; tick only one."));
    if (!check())
        return nullptr;
    m_sweep = new SweepDialog(m_project->path(), m_jobs, model, tasks.value(0), m_editor->values(), this);
    m_sweep->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_sweep, &SweepDialog::runRecorded, this, [this] {
        reloadRuns();
        Q_EMIT runsChanged();
    });
    connect(m_sweep, &SweepDialog::useSettings, this, [this](const Hyperparameters& hp) {
        m_editor->setValues(hp);
        m_live->setText(tr("The sweep's best settings are in the editor: Start training to use them."));
    });
    connect(m_sweep, &SweepDialog::started, this, [this] { setTrainingState(isTraining()); });
    connect(m_sweep, &SweepDialog::finished, this, [this] { setTrainingState(isTraining()); });
    m_sweep->show();
    return m_sweep;
}

FewShotDialog* TrainPage::openFewShot()
{
    if (!m_project || !m_jobs)
        return nullptr;
    if (m_fewShot && m_fewShot->isRunning()) {
        m_fewShot->show();
        m_fewShot->raise();
        return m_fewShot;
    }
    const auto refuse = [this](const QString& why) {
        showProblem(why);
        return nullptr;
    };
    if (m_project->isReadOnly())
        return refuse(tr("This project is open read-only, so a few-shot score cannot be kept."));
    if (decoderTask())
        return refuse(tr("Few-shot prompting asks for labels; choose the text classification task."));
    const QStringList tasks = trainTasks();
    if (tasks.isEmpty())
        return refuse(tr("Label some rows first: few-shot prompting needs labeled examples."));
    // Every model that writes text: the bundled ones, the project's model when it is a decoder,
    // and the project's decoder runs.
    QList<FewShotModelChoice> models;
    QStringList folders = bundledModels();
    const QString projectModel = m_project->metaValue(QStringLiteral("model_dir"));
    if (!projectModel.isEmpty() && !folders.contains(projectModel))
        folders.prepend(projectModel);
    for (const QString& dir : std::as_const(folders)) {
        try {
            if (ModelConfig::load(dir).isDecoder())
                models << FewShotModelChoice{QFileInfo(dir).fileName(), dir, 0};
        } catch (const Error&) {
            // Not a model this can read: not offered.
        }
    }
    for (const RunRecord& r : std::as_const(m_records))
        if (isDecoderRunMethod(r.method) && hasCheckpoint(r))
            models << FewShotModelChoice{tr("Run %1 (%2 of %3)").arg(r.id).arg(r.method, QFileInfo(r.modelDir).fileName()),
                                         r.modelDir, r.id};
    // Built anew each time (runs and models may have come and gone), with the last settings.
    std::optional<FewShotRequest> last;
    QString lastModel;
    if (m_fewShot) {
        last = m_fewShot->request();
        lastModel = m_fewShot->modelName();
        m_fewShot->deleteLater();
    }
    m_fewShot = new FewShotDialog(m_project->path(), m_jobs, tasks.first(), models, this);
    if (last) {
        m_fewShot->setOptions(last->options, last->split, last->maxRows);
        for (int i = 0; i < models.size(); ++i)
            if (models[i].name == lastModel)
                m_fewShot->chooseModel(i);
    }
    m_fewShot->setAttribute(Qt::WA_DeleteOnClose, false);
    connect(m_fewShot, &FewShotDialog::runRecorded, this, [this](qint64 runId) {
        reloadRuns();
        Q_EMIT runsChanged();
        m_live->setText(tr("The few-shot score is kept as run %1: select it with trained runs to compare.").arg(runId));
    });
    m_fewShot->show();
    return m_fewShot;
}

bool TrainPage::isSweeping() const
{
    return m_sweep && m_sweep->isRunning();
}

void TrainPage::setTrainingState(bool training)
{
    // A sweep's runs and a Start would only queue behind each other on the engine thread.
    m_start->setEnabled(!training && m_project && !isSweeping());
    m_pause->setEnabled(training);
    m_stop->setEnabled(training);
    if (!training)
        m_pause->setText(tr("Pause"));
    const QList<qint64> ids = selectedRunIds();
    // Decoder runs (SFT, reward model, DPO, PPO) are not classifiers: the Feedback page (or the
    // CLI) resumes and compares them; these buttons would start the classification trainer.
    bool classifier = true, sft = false;
    for (const RunRecord& r : std::as_const(m_records))
        if (ids.size() == 1 && r.id == ids.first()) {
            // A few-shot run has a score but no weights: nothing to resume, evaluate or clone.
            classifier = !isFeedbackRunMethod(r.method) && !isFewShotRunMethod(r.method);
            sft = isSftRunMethod(r.method);
        }
    const bool one = ids.size() == 1 && classifier;
    m_resume->setEnabled(!training && (one || (ids.size() == 1 && sft)));
    m_clone->setEnabled(one || (ids.size() == 1 && sft));
    m_evaluate->setEnabled(!training && one);
    bool reportable = !ids.isEmpty() && ids.size() <= 6;
    for (const RunRecord& r : std::as_const(m_records))
        if (ids.contains(r.id) && isFeedbackRunMethod(r.method))
            reportable = false;
    m_report->setEnabled(!training && reportable && m_reportJobId == 0);
    m_report->setToolTip(ids.size() > 1
                             ? tr("Write a comparison of the selected runs (2 to 6: scores, the settings "
                                  "that differ, overlaid curves, each run's test-split evaluation) as "
                                  "one HTML or PDF file")
                             : tr("Write the selected run's report (data, model, settings, curves, "
                                  "test-split metrics, confusion matrix, calibration, top errors) as "
                                  "one HTML or PDF file to share"));
    m_resume->setToolTip(classifier || sft ? QString()
                                    : tr("A run from the Feedback page (or the CLI): resume it there, on the "
                                         "Train from feedback tab."));
}

bool TrainPage::saveReport(qint64 runId, const QString& file)
{
    return saveReport(QList<qint64>{runId}, file);
}

bool TrainPage::saveReport(const QList<qint64>& runIds, const QString& file)
{
    if (!m_project || !m_jobs || isTraining() || m_reportJobId != 0 || runIds.isEmpty() ||
        runIds.size() > 6)
        return false;
    m_reportFile = file;
    m_reportRuns = runIds;
    m_reportQueue.clear();
    for (qint64 id : runIds) {
        // A multi-task run is evaluated head by head, each on its own task's rows.
        QStringList tasks;
        try {
            const RunRecord r = loadRun(*m_project, id);
            if (isMultiTaskRun(r))
                tasks = multiTaskRunTasks(r);
        } catch (const Error&) {
            // writeReport says which run cannot be read.
        }
        if (tasks.isEmpty())
            m_reportQueue << qMakePair(id, QString());
        for (const QString& t : std::as_const(tasks))
            m_reportQueue << qMakePair(id, t);
    }
    m_reportEvaluations.clear();
    m_reportTaskEvaluations.clear();
    m_reportEvaluated = 0;
    submitReportEvaluation();
    setTrainingState(false);
    return true;
}

// The runs are evaluated one job after another; the report is written when the last is done.
void TrainPage::submitReportEvaluation()
{
    while (m_reportEvaluated < m_reportQueue.size()) {
        const auto [runId, task] = m_reportQueue[m_reportEvaluated];
        RunRecord run;
        try {
            run = loadRun(*m_project, runId);
        } catch (const Error&) {
            ++m_reportEvaluated; // writeReport names what cannot be read
            continue;
        }
        if (!isFewShotRunMethod(run.method)) {
            m_reportJob = std::make_shared<EvaluateRunJob>(m_project->path(), runId, QStringLiteral("test"), task);
            m_reportJobId = m_jobs->submit(m_reportJob);
            return;
        }
        // A few-shot run has no weights to evaluate again: the evaluation kept with it goes in.
        try {
            const Evaluation kept = keptFewShotEvaluation(*m_project, run);
            if (kept.report.total > 0)
                m_reportEvaluations.insert(runId, kept);
        } catch (const Error&) {
            // Reported without scores, as a run whose evaluation failed.
        }
        ++m_reportEvaluated;
    }
    writeReport();
    setTrainingState(isTraining());
    Q_EMIT reportWritten(m_reportFile);
}

void TrainPage::writeReport()
{
    try {
        QList<RunReportInput> inputs;
        for (qint64 runId : std::as_const(m_reportRuns)) {
            RunReportInput in;
            in.projectName = m_project->name();
            in.run = loadRun(*m_project, runId);
            in.metrics = runMetrics(*m_project, runId);
            in.evaluation = m_reportEvaluations.value(runId);
            in.taskEvaluations = m_reportTaskEvaluations.value(runId);
            inputs << in;
        }
        fts::writeReport(inputs.size() == 1 ? runReport(inputs.first())
                                       : comparisonReport(m_project->name(), inputs),
                    m_reportFile);
        QStringList ids;
        for (qint64 runId : std::as_const(m_reportRuns))
            ids << QString::number(runId);
        m_live->setText(tr("Saved the report of run %1 to %2.", nullptr, int(ids.size()))
                            .arg(ids.join(QStringLiteral(", ")), QDir::toNativeSeparators(m_reportFile)));
    } catch (const Error& e) {
        showProblem(e.message());
    }
    m_reportEvaluations.clear();
    m_reportTaskEvaluations.clear();
}

void TrainPage::reloadRuns()
{
    const QSignalBlocker block(m_runs);
    m_records = m_project ? listRuns(*m_project) : QList<RunRecord>();
    std::reverse(m_records.begin(), m_records.end()); // newest first
    m_runs->setRowCount(int(m_records.size()));
    for (int row = 0; row < m_records.size(); ++row) {
        const RunRecord& r = m_records[row];
        const Hyperparameters hp = [&] {
            try {
                return Hyperparameters::fromJson(r.hyperparameters);
            } catch (const Error&) {
                return Hyperparameters();
            }
        }();
        const QStringList cells = {
            QString::number(r.id), statusText(r.status), r.method, QFileInfo(r.modelDir).fileName(),
            r.bestStep >= 0 ? QStringLiteral("%1 %2").arg(selectionMetricOf(r, hp)).arg(r.bestMetric, 0, 'f', 3)
                            : QString(),
            r.bestStep >= 0 ? QString::number(r.bestStep) : QString(),
            JobStatusWidget::formatDuration(r.trainSeconds)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setData(Qt::UserRole, r.id);
            if (c == 1 && !r.error.isEmpty())
                item->setToolTip(r.error);
            m_runs->setItem(row, c, item);
        }
    }
    m_runs->resizeColumnsToContents();
    onSelectionChanged();
}

QList<qint64> TrainPage::selectedRunIds() const
{
    QList<qint64> ids;
    for (const QModelIndex& index : m_runs->selectionModel()->selectedRows())
        ids << m_runs->item(index.row(), 0)->data(Qt::UserRole).toLongLong();
    std::sort(ids.begin(), ids.end());
    return ids;
}

void TrainPage::onSelectionChanged()
{
    setTrainingState(isTraining());
    const QList<qint64> ids = selectedRunIds();
    if (!m_project || ids.isEmpty()) {
        m_compare->clear();
        return;
    }
    if (!isTraining())
        m_chart->clear();
    QList<const RunRecord*> chosen;
    for (const RunRecord& r : m_records)
        if (ids.contains(r.id))
            chosen << &r;
    std::sort(chosen.begin(), chosen.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (const RunRecord* r : chosen)
        m_chart->setRun(r->id, tr("run %1").arg(r->id), runMetrics(*m_project, r->id));
    QStringList lines;
    for (const RunRecord* r : chosen) {
        QString line = tr("<b>Run %1</b> (%2, %3, seed %4)").arg(r->id).arg(r->method, statusText(r->status)).arg(r->seed);
        if (isFewShotRunMethod(r->method)) {
            // No training: the score of prompting, next to what training reached.
            QMap<QString, double> score;
            for (const MetricPoint& p : runMetrics(*m_project, r->id))
                score[p.name] = p.value;
            const QJsonObject& h = r->hyperparameters;
            line += tr(": prompting %1 with k=%2 %3 examples, no training — %4 accuracy %5, macro F1 %6, %7% answers not a label")
                        .arg(QFileInfo(r->modelDir).fileName().toHtmlEscaped())
                        .arg(h.value(QLatin1String("k")).toInt())
                        .arg(h.value(QLatin1String("selection")).toString(),
                             h.value(QLatin1String("split")).toString(QStringLiteral("val")))
                        .arg(score.value(QStringLiteral("accuracy")), 0, 'f', 3)
                        .arg(score.value(QStringLiteral("macro_f1")), 0, 'f', 3)
                        .arg(100 * score.value(QStringLiteral("unparsed_share")), 0, 'f', 1);
        } else if (r->bestStep >= 0)
            line += tr(": best %1 at step %2").arg(r->bestMetric, 0, 'f', 3).arg(r->bestStep);
        if (isMultiTaskRun(*r)) {
            // The last validation of each task, beside the means the chart draws.
            QMap<QString, QPair<double, double>> last; // task -> (accuracy, macro F1)
            for (const MetricPoint& p : runMetrics(*m_project, r->id)) {
                const QString task = p.name.section(QLatin1Char('/'), 0, -2);
                if (p.split != QLatin1String("val") || task.isEmpty())
                    continue;
                if (p.name.endsWith(QLatin1String("/accuracy")))
                    last[task].first = p.value;
                else if (p.name.endsWith(QLatin1String("/macro_f1")))
                    last[task].second = p.value;
            }
            QStringList parts;
            for (const QString& t : multiTaskRunTasks(*r))
                if (last.contains(t))
                    parts << tr("%1 accuracy %2, macro F1 %3").arg(t.toHtmlEscaped())
                                 .arg(last[t].first, 0, 'f', 3).arg(last[t].second, 0, 'f', 3);
            line += tr("<br>&nbsp;&nbsp;multi-task: %1").arg(parts.isEmpty() ? tr("no validation yet") : parts.join(QStringLiteral("; ")));
        }
        if (!r->error.isEmpty())
            line += QStringLiteral(" — <span style='color:#b00020'>%1</span>").arg(r->error.toHtmlEscaped());
        if (r != chosen.first()) {
            const QStringList diff = settingDifferences(chosen.first()->hyperparameters, r->hyperparameters);
            line += tr("<br>&nbsp;&nbsp;settings vs run %1: %2").arg(chosen.first()->id)
                        .arg(diff.isEmpty() ? tr("identical") : diff.join(QStringLiteral(", ")).toHtmlEscaped());
        }
        lines << line;
    }
    m_compare->setText(lines.join(QStringLiteral("<br>")));
}

} // namespace fts
