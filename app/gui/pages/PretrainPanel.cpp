// The panel only describes the run and draws what comes back: the corpus, the model and every step
// are the engine's (pretrain()), run as a PretrainJob on the engine thread.
#include "PretrainPanel.h"

#include "Error.h"
#include "JobStatusWidget.h"
#include "PretrainChart.h"
#include "jobs/JobRunner.h"
#include "pretrain/Corpus.h"
#include "pretrain/PretrainJob.h"
#include "project/Project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSpinBox>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

#include <limits>

namespace fts {
namespace {

// Spin boxes accept more than the engine allows, so a mistake reaches validatePretrainOptions,
// whose message names the allowed range, instead of being silently clamped by the widget.
constexpr int kSpinMax = std::numeric_limits<int>::max();

QSpinBox* spin(QWidget* parent, const char* name, int value, const QString& tip)
{
    auto* s = new QSpinBox(parent);
    s->setObjectName(QLatin1String(name));
    s->setRange(-1, kSpinMax);
    s->setValue(value);
    s->setGroupSeparatorShown(true);
    s->setToolTip(tip);
    return s;
}

bool hasCheckpoint(const QString& outDir)
{
    return !outDir.isEmpty() && QDir(outDir).exists(QStringLiteral("checkpoint"));
}

} // namespace

PretrainPanel::PretrainPanel(QWidget* parent)
    : QWidget(parent), m_chart(new PretrainChart(this)), m_bar(new QProgressBar(this)),
      m_status(new QLabel(this)), m_message(new QLabel(this)), m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("pretrainPanel"));
    m_settings = new QWidget(this);
    auto* settingsLayout = new QVBoxLayout(m_settings);
    settingsLayout->setContentsMargins(0, 0, 0, 0);
    settingsLayout->addWidget(buildTextBox());
    settingsLayout->addWidget(buildStartBox());
    settingsLayout->addWidget(buildSettingsBox());
    settingsLayout->addStretch(1);

    // The settings scroll rather than squeeze on a small screen; the chart keeps its room.
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_settings);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // Transparent, so the settings sit on the tab's background like the run box beside them.
    scroll->viewport()->setAutoFillBackground(false);
    m_settings->setAutoFillBackground(false); // setWidget() turned it on
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(scroll, 2);
    layout->addWidget(buildRunBox(), 3);

    // Ctrl+Return starts from anywhere in the panel (a spin box keeps plain Return).
    auto* startKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    startKey->setContext(Qt::WidgetWithChildrenShortcut);
    connect(startKey, &QShortcut::activated, this, [this] { start(); });
    setBaseModel({});
    countDocuments();
    updateButtons();
}

PretrainPanel::~PretrainPanel()
{
    // The job saves its checkpoint when cancelled, so closing the window loses no training.
    if (m_jobId != 0 && m_jobs)
        m_jobs->cancel(m_jobId);
}

QWidget* PretrainPanel::buildTextBox()
{
    auto* box = new QGroupBox(tr("Text to learn from"), this);
    m_sources = new QListWidget(box);
    m_sources->setObjectName(QStringLiteral("pretrainSources"));
    m_sources->setToolTip(tr("Plain-text files (.txt, .md) and folders searched for them. "
                             "No labels are needed."));
    m_sources->setMaximumHeight(90);
    auto* addFiles = new QPushButton(tr("Add &files…"), box);
    connect(addFiles, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Text files to pre-train on"), {}, tr("Text (*.txt *.md *.text);;All (*)"));
        setSources(sources() + files);
    });
    auto* addFolder = new QPushButton(tr("Add fol&der…"), box);
    connect(addFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of text files"));
        if (!dir.isEmpty())
            setSources(sources() << dir);
    });
    auto* remove = new QPushButton(tr("Re&move"), box);
    connect(remove, &QPushButton::clicked, this, [this] {
        delete m_sources->currentItem();
        countDocuments();
    });
    m_projectText =
        new QCheckBox(tr("The project's te&xt column (every row, labeled or not)"), box);
    m_projectText->setObjectName(QStringLiteral("pretrainProjectText"));
    connect(m_projectText, &QCheckBox::toggled, this, [this] { countDocuments(); });
    m_paragraphs = new QCheckBox(tr("A blank line separates documents (prose)"), box);
    m_paragraphs->setToolTip(tr("Off: every line is a document. On: lines up to a blank line "
                                "form one document, as in books and articles."));
    connect(m_paragraphs, &QCheckBox::toggled, this, [this] { countDocuments(); });
    m_documents = new QLabel(box);
    m_documents->setObjectName(QStringLiteral("pretrainDocuments"));
    m_documents->setWordWrap(true);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(addFiles);
    buttons->addWidget(addFolder);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    auto* v = new QVBoxLayout(box);
    v->addWidget(m_sources);
    v->addLayout(buttons);
    v->addWidget(m_projectText);
    v->addWidget(m_paragraphs);
    v->addWidget(m_documents);
    return box;
}

