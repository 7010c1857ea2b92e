// Reads Hugging Face tokenizer files and picks the implementation (loadTokenizer).
#include "tokenize/TokenizerFiles.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "tokenize/ByteLevelBpe.h"
#include "tokenize/SentencePieceTokenizer.h"
#include "tokenize/WordPiece.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace fts {
namespace {

const QString kTokenizerJson = QStringLiteral("tokenizer.json");
const QString kSpModel = QStringLiteral("tokenizer.model");
const QString kVocabTxt = QStringLiteral("vocab.txt");
const QString kVocabJson = QStringLiteral("vocab.json");
const QString kMergesTxt = QStringLiteral("merges.txt");

// transformers writes int(1e30) as model_max_length when a model has no limit.
constexpr double kNoLimitThreshold = 1e9;

QJsonObject readJsonObject(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError)
        throw Error(QStringLiteral("%1 is not valid JSON (%2 at byte %3). Download the file "
                                   "again or replace it with the model's original.")
                        .arg(path, err.errorString())
                        .arg(err.offset));
    if (!doc.isObject())
        throw Error(QStringLiteral("%1 should hold a JSON object. Replace it with the model's "
                                   "original file.")
                        .arg(path));
    return doc.object();
}

QString tokenText(const QJsonValue& v)
{
    return v.isObject() ? v.toObject().value(QStringLiteral("content")).toString() : v.toString();
}

// Visits a pre-tokenizer / decoder / post-processor and the ones nested in a "Sequence".
template <typename F> void forEachComponent(const QJsonValue& v, const F& f)
{
    const QJsonObject o = v.toObject();
    if (o.isEmpty())
        return;
    f(o);
    for (const char* key : {"pretokenizers", "decoders", "processors", "normalizers"})
        for (const QJsonValue& child : o.value(QLatin1String(key)).toArray())
            forEachComponent(child, f);
}

QJsonObject findComponent(const QJsonValue& v, const QString& type)
{
    QJsonObject found;
    forEachComponent(v, [&](const QJsonObject& o) {
        if (found.isEmpty() && o.value(QStringLiteral("type")).toString() == type)
            found = o;
    });
    return found;
}

QJsonObject requireModel(const TokenizerFiles& f, const QString& key)
{
    const QJsonObject model = f.tokenizerJson.value(QStringLiteral("model")).toObject();
    if (!model.value(key).isObject() && !model.value(key).isArray())
        throw Error(QStringLiteral("%1 has no \"model.%2\". Replace it with the model's original "
                                   "tokenizer.json.")
                        .arg(f.path(kTokenizerJson), key));
    return model;
}

std::unique_ptr<Tokenizer> wordPieceFromJson(const TokenizerFiles& f)
{
    const QJsonObject model = requireModel(f, QStringLiteral("vocab"));
    const QJsonObject vocabObj = model.value(QStringLiteral("vocab")).toObject();
    QStringList vocab(vocabObj.size());
    for (auto it = vocabObj.begin(); it != vocabObj.end(); ++it) {
        const int id = it.value().toInt(-1);
        if (id < 0 || id >= vocab.size())
            throw Error(QStringLiteral("In %1 the token \"%2\" has an id outside 0..%3.")
                            .arg(f.path(kTokenizerJson), it.key())
                            .arg(vocab.size() - 1));
        vocab[id] = it.key();
    }
    WordPieceOptions o;
    o.unkToken = model.value(QStringLiteral("unk_token")).toString(o.unkToken);
    o.continuingPrefix =
        model.value(QStringLiteral("continuing_subword_prefix")).toString(o.continuingPrefix);
    o.maxCharsPerWord = model.value(QStringLiteral("max_input_chars_per_word")).toInt(100);
    const QJsonObject norm =
        findComponent(f.tokenizerJson.value(QStringLiteral("normalizer")), "BertNormalizer");
    o.lowercase = norm.value(QStringLiteral("lowercase")).toBool(false);
    const QJsonValue strip = norm.value(QStringLiteral("strip_accents"));
    o.stripAccents = strip.isBool() ? int(strip.toBool()) : -1;
    o.tokenizeChineseChars = norm.value(QStringLiteral("handle_chinese_chars")).toBool(true);
    return std::make_unique<WordPieceTokenizer>(vocab, o);
}

