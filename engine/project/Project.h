// The project file (.ftproj): one SQLite database in WAL mode plus an artifacts folder beside it.
#pragma once

#include <QMap>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QStringList>

#include <memory>

namespace fts {

class ProjectLock;

struct LabelCount
{
    QString task;
    QString label;
    qint64 count = 0;
};

struct ProjectSummary
{
    qint64 totalRows = 0;
    QMap<QString, qint64> rowsPerSplit; // "train", "val", "test", and "" for rows without a split
    QStringList tasks;
    QList<LabelCount> labels; // current labels only, per task, most frequent first
    qint64 unlabeledRows = 0; // rows with no current label in any task
};

// What the first bytes of a file say about it, read without letting SQLite touch the file.
struct ProjectFileCheck
{
    bool exists = false;
    bool isSqlite = false;
};

// An open connection to one project. A connection belongs to the thread that opened it
// (Qt Sql's rule): jobs on the engine thread open their own Project on the same path.
class Project
{
public:
    enum class Access { ReadWrite, ReadOnly };

    // Creates a new, empty project; refuses to overwrite an existing file. Throws fts::Error.
    static std::unique_ptr<Project> create(const QString& path);
    // Opens an existing project, migrating an older schema (after a backup copy). Throws fts::Error
    // with a message naming the file and what is wrong; a file that is not a project is never modified.
    static std::unique_ptr<Project> open(const QString& path, Access access = Access::ReadWrite);
    // Read-write when it can be (for work that keeps its results in the project, such as an
    // evaluation), otherwise read-only (a read-only file, or one another program holds);
    // isReadOnly() then says which. Throws as open() does for a file it cannot read.
    static std::unique_ptr<Project> openWritableIfPossible(const QString& path);

    ~Project();
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    QString path() const { return m_path; }
    QString name() const;
    // Folder beside the project file holding weights and checkpoints: "<file>.artifacts".
    QString artifactsDir() const;
    bool isReadOnly() const { return m_access == Access::ReadOnly; }
    // Throws fts::Error saying that `what` ("labels", "feedback") cannot change in a read-only
    // project.
    void requireWritable(const QString& what) const;
    QSqlDatabase& db() { return m_db; }
    // A second connection, opened on first use, for views that read through QSqlQueryModel: it
    // fetches on demand, so its statement stays open and pins that connection's read snapshot
    // (SQLite WAL), which must never be the connection everything else reads fresh data through.
    QSqlDatabase& browseDb();

    QString metaValue(const QString& key, const QString& fallback = {}) const;
    void setMetaValue(const QString& key, const QString& value);

    ProjectSummary summary() const;
    QStringList tasks() const;

    // Resolves a path stored in the project (relative to artifactsDir()); throws fts::Error if it
    // is absolute or leads outside the artifacts folder, so a crafted project cannot reach other files.
    QString artifactPath(const QString& relative) const;

    // Writes a consistent copy of the whole database (VACUUM INTO) to `path`, which must not exist.
    void saveCopyAs(const QString& path) const;

    static ProjectFileCheck checkFile(const QString& path);
    static constexpr const char* FileSuffix = "ftproj";

private:
    Project(QString path, Access access);
    QSqlDatabase connect(const QString& name) const; // a new connection to the file, opened
    void openConnection();
    void closeConnection();

    QString m_path;
    QString m_connectionName;
    Access m_access;
    std::unique_ptr<ProjectLock> m_lock; // ReadWrite only; released after the connection closes
    QSqlDatabase m_db;
    QSqlDatabase m_browseDb;
};

// Runs SQL on a project's connection, turning failures into fts::Error with the statement's purpose.
class SqlQuery
{
public:
    SqlQuery(QSqlDatabase& db, const QString& sql);
    SqlQuery& bind(const QVariant& value);
    SqlQuery& exec(const char* purpose);
    bool next();
    QVariant value(int column) const;
    QVariant lastInsertId() const;
    QSqlQuery& raw() { return m_query; }

private:
    QSqlQuery m_query;
};

// Commits on commit(), rolls back if destroyed first: an exception leaves the project as it was.
class Transaction
{
public:
    explicit Transaction(QSqlDatabase& db);
    ~Transaction();
    void commit();

private:
    QSqlDatabase& m_db;
    bool m_done = false;
};

QString nowIso();

} // namespace fts
