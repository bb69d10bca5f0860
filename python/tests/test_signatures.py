"""The package's ctypes declarations against the C prototypes.

Every kpi_ function declared KPI_API in include/ is read through the C
preprocessor (as tests/exports.sh reads them) and compared, argument by
argument, with what the package gives ctypes: the number of arguments,
each argument's type and the return type.  Every such function is either
declared by the package or named in NOT_WRAPPED with the reason, so a new
C function without a Python decision fails here.

The package declares its functions in three places (kpi/_lib.py):
SIGNATURES, the shared verbs (VERBS, by name suffix, through
verb_signature) and load(), which declares kpi_version_number before the
table exists.  The effective declaration of each is the one ctypes uses
(``_lib.C.<name>``: a status function's restype is c_int); a source scan
refuses any other place that sets argtypes or restype.

The types follow the C type's name, as ctypes spells it (int32_t:
c_int32, size_t: c_size_t, int: c_int), compared twice: as the calls
pass them (ctypes' own types, where c_size_t is c_uint64 on LP64) and as
the tables write them (SIGNATURES and VERBS run again with a distinct
stand-in type a ctypes name, so U64 for a size_t fails here too, as it
would pass the wrong width on a 32-bit machine).
Any pointer may be c_void_p; a char pointer c_char_p; a POINTER(T) must
point at the C pointee (POINTER(c_void_p) for a pointer to any pointer,
CEstimate for kpi_estimate); an array parameter is a pointer.
"""

import ast
import ctypes
import glob
import os
import re
import shutil
import subprocess

import pytest

from kpi import _lib

HERE = os.path.dirname(os.path.abspath(__file__))

ALLOCATOR = "custom allocator variant: Python objects use the library's allocator"
# Exported functions the package deliberately does not declare.
NOT_WRAPPED = {
    "kpi_topk_add_str": "labels go through kpi_topk_add with their lengths (NUL allowed)",
    "kpi_aht_deserialize_with": ALLOCATOR,
    "kpi_aht_new_with": ALLOCATOR,
    "kpi_calendar_deserialize_with": ALLOCATOR,
    "kpi_calendar_new_with": ALLOCATOR,
    "kpi_customers_deserialize_with": ALLOCATOR,
    "kpi_customers_new_with": ALLOCATOR,
    "kpi_distinct_deserialize_with": ALLOCATOR,
    "kpi_distinct_new_with": ALLOCATOR,
    "kpi_duration_deserialize_with": ALLOCATOR,
    "kpi_duration_new_with": ALLOCATOR,
    "kpi_engine_deserialize_with": ALLOCATOR,
    "kpi_engine_new_with": ALLOCATOR,
    "kpi_group_deserialize_with": ALLOCATOR,
    "kpi_group_new_with": ALLOCATOR,
    "kpi_journey_deserialize_with": ALLOCATOR,
    "kpi_journey_new_with": ALLOCATOR,
    "kpi_mean_deserialize_with": ALLOCATOR,
    "kpi_mean_new_with": ALLOCATOR,
    "kpi_rate_deserialize_with": ALLOCATOR,
    "kpi_rate_new_with": ALLOCATOR,
    "kpi_ratio_deserialize_with": ALLOCATOR,
    "kpi_score_deserialize_with": ALLOCATOR,
    "kpi_score_new_with": ALLOCATOR,
    "kpi_series_deserialize_with": ALLOCATOR,
    "kpi_series_new_with": ALLOCATOR,
    "kpi_service_level_deserialize_with": ALLOCATOR,
    "kpi_service_level_new_with": ALLOCATOR,
    "kpi_sla_policy_deserialize_with": ALLOCATOR,
    "kpi_sla_policy_new_with": ALLOCATOR,
    "kpi_topk_deserialize_with": ALLOCATOR,
    "kpi_topk_id_deserialize_with": ALLOCATOR,
    "kpi_topk_id_new_with": ALLOCATOR,
    "kpi_topk_new_with": ALLOCATOR,
}

