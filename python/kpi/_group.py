"""Group-by: one accumulator per 64-bit key (agent, team, channel)."""

import ctypes
import struct
from collections import namedtuple

from . import _base, _lib
from ._base import KpiObject, register
from ._buffers import out_array
from ._lib import C

RateSpread = namedtuple("RateSpread", "mean stddev min max agents")
MeanSpread = namedtuple("MeanSpread", "mean stddev min max agents")


def _member_chain(data):
    """The member classes of a serialized group, outermost first: a group's
    body starts with its member type's u16 tag, then the prototype as a
    nested object (u32 length, body); a nested group's body starts the
    same way."""
    chain, pos = [], _base.HEADER.size
    while True:
        if pos + 2 > len(data):
            raise _lib.error_for(_lib.ERR_TRUNCATED, "kpi.Group.from_bytes")
        (tag,) = struct.unpack_from("<H", data, pos)
        cls = _base._CLASSES.get(tag)
        if cls is None:
            raise _lib.error_for(_lib.ERR_TYPE, "kpi.Group.from_bytes",
                                 f"member type tag {tag} unknown to this package")
        chain.append(cls)
        if cls is not Group:
            return tuple(chain)
        pos += 2 + 4


@register
class Group(KpiObject):
    """Accumulators by 64-bit key, each a copy of the prototype's
    configuration (not its data).

    ``g[key]`` is the member for key, created empty if absent (like a
    defaultdict); it is a view fed and read like any object of the
    prototype's type, and stays valid while the key is in the group.
    ``g[key] += other`` merges other into the member.
    ``key in g``, ``len(g)``, ``iter(g)`` (keys, ascending), ``del g[key]``,
    ``g.total()`` (the merge of every member, a new object).
    A read-only group (an engine's breakdown, kpi.Engine.group) never
    creates members: ``g[key]`` raises KpiUnknownIdError (a KeyError) for
    an absent key, and its members are read-only views too.
    Keys are unsigned 64-bit (negative ints are taken as two's complement).
    Threads: a member view is looked up in the group at every use, so it
    counts as the group (one thread at a time for the group and all its
    member views together).
    """

    _prefix, _tag = "group", 6

    def __init__(self, prototype):
        if not isinstance(prototype, KpiObject):
            raise TypeError("the prototype must be a kpi accumulator")
        self._new("kpi_group_new", prototype._p)
        # the members are the group's own: of the plain class, even when
        # the prototype is a read-only view (an engine's accumulator)
        self._chain = (type(prototype)._owned_class(),) + getattr(prototype, "_chain", ())

    def _configure_like(self, other):
        self._chain = other._chain

    def _configure_from_bytes(self, data):
        self._chain = _member_chain(data)

    @property
    def member_type(self):
        """The class of the members."""
        return self._chain[0]

    def _view(self, key):
        cls = self._chain[0]
        if self._readonly:
            cls = _base.read_only_class(cls)
        obj = cls.__new__(cls)
        obj._member = (self, key)
        if cls is Group:
            obj._chain = self._chain[1:]
        return obj

    def _member_pointer(self, key):
        out = ctypes.c_void_p()
        C.kpi_group_find(self._p, key, ctypes.byref(out))
        return out.value

    def __getitem__(self, key):
        """The member for a 64-bit key (``g[key]``, ``g.get(key)``), a view of
        the member type, created empty if absent (kpi_group_get);
        KpiLimitError beyond 2**32 - 3 members.  A read-only group never
        creates one: KpiUnknownIdError (a KeyError) for an absent key."""
        key = _lib.id64(key, "key")
        out = ctypes.c_void_p()
        if self._readonly:  # a read-only group never creates a member
            self._member_pointer(key)
        else:
            C.kpi_group_get(self._p, key, ctypes.byref(out))
        return self._view(key)

    get = __getitem__

    def __setitem__(self, key, value):
        """Only what ``g[key] += other`` needs: storing back the member view
        that the merge returned (nothing to do).  Members are created by
        ``g[key]`` and fed in place; assigning any other object raises
        TypeError."""
        key = _lib.id64(key, "key")
        member = getattr(value, "_member", None)
        if member is None or member[0] is not self or member[1] != key:
            raise TypeError("a group's members are created by g[key] and fed in place "
                            "(g[key].add(...), g[key] += other); they are not assigned")

    def find(self, key):
        """The member for key, or None (never creates one)."""
        key = _lib.id64(key, "key")
        try:
            self._member_pointer(key)
        except _lib.KpiUnknownIdError:
            return None
        return self._view(key)

    def __contains__(self, key):
        return self.find(key) is not None

    def __len__(self):
        return C.kpi_group_size(self._p)

    def keys(self):
        """The keys, ascending."""
        n = ctypes.c_size_t(len(self))
        a, address = out_array("uint64", n.value)
        C.kpi_group_keys(self._p, address, n.value, ctypes.byref(n))
        return [int(k) for k in a]

    def __iter__(self):
        return iter(self.keys())

    def items(self):
        """[(key, member view)] for every member, keys ascending
        (kpi_group_keys)."""
        return [(k, self._view(k)) for k in self.keys()]

    def values(self):
        """[member view] for every member, by ascending key (kpi_group_keys)."""
        return [self._view(k) for k in self.keys()]

    def remove(self, key):
        """Remove and free a member (KpiUnknownIdError, a KeyError, if absent)."""
        C.kpi_group_remove(self._p, _lib.id64(key, "key"))

    __delitem__ = remove

    def total(self):
        """A new object of the member type: the merge of every member."""
        out = ctypes.c_void_p()
        C.kpi_group_total(self._p, ctypes.byref(out))
        cls = self._chain[0]
        obj = cls.__new__(cls)
        obj._own(out.value)
        if cls is Group:
            obj._chain = self._chain[1:]
        return obj

    def rate_spread(self, min_trials=0):
        """RateSpread(mean, stddev, min, max, agents) of the members' shares
        (a group of Rate): consistency between agents (kpi_group_rate_spread).
        Over the members with at least min_trials trials (and at least one):
        the unweighted mean of their shares, their population standard
        deviation (divided by the number of members, not n - 1), the
        smallest and largest share and the number of members counted."""
        return RateSpread(*self._spread(C.kpi_group_rate_spread, min_trials, "min_trials"))

    def mean_spread(self, min_count=0):
        """MeanSpread(mean, stddev, min, max, agents) of the members' means
        (a group of Mean: a QA score per conversation, sentiment or IQS):
        consistency between agents on a score (kpi_group_mean_spread).  Over
        the members with at least min_count values (and at least one): the
        unweighted mean of their (weighted) means, their population standard
        deviation (divided by the number of members, not n - 1), the
        smallest and largest mean and the number of members counted.  IQS
        members give fractions (x 100 for iqs_percent's points)."""
        return MeanSpread(*self._spread(C.kpi_group_mean_spread, min_count, "min_count"))

    def _spread(self, fn, least, name):
        d = [ctypes.c_double() for _ in range(4)]
        agents = ctypes.c_size_t()
        fn(self._p, _lib.u64(least, name), *(ctypes.byref(x) for x in d), ctypes.byref(agents))
        return [x.value for x in d] + [agents.value]

    def _describe(self):
        return f"of {self._chain[0].__name__} size={len(self)}"
