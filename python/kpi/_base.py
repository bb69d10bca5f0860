"""The generic wrapper every libkpi type derives from.

A subclass names its C prefix (``_prefix = "score"``) and its serialized
type tag; the base class then knows ``kpi_<prefix>_free``, ``_clone``,
``_merge``, ``_reset``, ``_serialize``, ``_deserialize`` and
``_footprint`` by name and gives every type:

- ``close()``, ``with`` blocks and a finalizer (``weakref.finalize``) that
  frees the C object exactly once, whichever comes first;
- ``copy()`` / ``copy.copy`` / ``copy.deepcopy`` (deep copies: clone);
- ``reset()``; ``merge(other)``, ``a += b``, ``a + b`` and ``sum(objs)``
  (for types that merge);
- ``bytes(obj)`` / ``to_bytes()``, ``Type.from_bytes(data)`` and pickling
  through those portable bytes, so states cross processes and machines;
- ``footprint`` (bytes of C memory held);
- ``_add_in_parts`` / ``_add_c_array`` / ``_add_c_arrays``: the bulk
  (``add_array``) paths' ``threads=`` option, one array (or several of
  one length, cut at the same indices) counted in contiguous parts on
  several threads and the parts merged (see ``_add_in_parts``).

Adding a type (the ticket engine, say) is a subclass with ``_prefix``,
``_tag``, an ``__init__`` that calls ``self._new("kpi_<x>_new", ...)`` and
its own reads; plus its non-verb functions in ``_lib.SIGNATURES``.
"""

import atexit
import ctypes
import numbers
import struct
import threading
import weakref
from collections import namedtuple

from . import _lib
from ._buffers import KINDS, as_c_array, buffer_address, same_length
from ._lib import C

Estimate = namedtuple("Estimate", "value low high n")
Estimate.__doc__ = """A value with its 95% interval and the sample size behind it.

For shares, value is in [0, 1] and [low, high] the Wilson interval; for an
NPS the adjusted-Wald interval (kpi_score_nps); for means a normal-approximation
interval (infinite with a single observation)."""


def estimate(e):
    """An Estimate from a filled CEstimate."""
    return Estimate(e.value, e.lower, e.upper, e.n)


def read_estimate(fn, *args):
    """Call fn(*args, &estimate) and return the Estimate."""
    e = _lib.CEstimate()
    fn(*args, ctypes.byref(e))
    return estimate(e)


def read_estimates(fn, p, k):
    """Call fn(p, &e1, ..., &ek) and return the k Estimates."""
    e = [_lib.CEstimate() for _ in range(k)]
    fn(p, *(ctypes.byref(x) for x in e))
    return [estimate(x) for x in e]


def read_out(fn, ctype, *args):
    """Call fn(*args, &out) and return out's value."""
    out = ctype()
    fn(*args, ctypes.byref(out))
    return out.value


# Serialized state header (docs/format.md): magic "kpiS", u16 format
# version, u16 type tag, u32 body length, body, u32 CRC-32C.
MAGIC = b"kpiS"
HEADER = struct.Struct("<4sHHI")

# type tag -> class, filled by register()
_CLASSES = {}


def register(cls):
    """Class decorator: make cls the Python type of its serialized tag."""
    _CLASSES[cls._tag] = cls
    return cls


def state_bytes(data):
    """The bytes of a bytes-like `data`; TypeError for anything else (an
    int, a str, a list)."""
    return bytes(memoryview(data))


def header(data):
    """(format version, type tag, body length) of a serialized state;
    KpiCorruptError / KpiTruncatedError for bytes that are not one;
    TypeError for what is not bytes-like."""
    data = state_bytes(data)
    if data[:4] != MAGIC[:len(data)]:
        # as the library: the magic compared as far as the bytes go, so the
        # start of a state cut short (b"", b"kp") is truncated, not corrupt
        raise _lib.error_for(_lib.ERR_CORRUPT, "kpi.header", "no libkpi magic")
    if len(data) < HEADER.size + 4:
        raise _lib.error_for(_lib.ERR_TRUNCATED, "kpi.header")
    _, version, tag, body = HEADER.unpack_from(data)
    return version, tag, body


