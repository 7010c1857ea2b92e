// Byte-level BPE as described with GPT-2 (Radford et al. 2019, and OpenAI's published encoder):
// regex pre-tokenization, bytes mapped to printable characters, lowest-rank pair merged first.
#include "tokenize/ByteLevelBpe.h"

#include "Error.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <functional>
#include <queue>

namespace fts {
namespace {

// Words this long are split but not cached: one pathological input must not fill the cache.
constexpr int kMaxCachedWordLength = 256;
constexpr int kMaxCacheEntries = 200000;

QByteArray readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1: %2").arg(path, f.errorString()));
    return f.readAll();
}

} // namespace

QString ByteLevelBpeTokenizer::gpt2Pattern()
{
    return QStringLiteral(
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
}

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(const QHash<QString, int>& vocab, const Merges& merges,
                                             const ByteLevelBpeOptions& options)
    : m_ids(vocab), m_options(options)
{
    int maxId = -1;
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        maxId = std::max(maxId, it.value());
    m_tokens.resize(maxId + 1);
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        m_tokens[it.value()] = it.key();
    m_ranks.reserve(qsizetype(merges.size()));
    for (size_t i = 0; i < merges.size(); ++i) {
        const QString key = merges[i].first + u' ' + merges[i].second;
        if (!m_ranks.contains(key))
            m_ranks.insert(key, int(i));
    }
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest are
    // shifted to 256+n so no symbol is whitespace or a control character.
    int shifted = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable =
            (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        m_byteToChar[b] = QChar(printable ? b : 256 + shifted++);
        m_charToByte.insert(m_byteToChar[b], uint8_t(b));
    }
    const QString pattern = options.pattern.isEmpty() ? gpt2Pattern() : options.pattern;
    m_pattern = QRegularExpression(pattern, QRegularExpression::UseUnicodePropertiesOption);
    if (!m_pattern.isValid())
        throw Error(QStringLiteral("The tokenizer's pre-tokenization pattern is not a valid "
                                   "regular expression (%1): %2")
                        .arg(m_pattern.errorString(), pattern));
}

QHash<QString, int> ByteLevelBpeTokenizer::readVocabJson(const QString& path)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(path), &err);
    if (!doc.isObject())
        throw Error(QStringLiteral("%1 is not a JSON object of token -> id (%2). Replace it with "
                                   "the model's original vocab.json.")
                        .arg(path, err.errorString()));
    QHash<QString, int> vocab;
    const QJsonObject obj = doc.object();
    vocab.reserve(obj.size());
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (!it.value().isDouble() || it.value().toDouble() < 0)
            throw Error(
                QStringLiteral("In %1 the token \"%2\" has no valid id.").arg(path, it.key()));
        vocab.insert(it.key(), it.value().toInt());
    }
    return vocab;
}

ByteLevelBpeTokenizer::Merges ByteLevelBpeTokenizer::readMergesTxt(const QString& path)
{
    const QList<QByteArray> lines = readAll(path).split('\n');
    Merges merges;
    merges.reserve(size_t(lines.size()));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines[i]).trimmed();
        if (line.isEmpty() || (i == 0 && line.startsWith(QStringLiteral("#version"))))
            continue;
        const QStringList parts = line.split(u' ');
        if (parts.size() != 2)
            throw Error(QStringLiteral("Line %1 of %2 is not a merge (\"left right\"): %3")
                            .arg(i + 1)
                            .arg(path, line));
        merges.emplace_back(parts[0], parts[1]);
    }
    return merges;
}

