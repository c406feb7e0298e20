"""Rows as a pandas DataFrame when pandas is installed, else as a :class:`Table` (a list of dicts) that a notebook
renders as an HTML table and a terminal as text."""

import html
import math

__all__ = ["Table", "frame"]

# A notebook shows at most this many rows of a Table (a study of a million trials must not render a million rows).
_SHOWN = 50


class Table(list):
    """A list of dicts (one per row) with ``columns``; shown as an HTML table in a notebook."""

    def __init__(self, rows=(), columns=None, title=None):
        super().__init__(rows)
        self.columns = list(columns) if columns is not None else _columns(self)
        self.title = title

    def column(self, name):
        """The values of one column, in row order."""
        return [row.get(name) for row in self]

    def _repr_html_(self):
        head = "".join("<th>%s</th>" % html.escape(str(c)) for c in self.columns)
        body = []
        for row in self[:_SHOWN]:
            body.append("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(_cell(row.get(c))) for c in self.columns))
        more = len(self) - _SHOWN
        caption = html.escape(self.title or "")
        if more > 0:
            caption += " (first %d of %d rows)" % (_SHOWN, len(self))
        return "<table><caption>%s</caption><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (
            caption, head, "".join(body))

    def __repr__(self):
        if not self:
            return "%s: no rows" % (self.title or "Table")
        widths = [min(24, max([len(str(c))] + [len(_cell(r.get(c))) for r in self[:_SHOWN]])) for c in self.columns]
        lines = ["  ".join(str(c)[:w].ljust(w) for c, w in zip(self.columns, widths))]
        for row in self[:_SHOWN]:
            lines.append("  ".join(_cell(row.get(c))[:w].ljust(w) for c, w in zip(self.columns, widths)))
        if len(self) > _SHOWN:
            lines.append("... %d rows" % len(self))
        return "\n".join(lines)


def _columns(rows):
    seen = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return str(value)


def frame(rows, as_pandas, title):
    """``rows`` as a DataFrame (pandas installed and ``as_pandas`` not False), else as a Table."""
    columns = _columns(rows)
    if as_pandas is not False:
        try:
            import pandas
        except ImportError:
            if as_pandas:
                raise
        else:
            df = pandas.DataFrame(rows, columns=columns)
            df.attrs["title"] = title
            return df
    return Table(rows, columns, title)
