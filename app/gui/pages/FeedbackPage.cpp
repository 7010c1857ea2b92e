// Judgements are written on the GUI thread's connection, one short transaction each, like labels:
// a person's work is on disk before the next answer shows. Writing answers runs as a job.
#include "pages/FeedbackPage.h"

#include "SettingsKeys.h"
#include "pages/FeedbackTrainPanel.h"

#include "Error.h"
#include "feedback/CandidateJob.h"
#include "hub/LocalModels.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QApplication>
#include <QVBoxLayout>

namespace fts {
namespace {

const QString kRubricKey = QStringLiteral("feedback/rubric");

QString stars(double rating)
{
    const int r = qBound(0, int(rating + 0.5), kMaxRating);
    return QString(r, QChar(0x2605)) + QString(kMaxRating - r, QChar(0x2606));
}

FeedbackKind kindOf(FeedbackPage::Mode mode)
{
    return mode == FeedbackPage::Mode::Rate   ? FeedbackKind::Rating
           : mode == FeedbackPage::Mode::Rank ? FeedbackKind::Ranking
                                              : FeedbackKind::Choice;
}

} // namespace

FeedbackPage::FeedbackPage(QWidget* parent)
    : QWidget(parent), m_annotator(new QLineEdit(this)), m_outer(new QTabWidget(this)),
      m_promptList(new QListWidget(this)), m_promptHeader(new QLabel(this)),
      m_promptText(new QLabel(this)), m_modes(new QTabWidget(this)), m_rateList(new QListWidget(this)),
      m_rubric(new QLineEdit(this)), m_rankList(new QListWidget(this)), m_rankState(new QLabel(this)),
      m_choiceA(new QTextBrowser(this)), m_choiceB(new QTextBrowser(this)), m_pairLabel(new QLabel(this)),
      m_guide(new QLabel(this)), m_progress(new QProgressBar(this)), m_agreement(new QLabel(this)),
      m_status(new QLabel(this)), m_jobProgress(new QProgressBar(this)),
      m_cancelJob(new QPushButton(tr("Cancel"), this)), m_trainPanel(new FeedbackTrainPanel(this)),
      m_agreementTimer(new QTimer(this))
{
    m_agreementTimer->setSingleShot(true);
    m_agreementTimer->setInterval(250);
    connect(m_agreementTimer, &QTimer::timeout, this, [this] {
        if (!m_project) {
            m_agreement->clear();
            return;
        }
        const FeedbackAgreement a = feedbackAgreement(*m_project, kindOf(mode()));
        if (a.items > 0)
            m_agreement->setText(tr("%1 annotator(s) · agreement %2% on %3 item(s) judged by two or more · "
                                    "Krippendorff's α %4")
                                     .arg(a.annotators)
                                     .arg(a.percent, 0, 'f', 1)
                                     .arg(a.items)
                                     .arg(a.alpha, 0, 'f', 2));
        else
            m_agreement->setText(tr("%1 annotator(s) · agreement shows once two people judge the same items").arg(a.annotators));
    });
    // The mode's keys (digits, arrows, Enter) must not fire while someone types a name or moves
    // through the prompt list.
    connect(qApp, &QApplication::focusChanged, this, [this] { enableModeKeys(); });
    setObjectName(QStringLiteral("feedbackPage"));
    auto* collect = new QWidget(this);
    buildCollectTab(collect);
    m_outer->addTab(collect, tr("Collect feedback"));
    m_outer->addTab(m_trainPanel, tr("Train from feedback"));
    m_outer->setObjectName(QStringLiteral("feedbackTabs"));
    connect(m_trainPanel, &FeedbackTrainPanel::runsChanged, this, &FeedbackPage::runsChanged);
    connect(m_trainPanel, &FeedbackTrainPanel::feedbackChanged, this, &FeedbackPage::reload);
    connect(m_outer, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab == 1)
            m_trainPanel->reload();
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_outer);
}

