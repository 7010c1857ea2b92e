// BERT's published tokenization (google-research/bert tokenization.py), written from its
// description: clean text, split CJK and punctuation, lower-case and strip accents, then WordPiece.
#include "tokenize/WordPiece.h"

#include "Error.h"

#include <QFile>

namespace fts {
namespace {

bool isControl(char32_t cp)
{
    if (cp == u'\t' || cp == u'\n' || cp == u'\r')
        return false;
    // Python's unicodedata.category(c).startswith("C"): Cc, Cf, Cs, Co and unassigned Cn.
    switch (QChar::category(cp)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_PrivateUse:
    case QChar::Other_NotAssigned:
        return true;
    default:
        return false;
    }
}

bool isWhitespace(char32_t cp)
{
    if (cp == u' ' || cp == u'\t' || cp == u'\n' || cp == u'\r')
        return true;
    // Zs per BERT; Zl/Zp too, because BERT's whitespace_tokenize (str.split) splits on them.
    const QChar::Category c = QChar::category(cp);
    return c == QChar::Separator_Space || c == QChar::Separator_Line ||
           c == QChar::Separator_Paragraph;
}

bool isPunctuation(char32_t cp)
{
    // BERT counts every ASCII non-alphanumeric as punctuation ($, +, ^, ... are not Unicode P*).
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return true;
    switch (QChar::category(cp)) {
    case QChar::Punctuation_Connector:
    case QChar::Punctuation_Dash:
    case QChar::Punctuation_Open:
    case QChar::Punctuation_Close:
    case QChar::Punctuation_InitialQuote:
    case QChar::Punctuation_FinalQuote:
    case QChar::Punctuation_Other:
        return true;
    default:
        return false;
    }
}

// The CJK Unified Ideographs blocks BERT lists (not Hangul, Hiragana or Katakana).
bool isCjk(char32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

char32_t codePointAt(const QString& s, int i, int* len)
{
    if (QChar::isHighSurrogate(s[i].unicode()) && i + 1 < s.size() &&
        QChar::isLowSurrogate(s[i + 1].unicode())) {
        *len = 2;
        return QChar::surrogateToUcs4(s[i], s[i + 1]);
    }
    *len = 1;
    return s[i].unicode();
}

} // namespace

WordPieceTokenizer::WordPieceTokenizer(const QStringList& vocab, const WordPieceOptions& options)
    : m_vocab(vocab), m_options(options)
{
    m_ids.reserve(vocab.size());
    for (int i = 0; i < vocab.size(); ++i)
        if (!m_ids.contains(vocab[i]))
            m_ids.insert(vocab[i], i); // a duplicated line: the first id wins
    if (m_options.stripAccents < 0)
        m_options.stripAccents = m_options.lowercase ? 1 : 0;
    m_unk = m_ids.value(m_options.unkToken, -1);
    if (m_unk < 0)
        throw Error(QStringLiteral("The WordPiece vocabulary has no unknown token \"%1\". Add it "
                                   "to vocab.txt or set \"unk_token\" in tokenizer_config.json.")
                        .arg(m_options.unkToken));
}

QStringList WordPieceTokenizer::readVocabTxt(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read the vocabulary %1: %2").arg(path, f.errorString()));
    QString text = QString::fromUtf8(f.readAll());
    QStringList lines = text.split(u'\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    for (QString& l : lines)
        if (l.endsWith(u'\r'))
            l.chop(1);
    if (lines.isEmpty())
        throw Error(QStringLiteral("The vocabulary %1 is empty.").arg(path));
    return lines;
}

int64_t WordPieceTokenizer::modelTokenToId(const QString& token) const
{
    return m_ids.value(token, -1);
}

void WordPieceTokenizer::normalizeChar(char32_t cp, int start, int end, char32_t next,
                                       char32_t prev, std::vector<std::vector<Char>>& words) const
{
    auto boundary = [&] {
        if (!words.back().empty())
            words.emplace_back();
    };
    if (cp == 0 || cp == 0xFFFD || isControl(cp))
        return;
    if (isWhitespace(cp))
        return boundary();
    if (m_options.tokenizeChineseChars && isCjk(cp)) {
        boundary();
        words.back().push_back({cp, start, end});
        return boundary();
    }
    QString s = QString::fromUcs4(&cp, 1);
    if (m_options.lowercase) {
        // Python's str.lower() writes a final sigma at the end of a word; per-character
        // lowering cannot see that, so apply the rule here.
        if (cp == 0x03A3 && QChar::isLetter(prev) && !QChar::isLetter(next))
            s = QString(QChar(0x03C2));
        else
            s = s.toLower();
    }
    if (m_options.stripAccents)
        s = s.normalized(QString::NormalizationForm_D);
    const QList<uint> cps = s.toUcs4();
    for (uint c : cps) {
        if (m_options.stripAccents && QChar::category(c) == QChar::Mark_NonSpacing)
            continue;
        if (isPunctuation(c)) {
            boundary();
            words.back().push_back({c, start, end});
            boundary();
        } else {
            words.back().push_back({c, start, end});
        }
    }
}

void WordPieceTokenizer::tokenizeText(const QString& text, std::vector<Piece>& out) const
{
    std::vector<std::vector<Char>> words(1);
    char32_t prev = 0;
    for (int i = 0; i < text.size();) {
        int len = 0, nextLen = 0;
        const char32_t cp = codePointAt(text, i, &len);
        const char32_t next = i + len < text.size() ? codePointAt(text, i + len, &nextLen) : 0;
        normalizeChar(cp, i, i + len, next, prev, words);
        prev = cp;
        i += len;
    }
    for (const std::vector<Char>& word : words)
        if (!word.empty())
            wordPiece(word, out);
}

void WordPieceTokenizer::wordPiece(const std::vector<Char>& word, std::vector<Piece>& out) const
{
    const int n = int(word.size());
    if (n > m_options.maxCharsPerWord) {
        out.push_back({m_unk, word.front().start, word.back().end});
        return;
    }
    QString s;
    std::vector<int> at; // where each character starts in s, plus the end
    for (const Char& c : word) {
        at.push_back(int(s.size()));
        s += QString::fromUcs4(&c.cp, 1);
    }
    at.push_back(int(s.size()));

    std::vector<Piece> pieces;
    for (int start = 0; start < n;) {
        int end = n, id = -1;
        for (; end > start; --end) {
            QString sub = s.mid(at[size_t(start)], at[size_t(end)] - at[size_t(start)]);
            if (start > 0)
                sub.prepend(m_options.continuingPrefix);
            id = m_ids.value(sub, -1);
            if (id >= 0)
                break;
        }
        if (id < 0) { // no piece fits: the whole word is unknown, as in BERT
            out.push_back({m_unk, word.front().start, word.back().end});
            return;
        }
        pieces.push_back({id, word[size_t(start)].start, word[size_t(end - 1)].end});
        start = end;
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
}

QString WordPieceTokenizer::decodeModelIds(const std::vector<int64_t>& ids) const
{
    QString out;
    for (int64_t id : ids) {
        const QString& tok = m_vocab[int(id)];
        if (tok.startsWith(m_options.continuingPrefix))
            out += tok.mid(m_options.continuingPrefix.size());
        else
            out += (out.isEmpty() ? QString() : QStringLiteral(" ")) + tok;
    }
    return out;
}

} // namespace fts
