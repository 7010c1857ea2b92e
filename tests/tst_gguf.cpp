// GGUF export: a hand-computed Q8_0 block, and GPT-2 / Llama fixtures written as F16 and Q8_0 then
// re-read key by key and tensor by tensor against the fixture's own safetensors weights.
#include "Suite.h"
#include "Error.h"
#include "deploy/Gguf.h"
#include "tokenize/SentencePiece.h"
#include "tokenize/SentencePieceModelFile.h"
#include "models/Safetensors.h"

#include "DeployFixtures.h"

#include <ATen/ATen.h>

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

class TestGguf : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void q8BlockByHand();
    void gpt2RoundTrip_data();
    void gpt2RoundTrip();
    void llamaInterleavesQueryAndKey();
    void refusesEncoders();
    void readsSentencePieceModelFiles_data();
    void readsSentencePieceModelFiles();
    void unigramTokenizerKeepsItsScores();

private:
    QTemporaryDir m_dir;
};

void TestGguf::q8BlockByHand()
{
    // x = 0, 1, ..., 31: d = 31 / 127 = 0.24409..., nearest fp16 0.244140625 = 0x33D0;
    // q_i = round(i * 127 / 31): q_1 = 4, q_15 = 61, q_16 = 66, q_31 = 127.
    const QByteArray b = quantizeQ8_0(at::arange(32, at::kFloat));
    QCOMPARE(b.size(), 34);
    QCOMPARE(uint8_t(b[0]), uint8_t(0xD0));
    QCOMPARE(uint8_t(b[1]), uint8_t(0x33));
    QCOMPARE(int(int8_t(b[2 + 0])), 0);
    QCOMPARE(int(int8_t(b[2 + 1])), 4);
    QCOMPARE(int(int8_t(b[2 + 15])), 61);
    QCOMPARE(int(int8_t(b[2 + 16])), 66);
    QCOMPARE(int(int8_t(b[2 + 31])), 127);
    const at::Tensor back = dequantizeQ8_0(b, 32);
    QCOMPARE(back[31].item<float>(), 127 * 0.244140625f);
    // An all-zero block stays zero (scale 0).
    QCOMPARE(dequantizeQ8_0(quantizeQ8_0(at::zeros({32})), 32).abs().sum().item<float>(), 0.0f);
}

void TestGguf::gpt2RoundTrip_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("F16") << int(GgufTensorType::F16);
    QTest::newRow("Q8_0") << int(GgufTensorType::Q8_0);
}

void TestGguf::gpt2RoundTrip()
{
    QFETCH(int, type);
    const QString model = test::fixtureWithVocab(test::kGpt2Fixture, m_dir.filePath("gpt2"));
    const QString out = m_dir.filePath(QStringLiteral("gpt2_%1.gguf").arg(type));
    GgufExportOptions o;
    o.type = GgufTensorType(type);
    o.name = QStringLiteral("tiny gpt2");
    exportGguf(model, out, o);
    const GgufFile g = readGguf(out);
    QCOMPARE(g.version, 3u);
    QCOMPARE(g.metadata.at("general.architecture").toString(), QStringLiteral("gpt2"));
    QCOMPARE(g.metadata.at("general.name").toString(), QStringLiteral("tiny gpt2"));
    QCOMPARE(g.metadata.at("general.file_type").toULongLong(), type == 1 ? 1ull : 7ull);
    QCOMPARE(g.metadata.at("gpt2.block_count").toULongLong(), 2ull);
    QCOMPARE(g.metadata.at("gpt2.embedding_length").toULongLong(), 32ull);
    QCOMPARE(g.metadata.at("gpt2.context_length").toULongLong(), 64ull);
    QCOMPARE(g.metadata.at("gpt2.feed_forward_length").toULongLong(), 128ull);
    QCOMPARE(g.metadata.at("gpt2.attention.head_count").toULongLong(), 4ull);
    QVERIFY(std::abs(g.metadata.at("gpt2.attention.layer_norm_epsilon").toDouble() - 1e-5) < 1e-9);
    QCOMPARE(g.metadata.at("tokenizer.ggml.model").toString(), QStringLiteral("bert"));
    const QVariantList tokens = g.metadata.at("tokenizer.ggml.tokens").toList();
    QCOMPARE(tokens.size(), 100);
    QCOMPARE(tokens[11].toString(), QStringLiteral("user"));
    QCOMPARE(g.metadata.at("tokenizer.ggml.token_type").toList().size(), 100);
    QCOMPARE(g.metadata.at("tokenizer.ggml.unknown_token_id").toULongLong(), 1ull);
    QCOMPARE(g.metadata.size(), size_t(17)); // the keys above plus alignment and 4 special ids

    // Every fixture weight is there under its llama.cpp name, with ggml's reversed dims.
    const TensorMap weights = loadSafetensors(test::kGpt2Fixture + "/model.safetensors");
    QCOMPARE(g.tensors.size(), weights.size());
    const auto ggufName = [](std::string hf) {
        const std::pair<const char*, const char*> parts[] = {{"transformer.wte.", "token_embd."},
                                                             {"transformer.wpe.", "position_embd."},
                                                             {"transformer.ln_f.", "output_norm."},
                                                             {"transformer.h.", "blk."},
                                                             {".ln_1.", ".attn_norm."},
                                                             {".ln_2.", ".ffn_norm."},
                                                             {".attn.c_attn.", ".attn_qkv."},
                                                             {".attn.c_proj.", ".attn_output."},
                                                             {".mlp.c_fc.", ".ffn_up."},
                                                             {".mlp.c_proj.", ".ffn_down."}};
        for (const auto& [from, to] : parts)
            if (const size_t at = hf.find(from); at != std::string::npos)
                hf.replace(at, std::strlen(from), to);
        return hf;
    };
    double worst = 0;
    for (const auto& [hf, w] : weights) {
        const std::string name = ggufName(hf);
        at::Tensor want = w.to(at::kFloat);
        if (want.dim() == 2 && hf.rfind("transformer.h.", 0) == 0)
            want = want.t(); // Conv1D [in, out] -> [out, in]
        const at::Tensor got = readGgufTensor(out, g, name);
        QVERIFY2(got.sizes().equals(want.sizes()), name.c_str());
        const double err = (got - want).abs().max().item<double>();
        // F16: half an ulp of 2^-10 relative; Q8_0: half a quantisation step per 32-value block.
        const double bound = want.dim() == 1 ? 0
                             : type == 1     ? want.abs().max().item<double>() / 1024
                                             : want.abs().max().item<double>() / 127 * 0.51 + 1e-3;
        worst = std::max(worst, err);
        QVERIFY2(err <= bound,
                 qPrintable(QStringLiteral("%1: %2 > %3").arg(name.c_str()).arg(err).arg(bound)));
    }
    qInfo("%s: largest |w - w_gguf| = %.3g", type == 1 ? "F16" : "Q8_0", worst);
    // Sizes add up: the last tensor ends within the file, data section aligned.
    QCOMPARE(int(g.dataOffset % 32), 0);
    QVERIFY(QFileInfo(out).size() >= qint64(g.dataOffset));
}

