// A character-level tokenizer for decoder tests: one token per character, so expected token
// positions can be written by hand from the text. Fits the 100-token fixture decoders.
#pragma once

#include "tokenize/Tokenizer.h"

namespace fts::test {

// Ids 0 = '\n', 1..95 = ' '..'~' (other characters read as '?'); added tokens 96 "</s>" (eos),
// 97 "<|im_start|>", 98 "<|im_end|>", 99 "<pad>".
class CharTokenizer : public Tokenizer
{
public:
    CharTokenizer()
    {
        addAddedToken({QStringLiteral("</s>"), 96});
        addAddedToken({QStringLiteral("<|im_start|>"), 97});
        addAddedToken({QStringLiteral("<|im_end|>"), 98});
        addAddedToken({QStringLiteral("<pad>"), 99});
        SpecialIds ids;
        ids.eos = 96;
        ids.pad = 99;
        setSpecialIds(ids);
    }
    QString kind() const override { return QStringLiteral("char"); }

    static int64_t charId(QChar c)
    {
        if (c == u'\n')
            return 0;
        if (c.unicode() >= 32 && c.unicode() <= 126)
            return int64_t(c.unicode()) - 31;
        return int64_t('?') - 31;
    }

protected:
    void tokenizeText(const QString& text, std::vector<Piece>& out) const override
    {
        for (int i = 0; i < text.size(); ++i)
            out.push_back({charId(text[i]), i, i + 1});
    }
    QString decodeModelIds(const std::vector<int64_t>& ids) const override
    {
        QString s;
        for (int64_t id : ids)
            s += modelIdToToken(id);
        return s;
    }
    int modelVocabSize() const override { return 96; }
    int64_t modelTokenToId(const QString& token) const override
    {
        return token.size() == 1 ? charId(token[0]) : -1;
    }
    QString modelIdToToken(int64_t id) const override
    {
        if (id == 0)
            return QStringLiteral("\n");
        return id > 0 && id < 96 ? QString(QChar(char16_t(id + 31))) : QString();
    }
};

} // namespace fts::test
