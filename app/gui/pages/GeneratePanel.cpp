// Generation runs on the engine thread as a GenerateJob; its pieces of text come back through
// queued calls, so the transcript grows while the model writes and the window stays responsive.
#include "GeneratePanel.h"

#include "align/SftData.h"
#include "deploy/DeployJobs.h"
#include "jobs/JobRunner.h"

#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollBar>
#include <QShortcut>
#include <QSpinBox>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace fts {

namespace {

// "\n" and "\t" typed in the stop field stand for the characters; commas separate the strings.
QStringList parseStopField(const QString& text)
{
    QStringList stops;
    for (QString s : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        s.replace(QLatin1String("\\n"), QLatin1String("\n")).replace(QLatin1String("\\t"), QLatin1String("\t"));
        if (!s.trimmed().isEmpty() || s.contains(QLatin1Char('\n')))
            stops << s;
    }
    return stops;
}

QString stopFieldText(const QStringList& stops)
{
    QStringList parts;
    for (QString s : stops)
        parts << s.replace(QLatin1String("\n"), QLatin1String("\\n")).replace(QLatin1String("\t"), QLatin1String("\\t"));
    return parts.join(QLatin1Char(','));
}

QString turnHtml(const QString& who, const QString& text, const QString& colour)
{
    QString body = text.toHtmlEscaped();
    body.replace(QLatin1Char('\n'), QLatin1String("<br>"));
    return QStringLiteral("<p><b style='color:%1'>%2</b><br>%3</p>").arg(colour, who.toHtmlEscaped(), body);
}

} // namespace

GeneratePanel::GeneratePanel(QWidget* parent)
    : QWidget(parent), m_mode(new QComboBox(this)), m_compare(new QComboBox(this)),
      m_input(new QPlainTextEdit(this)), m_send(new QPushButton(tr("Send"), this)),
      m_stop(new QPushButton(tr("Stop"), this)), m_status(new QLabel(this)),
      m_temperature(new QDoubleSpinBox(this)), m_topK(new QSpinBox(this)),
      m_topP(new QDoubleSpinBox(this)), m_maxNew(new QSpinBox(this)),
      m_repetition(new QDoubleSpinBox(this)), m_stops(new QLineEdit(this)), m_seed(new QSpinBox(this))
{
    setObjectName(QStringLiteral("generatePanel"));
    m_mode->addItem(tr("Chat"));
    m_mode->addItem(tr("Summarize a document"));
    m_mode->setToolTip(tr("Chat: each message continues the conversation in the model's chat format.\n"
                          "Summarize: the text is a document; the model writes its summary, as the "
                          "summarization template trains it to."));
    connect(m_mode, &QComboBox::activated, this, [this] { setMode(mode()); });
    m_compare->setObjectName(QStringLiteral("generateCompare"));
    m_compare->setToolTip(tr("Answer every message with a second model as well: the base model shows "
                             "what fine-tuning changed; another run shows what its settings changed."));
    m_compare->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_compare->setMinimumContentsLength(24);
    connect(m_compare, &QComboBox::activated, this, [this](int index) { chooseComparison(index); });

    auto* views = new QHBoxLayout;
    for (size_t i = 0; i < m_sides.size(); ++i) {
        Side& s = m_sides[i];
        s.title = new QLabel(this);
        s.title->setWordWrap(true);
        // Equal columns whatever the names' lengths.
        s.title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        s.title->setMinimumHeight(s.title->fontMetrics().height() * 2);
        s.view = new QTextBrowser(this);
        s.view->setObjectName(QStringLiteral("generateView%1").arg(i));
        s.view->setOpenLinks(false);
        s.view->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Expanding);
        s.column = new QWidget(this);
        auto* column = new QVBoxLayout(s.column);
        column->setContentsMargins(0, 0, 0, 0);
        column->addWidget(s.title);
        column->addWidget(s.view, 1);
        views->addWidget(s.column, 1);
    }
    m_sides[1].column->hide();

    m_input->setObjectName(QStringLiteral("generateInput"));
    m_input->setMaximumHeight(90);
    m_send->setToolTip(tr("Send (Ctrl+Return)"));
    m_stop->setToolTip(tr("Stop writing (Esc); what was written so far is kept"));
    m_stop->setEnabled(false);
    auto* clear = new QPushButton(tr("New conversation"), this);
    connect(m_send, &QPushButton::clicked, this, [this] {
        if (send(m_input->toPlainText()))
            m_input->clear();
    });
    connect(m_stop, &QPushButton::clicked, this, &GeneratePanel::stop);
    connect(clear, &QPushButton::clicked, this, &GeneratePanel::newConversation);
    auto* sendShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_input);
    sendShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(sendShortcut, &QShortcut::activated, m_send, &QPushButton::click);
    auto* stopShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    stopShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(stopShortcut, &QShortcut::activated, this, &GeneratePanel::stop);

    m_status->setObjectName(QStringLiteral("generateStatus"));
    m_status->setWordWrap(true);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Mode:"), this));
    top->addWidget(m_mode);
    top->addSpacing(12);
    top->addWidget(new QLabel(tr("Compare with:"), this));
    top->addWidget(m_compare, 1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    buttons->addWidget(clear);
    buttons->addStretch(1);
    auto* left = new QVBoxLayout;
    left->addLayout(top);
    left->addLayout(views, 1);
    left->addWidget(m_input);
    left->addLayout(buttons);
    left->addWidget(m_status);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(left, 1);
    layout->addWidget(buildSettings());
    setMode(Mode::Chat);
}

