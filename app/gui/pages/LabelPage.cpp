// Labels are written from the GUI thread on purpose: each is one small durable commit, and an
// analyst must not wait behind a training job on the engine thread to see a label saved.
#include "LabelPage.h"

#include "LabelSchemaDialog.h"
#include "LabelTablePanel.h"
#include "SettingsKeys.h"

#include "Error.h"
#include "jobs/JobRunner.h"
#include "label/ActiveLearning.h"
#include "label/DiversityOrder.h"
#include "label/LexiconSuggester.h"
#include "project/Project.h"
#include "train/TrainJob.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QJsonDocument>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QShortcut>
#include <QSettings>
#include <QTabWidget>
#include <QVBoxLayout>

namespace fts {
namespace {
}

LabelPage::LabelPage(QWidget* parent)
    : QWidget(parent), m_task(new QComboBox(this)), m_filter(new QComboBox(this)), m_annotator(new QLineEdit(this)),
      m_text(new QLabel(this)), m_state(new QLabel(this)), m_guide(new QLabel(this)), m_buttons(new QHBoxLayout),
      m_comment(new QLineEdit(this)), m_progress(new QProgressBar(this)), m_status(new QLabel(this)),
      m_modes(new QTabWidget(this)), m_tablePanel(new LabelTablePanel(this))
{
    setObjectName(QStringLiteral("labelPage"));
    setFocusPolicy(Qt::StrongFocus);
    m_task->setObjectName(QStringLiteral("labelTask"));
    m_filter->setObjectName(QStringLiteral("labelFilter"));
    m_filter->addItem(tr("Unlabeled rows"), QStringLiteral("unlabeled"));
    m_filter->addItem(tr("Unlabeled, most uncertain first"), QStringLiteral("uncertain"));
    m_filter->addItem(tr("Unlabeled, most diverse first"), QStringLiteral("diverse"));
    m_filter->addItem(tr("Suspected label issues"), QStringLiteral("issues"));
    m_filter->addItem(tr("All rows"), QStringLiteral("all"));
    m_filter->setItemData(3, tr("Rows whose label a cross-validated model doubts: run \"Find label "
                                "issues\" (Ctrl+I) first"), Qt::ToolTipRole);
    m_filter->setItemData(2, tr("Texts unlike anything labeled so far first, so the labels cover "
                                "every kind of text early"), Qt::ToolTipRole);
    m_annotator->setObjectName(QStringLiteral("annotatorName"));
    m_annotator->setPlaceholderText(tr("Your name"));
    m_annotator->setToolTip(tr("Recorded with every label you give, so several people can label the same rows."));
    const QString user = qEnvironmentVariable("USER", QStringLiteral("annotator"));
    m_annotator->setText(QSettings().value(kAnnotatorKey, user).toString());
    connect(m_annotator, &QLineEdit::editingFinished, this, [this] { QSettings().setValue(kAnnotatorKey, annotator()); });
    connect(m_task, &QComboBox::currentIndexChanged, this, &LabelPage::reload);
    connect(m_filter, &QComboBox::currentIndexChanged, this, &LabelPage::reload);

    m_text->setObjectName(QStringLiteral("cardText"));
    m_text->setWordWrap(true);
    m_text->setAlignment(Qt::AlignCenter);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    m_text->setFont(big);
    m_text->setMinimumHeight(160);
    m_text->setStyleSheet(QStringLiteral("QLabel { background: palette(base); border: 1px solid palette(mid); "
                                         "border-radius: 8px; padding: 24px; }"));
    m_state->setObjectName(QStringLiteral("cardState"));
    m_state->setAlignment(Qt::AlignCenter);
    m_guide->setWordWrap(true);
    m_guide->setObjectName(QStringLiteral("labelGuide"));
    m_comment->setObjectName(QStringLiteral("cardComment"));
    m_comment->setPlaceholderText(tr("Comment (press C to write, Enter to save)"));
    connect(m_comment, &QLineEdit::returnPressed, this, [this] {
        if (!m_project || m_queue.isEmpty())
            return;
        try {
            const CardRow c = cardRow(*m_project, currentRow(), m_schema.task, annotator());
            setLabelNote(*m_project, c.id, m_schema.task, annotator(), c.flagged, m_comment->text());
        } catch (const Error& e) {
            reportError(e.message());
        }
        setFocus();
    });
    m_progress->setObjectName(QStringLiteral("labelProgress"));
    m_status->setObjectName(QStringLiteral("labelStatus"));
    m_status->setWordWrap(true);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Task:"), this));
    top->addWidget(m_task);
    top->addWidget(new QLabel(tr("Show:"), this));
    top->addWidget(m_filter);
    auto* schemaButton = new QPushButton(tr("Labels…"), this);
    schemaButton->setObjectName(QStringLiteral("editSchema"));
    schemaButton->setFocusPolicy(Qt::NoFocus);
    schemaButton->setToolTip(tr("Edit the label names, keys, colours, descriptions and guidelines."));
    connect(schemaButton, &QPushButton::clicked, this, [this] {
        if (!m_project || m_project->isReadOnly())
            return;
        auto* dialog = new LabelSchemaDialog(*m_project, m_schema.task, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, this, &LabelPage::reload);
        dialog->open();
    });
    top->addWidget(schemaButton);
    auto* retrain = new QPushButton(tr("Retrain suggestions"), this);
    retrain->setObjectName(QStringLiteral("retrainSuggestions"));
    retrain->setFocusPolicy(Qt::NoFocus);
    retrain->setToolTip(tr("Train the project's model on the labels given so far (on the engine thread, "
                           "while you keep labeling) and take the suggestions from it (Ctrl+R)"));
    connect(retrain, &QPushButton::clicked, this, &LabelPage::retrainSuggestions);
    auto* retrainKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_R), this);
    connect(retrainKey, &QShortcut::activated, this, &LabelPage::retrainSuggestions);
    top->addWidget(retrain);
    auto* issues = new QPushButton(tr("Find label issues"), this);
    issues->setObjectName(QStringLiteral("findLabelIssues"));
    issues->setFocusPolicy(Qt::NoFocus);
    issues->setToolTip(tr("Train a quick classifier five times, each time on four fifths of the labels, "
                          "and list the rows whose label it confidently disagrees with (Ctrl+I)"));
    connect(issues, &QPushButton::clicked, this, &LabelPage::findLabelIssues);
    auto* issuesKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_I), this);
    connect(issuesKey, &QShortcut::activated, this, &LabelPage::findLabelIssues);
    top->addWidget(issues);
    m_modelState = new QLabel(this);
    m_modelState->setObjectName(QStringLiteral("suggestionSource"));
    m_modelState->setStyleSheet(QStringLiteral("color: palette(dark)"));
    top->addWidget(m_modelState);
    top->addStretch(1);
    top->addWidget(new QLabel(tr("Annotator:"), this));
    top->addWidget(m_annotator);
    auto* help = new QLabel(tr("Keys: number = label and next · Enter = accept the suggestion · Backspace/Ctrl+Z = undo · "
                               "S = skip · ←/→ = move · F = flag for discussion · C = comment"), this);
    help->setStyleSheet(QStringLiteral("color: palette(dark)"));
    auto* card = new QVBoxLayout;
    card->addWidget(m_text, 1);
    card->addWidget(m_state);
    card->addLayout(m_buttons);
    card->addWidget(m_comment);
    auto* cardMode = new QWidget(this);
    auto* middle = new QHBoxLayout(cardMode);
    middle->addLayout(card, 3);
    middle->addWidget(m_guide, 1);
    m_modes->setObjectName(QStringLiteral("labelModes"));
    m_modes->addTab(cardMode, tr("Cards"));
    m_modes->addTab(m_tablePanel, tr("Table"));
    m_modes->setFocusPolicy(Qt::NoFocus);
    connect(m_tablePanel, &LabelTablePanel::labelsChanged, this, &LabelPage::updateProgress);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_modes, 1);
    layout->addWidget(help);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    m_sessionClock.start();
}

