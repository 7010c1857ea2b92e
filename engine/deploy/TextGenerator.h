// A decoder ready to use: prompt or chat (rendered with the model's chat template) in, text out,
// with streaming, stop strings and sampling settings. Torch-free so front ends can hold one.
#pragma once

#include "tokenize/ChatTemplate.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace fts {

class DecoderModel;
class Project;

struct GenerateRequest
{
    QString prompt;              // used when `messages` is empty: continued as it is
    QList<ChatMessage> messages; // a conversation; the reply is the assistant's next turn
    int maxNewTokens = 64;
    double temperature = 0; // 0: greedy (deterministic); > 0 samples
    int topK = 0;           // 0: off
    double topP = 1.0;      // 1: off
    double repetitionPenalty = 1.0;
    QStringList stop; // generation ends before the first of these strings
    quint64 seed = 0;
};

struct GenerateReply
{
    QString text;
    std::vector<int64_t> tokens; // the new token ids (a stop token included, as HF returns them)
    int promptTokens = 0;
    QString finishReason; // "stop" (end token or stop string), "length", "cancelled"
};

class TextGenerator
{
public:
    // A Hugging Face decoder folder (GPT-2 or Llama family) with its tokenizer files. Throws
    // fts::Error naming what is missing.
    static std::shared_ptr<TextGenerator> loadFolder(const QString& dir);
    // The policy a decoder run of `project` trained (SFT, DPO or PPO): the run's base model with
    // its best (else last) checkpoint, LoRA adapters included. Throws fts::Error for other runs.
    static std::shared_ptr<TextGenerator> loadRun(Project& project, qint64 runId);
    ~TextGenerator();

    // `onText` gets each new piece of text as it is generated; returning false stops. Calls are
    // serialised, so several threads may share one generator.
    GenerateReply generate(const GenerateRequest& request,
                           const std::function<bool(const QString&)>& onText = {},
                           const std::atomic<bool>* cancel = nullptr) const;
    // The token ids the model reads for `request` (chat rendered, no special tokens added).
    std::vector<int64_t> promptIds(const GenerateRequest& request) const;
    // Mean negative log-likelihood of the assistant replies of `messages` (teacher-forced, the
    // conversation rendered and cut to `maxLength` tokens as the SFT trainer does), and how many
    // reply tokens it averaged over (0: the replies start after maxLength; the loss is then 0).
    double replyLoss(const QList<ChatMessage>& messages, int maxLength, int64_t* tokens) const;
    int contextLength() const;
    // Whether the request's prompt leaves room in the context for its answer: max_new_tokens, but
    // never more than a quarter of the context, so a large max_new_tokens does not crowd out the
    // prompt (generation stops at the context's end anyway).
    bool leavesRoomForAnswer(const GenerateRequest& request) const;
    QString description() const { return m_description; }

private:
    struct Impl;
    TextGenerator();
    // The generator around an already loaded model of the folder `dir` (its tokenizer and chat).
    static std::shared_ptr<TextGenerator> around(const QString& dir, std::shared_ptr<DecoderModel> model);
    std::unique_ptr<Impl> d;
    QString m_description;
};

} // namespace fts