def from_bytes(data):
    """Rebuild any libkpi state from its bytes, whatever its type.

    The type is read from the state's header; the library then validates
    everything (checksum, structure).  Raises KpiTypeError for a type this
    package does not know, once the library's checks that come before the
    type (docs/format.md: version, length, checksum) have passed: a state
    cut short, damaged or of a newer format raises what they raise.
    """
    data = state_bytes(data)
    _, tag, _ = header(data)
    cls = _CLASSES.get(tag)
    if cls is None:
        # any type's reader checks the version, length and CRC before the
        # tag, which is not its own: it raises the first check that fails
        out = ctypes.c_void_p()
        try:
            C.kpi_rate_deserialize(ctypes.byref(out), data, len(data))
        except _lib.KpiError as e:
            if e.code != _lib.ERR_TYPE:
                raise _lib.error_for(e.code, "kpi.from_bytes") from None
        else:  # pragma: no cover - tag 3 is Rate's, which is known
            C.kpi_rate_free(out.value)
        raise _lib.error_for(_lib.ERR_TYPE, "kpi.from_bytes", f"unknown type tag {tag}")
    return cls.from_bytes(data)


# Arrays shorter than this are counted on the calling thread whatever
# `threads` says: starting threads and merging would cost more than it saves.
MIN_PARALLEL_ITEMS = 1 << 16


def thread_count(threads):
    """The number of threads a bulk call asked for: None -> 1, a positive
    int as it is; TypeError for anything but an int (bool included),
    ValueError below 1."""
    if threads is None:
        return 1
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads: a positive int or None is needed, got {threads!r}")
    if threads < 1:
        raise ValueError(f"threads: a positive int or None is needed, got {threads}")
    return int(threads)


# Every object that owns a C object, by id(): closed (freed, and so
# refused from then on) by _close_at_exit.  Their finalizers do not run at
# exit: weakref.finalize's own exit hook would free the C objects and
# leave their handles in place, so that an atexit handler registered
# before it (atexit runs them in reverse), or a __del__ during shutdown,
# reading one called C on freed memory.
_OWNERS = weakref.WeakValueDictionary()


@atexit.register
def _close_at_exit():
    """Close every object still open: later uses raise ValueError.  Runs
    before the atexit handlers registered before this package was
    imported."""
    for obj in list(_OWNERS.values()):
        obj.close()


def _restore(cls, data):
    """Unpickle: rebuild from portable bytes."""
    return cls.from_bytes(data)