# The C scalar types, by the name the headers use, and the name of their
# ctypes type.
SCALARS = {
    "int": "c_int", "unsigned int": "c_uint", "char": "c_char",
    "signed char": "c_byte", "unsigned char": "c_ubyte",
    "short": "c_short", "unsigned short": "c_ushort",
    "long": "c_long", "unsigned long": "c_ulong",
    "long long": "c_longlong", "unsigned long long": "c_ulonglong",
    "float": "c_float", "double": "c_double", "_Bool": "c_bool",
    "int8_t": "c_int8", "uint8_t": "c_uint8", "int16_t": "c_int16", "uint16_t": "c_uint16",
    "int32_t": "c_int32", "uint32_t": "c_uint32", "int64_t": "c_int64", "uint64_t": "c_uint64",
    "size_t": "c_size_t", "ptrdiff_t": "c_ssize_t",
}
# spellings of the same scalar
SPELLINGS = {"signed": "int", "signed int": "int", "unsigned": "unsigned int",
             "short int": "short", "unsigned short int": "unsigned short",
             "long int": "long", "unsigned long int": "unsigned long",
             "long long int": "long long", "unsigned long long int": "unsigned long long"}
# the public structs the package lays out, by tag
STRUCTS = {"kpi_estimate": _lib.CEstimate, "kpi_event": _lib.CEvent}
QUALIFIERS = {"const", "volatile", "restrict", "__restrict", "__restrict__",
              "register", "__extension__", "__inline", "inline", "extern"}
KEYWORDS = {"void", "char", "short", "int", "long", "signed", "unsigned",
            "float", "double", "_Bool"}


# ---- the headers, through the preprocessor ----------------------------------
def source_dir():
    for var in ("KPI_SRCDIR", "top_srcdir"):
        if os.environ.get(var):
            return os.path.abspath(os.environ[var])
    return os.path.normpath(os.path.join(HERE, "..", ".."))


def preprocessed_headers():
    top = source_dir()
    headers = sorted(glob.glob(os.path.join(top, "include", "kpi", "*.h")))
    umbrella = os.path.join(top, "include", "kpi.h")
    if not headers or not os.path.exists(umbrella):
        pytest.skip(f"the C headers are not beside this package ({top}/include)")
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not available to preprocess the C headers")
    text = "".join(f'#include "{h}"\n' for h in [umbrella] + headers)
    out = subprocess.run([gcc, "-E", "-P", "-x", "c", "-I", os.path.join(top, "include"), "-"],
                         input=text, capture_output=True, text=True, check=True)
    return out.stdout


def strip_attributes(s):
    """s without __attribute__((...)), __declspec(...) and __asm__(...)."""
    while True:
        m = re.search(r"\b(__attribute__|__declspec|__asm__|__asm)\s*\(", s)
        if not m:
            return s
        depth, i = 0, m.end() - 1
        for i in range(m.end() - 1, len(s)):
            depth += {"(": 1, ")": -1}.get(s[i], 0)
            if depth == 0:
                break
        s = s[:m.start()] + " " + s[i + 1:]


