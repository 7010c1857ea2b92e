// Reward-model, DPO and PPO losses against values worked out by hand (or from their definitions
// in plain scalar arithmetic), including which tokens the masks and clipping leave out.
#include "Suite.h"
#include "align/PreferenceLosses.h"

#include <ATen/ATen.h>

#include <QTest>

#include <cmath>

using namespace fts;

namespace {

at::Tensor t(std::initializer_list<double> v)
{
    return at::tensor(std::vector<double>(v), at::kDouble);
}

double softplus(double x) // -log σ(-x)
{
    return std::log1p(std::exp(x));
}

bool near(double a, double b, double tol = 1e-9)
{
    return std::abs(a - b) <= tol;
}

} // namespace

class TestAlignLosses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bradleyTerry();
    void ratings();
    void listMle();
    void listMleOfTwoIsBradleyTerry();
    void dpo();
    void dpoRefusesBadBeta();
    void ppoClippedObjective();
    void ppoValueLoss();
    void gae();
    void gaeWithoutDiscountIsRewardToGo();
    void klShapedRewards();
    void adaptiveKl();
    void entropyAndWhitening();
};

void TestAlignLosses::bradleyTerry()
{
    // Differences 1 and -2: (log(1 + e^-1) + log(1 + e^2)) / 2 = (0.3132617 + 2.1269280) / 2.
    const double loss = bradleyTerryLoss(t({1, 0}), t({0, 2})).item<double>();
    QVERIFY(near(loss, 1.22009485, 1e-7));
    QCOMPARE(pairwiseAccuracy(t({1, 0}), t({0, 2})), 0.5);
    QCOMPARE(pairwiseAccuracy(t({1, 3}), t({0, 2})), 1.0);
}

void TestAlignLosses::ratings()
{
    QCOMPARE(ratingLoss(t({1, 2}), t({0, 4})).item<double>(), 2.5); // (1 + 4) / 2
}

void TestAlignLosses::listMle()
{
    // Row 1: items ranked best first have scores 3, 1, 2. Row 2: scores 0, 5 and a padded item.
    const at::Tensor scores = t({3, 1, 2, 0, 5, 99}).view({2, 3});
    const at::Tensor valid = at::tensor({1, 1, 1, 1, 1, 0}, at::kLong).to(at::kBool).view({2, 3});
    const double row1 = (std::log(std::exp(3) + std::exp(1) + std::exp(2)) - 3) +
                        (std::log(std::exp(1) + std::exp(2)) - 1) + 0.0;
    const double row2 = std::log(std::exp(0) + std::exp(5)) - 0;
    QVERIFY(near(listMleLoss(scores, valid).item<double>(), (row1 + row2) / 2));
    // The ranking in score order is the most likely one: its loss is lower than the reversed one.
    const at::Tensor good = t({3, 2, 1}).view({1, 3}), bad = t({1, 2, 3}).view({1, 3});
    const at::Tensor all = at::ones({1, 3}, at::kBool);
    QVERIFY(listMleLoss(good, all).item<double>() < listMleLoss(bad, all).item<double>());
}

void TestAlignLosses::listMleOfTwoIsBradleyTerry()
{
    const at::Tensor chosen = t({0.3, -1.2, 2.0}), rejected = t({1.1, -2.0, 2.5});
    const double pairwise = bradleyTerryLoss(chosen, rejected).item<double>();
    const double listwise =
        listMleLoss(at::stack({chosen, rejected}, 1), at::ones({3, 2}, at::kBool)).item<double>();
    QVERIFY(near(pairwise, listwise, 1e-12));
}

void TestAlignLosses::dpo()
{
    // β = 0.5. Row 1: r_c = 0.5 (-1 + 2) = 0.5, r_r = 0.5 (-3 + 2) = -0.5, loss log(1 + e^-1).
    // Row 2: r_c = 0.5 (-4 + 3) = -0.5, r_r = 0.5 (-1 + 3) = 1, loss log(1 + e^1.5).
    at::Tensor policyChosen = t({-1, -4}).set_requires_grad(true);
    const at::Tensor policyRejected = t({-3, -1});
    const DpoOutput out = dpoLoss(policyChosen, policyRejected, t({-2, -3}), t({-2, -3}), 0.5);
    QVERIFY(near(out.loss.item<double>(), (softplus(-1) + softplus(1.5)) / 2));
    QVERIFY(near(out.margin, (1.0 - 1.5) / 2));
    QCOMPARE(out.accuracy, 0.5);
    QVERIFY(near(out.chosenRewards[0].item<double>(), 0.5));
    QVERIFY(near(out.rejectedRewards[1].item<double>(), 1.0));
    // d loss / d logπ(chosen) = -β σ(-(r_c - r_r)) / B.
    out.loss.backward();
    const auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
    QVERIFY(near(policyChosen.grad()[0].item<double>(), -0.5 * sigmoid(-1) / 2));
    QVERIFY(near(policyChosen.grad()[1].item<double>(), -0.5 * sigmoid(1.5) / 2));
}

