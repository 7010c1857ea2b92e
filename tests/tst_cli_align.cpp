// ftstudio-cli sft / reward / dpo / ppo end to end on the tiny GPT-2 fixture (with a small
// WordPiece vocabulary so the CLI loads a tokenizer from the folder), plus their usage errors.
#include "Suite.h"
#include "CliRun.h"
#include "DecoderFixture.h"
#include "TestUtil.h"

#include "feedback/CompareJob.h"
#include "feedback/Feedback.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

using Run = fts::test::CliRun;
using fts::test::cli;

} // namespace

class TestCliAlign : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void usageErrors();
    void sftRewardDpoPpo();
    void feedbackInOutGenerateAndTrain();

private:
    QTemporaryDir m_dir;
    QString m_model, m_project;
};

void TestCliAlign::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_model = fts::test::gpt2FixtureFolder(m_dir.filePath("model"));
    QVERIFY(!m_model.isEmpty());
    m_project = m_dir.filePath("align.ftproj");
    QCOMPARE(cli({"new", m_project}).code, 0);
    QByteArray chat, pairs, prompts;
    for (int i = 0; i < 8; ++i) {
        const QByteArray split = i % 4 == 3 ? "val" : "train";
        chat += "{\"instruction\": \"where is order " + QByteArray::number(i) +
                "\", \"response\": \"thanks. see orders.\", \"split\": \"" + split + "\"}\n";
        pairs += "{\"prompt\": \"ask " + QByteArray::number(i) +
                 "\", \"chosen\": \"yes good\", \"rejected\": \"no\", \"split\": \"" + split +
                 "\"}\n";
        prompts +=
            "{\"prompt\": \"say " + QByteArray::number(i) + "\", \"split\": \"" + split + "\"}\n";
    }
    fts::test::writeFile(m_dir.filePath("chat.jsonl"), chat);
    fts::test::writeFile(m_dir.filePath("pairs.jsonl"), pairs);
    fts::test::writeFile(m_dir.filePath("prompts.jsonl"), prompts);
}

