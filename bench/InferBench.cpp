// ftbench infer: one-sentence classifier latency (p50/p99) of the studio's TextClassifier against a
// PyTorch eager forward of the same weights (bench/python_infer.py), and requests/s of
// `ftstudio-cli serve` with sequential and concurrent clients on loopback.
#include "Benchmarks.h"

#include "Error.h"
#include "deploy/TextClassifier.h"
#include "models/SequenceClassifier.h"
#include "tokenize/TokenizerFiles.h"
#include "train/TextTokenizer.h"

#include <ATen/Parallel.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <optional>

namespace fts::bench {
namespace {

const QString kSentence =
    QStringLiteral("The delivery was late, but the soup was excellent and the staff apologised.");
const QStringList kLabels = {QStringLiteral("negative"), QStringLiteral("neutral"),
                             QStringLiteral("positive")};

struct Latency
{
    double p50 = 0, p99 = 0;
};

Latency percentiles(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, size_t(double(ms.size()) * 0.99))]};
}

// A classifier folder (new head, three sentiment labels) on the starter's weights and tokenizer.
QString classifierFolder(const QString& modelDir, const QString& out)
{
    QDir().mkpath(out);
    SequenceClassifier model = loadSequenceClassifier(modelDir, kLabels);
    saveSequenceClassifier(*model, out);
    copyTokenizerFiles(modelDir, out);
    return out;
}

std::optional<Latency> pythonLatency(const QString& dir, int reps, const QString& workDir,
                                     QString* why)
{
    QJsonArray ids;
    for (int64_t id : loadModelTokenizer(dir)->encodeForClassifier(kSentence, 512))
        ids.append(qint64(id));
    const QJsonObject job{{"model_dir", dir},
                          {"labels", QJsonArray::fromStringList(kLabels)},
                          {"ids", ids},
                          {"reps", reps},
                          {"threads", at::get_num_threads()}};
    const auto r = runPythonJob(QStringLiteral("python_infer.py"), job, workDir, why);
    if (!r)
        return std::nullopt;
    return Latency{r->value(QLatin1String("p50_ms")).toDouble(),
                   r->value(QLatin1String("p99_ms")).toDouble()};
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// `total` POST /v1/classify requests, `concurrent` in flight at a time; requests per second.
double requestsPerSecond(QNetworkAccessManager& net, const QUrl& url, int total, int concurrent)
{
    QEventLoop loop;
    int sent = 0, done = 0, failed = 0;
    QElapsedTimer clock;
    const QByteArray body = QJsonDocument(QJsonObject{{"text", kSentence}}).toJson();
    std::function<void()> send = [&] {
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        QNetworkReply* reply = net.post(request, body);
        ++sent;
        QObject::connect(reply, &QNetworkReply::finished, &loop, [&, reply] {
            failed += reply->error() != QNetworkReply::NoError;
            reply->deleteLater();
            if (++done == total)
                loop.quit();
            else if (sent < total)
                send();
        });
    };
    clock.start();
    for (int i = 0; i < concurrent && sent < total; ++i)
        send();
    loop.exec();
    if (failed > 0)
        throw Error(QStringLiteral("%1 of %2 requests to the server failed").arg(failed).arg(total));
    return total / (double(clock.nsecsElapsed()) / 1e9);
}

} // namespace

void inferBench(bool smoke)
{
    QTemporaryDir dir;
    const QString starter = QStringLiteral(FTS_SOURCE_DIR "/resources/models/starter-encoder");
    const QString folder = classifierFolder(starter, dir.filePath(QStringLiteral("classifier")));
    const int reps = smoke ? 20 : 300;
    const int threads = at::get_num_threads();

    // 8. Latency of one sentence, the way the Deploy page's "Try it" and `predict` call it.
    const auto classifier = TextClassifier::loadFolder(folder);
    for (int i = 0; i < 10; ++i)
        classifier->classify({kSentence});
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        QElapsedTimer t;
        t.start();
        classifier->classify({kSentence});
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const Latency studio = percentiles(ms);
    QString why;
    const auto py = pythonLatency(folder, reps, dir.path(), &why);
    row(QStringLiteral("classify one sentence, starter-encoder, %1 threads").arg(threads),
        QStringLiteral("p50 %1 ms, p99 %2 ms (tokenize + forward + softmax)")
            .arg(studio.p50, 0, 'f', 2)
            .arg(studio.p99, 0, 'f', 2),
        py ? QStringLiteral("PyTorch eager forward (ids given, no tokenizer) p50 %1 ms, p99 %2 ms; "
                            "p50 ratio %3x")
                 .arg(py->p50, 0, 'f', 2)
                 .arg(py->p99, 0, 'f', 2)
                 .arg(py->p50 / studio.p50, 0, 'f', 2)
           : QStringLiteral("PyTorch not measured: %1").arg(why));

    // 8. The local server as users run it: a separate `ftstudio-cli serve` process on loopback.
    const quint16 port = freePort();
    QProcess server;
    server.start(QCoreApplication::applicationDirPath() + QStringLiteral("/ftstudio-cli"),
                 {QStringLiteral("serve"), folder, QStringLiteral("--port"), QString::number(port)});
    if (!server.waitForStarted(10000))
        throw Error(QStringLiteral("could not start ftstudio-cli serve (build it first)"));
    QNetworkAccessManager net;
    const QString base = QStringLiteral("http://127.0.0.1:%1").arg(port);
    bool up = false;
    for (int i = 0; i < 300 && !up; ++i) {
        QEventLoop loop;
        QNetworkReply* reply = net.get(QNetworkRequest(QUrl(base + QStringLiteral("/health"))));
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        up = reply->error() == QNetworkReply::NoError;
        reply->deleteLater();
        if (!up)
            QThread::msleep(100);
    }
    if (!up) {
        server.kill();
        server.waitForFinished();
        throw Error(QStringLiteral("ftstudio-cli serve did not answer /health within 30 s: %1")
                        .arg(QString::fromUtf8(server.readAllStandardError()).trimmed()));
    }
    const QUrl url(base + QStringLiteral("/v1/classify"));
    const int total = smoke ? 20 : 400;
    requestsPerSecond(net, url, smoke ? 4 : 20, 1); // warm-up: connections, kernels
    const double one = requestsPerSecond(net, url, total, 1);
    const double four = requestsPerSecond(net, url, total, 4);
    server.terminate();
    if (!server.waitForFinished(10000))
        server.kill();
    row(QStringLiteral("local server, POST /v1/classify one sentence, starter-encoder"),
        QStringLiteral("%1 requests/s with 4 concurrent clients").arg(four, 0, 'f', 1),
        QStringLiteral("%1 requests/s with one client at a time (%2 requests each, clients in "
                       "ftbench, server 2 inference threads)")
            .arg(one, 0, 'f', 1)
            .arg(total));
}

} // namespace fts::bench
