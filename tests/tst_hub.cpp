// Hub downloads against a loopback imitation of the Hub: file selection, redirects, resume after a
// dropped connection, checksum and size checks, offline and permission messages, cancel.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "FakeHub.h"
#include "hub/BundledModels.h"
#include "hub/HubClient.h"
#include "project/Project.h"
#include "train/Hyperparameters.h"
#include "project/SampleProject.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace fts;

namespace {
QByteArray pattern(int n, char seed)
{
    QByteArray b(n, Qt::Uninitialized);
    for (int i = 0; i < n; ++i)
        b[i] = char((i * 31 + seed) & 0xFF);
    return b;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

using test::errorOf;
} // namespace

class TestHub : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void downloadsOnlyNeededFiles();
    void resumesAfterDroppedConnection();
    void wrongChecksumIsRejected();
    void offlineMessage();
    void pickleOnlyRepositoryIsRefused();
    void unknownAndGatedModels();
    void invalidModelId();
    void stalledTransferIsCancelledQuickly();
    void completedFilesAreNotFetchedAgain();
    void bundledModelsAndTheSampleProject();

private:
    HubOptions options() const
    {
        HubOptions o;
        o.endpoint = m_hub->endpoint();
        o.proxy = QNetworkProxy(QNetworkProxy::NoProxy);
        o.timeoutMs = 2000;
        return o;
    }
    std::unique_ptr<test::FakeHub> m_hub;
    QTemporaryDir m_dir;
    int m_case = 0;
    QString target() const { return m_dir.filePath(QStringLiteral("model%1").arg(m_case)); }
};

void TestHub::init()
{
    ++m_case;
    m_hub = std::make_unique<test::FakeHub>();
    test::FakeHub::Repo repo;
    repo.files["config.json"] = R"({"model_type":"bert"})";
    repo.files["vocab.txt"] = "[PAD]\n[UNK]\nhello\n";
    repo.files["model.safetensors"] = pattern(300000, 7);
    repo.files["pytorch_model.bin"] = pattern(1000, 1);
    repo.files["onnx/model.onnx"] = pattern(1000, 2);
    repo.files["training_args.bin"] = pattern(10, 3);
    repo.lfs = {"model.safetensors"};
    m_hub->repos["org/tiny-bert"] = repo;
}

void TestHub::downloadsOnlyNeededFiles()
{
    HubClient(options()).downloadModel("org/tiny-bert", target());
    QDir d(target());
    QCOMPARE(d.entryList(QDir::Files), (QStringList{"config.json", "model.safetensors", "vocab.txt"}));
    QCOMPARE(readAll(d.filePath("model.safetensors")), m_hub->repos["org/tiny-bert"].files["model.safetensors"]);
    QVERIFY(m_hub->requests.contains("GET /org/tiny-bert/resolve/main/model.safetensors"));
    QVERIFY(m_hub->requests.contains("GET /cdn/org/tiny-bert/model.safetensors")); // followed the redirect
}

void TestHub::resumesAfterDroppedConnection()
{
    m_hub->dropOnce = {"/cdn/org/tiny-bert/model.safetensors"};
    int progressEvents = 0;
    JobContext ctx(nullptr, [&](const JobProgress&) { ++progressEvents; });
    HubClient(options()).downloadModel("org/tiny-bert", target(), &ctx);
    QCOMPARE(readAll(QDir(target()).filePath("model.safetensors")),
             m_hub->repos["org/tiny-bert"].files["model.safetensors"]);
    QVERIFY(m_hub->requests.contains("GET /cdn/org/tiny-bert/model.safetensors range=150000"));
    QVERIFY(!QFile::exists(QDir(target()).filePath("model.safetensors.part")));
    QVERIFY(progressEvents > 0);
}

void TestHub::wrongChecksumIsRejected()
{
    m_hub->repos["org/tiny-bert"].wrongSha = {"model.safetensors"};
    const QString e = errorOf([&] { HubClient(options()).downloadModel("org/tiny-bert", target()); });
    QVERIFY2(e.contains("model.safetensors is corrupted") && e.contains("SHA-256"), qPrintable(e));
    QVERIFY(!QFile::exists(QDir(target()).filePath("model.safetensors")));
    QVERIFY(!QFile::exists(QDir(target()).filePath("model.safetensors.part")));
}

void TestHub::offlineMessage()
{
    HubOptions o = options();
    o.endpoint = "http://127.0.0.1:1"; // nothing listens there
    const QString e = errorOf([&] { HubClient(o).listFiles("org/tiny-bert"); });
    QVERIFY2(e.contains("seems to be offline") && e.contains("proxy"), qPrintable(e));
}