QWidget* PretrainPanel::buildStartBox()
{
    auto* box = new QGroupBox(tr("Start from"), this);
    m_continue = new QRadioButton(box);
    m_continue->setObjectName(QStringLiteral("pretrainContinue"));
    m_continue->setToolTip(tr("Continued pre-training (domain adaptation): the model keeps what "
                              "it knows and learns the words and style of your text."));
    m_scratch = new QRadioButton(tr("A new model made from scratch"), box);
    m_scratch->setObjectName(QStringLiteral("pretrainScratch"));
    m_scratch->setToolTip(tr("Learns only from your text: needs much more text and steps."));
    m_scratchBox = new QGroupBox(box);
    m_scratchBox->setFlat(true);
    m_family = new QComboBox(m_scratchBox);
    m_family->setObjectName(QStringLiteral("pretrainFamily"));
    m_family->addItem(tr("BERT encoder (for classification)"), QStringLiteral("bert"));
    m_family->addItem(tr("Llama decoder (for chat and writing)"), QStringLiteral("llama"));
    m_size = new QComboBox(m_scratchBox);
    m_size->setObjectName(QStringLiteral("pretrainSize"));
    m_size->addItem(tr("tiny (for trying the steps out)"), QStringLiteral("tiny"));
    m_size->addItem(tr("mini (~2M parameters, a laptop)"), QStringLiteral("mini"));
    m_size->addItem(tr("small (~5M parameters)"), QStringLiteral("small"));
    m_size->addItem(tr("base (~15M parameters, slow on a CPU)"), QStringLiteral("base"));
    m_size->setCurrentIndex(2);
    m_tokenizer = new QComboBox(m_scratchBox);
    m_tokenizer->setObjectName(QStringLiteral("pretrainTokenizer"));
    m_tokenizer->addItem(QStringLiteral("unigram"), QStringLiteral("unigram"));
    m_tokenizer->addItem(QStringLiteral("bpe"), QStringLiteral("bpe"));
    m_tokenizer->setToolTip(tr("How words are cut into pieces. Both work; unigram is BERT-style "
                               "sentencepiece's default, bpe is Llama's."));
    m_vocab = spin(m_scratchBox, "pretrainVocab", 8000,
                   tr("Number of word pieces the new tokenizer learns (100 to 256,000). 8,000 "
                      "suits a few megabytes of text; a small text needs fewer."));
    auto* form = new QFormLayout(m_scratchBox);
    form->addRow(tr("Famil&y:"), m_family);
    form->addRow(tr("Si&ze:"), m_size);
    form->addRow(tr("Toke&nizer:"), m_tokenizer);
    form->addRow(tr("&Vocabulary:"), m_vocab);
    for (QComboBox* c : {m_family, m_size})
        connect(c, &QComboBox::currentIndexChanged, this, [this] { suggestOutputFolder(); });
    connect(m_scratch, &QRadioButton::toggled, this, [this](bool on) {
        m_scratchBox->setEnabled(on);
        suggestOutputFolder();
    });
    auto* v = new QVBoxLayout(box);
    v->addWidget(m_continue);
    v->addWidget(m_scratch);
    v->addWidget(m_scratchBox);
    return box;
}