void TestAlignLosses::dpoRefusesBadBeta()
{
    bool threw = false;
    try {
        dpoLoss(t({0}), t({0}), t({0}), t({0}), 0);
    } catch (const std::exception&) {
        threw = true;
    }
    QVERIFY(threw);
}

void TestAlignLosses::ppoClippedObjective()
{
    // ε = 0.2; ratios 1.5, 0.5, 1.1, 0.7 with advantages 1, 1, -1, -1, and a masked-out fifth.
    // Terms: max(-1.5, -1.2) = -1.2 (clipped), max(-0.5, -0.8) = -0.5, max(1.1, 1.1) = 1.1,
    // max(0.7, 0.8) = 0.8 (clipped): loss (-1.2 - 0.5 + 1.1 + 0.8) / 4 = 0.05, clip fraction 1/2.
    at::Tensor logp = at::log(t({1.5, 0.5, 1.1, 0.7, 50})).view({1, 5}).set_requires_grad(true);
    const at::Tensor old = at::zeros({1, 5}, at::kDouble);
    const at::Tensor adv = t({1, 1, -1, -1, 100}).view({1, 5});
    const at::Tensor mask = t({1, 1, 1, 1, 0}).view({1, 5});
    const PolicyLossOutput out = ppoPolicyLoss(logp, old, adv, mask, 0.2);
    QVERIFY(near(out.loss.item<double>(), 0.05));
    QCOMPARE(out.clipFraction, 0.5);
    QVERIFY(
        near(out.approxKl, -(std::log(1.5) + std::log(0.5) + std::log(1.1) + std::log(0.7)) / 4));
    // Only unclipped tokens carry gradient: d/dlogp of -A ρ / 4 is -A ρ / 4.
    out.loss.backward();
    const at::Tensor g = logp.grad().view({5});
    QVERIFY(near(g[0].item<double>(), 0));
    QVERIFY(near(g[1].item<double>(), -0.5 / 4));
    QVERIFY(near(g[2].item<double>(), 1.1 / 4));
    QVERIFY(near(g[3].item<double>(), 0));
    QVERIFY(near(g[4].item<double>(), 0));
}

void TestAlignLosses::ppoValueLoss()
{
    // ε = 0.5. v 2 (old 1, return 3): max((2-3)², (1.5-3)²) = 2.25; v 0 (old 1, return -1):
    // max(1, (0.5+1)²) = 2.25. Loss 0.5 · 2.25.
    const double loss = fts::ppoValueLoss(t({2, 0}).view({1, 2}), t({1, 1}).view({1, 2}),
                                          t({3, -1}).view({1, 2}), at::ones({1, 2}), 0.5)
                            .item<double>();
    QVERIFY(near(loss, 1.125));
}

