// The tokenizer interface every model family uses: encode/decode, special tokens, padding.
#pragma once

#include <QHash>
#include <QString>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace fts {

// One encoded text (or text pair). Offsets are [start, end) indices into the input QString
// (UTF-16 code units, as QString::mid takes them); tokens the template inserted get (0, 0).
struct Encoding
{
    std::vector<int64_t> ids, typeIds, attentionMask;
    std::vector<std::pair<int, int>> offsets;
    // Which input each token came from: 0 = text, 1 = pair, -1 = a template special token.
    std::vector<int8_t> sequenceIds;
    int size() const { return int(ids.size()); }
};

enum class TruncationSide { Right, Left };

struct EncodeOptions
{
    bool addSpecialTokens = true;
    int maxLength = 0; // 0 = the tokenizer's modelMaxLength() (0 there = no limit)
    TruncationSide truncationSide = TruncationSide::Right;
};

enum class PaddingSide { Right, Left };

struct PaddingOptions
{
    PaddingSide side = PaddingSide::Right;
    // Sequence lengths are rounded up to a multiple of this so the oneDNN kernel cache, which
    // keeps one entry per input shape, stays bounded (DESIGN.md, pytorch#32596). 1 = no rounding.
    int toMultipleOf = 8;
    int maxLength = 0; // cap on the padded width; 0 = longest row (rounded up)
    int64_t padId = 0;
};

// Row-major [rows, cols] matrices as flat vectors; the training code turns them into tensors.
struct BatchEncoding
{
    std::vector<int64_t> ids, typeIds, attentionMask;
    int rows = 0, cols = 0;
};

// Pads encodings to one width. Throws fts::Error if a row is longer than options.maxLength.
BatchEncoding padBatch(const std::vector<Encoding>& encodings, const PaddingOptions& options = {});

// A token matched in the raw text before the model's own tokenization (tokenizer.json's
// "added_tokens"): it is never split, and `special` ones are dropped by decode(skipSpecial).
struct AddedToken
{
    QString content;
    int64_t id = -1;
    bool special = true;
    bool lstrip = false, rstrip = false, singleWord = false;
};

// Where special tokens go around the sequences (tokenizer.json's "post_processor").
struct TemplatePiece
{
    int sequence = -1; // 0 = text, 1 = pair, -1 = the special token `id`
    int64_t id = -1;
    int typeId = 0;
};

struct PostProcessor
{
    std::vector<TemplatePiece> single, pair;

    static PostProcessor none();
    static PostProcessor bert(int64_t cls, int64_t sep);    // [CLS] A [SEP] B [SEP], types 0/1
    static PostProcessor roberta(int64_t bos, int64_t eos); // <s> A </s></s> B </s>
    static PostProcessor bosEos(int64_t bos, int64_t eos);  // Llama: each of A, B as [bos] X [eos]
};

struct SpecialIds
{
    int64_t pad = -1, unk = -1, bos = -1, eos = -1, mask = -1;
    // BERT's names: cls is the sequence start token, sep the separator (often == bos / eos).
    int64_t cls = -1, sep = -1;
};

class Tokenizer
{
public:
    virtual ~Tokenizer();

    Encoding encode(const QString& text, const QString& pair = {},
                    const EncodeOptions& options = {}) const;
    QString decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = false) const;

    // "wordpiece", "bpe" or "sentencepiece".
    virtual QString kind() const = 0;
    // The model's vocabulary plus added tokens with ids beyond it (as len(tokenizer) in HF).
    int vocabSize() const;
    int64_t tokenToId(const QString& token) const; // -1 when absent
    QString idToToken(int64_t id) const;           // empty when absent
    const SpecialIds& specialIds() const { return m_special; }
    int64_t padId() const { return m_special.pad; }
    // What batches are padded with: the pad token, else end-of-sequence (GPT-2 and Llama have no
    // pad token), else 0; the padded positions are masked out, so only the id's range matters.
    int64_t batchPadId() const { return m_special.pad >= 0 ? m_special.pad : m_special.eos >= 0 ? m_special.eos : 0; }
    int64_t unkId() const { return m_special.unk; }
    int64_t bosId() const { return m_special.bos; }
    int64_t eosId() const { return m_special.eos; }
    int64_t clsId() const { return m_special.cls; }
    int64_t sepId() const { return m_special.sep; }
    int64_t maskId() const { return m_special.mask; }
    int modelMaxLength() const { return m_modelMaxLength; } // 0 = no limit known
    const std::vector<AddedToken>& addedTokens() const { return m_added; }
    const PostProcessor& postProcessor() const { return m_post; }

    // Configuration, set by loadTokenizer() from the model folder's files.
    void addAddedToken(const AddedToken& token);
    void setPostProcessor(const PostProcessor& post) { m_post = post; }
    void setSpecialIds(const SpecialIds& ids) { m_special = ids; }
    void setModelMaxLength(int length) { m_modelMaxLength = length; }

protected:
    // A token of the model's own vocabulary with offsets relative to the text it was given.
    struct Piece
    {
        int64_t id;
        int start, end;
    };
    // Tokenizes text that holds no added token.
    virtual void tokenizeText(const QString& text, std::vector<Piece>& out) const = 0;
    // Turns a run of model (non-added) ids back into text.
    virtual QString decodeModelIds(const std::vector<int64_t>& ids) const = 0;
    // How decoded runs and added tokens are joined: "" for byte-level/sentencepiece, " " for
    // WordPiece.
    virtual QString decodeJoiner() const { return {}; }
    virtual int modelVocabSize() const = 0;
    virtual int64_t modelTokenToId(const QString& token) const = 0;
    virtual QString modelIdToToken(int64_t id) const = 0;

private:
    void tokenizeWithAddedTokens(const QString& text, std::vector<Piece>& out) const;
    const AddedToken* matchAddedToken(const QString& text, int pos, int* matchStart,
                                      int* matchEnd) const;

    std::vector<AddedToken> m_added;
    QHash<QString, int> m_addedByContent;
    QHash<int64_t, int> m_addedById;
    PostProcessor m_post;
    SpecialIds m_special;
    int m_modelMaxLength = 0;
};

// Picks the tokenizer for a Hugging Face model folder by the files present: tokenizer.json
// (WordPiece or byte-level BPE), vocab.txt, vocab.json + merges.txt, tokenizer.model.
// Throws fts::Error naming the folder and the files it looked for when none can be used.
std::unique_ptr<Tokenizer> loadTokenizer(const QString& modelDir);

} // namespace fts