QWidget* PretrainPanel::buildSettingsBox()
{
    auto* box = new QGroupBox(tr("Settings"), this);
    m_steps = spin(box, "pretrainSteps", 1000,
                   tr("Optimizer steps (1 to 10,000,000). Each step learns from one batch."));
    m_batch = spin(box, "pretrainBatch", 32,
                   tr("Blocks of text per step (1 to 4,096). Lower it if memory runs out."));
    m_block = spin(box, "pretrainBlock", 128,
                   tr("Tokens per block (8 up to the positions the model knows, usually 512). "
                      "Longer blocks see more context and cost more per step."));
    m_lr = new QLineEdit(QStringLiteral("5e-4"), box);
    m_lr->setObjectName(QStringLiteral("pretrainLr"));
    m_lr->setToolTip(tr("Learning rate, above 0 and at most 1. 5e-4 suits a small model; "
                        "continued pre-training of a large one wants about 5e-5."));
    m_warmup = new QDoubleSpinBox(box);
    m_warmup->setObjectName(QStringLiteral("pretrainWarmup"));
    m_warmup->setRange(-1, 100);
    m_warmup->setDecimals(3);
    m_warmup->setSingleStep(0.01);
    m_warmup->setValue(0.06);
    m_warmup->setToolTip(tr("Fraction of the steps over which the learning rate rises from 0 "
                            "(at least 0, below 1); then it falls along a cosine."));
    m_seed = spin(box, "pretrainSeed", 42,
                  tr("Same seed, text and settings give the same model (0 or more)."));
    m_checkpointEvery = spin(box, "pretrainCheckpointEvery", 100,
                             tr("Save a checkpoint every N steps (0: only on Stop and at the "
                                "end). A run resumes from its last checkpoint."));
    m_evalEvery = spin(box, "pretrainEvalEvery", 100,
                       tr("Measure the perplexity on held-out text (never trained on) every N "
                          "steps, to see whether the model generalises (0: only at the end)."));
    auto* form = new QFormLayout(box);
    form->addRow(tr("Ste&ps:"), m_steps);
    form->addRow(tr("B&atch size:"), m_batch);
    form->addRow(tr("Bloc&k size:"), m_block);
    form->addRow(tr("&Learning rate:"), m_lr);
    form->addRow(tr("&Warmup fraction:"), m_warmup);
    form->addRow(tr("S&eed:"), m_seed);
    form->addRow(tr("&Checkpoint every:"), m_checkpointEvery);
    form->addRow(tr("&Held-out perplexity every:"), m_evalEvery);
    return box;
}

QWidget* PretrainPanel::buildOutputRow()
{
    // Beside Start rather than among the settings: it is where the model (and a stopped run's
    // checkpoint) goes, and it must stay in view.
    m_outputRow = new QWidget(this);
    m_output = new QLineEdit(m_outputRow);
    m_output->setObjectName(QStringLiteral("pretrainOutput"));
    m_output->setToolTip(tr("The model folder written. Its \"checkpoint\" subfolder lets a "
                            "stopped run resume."));
    connect(m_output, &QLineEdit::textEdited, this, [this] { m_outputEdited = true; });
    connect(m_output, &QLineEdit::textChanged, this, [this] { updateButtons(); });
    auto* browse = new QPushButton(tr("&Browse…"), m_outputRow);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Folder for the pre-trained model"));
        if (!dir.isEmpty()) {
            m_outputEdited = true;
            m_output->setText(dir);
        }
    });
    auto* out = new QHBoxLayout(m_outputRow);
    out->setContentsMargins(0, 0, 0, 0);
    auto* outLabel = new QLabel(tr("&Output folder:"), m_outputRow);
    outLabel->setBuddy(m_output);
    out->addWidget(outLabel);
    out->addWidget(m_output, 1);
    out->addWidget(browse);
    return m_outputRow;
}

