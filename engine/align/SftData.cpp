// Reading chat / summarization JSONL and turning records into token ids with a reply mask.
#include "align/SftData.h"

#include "Error.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace fts {
namespace {

QString requiredString(const QJsonObject& o, const char* key, const QString& path, int line)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isString() || v.toString().trimmed().isEmpty())
        throw Error(QStringLiteral("%1, line %2: the field \"%3\" is missing or empty; every line "
                                   "needs it as a text value.")
                        .arg(path)
                        .arg(line)
                        .arg(QLatin1String(key)));
    return v.toString();
}

QList<ChatMessage> chatMessages(const QJsonObject& o, const QString& path, int line)
{
    QList<ChatMessage> out;
    if (o.contains(QLatin1String("messages"))) {
        const QJsonArray messages = o.value(QLatin1String("messages")).toArray();
        for (const QJsonValue& m : messages) {
            const QJsonObject mo = m.toObject();
            out.append({mo.value(QLatin1String("role")).toString(),
                        mo.value(QLatin1String("content")).toString()});
        }
    } else {
        if (o.value(QLatin1String("system")).isString())
            out.append({QStringLiteral("system"), o.value(QLatin1String("system")).toString()});
        out.append({QStringLiteral("user"), requiredString(o, "instruction", path, line)});
        out.append({QStringLiteral("assistant"), requiredString(o, "response", path, line)});
    }
    bool hasReply = false;
    for (const ChatMessage& m : out)
        hasReply = hasReply || (m.role == QLatin1String("assistant") && !m.content.isEmpty());
    if (!hasReply)
        throw Error(QStringLiteral("%1, line %2: the conversation has no assistant message, so "
                                   "there is nothing to learn from it; add one or remove the line.")
                        .arg(path)
                        .arg(line));
    return out;
}

} // namespace

QString sftTaskName(SftTask task)
{
    return task == SftTask::Chat ? QStringLiteral("chat") : QStringLiteral("summarization");
}

SftTask sftTaskFromName(const QString& name)
{
    if (name == QLatin1String("chat"))
        return SftTask::Chat;
    if (name == QLatin1String("summarization"))
        return SftTask::Summarization;
    throw Error(
        QStringLiteral("Unknown fine-tuning task '%1': use chat or summarization.").arg(name));
}

QString summarizationPrompt(const QString& document)
{
    return QStringLiteral("Summarize the following text in one sentence.\n\n") + document;
}

std::vector<SftRecord> readSftJsonl(const QString& path, SftTask task)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(
            QStringLiteral("Cannot read the training file %1: %2.").arg(path, file.errorString()));
    std::vector<SftRecord> out;
    int line = 0;
    while (!file.atEnd()) {
        const QByteArray text = file.readLine().trimmed();
        ++line;
        if (text.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        if (!doc.isObject())
            throw Error(QStringLiteral("%1, line %2 is not a JSON object (%3); each line must be "
                                       "one object such as {\"document\": ..., \"summary\": ...}.")
                            .arg(path)
                            .arg(line)
                            .arg(error.errorString()));
        const QJsonObject o = doc.object();
        SftRecord r;
        r.line = line;
        r.split = o.value(QLatin1String("split")).toString(QStringLiteral("train"));
        if (task == SftTask::Chat) {
            r.messages = chatMessages(o, path, line);
        } else {
            r.messages.append({QStringLiteral("user"),
                               summarizationPrompt(requiredString(o, "document", path, line))});
            r.messages.append(
                {QStringLiteral("assistant"), requiredString(o, "summary", path, line)});
        }
        out.push_back(std::move(r));
    }
    if (out.empty())
        throw Error(QStringLiteral("The training file %1 has no records.").arg(path));
    return out;
}

SftExample encodeSft(const Tokenizer& tokenizer, const QList<ChatMessage>& messages,
                     const ChatFormat& format, int maxLength)
{
    const RenderedChat chat = renderChat(messages, format, /*addGenerationPrompt=*/false);
    EncodeOptions options;
    options.addSpecialTokens = false; // the rendered text spells out its special tokens
    options.maxLength = 1 << 30;      // truncation is ours, below, so the mask stays aligned
    const Encoding encoding = tokenizer.encode(chat.text, {}, options);
    SftExample out;
    out.ids = encoding.ids;
    out.target = tokenMaskForSpans(encoding, chat.assistantSpans);
    if (maxLength > 0 && int(out.ids.size()) > maxLength) {
        out.ids.resize(size_t(maxLength));
        out.target.resize(size_t(maxLength));
    }
    return out;
}

QByteArray fileSha256(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1: %2.").arg(path, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

} // namespace fts