GeneratePanel::~GeneratePanel()
{
    stop();
}

QWidget* GeneratePanel::buildSettings()
{
    auto* box = new QGroupBox(tr("Sampling"), this);
    m_temperature->setRange(0, 2);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setValue(0.7);
    m_temperature->setSpecialValueText(tr("0 (greedy)"));
    m_temperature->setToolTip(tr("How adventurous the choice of each next token is. 0 always takes the "
                                 "most likely token (the same answer every time); 0.7 is usual for "
                                 "chat; above 1.2 the text gets erratic. Range 0–2."));
    m_topK->setRange(0, 1000);
    m_topK->setValue(50);
    m_topK->setSpecialValueText(tr("off"));
    m_topK->setToolTip(tr("Sample only among the k most likely tokens (0: no limit). Usual: 40–100."));
    m_topP->setRange(0.05, 1.0);
    m_topP->setSingleStep(0.05);
    m_topP->setValue(0.95);
    m_topP->setToolTip(tr("Sample only among the most likely tokens whose probabilities add up to p "
                          "(nucleus sampling; 1: off). Usual: 0.9–0.95."));
    m_maxNew->setRange(1, 2048);
    m_maxNew->setValue(128);
    m_maxNew->setToolTip(tr("The longest answer, in tokens. The model's context also limits it."));
    m_repetition->setRange(1.0, 2.0);
    m_repetition->setSingleStep(0.05);
    m_repetition->setValue(1.1);
    m_repetition->setToolTip(tr("Makes tokens already in the text less likely (1: off). 1.1–1.3 "
                                "stops small models from looping."));
    m_stops->setObjectName(QStringLiteral("generateStops"));
    m_stops->setPlaceholderText(tr("e.g. \\n\\n, User:"));
    m_stops->setToolTip(tr("The answer ends before the first of these strings (comma-separated; "
                           "\\n stands for a line break). The model's own end token always ends it."));
    m_seed->setRange(0, 1'000'000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("The random seed of sampling: the same seed and settings give the same "
                          "answer again, so runs can be compared fairly."));
    auto* form = new QFormLayout(box);
    form->addRow(tr("Temperature"), m_temperature);
    form->addRow(tr("Top-k"), m_topK);
    form->addRow(tr("Top-p"), m_topP);
    form->addRow(tr("Max new tokens"), m_maxNew);
    form->addRow(tr("Repetition penalty"), m_repetition);
    form->addRow(tr("Stop at"), m_stops);
    form->addRow(tr("Seed"), m_seed);
    box->setMaximumWidth(260);
    return box;
}