QWidget* PretrainPanel::buildRunBox()
{
    auto* box = new QGroupBox(tr("Pre-training"), this);
    m_bar->setObjectName(QStringLiteral("pretrainProgress"));
    m_bar->setRange(0, 1);
    m_bar->setValue(0);
    m_status->setObjectName(QStringLiteral("pretrainStatus"));
    m_message->setObjectName(QStringLiteral("pretrainMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::RichText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setObjectName(QStringLiteral("pretrainSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_start = new QPushButton(tr("&Start"), box);
    m_start->setObjectName(QStringLiteral("pretrainStart"));
    m_start->setToolTip(tr("Start pre-training (Ctrl+Return)"));
    m_stop = new QPushButton(tr("S&top"), box);
    m_stop->setObjectName(QStringLiteral("pretrainStop"));
    m_stop->setToolTip(tr("Stop and save a checkpoint; Resume continues exactly from it."));
    m_resume = new QPushButton(tr("&Resume"), box);
    m_resume->setObjectName(QStringLiteral("pretrainResume"));
    m_resume->setToolTip(tr("Continue the stopped run in the output folder with the same "
                            "settings."));
    m_finishNow = new QPushButton(tr("F&inish now"), box);
    m_finishNow->setObjectName(QStringLiteral("pretrainFinishNow"));
    m_finishNow->setToolTip(tr("Write the model from the last checkpoint without training "
                               "further."));
    m_use = new QPushButton(tr("&Use this model"), box);
    m_use->setObjectName(QStringLiteral("pretrainUse"));
    m_use->setToolTip(tr("Show the pre-trained model on this page and make it the project's "
                         "model, to fine-tune on the Train page."));
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, &PretrainPanel::stop);
    connect(m_resume, &QPushButton::clicked, this, [this] { resume(); });
    connect(m_finishNow, &QPushButton::clicked, this, [this] { finishNow(); });
    connect(m_use, &QPushButton::clicked, this, [this] {
        if (!m_finished.isEmpty())
            Q_EMIT useModelRequested(m_finished);
    });

    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {m_start, m_stop, m_resume, m_finishNow})
        buttons->addWidget(b);
    buttons->addStretch(1);
    auto* v = new QVBoxLayout(box);
    v->addWidget(buildOutputRow());
    v->addWidget(m_chart, 1);
    v->addWidget(m_bar);
    v->addWidget(m_status);
    v->addLayout(buttons);
    v->addWidget(m_message);
    v->addWidget(m_summary);
    v->addWidget(m_use, 0, Qt::AlignLeft);
    return box;
}

void PretrainPanel::setContext(Project* project, JobRunner* jobs)
{
    m_project = project;
    m_jobs = jobs;
    if (m_jobs) {
        connect(m_jobs, &JobRunner::jobProgress, this, &PretrainPanel::onProgress,
                Qt::UniqueConnection);
        connect(m_jobs, &JobRunner::jobFinished, this, &PretrainPanel::onFinished,
                Qt::UniqueConnection);
        connect(m_jobs, &JobRunner::jobLog, this, &PretrainPanel::onLog, Qt::UniqueConnection);
    }
    m_projectText->setEnabled(m_project != nullptr);
    if (!m_project)
        m_projectText->setChecked(false);
    suggestOutputFolder();
    countDocuments();
}

void PretrainPanel::setBaseModel(const QString& dir)
{
    // The first model shown turns the choice to continuing it; later ones keep the user's choice.
    const bool firstModel = m_baseModel.isEmpty();
    m_baseModel = dir;
    m_continue->setEnabled(!dir.isEmpty());
    m_continue->setText(
        dir.isEmpty() ? tr("The model shown on this page (choose one on the other tab)")
                      : tr("The model shown on this page: %1").arg(QFileInfo(dir).fileName()));
    m_continue->setToolTip(QDir::toNativeSeparators(dir));
    setFromScratch(dir.isEmpty() || (!firstModel && m_scratch->isChecked()));
    suggestOutputFolder();
}

