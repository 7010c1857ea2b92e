// Fuzzes opening a project file someone sent: SQLite bytes that may be damaged, from another
// program, or from an older or newer studio; only fts::Error may come out, and a file that is not
// a project must not be changed.
#include "Error.h"
#include "project/Project.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static int argc = 1;
    static char name[] = "fuzz_project_open";
    static char* argv[] = {name, nullptr};
    static QCoreApplication app(argc, argv); // Qt Sql's drivers need one
    static QTemporaryDir dir;
    QDir(dir.path()).removeRecursively(); // lock, WAL, backups and artifacts of the last input
    QDir().mkpath(dir.path());
    const QString path = dir.filePath(QStringLiteral("sent.ftproj"));
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return 0;
        f.write(bytes);
    }
    for (auto access : {fts::Project::Access::ReadOnly, fts::Project::Access::ReadWrite}) {
        std::unique_ptr<fts::Project> project;
        try {
            project = fts::Project::open(path, access);
        } catch (const fts::Error&) {
            QFile f(path);
            if (f.open(QIODevice::ReadOnly) && f.readAll() != bytes)
                __builtin_trap(); // refused, yet modified
            continue;
        }
        try { // what the studio reads first from a project it opened
            (void)project->name();
            (void)project->metaValue(QStringLiteral("model_dir"));
        } catch (const fts::Error&) {
        }
    }
    return 0;
}
