# Types for the compiled core (sim/_compiled.py): Cython reads this beside program.py; the
# Python source stays the reference. The quota is asked at about every application and
# admission: its counts sit in the object, and the case flow and the population call it
# in C (sim/model/pathways.pxd, population.pxd). Program stays a Python object.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); its __init__ sets every one (tests/test_compiled.py).
cimport cython
from sim.model.cases cimport Case

@cython.final
cdef class Quota:
    cdef public object program, admit_to, drop
    cdef public long long active, pending
    cdef public object waiting
    cdef public bint _admitting
    cpdef bint allows(self, long long members, double t) except -1
    cpdef bint full(self, long long members, double t) except -1
    cpdef wait(self, Case case, double t)
    @cython.locals(case=Case)
    cpdef admit(self, double t)
    cpdef release(self, Case case, double t)
    cpdef count_active(self, long long people)
