// ftstudio-cli verbs on models: models (catalog and recent), download (from the Hub or a mirror).
#include "CliCommon.h"

#include "hub/BundledModels.h"
#include "hub/HubClient.h"
#include "hub/ModelCatalog.h"
#include "hub/ModelStore.h"
#include "jobs/JobRunner.h"
#include "models/ModelInspect.h"

#include <QDir>
#include <QJsonArray>
#include <QUrl>

namespace fts::cli {
namespace {
}

int cmdModels(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addOption(kJson);
    parseOrThrow(parser, args, QStringLiteral("models"),
                 QStringLiteral("Recommended models (download with 'ftstudio-cli download ID') and "
                                "model folders used recently."));
    positionals(parser, {});
    const QList<CatalogEntry> catalog = modelCatalog();
    const QStringList recent = recentModels();
    const QStringList bundled = bundledModels();
    if (parser.isSet(kJson)) {
        QJsonArray entries;
        for (const CatalogEntry& e : catalog)
            entries.append(QJsonObject{{"id", e.hubId}, {"task", e.task}, {"family", e.family},
                                       {"parameters", double(e.parameters)}, {"licence", e.licence},
                                       {"good_for", e.goodFor}, {"local_dir", localDirForHubId(e.hubId)}});
        printJson({{"catalog", entries}, {"recent", QJsonArray::fromStringList(recent)},
                   {"bundled", QJsonArray::fromStringList(bundled)},
                   {"models_dir", modelsDir()}});
        return 0;
    }
    printLine(QStringLiteral("Bundled models (work offline):"));
    if (bundled.isEmpty())
        printLine(QStringLiteral("  none installed"));
    for (const QString& m : bundled)
        printLine(QStringLiteral("  %1").arg(QDir::toNativeSeparators(m)));
    printLine(QStringLiteral("Recommended models (download with: ftstudio-cli download ID)"));
    for (const CatalogEntry& e : catalog)
        printLine(QStringLiteral("  %1  %2  %3M params  %4  %5  — %6")
                      .arg(e.hubId, -38)
                      .arg(e.task, -14)
                      .arg(e.parameters / 1'000'000, 4)
                      .arg(e.family, -10)
                      .arg(e.licence, -10)
                      .arg(e.goodFor));
    printLine(QStringLiteral("Recently used model folders:"));
    if (recent.isEmpty())
        printLine(QStringLiteral("  none yet"));
    for (const QString& r : recent)
        printLine(QStringLiteral("  ") + r);
    return 0;
}

int cmdInspect(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("MODEL_DIR"), QStringLiteral("A Hugging Face model folder."));
    parser.addOption(kJson);
    parseOrThrow(parser, args, QStringLiteral("inspect"),
                 QStringLiteral("Architecture, layer table, parameter counts and tokenizer of a model folder "
                                "(reads only headers: instant even for large models)."));
    const ModelInspection m = inspectModelFolder(positionals(parser, {"MODEL_DIR"})[0]);
    if (parser.isSet(kJson))
        printJson(m.toJson());
    else
        printLine(m.toText());
    return 0;
}

int cmdDownload(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("MODEL_ID"), QStringLiteral("Hub model id, e.g. distilbert-base-uncased."));
    const QCommandLineOption dir(QStringLiteral("dir"), QStringLiteral("Target folder (default: the studio's models folder)."), QStringLiteral("DIR"));
    const QCommandLineOption endpoint(QStringLiteral("endpoint"), QStringLiteral("Hub address or a mirror (default https://huggingface.co)."), QStringLiteral("URL"));
    const QCommandLineOption revision(QStringLiteral("revision"), QStringLiteral("Branch, tag or commit (default main)."), QStringLiteral("REV"));
    const QCommandLineOption token(QStringLiteral("token"), QStringLiteral("Access token for gated or private models (or set HF_TOKEN)."), QStringLiteral("TOKEN"));
    const QCommandLineOption proxy(QStringLiteral("proxy"), QStringLiteral("HTTP proxy, e.g. http://proxy:3128 (default: the system's)."), QStringLiteral("URL"));
    parser.addOptions({dir, endpoint, revision, token, proxy, kJson});
    parseOrThrow(parser, args, QStringLiteral("download"),
                 QStringLiteral("Download the files a model needs (config, safetensors weights, tokenizer). "
                                "Resumes interrupted downloads; checks sizes and SHA-256."));
    const QString id = positionals(parser, {"MODEL_ID"})[0];
    HubOptions o;
    if (parser.isSet(endpoint))
        o.endpoint = parser.value(endpoint);
    if (parser.isSet(revision))
        o.revision = parser.value(revision);
    o.token = parser.isSet(token) ? parser.value(token) : qEnvironmentVariable("HF_TOKEN");
    if (parser.isSet(proxy)) {
        const QUrl u(parser.value(proxy));
        if (!u.isValid() || u.host().isEmpty() || u.port() <= 0)
            throw UsageError{QStringLiteral("--proxy must look like http://host:port")};
        o.proxy = QNetworkProxy(QNetworkProxy::HttpProxy, u.host(), quint16(u.port()), u.userName(), u.password());
    }
    const QString target = parser.isSet(dir) ? parser.value(dir) : localDirForHubId(id);
    DownloadModelJob job(id, target, o);
    const JobOutcome out = runJob(job, nullptr, terminalProgress(), {});
    if (out.status != JobStatus::Succeeded)
        throw Error(out.message);
    addRecentModel(target);
    if (parser.isSet(kJson))
        printJson({{"id", id}, {"dir", target}, {"seconds", out.seconds}});
    else
        printLine(out.message);
    return 0;
}

} // namespace fts::cli