std::unique_ptr<Tokenizer> wordPieceFromVocabTxt(const TokenizerFiles& f)
{
    WordPieceOptions o;
    o.lowercase = f.configFlag(QStringLiteral("do_lower_case")).value_or(true);
    const auto strip = f.configFlag(QStringLiteral("strip_accents"));
    o.stripAccents = strip ? int(*strip) : -1;
    o.tokenizeChineseChars = f.configFlag(QStringLiteral("tokenize_chinese_chars")).value_or(true);
    const QString unk = f.specialToken(QStringLiteral("unk_token"));
    if (!unk.isEmpty())
        o.unkToken = unk;
    return std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::readVocabTxt(f.path(kVocabTxt)),
                                                o);
}

ByteLevelBpeTokenizer::Merges mergesFromJson(const TokenizerFiles& f, const QJsonArray& arr)
{
    ByteLevelBpeTokenizer::Merges merges;
    merges.reserve(size_t(arr.size()));
    for (const QJsonValue& m : arr) {
        // Older files write "left right", newer ones ["left", "right"].
        const QStringList parts =
            m.isArray() ? QStringList{m.toArray().at(0).toString(), m.toArray().at(1).toString()}
                        : m.toString().split(u' ');
        if (parts.size() != 2 || parts[0].isEmpty() || parts[1].isEmpty())
            throw Error(
                QStringLiteral("%1 has a malformed merge entry. Replace it with the model's "
                               "original tokenizer.json.")
                    .arg(f.path(kTokenizerJson)));
        merges.emplace_back(parts[0], parts[1]);
    }
    return merges;
}

std::unique_ptr<Tokenizer> bpeFromJson(const TokenizerFiles& f)
{
    const QJsonObject model = requireModel(f, QStringLiteral("vocab"));
    requireModel(f, QStringLiteral("merges"));
    QHash<QString, int> vocab;
    const QJsonObject vocabObj = model.value(QStringLiteral("vocab")).toObject();
    for (auto it = vocabObj.begin(); it != vocabObj.end(); ++it)
        vocab.insert(it.key(), it.value().toInt());
    ByteLevelBpeOptions o;
    const QJsonValue pre = f.tokenizerJson.value(QStringLiteral("pre_tokenizer"));
    const QJsonObject byteLevel = findComponent(pre, QStringLiteral("ByteLevel"));
    o.addPrefixSpace = byteLevel.value(QStringLiteral("add_prefix_space")).toBool(false);
    const QJsonObject split = findComponent(pre, QStringLiteral("Split"));
    o.pattern =
        split.value(QStringLiteral("pattern")).toObject().value(QStringLiteral("Regex")).toString();
    o.ignoreMerges = model.value(QStringLiteral("ignore_merges")).toBool(false);
    const QString unk = model.value(QStringLiteral("unk_token")).toString();
    o.unkId = unk.isEmpty() ? -1 : vocab.value(unk, -1);
    return std::make_unique<ByteLevelBpeTokenizer>(
        vocab, mergesFromJson(f, model.value(QStringLiteral("merges")).toArray()), o);
}

std::unique_ptr<Tokenizer> bpeFromVocabFiles(const TokenizerFiles& f)
{
    const QHash<QString, int> vocab = ByteLevelBpeTokenizer::readVocabJson(f.path(kVocabJson));
    ByteLevelBpeOptions o;
    o.addPrefixSpace = f.configFlag(QStringLiteral("add_prefix_space")).value_or(false);
    const QString unk = f.specialToken(QStringLiteral("unk_token"));
    o.unkId = vocab.value(unk, -1);
    return std::make_unique<ByteLevelBpeTokenizer>(
        vocab, ByteLevelBpeTokenizer::readMergesTxt(f.path(kMergesTxt)), o);
}

std::unique_ptr<Tokenizer> sentencePiece(const TokenizerFiles& f)
{
    return std::make_unique<SentencePieceTokenizer>(
        f.path(kSpModel), f.configFlag(QStringLiteral("add_bos_token")).value_or(true),
        f.configFlag(QStringLiteral("add_eos_token")).value_or(false));
}