void TestGguf::llamaInterleavesQueryAndKey()
{
    const QString llama = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/llama");
    const QString model = m_dir.filePath("llama");
    QDir().mkpath(model);
    QFile::copy(llama + "/config.json", model + "/config.json");
    QFile::copy(llama + "/model.safetensors", model + "/model.safetensors");
    QFile::copy(test::kDeployFixtures + "/vocab.txt", model + "/vocab.txt");
    const QString out = m_dir.filePath("llama.gguf");
    exportGguf(model, out, {});
    const GgufFile g = readGguf(out);
    QCOMPARE(g.metadata.at("general.architecture").toString(), QStringLiteral("llama"));
    const QJsonObject config = QJsonDocument::fromJson([&] {
                                   QFile f(llama + "/config.json");
                                   f.open(QIODevice::ReadOnly);
                                   return f.readAll();
                               }())
                                   .object();
    const int heads = config.value("num_attention_heads").toInt();
    const int kvHeads = config.value("num_key_value_heads").toInt(heads);
    QCOMPARE(g.metadata.at("llama.attention.head_count").toULongLong(), quint64(heads));
    QCOMPARE(g.metadata.at("llama.attention.head_count_kv").toULongLong(), quint64(kvHeads));
    QVERIFY(std::abs(g.metadata.at("llama.rope.freq_base").toDouble() -
                     config.value("rope_theta").toDouble(10000)) < 1e-3);
    const TensorMap weights = loadSafetensors(llama + "/model.safetensors");
    // llama.cpp's rotary pairs adjacent rows: GGUF row h*hd + 2i + j is HF row h*hd + j*hd/2 + i.
    for (const auto& [proj, n] : {std::pair{"q_proj", heads}, std::pair{"k_proj", kvHeads}}) {
        const at::Tensor hf =
            weights.at(std::string("model.layers.0.self_attn.") + proj + ".weight");
        const at::Tensor got =
            readGgufTensor(out, g, std::string("blk.0.attn_") + proj[0] + ".weight");
        const int64_t hd = hf.size(0) / n;
        for (int64_t h = 0; h < n; ++h)
            for (int64_t i = 0; i < hd / 2; ++i)
                for (int64_t j = 0; j < 2; ++j) {
                    const at::Tensor a = got[h * hd + 2 * i + j];
                    const at::Tensor b = hf[h * hd + j * hd / 2 + i].to(at::kHalf).to(at::kFloat);
                    QVERIFY((a - b).abs().max().item<float>() == 0.0f);
                }
    }
    QCOMPARE(g.tensors.size(), weights.size());
}

