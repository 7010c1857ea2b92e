// Unlabeled text for pre-training: documents read from files, folders or a project's text column.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

class Project;

struct CorpusOptions
{
    // true: a document is a run of lines up to a blank line (prose); false: one document per line
    // (what scripts/build-corpus.sh writes).
    bool paragraphs = false;
    qint64 maxDocuments = 0; // 0 = no limit
    int minCharacters = 1;   // shorter documents are skipped
};

// Reads UTF-8 text files, and every *.txt / *.md / *.text file under a folder (recursively, in
// sorted order so the corpus is the same on every run). Whitespace inside a document is collapsed.
// Throws fts::Error naming a path that does not exist or cannot be read, or when nothing is found.
QStringList readCorpus(const QStringList& paths, const CorpusOptions& options = {});

// The text column of a project's rows (all splits, labeled or not), in row order.
QStringList projectCorpus(Project& project, const CorpusOptions& options = {});

// A seeded random subset of `count` documents in their original order (all when count <= 0 or
// there are no more than that), so a large corpus can be cut to a training budget reproducibly.
QStringList sampleDocuments(const QStringList& documents, qint64 count, quint64 seed);

// Writes documents one per line (newlines inside a document become spaces), atomically.
void writeCorpus(const QString& path, const QStringList& documents);

} // namespace fts