std::unique_ptr<Tokenizer> fromTokenizerJson(const TokenizerFiles& f)
{
    const QString type = f.tokenizerJson.value(QStringLiteral("model"))
                             .toObject()
                             .value(QStringLiteral("type"))
                             .toString();
    const bool byteLevel =
        !findComponent(f.tokenizerJson.value(QStringLiteral("pre_tokenizer")), "ByteLevel")
             .isEmpty() ||
        !findComponent(f.tokenizerJson.value(QStringLiteral("decoder")), "ByteLevel").isEmpty();
    if (type == QLatin1String("WordPiece"))
        return wordPieceFromJson(f);
    if (type == QLatin1String("BPE") && byteLevel)
        return bpeFromJson(f);
    if (f.has(kSpModel))
        return sentencePiece(f); // e.g. Llama-2's tokenizer.json mirrors its tokenizer.model
    if (type.isEmpty())
        throw Error(QStringLiteral("%1 has no \"model.type\": it is not a Hugging Face tokenizer "
                                   "file. Replace it with the model's original tokenizer.json.")
                        .arg(f.path(kTokenizerJson)));
    throw Error(QStringLiteral("%1 uses a %2 tokenizer%3, which Finetune Studio reads only from "
                               "tokenizer.model. Put the model's tokenizer.model beside it.")
                    .arg(f.path(kTokenizerJson), type,
                         type == QLatin1String("BPE") ? QStringLiteral(" without byte-level "
                                                                       "pre-tokenization")
                                                      : QString()));
}

std::unique_ptr<Tokenizer> chooseImplementation(const TokenizerFiles& f)
{
    if (f.hasTokenizerJson)
        return fromTokenizerJson(f);
    if (f.has(kVocabTxt))
        return wordPieceFromVocabTxt(f);
    if (f.has(kVocabJson) && f.has(kMergesTxt))
        return bpeFromVocabFiles(f);
    if (f.has(kSpModel))
        return sentencePiece(f);
    if (f.has(kVocabJson) || f.has(kMergesTxt))
        throw Error(QStringLiteral("%1 has only one of vocab.json and merges.txt; a BPE tokenizer "
                                   "needs both. Copy the missing file from the model's download.")
                        .arg(QDir::toNativeSeparators(f.dir)));
    throw Error(QStringLiteral("No tokenizer files in %1. A model folder needs one of: "
                               "tokenizer.json, vocab.txt, vocab.json with merges.txt, or "
                               "tokenizer.model. Copy them from the model's download.")
                    .arg(QDir::toNativeSeparators(f.dir)));
}

void addAddedTokens(Tokenizer& tok, const TokenizerFiles& f)
{
    for (const QJsonValue& v : f.tokenizerJson.value(QStringLiteral("added_tokens")).toArray()) {
        const QJsonObject o = v.toObject();
        AddedToken t;
        t.content = o.value(QStringLiteral("content")).toString();
        t.id = o.value(QStringLiteral("id")).toInteger(-1);
        t.special = o.value(QStringLiteral("special")).toBool(false);
        t.lstrip = o.value(QStringLiteral("lstrip")).toBool(false);
        t.rstrip = o.value(QStringLiteral("rstrip")).toBool(false);
        t.singleWord = o.value(QStringLiteral("single_word")).toBool(false);
        tok.addAddedToken(t);
    }
    // transformers' own record of added tokens, keyed by id.
    const QJsonObject decoder = f.config.value(QStringLiteral("added_tokens_decoder")).toObject();
    for (auto it = decoder.begin(); it != decoder.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        const QString content = o.value(QStringLiteral("content")).toString();
        if (content.isEmpty() || tok.tokenToId(content) == it.key().toLongLong())
            continue; // already known with the same id
        tok.addAddedToken({content, it.key().toLongLong(),
                           o.value(QStringLiteral("special")).toBool(true),
                           o.value(QStringLiteral("lstrip")).toBool(false),
                           o.value(QStringLiteral("rstrip")).toBool(false),
                           o.value(QStringLiteral("single_word")).toBool(false)});
    }
}

// "additional_special_tokens" (e.g. chat markers) that the vocabulary already holds: never split.
void addAdditionalSpecialTokens(Tokenizer& tok, const TokenizerFiles& f)
{
    for (const QJsonObject* file : {&f.config, &f.specialTokensMap}) {
        for (const QJsonValue& v :
             file->value(QStringLiteral("additional_special_tokens")).toArray()) {
            const QString text = tokenText(v);
            const int64_t id = text.isEmpty() ? -1 : tok.tokenToId(text);
            bool known = false;
            for (const AddedToken& t : tok.addedTokens())
                known = known || t.content == text;
            if (id >= 0 && !known)
                tok.addAddedToken({text, id, /*special=*/true});
        }
    }
}