void PretrainPanel::setSources(const QStringList& paths)
{
    m_sources->clear();
    for (const QString& p : paths)
        if (!p.isEmpty())
            m_sources->addItem(QDir::toNativeSeparators(p));
    countDocuments();
}

QStringList PretrainPanel::sources() const
{
    QStringList out;
    for (int i = 0; i < m_sources->count(); ++i)
        out << QDir::fromNativeSeparators(m_sources->item(i)->text());
    return out;
}

void PretrainPanel::setUseProjectText(bool use)
{
    m_projectText->setChecked(use && m_project);
}

void PretrainPanel::setFromScratch(bool scratch)
{
    (scratch || m_baseModel.isEmpty() ? m_scratch : m_continue)->setChecked(true);
    m_scratchBox->setEnabled(m_scratch->isChecked());
}

void PretrainPanel::setOutputFolder(const QString& dir)
{
    m_outputEdited = true;
    m_output->setText(dir);
}

QString PretrainPanel::outputFolder() const
{
    return QDir::fromNativeSeparators(m_output->text().trimmed());
}

void PretrainPanel::suggestOutputFolder()
{
    if (m_outputEdited)
        return;
    // Next to the project, so the model travels with it; named after what it started from.
    const QString name =
        m_scratch->isChecked()
            ? QStringLiteral("%1-%2-pretrained")
                  .arg(m_family->currentData().toString(), m_size->currentData().toString())
            : QFileInfo(m_baseModel).fileName() + QStringLiteral("-adapted");
    const QString parent =
        m_project ? QFileInfo(m_project->path()).absolutePath() : QDir::homePath();
    m_output->setText(QDir::toNativeSeparators(QDir(parent).filePath(name)));
}

QStringList PretrainPanel::readDocuments() const
{
    CorpusOptions corpus;
    corpus.paragraphs = m_paragraphs->isChecked();
    QStringList docs;
    if (m_sources->count() > 0)
        docs = readCorpus(sources(), corpus);
    if (m_projectText->isChecked() && m_project)
        docs += projectCorpus(*m_project, corpus);
    return docs;
}

void PretrainPanel::countDocuments()
{
    if (m_sources->count() == 0 && !m_projectText->isChecked()) {
        m_documentCount = 0;
        m_documents->setText(tr("Add text files or a folder, or use the project's text."));
        return;
    }
    try {
        // Reading is quick for the corpora a desktop pre-trains on (tens of megabytes at most).
        const QStringList docs = readDocuments();
        qint64 characters = 0;
        for (const QString& d : docs)
            characters += d.size();
        m_documentCount = int(docs.size());
        m_documents->setText(
            tr("%1 documents found (%2 characters).")
                .arg(QLocale().toString(m_documentCount), QLocale().toString(characters)));
    } catch (const Error& e) {
        m_documentCount = -1;
        m_documents->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                 .arg(e.message().toHtmlEscaped()));
    }
}

PretrainOptions PretrainPanel::options() const
{
    PretrainOptions o;
    o.documents = readDocuments();
    o.outDir = outputFolder();
    if (m_scratch->isChecked()) {
        o.family = m_family->currentData().toString();
        o.preset = m_size->currentData().toString();
        o.tokenizer.algorithm = m_tokenizer->currentData().toString();
        o.tokenizer.vocabSize = m_vocab->value();
        o.tokenizer.style =
            o.family == QLatin1String("llama") ? TokenizerStyle::Llama : TokenizerStyle::Bert;
    } else {
        o.baseModel = m_baseModel;
    }
    o.maxSteps = m_steps->value();
    o.batchSize = m_batch->value();
    o.blockSize = m_block->value();
    bool ok = false;
    o.lr = QLocale::c().toDouble(m_lr->text().trimmed(), &ok);
    if (!ok)
        throw Error(tr("The learning rate '%1' is not a number: write it like 5e-4 or 0.0005.")
                        .arg(m_lr->text()));
    o.warmupRatio = m_warmup->value();
    o.seed = m_seed->value();
    o.checkpointEvery = m_checkpointEvery->value();
    o.evalEvery = m_evalEvery->value();
    validatePretrainOptions(o);
    return o;
}

