import math
import unittest

from expt import _stats


class StatsTest(unittest.TestCase):
    def test_t_quantiles_match_the_tables(self):
        # Student t, two-sided 95%: the values every table prints (and scipy.stats.t.ppf gives).
        for df, expected in [(1, 12.706204736174707), (2, 4.302652729749464), (5, 2.5705818356363146),
                             (10, 2.2281388519862744), (30, 2.0422724563012373), (1000, 1.9623390808264078)]:
            self.assertAlmostEqual(_stats.t_quantile(0.975, df), expected, delta=expected * 1e-12, msg="df=%d" % df)
        self.assertAlmostEqual(_stats.t_quantile(0.95, 1), math.tan(0.45 * math.pi), delta=1e-13)
        self.assertEqual(_stats.t_quantile(0.5, 7), 0.0)
        self.assertAlmostEqual(_stats.t_quantile(0.025, 4), -_stats.t_quantile(0.975, 4), places=14)

    def test_against_scipy_when_it_is_there(self):
        try:
            from scipy import stats
        except ImportError:
            self.skipTest("scipy is not installed")
        for df in (1, 3, 7, 19, 120):
            for p in (0.9, 0.95, 0.975, 0.995):
                # Debian's scipy 1.10 is itself off by up to ~2e-9 (at df=3, p=0.9 its value misses the closed-form CDF by 4e-10).
                self.assertAlmostEqual(_stats.t_quantile(p, df), stats.t.ppf(p, df), delta=abs(stats.t.ppf(p, df)) * 1e-8)

    def test_describe(self):
        d = _stats.describe([1.0, 2.0, 3.0, 4.0, math.nan, math.inf])
        self.assertEqual(d["n"], 4)
        self.assertEqual(d["non_finite"], 2)
        self.assertEqual(d["mean"], 2.5)
        self.assertAlmostEqual(d["std"], 1.2909944487358056, places=15)
        self.assertEqual(d["median"], 2.5)
        self.assertEqual((d["min"], d["max"]), (1.0, 4.0))
        half = 3.182446305284263 * d["sem"]
        self.assertAlmostEqual(d["ci_low"], 2.5 - half, places=12)
        self.assertAlmostEqual(d["ci_high"], 2.5 + half, places=12)

    def test_one_value_has_no_spread(self):
        d = _stats.describe([5.0])
        self.assertEqual(d["n"], 1)
        self.assertTrue(math.isnan(d["std"]))
        self.assertTrue(math.isnan(d["ci_low"]))

    def test_nothing(self):
        d = _stats.describe([])
        self.assertEqual(d["n"], 0)
        self.assertTrue(math.isnan(d["mean"]))


if __name__ == "__main__":
    unittest.main()