void FeedbackPage::buildCollectTab(QWidget* tab)
{
    m_annotator->setObjectName(QStringLiteral("feedbackAnnotator"));
    m_annotator->setPlaceholderText(tr("Your name"));
    m_annotator->setToolTip(tr("Recorded with every judgement, so several people can judge the same answers "
                               "and their agreement can be measured."));
    m_annotator->setMaximumWidth(180);
    m_annotator->setText(QSettings().value(kAnnotatorKey, qEnvironmentVariable("USER", QStringLiteral("annotator"))).toString());
    connect(m_annotator, &QLineEdit::editingFinished, this, [this] {
        QSettings().setValue(kAnnotatorKey, annotator());
        m_undo.clear(); // Ctrl+Z never takes back another person's judgement
        reload();
    });

    auto* toolbar = new QHBoxLayout;
    toolbar->addWidget(new QLabel(tr("Annotator:"), tab));
    toolbar->addWidget(m_annotator);
    const auto button = [&](const QString& text, const QString& tip, const char* name, auto slot) {
        auto* b = new QPushButton(text, tab);
        b->setToolTip(tip);
        b->setObjectName(QLatin1String(name));
        connect(b, &QPushButton::clicked, this, slot);
        toolbar->addWidget(b);
        return b;
    };
    button(tr("Add prompts…"), tr("Type prompts, one per line."), "addPrompts", [this] { openAddPromptsDialog(); });
    button(tr("Add answer…"), tr("Type an answer to the current prompt (a reference answer, say)."), "addAnswer",
           [this] { openAddAnswerDialog(); });
    button(tr("Write answers…"), tr("Let a decoder model write several different answers to every prompt."),
           "writeAnswers", [this] { openWriteAnswersDialog(); });
    button(tr("Import…"), tr("Prompts (text or JSONL), or preference data in the common JSONL forms: "
                             "{prompt, chosen, rejected}, {prompt, response, rating}, {prompt, responses}."),
           "importFeedback", [this] { openImportDialog(); });
    button(tr("Export…"), tr("Write the judgements as JSONL pairs, ratings or rankings."), "exportFeedback",
           [this] { openExportDialog(); });
    toolbar->addStretch(1);

    m_promptList->setObjectName(QStringLiteral("feedbackPrompts"));
    m_promptList->setWordWrap(true);
    m_promptList->setSpacing(3);
    m_promptList->setMinimumWidth(220);
    connect(m_promptList, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row != m_current && row >= 0) {
            m_current = row;
            m_pair = 0;
            showPrompt();
        }
    });

    m_promptHeader->setObjectName(QStringLiteral("feedbackPromptHeader"));
    m_promptText->setObjectName(QStringLiteral("feedbackPromptText"));
    m_promptText->setWordWrap(true);
    m_promptText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_promptText->setFrameShape(QFrame::StyledPanel);
    m_promptText->setMargin(8);
    QFont big = m_promptText->font();
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_promptText->setFont(big);

    // Rate.
    auto* rate = new QWidget(tab);
    auto* rateLayout = new QVBoxLayout(rate);
    m_rateList->setObjectName(QStringLiteral("rateList"));
    m_rateList->setWordWrap(true);
    m_rateList->setSpacing(4);
    m_rateList->setAlternatingRowColors(true);
    rateLayout->addWidget(m_rateList, 1);
    auto* rateButtons = new QHBoxLayout;
    rateButtons->addWidget(new QLabel(tr("Rate the selected answer:"), rate));
    for (int r = kMinRating; r <= kMaxRating; ++r) {
        auto* b = new QPushButton(QStringLiteral("%1 %2").arg(r).arg(stars(r)), rate);
        b->setObjectName(QStringLiteral("rate%1").arg(r));
        b->setToolTip(tr("Key %1").arg(r));
        connect(b, &QPushButton::clicked, this, [this, r] { rateSelected(r); });
        rateButtons->addWidget(b);
    }
    rateButtons->addStretch(1);
    rateLayout->addLayout(rateButtons);
    auto* rubricRow = new QHBoxLayout;
    rubricRow->addWidget(new QLabel(tr("Rubric:"), rate));
    m_rubric->setObjectName(QStringLiteral("feedbackRubric"));
    m_rubric->setPlaceholderText(tr("What 1 and 5 mean here, e.g. 5 = correct, complete and polite; 1 = wrong or rude"));
    m_rubric->setToolTip(tr("Shown to everyone who rates in this project, so the scale means the same to all."));
    connect(m_rubric, &QLineEdit::editingFinished, this, [this] {
        if (m_project && !m_project->isReadOnly())
            m_project->setMetaValue(kRubricKey, m_rubric->text());
    });
    rubricRow->addWidget(m_rubric, 1);
    rateLayout->addLayout(rubricRow);

    // Rank.
    auto* rank = new QWidget(tab);
    auto* rankLayout = new QVBoxLayout(rank);
    m_rankList->setObjectName(QStringLiteral("rankList"));
    m_rankList->setWordWrap(true);
    m_rankList->setSpacing(4);
    m_rankList->setDragDropMode(QAbstractItemView::InternalMove);
    m_rankList->setDefaultDropAction(Qt::MoveAction);
    m_rankList->setAlternatingRowColors(true);
    connect(m_rankList->model(), &QAbstractItemModel::rowsMoved, this,
            [this] { m_rankState->setText(tr("Order changed, not saved yet: press Enter to save.")); });
    rankLayout->addWidget(new QLabel(tr("Best answer at the top. Drag answers, or move the selected one with "
                                        "Ctrl+Up / Ctrl+Down; Enter saves the ranking."), rank));
    rankLayout->addWidget(m_rankList, 1);
    auto* rankButtons = new QHBoxLayout;
    auto* up = new QPushButton(tr("Move up"), rank);
    auto* down = new QPushButton(tr("Move down"), rank);
    auto* save = new QPushButton(tr("Save ranking"), rank);
    save->setObjectName(QStringLiteral("saveRanking"));
    connect(up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveSelected(1); });
    connect(save, &QPushButton::clicked, this, [this] { saveRanking(); });
    rankButtons->addWidget(up);
    rankButtons->addWidget(down);
    rankButtons->addWidget(save);
    rankButtons->addWidget(m_rankState, 1);
    rankLayout->addLayout(rankButtons);

    // Choose.
    auto* choose = new QWidget(tab);
    auto* chooseLayout = new QVBoxLayout(choose);
    auto* sides = new QHBoxLayout;
    for (auto [browser, title] : {std::pair{m_choiceA, tr("A")}, std::pair{m_choiceB, tr("B")}}) {
        auto* column = new QVBoxLayout;
        auto* heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title), choose);
        column->addWidget(heading);
        browser->setFocusPolicy(Qt::NoFocus);
        browser->setOpenLinks(false);
        column->addWidget(browser, 1);
        sides->addLayout(column, 1);
    }
    m_choiceA->setObjectName(QStringLiteral("choiceA"));
    m_choiceB->setObjectName(QStringLiteral("choiceB"));
    chooseLayout->addLayout(sides, 1);
    auto* chooseButtons = new QHBoxLayout;
    const auto verdict = [&](const QString& text, const char* name, PairChoice c) {
        auto* b = new QPushButton(text, choose);
        b->setObjectName(QLatin1String(name));
        connect(b, &QPushButton::clicked, this, [this, c] { this->choose(c); });
        chooseButtons->addWidget(b);
    };
    verdict(tr("A is better  (A or ←)"), "chooseA", PairChoice::First);
    verdict(tr("About the same  (T or ↓)"), "chooseTie", PairChoice::Tie);
    verdict(tr("B is better  (B or →)"), "chooseB", PairChoice::Second);
    chooseButtons->addWidget(m_pairLabel, 1);
    chooseLayout->addLayout(chooseButtons);
    choose->setFocusPolicy(Qt::StrongFocus);

    m_modes->setObjectName(QStringLiteral("feedbackModes"));
    m_modes->addTab(rate, tr("Rate (Alt+1)"));
    m_modes->addTab(rank, tr("Rank (Alt+2)"));
    m_modes->addTab(choose, tr("Choose (Alt+3)"));
    connect(m_modes, &QTabWidget::currentChanged, this, [this] {
        focusModeList();
        enableModeKeys();
        refreshJudged();
        m_pair = 0;
        showPrompt();
        updatePromptStates();
        updateProgress();
    });

    m_guide->setObjectName(QStringLiteral("feedbackGuide"));
    m_guide->setWordWrap(true);
    m_progress->setObjectName(QStringLiteral("feedbackProgress"));
    m_agreement->setObjectName(QStringLiteral("feedbackAgreement"));
    m_status->setObjectName(QStringLiteral("feedbackStatus"));
    m_status->setWordWrap(true);
    m_jobProgress->setObjectName(QStringLiteral("writeAnswersProgress"));
    m_jobProgress->hide();
    m_cancelJob->hide();
    connect(m_cancelJob, &QPushButton::clicked, this, [this] {
        if (m_jobs && m_generateJobId)
            m_jobs->cancel(m_generateJobId);
    });

    auto* right = new QWidget(tab);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_promptHeader);
    rightLayout->addWidget(m_promptText);
    rightLayout->addWidget(m_modes, 1);
    rightLayout->addWidget(m_guide);
    auto* splitter = new QSplitter(Qt::Horizontal, tab);
    splitter->addWidget(m_promptList);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 3);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_progress, 1);
    bottom->addWidget(m_agreement, 2);
    auto* jobRow = new QHBoxLayout;
    jobRow->addWidget(m_jobProgress, 1);
    jobRow->addWidget(m_cancelJob);

    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(toolbar);
    layout->addWidget(splitter, 1);
    layout->addLayout(bottom);
    layout->addLayout(jobRow);
    layout->addWidget(m_status);

    // Keys work anywhere on the tab except while typing in a text box (which takes the keys).
    const auto key = [&](const QKeySequence& seq, auto action) {
        auto* s = new QShortcut(seq, tab);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, action);
        return s;
    };
    for (int r = kMinRating; r <= kMaxRating; ++r)
        m_modeKeys.push_back({Mode::Rate, key(QKeySequence(Qt::Key_0 + r), [this, r] { rateSelected(r); })});
    m_modeKeys.push_back({Mode::Rank, key(QKeySequence(Qt::CTRL | Qt::Key_Up), [this] { moveSelected(-1); })});
    m_modeKeys.push_back({Mode::Rank, key(QKeySequence(Qt::CTRL | Qt::Key_Down), [this] { moveSelected(1); })});
    for (int k : {int(Qt::Key_Return), int(Qt::Key_Enter)})
        m_modeKeys.push_back({Mode::Rank, key(QKeySequence(k), [this] { saveRanking(); })});
    const auto chooseKey = [&](QList<int> keys, PairChoice c) {
        for (int k : keys)
            m_modeKeys.push_back({Mode::Choose, key(QKeySequence(k), [this, c] { this->choose(c); })});
    };
    chooseKey({Qt::Key_A, Qt::Key_Left}, PairChoice::First);
    chooseKey({Qt::Key_B, Qt::Key_Right}, PairChoice::Second);
    chooseKey({Qt::Key_T, Qt::Key_Down}, PairChoice::Tie);
    enableModeKeys();
    key(QKeySequence(Qt::Key_PageDown), [this] { nextPrompt(); });
    key(QKeySequence(Qt::Key_N), [this] { nextPrompt(); });
    key(QKeySequence(Qt::Key_PageUp), [this] { previousPrompt(); });
    key(QKeySequence(Qt::Key_P), [this] { previousPrompt(); });
    key(QKeySequence::Undo, [this] { undo(); });
    key(QKeySequence(Qt::ALT | Qt::Key_1), [this] { setMode(Mode::Rate); });
    key(QKeySequence(Qt::ALT | Qt::Key_2), [this] { setMode(Mode::Rank); });
    key(QKeySequence(Qt::ALT | Qt::Key_3), [this] { setMode(Mode::Choose); });
}