std::vector<double> LabelPage::suggestionFor(qint64 row, const QString& text, QString* source) const
{
    if (m_modelSuggestions.task == m_schema.task && m_modelSuggestions.labels == m_schema.names()) {
        const auto it = m_modelSuggestions.byRow.constFind(row);
        if (it != m_modelSuggestions.byRow.constEnd()) {
            *source = tr("run %1").arg(m_modelSuggestions.runId);
            return *it;
        }
    }
    const LexiconSuggester suggester(m_schema.names());
    if (!suggester.isApplicable())
        return {};
    *source = tr("word lexicon");
    return suggester.suggest(text).probabilities;
}

void LabelPage::setJobRunner(JobRunner* jobs)
{
    m_jobs = jobs;
    connect(m_jobs, &JobRunner::jobFinished, this, &LabelPage::onJobFinished);
}

bool LabelPage::refreshModelSuggestions()
{
    if (!m_project || !m_jobs || m_suggestJobId != 0 || m_schema.task.isEmpty())
        return false;
    if (newestUsableRun(*m_project, m_schema.task) <= 0)
        return false;
    m_suggestJob = std::make_shared<SuggestJob>(m_project->path(), m_schema.task, m_schema.names());
    m_suggestJobId = m_jobs->submit(m_suggestJob);
    m_modelState->setText(tr("updating suggestions…"));
    return true;
}