ByteLevelBpeTokenizer::WordTokens ByteLevelBpeTokenizer::mergeSymbols(const QString& word) const
{
    // Symbols are runs of `word` in a linked list; candidate pairs wait in a queue ordered by
    // (rank, position). That merges the lowest-rank pair leftmost first, which gives exactly
    // GPT-2's "merge every occurrence of the best pair" result (a merge never recreates the pair
    // it consumed), in O(n log n) instead of O(n^2) on very long words.
    struct Symbol
    {
        int start, len, prev, next; // len 0 = merged into its left neighbour
    };
    struct Candidate
    {
        int rank, left, leftLen, rightLen;
        bool operator>(const Candidate& o) const
        {
            return rank != o.rank ? rank > o.rank : left > o.left;
        }
    };
    const int n = int(word.size()); // the byte alphabet is all in the BMP: one QChar per byte
    std::vector<Symbol> sym(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        sym[size_t(i)] = {i, 1, i - 1, i + 1 < n ? i + 1 : -1};
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    auto consider = [&](int left) {
        const int right = left < 0 ? -1 : sym[size_t(left)].next;
        if (right < 0)
            return;
        const Symbol& l = sym[size_t(left)];
        const Symbol& r = sym[size_t(right)];
        const int rank =
            m_ranks.value(word.mid(l.start, l.len) + u' ' + word.mid(r.start, r.len), -1);
        if (rank >= 0)
            queue.push({rank, left, l.len, r.len});
    };
    for (int i = 0; i + 1 < n; ++i)
        consider(i);
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = sym[size_t(c.left)];
        if (l.len != c.leftLen || l.next < 0 || sym[size_t(l.next)].len != c.rightLen)
            continue; // stale: one side has changed since the pair was queued
        Symbol& r = sym[size_t(l.next)];
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (l.next >= 0)
            sym[size_t(l.next)].prev = c.left;
        consider(l.prev);
        consider(c.left);
    }
    WordTokens tokens;
    for (int i = n > 0 ? 0 : -1; i >= 0; i = sym[size_t(i)].next) {
        const QString s = word.mid(sym[size_t(i)].start, sym[size_t(i)].len);
        int id = m_ids.value(s, -1);
        if (id < 0) {
            if (m_options.unkId < 0)
                throw Error(QStringLiteral("The BPE vocabulary has no token for \"%1\" and no "
                                           "unknown token: vocab.json and merges.txt do not match.")
                                .arg(s));
            id = int(m_options.unkId);
        }
        tokens.emplace_back(id, int(s.size()));
    }
    return tokens;
}

ByteLevelBpeTokenizer::WordTokens ByteLevelBpeTokenizer::bpeWord(const QString& word) const
{
    if (m_options.ignoreMerges)
        if (const int id = m_ids.value(word, -1); id >= 0)
            return {{id, int(word.size())}};
    const bool cacheable = word.size() <= kMaxCachedWordLength;
    if (cacheable) {
        QMutexLocker lock(&m_cacheMutex);
        if (auto it = m_cache.constFind(word); it != m_cache.constEnd())
            return *it;
    }
    WordTokens tokens = mergeSymbols(word);
    if (cacheable) {
        QMutexLocker lock(&m_cacheMutex);
        if (m_cache.size() >= kMaxCacheEntries)
            m_cache.clear();
        m_cache.insert(word, tokens);
    }
    return tokens;
}

void ByteLevelBpeTokenizer::tokenizeText(const QString& input, std::vector<Piece>& out) const
{
    const bool prefix = m_options.addPrefixSpace && !input.startsWith(u' ');
    const QString text = prefix ? QStringLiteral(" ") + input : input;
    const int shift = prefix ? 1 : 0; // the added space maps onto the first character
    auto it = m_pattern.globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        const int start = int(m.capturedStart()), end = int(m.capturedEnd());
        // Per byte of the word's UTF-8: the [start, end) of the character it belongs to.
        QString mapped;
        std::vector<std::pair<int, int>> byteChars;
        for (int i = start; i < end;) {
            const int len = (text[i].isHighSurrogate() && i + 1 < end) ? 2 : 1;
            const QByteArray utf8 = text.mid(i, len).toUtf8();
            for (char b : utf8) {
                mapped += m_byteToChar[uint8_t(b)];
                byteChars.emplace_back(std::max(0, i - shift), std::max(0, i + len - shift));
            }
            i += len;
        }
        int at = 0;
        for (const auto& [id, length] : bpeWord(mapped)) {
            out.push_back(
                {id, byteChars[size_t(at)].first, byteChars[size_t(at + length - 1)].second});
            at += length;
        }
    }
}

QByteArray ByteLevelBpeTokenizer::decodeBytes(const std::vector<int64_t>& ids) const
{
    QByteArray bytes;
    for (int64_t id : ids) {
        if (id < 0 || id >= m_tokens.size())
            throw Error(QStringLiteral("Token id %1 is outside the vocabulary (0..%2).")
                            .arg(id)
                            .arg(m_tokens.size() - 1));
        for (QChar c : m_tokens[int(id)]) {
            auto b = m_charToByte.constFind(c);
            if (b != m_charToByte.constEnd())
                bytes += char(*b);
            else
                bytes += QString(c).toUtf8(); // an added token's plain text
        }
    }
    return bytes;
}

QString ByteLevelBpeTokenizer::decodeModelIds(const std::vector<int64_t>& ids) const
{
    return QString::fromUtf8(decodeBytes(ids));
}

} // namespace fts
