// The judgements are frozen into a JSONL file in the artifacts folder when a run starts (the run
// names and hashes it, so it can resume exactly); the trainer's metric points come back to the
// GUI thread as queued calls and feed the live panels.
#include "pages/FeedbackTrainPanel.h"

#include "MetricPanelsChart.h"
#include "ScoreHistogram.h"

#include "Error.h"
#include "align/AlignJob.h"
#include "align/PpoTrainer.h"
#include "feedback/CompareJob.h"
#include "feedback/Feedback.h"
#include "feedback/RewardDistributionJob.h"
#include "hub/LocalModels.h"
#include "models/ModelConfig.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QSignalBlocker>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace fts {
namespace {

QString explanationOf(FeedbackTrainPanel::Method m)
{
    switch (m) {
    case FeedbackTrainPanel::Method::Reward:
        return QObject::tr(
            "<b>Reward model.</b> Learns to give each answer a score that agrees with people's judgements: "
            "for every pair, the answer people preferred should score higher (Bradley–Terry). It does not "
            "change how the model writes; it becomes the judge that PPO learns from, and the held-out "
            "pairwise accuracy says how often it agrees with people on prompts it never saw.");
    case FeedbackTrainPanel::Method::Dpo:
        return QObject::tr(
            "<b>DPO (direct preference optimisation).</b> Changes the model itself so that, for each pair, "
            "the preferred answer becomes more likely than the other — measured against a frozen copy of the "
            "starting model. β sets how far it may move from that copy: small β follows the preferences "
            "boldly, large β stays close to the original. No reward model is needed.");
    case FeedbackTrainPanel::Method::Ppo:
        return QObject::tr(
            "<b>PPO.</b> The model writes answers to the prompts, a trained reward model scores them, and the "
            "model is nudged towards what scored well. Two guards keep it sane: <i>clipping</i> (ε) limits "
            "how much one update may change any answer's probability, so a lucky score cannot swing the model; "
            "the <i>KL penalty</i> charges the model for drifting from its starting self, so it cannot win by "
            "writing odd text the reward model happens to overrate.");
    }
    return {};
}

QList<MetricPanel> panelsOf(FeedbackTrainPanel::Method m)
{
    const QString train = QStringLiteral("train"), val = QStringLiteral("val");
    switch (m) {
    case FeedbackTrainPanel::Method::Reward:
        return {{QObject::tr("Loss"), {{train, QStringLiteral("loss"), QObject::tr("train")},
                                       {val, QStringLiteral("pairwise_loss"), QObject::tr("held-out")}},
                 QObject::tr("How wrong the scores are on the pairs; lower is better.")},
                {QObject::tr("Held-out pairwise accuracy"), {{val, QStringLiteral("pairwise_accuracy"), QObject::tr("accuracy")}},
                 QObject::tr("How often the preferred answer scores higher, on prompts not trained on. 0.5 is chance."), true},
                {QObject::tr("Mean score"), {{val, QStringLiteral("reward_better"), QObject::tr("preferred")},
                                             {val, QStringLiteral("reward_worse"), QObject::tr("other")}},
                 QObject::tr("Average score of preferred and other answers on held-out pairs: they should move apart.")}};
    case FeedbackTrainPanel::Method::Dpo:
        return {{QObject::tr("Loss"), {{train, QStringLiteral("loss"), QObject::tr("train")},
                                       {val, QStringLiteral("loss"), QObject::tr("held-out")}},
                 QObject::tr("DPO's loss: 0.69 at the start (no preference), lower is better.")},
                {QObject::tr("Reward margin"), {{val, QStringLiteral("reward_margin"), QObject::tr("margin")}},
                 QObject::tr("How much more the tuned model prefers the chosen answer than the reference does.")},
                {QObject::tr("Implicit reward accuracy"), {{val, QStringLiteral("reward_accuracy"), QObject::tr("accuracy")}},
                 QObject::tr("Share of held-out pairs where the chosen answer gained more than the rejected one."), true},
                {QObject::tr("Implicit rewards"), {{val, QStringLiteral("reward_chosen"), QObject::tr("chosen")},
                                                   {val, QStringLiteral("reward_rejected"), QObject::tr("rejected")}},
                 QObject::tr("β × the change in log-probability of chosen and rejected answers.")}};
    case FeedbackTrainPanel::Method::Ppo:
        return {{QObject::tr("Mean reward"), {{train, QStringLiteral("reward_mean"), QObject::tr("rollouts")},
                                              {val, QStringLiteral("reward_mean"), QObject::tr("held-out")}},
                 QObject::tr("The reward model's average score of the answers; it should rise.")},
                {QObject::tr("KL to the starting model"), {{train, QStringLiteral("kl"), QObject::tr("KL")}},
                 QObject::tr("How far the model has drifted; the KL penalty keeps it bounded.")},
                {QObject::tr("Clip fraction"), {{train, QStringLiteral("clip_fraction"), QObject::tr("clipped")}},
                 QObject::tr("Share of tokens whose update was clipped; a high value means steps are too big."), true},
                {QObject::tr("Losses"), {{train, QStringLiteral("policy_loss"), QObject::tr("policy")},
                                         {train, QStringLiteral("value_loss"), QObject::tr("value")}},
                 QObject::tr("The clipped surrogate (policy) and the value head's error.")},
                {QObject::tr("Entropy"), {{train, QStringLiteral("entropy"), QObject::tr("entropy")}},
                 QObject::tr("How spread out the model's word choices are; a collapse to 0 means it repeats itself.")},
                {QObject::tr("Answer length"), {{train, QStringLiteral("response_length"), QObject::tr("rollouts")},
                                                {val, QStringLiteral("response_length"), QObject::tr("held-out")}},
                 QObject::tr("Tokens per answer.")},
                {QObject::tr("Win rate vs the starting model"), {{val, QStringLiteral("win_rate"), QObject::tr("win rate")}},
                 QObject::tr("Share of held-out prompts where the reward model scores the tuned answer above the "
                             "starting model's."), true}};
    }
    return {};
}

QLineEdit* field(QWidget* parent, const QString& value, const QString& tip)
{
    auto* e = new QLineEdit(value, parent);
    e->setToolTip(tip);
    e->setMaximumWidth(110);
    return e;
}

} // namespace

