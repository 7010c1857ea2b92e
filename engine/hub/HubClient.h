// Downloading a model from the Hugging Face Hub (or a mirror): only the files the studio needs,
// resumable, with size and SHA-256 checks, a proxy setting and plain offline messages.
#pragma once

#include "jobs/Job.h"

#include <QNetworkProxy>
#include <QNetworkRequest>
#include <QString>
#include <QStringList>

namespace fts {

struct HubOptions
{
    QString endpoint = QStringLiteral("https://huggingface.co"); // a mirror or a test server
    QString revision = QStringLiteral("main");
    QString token;        // for gated or private models
    QNetworkProxy proxy = QNetworkProxy(QNetworkProxy::DefaultProxy);
    int timeoutMs = 30000; // no bytes for this long = a stalled connection
    int maxAttempts = 4;   // per file; each retry resumes where the last one stopped
};

struct HubFile
{
    QString name;       // path inside the repository, e.g. "model.safetensors"
    qint64 size = -1;   // -1 when the Hub did not say
    QString sha256;     // hex, for LFS files; empty when the Hub did not say
};

class HubClient
{
public:
    explicit HubClient(HubOptions options = {});

    // The repository's files with sizes and checksums (GET /api/models/<id>/revision/<rev>?blobs=true).
    QList<HubFile> listFiles(const QString& modelId, JobContext* ctx = nullptr);

    // Which files a model needs: config, safetensors weights (+ index), tokenizer and generation
    // files, adapter files. Throws fts::Error when the repository has only pickled weights.
    static QList<HubFile> neededFiles(const QString& modelId, const QList<HubFile>& all);

    // Downloads the needed files into `targetDir` (created). Files already complete are kept;
    // interrupted ones resume from their ".part". Throws fts::Error or fts::Cancelled.
    void downloadModel(const QString& modelId, const QString& targetDir, JobContext* ctx = nullptr);

    static bool isValidModelId(const QString& modelId);

private:
    struct Transfer;
    QNetworkRequest makeRequest(const QString& url) const;
    QByteArray getSmall(const QString& url, const QString& what, JobContext* ctx);
    void downloadFile(const QString& modelId, const HubFile& file, const QString& dest,
                      qint64 doneBefore, qint64 grandTotal, JobContext* ctx);
    bool attemptFile(const QString& url, const QString& partPath, const HubFile& file,
                     qint64 doneBefore, qint64 grandTotal, JobContext* ctx, QString* transientError);

    HubOptions m_options;
};

// The download as an engine-thread job.
class DownloadModelJob : public Job
{
public:
    DownloadModelJob(QString modelId, QString targetDir, HubOptions options = {});
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;

private:
    QString m_modelId;
    QString m_targetDir;
    HubOptions m_options;
};

} // namespace fts
