// The local inference server on loopback: every endpoint, malformed and oversized requests, the
// bearer token, and 50 clients at once; answers are checked against direct predictions.
#include "Suite.h"
#include "Error.h"
#include "serve/InferenceServer.h"

#include "DeployFixtures.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace fts;

namespace {

struct Answer
{
    int status = 0;
    QJsonObject body;
};

// One request, waiting in the event loop (the server lives on this thread too).
Answer call(QNetworkAccessManager& net, quint16 port, const QString& path, const QByteArray& body,
            const QByteArray& token = {}, bool get = false)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply* reply = get ? net.get(request) : net.post(request, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(60000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return a;
}

QByteArray json(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString errorMessage(const Answer& a)
{
    return a.body.value(QLatin1String("error"))
        .toObject()
        .value(QLatin1String("message"))
        .toString();
}

} // namespace

class TestServe : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void health();
    void classify();
    void classifyErrors();
    void badJsonAndUnknownPath();
    void oversizedBody();
    void tokenRequired();
    void fiftyConcurrentClients();
    void generateAndChat();
    void chatStreams();
    void generateLimits();
    void portInUse();

private:
    QTemporaryDir m_dir;
    QNetworkAccessManager m_net;
    DeployModel m_classifier, m_generator;
    std::unique_ptr<InferenceServer> m_server;
    quint16 m_port = 0;
};

void TestServe::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_classifier = loadDeployModel(
        test::fixtureWithVocab(test::kBertFixture, m_dir.filePath(QStringLiteral("bert"))));
    m_generator = loadDeployModel(
        test::fixtureWithVocab(test::kGpt2Fixture, m_dir.filePath(QStringLiteral("gpt2"))));
    QVERIFY(m_classifier.classifier && m_generator.generator);
    ServerOptions o;
    o.port = 0;
    o.maxBodyBytes = 4096;
    m_server = std::make_unique<InferenceServer>(m_classifier, o);
    m_port = m_server->start();
    QVERIFY(m_port > 0);
    QVERIFY(m_server->url().startsWith(QStringLiteral("http://127.0.0.1:")));
}

