// Crash safety: SIGKILL at random points during import, curation, save-as, training and export
// leaves a project that opens, passes its integrity check and holds either all or none of each
// step; a killed training run resumes from its last checkpoint to exactly the losses of a run
// never killed; an export folder appears complete or not at all; a full disk while writing
// weights keeps the previous file and says why.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "data/Curation.h"
#include "data/Importer.h"
#include "deploy/Export.h"
#include "models/Safetensors.h"
#include "project/Project.h"
#include "train/RunStore.h"
#include "train/TextTokenizer.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>

#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <cstdio>
#include <sys/resource.h>

using namespace fts;

namespace {
constexpr int kRows = 60000;

qint64 scalar(Project& p, const char* sql)
{
    QSqlQuery q(p.db());
    q.exec(QString::fromLatin1(sql));
    q.next();
    return q.value(0).toLongLong();
}

// A small two-topic task for the training and export kills: 96 train and 16 val rows.
QStringList topicTexts()
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat"};
    QStringList texts;
    for (int i = 0; i < 112; ++i) {
        const QStringList& words = i % 2 ? travel : food;
        texts << QStringLiteral("my %1 and the %2").arg(words[i % 6], words[(i / 2) % 6]);
    }
    return texts;
}

void writeTopicProject(const QString& path, const QString& csvPath)
{
    QByteArray csv = "text,label,split\n";
    const QStringList texts = topicTexts();
    for (int i = 0; i < texts.size(); ++i)
        csv += texts[i].toUtf8() + (i % 2 ? ",travel," : ",food,") + (i < 96 ? "train\n" : "val\n");
    test::writeFile(csvPath, csv);
    auto p = Project::create(path);
    ImportOptions o;
    o.file = csvPath;
    importTable(*p, o);
}

// The same run in the child that gets killed and in the test that resumes it.
TrainerOptions topicTraining()
{
    TrainerOptions o;
    o.modelDir = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert");
    o.tokenizer = std::make_shared<WordVocabulary>(WordVocabulary::build(topicTexts()));
    o.hp.method = QStringLiteral("full");
    o.hp.lr = 2e-3;
    o.hp.batchSize = 8;
    o.hp.maxSteps = 300;
    o.hp.evalEvery = 10;
    o.hp.checkpointEvery = 10;
    o.hp.patience = 0;
    o.hp.seed = 3;
    return o;
}

QList<double> trainLosses(Project& p, qint64 runId)
{
    QList<double> out;
    for (const MetricPoint& m : runMetrics(p, runId))
        if (m.split == QLatin1String("train") && m.name == QLatin1String("loss"))
            out << m.value;
    return out;
}
} // namespace

class TestCrashSafety : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void killDuringImport();
    void killDuringCuration();
    void killDuringSaveAs();
    void killDuringTraining();
    void killDuringExport();
    void diskFullKeepsPreviousWeights();

private:
    // Starts this binary in a child mode and kills it after `ms` milliseconds (or when it ends).
    int runAndKill(const QStringList& args, int ms)
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), QStringList{fts::test::currentSuite()} + args);
        if (!child.waitForStarted())
            return -1;
        if (!child.waitForFinished(ms)) {
            ::kill(pid_t(child.processId()), SIGKILL);
            child.waitForFinished();
            return 1; // killed
        }
        return 0; // finished before the kill
    }
    // Starts this binary in a child mode that prints "step N" after each training step, and kills
    // it once it has printed step `step`: a kill point in the run whatever the machine's speed.
    // Returns the last step the child reported (the run's length when it ended first).
    qint64 runAndKillAtStep(const QStringList& args, qint64 step)
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), QStringList{fts::test::currentSuite()} + args);
        if (!child.waitForStarted())
            return -1;
        qint64 reported = 0;
        while (reported < step) {
            if (!child.canReadLine() && !child.waitForReadyRead(60000))
                break; // ended (or hung: the checks below then fail)
            while (child.canReadLine()) {
                const QByteArray line = child.readLine().trimmed();
                if (line.startsWith("step "))
                    reported = line.mid(5).toLongLong();
            }
        }
        if (child.state() != QProcess::NotRunning)
            ::kill(pid_t(child.processId()), SIGKILL);
        child.waitForFinished(10000);
        return reported;
    }
    QTemporaryDir m_dir;
    QString m_csv;
};

void TestCrashSafety::initTestCase()
{
    m_csv = m_dir.filePath("big.csv");
    QByteArray bytes = "text,label\n";
    for (int i = 0; i < kRows; ++i)
        bytes += "<b>row</b> " + QByteArray::number(i % (kRows / 2)) + " of   the  data," + (i % 3 ? "pos\n" : "neg\n");
    test::writeFile(m_csv, bytes);
}

