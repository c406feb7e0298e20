import os
import random
import sys
import tempfile
import unittest

from expt import _call
from expt._trial import Trial


def outside(**params):
    argv = ["%s=%s" % item for item in params.items()]
    return Trial(environ={}, argv=argv)


class ArgumentsTest(unittest.TestCase):
    def test_keyword_arguments_it_names(self):
        def main(lr, epochs=3):
            return {"lr": lr, "epochs": epochs}
        trial = outside(lr=0.5, other=1)
        self.assertEqual(_call.arguments(main, trial), ((), {"lr": 0.5}))

    def test_all_with_kwargs(self):
        def main(**params):
            return params
        self.assertEqual(_call.arguments(main, outside(a=1, b=2)), ((), {"a": 1, "b": 2}))

    def test_the_trial_itself(self):
        def main(trial):
            return {}
        trial = outside(a=1)
        self.assertEqual(_call.arguments(main, trial), ((trial,), {}))

    def test_a_missing_parameter_is_named(self):
        def main(lr, momentum):
            return {}
        with self.assertRaises(TypeError) as caught:
            _call.arguments(main, outside(lr=1))
        self.assertIn("momentum", str(caught.exception))


class CallTest(unittest.TestCase):
    def test_returned_values(self):
        self.assertEqual(_call.call(lambda: {"loss": 1}, outside()), {"loss": 1})
        self.assertEqual(_call.call(lambda: 0.25, outside()), {"value": 0.25})
        self.assertEqual(_call.call(lambda: None, outside()), {})
        with self.assertRaises(TypeError):
            _call.call(lambda: "text", outside())
        with self.assertRaises(TypeError):
            _call.call(lambda: {1: 2}, outside())

    def test_generators_are_seeded_with_the_trial_seed(self):
        trial = outside()
        trial.seed = 1234
        first = _call.call(lambda: {"x": random.random()}, trial)
        second = _call.call(lambda: {"x": random.random()}, trial)
        self.assertEqual(first, second)
        random.seed(1234)
        self.assertEqual(first["x"], random.random())

    def test_numpy_is_seeded_too(self):
        try:
            import numpy
        except ImportError:
            self.skipTest("numpy is not installed")
        trial = outside()
        trial.seed = 2 ** 40 + 7  # larger than numpy's legacy seeds: reduced, never refused
        a = _call.call(lambda: {"x": float(numpy.random.rand())}, trial)
        b = _call.call(lambda: {"x": float(numpy.random.rand())}, trial)
        self.assertEqual(a, b)


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        with open(os.path.join(self.dir, "mymodule_for_call.py"), "w") as f:
            f.write("def main(x):\n    return {'y': x * 2}\n")

    def tearDown(self):
        sys.modules.pop("mymodule_for_call", None)

    def test_by_module_name_and_by_file(self):
        self.assertEqual(_call.load_function("mymodule_for_call:main", self.dir)(x=2), {"y": 4})
        by_file = _call.load_function(os.path.join(self.dir, "mymodule_for_call.py") + ":main", self.dir)
        self.assertEqual(by_file(x=3), {"y": 6})

    def test_errors(self):
        for target in ("nocolon", "a:b:c", ":main", "mod:"):
            with self.assertRaises(ValueError):
                _call.load_function(target, self.dir)
        with self.assertRaises(AttributeError):
            _call.load_function("mymodule_for_call:nope", self.dir)
        with self.assertRaises(ImportError):
            _call.load_function("missing_file.py:main", self.dir)


class ErrorTest(unittest.TestCase):
    def test_the_exception_then_the_users_frames(self):
        def inner():
            raise ValueError("bad lr")

        def main():
            inner()
        try:
            _call.call(main, outside())
        except ValueError as error:
            text = _call.format_error(error)
        self.assertTrue(text.startswith("ValueError: bad lr\nTraceback"))
        self.assertIn("in inner", text)
        self.assertNotIn(os.path.join("expt", "_call.py"), text)


if __name__ == "__main__":
    unittest.main()