void TestServe::health()
{
    const Answer a = call(m_net, m_port, QStringLiteral("/health"), {}, {}, true);
    QCOMPARE(a.status, 200);
    QCOMPARE(a.body.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(a.body.value(QLatin1String("kind")).toString(), QStringLiteral("classifier"));
    QCOMPARE(a.body.value(QLatin1String("labels")).toArray(),
             QJsonArray({"negative", "neutral", "positive"}));
}

void TestServe::classify()
{
    const QStringList texts = {"the apple is very good", "My car was slow today!"};
    const auto want = m_classifier.classifier->classify(texts);
    const Answer a = call(m_net, m_port, QStringLiteral("/v1/classify"),
                          json({{"texts", QJsonArray::fromStringList(texts)}}));
    QCOMPARE(a.status, 200);
    const QJsonArray got = a.body.value(QLatin1String("predictions")).toArray();
    QCOMPARE(got.size(), 2);
    for (int i = 0; i < 2; ++i) {
        const QJsonObject p = got[i].toObject();
        QCOMPARE(p.value(QLatin1String("label")).toString(), want[size_t(i)].label);
        QCOMPARE(p.value(QLatin1String("probabilities"))
                     .toObject()
                     .value(QLatin1String("neutral"))
                     .toDouble(),
                 want[size_t(i)].probabilities[1]);
    }
    const Answer one =
        call(m_net, m_port, QStringLiteral("/v1/classify"), json({{"text", "banana and grape"}}));
    QCOMPARE(one.status, 200);
    QCOMPARE(one.body.value(QLatin1String("predictions")).toArray().size(), 1);
}

void TestServe::classifyErrors()
{
    const Answer missing =
        call(m_net, m_port, QStringLiteral("/v1/classify"), json({{"txt", "a"}}));
    QCOMPARE(missing.status, 400);
    QVERIFY(errorMessage(missing).contains(QStringLiteral("\"text\"")));
    const Answer numbers =
        call(m_net, m_port, QStringLiteral("/v1/classify"), json({{"texts", QJsonArray{1, 2}}}));
    QCOMPARE(numbers.status, 400);
    const Answer wrongKind =
        call(m_net, m_port, QStringLiteral("/v1/generate"), json({{"prompt", "hi"}}));
    QCOMPARE(wrongKind.status, 400);
    QVERIFY(errorMessage(wrongKind).contains(QStringLiteral("/v1/classify")));
}

void TestServe::badJsonAndUnknownPath()
{
    const Answer bad = call(m_net, m_port, QStringLiteral("/v1/classify"), "{\"text\": ");
    QCOMPARE(bad.status, 400);
    QVERIFY(errorMessage(bad).contains(QStringLiteral("not valid JSON")));
    QCOMPARE(
        bad.body.value(QLatin1String("error")).toObject().value(QLatin1String("type")).toString(),
        QStringLiteral("invalid_request_error"));
    const Answer array = call(m_net, m_port, QStringLiteral("/v1/classify"), "[1]");
    QCOMPARE(array.status, 400);
    const Answer unknown = call(m_net, m_port, QStringLiteral("/v2/nothing"), "{}");
    QCOMPARE(unknown.status, 404);
    QVERIFY(errorMessage(unknown).contains(QStringLiteral("/v2/nothing")));
}

void TestServe::oversizedBody()
{
    const QByteArray big = json({{"text", QString(QStringLiteral("apple ")).repeated(2000)}});
    const Answer a = call(m_net, m_port, QStringLiteral("/v1/classify"), big);
    QCOMPARE(a.status, 413);
    QVERIFY(errorMessage(a).contains(QStringLiteral("at most 4096")));
    QCOMPARE(call(m_net, m_port, QStringLiteral("/health"), {}, {}, true).status, 200);
}

void TestServe::tokenRequired()
{
    ServerOptions o;
    o.port = 0;
    o.token = QStringLiteral("s3cret");
    InferenceServer server(m_classifier, o);
    const quint16 port = server.start();
    const QByteArray body = json({{"text", "apple"}});
    QCOMPARE(call(m_net, port, QStringLiteral("/v1/classify"), body).status, 401);
    const Answer wrong = call(m_net, port, QStringLiteral("/v1/classify"), body, "nope");
    QCOMPARE(wrong.status, 401);
    QVERIFY(errorMessage(wrong).contains(QStringLiteral("Bearer")));
    QCOMPARE(call(m_net, port, QStringLiteral("/v1/classify"), body, "s3cret").status, 200);
}

void TestServe::fiftyConcurrentClients()
{
    // 50 clients, each its own connection manager, all sent before any answer is read; a mix of
    // good, malformed and unauthenticated requests must all be answered correctly.
    std::vector<std::unique_ptr<QNetworkAccessManager>> clients;
    std::vector<QNetworkReply*> replies;
    const auto want = m_classifier.classifier->classify({QStringLiteral("lemon and mango")});
    for (int i = 0; i < 50; ++i) {
        clients.push_back(std::make_unique<QNetworkAccessManager>());
        QNetworkRequest r(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/classify").arg(m_port)));
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        replies.push_back(clients.back()->post(
            r, i % 10 == 9 ? QByteArray("{oops") : json({{"text", "lemon and mango"}})));
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.begin(), replies.end(),
                                         [](QNetworkReply* r) { return r->isFinished(); }),
                             120000);
    int ok = 0, rejected = 0;
    for (QNetworkReply* r : replies) {
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject body = QJsonDocument::fromJson(r->readAll()).object();
        if (status == 200) {
            ++ok;
            QCOMPARE(body.value(QLatin1String("predictions"))
                         .toArray()[0]
                         .toObject()
                         .value(QLatin1String("label"))
                         .toString(),
                     want[0].label);
        } else {
            QCOMPARE(status, 400);
            ++rejected;
        }
        r->deleteLater();
    }
    QCOMPARE(ok, 45);
    QCOMPARE(rejected, 5);
    QCOMPARE(call(m_net, m_port, QStringLiteral("/health"), {}, {}, true).status, 200);
}

void TestServe::generateAndChat()
{
    ServerOptions o;
    o.port = 0;
    InferenceServer server(m_generator, o);
    const quint16 port = server.start();
    GenerateRequest direct;
    direct.prompt = QStringLiteral("the car is");
    direct.maxNewTokens = 8;
    const GenerateReply want = m_generator.generator->generate(direct);
    const Answer g = call(m_net, port, QStringLiteral("/v1/generate"),
                          json({{"prompt", "the car is"}, {"max_new_tokens", 8}}));
    QCOMPARE(g.status, 200);
    QCOMPARE(g.body.value(QLatin1String("text")).toString(), want.text);
    QCOMPARE(g.body.value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("completion_tokens"))
                 .toInt(),
             int(want.tokens.size()));

    GenerateRequest chat;
    chat.messages = {{QStringLiteral("user"), QStringLiteral("name a fruit")}};
    chat.maxNewTokens = 6;
    const GenerateReply wantChat = m_generator.generator->generate(chat);
    const QJsonObject request{
        {"model", "tiny"},
        {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "name a fruit"}}}},
        {"max_tokens", 6}};
    const Answer c = call(m_net, port, QStringLiteral("/v1/chat/completions"), json(request));
    QCOMPARE(c.status, 200);
    QCOMPARE(c.body.value(QLatin1String("object")).toString(), QStringLiteral("chat.completion"));
    QCOMPARE(c.body.value(QLatin1String("model")).toString(), QStringLiteral("tiny"));
    const QJsonObject choice = c.body.value(QLatin1String("choices")).toArray()[0].toObject();
    QCOMPARE(
        choice.value(QLatin1String("message")).toObject().value(QLatin1String("role")).toString(),
        QStringLiteral("assistant"));
    QCOMPARE(choice.value(QLatin1String("message"))
                 .toObject()
                 .value(QLatin1String("content"))
                 .toString(),
             wantChat.text);
    QCOMPARE(choice.value(QLatin1String("finish_reason")).toString(), QStringLiteral("length"));
    QCOMPARE(c.body.value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("prompt_tokens"))
                 .toInt(),
             wantChat.promptTokens);
    QCOMPARE(call(m_net, port, QStringLiteral("/v1/classify"), json({{"text", "a"}})).status, 400);
}