SpecialIds resolveSpecialIds(Tokenizer& tok, const TokenizerFiles& f)
{
    // Names the files do not set fall back to each family's conventional token, if present.
    const bool roberta = tok.tokenToId(QStringLiteral("<s>")) >= 0;
    struct Name
    {
        const char* key;
        int64_t SpecialIds::*field;
        QString fallback;
    };
    const QString gpt2 = QStringLiteral("<|endoftext|>");
    const bool wp = tok.kind() == QLatin1String("wordpiece");
    const Name names[] = {
        {"pad_token", &SpecialIds::pad,
         wp        ? "[PAD]"
         : roberta ? "<pad>"
                   : QString()},
        {"unk_token", &SpecialIds::unk,
         wp        ? "[UNK]"
         : roberta ? "<unk>"
                   : gpt2},
        {"bos_token", &SpecialIds::bos,
         wp        ? QString()
         : roberta ? "<s>"
                   : gpt2},
        {"eos_token", &SpecialIds::eos,
         wp        ? QString()
         : roberta ? "</s>"
                   : gpt2},
        {"mask_token", &SpecialIds::mask,
         wp        ? "[MASK]"
         : roberta ? "<mask>"
                   : QString()},
        {"cls_token", &SpecialIds::cls, wp ? "[CLS]" : QString()},
        {"sep_token", &SpecialIds::sep, wp ? "[SEP]" : QString()},
    };
    SpecialIds ids = tok.specialIds();
    for (const Name& n : names) {
        QString text = f.specialToken(QLatin1String(n.key));
        if (text.isEmpty())
            text = n.fallback;
        const int64_t id = text.isEmpty() ? -1 : tok.tokenToId(text);
        if (id < 0)
            continue;
        ids.*n.field = id;
        bool known = false;
        for (const AddedToken& t : tok.addedTokens())
            known = known || t.content == text;
        if (!known) // special tokens are never split, as transformers guarantees
            tok.addAddedToken({text, id, /*special=*/true});
    }
    if (ids.cls < 0)
        ids.cls = ids.bos;
    if (ids.sep < 0)
        ids.sep = ids.eos;
    if (ids.bos < 0)
        ids.bos = ids.cls;
    if (ids.eos < 0)
        ids.eos = ids.sep;
    return ids;
}

std::vector<TemplatePiece> templateFromJson(const QJsonArray& items, const QJsonObject& specials,
                                            const QString& file)
{
    std::vector<TemplatePiece> out;
    for (const QJsonValue& v : items) {
        const QJsonObject o = v.toObject();
        if (o.contains(QStringLiteral("Sequence"))) {
            const QJsonObject s = o.value(QStringLiteral("Sequence")).toObject();
            out.push_back({s.value(QStringLiteral("id")).toString() == QLatin1String("B") ? 1 : 0,
                           -1, s.value(QStringLiteral("type_id")).toInt()});
            continue;
        }
        const QJsonObject s = o.value(QStringLiteral("SpecialToken")).toObject();
        const QString name = s.value(QStringLiteral("id")).toString();
        const QJsonArray ids =
            specials.value(name).toObject().value(QStringLiteral("ids")).toArray();
        if (ids.isEmpty())
            throw Error(QStringLiteral("%1's post_processor uses the special token \"%2\" but does "
                                       "not list its id. Replace it with the original file.")
                            .arg(file, name));
        for (const QJsonValue& id : ids)
            out.push_back({-1, id.toInteger(), s.value(QStringLiteral("type_id")).toInt()});
    }
    return out;
}

PostProcessor postProcessorFromJson(const TokenizerFiles& f)
{
    const QJsonObject pp = f.tokenizerJson.value(QStringLiteral("post_processor")).toObject();
    auto idOf = [&](const char* key) {
        return pp.value(QLatin1String(key)).toArray().at(1).toInteger(-1);
    };
    if (const QJsonObject t = findComponent(pp, QStringLiteral("TemplateProcessing"));
        !t.isEmpty()) {
        const QJsonObject specials = t.value(QStringLiteral("special_tokens")).toObject();
        PostProcessor p;
        p.single = templateFromJson(t.value(QStringLiteral("single")).toArray(), specials,
                                    f.path(kTokenizerJson));
        p.pair = templateFromJson(t.value(QStringLiteral("pair")).toArray(), specials,
                                  f.path(kTokenizerJson));
        return p;
    }
    const QString type = pp.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("BertProcessing"))
        return PostProcessor::bert(idOf("cls"), idOf("sep"));
    if (type == QLatin1String("RobertaProcessing"))
        return PostProcessor::roberta(idOf("cls"), idOf("sep"));
    return PostProcessor::none();
}

