// What every tokenizer shares: added-token matching, truncation, special-token templates, padding.
#include "tokenize/Tokenizer.h"

#include "Error.h"

#include <QStringList>

#include <algorithm>

namespace fts {
namespace {

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_';
}

int countSpecials(const std::vector<TemplatePiece>& pieces)
{
    return int(std::count_if(pieces.begin(), pieces.end(),
                             [](const TemplatePiece& p) { return p.sequence < 0; }));
}

// Longest-first truncation of a pair to `budget` tokens: always shorten the longer input, as
// Hugging Face's "longest_first" strategy does, so neither input is emptied needlessly.
void truncatePair(size_t budget, size_t* a, size_t* b)
{
    while (*a + *b > budget) {
        if (*a > *b)
            --*a;
        else
            --*b;
    }
}

template <typename T> void keep(std::vector<T>& v, size_t n, TruncationSide side)
{
    if (v.size() <= n)
        return;
    if (side == TruncationSide::Right)
        v.resize(n);
    else
        v.erase(v.begin(), v.end() - std::ptrdiff_t(n));
}

} // namespace

PostProcessor PostProcessor::none()
{
    PostProcessor p;
    p.single = {{0, -1, 0}};
    p.pair = {{0, -1, 0}, {1, -1, 1}};
    return p;
}

PostProcessor PostProcessor::bert(int64_t cls, int64_t sep)
{
    PostProcessor p;
    p.single = {{-1, cls, 0}, {0, -1, 0}, {-1, sep, 0}};
    p.pair = {{-1, cls, 0}, {0, -1, 0}, {-1, sep, 0}, {1, -1, 1}, {-1, sep, 1}};
    return p;
}

PostProcessor PostProcessor::roberta(int64_t bos, int64_t eos)
{
    // RoBERTa has no segment embeddings to speak of: every type id is 0.
    PostProcessor p;
    p.single = {{-1, bos, 0}, {0, -1, 0}, {-1, eos, 0}};
    p.pair = {{-1, bos, 0}, {0, -1, 0}, {-1, eos, 0}, {-1, eos, 0}, {1, -1, 0}, {-1, eos, 0}};
    return p;
}

PostProcessor PostProcessor::bosEos(int64_t bos, int64_t eos)
{
    // As LlamaTokenizer.build_inputs_with_special_tokens: bos? A eos? (bos? B eos?).
    PostProcessor p;
    for (int seq = 0; seq < 2; ++seq) {
        std::vector<TemplatePiece> one;
        if (bos >= 0)
            one.push_back({-1, bos, seq});
        one.push_back({seq, -1, seq});
        if (eos >= 0)
            one.push_back({-1, eos, seq});
        if (seq == 0)
            p.single = one;
        p.pair.insert(p.pair.end(), one.begin(), one.end());
    }
    return p;
}

Tokenizer::~Tokenizer() = default;

void Tokenizer::addAddedToken(const AddedToken& token)
{
    if (token.content.isEmpty() || token.id < 0)
        throw Error(QStringLiteral("An added token needs text and an id (got \"%1\", id %2). Fix "
                                   "the \"added_tokens\" entry in tokenizer.json.")
                        .arg(token.content)
                        .arg(token.id));
    if (auto it = m_addedByContent.find(token.content); it != m_addedByContent.end()) {
        m_added[*it] = token; // a later file (tokenizer_config.json) refines the flags
        m_addedById[token.id] = *it;
        return;
    }
    m_addedByContent.insert(token.content, int(m_added.size()));
    m_addedById.insert(token.id, int(m_added.size()));
    m_added.push_back(token);
}

const AddedToken* Tokenizer::matchAddedToken(const QString& text, int pos, int* matchStart,
                                             int* matchEnd) const
{
    const AddedToken* best = nullptr;
    for (const AddedToken& t : m_added) {
        if (t.content[0] != text[pos] || (best && t.content.size() <= best->content.size()))
            continue;
        if (!QStringView(text).mid(pos).startsWith(t.content))
            continue;
        const int end = pos + int(t.content.size());
        if (t.singleWord && ((pos > 0 && isWordChar(text[pos - 1])) ||
                             (end < text.size() && isWordChar(text[end]))))
            continue;
        best = &t;
    }
    if (!best)
        return nullptr;
    int start = pos, end = pos + int(best->content.size());
    while (best->lstrip && start > 0 && text[start - 1].isSpace())
        --start;
    while (best->rstrip && end < text.size() && text[end].isSpace())
        ++end;
    *matchStart = start;
    *matchEnd = end;
    return best;
}

void Tokenizer::tokenizeWithAddedTokens(const QString& text, std::vector<Piece>& out) const
{
    auto emitText = [&](int from, int to) {
        if (to <= from)
            return;
        std::vector<Piece> pieces;
        tokenizeText(text.mid(from, to - from), pieces);
        for (Piece p : pieces)
            out.push_back({p.id, p.start + from, p.end + from});
    };
    int segmentStart = 0;
    int pos = 0;
    while (pos < text.size() && !m_added.empty()) {
        int matchStart = 0, matchEnd = 0;
        const AddedToken* t = matchAddedToken(text, pos, &matchStart, &matchEnd);
        if (!t) {
            ++pos;
            continue;
        }
        emitText(segmentStart, std::max(matchStart, segmentStart));
        out.push_back({t->id, pos, pos + int(t->content.size())});
        segmentStart = pos = matchEnd;
    }
    emitText(segmentStart, int(text.size()));
}

