// Project file: create/reopen round trip, schema version, refusal of files that are not projects.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "data/Importer.h"
#include "project/Project.h"
#include "project/ProjectLock.h"
#include "project/Schema.h"

#include <QSqlDatabase>
#include <QProcess>
#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace fts;

class TestProject : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void createReopenRoundTrip();
    void createRefusesExistingFile();
    void schemaVersionIsWrittenInHeader();
    void walModeAndDurability();
    void notAProjectIsRefusedAndUntouched_data();
    void notAProjectIsRefusedAndUntouched();
    void fuzzFoundFilesAreRefusedAndUntouched();
    void olderProjectIsUpgradedWithABackup();
    void foreignSqliteDatabaseIsRefusedAndUntouched();
    void newerSchemaIsRefused();
    void missingFileIsReported();
    void saveCopyAsKeepsEverything();
    void readOnlyOpenRefusesImport();
    void connectionsInOneProcessShareTheLock();
    void otherLiveProcessLocksOut();
    void artifactPathsCannotEscape();

private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }
};

void TestProject::createReopenRoundTrip()
{
    const QString p = path("round.ftproj");
    test::writeFile(path("round.csv"), "text,label,split\nfine,positive,train\nawful,negative,val\n"
                                       "meh,,test\n");
    {
        auto project = Project::create(p);
        ImportOptions o;
        o.file = path("round.csv");
        importTable(*project, o);
        project->setMetaValue("note", "kept");
        project->setMetaValue("empty", QString()); // a null string is stored as empty, not refused
    }
    auto project = Project::open(p);
    QCOMPARE(project->name(), QString("round"));
    QCOMPARE(project->metaValue("note"), QString("kept"));
    QCOMPARE(project->metaValue("empty"), QString(""));
    const ProjectSummary s = project->summary();
    QCOMPARE(s.totalRows, 3);
    QCOMPARE(s.rowsPerSplit.value("train"), 1);
    QCOMPARE(s.rowsPerSplit.value("val"), 1);
    QCOMPARE(s.rowsPerSplit.value("test"), 1);
    QCOMPARE(s.tasks, QStringList{"label"});
    QCOMPARE(s.unlabeledRows, 1);
    QCOMPARE(s.labels.size(), 2);
    QCOMPARE(project->artifactsDir(), QFileInfo(p).absoluteFilePath() + ".artifacts");
}

void TestProject::createRefusesExistingFile()
{
    const QString p = path("exists.ftproj");
    test::writeFile(p, "precious");
    QVERIFY_THROWS_EXCEPTION(Error, Project::create(p));
    QCOMPARE(test::fileHash(p), QCryptographicHash::hash("precious", QCryptographicHash::Sha256).toHex());
    QVERIFY(QDir(m_dir.path()).entryList({"exists.ftproj.*"}).isEmpty()); // no temporary left behind
}

void TestProject::schemaVersionIsWrittenInHeader()
{
    const QString p = path("header.ftproj");
    Project::create(p);
    QFile f(p);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray head = f.read(100);
    // SQLite header: user_version at offset 60, application_id at 68, both big-endian.
    auto be32 = [&](int off) {
        return (uchar(head[off]) << 24) | (uchar(head[off + 1]) << 16) | (uchar(head[off + 2]) << 8) |
               uchar(head[off + 3]);
    };
    QCOMPARE(be32(60), schema::CurrentVersion);
    QCOMPARE(be32(68), schema::ApplicationId);
}

void TestProject::walModeAndDurability()
{
    auto project = Project::create(path("wal.ftproj"));
    QSqlQuery q(project->db());
    QVERIFY(q.exec("PRAGMA journal_mode"));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), QString("wal"));
    QVERIFY(q.exec("PRAGMA synchronous"));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toInt(), 2); // FULL
}

void TestProject::notAProjectIsRefusedAndUntouched_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("text") << QByteArray("text,label\nhello,positive\n") << "is not a Finetune Studio project";
    QTest::newRow("empty") << QByteArray() << "is not a Finetune Studio project";
    QTest::newRow("binary") << QByteArray(4096, '\x7f') << "is not a Finetune Studio project";
}

