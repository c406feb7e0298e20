#!/usr/bin/env python3
"""Simulated annealing on classic continuous test functions: a small but genuine stochastic optimiser.

A trial is a plain function: Expt calls it with the point's parameters as keyword arguments (``python: anneal:anneal``
in expt.yaml), seeds ``random`` from the trial's seed, records what ``expt.log`` is given as step metrics and the
returned dict as the trial's results. Alone, ``python3 anneal.py problem=ackley cooling=0.9`` runs one trial with
these defaults for the rest and prints its results.
"""
import math
import random

import expt


def rastrigin(x):
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


def ackley(x):
    n = len(x)
    s1 = sum(v * v for v in x) / n
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / n
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


PROBLEMS = {"rastrigin": (rastrigin, 5.12), "ackley": (ackley, 32.768), "rosenbrock": (rosenbrock, 2.048)}


def anneal(problem="rastrigin", dim=5, cooling=0.99, t0=10.0, iters=20000):
    if problem not in PROBLEMS:
        raise ValueError("problem must be one of %s, not %r" % (", ".join(PROBLEMS), problem))
    rng = random.Random(expt.seed)  # the trial's own seed: replicates differ, reruns repeat
    f, bound = PROBLEMS[problem]
    x = [rng.uniform(-bound, bound) for _ in range(dim)]
    fx = f(x)
    best, best_x = fx, list(x)
    t, accepted = t0, 0
    step_size = bound / 10
    for i in range(iters):
        y = [min(bound, max(-bound, v + rng.gauss(0, step_size))) for v in x]
        fy = f(y)
        if fy < fx or rng.random() < math.exp(-(fy - fx) / max(t, 1e-12)):
            x, fx = y, fy
            accepted += 1
            if fx < best:
                best, best_x = fx, list(x)
        if i % 100 == 0:
            t *= cooling
            expt.log(step=i, best=best, current=fx, temperature=t)

    optimum = [1.0] * dim if problem == "rosenbrock" else [0.0] * dim
    print(f"{problem} d={dim} cooling={cooling}: best {best:.4g}")
    return {"best": best, "accept_rate": accepted / iters, "final_temperature": t,
            "distance_to_optimum": math.dist(best_x, optimum)}


if __name__ == "__main__":
    expt.run(anneal)
