# Types for the compiled core (sim/_compiled.py): Cython reads this beside streams.py; the
# Python source stays the reference. Keyed draws are read about 250,000 times a city
# replication: the sizes a draw's place is computed from are C numbers here, and the
# place is found in C arithmetic (see KeyedDraws._index).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython

cdef Py_ssize_t CHUNK_BITS, CHUNK, _MASK

@cython.final
cdef class KeyedDraws:
    cdef public object _streams
    cdef public object _name
    cdef public tuple _kinds
    cdef public Py_ssize_t _group
    cdef public Py_ssize_t _per
    cdef public Py_ssize_t _width
    cdef public object _shape
    cdef public object _count
    cdef public dict _blocks
    cdef public dict _over
    cdef public object _over_data
    cdef public object _philox
    cdef public object _gen
    cdef public object _state
    @cython.locals(n=Py_ssize_t, chunk=Py_ssize_t, b=Py_ssize_t, k=Py_ssize_t)
    cpdef tuple _index(self, Py_ssize_t e)
