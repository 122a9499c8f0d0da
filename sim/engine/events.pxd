# Types for the compiled core (sim/_compiled.py): Cython reads this beside events.py; the
# Python source stays the reference. An Event keeps its numbers in itself and is reused
# from a free list (see the module's docstring).
# The fields are declared here only: the .py takes its __slots__ from this file
# (sim/engine/fields.py); where the class has an __init__, it sets every one
# (tests/test_compiled.py).
cimport cython

cdef long long FAR
cdef int HANDLED

# A C type's own events (EventQueue.call): on_event is a C method, which its subclasses
# (the desk, the case flow, a household) define; a Python class cannot.
cdef class Handler:
    cdef on_event(self, int kind, double t, object a, object b)

@cython.final
@cython.freelist(8192)
cdef class Event:
    cdef public double time
    cdef public long long order
    cdef public object callback
    cdef public int nargs
    cdef public int kind
    cdef public object a, b, c
    @cython.locals(target=Handler)
    cpdef fire(self)

@cython.final
cdef class EventQueue:
    cdef public list _heap
    cdef public long long _counter
    cdef public long long processed
    cdef public double now
    cdef public list _days
    cdef public dict _far
    cdef public list _keys
    cdef public long long _near
    cdef public double horizon
    cdef public long long beyond
    @cython.locals(order=cython.longlong)
    cpdef at(self, double time, object callback, tuple args=*, int priority=*)
    @cython.locals(order=cython.longlong, e=Event)
    cpdef call(self, double time, Handler target, int kind, object a=*, object b=*,
               int priority=*)
    @cython.locals(order=cython.longlong)
    # (Py_ssize_t, 64 bits wherever Python 3.11 runs: Cython 3.3 writes a long long's
    # error value as a C literal the compiler rejects, -2LLLL)
    cdef Py_ssize_t _order(self, double time, object callback, int priority) except -2
    @cython.locals(time=double, b=cython.longlong, bits=int, bucket=list, days=list)
    cdef _place(self, Event entry)
    @cython.locals(bucket=list)
    cdef list _take(self, long long b)

cdef Event _event(double time, long long order, object callback, tuple args)

cdef inline bint _before(Event a, Event b)
cpdef _push(list heap, Event e)
@cython.locals(p=Py_ssize_t, parent=Event)
cdef inline void _sift_up(list heap, Event e, Py_ssize_t i)
@cython.locals(last=Event, top=Event, n=Py_ssize_t, i=Py_ssize_t, child=Py_ssize_t,
               right=Py_ssize_t)
cpdef Event _pop(list heap)