void FeedbackPage::enableModeKeys()
{
    const QWidget* focus = QApplication::focusWidget();
    const bool typing = focus && (qobject_cast<const QLineEdit*>(focus) || focus == m_promptList);
    for (const auto& [keyMode, shortcut] : std::as_const(m_modeKeys))
        shortcut->setEnabled(keyMode == mode() && !typing);
}

void FeedbackPage::focusModeList()
{
    // The mode's own widget takes the keys: the answer lists their arrows, Choose its page.
    if (mode() == Mode::Rate)
        m_rateList->setFocus();
    else if (mode() == Mode::Rank)
        m_rankList->setFocus();
    else
        m_modes->currentWidget()->setFocus();
}

void FeedbackPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    focusModeList(); // the mode's list takes the keys as soon as the page shows
    enableModeKeys();
}

void FeedbackPage::setContext(Project* project, JobRunner* jobs)
{
    m_project = project;
    if (jobs && jobs != m_jobs) {
        m_jobs = jobs;
        connect(m_jobs, &JobRunner::jobFinished, this, &FeedbackPage::onJobFinished);
        connect(m_jobs, &JobRunner::jobProgress, this, [this](int id, const JobProgress& p) {
            if (id != m_generateJobId)
                return;
            m_jobProgress->setMaximum(int(std::max<qint64>(1, p.total)));
            m_jobProgress->setValue(int(p.done));
            QString text = p.stage + QStringLiteral("  %v/%m");
            if (p.etaSeconds >= 0)
                text += tr("  about %1 s left").arg(qint64(p.etaSeconds));
            m_jobProgress->setFormat(text);
        });
    }
    m_undo.clear();
    m_current = -1;
    m_rubric->setText(project ? project->metaValue(kRubricKey) : QString());
    m_rubric->setCursorPosition(0); // show its beginning
    m_rubric->setToolTip(m_rubric->text().isEmpty() ? m_rubric->toolTip() : m_rubric->text());
    m_trainPanel->setContext(project, jobs);
    reload();
}

