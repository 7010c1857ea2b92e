// Decoder loading, prompt rendering and generation with text stop strings and streaming.
#include "deploy/TextGenerator.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/LmLoss.h"
#include "align/SftData.h"
#include "models/Decoder.h"
#include "project/Project.h"
#include "train/RunStore.h"
#include "models/Generation.h"
#include "tokenize/Tokenizer.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <mutex>

namespace fts {

struct TextGenerator::Impl
{
    std::shared_ptr<DecoderModel> model;
    std::unique_ptr<Tokenizer> tokenizer;
    ChatFormat chat;
    std::vector<int64_t> stopIds;
    mutable std::mutex mutex;
};

TextGenerator::TextGenerator() : d(std::make_unique<Impl>()) {}
TextGenerator::~TextGenerator() = default;

std::shared_ptr<TextGenerator> TextGenerator::loadFolder(const QString& dir)
{
    const ModelConfig config = ModelConfig::load(dir);
    if (!config.isDecoder())
        throw Error(QStringLiteral("%1 is a %2 encoder, which classifies text but cannot write "
                                   "it; choose a GPT-2 or Llama-style model for generation.")
                        .arg(QDir::toNativeSeparators(dir), config.modelType));
    return around(dir, loadDecoder(dir));
}

std::shared_ptr<TextGenerator> TextGenerator::around(const QString& dir, std::shared_ptr<DecoderModel> model)
{
    const ModelConfig config = ModelConfig::load(dir);
    std::shared_ptr<TextGenerator> g(new TextGenerator);
    g->d->model = std::move(model);
    g->d->model->eval();
    g->d->tokenizer = loadTokenizer(dir);
    g->d->chat = chatFormatForModel(dir, ChatStyle::Plain);
    g->d->stopIds = config.eosTokenIds;
    if (g->d->tokenizer->eosId() >= 0)
        g->d->stopIds.push_back(g->d->tokenizer->eosId());
    g->m_description = QStringLiteral("%1 (%2)").arg(QFileInfo(dir).fileName(), config.modelType);
    return g;
}

std::shared_ptr<TextGenerator> TextGenerator::loadRun(Project& project, qint64 runId)
{
    const RunRecord record = fts::loadRun(project, runId);
    std::shared_ptr<DecoderModel> model = loadTrainedDecoder(project, record);
    std::shared_ptr<TextGenerator> g = around(record.modelDir, std::move(model));
    g->m_description = QStringLiteral("run %1 (%2 of %3)").arg(runId).arg(record.method, QFileInfo(record.modelDir).fileName());
    return g;
}

double TextGenerator::replyLoss(const QList<ChatMessage>& messages, int maxLength,
                                int64_t* tokens) const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    const SftExample e = encodeSft(*d->tokenizer, messages, d->chat, maxLength);
    *tokens = 0;
    // The first token has no target: nothing to average when no reply token follows it.
    if (std::count(e.target.begin() + std::min<size_t>(1, e.target.size()), e.target.end(), uint8_t(1)) == 0)
        return 0;
    const SftBatch b = makeSftBatch({e}, {0}, d->tokenizer->batchPadId());
    at::NoGradGuard noGrad;
    return maskedNll(d->model->forward(b.ids, b.mask), b.ids, b.target, tokens).item<double>();
}

int TextGenerator::contextLength() const
{
    return int(d->model->config().maxPositions);
}

bool TextGenerator::leavesRoomForAnswer(const GenerateRequest& request) const
{
    const int context = contextLength();
    const int room = std::min(request.maxNewTokens, context / 4);
    return qint64(promptIds(request).size()) + room <= context;
}

std::vector<int64_t> TextGenerator::promptIds(const GenerateRequest& request) const
{
    EncodeOptions options;
    options.addSpecialTokens = false; // the rendered chat spells out its own special tokens
    options.maxLength = 1 << 30;      // the context check below gives the better message
    const QString text = request.messages.isEmpty()
                             ? request.prompt
                             : renderChat(request.messages, d->chat, true).text;
    if (text.isEmpty())
        throw Error(QStringLiteral("The prompt is empty; write something for the model to "
                                   "continue."));
    return d->tokenizer->encode(text, {}, options).ids;
}

