// The local inference server: JSON endpoints for classification and generation, an
// OpenAI-compatible /v1/chat/completions, optional bearer token, request limits.
#pragma once

#include "deploy/DeployModel.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

class QHttpServer;
class QThreadPool;

namespace fts {

struct ServerOptions
{
    QHostAddress address = QHostAddress::LocalHost; // loopback: nothing outside the machine
    quint16 port = 8080;                            // 0: any free port
    QString token;                                  // non-empty: "Authorization: Bearer <token>"
    qint64 maxBodyBytes = 1 << 20;
    int maxNewTokens = 512; // the most a request may ask for
    int maxTexts = 256;     // texts per /v1/classify request
    int workers = 2;        // inference threads; the network thread only parses and answers
};

// A JSON answer before it is sent: status code and body, so handlers can be tested directly.
struct ServerReply
{
    int status = 200;
    QJsonObject body;
};

class InferenceServer : public QObject
{
    Q_OBJECT
public:
    InferenceServer(DeployModel model, ServerOptions options, QObject* parent = nullptr);
    ~InferenceServer() override;

    // Starts listening; returns the port. Throws fts::Error when the port cannot be used.
    quint16 start();
    // Stops accepting, waits for the requests in flight, and closes.
    void stop();
    bool isRunning() const { return m_http != nullptr; }
    QString url() const;
    qint64 requestsServed() const { return m_served; }

    // The endpoint logic without the network (also what the routes call on a worker thread).
    ServerReply handle(const QString& path, const QByteArray& body) const;

private:
    struct Stream;
    // Checks a generation request and fills `g`; a reply with status 200 means it may run.
    ServerReply prepareGenerate(const QJsonObject& request, bool chat, GenerateRequest& g) const;
    // "stream": true: generates on a worker thread, each piece sent as a server-sent event.
    void streamGenerate(const std::shared_ptr<Stream>& stream, const QString& path, const QJsonObject& request);
    // handle() after the body was read as a JSON object.
    ServerReply answer(const QString& path, const QJsonObject& request) const;
    void writeStream(const std::shared_ptr<Stream>& stream, const QByteArray& events, bool last) const;
    ServerReply classify(const QJsonObject& request) const;
    ServerReply generate(const QJsonObject& request, bool chat) const;
    ServerReply health() const;

    DeployModel m_model;
    ServerOptions m_options;
    std::unique_ptr<QHttpServer> m_http;
    std::unique_ptr<QThreadPool> m_pool;
    quint16 m_port = 0;
    std::atomic<qint64> m_served{0};
    std::atomic<bool> m_stopping{false};
};

} // namespace fts