void TestCliAlign::usageErrors()
{
    Run r = cli({"sft", m_project, "--model", m_model});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--data"));
    r = cli({"ppo", m_project, "--model", m_model, "--data", m_dir.filePath("prompts.jsonl")});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("--reward-run"));
    r = cli({"ppo", m_project, "--model", m_model, "--data", m_dir.filePath("prompts.jsonl"),
             "--reward-run", "1", "--ppo", "clip=0.3"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("clip_epsilon"));
    r = cli({"sft", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("summarization"));
    // A file that is not chat data fails with one line naming the line and field.
    r = cli({"sft", m_project, "--model", m_model, "--data", m_dir.filePath("pairs.jsonl")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("line 1") && r.err.contains("instruction"), r.err.constData());
}

void TestCliAlign::sftRewardDpoPpo()
{
    const QStringList common = {"--model",      m_model, "--set",         "max_steps=3", "--set",
                                "batch_size=2", "--set", "max_length=64", "--json"};
    Run r = cli(QStringList{"sft", m_project, "--data", m_dir.filePath("chat.jsonl")} + common);
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("status").toString(), QStringLiteral("finished"));
    QVERIFY(r.json().value("val_after").toObject().value("perplexity").toDouble() > 0);
    // eval of a chat run: the held-out loss and generation metrics, kept with the run.
    {
        const qint64 sftRun = r.json().value("run_id").toInteger();
        Run e = cli({"eval", m_project, "--run", QString::number(sftRun), "--split", "val",
                     "--max-new-tokens", "8", "--json"});
        QVERIFY2(e.code == 0, e.err.constData());
        QCOMPARE(e.json().value("task").toString(), QStringLiteral("chat"));
        QVERIFY(e.json().value("records").toInt() > 0);
        const double loss = e.json().value("loss").toDouble();
        QVERIFY(loss > 0);
        QVERIFY(std::abs(e.json().value("perplexity").toDouble() - std::exp(loss)) < 1e-6 * std::exp(loss));
        QVERIFY(e.json().value("rougeL").toObject().contains("f1"));
        QVERIFY(e.json().value("stored").toBool());
        QCOMPARE(e.json().value("answers").toArray().size(), e.json().value("records").toInt());
        e = cli({"eval", m_project, "--run", QString::number(sftRun), "--max-new-tokens", "0"});
        QCOMPARE(e.code, 1);
        QVERIFY2(e.err.contains("max_new_tokens"), e.err.constData());
    }

    r = cli(QStringList{"reward", m_project, "--data", m_dir.filePath("pairs.jsonl")} + common);
    QVERIFY2(r.code == 0, r.err.constData());
    const qint64 rewardRun = r.json().value("run_id").toInteger();
    QVERIFY(r.json().value("val_after").toObject().contains("pairwise_accuracy"));

    r = cli(QStringList{"dpo", m_project, "--data", m_dir.filePath("pairs.jsonl"), "--beta", "0.2",
                        "--method", "lora"} +
            common);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(r.json().value("val_after").toObject().contains("reward_margin"));

    r = cli(QStringList{"ppo", m_project, "--data", m_dir.filePath("prompts.jsonl"), "--reward-run",
                        QString::number(rewardRun), "--ppo", "rollout_prompts=2", "--ppo",
                        "mini_batch=2", "--ppo", "max_new_tokens=4"} +
            common);
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("steps").toInteger(), 3);
    QVERIFY(r.json().value("val_after").toObject().contains("win_rate"));

    // A decoder run writes answers for a file (each row a user's message) and can be served; a
    // reward model cannot.
    fts::test::writeFile(m_dir.filePath("questions.csv"), "text\nwhere is order 9\nhow do i return it\n");
    r = cli({"predict", m_project, m_dir.filePath("questions.csv"), "--run", "1", "--chat", "--max-new-tokens", "4",
             "--out", m_dir.filePath("answers.jsonl"), "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("rows").toInt(), 2);
    QVERIFY2(r.json().value("model").toString().contains("run 1"), r.out.constData());
    // Exported as a plain decoder folder, the run answers exactly as it does from the project.
    r = cli({"export", m_project, "--run", "1", "--out", m_dir.filePath("sft-export")});
    QVERIFY2(r.code == 0, r.err.constData());
    r = cli({"predict", m_dir.filePath("sft-export"), m_dir.filePath("questions.csv"), "--chat", "--max-new-tokens", "4",
             "--out", m_dir.filePath("answers-export.jsonl")});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(fts::test::readLines(m_dir.filePath("answers-export.jsonl")), fts::test::readLines(m_dir.filePath("answers.jsonl")));
    r = cli({"export", m_project, "--run", QString::number(rewardRun), "--out", m_dir.filePath("reward-export")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("reward model"), r.err.constData());
    r = cli({"predict", m_project, m_dir.filePath("questions.csv"), "--run", QString::number(rewardRun), "--out",
             m_dir.filePath("scores.jsonl")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("reward model"), r.err.constData());

    // Every run is in the project's runs table under its method, finished.
    auto project = fts::Project::open(m_project, fts::Project::Access::ReadOnly);
    QStringList methods;
    for (const fts::RunRecord& run : fts::listRuns(*project)) {
        methods << run.method;
        QCOMPARE(run.status, QStringLiteral("finished"));
    }
    QCOMPARE(methods, (QStringList{"sft-chat", "reward-pairs", "dpo", "ppo"}));
}

void TestCliAlign::feedbackInOutGenerateAndTrain()
{
    const QString project = m_dir.filePath("feedback.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    // Bad input: a broken line is named and nothing is imported; a wrong form is a usage error.
    fts::test::writeFile(m_dir.filePath("broken.jsonl"),
                         "{\"prompt\": \"a\", \"chosen\": \"x\", \"rejected\": \"y\"}\nnot json\n");
    Run r = cli({"feedback", project, "--import", m_dir.filePath("broken.jsonl")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("line 2"), r.err.constData());
    r = cli({"feedback", project, "--json"});
    QCOMPARE(r.json().value("prompts").toInt(), 0);
    r = cli({"feedback", project, "--import", m_dir.filePath("pairs.jsonl"), "--form", "votes"});
    QCOMPARE(r.code, 2);
    r = cli({"feedback", project, "--export", m_dir.filePath("none.jsonl"), "--form", "ratings"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("no ratings"), r.err.constData());
    r = cli({"reward", project, "--model", m_model, "--from-feedback"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("no preference pairs"), r.err.constData());
    r = cli({"reward", project, "--model", m_model});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--from-feedback"), r.err.constData());
    r = cli({"feedback", project, "--generate", m_model, "--temperature", "0"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("Temperature"), r.err.constData());

    // Pairs in, answers written by the decoder for the imported prompts, pairs out.
    r = cli({"feedback", project, "--import", m_dir.filePath("pairs.jsonl"), "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("prompts").toInt(), 8);
    QCOMPARE(r.json().value("candidates").toInt(), 16);
    QCOMPARE(r.json().value("judgements").toInt(), 8);
    r = cli({"feedback", project, "--generate", m_model, "--k", "3", "--max-new-tokens", "4", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("generated").toInt(), 8);
    r = cli({"feedback", project, "--json"});
    QCOMPARE(r.json().value("candidates").toInt(), 24);
    QCOMPARE(r.json().value("pairs").toInt(), 8);
    QCOMPARE(r.json().value("judgements").toObject().value("choice").toObject().value("annotators").toInt(), 1);
    r = cli({"feedback", project, "--export", m_dir.filePath("out.jsonl")});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(QFile(m_dir.filePath("out.jsonl")).size() > 0, true);

    // The trainers read the project's feedback: reward --from-feedback, and train --objective.
    const QStringList common = {"--model", m_model, "--set", "max_steps=2", "--set", "batch_size=2",
                                "--set", "max_length=64", "--json"};
    r = cli(QStringList{"reward", project, "--from-feedback"} + common);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(r.json().value("val_after").toObject().contains("pairwise_accuracy"));
    // A large step size, so the tuned model answers differently from its start (compared below).
    r = cli(QStringList{"train", project, "--objective", "dpo", "--set", "lr=0.02"} + common);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(r.json().value("val_after").toObject().contains("reward_margin"));
    r = cli(QStringList{"train", project, "--objective", "vote"} + common);
    QCOMPARE(r.code, 2);

    // The DPO run (2) and its starting model answer the two held-out prompts; the reward model (1)
    // judges each pair, people judge them blind.
    r = cli({"feedback", project, "--compare", "2", "--reward-run", "1", "--max-new-tokens", "6", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("prompts").toInt(), 2);
    const QJsonObject judge = r.json().value("reward_model").toObject();
    QCOMPARE(judge.value("wins").toInt() + judge.value("ties").toInt() + judge.value("losses").toInt(), 2);
    const int identical = r.json().value("identical").toInt();
    QVERIFY(identical < 2);
    r = cli({"feedback", project, "--compare", "1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("did not train a decoder's answers"), r.err.constData());
    int judged = 0;
    {
        auto writer = fts::Project::open(project);
        fts::SqlQuery q(writer->db(), "SELECT tuned_id, reference_id FROM feedback_comparisons WHERE run_id = 2");
        q.exec("read the comparisons");
        QList<QPair<qint64, qint64>> pairs;
        while (q.next())
            pairs.push_back({q.value(0).toLongLong(), q.value(1).toLongLong()});
        for (const auto& [tuned, reference] : pairs) {
            fts::choosePair(*writer, reference, tuned, fts::PairChoice::Second, "ann");
            ++judged;
        }
    }
    QCOMPARE(judged, 2 - identical);
    r = cli({"feedback", project, "--json"});
    const QJsonObject verdicts = r.json().value("human_verdicts_by_run").toObject().value("2").toObject();
    QCOMPARE(verdicts.value("pairs").toInt(), judged);
    QCOMPARE(verdicts.value("wins").toInt(), judged);
    QCOMPARE(verdicts.value("losses").toInt(), 0);
    auto p = fts::Project::open(project, fts::Project::Access::ReadOnly);
    const QList<fts::RunRecord> runs = fts::listRuns(*p);
    QCOMPARE(runs.size(), 2);
    // The run names the frozen snapshot inside the project's artifacts folder.
    QVERIFY2(runs.at(0).snapshot.value("data_file").toString().startsWith(p->artifactsDir() + "/feedback/"),
             qPrintable(runs.at(0).snapshot.value("data_file").toString()));
}

FTS_TEST_SUITE(TestCliAlign)
#include "tst_cli_align.moc"