namespace {

// The earliest position of any stop string in `text`, or -1.
qsizetype firstStop(const QString& text, const QStringList& stops)
{
    qsizetype best = -1;
    for (const QString& s : stops) {
        if (s.isEmpty())
            continue;
        const qsizetype at = text.indexOf(s);
        if (at >= 0 && (best < 0 || at < best))
            best = at;
    }
    return best;
}

// How many characters at the end of `text` to hold back from a stream: the longest tail that
// could still grow into a stop string, and replacement characters of a character whose bytes
// have not all been generated yet. Streamed text then never contains what the reply cuts.
qsizetype unsettledTail(const QString& text, const QStringList& stops)
{
    qsizetype tail = 0;
    for (const QString& s : stops)
        for (qsizetype k = std::min(s.size() - 1, text.size()); k > tail; --k)
            if (text.endsWith(QStringView(s).left(k))) {
                tail = k;
                break;
            }
    qsizetype replacement = 0;
    while (replacement < text.size() && text[text.size() - 1 - replacement] == QChar(QChar::ReplacementCharacter))
        ++replacement;
    return std::max(tail, replacement);
}

} // namespace

GenerateReply TextGenerator::generate(const GenerateRequest& request,
                                      const std::function<bool(const QString&)>& onText,
                                      const std::atomic<bool>* cancel) const
{
    if (request.maxNewTokens < 1)
        throw Error(QStringLiteral("max_new_tokens must be at least 1 (it is %1).")
                        .arg(request.maxNewTokens));
    std::lock_guard<std::mutex> lock(d->mutex);
    GenerateReply reply;
    const std::vector<int64_t> prompt = promptIds(request);
    reply.promptTokens = int(prompt.size());

    GenerationOptions o;
    o.maxNewTokens = request.maxNewTokens;
    o.sample = request.temperature > 0;
    o.temperature = o.sample ? request.temperature : 1.0;
    o.topK = request.topK;
    o.topP = request.topP;
    o.repetitionPenalty = request.repetitionPenalty;
    o.stopTokenIds = d->stopIds;
    o.tokenizerVocab = d->tokenizer->vocabSize();
    o.seed = request.seed;
    std::vector<int64_t> sofar;
    qsizetype emitted = 0;
    bool stoppedByText = false;
    bool consumerStopped = false;
    o.onToken = [&](size_t, int64_t token) {
        sofar.push_back(token);
        const QString text = d->tokenizer->decode(sofar, /*skipSpecialTokens=*/true);
        const qsizetype stop = firstStop(text, request.stop);
        const QString visible = stop >= 0 ? text.left(stop) : text.left(text.size() - unsettledTail(text, request.stop));
        if (visible.size() > emitted) {
            const bool keep = !onText || onText(visible.mid(emitted));
            emitted = visible.size();
            if (!keep) {
                consumerStopped = true;
                return false;
            }
        }
        if (stop >= 0) {
            stoppedByText = true;
            return false;
        }
        return true;
    };
    o.isCancelled = [cancel] { return cancel && cancel->load(); };
    const GenerationResult result = fts::generate(*d->model, prompt, o);
    reply.tokens = result.tokens;
    const QString text = d->tokenizer->decode(result.tokens, /*skipSpecialTokens=*/true);
    const qsizetype stop = firstStop(text, request.stop);
    reply.text = stop >= 0 ? text.left(stop) : text;
    // What was held back as possibly the start of a stop string turned out not to be one.
    if (onText && !consumerStopped && reply.text.size() > emitted)
        onText(reply.text.mid(emitted));
    switch (result.reason) {
    case StopReason::MaxNewTokens:
    case StopReason::ContextFull:
        reply.finishReason = QStringLiteral("length");
        break;
    case StopReason::Cancelled:
        reply.finishReason = QStringLiteral("cancelled");
        break;
    default:
        reply.finishReason = QStringLiteral("stop");
    }
    if (stoppedByText)
        reply.finishReason = QStringLiteral("stop");
    return reply;
}

} // namespace fts
