// Renders conversations in the ChatML, Llama-2 and plain formats and maps reply spans to tokens.
#include "tokenize/ChatTemplate.h"

#include "Error.h"
#include "tokenize/TokenizerFiles.h"

namespace fts {
namespace {

const QString kSystem = QStringLiteral("system");
const QString kUser = QStringLiteral("user");
const QString kAssistant = QStringLiteral("assistant");

void checkRole(const ChatMessage& m, int index)
{
    if (m.role != kSystem && m.role != kUser && m.role != kAssistant)
        throw Error(QStringLiteral("Message %1 has the role \"%2\"; use system, user or assistant.")
                        .arg(index + 1)
                        .arg(m.role));
}

// Appends an assistant reply and records its span (content + end marker).
void appendReply(RenderedChat& out, const QString& content, const QString& endMarker)
{
    const int start = int(out.text.size());
    out.text += content + endMarker;
    out.assistantSpans.emplace_back(start, int(out.text.size()));
}

RenderedChat renderChatMl(const QList<ChatMessage>& messages, bool addGenerationPrompt)
{
    const QString end = QStringLiteral("<|im_end|>");
    RenderedChat out;
    for (const ChatMessage& m : messages) {
        out.text += QStringLiteral("<|im_start|>") + m.role + u'\n';
        if (m.role == kAssistant)
            appendReply(out, m.content, end);
        else
            out.text += m.content + end;
        out.text += u'\n';
    }
    if (addGenerationPrompt)
        out.text += QStringLiteral("<|im_start|>assistant\n");
    return out;
}

// As Meta's reference chat_completion and the Hugging Face Llama-2 template: the system prompt
// is folded into the first user turn, contents are stripped, each exchange is bos..eos.
RenderedChat renderLlama2(const QList<ChatMessage>& messages, const ChatFormat& f)
{
    RenderedChat out;
    QString system;
    int first = 0;
    if (!messages.isEmpty() && messages[0].role == kSystem) {
        system = QStringLiteral("<<SYS>>\n") + messages[0].content.trimmed() +
                 QStringLiteral("\n<</SYS>>\n\n");
        first = 1;
    }
    for (int i = first; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        const QString expected = (i - first) % 2 == 0 ? kUser : kAssistant;
        if (m.role != expected)
            throw Error(QStringLiteral("Message %1 is from \"%2\" but the Llama-2 format needs "
                                       "turns that alternate user/assistant (after an optional "
                                       "first system message). Merge or reorder the messages.")
                            .arg(i + 1)
                            .arg(m.role));
        if (m.role == kUser) {
            out.text += f.bos + QStringLiteral("[INST] ") + (i == first ? system : QString()) +
                        m.content.trimmed() + QStringLiteral(" [/INST]");
        } else {
            out.text += u' ';
            appendReply(out, m.content.trimmed(), u' ' + f.eos);
        }
    }
    return out;
}

RenderedChat renderPlain(const QList<ChatMessage>& messages, const ChatFormat& f,
                         bool addGenerationPrompt)
{
    RenderedChat out;
    for (const ChatMessage& m : messages) {
        const QString title = m.role == kSystem ? QStringLiteral("System")
                              : m.role == kUser ? QStringLiteral("User")
                                                : QStringLiteral("Assistant");
        out.text += QStringLiteral("### ") + title + QStringLiteral(":\n");
        if (m.role == kAssistant)
            appendReply(out, m.content, f.eos);
        else
            out.text += m.content;
        out.text += QStringLiteral("\n\n");
    }
    if (addGenerationPrompt)
        out.text += QStringLiteral("### Assistant:\n");
    return out;
}

} // namespace

RenderedChat renderChat(const QList<ChatMessage>& messages, const ChatFormat& format,
                        bool addGenerationPrompt)
{
    for (int i = 0; i < messages.size(); ++i)
        checkRole(messages[i], i);
    switch (format.style) {
    case ChatStyle::ChatML:
        return renderChatMl(messages, addGenerationPrompt);
    case ChatStyle::Llama2:
        return renderLlama2(messages, format); // the prompt already ends with [/INST]
    case ChatStyle::Plain:
        break;
    }
    return renderPlain(messages, format, addGenerationPrompt);
}

ChatStyle detectChatStyle(const QString& jinjaTemplate, ChatStyle fallback)
{
    if (jinjaTemplate.contains(QStringLiteral("<|im_start|>")))
        return ChatStyle::ChatML;
    if (jinjaTemplate.contains(QStringLiteral("[INST]")))
        return ChatStyle::Llama2;
    return fallback;
}

ChatFormat chatFormatForModel(const QString& modelDir, ChatStyle fallback)
{
    const TokenizerFiles files = TokenizerFiles::read(modelDir);
    ChatFormat f;
    f.style = detectChatStyle(files.chatTemplate(), fallback);
    const QString bos = files.specialToken(QStringLiteral("bos_token"));
    const QString eos = files.specialToken(QStringLiteral("eos_token"));
    if (!bos.isEmpty())
        f.bos = bos;
    if (!eos.isEmpty())
        f.eos = eos;
    return f;
}

std::vector<uint8_t> tokenMaskForSpans(const Encoding& encoding, const std::vector<CharSpan>& spans)
{
    std::vector<uint8_t> mask(encoding.offsets.size(), 0);
    for (size_t i = 0; i < mask.size(); ++i) {
        const auto [start, end] = encoding.offsets[i];
        if (end <= start)
            continue; // inserted by the template, not part of the text
        for (const CharSpan& s : spans)
            if (start < s.second && end > s.first) {
                mask[i] = 1;
                break;
            }
    }
    return mask;
}

} // namespace fts
