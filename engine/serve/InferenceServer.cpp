// Routes of the local server. Parsing and limits run on the network thread; inference runs in a
// small thread pool and answers through QFuture, so a slow generation never blocks /health.
// "stream": true answers as server-sent events in HTTP/1.1 chunks: the worker hands each piece
// of text to the network thread, which alone may write to the socket.
#include "serve/InferenceServer.h"

#include "Error.h"
#include "deploy/TextGenerator.h"

#include <QDateTime>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTcpSocket>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace fts {
namespace {

ServerReply error(int status, const QString& message, const QString& type)
{
    // OpenAI's error shape, so OpenAI client libraries show the message as it is.
    return {status,
            {{"error", QJsonObject{{"message", message}, {"type", type}, {"code", status}}}}};
}

ServerReply badRequest(const QString& message)
{
    return error(400, message, QStringLiteral("invalid_request_error"));
}

QHttpServerResponse toResponse(const ServerReply& r)
{
    return QHttpServerResponse(QByteArrayLiteral("application/json"),
                               QJsonDocument(r.body).toJson(QJsonDocument::Compact),
                               QHttpServerResponse::StatusCode(r.status));
}

QByteArray header(const QHttpServerRequest& request, const QByteArray& name)
{
    for (const auto& [key, value] : request.headers())
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

// A number field within [min, max], or the fallback when absent; an error message otherwise.
bool numberField(const QJsonObject& o, const char* key, double min, double max, double& value,
                 QString& problem)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isDouble() || v.toDouble() < min || v.toDouble() > max) {
        problem = QStringLiteral("\"%1\" must be a number from %2 to %3.")
                      .arg(QLatin1String(key))
                      .arg(min)
                      .arg(max);
        return false;
    }
    value = v.toDouble();
    return true;
}

// The generation settings of a /v1/generate or /v1/chat/completions body; an error message (and
// `out` unusable) when a field is missing or out of range.
QString parseGenerateRequest(const QJsonObject& request, bool chat, int maxNewTokens,
                             GenerateRequest& g)
{
    const QJsonValue stream = request.value(QLatin1String("stream"));
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool())
        return QStringLiteral("\"stream\" must be true or false.");
    if (chat) {
        for (const QJsonValue& v : request.value(QLatin1String("messages")).toArray()) {
            const QJsonObject m = v.toObject();
            if (!m.value(QLatin1String("role")).isString() ||
                !m.value(QLatin1String("content")).isString())
                return QStringLiteral("Each message needs \"role\" and \"content\" strings.");
            g.messages.append({m.value(QLatin1String("role")).toString(),
                               m.value(QLatin1String("content")).toString()});
        }
        if (g.messages.isEmpty())
            return QStringLiteral("\"messages\" must be a non-empty list of {\"role\", "
                                  "\"content\"} objects.");
    } else {
        if (!request.value(QLatin1String("prompt")).isString())
            return QStringLiteral("Send {\"prompt\": \"...\"}.");
        g.prompt = request.value(QLatin1String("prompt")).toString();
    }
    double maxTokens = 64, temperature = 0, topK = 0, topP = 1, penalty = 1, seed = 0;
    QString problem;
    // OpenAI's name is max_tokens; the studio's own endpoint says max_new_tokens.
    const char* maxKey = chat && !request.contains(QLatin1String("max_new_tokens"))
                             ? "max_tokens"
                             : "max_new_tokens";
    if (!numberField(request, maxKey, 1, maxNewTokens, maxTokens, problem) ||
        !numberField(request, "temperature", 0, 100, temperature, problem) ||
        !numberField(request, "top_k", 0, 1e6, topK, problem) ||
        !numberField(request, "top_p", 0, 1, topP, problem) ||
        !numberField(request, "repetition_penalty", 0.01, 100, penalty, problem) ||
        !numberField(request, "seed", 0, 9e15, seed, problem))
        return problem;
    g.maxNewTokens = int(maxTokens);
    g.temperature = temperature;
    g.topK = int(topK);
    g.topP = topP;
    g.repetitionPenalty = penalty;
    g.seed = quint64(seed);
    const QJsonValue stop = request.value(QLatin1String("stop"));
    if (stop.isString())
        g.stop << stop.toString();
    for (const QJsonValue& s : stop.toArray())
        g.stop << s.toString();
    return {};
}

// One HTTP/1.1 chunk (RFC 9112 section 7.1).
QByteArray httpChunk(const QByteArray& data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

QByteArray sseEvent(const QJsonObject& o)
{
    return "data: " + QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n\n";
}

} // namespace