FeedbackTrainPanel::FeedbackTrainPanel(QWidget* parent)
    : QWidget(parent), m_method(new QComboBox(this)), m_explain(new QLabel(this)), m_model(new QComboBox(this)),
      m_form(new QComboBox(this)), m_rewardRun(new QComboBox(this)), m_lora(new QCheckBox(tr("LoRA"), this)),
      m_lr(field(this, QStringLiteral("1e-4"), tr("Step size of each update (1e-5 to 1e-3 is usual; LoRA takes larger ones)."))),
      m_epochs(field(this, QStringLiteral("3"), tr("Passes over the training judgements (1–10)."))),
      m_maxSteps(field(this, QStringLiteral("0"), tr("Stop after this many updates; 0 runs the epochs. PPO: rollout batches."))),
      m_batch(field(this, QStringLiteral("8"), tr("Pairs (or prompts) per update (4–32)."))),
      m_maxLength(field(this, QStringLiteral("256"), tr("Longest prompt + answer in tokens; longer ones are cut."))),
      m_beta(field(this, QStringLiteral("0.1"), tr("DPO's β: how far the model may move from its starting self (0.05–0.5)."))),
      m_klCoef(field(this, QStringLiteral("0.05"), tr("PPO's KL penalty per token (0.01–0.2): higher keeps the model closer to its start."))),
      m_clip(field(this, QStringLiteral("0.2"), tr("PPO's clipping ε (0.1–0.3): the most one update may change an answer's probability ratio."))),
      m_maxNew(field(this, QStringLiteral("32"), tr("PPO: longest answer written per rollout, in tokens."))),
      m_rollout(field(this, QStringLiteral("8"), tr("PPO: prompts answered per rollout batch."))),
      m_start(new QPushButton(tr("Start training"), this)), m_stop(new QPushButton(tr("Stop"), this)),
      m_progress(new QProgressBar(this)), m_status(new QLabel(this)), m_chart(new MetricPanelsChart(this)),
      m_compareRun(new QComboBox(this)), m_compare(new QPushButton(tr("Answer held-out prompts with both"), this)),
      m_verdicts(new QLabel(this)), m_histogram(new ScoreHistogram(this)),
      m_scoreButton(new QPushButton(tr("Score distribution"), this)), m_resumeRun(new QComboBox(this)),
      m_resume(new QPushButton(tr("Resume"), this))
{
    setObjectName(QStringLiteral("feedbackTrainPanel"));
    m_method->addItem(tr("Reward model"));
    m_method->addItem(tr("DPO"));
    m_method->addItem(tr("PPO"));
    m_method->setObjectName(QStringLiteral("feedbackMethod"));
    m_explain->setWordWrap(true);
    m_explain->setObjectName(QStringLiteral("feedbackMethodExplanation"));
    m_explain->setTextFormat(Qt::RichText);
    m_model->setEditable(true);
    m_model->setObjectName(QStringLiteral("feedbackModel"));
    m_model->setMinimumWidth(260);
    m_form->addItem(tr("pairs (Bradley–Terry)"), QStringLiteral("pairs"));
    m_form->addItem(tr("ratings (regression)"), QStringLiteral("ratings"));
    m_form->addItem(tr("rankings (ListMLE)"), QStringLiteral("rankings"));
    m_form->addItem(tr("rankings as pairs"), QStringLiteral("rankings-pairs"));
    m_form->setToolTip(tr("Which judgements the reward model learns from. Pairs include every choice, every pair a "
                          "ranking implies, and every two different ratings one person gave to one prompt's answers."));
    m_rewardRun->setObjectName(QStringLiteral("feedbackRewardRun"));
    m_lora->setToolTip(tr("Train small low-rank adapters instead of every weight: faster, less memory, easy to undo."));
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("feedbackTrainStatus"));
    m_progress->hide();
    m_stop->setEnabled(false);
    m_start->setObjectName(QStringLiteral("feedbackStart"));

    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"));
        if (!dir.isEmpty())
            setModelDir(dir);
    });
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(browse);

    auto* form = new QFormLayout;
    form->addRow(tr("Method:"), m_method);
    form->addRow(tr("Model:"), modelRow);
    form->addRow(tr("Learn from:"), m_form);
    auto* rewardRow = new QHBoxLayout;
    rewardRow->addWidget(m_rewardRun, 1);
    rewardRow->addWidget(m_scoreButton);
    m_scoreButton->setToolTip(tr("Score the held-out pairs with this reward model and draw the preferred and the "
                                 "other answers' scores: the further apart, the better it tells them apart."));
    connect(m_scoreButton, &QPushButton::clicked, this,
            [this] { showScoreDistribution(m_rewardRun->currentData().toLongLong()); });
    form->addRow(tr("Reward model run:"), rewardRow);
    auto* knobs = new QHBoxLayout;
    const auto knob = [&](const QString& label, QWidget* w) {
        knobs->addWidget(new QLabel(label, this));
        knobs->addWidget(w);
    };
    knob(tr("Learning rate"), m_lr);
    knob(tr("Epochs"), m_epochs);
    knob(tr("Max steps"), m_maxSteps);
    knob(tr("Batch"), m_batch);
    knob(tr("Max length"), m_maxLength);
    knobs->addWidget(m_lora);
    knobs->addStretch(1);
    auto* methodKnobs = new QHBoxLayout;
    const auto methodKnob = [&](const QString& label, QLineEdit* w) {
        auto* l = new QLabel(label, this);
        l->setBuddy(w);
        methodKnobs->addWidget(l);
        methodKnobs->addWidget(w);
    };
    methodKnob(tr("β"), m_beta);
    methodKnob(tr("KL coefficient"), m_klCoef);
    methodKnob(tr("Clip ε"), m_clip);
    methodKnob(tr("Answer tokens"), m_maxNew);
    methodKnob(tr("Prompts per rollout"), m_rollout);
    methodKnobs->addStretch(1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    m_resumeRun->setObjectName(QStringLiteral("resumeFeedbackRun"));
    m_resumeRun->setToolTip(tr("Runs that were stopped: Resume continues one from its last checkpoint."));
    m_resume->setObjectName(QStringLiteral("resumeFeedback"));
    connect(m_resume, &QPushButton::clicked, this, [this] { resume(m_resumeRun->currentData().toLongLong()); });
    buttons->addWidget(m_resumeRun);
    buttons->addWidget(m_resume);

    m_compareRun->setObjectName(QStringLiteral("compareRun"));
    m_compareRun->setToolTip(tr("A finished DPO, PPO or SFT run."));
    m_compare->setToolTip(tr("The tuned model and the model it started from answer every val and test prompt the "
                             "same way. The pairs appear on the Collect tab, where people judge them blind in the "
                             "Choose mode; the reward model run above (if any) judges them at once."));
    m_verdicts->setObjectName(QStringLiteral("compareVerdicts"));
    m_verdicts->setWordWrap(true);
    connect(m_compare, &QPushButton::clicked, this, [this] { compareWithStart(m_compareRun->currentData().toLongLong()); });
    connect(m_compareRun, &QComboBox::currentIndexChanged, this, [this] { m_verdicts->setText(verdictText()); });
    auto* compareRow = new QHBoxLayout;
    compareRow->addWidget(new QLabel(tr("After training, compare a tuned run with its starting model:"), this));
    compareRow->addWidget(m_compareRun, 1);
    compareRow->addWidget(m_compare);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_explain);
    layout->addLayout(form);
    layout->addLayout(knobs);
    layout->addLayout(methodKnobs);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    auto* charts = new QHBoxLayout;
    charts->addWidget(m_chart, 3);
    charts->addWidget(m_histogram, 1);
    m_histogram->hide();
    layout->addLayout(charts, 1);
    layout->addLayout(compareRow);
    layout->addWidget(m_verdicts);

    connect(m_method, &QComboBox::currentIndexChanged, this, [this] { onMethodChanged(); });
    connect(m_model, &QComboBox::currentIndexChanged, this, [this] { applyRecommendedLearningRate(); });
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, [this] { stop(); });
    onMethodChanged();
}

