"""Every public name the package exports has a docstring.

Vendors read the package through help() and their IDEs, so each function,
class, method and property that kpi exports (kpi.__all__) must say what it
does.  The walk covers the exported classes and every public attribute
they define or inherit from a class of this package (names without a
leading underscore; what tuple, Exception or object give is theirs), and
the exported functions; constants are left out.  The failure names every
one that is missing, not just the first.
"""

import inspect

import kpi


def _own_definition(cls, name):
    """(defining class, raw attribute) of cls.name along the MRO, or None
    when a class outside this package defines it."""
    for klass in cls.__mro__:
        if name in vars(klass):
            if not (klass.__module__ or "").startswith("kpi"):
                return None
            return klass, vars(klass)[name]
    return None


def _doc_of(attr):
    """The docstring of a class attribute (function, property,
    classmethod, staticmethod), or False for an attribute that is none of
    these (a constant: not checked)."""
    if isinstance(attr, property):
        return attr.__doc__ or (attr.fget.__doc__ if attr.fget else None)
    if isinstance(attr, (classmethod, staticmethod)):
        return attr.__func__.__doc__
    if inspect.isfunction(attr) or inspect.isroutine(attr):
        return attr.__doc__
    if isinstance(attr, type):
        return attr.__doc__
    return False


def _blank(doc):
    return doc is None or not doc.strip()


def undocumented():
    """Qualified names of the exported public names without a docstring."""
    missing = []
    for name in sorted(set(kpi.__all__)):
        obj = getattr(kpi, name)
        if inspect.isclass(obj):
            if _blank(obj.__doc__):
                missing.append(name)
            for attr_name in sorted(dir(obj)):
                if attr_name.startswith("_"):
                    continue
                found = _own_definition(obj, attr_name)
                if found is None:
                    continue
                doc = _doc_of(found[1])
                if doc is not False and _blank(doc):
                    missing.append(f"{name}.{attr_name}")
        elif callable(obj) and _blank(obj.__doc__):
            missing.append(name)
    return missing


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, (f"{len(missing)} public names without a docstring: "
                         + ", ".join(missing))


def test_the_walk_sees_methods_properties_and_functions():
    # the walk itself: it reaches a method, a property, an inherited method
    # and a function (so an empty result is not an empty walk)
    seen = {"Score.add": _own_definition(kpi.Score, "add"),
            "Duration.count": _own_definition(kpi.Duration, "count"),
            "Score.copy": _own_definition(kpi.Score, "copy")}
    assert all(v is not None for v in seen.values()), seen
    assert isinstance(seen["Duration.count"][1], property)
    assert _doc_of(seen["Score.add"][1])
    assert callable(kpi.nps) and "nps" in kpi.__all__
    # a name tuple gives from tuple (count, index) is not the package's
    assert _own_definition(kpi.Estimate, "count") is None