// What a streamed answer's worker and the network thread share. Only the network thread touches
// the responder; the worker learns through `gone` that the client has left.
struct InferenceServer::Stream
{
    QHttpServerResponder responder;
    QPointer<QTcpSocket> socket;
    bool headersSent = false;
    std::atomic<bool> gone{false};
    explicit Stream(QHttpServerResponder&& r) : responder(std::move(r)), socket(responder.socket()) {}
};

void InferenceServer::writeStream(const std::shared_ptr<Stream>& stream, const QByteArray& events,
                                  bool last) const
{
    if (!stream->socket || stream->socket->state() != QAbstractSocket::ConnectedState) {
        stream->gone = true;
        return;
    }
    if (!stream->headersSent) {
        stream->responder.writeStatusLine(QHttpServerResponder::StatusCode::Ok);
        stream->responder.writeHeader("Content-Type", "text/event-stream");
        stream->responder.writeHeader("Cache-Control", "no-cache");
        stream->responder.writeHeader("Transfer-Encoding", "chunked");
        stream->headersSent = true;
    }
    QByteArray bytes;
    if (!events.isEmpty())
        bytes += httpChunk(events);
    if (last)
        bytes += "0\r\n\r\n";
    stream->responder.writeBody(bytes);
}

ServerReply InferenceServer::prepareGenerate(const QJsonObject& request, bool chat, GenerateRequest& g) const
{
    if (!m_model.generator)
        return badRequest(QStringLiteral("This server runs a classifier; use /v1/classify."));
    const QString problem = parseGenerateRequest(request, chat, m_options.maxNewTokens, g);
    if (!problem.isEmpty())
        return badRequest(problem);
    const int promptTokens = int(m_model.generator->promptIds(g).size());
    if (promptTokens >= m_model.generator->contextLength())
        return badRequest(QStringLiteral("The prompt has %1 tokens; this model reads at most %2 "
                                         "in all. Shorten it.")
                              .arg(promptTokens)
                              .arg(m_model.generator->contextLength()));
    return {};
}

namespace {

QJsonObject usageJson(const GenerateReply& r)
{
    return {{"prompt_tokens", r.promptTokens},
            {"completion_tokens", int(r.tokens.size())},
            {"total_tokens", r.promptTokens + int(r.tokens.size())}};
}

QString exceptionText(const std::exception& e)
{
    const auto* error = dynamic_cast<const Error*>(&e);
    return error ? error->message() : QString::fromUtf8(e.what());
}

} // namespace

