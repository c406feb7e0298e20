"""A trial's parameters: a read-only mapping with attribute access, dotted names nested."""

import json
import math

__all__ = ["Params", "parse_value", "from_argv"]


class Params(dict):
    """The parameters of a trial.

    A dict (so ``**params``, ``json.dumps(params)`` and ``params.get("lr", 0.1)`` work) whose keys are also
    attributes, with dotted names nested: ``params.model.depth`` and ``params["model.depth"]`` are the same value.
    """

    def __init__(self, values=None):
        super().__init__()
        for key, value in (values or {}).items():
            _set(self, key, value)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                "no parameter %r; the trial has %s" % (name, ", ".join(sorted(self.keys())) or "none")) from None

    def __getitem__(self, key):
        if isinstance(key, str) and "." in key and not dict.__contains__(self, key):
            node = self
            for part in key.split("."):
                if not isinstance(node, dict):
                    raise KeyError(key)
                node = dict.__getitem__(node, part)
            return node
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        try:
            self[key]
            return True
        except KeyError:
            return False

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def flat(self):
        """The parameters with dotted names, as Expt lists them: ``{"model.depth": 2, "lr": 0.1}``."""
        out = {}

        def walk(prefix, node):
            for key, value in node.items():
                name = prefix + key
                if isinstance(value, dict) and value:
                    walk(name + ".", value)
                else:
                    out[name] = value

        walk("", self)
        return out

    def __setattr__(self, name, value):
        raise AttributeError("parameters are read-only")

    def __repr__(self):
        return "Params(%s)" % dict.__repr__(self)


def _set(target, key, value):
    if isinstance(value, dict) and not isinstance(value, Params):
        value = Params(value)
    parts = key.split(".") if isinstance(key, str) else [key]
    node = target
    for part in parts[:-1]:
        child = dict.get(node, part)
        if not isinstance(child, dict):
            child = Params()
            dict.__setitem__(node, part, child)
        node = child
    dict.__setitem__(node, parts[-1], value)


def parse_value(text):
    """A command-line value as a YAML 1.2 scalar reads: ``16`` an int, ``0.1`` a float, ``true`` a bool, ``null``
    None, ``[1, 2]`` a list (JSON), anything else text (quotes removed)."""
    stripped = text.strip()
    lower = stripped.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower in ("null", "~", ""):
        return None
    if lower in (".nan", "nan"):
        return math.nan
    if lower in (".inf", "+.inf", "inf", "+inf"):
        return math.inf
    if lower in ("-.inf", "-inf"):
        return -math.inf
    try:
        return int(stripped, 10)
    except ValueError:
        pass
    try:
        return float(stripped)
    except ValueError:
        pass
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1]
    return stripped


def from_argv(argv):
    """Parameters given on a script's command line outside Expt, as Hydra writes them: ``lr=0.1 model.depth=4``.

    Only ``name=value`` words are read (``--flags`` and other words are the script's own, left alone); names are
    letters, digits, ``_``, ``-`` and dots.
    """
    values = {}
    for word in argv:
        if word.startswith("-") or "=" not in word:
            continue
        name, _, text = word.partition("=")
        name = name.lstrip("+")
        if name and all(c.isalnum() or c in "_.-" for c in name):
            values[name] = parse_value(text)
    return Params(values)