void GeneratePanel::setJobRunner(JobRunner* jobs)
{
    m_jobs = jobs;
}

void GeneratePanel::setGenerator(std::shared_ptr<TextGenerator> generator, const QString& name,
                                 const QList<CompareChoice>& choices)
{
    stop();
    m_sides[0].generator = std::move(generator);
    m_sides[0].name = name;
    m_choices = choices;
    m_compare->clear();
    m_compare->addItem(tr("Nothing (one answer)"));
    for (const CompareChoice& c : choices)
        m_compare->addItem(c.name);
    chooseComparison(0);
    setStatus(m_sides[0].generator ? tr("Ready: %1. Write a message and press Ctrl+Return.").arg(name)
                                   : QString());
}

bool GeneratePanel::chooseComparison(int index)
{
    if (index < 0 || index > m_choices.size())
        return false;
    stop();
    m_compare->setCurrentIndex(index);
    Side& right = m_sides[1];
    right.generator.reset();
    right.name.clear();
    const qint64 ticket = ++m_loadTicket;
    newConversation(); // both sides must have read the same conversation
    if (index == 0) {
        right.column->hide();
        return true;
    }
    const CompareChoice choice = m_choices[index - 1];
    right.title->setText(tr("<b>%1</b> (loading…)").arg(choice.name.toHtmlEscaped()));
    right.column->show();
    if (!m_jobs)
        return false;
    auto job = std::make_shared<LoadRunModelJob>(choice.source, choice.runId);
    const int id = m_jobs->submit(job);
    auto* context = new QObject(this); // ends with the job's one outcome
    connect(m_jobs, &JobRunner::jobFinished, context,
            [this, id, job, ticket, choice, context](int finished, const JobOutcome& outcome) {
                if (finished != id)
                    return;
                context->deleteLater();
                if (ticket != m_loadTicket)
                    return; // another choice was made meanwhile
                if (outcome.status != JobStatus::Succeeded || !job->model().generator) {
                    const QString why = outcome.status == JobStatus::Succeeded
                                            ? tr("it classifies text and cannot write")
                                            : outcome.message;
                    m_sides[1].title->setText(tr("<b>%1</b>: could not load").arg(choice.name.toHtmlEscaped()));
                    setStatus(tr("Could not load %1: %2").arg(choice.name, why));
                    return;
                }
                m_sides[1].generator = job->model().generator;
                m_sides[1].name = choice.name;
                render(1);
                setStatus(tr("Each message is now answered by %1 and by %2.").arg(m_sides[0].name, choice.name));
                Q_EMIT comparisonReady();
            });
    return true;
}

void GeneratePanel::setMode(Mode mode)
{
    m_mode->setCurrentIndex(mode == Mode::Chat ? 0 : 1);
    m_input->setPlaceholderText(mode == Mode::Chat
                                    ? tr("Write a message; Ctrl+Return sends it.")
                                    : tr("Paste a document; Ctrl+Return asks for its summary."));
    newConversation();
}

GeneratePanel::Mode GeneratePanel::mode() const
{
    return m_mode->currentIndex() == 0 ? Mode::Chat : Mode::Summarize;
}

void GeneratePanel::newConversation()
{
    stop();
    ++m_answerTicket;
    for (size_t i = 0; i < m_sides.size(); ++i) {
        m_sides[i].history.clear();
        m_sides[i].pending.clear();
        m_sides[i].lastAnswer.clear();
        m_sides[i].pieces = 0;
        render(int(i));
    }
}

GenerateRequest GeneratePanel::sampling() const
{
    GenerateRequest r;
    r.temperature = m_temperature->value();
    r.topK = m_topK->value();
    r.topP = m_topP->value();
    r.maxNewTokens = m_maxNew->value();
    r.repetitionPenalty = m_repetition->value();
    r.stop = parseStopField(m_stops->text());
    r.seed = quint64(m_seed->value());
    return r;
}

