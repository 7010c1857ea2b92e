// The PPO trainer: rollout, scoring, advantage estimation and clipped updates per step.
#include "align/PpoTrainer.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/LmLoss.h"
#include "align/PreferenceLosses.h"
#include "align/RewardTrainer.h"
#include "align/SftData.h"
#include "models/Generation.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "runtime/Autocast.h"
#include "tokenize/Tokenizer.h"
#include "train/Checkpoint.h"
#include "train/Divergence.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

namespace fts {
namespace {

// The policy plus a value head on its final hidden states; the decoder's own submodules are
// registered directly so its weight names stay the checkpoint's, next to "v_head.weight/bias".
class PolicyValueImpl : public torch::nn::Module
{
public:
    explicit PolicyValueImpl(std::shared_ptr<DecoderModel> decoder) : m_decoder(std::move(decoder))
    {
        for (const auto& child : m_decoder->named_children())
            register_module(child.key(), child.value());
        vHead = register_module("v_head", Projection(m_decoder->config().hiddenSize, 1, true));
        torch::NoGradGuard noGrad;
        vHead->weight.normal_(0, 0.02);
        vHead->bias.zero_();
    }
    // ids/mask [B, T] -> logits [B, T, V], values [B, T]
    std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& ids, const at::Tensor& mask)
    {
        const at::Tensor hidden = decoderHiddenStates(*m_decoder, ids, mask);
        return {at::linear(hidden, m_decoder->lmHeadWeight()), vHead(hidden).squeeze(-1)};
    }
    DecoderModel& decoder() { return *m_decoder; }
    Projection vHead{nullptr};

private:
    std::shared_ptr<DecoderModel> m_decoder;
};
TORCH_MODULE(PolicyValue);

struct Rollout
{
    at::Tensor ids, mask; // [B, T] prompt + response, right-padded
    at::Tensor respMask;  // [B, T-1]: 1 where column j predicts a response token (j + 1)
    at::Tensor oldLogp, refLogp, oldValues, advantages, returns; // [B, T-1]
    at::Tensor scores;                                           // [B]
    double meanLength = 0;
};

struct Sample
{
    std::vector<int64_t> prompt, response;
};

void buildBatch(Rollout& r, const std::vector<Sample>& samples, int64_t padId)
{
    size_t longest = 2;
    for (const Sample& s : samples)
        longest = std::max(longest, s.prompt.size() + s.response.size());
    const int64_t t = int64_t((longest + 7) / 8 * 8);
    const int64_t b = int64_t(samples.size());
    r.ids = at::full({b, t}, padId, at::kLong);
    r.mask = at::zeros({b, t}, at::kLong);
    r.respMask = at::zeros({b, t - 1}, at::kFloat);
    double length = 0;
    for (int64_t i = 0; i < b; ++i) {
        const Sample& s = samples[size_t(i)];
        std::vector<int64_t> all = s.prompt;
        all.insert(all.end(), s.response.begin(), s.response.end());
        r.ids[i].narrow(0, 0, int64_t(all.size())).copy_(at::tensor(all, at::kLong));
        r.mask[i].narrow(0, 0, int64_t(all.size())).fill_(1);
        if (!s.response.empty())
            r.respMask[i]
                .narrow(0, int64_t(s.prompt.size()) - 1, int64_t(s.response.size()))
                .fill_(1);
        length += double(s.response.size());
    }
    r.meanLength = length / double(std::max<int64_t>(1, b));
}

struct PpoState
{
    qint64 runId = 0, step = 0, totalSteps = 0, optimizerStep = 0, totalOptimizerSteps = 0;
    double klCoef = 0, seconds = 0;
    QString lastCheckpoint;
    QJsonObject before;
};

} // namespace

