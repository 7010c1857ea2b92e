// ftstudio-cli new/info/import: output, --json, and the exit codes 0 / 1 / 2 of shared/CLI.md.
#include "Suite.h"
#include "CliRun.h"
#include "FakeHub.h"
#include "TestUtil.h"
#include "train/TextTokenizer.h"

#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {
using Run = fts::test::CliRun;
using fts::test::cli;
using fts::test::cliWithEventLoop;
} // namespace

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void newImportInfo();
    void usageErrorsExitTwo();
    void failuresExitOneWithOneLine();
    void modelsAndDownload();
    void cleanSplitAndExport();
    void labelsExchangeAndAgreement();
    void trainInfoEvalReport();
    void trainSeveralTasks();

private:
    QTemporaryDir m_dir;
};

void TestCli::newImportInfo()
{
    const QString project = m_dir.filePath("cli.ftproj");
    Run r = cli({"new", m_dir.filePath("cli"), "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json().value("project").toString(), project);

    const QString csv = m_dir.filePath("data.csv");
    fts::test::writeFile(csv, "review,stars,split\n\"Great, fast\",good,train\nSlow,bad,train\nOk,,test\n");
    r = cli({"import", project, csv, "--text", "review", "--label", "stars", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("rows").toInt(), 3);
    QCOMPARE(r.json().value("labels").toInt(), 2);
    QCOMPARE(r.json().value("splits").toObject().value("train").toInt(), 2);

    r = cli({"import", project, csv, "--split", "val", "--no-labels"});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(r.out.contains("Imported 3 rows"));

    r = cli({"info", project, "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject info = r.json();
    QCOMPARE(info.value("rows").toInt(), 6);
    QCOMPARE(info.value("splits").toObject().value("val").toInt(), 3);
    QCOMPARE(info.value("labels").toObject().value("stars").toObject().value("good").toInt(), 1);
    QCOMPARE(info.value("unlabeled_rows").toInt(), 4);

    r = cli({"info", project});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("Rows: 6"));
}

void TestCli::usageErrorsExitTwo()
{
    QCOMPARE(cli({}).code, 2);
    QCOMPARE(cli({"frobnicate"}).code, 2);
    QCOMPARE(cli({"import", "only-one-arg.ftproj"}).code, 2);
    QCOMPARE(cli({"info", "a", "b"}).code, 2);
    QCOMPARE(cli({"import", "p.ftproj", "f.csv", "--split", "holdout"}).code, 2);
    QCOMPARE(cli({"new", "--no-such-flag", "x"}).code, 2);
    const Run help = cli({"import", "--help"});
    QCOMPARE(help.code, 0);
    QVERIFY(help.out.contains("--text"));
}

void TestCli::failuresExitOneWithOneLine()
{
    const QString project = m_dir.filePath("fail.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    const QString bad = m_dir.filePath("bad.csv");
    fts::test::writeFile(bad, "text,label\na,b\nc,d,e\n");
    Run r = cli({"import", project, bad});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("bad.csv, line 3"), r.err.constData());
    QCOMPARE(cli({"info", project, "--json"}).json().value("rows").toInt(), 0);

    r = cli({"new", project});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("already exists"));

    r = cli({"info", bad});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("not a Finetune Studio project"));

    r = cli({"import", m_dir.filePath("missing.ftproj"), bad});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("ftstudio-cli new"));
}

void TestCli::modelsAndDownload()
{
    Run r = cli({"models", "--json"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.json().value("catalog").toArray().size() >= 5);

    fts::test::FakeHub hub;
    fts::test::FakeHub::Repo repo;
    repo.files["config.json"] = "{}";
    repo.files["model.safetensors"] = QByteArray(5000, 'w');
    repo.lfs = {"model.safetensors"};
    hub.repos["lab/mini"] = repo;
    const QString dir = m_dir.filePath("mini");
    r = cliWithEventLoop({"download", "lab/mini", "--endpoint", hub.endpoint(), "--dir", dir, "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("dir").toString(), dir);
    QVERIFY(QFile::exists(dir + "/model.safetensors"));
    r = cli({"models", "--json"});
    QVERIFY(r.json().value("recent").toArray().contains(QJsonValue(dir)));

    r = cliWithEventLoop({"download", "lab/absent", "--endpoint", hub.endpoint(), "--dir", dir + "2"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("not found"), r.err.constData());
    QCOMPARE(cli({"download", "lab/mini", "--proxy", "nonsense"}).code, 2);

    r = cli({"inspect", FTS_FIXTURES_DIR "/models/encoders/distilbert", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("model_type").toString(), QString("distilbert"));
    QVERIFY(r.json().value("parameters").toInt() > 10000);
    r = cli({"inspect", m_dir.path()});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("config.json"));
}

void TestCli::cleanSplitAndExport()
{
    const QString project = m_dir.filePath("clean.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    const QString csv = m_dir.filePath("messy.csv");
    fts::test::writeFile(csv, "text,label\n\"<b>Fine</b>  hotel\",pos\n\"fine hotel\",pos\n\"Mail me: a@b.org\",neg\n"
                              "ok,neg\nsure,pos\nnope,neg\n");
    QCOMPARE(cli({"import", project, csv}).code, 0);
    Run r = cli({"clean", project, "normalize", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("changed").toInt(), 1);
    r = cli({"clean", project, "dedupe", "--preview", "--json"});
    QCOMPARE(r.json().value("removed").toInt(), 1);
    QCOMPARE(r.json().value("preview").toBool(), true);
    QCOMPARE(cli({"clean", project, "dedupe"}).code, 0);
    QCOMPARE(cli({"clean", project, "redact"}).code, 0);
    r = cli({"split", project, "--train", "0.5", "--val", "0.25", "--test", "0.25", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    r = cli({"clean", project, "recipe", "--json"});
    QCOMPARE(r.json().value("recipe").toArray().size(), 4);
    const QString out = m_dir.filePath("out.jsonl");
    r = cli({"data", project, "--export", out, "--json"});
    QCOMPARE(r.json().value("rows").toInt(), 5);
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray exported = f.readAll();
    QVERIFY(exported.contains("\"Mail me: [EMAIL]\""));
    QVERIFY(exported.contains("\"Fine hotel\""));
    QVERIFY(!exported.contains("\"split\":\"\""));
    // Refresh: a fresh import of the same source, with the recipe replayed, gives the same rows.
    const QString fresh = m_dir.filePath("fresh.ftproj");
    QCOMPARE(cli({"new", fresh}).code, 0);
    QCOMPARE(cli({"import", fresh, csv}).code, 0);
    r = cli({"clean", fresh, "replay", "--recipe-from", project, "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("replayed").toArray().size(), 4);
    const QString freshOut = m_dir.filePath("fresh.jsonl");
    QCOMPARE(cli({"data", fresh, "--export", freshOut}).code, 0);
    QFile g(freshOut);
    QVERIFY(g.open(QIODevice::ReadOnly));
    QCOMPARE(g.readAll(), exported);
    QCOMPARE(cli({"clean", project, "undo"}).code, 0);
    QCOMPARE(cli({"clean", project, "near-dedupe", "--set", "threshold=7"}).code, 1);
    QCOMPARE(cli({"split", project, "--train", "x"}).code, 2);
}

void TestCli::labelsExchangeAndAgreement()
{
    const QString project = m_dir.filePath("labels.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    fts::test::writeFile(m_dir.filePath("rows.csv"), "text\na\nb\nc\nd\n");
    QCOMPARE(cli({"import", project, m_dir.filePath("rows.csv")}).code, 0);
    fts::test::writeFile(m_dir.filePath("two.csv"), "row_id,task,label,annotator\n1,s,pos,ana\n2,s,neg,ana\n"
                                                    "3,s,pos,ana\n4,s,neg,ana\n1,s,pos,ben\n2,s,neg,ben\n3,s,neg,ben\n4,s,neg,ben\n");
    Run r = cli({"labels", project, "--import", m_dir.filePath("two.csv"), "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("labels").toInt(), 8);
    r = cli({"labels", project, "--agreement", "s", "--json"});
    const QJsonObject pair = r.json().value("pairs").toArray().first().toObject();
    QCOMPARE(pair.value("items").toInt(), 4);
    QVERIFY(qAbs(pair.value("cohen_kappa").toDouble() - 0.5) < 1e-9); // p_o 0.75, p_e 0.5
    // A bad line anywhere: nothing is imported.
    fts::test::writeFile(m_dir.filePath("bad.csv"), "row_id,task,label\n1,s,neg\n77,s,pos\n");
    r = cli({"labels", project, "--import", m_dir.filePath("bad.csv")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("Row 77 does not exist"));
    const QString out = m_dir.filePath("labels.jsonl");
    r = cli({"labels", project, "--export", out, "--json"});
    QCOMPARE(r.json().value("labels").toInt(), 8);
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("\"annotator\":\"ben\""));
    QCOMPARE(cli({"labels", project}).code, 2);
    // Label issues: too few labels is a clear error; a bad --folds a usage error.
    r = cli({"labels", project, "--issues", "s"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("at least 10 labeled rows"), r.err.constData());
    QCOMPARE(cli({"labels", project, "--issues", "s", "--folds", "many"}).code, 2);
    // On the shipped sentiment dataset (words: the project has no model).
    const QString sample = m_dir.filePath("issues.ftproj");
    QCOMPARE(cli({"new", sample}).code, 0);
    QCOMPARE(cli({"import", sample, QStringLiteral(FTS_SOURCE_DIR "/datasets/sentiment/sentiment.csv")}).code, 0);
    QVERIFY(cli({"labels", sample, "--issues", "sentiment"}).err.contains("no task 'sentiment'"));
    r = cli({"labels", sample, "--issues", "label", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject found = r.json();
    QCOMPARE(found.value("features").toString(), QString("words"));
    // Word features agree with well under 80% of this hard set: the user is told what that means.
    QVERIFY(found.value("out_of_fold_accuracy").toDouble() < 0.8);
    QVERIFY(found.value("caution").toString().contains("hard to classify"));
    QVERIFY(found.value("rows").toInt() > 800);
    const QJsonArray issues = found.value("issues").toArray();
    double previous = 0;
    for (const auto& v : issues) {
        const QJsonObject i = v.toObject();
        QVERIFY(i.value("given").toString() != i.value("likely").toString());
        QVERIFY(i.value("given_probability").toDouble() >= previous);
        previous = i.value("given_probability").toDouble();
    }
    r = cli({"labels", sample, "--issues", "label"});
    QVERIFY(r.out.contains("labeled rows of 'label' look mislabeled"));
}

// The headless path a script or a teaching lab uses: train, list the run, evaluate it, report it.
void TestCli::trainInfoEvalReport()
{
    const QStringList pos = {"great", "lovely", "superb", "happy"};
    const QStringList neg = {"awful", "broken", "sad", "terrible"};
    QByteArray csv = "text,label,split\n";
    QStringList texts;
    for (int i = 0; i < 60; ++i) {
        const QString text = QStringLiteral("a %1 day").arg((i % 2 ? neg : pos)[i % 4]);
        texts << text;
        csv += text.toUtf8() + (i % 2 ? ",neg," : ",pos,") + (i < 40 ? "train" : i < 50 ? "val" : "test") + "\n";
    }
    fts::test::writeFile(m_dir.filePath("train.csv"), csv);
    const QString model = m_dir.filePath("tiny-model");
    QVERIFY(QDir().mkpath(model));
    for (const char* f : {"config.json", "model.safetensors"})
        QVERIFY(QFile::copy(QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert/") + f, model + "/" + f));
    fts::test::writeFile(model + "/vocab_words.txt", fts::WordVocabulary::build(texts).words().join('\n').toUtf8());
    const QString project = m_dir.filePath("trained.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    QCOMPARE(cli({"import", project, m_dir.filePath("train.csv")}).code, 0);

    QCOMPARE(cli({"train", project, "--method", "full"}).code, 2); // no model
    Run r = cli({"train", project, "--model", model, "--method", "full", "--set", "epochs=8",
                 "--set", "lr=0.002", "--set", "batch_size=8", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("run_id").toInt(), 1);
    QCOMPARE(r.json().value("status").toString(), QString("finished"));
    QCOMPARE(r.json().value("steps").toInt(), 40); // 8 epochs x 5 batches of 8

    r = cli({"info", project, "--json"});
    const QJsonArray runs = r.json().value("runs").toArray();
    QCOMPARE(runs.size(), 1);
    QCOMPARE(runs[0].toObject().value("method").toString(), QString("full"));
    QCOMPARE(runs[0].toObject().value("status").toString(), QString("finished"));
    QVERIFY(cli({"info", project}).out.contains("  1  finished  full  tiny-model"));

    r = cli({"eval", project, "--run", "1", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.json().value("total").toInt(), 10);
    QVERIFY2(r.json().value("accuracy").toDouble() >= 0.9, r.out.constData());
    QVERIFY(r.json().value("stored").toBool());
    // Each evaluation is kept with the run; info lists them with the hash of the data they saw.
    const double evalAccuracy = r.json().value("accuracy").toDouble();
    QCOMPARE(cli({"eval", project, "--run", "1", "--split", "val"}).code, 0);
    const QJsonArray kept = cli({"info", project, "--json"}).json().value("runs").toArray()[0]
                                .toObject().value("evaluations").toArray();
    QCOMPARE(kept.size(), 2);
    QCOMPARE(kept[0].toObject().value("split").toString(), QString("test"));
    QCOMPARE(kept[0].toObject().value("accuracy").toDouble(), evalAccuracy);
    QCOMPARE(kept[0].toObject().value("total").toInt(), 10);
    QCOMPARE(kept[1].toObject().value("split").toString(), QString("val"));
    QCOMPARE(kept[0].toObject().value("data_hash").toString().size(), 64);
    QVERIFY(kept[0].toObject().value("data_hash") != kept[1].toObject().value("data_hash"));

    const QString html = m_dir.filePath("report.html");
    r = cli({"report", project, "--run", "1", "--out", html});
    QVERIFY2(r.code == 0, r.err.constData());
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString page = QString::fromUtf8(f.readAll());
    QVERIFY(page.contains("Training run 1"));
    QVERIFY(page.contains("Metrics on the test split (10 rows)"));
    QVERIFY(page.contains("<img src='data:image/png;base64,")); // the curves, drawn as PNG
    QVERIFY(page.contains("<h2>Top errors</h2>"));
    QCOMPARE(cli({"report", project, "--run", "9"}).code, 1); // unknown run: one line, exit 1
    QCOMPARE(cli({"report", project, "--run", "x"}).code, 2);

    // A sweep trains one recorded run per value and names the best by validation macro F1.
    QCOMPARE(cli({"sweep", project, "--model", model, "--method", "full", "--grid", "lr=7"}).code, 2);
    r = cli({"sweep", project, "--model", model, "--method", "full", "--grid", "lr=0.00001,0.002",
             "--set", "epochs=6", "--set", "batch_size=8", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray trials = r.json().value("trials").toArray();
    QCOMPARE(trials.size(), 2);
    const QJsonObject best = trials[0].toObject().value("score").toDouble() >= trials[1].toObject().value("score").toDouble()
                                 ? trials[0].toObject() : trials[1].toObject();
    QCOMPARE(r.json().value("best_run").toInt(), best.value("run_id").toInt());
    QCOMPARE(cli({"info", project, "--json"}).json().value("runs").toArray().size(), 3);

    // Random search with a log-scale range and pruning; bad ranges are refused before training.
    r = cli({"sweep", project, "--model", model, "--method", "full", "--grid", "lr=1e-5..1e-3",
             "--max-runs", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("only random search"), r.err.constData());
    r = cli({"sweep", project, "--model", model, "--method", "full", "--search", "random",
             "--grid", "lr=1e-5..1e-3:log"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("needs a budget"), r.err.constData());
    r = cli({"sweep", project, "--model", model, "--method", "full", "--search", "random",
             "--grid", "lr=1e-4..3e-3:log", "--max-runs", "3", "--seed", "7", "--prune",
             "--set", "epochs=3", "--set", "batch_size=8", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonArray drawn = r.json().value("trials").toArray();
    QCOMPARE(drawn.size(), 3);
    for (const QJsonValue& t : drawn) {
        const double lr = t.toObject().value("values").toObject().value("lr").toString().toDouble();
        QVERIFY2(lr >= 1e-4 && lr <= 3e-3, qPrintable(QString::number(lr)));
        const QString status = t.toObject().value("status").toString();
        QVERIFY2(status == "finished" || status == "pruned", qPrintable(status));
    }

    // A comparison of two runs as a PDF that opens: pdftoppm renders its first page.
    const QString pdf = m_dir.filePath("compare.pdf");
    r = cli({"report", project, "--run", "1", "--run", "2", "--out", pdf});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(fts::test::renderPdfFirstPage(pdf, m_dir.filePath("compare-page")));
    QCOMPARE(cli({"report", project, "--run", "1", "--run", "2", "--run", "3", "--run", "4",
                  "--run", "5", "--run", "6", "--run", "7"}).code, 2);
}

// `train --task a --task b` is one multi-task run: per-task validation in the JSON, the trainer's
// notes too; eval refuses it with the reason.
void TestCli::trainSeveralTasks()
{
    const QStringList pos = {"great", "lovely"}, neg = {"awful", "sad"};
    const QStringList food = {"soup", "bread"}, travel = {"train", "ferry"};
    QByteArray csv = "text,mood,topic,split\n";
    QStringList texts;
    for (int i = 0; i < 60; ++i) {
        const QString text = QStringLiteral("a %1 %2").arg((i % 2 ? neg : pos)[i % 2], ((i / 2) % 2 ? travel : food)[i % 2]);
        texts << text;
        csv += text.toUtf8() + (i % 2 ? ",neg," : ",pos,") + ((i / 2) % 2 ? "travel," : "food,") +
               (i < 44 ? "train" : i < 56 ? "val" : "test") + "\n";
    }
    // One row labeled only for mood, in val, with a topic the train split never has: a note.
    csv += "a great trip,pos,music,val\n";
    fts::test::writeFile(m_dir.filePath("two.csv"), csv);
    // Mean pooling: through the random 32-wide fixture's [CLS] pooler one task would win the
    // shared features (see tst_trainer multiTaskLearnsEveryTask).
    const QString model = m_dir.filePath("two-model");
    QVERIFY(QDir().mkpath(model));
    QVERIFY(QFile::copy(QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert/model.safetensors"), model + "/model.safetensors"));
    QFile config(QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert/config.json"));
    QVERIFY(config.open(QIODevice::ReadOnly));
    fts::test::writeFile(model + "/config.json",
                         config.readAll().replace("\"hidden_act\"", "\"classifier_pooling\": \"mean\", \"hidden_act\""));
    texts << "a great trip";
    fts::test::writeFile(model + "/vocab_words.txt", fts::WordVocabulary::build(texts).words().join('\n').toUtf8());
    const QString project = m_dir.filePath("two.ftproj");
    QCOMPARE(cli({"new", project}).code, 0);
    QCOMPARE(cli({"import", project, m_dir.filePath("two.csv"), "--label", "mood", "--label", "topic"}).code, 0);
    Run r = cli({"train", project, "--model", model, "--method", "full", "--task", "mood,topic", "--set", "epochs=8",
                 "--set", "lr=0.002", "--set", "batch_size=8", "--set", "task_weights=topic=2", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject byTask = r.json().value("val_by_task").toObject();
    QCOMPARE(byTask.keys(), (QStringList{"mood", "topic"}));
    QCOMPARE(byTask.value("mood").toObject().value("total").toInt(), 13);
    QVERIFY2(byTask.value("mood").toObject().value("accuracy").toDouble() >= 0.9, r.out.constData());
    QVERIFY2(byTask.value("topic").toObject().value("accuracy").toDouble() >= 0.9, r.out.constData());
    const QJsonArray notes = r.json().value("notes").toArray();
    QVERIFY2(notes.size() == 1 && notes[0].toString().contains("Label 'music'"), r.out.constData());
    r = cli({"eval", project, "--run", "1", "--split", "val", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("by_task").toObject().keys(), (QStringList{"mood", "topic"}));
    QVERIFY(r.json().value("by_task").toObject().value("mood").toObject().value("accuracy").toDouble() >= 0.9);
    r = cli({"eval", project, "--run", "1", "--split", "val", "--task", "topic", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(r.json().value("total").toInt(), 13);
    r = cli({"eval", project, "--run", "1", "--task", "colour"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("no task 'colour'"), r.err.constData());
    // The report: each head's sections, headed by its task, and a chart of each task's F1.
    r = cli({"report", project, "--run", "1", "--split", "val", "--out", m_dir.filePath("two-report.html")});
    QVERIFY2(r.code == 0, r.err.constData());
    QFile report(m_dir.filePath("two-report.html"));
    QVERIFY(report.open(QIODevice::ReadOnly));
    const QString html = QString::fromUtf8(report.readAll());
    for (const char* heading : {"Task mood: Metrics on the val split (13 rows)", "Task topic: Metrics on the val split (13 rows)",
                                "Task mood: Confusion matrix", "Task topic: Top errors"})
        QVERIFY2(html.contains(heading), heading);
    QCOMPARE(html.count("<img"), 5); // loss, scores, per-task F1, and each task's calibration
    // Exported per task as an ordinary classifier folder; without --task the export says so.
    r = cli({"export", project, "--run", "1", "--out", m_dir.filePath("two-export")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("choose whose classifier to export"), r.err.constData());
    r = cli({"export", project, "--run", "1", "--task", "topic", "--out", m_dir.filePath("two-export")});
    QVERIFY2(r.code == 0, r.err.constData());
    QFile exported(m_dir.filePath("two-export/config.json"));
    QVERIFY(exported.open(QIODevice::ReadOnly));
    const QJsonObject id2label = QJsonDocument::fromJson(exported.readAll()).object().value("id2label").toObject();
    QCOMPARE(id2label.size(), 3); // food, travel and the val-only music
    QVERIFY(id2label.value("0").toString() == "food" || id2label.value("0").toString() == "travel");
    // Predicted per task: without --task it asks which; the topic head labels topics.
    r = cli({"predict", project, m_dir.filePath("two.csv"), "--run", "1", "--out", m_dir.filePath("two-predicted.csv")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("say which task to predict (--task NAME)"), r.err.constData());
    r = cli({"predict", project, m_dir.filePath("two.csv"), "--run", "1", "--task", "topic", "--out",
             m_dir.filePath("two-predicted.csv")});
    QVERIFY2(r.code == 0, r.err.constData());
    QFile predicted(m_dir.filePath("two-predicted.csv"));
    QVERIFY(predicted.open(QIODevice::ReadOnly));
    const QByteArray rows = predicted.readAll();
    const QByteArray header = rows.left(rows.indexOf('\n'));
    QVERIFY2(header.contains("prob_food") && header.contains("prob_travel") && !header.contains("prob_pos"),
             header.constData());
    // The same in text: a report per task.
    r = cli({"train", project, "--model", model, "--method", "full", "--task", "mood", "--task", "topic",
             "--set", "max_steps=2", "--set", "batch_size=8"});
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("Task mood (val):") && r.out.contains("Task topic (val):"), r.out.constData());
}

FTS_TEST_SUITE(TestCli)
#include "tst_cli.moc"