void InferenceServer::streamGenerate(const std::shared_ptr<Stream>& stream, const QString& path,
                                     const QJsonObject& request)
{
    const bool chat = path == QLatin1String("/v1/chat/completions");
    // Posts to the network thread; dropped there when the server is gone.
    const auto post = [this, stream](const QByteArray& events, bool last) {
        QMetaObject::invokeMethod(this, [this, stream, events, last] { writeStream(stream, events, last); },
                                  Qt::QueuedConnection);
    };
    GenerateRequest g;
    ServerReply refusal;
    try {
        refusal = prepareGenerate(request, chat, g);
    } catch (const Error& e) {
        refusal = badRequest(e.message());
    } catch (const std::exception& e) {
        refusal = error(500, QStringLiteral("Internal error: %1").arg(exceptionText(e)),
                        QStringLiteral("server_error"));
    }
    if (refusal.status != 200) {
        // Nothing was sent yet: an ordinary JSON error, as without "stream".
        QMetaObject::invokeMethod(this, [stream, refusal] {
            if (stream->socket)
                stream->responder.write(QJsonDocument(refusal.body),
                                        QHttpServerResponder::StatusCode(refusal.status));
        }, Qt::QueuedConnection);
        return;
    }
    const QString id = QStringLiteral("chatcmpl-%1").arg(m_served.load());
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const QString model = request.value(QLatin1String("model")).toString(m_model.description());
    // OpenAI's chunk shape: the first names the role, the last has the finish reason.
    const auto chunk = [&](const QJsonObject& delta, const QJsonValue& finish) {
        if (!chat)
            return QJsonObject{{"text", delta.value(QLatin1String("content")).toString()},
                               {"finish_reason", finish}};
        return QJsonObject{{"id", id},
                           {"object", "chat.completion.chunk"},
                           {"created", created},
                           {"model", model},
                           {"choices", QJsonArray{QJsonObject{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}};
    };
    try {
        if (chat)
            post(sseEvent(chunk(QJsonObject{{"role", "assistant"}, {"content", ""}}, QJsonValue::Null)), false);
        // A client that left, or a server stopping, ends the answer at the next token.
        const GenerateReply r = m_model.generator->generate(g, [&](const QString& piece) {
            post(sseEvent(chunk(QJsonObject{{"content", piece}}, QJsonValue::Null)), false);
            return !stream->gone.load() && !m_stopping.load();
        });
        QJsonObject last = chunk(QJsonObject{}, r.finishReason);
        last.insert(QStringLiteral("usage"), usageJson(r));
        post(sseEvent(last) + "data: [DONE]\n\n", true);
    } catch (const std::exception& e) {
        // The status line is gone already: the error travels as an event, as OpenAI's does.
        post(sseEvent(error(500, exceptionText(e), QStringLiteral("server_error")).body) + "data: [DONE]\n\n", true);
    }
}

InferenceServer::InferenceServer(DeployModel model, ServerOptions options, QObject* parent)
    : QObject(parent), m_model(std::move(model)), m_options(std::move(options))
{
}

InferenceServer::~InferenceServer()
{
    stop();
}

QString InferenceServer::url() const
{
    const QString host = m_options.address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QStringLiteral("[%1]").arg(m_options.address.toString())
                             : m_options.address.toString();
    return QStringLiteral("http://%1:%2").arg(host).arg(m_port);
}

quint16 InferenceServer::start()
{
    if (m_http)
        return m_port;
    m_stopping = false;
    m_pool = std::make_unique<QThreadPool>();
    m_pool->setMaxThreadCount(std::max(1, m_options.workers));
    m_http = std::make_unique<QHttpServer>();
    const auto authorised = [this](const QHttpServerRequest& request) {
        return m_options.token.isEmpty() ||
               header(request, "Authorization") == "Bearer " + m_options.token.toUtf8();
    };
    const auto post = [this, authorised](const QString& path) {
        return [this, authorised, path](const QHttpServerRequest& request) {
            if (!authorised(request))
                return QtFuture::makeReadyFuture(toResponse(
                    error(401,
                          QStringLiteral("Missing or wrong token: send the header "
                                         "\"Authorization: Bearer <token>\" with the token "
                                         "the server was started with."),
                          QStringLiteral("authentication_error"))));
            if (request.body().size() > m_options.maxBodyBytes)
                return QtFuture::makeReadyFuture(toResponse(
                    error(413,
                          QStringLiteral("The request body has %1 bytes; this server accepts "
                                         "at most %2.")
                              .arg(request.body().size())
                              .arg(m_options.maxBodyBytes),
                          QStringLiteral("invalid_request_error"))));
            const QByteArray body = request.body(); // the request dies with this call
            return QtConcurrent::run(m_pool.get(), [this, path, body] {
                ++m_served;
                return toResponse(handle(path, body));
            });
        };
    };
    m_http->route(QStringLiteral("/v1/classify"), QHttpServerRequest::Method::Post,
                  post(QStringLiteral("/v1/classify")));
    // The generation routes may stream, so they answer through the responder themselves; the
    // checks before inference are the same as post()'s.
    const auto generation = [this, post, authorised](const QString& path) {
        return [this, path, authorised, plain = post(path)](const QHttpServerRequest& request,
                                                QHttpServerResponder&& responder) {
            auto stream = std::make_shared<Stream>(std::move(responder));
            const auto reply = [stream](const QHttpServerResponse& response) {
                if (stream->socket)
                    stream->responder.write(response.data(), response.mimeType(), response.statusCode());
            };
            // Refusals (token, size, not JSON) are worded as on every other endpoint.
            QJsonParseError parsed{};
            const QJsonDocument doc = !authorised(request) || request.body().size() > m_options.maxBodyBytes
                                          ? QJsonDocument()
                                          : QJsonDocument::fromJson(request.body(), &parsed);
            if (!doc.isObject() || parsed.error != QJsonParseError::NoError) {
                plain(request).then(this, reply);
                return;
            }
            const QJsonObject body = doc.object();
            if (!body.value(QLatin1String("stream")).toBool()) {
                QtConcurrent::run(m_pool.get(), [this, path, body] {
                    ++m_served;
                    return toResponse(answer(path, body));
                }).then(this, reply);
                return;
            }
            m_pool->start([this, stream, path, body] {
                ++m_served;
                streamGenerate(stream, path, body);
            });
        };
    };
    for (const QString path : {QStringLiteral("/v1/generate"), QStringLiteral("/v1/chat/completions")})
        m_http->route(path, QHttpServerRequest::Method::Post, generation(path));
    m_http->route(QStringLiteral("/health"), QHttpServerRequest::Method::Get,
                  [this] { return toResponse(health()); });
    m_http->setMissingHandler(
        [](const QHttpServerRequest& request, QHttpServerResponder&& responder) {
            const ServerReply r = error(404,
                                        QStringLiteral("No endpoint %1 for this method; use GET "
                                                       "/health, POST /v1/classify, /v1/generate "
                                                       "or /v1/chat/completions.")
                                            .arg(request.url().path()),
                                        QStringLiteral("not_found_error"));
            responder.write(QJsonDocument(r.body), QHttpServerResponder::StatusCode::NotFound);
        });
    m_port = quint16(m_http->listen(m_options.address, m_options.port));
    if (m_port == 0) {
        m_http.reset();
        throw Error(QStringLiteral("Cannot listen on %1 port %2: it is in use or not allowed. "
                                   "Choose another port.")
                        .arg(m_options.address.toString())
                        .arg(m_options.port));
    }
    return m_port;
}

void InferenceServer::stop()
{
    // Answers being written end at their next token, so stopping does not wait for them in full.
    m_stopping = true;
    if (m_pool)
        m_pool->waitForDone(); // answers in flight still reach their sockets
    m_http.reset();
    m_pool.reset();
}

ServerReply InferenceServer::handle(const QString& path, const QByteArray& body) const
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError)
        return badRequest(QStringLiteral("The body is not valid JSON (%1 at byte %2).")
                              .arg(err.errorString())
                              .arg(err.offset));
    if (!doc.isObject())
        return badRequest(QStringLiteral("The body must be a JSON object {...}."));
    return answer(path, doc.object());
}

