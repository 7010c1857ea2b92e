// Chat rendering against hand-written expected strings, and assistant-only loss masks.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "tokenize/ChatTemplate.h"
#include "tokenize/Tokenizer.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

namespace {

const QString kFixtures = QStringLiteral(FTS_FIXTURES_DIR "/tokenizers");

QList<ChatMessage> conversation()
{
    return {{"system", "Be brief."},
            {"user", "Hello"},
            {"assistant", "Hi there!"},
            {"user", "How are you?"},
            {"assistant", "Fine."}};
}

QStringList spanTexts(const RenderedChat& r)
{
    QStringList out;
    for (auto [s, e] : r.assistantSpans)
        out << r.text.mid(s, e - s);
    return out;
}

} // namespace

class TestChatTemplate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chatMl();
    void chatMlGenerationPrompt();
    void llama2();
    void llama2WithoutSystem();
    void plain();
    void badRolesAreReported();
    void detectsStyleFromTemplate_data();
    void detectsStyleFromTemplate();
    void formatFromModelFolder();
    void maskCoversAssistantTokensOnly();
    void maskWithWordPieceOffsets();

private:
    QTemporaryDir m_tmp;
};

void TestChatTemplate::chatMl()
{
    const RenderedChat r = renderChat(conversation(), {ChatStyle::ChatML}, false);
    QCOMPARE(r.text, QString("<|im_start|>system\nBe brief.<|im_end|>\n"
                             "<|im_start|>user\nHello<|im_end|>\n"
                             "<|im_start|>assistant\nHi there!<|im_end|>\n"
                             "<|im_start|>user\nHow are you?<|im_end|>\n"
                             "<|im_start|>assistant\nFine.<|im_end|>\n"));
    QCOMPARE(spanTexts(r), (QStringList{"Hi there!<|im_end|>", "Fine.<|im_end|>"}));
}

void TestChatTemplate::chatMlGenerationPrompt()
{
    const RenderedChat r = renderChat({{"user", "Hi"}}, {ChatStyle::ChatML}, true);
    QCOMPARE(r.text, QString("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    QVERIFY(r.assistantSpans.empty());
}

void TestChatTemplate::llama2()
{
    const RenderedChat r = renderChat(conversation(), {ChatStyle::Llama2}, true);
    QCOMPARE(r.text, QString("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello [/INST] Hi there! "
                             "</s><s>[INST] How are you? [/INST] Fine. </s>"));
    QCOMPARE(spanTexts(r), (QStringList{"Hi there! </s>", "Fine. </s>"}));
}

void TestChatTemplate::llama2WithoutSystem()
{
    ChatFormat f{ChatStyle::Llama2, "<bos>", "<eos>"};
    const RenderedChat r = renderChat({{"user", "  Hi  "}, {"assistant", " Yo "}}, f, false);
    QCOMPARE(r.text, QString("<bos>[INST] Hi [/INST] Yo <eos>"));
    QCOMPARE(spanTexts(r), (QStringList{"Yo <eos>"}));
}

void TestChatTemplate::plain()
{
    ChatFormat f{ChatStyle::Plain, "", "<|endoftext|>"};
    const RenderedChat r = renderChat(conversation().mid(0, 3), f, false);
    QCOMPARE(r.text, QString("### System:\nBe brief.\n\n### User:\nHello\n\n"
                             "### Assistant:\nHi there!<|endoftext|>\n\n"));
    QCOMPARE(spanTexts(r), (QStringList{"Hi there!<|endoftext|>"}));
    QCOMPARE(renderChat({{"user", "Q"}}, f, true).text,
             QString("### User:\nQ\n\n### Assistant:\n"));
}

void TestChatTemplate::badRolesAreReported()
{
    try {
        renderChat({{"bot", "x"}}, {ChatStyle::ChatML}, false);
        QFAIL("accepted an unknown role");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("\"bot\""), qPrintable(e.message()));
    }
    try {
        renderChat({{"user", "a"}, {"user", "b"}}, {ChatStyle::Llama2}, false);
        QFAIL("accepted two user turns in a row for Llama-2");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("alternate"), qPrintable(e.message()));
    }
    // ChatML has no such rule.
    QCOMPARE(renderChat({{"user", "a"}, {"user", "b"}}, {ChatStyle::ChatML}, false)
                 .assistantSpans.size(),
             size_t(0));
}

