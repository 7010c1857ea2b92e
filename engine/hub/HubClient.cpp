// Hub downloads with QNetworkAccessManager driven by a local event loop on the calling thread
// (the engine thread), so the job API stays synchronous and cancellable.
#include "hub/HubClient.h"

#include "Error.h"

#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>
#include <QUrl>

namespace fts {
namespace {

// How often the local event loop looks at the cancel flag: well inside the 1 s promise.
constexpr int kCancelPollMs = 100;

const QStringList kWantedFiles = {
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer.model",
    "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.txt",
    "vocab.json", "merges.txt", "model.safetensors", "model.safetensors.index.json",
    "adapter_config.json", "adapter_model.safetensors", "README.md", "LICENSE", "LICENSE.txt"};
const QRegularExpression kShard(QStringLiteral("^model-\\d+-of-\\d+\\.safetensors$"));
const QRegularExpression kPickle(QStringLiteral("\\.(bin|pt|pth|ckpt|pkl)$"));

bool isOffline(QNetworkReply::NetworkError e)
{
    return e == QNetworkReply::HostNotFoundError || e == QNetworkReply::ConnectionRefusedError ||
           e == QNetworkReply::NetworkSessionFailedError || e == QNetworkReply::UnknownNetworkError ||
           e == QNetworkReply::ProxyConnectionRefusedError || e == QNetworkReply::ProxyNotFoundError;
}

bool isTransient(QNetworkReply::NetworkError e)
{
    return e == QNetworkReply::RemoteHostClosedError || e == QNetworkReply::TimeoutError ||
           e == QNetworkReply::TemporaryNetworkFailureError || e == QNetworkReply::OperationCanceledError ||
           e == QNetworkReply::ProxyTimeoutError || e == QNetworkReply::UnknownServerError ||
           e == QNetworkReply::ServiceUnavailableError || e == QNetworkReply::InternalServerError;
}

QString offlineMessage(const QString& endpoint, const QString& detail)
{
    return QStringLiteral("Could not reach %1 (%2). This computer seems to be offline, or it needs a "
                          "proxy: set one in the download settings. You can also copy the model "
                          "folder from a computer that has it and open it as a folder.")
        .arg(QUrl(endpoint).host(), detail);
}

QString sha256Of(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&f);
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace

// One HTTP exchange run to completion in a local event loop, with stall timeout and cancel polling.
struct HubClient::Transfer
{
    QNetworkReply* reply = nullptr;
    bool stalled = false;
    bool cancelled = false;

    void run(QNetworkReply* r, int timeoutMs, JobContext* ctx)
    {
        reply = r;
        QEventLoop loop;
        QTimer stall;
        stall.setSingleShot(true);
        stall.setInterval(timeoutMs);
        QTimer poll;
        poll.setInterval(kCancelPollMs);
        QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QObject::connect(r, &QNetworkReply::downloadProgress, &stall, qOverload<>(&QTimer::start));
        QObject::connect(&stall, &QTimer::timeout, r, [this, r] {
            stalled = true;
            r->abort();
        });
        QObject::connect(&poll, &QTimer::timeout, r, [this, r, ctx] {
            if (ctx && ctx->isCancelled()) {
                cancelled = true;
                r->abort();
            }
        });
        stall.start();
        poll.start();
        if (!r->isFinished())
            loop.exec();
    }
};

HubClient::HubClient(HubOptions options) : m_options(std::move(options)) {}

QNetworkRequest HubClient::makeRequest(const QString& url) const
{
    QNetworkRequest request{QUrl(url)};
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("FinetuneStudio/%1").arg(FTS_VERSION));
    if (!m_options.token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_options.token.toUtf8());
    return request;
}

bool HubClient::isValidModelId(const QString& id)
{
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$"));
    return re.match(id).hasMatch() && !id.contains(QLatin1String(".."));
}

QByteArray HubClient::getSmall(const QString& url, const QString& what, JobContext* ctx)
{
    QNetworkAccessManager nam;
    nam.setProxy(m_options.proxy);
    QNetworkRequest request = makeRequest(url);
    Transfer t;
    QNetworkReply* reply = nam.get(request);
    t.run(reply, m_options.timeoutMs, ctx);
    reply->deleteLater();
    if (t.cancelled)
        throw Cancelled();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 401 || status == 403)
        throw Error(QStringLiteral("%1 needs permission (HTTP %2): the model is gated or private. Accept "
                                   "its licence on the Hub and enter an access token.").arg(what).arg(status));
    if (status == 404)
        throw Error(QStringLiteral("%1 was not found (HTTP 404). Check the model id and revision.").arg(what));
    if (reply->error() != QNetworkReply::NoError) {
        if (isOffline(reply->error()) || t.stalled)
            throw Error(offlineMessage(m_options.endpoint, reply->errorString()));
        throw Error(QStringLiteral("Could not get %1: %2").arg(what, reply->errorString()));
    }
    return reply->readAll();
}

