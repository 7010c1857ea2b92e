// The pre-training loop: corpus -> tokenizer -> packed blocks -> MLM / causal LM with AdamW,
// warmup + cosine, clipping, NaN guard and checkpoints that resume step for step.
#include "pretrain/Pretrainer.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "models/Decoder.h"
#include "models/ModelConfig.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"
#include "pretrain/MaskedLm.h"
#include "pretrain/Packing.h"
#include "tokenize/Tokenizer.h"
#include "train/Checkpoint.h"
#include "train/Divergence.h"
#include "train/Hyperparameters.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/optim/adamw.h>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <numeric>
#include <random>
#include <set>

namespace fts {
namespace {

const QString kCheckpoint = QStringLiteral("checkpoint");
const QString kCheckpointNew = QStringLiteral("checkpoint.new");

// The model being pre-trained and its loss; one per objective.
struct Objective
{
    virtual ~Objective() = default;
    virtual torch::nn::Module& module() = 0;
    // Mean loss over the predicted tokens of `block` [B, T], and how many tokens were predicted.
    virtual at::Tensor loss(const at::Tensor& block, c10::optional<at::Generator> gen,
                            int64_t* predicted) = 0;
    virtual TensorMap weightsToSave() = 0;
    virtual void loadWeights(const TensorMap& weights, const QString& source) = 0;
    virtual QString name() const = 0;
};

struct MaskedLmObjective : Objective
{
    BertForMaskedLm model;
    int64_t maskId, vocab;
    std::vector<int64_t> specials;
    double probability;

    MaskedLmObjective(const ModelConfig& c, int64_t mask, std::vector<int64_t> special, double p)
        : model(c), maskId(mask), vocab(c.vocabSize), specials(std::move(special)), probability(p)
    {
    }
    torch::nn::Module& module() override { return *model; }
    at::Tensor loss(const at::Tensor& block, c10::optional<at::Generator> gen,
                    int64_t* predicted) override
    {
        const MaskedBatch m = maskTokens(block, maskId, vocab, specials, probability, gen);
        const at::Tensor logits = model->forwardMasked(m.inputs, m.labels); // [N, V]
        const at::Tensor targets = m.labels.reshape(-1);
        const at::Tensor kept = targets.index_select(0, targets.ne(-100).nonzero().squeeze(1));
        *predicted = kept.size(0);
        return at::cross_entropy_loss(logits, kept);
    }
    TensorMap weightsToSave() override { return stateDict(*model); }
    void loadWeights(const TensorMap& weights, const QString& source) override
    {
        // Base checkpoints may be BertModel (no prefix) or BertFor* ("bert." prefix).
        const bool prefixed = weights.count("bert.embeddings.word_embeddings.weight") > 0;
        LoadReport r = loadStateDict(*model->bert, weights, prefixed ? "bert." : "");
        for (const std::string& m : r.missing)
            throw Error(QStringLiteral("%1 lacks the weight %2, so it is not a BERT checkpoint of "
                                       "this size; choose the model folder it came with.")
                            .arg(source, QString::fromStdString(m)));
        TensorMap head;
        for (const auto& [k, v] : weights)
            if (k.rfind("cls.predictions.", 0) == 0)
                head[k] = v;
        if (!head.empty()) // an MLM head in the checkpoint is reused; else it stays initialised
            loadStateDict(*model, head);
    }
    QString name() const override { return QStringLiteral("masked_lm"); }
};

struct CausalLmObjective : Objective
{
    std::shared_ptr<DecoderModel> model;