ServerReply InferenceServer::answer(const QString& path, const QJsonObject& request) const
{
    try {
        if (path == QLatin1String("/v1/classify"))
            return classify(request);
        return generate(request, path == QLatin1String("/v1/chat/completions"));
    } catch (const Error& e) {
        return badRequest(e.message());
    } catch (const std::exception& e) {
        return error(500, QStringLiteral("Internal error: %1").arg(QString::fromUtf8(e.what())),
                     QStringLiteral("server_error"));
    }
}

ServerReply InferenceServer::health() const
{
    QJsonObject o{{"status", "ok"},
                  {"model", m_model.description()},
                  {"kind", m_model.classifier ? "classifier" : "generator"}};
    if (m_model.classifier)
        o.insert(QStringLiteral("labels"),
                 QJsonArray::fromStringList(m_model.classifier->labels()));
    return {200, o};
}

ServerReply InferenceServer::classify(const QJsonObject& request) const
{
    if (!m_model.classifier)
        return badRequest(QStringLiteral("This server runs a text generator; use /v1/generate or "
                                         "/v1/chat/completions."));
    QStringList texts;
    if (request.value(QLatin1String("text")).isString())
        texts << request.value(QLatin1String("text")).toString();
    else if (request.value(QLatin1String("texts")).isArray())
        for (const QJsonValue& v : request.value(QLatin1String("texts")).toArray()) {
            if (!v.isString())
                return badRequest(QStringLiteral("\"texts\" must be a list of strings."));
            texts << v.toString();
        }
    else
        return badRequest(
            QStringLiteral("Send {\"text\": \"...\"} or {\"texts\": [\"...\", ...]}."));
    if (texts.isEmpty() || texts.size() > m_options.maxTexts)
        return badRequest(QStringLiteral("Send 1 to %1 texts per request (got %2).")
                              .arg(m_options.maxTexts)
                              .arg(texts.size()));
    const QStringList& labels = m_model.classifier->labels();
    QJsonArray predictions;
    for (const ClassPrediction& p : m_model.classifier->classify(texts)) {
        QJsonObject probs;
        for (qsizetype k = 0; k < labels.size(); ++k)
            probs.insert(labels[k], p.probabilities[size_t(k)]);
        QJsonObject o{{"label", p.label}, {"probabilities", probs}};
        if (!p.activeLabels.isEmpty())
            o.insert(QStringLiteral("labels"), QJsonArray::fromStringList(p.activeLabels));
        predictions.append(o);
    }
    return {200, {{"predictions", predictions}, {"model", m_model.description()}}};
}

ServerReply InferenceServer::generate(const QJsonObject& request, bool chat) const
{
    GenerateRequest g;
    const ServerReply refusal = prepareGenerate(request, chat, g);
    if (refusal.status != 200)
        return refusal;
    const GenerateReply r = m_model.generator->generate(g, [this](const QString&) { return !m_stopping.load(); });
    const QJsonObject usage = usageJson(r);
    if (!chat)
        return {200, {{"text", r.text}, {"finish_reason", r.finishReason}, {"usage", usage}}};
    const QJsonObject choice{{"index", 0},
                             {"message", QJsonObject{{"role", "assistant"}, {"content", r.text}}},
                             {"finish_reason", r.finishReason}};
    return {200,
            {{"id", QStringLiteral("chatcmpl-%1").arg(m_served.load())},
             {"object", "chat.completion"},
             {"created", QDateTime::currentSecsSinceEpoch()},
             {"model", request.value(QLatin1String("model")).toString(m_model.description())},
             {"choices", QJsonArray{choice}},
             {"usage", usage}}};
}

} // namespace fts
