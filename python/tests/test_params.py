import json
import math
import unittest

from expt._params import Params, from_argv, parse_value


class ParamsTest(unittest.TestCase):
    def test_attribute_and_item_access(self):
        p = Params({"lr": 0.1, "model.depth": 4, "model.width": 64})
        self.assertEqual(p.lr, 0.1)
        self.assertEqual(p["lr"], 0.1)
        self.assertEqual(p.model.depth, 4)
        self.assertEqual(p["model.depth"], 4)
        self.assertEqual(p.model["width"], 64)

    def test_a_mapping_that_json_and_kwargs_accept(self):
        p = Params({"lr": 0.1, "model.depth": 4})
        self.assertEqual(json.loads(json.dumps(p)), {"lr": 0.1, "model": {"depth": 4}})
        self.assertEqual(dict(**p)["lr"], 0.1)
        self.assertEqual(p.flat(), {"lr": 0.1, "model.depth": 4})

    def test_nested_json_becomes_params(self):
        p = Params({"model": {"depth": 2}})
        self.assertIsInstance(p.model, Params)
        self.assertEqual(p["model.depth"], 2)
        self.assertIn("model.depth", p)
        self.assertNotIn("model.width", p)

    def test_missing_names_say_what_there_is(self):
        p = Params({"lr": 0.1})
        with self.assertRaises(AttributeError) as caught:
            _ = p.lrr
        self.assertIn("lr", str(caught.exception))
        self.assertEqual(p.get("missing", 7), 7)
        self.assertEqual(p.get("a.b.c", 8), 8)

    def test_read_only(self):
        p = Params({"lr": 0.1})
        with self.assertRaises(AttributeError):
            p.lr = 2


class ArgvTest(unittest.TestCase):
    def test_values_read_as_yaml_scalars(self):
        self.assertEqual(parse_value("16"), 16)
        self.assertEqual(parse_value("0.5"), 0.5)
        self.assertIs(parse_value("true"), True)
        self.assertIsNone(parse_value("null"))
        self.assertTrue(math.isnan(parse_value(".nan")))
        self.assertEqual(parse_value("-inf"), -math.inf)
        self.assertEqual(parse_value("[1, 2]"), [1, 2])
        self.assertEqual(parse_value("'007'"), "007")
        self.assertEqual(parse_value("adam"), "adam")

    def test_only_name_value_words_are_parameters(self):
        p = from_argv(["lr=0.1", "--verbose", "data.csv", "model.depth=3", "+extra=x", "bad name=1"])
        self.assertEqual(p.flat(), {"lr": 0.1, "model.depth": 3, "extra": "x"})


if __name__ == "__main__":
    unittest.main()