void TestProject::notAProjectIsRefusedAndUntouched()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString p = path(QString("not-%1.ftproj").arg(QTest::currentDataTag()));
    test::writeFile(p, content);
    const QByteArray before = test::fileHash(p);
    try {
        Project::open(p);
        QFAIL("opened a file that is not a project");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        QVERIFY2(e.message().contains(QFileInfo(p).fileName()), "the message names the file");
    }
    QCOMPARE(test::fileHash(p), before);
    QVERIFY(!QFile::exists(p + "-wal"));
}

// Inputs the project-file fuzzer once crashed on (tests/fixtures/fuzz-regressions/project_open):
// refused by name, for read-only and read-write opening alike, and not a byte changed.
void TestProject::fuzzFoundFilesAreRefusedAndUntouched()
{
    const QDir found(QStringLiteral(FTS_FIXTURES_DIR "/fuzz-regressions/project_open"));
    const QStringList files = found.entryList(QDir::Files);
    QVERIFY(!files.isEmpty());
    for (const QString& name : files) {
        const QString p = path(QStringLiteral("fuzz-") + name);
        QVERIFY(QFile::copy(found.filePath(name), p));
        const QByteArray before = test::fileHash(p);
        for (auto access : {Project::Access::ReadOnly, Project::Access::ReadWrite}) {
            const QString error = test::errorOf([&] { Project::open(p, access); });
            QVERIFY2(error.contains("is damaged"), qPrintable(name + ": " + error));
            QCOMPARE(test::fileHash(p), before);
        }
    }
}

// A version-5 project (before evaluations were kept with runs) opens read-write: a backup of the
// old file first, then the new table; read-only opening asks for the upgrade instead.
void TestProject::olderProjectIsUpgradedWithABackup()
{
    const QString p = path("v5.ftproj");
    {
        auto project = Project::create(p);
        project->setMetaValue("note", "kept");
        project->db().exec("DROP TABLE run_evaluations");
        project->db().exec("PRAGMA user_version = 5");
    }
    // A file that cannot be written cannot be upgraded: read-only opening says so, untouched.
    // (Root writes read-only files anyway, so this part needs an ordinary user.)
    if (::geteuid() != 0) {
        QFile::setPermissions(p, QFileDevice::ReadOwner | QFileDevice::ReadUser);
        const QByteArray before = test::fileHash(p);
        const QString readOnly = test::errorOf([&] { Project::open(p, Project::Access::ReadOnly); });
        QFile::setPermissions(p, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser);
        QVERIFY2(readOnly.contains("older project version (5)"), qPrintable(readOnly));
        QCOMPARE(test::fileHash(p), before);
    }
    {
        // A reader of a writable older file upgrades it first (what `info` and `report` do).
        auto reader = Project::open(p, Project::Access::ReadOnly);
        QVERIFY(reader->db().tables().contains("run_evaluations"));
    }
    {
        auto project = Project::open(p);
        QCOMPARE(project->metaValue("note"), QString("kept"));
        QVERIFY(project->db().tables().contains("run_evaluations"));
        QSqlQuery q(project->db());
        QVERIFY(q.exec("PRAGMA user_version") && q.next());
        QCOMPARE(q.value(0).toInt(), schema::CurrentVersion);
    }
    QVERIFY(QFile::exists(p + ".v5.bak"));
    auto backup = Project::open(p + ".v5.bak", Project::Access::ReadWrite); // itself upgradable
    QVERIFY(backup->db().tables().contains("run_evaluations"));
}

void TestProject::foreignSqliteDatabaseIsRefusedAndUntouched()
{
    const QString p = path("foreign.db");
    {
        auto db = QSqlDatabase::addDatabase("QSQLITE", "foreign");
        db.setDatabaseName(p);
        QVERIFY(db.open());
        QSqlQuery(db).exec("CREATE TABLE t(x)");
        db.close();
    }
    QSqlDatabase::removeDatabase("foreign");
    const QByteArray before = test::fileHash(p);
    try {
        Project::open(p);
        QFAIL("opened a foreign database");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("not a Finetune Studio project"), qPrintable(e.message()));
    }
    QCOMPARE(test::fileHash(p), before);
}

