// Tokenizer adapters for the trainer: a word vocabulary and a sentencepiece model.
#include "train/TextTokenizer.h"

#include "Error.h"
#include "tokenize/SentencePiece.h"

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

SentencePieceTokenizer::SentencePieceTokenizer(const QString& modelFile)
    : m_model(SentencePieceModel::load(modelFile))
{
    const auto piece = [this](const char* name) {
        return m_model->pieceToId(QString::fromLatin1(name));
    };
    const int unk = m_model->unkId();
    // pieceToId answers the unknown id for a piece the model lacks.
    const auto has = [&](const char* name) { return piece(name) != unk; };
    if (has("[CLS]") && has("[SEP]")) {
        m_cls = piece("[CLS]");
        m_sep = piece("[SEP]");
    } else if (m_model->bosId() >= 0 && m_model->eosId() >= 0) {
        m_cls = m_model->bosId();
        m_sep = m_model->eosId();
    } else {
        throw Error(
            QStringLiteral("%1 has neither [CLS]/[SEP] nor <s>/</s> pieces, so a classifier "
                           "input cannot be framed; use the tokenizer the model was "
                           "trained with.")
                .arg(modelFile));
    }
    m_pad = m_model->padId() >= 0 ? m_model->padId() : (has("[PAD]") ? piece("[PAD]") : 0);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int64_t> SentencePieceTokenizer::encode(const QString& text) const
{
    const QList<int> ids = m_model->encode(text);
    return std::vector<int64_t>(ids.begin(), ids.end());
}

int64_t SentencePieceTokenizer::vocabSize() const
{
    return m_model->vocabSize();
}

std::unique_ptr<TextTokenizer> loadModelTokenizer(const QString& modelDir)
{
    const QDir dir(modelDir);
    if (QFileInfo::exists(dir.filePath(QStringLiteral("tokenizer.model"))))
        return std::make_unique<SentencePieceTokenizer>(
            dir.filePath(QStringLiteral("tokenizer.model")));
    QFile words(dir.filePath(QStringLiteral("vocab_words.txt")));
    if (words.open(QIODevice::ReadOnly)) {
        const QStringList list =
            QString::fromUtf8(words.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        return std::make_unique<WordVocabulary>(WordVocabulary::fromWords(list));
    }
    throw Error(QStringLiteral("The model folder %1 has no tokenizer: it needs config.json, "
                               "model.safetensors and tokenizer.model (a sentencepiece model). "
                               "Copy the model's tokenizer.model into the folder.")
                    .arg(QDir::toNativeSeparators(modelDir)));
}

} // namespace fts