void FeedbackPage::reload()
{
    m_prompts = m_project ? feedbackPrompts(*m_project) : QList<FeedbackPrompt>();
    const QSignalBlocker block(m_promptList);
    m_promptList->clear();
    for (const FeedbackPrompt& p : m_prompts) {
        auto* item = new QListWidgetItem(m_promptList);
        item->setToolTip(p.text);
    }
    if (m_prompts.isEmpty())
        m_current = -1;
    else
        m_current = qBound(0, m_current, int(m_prompts.size()) - 1);
    m_promptList->setCurrentRow(m_current);
    m_pair = 0; // the first pair this annotator has not judged
    refreshJudged();
    updatePromptStates();
    showPrompt();
    updateProgress();
}

QString FeedbackPage::annotator() const
{
    return m_annotator->text().trimmed();
}

void FeedbackPage::setAnnotator(const QString& name)
{
    m_annotator->setText(name);
    m_undo.clear();
    reload();
}

FeedbackPage::Mode FeedbackPage::mode() const
{
    return Mode(m_modes->currentIndex());
}

void FeedbackPage::setMode(Mode mode)
{
    m_modes->setCurrentIndex(int(mode));
}

int FeedbackPage::promptCount() const
{
    return int(m_prompts.size());
}

int FeedbackPage::currentPromptIndex() const
{
    return m_current;
}

void FeedbackPage::selectPrompt(int index)
{
    if (index < 0 || index >= m_prompts.size())
        return;
    m_promptList->setCurrentRow(index); // showPrompt through currentRowChanged
    if (m_current != index) {
        m_current = index;
        m_pair = 0;
        showPrompt();
    }
}

void FeedbackPage::nextPrompt()
{
    selectPrompt(m_current + 1);
}

void FeedbackPage::previousPrompt()
{
    selectPrompt(m_current - 1);
}

bool FeedbackPage::promptDone(const FeedbackPrompt& p) const
{
    // A prompt without answers has nothing to judge: navigation passes it by.
    const int judged = m_judged.value(p.id);
    switch (mode()) {
    case Mode::Rate:
        return judged >= p.candidates;
    case Mode::Rank:
        return p.candidates < 2 || judged > 0;
    case Mode::Choose:
        return judged >= p.candidates * (p.candidates - 1) / 2;
    }
    return false;
}

void FeedbackPage::refreshJudged()
{
    m_judged = m_project ? judgedPerPrompt(*m_project, kindOf(mode()), annotator()) : QHash<qint64, int>();
}

void FeedbackPage::pushUndo(qint64 promptId, const JudgementChange& change)
{
    m_undo.push_back({promptId, mode(), change});
    refreshJudged();
}