void FeedbackTrainPanel::setContext(Project* project, JobRunner* jobs)
{
    m_project = project;
    if (jobs && jobs != m_jobs) {
        m_jobs = jobs;
        connect(m_jobs, &JobRunner::jobFinished, this, &FeedbackTrainPanel::onJobFinished);
        connect(m_jobs, &JobRunner::jobProgress, this, [this](int id, const JobProgress& p) {
            if (id != m_jobId)
                return;
            m_progress->setMaximum(int(std::max<qint64>(1, p.total)));
            m_progress->setValue(int(p.done));
            m_progress->setFormat(p.etaSeconds >= 0 ? tr("step %v of %m · about %1 s left").arg(qint64(p.etaSeconds))
                                                    : tr("step %v of %m"));
        });
    }
    reload();
}

void FeedbackTrainPanel::applyRecommendedLearningRate()
{
    // A model that ships its own recommended step size (the small starters want a large one).
    QFile f(QDir(m_model->currentData().toString()).filePath(QStringLiteral("recommended_hyperparameters.json")));
    if (f.open(QIODevice::ReadOnly)) {
        const double lr = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("lr")).toDouble();
        if (lr > 0)
            m_lr->setText(QString::number(lr));
    }
}

void FeedbackTrainPanel::reload()
{
    const QString keep = m_model->currentData().toString();
    const bool decodersOnly = method() != Method::Reward;
    // Refilling the list is not the user choosing a model: their learning rate stays.
    const QSignalBlocker block(m_model);
    m_model->clear();
    for (const LocalModel& m : localModels())
        if (m.decoder || !decodersOnly)
            m_model->addItem(QStringLiteral("%1 (%2)").arg(QFileInfo(m.dir).fileName(), m.modelType), m.dir);
    if (!keep.isEmpty() && m_model->findData(keep) < 0) {
        // A folder the user browsed to stays, unless this method cannot use it (an encoder for
        // DPO or PPO).
        bool usable = true;
        try {
            usable = !decodersOnly || ModelConfig::load(keep).isDecoder();
        } catch (const Error&) {
        }
        if (usable)
            m_model->addItem(QFileInfo(keep).fileName(), keep);
    }
    if (m_model->findData(keep) >= 0)
        m_model->setCurrentIndex(m_model->findData(keep));
    if (m_model->currentData().toString() != keep)
        applyRecommendedLearningRate();
    const QList<RunRecord> runs = m_project ? listRuns(*m_project) : QList<RunRecord>();
    const qint64 keepReward = m_rewardRun->currentData().toLongLong();
    m_rewardRun->clear();
    for (const RunRecord& r : runs)
        if (isRewardRunMethod(r.method) && r.status == QLatin1String("finished"))
            m_rewardRun->insertItem(0, tr("run %1 · %2 · %3").arg(r.id).arg(r.method, QFileInfo(r.modelDir).fileName()), r.id);
    // The user's choice stays; the newest is the default.
    m_rewardRun->setCurrentIndex(qMax(0, m_rewardRun->findData(keepReward)));
    const qint64 keepCompare = m_compareRun->currentData().toLongLong();
    m_compareRun->clear();
    for (const RunRecord& r : runs)
        if (isDecoderRunMethod(r.method) && r.status == QLatin1String("finished"))
            m_compareRun->insertItem(0, tr("run %1 · %2 · %3").arg(r.id).arg(r.method, QFileInfo(r.modelDir).fileName()), r.id);
    m_compareRun->setCurrentIndex(qMax(0, m_compareRun->findData(keepCompare)));
    m_compare->setEnabled(m_compareRun->count() > 0 && m_compareJobId == 0);
    m_scoreButton->setEnabled(m_rewardRun->count() > 0 && m_scoreJobId == 0);
    m_resumeRun->clear();
    // The panel's own methods (SFT runs resume from the command line).
    for (const RunRecord& r : runs)
        if ((isRewardRunMethod(r.method) || (isDecoderRunMethod(r.method) && !r.method.startsWith(QLatin1String("sft"))))
            && (r.status == QLatin1String("cancelled") || r.status == QLatin1String("failed")) && !r.lastCheckpoint.isEmpty())
            m_resumeRun->insertItem(0, tr("run %1 · %2 · %3").arg(r.id).arg(r.method, r.status), r.id);
    m_resumeRun->setVisible(m_resumeRun->count() > 0);
    m_resume->setVisible(m_resumeRun->count() > 0);
    m_resume->setEnabled(m_jobId == 0);
    m_verdicts->setText(verdictText());
}

