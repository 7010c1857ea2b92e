// Supervised fine-tuning data for decoders: chat and summarization JSONL, rendered with the
// model's chat template and tokenized with a mask of the tokens the loss is computed on.
#pragma once

#include "tokenize/ChatTemplate.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <vector>

namespace fts {

enum class SftTask { Chat, Summarization };
QString sftTaskName(SftTask task);            // "chat", "summarization"
SftTask sftTaskFromName(const QString& name); // throws fts::Error for others

// One JSONL line: a conversation (chat) or a document and its summary (summarization).
struct SftRecord
{
    QList<ChatMessage> messages;
    QString split; // train, val, test; empty lines' split is "train"
    int line = 0;  // 1-based, for messages
};

// Chat lines: {"messages": [{"role", "content"}...]} or {"instruction", "response"} (optionally
// "system", as in datasets/chat); summarization lines: {"document", "summary"}. An optional
// "split" field says train/val/test. Throws fts::Error naming the file, line and missing field.
std::vector<SftRecord> readSftJsonl(const QString& path, SftTask task);

// The user turn a summarization record becomes: an instruction, a blank line, the document.
QString summarizationPrompt(const QString& document);

struct SftExample
{
    std::vector<int64_t> ids;
    // 1 where ids[t] is part of an assistant reply (or its end marker): those tokens are learned.
    std::vector<uint8_t> target;
    QString split;
    int line = 0;
};

// Renders `messages` with `format`, tokenizes without extra special tokens and marks the reply
// tokens; keeps the first `maxLength` tokens (0 = all).
SftExample encodeSft(const Tokenizer& tokenizer, const QList<ChatMessage>& messages,
                     const ChatFormat& format, int maxLength);

// SHA-256 of the file's bytes, so a run records and a resume checks exactly what it trained on.
QByteArray fileSha256(const QString& path);

} // namespace fts
