// Chat rendering for supervised fine-tuning: the conversation as one text plus where the
// assistant replies are, so the loss can be limited to what the model should learn to say.
#pragma once

#include "tokenize/Tokenizer.h"

#include <QList>
#include <QString>

#include <cstdint>
#include <utility>
#include <vector>

namespace fts {

struct ChatMessage
{
    QString role; // "system", "user" or "assistant"
    QString content;
};

enum class ChatStyle {
    Plain,  // "### User:\n...\n\n### Assistant:\n...</s>" for models trained without a template
    ChatML, // <|im_start|>role\n...<|im_end|>\n (Qwen, many fine-tunes)
    Llama2, // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\nuser [/INST] answer </s>
};

struct ChatFormat
{
    ChatStyle style = ChatStyle::Plain;
    QString bos = QStringLiteral("<s>");  // written by Llama2
    QString eos = QStringLiteral("</s>"); // ends assistant replies in Llama2 and Plain
};

using CharSpan = std::pair<int, int>; // [start, end) into the rendered text

struct RenderedChat
{
    QString text;
    // Each assistant reply's content plus its end marker (<|im_end|> or eos).
    std::vector<CharSpan> assistantSpans;
};

// Throws fts::Error for an unknown role, or (Llama2) roles that do not alternate user/assistant.
// The text spells out its special tokens: encode it with addSpecialTokens = false.
RenderedChat renderChat(const QList<ChatMessage>& messages, const ChatFormat& format,
                        bool addGenerationPrompt);

// Recognises a tokenizer_config.json "chat_template" (Jinja) by its markers.
ChatStyle detectChatStyle(const QString& jinjaTemplate, ChatStyle fallback);
// The model folder's format: style from its chat template, bos/eos from tokenizer_config.json /
// special_tokens_map.json. Throws fts::Error only for unreadable files.
ChatFormat chatFormatForModel(const QString& modelDir, ChatStyle fallback);

// 1 for every token whose characters overlap a span, 0 elsewhere (template-inserted tokens, with
// offsets (0, 0), are always 0). Spans and offsets must refer to the same text.
std::vector<uint8_t> tokenMaskForSpans(const Encoding& encoding,
                                       const std::vector<CharSpan>& spans);

} // namespace fts
