# Types for the compiled core (sim/_compiled.py): Cython reads this beside worktime.py; the
# Python source stays the reference. A working calendar is read at every arrival, service
# and hand-off (about 270,000 times a city replication): its fields and the methods' day
# numbers are C types here, and the desk calls it without Python's method lookup.
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython

@cython.final
cdef class WorkCalendar:
    cdef public list open
    cdef public list cum
    cdef public bint always_open
    cdef public list last_day
    cdef Py_ssize_t _n
    cdef double _total
    cdef unsigned char[::1] _openv
    cdef double[::1] _cumv
    cdef long long[::1] _lastv
    @cython.locals(k=Py_ssize_t)
    cdef Py_ssize_t _day_at(self, double w) except? -2
    @cython.locals(d=Py_ssize_t)
    cpdef double to_work(self, double t)
    @cython.locals(d=Py_ssize_t)
    cpdef double from_work(self, double w)
    cpdef double add(self, double t, double work_days)
    @cython.locals(w0=double)
    cpdef tuple serve(self, double t, double work_days)
