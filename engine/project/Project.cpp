// Opening, creating, checking and copying project files; the SQL helpers the engine uses on them.
#include "project/Project.h"

#include "Error.h"
#include "project/ProjectLock.h"
#include "project/Schema.h"

#include <QAtomicInt>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QSqlError>
#include <QUuid>

#include <map>

namespace fts {
namespace {

constexpr QByteArrayView kSqliteMagic("SQLite format 3\0", 16);

QString connectionName()
{
    static QAtomicInt counter;
    return QStringLiteral("fts-project-%1").arg(counter.fetchAndAddRelaxed(1));
}

void requireDriver()
{
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        throw Error(QStringLiteral(
            "The Qt SQLite driver is not installed, so projects cannot be opened. "
            "Install the package libqt6sql6-sqlite and start the studio again."));
}

int pragmaInt(QSqlDatabase& db, const char* pragma)
{
    SqlQuery q(db, QStringLiteral("PRAGMA %1").arg(QLatin1String(pragma)));
    q.exec(pragma);
    return q.next() ? q.value(0).toInt() : 0;
}

QString displayName(const QString& path)
{
    return QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath());
}

// Each table of `db` with its column names.
std::map<QString, QStringList> tableColumns(QSqlDatabase& db)
{
    std::map<QString, QStringList> tables;
    SqlQuery q(db, QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table'"));
    q.exec("list the project's tables");
    while (q.next())
        tables[q.value(0).toString()];
    for (auto& [table, columns] : tables) {
        SqlQuery info(db, QStringLiteral("SELECT name FROM pragma_table_info(?)"));
        info.bind(table).exec("list a table's columns");
        while (info.next())
            columns << info.value(0).toString();
    }
    return tables;
}

// The tables and columns of a project of `version`, from one built in memory on first use.
const std::map<QString, QStringList>& tablesOfVersion(int version)
{
    static std::map<int, std::map<QString, QStringList>> cache;
    static QMutex mutex;
    const QMutexLocker lock(&mutex);
    auto found = cache.find(version);
    if (found != cache.end())
        return found->second;
    const QString name = connectionName();
    std::map<QString, QStringList> out;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(QStringLiteral(":memory:"));
        if (!db.open())
            throw Error(QStringLiteral("SQLite could not open an in-memory database: %1")
                            .arg(db.lastError().text()));
        schema::migrate(db, 0, version);
        out = tableColumns(db);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return cache.emplace(version, std::move(out)).first->second;
}

// A file that lacks a table or column every project of its version has was damaged or edited by
// another program: refused before anything is written to it (an older one before it is upgraded),
// instead of failing on a later query.
void requireTablesOfVersion(QSqlDatabase& db, const QString& path, int version)
{
    const std::map<QString, QStringList> found = tableColumns(db);
    for (const auto& [table, columns] : tablesOfVersion(version)) {
        const auto it = found.find(table);
        QString missing;
        if (it == found.end())
            missing = QStringLiteral("table %1").arg(table);
        for (qsizetype i = 0; missing.isEmpty() && i < columns.size(); ++i)
            if (!it->second.contains(columns[i]))
                missing = QStringLiteral("column %1 of table %2").arg(columns[i], table);
        if (!missing.isEmpty())
            throw Error(QStringLiteral("%1 is damaged: it lacks the %2 that every project of its "
                                       "version has. Restore it from a backup or an exported "
                                       "archive.")
                            .arg(displayName(path), missing));
    }
}

} // namespace

QString nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

ProjectFileCheck Project::checkFile(const QString& path)
{
    ProjectFileCheck check;
    QFile f(path);
    check.exists = f.exists();
    if (check.exists && f.open(QIODevice::ReadOnly))
        check.isSqlite = f.read(kSqliteMagic.size()) == kSqliteMagic.toByteArray();
    return check;
}

Project::Project(QString path, Access access)
    : m_path(QFileInfo(path).absoluteFilePath()), m_connectionName(connectionName()),
      m_access(access)
{
}

Project::~Project()
{
    closeConnection();
    m_lock.reset();
}

QSqlDatabase Project::connect(const QString& name) const
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
    db.setDatabaseName(m_path);
    if (m_access == Access::ReadOnly)
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
    if (!db.open()) {
        const QString why = db.lastError().text();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
        throw Error(QStringLiteral("Could not open %1: %2").arg(displayName(m_path), why));
    }
    return db;
}

void Project::openConnection()
{
    requireDriver();
    m_db = connect(m_connectionName);
}

QSqlDatabase& Project::browseDb()
{
    if (!m_browseDb.isValid())
        m_browseDb = connect(m_connectionName + QStringLiteral("-browse"));
    return m_browseDb;
}

