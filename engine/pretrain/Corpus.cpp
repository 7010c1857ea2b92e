// Reading pre-training text: files, folders and project rows into a list of documents.
#include "pretrain/Corpus.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "project/Project.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace fts {
namespace {

QString collapse(const QString& text)
{
    return text.simplified();
}

// Returns false once options.maxDocuments is reached.
bool addDocument(QStringList& out, const QString& raw, const CorpusOptions& options)
{
    const QString doc = collapse(raw);
    if (doc.size() >= std::max(1, options.minCharacters))
        out << doc;
    return options.maxDocuments <= 0 || out.size() < options.maxDocuments;
}

bool readFile(const QString& path, QStringList& out, const CorpusOptions& options)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Could not read the text file %1 (%2). Check that it exists and "
                                   "that you may read it.")
                        .arg(QDir::toNativeSeparators(path), f.errorString()));
    QString paragraph;
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine());
        if (!options.paragraphs) {
            if (!addDocument(out, line, options))
                return false;
            continue;
        }
        if (line.trimmed().isEmpty()) {
            if (!paragraph.isEmpty() && !addDocument(out, paragraph, options))
                return false;
            paragraph.clear();
        } else {
            paragraph += line;
        }
    }
    return paragraph.isEmpty() || addDocument(out, paragraph, options);
}

QStringList filesUnder(const QString& dir)
{
    QStringList files;
    QDirIterator it(dir,
                    {QStringLiteral("*.txt"), QStringLiteral("*.md"), QStringLiteral("*.text")},
                    QDir::Files | QDir::Readable, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files;
}

} // namespace

QStringList readCorpus(const QStringList& paths, const CorpusOptions& options)
{
    QStringList out;
    for (const QString& path : paths) {
        const QFileInfo info(path);
        if (!info.exists())
            throw Error(QStringLiteral("The text file or folder %1 does not exist.")
                            .arg(QDir::toNativeSeparators(path)));
        const QStringList files = info.isDir() ? filesUnder(path) : QStringList{path};
        if (info.isDir() && files.isEmpty())
            throw Error(QStringLiteral("The folder %1 holds no .txt, .md or .text files to learn "
                                       "from. Put plain-text files in it.")
                            .arg(QDir::toNativeSeparators(path)));
        for (const QString& file : files)
            if (!readFile(file, out, options))
                return out;
    }
    if (out.isEmpty())
        throw Error(QStringLiteral("No text found in %1: the files are empty.")
                        .arg(paths.join(QStringLiteral(", "))));
    return out;
}

QStringList projectCorpus(Project& project, const CorpusOptions& options)
{
    QStringList out;
    SqlQuery q(project.db(), QStringLiteral("SELECT text FROM rows ORDER BY id"));
    q.exec("reading the project's texts");
    while (q.next())
        if (!addDocument(out, q.value(0).toString(), options))
            break;
    if (out.isEmpty())
        throw Error(QStringLiteral("The project %1 has no rows of text to pre-train on; import "
                                   "some data first.")
                        .arg(project.name()));
    return out;
}

QStringList sampleDocuments(const QStringList& documents, qint64 count, quint64 seed)
{
    if (count <= 0 || count >= documents.size())
        return documents;
    std::vector<qsizetype> index(size_t(documents.size()));
    std::iota(index.begin(), index.end(), qsizetype(0));
    std::mt19937_64 rng(seed);
    std::shuffle(index.begin(), index.end(), rng);
    index.resize(size_t(count));
    std::sort(index.begin(), index.end());
    QStringList out;
    out.reserve(count);
    for (qsizetype i : index)
        out << documents[i];
    return out;
}

void writeCorpus(const QString& path, const QStringList& documents)
{
    writeFileAtomically(path, [&](QIODevice& out) {
        for (const QString& doc : documents)
            out.write(collapse(doc).toUtf8() + '\n');
    });
}

} // namespace fts
