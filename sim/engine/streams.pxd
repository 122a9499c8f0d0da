# Types for the compiled core (sim/_compiled.py): Cython reads this beside streams.py; the
# Python source stays the reference. Keyed draws are read about 250,000 times a city
# replication: the sizes a draw's place is computed from are C numbers here, and the
# place is found in C arithmetic (see KeyedDraws._take and _compute): the counts and the
# chunks' PCG64 states are read through typed views of their arrays, not as Python ints
# (a draw 170 ns against 300 before, a group of seven 350 against 480; CPU 0.99x).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython

cdef extern from *:
    ctypedef unsigned long long u128 "unsigned __int128"
    ctypedef unsigned long long u64 "unsigned long long"

cdef Py_ssize_t CHUNK_BITS, CHUNK, _MASK
cdef u64 _M64
cdef u128 _M128, _PCG_MULT
cdef Py_ssize_t _JUMP_BITS
cdef u64[:] _JUMP

@cython.locals(r=u128)
cdef inline u128 _u128(u64 hi, u64 lo) noexcept  # (integer arithmetic: cannot fail)

cdef u64 _PH_M0, _PH_M1, _PH_W0, _PH_W1
cdef Py_ssize_t _OVERFLOW

@cython.locals(u=double)
cdef inline double _value(u64 x, bint exponential)

@cython.locals(c1=u64, r=int, p=u128, q=u128)
cdef u64 _philox_out(u64 c0, u64 c2, u64 c3, u64 k0, u64 k1, int w)

@cython.locals(b=u64, i=Py_ssize_t, j=Py_ssize_t, x=u64)
cdef void _philox_fill(float[:] out, u64 k0, u64 k1, u64 e, Py_ssize_t m, Py_ssize_t group,
                       u64 exp_cols)

@cython.locals(s=u128, inc=u128, a=u128, k=Py_ssize_t, d=u64, hi=u64, lo=u64, rot=u64, x=u64,
               u=double, j=Py_ssize_t)
cdef void _pcg_fill(float[:] out, u64 sh, u64 sl, u64 ih, u64 il, Py_ssize_t pos,
                    u64 exp_cols, Py_ssize_t n)

@cython.final
cdef class KeyedDraws:
    cdef public object _streams
    cdef public object _name
    cdef public tuple _kinds
    cdef public Py_ssize_t _group
    cdef public Py_ssize_t _per
    cdef public Py_ssize_t _width
    cdef public object _shape
    cdef public bint _jump
    cdef public u64 _exp
    cdef public object _scratch
    cdef float[:] _scr
    cdef public object _count
    cdef unsigned char[:] _c8
    cdef unsigned int[:] _c32
    cdef bint _wide
    cdef Py_ssize_t _ncount
    cdef public object _states
    cdef u64[:] _st
    cdef Py_ssize_t _nst
    cdef public dict _blocks
    cdef public dict _over
    cdef public object _over_data
    cdef public object _philox
    cdef public object _gen
    cdef public object _state
    cdef u64 _ok0, _ok1
    cdef bint _okset
    cpdef _view(self)
    cpdef _unview(self)
    @cython.locals(n=Py_ssize_t)
    cdef Py_ssize_t _take(self, Py_ssize_t e) except -1
    @cython.locals(n=Py_ssize_t, chunk=Py_ssize_t, b=Py_ssize_t, k=Py_ssize_t)
    cpdef tuple _index(self, Py_ssize_t e)
    @cython.locals(n=Py_ssize_t, c=Py_ssize_t, j=Py_ssize_t)
    cdef _compute(self, Py_ssize_t e)
    cdef _new_chunk(self, Py_ssize_t c)
    cpdef double draw(self, Py_ssize_t e) except? -1.0
    cpdef group(self, Py_ssize_t e)
    @cython.locals(blk=object, i=Py_ssize_t, k=Py_ssize_t, scr=cython.float[:])
    cpdef float take(self, Py_ssize_t e) except? -1.0
    cpdef float value(self, Py_ssize_t k) except? -1.0
    cpdef float[:] view(self, Py_ssize_t e)
    cpdef keep(self)