void FeedbackPage::updatePromptStates()
{
    if (!m_project)
        return;
    for (int i = 0; i < m_prompts.size() && i < m_promptList->count(); ++i) {
        const FeedbackPrompt& p = m_prompts[i];
        const bool done = p.candidates > 0 && promptDone(p);
        QString first = p.text.section(QLatin1Char('\n'), 0, 0);
        if (first.size() > 90)
            first = first.left(88) + QStringLiteral("…");
        m_promptList->item(i)->setText(QStringLiteral("%1 %2\n%3 · %4 answer(s)")
                                           .arg(done ? QStringLiteral("✓") : QStringLiteral("·"), first, p.split)
                                           .arg(p.candidates));
    }
}

void FeedbackPage::showPrompt()
{
    m_candidates.clear();
    if (!m_project || m_current < 0 || m_current >= m_prompts.size()) {
        m_promptHeader->setText(m_project ? tr("No prompts yet") : QString());
        m_promptText->setText(tr("Add prompts (typed or imported), then let a decoder write answers to them, "
                                 "or import answers people already judged. Then rate, rank or choose."));
        m_rateList->clear();
        m_rankList->clear();
        m_choiceA->clear();
        m_choiceB->clear();
        m_pairLabel->clear();
        m_guide->clear();
        return;
    }
    const FeedbackPrompt& p = m_prompts[m_current];
    m_candidates = feedbackCandidates(*m_project, p.id);
    m_promptHeader->setText(tr("Prompt %1 of %2 · %3 split · %4").arg(m_current + 1).arg(m_prompts.size()).arg(p.split, p.source));
    m_promptText->setText(p.text);
    switch (mode()) {
    case Mode::Rate:
        showRate();
        break;
    case Mode::Rank:
        showRank();
        break;
    case Mode::Choose:
        showChoose();
        break;
    }
}

void FeedbackPage::showRate()
{
    const QMap<qint64, double> mine = ratingsBy(*m_project, m_candidates.isEmpty() ? 0 : m_candidates[0].promptId, annotator());
    const int keep = qMax(0, m_rateList->currentRow());
    m_rateList->clear();
    for (const FeedbackCandidate& c : m_candidates) {
        const bool rated = mine.contains(c.id);
        auto* item = new QListWidgetItem(
            QStringLiteral("%1   %2").arg(rated ? stars(mine.value(c.id)) : tr("(not rated)"), c.text), m_rateList);
        item->setToolTip(c.origin == QLatin1String("generated")
                             ? tr("Written by %1 (temperature %2)").arg(QFileInfo(c.settings.value("model").toString()).fileName())
                                   .arg(c.settings.value("temperature").toDouble())
                             : c.origin);
    }
    int first = -1;
    for (int i = 0; i < m_candidates.size() && first < 0; ++i)
        if (!mine.contains(m_candidates[i].id))
            first = i;
    m_rateList->setCurrentRow(first >= 0 ? first : qMin(keep, int(m_candidates.size()) - 1));
    m_guide->setText(m_candidates.isEmpty()
                         ? tr("This prompt has no answers yet: Write answers… or Add answer….")
                         : tr("Keys: ↑/↓ choose an answer · 1–5 rate it · N/PgDn next prompt · P/PgUp previous · Ctrl+Z undo"));
}

void FeedbackPage::showRank()
{
    const QList<qint64> saved = rankingBy(*m_project, m_candidates.isEmpty() ? 0 : m_candidates[0].promptId, annotator());
    QList<FeedbackCandidate> order;
    for (qint64 id : saved)
        for (const FeedbackCandidate& c : m_candidates)
            if (c.id == id)
                order << c;
    for (const FeedbackCandidate& c : m_candidates)
        if (!saved.contains(c.id))
            order << c;
    m_rankList->clear();
    for (const FeedbackCandidate& c : order) {
        auto* item = new QListWidgetItem(c.text, m_rankList);
        item->setData(Qt::UserRole, c.id);
    }
    m_rankList->setCurrentRow(0);
    m_rankState->setText(saved.isEmpty() ? tr("Not ranked yet.") : tr("Your saved ranking."));
    m_guide->setText(m_candidates.size() < 2 ? tr("Ranking needs two or more answers.")
                                             : tr("Keys: ↑/↓ select · Ctrl+↑/Ctrl+↓ move · Enter save and go on · "
                                                  "N/P next/previous prompt · Ctrl+Z undo"));
}

QList<QPair<int, int>> FeedbackPage::pairsOfCurrent() const
{
    QList<QPair<int, int>> out;
    for (int i = 0; i < m_candidates.size(); ++i)
        for (int j = i + 1; j < m_candidates.size(); ++j)
            out.push_back({i, j});
    return out;
}