void TestProject::newerSchemaIsRefused()
{
    const QString p = path("newer.ftproj");
    Project::create(p)->db().exec(QString("PRAGMA user_version = %1").arg(schema::CurrentVersion + 5));
    const QByteArray before = test::fileHash(p);
    try {
        Project::open(p);
        QFAIL("opened a project from a newer version");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(QString("project version %1").arg(schema::CurrentVersion + 5)),
                 qPrintable(e.message()));
        QVERIFY2(e.message().contains(QString("reads up to %1").arg(schema::CurrentVersion)),
                 qPrintable(e.message()));
    }
    QCOMPARE(test::fileHash(p), before);
}

void TestProject::missingFileIsReported()
{
    try {
        Project::open(path("nowhere.ftproj"));
        QFAIL("opened a missing file");
    } catch (const Error& e) {
        QVERIFY(e.message().contains("There is no project at"));
    }
    QVERIFY(!QFile::exists(path("nowhere.ftproj")));
}

void TestProject::saveCopyAsKeepsEverything()
{
    test::writeFile(path("copy.csv"), "text,label\na,x\nb,y\n");
    auto project = Project::create(path("orig.ftproj"));
    ImportOptions o;
    o.file = path("copy.csv");
    importTable(*project, o);
    project->saveCopyAs(path("copy.ftproj"));
    QVERIFY_THROWS_EXCEPTION(Error, project->saveCopyAs(path("copy.ftproj")));
    auto copy = Project::open(path("copy.ftproj"));
    QCOMPARE(copy->summary().totalRows, 2);
    QCOMPARE(copy->summary().labels.size(), 2);
}

void TestProject::readOnlyOpenRefusesImport()
{
    Project::create(path("ro.ftproj"));
    test::writeFile(path("ro.csv"), "text\nhello\n");
    auto project = Project::open(path("ro.ftproj"), Project::Access::ReadOnly);
    ImportOptions o;
    o.file = path("ro.csv");
    QVERIFY_THROWS_EXCEPTION(Error, importTable(*project, o));
}

void TestProject::connectionsInOneProcessShareTheLock()
{
    const QString p = path("shared.ftproj");
    auto gui = Project::create(p);
    auto job = Project::open(p); // the engine thread's connection in the same process
    QVERIFY(QFile::exists(p + ".lock"));
    job.reset();
    QVERIFY(QFile::exists(p + ".lock")); // still held by the first connection
    gui.reset();
    QVERIFY(!QFile::exists(p + ".lock"));
}

void TestProject::otherLiveProcessLocksOut()
{
    const QString p = path("locked.ftproj");
    Project::create(p);
    // Another process owns the lock: QLockFile's file names its pid, program and host.
    QProcess other;
    other.start("sleep", {"30"});
    QVERIFY(other.waitForStarted());
    test::writeLockHeldBy(p, other.processId(), "sleep");
    try {
        Project::open(p);
        QFAIL("opened a project another process holds");
    } catch (const ProjectLockedError& e) {
        QVERIFY2(e.message().contains(QString("process %1").arg(other.processId())), qPrintable(e.message()));
        QVERIFY(e.message().contains("read-only"));
    }
    auto readOnly = Project::open(p, Project::Access::ReadOnly); // reading stays possible
    QCOMPARE(readOnly->summary().totalRows, 0);
    readOnly.reset();
    // Work that would keep its results there (an evaluation) still runs, read-only.
    QVERIFY(Project::openWritableIfPossible(p)->isReadOnly());
    // The owner dies without cleaning up (crash, SIGKILL): its lock is stale and taken over.
    other.kill();
    other.waitForFinished();
    QVERIFY(!Project::openWritableIfPossible(p)->isReadOnly());
    auto project = Project::open(p);
    QVERIFY(project != nullptr);
}

void TestProject::artifactPathsCannotEscape()
{
    auto project = Project::create(path("artifacts.ftproj"));
    QCOMPARE(project->artifactPath("runs/1/best.safetensors"),
             project->artifactsDir() + "/runs/1/best.safetensors");
    for (const char* bad : {"../secret", "runs/../../x", "/etc/passwd", "", ".."})
        QVERIFY_THROWS_EXCEPTION(Error, project->artifactPath(bad));
}

FTS_TEST_SUITE(TestProject)
#include "tst_project.moc"