QString FeedbackTrainPanel::verdictText() const
{
    const qint64 run = m_compareRun->currentData().toLongLong();
    if (!m_project || run <= 0)
        return tr("Train with DPO or PPO first; then its answers can be compared with the starting model's.");
    const HumanVerdicts v = humanVerdicts(*m_project, run);
    if (v.pairs == 0)
        return tr("Run %1 has no answers to compare yet: press the button to write them.").arg(run);
    if (v.total() == 0)
        return tr("No blind verdicts on run %1's %2 pair(s) yet: judge them in the Choose mode.").arg(run).arg(v.pairs);
    return tr("People's blind verdicts on run %1 vs its starting model (%6 pair(s)): won %2, tied %3, lost %4 — win rate %5.")
        .arg(run)
        .arg(v.wins)
        .arg(v.ties)
        .arg(v.losses)
        .arg(v.winRate(), 0, 'f', 2)
        .arg(v.pairs);
}

bool FeedbackTrainPanel::showScoreDistribution(qint64 rewardRunId)
{
    if (!m_project || !m_jobs || m_scoreJobId || rewardRunId <= 0)
        return false;
    m_scoreJob = std::make_shared<RewardDistributionJob>(m_project->path(), rewardRunId);
    m_scoreJobId = m_jobs->submit(m_scoreJob);
    m_scoreButton->setEnabled(false);
    return true;
}