PromptSet readPromptJsonl(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(
            QStringLiteral("Cannot read the prompt file %1: %2.").arg(path, file.errorString()));
    PromptSet out;
    int line = 0;
    while (!file.atEnd()) {
        const QByteArray bytes = file.readLine().trimmed();
        ++line;
        if (bytes.isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(bytes).object();
        QString prompt = o.value(QLatin1String("prompt")).toString();
        if (prompt.isEmpty())
            prompt = o.value(QLatin1String("instruction")).toString();
        if (prompt.isEmpty())
            throw Error(QStringLiteral("%1, line %2: needs a JSON object with a \"prompt\" text.")
                            .arg(path)
                            .arg(line));
        const QString split = o.value(QLatin1String("split")).toString(QStringLiteral("train"));
        if (split == QLatin1String("train"))
            out.train << prompt;
        else if (split == QLatin1String("val"))
            out.val << prompt;
    }
    if (out.train.isEmpty())
        throw Error(QStringLiteral("The prompt file %1 has no training prompts.").arg(path));
    return out;
}

void setPpoSetting(PpoSettings& settings, const QString& key, const QString& value)
{
    bool ok = false;
    const double v = value.toDouble(&ok);
    if (!ok)
        throw Error(QStringLiteral("The PPO setting %1 needs a number, not '%2'.").arg(key, value));
    const std::pair<const char*, int*> ints[] = {{"rollout_prompts", &settings.rolloutPrompts},
                                                 {"ppo_epochs", &settings.ppoEpochs},
                                                 {"mini_batch", &settings.miniBatch},
                                                 {"max_new_tokens", &settings.maxNewTokens}};
    for (const auto& [name, field] : ints)
        if (key == QLatin1String(name)) {
            *field = int(v);
            return;
        }
    const std::pair<const char*, double*> doubles[] = {{"temperature", &settings.temperature},
                                                       {"kl_coef", &settings.klCoef},
                                                       {"kl_target", &settings.klTarget},
                                                       {"kl_horizon", &settings.klHorizon},
                                                       {"clip_epsilon", &settings.clipEpsilon},
                                                       {"value_clip", &settings.valueClip},
                                                       {"value_coef", &settings.valueCoef},
                                                       {"entropy_coef", &settings.entropyCoef},
                                                       {"gamma", &settings.gamma},
                                                       {"lambda", &settings.lambda}};
    for (const auto& [name, field] : doubles)
        if (key == QLatin1String(name)) {
            *field = v;
            return;
        }
    throw Error(QStringLiteral("Unknown PPO setting '%1'. Known: rollout_prompts, ppo_epochs, "
                               "mini_batch, max_new_tokens, temperature, kl_coef, kl_target, "
                               "kl_horizon, clip_epsilon, value_clip, value_coef, entropy_coef, "
                               "gamma, lambda.")
                    .arg(key));
}

PpoTrainer::PpoTrainer(Project& project, AlignOptions options)
    : m_project(project), m_options(std::move(options))
{
}

AlignResult PpoTrainer::run()
{
    if (m_options.hp.dropout < 0)
        m_options.hp.dropout = 0; // rollout and update must see the same policy
    return train(0);
}

AlignResult PpoTrainer::resume(qint64 runId)
{
    const RunRecord record = runToResume(m_project, runId);
    m_options.modelDir = record.modelDir;
    m_options.dataFile = record.snapshot.value(QLatin1String("data_file")).toString();
    m_options.hp = Hyperparameters::fromJson(record.hyperparameters);
    m_options.rewardRunId = record.snapshot.value(QLatin1String("reward_run")).toInteger();
    const QJsonObject p = record.snapshot.value(QLatin1String("ppo")).toObject();
    PpoSettings& s = m_options.ppo;
    s.rolloutPrompts = p.value(QLatin1String("rollout_prompts")).toInt(s.rolloutPrompts);
    s.ppoEpochs = p.value(QLatin1String("ppo_epochs")).toInt(s.ppoEpochs);
    s.miniBatch = p.value(QLatin1String("mini_batch")).toInt(s.miniBatch);
    s.maxNewTokens = p.value(QLatin1String("max_new_tokens")).toInt(s.maxNewTokens);
    s.temperature = p.value(QLatin1String("temperature")).toDouble(s.temperature);
    s.klCoef = p.value(QLatin1String("kl_coef")).toDouble(s.klCoef);
    s.klTarget = p.value(QLatin1String("kl_target")).toDouble(s.klTarget);
    s.klHorizon = p.value(QLatin1String("kl_horizon")).toDouble(s.klHorizon);
    s.clipEpsilon = p.value(QLatin1String("clip_epsilon")).toDouble(s.clipEpsilon);
    s.valueClip = p.value(QLatin1String("value_clip")).toDouble(s.valueClip);
    s.valueCoef = p.value(QLatin1String("value_coef")).toDouble(s.valueCoef);
    s.entropyCoef = p.value(QLatin1String("entropy_coef")).toDouble(s.entropyCoef);
    s.gamma = p.value(QLatin1String("gamma")).toDouble(s.gamma);
    s.lambda = p.value(QLatin1String("lambda")).toDouble(s.lambda);
    return train(runId);
}

namespace {

QJsonObject settingsJson(const PpoSettings& s)
{
    return {{"rollout_prompts", s.rolloutPrompts},
            {"ppo_epochs", s.ppoEpochs},
            {"mini_batch", s.miniBatch},
            {"max_new_tokens", s.maxNewTokens},
            {"temperature", s.temperature},
            {"kl_coef", s.klCoef},
            {"kl_target", s.klTarget},
            {"kl_horizon", s.klHorizon},
            {"clip_epsilon", s.clipEpsilon},
            {"value_clip", s.valueClip},
            {"value_coef", s.valueCoef},
            {"entropy_coef", s.entropyCoef},
            {"gamma", s.gamma},
            {"lambda", s.lambda}};
}

// Everything one PPO run holds; the steps are its methods so each stays short.
struct PpoRun
{
    Project& project;
    const AlignOptions& o;
    const PpoSettings& ppo;
    std::shared_ptr<Tokenizer> tokenizer;
    std::unique_ptr<RewardScorer> scorer;
    PromptSet prompts;
    std::vector<std::vector<int64_t>> trainIds, valIds;
    PolicyValue model{nullptr};
    std::shared_ptr<DecoderModel> reference;
    OptimizerSetup opt;
    PpoState s;
    int64_t padId = 0;
    std::vector<double> referenceValRewards;

    std::vector<double> rewards(const QStringList& p, const std::vector<Sample>& samples) const
    {
        QStringList responses;
        for (const Sample& x : samples) {
            // Models often have more embedding rows than the tokenizer has tokens; a sampled id
            // beyond the tokenizer has no text, so it adds nothing to what the reward reads.
            std::vector<int64_t> known;
            for (int64_t id : x.response)
                if (id < tokenizer->vocabSize())
                    known.push_back(id);
            responses << tokenizer->decode(known, /*skipSpecialTokens=*/true);
        }
        if (o.rewardFunction) {
            std::vector<double> out;
            for (int i = 0; i < p.size(); ++i)
                out.push_back(o.rewardFunction(p[i], responses[i]));
            return out;
        }
        return scorer->score(p, responses);
    }

    std::vector<Sample> sample(DecoderModel& m, const std::vector<std::vector<int64_t>>& ids,
                               const std::vector<int>& which, uint64_t seedBase) const
    {
        std::vector<Sample> out;
        for (size_t i = 0; i < which.size(); ++i) {
            GenerationOptions g;
            g.maxNewTokens = ppo.maxNewTokens;
            g.sample = true;
            g.temperature = ppo.temperature;
            if (tokenizer->eosId() >= 0)
                g.stopTokenIds = {tokenizer->eosId()};
            g.seed = seedBase + uint64_t(which[i]);
            Sample x;
            x.prompt = ids[size_t(which[i])];
            x.response = generate(m, x.prompt, g).tokens;
            out.push_back(std::move(x));
        }
        return out;
    }

    // The prompts of rollout `step`: a seeded permutation per pass over the training prompts.
    std::vector<int> promptsOf(qint64 step) const
    {
        const int n = int(trainIds.size());
        std::vector<int> out;
        for (int k = 0; k < ppo.rolloutPrompts; ++k) {
            const int64_t flat = step * ppo.rolloutPrompts + k;
            std::vector<int> order(static_cast<size_t>(n));
            for (int i = 0; i < n; ++i)
                order[size_t(i)] = i;
            std::shuffle(order.begin(), order.end(),
                         std::mt19937_64(uint64_t(o.hp.seed) * 7919ULL + uint64_t(flat / n)));
            out.push_back(order[size_t(flat % n)]);
        }
        return out;
    }

    Rollout rollout(qint64 step)
    {
        const std::vector<int> which = promptsOf(step);
        const uint64_t seedBase = uint64_t(o.hp.seed) * 1000003ULL + uint64_t(step) * 1009ULL;
        const std::vector<Sample> samples = sample(model->decoder(), trainIds, which, seedBase);
        QStringList p;
        for (int i : which)
            p << prompts.train[i];
        Rollout r;
        r.scores = at::tensor(rewards(p, samples), at::kFloat);
        buildBatch(r, samples, padId);
        torch::NoGradGuard noGrad;
        model->eval();
        reference->eval();
        const AutocastScope autocast(o.hp.precision);
        const auto [logits, values] = model->forward(r.ids, r.mask);
        const int64_t t = r.ids.size(1);
        r.oldLogp = tokenLogProbs(logits, r.ids);
        r.oldValues = values.narrow(1, 0, t - 1).to(at::kFloat);
        r.refLogp = tokenLogProbs(reference->forward(r.ids, r.mask), r.ids);
        const at::Tensor shaped =
            klShapedRewards(r.oldLogp, r.refLogp, r.respMask, r.scores, s.klCoef);
        const GaeOutput gae =
            generalizedAdvantages(shaped, r.oldValues, r.respMask, ppo.gamma, ppo.lambda);
        r.advantages = whiten(gae.advantages, r.respMask);
        r.returns = gae.returns;
        return r;
    }

    // Mean reward on the val prompts with fixed sampling seeds, and the share of prompts where the
    // policy's answer scores above the reference's.
    Metrics evaluate()
    {
        if (valIds.empty())
            return {};
        std::vector<int> all(valIds.size());
        for (size_t i = 0; i < all.size(); ++i)
            all[i] = int(i);
        const uint64_t seedBase = uint64_t(o.hp.seed) * 31337ULL;
        if (referenceValRewards.empty())
            referenceValRewards = rewards(prompts.val, sample(*reference, valIds, all, seedBase));
        const std::vector<Sample> samples = sample(model->decoder(), valIds, all, seedBase);
        const std::vector<double> r = rewards(prompts.val, samples);
        double mean = 0, wins = 0, length = 0;
        for (size_t i = 0; i < r.size(); ++i) {
            mean += r[i] / double(r.size());
            wins += (r[i] > referenceValRewards[i]    ? 1.0
                     : r[i] == referenceValRewards[i] ? 0.5
                                                      : 0.0) /
                    double(r.size());
            length += double(samples[i].response.size()) / double(r.size());
        }
        return {{QStringLiteral("reward_mean"), mean},
                {QStringLiteral("win_rate"), wins},
                {QStringLiteral("response_length"), length}};
    }
};

} // namespace

namespace {

struct UpdateStats
{
    double policyLoss = 0, valueLoss = 0, entropy = 0, clipFraction = 0, approxKl = 0;
};

QString nanMessage(const PpoState& s, double lr)
{
    return QStringLiteral("PPO stopped at step %1: the loss became not a number, so the weights "
                          "can no longer improve. Try a learning rate ten times smaller than "
                          "%2, or a larger kl_coef. %3")
        .arg(s.step + 1)
        .arg(lr)
        .arg(s.lastCheckpoint.isEmpty()
                 ? QStringLiteral("No checkpoint had been written yet.")
                 : QStringLiteral("The last good checkpoint (%1) is kept.").arg(s.lastCheckpoint));
}

// ppoEpochs passes of minibatch updates over one rollout batch; returns the passes' means.
UpdateStats update(PpoRun& run, const Rollout& r)
{
    const PpoSettings& ppo = run.ppo;
    const int64_t b = r.ids.size(0), t = r.ids.size(1);
    UpdateStats stats;
    int count = 0;
    run.model->train();
    for (int e = 0; e < ppo.ppoEpochs; ++e) {
        std::vector<int64_t> order(static_cast<size_t>(b));
        for (int64_t i = 0; i < b; ++i)
            order[size_t(i)] = i;
        std::shuffle(
            order.begin(), order.end(),
            std::mt19937_64(uint64_t(run.o.hp.seed) + uint64_t(run.s.step) * 131ULL + uint64_t(e)));
        for (int64_t start = 0; start < b; start += ppo.miniBatch) {
            const int64_t n = std::min<int64_t>(ppo.miniBatch, b - start);
            const at::Tensor idx =
                at::tensor(std::vector<int64_t>(order.begin() + start, order.begin() + start + n));
            const at::Tensor ids = r.ids.index_select(0, idx), mask = r.mask.index_select(0, idx);
            const at::Tensor m = r.respMask.index_select(0, idx);
            std::optional<AutocastScope> autocast;
            autocast.emplace(run.o.hp.precision);
            auto [logits, values] = run.model->forward(ids, mask);
            logits = logits.to(at::kFloat);
            values = values.to(at::kFloat);
            autocast.reset(); // the losses in fp32
            const PolicyLossOutput pg =
                ppoPolicyLoss(tokenLogProbs(logits, ids), r.oldLogp.index_select(0, idx),
                              r.advantages.index_select(0, idx), m, ppo.clipEpsilon);
            const at::Tensor vl =
                ppoValueLoss(values.narrow(1, 0, t - 1), r.oldValues.index_select(0, idx),
                             r.returns.index_select(0, idx), m, ppo.valueClip);
            const at::Tensor entropy = maskedEntropy(logits.narrow(1, 0, t - 1), m);
            const at::Tensor loss = pg.loss + ppo.valueCoef * vl - ppo.entropyCoef * entropy;
            if (!std::isfinite(loss.item<double>()) ||
                run.s.step + 1 == run.o.callbacks.injectNanAtStep) {
                const QString message = nanMessage(run.s, run.o.hp.lr);
                setRunStatus(run.project, run.s.runId, QStringLiteral("failed"), message);
                throw Error(message);
            }
            run.opt.optimizer->zero_grad();
            loss.backward();
            const qint64 warmup =
                qint64(std::ceil(run.o.hp.warmupRatio * double(run.s.totalOptimizerSteps)));
            setLearningRate(run.opt,
                            run.o.hp.lr * learningRateFactor(run.o.hp.schedule, run.s.optimizerStep,
                                                             run.s.totalOptimizerSteps, warmup));
            if (run.s.step + 1 == run.o.callbacks.injectNanGradientAtStep)
                poisonGradients(run.opt.trainable);
            const double gradNorm = clipGradients(run.opt.trainable, run.o.hp.maxGradNorm);
            if (!std::isfinite(gradNorm)) {
                const QString message =
                    divergenceMessage(run.s.step, QStringLiteral("gradient norm"), gradNorm,
                                      run.o.hp.lr, run.s.lastCheckpoint);
                setRunStatus(run.project, run.s.runId, QStringLiteral("failed"), message);
                throw Error(message);
            }
            run.opt.optimizer->step();
            ++run.s.optimizerStep;
            stats.policyLoss += pg.loss.item<double>();
            stats.valueLoss += vl.item<double>();
            stats.entropy += entropy.item<double>();
            stats.clipFraction += pg.clipFraction;
            stats.approxKl += pg.approxKl;
            ++count;
        }
    }
    for (double* v : {&stats.policyLoss, &stats.valueLoss, &stats.entropy, &stats.clipFraction,
                      &stats.approxKl})
        *v /= std::max(1, count);
    return stats;
}

void checkpoint(PpoRun& run)
{
    const QString previous = run.s.lastCheckpoint;
    const QString rel = QStringLiteral("runs/%1/last-step%2").arg(run.s.runId).arg(run.s.step);
    const QString dir = run.project.artifactPath(rel);
    QDir(dir).removeRecursively();
    const QJsonObject state{{"step", run.s.step},      {"optimizer_step", run.s.optimizerStep},
                            {"kl_coef", run.s.klCoef}, {"seconds", run.s.seconds},
                            {"before", run.s.before},  {"rng", cpuRngState()}};
    saveCheckpoint(dir, stateDict(*run.model), *run.opt.optimizer, run.opt.groupNames, state,
                   nullptr);
    run.s.lastCheckpoint = rel;
    setRunCheckpoints(run.project, run.s.runId, rel, QString(), 0, -1, run.s.seconds);
    if (!previous.isEmpty() && previous != rel)
        QDir(run.project.artifactPath(previous)).removeRecursively();
}

} // namespace

namespace {

void checkSettings(const PpoSettings& p)
{
    QStringList problems;
    if (p.rolloutPrompts < 1 || p.miniBatch < 1 || p.ppoEpochs < 1 || p.maxNewTokens < 1)
        problems << QStringLiteral("rollout_prompts, mini_batch, ppo_epochs and max_new_tokens "
                                   "must each be at least 1.");
    if (p.miniBatch > p.rolloutPrompts)
        problems << QStringLiteral("mini_batch (%1) cannot exceed rollout_prompts (%2).")
                        .arg(p.miniBatch)
                        .arg(p.rolloutPrompts);
    if (!(p.clipEpsilon > 0 && p.clipEpsilon < 1))
        problems << QStringLiteral("clip_epsilon must be between 0 and 1 (usually 0.1 to 0.3).");
    if (p.klCoef < 0 || p.gamma < 0 || p.gamma > 1 || p.lambda < 0 || p.lambda > 1)
        problems << QStringLiteral("kl_coef must be >= 0, gamma and lambda between 0 and 1.");
    if (!(p.temperature > 0))
        problems << QStringLiteral("temperature must be above 0 (usually 0.7 to 1).");
    if (!problems.isEmpty())
        throw Error(problems.join(QLatin1Char('\n')));
}

std::vector<std::vector<int64_t>> encodePrompts(const QStringList& prompts, const Tokenizer& tok,
                                                const ChatFormat& format, int64_t maxPrompt)
{
    std::vector<std::vector<int64_t>> out;
    for (const QString& p : prompts) {
        const RenderedChat chat = renderChat({{QStringLiteral("user"), p}}, format, true);
        EncodeOptions options;
        options.addSpecialTokens = false;
        options.maxLength = int(maxPrompt);
        options.truncationSide = TruncationSide::Left; // keep the end, where the answer starts
        out.push_back(tok.encode(chat.text, {}, options).ids);
    }
    return out;
}

void startOrResume(PpoRun& run, qint64 resumeRunId)
{
    if (resumeRunId > 0) {
        const RunRecord record = loadRun(run.project, resumeRunId);
        const QString dir = run.project.artifactPath(record.lastCheckpoint);
        loadStateDict(*run.model,
                      loadSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors"))));
        loadOptimizerState(dir, *run.opt.optimizer, run.opt.groupNames);
        const QJsonObject st = loadTrainerState(dir);
        run.s.runId = resumeRunId;
        run.s.step = st.value(QLatin1String("step")).toInteger();
        run.s.optimizerStep = st.value(QLatin1String("optimizer_step")).toInteger();
        run.s.klCoef = st.value(QLatin1String("kl_coef")).toDouble();
        run.s.seconds = st.value(QLatin1String("seconds")).toDouble();
        run.s.before = st.value(QLatin1String("before")).toObject();
        run.s.lastCheckpoint = record.lastCheckpoint;
        setCpuRngState(st.value(QLatin1String("rng")).toString());
        discardMetricsAfter(run.project, resumeRunId, run.s.step);
        setRunStatus(run.project, resumeRunId, QStringLiteral("running"));
        return;
    }
    RunRecord record;
    record.task = QStringLiteral("prompts");
    record.modelDir = QDir(run.o.modelDir).absolutePath();
    record.method = QStringLiteral("ppo");
    record.hyperparameters = run.o.hp.toJson();
    record.seed = run.o.hp.seed;
    record.snapshot = {{"data_file", QDir(run.o.dataFile).absolutePath()},
                       {"hash", QString::fromLatin1(fileSha256(run.o.dataFile))},
                       {"reward_run", run.o.rewardRunId},
                       {"reward", run.o.rewardFunction ? "rule" : "reward model"},
                       {"ppo", settingsJson(run.ppo)}};
    record.software = {{"finetune_studio", QStringLiteral(FTS_VERSION)},
                       {"libtorch", QStringLiteral(TORCH_VERSION)},
                       {"qt", QString::fromLatin1(qVersion())}};
    run.s.runId = createRun(run.project, record);
}

} // namespace

namespace {

AlignResult loop(PpoRun& run, bool resuming)
{
    const AlignCallbacks& cb = run.o.callbacks;
    PpoState& s = run.s;
    const auto metric = [&](const QString& split, const QString& name, double value) {
        const MetricPoint p{s.step, double(s.step) / double(std::max<qint64>(1, s.totalSteps)),
                            split, name, value};
        addMetric(run.project, s.runId, p);
        if (cb.onMetric)
            cb.onMetric(p);
    };
    if (!resuming)
        for (const auto& m : run.evaluate()) {
            metric(QStringLiteral("val"), m.first, m.second);
            s.before.insert(m.first, m.second);
        }
    KlController kl(s.klCoef, run.ppo.klTarget, run.ppo.klHorizon);
    AlignResult result;
    result.runId = s.runId;
    for (auto it = s.before.begin(); it != s.before.end(); ++it)
        result.before.insert(it.key(), it.value().toDouble());
    QElapsedTimer clock;
    clock.start();
    const double secondsBefore = s.seconds;
    while (s.step < s.totalSteps) {
        s.seconds = secondsBefore + clock.elapsed() / 1000.0;
        if (cb.cancel && cb.cancel->load()) {
            checkpoint(run);
            setRunStatus(run.project, s.runId, QStringLiteral("cancelled"));
            result.status = QStringLiteral("cancelled");
            break;
        }
        QElapsedTimer stepClock;
        stepClock.start();
        const Rollout r = run.rollout(s.step);
        const UpdateStats u = update(run, r);
        // KL per response (sum over its tokens), as the adaptive controller's target is stated.
        const double measuredKl =
            ((r.oldLogp - r.refLogp) * r.respMask).sum(1).mean().item<double>();
        const double coefUsed = s.klCoef;
        kl.update(measuredKl, r.ids.size(0));
        s.klCoef = kl.value();
        ++s.step;
        const QList<QPair<QString, double>> values = {
            {QStringLiteral("reward_mean"), r.scores.mean().item<double>()},
            {QStringLiteral("kl"), measuredKl},
            {QStringLiteral("kl_coef"), coefUsed},
            {QStringLiteral("clip_fraction"), u.clipFraction},
            {QStringLiteral("policy_loss"), u.policyLoss},
            {QStringLiteral("value_loss"), u.valueLoss},
            {QStringLiteral("entropy"), u.entropy},
            {QStringLiteral("approx_kl"), u.approxKl},
            {QStringLiteral("response_length"), r.meanLength}};
        for (const auto& v : values)
            metric(QStringLiteral("train"), v.first, v.second);
        if (cb.onStep)
            cb.onStep({s.step, s.totalSteps, double(s.step) / double(s.totalSteps), u.policyLoss,
                       run.o.hp.lr,
                       double(r.mask.sum().item<int64_t>()) /
                           std::max(1e-6, stepClock.nsecsElapsed() / 1e9)});
        const bool last = s.step == s.totalSteps;
        if (last || (run.o.hp.evalEvery > 0 && s.step % run.o.hp.evalEvery == 0)) {
            const Metrics m = run.evaluate();
            for (const auto& v : m)
                metric(QStringLiteral("val"), v.first, v.second);
            if (last)
                for (const auto& v : m)
                    result.after.insert(v.first, v.second);
        }
        if (last || (run.o.hp.checkpointEvery > 0 && s.step % run.o.hp.checkpointEvery == 0)) {
            s.seconds = secondsBefore + clock.elapsed() / 1000.0;
            checkpoint(run);
        }
    }
    if (result.status.isEmpty()) {
        setRunStatus(run.project, s.runId, QStringLiteral("finished"));
        result.status = QStringLiteral("finished");
    }
    result.steps = s.step;
    return result;
}

} // namespace

AlignResult PpoTrainer::train(qint64 resumeRunId)
{
    const Hyperparameters& hp = m_options.hp;
    checkSettings(m_options.ppo);
    const ModelConfig config = ModelConfig::load(m_options.modelDir);
    if (!config.isDecoder())
        throw Error(QStringLiteral("PPO needs a decoder (GPT-2 or Llama-style); %1 holds %2.")
                        .arg(m_options.modelDir, config.modelType));
    if (!m_options.rewardFunction && m_options.rewardRunId <= 0)
        throw Error(QStringLiteral("PPO needs a reward: train a reward model first and pass its "
                                   "run id."));
    PpoRun run{m_project, m_options, m_options.ppo};
    run.tokenizer = m_options.tokenizer
                        ? m_options.tokenizer
                        : std::shared_ptr<Tokenizer>(loadTokenizer(m_options.modelDir));
    if (!m_options.rewardFunction)
        run.scorer = std::make_unique<RewardScorer>(m_project, m_options.rewardRunId);
    run.prompts = readPromptJsonl(m_options.dataFile);
    const ChatFormat format = chatFormatForModel(m_options.modelDir, ChatStyle::Plain);
    const int64_t maxPrompt = std::max<int64_t>(
        8, std::min<int64_t>(hp.maxLength, config.maxPositions) - m_options.ppo.maxNewTokens);
    run.trainIds = encodePrompts(run.prompts.train, *run.tokenizer, format, maxPrompt);
    run.valIds = encodePrompts(run.prompts.val, *run.tokenizer, format, maxPrompt);
    run.padId = run.tokenizer->batchPadId();
    TrainingContext context;
    context.trainRows = qint64(run.trainIds.size());
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    Hyperparameters check = hp;
    check.batchSize = std::min<int>(hp.batchSize, m_options.ppo.rolloutPrompts);
    check.validate(context);

    Hyperparameters frozen = hp;
    frozen.method = QStringLiteral("full");
    run.reference = loadDecoderForMethod(m_options.modelDir, frozen);
    run.reference->eval();
    at::manual_seed(uint64_t(hp.seed));
    run.model = PolicyValue(loadDecoderForMethod(m_options.modelDir, hp));
    run.opt = makeAdamW(*run.model, hp);
    run.s.klCoef = m_options.ppo.klCoef;
    const int64_t perPass = (int64_t(run.trainIds.size()) + m_options.ppo.rolloutPrompts - 1) /
                            m_options.ppo.rolloutPrompts;
    run.s.totalSteps = hp.maxSteps > 0 ? hp.maxSteps : hp.epochs * perPass;
    run.s.totalOptimizerSteps =
        run.s.totalSteps * m_options.ppo.ppoEpochs *
        ((m_options.ppo.rolloutPrompts + m_options.ppo.miniBatch - 1) / m_options.ppo.miniBatch);
    startOrResume(run, resumeRunId);
    return loop(run, resumeRunId > 0);
}

} // namespace fts