void GeneratePanel::setSampling(const GenerateRequest& r)
{
    m_temperature->setValue(r.temperature);
    m_topK->setValue(r.topK);
    m_topP->setValue(r.topP);
    m_maxNew->setValue(r.maxNewTokens);
    m_repetition->setValue(r.repetitionPenalty);
    m_stops->setText(stopFieldText(r.stop));
    m_seed->setValue(int(r.seed));
}

bool GeneratePanel::send(const QString& text)
{
    if (!m_sides[0].generator || !m_jobs) {
        setStatus(tr("Choose a chat or summarization run first (it loads in a moment)."));
        return false;
    }
    if (isGenerating()) {
        setStatus(tr("Still writing the last answer: wait for it or press Stop."));
        return false;
    }
    if (text.trimmed().isEmpty()) {
        setStatus(mode() == Mode::Chat ? tr("Write a message first.") : tr("Paste a document first."));
        return false;
    }
    if (m_compare->currentIndex() > 0 && !hasComparison()) {
        setStatus(tr("The model to compare with is still loading (or failed to load); choose "
                     "\"Nothing\" to chat with one model."));
        return false;
    }
    if (mode() == Mode::Summarize)
        newConversation(); // each document is summarized on its own
    m_shownTurn = text.trimmed();
    m_userTurn = mode() == Mode::Chat ? m_shownTurn : summarizationPrompt(m_shownTurn);
    QList<GenerateJob::Side> sides;
    const GenerateRequest settings = sampling();
    for (Side& s : m_sides) {
        if (!s.generator)
            continue;
        GenerateJob::Side side;
        side.generator = s.generator;
        side.request = settings;
        side.request.messages = s.history;
        side.request.messages << ChatMessage{QStringLiteral("user"), m_userTurn};
        sides << side;
        s.pending.clear();
        s.pieces = 0;
    }
    const qint64 ticket = ++m_answerTicket;
    QPointer<GeneratePanel> self(this);
    auto job = std::make_shared<GenerateJob>(sides, [self, ticket](int side, const QString& piece) {
        QMetaObject::invokeMethod(qApp, [self, ticket, side, piece] {
            if (self)
                self->appendPiece(ticket, side, piece);
        }, Qt::QueuedConnection);
    });
    const int id = m_jobs->submit(job);
    m_jobId = id;
    m_runningTicket = ticket;
    m_send->setEnabled(false);
    m_stop->setEnabled(true);
    for (int i = 0; i < int(m_sides.size()); ++i)
        render(i);
    setStatus(tr("Writing…"));
    auto* context = new QObject(this);
    connect(m_jobs, &JobRunner::jobFinished, context,
            [this, id, job, ticket, context](int finished, const JobOutcome& outcome) {
                if (finished != id)
                    return;
                context->deleteLater();
                finish(ticket, job, outcome);
            });
    return true;
}

void GeneratePanel::appendPiece(qint64 ticket, int side, const QString& piece)
{
    // Job sides are the panel's sides with a model, in order: the left always has one.
    if (ticket != m_answerTicket || side < 0 || side >= int(m_sides.size()))
        return;
    Side& s = m_sides[size_t(side)];
    s.pending += piece;
    ++s.pieces;
    queueRender();
}

void GeneratePanel::queueRender()
{
    if (m_renderQueued)
        return;
    m_renderQueued = true;
    QTimer::singleShot(40, this, [this] {
        m_renderQueued = false;
        for (int i = 0; i < int(m_sides.size()); ++i)
            render(i);
    });
}