void FeedbackPage::showChoose()
{
    const QList<QPair<int, int>> pairs = pairsOfCurrent();
    if (pairs.isEmpty()) {
        m_choiceA->clear();
        m_choiceB->clear();
        m_pairLabel->setText(tr("Choosing needs two or more answers."));
        m_guide->clear();
        return;
    }
    // Start at the first pair this annotator has not judged (or stay where the user went).
    if (m_pair <= 0) {
        m_pair = 0;
        for (int i = 0; i < pairs.size(); ++i)
            if (choiceBy(*m_project, m_candidates[pairs[i].first].id, m_candidates[pairs[i].second].id, annotator())
                    .isEmpty()) {
                m_pair = i;
                break;
            }
    }
    m_pair = qMin(m_pair, int(pairs.size()) - 1);
    const QPair<qint64, qint64> shown = currentPair();
    const auto textOf = [this](qint64 id) {
        for (const FeedbackCandidate& c : m_candidates)
            if (c.id == id)
                return c.text;
        return QString();
    };
    m_choiceA->setPlainText(textOf(shown.first));
    m_choiceB->setPlainText(textOf(shown.second));
    const QString verdict = choiceBy(*m_project, shown.first, shown.second, annotator());
    m_pairLabel->setText(tr("Pair %1 of %2%3")
                             .arg(m_pair + 1)
                             .arg(pairs.size())
                             .arg(verdict.isEmpty()           ? QString()
                                  : verdict == QLatin1String("tie") ? tr(" · you said: about the same")
                                  : verdict == QLatin1String("first") ? tr(" · you chose A")
                                                                      : tr(" · you chose B")));
    m_guide->setText(tr("Keys: A/← A is better · B/→ B is better · T/↓ about the same · N/P next/previous prompt · "
                        "Ctrl+Z undo. Sides are shuffled so neither answer is always on the left."));
}

QPair<qint64, qint64> FeedbackPage::currentPair() const
{
    const QList<QPair<int, int>> pairs = pairsOfCurrent();
    if (m_pair < 0 || m_pair >= pairs.size())
        return {0, 0};
    const qint64 a = m_candidates[pairs[m_pair].first].id, b = m_candidates[pairs[m_pair].second].id;
    // Neither the first-written nor the tuned answer is always on the left: people favour one side.
    return showSwapped(a, b, annotator()) ? qMakePair(b, a) : qMakePair(a, b);
}

bool FeedbackPage::ready()
{
    if (!m_project) {
        report(tr("Open a project first."), true);
        return false;
    }
    if (m_project->isReadOnly()) {
        report(tr("This project is open read-only; judgements cannot be saved."), true);
        return false;
    }
    if (annotator().isEmpty()) {
        report(tr("Type your name in the Annotator box first: every judgement records who made it."), true);
        m_annotator->setFocus();
        return false;
    }
    return true;
}

void FeedbackPage::selectAnswer(int index)
{
    QListWidget* list = mode() == Mode::Rank ? m_rankList : m_rateList;
    list->setCurrentRow(index);
}