    explicit CausalLmObjective(const ModelConfig& c) : model(makeDecoder(c)) {}
    torch::nn::Module& module() override { return *model; }
    at::Tensor loss(const at::Tensor& block, c10::optional<at::Generator>,
                    int64_t* predicted) override
    {
        const at::Tensor logits = model->forward(block); // [B, T, V]
        const int64_t t = block.size(1);
        const at::Tensor shifted = logits.narrow(1, 0, t - 1); // position i predicts token i + 1
        *predicted = block.size(0) * (t - 1);
        return at::cross_entropy_loss(shifted.reshape({-1, logits.size(-1)}),
                                      block.narrow(1, 1, t - 1).reshape(-1));
    }
    TensorMap weightsToSave() override { return model->weightsToSave(); }
    void loadWeights(const TensorMap& weights, const QString& source) override
    {
        model->loadWeights(weights, source);
    }
    QString name() const override { return QStringLiteral("causal_lm"); }
};

struct Preset
{
    qint64 layers, hidden, heads, kvHeads, intermediate; // qint64: what QJsonValue takes
};

Preset presetFor(const QString& family, const QString& preset)
{
    const bool llama = family == QLatin1String("llama");
    if (preset == QLatin1String("tiny"))
        return {2, 64, 2, 2, llama ? 176 : 256};
    if (preset == QLatin1String("mini")) // ~2M parameters with an 8k vocabulary: a laptop's size
        return {4, 128, 2, 2, llama ? 352 : 512};
    if (preset == QLatin1String("small"))
        return {4, 256, 4, 4, llama ? 688 : 1024};
    if (preset == QLatin1String("base"))
        return {6, 384, 6, 6, llama ? 1024 : 1536};
    throw Error(
        QStringLiteral("Unknown model size '%1': use tiny, mini, small or base.").arg(preset));
}

QJsonObject scratchConfig(const QString& family, const QString& preset, qint64 vocab,
                          const Tokenizer& tok)
{
    const Preset p = presetFor(family, preset);
    if (family == QLatin1String("bert"))
        return {{"architectures", QJsonArray{"BertForMaskedLM"}},
                {"model_type", "bert"},
                {"vocab_size", vocab},
                {"hidden_size", p.hidden},
                {"num_hidden_layers", p.layers},
                {"num_attention_heads", p.heads},
                {"intermediate_size", p.intermediate},
                {"hidden_act", "gelu"},
                {"hidden_dropout_prob", 0.1},
                {"attention_probs_dropout_prob", 0.1},
                {"max_position_embeddings", 512},
                {"type_vocab_size", 2},
                {"initializer_range", 0.02},
                {"layer_norm_eps", 1e-12},
                {"pad_token_id", qint64(tok.padId())},
                {"torch_dtype", "float32"},
                // Masked-LM alone never trains the pooled [CLS] vector (BERT's next-sentence task
                // did), so classifiers fine-tuned from this model read the mean of the tokens.
                {"classifier_pooling", "mean"}};
    if (family == QLatin1String("llama"))
        return {{"architectures", QJsonArray{"LlamaForCausalLM"}},
                {"model_type", "llama"},
                {"vocab_size", vocab},
                {"hidden_size", p.hidden},
                {"num_hidden_layers", p.layers},
                {"num_attention_heads", p.heads},
                {"num_key_value_heads", p.kvHeads},
                {"intermediate_size", p.intermediate},
                {"hidden_act", "silu"},
                {"max_position_embeddings", 1024},
                {"rms_norm_eps", 1e-6},
                {"rope_theta", 10000.0},
                {"tie_word_embeddings", true},
                {"attention_bias", false},
                {"mlp_bias", false},
                {"initializer_range", 0.02},
                {"bos_token_id", qint64(tok.bosId())},
                {"eos_token_id", qint64(tok.eosId())},
                {"torch_dtype", "float32"}};
    throw Error(QStringLiteral("Unknown model family '%1' for pre-training from scratch: use bert "
                               "(masked LM, for classification) or llama (causal LM, for chat).")
                    .arg(family));
}

// Copies a base model's other files (tokenizer and any extras: everything but weights, config.json,
// README.md and pretrain_result.json) into outDir; unlike fts::copyTokenizerFiles, which copies
// only the known tokenizer formats.
void copyFilesButWeights(const QString& from, const QString& to)
{
    const QDir src(from);
    for (const QFileInfo& f : src.entryInfoList(QDir::Files)) {
        const QString name = f.fileName();
        if (name.endsWith(QLatin1String(".safetensors")) || name.endsWith(QLatin1String(".bin")) ||
            name == QLatin1String("config.json") || name.startsWith(QLatin1String("model.")) ||
            name == QLatin1String("pretrain_result.json") || name == QLatin1String("README.md"))
            continue;
        QFile in(f.filePath());
        if (!in.open(QIODevice::ReadOnly))
            throw Error(QStringLiteral("Could not read %1.").arg(f.filePath()));
        const QByteArray bytes = in.readAll();
        writeFileAtomically(QDir(to).filePath(name), [&](QIODevice& out) { out.write(bytes); });
    }
}

// Everything that must not change between a run and its resumption.
QJsonObject settingsOf(const PretrainOptions& o, const QByteArray& corpusHash)
{
    return {{"base_model", o.baseModel},
            {"family", o.family},
            {"preset", o.preset},
            {"block_size", o.blockSize},
            {"batch_size", o.batchSize},
            {"max_steps", o.maxSteps},
            {"lr", o.lr},
            {"warmup_ratio", o.warmupRatio},
            {"weight_decay", o.weightDecay},
            {"max_grad_norm", o.maxGradNorm},
            {"mlm_probability", o.mlmProbability},
            {"seed", o.seed},
            {"eval_blocks", o.evalBlocks},
            {"corpus_sha256", QString::fromLatin1(corpusHash)}};
}

QByteArray hashDocuments(const QStringList& documents)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const QString& d : documents) {
        h.addData(d.toUtf8());
        h.addData(QByteArrayView("\n"));
    }
    return h.result().toHex();
}