Encoding Tokenizer::encode(const QString& text, const QString& pair,
                           const EncodeOptions& options) const
{
    const bool hasPair = !pair.isNull();
    std::vector<Piece> seq[2];
    tokenizeWithAddedTokens(text, seq[0]);
    if (hasPair)
        tokenizeWithAddedTokens(pair, seq[1]);

    PostProcessor post = m_post.single.empty() ? PostProcessor::none() : m_post;
    const std::vector<TemplatePiece>& tmpl = hasPair ? post.pair : post.single;
    const int limit = options.maxLength > 0 ? options.maxLength : m_modelMaxLength;
    if (limit > 0) {
        const int specials = options.addSpecialTokens ? countSpecials(tmpl) : 0;
        if (limit <= specials)
            throw Error(QStringLiteral("The maximum length %1 leaves no room for text next to the "
                                       "%2 special tokens. Choose a maximum length above %2.")
                            .arg(limit)
                            .arg(specials));
        size_t a = seq[0].size(), b = seq[1].size();
        if (hasPair)
            truncatePair(size_t(limit - specials), &a, &b);
        else
            a = std::min(a, size_t(limit - specials));
        keep(seq[0], a, options.truncationSide);
        keep(seq[1], b, options.truncationSide);
    }

    Encoding enc;
    auto push = [&](int64_t id, int typeId, std::pair<int, int> offset, int sequence) {
        enc.ids.push_back(id);
        enc.typeIds.push_back(typeId);
        enc.attentionMask.push_back(1);
        enc.offsets.push_back(offset);
        enc.sequenceIds.push_back(int8_t(sequence));
    };
    for (const TemplatePiece& t : tmpl) {
        if (t.sequence < 0) {
            if (options.addSpecialTokens)
                push(t.id, t.typeId, {0, 0}, -1);
            continue;
        }
        for (const Piece& p : seq[t.sequence])
            push(p.id, t.typeId, {p.start, p.end}, t.sequence);
    }
    return enc;
}

QString Tokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const
{
    QStringList parts;
    std::vector<int64_t> run;
    auto flush = [&] {
        if (!run.empty())
            parts << decodeModelIds(run);
        run.clear();
    };
    for (int64_t id : ids) {
        auto it = m_addedById.find(id);
        if (it == m_addedById.end()) {
            if (id < 0 || id >= modelVocabSize())
                throw Error(QStringLiteral("Token id %1 is outside the vocabulary (0..%2): the ids "
                                           "were made with another tokenizer.")
                                .arg(id)
                                .arg(vocabSize() - 1));
            run.push_back(id);
            continue;
        }
        flush();
        const AddedToken& t = m_added[*it];
        if (!(skipSpecialTokens && t.special))
            parts << t.content;
    }
    flush();
    return parts.join(decodeJoiner());
}

int Tokenizer::vocabSize() const
{
    int64_t n = modelVocabSize();
    for (const AddedToken& t : m_added)
        n = std::max(n, t.id + 1);
    return int(n);
}

int64_t Tokenizer::tokenToId(const QString& token) const
{
    if (auto it = m_addedByContent.find(token); it != m_addedByContent.end())
        return m_added[*it].id;
    return modelTokenToId(token);
}

QString Tokenizer::idToToken(int64_t id) const
{
    if (auto it = m_addedById.find(id); it != m_addedById.end())
        return m_added[*it].content;
    if (id < 0 || id >= modelVocabSize())
        return {};
    return modelIdToToken(id);
}

BatchEncoding padBatch(const std::vector<Encoding>& encodings, const PaddingOptions& options)
{
    BatchEncoding batch;
    batch.rows = int(encodings.size());
    int longest = 0;
    for (const Encoding& e : encodings) {
        if (options.maxLength > 0 && e.size() > options.maxLength)
            throw Error(QStringLiteral("A text has %1 tokens, more than the maximum length %2. "
                                       "Encode with that maximum length so it is truncated.")
                            .arg(e.size())
                            .arg(options.maxLength));
        longest = std::max(longest, e.size());
    }
    const int multiple = std::max(1, options.toMultipleOf);
    int cols = (longest + multiple - 1) / multiple * multiple;
    if (options.maxLength > 0)
        cols = std::min(cols, options.maxLength);
    batch.cols = cols;
    const size_t total = size_t(batch.rows) * size_t(cols);
    batch.ids.assign(total, options.padId);
    batch.typeIds.assign(total, 0);
    batch.attentionMask.assign(total, 0);
    for (int r = 0; r < batch.rows; ++r) {
        const Encoding& e = encodings[size_t(r)];
        const size_t offset = size_t(r) * size_t(cols) +
                              (options.side == PaddingSide::Left ? size_t(cols - e.size()) : 0);
        std::copy(e.ids.begin(), e.ids.end(), batch.ids.begin() + std::ptrdiff_t(offset));
        std::copy(e.typeIds.begin(), e.typeIds.end(),
                  batch.typeIds.begin() + std::ptrdiff_t(offset));
        std::fill_n(batch.attentionMask.begin() + std::ptrdiff_t(offset), e.size(), 1);
    }
    return batch;
}

} // namespace fts