void TestGguf::refusesEncoders()
{
    const QString bert = test::fixtureWithVocab(test::kBertFixture, m_dir.filePath("bert"));
    QVERIFY(test::errorOf([&] {
                exportGguf(bert, m_dir.filePath("x.gguf"), {});
            }).contains(QStringLiteral("encoder")));
}

void TestGguf::readsSentencePieceModelFiles_data()
{
    QTest::addColumn<QString>("type");
    QTest::newRow("unigram") << QStringLiteral("unigram");
    QTest::newRow("bpe") << QStringLiteral("bpe");
}

// Pieces, scores and types as spm_export_vocab prints them from the same file.
void TestGguf::readsSentencePieceModelFiles()
{
    QFETCH(QString, type);
    const QString prefix = m_dir.filePath("spm_" + type);
    SentencePieceModel::train(QStringLiteral("--input=%1 --model_prefix=%2 --vocab_size=300 --model_type=%3 "
                                             "--character_coverage=1.0 --num_threads=1 --minloglevel=2")
                                  .arg(test::kLicenseCorpus, prefix, type));
    const SentencePieceFile f = SentencePieceFile::read(prefix + ".model");
    QCOMPARE(f.algorithm, type == QLatin1String("bpe") ? SentencePieceFile::Algorithm::Bpe
                                                       : SentencePieceFile::Algorithm::Unigram);
    QCOMPARE(f.normalizerName, QStringLiteral("nmt_nfkc"));
    QVERIFY(!f.precompiledCharsmap.isEmpty());
    QVERIFY(f.addDummyPrefix);
    QProcess p;
    p.start(QStandardPaths::findExecutable("spm_export_vocab"), {"--model=" + prefix + ".model"});
    QVERIFY(p.waitForFinished(30000));
    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    QCOMPARE(qsizetype(f.pieces.size()), lines.size());
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QList<QByteArray> cols = lines[i].split('\t');
        QCOMPARE(f.pieces[size_t(i)].text, cols[0]);
        QVERIFY2(std::abs(f.pieces[size_t(i)].score - cols[1].toFloat()) < 1e-4, cols[0].constData());
    }
    QCOMPARE(f.pieces[0].type, SentencePieceFile::PieceType::Unknown); // <unk>
    QCOMPARE(f.pieces[1].type, SentencePieceFile::PieceType::Control); // <s>
    QVERIFY_THROWS_EXCEPTION(Error, SentencePieceFile::parse(QByteArray("\x0a\xff\x01", 3), "broken.model"));
}

// The bundled decoder's tokenizer is a unigram model: its GGUF says "t5" (llama.cpp's Viterbi
// search) and carries the real scores, normalizer and BOS/EOS behaviour; llama.cpp's "llama"
// tokenizer with rank scores cut words differently (found by loading the file in llama.cpp).
void TestGguf::unigramTokenizerKeepsItsScores()
{
    const QString starter = QStringLiteral(FTS_SOURCE_DIR "/resources/models/starter-decoder");
    const QString out = m_dir.filePath("starter.gguf");
    exportGguf(starter, out, {});
    const GgufFile g = readGguf(out);
    const SentencePieceFile spm = SentencePieceFile::read(starter + "/tokenizer.model");
    QCOMPARE(g.metadata.at("tokenizer.ggml.model").toString(), QStringLiteral("t5"));
    const QVariantList scores = g.metadata.at("tokenizer.ggml.scores").toList();
    const QVariantList types = g.metadata.at("tokenizer.ggml.token_type").toList();
    QCOMPARE(qsizetype(spm.pieces.size()), scores.size());
    for (size_t i = 0; i < spm.pieces.size(); ++i) {
        QCOMPARE(float(scores[qsizetype(i)].toDouble()), spm.pieces[i].score);
        QCOMPARE(types[qsizetype(i)].toInt(), int(spm.pieces[i].type));
    }
    for (const char* key : {"tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
                            "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.remove_extra_whitespaces"})
        QVERIFY2(g.metadataTypes.at(key) == 7, key); // BOOL: llama.cpp reads these keys as bools only
    QCOMPARE(g.metadata.at("tokenizer.ggml.remove_extra_whitespaces").toBool(), spm.removeExtraWhitespaces);
    QCOMPARE(g.metadata.at("tokenizer.ggml.add_bos_token").toBool(), true);
    QCOMPARE(g.metadata.at("tokenizer.ggml.add_eos_token").toBool(), false);
    QCOMPARE(g.metadata.at("tokenizer.ggml.add_space_prefix").toBool(), spm.addDummyPrefix);
    // The starter's tokenizer normalizes nothing ("identity": no compiled rules to carry).
    QCOMPARE(spm.normalizerName, QStringLiteral("identity"));
    QVERIFY(spm.precompiledCharsmap.isEmpty());
    QVERIFY(!g.metadata.count("tokenizer.ggml.precompiled_charsmap"));
}

FTS_TEST_SUITE(TestGguf)
#include "tst_gguf.moc"