bool FeedbackTrainPanel::compareWithStart(qint64 runId)
{
    if (!m_project || !m_jobs || m_compareJobId || runId <= 0)
        return false;
    if (const int i = m_compareRun->findData(runId); i >= 0)
        m_compareRun->setCurrentIndex(i);
    CompareSettings c;
    c.runId = runId;
    c.rewardRunId = m_rewardRun->currentData().toLongLong();
    bool ok = false;
    c.maxNewTokens = m_maxNew->text().toInt(&ok);
    if (!ok || c.maxNewTokens < 1 || c.maxNewTokens > 1024) {
        report(tr("Answer tokens must be a whole number from 1 to 1024."), true);
        return false;
    }
    m_compareJobId = m_jobs->submit(std::make_shared<ComparePolicyJob>(m_project->path(), c));
    m_compare->setEnabled(false);
    report(tr("Run %1 and its starting model are answering the held-out prompts…").arg(runId));
    return true;
}

void FeedbackTrainPanel::setMethod(Method m)
{
    m_method->setCurrentIndex(int(m));
}

FeedbackTrainPanel::Method FeedbackTrainPanel::method() const
{
    return Method(m_method->currentIndex());
}

void FeedbackTrainPanel::onMethodChanged()
{
    const Method m = method();
    m_explain->setText(explanationOf(m));
    m_form->setEnabled(m == Method::Reward);
    // Always choosable: PPO learns from it, the score distribution and comparisons use it too.
    m_rewardRun->setEnabled(true);
    m_histogram->setVisible(m == Method::Reward && !m_histogram->counts(0).isEmpty());
    m_beta->setEnabled(m == Method::Dpo);
    for (QLineEdit* e : {m_klCoef, m_clip, m_maxNew, m_rollout})
        e->setEnabled(m == Method::Ppo);
    m_chart->setPanels(panelsOf(m), m == Method::Ppo ? 4 : 4);
    reload();
}