void TestCrashSafety::killDuringImport()
{
    int killed = 0;
    for (int seed = 0; seed < 8; ++seed) {
        const QString path = m_dir.filePath(QString("import%1.ftproj").arg(seed));
        Project::create(path);
        killed += runAndKill({"--child", "import", path, m_csv}, 100 + int(QRandomGenerator(seed).bounded(1500)));
        auto p = Project::open(path); // opens: integrity check passed
        const qint64 rows = scalar(*p, "SELECT COUNT(*) FROM rows");
        QVERIFY2(rows == 0 || rows == kRows, qPrintable(QString("half an import: %1 rows").arg(rows)));
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM imports"), rows ? 1 : 0);
    }
    qInfo("import: 8 kill points tried, %d killed mid-run, nothing half-imported", killed);
}

void TestCrashSafety::killDuringCuration()
{
    int killed = 0;
    for (int seed = 0; seed < 8; ++seed) {
        const QString path = m_dir.filePath(QString("curate%1.ftproj").arg(seed));
        {
            auto p = Project::create(path);
            ImportOptions o;
            o.file = m_csv;
            importTable(*p, o);
        }
        killed += runAndKill({"--child", "curate", path}, 50 + int(QRandomGenerator(100 + seed).bounded(2500)));
        auto p = Project::open(path);
        // Every mark or edit belongs to a recorded step, and every recorded step is complete.
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM rows WHERE removed_by_step IS NOT NULL AND removed_by_step NOT IN "
                            "(SELECT id FROM recipe_steps)"), 0);
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM row_edits WHERE step_id NOT IN (SELECT id FROM recipe_steps)"), 0);
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM recipe_steps WHERE effect = '{}'"), 0);
        const qint64 steps = scalar(*p, "SELECT COUNT(*) FROM recipe_steps");
        if (steps >= 1) // normalize finished: every row is normalized
            QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM rows WHERE text LIKE '%<b>%'"), 0);
        if (steps >= 2) // dedupe finished: half the rows were duplicates
            QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM rows WHERE removed_by_step IS NULL"), kRows / 2);
        // And the recipe still undoes cleanly.
        while (!curationRecipe(*p).isEmpty())
            undoLastCurationStep(*p);
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM rows WHERE removed_by_step IS NULL"), kRows);
    }
    qInfo("curation: 8 kill points tried, %d killed mid-run, every step all or nothing", killed);
}

void TestCrashSafety::killDuringSaveAs()
{
    const QString source = m_dir.filePath("source.ftproj");
    {
        auto p = Project::create(source);
        ImportOptions o;
        o.file = m_csv;
        importTable(*p, o);
    }
    for (int seed = 0; seed < 5; ++seed) {
        const QString dest = m_dir.filePath(QString("copy%1.ftproj").arg(seed));
        runAndKill({"--child", "saveas", source, dest}, 5 + int(QRandomGenerator(200 + seed).bounded(200)));
        auto original = Project::open(source);
        QCOMPARE(scalar(*original, "SELECT COUNT(*) FROM rows"), kRows);
        if (QFile::exists(dest)) { // the copy either opens complete or is refused as not a project
            try {
                auto copy = Project::open(dest);
                QCOMPARE(scalar(*copy, "SELECT COUNT(*) FROM rows"), kRows);
            } catch (const Error& e) {
                QVERIFY2(e.message().contains("not a Finetune Studio project") || e.message().contains("damaged"),
                         qPrintable(e.message()));
            }
        }
    }
}

void TestCrashSafety::killDuringTraining()
{
    const QString reference = m_dir.filePath("train-reference.ftproj");
    writeTopicProject(reference, m_dir.filePath("topics.csv"));
    QList<double> expected;
    {
        auto p = Project::open(reference);
        expected = trainLosses(*p, Trainer(*p, topicTraining()).run().runId);
    }
    QCOMPARE(expected.size(), 300);
    int resumed = 0, beforeCheckpoint = 0;
    QList<qint64> killedAt;
    for (int seed = 0; seed < 6; ++seed) {
        const QString path = m_dir.filePath(QString("train%1.ftproj").arg(seed));
        writeTopicProject(path, m_dir.filePath("topics.csv"));
        killedAt << runAndKillAtStep({"--child", "train", path}, 1 + QRandomGenerator(300 + seed).bounded(280));
        auto p = Project::open(path);
        QCOMPARE(scalar(*p, "SELECT COUNT(*) FROM rows"), 112);
        const QList<RunRecord> runs = listRuns(*p);
        QCOMPARE(runs.size(), 1);
        const RunRecord run = runs.last();
        if (run.status == QLatin1String("finished")) { // it outran the kill
            QCOMPARE(trainLosses(*p, run.id), expected);
            continue;
        }
        QCOMPARE(run.status, QStringLiteral("running")); // as the killed process left it
        if (run.lastCheckpoint.isEmpty()) {
            QVERIFY(test::errorOf([&] { Trainer(*p, topicTraining()).resume(run.id); })
                        .contains("before its first checkpoint"));
            ++beforeCheckpoint;
            continue;
        }
        QVERIFY(!loadSafetensors(p->artifactPath(run.lastCheckpoint) + "/model.safetensors").empty());
        const TrainResult r = Trainer(*p, topicTraining()).resume(run.id);
        QCOMPARE(r.status, QStringLiteral("finished"));
        QCOMPARE(trainLosses(*p, run.id), expected);
        ++resumed;
    }
    QStringList steps;
    for (qint64 s : killedAt)
        steps << QString::number(s);
    qInfo("training: killed after steps %s of 300; %d before the first checkpoint, %d resumed to "
          "exactly the losses of the uninterrupted run", qPrintable(steps.join(", ")),
          beforeCheckpoint, resumed);
}