bool LabelPage::retrainSuggestions()
{
    if (!m_project || !m_jobs || isBusyWithModel() || m_project->isReadOnly())
        return false;
    const QString model = m_project->metaValue(QStringLiteral("model_dir"));
    if (model.isEmpty()) {
        reportError(tr("Choose a pre-trained model on the Model page first; suggestions are then "
                       "trained from it."));
        return false;
    }
    TrainerOptions options;
    options.modelDir = model;
    options.task = m_schema.task;
    const QString saved = m_project->metaValue(QStringLiteral("hyperparameters"));
    try {
        options.hp = saved.isEmpty() ? Hyperparameters::preset(QStringLiteral("quick"), 0)
                                     : Hyperparameters::fromJson(QJsonDocument::fromJson(saved.toUtf8()).object());
    } catch (const Error& e) {
        reportError(e.message());
        return false;
    }
    m_retrainJobId = m_jobs->submit(std::make_shared<TrainJob>(m_project->path(), options));
    m_modelState->setText(tr("training a model for suggestions…"));
    return true;
}

bool LabelPage::findLabelIssues()
{
    if (!m_project || !m_jobs || m_issueJobId != 0 || m_schema.task.isEmpty())
        return false;
    m_issueJob = std::make_shared<LabelIssueJob>(m_project->path(), m_schema.task);
    m_issueJobId = m_jobs->submit(m_issueJob);
    m_modelState->setText(tr("looking for label issues…"));
    return true;
}

void LabelPage::onIssuesFound(const JobOutcome& outcome)
{
    m_issueJobId = 0;
    const std::shared_ptr<LabelIssueJob> job = std::move(m_issueJob);
    if (outcome.status != JobStatus::Succeeded) {
        m_modelState->clear();
        if (outcome.status == JobStatus::Failed)
            reportError(outcome.message);
        return;
    }
    m_issues = job->result();
    m_modelState->setText(tr("%n suspected label issue(s)", nullptr, int(m_issues.issues.size())));
    setQueueMode(QStringLiteral("issues"));
    m_status->setText(outcome.message + QLatin1Char(' ') +
                      (m_issues.issues.isEmpty()
                           ? tr("Nothing to review.")
                           : tr("Press a label's key to correct a row, S to keep its label.")));
}

void LabelPage::setQueueMode(const QString& mode)
{
    const int i = m_filter->findData(mode);
    if (i < 0)
        return;
    if (i == m_filter->currentIndex())
        reload();
    else
        m_filter->setCurrentIndex(i); // reloads
}

void LabelPage::onJobFinished(int id, const JobOutcome& outcome)
{
    if (id == 0)
        return;
    if (id == m_issueJobId) {
        onIssuesFound(outcome);
        return;
    }
    if (id == m_retrainJobId) {
        m_retrainJobId = 0;
        if (outcome.status == JobStatus::Succeeded)
            refreshModelSuggestions();
        else
            m_modelState->setText(outcome.status == JobStatus::Cancelled ? tr("retraining cancelled")
                                                                          : tr("retraining failed"));
        return;
    }
    if (id != m_suggestJobId)
        return;
    m_suggestJobId = 0;
    const std::shared_ptr<SuggestJob> job = std::move(m_suggestJob);
    if (outcome.status != JobStatus::Succeeded) {
        m_modelState->setText(tr("suggestions from the model failed; using the word lexicon"));
        return;
    }
    m_modelSuggestions = job->result();
    m_modelState->setText(m_modelSuggestions.isEmpty() ? QString()
                          : tr("suggestions from run %1").arg(m_modelSuggestions.runId));
    if (m_modelSuggestions.task == m_schema.task) // the table can sort by the model's confidence
        m_tablePanel->setSuggestions(m_modelSuggestions.byRow, m_modelSuggestions.labels);
    showCard(); // the card on screen gets the model's suggestion at once
}

