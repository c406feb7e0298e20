#!/usr/bin/env python3
"""Simulated annealing on classic continuous test functions: a small but genuine stochastic optimiser.

Expt passes the parameters as arguments and the trial's files as environment variables:
  EXPT_METRICS  a JSON-lines file for step metrics   EXPT_RESULTS  a JSON file for the final results
"""
import argparse
import json
import math
import os
import random


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--problem", choices=PROBLEMS, required=True)
    p.add_argument("--dim", type=int, default=5)
    p.add_argument("--cooling", type=float, default=0.99)
    p.add_argument("--t0", type=float, default=10.0)
    p.add_argument("--iters", type=int, default=20000)
    p.add_argument("--seed", type=int, required=True)
    a = p.parse_args()

    rng = random.Random(a.seed)
    f, bound = PROBLEMS[a.problem]
    x = [rng.uniform(-bound, bound) for _ in range(a.dim)]
    fx = f(x)
    best, best_x = fx, list(x)
    t, accepted = a.t0, 0
    step_size = bound / 10
    metrics = open(os.environ.get("EXPT_METRICS", os.devnull), "w")
    for i in range(a.iters):
        y = [min(bound, max(-bound, v + rng.gauss(0, step_size))) for v in x]
        fy = f(y)
        if fy < fx or rng.random() < math.exp(-(fy - fx) / max(t, 1e-12)):
            x, fx = y, fy
            accepted += 1
            if fx < best:
                best, best_x = fx, list(x)
        if i % 100 == 0:
            t *= a.cooling
            metrics.write(json.dumps({"step": i, "best": best, "current": fx, "temperature": t}) + "\n")
    metrics.close()

    results = {"best": best, "accept_rate": accepted / a.iters, "final_temperature": t, "distance_to_optimum": math.dist(best_x, [1.0] * a.dim if a.problem == "rosenbrock" else [0.0] * a.dim)}
    with open(os.environ.get("EXPT_RESULTS", os.devnull), "w") as out:
        json.dump(results, out)
    print(f"{a.problem} d={a.dim} cooling={a.cooling}: best {best:.4g}")


if __name__ == "__main__":
    main()
