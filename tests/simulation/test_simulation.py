"""The whole-marketplace simulation runs in the suite on the leg's database (SQLite or
PostgreSQL): a few seeds for a bounded number of steps, every seed that ever broke an invariant
kept as a regression, and proof that a broken money rule is caught."""
import pytest

from marketplace.simulation.driver import InvariantBroken, Simulation

# (seed, steps) of every run that ever broke an invariant, and what it found:
REGRESSIONS = [
    (7, 600),  # after a clawback the audit reports still counted the clawed-back share as redeemed
]


def simulate(seed, steps, **options):
    simulation = Simulation(seed, **options)
    try:
        return simulation.run(steps)
    finally:
        simulation.close()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_seeds_keep_every_invariant(stripe_app, seed):
    summary = simulate(seed, 300, verify_every=100)
    assert summary.steps == 300 and summary.checks > 300
    done = {action for (action, outcome), count in summary.actions.items() if outcome == "ok"}
    assert {"checkout", "pay", "provider_step", "worker"} <= done  # the run really traded


@pytest.mark.parametrize("seed, steps", REGRESSIONS)
def test_seeds_that_once_broke_an_invariant(stripe_app, seed, steps):
    assert simulate(seed, steps).steps == steps


def test_a_broken_money_rule_is_caught_with_seed_step_and_trace(stripe_app, monkeypatch):
    """Money released to a revoked or expired voucher no longer lapses: the simulation must notice."""
    monkeypatch.setattr("marketplace.orders.actions.lapse_if_dead", lambda *args, **kwargs: 0)
    with pytest.raises(InvariantBroken) as broken:
        simulate(1, 3000, fault_rate=0.0)
    report = broken.value.report()
    assert broken.value.seed == 1 and "after being" in report and "Last actions:" in report


def test_vouchers_between_related_parties_are_caught(stripe_app, monkeypatch):
    """Pricing that forgets related parties: operators record affiliations in the simulation, and
    the next order between such a pair with a voucher share (and no exception) breaks it."""
    monkeypatch.setattr("marketplace.orders.pricing.related_parties", lambda *args: False)
    with pytest.raises(InvariantBroken) as broken:
        simulate(1, 1000, fault_rate=0.0)
    assert any("between parties related by affiliation" in problem for problem in broken.value.problems)


def test_the_command_runs_seeds_and_prints_a_summary(runner):
    result = runner.invoke(args=["simulate", "--seed", "5", "--seeds", "2", "--steps", "40"])
    assert result.exit_code == 0, result.output
    assert "seed 5: 40 steps" in result.output and "seed 6: 40 steps" in result.output
    assert "2 seeds, 80 steps" in result.output and "0 breaks" in result.output