// The run's mutable state; everything in it is saved in a checkpoint.
struct Run
{
    PretrainOptions o;
    QString checkpointDir;
    std::unique_ptr<Objective> objective;
    std::unique_ptr<torch::optim::AdamW> optimizer;
    std::vector<std::vector<std::string>> groupNames;
    std::vector<at::Tensor> params;
    at::Tensor train, eval; // [N, T] int64 blocks
    std::vector<int64_t> order;
    qint64 step = 0, totalSteps = 0, warmupSteps = 0, tokensSeen = 0;
    int64_t epoch = 0, position = 0;
    double seconds = 0, lastLoss = 0;
    QJsonObject settings;
};

std::vector<int64_t> epochOrder(int64_t n, qint64 seed, int64_t epoch)
{
    std::vector<int64_t> order(size_t(n), 0);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(uint64_t(seed) * 1000003ULL + uint64_t(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    return order;
}

void setupOptimizer(Run& r)
{
    std::vector<at::Tensor> groups[2];
    std::vector<std::string> names[2];
    std::set<const void*> seen; // a tied weight is one parameter
    for (const auto& item : r.objective->module().named_parameters(/*recurse=*/true)) {
        if (!seen.insert(item.value().unsafeGetTensorImpl()).second)
            continue;
        const int g = appliesWeightDecay(item.key()) ? 0 : 1;
        groups[g].push_back(item.value());
        names[g].push_back(item.key());
        r.params.push_back(item.value());
    }
    std::vector<torch::optim::OptimizerParamGroup> list;
    for (int g = 0; g < 2; ++g) {
        auto opts = std::make_unique<torch::optim::AdamWOptions>(r.o.lr);
        opts->weight_decay(g == 0 ? r.o.weightDecay : 0.0);
        list.emplace_back(groups[g], std::move(opts));
        r.groupNames.push_back(names[g]);
    }
    r.optimizer = std::make_unique<torch::optim::AdamW>(list, torch::optim::AdamWOptions(r.o.lr));
}

QJsonObject runState(const Run& r)
{
    return {{"step", r.step},
            {"epoch", qint64(r.epoch)},
            {"position", qint64(r.position)},
            {"tokens_seen", r.tokensSeen},
            {"seconds", r.seconds},
            {"last_loss", r.lastLoss},
            {"rng", cpuRngState()},
            {"settings", r.settings}};
}

void saveRunCheckpoint(Run& r)
{
    // Written beside the old one, then swapped in, so a crash leaves one complete checkpoint.
    const QString fresh = QDir(r.o.outDir).filePath(kCheckpointNew);
    QDir(fresh).removeRecursively();
    saveCheckpoint(fresh, r.objective->weightsToSave(), *r.optimizer, r.groupNames, runState(r),
                   nullptr);
    QDir(r.checkpointDir).removeRecursively();
    if (!QDir().rename(fresh, r.checkpointDir))
        throw Error(QStringLiteral("Could not move the checkpoint into place in %1; check "
                                   "permissions.")
                        .arg(QDir::toNativeSeparators(r.o.outDir)));
}

// Finds a complete checkpoint (a crash between removing the old and renaming the new one leaves
// only checkpoint.new, which is complete once its trainer_state.json exists).
QString existingCheckpoint(const QString& outDir)
{
    const QDir d(outDir);
    for (const QString& name : {kCheckpoint, kCheckpointNew})
        if (QFileInfo::exists(d.filePath(name + QStringLiteral("/trainer_state.json"))))
            return d.filePath(name);
    return {};
}

std::unique_ptr<Tokenizer> prepareTokenizer(const PretrainOptions& o, bool resuming)
{
    const bool bert = o.family == QLatin1String("bert");
    if (!o.baseModel.isEmpty()) {
        if (!resuming)
            copyFilesButWeights(o.baseModel, o.outDir);
    } else if (!resuming) {
        TokenizerTrainingOptions t = o.tokenizer;
        t.style = bert ? TokenizerStyle::Bert : TokenizerStyle::Llama;
        t.modelMaxLength = bert ? 512 : 1024;
        if (o.onLog)
            o.onLog(QStringLiteral("Training a %1 tokenizer with %2 pieces on %3 documents...")
                        .arg(t.algorithm)
                        .arg(t.vocabSize)
                        .arg(o.documents.size()));
        trainTokenizer(o.documents, o.outDir, t);
    }
    return loadTokenizer(o.outDir);
}

ModelConfig prepareConfig(const PretrainOptions& o, const Tokenizer& tok, bool resuming)
{
    const QString path = QDir(o.outDir).filePath(QStringLiteral("config.json"));
    if (resuming)
        return ModelConfig::load(o.outDir);
    QJsonObject json;
    if (!o.baseModel.isEmpty()) {
        json = ModelConfig::load(o.baseModel).raw;
        // The result is a language model: a classifier's labels do not belong to it.
        for (const char* key : {"id2label", "label2id", "problem_type", "num_labels"})
            json.remove(QLatin1String(key));
        if (json.value(QLatin1String("model_type")).toString() == QLatin1String("bert"))
            json.insert(QStringLiteral("architectures"), QJsonArray{"BertForMaskedLM"});
    } else {
        json = scratchConfig(o.family, o.preset, tok.vocabSize(), tok);
    }
    writeJsonAtomically(path, json);
    return ModelConfig::fromJson(json, path);
}

void packCorpus(Run& r, const Tokenizer& tok, const ModelConfig& config, PretrainResult& result)
{
    EncodeOptions enc;
    enc.addSpecialTokens = false;
    enc.maxLength = 1 << 30; // documents are cut by packing, not by the tokenizer
    std::vector<std::vector<int64_t>> docs;
    docs.reserve(size_t(r.o.documents.size()));
    for (const QString& d : r.o.documents)
        docs.push_back(tok.encode(d, {}, enc).ids);
    PackingFrame frame;
    if (config.isEncoder()) {
        frame.blockStart = tok.clsId();
        frame.documentEnd = tok.sepId();
    } else {
        frame.documentStart = tok.bosId();
        frame.documentEnd = tok.eosId();
    }
    const int64_t maxBlock = config.maxPositions - (config.family == ModelFamily::Roberta ? 2 : 0);
    const int64_t blockSize = std::min<int64_t>(r.o.blockSize, maxBlock);
    const PackedBlocks packed = packDocuments(docs, blockSize, frame);
    if (packed.count < 2)
        throw Error(QStringLiteral("The text is too short to pre-train on: it fills %1 block(s) of "
                                   "%2 tokens. Add more text or use shorter blocks.")
                        .arg(packed.count)
                        .arg(blockSize));
    at::Tensor all = at::tensor(packed.ids, at::kLong).view({packed.count, blockSize});
    // Held-out blocks, chosen by seed, are never trained on: the perplexity they give is honest.
    const int64_t nEval =
        std::min<int64_t>(r.o.evalBlocks, packed.count >= 20 ? packed.count / 10 : 0);
    const std::vector<int64_t> perm = epochOrder(packed.count, r.o.seed, -1);
    const at::Tensor idx = at::tensor(perm, at::kLong);
    r.eval = all.index_select(0, idx.narrow(0, 0, nEval));
    r.train = all.index_select(0, idx.narrow(0, nEval, packed.count - nEval));
    result.corpusDocuments = r.o.documents.size();
    result.corpusTokens = packed.count * blockSize;
}

at::Tensor nextBatch(Run& r)
{
    const int64_t n = r.train.size(0);
    const int64_t b = std::min<int64_t>(r.o.batchSize, n);
    if (r.position + b > n) {
        ++r.epoch;
        r.position = 0;
        r.order = epochOrder(n, r.o.seed, r.epoch);
    }
    const std::vector<int64_t> rows(r.order.begin() + r.position, r.order.begin() + r.position + b);
    r.position += b;
    return r.train.index_select(0, at::tensor(rows, at::kLong));
}

std::pair<double, int64_t> evaluate(Run& r)
{
    if (r.eval.size(0) == 0)
        return {0, 0};
    at::NoGradGuard noGrad;
    r.objective->module().eval();
    // A fixed generator: every evaluation masks the same positions, so values are comparable.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(uint64_t(r.o.seed) + 17);
    double sum = 0;
    int64_t count = 0;
    for (int64_t start = 0; start < r.eval.size(0); start += r.o.batchSize) {
        const at::Tensor block =
            r.eval.narrow(0, start, std::min<int64_t>(r.o.batchSize, r.eval.size(0) - start));
        int64_t predicted = 0;
        const double loss = r.objective->loss(block, gen, &predicted).item<double>();
        if (predicted > 0) {
            sum += loss * double(predicted);
            count += predicted;
        }
    }
    r.objective->module().train();
    return {count > 0 ? sum / double(count) : 0, count};
}

std::unique_ptr<Objective> makeObjective(const PretrainOptions& o, const ModelConfig& config,
                                         const Tokenizer& tok)
{
    if (config.family == ModelFamily::Bert) {
        if (tok.maskId() < 0)
            throw Error(QStringLiteral("The tokenizer in %1 has no [MASK] token, which masked-"
                                       "language-model pre-training needs.")
                            .arg(QDir::toNativeSeparators(o.outDir)));
        auto m = std::make_unique<MaskedLmObjective>(
            config, tok.maskId(), std::vector<int64_t>{tok.clsId(), tok.sepId(), tok.padId()},
            o.mlmProbability);
        m->model->initWeights();
        return m;
    }
    if (config.family == ModelFamily::Llama) {
        auto m = std::make_unique<CausalLmObjective>(config);
        initTransformerWeights(*m->model);
        return m;
    }
    throw Error(QStringLiteral("Pre-training supports BERT encoders (masked LM) and Llama-style "
                               "decoders (causal LM); %1 is a %2 model.")
                    .arg(o.baseModel, config.modelType));
}

void writeResult(const Run& r, const PretrainResult& result)
{
    writeJsonAtomically(QDir(r.o.outDir).filePath(QStringLiteral("pretrain_result.json")),
              {{"objective", result.objective},
               {"steps", result.steps},
               {"tokens_seen", result.tokensSeen},
               {"corpus_documents", result.corpusDocuments},
               {"corpus_tokens", result.corpusTokens},
               {"parameters", result.parameters},
               {"seconds", result.seconds},
               {"last_loss", result.lastLoss},
               {"eval_loss", result.evalLoss},
               {"eval_perplexity", result.evalPerplexity},
               {"stopped_early", result.stoppedEarly},
               {"settings", r.settings}});
}

// One optimizer step; returns the loss. Throws on a non-finite loss.
double trainStep(Run& r, int64_t& tokens)
{
    const at::Tensor block = nextBatch(r);
    r.optimizer->zero_grad();
    int64_t predicted = 0;
    at::Tensor loss = r.objective->loss(block, c10::nullopt, &predicted);
    if (r.step + 1 == r.o.injectNanAtStep)
        loss = loss * std::numeric_limits<double>::quiet_NaN();
    const double value = loss.item<double>();
    if (!std::isfinite(value))
        throw Error(divergenceMessage(r.step, QStringLiteral("loss"), value, r.o.lr,
                                      r.step > 0 ? existingCheckpoint(r.o.outDir) : QString()));
    loss.backward();
    const double factor =
        learningRateFactor(QStringLiteral("cosine"), r.step, r.totalSteps, r.warmupSteps);
    for (auto& group : r.optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(r.o.lr * factor);
    const double gradNorm = clipGradients(r.params, r.o.maxGradNorm);
    if (!std::isfinite(gradNorm))
        throw Error(divergenceMessage(r.step, QStringLiteral("gradient norm"), gradNorm, r.o.lr,
                                      r.step > 0 ? existingCheckpoint(r.o.outDir) : QString()));
    r.optimizer->step();
    ++r.step;
    tokens = block.numel();
    return value;
}

} // namespace

PretrainResult pretrain(const PretrainOptions& options)
{
    validatePretrainOptions(options);
    Run r;
    r.o = options;
    if (r.o.threads > 0)
        at::set_num_threads(r.o.threads);
    if (!QDir().mkpath(r.o.outDir))
        throw Error(QStringLiteral("Could not create the folder %1; check permissions.")
                        .arg(QDir::toNativeSeparators(r.o.outDir)));
    r.checkpointDir = QDir(r.o.outDir).filePath(kCheckpoint);
    const QString existing = existingCheckpoint(r.o.outDir);
    const bool resuming = !existing.isEmpty();
    if (r.o.finishNow && !resuming)
        throw Error(QStringLiteral("%1 holds no pre-training checkpoint to finish; start the run "
                                   "first.")
                        .arg(QDir::toNativeSeparators(r.o.outDir)));
    if (!r.o.baseModel.isEmpty())
        r.o.family = ModelConfig::load(r.o.baseModel).modelType;
    r.settings = settingsOf(r.o, hashDocuments(r.o.documents));
    QJsonObject saved;
    if (resuming) {
        saved = loadTrainerState(existing);
        if (saved.value(QLatin1String("settings")).toObject() != r.settings)
            throw Error(QStringLiteral("%1 holds an unfinished pre-training with other settings or "
                                       "other text, so it cannot be continued exactly. Use the "
                                       "same settings, or choose an empty folder.")
                            .arg(QDir::toNativeSeparators(r.o.outDir)));
    }
    const std::unique_ptr<Tokenizer> tok = prepareTokenizer(r.o, resuming);
    const ModelConfig config = prepareConfig(r.o, *tok, resuming);
    if (tok->vocabSize() > config.vocabSize)
        throw Error(QStringLiteral("The tokenizer has %1 entries but the model knows only %2 ids; "
                                   "use the tokenizer that belongs to the model.")
                        .arg(tok->vocabSize())
                        .arg(config.vocabSize));
    PretrainResult result;
    packCorpus(r, *tok, config, result);

    at::manual_seed(uint64_t(r.o.seed));
    r.objective = makeObjective(r.o, config, *tok);
    result.objective = r.objective->name();
    if (!r.o.baseModel.isEmpty() && !resuming)
        r.objective->loadWeights(loadModelWeights(r.o.baseModel), r.o.baseModel);
    setupOptimizer(r);
    for (const at::Tensor& p : r.params)
        result.parameters += p.numel();
    r.totalSteps = r.o.maxSteps;
    r.warmupSteps = qint64(std::ceil(r.o.warmupRatio * double(r.totalSteps)));
    r.order = epochOrder(r.train.size(0), r.o.seed, 0);
    if (resuming) {
        const QString source = QDir(existing).filePath(QStringLiteral("model.safetensors"));
        r.objective->loadWeights(loadSafetensors(source), source);
        loadOptimizerState(existing, *r.optimizer, r.groupNames);
        r.step = saved.value(QLatin1String("step")).toInteger();
        r.epoch = saved.value(QLatin1String("epoch")).toInteger();
        r.position = saved.value(QLatin1String("position")).toInteger();
        r.tokensSeen = saved.value(QLatin1String("tokens_seen")).toInteger();
        r.seconds = saved.value(QLatin1String("seconds")).toDouble();
        r.lastLoss = saved.value(QLatin1String("last_loss")).toDouble();
        r.order = epochOrder(r.train.size(0), r.o.seed, r.epoch);
        setCpuRngState(saved.value(QLatin1String("rng")).toString());
        result.resumed = true;
        if (r.o.onLog)
            r.o.onLog(QStringLiteral("Resuming from step %1 of %2.").arg(r.step).arg(r.totalSteps));
    }
    if (r.o.onLog)
        r.o.onLog(QStringLiteral("%1: %2 parameters, %3 training blocks of %4 tokens, %5 held out.")
                      .arg(result.objective)
                      .arg(result.parameters)
                      .arg(r.train.size(0))
                      .arg(r.train.size(1))
                      .arg(r.eval.size(0)));

    r.objective->module().train();
    QElapsedTimer clock;
    clock.start();
    const double before = r.seconds;
    result.status = QStringLiteral("finished");
    while (!r.o.finishNow && r.step < r.totalSteps) {
        if (r.o.cancel && r.o.cancel->load()) {
            r.seconds = before + clock.elapsed() / 1000.0;
            saveRunCheckpoint(r);
            result.status = QStringLiteral("cancelled");
            break;
        }
        QElapsedTimer stepClock;
        stepClock.start();
        int64_t tokens = 0;
        r.lastLoss = trainStep(r, tokens);
        r.tokensSeen += tokens;
        const double tokensPerSecond =
            double(tokens) / std::max(1e-6, stepClock.nsecsElapsed() / 1e9);
        double evalPerplexity = 0;
        if (r.o.evalEvery > 0 && r.step % r.o.evalEvery == 0) {
            const auto [evalLoss, count] = evaluate(r);
            evalPerplexity = count > 0 ? std::exp(evalLoss) : 0;
        }
        r.seconds = before + clock.elapsed() / 1000.0;
        if (r.o.onStep)
            r.o.onStep({r.step, r.totalSteps,
                        double(r.epoch) + double(r.position) / double(r.train.size(0)), r.lastLoss,
                        std::exp(r.lastLoss),
                        r.o.lr * learningRateFactor(QStringLiteral("cosine"), r.step - 1,
                                                    r.totalSteps, r.warmupSteps),
                        tokensPerSecond, r.tokensSeen, evalPerplexity});
        if (r.o.checkpointEvery > 0 && r.step % r.o.checkpointEvery == 0 && r.step < r.totalSteps)
            saveRunCheckpoint(r);
    }
    result.steps = r.step;
    result.stoppedEarly = r.step < r.totalSteps && result.status == QLatin1String("finished");
    result.tokensSeen = r.tokensSeen;
    result.seconds = r.seconds;
    result.lastLoss = r.lastLoss;
    if (result.status == QLatin1String("cancelled"))
        return result;
    const auto [evalLoss, count] = evaluate(r);
    result.evalLoss = evalLoss;
    result.evalPerplexity = count > 0 ? std::exp(evalLoss) : 0;
    saveSafetensors(QDir(r.o.outDir).filePath(QStringLiteral("model.safetensors")),
                    r.objective->weightsToSave(),
                    {{QStringLiteral("format"), QStringLiteral("pt")}});
    writeResult(r, result);
    // The finished folder is a plain model: the optimizer state would triple its size.
    QDir(r.checkpointDir).removeRecursively();
    QDir(QDir(r.o.outDir).filePath(kCheckpointNew)).removeRecursively();
    return result;
}

} // namespace fts