void TestChatTemplate::detectsStyleFromTemplate_data()
{
    QTest::addColumn<QString>("jinja");
    QTest::addColumn<int>("style");
    // Excerpts of the templates as published in the models' tokenizer_config.json files.
    QTest::newRow("qwen2") << "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                              "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                           << int(ChatStyle::ChatML);
    QTest::newRow("llama2") << "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + "
                               "content.strip() + ' [/INST]' }}{% endif %}"
                            << int(ChatStyle::Llama2);
    QTest::newRow("none") << "" << int(ChatStyle::Plain);
    QTest::newRow("unknown") << "{{ messages[0]['content'] }}" << int(ChatStyle::Plain);
}

void TestChatTemplate::detectsStyleFromTemplate()
{
    QFETCH(QString, jinja);
    QFETCH(int, style);
    QCOMPARE(int(detectChatStyle(jinja, ChatStyle::Plain)), style);
}

void TestChatTemplate::formatFromModelFolder()
{
    const QString dir = m_tmp.filePath("model");
    QDir().mkpath(dir);
    test::writeFile(dir + "/tokenizer_config.json",
                    QJsonDocument(QJsonObject{{"chat_template", "{{ '<|im_start|>' }}"},
                                              {"bos_token", QJsonObject{{"content", "<|bos|>"}}},
                                              {"eos_token", "<|eos|>"}})
                        .toJson());
    ChatFormat f = chatFormatForModel(dir, ChatStyle::Plain);
    QCOMPARE(int(f.style), int(ChatStyle::ChatML));
    QCOMPARE(f.bos, QString("<|bos|>"));
    QCOMPARE(f.eos, QString("<|eos|>"));
    const QString bare = m_tmp.filePath("bare");
    QDir().mkpath(bare);
    f = chatFormatForModel(bare, ChatStyle::Llama2);
    QCOMPARE(int(f.style), int(ChatStyle::Llama2));
    QCOMPARE(f.eos, QString("</s>"));
}

void TestChatTemplate::maskCoversAssistantTokensOnly()
{
    // GPT-2's files plus the two ChatML markers as added tokens, as a ChatML fine-tune ships them.
    const QString dir = m_tmp.filePath("chatml-gpt2");
    QDir().mkpath(dir);
    QFile::copy(kFixtures + "/gpt2/vocab.json", dir + "/vocab.json");
    QFile::copy(kFixtures + "/gpt2/merges.txt", dir + "/merges.txt");
    const QJsonObject added{{"50257", QJsonObject{{"content", "<|im_start|>"}, {"special", true}}},
                            {"50258", QJsonObject{{"content", "<|im_end|>"}, {"special", true}}}};
    test::writeFile(dir + "/tokenizer_config.json",
                    QJsonDocument(QJsonObject{{"added_tokens_decoder", added}}).toJson());
    auto tok = loadTokenizer(dir);
    const RenderedChat r = renderChat(conversation(), {ChatStyle::ChatML}, false);
    EncodeOptions o;
    o.addSpecialTokens = false;
    const Encoding e = tok->encode(r.text, {}, o);
    const std::vector<uint8_t> mask = tokenMaskForSpans(e, r.assistantSpans);
    QCOMPARE(mask.size(), e.ids.size());
    std::vector<int64_t> learned;
    for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i])
            learned.push_back(e.ids[i]);
    QCOMPARE(tok->decode(learned), QString("Hi there!<|im_end|>Fine.<|im_end|>"));
    QCOMPARE(std::count(e.ids.begin(), e.ids.end(), 50258), 5); // markers never split
    QCOMPARE(tok->decode(e.ids), r.text);
}

void TestChatTemplate::maskWithWordPieceOffsets()
{
    auto tok = loadTokenizer(kFixtures + "/bert");
    const QString text = "question: why? answer: strawberries!";
    const int start = int(text.indexOf("strawberries"));
    const Encoding e = tok->encode(text); // [CLS] ... [SEP] get (0, 0) and are never masked in
    const std::vector<uint8_t> mask = tokenMaskForSpans(e, {{start, int(text.size())}});
    QStringList learned;
    for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i])
            learned << tok->idToToken(e.ids[i]);
    QCOMPARE(learned, (QStringList{"straw", "##berries", "!"}));
    QCOMPARE(int(mask.front()), 0);
    QCOMPARE(int(mask.back()), 0);
    QVERIFY(tokenMaskForSpans(e, {}) == std::vector<uint8_t>(e.ids.size(), 0));
}

FTS_TEST_SUITE(TestChatTemplate)
#include "tst_chattemplate.moc"