void FeedbackTrainPanel::setModelDir(const QString& dir)
{
    int i = m_model->findData(dir);
    if (i < 0) {
        m_model->addItem(QFileInfo(dir).fileName(), dir);
        i = m_model->count() - 1;
    }
    m_model->setCurrentIndex(i);
}

void FeedbackTrainPanel::setField(const QString& key, const QString& value)
{
    const QHash<QString, QLineEdit*> fields = {{"lr", m_lr}, {"epochs", m_epochs}, {"max_steps", m_maxSteps},
                                               {"batch_size", m_batch}, {"max_length", m_maxLength},
                                               {"beta", m_beta}, {"kl_coef", m_klCoef}, {"clip_epsilon", m_clip},
                                               {"max_new_tokens", m_maxNew}, {"rollout_prompts", m_rollout}};
    if (key == QLatin1String("lora"))
        m_lora->setChecked(value == QLatin1String("true"));
    else if (QLineEdit* e = fields.value(key))
        e->setText(value);
}

void FeedbackTrainPanel::setRewardRun(qint64 runId)
{
    reload();
    m_rewardRun->setCurrentIndex(m_rewardRun->findData(runId));
}

bool FeedbackTrainPanel::start()
{
    if (!m_project || !m_jobs || m_jobId)
        return false;
    const Method m = method();
    AlignOptions o;
    o.modelDir = m_model->currentData().toString();
    if (o.modelDir.isEmpty())
        o.modelDir = m_model->currentText().trimmed();
    if (o.modelDir.isEmpty()) {
        report(m == Method::Reward ? tr("Choose a model to put the reward head on (the bundled starter encoder works).")
                                   : tr("Choose a decoder model (GPT-2 or Llama family): download one on the Model page."),
               true);
        return false;
    }
    try {
        o.hp.set(QStringLiteral("method"), m_lora->isChecked() ? QStringLiteral("lora") : QStringLiteral("full"));
        o.hp.set(QStringLiteral("lr"), m_lr->text().trimmed());
        o.hp.set(QStringLiteral("epochs"), m_epochs->text().trimmed());
        o.hp.set(QStringLiteral("max_steps"), m_maxSteps->text().trimmed());
        o.hp.set(QStringLiteral("batch_size"), m_batch->text().trimmed());
        o.hp.set(QStringLiteral("max_length"), m_maxLength->text().trimmed());
        if (m == Method::Dpo) {
            bool ok = false;
            o.beta = m_beta->text().trimmed().toDouble(&ok);
            if (!ok || o.beta <= 0 || o.beta > 10)
                throw Error(tr("β must be a number above 0 and at most 10 (0.05–0.5 is usual), not \"%1\".").arg(m_beta->text()));
        }
        if (m == Method::Ppo) {
            o.rewardRunId = m_rewardRun->currentData().toLongLong();
            if (o.rewardRunId <= 0)
                throw Error(tr("PPO needs a trained reward model: train one with the Reward model method first."));
            setPpoSetting(o.ppo, QStringLiteral("kl_coef"), m_klCoef->text().trimmed());
            setPpoSetting(o.ppo, QStringLiteral("clip_epsilon"), m_clip->text().trimmed());
            setPpoSetting(o.ppo, QStringLiteral("max_new_tokens"), m_maxNew->text().trimmed());
            setPpoSetting(o.ppo, QStringLiteral("rollout_prompts"), m_rollout->text().trimmed());
            o.ppo.miniBatch = std::min(o.ppo.miniBatch, o.ppo.rolloutPrompts);
            o.dataFile = writeFeedbackPromptSnapshot(*m_project);
            o.task = QStringLiteral("prompts");
        } else {
            o.task = m == Method::Dpo ? QStringLiteral("pairs") : m_form->currentData().toString();
            const QString form = o.task == QLatin1String("rankings-pairs") ? QStringLiteral("rankings") : o.task;
            o.dataFile = writeFeedbackSnapshot(*m_project, preferenceKindFromName(form));
        }
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    m_chart->clear();
    const QString started = tr("Training on %1 (frozen copy of the judgements: %2).")
                                .arg(QFileInfo(o.modelDir).fileName(), QFileInfo(o.dataFile).fileName());
    submit(m, std::move(o), 0, tr("Loading the model…"));
    report(started);
    return true;
}

void FeedbackTrainPanel::submit(Method m, AlignOptions o, qint64 resumeRunId, const QString& loading)
{
    // The trainer calls back on the engine thread; the panel may be gone when a queued call runs.
    QPointer<FeedbackTrainPanel> self(this);
    o.callbacks.onMetric = [self](const MetricPoint& p) {
        QMetaObject::invokeMethod(qApp, [self, p] {
            if (self)
                self->m_chart->addPoint(p);
        }, Qt::QueuedConnection);
    };
    const AlignKind kind = m == Method::Reward ? AlignKind::Reward : m == Method::Dpo ? AlignKind::Dpo : AlignKind::Ppo;
    m_job = std::make_shared<AlignJob>(kind, m_project->path(), std::move(o), resumeRunId);
    m_jobId = m_jobs->submit(m_job);
    m_jobMethod = m;
    m_method->setEnabled(false); // the live panels belong to this run's method
    m_start->setEnabled(false);
    m_resume->setEnabled(false);
    m_stop->setEnabled(true);
    m_progress->setValue(0);
    m_progress->setFormat(loading);
    m_progress->show();
}

bool FeedbackTrainPanel::resume(qint64 runId)
{
    if (!m_project || !m_jobs || m_jobId || runId <= 0)
        return false;
    RunRecord record;
    try {
        record = loadRun(*m_project, runId);
    } catch (const Error& e) {
        report(e.message(), true);
        return false;
    }
    const Method m = isRewardRunMethod(record.method) ? Method::Reward
                     : record.method == QLatin1String("dpo") ? Method::Dpo
                                                              : Method::Ppo;
    setMethod(m);
    // The run's own model, data and settings come from its record.
    m_chart->clear();
    for (const MetricPoint& p : runMetrics(*m_project, runId))
        m_chart->addPoint(p);
    submit(m, AlignOptions(), runId, tr("Loading run %1's checkpoint…").arg(runId));
    report(tr("Resuming run %1 from its last checkpoint.").arg(runId));
    return true;
}

void FeedbackTrainPanel::stop()
{
    if (m_jobs && m_jobId)
        m_jobs->cancel(m_jobId);
}

void FeedbackTrainPanel::onJobFinished(int id, const JobOutcome& outcome)
{
    if (id == m_scoreJobId) {
        m_scoreJobId = 0;
        m_scoreButton->setEnabled(true);
        if (outcome.status == JobStatus::Succeeded && m_scoreJob) {
            const RewardDistribution& d = m_scoreJob->result();
            m_histogram->setScores(d.better, d.worse, tr("preferred"), tr("other"));
            m_histogram->setVisible(method() == Method::Reward);
            report(m_status->text() + QStringLiteral("\n") + outcome.message);
        } else if (outcome.status == JobStatus::Failed) {
            report(outcome.message, true);
        }
        m_scoreJob.reset();
        return;
    }
    if (id == m_compareJobId) {
        m_compareJobId = 0;
        report(outcome.message, outcome.status == JobStatus::Failed);
        reload();
        Q_EMIT feedbackChanged();
        return;
    }
    if (id != m_jobId)
        return;
    m_jobId = 0;
    m_start->setEnabled(true);
    m_method->setEnabled(true);
    m_stop->setEnabled(false);
    m_progress->hide();
    if (outcome.status == JobStatus::Succeeded)
        report(outcome.message);
    else if (outcome.status == JobStatus::Cancelled)
        report(tr("Stopped. The run's last checkpoint is saved; 'ftstudio-cli %1 \"%3\" --resume %2' continues it.")
                   .arg(m_jobMethod == Method::Reward ? QStringLiteral("reward") : m_jobMethod == Method::Dpo ? QStringLiteral("dpo") : QStringLiteral("ppo"))
                   .arg(m_job ? m_job->result().runId : 0)
                   .arg(m_project ? m_project->path() : QString()));
    else
        report(outcome.message, true);
    const qint64 finishedRun = m_job ? m_job->result().runId : 0;
    const bool rewardRun = outcome.status == JobStatus::Succeeded && m_jobMethod == Method::Reward;
    m_job.reset();
    reload();
    if (const int i = m_compareRun->findData(finishedRun); i >= 0)
        m_compareRun->setCurrentIndex(i); // the run just trained is the one to compare
    if (rewardRun) {
        m_rewardRun->setCurrentIndex(m_rewardRun->findData(finishedRun));
        showScoreDistribution(finishedRun); // how far apart it puts preferred and other answers
    }
    Q_EMIT runsChanged();
}

void FeedbackTrainPanel::report(const QString& message, bool error)
{
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_status->setText(message);
}

QString FeedbackTrainPanel::statusText() const
{
    return m_status->text();
}

QString FeedbackTrainPanel::explanation() const
{
    return m_explain->text();
}

} // namespace fts