QString LabelPage::annotator() const
{
    return m_annotator->text().trimmed();
}

void LabelPage::setAnnotator(const QString& name)
{
    m_annotator->setText(name);
}

QString LabelPage::statusText() const
{
    return m_status->text();
}

qint64 LabelPage::currentRow() const
{
    return m_position < m_queue.size() ? m_queue[m_position] : 0;
}

void LabelPage::setProject(Project* project)
{
    m_project = project;
    m_undo.clear();
    m_modelSuggestions = ModelSuggestions();
    m_modelState->clear();
    const QSignalBlocker block(m_task);
    m_task->clear();
    reload();
}

void LabelPage::syncTasks()
{
    // An import (or the CLI) may have added tasks since the page last looked.
    QStringList tasks = m_project ? m_project->tasks() : QStringList();
    if (m_project && tasks.isEmpty())
        tasks << QStringLiteral("sentiment"); // a new project starts with the sentiment preset
    QStringList shown;
    for (int i = 0; i < m_task->count(); ++i)
        shown << m_task->itemText(i);
    if (shown == tasks)
        return;
    const QSignalBlocker block(m_task);
    const QString current = m_task->currentText();
    m_task->clear();
    m_task->addItems(tasks);
    m_task->setCurrentIndex(std::max<int>(0, int(tasks.indexOf(current))));
}

void LabelPage::reload()
{
    syncTasks();
    m_queue.clear();
    m_position = 0;
    if (m_project && m_task->count() > 0) {
        const QString task = m_task->currentText();
        m_schema = loadLabelSchema(*m_project, task);
        m_schemaSaved = !m_schema.labels.isEmpty();
        if (!m_schemaSaved) // a task without labels yet starts from the sentiment preset
            m_schema = LabelSchema::preset(QStringLiteral("sentiment-3"), task);
        orderQueue(m_filter->currentData().toString());
    }
    rebuildButtons();
    m_tablePanel->setContext(m_project, m_schema, [this] { return annotator(); });
    if (m_project)
        m_tablePanel->setSuggestions(m_modelSuggestions.task == m_schema.task
                                         ? m_modelSuggestions.byRow
                                         : QHash<qint64, std::vector<double>>(),
                                     m_modelSuggestions.labels);
    showCard();
    // The newest run's suggestions for this task arrive while the first card shows.
    if (m_modelSuggestions.task != m_schema.task)
        refreshModelSuggestions();
}

void LabelPage::orderQueue(const QString& mode)
{
    const QString task = m_schema.task;
    if (mode == QLatin1String("issues")) {
        // The rows found last time, most suspicious first; rows removed since then drop out.
        if (m_issues.task == task) {
            const QList<qint64> active = labelingQueue(*m_project, task, false);
            const QSet<qint64> alive(active.cbegin(), active.cend());
            for (const LabelIssue& issue : std::as_const(m_issues.issues))
                if (alive.contains(issue.rowId))
                    m_queue << issue.rowId;
        }
        return;
    }
    m_queue = labelingQueue(*m_project, task, mode != QLatin1String("all"));
    if (mode == QLatin1String("diverse")) {
        // One read of every active row's text, split into the queue and the labeled rows.
        const QList<qint64> all = labelingQueue(*m_project, task, false);
        const QStringList allTexts = rowTexts(*m_project, all);
        const QSet<qint64> unlabeled(m_queue.cbegin(), m_queue.cend());
        QStringList queueTexts, labeledTexts;
        for (qsizetype i = 0; i < all.size(); ++i)
            (unlabeled.contains(all[i]) ? queueTexts : labeledTexts) << allTexts[i];
        QList<qint64> ordered;
        for (int i : orderByDiversity(queueTexts, labeledTexts))
            ordered << m_queue[i];
        m_queue = ordered;
        return;
    }
    if (mode != QLatin1String("uncertain"))
        return;
    // Active learning: the trained run's least certain rows first, or the lexicon's before any
    // run exists.
    const QStringList texts = rowTexts(*m_project, m_queue);
    QList<std::vector<double>> probs;
    bool any = false;
    for (qsizetype i = 0; i < m_queue.size(); ++i) {
        QString source;
        probs << suggestionFor(m_queue[i], texts[i], &source);
        if (probs.last().empty())
            probs.last().assign(size_t(std::max<qsizetype>(1, m_schema.labels.size())), 1.0);
        else
            any = true;
    }
    if (!any)
        return;
    QList<qint64> ordered;
    for (int i : orderByUncertainty(probs, UncertaintyMeasure::Margin))
        ordered << m_queue[i];
    m_queue = ordered;
}

