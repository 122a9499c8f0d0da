# Types for the compiled core (sim/_compiled.py): Cython reads this beside cases.py; the
# Python source stays the reference. Numbers sit in the case itself, not in objects of
# their own: a large city keeps thousands of open cases, and each object is one more
# memory read per event.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython

cdef class Case:
    cdef public long long id
    cdef public object household
    cdef public long long hidx
    cdef public double cost_factor
    cdef public object pathway
    cdef public object route
    cdef public tuple steps
    cdef public long long idx
    cdef public double t_applied
    cdef public long long members
    cdef public long long visits
    cdef public double cost
    cdef public double tolerance
    cdef public object outcome
    cdef public double t_outcome
    cdef public object outcome_stage
    cdef public object reason
    cdef public object where
    cdef public long long token
    cdef public bint complex_case
    cdef public bint verifying
    cdef public long long verified
    cdef public long long reworks
    cdef public long long bounces
    cdef public long long verifications
    cdef public double held_since
    cdef public bint admitted
    cdef public tuple offices
    cdef public long long visit
    cdef public object handoff
    cdef public double u_rework, u_judge

# The journey log and its stand-in (tables=False), one type to the case flow
# (sim/model/pathways.pxd): its calls to them are C calls. Rows and codes stay Python ints.
cdef class VisitLog:
    cpdef open(self, Case case, str stage, double t)
    cpdef serve_case(self, Case case, double t_start, double t_end)
    cpdef close(self, row, double t, str result)
    cpdef leave(self, row, double t, code)

@cython.final
cdef class Journey(VisitLog):
    cdef public object case, stage, t_in, t_start, t_end, t_out, result

@cython.final
cdef class VisitCount(VisitLog):
    cdef public long long n

@cython.final
@cython.auto_pickle(False)
cdef class CaseRecord:
    cdef public Py_ssize_t n, rows
    cdef public object floats, ints, codes
    cdef public list names
    cdef double[:] _f
    cdef int[:] _i
    cdef signed char[:] _b
    cpdef _view(self)
    cpdef _unview(self)
    cpdef _grow(self)
    @cython.locals(i=Py_ssize_t, f=Py_ssize_t, k=Py_ssize_t, b=Py_ssize_t)
    cpdef open(self, Case case)
    cpdef quota_in(self, Case case, double t)
    @cython.locals(f=Py_ssize_t)
    cpdef quota_out(self, Case case, double t)
    cpdef visit(self, Case case)
    @cython.locals(i=Py_ssize_t)
    cpdef close(self, Case case)