void TestHub::pickleOnlyRepositoryIsRefused()
{
    test::FakeHub::Repo repo;
    repo.files["config.json"] = "{}";
    repo.files["pytorch_model.bin"] = "x";
    m_hub->repos["old/pickled"] = repo;
    const QString e = errorOf([&] { HubClient(options()).downloadModel("old/pickled", target()); });
    QVERIFY2(e.contains("pickle") && e.contains("safetensors"), qPrintable(e));
    QVERIFY(!QDir(target()).exists());
}

void TestHub::unknownAndGatedModels()
{
    QVERIFY(errorOf([&] { HubClient(options()).listFiles("nobody/nothing"); }).contains("not found"));
    m_hub->repos["org/tiny-bert"].gated = true;
    const QString e = errorOf([&] { HubClient(options()).listFiles("org/tiny-bert"); });
    QVERIFY2(e.contains("gated or private") && e.contains("token"), qPrintable(e));
}

void TestHub::invalidModelId()
{
    for (const char* bad : {"../etc/passwd", "a/b/c", "", "has space/x", "/leading"})
        QVERIFY2(errorOf([&] { HubClient(options()).listFiles(bad); }).contains("is not a Hub model id"), bad);
    QVERIFY(HubClient::isValidModelId("Qwen/Qwen2.5-0.5B-Instruct"));
    QVERIFY(HubClient::isValidModelId("distilbert-base-uncased"));
}

void TestHub::stalledTransferIsCancelledQuickly()
{
    m_hub->stall = {"/cdn/org/tiny-bert/model.safetensors"};
    std::atomic<bool> cancel{false};
    JobContext ctx(&cancel, {});
    QTimer::singleShot(300, [&] { cancel = true; });
    QElapsedTimer clock;
    clock.start();
    HubOptions o = options();
    o.timeoutMs = 60000;
    QVERIFY_THROWS_EXCEPTION(Cancelled, HubClient(o).downloadModel("org/tiny-bert", target(), &ctx));
    QVERIFY2(clock.elapsed() < 1300, qPrintable(QString::number(clock.elapsed())));
}

void TestHub::completedFilesAreNotFetchedAgain()
{
    HubClient(options()).downloadModel("org/tiny-bert", target());
    m_hub->requests.clear();
    HubClient(options()).downloadModel("org/tiny-bert", target());
    for (const QString& r : std::as_const(m_hub->requests))
        QVERIFY2(!r.contains("/cdn/"), qPrintable(r));
}

void TestHub::bundledModelsAndTheSampleProject()
{
    QTemporaryDir dir;
    const QString models = dir.filePath("models");
    QVERIFY(QDir().mkpath(models + "/starter-encoder"));
    QVERIFY(QDir().mkpath(models + "/not-a-model")); // no config.json: not listed
    test::writeFile(models + "/starter-encoder/config.json", "{}");
    qputenv("FTS_MODELS_DIR", models.toUtf8());
    QCOMPARE(bundledModelsDir(), QDir(models).absolutePath());
    QCOMPARE(bundledModels(), QStringList{QDir(models).absoluteFilePath("starter-encoder")});
    QCOMPARE(starterEncoderDir(), QDir(models).absoluteFilePath("starter-encoder"));

    test::writeFile(models + "/starter-encoder/recommended_hyperparameters.json",
                    R"({"method": "full", "lr": 0.0005, "epochs": 10})");
    auto project = Project::create(dir.filePath("p.ftproj"));
    QVERIFY(useStarterModel(*project));
    QCOMPARE(project->metaValue("model_dir"), starterEncoderDir());
    // The model's recommended settings become the project's (when it has none of its own).
    const Hyperparameters hp = Hyperparameters::fromJson(
        QJsonDocument::fromJson(project->metaValue("hyperparameters").toUtf8()).object());
    QCOMPARE(hp.lr, 0.0005);
    QCOMPARE(hp.epochs, 10);
    QCOMPARE(hp.batchSize, Hyperparameters().batchSize); // the rest stay the defaults
    project->setMetaValue("model_dir", "/elsewhere");
    QVERIFY(!useStarterModel(*project)); // a model the user chose is kept
    QCOMPARE(project->metaValue("model_dir"), QString("/elsewhere"));

    qputenv("FTS_MODELS_DIR", dir.filePath("missing").toUtf8());
    QVERIFY(bundledModels().isEmpty());
    QVERIFY(starterEncoderDir().isEmpty());
    qunsetenv("FTS_MODELS_DIR");
}

FTS_TEST_SUITE(TestHub)
#include "tst_hub.moc"