namespace {

struct Streamed
{
    int status = 0;
    QByteArray contentType;
    QList<QByteArray> events; // each "data: " payload, in order
};

// The content deltas of a streamed chat answer, joined (the last event is "[DONE]").
QString streamedChatText(const Streamed& s)
{
    QString text;
    for (qsizetype i = 0; i + 1 < s.events.size(); ++i)
        text += QJsonDocument::fromJson(s.events[i]).object().value(QLatin1String("choices")).toArray()[0]
                    .toObject().value(QLatin1String("delta")).toObject().value(QLatin1String("content")).toString();
    return text;
}

Streamed callStreaming(QNetworkAccessManager& net, quint16 port, const QString& path, const QByteArray& body)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply* reply = net.post(request, body);
    Streamed s;
    QByteArray all;
    QObject::connect(reply, &QNetworkReply::readyRead, reply, [&] { all += reply->readAll(); });
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(60000);
    all += reply->readAll();
    s.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    s.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    for (const QByteArray& block : all.split('\n'))
        if (block.startsWith("data: "))
            s.events << block.mid(6);
    reply->deleteLater();
    return s;
}

} // namespace

void TestServe::chatStreams()
{
    ServerOptions o;
    o.port = 0;
    InferenceServer server(m_generator, o);
    const quint16 port = server.start();

    // The pieces, joined, are the answer the model gives without streaming.
    GenerateRequest chat;
    chat.messages = {{QStringLiteral("user"), QStringLiteral("name a fruit")}};
    chat.maxNewTokens = 10;
    const GenerateReply want = m_generator.generator->generate(chat);
    const QJsonObject request{
        {"model", "tiny"},
        {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "name a fruit"}}}},
        {"max_tokens", 10},
        {"stream", true}};
    const Streamed s = callStreaming(m_net, port, QStringLiteral("/v1/chat/completions"), json(request));
    QCOMPARE(s.status, 200);
    QCOMPARE(s.contentType, QByteArray("text/event-stream"));
    QVERIFY2(s.events.size() >= 3, qPrintable(QString::number(s.events.size())));
    QCOMPARE(s.events.last(), QByteArray("[DONE]"));
    QString finish;
    for (qsizetype i = 0; i + 1 < s.events.size(); ++i) {
        const QJsonObject e = QJsonDocument::fromJson(s.events[i]).object();
        QCOMPARE(e.value(QLatin1String("object")).toString(), QStringLiteral("chat.completion.chunk"));
        QCOMPARE(e.value(QLatin1String("model")).toString(), QStringLiteral("tiny"));
        const QJsonObject choice = e.value(QLatin1String("choices")).toArray()[0].toObject();
        if (i == 0)
            QCOMPARE(choice.value(QLatin1String("delta")).toObject().value(QLatin1String("role")).toString(),
                     QStringLiteral("assistant"));
        if (!choice.value(QLatin1String("finish_reason")).isNull())
            finish = choice.value(QLatin1String("finish_reason")).toString();
    }
    QCOMPARE(streamedChatText(s), want.text);
    QCOMPARE(finish, want.finishReason);
    QVERIFY(!want.text.isEmpty());
    const QJsonObject usage = QJsonDocument::fromJson(s.events[s.events.size() - 2]).object()
                                  .value(QLatin1String("usage")).toObject();
    QCOMPARE(usage.value(QLatin1String("completion_tokens")).toInt(), int(want.tokens.size()));

    // A stop string: the streamed pieces hold back what could start it, so they join to exactly
    // the reply that ends before it (nothing of the stop string is ever sent).
    QVERIFY(want.text.size() >= 6);
    const QString stopAt = want.text.mid(3, 2);
    GenerateRequest stopped = chat;
    stopped.stop = {stopAt};
    const QString wantStopped = m_generator.generator->generate(stopped).text;
    QCOMPARE(wantStopped, want.text.left(want.text.indexOf(stopAt)));
    QJsonObject withStop = request;
    withStop.insert("stop", stopAt);
    const Streamed st = callStreaming(m_net, port, QStringLiteral("/v1/chat/completions"), json(withStop));
    QCOMPARE(streamedChatText(st), wantStopped);

    // On the wire: HTTP/1.1 chunks, one or more per event, the last of length 0.
    // The server answers on this thread: wait with the event loop running, not blocking it.
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, port);
    QTRY_VERIFY_WITH_TIMEOUT(raw.state() == QAbstractSocket::ConnectedState, 10000);
    const QByteArray body = json(request);
    raw.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray wire;
    QTRY_VERIFY_WITH_TIMEOUT((wire += raw.readAll()).endsWith("\r\n0\r\n\r\n"), 30000);
    const qsizetype headerEnd = wire.indexOf("\r\n\r\n");
    QVERIFY(headerEnd > 0);
    QVERIFY(wire.left(headerEnd).toLower().contains("transfer-encoding: chunked"));
    QByteArray rest = wire.mid(headerEnd + 4), dechunked;
    int chunks = 0;
    for (;;) {
        const qsizetype eol = rest.indexOf("\r\n");
        QVERIFY(eol > 0);
        bool ok = false;
        const qsizetype size = rest.left(eol).toLongLong(&ok, 16);
        QVERIFY(ok);
        if (size == 0)
            break;
        dechunked += rest.mid(eol + 2, size);
        QCOMPARE(rest.mid(eol + 2 + size, 2), QByteArray("\r\n"));
        rest = rest.mid(eol + 4 + size);
        ++chunks;
    }
    QVERIFY2(chunks >= 3, qPrintable(QString::number(chunks))); // the role, each piece, the end: one chunk each
    QVERIFY(dechunked.startsWith("data: {") && dechunked.endsWith("data: [DONE]\n\n"));

    // /v1/generate streams {"text": piece} events.
    GenerateRequest plain;
    plain.prompt = QStringLiteral("the car is");
    plain.maxNewTokens = 8;
    const Streamed g = callStreaming(m_net, port, QStringLiteral("/v1/generate"),
                                     json({{"prompt", "the car is"}, {"max_new_tokens", 8}, {"stream", true}}));
    QCOMPARE(g.status, 200);
    QString text;
    for (qsizetype i = 0; i + 1 < g.events.size(); ++i)
        text += QJsonDocument::fromJson(g.events[i]).object().value(QLatin1String("text")).toString();
    QCOMPARE(text, m_generator.generator->generate(plain).text);

    // A bad streamed request is refused as an ordinary JSON error before anything streams.
    const Answer bad = call(m_net, port, QStringLiteral("/v1/chat/completions"),
                            json({{"messages", QJsonArray{}}, {"stream", true}}));
    QCOMPARE(bad.status, 400);
    QVERIFY(errorMessage(bad).contains(QStringLiteral("messages")));
    const Answer badFlag = call(m_net, port, QStringLiteral("/v1/chat/completions"),
                                json({{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "a"}}}},
                                      {"stream", "yes"}}));
    QCOMPARE(badFlag.status, 400);
    QVERIFY(errorMessage(badFlag).contains(QStringLiteral("true or false")));

    // The server keeps answering after streams (the connection is reusable).
    QCOMPARE(call(m_net, port, QStringLiteral("/health"), {}, {}, true).status, 200);
}