QList<HubFile> HubClient::listFiles(const QString& modelId, JobContext* ctx)
{
    if (!isValidModelId(modelId))
        throw Error(QStringLiteral("'%1' is not a Hub model id; it looks like 'owner/name', for "
                                   "example 'distilbert-base-uncased' or 'Qwen/Qwen2.5-0.5B-Instruct'.")
                        .arg(modelId));
    const QString url = QStringLiteral("%1/api/models/%2/revision/%3?blobs=true")
                            .arg(m_options.endpoint, modelId, m_options.revision);
    const QByteArray body = getSmall(url, QStringLiteral("The model '%1'").arg(modelId), ctx);
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject() || !doc.object().value(QLatin1String("siblings")).isArray())
        throw Error(QStringLiteral("The Hub's answer about '%1' was not understood (no file list).").arg(modelId));
    QList<HubFile> files;
    for (const QJsonValue& v : doc.object().value(QLatin1String("siblings")).toArray()) {
        const QJsonObject o = v.toObject();
        HubFile f;
        f.name = o.value(QLatin1String("rfilename")).toString();
        const QJsonObject lfs = o.value(QLatin1String("lfs")).toObject();
        f.size = qint64(o.value(QLatin1String("size")).toDouble(lfs.value(QLatin1String("size")).toDouble(-1)));
        f.sha256 = lfs.value(QLatin1String("sha256")).toString().toLower();
        if (!f.name.isEmpty())
            files << f;
    }
    return files;
}

QList<HubFile> HubClient::neededFiles(const QString& modelId, const QList<HubFile>& all)
{
    QList<HubFile> out;
    bool hasSafetensors = false, hasPickle = false;
    for (const HubFile& f : all) {
        if (f.name.contains('/'))
            continue; // subfolders hold other formats (onnx, gguf...) the studio does not need
        if (kWantedFiles.contains(f.name) || kShard.match(f.name).hasMatch()) {
            out << f;
            hasSafetensors = hasSafetensors || f.name.endsWith(QLatin1String(".safetensors"));
        }
        hasPickle = hasPickle || kPickle.match(f.name).hasMatch();
    }
    if (!hasSafetensors && hasPickle)
        throw Error(QStringLiteral("'%1' publishes its weights only as pickle files (.bin/.pt). The studio "
                                   "never loads those: a pickle can run any code on this computer. "
                                   "Choose a model with safetensors weights, or convert it to safetensors.")
                        .arg(modelId));
    if (!hasSafetensors)
        throw Error(QStringLiteral("'%1' has no model weights the studio can use (model.safetensors).").arg(modelId));
    return out;
}

void HubClient::downloadModel(const QString& modelId, const QString& targetDir, JobContext* ctx)
{
    const QList<HubFile> files = neededFiles(modelId, listFiles(modelId, ctx));
    if (!QDir().mkpath(targetDir))
        throw Error(QStringLiteral("Could not create the folder %1.").arg(QDir::toNativeSeparators(targetDir)));
    qint64 total = 0;
    for (const HubFile& f : files)
        total += std::max<qint64>(0, f.size);
    qint64 done = 0;
    for (const HubFile& f : files) {
        const QString dest = QDir(targetDir).filePath(f.name);
        const bool complete = QFileInfo::exists(dest) && (f.size < 0 || QFileInfo(dest).size() == f.size) &&
                              (f.sha256.isEmpty() || sha256Of(dest) == f.sha256);
        if (!complete)
            downloadFile(modelId, f, dest, done, total, ctx);
        done += std::max<qint64>(0, f.size);
        if (ctx)
            ctx->progress(done, total, QStringLiteral("Downloading %1").arg(modelId));
    }
}

