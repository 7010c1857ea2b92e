// Sentencepiece training flags per tokenizer style, and the Hugging Face files written beside it.
#include "pretrain/TokenizerTraining.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "pretrain/Corpus.h"
#include "tokenize/SentencePiece.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace fts {
namespace {

struct StyleTokens
{
    QString pad, unk, bos, eos, mask;
};

StyleTokens tokensOf(TokenizerStyle style)
{
    if (style == TokenizerStyle::Bert)
        return {QStringLiteral("[PAD]"), QStringLiteral("[UNK]"), QStringLiteral("[CLS]"),
                QStringLiteral("[SEP]"), QStringLiteral("[MASK]")};
    return {QString(), QStringLiteral("<unk>"), QStringLiteral("<s>"), QStringLiteral("</s>"),
            QString()};
}

QString styleFlags(TokenizerStyle style)
{
    // Control pieces are never produced from text, so a user's "[CLS]" stays plain text.
    if (style == TokenizerStyle::Bert)
        return QStringLiteral("--pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3 --pad_piece=[PAD] "
                              "--unk_piece=[UNK] --bos_piece=[CLS] --eos_piece=[SEP] "
                              "--control_symbols=[MASK]");
    // A decoder must write back exactly what it reads: no normalisation, whitespace kept as it is
    // (line breaks in an answer's layout), and bytes outside the learned pieces (an em dash, a
    // euro sign, a newline) as byte pieces instead of <unk> — as Llama's own tokenizer does.
    return QStringLiteral("--unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --byte_fallback=true "
                          "--normalization_rule_name=identity --remove_extra_whitespaces=false");
}

} // namespace

void writeTokenizerConfig(const QString& outDir, TokenizerStyle style, int modelMaxLength)
{
    const StyleTokens t = tokensOf(style);
    QJsonObject map{{"unk_token", t.unk}, {"bos_token", t.bos}, {"eos_token", t.eos}};
    if (style == TokenizerStyle::Bert) {
        map.insert("pad_token", t.pad);
        map.insert("mask_token", t.mask);
        map.insert("cls_token", t.bos);
        map.insert("sep_token", t.eos);
    }
    QJsonObject config = map;
    // LlamaTokenizer reads tokenizer.model and frames with bos/eos as configured here.
    config.insert("tokenizer_class", QStringLiteral("LlamaTokenizer"));
    config.insert("add_bos_token", true);
    config.insert("add_eos_token", style == TokenizerStyle::Bert);
    config.insert("legacy", false);
    config.insert("model_max_length", modelMaxLength);
    config.insert("clean_up_tokenization_spaces", false);
    const QDir dir(outDir);
    writeJsonAtomically(dir.filePath(QStringLiteral("special_tokens_map.json")), map);
    writeJsonAtomically(dir.filePath(QStringLiteral("tokenizer_config.json")), config);
}

void trainTokenizer(const QStringList& documents, const QString& outDir,
                    const TokenizerTrainingOptions& options)
{
    if (options.algorithm != QLatin1String("unigram") && options.algorithm != QLatin1String("bpe"))
        throw Error(QStringLiteral("Unknown tokenizer algorithm '%1': use unigram or bpe.")
                        .arg(options.algorithm));
    if (options.vocabSize < 64)
        throw Error(QStringLiteral("A vocabulary of %1 pieces is too small; use at least 64 "
                                   "(8000 suits a small English model).")
                        .arg(options.vocabSize));
    if (!(options.characterCoverage >= 0.98 && options.characterCoverage <= 1.0))
        throw Error(QStringLiteral("Character coverage %1 is out of range: use 0.98 to 1 (1 keeps "
                                   "every character; 0.9995 suits Chinese or Japanese).")
                        .arg(options.characterCoverage));
    if (documents.isEmpty())
        throw Error(QStringLiteral("There is no text to train the tokenizer on."));
    if (!QDir().mkpath(outDir))
        throw Error(QStringLiteral("Could not create the folder %1; check permissions.")
                        .arg(QDir::toNativeSeparators(outDir)));
    // sentencepiece splits its flags on spaces, so it reads and writes in a space-free temp dir.
    QTemporaryDir work(QDir::tempPath() + QStringLiteral("/fts-spm-XXXXXX"));
    if (!work.isValid())
        throw Error(QStringLiteral("Could not create a temporary folder for tokenizer training; "
                                   "check free space in %1.")
                        .arg(QDir::tempPath()));
    const QString input = work.filePath(QStringLiteral("corpus.txt"));
    writeCorpus(input, documents);
    const QString prefix = work.filePath(QStringLiteral("tok"));
    const qint64 sample = options.maxDocuments > 0 ? options.maxDocuments : 0;
    QString args = QStringLiteral("--input=%1 --model_prefix=%2 --vocab_size=%3 --model_type=%4 "
                                  "--character_coverage=%5 --num_threads=%6 "
                                  "--max_sentence_length=20000 --split_digits=true "
                                  "--hard_vocab_limit=false --minloglevel=2 ")
                       .arg(input, prefix)
                       .arg(options.vocabSize)
                       .arg(options.algorithm)
                       .arg(options.characterCoverage)
                       .arg(std::max(1, options.threads)) +
                   styleFlags(options.style);
    if (sample > 0 && sample < documents.size())
        args +=
            QStringLiteral(" --input_sentence_size=%1 --shuffle_input_sentence=true").arg(sample);
    try {
        SentencePieceModel::train(args);
    } catch (const Error& e) {
        // sentencepiece says "Vocabulary size is smaller than required_chars. 300 vs 339.".
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("required_chars\\. (\\d+) vs (\\d+)")).match(e.message());
        if (!m.hasMatch())
            throw;
        throw Error(QStringLiteral("A vocabulary of %1 pieces is too small for this text: it needs at least %2 "
                                   "(one piece per character it contains%3, plus the special tokens). "
                                   "Choose a larger vocabulary; 8000 suits a corpus of a few megabytes.")
                        .arg(m.captured(1), m.captured(2),
                             options.style == TokenizerStyle::Llama
                                 ? QStringLiteral(" and 256 byte pieces, which let a decoder write any character")
                                 : QString()));
    }

    QFile model(prefix + QStringLiteral(".model"));
    if (!model.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Tokenizer training wrote no model file; check free space in "
                                   "%1.")
                        .arg(QDir::tempPath()));
    const QByteArray bytes = model.readAll();
    writeFileAtomically(QDir(outDir).filePath(QStringLiteral("tokenizer.model")),
                        [&](QIODevice& out) { out.write(bytes); });
    writeTokenizerConfig(outDir, options.style, options.modelMaxLength);
}

} // namespace fts