void TestServe::generateLimits()
{
    ServerOptions o;
    o.port = 0;
    o.maxNewTokens = 16;
    InferenceServer server(m_generator, o);
    const quint16 port = server.start();
    const Answer tooMany = call(m_net, port, QStringLiteral("/v1/generate"),
                                json({{"prompt", "the car"}, {"max_new_tokens", 17}}));
    QCOMPARE(tooMany.status, 400);
    QVERIFY(errorMessage(tooMany).contains(QStringLiteral("from 1 to 16")));
    const Answer longPrompt =
        call(m_net, port, QStringLiteral("/v1/generate"),
             json({{"prompt", QString(QStringLiteral("car ")).repeated(80)}}));
    QCOMPARE(longPrompt.status, 400);
    QVERIFY(errorMessage(longPrompt).contains(QStringLiteral("at most 64")));
    const Answer noMessages = call(m_net, port, QStringLiteral("/v1/chat/completions"),
                                   json({{"messages", QJsonArray()}}));
    QCOMPARE(noMessages.status, 400);
    const Answer badRole =
        call(m_net, port, QStringLiteral("/v1/chat/completions"),
             json({{"messages", QJsonArray{QJsonObject{{"role", "robot"}, {"content", "x"}}}}}));
    QCOMPARE(badRole.status, 400);
    QVERIFY(!errorMessage(badRole).isEmpty());
}

void TestServe::portInUse()
{
    ServerOptions o;
    o.port = m_port;
    InferenceServer second(m_classifier, o);
    QVERIFY(test::errorOf([&] { second.start(); }).contains(QStringLiteral("Choose another port")));
    QVERIFY(!second.isRunning());
}

FTS_TEST_SUITE(TestServe)
#include "tst_serve.moc"