void HubClient::downloadFile(const QString& modelId, const HubFile& file, const QString& dest,
                             qint64 doneBefore, qint64 grandTotal, JobContext* ctx)
{
    const QString url = QStringLiteral("%1/%2/resolve/%3/%4")
                            .arg(m_options.endpoint, modelId, m_options.revision, file.name);
    const QString part = dest + QStringLiteral(".part");
    QString lastError;
    bool finished = false;
    for (int attempt = 0; attempt < m_options.maxAttempts && !finished; ++attempt)
        finished = attemptFile(url, part, file, doneBefore, grandTotal, ctx, &lastError);
    if (!finished)
        throw Error(QStringLiteral("Downloading %1 failed %2 times (%3). What arrived is kept; run the "
                                   "download again to resume.")
                        .arg(file.name)
                        .arg(m_options.maxAttempts)
                        .arg(lastError));
    const qint64 size = QFileInfo(part).size();
    if (file.size >= 0 && size != file.size) {
        QFile::remove(part);
        throw Error(QStringLiteral("%1 arrived with %2 bytes instead of %3; it was deleted. Try again.")
                        .arg(file.name).arg(size).arg(file.size));
    }
    if (!file.sha256.isEmpty()) {
        const QString actual = sha256Of(part);
        if (actual != file.sha256) {
            QFile::remove(part);
            throw Error(QStringLiteral("%1 is corrupted: its SHA-256 is %2 but the Hub lists %3. The "
                                       "file was deleted; download it again.")
                            .arg(file.name, actual, file.sha256));
        }
    }
    QFile::remove(dest);
    if (!QFile::rename(part, dest))
        throw Error(QStringLiteral("Could not move the downloaded %1 into place.").arg(file.name));
}

bool HubClient::attemptFile(const QString& url, const QString& partPath, const HubFile& file,
                            qint64 doneBefore, qint64 grandTotal, JobContext* ctx, QString* transientError)
{
    QFile out(partPath);
    if (!out.open(QIODevice::ReadWrite))
        throw Error(QStringLiteral("Could not write %1: %2").arg(partPath, out.errorString()));
    qint64 have = out.size();
    if (file.size >= 0 && have == file.size)
        return true; // a previous attempt got everything
    if (file.size >= 0 && have > file.size) {
        out.resize(0);
        have = 0;
    }
    out.seek(have);

    QNetworkAccessManager nam;
    nam.setProxy(m_options.proxy);
    QNetworkRequest request = makeRequest(url);
    if (have > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(have) + "-");
    QNetworkReply* reply = nam.get(request);
    bool statusChecked = false;
    QString fatal;
    QObject::connect(reply, &QNetworkReply::readyRead, reply, [&] {
        if (!statusChecked) {
            statusChecked = true;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status == 200 && have > 0) { // the server ignored the range: start over
                out.resize(0);
                out.seek(0);
                have = 0;
            } else if (status != 200 && status != 206) {
                fatal = QStringLiteral("HTTP %1").arg(status);
                reply->abort();
                return;
            }
        }
        out.write(reply->readAll());
        if (ctx)
            ctx->progress(doneBefore + out.pos(), grandTotal, QStringLiteral("Downloading %1").arg(file.name));
    });
    Transfer t;
    t.run(reply, m_options.timeoutMs, ctx);
    reply->deleteLater();
    if (fatal.isEmpty())
        out.write(reply->readAll());
    out.close();
    if (t.cancelled)
        throw Cancelled();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (fatal.isEmpty() && status >= 400)
        fatal = QStringLiteral("HTTP %1").arg(status);
    if (!fatal.isEmpty())
        throw Error(QStringLiteral("The Hub refused %1 (%2).").arg(file.name, fatal));
    const QNetworkReply::NetworkError e = reply->error();
    if (e != QNetworkReply::NoError && !t.stalled && isOffline(e))
        throw Error(offlineMessage(m_options.endpoint, reply->errorString()));
    if (e != QNetworkReply::NoError && !t.stalled && !isTransient(e))
        throw Error(QStringLiteral("Could not download %1: %2").arg(file.name, reply->errorString()));
    if (e != QNetworkReply::NoError || (file.size >= 0 && QFileInfo(partPath).size() < file.size)) {
        *transientError = t.stalled ? QStringLiteral("the connection stalled") : reply->errorString();
        if (transientError->isEmpty())
            *transientError = QStringLiteral("the connection closed early");
        return false;
    }
    return true;
}

DownloadModelJob::DownloadModelJob(QString modelId, QString targetDir, HubOptions options)
    : m_modelId(std::move(modelId)), m_targetDir(std::move(targetDir)), m_options(std::move(options))
{
}

QString DownloadModelJob::title() const
{
    return QStringLiteral("Downloading %1").arg(m_modelId);
}

void DownloadModelJob::run(JobContext& ctx)
{
    HubClient(m_options).downloadModel(m_modelId, m_targetDir, &ctx);
}

QString DownloadModelJob::summary() const
{
    return QStringLiteral("Downloaded %1 into %2.").arg(m_modelId, QDir::toNativeSeparators(m_targetDir));
}

} // namespace fts