bool PretrainPanel::start()
{
    if (isRunning() || !m_jobs)
        return false;
    try {
        const PretrainOptions o = options();
        const QDir out(o.outDir);
        if (hasCheckpoint(o.outDir))
            throw Error(tr("%1 holds a stopped pre-training: press Resume to continue it, or "
                           "choose another output folder.")
                            .arg(QDir::toNativeSeparators(o.outDir)));
        if (out.exists(QStringLiteral("config.json")))
            throw Error(tr("%1 already holds a model: choose another output folder so it is not "
                           "overwritten.")
                            .arg(QDir::toNativeSeparators(o.outDir)));
        m_chart->clear();
        return submit(o, tr("Starting…"));
    } catch (const Error& e) {
        showMessage(e.message(), true);
        return false;
    }
}

bool PretrainPanel::resume()
{
    if (isRunning() || !m_jobs)
        return false;
    try {
        const PretrainOptions o = options();
        if (!hasCheckpoint(o.outDir))
            throw Error(tr("%1 holds no stopped pre-training to resume; press Start.")
                            .arg(QDir::toNativeSeparators(o.outDir)));
        return submit(o, tr("Resuming…"));
    } catch (const Error& e) {
        showMessage(e.message(), true);
        return false;
    }
}

bool PretrainPanel::finishNow()
{
    if (isRunning() || !m_jobs)
        return false;
    try {
        PretrainOptions o = options();
        if (!hasCheckpoint(o.outDir))
            throw Error(tr("%1 holds no checkpoint to finish from.")
                            .arg(QDir::toNativeSeparators(o.outDir)));
        o.finishNow = true;
        return submit(o, tr("Writing the model from the last checkpoint…"));
    } catch (const Error& e) {
        showMessage(e.message(), true);
        return false;
    }
}

bool PretrainPanel::canResume() const
{
    return !isRunning() && hasCheckpoint(outputFolder());
}

bool PretrainPanel::submit(PretrainOptions options, const QString& what)
{
    // Steps arrive on the engine thread. They are posted to a relay object living on this
    // thread; the panel is reached through a QPointer that is only read here, so a panel closed
    // mid-run is never touched. The relay is deleted on this thread once the job lets go of it.
    QPointer<PretrainPanel> self(this);
    std::shared_ptr<QObject> relay(new QObject, [](QObject* o) { o->deleteLater(); });
    options.onStep = [self, relay](const PretrainProgress& p) {
        QMetaObject::invokeMethod(
            relay.get(),
            [self, p] {
                if (self)
                    self->showStep(p);
            },
            Qt::QueuedConnection);
    };
    m_finished.clear();
    m_summary->clear();
    m_eta.clear();
    m_stepText.clear();
    m_job = std::make_shared<PretrainJob>(std::move(options));
    m_jobId = m_jobs->submit(m_job);
    m_bar->setRange(0, 0); // busy until the first step: tokenizer training and packing
    m_status->setText(what);
    showMessage({}, false);
    updateButtons();
    return true;
}