void Project::closeConnection()
{
    if (m_browseDb.isValid()) {
        const QString name = m_browseDb.connectionName();
        m_browseDb.close();
        m_browseDb = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

std::unique_ptr<Project> Project::create(const QString& path)
{
    const QFileInfo info(path);
    if (info.exists())
        throw Error(QStringLiteral("%1 already exists. Choose another name, or open it instead.")
                        .arg(displayName(path)));
    if (!info.absoluteDir().exists())
        throw Error(QStringLiteral("The folder %1 does not exist.")
                        .arg(QDir::toNativeSeparators(info.absolutePath())));

    // Built under a temporary name and renamed at the end: a crash never leaves half a project.
    const QString tmpPath = info.absoluteFilePath() + QStringLiteral(".creating-") +
                            QUuid::createUuid().toString(QUuid::Id128).left(8);
    {
        std::unique_ptr<Project> p(new Project(tmpPath, Access::ReadWrite));
        try {
            p->openConnection();
            schema::migrate(p->m_db, 0);
            p->setMetaValue(QStringLiteral("name"), info.completeBaseName());
            p->setMetaValue(QStringLiteral("created_at"), nowIso());
            p->setMetaValue(QStringLiteral("created_by"),
                            QStringLiteral("Finetune Studio %1").arg(QStringLiteral(FTS_VERSION)));
        } catch (...) {
            p.reset();
            QFile::remove(tmpPath);
            throw;
        }
    }
    if (!QFile::rename(tmpPath, info.absoluteFilePath())) {
        QFile::remove(tmpPath);
        throw Error(QStringLiteral("Could not create %1: the folder is not writable.")
                        .arg(displayName(path)));
    }
    return open(info.absoluteFilePath());
}

std::unique_ptr<Project> Project::open(const QString& path, Access access)
{
    const ProjectFileCheck check = checkFile(path);
    if (!check.exists)
        throw Error(QStringLiteral("There is no project at %1.").arg(displayName(path)));
    if (!check.isSqlite)
        throw Error(QStringLiteral("%1 is not a Finetune Studio project. To use its contents, "
                                   "create or open a project and import the file with File > Import.")
                        .arg(displayName(path)));

    std::unique_ptr<Project> p(new Project(path, access));
    if (access == Access::ReadWrite)
        p->m_lock = std::make_unique<ProjectLock>(path);
    p->openConnection();
    // Only reads until the file is known to be ours: SQLite writes nothing on open or on these pragmas.
    const int appId = pragmaInt(p->m_db, "application_id");
    const int version = pragmaInt(p->m_db, "user_version");
    if (appId != schema::ApplicationId)
        throw Error(QStringLiteral("%1 is an SQLite database, but not a Finetune Studio project.")
                        .arg(displayName(path)));
    if (version > schema::CurrentVersion)
        throw Error(QStringLiteral("%1 was saved by a newer Finetune Studio (project version %2; this "
                                   "version reads up to %3). Update Finetune Studio to open it.")
                        .arg(displayName(path))
                        .arg(version)
                        .arg(schema::CurrentVersion));
    {
        SqlQuery q(p->m_db, QStringLiteral("PRAGMA quick_check"));
        q.exec("check the project's integrity");
        const QString verdict = q.next() ? q.value(0).toString() : QString();
        if (verdict != QLatin1String("ok"))
            throw Error(QStringLiteral("%1 is damaged (SQLite integrity check: %2). Restore it from a "
                                       "backup or an exported archive.")
                            .arg(displayName(path), verdict));
    }
    if (version >= 1)
        requireTablesOfVersion(p->m_db, path, version);
    if (access == Access::ReadOnly) {
        if (version < schema::CurrentVersion) {
            // A reader (info, report) of an older project upgrades it first when it may: the
            // read-write open makes the backup and migrates; then it is read as asked.
            if (!QFileInfo(path).isWritable() || !QFileInfo(QFileInfo(path).absolutePath()).isWritable())
                throw Error(QStringLiteral("%1 uses an older project version (%2) and must be "
                                           "upgraded, which needs write access.")
                                .arg(displayName(path))
                                .arg(version));
            p.reset();
            open(path, Access::ReadWrite);
            return open(path, Access::ReadOnly);
        }
        return p;
    }

    SqlQuery(p->m_db, QStringLiteral("PRAGMA journal_mode = WAL")).exec("switch to WAL mode");
    // FULL: labels are human work, and NORMAL can roll back the last commits on power loss.
    SqlQuery(p->m_db, QStringLiteral("PRAGMA synchronous = FULL")).exec("set durability");
    SqlQuery(p->m_db, QStringLiteral("PRAGMA foreign_keys = ON")).exec("enable foreign keys");
    SqlQuery(p->m_db, QStringLiteral("PRAGMA busy_timeout = 5000")).exec("set the lock timeout");

    if (version < schema::CurrentVersion) {
        const QString backup = QStringLiteral("%1.v%2.bak").arg(p->m_path).arg(version);
        QFile::remove(backup);
        p->saveCopyAs(backup);
        schema::migrate(p->m_db, version);
    }
    return p;
}

std::unique_ptr<Project> Project::openWritableIfPossible(const QString& path)
{
    try {
        return open(path, Access::ReadWrite);
    } catch (const Error&) {
        return open(path, Access::ReadOnly);
    }
}

QString Project::name() const
{
    return metaValue(QStringLiteral("name"), QFileInfo(m_path).completeBaseName());
}

QString Project::artifactsDir() const
{
    return m_path + QStringLiteral(".artifacts");
}

QString Project::metaValue(const QString& key, const QString& fallback) const
{
    QSqlDatabase db = m_db;
    SqlQuery q(db, QStringLiteral("SELECT value FROM meta WHERE key = ?"));
    q.bind(key).exec("read project settings");
    return q.next() ? q.value(0).toString() : fallback;
}

void Project::setMetaValue(const QString& key, const QString& value)
{
    SqlQuery(m_db, QStringLiteral("INSERT INTO meta(key, value) VALUES(?, ?) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value"))
        .bind(key)
        .bind(value.isNull() ? QStringLiteral("") : value) // a null QString would bind NULL
        .exec("save project settings");
}

QStringList Project::tasks() const
{
    QSqlDatabase db = m_db;
    SqlQuery q(db, QStringLiteral("SELECT name FROM tasks ORDER BY rowid"));
    q.exec("list label tasks");
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

ProjectSummary Project::summary() const
{
    QSqlDatabase db = m_db;
    ProjectSummary s;
    {
        SqlQuery q(db, QStringLiteral("SELECT COALESCE(split, ''), COUNT(*) FROM rows "
                                      "WHERE removed_by_step IS NULL GROUP BY 1"));
        q.exec("count rows");
        while (q.next()) {
            s.rowsPerSplit[q.value(0).toString()] = q.value(1).toLongLong();
            s.totalRows += q.value(1).toLongLong();
        }
    }
    s.tasks = tasks();
    {
        SqlQuery q(db, QStringLiteral("SELECT l.task, l.value, COUNT(*) FROM gold_labels l JOIN rows r "
                                      "ON r.id = l.row_id WHERE r.removed_by_step IS NULL "
                                      "GROUP BY l.task, l.value ORDER BY l.task, COUNT(*) DESC, l.value"));
        q.exec("count labels");
        while (q.next())
            s.labels.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong()});
    }
    {
        SqlQuery q(db, QStringLiteral("SELECT COUNT(*) FROM rows r WHERE r.removed_by_step IS NULL AND "
                                      "NOT EXISTS (SELECT 1 FROM labels l WHERE l.row_id = r.id AND "
                                      "l.superseded_at IS NULL)"));
        q.exec("count unlabeled rows");
        s.unlabeledRows = q.next() ? q.value(0).toLongLong() : 0;
    }
    return s;
}

QString Project::artifactPath(const QString& relative) const
{
    const QString base = QDir::cleanPath(artifactsDir());
    const QString resolved = QDir::cleanPath(base + QLatin1Char('/') + relative);
    if (relative.isEmpty() || QDir::isAbsolutePath(relative) || !resolved.startsWith(base + QLatin1Char('/')))
        throw Error(QStringLiteral("The project refers to '%1', which is outside its artifacts folder; "
                                   "it was not opened. The project file may have been tampered with.")
                        .arg(relative));
    return resolved;
}

void Project::saveCopyAs(const QString& path) const
{
    if (QFileInfo::exists(path))
        throw Error(QStringLiteral("%1 already exists; choose another name.").arg(displayName(path)));
    QSqlDatabase db = m_db;
    SqlQuery(db, QStringLiteral("VACUUM INTO ?")).bind(QFileInfo(path).absoluteFilePath()).exec(
        "write a copy of the project");
}

SqlQuery::SqlQuery(QSqlDatabase& db, const QString& sql) : m_query(db)
{
    if (!m_query.prepare(sql))
        throw Error(QStringLiteral("Project database error: %1 (preparing: %2)")
                        .arg(m_query.lastError().text(), sql.left(120)));
}

SqlQuery& SqlQuery::bind(const QVariant& value)
{
    m_query.addBindValue(value);
    return *this;
}

SqlQuery& SqlQuery::exec(const char* purpose)
{
    if (!m_query.exec())
        throw Error(QStringLiteral("Could not %1: %2")
                        .arg(QLatin1String(purpose), m_query.lastError().text()));
    return *this;
}

bool SqlQuery::next()
{
    return m_query.next();
}

QVariant SqlQuery::value(int column) const
{
    return m_query.value(column);
}

QVariant SqlQuery::lastInsertId() const
{
    return m_query.lastInsertId();
}

Transaction::Transaction(QSqlDatabase& db) : m_db(db)
{
    if (!m_db.transaction())
        throw Error(QStringLiteral("Could not start a transaction: %1").arg(m_db.lastError().text()));
}

Transaction::~Transaction()
{
    if (!m_done)
        m_db.rollback();
}

void Transaction::commit()
{
    if (!m_db.commit())
        throw Error(QStringLiteral("Could not save to the project: %1").arg(m_db.lastError().text()));
    m_done = true;
}

void Project::requireWritable(const QString& what) const
{
    if (isReadOnly())
        throw Error(QStringLiteral("This project is open read-only; %1 cannot be changed here.")
                        .arg(what));
}

} // namespace fts