void TestCrashSafety::killDuringExport()
{
    const QString path = m_dir.filePath("export-source.ftproj");
    writeTopicProject(path, m_dir.filePath("topics.csv"));
    qint64 runId = 0;
    {
        auto p = Project::open(path);
        TrainerOptions o = topicTraining();
        o.hp.maxSteps = 4;
        runId = Trainer(*p, o).run().runId;
    }
    const QStringList files = {"config.json", "model.safetensors", "README.md", "finetune_studio.json"};
    int killed = 0;
    for (int seed = 0; seed < 6; ++seed) {
        const QString dest = m_dir.filePath(QString("export%1").arg(seed));
        killed += runAndKill({"--child", "export", path, QString::number(runId), dest},
                             100 + int(QRandomGenerator(400 + seed).bounded(900)));
        if (QFileInfo::exists(dest)) { // complete, or it would not be there
            for (const QString& f : files)
                QVERIFY2(QFile::exists(dest + "/" + f), qPrintable(dest + "/" + f));
            QVERIFY(!loadSafetensors(dest + "/model.safetensors").empty());
        }
        // Exporting again works whatever the kill left behind.
        auto p = Project::open(path);
        ExportOptions again;
        again.outDir = dest;
        again.overwrite = true;
        const ExportResult r = exportRun(*p, runId, again);
        for (const QString& f : files)
            QVERIFY(r.files.contains(f));
        QVERIFY(!QFileInfo::exists(dest + ".partial"));
    }
    qInfo("export: 6 kill points tried, %d killed mid-run, every folder complete or absent", killed);
}

void TestCrashSafety::diskFullKeepsPreviousWeights()
{
    const QString path = m_dir.filePath("weights.safetensors");
    saveSafetensors(path, {{"w", at::ones({4})}});
    const QByteArray before = test::fileHash(path);
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {fts::test::currentSuite(), "--child", "diskfull", path});
    QVERIFY(child.waitForFinished(60000));
    const QByteArray err = child.readAllStandardError();
    QCOMPARE(child.exitCode(), 3); // the child caught fts::Error
    QVERIFY2(err.contains("disk has free space") || err.contains("Could not"), err.constData());
    QCOMPARE(test::fileHash(path), before);
    QVERIFY(at::equal(loadSafetensors(path).at("w"), at::ones({4})));
}

int childMain(const QStringList& a)
{
    try {
        if (a[0] == "import") {
            auto p = Project::open(a[1]);
            ImportOptions o;
            o.file = a[2];
            importTable(*p, o);
        } else if (a[0] == "curate") {
            auto p = Project::open(a[1]);
            applyCurationStep(*p, "normalize", {});
            applyCurationStep(*p, "dedupe", {});
            applyCurationStep(*p, "split", {{"seed", 1}});
        } else if (a[0] == "train") {
            auto p = Project::open(a[1]);
            TrainerOptions o = topicTraining();
            o.onStep = [](const TrainProgress& progress) {
                std::printf("step %lld\n", progress.step); // after the step is done
                std::fflush(stdout);
            };
            Trainer(*p, o).run();
        } else if (a[0] == "export") {
            auto p = Project::open(a[1]);
            ExportOptions o;
            o.outDir = a[3];
            exportRun(*p, a[2].toLongLong(), o);
        } else if (a[0] == "saveas") {
            auto p = Project::open(a[1], Project::Access::ReadOnly);
            p->saveCopyAs(a[2]);
        } else if (a[0] == "diskfull") {
            // A file-size limit stands in for a full disk: writes past 16 KiB fail with EFBIG.
            ::signal(SIGXFSZ, SIG_IGN);
            rlimit limit{16 * 1024, 16 * 1024};
            ::setrlimit(RLIMIT_FSIZE, &limit);
            saveSafetensors(a[1], {{"w", at::zeros({1 << 20})}});
            return 0;
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.message().toLocal8Bit().constData());
        return 3;
    }
    return 0;
}

int crashSafetyMain(int argc, char** argv)
{
    if (argc >= 3 && QByteArray(argv[1]) == "--child")
        return childMain(QCoreApplication::arguments().mid(2));
    TestCrashSafety t;
    return QTest::qExec(&t, argc, argv);
}
FTS_TEST_SUITE_MAIN(crashSafetyMain)

#include "tst_crashsafety.moc"