bool FeedbackPage::rateSelected(int rating)
{
    const int row = m_rateList->currentRow();
    if (!ready() || row < 0 || row >= m_candidates.size())
        return false;
    try {
        pushUndo(m_candidates[row].promptId, rateCandidate(*m_project, m_candidates[row].id, rating, annotator()));
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    report(tr("Rated answer %1: %2").arg(row + 1).arg(stars(rating)));
    if (m_judged.value(m_candidates[row].promptId) >= m_candidates.size())
        advanceAfterJudgement();
    else
        showRate();
    updateProgress();
    return true;
}

bool FeedbackPage::moveSelected(int delta)
{
    if (mode() != Mode::Rank)
        return false;
    const int row = m_rankList->currentRow();
    const int to = row + delta;
    if (row < 0 || to < 0 || to >= m_rankList->count())
        return false;
    QListWidgetItem* item = m_rankList->takeItem(row);
    m_rankList->insertItem(to, item);
    m_rankList->setCurrentRow(to);
    m_rankState->setText(tr("Order changed, not saved yet: press Enter to save."));
    return true;
}

QList<qint64> FeedbackPage::rankingOrder() const
{
    QList<qint64> out;
    for (int i = 0; i < m_rankList->count(); ++i)
        out << m_rankList->item(i)->data(Qt::UserRole).toLongLong();
    return out;
}

bool FeedbackPage::saveRanking()
{
    if (!ready() || m_candidates.size() < 2)
        return false;
    try {
        pushUndo(m_candidates[0].promptId, rankCandidates(*m_project, m_candidates[0].promptId, rankingOrder(), annotator()));
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    report(tr("Ranking saved for prompt %1.").arg(m_current + 1));
    advanceAfterJudgement();
    updateProgress();
    return true;
}

bool FeedbackPage::choose(PairChoice choice)
{
    const QPair<qint64, qint64> shown = currentPair();
    if (!ready() || shown.first == 0)
        return false;
    try {
        pushUndo(m_candidates[0].promptId, choosePair(*m_project, shown.first, shown.second, choice, annotator()));
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    report(choice == PairChoice::Tie ? tr("Saved: about the same.")
                                     : tr("Saved: %1 is better.").arg(choice == PairChoice::First ? tr("A") : tr("B")));
    if (m_pair + 1 < pairsOfCurrent().size()) {
        ++m_pair;
        showChoose();
    } else {
        advanceAfterJudgement();
    }
    updateProgress();
    return true;
}

void FeedbackPage::advanceAfterJudgement()
{
    updatePromptStates();
    // On to the next prompt this annotator has not finished in this mode, wrapping around once.
    for (int step = 1; step <= m_prompts.size(); ++step) {
        const int i = (m_current + step) % int(m_prompts.size());
        if (!promptDone(m_prompts[i])) {
            m_pair = 0;
            selectPrompt(i);
            return;
        }
    }
    showPrompt();
    report(tr("Every prompt is judged in this mode. Thank you! Switch mode, add prompts, or train from this feedback."));
}

bool FeedbackPage::undo()
{
    if (!m_project || m_undo.isEmpty())
        return false;
    const UndoEntry last = m_undo.takeLast();
    try {
        undoJudgement(*m_project, last.change);
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    if (last.mode != mode())
        setMode(last.mode); // show what was undone
    refreshJudged();
    for (int i = 0; i < m_prompts.size(); ++i)
        if (m_prompts[i].id == last.promptId) {
            m_current = -1; // force a redraw even when it is the prompt shown
            m_pair = 0;
            m_promptList->setCurrentRow(i);
            if (m_current != i) {
                m_current = i;
                showPrompt();
            }
        }
    updatePromptStates();
    updateProgress();
    report(tr("Undone."));
    return true;
}

void FeedbackPage::updateProgress()
{
    if (!m_project) {
        m_progress->setValue(0);
        m_agreement->clear();
        return;
    }
    const FeedbackKind kind = kindOf(mode());
    const FeedbackProgress p = feedbackProgress(*m_project, kind, annotator());
    m_progress->setMaximum(int(std::max<qint64>(1, p.items)));
    m_progress->setValue(int(p.judged));
    const QString unit = kind == FeedbackKind::Rating ? tr("answers rated")
                         : kind == FeedbackKind::Ranking ? tr("prompts ranked")
                                                         : tr("pairs chosen");
    m_progress->setFormat(tr("You: %1 of %2 %3").arg(p.judged).arg(p.items).arg(unit));
    m_agreementTimer->start();
    m_agreement->setToolTip(tr("α near 1: people agree; near 0: no more than chance. Low agreement means the "
                               "task or the rubric needs to be clearer before a model can learn from it."));
}

QString FeedbackPage::progressText() const
{
    return m_progress->text() + QStringLiteral(" | ") + m_agreement->text();
}

QString FeedbackPage::statusText() const
{
    return m_status->text();
}

void FeedbackPage::report(const QString& message, bool error)
{
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_status->setText(message);
}

bool FeedbackPage::addPrompts(const QStringList& texts)
{
    if (!ready())
        return false;
    int added = 0;
    try {
        Transaction tx(m_project->db());
        const qsizetype before = feedbackPrompts(*m_project).size();
        for (const QString& t : texts)
            if (!t.trimmed().isEmpty())
                addFeedbackPrompt(*m_project, t, QStringLiteral("typed"));
        added = int(feedbackPrompts(*m_project).size() - before);
        tx.commit();
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    reload();
    report(tr("Added %1 prompt(s).").arg(added));
    return added > 0;
}

bool FeedbackPage::addAnswer(const QString& text)
{
    if (!ready() || m_current < 0)
        return false;
    try {
        addFeedbackCandidate(*m_project, m_prompts[m_current].id, text.trimmed(), QStringLiteral("typed"),
                             {{"annotator", annotator()}});
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    const int keep = m_current;
    reload();
    selectPrompt(keep);
    report(tr("Answer added."));
    return true;
}

bool FeedbackPage::importFile(const QString& path, const QString& form)
{
    if (!ready())
        return false;
    try {
        const QString f = form.isEmpty() ? guessFeedbackForm(path) : form;
        const FeedbackImport r = importFeedbackFile(*m_project, path, f);
        reload();
        report(tr("Imported %1 as %2: %3 new prompt(s), %4 new answer(s), %5 judgement(s).")
                   .arg(QFileInfo(path).fileName(), f)
                   .arg(r.prompts)
                   .arg(r.candidates)
                   .arg(r.judgements));
    } catch (const Error& e) {
        report(tr("Nothing was imported. %1").arg(e.message()), true);
        return false;
    }
    return true;
}

bool FeedbackPage::exportFile(const QString& path, PreferenceKind form)
{
    if (!m_project)
        return false;
    try {
        const int n = exportFeedbackJsonl(*m_project, path, form);
        report(tr("Wrote %1 %2 to %3.").arg(n).arg(preferenceKindName(form), QDir::toNativeSeparators(path)));
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    return true;
}

bool FeedbackPage::writeAnswers(const CandidateSettings& settings)
{
    if (!ready() || !m_jobs || m_generateJobId)
        return false;
    try {
        validateCandidateSettings(settings);
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    if (m_prompts.isEmpty()) {
        report(tr("Add or import prompts first: answers are written for prompts."), true);
        return false;
    }
    m_generateJobId = m_jobs->submit(std::make_shared<GenerateCandidatesJob>(m_project->path(), settings));
    m_jobProgress->setValue(0);
    m_jobProgress->setFormat(tr("Loading the model…"));
    m_jobProgress->show();
    m_cancelJob->show();
    report(tr("Writing answers with %1… Judging can go on meanwhile.").arg(QFileInfo(settings.modelDir).fileName()));
    return true;
}

void FeedbackPage::onJobFinished(int id, const JobOutcome& outcome)
{
    if (id != m_generateJobId)
        return;
    m_generateJobId = 0;
    m_jobProgress->hide();
    m_cancelJob->hide();
    const int keep = m_current;
    reload();
    selectPrompt(qMax(0, keep));
    report(outcome.status == JobStatus::Succeeded ? outcome.message
           : outcome.status == JobStatus::Cancelled ? tr("Stopped; the answers written so far are kept.")
                                                    : outcome.message,
           outcome.status == JobStatus::Failed);
}

void FeedbackPage::openAddPromptsDialog()
{
    bool ok = false;
    const QString text = QInputDialog::getMultiLineText(this, tr("Add prompts"), tr("One prompt per line:"), QString(), &ok);
    if (ok)
        addPrompts(text.split(QLatin1Char('\n')));
}

void FeedbackPage::openAddAnswerDialog()
{
    if (m_current < 0) {
        report(tr("Add a prompt first."), true);
        return;
    }
    bool ok = false;
    const QString text = QInputDialog::getMultiLineText(this, tr("Add an answer"),
                                                        tr("An answer to: %1").arg(m_prompts[m_current].text.left(200)),
                                                        QString(), &ok);
    if (ok && !text.trimmed().isEmpty())
        addAnswer(text);
}

void FeedbackPage::openImportDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Import feedback or prompts"), QString(),
                                                      tr("JSONL or text (*.jsonl *.json *.txt);;All files (*)"));
    if (!path.isEmpty())
        importFile(path);
}

void FeedbackPage::openExportDialog()
{
    bool ok = false;
    const QString form = QInputDialog::getItem(this, tr("Export feedback"),
                                               tr("Form (pairs suit DPO and reward models):"),
                                               {QStringLiteral("pairs"), QStringLiteral("ratings"), QStringLiteral("rankings")},
                                               0, false, &ok);
    if (!ok)
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export feedback"), form + QStringLiteral(".jsonl"),
                                                      tr("JSONL (*.jsonl)"));
    if (!path.isEmpty())
        exportFile(path, preferenceKindFromName(form));
}

void FeedbackPage::openWriteAnswersDialog()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Write answers"));
    auto* form = new QFormLayout(&dialog);
    auto* model = new QComboBox(&dialog);
    model->setEditable(true);
    for (const LocalModel& m : localModels())
        if (m.decoder)
            model->addItem(QStringLiteral("%1 (%2)").arg(QFileInfo(m.dir).fileName(), m.modelType), m.dir);
    auto* browse = new QPushButton(tr("Browse…"), &dialog);
    connect(browse, &QPushButton::clicked, &dialog, [&] {
        const QString dir = QFileDialog::getExistingDirectory(&dialog, tr("Decoder model folder"));
        if (!dir.isEmpty()) {
            model->addItem(QFileInfo(dir).fileName(), dir);
            model->setCurrentIndex(model->count() - 1);
        }
    });
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(model, 1);
    modelRow->addWidget(browse);
    form->addRow(tr("Decoder model:"), modelRow);
    if (model->count() == 0)
        form->addRow(new QLabel(tr("No decoder on this computer yet: download one on the Model page (for example "
                                   "a small GPT-2 or Qwen2 chat model), or Browse to a folder."), &dialog));
    auto* k = new QSpinBox(&dialog);
    k->setRange(2, 16);
    k->setValue(4);
    k->setToolTip(tr("How many different answers each prompt gets (2–16). Prompts that have some get only the rest."));
    form->addRow(tr("Answers per prompt:"), k);
    auto* temperature = new QDoubleSpinBox(&dialog);
    temperature->setRange(0.1, 2.0);
    temperature->setSingleStep(0.1);
    temperature->setValue(0.9);
    temperature->setToolTip(tr("Higher: more varied answers (0.7–1.2 is usual). Answers must differ to be worth comparing."));
    form->addRow(tr("Temperature:"), temperature);
    auto* topP = new QDoubleSpinBox(&dialog);
    topP->setRange(0.05, 1.0);
    topP->setSingleStep(0.05);
    topP->setValue(0.95);
    topP->setToolTip(tr("Only the most likely words whose probabilities add up to this are drawn from (0.9–1)."));
    form->addRow(tr("Top-p:"), topP);
    auto* maxNew = new QSpinBox(&dialog);
    maxNew->setRange(1, 1024);
    maxNew->setValue(48);
    maxNew->setToolTip(tr("Longest answer, in tokens (a token is about ¾ of a word)."));
    form->addRow(tr("Max new tokens:"), maxNew);
    auto* seed = new QSpinBox(&dialog);
    seed->setRange(0, 1000000);
    seed->setValue(1);
    seed->setToolTip(tr("The same seed, model and settings write the same answers."));
    form->addRow(tr("Seed:"), seed);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Write answers"));
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return;
    CandidateSettings s;
    s.modelDir = model->currentData().toString();
    if (s.modelDir.isEmpty())
        s.modelDir = model->currentText();
    s.perPrompt = k->value();
    s.temperature = temperature->value();
    s.topP = topP->value();
    s.maxNewTokens = maxNew->value();
    s.seed = quint64(seed->value());
    writeAnswers(s);
}

} // namespace fts