void LabelPage::showTableMode(bool table)
{
    m_modes->setCurrentIndex(table ? 1 : 0);
}

void LabelPage::rebuildButtons()
{
    while (QLayoutItem* item = m_buttons->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    QString guide = m_schema.guidelines.isEmpty() ? QString() : QStringLiteral("<p>%1</p>").arg(m_schema.guidelines.toHtmlEscaped());
    for (int i = 0; i < m_schema.labels.size(); ++i) {
        const LabelDef& l = m_schema.labels[i];
        auto* b = new QPushButton(l.key.isEmpty() ? l.name : QStringLiteral("%1  %2").arg(l.key, l.name), this);
        b->setObjectName(QStringLiteral("labelButton%1").arg(i));
        b->setFocusPolicy(Qt::NoFocus); // keys stay with the page
        b->setMinimumHeight(40);
        b->setStyleSheet(QStringLiteral("QPushButton { border-left: 6px solid %1; }").arg(l.color));
        b->setToolTip(l.description);
        connect(b, &QPushButton::clicked, this, [this, i] { labelCurrent(i); });
        m_buttons->addWidget(b);
        if (!l.description.isEmpty())
            guide += QStringLiteral("<p><b style='color:%1'>%2</b>: %3</p>").arg(l.color, l.name.toHtmlEscaped(), l.description.toHtmlEscaped());
    }
    m_guide->setText(guide.isEmpty() ? tr("<i>No guidelines yet.</i>") : guide);
}

void LabelPage::showCard()
{
    m_comment->clear();
    if (!m_project || m_queue.isEmpty() || m_position >= m_queue.size()) {
        const bool issues = m_filter->currentData().toString() == QLatin1String("issues");
        m_text->setText(!m_project ? QString()
                        : !m_queue.isEmpty() ? tr("End of the queue. Well done.")
                        : issues && m_issues.task != m_schema.task
                            ? tr("Press Ctrl+I (Find label issues) to look for rows whose label looks wrong.")
                        : issues ? tr("No suspected label issues: the cross-validated model agrees with the labels.")
                                 : tr("Nothing to label here: every row has a label. Choose \"All rows\" to review them."));
        m_state->clear();
        updateProgress();
        return;
    }
    try {
        const CardRow c = cardRow(*m_project, currentRow(), m_schema.task, annotator());
        m_text->setText(c.text);
        QStringList state{tr("Row %1 · %2 of %3").arg(c.id).arg(m_position + 1).arg(m_queue.size())};
        if (!c.split.isEmpty())
            state << c.split;
        if (!c.mine.isEmpty())
            state << tr("your label: <b>%1</b>").arg(c.mine.toHtmlEscaped());
        else if (!c.gold.isEmpty())
            state << tr("label: <b>%1</b>").arg(c.gold.toHtmlEscaped());
        if (c.flagged)
            state << tr("<span style='color:#b00020'>flagged</span>");
        if (m_filter->currentData().toString() == QLatin1String("issues"))
            for (const LabelIssue& issue : std::as_const(m_issues.issues))
                if (issue.rowId == c.id)
                    state << tr("<span style='color:#b00020'>possible label issue</span>: labeled "
                                "<b>%1</b> (%2%), cross-validation says <b>%3</b> (%4%)")
                                 .arg(issue.given.toHtmlEscaped())
                                 .arg(qRound(issue.givenProbability * 100))
                                 .arg(issue.likely.toHtmlEscaped())
                                 .arg(qRound(issue.likelyProbability * 100));
        m_suggested = -1;
        QString source;
        const std::vector<double> p = suggestionFor(c.id, c.text, &source);
        if (!p.empty()) {
            m_suggested = int(std::max_element(p.begin(), p.end()) - p.begin());
            state << tr("suggestion: <b>%1</b> (%2%, %3; Enter accepts)")
                         .arg(m_schema.labels[m_suggested].name.toHtmlEscaped())
                         .arg(qRound(p[size_t(m_suggested)] * 100)).arg(source);
        } else {
            state << tr("no suggestion for these labels until a model is trained");
        }
        m_state->setText(state.join(QStringLiteral(" · ")));
        m_comment->setText(c.comment);
    } catch (const Error& e) {
        reportError(e.message());
    }
    updateProgress();
}

void LabelPage::updateProgress()
{
    if (!m_project) {
        m_progress->setValue(0);
        return;
    }
    const LabelProgress p = labelProgress(*m_project, m_schema.task);
    m_progress->setRange(0, int(std::max<qint64>(1, p.rows)));
    m_progress->setValue(int(p.labeled));
    QStringList perSplit; // labeled / rows of each split, so the test split's coverage shows
    for (auto it = p.perSplit.cbegin(); it != p.perSplit.cend(); ++it)
        perSplit << tr("%1 %2/%3")
                        .arg(it.key().isEmpty() ? tr("no split") : it.key())
                        .arg(it.value().first)
                        .arg(it.value().second);
    m_progress->setFormat(tr("%1 of %2 rows labeled (%3)")
                              .arg(p.labeled)
                              .arg(p.rows)
                              .arg(perSplit.join(QStringLiteral(", "))));
    QStringList perLabel;
    for (auto it = p.perLabel.begin(); it != p.perLabel.end(); ++it)
        perLabel << QStringLiteral("%1 %2").arg(it.key()).arg(it.value());
    const double hours = m_sessionClock.elapsed() / 3.6e6;
    m_status->setText(tr("%1 · this session: %2 labels%3")
                          .arg(perLabel.join(QStringLiteral(", ")))
                          .arg(m_sessionLabels)
                          .arg(m_sessionLabels >= 5 && hours > 0 ? tr(" (%1 per hour)").arg(qRound(m_sessionLabels / hours)) : QString()));
}

void LabelPage::reportError(const QString& message)
{
    m_status->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
}

bool LabelPage::labelCurrent(int labelIndex)
{
    if (!m_project || labelIndex < 0 || labelIndex >= m_schema.labels.size() || currentRow() == 0)
        return false;
    try {
        if (!m_schemaSaved) {
            // The first label given makes the preset this task's schema, so every page and export
            // sees the same label set; merely looking at the page changes nothing.
            saveLabelSchema(*m_project, m_schema);
            m_schemaSaved = true;
        }
        m_undo << setLabel(*m_project, currentRow(), m_schema.task, m_schema.labels[labelIndex].name, annotator());
    } catch (const Error& e) {
        reportError(e.message());
        return false;
    }
    ++m_sessionLabels;
    next();
    return true;
}

bool LabelPage::undo()
{
    if (!m_project || m_undo.isEmpty())
        return false;
    const LabelChange change = m_undo.takeLast();
    try {
        undoLabelChange(*m_project, change);
    } catch (const Error& e) {
        reportError(e.message());
        return false;
    }
    --m_sessionLabels;
    const qsizetype at = m_queue.indexOf(change.rowId);
    if (at >= 0)
        m_position = int(at);
    showCard();
    return true;
}

void LabelPage::next()
{
    if (m_position < m_queue.size())
        ++m_position;
    showCard();
}

void LabelPage::previous()
{
    if (m_position > 0)
        --m_position;
    showCard();
}

void LabelPage::toggleFlag()
{
    if (!m_project || currentRow() == 0)
        return;
    try {
        const CardRow c = cardRow(*m_project, currentRow(), m_schema.task, annotator());
        setLabelNote(*m_project, c.id, m_schema.task, annotator(), !c.flagged, c.comment);
    } catch (const Error& e) {
        showCard();
        reportError(e.message());
        return;
    }
    showCard();
}

void LabelPage::keyPressEvent(QKeyEvent* event)
{
    if (m_modes->currentIndex() != 0) { // the card keys belong to card mode
        QWidget::keyPressEvent(event);
        return;
    }
    const int index = m_schema.indexOfKey(event->text());
    if (index >= 0 && !event->text().isEmpty()) {
        labelCurrent(index);
        return;
    }
    if (event->key() == Qt::Key_Backspace || event->matches(QKeySequence::Undo)) {
        undo();
    } else if (event->key() == Qt::Key_S || event->key() == Qt::Key_Right || event->key() == Qt::Key_Down) {
        next();
    } else if (event->key() == Qt::Key_Left || event->key() == Qt::Key_Up) {
        previous();
    } else if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && m_suggested >= 0) {
        labelCurrent(m_suggested);
    } else if (event->key() == Qt::Key_F) {
        toggleFlag();
    } else if (event->key() == Qt::Key_C) {
        m_comment->setFocus();
    } else {
        QWidget::keyPressEvent(event);
    }
}

} // namespace fts
