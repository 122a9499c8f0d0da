# Types for the compiled core (sim/_compiled.py): Cython reads this beside scalars.py; the
# Python source stays the reference. Each draw is one C call of numpy's own distribution
# function on the Generator's bit generator (numpy/random/c_distributions.pxd).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from numpy.random cimport bitgen_t

ctypedef bitgen_t *bitgen_ptr

@cython.final
cdef class Scalars:
    cdef public object rng
    cdef object _capsule
    cdef bitgen_ptr _state(self) except NULL
    cpdef double random(self)
    cpdef long long integers(self, long long n)
    cpdef long long poisson(self, double lam)
    cpdef double normal(self, double loc, double scale)
    cpdef double lognormal(self, double mean, double sigma)