void GeneratePanel::finish(qint64 ticket, const std::shared_ptr<GenerateJob>& job, const JobOutcome& outcome)
{
    m_jobId = 0;
    m_runningTicket = 0;
    m_send->setEnabled(true);
    m_stop->setEnabled(false);
    if (ticket != m_answerTicket) {
        // The conversation was started anew while this answer was written: show the new one.
        for (int i = 0; i < int(m_sides.size()); ++i)
            render(i);
        setStatus(tr("Ready for a new conversation."));
        return;
    }
    QStringList notes;
    int answerIndex = 0;
    // A refused message (too long, say) never entered the conversation.
    const bool keep = !job->answers().isEmpty() || outcome.status == JobStatus::Cancelled;
    for (size_t i = 0; i < m_sides.size() && keep; ++i) {
        Side& s = m_sides[i];
        if (!s.generator)
            continue;
        // Every side takes the exchange, answered or not (a Stop before its turn leaves it
        // empty), so both go on reading the same conversation.
        const GenerateJob::Answer* a = answerIndex < job->answers().size() ? &job->answers()[answerIndex] : nullptr;
        // The reply's text is the authority: streaming may have shown a piece a stop string
        // later cut.
        const QString text = a ? a->reply.text : s.pending;
        s.history << ChatMessage{QStringLiteral("user"), m_userTurn}
                  << ChatMessage{QStringLiteral("assistant"), text};
        s.lastAnswer = text;
        if (a) {
            const double rate = a->seconds > 0 ? a->reply.tokens.size() / a->seconds : 0;
            QString note = tr("%1: %2 tokens, %3 tokens/s, %4")
                               .arg(s.name)
                               .arg(a->reply.tokens.size())
                               .arg(rate, 0, 'f', 1)
                               .arg(a->reply.finishReason == QLatin1String("length")
                                        ? tr("stopped at the length limit")
                                        : a->reply.finishReason == QLatin1String("cancelled")
                                              ? tr("stopped")
                                              : tr("finished"));
            if (a->droppedMessages > 0)
                note += tr(" (the %1 oldest messages were left out to fit the model's context)")
                            .arg(a->droppedMessages);
            notes << note;
        }
        s.pending.clear();
        ++answerIndex;
        render(int(i));
    }
    for (Side& s : m_sides)
        s.pending.clear();
    for (int i = 0; i < int(m_sides.size()) && !keep; ++i)
        render(i);
    if (outcome.status == JobStatus::Failed)
        notes << tr("Could not answer: %1").arg(outcome.message);
    else if (outcome.status == JobStatus::Cancelled)
        notes << tr("Stopped; the text written so far is kept.");
    setStatus(notes.join(QStringLiteral(" · ")));
    Q_EMIT answered();
}

void GeneratePanel::stop()
{
    if (m_jobId != 0 && m_jobs)
        m_jobs->cancel(m_jobId);
}

void GeneratePanel::render(int side)
{
    Side& s = m_sides[size_t(side)];
    const QString name = s.name.isEmpty() ? tr("Model") : s.name;
    if (side == 0 || s.generator)
        s.title->setText(QStringLiteral("<b>%1</b>").arg(name.toHtmlEscaped()));
    QString html;
    // A summarization prompt is the instruction and the document: the user wrote the document.
    const bool summarize = mode() == Mode::Summarize;
    for (const ChatMessage& m : s.history) {
        if (m.role == QLatin1String("user"))
            html += turnHtml(tr("You"), summarize ? m_shownTurn : m.content, QStringLiteral("#1f5f9f"));
        else if (m.role == QLatin1String("assistant"))
            html += turnHtml(summarize ? tr("%1 — summary").arg(name) : name, m.content, QStringLiteral("#2e7d32"));
    }
    if (isGenerating() && m_runningTicket == m_answerTicket && s.generator) {
        html += turnHtml(tr("You"), m_shownTurn, QStringLiteral("#1f5f9f"));
        html += turnHtml(name, s.pending + QStringLiteral(" ▍"), QStringLiteral("#2e7d32"));
    }
    s.view->setHtml(html);
    s.view->verticalScrollBar()->setValue(s.view->verticalScrollBar()->maximum());
}

QString GeneratePanel::lastAnswer(int side) const
{
    return m_sides[size_t(side)].lastAnswer;
}

QString GeneratePanel::transcript(int side) const
{
    return m_sides[size_t(side)].view->toPlainText();
}

void GeneratePanel::setStatus(const QString& text)
{
    m_status->setText(text);
}

QString GeneratePanel::statusText() const
{
    return m_status->text();
}

} // namespace fts