PostProcessor defaultPostProcessor(const Tokenizer& tok)
{
    const SpecialIds& ids = tok.specialIds();
    if (tok.kind() == QLatin1String("wordpiece"))
        return PostProcessor::bert(ids.cls, ids.sep);
    if (tok.tokenToId(QStringLiteral("<s>")) >= 0 && tok.tokenToId(QStringLiteral("</s>")) >= 0)
        return PostProcessor::roberta(ids.bos, ids.eos);
    return PostProcessor::none(); // GPT-2 adds nothing
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const QString& modelDir)
{
    const TokenizerFiles f = TokenizerFiles::read(modelDir);
    std::unique_ptr<Tokenizer> tok = chooseImplementation(f);
    addAddedTokens(*tok, f);
    addAdditionalSpecialTokens(*tok, f);
    tok->setSpecialIds(resolveSpecialIds(*tok, f));
    if (tok->kind() != QLatin1String("sentencepiece")) // the adapter follows add_bos/eos_token
        tok->setPostProcessor(f.hasTokenizerJson ? postProcessorFromJson(f)
                                                 : defaultPostProcessor(*tok));
    tok->setModelMaxLength(f.modelMaxLength());
    return tok;
}

TokenizerFiles TokenizerFiles::read(const QString& modelDir)
{
    TokenizerFiles f;
    f.dir = modelDir;
    if (!QFileInfo(modelDir).isDir())
        throw Error(QStringLiteral("The model folder %1 does not exist.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    if (f.has(kTokenizerJson)) {
        f.tokenizerJson = readJsonObject(f.path(kTokenizerJson));
        f.hasTokenizerJson = true;
    }
    if (f.has(QStringLiteral("tokenizer_config.json")))
        f.config = readJsonObject(f.path(QStringLiteral("tokenizer_config.json")));
    if (f.has(QStringLiteral("special_tokens_map.json")))
        f.specialTokensMap = readJsonObject(f.path(QStringLiteral("special_tokens_map.json")));
    return f;
}

bool TokenizerFiles::has(const QString& fileName) const
{
    return QFileInfo(path(fileName)).isFile();
}

QString TokenizerFiles::path(const QString& fileName) const
{
    return QDir(dir).filePath(fileName);
}

QString TokenizerFiles::specialToken(const QString& name) const
{
    const QString fromConfig = tokenText(config.value(name));
    return fromConfig.isEmpty() ? tokenText(specialTokensMap.value(name)) : fromConfig;
}

std::optional<bool> TokenizerFiles::configFlag(const QString& name) const
{
    const QJsonValue v = config.value(name);
    if (v.isBool())
        return v.toBool();
    return std::nullopt;
}

int TokenizerFiles::modelMaxLength() const
{
    const double v = config.value(QStringLiteral("model_max_length")).toDouble(0);
    return (v <= 0 || v > kNoLimitThreshold) ? 0 : int(v);
}

QString TokenizerFiles::chatTemplate() const
{
    const QJsonValue v = config.value(QStringLiteral("chat_template"));
    if (v.isString())
        return v.toString();
    for (const QJsonValue& t : v.toArray())
        if (t.toObject().value(QStringLiteral("name")).toString() == QLatin1String("default"))
            return t.toObject().value(QStringLiteral("template")).toString();
    return {};
}

void copyTokenizerFiles(const QString& fromDir, const QString& toDir)
{
    for (const char* name : {"vocab_words.txt", "tokenizer.json", "tokenizer_config.json",
                             "special_tokens_map.json", "added_tokens.json", "vocab.txt",
                             "vocab.json", "merges.txt", "tokenizer.model"}) {
        QFile in(QDir(fromDir).filePath(QLatin1String(name)));
        if (!in.exists())
            continue;
        if (!in.open(QIODevice::ReadOnly))
            throw Error(QStringLiteral("Cannot read %1: %2.").arg(in.fileName(), in.errorString()));
        writeFileAtomically(QDir(toDir).filePath(QLatin1String(name)), [&](QIODevice& out) {
            while (!in.atEnd())
                out.write(in.read(1 << 20));
        });
    }
}

} // namespace fts
