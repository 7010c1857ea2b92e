// The tiny GPT-2 fixture as a user's model folder: its config and weights plus a small WordPiece
// vocabulary, so the studio loads a tokenizer from the folder as it would for a real model.
#pragma once

#include "TestUtil.h"

#include <QDir>
#include <QFile>
#include <QStringList>

namespace fts::test {

// 5 specials + a-z + ##a-##z + digits + punctuation: 77 entries, within the fixture's 100 ids.
inline QByteArray smallWordPieceVocab()
{
    QByteArray v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (char c = 'a'; c <= 'z'; ++c)
        v += QByteArray(1, c) + '\n';
    for (char c = 'a'; c <= 'z'; ++c)
        v += QByteArray("##") + c + '\n';
    for (char c = '0'; c <= '9'; ++c)
        v += QByteArray(1, c) + '\n';
    for (const char* p : {"#", ":", ".", "!", "?", ",", "<", ">", "/", "'"})
        v += QByteArray(p) + '\n';
    return v;
}

// Writes the folder `dir` and returns it; empty when the fixture could not be copied.
inline QString gpt2FixtureFolder(const QString& dir)
{
    const QString fixture = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/gpt2/");
    QDir().mkpath(dir);
    if (!QFile::copy(fixture + "config.json", dir + "/config.json") ||
        !QFile::copy(fixture + "model.safetensors", dir + "/model.safetensors"))
        return {};
    writeFile(dir + "/vocab.txt", smallWordPieceVocab());
    return dir;
}

// The lines of a text file (an output to compare), empty when it cannot be read.
inline QStringList readLines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
}

} // namespace fts::test
