"""The driver: seeded choices, simulated time, injected faults, invariants after every step, and
on a break the seed, the step and a readable trace of the last actions."""
import random
import time
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app

from marketplace import ledger
from marketplace.database import SimulatedClock
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.ledger import run_in_transaction
from marketplace.payments.gateway import get_gateway
from marketplace.simulation import invariants
from marketplace.simulation import world as worlds
from marketplace.simulation.actions import WEIGHTS, Actions
from marketplace.simulation.faults import FlakyGateway, InjectedFault, StatementFaults
from marketplace.vouchers.rules import end_of_day
from marketplace.worker import JOBS, run_job

START = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai, a Monday
SIMULATED_JOBS = [job.name for job in JOBS if not job.name.startswith("search")]


class InvariantBroken(Exception):
    def __init__(self, seed, step, problems, trace):
        self.seed, self.step, self.problems, self.trace = seed, step, problems, trace
        super().__init__(f"seed {seed}, step {step}: {problems[0]}")

    def report(self):
        lines = [f"Invariant broken — seed {self.seed}, step {self.step}:"]
        lines += [f"  ✗ {problem}" for problem in self.problems[:20]]
        lines += ["Last actions:"] + [f"  {line}" for line in self.trace]
        return "\n".join(lines)


@dataclass
class Summary:
    seed: int
    steps: int = 0
    actions: Counter = field(default_factory=Counter)  # (action, outcome) → count
    checks: int = 0
    faults: int = 0
    gateway_faults: int = 0
    seconds: float = 0.0


class Simulation:
    def __init__(self, seed, *, fault_rate=0.05, gateway_fault_rate=0.03, verify_every=250, trace_length=40):
        self.seed, self.rng = seed, random.Random(seed)
        self.fault_rate, self.verify_every = fault_rate, verify_every
        self.trace = deque(maxlen=trace_length)
        self.summary = Summary(seed)
        self.worker_jobs = list(SIMULATED_JOBS)
        self.faults = StatementFaults(db.engine)
        self.gateway = FlakyGateway(get_gateway(), random.Random(seed + 1), gateway_fault_rate)
        SimulatedClock.now = START
        self.four_eyes = current_app.config.get("FOUR_EYES")
        current_app.config["FOUR_EYES"] = True  # two operators act: every four-eyes path is exercised
        self.world = run_in_transaction(db.session, lambda: worlds.build(self.rng, START))
        self.actions = Actions(self)
        self.checks = invariants.every_step()

    def close(self):
        SimulatedClock.now = None
        current_app.config["FOUR_EYES"] = self.four_eyes
        self.faults.remove()

    @staticmethod
    def day_end(day):
        return end_of_day(day).astimezone(timezone.utc)

    # -- one step ---------------------------------------------------------------------------
    def step(self, number):
        """One action; returns True when it may have changed the database (a refusal rolls back,
        an action with nothing to act on writes nothing, a clock step only moves time)."""
        name = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        drawn = getattr(self.actions, name)()
        db.session.rollback()  # the choosing reads end here; each attempt is its own transaction
        if drawn is None:
            self.summary.actions[(name, "nothing to do")] += 1
            return False
        description, attempt = drawn
        outcome = attempt() if name in ("clock", "worker") else self.attempt(attempt)
        self.summary.actions[(name, outcome.replace("fault, retried → ", ""))] += 1
        self.trace.append(f"{number:>7} {SimulatedClock.now:%Y-%m-%d %H:%M:%S} {description}: {outcome}")
        return name != "clock" and outcome.endswith("ok")

    def attempt(self, attempt):
        """Run it in a transaction; an injected fault rolls it back and the retry runs it again."""
        inject = self.rng.random() < self.fault_rate
        if inject:
            self.faults.arm(self.rng.randint(1, 40))
        try:
            with self.flaky_gateway():
                return self.outcome(attempt)
        except InjectedFault:
            db.session.rollback()
            self.summary.faults += 1
            return "fault, retried → " + self.outcome(attempt)
        finally:
            self.faults.disarm()

    def outcome(self, attempt):
        try:
            run_in_transaction(db.session, attempt)
            return "ok"
        except DomainError as refusal:  # a refusal the user would see: expected, counted
            db.session.rollback()
            return f"refused {type(refusal).__name__}"

    @contextmanager
    def flaky_gateway(self):
        """The app's payment gateway, failing now and then, for the length of one action."""
        real = current_app.extensions.get("payment_gateway")
        current_app.extensions["payment_gateway"] = self.gateway
        try:
            yield
        finally:
            current_app.extensions["payment_gateway"] = real
            self.summary.gateway_faults = self.gateway.failures

    def advance(self, step):
        SimulatedClock.now += step
        return "ok"

    def run_worker(self, job=None):
        """A worker pass (every job, or one) at this moment. A job that fails on an item is a
        break: the worker must never fail; after a full pass no deadline lies in the past."""
        names = [job] if job else self.worker_jobs
        failed = sum(run_job(name, SimulatedClock.now).failed for name in names)
        if failed:
            raise self.broken([f"worker job(s) {', '.join(names)} failed on {failed} item(s)"] + invariants.worker_clean())
        if job is None:
            problems = invariants.deadlines_honoured(SimulatedClock.now) + invariants.dead_vouchers_empty()
            if problems:
                raise self.broken(problems)
        return "ok"

    # -- checking ----------------------------------------------------------------------------
    def check(self, number):
        problems = []
        checks = self.checks + (invariants.SOMETIMES if number % 20 == 0 else ())
        for check in checks:
            problems += check()
            self.summary.checks += 1
        if number % self.verify_every == 0:
            db.session.commit()  # SQLite: the verifier needs the write lock this session may hold
            result = ledger.verify(db.engine)
            self.summary.checks += 1
            if not result.ok:
                problems.append(f"ledger verify: {result}")
        db.session.rollback()
        if problems:
            raise self.broken(problems)

    def broken(self, problems):
        return InvariantBroken(self.seed, self.summary.steps, problems, list(self.trace))

    def run(self, steps, progress=None):
        started = time.monotonic()
        try:
            for number in range(1, steps + 1):
                self.summary.steps = number
                if self.step(number) or number % self.verify_every == 0:
                    self.check(number)
                if progress:
                    progress(1)
            self.summary.steps = steps
            self.check(self.verify_every)  # a final full verify
        finally:
            self.summary.seconds = time.monotonic() - started
        return self.summary