class KpiObject:
    """Base of every libkpi wrapper (see the module documentation)."""

    _prefix = None        # C name prefix: kpi_<prefix>_...
    _tag = None           # serialized type tag (lib/internal.h, append-only)
    _mergeable = True     # has kpi_<prefix>_merge and _reset

    _h = None             # the C pointer (int) while open and owned
    _member = None        # (owner, key) for a view: owner._member_pointer(key)
    _finalizer = None
    _readonly = False     # a read-only view (read_only_class)

    @classmethod
    def _owned_class(cls):
        """The class of owned objects of this type (copies, unpickled
        objects, merge partners): cls itself, or a read-only view class's
        base."""
        return cls

    # -- lifetime ---------------------------------------------------------
    def _new(self, fname, *args):
        """Create the C object with kpi_<...>_new(&out, *args)."""
        out = ctypes.c_void_p()
        getattr(C, fname)(ctypes.byref(out), *args)
        self._own(out.value)

    @classmethod
    def _preset(cls, fname, *args):
        """An object made by a preset constructor kpi_<kpi>_new(&out, *args)."""
        obj = cls.__new__(cls)
        obj._new(fname, *args)
        return obj

    def _own(self, handle):
        self._h = handle
        self._finalizer = weakref.finalize(
            self, getattr(C, f"kpi_{self._prefix}_free"), handle)
        self._finalizer.atexit = False  # _close_at_exit closes it
        _OWNERS[id(self)] = self

    def _take(self, other):
        """Hold `other`'s C object (an owned one of the same type) in place
        of this one's, which is freed; `other` is left closed."""
        handle = other._h
        other._finalizer.detach()
        other._h, other._finalizer = None, None
        old = self._finalizer
        self._own(handle)
        if old is not None:
            old()

    @classmethod
    def _adopt(cls, handle, like=None):
        """Wrap a new C object this wrapper now owns (from clone,
        deserialize, a group total); `like` passes Python-side
        configuration on."""
        obj = cls.__new__(cls)
        obj._own(handle)
        obj._configure_like(like)
        return obj

    def _configure_like(self, other):
        """Copy Python-side configuration from `other` (hook)."""

    @property
    def _p(self):
        """The C pointer; raises once closed."""
        h = self._h
        if h is not None:
            return h
        if self._member is not None:
            owner, key = self._member
            return owner._member_pointer(key)
        raise ValueError(f"this {type(self).__name__} is closed")

    def close(self):
        """Free the C object now (later uses raise ValueError).  A view (a
        group member, an engine's accumulator) is only detached: the
        object it shows stays where it is."""
        if self._finalizer is not None:
            # detach() and call, rather than finalizer(): that one does
            # nothing once weakref.finalize's exit hook has run
            info = self._finalizer.detach()
            if info is not None:
                _, free, args, _ = info
                free(*args)
        self._h = None
        self._member = None

    @property
    def closed(self):
        """True once close()d, and for a view once its owner (an engine,
        a group) is closed: every use then raises ValueError."""
        if self._h is not None:
            return False
        return self._member is None or self._member[0].closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the shared verbs -------------------------------------------------
    def _fn(self, verb):
        return getattr(C, f"kpi_{self._prefix}_{verb}")

    def copy(self):
        """A deep copy (an independent object with the same state)."""
        out = ctypes.c_void_p()
        self._fn("clone")(self._p, ctypes.byref(out))
        return type(self)._owned_class()._adopt(out.value, like=self)

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    def reset(self):
        """Forget the data, keep the configuration."""
        self._require_mergeable("reset")
        self._fn("reset")(self._p)

    def _require_mergeable(self, verb):
        if not self._mergeable:
            raise TypeError(f"a {type(self).__name__} is configuration: it has no {verb}")

    def _check_same_type(self, other):
        if not isinstance(other, KpiObject) or \
                type(other)._owned_class() is not type(self)._owned_class():
            raise TypeError(f"cannot merge a {type(other).__name__} into a "
                            f"{type(self).__name__}")

    def merge(self, other):
        """self += other (other unchanged); KpiIncompatibleError when they
        are configured differently, and then self is unchanged too."""
        self._require_mergeable("merge")
        self._check_same_type(other)
        self._fn("merge")(self._p, other._p)
        return self

    def __iadd__(self, other):
        return self.merge(other)

    def __add__(self, other):
        if not isinstance(other, KpiObject):
            return NotImplemented
        self._require_mergeable("merge")
        self._check_same_type(other)
        return self.copy().merge(other)

    def __radd__(self, other):
        # sum(objects) starts from 0; configuration does not merge
        if isinstance(other, int) and other == 0:
            self._require_mergeable("merge")
            return self.copy()
        return NotImplemented

    # -- bulk adds on several threads --------------------------------------
    def _add_in_parts(self, n, threads, feed, keep=None, may_split=None):
        """Add items [0, n) of one array to self, on `threads` threads.

        ``feed(obj, lo, hi)`` adds items [lo, hi) to `obj` with the
        single-thread code and raises what that call raises; `keep` is
        what it reads (the arrays behind its addresses), held by every
        worker until it ends.  threads None
        or 1 (or n < MIN_PARALLEL_ITEMS, or ``may_split()`` false: a
        type's own test that its parts would not merge to the single
        call's result): feed(self, 0, n), nothing else.
        Otherwise [0, n) is cut into min(threads, n) contiguous near-equal
        parts, each added to a fresh object of self's configuration
        (copy() then reset()): part 0 on the calling thread, the others on
        worker threads started first (ctypes releases the GIL during the C
        calls, so they run at once).  The parts are merged into part 0 in
        order, then part 0 into self: one merge, all or nothing.

        All or nothing, with the single call's error: self is only touched
        by that last merge, so when a part or a merge refuses (or a part's
        copy or thread cannot be had), self is still as it was and the
        whole array is added to it once more on this thread, which raises
        exactly what one call would (its code, class and text: a part's own
        error can differ, e.g. a batch that ranks NaN above out-of-range
        wherever each stands) or, for a failure that was only the parts'
        (memory for a copy or a merge, a thread), succeeds as it would.

        An interrupt while this thread waits for a worker (Ctrl-C in
        join) propagates at once, self untouched; a part a worker may still
        be counting into is not freed under it but by its finalizer, once
        the worker has ended, and the worker holds `keep` until then.
        """
        k = min(thread_count(threads), n)
        if k <= 1 or n < MIN_PARALLEL_ITEMS or (may_split is not None and not may_split()):
            feed(self, 0, n)
            return
        parts, failed, started = [], [], []
        joined = False  # every worker started has ended

        def run(i, _keep=None):  # _keep: held by the worker's Thread until it ends
            try:
                feed(parts[i], n * i // k, n * (i + 1) // k)
            except Exception:  # noqa: BLE001 (the single call decides)
                # a flag, not the exception: its traceback holds this
                # frame, whose cell holds `failed`, a cycle that kept the
                # input, the parts and (part 0) self until the cyclic GC ran
                failed.append(True)

        try:
            try:
                for _ in range(k):
                    part = self.copy()
                    parts.append(part)
                    part.reset()
            except _lib.KpiError:  # no memory for a part: the parts' own failure
                failed.append(True)
            try:
                for i in range(1, k if not failed else 1):
                    worker = threading.Thread(target=run, args=(i, keep),
                                              name=f"kpi add part {i}/{k}")
                    started.append(worker)  # before start(): waited for below
                    try:
                        worker.start()
                    except RuntimeError:
                        started.pop()  # it never ran
                        raise
            except RuntimeError:  # a thread that cannot be started: the parts' too
                failed.append(True)
            else:
                if not failed:
                    run(0)
            finally:
                for worker in started:
                    worker.join()
                joined = True
            if not failed:
                try:
                    for part in parts[1:]:
                        parts[0].merge(part)
                    self.merge(parts[0])
                    return
                except _lib.KpiError:
                    pass  # self unchanged: the single call decides below
        finally:
            # An exception while waiting for the workers (Ctrl-C in join)
            # leaves them counting into their parts in C: those are not
            # freed here but by their finalizers, once no thread holds them.
            if joined or not started:
                for part in parts:
                    part.close()
        feed(self, 0, n)

    def _add_c_array(self, fn, values, kind, what, threads):
        """``fn(p, address, n)`` (a kpi_*_add_array) over `values` as n C
        values of `kind`: _add_c_arrays with one array."""
        self._add_c_arrays(fn, ((values, kind, what),), threads)

    def _add_c_arrays(self, fn, arrays, threads, name=None, may_split=None):
        """``fn(p, address_1, ..., address_k, n)`` (a kpi_*_add_array of k
        arrays of one length: numerators beside denominators, waits beside
        outcomes) over the (values, kind, what) of `arrays`, each as n C
        values of its kind (see _buffers.as_c_array: no copy when they
        already are); values None passes a NULL address (Series' amounts,
        1.0 each).  `threads` is checked first, then the arrays converted
        in order, then their lengths compared (ValueError naming `name`,
        _buffers.same_length).  Added in parts on `threads` threads
        (_add_in_parts), every array cut at the same indices;
        ``may_split(keeps, n)``, when given, is asked (only when parts
        would be used) whether they may: see _add_in_parts."""
        thread_count(threads)
        addresses, sizes, keeps, lengths = [], [], [], []
        for values, kind, what in arrays:
            if values is None:
                address, keep = None, None
            else:
                address, n, keep = as_c_array(values, kind, what)
                lengths.append(n)
            addresses.append(address)
            sizes.append(ctypes.sizeof(KINDS[kind][0]))
            keeps.append(keep)
        n = same_length(name, *lengths)

        def feed(obj, lo, hi):
            fn(obj._p, *(None if a is None else a + lo * size
                         for a, size in zip(addresses, sizes)), hi - lo)

        self._add_in_parts(n, threads, feed, tuple(keeps),
                           None if may_split is None else lambda: may_split(keeps, n))

    def to_bytes(self):
        """The portable state (docs/format.md): same bytes on every
        platform; rebuild with from_bytes()."""
        n = ctypes.c_size_t()
        ser = self._fn("serialize")
        ser(self._p, None, 0, ctypes.byref(n))
        # a bytearray, not create_string_buffer(n): a ctypes array type per
        # size, a reference cycle each (see _buffers.buffer_address)
        buf = bytearray(n.value)
        address, keep = buffer_address(buf)
        ser(self._p, address, n.value, ctypes.byref(n))
        del keep
        return bytes(memoryview(buf)[:n.value])

    __bytes__ = to_bytes

    @classmethod
    def from_bytes(cls, data):
        """Rebuild an object from to_bytes() output (any bytes-like);
        the library validates everything it reads; TypeError for what is
        not bytes-like (an int is no state: bytes(5) would be 5 zeros).
        Through a read-only view's class (``type(view).from_bytes``) it
        gives an owned object of the plain class, as copy() and pickle do;
        through KpiObject itself, any type (kpi.from_bytes)."""
        if cls._prefix is None:  # KpiObject: the type is read from the header
            return from_bytes(data)
        data = state_bytes(data)
        cls = cls._owned_class()
        out = ctypes.c_void_p()
        getattr(C, f"kpi_{cls._prefix}_deserialize")(ctypes.byref(out), data, len(data))
        obj = cls.__new__(cls)
        obj._own(out.value)
        obj._configure_from_bytes(data)
        return obj

    def _configure_from_bytes(self, data):
        """Set Python-side configuration from serialized bytes (hook)."""

    def __reduce__(self):
        return (_restore, (type(self)._owned_class(), self.to_bytes()))

    @property
    def footprint(self):
        """Bytes of memory the C object holds."""
        return self._fn("footprint")(self._p)

    def __repr__(self):
        if self.closed:
            return f"<kpi.{type(self).__name__} closed>"
        try:
            extra = self._describe()
        except _lib.KpiError as e:
            extra = e.name
        member = ""
        if self._member is not None:
            key = self._member[1]  # a group key, or what an engine view shows
            member = f" {'member' if isinstance(key, int) else 'view of'} {key}"
        return f"<kpi.{type(self).__name__}{member} {extra}>".replace(" >", ">")

    def _describe(self):
        return ""


# -- read-only views ---------------------------------------------------------
# Methods that change an object, refused by read-only views: every add*,
# set_* and these.
_MUTATORS = frozenset({"reset", "merge", "__iadd__", "remove", "__delitem__", "iqs_add"})
_READ_ONLY = {}


def _refusal(name):
    def refuse(self, *args, **kwargs):
        raise TypeError(f"{name}: this {type(self).__name__} is a read-only view "
                        "(an engine's accumulator); copy() it for one you can change")
    refuse.__name__ = name
    return refuse


def read_only_class(cls):
    """The read-only view class of cls: a subclass whose methods that
    change the object (add*, set_*, reset, merge, +=, remove) raise
    TypeError.  Its instances are views: ``_member = (owner, key)``, the C
    pointer looked up again through ``owner._member_pointer(key)`` at
    every use, so a view never dangles and keeps its owner alive.  Reads,
    ``copy()`` (an owned object of cls), ``a + b``, ``bytes()`` and
    pickling (as cls) work as on cls."""
    view = _READ_ONLY.get(cls)
    if view is None:
        ns = {"_readonly": True, "__module__": cls.__module__,
              "__doc__": f"A read-only view of a {cls.__name__} (see kpi.Engine).",
              "_owned_class": classmethod(lambda c, base=cls: base)}
        for name in dir(cls):
            if name in _MUTATORS or name.startswith(("add", "set_")):
                ns[name] = _refusal(name)
        view = type(cls.__name__, (cls,), ns)
        view.__qualname__ = f"{cls.__qualname__} (read-only view)"
        _READ_ONLY[cls] = view
    return view
