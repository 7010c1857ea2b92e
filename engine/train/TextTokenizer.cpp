// Tokenizer adapters for the trainer: a word vocabulary and a sentencepiece model.
#include "train/TextTokenizer.h"

#include "Error.h"
#include "tokenize/Tokenizer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

namespace fts {

std::vector<int64_t> TextTokenizer::encodeForClassifier(const QString& text, int maxLength) const
{
    std::vector<int64_t> ids = encode(text);
    const size_t room = maxLength > 2 ? size_t(maxLength - 2) : 0;
    if (ids.size() > room)
        ids.resize(room);
    ids.insert(ids.begin(), clsId());
    ids.push_back(sepId());
    return ids;
}

QStringList WordVocabulary::split(const QString& text)
{
    // Words are runs of letters, digits and apostrophes; every other visible character stands
    // alone.
    static const QRegularExpression token(QStringLiteral("[\\p{L}\\p{N}']+|[^\\s\\p{L}\\p{N}]"));
    QStringList out;
    auto it = token.globalMatch(text.toLower());
    while (it.hasNext())
        out << it.next().captured();
    return out;
}

WordVocabulary WordVocabulary::build(const QStringList& texts, int maxWords)
{
    QStringList words = {QStringLiteral("[PAD]"), QStringLiteral("[UNK]"), QStringLiteral("[CLS]"),
                         QStringLiteral("[SEP]")};
    QSet<QString> seen(words.begin(), words.end());
    for (const QString& text : texts)
        for (const QString& w : split(text)) {
            if (maxWords > 0 && words.size() >= maxWords)
                return fromWords(words);
            if (!seen.contains(w)) {
                seen.insert(w);
                words << w;
            }
        }
    return fromWords(words);
}

WordVocabulary WordVocabulary::fromWords(const QStringList& words)
{
    if (words.size() < 4 || words[0] != QLatin1String("[PAD]") ||
        words[3] != QLatin1String("[SEP]"))
        throw Error(QStringLiteral("A word vocabulary must start with [PAD], [UNK], [CLS], [SEP]; "
                                   "the file looks damaged: delete it and train again."));
    WordVocabulary v;
    v.m_words = words;
    for (int i = 0; i < words.size(); ++i)
        v.m_ids.insert(words[i], i);
    return v;
}

std::vector<int64_t> WordVocabulary::encode(const QString& text) const
{
    std::vector<int64_t> ids;
    for (const QString& w : split(text))
        ids.push_back(m_ids.value(w, unkId()));
    return ids;
}

ModelTokenizer::ModelTokenizer(std::unique_ptr<Tokenizer> tokenizer, const QString& modelDir)
    : m_tokenizer(std::move(tokenizer))
{
    const SpecialIds& s = m_tokenizer->specialIds();
    // BERT names its frame [CLS]/[SEP]; RoBERTa, Llama and sentencepiece models use bos/eos.
    m_cls = s.cls >= 0 ? s.cls : s.bos;
    m_sep = s.sep >= 0 ? s.sep : s.eos;
    if (m_cls < 0 || m_sep < 0)
        throw Error(QStringLiteral("The tokenizer in %1 has neither [CLS]/[SEP] nor <s>/</s> "
                                   "tokens, so a classifier input cannot be framed; use the "
                                   "tokenizer the model was trained with.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    // Padding positions are masked out, so any id works when the model defines none.
    m_pad = s.pad >= 0 ? s.pad : (s.eos >= 0 ? s.eos : 0);
}

ModelTokenizer::~ModelTokenizer() = default;

std::vector<int64_t> ModelTokenizer::encode(const QString& text) const
{
    EncodeOptions options;
    options.addSpecialTokens = false;
    return m_tokenizer->encode(text, {}, options).ids;
}

int64_t ModelTokenizer::vocabSize() const
{
    return m_tokenizer->vocabSize();
}

std::unique_ptr<TextTokenizer> loadModelTokenizer(const QString& modelDir)
{
    const QDir dir(modelDir);
    // A word vocabulary is what the trainer writes for from-scratch teaching models; everything
    // else is a Hugging Face tokenizer, and loadTokenizer's error names the files it looked for.
    QFile words(dir.filePath(QStringLiteral("vocab_words.txt")));
    if (words.open(QIODevice::ReadOnly)) {
        const QStringList list =
            QString::fromUtf8(words.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        return std::make_unique<WordVocabulary>(WordVocabulary::fromWords(list));
    }
    return std::make_unique<ModelTokenizer>(loadTokenizer(modelDir), modelDir);
}

} // namespace fts