def statements(text):
    """The top-level declarations (split at ';' outside braces and parentheses)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == ";" and depth == 0:
            out.append(" ".join(text[start:i].split()))
            start = i + 1
    return out


def split_top(s, sep=","):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        depth += {"(": 1, ")": -1, "[": 1, "]": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            parts.append(s[start:i].strip())
            start = i + 1
    parts.append(s[start:].strip())
    return parts


class Headers:
    """The typedefs and the kpi_ prototypes of the preprocessed headers:
    ``functions[name] = (api, return type, [(param text, type)])``, a
    type being ("scalar", name), ("void",), ("struct", tag), ("func",)
    or ("ptr", pointee)."""

    def __init__(self, text):
        self.typedefs, self.functions = {}, {}
        for st in statements(text):
            api = 'visibility("default")' in st
            st = " ".join(strip_attributes(st).split())
            if st.startswith("typedef "):
                self._typedef(st[len("typedef "):])
                continue
            m = re.match(r"(.*?)\b(kpi_\w+)\s*\((.*)\)$", st)
            if not m or "{" in st:
                assert not re.search(r"\bkpi_\w+\s*\(", st), f"cannot read: {st}"
                continue
            ret, name, params = m.groups()
            assert name not in self.functions, f"{name} declared twice"
            assert params.strip(), f"{name}(): no prototype"
            if params.strip() == "void":
                args = []
            else:
                args = [(p, self.param_type(p)) for p in split_top(params)]
            self.functions[name] = (api, self.type_of(ret), args)

    def _typedef(self, body):
        m = re.match(r"(struct|union|enum)\s*(\w*)\s*(\{.*\})?\s*(\w+)$", body)
        if m:
            kind, tag, _, name = m.groups()
            self.typedefs[name] = ("scalar", "int") if kind == "enum" else (kind, tag or name)
        elif "(" in body:  # a function or a pointer to one
            name = re.search(r"\(\s*\*?\s*(\w+)\s*\)\s*\(|(\w+)\s*\(", body)
            pointer = "(*" in body.replace(" ", "")
            func = ("ptr", ("func",)) if pointer else ("func",)
            self.typedefs[name.group(1) or name.group(2)] = func
        elif "[" not in body:
            words = body.split()
            self.typedefs[words[-1]] = " ".join(words[:-1])

    def param_type(self, p):
        if "(" in p:  # a pointer to a function
            return ("ptr", ("func",))
        arrays = len(re.findall(r"\[[^\]]*\]", p))
        t = self.type_of(re.sub(r"\[[^\]]*\]", "", p), named=True)
        for _ in range(arrays):  # an array parameter is a pointer
            t = ("ptr", t)
        return t

    def type_of(self, s, named=False):
        tokens = [t for t in re.findall(r"[A-Za-z_]\w*|\*", s) if t not in QUALIFIERS]
        stars = tokens.count("*")
        words = [t for t in tokens if t != "*"]
        if named and len(words) > 1 and words[-1] not in KEYWORDS \
                and words[-2] not in ("struct", "union", "enum"):
            words = words[:-1]  # the parameter's name
        t = self.base(" ".join(words))
        for _ in range(stars):
            t = ("ptr", t)
        return t

    def base(self, name):
        name = SPELLINGS.get(name, name)
        if name == "void":
            return ("void",)
        if name in SCALARS:
            return ("scalar", name)
        m = re.match(r"(struct|union) (\w+)$", name)
        if m:
            return (m.group(1), m.group(2))
        if name.startswith("enum "):
            return ("scalar", "int")
        assert name in self.typedefs, f"unknown C type {name!r}"
        target = self.typedefs[name]
        return self.type_of(target) if isinstance(target, str) else target


@pytest.fixture(scope="module")
def headers():
    return Headers(preprocessed_headers())


@pytest.fixture(scope="module")
def api(headers):
    return {name: f for name, f in headers.functions.items() if f[0]}


# ---- the package's declarations -----------------------------------------------
def declares(name):
    """Whether the package declares name (as _lib.C does: SIGNATURES, then
    the shared verbs)."""
    return name in _lib.SIGNATURES or _lib.verb_signature(name) is not None


def type_name(ct):
    if ct is None:
        return "None (void)"
    if isinstance(ct, type) and issubclass(ct, ctypes._Pointer):
        return f"POINTER({type_name(ct._type_)})"
    return getattr(ct, "__name__", repr(ct))


class Types:
    """The ctypes types a table may name: ctypes' own (REAL, what the calls
    pass, where c_size_t may be c_uint64), or a distinct stand-in a name
    (NAMED, the name the table wrote: U64 for a size_t fails on LP64 too)."""

    def __init__(self, distinct):
        names = set(SCALARS.values()) | {"c_void_p", "c_char_p"}
        self.ns = {n: type(n, (getattr(ctypes, n),), {}) if distinct else getattr(ctypes, n)
                   for n in names}


REAL, NAMED = Types(False), Types(True)


def matches(ct, t, types):
    """Whether the ctypes type ct passes or returns the C type t."""
    kind = t[0]
    if kind == "void":
        return ct is None
    if kind == "scalar":
        return ct is types.ns[SCALARS[t[1]]]
    if kind in ("struct", "union"):
        return ct is not None and ct is STRUCTS.get(t[1])
    if kind != "ptr" or not isinstance(ct, type):
        return False
    pointee = t[1]
    if ct is types.ns["c_void_p"]:
        return True
    if ct is types.ns["c_char_p"]:
        return pointee == ("scalar", "char")
    if issubclass(ct, ctypes._CFuncPtr):
        return pointee == ("func",)
    if issubclass(ct, ctypes._Pointer):
        return pointee[0] not in ("void", "func") and matches(ct._type_, pointee, types)
    return False


def c_text(t):
    return {"ptr": lambda: c_text(t[1]) + " *", "scalar": lambda: t[1], "void": lambda: "void",
            "func": lambda: "a function"}.get(t[0], lambda: " ".join(t))()


def mismatches(name, declared_args, declared_res, c, types):
    """What differs between a declaration and the C prototype c."""
    _, ret, args = c
    out = []
    if len(declared_args) != len(args):
        out.append(f"{name}: {len(declared_args)} argtypes for the {len(args)} "
                   f"arguments of C ({', '.join(p for p, _ in args) or 'void'})")
    for i, (ct, (text, t)) in enumerate(zip(declared_args, args)):
        if not matches(ct, t, types):
            out.append(f"{name}: argument {i + 1} is {type_name(ct)}, C has '{text}'")
    if not matches(declared_res, ret, types):
        out.append(f"{name}: restype is {type_name(declared_res)}, C returns {c_text(ret)}")
    return out


# ---- the tests ----------------------------------------------------------------
def test_the_headers_are_read(headers, api):
    # kpi.h's functions, with what the parser must understand among them
    assert len(api) >= 300 and "kpi_version_number" in api
    assert api["kpi_version_string"][1] == ("ptr", ("scalar", "char"))
    assert api["kpi_engine_aging"][2][-1][1] == ("ptr", ("scalar", "uint64_t"))
    assert api["kpi_engine_name"][2][-1][1] == ("ptr", ("ptr", ("scalar", "char")))
    assert api["kpi_score_new_with"][2][0][1] == ("ptr", ("ptr", ("struct", "kpi_score")))
    assert api["kpi_wilson_interval"][2][-1][1] == ("ptr", ("struct", "kpi_estimate"))
    assert api["kpi_engine_event"][2][-1][1] == ("ptr", ("struct", "kpi_event"))
    assert headers.typedefs["kpi_time_ms"] == "int64_t"
    assert all(name in api for name in headers.functions), \
        sorted(set(headers.functions) - set(api))


def test_every_api_function_is_declared_or_deliberately_not(api):
    undecided = [n for n in sorted(api) if not declares(n) and n not in NOT_WRAPPED]
    assert not undecided, ("KPI_API functions the package neither declares "
                           "(kpi/_lib.py) nor lists in NOT_WRAPPED here", undecided)
    both = [n for n in sorted(NOT_WRAPPED) if declares(n)]
    assert not both, ("in NOT_WRAPPED yet declared by the package", both)
    stale = sorted(set(NOT_WRAPPED) - set(api))
    assert not stale, ("in NOT_WRAPPED but not a KPI_API function of include/", stale)
    unknown = sorted(set(_lib.SIGNATURES) - set(api))
    assert not unknown, ("declared in SIGNATURES but not KPI_API in include/", unknown)


def named_tables():
    """kpi/_lib.py's module-level assignments (those that call nothing but
    POINTER: the aliases, SIGNATURES, VERBS) run again with NAMED's types."""
    with open(_lib.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    ns = dict(vars(_lib), **NAMED.ns)
    for node in tree.body:
        calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
        if isinstance(node, ast.Assign) and all(getattr(c.func, "id", None) == "POINTER"
                                                for c in calls):
            exec(compile(ast.Module([node], []), _lib.__file__, "exec"), ns)
    return ns


def named_declaration(name, ns):
    """(argtypes, restype) of name as the tables in ns write them; a
    status function's restype is c_int, as _lib.C makes it."""
    if name in ns["SIGNATURES"]:
        res, args = ns["SIGNATURES"][name]
    else:
        shared = _lib.verb_signature(name)[:2]
        res, args = next(ns["VERBS"][v] for v, sig in _lib.VERBS.items() if sig == shared)
    return args, NAMED.ns["c_int"] if res is _lib.ST else None if res == _lib.VOID else res


def test_every_declaration_matches_its_prototype(api):
    problems, compared, ns = [], 0, named_tables()
    for name in sorted(api):
        if not declares(name):
            continue
        fn = getattr(_lib.C, name)  # the declaration ctypes uses
        problems += mismatches(name, list(fn.argtypes), fn.restype, api[name], REAL)
        problems += mismatches(name + " (as written)", *named_declaration(name, ns),
                               api[name], NAMED)
        compared += 1
    assert not problems, "\n".join(problems)
    assert compared == len(api) - len(NOT_WRAPPED)
    for verb in _lib.VERBS:  # each shared verb names at least one function
        assert any(n.endswith("_" + verb) for n in api if n not in _lib.SIGNATURES), verb


@pytest.mark.parametrize("name, args, res", [
    ("kpi_series_new", "[PP, U64, U32, I64]", "c_int"),  # uint64_t for int64_t
    ("kpi_engine_apply", "[P, BUF, SZ, U64, pSZ]", "c_int"),  # uint64_t for size_t
    ("kpi_engine_aging", "[P, I64, pI64]", "c_int"),  # int64_t[4] for uint64_t[4]
    ("kpi_wilson_interval", "[U64, U64, pD]", "c_int"),  # double * for kpi_estimate *
    ("kpi_engine_name", "[P, INT, U64, c_char_p]", "c_int"),  # char * for char **
    ("kpi_engine_event", "[P, POINTER(CEstimate)]", "c_int"),  # the other struct
    ("kpi_rate_add", "[P]", "c_int"),  # an argument short
    ("kpi_score_free", "[P]", "c_int"),  # a status for void
    ("kpi_topk_size", "[P]", "c_uint32"),  # uint32_t for size_t
])
def test_a_wrong_declaration_is_refused(api, name, args, res):
    ns = named_tables()
    problems = mismatches(name, eval(args, ns), ns[res], api[name], NAMED)
    assert len(problems) == 1, problems


class Declarations(ast.NodeVisitor):
    """Every assignment to argtypes, restype or errcheck in a module:
    (function, target, attribute, value); the target is the kpi_ function
    when it is a local bound to lib.kpi_<x> (the value then evaluated in
    kpi._lib with NAMED's types), else the target's text."""

    def __init__(self):
        self.found, self.scope = [], [("<module>", {})]

    def visit_FunctionDef(self, node):
        self.scope.append((node.name, {}))
        self.generic_visit(node)
        self.scope.pop()

    def visit_Assign(self, node):
        name, bound = self.scope[-1]
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.Attribute) \
                and value.attr.startswith("kpi_"):
            bound[target.id] = value.attr
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            pairs = zip(target.elts, value.elts)
        for t, v in pairs:
            if isinstance(t, ast.Attribute) and t.attr in ("argtypes", "restype", "errcheck"):
                fname = bound.get(getattr(t.value, "id", None))
                val = eval(compile(ast.Expression(v), "<kpi._lib>", "eval"),
                           named_tables()) if fname else None
                self.found.append((name, fname or ast.unparse(t.value), t.attr, val))


def package_declarations():
    """Declarations(...).found of each module of the package, by file name."""
    out = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(_lib.__file__), "*.py"))):
        with open(path, encoding="utf-8") as f:
            visitor = Declarations()
            visitor.visit(ast.parse(f.read()))
        out += [(os.path.basename(path),) + d for d in visitor.found]
    return out


def test_no_declaration_outside_the_tables(api):
    decl = package_declarations()
    # _lib.C's __getattr__ applies the tables; load() declares the version
    # call before them, which must agree with the header too
    generic = [d for d in decl if d[:2] == ("_lib.py", "__getattr__") and d[2] == "fn"]
    direct = [d for d in decl if d not in generic]
    assert len(generic) == 4, generic  # argtypes, restype (twice), errcheck
    assert {(d[0], d[1], d[2]) for d in direct} == {("_lib.py", "load", "kpi_version_number")}, \
        ("argtypes/restype set outside SIGNATURES and VERBS: declare the "
         "function there (or teach this test the new place)", direct)
    got = {attr: val for _, _, _, attr, val in direct}
    assert not mismatches("kpi_version_number (load)", got["argtypes"], got["restype"],
                          api["kpi_version_number"], NAMED)