void TestAlignLosses::gae()
{
    // γ = 0.9, λ = 0.8. Row 1: δ2 = 1 - 0.7 = 0.3; δ1 = 0.9·0.7 - 0.6 = 0.03, A1 = 0.03 + 0.72·0.3
    // = 0.246; δ0 = 0.9·0.6 - 0.5 = 0.04, A0 = 0.04 + 0.72·0.246 = 0.21712. Row 2 ends after two
    // tokens: δ1 = 2 - 1 = 1; δ0 = 1 + 0.9 - 1 = 0.9, A0 = 0.9 + 0.72 = 1.62; A2 = 0.
    const at::Tensor rewards = t({0, 0, 1, 1, 2, 99}).view({2, 3});
    const at::Tensor values = t({0.5, 0.6, 0.7, 1, 1, 99}).view({2, 3});
    const at::Tensor mask = t({1, 1, 1, 1, 1, 0}).view({2, 3});
    const GaeOutput out = generalizedAdvantages(rewards, values, mask, 0.9, 0.8);
    const double expected[2][3] = {{0.21712, 0.246, 0.3}, {1.62, 1.0, 0.0}};
    const double returns[2][3] = {{0.71712, 0.846, 1.0}, {2.62, 2.0, 0.0}};
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c) {
            QVERIFY2(near(out.advantages[r][c].item<double>(), expected[r][c], 1e-12),
                     qPrintable(QStringLiteral("A[%1][%2]").arg(r).arg(c)));
            QVERIFY(near(out.returns[r][c].item<double>(), returns[r][c], 1e-12));
        }
    // The same first row shifted right by a masked-out prompt column gives the same advantages.
    const GaeOutput shifted =
        generalizedAdvantages(t({5, 0, 0, 1}).view({1, 4}), t({9, 0.5, 0.6, 0.7}).view({1, 4}),
                              t({0, 1, 1, 1}).view({1, 4}), 0.9, 0.8);
    QVERIFY(near(shifted.advantages[0][0].item<double>(), 0, 1e-12));
    for (int c = 0; c < 3; ++c)
        QVERIFY(near(shifted.advantages[0][c + 1].item<double>(), expected[0][c], 1e-12));
}

void TestAlignLosses::gaeWithoutDiscountIsRewardToGo()
{
    // γ = λ = 1: A_t = Σ_{k>=t} r_k - V_t.
    const at::Tensor rewards = t({1, -2, 3, 0.5}).view({1, 4});
    const at::Tensor values = t({0.1, 0.2, 0.3, 0.4}).view({1, 4});
    const GaeOutput out = generalizedAdvantages(rewards, values, at::ones({1, 4}), 1, 1);
    const double toGo[4] = {2.5, 1.5, 3.5, 0.5};
    for (int c = 0; c < 4; ++c)
        QVERIFY(near(out.advantages[0][c].item<double>(), toGo[c] - 0.1 * (c + 1), 1e-12));
}

void TestAlignLosses::klShapedRewards()
{
    // coef 0.1: -0.1 · (logπ - logπ_ref) = -0.05, 0 on the two response tokens; the score 2 is
    // added to the last one (index 1); the padded third token gets nothing.
    const at::Tensor r =
        fts::klShapedRewards(t({-1, -2, -3}).view({1, 3}), t({-1.5, -2, -2}).view({1, 3}),
                             t({1, 1, 0}).view({1, 3}), t({2}), 0.1);
    QVERIFY(near(r[0][0].item<double>(), -0.05));
    QVERIFY(near(r[0][1].item<double>(), 2.0));
    QVERIFY(near(r[0][2].item<double>(), 0.0));
    // A response that starts after the prompt: the score lands on the last masked column.
    const at::Tensor late =
        fts::klShapedRewards(at::zeros({1, 4}, at::kDouble), at::zeros({1, 4}, at::kDouble),
                             t({0, 1, 1, 0}).view({1, 4}), t({3}), 0.1);
    QVERIFY(near(late[0][2].item<double>(), 3.0));
    QVERIFY(near(late.sum().item<double>(), 3.0));
}

void TestAlignLosses::adaptiveKl()
{
    KlController k(0.2, 6, 10000);
    k.update(12, 100); // error clipped to 0.2: 0.2 · (1 + 0.2 · 100 / 10000)
    QVERIFY(near(k.value(), 0.2004));
    k.update(3, 100); // error -0.5 clipped to -0.2
    QVERIFY(near(k.value(), 0.2004 * 0.998));
    KlController fixed(0.1, 0, 10000);
    fixed.update(100, 1000);
    QCOMPARE(fixed.value(), 0.1);
}

void TestAlignLosses::entropyAndWhitening()
{
    const at::Tensor uniform = at::zeros({1, 2, 4});
    QVERIFY(near(maskedEntropy(uniform, at::ones({1, 2})).item<double>(), std::log(4.0), 1e-6));
    const at::Tensor w = whiten(t({1, 3, 100}).view({1, 3}), t({1, 1, 0}).view({1, 3}));
    QVERIFY(near(w[0][0].item<double>(), -1, 1e-6));
    QVERIFY(near(w[0][1].item<double>(), 1, 1e-6));
    QCOMPARE(w[0][2].item<double>(), 0.0);
}

FTS_TEST_SUITE(TestAlignLosses)
#include "tst_alignlosses.moc"