void PretrainPanel::showStep(const PretrainProgress& p)
{
    m_chart->addStep(p.step, p.loss);
    m_chart->addHeldOut(p.step, p.evalPerplexity); // 0 (nothing) on most steps
    m_bar->setRange(0, int(std::min<qint64>(p.totalSteps, kSpinMax)));
    m_bar->setValue(int(std::min<qint64>(p.step, kSpinMax)));
    QString text = tr("Step %1 / %2 · loss %3 (perplexity %4) · %5 tokens/s")
                       .arg(QLocale().toString(p.step), QLocale().toString(p.totalSteps))
                       .arg(p.loss, 0, 'f', 3)
                       .arg(p.perplexity, 0, 'f', 1)
                       .arg(QLocale().toString(qRound64(p.tokensPerSecond)));
    m_stepText = text;
    if (!m_eta.isEmpty())
        text += QStringLiteral(" · ") + m_eta;
    m_status->setText(text);
    Q_EMIT stepShown(p.step, p.totalSteps);
}

void PretrainPanel::onProgress(int id, const JobProgress& p)
{
    if (id == m_jobId && id != 0)
        m_eta = JobStatusWidget::formatEta(p.etaSeconds);
}

void PretrainPanel::onLog(int id, const QString& line)
{
    // Before the first step (tokenizer training, packing) the log is the only sign of life.
    if (id == m_jobId && id != 0 && m_chart->pointCount() == 0)
        m_status->setText(line);
}

void PretrainPanel::onFinished(int id, const JobOutcome& outcome)
{
    if (id != m_jobId || id == 0)
        return;
    m_jobId = 0;
    m_bar->setRange(0, std::max(1, m_bar->maximum()));
    m_status->setText(m_stepText); // the time left no longer applies
    const PretrainResult r = m_job->result();
    m_job.reset();
    if (outcome.status == JobStatus::Succeeded) {
        m_finished = outputFolder();
        m_bar->setValue(m_bar->maximum());
        m_chart->addHeldOut(r.steps, r.evalPerplexity);
        QString text = tr("<b>Finished.</b> %1 steps, %2 tokens seen, %3 of training.")
                           .arg(QLocale().toString(r.steps), QLocale().toString(r.tokensSeen),
                                JobStatusWidget::formatDuration(r.seconds));
        text += r.evalPerplexity > 0
                    ? tr(" Perplexity on held-out text: <b>%1</b> (lower is better).")
                          .arg(r.evalPerplexity, 0, 'f', 2)
                    : tr(" There was too little text to hold some out for a perplexity.");
        if (r.stoppedEarly)
            text += tr(" Finished early, before its learning rate had fully decayed.");
        m_summary->setText(text);
        showMessage({}, false);
    } else if (outcome.status == JobStatus::Cancelled) {
        showMessage(tr("Stopped. The checkpoint is saved: Resume continues exactly where it "
                       "stopped; Finish now writes the model as it is."),
                    false);
    } else {
        showMessage(outcome.message, true);
    }
    updateButtons();
    Q_EMIT runEnded(outcome.status == JobStatus::Succeeded);
}

void PretrainPanel::stop()
{
    if (isRunning() && m_jobs) {
        m_jobs->cancel(m_jobId);
        m_status->setText(tr("Stopping after this step and saving a checkpoint…"));
    }
}

void PretrainPanel::showMessage(const QString& text, bool error)
{
    m_message->setText(
        error ? QStringLiteral("<span style='color:#b00020'>%1</span>").arg(text.toHtmlEscaped())
              : text.toHtmlEscaped());
}

QString PretrainPanel::messageText() const
{
    return QTextDocumentFragment::fromHtml(m_message->text()).toPlainText();
}

QString PretrainPanel::statusText() const
{
    return m_status->text();
}

QString PretrainPanel::summaryText() const
{
    return QTextDocumentFragment::fromHtml(m_summary->text()).toPlainText();
}

void PretrainPanel::updateButtons()
{
    const bool running = isRunning();
    const bool checkpoint = hasCheckpoint(outputFolder());
    m_settings->setEnabled(!running);
    m_outputRow->setEnabled(!running);
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    m_resume->setEnabled(!running && checkpoint);
    m_finishNow->setEnabled(!running && checkpoint);
    m_use->setEnabled(!running && !m_finished.isEmpty());
}

} // namespace fts
